"""The dated obligations of GMF-CIUSSS co-management, one pure function per rule.

Each rule takes records (frozen dataclasses) and the day ``on`` it is evaluated for, and
returns the :class:`Alert` of every obligation that is unmet on that day, sorted by GMF
then subject. Nothing here reads the clock: the caller passes ``on``.

Conventions (``docs/comanagement-rules.md`` gives the sources and the boundary decisions):

* **Periods are half-open**, as everywhere in the project: a record with ``start`` and
  ``end`` is in force on day ``d`` when ``start <= d`` and (``end`` is ``None`` or
  ``d < end``); ``end`` is the first day after it (an absence's ``end`` is the day the
  professional is back).
* **A deadline is the last day on time** (``due``): an obligation done on its due day is
  on time, an alert is raised from the day after, and ``days_late = (on - due).days``
  (1 the day after). The one exception is a replacement, which must be *in place from* a
  day: its ``due`` is the first day without the replacement, and ``days_late`` counts the
  days without it up to ``on`` inclusive (1 on the first of them).
* A record done on a day after ``on`` (``filled_on``, ``decided_on``...) is not done yet.
* A record that contradicts itself raises :class:`RecordError`.

The rules: :func:`hiring_deadline_passed`, :func:`absence_not_replaced`,
:func:`supervision_overdue`, :func:`integration_item_overdue`,
:func:`training_request_pending`, :func:`attendance_not_approved`,
:func:`schedule_not_validated`, :func:`target_missed`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from panelcare.comanagement.errors import RecordError

__all__ = [
    "ANNUAL_REVIEW",
    "FOUR_WEEKS",
    "KINDS",
    "OWNERS",
    "Absence",
    "Alert",
    "AttendanceRecord",
    "IntegrationItem",
    "MonthlyStatistic",
    "Post",
    "Replacement",
    "Schedule",
    "SupervisionPlan",
    "SupervisionSession",
    "Target",
    "TrainingRequest",
    "absence_not_replaced",
    "add_months",
    "attendance_not_approved",
    "first_annual_review",
    "hiring_deadline",
    "hiring_deadline_passed",
    "integration_item_overdue",
    "last_complete_month",
    "needs_replacement",
    "next_supervision_due",
    "replacement_required_from",
    "schedule_not_validated",
    "supervision_overdue",
    "target_missed",
    "training_request_pending",
    "vacant_days_past_deadline",
]

Kind = Literal[
    "hiring_deadline_passed",
    "absence_not_replaced",
    "schedule_not_validated",
    "attendance_not_approved",
    "training_request_pending",
    "supervision_overdue",
    "integration_item_overdue",
    "target_missed",
]
Owner = Literal["gmf", "ciusss", "both"]

# The alert kinds, in the order, and the sides an obligation belongs to.
KINDS: tuple[Kind, ...] = (
    "hiring_deadline_passed",
    "absence_not_replaced",
    "schedule_not_validated",
    "attendance_not_approved",
    "training_request_pending",
    "supervision_overdue",
    "integration_item_overdue",
    "target_missed",
)
OWNERS: tuple[Owner, ...] = ("gmf", "ciusss", "both")

# The GMF program's annual review, each year on (month, day) (Programme GMF s. 7.3.1).
ANNUAL_REVIEW = (4, 1)
# "4 consecutive weeks" (Programme GMF s. 7.3.1): an absence of 28 days or fewer is not
# replaced; one of 29 days or more is.
FOUR_WEEKS = timedelta(days=28)


@dataclass(frozen=True)
class Alert:
    """An obligation unmet on the day the rules were evaluated.

    Attributes:
        kind: the rule (one of :data:`KINDS`).
        gmf: the GMF's identifier.
        owner: the side that must act: ``gmf``, ``ciusss`` or ``both``.
        subject: the identifier of the record the alert is about (the post, absence,
            supervision plan, integration item, training request, attendance record,
            schedule or target, by ``kind``).
        due: the deadline (the last day on time), or for ``absence_not_replaced`` the first
            day without a replacement.
        days_late: days past ``due`` (see the module's conventions); always 1 or more.
    """

    kind: Kind
    gmf: str
    owner: Owner
    subject: str
    due: date
    days_late: int


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the end of the month.

    31 January + 1 month is 28 February (29 in a leap year), 31 March + 3 months is 30 June,
    1 April + 3 months is 1 July. The same as ``day + dateutil.relativedelta(months=months)``
    (checked by a test), without the dependency.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _late(kind: Kind, gmf: str, owner: Owner, subject: str, due: date, on: date) -> Alert | None:
    """The alert for a deadline ``due`` (the last day on time) still unmet on ``on``."""
    if on <= due:
        return None
    return Alert(kind, gmf, owner, subject, due, (on - due).days)


def _done_by(done_on: date | None, on: date) -> bool:
    return done_on is not None and done_on <= on


def _sorted(alerts: Iterable[Alert | None]) -> list[Alert]:
    return sorted(
        (alert for alert in alerts if alert is not None), key=lambda a: (a.gmf, a.subject, a.due)
    )


def _check_period(record: str, start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise RecordError(f"{record}: ends ({end}) before it starts ({start})", column="end")


def _check_days(name: str, days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise RecordError(f"{name} is a whole number of days >= 0, got {days!r}", column=name)


# --- hiring_deadline_passed ----------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """A professional post allocated to a GMF, which the CIUSSS must fill.

    Attributes:
        id: the post's identifier.
        gmf: the GMF's identifier.
        professional_type: ``nurse_clinician``, ``social_worker``...
        opened_by: why the post is owed: ``annual_review`` (the review that raised the
            GMF's level) or ``recognition`` (a new GMF).
        opened_on: the date of that annual review (1 April), or of the GMF's recognition.
        filled_on: the day the post was filled (by the CIUSSS, or by the GMF under an
            agreement); ``None`` while vacant.
    """

    id: str
    gmf: str
    professional_type: str
    opened_by: Literal["annual_review", "recognition"]
    opened_on: date
    filled_on: date | None = None


def first_annual_review(recognized_on: date, *, review: tuple[int, int] = ANNUAL_REVIEW) -> date:
    """The first annual review of a GMF recognised on ``recognized_on``: the first 1 April
    strictly after it (a GMF recognised on 1 April has its first review a year later)."""
    this_year = date(recognized_on.year, *review)
    return this_year if this_year > recognized_on else date(recognized_on.year + 1, *review)


def hiring_deadline(post: Post, *, review: tuple[int, int] = ANNUAL_REVIEW) -> date:
    """The last day to fill ``post`` on time (Programme GMF s. 7.3.1).

    * Level raised at an annual review: within 3 months of it, by calendar month, the
      3 months being half-open like every period here (``[1 April, 1 July)``): the day
      before :func:`add_months` (review, 3), so 1 April -> 30 June.
    * New GMF: before its first annual review, so the day before it (31 March).

    Either way the deadline is the day before the bound the program names: a post filled
    on it is on time, one filled the day after is 1 day late.

    Raises:
        RecordError: ``opened_by`` is neither ``annual_review`` nor ``recognition``.
    """
    if post.opened_by == "annual_review":
        return add_months(post.opened_on, 3) - timedelta(days=1)
    if post.opened_by == "recognition":
        return first_annual_review(post.opened_on, review=review) - timedelta(days=1)
    raise RecordError(
        f"post {post.id}: opened_by is annual_review or recognition, got {post.opened_by!r}",
        column="opened_by",
    )


def hiring_deadline_passed(
    posts: Iterable[Post], on: date, *, review: tuple[int, int] = ANNUAL_REVIEW
) -> list[Alert]:
    """``hiring_deadline_passed``: a post still vacant on ``on``, after its
    :func:`hiring_deadline`. Owner: the CIUSSS (it hires and allocates)."""
    return _sorted(
        None
        if _done_by(post.filled_on, on)
        else _late(
            "hiring_deadline_passed",
            post.gmf,
            "ciusss",
            post.id,
            hiring_deadline(post, review=review),
            on,
        )
        for post in posts
    )


def vacant_days_past_deadline(
    post: Post, start: date, end: date, *, review: tuple[int, int] = ANNUAL_REVIEW
) -> int:
    """The days of ``[start, end)`` on which ``post`` was vacant past its
    :func:`hiring_deadline` (from the day after it until the day before ``filled_on``; for
    a review on 1 April, from 1 July):
    what the DRMG weighs to excuse a GMF member's assiduity shortfall (EP 40, 15.01 B),
    e.g. for a year, ``start`` 1 January and ``end`` the next 1 January.

    Raises:
        RecordError: ``end`` is before ``start``, or the post's ``opened_by`` is unknown.
    """
    _check_period(f"period of post {post.id}", start, end)
    first = max(start, hiring_deadline(post, review=review) + timedelta(days=1))
    last = end if post.filled_on is None else min(end, post.filled_on)
    return max(0, (last - first).days)


# --- absence_not_replaced ------------------------------------------------------------------


@dataclass(frozen=True)
class Absence:
    """A continuous absence of a CIUSSS professional placed in a GMF.

    Attributes:
        id: the absence's identifier.
        gmf: the GMF's identifier.
        professional: the professional's identifier.
        start: the first day absent.
        end: the day the professional is back (exclusive), known or planned; ``None`` while
            unknown.
        foreseeable: known in advance (a planned leave), as opposed to a sudden one.
    """

    id: str
    gmf: str
    professional: str
    start: date
    end: date | None
    foreseeable: bool


@dataclass(frozen=True)
class Replacement:
    """A replacement of an absent professional, in force on ``[start, end)``
    (``end`` ``None``: until the absence ends)."""

    absence: str
    start: date
    end: date | None = None


def replacement_required_from(absence: Absence) -> date:
    """The first day a replacement is required, should the absence last over 4 weeks:
    its first day if foreseeable, else the first day of its fifth week (start + 28 days)
    (Programme GMF s. 7.3.1)."""
    return absence.start if absence.foreseeable else absence.start + FOUR_WEEKS


def needs_replacement(absence: Absence, on: date) -> bool:
    """Whether, as known on ``on``, the absence lasts over 4 consecutive weeks (29 days or
    more): by its ``end`` when known, else by the days it has lasted up to ``on``
    inclusive. Absences of 4 weeks or less are not replaced (Programme GMF s. 7.3.1)."""
    _check_period(f"absence {absence.id}", absence.start, absence.end)
    last = absence.end if absence.end is not None else on + timedelta(days=1)
    return last - absence.start > FOUR_WEEKS


def absence_not_replaced(
    absences: Iterable[Absence], replacements: Iterable[Replacement], on: date
) -> list[Alert]:
    """``absence_not_replaced``: on ``on``, an absence over 4 weeks is in its required
    period (from :func:`replacement_required_from` to its end) and no replacement is in
    force. Owner: the CIUSSS.

    The alert is about today: a replacement that started late ends the alert on the day it
    starts. ``due`` is the first day of the current run of days without a replacement,
    ``days_late`` the days of that run up to ``on`` inclusive.

    Raises:
        RecordError: an absence or a replacement ends before it starts.
    """
    by_absence: dict[str, list[Replacement]] = {}
    for replacement in replacements:
        _check_period(f"replacement of {replacement.absence}", replacement.start, replacement.end)
        by_absence.setdefault(replacement.absence, []).append(replacement)

    def covered(day: date, cover: list[Replacement]) -> bool:
        return any(r.start <= day and (r.end is None or day < r.end) for r in cover)

    alerts = []
    for absence in absences:
        if not needs_replacement(absence, on):
            continue
        required = replacement_required_from(absence)
        if on < required or (absence.end is not None and on >= absence.end):
            continue
        cover = by_absence.get(absence.id, [])
        if covered(on, cover):
            continue
        first = on
        while first > required and not covered(first - timedelta(days=1), cover):
            first -= timedelta(days=1)
        alerts.append(
            Alert(
                "absence_not_replaced",
                absence.gmf,
                "ciusss",
                absence.id,
                first,
                (on - first).days + 1,
            )
        )
    return _sorted(alerts)


# --- supervision_overdue -------------------------------------------------------------------


@dataclass(frozen=True)
class SupervisionPlan:
    """A professional's clinical supervision plan (modalités: frequency, site, form,
    length), set by the CIUSSS; in force on ``[start, end)``.

    Attributes:
        every: the frequency's count (a session every ``every`` ``unit``).
        unit: ``weeks`` or ``months``.
    """

    id: str
    gmf: str
    professional: str
    start: date
    every: int
    unit: Literal["weeks", "months"]
    end: date | None = None


@dataclass(frozen=True)
class SupervisionSession:
    """A supervision session held under the plan ``plan``."""

    plan: str
    held_on: date


def _after_interval(plan: SupervisionPlan, day: date) -> date:
    if isinstance(plan.every, bool) or not isinstance(plan.every, int) or plan.every < 1:
        raise RecordError(
            f"supervision plan {plan.id}: every is a whole number >= 1, got {plan.every!r}",
            column="every",
        )
    if plan.unit == "weeks":
        return day + timedelta(weeks=plan.every)
    if plan.unit == "months":
        return add_months(day, plan.every)
    raise RecordError(
        f"supervision plan {plan.id}: unit is weeks or months, got {plan.unit!r}", column="unit"
    )


def next_supervision_due(
    plan: SupervisionPlan, sessions: Iterable[SupervisionSession], on: date
) -> date:
    """The last day for the next session, as known on ``on``: one interval after the
    latest session held from the plan's start up to ``on``, or after the plan's start when
    none was (a plan every 4 weeks starting 1 March is due by 29 March; every month from
    31 January, by 28 or 29 February)."""
    _check_period(f"supervision plan {plan.id}", plan.start, plan.end)
    held = [s.held_on for s in sessions if s.plan == plan.id and plan.start <= s.held_on <= on]
    return _after_interval(plan, max(held, default=plan.start))


def supervision_overdue(
    plans: Iterable[SupervisionPlan], sessions: Iterable[SupervisionSession], on: date
) -> list[Alert]:
    """``supervision_overdue``: no session in the window of the plan's frequency ending on
    ``on`` (:func:`next_supervision_due` is before ``on``), while the plan is in force.
    Sessions before the plan's start or after ``on`` do not count. Owner: the CIUSSS
    (it ensures clinical supervision).

    Raises:
        RecordError: a plan ends before it starts, or its frequency is not 1 or more weeks
            or months.
    """
    all_sessions = list(sessions)
    return _sorted(
        None
        if plan.start > on or (plan.end is not None and on >= plan.end)
        else _late(
            "supervision_overdue",
            plan.gmf,
            "ciusss",
            plan.id,
            next_supervision_due(plan, all_sessions, on),
            on,
        )
        for plan in plans
    )


# --- integration_item_overdue --------------------------------------------------------------


@dataclass(frozen=True)
class IntegrationItem:
    """An item of a professional's integration checklist (role information, EMR access,
    QHR key...), owned by one side, with the last day it is due."""

    id: str
    gmf: str
    professional: str
    item: str
    owner: Owner
    due: date
    done_on: date | None = None


def integration_item_overdue(items: Iterable[IntegrationItem], on: date) -> list[Alert]:
    """``integration_item_overdue``: an item not done by ``on``, after its due day.
    Owner: the item's."""
    return _sorted(
        None
        if _done_by(item.done_on, on)
        else _late("integration_item_overdue", item.gmf, item.owner, item.id, item.due, on)
        for item in items
    )


