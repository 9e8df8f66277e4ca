"""The forms of training: a need, a request, a decision, an attendance. Input shape only;
the domain's rules (a placement in force, a request decided once, only an approved
training attended) are the services' (:mod:`web.comanagement.services.training`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from web.comanagement.models import Placement, TrainingBasis, TrainingNeed
from web.forms import DateInput

__all__ = [
    "TrainingAttendanceForm",
    "TrainingDecisionForm",
    "TrainingNeedForm",
    "TrainingRequestForm",
]


def _date(testid: str) -> forms.DateInput:
    return DateInput(attrs={"data-testid": testid})


class PlacementChoiceField(forms.ModelChoiceField):
    """A professional placed in the GMF, by name (with the placement's start)."""

    def label_from_instance(self, obj: Placement) -> str:
        return str(
            _("%(name)s (from %(start)s)")
            % {"name": obj.professional.name, "start": date_format(obj.start, "SHORT_DATE_FORMAT")}
        )


class NeedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TrainingNeed) -> str:
        text = obj.description if len(obj.description) <= 80 else obj.description[:79] + "…"
        return f"{date_format(obj.identified_on, 'SHORT_DATE_FORMAT')} — {text}"


class TrainingNeedForm(forms.Form):
    """A training need of the GMF's team or of one of its professionals."""

    placement = PlacementChoiceField(
        label=_("Professional"),
        queryset=Placement.objects.none(),
        required=False,
        empty_label=_("The GMF's team"),
        widget=forms.Select(attrs={"data-testid": "need-placement"}),
    )
    basis = forms.ChoiceField(
        label=_("Tied to"),
        choices=TrainingBasis.choices,
        widget=forms.Select(attrs={"data-testid": "need-basis"}),
    )
    description = forms.CharField(
        label=_("Need"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "data-testid": "need-description"}),
    )
    identified_on = forms.DateField(label=_("Identified on"), widget=_date("need-identified-on"))

    def __init__(self, *args: Any, placements: QuerySet[Placement], side: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["placement"].queryset = placements  # type: ignore[attr-defined]
        # The seed: the GMF identifies the needs tied to its roles, the CISSS/CIUSSS those
        # tied to its quality standards.
        self.initial.setdefault(
            "basis", TrainingBasis.FMG_ROLE if side == "gmf" else TrainingBasis.QUALITY_STANDARD
        )
        self.initial.setdefault("identified_on", timezone.localdate())


class TrainingRequestForm(forms.Form):
    """The GMF's request for a professional's training."""

    placement = PlacementChoiceField(
        label=_("Professional"),
        queryset=Placement.objects.none(),
        widget=forms.Select(attrs={"data-testid": "request-placement"}),
    )
    need = NeedChoiceField(
        label=_("Need it answers"),
        queryset=TrainingNeed.objects.none(),
        required=False,
        empty_label="—",
        widget=forms.Select(attrs={"data-testid": "request-need"}),
    )
    title = forms.CharField(
        label=_("Training"),
        max_length=200,
        widget=forms.TextInput(attrs={"data-testid": "request-title"}),
    )
    provider = forms.CharField(
        label=_("Given by"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"data-testid": "request-provider"}),
    )
    starts_on = forms.DateField(
        label=_("Starts on"), required=False, widget=_date("request-starts-on")
    )
    external = forms.BooleanField(
        label=_("External training (given outside the CISSS/CIUSSS)"),
        required=False,
        widget=forms.CheckboxInput(attrs={"data-testid": "request-external"}),
    )
    in_ciusss_programme = forms.BooleanField(
        label=_("In the CISSS/CIUSSS training programme"),
        required=False,
        initial=True,
        help_text=_("A training outside the programme is paid by the GMF."),
        widget=forms.CheckboxInput(attrs={"data-testid": "request-in-programme"}),
    )
    cost = forms.DecimalField(
        label=_("Cost ($)"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text=_("0 for a free training; empty when not known yet."),
        widget=forms.NumberInput(attrs={"step": "0.01", "data-testid": "request-cost"}),
    )
    submitted_on = forms.DateField(label=_("Submitted on"), widget=_date("request-submitted-on"))

    def __init__(
        self,
        *args: Any,
        placements: QuerySet[Placement],
        needs: QuerySet[TrainingNeed],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["placement"].queryset = placements  # type: ignore[attr-defined]
        self.fields["need"].queryset = needs  # type: ignore[attr-defined]
        self.initial.setdefault("submitted_on", timezone.localdate())


class TrainingDecisionForm(forms.Form):
    """The CISSS/CIUSSS's decision on a request."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approved", _("Approve")), ("refused", _("Refuse"))],
        widget=forms.RadioSelect(attrs={"data-testid": "decision"}),
    )
    note = forms.CharField(
        label=_("Note on the decision"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "data-testid": "decision-note"}),
    )
    on = forms.DateField(label=_("Decided on"), widget=_date("decision-on"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("on", timezone.localdate())


class TrainingAttendanceForm(forms.Form):
    """A training attended, for the employee's file."""

    attended_on = forms.DateField(label=_("Attended on"), widget=_date("attendance-on"))
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=Decimal("0.1"),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "data-testid": "attendance-hours"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("attended_on", timezone.localdate())
