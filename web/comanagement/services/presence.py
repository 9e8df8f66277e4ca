"""Co-management services: presence (docs/comanagement-plan.md, section 2).

A professional's absences (the GMF informs the CISSS/CIUSSS) and their replacements (the
CISSS/CIUSSS provides them), work schedules (the GMF proposes, the CISSS/CIUSSS validates
them against the collective agreement in force, or refuses them), and attendance records
(the GMF submits the days worked, the CISSS/CIUSSS approves). Sides are decided by the
views (:mod:`web.accounts.access`); each service checks the domain, writes, and records
its :class:`~web.comanagement.models.ComanagementAction` in the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from panelcare.comanagement import schedules as core
from web.comanagement import reference, refusals
from web.comanagement.errors import RecordRefused, ScheduleRefusedByRules
from web.comanagement.models import (
    Absence,
    AttendanceRecord,
    ComanagementAction,
    Placement,
    Professional,
    Replacement,
    Schedule,
    ScheduleBreak,
    ScheduleDay,
)
from web.comanagement.services._common import audit, format_day

__all__ = [
    "core_schedule",
    "do_approve_attendance",
    "do_change_absence",
    "do_propose_schedule",
    "do_record_absence",
    "do_record_replacement",
    "do_refuse_schedule",
    "do_submit_attendance",
    "do_validate_schedule",
    "schedule_rules",
]

# The longest schedule a GMF proposes: a cycle (horaire type) of a few weeks.
MAX_WEEKS = 8


def _check_in_placement(placement: Placement, start: datetime.date) -> None:
    """A record of ``placement`` starting on ``start`` falls in its period."""
    if start < placement.start:
        raise RecordRefused(
            _("%(day)s is before the placement's first day (%(start)s).")
            % {"day": format_day(start), "start": format_day(placement.start)}
        )
    if placement.end is not None and start >= placement.end:
        raise RecordRefused(
            _("The placement ended on %(end)s: nothing is recorded from %(day)s.")
            % {"end": format_day(placement.end), "day": format_day(start)}
        )


def _contiguous(absence: Absence) -> RecordRefused:
    """The refusal of an absence that extends or overlaps ``absence``: back-to-back
    absences are one continuous absence (the 4-week rule counts it whole), so the GMF
    changes the existing one."""
    return RecordRefused(
        _("This absence extends or overlaps the one of %(day)s: change that one instead.")
        % {"day": format_day(absence.start)}
    )


def _check_period(start: datetime.date, end: datetime.date | None) -> None:
    if end is not None and end <= start:
        raise RecordRefused(
            _("The end (%(end)s) must come after the start (%(start)s).")
            % {"end": format_day(end), "start": format_day(start)}
        )


# --------------------------------------------------------------------------- absences


def do_record_absence(
    placement: Placement,
    *,
    start: datetime.date,
    end: datetime.date | None,
    foreseeable: bool,
    reason: str,
    note: str = "",
    reported_on: datetime.date | None = None,
    acting_user: Any,
) -> Absence:
    """Record that the GMF informs the CISSS/CIUSSS of an absence of the placed
    professional, from ``start`` (first day absent) to ``end`` (the day back, excluded;
    ``None`` while unknown). No medical detail: ``reason`` is one of
    :class:`~web.comanagement.models.AbsenceReason`. Records ABSENCE_RECORDED.

    Raises:
        RecordRefused: ``end`` not after ``start``; ``start`` outside the placement; an
            absence of the placement that this one overlaps or touches (starting the day
            it ends, or ending the day it starts): one continuous absence, changed instead.
    """
    _check_period(start, end)
    _check_in_placement(placement, start)
    with transaction.atomic():
        # Lock the placement: two absences recorded at once are checked one after the other.
        Placement.objects.select_for_update().filter(pk=placement.pk).first()
        # Touching counts: an absence ending on ``start`` (its day back) or starting on
        # ``end`` makes one continuous absence with this one.
        touching = Absence.objects.filter(placement=placement).exclude(end__lt=start)
        if end is not None:
            touching = touching.filter(start__lte=end)
        other = touching.order_by("start").first()
        if other is not None:
            raise _contiguous(other)
        absence = Absence.objects.create(
            placement=placement,
            start=start,
            end=end,
            foreseeable=foreseeable,
            reason=reason,
            reported_on=reported_on or timezone.localdate(),
            note=note.strip(),
            recorded_by=acting_user,
        )
        audit(
            ComanagementAction.ABSENCE_RECORDED,
            placement.gmf,
            subject=absence,
            acting_user=acting_user,
            placement=placement.pk,
            start=start.isoformat(),
            end=end.isoformat() if end else None,
            foreseeable=foreseeable,
            reason=reason,
        )
    return absence


def do_change_absence(
    absence: Absence,
    *,
    end: datetime.date | None,
    foreseeable: bool,
    acting_user: Any,
) -> Absence:
    """Change what the GMF knows of an absence: its day back (``end``, ``None`` while
    unknown) and whether it was foreseeable. Records ABSENCE_CHANGED with the values
    before and after.

    Raises:
        RecordRefused: ``end`` not after the absence's first day; an ``end`` (or no end)
            that makes it overlap or touch the placement's next absence.
    """
    with transaction.atomic():
        # Re-read under lock, then check (another change may have come meanwhile).
        absence.refresh_from_db(from_queryset=Absence.objects.select_for_update())
        _check_period(absence.start, end)
        following = (
            Absence.objects.filter(placement_id=absence.placement_id, start__gt=absence.start)
            .order_by("start")
            .first()
        )
        if following is not None and (end is None or end >= following.start):
            raise _contiguous(following)
        before = {
            "end": absence.end.isoformat() if absence.end else None,
            "foreseeable": absence.foreseeable,
        }
        absence.end = end
        absence.foreseeable = foreseeable
        absence.save(update_fields=["end", "foreseeable"])
        audit(
            ComanagementAction.ABSENCE_CHANGED,
            absence.placement.gmf,
            subject=absence,
            acting_user=acting_user,
            placement=absence.placement.pk,
            before=before,
            after={"end": end.isoformat() if end else None, "foreseeable": foreseeable},
        )
    return absence


def do_record_replacement(
    absence: Absence,
    *,
    start: datetime.date,
    end: datetime.date | None = None,
    replaced_by: Professional | None = None,
    replaced_by_name: str = "",
    acting_user: Any,
) -> Replacement:
    """Record who the CISSS/CIUSSS provides to replace an absent professional, from
    ``start`` to ``end`` (excluded; ``None``: until the absence ends): one of its
    professionals (``replaced_by``) or a name. Records REPLACEMENT_RECORDED.

    Raises:
        RecordRefused: no replacement named; a professional of another establishment;
            ``end`` not after ``start``; a start outside the absence.
    """
    name = replaced_by_name.strip()
    if replaced_by is None and not name:
        raise RecordRefused(_("Name the replacement: one of the professionals, or a name."))
    establishment_id = absence.placement.professional.establishment_id
    if replaced_by is not None and replaced_by.establishment_id != establishment_id:
        raise RecordRefused(_("The replacement is a professional of another establishment."))
    _check_period(start, end)
    if start < absence.start or (absence.end is not None and start >= absence.end):
        raise RecordRefused(
            _("The replacement starts on %(day)s, outside the absence.")
            % {"day": format_day(start)}
        )
    with transaction.atomic():
        replacement = Replacement.objects.create(
            absence=absence,
            start=start,
            end=end,
            replaced_by=replaced_by,
            replaced_by_name=name,
            recorded_by=acting_user,
        )
        audit(
            ComanagementAction.REPLACEMENT_RECORDED,
            absence.placement.gmf,
            subject=replacement,
            acting_user=acting_user,
            placement=absence.placement.pk,
            absence=absence.pk,
            start=start.isoformat(),
            end=end.isoformat() if end else None,
            replaced_by=replaced_by.pk if replaced_by else None,
        )
    return replacement


# --------------------------------------------------------------------------- schedules


def schedule_rules(placement: Placement, on: datetime.date) -> tuple[Any, core.ScheduleRules]:
    """The agreement rules version in force on ``on`` in the professional's establishment
    and the core's rules for their job title and agreement.

    Raises:
        RecordRefused: no version in force; the professional's agreement or job title is
            not in it.
    """
    professional = placement.professional
    establishment = professional.establishment
    version = reference.rules_in_force(establishment, on)
    if version is None:
        raise RecordRefused(
            _("%(establishment)s has no agreement rules in force on %(day)s.")
            % {"establishment": establishment.name, "day": format_day(on)}
        )
    try:
        rules = reference.agreement_book(version).rules_for(
            job_title=professional.job_title,
            agreement=professional.agreement,
            establishment=establishment.code,
        )
    except core.AgreementRulesError:
        raise RecordRefused(
            _(
                "The agreement rules in force (version %(number)s) have no rules for this "
                "professional's agreement and job title in %(establishment)s."
            )
            % {"number": version.number, "establishment": establishment.name}
        ) from None
    return version, rules


def core_schedule(schedule: Schedule) -> core.Schedule:
    """The core's :class:`~panelcare.comanagement.schedules.Schedule` of a stored
    schedule: its work days with their breaks, its leave days."""
    entries: list[core.WorkDay | core.LeaveDay] = []
    for day in schedule.days.prefetch_related("breaks").order_by("day"):
        if day.kind == "work":
            entries.append(
                core.WorkDay(
                    day=day.day,
                    start=day.start,
                    end=day.end,
                    breaks=tuple(
                        core.Break(start=b.start, end=b.end, meal=b.meal) for b in day.breaks.all()
                    ),
                    holiday_worked=day.holiday_worked,
                )
            )
        else:
            entries.append(core.LeaveDay(day=day.day, kind=day.kind, hours=day.hours))
    return core.Schedule(
        first_day=schedule.first_day,
        weeks=schedule.weeks,
        days=tuple(entries),
        vacation_days_available=schedule.vacation_days_available,
    )


def _check_days(
    first_day: datetime.date, weeks: int, days: Sequence[core.WorkDay | core.LeaveDay]
) -> None:
    """The shape of a proposed schedule, said in French (the core's ScheduleError is
    English and is kept as the last safety net)."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise RecordRefused(_("A schedule covers 1 to %(max)s weeks.") % {"max": MAX_WEEKS})
    last = first_day + datetime.timedelta(days=7 * weeks - 1)
    seen: set[datetime.date] = set()
    for entry in days:
        when = format_day(entry.day)
        if entry.day in seen:
            raise RecordRefused(_("%(day)s is given twice.") % {"day": when})
        seen.add(entry.day)
        if not first_day <= entry.day <= last:
            raise RecordRefused(_("%(day)s is outside the schedule's weeks.") % {"day": when})
        if isinstance(entry, core.LeaveDay):
            continue
        if entry.end <= entry.start:
            # No night shift in a GMF (docs/comanagement-plan.md §7, point 9).
            raise RecordRefused(
                _("%(day)s: the day ends before it starts; a work day may not end after midnight.")
                % {"day": when}
            )
        previous_end = entry.start
        for pause in sorted(entry.breaks, key=lambda b: b.start):
            if pause.end <= pause.start:
                raise RecordRefused(
                    _("%(day)s: the meal break ends before it starts.") % {"day": when}
                )
            if pause.start < previous_end or pause.end > entry.end:
                raise RecordRefused(
                    _("%(day)s: the meal break falls outside the work day.") % {"day": when}
                )
            previous_end = pause.end


