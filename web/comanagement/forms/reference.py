"""The forms of the reference data: a new version of a level table or of agreement rules.
Input shape only; the text is checked by the core in the services
(:mod:`web.comanagement.services.reference`), whose refusal the view shows on ``text``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from web.forms import DateInput

__all__ = ["AgreementRulesForm", "LevelTableForm"]


class LevelTableForm(forms.Form):
    """A new version of the region's level table and weights, as TOML."""

    text = forms.CharField(
        label=pgettext_lazy("comanagement reference", "Level table and weights (TOML)"),
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 30, "cols": 100, "spellcheck": "false", "data-testid": "reference-text"}
        ),
        help_text=_(
            "The version in force is shown; change it and publish it as a new version. "
            "Keep « illustrative = true » while the values are not the programme's."
        ),
    )
    in_force_from = forms.DateField(
        label=pgettext_lazy("comanagement reference", "In force from"),
        widget=DateInput(attrs={"data-testid": "reference-in-force-from"}),
    )
    note = forms.CharField(
        label=pgettext_lazy("comanagement reference", "Note (what changes, the source)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 100}),
    )


class AgreementRulesForm(LevelTableForm):
    """A new version of an establishment's agreement rules (TOML) and its three delays."""

    training_decide_within_days = forms.IntegerField(
        label=pgettext_lazy("comanagement reference", "Days to decide a training request"),
        min_value=1,
        max_value=365,
    )
    attendance_approve_within_days = forms.IntegerField(
        label=pgettext_lazy("comanagement reference", "Days to approve an attendance record"),
        min_value=1,
        max_value=365,
    )
    integration_due_days = forms.IntegerField(
        label=pgettext_lazy("comanagement reference", "Days to complete an integration item"),
        min_value=1,
        max_value=365,
    )

    def __init__(self, *args: Any, code: str, **kwargs: Any) -> None:
        """``code``: the establishment's, the key of its own table in the text."""
        super().__init__(*args, **kwargs)
        text = self.fields["text"]
        text.label = pgettext_lazy("comanagement reference", "Agreement rules (TOML)")
        text.help_text = _(
            "The version in force is shown; change it and publish it as a new version. The "
            "text holds the establishment's own table « [establishments.%(code)s] ». It is "
            "illustrative while a comment marks a value ILLUSTRATIVE, unless it says "
            "« illustrative = false »."
        ) % {"code": code}
