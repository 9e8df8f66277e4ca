"""The forms of the presence pages (absences, replacements, schedules, attendance): input
shape and field-level checks only. Who may post them is the views' (through
:mod:`web.accounts.access`); the domain's and the agreement's rules are the services'
(:mod:`web.comanagement.services.presence`)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from panelcare.comanagement.schedules import Break, LeaveDay, WorkDay
from web.comanagement.models import AbsenceReason, Professional, Schedule
from web.forms import DateInput

__all__ = [
    "AbsenceChangeForm",
    "AbsenceForm",
    "AttendanceForm",
    "RefuseScheduleForm",
    "ReplacementForm",
    "ScheduleForm",
    "SchedulePeriodForm",
]

MAX_WEEKS = 8


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class AbsenceForm(forms.Form):
    """The GMF informs of an absence: from when, until when if known, foreseeable, why
    (no medical detail)."""

    start = forms.DateField(label=_("First day absent"), widget=DateInput())
    end = forms.DateField(
        label=_("Day back"),
        required=False,
        widget=DateInput(),
        help_text=_("The day the professional is back; leave empty while it is not known."),
    )
    foreseeable = forms.BooleanField(
        label=_("Foreseeable absence"),
        required=False,
        help_text=_(
            "Known in advance (a planned leave). A foreseeable absence of over 4 weeks is "
            "replaced from its first day; a sudden one from its fifth week."
        ),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=AbsenceReason.choices,
        help_text=_("No medical detail: the reason only."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AbsenceChangeForm(forms.Form):
    """The GMF changes what it knows of an absence: its day back, foreseeable or not."""

    end = forms.DateField(
        label=_("Day back"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty while it is not known."),
    )
    foreseeable = forms.BooleanField(label=_("Foreseeable absence"), required=False)


class ReplacementForm(forms.Form):
    """The CISSS/CIUSSS names who replaces an absent professional, and when."""

    replaced_by = forms.ModelChoiceField(
        label=_("Replaced by"),
        queryset=Professional.objects.none(),
        required=False,
        empty_label=_("(a person not in the list)"),
    )
    replaced_by_name = forms.CharField(
        label=_("Or the replacement's name"), required=False, max_length=200
    )
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(
        label=_("Until (excluded)"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty: until the absence ends."),
    )

    def __init__(self, *args: Any, professionals: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replaced_by"].queryset = professionals  # type: ignore[attr-defined]


class SchedulePeriodForm(forms.Form):
    """The weeks a proposed schedule covers (the grid is drawn for them)."""

    first_day = forms.DateField(
        label=_("First day"),
        widget=DateInput(),
        help_text=_("The first day of a week under the agreement rules (a Sunday in the demo)."),
    )
    weeks = forms.IntegerField(
        label=_("Weeks"),
        min_value=1,
        max_value=MAX_WEEKS,
        initial=1,
        help_text=_("The schedule is a cycle of these weeks, repeated."),
    )


DAY_KINDS = [
    ("rest", _("Rest")),
    ("work", _("Work")),
    ("holiday", _("Statutory holiday")),
    ("vacation", _("Vacation")),
]


class ScheduleForm(forms.Form):
    """A week grid: for each day of the weeks from ``first_day``, rest, work (start, end,
    a meal break's start and end, a worked holiday) or a day of leave (statutory holiday,
    vacation). :meth:`entries` gives the core's days."""

    first_day = forms.DateField(widget=forms.HiddenInput())
    weeks = forms.IntegerField(widget=forms.HiddenInput(), min_value=1, max_value=MAX_WEEKS)
    vacation_days_available = forms.DecimalField(
        label=_("Vacation days available"),
        required=False,
        min_value=Decimal(0),
        max_digits=5,
        decimal_places=2,
        help_text=_("The days the professional still has this reference year, if known."),
    )

    def __init__(
        self,
        *args: Any,
        first_day: datetime.date,
        weeks: int,
        replaces: Schedule | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.first_day = first_day
        self.weeks = weeks
        self.initial.setdefault("first_day", first_day)
        self.initial.setdefault("weeks", weeks)
        self.days = [first_day + datetime.timedelta(days=i) for i in range(7 * weeks)]
        earlier = _by_offset(replaces) if replaces is not None else {}
        if replaces is not None and replaces.vacation_days_available is not None:
            self.initial.setdefault("vacation_days_available", replaces.vacation_days_available)
        for index, day in enumerate(self.days):
            name = date_format(day, "l j F")
            self.fields[f"d{index}_kind"] = forms.ChoiceField(
                label=name, choices=DAY_KINDS, initial="rest"
            )
            for part, label in (
                ("start", _("Start")),
                ("end", _("End")),
                ("meal_start", _("Meal break from")),
                ("meal_end", _("Meal break to")),
            ):
                self.fields[f"d{index}_{part}"] = forms.TimeField(
                    label=f"{name} — {label}", required=False, widget=TimeInput()
                )
            self.fields[f"d{index}_holiday_worked"] = forms.BooleanField(
                label=_("Holiday worked"), required=False
            )
            if index in earlier:
                for key, value in earlier[index].items():
                    self.initial.setdefault(f"d{index}_{key}", value)

    def rows(self) -> list[dict[str, Any]]:
        """The grid's rows, one a day, each with its bound fields (for the template)."""
        return [
            {
                "day": day,
                "new_week": index % 7 == 0,
                "kind": self[f"d{index}_kind"],
                "start": self[f"d{index}_start"],
                "end": self[f"d{index}_end"],
                "meal_start": self[f"d{index}_meal_start"],
                "meal_end": self[f"d{index}_meal_end"],
                "holiday_worked": self[f"d{index}_holiday_worked"],
            }
            for index, day in enumerate(self.days)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for index in range(len(self.days)):
            if data.get(f"d{index}_kind") != "work":
                continue
            start, end = data.get(f"d{index}_start"), data.get(f"d{index}_end")
            if start is None or end is None:
                self.add_error(f"d{index}_start", _("A work day has a start and an end."))
            meal = data.get(f"d{index}_meal_start"), data.get(f"d{index}_meal_end")
            if (meal[0] is None) != (meal[1] is None):
                self.add_error(
                    f"d{index}_meal_start", _("Give the meal break's start and its end.")
                )
        return data

    def entries(self) -> list[WorkDay | LeaveDay]:
        """The core's entries of the days given (rest days are left out)."""
        data = self.cleaned_data
        entries: list[WorkDay | LeaveDay] = []
        for index, day in enumerate(self.days):
            kind = data.get(f"d{index}_kind")
            if kind == "work":
                meal_start, meal_end = (
                    data.get(f"d{index}_meal_start"),
                    data.get(f"d{index}_meal_end"),
                )
                breaks = (Break(meal_start, meal_end),) if meal_start and meal_end else ()
                entries.append(
                    WorkDay(
                        day,
                        data[f"d{index}_start"],
                        data[f"d{index}_end"],
                        breaks,
                        holiday_worked=bool(data.get(f"d{index}_holiday_worked")),
                    )
                )
            elif kind in ("holiday", "vacation"):
                entries.append(LeaveDay(day, kind))
        return entries


def _by_offset(schedule: Schedule) -> dict[int, dict[str, Any]]:
    """The days of an earlier schedule by their place in its cycle, to fill the grid of
    the schedule that changes it."""
    length = 7 * schedule.weeks
    values: dict[int, dict[str, Any]] = {}
    for day in schedule.days.prefetch_related("breaks"):
        offset = (day.day - schedule.first_day).days % length
        row: dict[str, Any] = {"kind": day.kind}
        if day.kind == "work":
            row.update(start=day.start, end=day.end, holiday_worked=day.holiday_worked)
            meal = next((b for b in day.breaks.all() if b.meal), None)
            if meal is not None:
                row.update(meal_start=meal.start, meal_end=meal.end)
        values[offset] = row
    return values


class RefuseScheduleForm(forms.Form):
    """The CISSS/CIUSSS refuses a proposed schedule, with a note."""

    note = forms.CharField(
        label=_("Note to the GMF"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The rules the schedule breaks are kept with the refusal; say here anything "
            "else the GMF should change."
        ),
    )


class AttendanceForm(forms.Form):
    """The GMF submits the days worked in a period against those planned."""

    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To (excluded)"), widget=DateInput())
    planned_days = forms.DecimalField(
        label=_("Days planned"), min_value=Decimal(0), max_digits=4, decimal_places=1
    )
    worked_days = forms.DecimalField(
        label=_("Days worked"), min_value=Decimal(0), max_digits=4, decimal_places=1
    )