def do_propose_schedule(
    placement: Placement,
    first_day: datetime.date,
    weeks: int,
    *,
    days: Sequence[core.WorkDay | core.LeaveDay],
    vacation_days_available: Decimal | None = None,
    replaces: Schedule | None = None,
    proposed_on: datetime.date | None = None,
    acting_user: Any,
) -> Schedule:
    """The GMF proposes the professional's work schedule: ``weeks`` whole weeks from
    ``first_day``, read as a cycle that repeats. ``days`` holds the core's entries
    (:class:`~panelcare.comanagement.schedules.WorkDay` with its breaks,
    :class:`~panelcare.comanagement.schedules.LeaveDay` for a holiday or a vacation
    day); a day not given is a rest day. ``replaces``: the earlier schedule of the
    placement this one changes; a proposal still pending is withdrawn at once, a
    validated one when this one is validated. Records SCHEDULE_PROPOSED.

    The rules are checked when the CISSS/CIUSSS decides (:func:`do_validate_schedule`);
    here only the schedule's shape, and its first day against the week of the rules in
    force (when there are any).

    Raises:
        RecordRefused: a shape the core cannot read (a day twice or outside the weeks,
            a day ending before it starts, a break outside its day, a first day that
            does not start a week), a schedule outside the placement, ``replaces`` of
            another placement or already withdrawn or replaced.
    """
    proposed_on = proposed_on or timezone.localdate()
    _check_days(first_day, weeks, days)
    _check_in_placement(placement, first_day)
    if vacation_days_available is not None and vacation_days_available < 0:
        raise RecordRefused(_("The vacation days available cannot be negative."))
    if replaces is not None:
        replaces = Schedule.objects.get(pk=replaces.pk)  # its status as stored now
        if replaces.placement_id != placement.pk:
            raise RecordRefused(_("The schedule replaced is another placement's."))
        if replaces.status == "withdrawn":
            raise RecordRefused(_("The schedule replaced is withdrawn already."))
        pending = replaces.replaced_by.exclude(status__in=["withdrawn", "refused"])
        if pending.exists():
            raise RecordRefused(_("The schedule replaced has a newer proposal already."))
    try:
        _version, rules = schedule_rules(placement, max(first_day, proposed_on))
    except RecordRefused:
        rules = None  # checked again, and refused, when the CISSS/CIUSSS decides
    if rules is not None:
        if first_day.weekday() != rules.week_starts_on:
            raise RecordRefused(
                _("Under the agreement rules in force, a week starts on a %(weekday)s.")
                % {"weekday": date_format(rules.week_start(first_day), "l")}
            )
        try:
            core.validate(
                core.Schedule(first_day, weeks, tuple(days), vacation_days_available),
                rules,
                on=proposed_on,
            )
        except core.ScheduleError:
            counts = " / ".join(str(rule.per_weeks) for rule in rules.rest_days)
            raise RecordRefused(
                _(
                    "The rest rule of the agreement counts blocks of %(weeks)s weeks: "
                    "propose a whole number of them."
                )
                % {"weeks": counts}
            ) from None
    with transaction.atomic():
        schedule = Schedule.objects.create(
            placement=placement,
            first_day=first_day,
            weeks=weeks,
            vacation_days_available=vacation_days_available,
            proposed_on=proposed_on,
            proposed_by=acting_user,
            replaces=replaces,
        )
        for entry in sorted(days, key=lambda e: e.day):
            if isinstance(entry, core.WorkDay):
                day = ScheduleDay.objects.create(
                    schedule=schedule,
                    day=entry.day,
                    kind="work",
                    start=entry.start,
                    end=entry.end,
                    holiday_worked=entry.holiday_worked,
                )
                ScheduleBreak.objects.bulk_create(
                    ScheduleBreak(day=day, start=b.start, end=b.end, meal=b.meal)
                    for b in entry.breaks
                )
            else:
                ScheduleDay.objects.create(
                    schedule=schedule, day=entry.day, kind=entry.kind, hours=entry.hours
                )
        if replaces is not None:
            # Read again: the caller's copy may predate a decision on it.
            replaces = Schedule.objects.select_for_update().get(pk=replaces.pk)
            if replaces.status == "proposed":
                replaces.status = "withdrawn"
                replaces.save(update_fields=["status"])
        audit(
            ComanagementAction.SCHEDULE_PROPOSED,
            placement.gmf,
            subject=schedule,
            acting_user=acting_user,
            placement=placement.pk,
            first_day=first_day.isoformat(),
            weeks=weeks,
            replaces=replaces.pk if replaces else None,
        )
    return schedule


