"""Forms of the performance pages: a target, a strategy, a follow-up meeting, a decision,
and a statistics file. The services check the domain again (a view passes the cleaned
data through them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from web.comanagement.models import (
    INDICATORS,
    FollowUpMeeting,
    Indicator,
    MeetingDecision,
    Placement,
    Side,
    StrategyStatus,
    Target,
)
from web.forms import DateInput
from web.regions.models import Gmf

DATE = DateInput()


class PlacementChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.professional.name


class TargetChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        who = obj.placement.professional.name if obj.placement_id else _("the whole GMF")
        return f"{obj.get_indicator_display()} — {who} — {formats.number_format(obj.value)}"


class TargetForm(forms.Form):
    placement = PlacementChoice(
        queryset=Placement.objects.none(),
        required=False,
        empty_label=_("The whole GMF"),
        label=_("Professional"),
    )
    indicator = forms.ChoiceField(label=_("Indicator"), choices=Indicator.choices)
    value = forms.DecimalField(
        label=_("Monthly target"), min_value=0, max_digits=8, decimal_places=2
    )
    start = forms.DateField(
        label=_("From (the first day of a month)"), widget=DATE, input_formats=["%Y-%m-%d"]
    )

    def __init__(self, gmf: Gmf, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["placement"].queryset = (
            Placement.objects.filter(gmf=gmf)
            .filter(Q(end__isnull=True) | Q(end__gt=today))
            .select_related("professional")
            .order_by("professional__name")
        )

    def clean_start(self) -> Any:
        start = self.cleaned_data["start"]
        if start.day != 1:
            raise forms.ValidationError(_("A target starts on the first day of a month."))
        return start

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        indicator = data.get("indicator")
        if indicator and data.get("placement") is None and not INDICATORS[indicator]["summable"]:
            self.add_error(
                "placement",
                _(
                    "A target for the whole GMF is only possible for the patients seen and "
                    "the interventions: the delay of access is a professional's."
                ),
            )
        return data


class StrategyForm(forms.Form):
    target = TargetChoice(
        queryset=Target.objects.none(),
        required=False,
        empty_label=_("The GMF's performance in general"),
        label=_("Target"),
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    carried_by = forms.ChoiceField(label=_("Carried by"), choices=Side.choices)
    start = forms.DateField(label=_("Start"), widget=DATE, input_formats=["%Y-%m-%d"])
    status = forms.ChoiceField(label=_("Status"), choices=StrategyStatus.choices)

    def __init__(self, gmf: Gmf, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            Target.objects.filter(gmf=gmf, end__isnull=True)
            .select_related("placement__professional")
            .order_by("indicator", "-start")
        )


class MeetingForm(forms.ModelForm):
    class Meta:
        model = FollowUpMeeting
        fields = ["held_on", "topic", "attendees", "minutes"]
        widgets = {
            "held_on": DATE,
            "attendees": forms.Textarea(attrs={"rows": 2}),
            "minutes": forms.Textarea(attrs={"rows": 6}),
        }


class DecisionForm(forms.ModelForm):
    class Meta:
        model = MeetingDecision
        fields = ["text", "carried_by", "due_on"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3}), "due_on": DATE}


class StatisticsForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV, XLSX or Parquet)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.parquet"}),
    )
