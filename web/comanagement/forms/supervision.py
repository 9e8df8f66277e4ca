"""The forms of clinical supervision: a plan and a session. Input shape only; the rules
(a plan inside the placement, one plan in force, a session under its plan) are the
services' (:mod:`web.comanagement.services.supervision`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from web.comanagement.models import SupervisionForm, SupervisionUnit
from web.forms import DateInput

__all__ = ["SupervisionPlanForm", "SupervisionSessionForm"]


def _date(testid: str) -> forms.DateInput:
    return DateInput(attrs={"data-testid": testid})


class SupervisionPlanForm(forms.Form):
    """The supervision modalities of a professional (the seed: frequency, site, form,
    length), from a day."""

    start = forms.DateField(label=_("In force from"), widget=_date("plan-start"))
    every = forms.IntegerField(
        label=_("Interval between sessions"),
        min_value=1,
        max_value=52,
        widget=forms.NumberInput(attrs={"data-testid": "plan-every"}),
    )
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=SupervisionUnit.choices,
        widget=forms.Select(attrs={"data-testid": "plan-unit"}),
    )
    form = forms.ChoiceField(
        label=_("Form"),
        choices=SupervisionForm.choices,
        widget=forms.Select(attrs={"data-testid": "plan-form"}),
    )
    length_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=1,
        max_value=600,
        widget=forms.NumberInput(attrs={"data-testid": "plan-length"}),
    )
    site = forms.CharField(
        label=_("Site"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"data-testid": "plan-site"}),
    )
    supervisor_name = forms.CharField(
        label=_("Clinical supervisor"),
        max_length=200,
        widget=forms.TextInput(attrs={"data-testid": "plan-supervisor"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("start", timezone.localdate())


class SupervisionSessionForm(forms.Form):
    """A supervision session held."""

    held_on = forms.DateField(label=_("Held on"), widget=_date("session-held-on"))
    length_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=1,
        max_value=600,
        widget=forms.NumberInput(attrs={"data-testid": "session-length"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        help_text=_("No clinical detail about patients."),
        widget=forms.Textarea(attrs={"rows": 3, "data-testid": "session-note"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("held_on", timezone.localdate())
