"""The monthly follow-up of a run (issue 6, part 5): registrations actually made against
each physician's pace, who is behind, and each RLS's progress towards emptying its list.

Counts only: nothing here returns a patient's identity. The figures come from the run's
plan folder (its orphans, assignments and paces) and from the **current** versions of the
registrations and waiting-list tables, so re-importing registrations updates them.

    progress = follow_up(run)              # FollowUp; today by default
    progress.physicians[0].behind          # below BEHIND_RATIO of the expected to date

Rules (docs/attribution-web-letters.md, "Follow-up"):

* the follow-up starts on the day the run was approved (``approved_at``, local date), or
  on its run date for a run not approved yet (``done``);
* a registration counts when its ``start_date`` is on or after the start and on or
  before today, for a patient among the run's orphans, with another physician than the
  departing one whose patient they were; each patient counts once (their first
  registration since the start), for the physician they registered with, whether or not
  the plan had assigned them to that physician;
* expected to date = monthly pace × whole months elapsed since the start (at most the
  period's months), at most the patients assigned;
* behind: fewer registrations than :data:`BEHIND_RATIO` (80 %) of the expected to date;
* an RLS's list still waiting = the rows of its current waiting list whose patient has
  not registered since the start; the projected date the list is empty = today +
  waiting / (registrations since the start per day); none before a first registration.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.utils import timezone

from web.attribution.journey import journey_counts
from web.attribution.models import Run, RunStatus
from web.regions.models import Rls
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

__all__ = [
    "BEHIND_RATIO",
    "FollowUp",
    "PhysicianProgress",
    "RlsProgress",
    "follow_up",
    "months_elapsed",
    "start_of",
]

# Below this share of the expected registrations to date, a physician is behind.
BEHIND_RATIO = 0.8
FOLLOWED_STATUSES = (RunStatus.APPROVED, RunStatus.DONE)


@dataclass(frozen=True)
class PhysicianProgress:
    """One physician of the run: ``by_month`` counts registrations in each month of
    :attr:`FollowUp.months`."""

    code: str
    name: str
    rls_code: str
    group: str
    assigned: int
    monthly_pace: int
    registered: int
    by_month: list[int]
    expected_to_date: int

    @property
    def ratio(self) -> float | None:
        """Registrations over the expected to date (None before anything is expected)."""
        return self.registered / self.expected_to_date if self.expected_to_date else None

    @property
    def behind(self) -> bool:
        return self.expected_to_date > 0 and self.registered < BEHIND_RATIO * self.expected_to_date

    @property
    def remaining(self) -> int:
        return max(0, self.assigned - self.registered)


@dataclass(frozen=True)
class RlsProgress:
    """One RLS of the run's orphans."""

    code: str
    name: str
    orphans: int  # the run's orphans of the RLS
    assigned: int  # of them, assigned by the plan
    registered: int  # of them, registered since the start (with any physician)
    orphans_still_waiting: int  # of them, still on the current waiting list, not registered
    waiting_now: int  # rows of the current waiting list of the RLS, not registered since
    by_month: list[int]
    projected_empty: datetime.date | None

    @property
    def new_requests(self) -> int:
        """Waiting now and not among the run's orphans (arrived since the run)."""
        return max(0, self.waiting_now - self.orphans_still_waiting)


@dataclass(frozen=True)
class FollowUp:
    run: Run
    start: datetime.date
    today: datetime.date
    months: list[datetime.date]  # first day of each calendar month from the start's
    months_elapsed: int
    period_months: int
    registrations: Dataset | None
    waitlist: Dataset | None
    physicians: list[PhysicianProgress] = field(default_factory=list)
    rls: list[RlsProgress] = field(default_factory=list)
    # What became of the patients the (approved) plan proposed: the journey's counts
    # (web.attribution.journey.journey_counts; empty for a run not approved).
    journey: dict[str, Any] = field(default_factory=dict)

    def journey_of(self, code: str) -> dict[str, int]:
        """The journey's counts of one physician's proposed patients."""
        return dict(self.journey.get("physicians", {}).get(code, {}))

    @property
    def behind(self) -> list[PhysicianProgress]:
        return [row for row in self.physicians if row.behind]

    @property
    def registered(self) -> int:
        return sum(row.registered for row in self.rls)


