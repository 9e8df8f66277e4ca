"""The forms of the physicians' declarations (issue 19): the physician's declaration and
the CML's answer. Who may post them is checked by the views; what only the data can tell
(one pending at a time, answered already) by :mod:`web.attribution.services_declarations`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from web.attribution.models import AttributionMode, DeclarationStatus
from web.attribution.services_declarations import ANSWERS

__all__ = ["DeclarationForm", "ReviewForm"]

# A week has 168 hours; more outside the office than that is a typing error.
_MAX_HOURS = Decimal(168)


def _hours(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_value=_MAX_HOURS,
        max_digits=5,
        decimal_places=1,
        initial=Decimal(0),
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0"}),
    )


class DeclarationForm(forms.Form):
    """A physician's declaration: mode, participation, weekly hours outside the office."""

    mode = forms.ChoiceField(
        label=gettext_lazy("Mode"), choices=AttributionMode.choices, widget=forms.RadioSelect
    )
    patients_offered = forms.IntegerField(
        label=gettext_lazy("Patients I offer to take in the period"),
        required=False,
        min_value=1,
        help_text=gettext_lazy(
            "Once the CML accepts it, the runs set your target to your registered "
            "patients plus this number. Leave empty to take the procedure's target."
        ),
    )
    hospital_hours = _hours(gettext_lazy("Hospital hours a week"))
    emergency_hours = _hours(gettext_lazy("Emergency hours a week"))
    teaching_hours = _hours(gettext_lazy("Teaching hours a week"))
    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Required when you declare hours outside the office: where, what, since when."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == AttributionMode.NONE and data.get("patients_offered"):
            self.add_error(
                "patients_offered",
                gettext_lazy("A physician not participating offers no patient."),
            )
        hours = sum(
            (data.get(name) or Decimal(0))
            for name in ("hospital_hours", "emergency_hours", "teaching_hours")
        )
        if hours > _MAX_HOURS:
            self.add_error(None, gettext_lazy("A week has 168 hours."))
        if hours > 0 and not (data.get("justification") or "").strip():
            self.add_error(
                "justification",
                gettext_lazy("Justify the hours you declare outside the office."),
            )
        return data

    def total_hours(self) -> Decimal:
        """The weekly hours outside the office of a valid form."""
        return sum(
            (
                self.cleaned_data[name]
                for name in ("hospital_hours", "emergency_hours", "teaching_hours")
            ),
            Decimal(0),
        )


class ReviewForm(forms.Form):
    """The CML's answer to a declaration; a comment is required unless it is accepted."""

    status = forms.ChoiceField(
        label=gettext_lazy("Answer"),
        choices=[(value, DeclarationStatus(value).label) for value in ANSWERS],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment to the physician"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        status = data.get("status")
        if status and status != DeclarationStatus.ACCEPTED and not data.get("comment", "").strip():
            self.add_error(
                "comment",
                gettext_lazy("Say in a comment what is missing or why it is refused."),
            )
        return data
