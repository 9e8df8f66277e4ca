"""The forms of a GMF's attribution target (issue 19): the GMF's proposal and the CML's
decision. Input shape and field checks only; the rules are the service's
(:mod:`web.attribution.services_gmfs`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

__all__ = ["GmfTargetDecisionForm", "GmfTargetProposalForm"]


class GmfTargetProposalForm(forms.Form):
    proposed = forms.IntegerField(
        label=gettext_lazy("Target (patients)"),
        min_value=0,
        help_text=gettext_lazy(
            "The most orphan patients the GMF's members together receive in a run."
        ),
    )
    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=gettext_lazy("Members arriving or leaving, workload, the GMF's capacity..."),
    )


class GmfTargetDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("agree", gettext_lazy("Agree with the proposal")),
            ("change", gettext_lazy("Set another target")),
            ("refuse", gettext_lazy("Refuse the proposal")),
        ],
    )
    value = forms.IntegerField(
        label=gettext_lazy("Target set by the CML (patients)"),
        min_value=0,
        required=False,
        help_text=gettext_lazy("Only when setting another target."),
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
        help_text=gettext_lazy("Required to set another target or to refuse."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        decision = cleaned.get("decision")
        if decision == "change" and cleaned.get("value") is None:
            self.add_error("value", gettext_lazy("Give the target the CML sets."))
        if decision in ("change", "refuse") and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", gettext_lazy("Say why in a comment: the GMF reads it."))
        return cleaned