# --- training_request_pending --------------------------------------------------------------


@dataclass(frozen=True)
class TrainingRequest:
    """A request for training (external training needs the CIUSSS's approval), submitted
    on ``submitted_on`` and decided (approved or refused) on ``decided_on``."""

    id: str
    gmf: str
    professional: str
    submitted_on: date
    decided_on: date | None = None


def training_request_pending(
    requests: Iterable[TrainingRequest], on: date, *, decide_within_days: int
) -> list[Alert]:
    """``training_request_pending``: a request not decided by ``on``, more than
    ``decide_within_days`` days after it was submitted (due: submitted + N days). N has no
    source: it is the establishment's setting. Owner: the CIUSSS (it approves).

    Raises:
        RecordError: ``decide_within_days`` is not a whole number >= 0.
    """
    _check_days("decide_within_days", decide_within_days)
    delay = timedelta(days=decide_within_days)
    return _sorted(
        None
        if _done_by(request.decided_on, on)
        else _late(
            "training_request_pending",
            request.gmf,
            "ciusss",
            request.id,
            request.submitted_on + delay,
            on,
        )
        for request in requests
    )


# --- attendance_not_approved ---------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceRecord:
    """A professional's attendance record (relevé de présence) for ``[start, end)``,
    approved by the CIUSSS on ``approved_on``."""

    id: str
    gmf: str
    professional: str
    start: date
    end: date
    approved_on: date | None = None


