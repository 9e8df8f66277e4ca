"""The five-year cycle of the QI program: selection, a one-year deferral, completion, the
next due date and the "overdue" status; and the CPD credits earned.

Sources (research notes B4, "Cycle and streams", "Groups", "Credits"): physicians are
selected "once every 5 years"; "a participant may defer for 1 year"; completing the
program "meets each member's quality requirement for five years"; credits "6 per tool ...
+6 for the PIP, +5 per completed PIP goal", up to 34.

    record = select("p-1", cycle="2026-2030", on=date(2026, 1, 15), due=date(2026, 12, 31))
    record = defer(record, on=date(2026, 6, 1))          # due 2027-12-31
    record = complete(record, accepted_on=date(2027, 3, 1))
    record.due                                            # 2032-03-01
    status(record, on=date(2032, 3, 2))                   # "overdue"

Conventions (``docs/quality-rules.md``):

* **Completion is the acceptance of the group's plan**; the next due date is the
  acceptance date + 5 years, by calendar year, **29 February → 28 February** (the last
  day of February of the target year: the requirement never runs longer than 5 years).
* **A deadline is the last day on time**, as in the co-management rules: on the due date
  the status is not overdue yet; the day after it is.
* **One deferral per cycle**, recorded on or before the due date, moves the due date by
  one year (same 29 February rule). The source says "may defer for 1 year", not how many
  times; we read it as once (a second deferral would be a second year).
* The selection's first due date is the caller's (the DRMG's): the source gives no
  deadline after the invitation.

Nothing here reads the clock: the caller passes ``on``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from panelcare.quality import plans
from panelcare.quality.errors import CreditsTableError, CycleRuleError

__all__ = [
    "CREDITS_FILE",
    "CYCLE_YEARS",
    "DEFERRAL_YEARS",
    "STATUSES",
    "CreditsEarned",
    "CreditsTable",
    "CycleRecord",
    "add_years",
    "complete",
    "credits_earned",
    "credits_table_from_mapping",
    "defer",
    "load_credits_table",
    "next_due",
    "select",
    "status",
]

CYCLE_YEARS = 5  # "meets each member's quality requirement for five years"
DEFERRAL_YEARS = 1  # "a participant may defer for 1 year"

# The packaged credits table (CPSO figures), as named in error messages.
CREDITS_FILE = "credits.toml"

Status = Literal["not_selected", "selected", "deferred", "met", "overdue"]
STATUSES: tuple[Status, ...] = ("not_selected", "selected", "deferred", "met", "overdue")


def add_years(day: date, years: int) -> date:
    """``day`` moved by ``years`` calendar years; 29 February becomes 28 February when the
    target year is not a leap year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def next_due(completed_on: date) -> date:
    """The next due date after a completion (acceptance of the plan): + 5 years."""
    return add_years(completed_on, CYCLE_YEARS)


@dataclass(frozen=True)
class CycleRecord:
    """A physician's place in a cycle.

    Attributes:
        physician_id: the physician.
        cycle: the cycle's name (``"2026-2030"``).
        selected_on: the day the physician was selected, ``None`` when not selected.
        due: the last day to meet the requirement: the selection's deadline (moved by a
            deferral) before completion, the next due date after it; ``None`` when not
            selected and never completed.
        deferred_on: the day a deferral was recorded, ``None`` without deferral.
        completed_on: the day the group's plan was accepted, ``None`` before.
    """

    physician_id: str
    cycle: str
    selected_on: date | None = None
    due: date | None = None
    deferred_on: date | None = None
    completed_on: date | None = None


def select(physician_id: str, *, cycle: str, on: date, due: date) -> CycleRecord:
    """A physician selected for ``cycle`` on ``on``, with ``due`` as the last day to meet
    the requirement.

    Raises:
        CycleRuleError: ``due_before_selection`` when ``due`` is before ``on``.
    """
    if due < on:
        raise CycleRuleError(
            f"due date {due} is before the selection ({on})",
            code="due_before_selection",
            params={"due": due.isoformat(), "selected_on": on.isoformat()},
            column="due",
        )
    return CycleRecord(physician_id, cycle, selected_on=on, due=due)


