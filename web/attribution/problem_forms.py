"""The forms of the problems a CML raises to the DRMG: the shape of what the pages post and
the field-level checks (the services check the same rules again). Who may post them is
checked by the views (``web.accounts.access``).

==============  ===========================================================
form            posted by
==============  ===========================================================
ProblemForm     the CML, for one of their RLS (/attribution/problems/new/)
AnswerForm      the DRMG, on a problem's page
==============  ===========================================================

:func:`every_physician_above_full_workload` reads a run's figures to suggest the problem
of 5.3.5 to the CML.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.attribution.models import ProblemKind, Run
from web.attribution.services_problems import ANSWER_MAX_LENGTH, DESCRIPTION_MAX_LENGTH
from web.regions.models import Gmf, Rls

__all__ = ["AnswerForm", "ProblemForm", "every_physician_above_full_workload"]


class ProblemForm(forms.Form):
    """A problem of one of ``rls_choices`` (the CML's RLS); the GMF, of that RLS, is
    required for a GMF not meeting its target."""

    rls = forms.ModelChoiceField(
        queryset=Rls.objects.none(),
        to_field_name="code",
        empty_label=None,
        label=gettext_lazy("RLS"),
    )
    kind = forms.ChoiceField(
        choices=ProblemKind.choices, widget=forms.RadioSelect, label=gettext_lazy("Situation")
    )
    gmf = forms.ModelChoiceField(
        queryset=Gmf.objects.none(),
        to_field_name="code",
        required=False,
        label=gettext_lazy("GMF"),
        help_text=gettext_lazy("Required for a GMF not meeting its target."),
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        label=gettext_lazy("Description"),
        help_text=gettext_lazy(
            "A short description of the situation for the DRMG; no patient's name."
        ),
    )

    def __init__(self, *args: Any, rls_choices: QuerySet[Rls], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rls"].queryset = rls_choices
        self.fields["gmf"].queryset = (
            Gmf.objects.filter(rls__in=rls_choices).select_related("rls").order_by("name")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        rls, gmf = cleaned.get("rls"), cleaned.get("gmf")
        if cleaned.get("kind") == ProblemKind.GMF_TARGET_MISSED and gmf is None:
            self.add_error("gmf", _("Name the GMF that does not meet its target."))
        if rls is not None and gmf is not None and gmf.rls_id != rls.pk:
            self.add_error("gmf", _("The GMF named is not of this RLS."))
        return cleaned


class AnswerForm(forms.Form):
    """The DRMG's answer to an open problem."""

    answer = forms.CharField(
        max_length=ANSWER_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        label=gettext_lazy("Answer"),
        help_text=gettext_lazy("Given once: the CML reads it on the problem's page."),
    )


def every_physician_above_full_workload(run: Run | None, rls: Rls) -> bool:
    """Whether every physician of ``rls`` in ``run``'s figures works more than the full
    workload before the run (``units_before`` above ``full_workload_units``, 3 units by
    default: « tous les médecins d'un territoire présentent une charge de travail de plus
    de 3 unités », 5.3.5). False without a run, without figures or without a physician."""
    if run is None or not run.summary:
        return False
    rows = [
        row
        for row in (run.summary.get("pages") or {}).get("physicians", [])
        if row.get("rls_id") == rls.code
    ]
    full = float(run.params.get("full_workload_units", 3.0))
    return bool(rows) and all(float(row["units_before"]) > full for row in rows)