def _check_pending(schedule: Schedule) -> None:
    if schedule.status != "proposed":
        raise RecordRefused(
            _("This schedule is %(status)s: only a proposed schedule is decided.")
            % {"status": schedule.get_status_display().lower()}
        )


def _refusals_on(schedule: Schedule, on: datetime.date) -> tuple[Any, list[core.Refusal]]:
    version, rules = schedule_rules(schedule.placement, on)
    try:
        return version, core.validate(core_schedule(schedule), rules, on=on)
    except core.ScheduleError:
        raise RecordRefused(
            _(
                "The agreement rules in force do not fit this schedule's weeks (its first "
                "day or its number of weeks): the GMF proposes it again."
            )
        ) from None


def do_validate_schedule(schedule: Schedule, on: datetime.date, *, acting_user: Any) -> Schedule:
    """The CISSS/CIUSSS validates a proposed schedule on ``on``: it is checked against the
    agreement rules version in force that day in the professional's establishment, for
    their job title and agreement (``panelcare.comanagement.schedules.validate``). Valid:
    it becomes validated with that version, and the validated schedule it replaces (if
    any) is withdrawn. Records SCHEDULE_VALIDATED.

    Raises:
        ScheduleRefusedByRules: the schedule breaks a rule; ``refusals`` holds the core's
            refusals, and nothing is written.
        RecordRefused: the schedule is not proposed; no rules in force, or none for the
            professional; the rules do not fit the schedule's weeks.
    """
    _check_pending(schedule)
    version, broken = _refusals_on(schedule, on)
    if broken:
        raise ScheduleRefusedByRules(
            _("The schedule breaks the collective agreement: %(rules)s")
            % {"rules": " ".join(s.rstrip(".") + "." for s in refusals.sentences(broken))},
            refusals=broken,
        )
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        _check_pending(schedule)
        schedule.status = "validated"
        schedule.decided_on = on
        schedule.decided_by = acting_user
        schedule.rules_version = version
        schedule.refusals = []
        schedule.save(
            update_fields=["status", "decided_on", "decided_by", "rules_version", "refusals"]
        )
        earlier = schedule.replaces
        if earlier is not None and earlier.status == "validated":
            earlier.status = "withdrawn"
            earlier.save(update_fields=["status"])
        audit(
            ComanagementAction.SCHEDULE_VALIDATED,
            schedule.placement.gmf,
            subject=schedule,
            acting_user=acting_user,
            placement=schedule.placement.pk,
            rules_version=version.number,
            on=on.isoformat(),
        )
    return schedule