def defer(record: CycleRecord, *, on: date) -> CycleRecord:
    """The record with a one-year deferral recorded on ``on``: the due date moves by
    :data:`DEFERRAL_YEARS`.

    Raises:
        CycleRuleError: ``not_selected`` when the physician is not selected;
            ``already_completed`` after completion; ``already_deferred`` for a second
            deferral in the cycle; ``deferral_too_late`` (``due``) when ``on`` is after
            the due date (an overdue physician cannot defer retroactively).
    """
    if record.selected_on is None or record.due is None:
        raise CycleRuleError(
            f"{record.physician_id} is not selected for {record.cycle}", code="not_selected"
        )
    if record.completed_on is not None:
        raise CycleRuleError(
            f"{record.physician_id} has completed {record.cycle}", code="already_completed"
        )
    if record.deferred_on is not None:
        raise CycleRuleError(
            f"{record.physician_id} has already deferred {record.cycle} once",
            code="already_deferred",
            params={"deferred_on": record.deferred_on.isoformat()},
        )
    if on > record.due:
        raise CycleRuleError(
            f"a deferral is recorded on or before the due date ({record.due})",
            code="deferral_too_late",
            params={"due": record.due.isoformat()},
        )
    return replace(record, deferred_on=on, due=add_years(record.due, DEFERRAL_YEARS))


def complete(record: CycleRecord, *, accepted_on: date) -> CycleRecord:
    """The record after the group's plan was accepted on ``accepted_on``: the requirement
    is met and the next due date is ``accepted_on`` + 5 years.

    A member who joined a group without being selected (a peer "not yet selected") also
    completes: pass a record with ``selected_on=None``.

    Raises:
        CycleRuleError: ``already_completed`` when the record is already completed.
    """
    if record.completed_on is not None:
        raise CycleRuleError(
            f"{record.physician_id} has completed {record.cycle}", code="already_completed"
        )
    return replace(record, completed_on=accepted_on, due=next_due(accepted_on))


def status(record: CycleRecord, *, on: date) -> Status:
    """The record's status on ``on``.

    ``met`` from completion to the next due date inclusive; ``selected`` or ``deferred``
    (after a deferral) up to the due date inclusive; ``overdue`` the day after the due
    date, whether the requirement was never met or has lapsed; ``not_selected`` otherwise.
    """
    if record.due is None:
        return "not_selected"
    if on > record.due:
        return "overdue"
    if record.completed_on is not None:
        return "met"
    if record.selected_on is None:
        return "not_selected"
    return "deferred" if record.deferred_on is not None else "selected"


@dataclass(frozen=True)
class CreditsTable:
    """The CPD credits of the program.

    Attributes:
        version: the table's name (``"cpso-2022"``).
        activities: credits per completed activity, for each code of
            :data:`~panelcare.quality.plans.ACTIVITIES`.
        accepted_plan: credits for the accepted plan (each member).
        per_completed_goal: credits for each completed goal of the accepted plan.
        max_goals_credited: completed goals beyond this earn nothing; ``None``: no cap.
        illustrative: the dotted keys whose values are not sourced.

    Raises:
        CreditsTableError: on construction: an activity missing or unknown, a negative
            value.
    """

    version: str
    activities: Mapping[str, float]
    accepted_plan: float
    per_completed_goal: float
    max_goals_credited: int | None = None
    illustrative: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        object.__setattr__(self, "activities", MappingProxyType(dict(self.activities)))
        object.__setattr__(self, "illustrative", frozenset(self.illustrative))
        for code in plans.ACTIVITIES:
            if code not in self.activities:
                raise CreditsTableError("missing activity", key=f"activities.{code}")
        for code, value in self.activities.items():
            if code not in plans.ACTIVITIES:
                raise CreditsTableError(
                    f"unknown activity (known: {', '.join(plans.ACTIVITIES)})",
                    key=f"activities.{code}",
                )
            _check_non_negative(value, f"activities.{code}")
        _check_non_negative(self.accepted_plan, "plan.accepted")
        _check_non_negative(self.per_completed_goal, "plan.per_completed_goal")
        if self.max_goals_credited is not None:
            _check_non_negative(self.max_goals_credited, "plan.max_goals_credited")


