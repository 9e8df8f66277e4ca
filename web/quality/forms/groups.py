"""The forms of a group: forming it, inviting a peer, answering an invitation. Input shape
only; the rules (a selected founder, 7 seats, one invitation a peer) are the services'
(:mod:`web.quality.services.groups`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from panelcare.quality.groups import BASES
from web.quality.forms.selection import PhysicianChoiceField
from web.quality.messages import basis_label
from web.regions.models import Gmf, Physician, Region, Rls

__all__ = ["AnswerForm", "GroupForm", "InviteForm"]


class GroupForm(forms.Form):
    """A new group: its name, its composition bases and, for a health team, its GMF or
    RLS (of the founder's region)."""

    name = forms.CharField(
        label=_("Name of the group"),
        max_length=200,
        widget=forms.TextInput(attrs={"data-testid": "group-name"}),
    )
    bases = forms.MultipleChoiceField(
        label=_("The group is formed on the basis of"),
        choices=[(code, code) for code in BASES],
        widget=forms.CheckboxSelectMultiple(attrs={"data-testid": "group-bases"}),
    )
    gmf = forms.ModelChoiceField(
        label=_("GMF of the health team"),
        queryset=Gmf.objects.none(),
        required=False,
        widget=forms.Select(attrs={"data-testid": "group-gmf"}),
    )
    rls = forms.ModelChoiceField(
        label=_("RLS of the health team"),
        queryset=Rls.objects.none(),
        required=False,
        widget=forms.Select(attrs={"data-testid": "group-rls"}),
    )

    def __init__(self, *args: Any, region: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels, not codes: the choices are said in the reader's language at render.
        self.fields["bases"].choices = [(code, basis_label(code)) for code in BASES]
        self.fields["gmf"].queryset = Gmf.objects.filter(rls__region=region).order_by("name")
        self.fields["rls"].queryset = Rls.objects.filter(region=region).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        bases = data.get("bases") or []
        # A GMF or RLS chosen and then its basis unticked is dropped, not refused: the
        # team only means something with its basis.
        if "health_team_gmf" not in bases:
            data["gmf"] = None
        elif data.get("gmf") is None:
            self.add_error("gmf", _("Choose the GMF in which the group collaborates."))
        if "health_team_rls" not in bases:
            data["rls"] = None
        elif data.get("rls") is None:
            self.add_error("rls", _("Choose the RLS in which the group collaborates."))
        return data


class InviteForm(forms.Form):
    """A peer to invite, among those the member may invite."""

    physician = PhysicianChoiceField(
        label=_("Physician"),
        queryset=Physician.objects.none(),
        widget=forms.Select(attrs={"data-testid": "invite-physician"}),
    )

    def __init__(self, *args: Any, physicians: QuerySet[Physician], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["physician"].queryset = physicians


class AnswerForm(forms.Form):
    """The invitee's answer: the button pressed."""

    answer = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])

    @property
    def accepted(self) -> bool:
        return self.cleaned_data["answer"] == "accept"