def attendance_not_approved(
    records: Iterable[AttendanceRecord], on: date, *, approve_within_days: int
) -> list[Alert]:
    """``attendance_not_approved``: a record not approved by ``on``, more than
    ``approve_within_days`` days after its period's last day (``end`` - 1 day; due: that
    day + N). N is the establishment's setting. Owner: the CIUSSS (it approves).

    Raises:
        RecordError: a period ends before it starts, or ``approve_within_days`` is not a
            whole number >= 0.
    """
    _check_days("approve_within_days", approve_within_days)
    alerts = []
    for record in records:
        _check_period(f"attendance record {record.id}", record.start, record.end)
        if _done_by(record.approved_on, on):
            continue
        due = record.end - timedelta(days=1) + timedelta(days=approve_within_days)
        alerts.append(_late("attendance_not_approved", record.gmf, "ciusss", record.id, due, on))
    return _sorted(alerts)


# --- schedule_not_validated ----------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """A work schedule the GMF proposed for a professional, in force from ``starts_on``;
    the CIUSSS validates it (``validated_on``) or refuses it (``refused_on``)."""

    id: str
    gmf: str
    professional: str
    proposed_on: date
    starts_on: date
    validated_on: date | None = None
    refused_on: date | None = None


def schedule_not_validated(schedules: Iterable[Schedule], on: date) -> list[Alert]:
    """``schedule_not_validated``: a proposed schedule neither validated nor refused by
    ``on``, which had to be validated before its start (due: the day before ``starts_on``,
    or the day it was proposed when the GMF proposed it that late: the CIUSSS is never
    late for a schedule it did not have). A refused schedule raises nothing here: the GMF
    proposes a new one; a schedule proposed after ``on`` does not exist yet. Owner: the
    CIUSSS (it validates)."""
    return _sorted(
        None
        if schedule.proposed_on > on
        or _done_by(schedule.validated_on, on)
        or _done_by(schedule.refused_on, on)
        else _late(
            "schedule_not_validated",
            schedule.gmf,
            "ciusss",
            schedule.id,
            max(schedule.starts_on - timedelta(days=1), schedule.proposed_on),
            on,
        )
        for schedule in schedules
    )


# --- target_missed -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A target both sides agreed for an indicator, in force for the months in
    ``[start, end)``.

    Attributes:
        measured: whose figures: a professional's identifier, or any key the statistics
            use (the GMF's, for a GMF-wide target).
        indicator: ``patients_seen``, ``interventions``, ``access_delay_days``...
        value: the agreed target.
        better: ``higher`` (patients seen: a value below the target misses it) or
            ``lower`` (an access delay: a value above it misses it).
    """

    id: str
    gmf: str
    measured: str
    indicator: str
    value: float
    better: Literal["higher", "lower"]
    start: date
    end: date | None = None