def start_of(run: Run) -> datetime.date:
    """The day the follow-up of ``run`` starts: its approval (local date), else its run
    date."""
    if run.approved_at is not None:
        return timezone.localdate(run.approved_at)
    return run.run_date


def months_elapsed(start: datetime.date, today: datetime.date) -> int:
    """Whole months from ``start`` to ``today`` (0 in the first month; 1 from the same day
    of the next month on)."""
    months = (today.year - start.year) * 12 + today.month - start.month
    if today.day < start.day:
        months -= 1
    return max(0, months)


def _month_starts(start: datetime.date, today: datetime.date) -> list[datetime.date]:
    months = []
    index = start.year * 12 + start.month - 1
    last = today.year * 12 + today.month - 1
    while index <= last:
        months.append(datetime.date(index // 12, index % 12 + 1, 1))
        index += 1
    return months


def follow_up(run: Run, *, today: datetime.date | None = None) -> FollowUp:
    """The follow-up of ``run`` (approved or done) on ``today``.

    Raises:
        ValueError: the run is neither approved nor done.
        OSError: its plan folder cannot be read.
    """
    if run.status not in FOLLOWED_STATUSES:
        raise ValueError(f"run {run.pk} is {run.status}: no follow-up before its plan is ready")
    today = today or timezone.localdate()
    start = start_of(run)
    plan_dir = run.folder / "plan"
    physicians = pacsv.read_csv(
        plan_dir / "physicians.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"physician_id": pa.string(), "rls_id": pa.string(), "group": pa.string()},
            include_columns=["physician_id", "group", "assigned", "need", "monthly_pace", "rls_id"],
        ),
    )
    names = pq.read_table(
        plan_dir / "inputs" / "physicians.parquet", columns=["physician_id", "name"]
    )
    name_of = dict(
        zip(*(names.column(c).to_pylist() for c in ("physician_id", "name")), strict=True)
    )
    assignments = pacsv.read_csv(
        plan_dir / "assignments.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"patient_id": pa.string(), "physician_id": pa.string()},
            include_columns=["patient_id", "physician_id"],
            strings_can_be_null=True,
        ),
    )
    orphans = pq.read_table(
        plan_dir / "inputs" / "orphans.parquet",
        columns=["patient_id", "rls_id", "previous_physician_id"],
    )
    period = _period_months(plan_dir)
    elapsed = min(months_elapsed(start, today), period)
    months = _month_starts(start, today)

    registrations = Dataset.current(run.region, DatasetKind.REGISTRATIONS)
    first = _first_registrations(registrations, orphans, start, today)
    waitlist = Dataset.current(run.region, DatasetKind.WAITLIST)

    month_index = {(day.year, day.month): i for i, day in enumerate(months)}

    def by_month(days: list[datetime.date]) -> list[int]:
        counts = [0] * len(months)
        for day in days:
            counts[month_index[(day.year, day.month)]] += 1
        return counts

    registered_days: dict[str, list[datetime.date]] = {}
    for physician_id, day in zip(
        first.column("physician_id").to_pylist(),
        first.column("start_date").to_pylist(),
        strict=True,
    ):
        registered_days.setdefault(physician_id, []).append(day)

    rls_code = run.rls.code if run.rls else None
    rows = []
    for item in physicians.to_pylist():
        code = item["physician_id"]
        assigned = int(item["assigned"])
        if item["group"] == "none" and assigned == 0:
            continue
        if rls_code is not None and item["rls_id"] != rls_code and assigned == 0:
            continue
        pace = int(item["monthly_pace"])
        days = registered_days.get(code, [])
        rows.append(
            PhysicianProgress(
                code=code,
                name=str(name_of.get(code, code)),
                rls_code=str(item["rls_id"]),
                group=str(item["group"]),
                assigned=assigned,
                monthly_pace=pace,
                registered=len(days),
                by_month=by_month(days),
                expected_to_date=min(assigned, pace * elapsed),
            )
        )
    rows.sort(key=lambda row: (row.rls_code, row.name, row.code))

    return FollowUp(
        run=run,
        start=start,
        today=today,
        months=months,
        months_elapsed=elapsed,
        period_months=period,
        registrations=registrations,
        waitlist=waitlist,
        physicians=rows,
        rls=_rls_progress(
            run, orphans, assignments, first, waitlist, start, today, by_month, rls_code
        ),
        journey=journey_counts(run) if run.status == RunStatus.APPROVED else {},
    )


