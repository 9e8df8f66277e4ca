"""Presence of a placed professional, as the pages read it: planned against actual days
per month, an absence's replacement rule, a schedule's weeks and its check against the
rules in force (docs/comanagement-plan.md §4, the placement page's "presence").

**Planned and actual days of a month** (:func:`presence_by_month`), day by day over the
days of the month inside the placement (and up to ``until``):

* The schedule in force on a day is, among the placement's schedules that were validated
  (``decided_on`` set and status validated, or withdrawn after their validation by the
  schedule that replaced them), the one with the latest ``first_day`` on or before the
  day (the later decision on a tie). It repeats as a cycle from its first day, as the
  core reads it (docs/comanagement-schedules.md): day ``d`` is its day
  ``first_day + (d - first_day) mod (7 × weeks)``.
* A day is **planned** when that day of the schedule is a work day. Leave days (a holiday
  taken, vacation) and rest days are not. A day with no schedule in force is not planned
  and is counted in ``unscheduled_days``.
* A planned day is **absent** when it falls in one of the placement's absences
  (``[start, end)``, an absence without ``end`` lasting to ``until``).
* A day's **actual** presence is 1 for a planned day not absent, else 0; except on the
  days of an *approved* attendance record, where the record's ``worked_days`` replace
  that count, spread evenly over the record's planned days (over its calendar days when
  the schedules plan none). Submitted records not yet approved do not count.

A month's figures are the sums of its days; ``approved`` says that each of its days
inside the placement is covered by an approved record.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import altair as alt
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from panelcare.comanagement import obligations
from panelcare.comanagement import schedules as core
from web.attribution.charts import localised
from web.comanagement import records, refusals
from web.comanagement.errors import RecordRefused
from web.comanagement.models import Absence, AttendanceRecord, Placement, Schedule

__all__ = [
    "PresenceMonth",
    "ReplacementStatus",
    "ScheduleCheck",
    "ScheduleWeek",
    "core_absence",
    "presence_by_month",
    "presence_chart",
    "replacement_status",
    "schedule_check",
    "schedule_weeks",
]

_TENTH = Decimal("0.1")


# --------------------------------------------------------------------------- absences


def core_absence(absence: Absence) -> obligations.Absence:
    """The core's :class:`~panelcare.comanagement.obligations.Absence` of a stored one
    (:func:`web.comanagement.records.absences`, the one module that builds them)."""
    (fact,) = records.absences(Absence.objects.filter(pk=absence.pk))
    return fact


@dataclass(frozen=True)
class ReplacementStatus:
    """The 4-week rule applied to one absence on a day (Programme GMF s. 7.3.1, the core's
    :func:`~panelcare.comanagement.obligations.needs_replacement`).

    ``required_from``: the first day a replacement is required should the absence last
    over 4 weeks (its first day if foreseeable, else its fifth week's); ``required``:
    whether, as known on ``on``, it lasts over 4 weeks; ``replaced``: a replacement is in
    force on ``on``; ``late``: required, ``on`` is past ``required_from`` and the absence
    not over, and no replacement is in force.
    """

    required_from: datetime.date
    required: bool
    replaced: bool
    late: bool


def replacement_status(absence: Absence, on: datetime.date) -> ReplacementStatus:
    fact = core_absence(absence)
    required_from = obligations.replacement_required_from(fact)
    required = obligations.needs_replacement(fact, on)
    replaced = any(
        r.start <= on and (r.end is None or on < r.end) for r in absence.replacements.all()
    )
    ongoing = absence.end is None or on < absence.end
    late = required and ongoing and on >= required_from and not replaced
    return ReplacementStatus(required_from, required, replaced, late)


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class ScheduleWeek:
    """One week of a schedule: its first day, the hours of work (meal breaks out), the
    days of work and of paid leave."""

    first_day: datetime.date
    worked_hours: Decimal
    work_days: int
    leave_days: int


def schedule_weeks(schedule: core.Schedule) -> list[ScheduleWeek]:
    by_day = {entry.day: entry for entry in schedule.days}
    weeks = []
    for number in range(schedule.weeks):
        start = schedule.first_day + datetime.timedelta(weeks=number)
        entries = [
            by_day[d] for d in (start + datetime.timedelta(days=i) for i in range(7)) if d in by_day
        ]
        minutes = sum(e.worked_minutes for e in entries if isinstance(e, core.WorkDay))
        weeks.append(
            ScheduleWeek(
                first_day=start,
                worked_hours=(Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize(),
                work_days=sum(1 for e in entries if isinstance(e, core.WorkDay)),
                leave_days=sum(1 for e in entries if isinstance(e, core.LeaveDay)),
            )
        )
    return weeks


@dataclass(frozen=True)
class ScheduleCheck:
    """A schedule read against the agreement rules in force on a day: ``sentences`` the
    rules it breaks (empty: it meets them), ``problem`` why it cannot be checked (no
    rules in force ...), ``weekly_hours`` the job title's regular week, and
    ``over_fte`` the weeks planned above FTE × the regular week (docs/comanagement-plan.md
    §7, point 8: a warning, no refusal)."""

    version: Any
    sentences: list[str]
    problem: str
    weekly_hours: Decimal | None
    fte_hours: Decimal | None
    over_fte: list[ScheduleWeek]


def schedule_check(schedule: Schedule, on: datetime.date) -> ScheduleCheck:
    from web.comanagement.services.presence import core_schedule, schedule_rules

    weeks = schedule_weeks(core_schedule(schedule))
    try:
        version, rules = schedule_rules(schedule.placement, on)
    except RecordRefused as error:
        return ScheduleCheck(None, [], str(error), None, None, [])
    fte_hours = (rules.weekly_hours * schedule.placement.fte).quantize(Decimal("0.01"))
    over = [w for w in weeks if w.worked_hours > fte_hours] if schedule.placement.fte < 1 else []
    try:
        broken = core.validate(core_schedule(schedule), rules, on=on)
    except core.ScheduleError:
        return ScheduleCheck(
            version,
            [],
            _("The agreement rules in force do not fit this schedule's weeks."),
            rules.weekly_hours,
            fte_hours,
            over,
        )
    return ScheduleCheck(
        version, refusals.sentences(broken), "", rules.weekly_hours, fte_hours, over
    )


# --------------------------------------------------------------------------- presence


@dataclass(frozen=True)
class PresenceMonth:
    """A month's presence (see the module's docstring for each figure)."""

    month: datetime.date
    planned_days: int
    absent_days: int
    actual_days: Decimal
    unscheduled_days: int
    approved: bool


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _planned_days(
    placement: Placement, first: datetime.date, last: datetime.date
) -> dict[datetime.date, bool | None]:
    """Each day of ``[first, last]``: planned (True), not (False), no schedule (None)."""
    validated = list(
        placement.schedules.filter(decided_on__isnull=False, status__in=["validated", "withdrawn"])
        .order_by("first_day", "decided_on", "pk")
        .prefetch_related("days")
    )
    patterns = [
        (s.first_day, 7 * s.weeks, {d.day for d in s.days.all() if d.kind == "work"})
        for s in validated
    ]
    result: dict[datetime.date, bool | None] = {}
    day = first
    while day <= last:
        in_force = None
        for pattern in patterns:  # sorted: the last one starting on or before wins
            if pattern[0] <= day:
                in_force = pattern
        if in_force is None:
            result[day] = None
        else:
            start, length, work = in_force
            result[day] = start + datetime.timedelta(days=(day - start).days % length) in work
        day += datetime.timedelta(days=1)
    return result


def presence_by_month(placement: Placement, *, until: datetime.date) -> list[PresenceMonth]:
    """The placement's planned and actual days for each month from its first day to
    ``until`` (included; the placement's last day if it ended before), oldest first.
    Empty when the placement starts after ``until``."""
    first = placement.start
    last = until
    if placement.end is not None:
        last = min(last, placement.end - datetime.timedelta(days=1))
    if last < first:
        return []
    records = list(
        AttendanceRecord.objects.filter(
            placement=placement, approved_on__isnull=False, start__lte=last, end__gt=first
        )
    )
    # The planned days of the records' whole periods too, to spread each record's days.
    span_first = min([first, *(r.start for r in records)])
    span_last = max([last, *(r.end - datetime.timedelta(days=1) for r in records)])
    planned_span = _planned_days(placement, span_first, span_last)
    planned = {day: value for day, value in planned_span.items() if first <= day <= last}
    absences = list(
        Absence.objects.filter(placement=placement, start__lte=last).filter(
            Q(end__isnull=True) | Q(end__gt=first)
        )
    )

    def absent(day: datetime.date) -> bool:
        return any(a.start <= day and (a.end is None or day < a.end) for a in absences)

    # Approved attendance: each record's worked days spread over its planned days.
    from_records: dict[datetime.date, Decimal] = {}
    for record in records:
        days = [
            record.start + datetime.timedelta(days=i)
            for i in range((record.end - record.start).days)
        ]
        spread = [d for d in days if planned_span.get(d)] or days
        share = Decimal(record.worked_days) / len(spread)
        for d in days:
            if first <= d <= last:
                from_records[d] = share if d in spread else Decimal(0)

    months: dict[datetime.date, dict[str, Any]] = defaultdict(
        lambda: {
            "planned": 0,
            "absent": 0,
            "actual": Decimal(0),
            "unscheduled": 0,
            "covered": True,
        }
    )
    for day, is_planned in planned.items():
        row = months[_month_start(day)]
        row["planned"] += 1 if is_planned else 0
        row["unscheduled"] += 1 if is_planned is None else 0
        is_absent = bool(is_planned) and absent(day)
        row["absent"] += 1 if is_absent else 0
        if day in from_records:
            row["actual"] += from_records[day]
        else:
            row["covered"] = False
            row["actual"] += 1 if is_planned and not is_absent else 0
    return [
        PresenceMonth(
            month=month,
            planned_days=row["planned"],
            absent_days=row["absent"],
            actual_days=row["actual"].quantize(_TENTH),
            unscheduled_days=row["unscheduled"],
            approved=row["covered"],
        )
        for month, row in sorted(months.items())
    ]


def presence_chart(rows: list[PresenceMonth]) -> dict[str, Any]:
    """A Vega-Lite spec (Altair): for each month, the planned days and the actual days as
    two bars side by side, as web.assiduity.charts builds its specs (named data added
    after Altair's check, no ``$schema``, the reader's number format)."""
    planned, actual, month, days = (
        _("Days planned"),
        _("Days of actual presence"),
        _("Month"),
        _("Days"),
    )
    values = []
    for order, row in enumerate(rows):
        label = date_format(row.month, "YEAR_MONTH_FORMAT")
        values.append({"order": order, "month": label, "series": planned, "days": row.planned_days})
        values.append(
            {"order": order, "month": label, "series": actual, "days": float(row.actual_days)}
        )
    chart = (
        alt.Chart(alt.NamedData(name="presence"))
        .mark_bar()
        .encode(
            x=alt.X(
                "month:N",
                title=None,
                sort=alt.EncodingSortField("order"),
                axis=alt.Axis(labelAngle=-35),
            ),
            xOffset=alt.XOffset("series:N", sort=[planned, actual]),
            y=alt.Y("days:Q", title=days, axis=alt.Axis(format="~f", tickMinStep=1)),
            color=alt.Color(
                "series:N",
                title=None,
                sort=[planned, actual],
                scale=alt.Scale(domain=[planned, actual], range=["#9aa7b4", "#0b5a8c"]),
            ),
            tooltip=[
                alt.Tooltip("month:N", title=month),
                alt.Tooltip("series:N", title=" "),
                alt.Tooltip("days:Q", title=days, format=".1f"),
            ],
        )
        .properties(width="container", height=220)
    )
    spec = chart.to_dict()
    spec.pop("$schema", None)  # a URL, even if never fetched: none leaves the server
    spec["datasets"] = {"presence": values}
    return localised(spec)