def do_refuse_schedule(
    schedule: Schedule,
    note: str,
    *,
    on: datetime.date | None = None,
    acting_user: Any,
) -> Schedule:
    """The CISSS/CIUSSS refuses a proposed schedule on ``on`` (today by default), keeping
    the rules it breaks under the agreement rules in force that day (as data: rule,
    params as text, week, day) and the ``note``. A schedule that meets every rule is
    refused only with a note saying why. Records SCHEDULE_REFUSED.

    Raises:
        RecordRefused: the schedule is not proposed; no note while no rule is broken;
            no rules in force, or none for the professional.
    """
    on = on or timezone.localdate()
    note = note.strip()
    _check_pending(schedule)
    version, broken = _refusals_on(schedule, on)
    if not broken and not note:
        raise RecordRefused(
            _("The schedule meets every rule of the agreement: say in the note why it is refused.")
        )
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        _check_pending(schedule)
        schedule.status = "refused"
        schedule.decided_on = on
        schedule.decided_by = acting_user
        schedule.rules_version = version
        schedule.refusals = [refusals.as_data(refusal) for refusal in broken]
        schedule.refusal_note = note
        schedule.save(
            update_fields=[
                "status",
                "decided_on",
                "decided_by",
                "rules_version",
                "refusals",
                "refusal_note",
            ]
        )
        audit(
            ComanagementAction.SCHEDULE_REFUSED,
            schedule.placement.gmf,
            subject=schedule,
            acting_user=acting_user,
            placement=schedule.placement.pk,
            rules=[refusal.rule for refusal in broken],
            rules_version=version.number,
        )
    return schedule