@dataclass(frozen=True)
class MonthlyStatistic:
    """One indicator's value for ``measured`` in the month starting ``month`` (a 1st)."""

    measured: str
    indicator: str
    month: date
    value: float


def last_complete_month(on: date) -> date:
    """The first day of the last month complete before ``on``: the month before ``on``'s
    (on 31 March, February: March is not over until the day ends)."""
    return add_months(on.replace(day=1), -1)


def target_missed(
    targets: Iterable[Target], statistics: Iterable[MonthlyStatistic], on: date
) -> list[Alert]:
    """``target_missed``: for the :func:`last_complete_month` before ``on``, an indicator on
    the wrong side of its target (below a ``higher`` target, above a ``lower`` one; equal
    meets it). A target in force on the month's first day is judged; a month without the
    statistic raises nothing (a missing import is not a missed target). ``due`` is the
    month's last day. Owner: both (targets and their follow-up are joint).

    Raises:
        RecordError: a target ends before it starts, ``better`` is neither ``higher`` nor
            ``lower``, or two statistics give the same indicator, month and measured.
    """
    month = last_complete_month(on)
    month_end = add_months(month, 1) - timedelta(days=1)
    values: dict[tuple[str, str], float] = {}
    for statistic in statistics:
        if statistic.month != month:
            continue
        key = (statistic.measured, statistic.indicator)
        if key in values:
            raise RecordError(
                f"two statistics of {statistic.indicator} for {statistic.measured} in {month:%Y-%m}"
            )
        values[key] = statistic.value
    alerts = []
    for target in targets:
        _check_period(f"target {target.id}", target.start, target.end)
        if target.better not in ("higher", "lower"):
            raise RecordError(
                f"target {target.id}: better is higher or lower, got {target.better!r}",
                column="better",
            )
        if not (target.start <= month and (target.end is None or month < target.end)):
            continue
        value = values.get((target.measured, target.indicator))
        if value is None:
            continue
        missed = value < target.value if target.better == "higher" else value > target.value
        if missed:
            alerts.append(_late("target_missed", target.gmf, "both", target.id, month_end, on))
    return _sorted(alerts)