def _check_non_negative(value: object, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise CreditsTableError(f"a number >= 0, got {value!r}", key=key)


def credits_table_from_mapping(data: Mapping[str, Any], *, file: str | None = None) -> CreditsTable:
    """A :class:`CreditsTable` from the TOML layout of ``credits.toml``.

    Raises:
        CreditsTableError: a table or key is missing or wrong (``file`` set to ``file``).
    """
    try:
        activities = data["activities"]
        plan = data["plan"]
        if not isinstance(activities, Mapping) or not isinstance(plan, Mapping):
            raise CreditsTableError("[activities] and [plan] are tables", file=file)
        max_goals = plan.get("max_goals_credited")
        return CreditsTable(
            version=str(data.get("version", "")),
            activities=dict(activities),
            accepted_plan=plan["accepted"],
            per_completed_goal=plan["per_completed_goal"],
            max_goals_credited=max_goals,
            illustrative=frozenset(data.get("illustrative", ())),
        )
    except KeyError as missing:
        raise CreditsTableError("missing key", file=file, key=str(missing.args[0])) from None
    except CreditsTableError as problem:
        if problem.file is None and file is not None:
            raise CreditsTableError(problem.message, file=file, key=problem.key) from None
        raise


def load_credits_table(path: str | Path | None = None) -> CreditsTable:
    """The credits table of ``path``, by default the packaged ``credits.toml`` (CPSO
    figures; the unsourced keys are listed in its ``illustrative``).

    Raises:
        CreditsTableError: the file cannot be read, is not TOML or is ill-formed.
    """
    name = str(path) if path is not None else CREDITS_FILE
    try:
        if path is None:
            text = resources.files(__package__).joinpath(CREDITS_FILE).read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        data = tomllib.loads(text)
    except OSError as problem:
        raise CreditsTableError(f"cannot read: {problem.strerror or problem}", file=name) from None
    except tomllib.TOMLDecodeError as problem:
        raise CreditsTableError(f"not valid TOML: {problem}", file=name) from None
    return credits_table_from_mapping(data, file=name)


@dataclass(frozen=True)
class CreditsEarned:
    """One member's credits.

    Attributes:
        activities: credits per completed activity (only the completed ones).
        plan: credits for the accepted plan (0 before acceptance).
        goals: credits for the completed goals (0 before acceptance).
        total: the sum.
    """

    activities: Mapping[str, float]
    plan: float
    goals: float
    total: float


def credits_earned(
    table: CreditsTable,
    *,
    activities_completed: Iterable[str],
    plan_accepted: bool,
    goals_completed: int,
) -> CreditsEarned:
    """A member's credits: each completed activity, the accepted plan, and each completed
    goal of the accepted plan (up to ``table.max_goals_credited``). Goals earn nothing
    until the plan is accepted.

    Raises:
        CycleRuleError: ``unknown_activity`` (``activity``); ``negative_goals``.
    """
    done = set(activities_completed)
    for code in sorted(done):
        if code not in plans.ACTIVITIES:
            raise CycleRuleError(
                f"unknown activity {code!r}", code="unknown_activity", params={"activity": code}
            )
    if goals_completed < 0:
        raise CycleRuleError("completed goals cannot be negative", code="negative_goals")
    per_activity = {code: table.activities[code] for code in plans.ACTIVITIES if code in done}
    plan = table.accepted_plan if plan_accepted else 0
    credited = goals_completed
    if table.max_goals_credited is not None:
        credited = min(credited, table.max_goals_credited)
    goals = table.per_completed_goal * credited if plan_accepted else 0
    total = sum(per_activity.values()) + plan + goals
    return CreditsEarned(MappingProxyType(per_activity), plan, goals, total)