def _period_months(plan_dir: Path) -> int:
    try:
        summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
        return int(summary["params"]["period_months"])
    except (OSError, ValueError, KeyError, TypeError):
        return 12


def _first_registrations(
    dataset: Dataset | None, orphans: pa.Table, start: datetime.date, today: datetime.date
) -> pa.Table:
    """Each orphan's first registration from ``start`` to ``today`` (patient_id,
    physician_id, start_date), or an empty table without a registrations version. A
    registration with the patient's previous physician (the departing one who put them on
    the list) does not take them off it and is left out."""
    empty = pa.table(
        {
            "patient_id": pa.array([], pa.string()),
            "physician_id": pa.array([], pa.string()),
            "start_date": pa.array([], pa.date32()),
        }
    )
    if dataset is None:
        return empty
    table = read_dataset(dataset, columns=["patient_id", "physician_id", "start_date"])
    since = pc.and_(
        pc.greater_equal(table.column("start_date"), pa.scalar(start, pa.date32())),
        pc.less_equal(table.column("start_date"), pa.scalar(today, pa.date32())),
    )
    table = table.filter(since).join(
        orphans.select(["patient_id", "previous_physician_id"]), "patient_id", join_type="inner"
    )
    previous = pc.fill_null(table.column("previous_physician_id"), "")
    table = table.filter(pc.not_equal(table.column("physician_id"), previous))
    if table.num_rows == 0:
        return empty
    table = table.select(["patient_id", "physician_id", "start_date"]).sort_by(
        [("patient_id", "ascending"), ("start_date", "ascending"), ("physician_id", "ascending")]
    )
    patients = np.asarray(table.column("patient_id").to_pylist(), dtype=object)
    keep = np.ones(len(patients), dtype=bool)
    keep[1:] = patients[1:] != patients[:-1]
    return table.filter(pa.array(keep))


def _rls_progress(
    run: Run,
    orphans: pa.Table,
    assignments: pa.Table,
    first: pa.Table,
    waitlist: Dataset | None,
    start: datetime.date,
    today: datetime.date,
    by_month: Callable[[list[datetime.date]], list[int]],
    rls_code: str | None,
) -> list[RlsProgress]:
    names = dict(Rls.objects.filter(region=run.region).values_list("code", "name"))
    orphan_rls = dict(
        zip(
            orphans.column("patient_id").to_pylist(),
            orphans.column("rls_id").to_pylist(),
            strict=True,
        )
    )
    assigned_ids = {
        patient
        for patient, physician in zip(
            assignments.column("patient_id").to_pylist(),
            assignments.column("physician_id").to_pylist(),
            strict=True,
        )
        if physician
    }
    registered_on = dict(
        zip(
            first.column("patient_id").to_pylist(),
            first.column("start_date").to_pylist(),
            strict=True,
        )
    )

    waiting_by_rls: dict[str, set[str]] = {}
    if waitlist is not None:
        current = read_dataset(waitlist, columns=["patient_id", "rls_id"])
        for patient, rls in zip(
            current.column("patient_id").to_pylist(),
            current.column("rls_id").to_pylist(),
            strict=True,
        ):
            waiting_by_rls.setdefault(rls, set()).add(patient)
    orphans_by_rls: dict[str, list[str]] = {}
    for patient, rls in orphan_rls.items():
        orphans_by_rls.setdefault(str(rls), []).append(patient)

    codes = [rls_code] if rls_code is not None else sorted(orphans_by_rls)
    days_elapsed = max(1, (today - start).days)
    result = []
    for code in codes:
        patients = orphans_by_rls.get(code, [])
        registered_days = [registered_on[p] for p in patients if p in registered_on]
        in_list = waiting_by_rls.get(code, set())
        waiting_now = sum(1 for p in in_list if p not in registered_on)
        still = sum(1 for p in patients if p in in_list and p not in registered_on)
        registered = len(registered_days)
        if registered == 0:
            projected = None
        else:
            projected = today + datetime.timedelta(
                days=math.ceil(waiting_now * days_elapsed / registered)
            )
        result.append(
            RlsProgress(
                code=code,
                name=names.get(code, code),
                orphans=len(patients),
                assigned=sum(1 for p in patients if p in assigned_ids),
                registered=registered,
                orphans_still_waiting=still,
                waiting_now=waiting_now,
                by_month=by_month(registered_days),
                projected_empty=projected,
            )
        )
    return result