# --------------------------------------------------------------------------- attendance


def do_submit_attendance(
    placement: Placement,
    *,
    start: datetime.date,
    end: datetime.date,
    planned_days: Decimal,
    worked_days: Decimal,
    submitted_on: datetime.date | None = None,
    acting_user: Any,
) -> AttendanceRecord:
    """The GMF submits the days the professional worked from ``start`` to ``end``
    (excluded) against those planned. Records ATTENDANCE_SUBMITTED.

    Raises:
        RecordRefused: ``end`` not after ``start``; a period outside the placement;
            negative days; a record of the placement from the same first day, or one
            overlapping the period.
    """
    _check_period(start, end)
    _check_in_placement(placement, start)
    if planned_days < 0 or worked_days < 0:
        raise RecordRefused(_("Days planned and worked cannot be negative."))
    with transaction.atomic():
        overlapping = AttendanceRecord.objects.filter(
            placement=placement, start__lt=end, end__gt=start
        ).first()
        if overlapping is not None:
            raise RecordRefused(
                _("An attendance record from %(start)s to %(end)s already covers this period.")
                % {"start": format_day(overlapping.start), "end": format_day(overlapping.end)}
            )
        try:
            with transaction.atomic():
                attendance = AttendanceRecord.objects.create(
                    placement=placement,
                    start=start,
                    end=end,
                    planned_days=planned_days,
                    worked_days=worked_days,
                    submitted_on=submitted_on or timezone.localdate(),
                    submitted_by=acting_user,
                )
        except IntegrityError:
            raise RecordRefused(
                _("An attendance record from %(start)s is already submitted.")
                % {"start": format_day(start)}
            ) from None
        audit(
            ComanagementAction.ATTENDANCE_SUBMITTED,
            placement.gmf,
            subject=attendance,
            acting_user=acting_user,
            placement=placement.pk,
            start=start.isoformat(),
            end=end.isoformat(),
            planned_days=str(planned_days),
            worked_days=str(worked_days),
        )
    return attendance


def do_approve_attendance(
    attendance: AttendanceRecord,
    *,
    on: datetime.date | None = None,
    acting_user: Any,
) -> AttendanceRecord:
    """The CISSS/CIUSSS approves an attendance record on ``on`` (today by default).
    Records ATTENDANCE_APPROVED.

    Raises:
        RecordRefused: the record is approved already.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        attendance = AttendanceRecord.objects.select_for_update().get(pk=attendance.pk)
        if attendance.approved_on is not None:
            raise RecordRefused(
                _("This attendance record was approved on %(day)s.")
                % {"day": format_day(attendance.approved_on)}
            )
        attendance.approved_on = on
        attendance.approved_by = acting_user
        attendance.save(update_fields=["approved_on", "approved_by"])
        audit(
            ComanagementAction.ATTENDANCE_APPROVED,
            attendance.placement.gmf,
            subject=attendance,
            acting_user=acting_user,
            placement=attendance.placement.pk,
            on=on.isoformat(),
        )
    return attendance
