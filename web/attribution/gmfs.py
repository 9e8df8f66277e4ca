"""The GMFs in the attribution (issue 19), read side: a GMF's attribution target in force,
its members with their figures, their progress against the pace once a plan holding them
is approved, and what the runs read of the GMFs.

    target = target_in_force(gmf)                    # GmfTarget | None
    rows, missing = member_rows(gmf, today)          # the members' PhysicianRow
    rows, missing = member_rows(gmf, today, rls_codes=["0115"])  # those of an RLS
    progress = members_progress(gmf, codes)          # per approved run in force
    targets = targets_in_force(region, rls)          # a run's ``gmf_targets``
    roster = with_gmf_ids(roster, run_gmf_of(run))   # the engine's ``gmf_id`` column
    rows = run_gmf_rows(run)                         # the run page's table per GMF

Rules (``docs/attribution-web-gmfs.md``):

* the target in force of a GMF is its latest decided proposal that the CML agreed or
  changed (by decision date, then by record); a refused proposal leaves the previous one in
  force; a GMF without one has no target (a run puts no limit on its members);
* a GMF's members are the physicians whose GMF membership is in force on the day asked
  (today on the GMF page, the run date for a run);
* on a GMF's page a CML reads the members practising in their RLS only, and how many
  practise in another RLS without their names (a CML sees no physician of another RLS);
  the GMF manager and the DRMG read every member;
* a physician who is a member of two GMFs on that day belongs, for a run, to the first
  by GMF code (the engine reads one ``gmf_id`` per physician);
* a run reads the memberships of the GMF memberships version in force when it was started
  (the newest imported at or before its start), so that it is computed again identically
  after a re-import; its ``gmf_targets`` parameter holds the targets in force of the GMFs
  of its territory when it was started (``web.attribution.services.do_start_run``).
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
from django.db.models import Q

from web.attribution.followup import PhysicianProgress, follow_up
from web.attribution.models import GmfTarget, GmfTargetStatus, Run, RunStatus
from web.attribution.physicians import PhysicianRow, rls_physicians
from web.regions.models import Gmf, GmfMembership, Region, Rls
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

__all__ = [
    "GmfProgress",
    "RunGmfRow",
    "member_rows",
    "members_on",
    "members_progress",
    "physician_gmfs",
    "run_gmf_of",
    "run_gmf_rows",
    "target_in_force",
    "targets_in_force",
    "with_gmf_ids",
]

# The statuses of a proposal that make it a target (agreed as proposed, or changed).
IN_FORCE_STATUSES = (GmfTargetStatus.AGREED, GmfTargetStatus.CHANGED)


# --------------------------------------------------------------------------- targets


def target_in_force(gmf: Gmf) -> GmfTarget | None:
    """The GMF's target in force: its latest agreed or changed proposal, None without."""
    return (
        GmfTarget.objects.filter(gmf=gmf, status__in=IN_FORCE_STATUSES)
        .select_related("decided_by", "proposed_by")
        .order_by("-decided_on", "-pk")
        .first()
    )


def targets_in_force(region: Region, rls: Rls | None = None) -> dict[str, int]:
    """The targets in force of the GMFs of ``rls`` (the whole region when None), by GMF
    code, in code order: a run's ``gmf_targets``."""
    targets: dict[str, int] = {}
    decided = (
        GmfTarget.objects.filter(region=region, status__in=IN_FORCE_STATUSES)
        .filter(Q(gmf__rls=rls) if rls is not None else Q())
        .order_by("gmf__code", "-decided_on", "-pk")
        .values_list("gmf__code", "value")
    )
    for code, value in decided:
        targets.setdefault(code, int(value))  # the first of a GMF is its latest
    return targets


# --------------------------------------------------------------------------- members


def members_on(gmf: Gmf, day: datetime.date) -> list[str]:
    """The codes of the physicians who are members of ``gmf`` on ``day``, sorted."""
    codes = GmfMembership.objects.active_on(day).filter(gmf=gmf).values_list("physician_code")
    return sorted({code for (code,) in codes})


def member_rows(
    gmf: Gmf, today: datetime.date, *, rls_codes: Collection[str] | None = None
) -> tuple[list[PhysicianRow], list[str]]:
    """The members of ``gmf`` today as the physicians' page shows them (registrations,
    vulnerable share, group and target by the default parameters, the CML's decision), by
    name; and the codes of the members the current roster does not hold.

    ``rls_codes``: only the members practising in these RLS (a CML's: a GMF's members may
    practise in another RLS, whose physicians the CML does not see); a missing member is
    left out when their record says they practise elsewhere. None: every member (the GMF
    manager, the DRMG)."""
    codes = set(members_on(gmf, today))
    # Where each member with a record practises (a member without one: no RLS known).
    practising = dict(
        GmfMembership.objects.active_on(today)
        .filter(gmf=gmf, physician__isnull=False)
        .values_list("physician_code", "physician__rls__code")
    )
    shown = {gmf.rls.code} | set(practising.values())
    if rls_codes is not None:
        shown &= set(rls_codes)
    rows: list[PhysicianRow] = []
    for rls_code in sorted(shown):
        rls_rows, _figures = rls_physicians(gmf.rls.region, rls_code, today)
        rows.extend(row for row in rls_rows if row.code in codes)
    rows.sort(key=lambda row: (row.name, row.code))
    missing = sorted(
        code
        for code in codes - {row.code for row in rows}
        if rls_codes is None or practising.get(code) is None or practising[code] in rls_codes
    )
    return rows, missing


@dataclass(frozen=True)
class GmfProgress:
    """The members' progress in one approved run in force holding some of them."""

    run: Run
    start: datetime.date
    months_elapsed: int
    period_months: int
    physicians: list[PhysicianProgress] = field(default_factory=list)

    @property
    def assigned(self) -> int:
        return sum(row.assigned for row in self.physicians)

    @property
    def registered(self) -> int:
        return sum(row.registered for row in self.physicians)

    @property
    def expected_to_date(self) -> int:
        return sum(row.expected_to_date for row in self.physicians)

    @property
    def behind(self) -> int:
        return sum(1 for row in self.physicians if row.behind)


def members_progress(
    gmf: Gmf, codes: Iterable[str], *, today: datetime.date | None = None
) -> list[GmfProgress]:
    """The progress of the physicians ``codes`` (the GMF's members) in each approved run in
    force of the GMF's territory (its RLS or the whole region) whose plan assigned them
    patients or follows them (:func:`web.attribution.followup.follow_up`), oldest first."""
    members = set(codes)
    runs = (
        Run.objects.in_force()
        .filter(region_id=gmf.rls.region_id)
        .overlapping(gmf.rls_id)
        .select_related("region", "rls")
        .order_by("approved_at", "pk")
    )
    progress = []
    for run in runs:
        try:
            followed = follow_up(run, today=today)
        except OSError:  # a plan folder lost (a restore without the data): nothing to show
            continue
        rows = [row for row in followed.physicians if row.code in members]
        if rows:
            progress.append(
                GmfProgress(
                    run=run,
                    start=followed.start,
                    months_elapsed=followed.months_elapsed,
                    period_months=followed.period_months,
                    physicians=rows,
                )
            )
    return progress


# --------------------------------------------------------------------------- runs


def physician_gmfs(memberships: pa.Table, day: datetime.date) -> dict[str, str]:
    """Each physician's GMF on ``day`` from the rows of a GMF memberships version
    (``physician_id``, ``gmf_id``, ``start_date``, ``end_date``; half-open periods, an
    empty end ongoing): the first by GMF code for a physician in two GMFs that day."""
    gmf_of: dict[str, str] = {}
    for row in memberships.select(["physician_id", "gmf_id", "start_date", "end_date"]).to_pylist():
        if row["start_date"] > day or (row["end_date"] is not None and row["end_date"] <= day):
            continue
        code, gmf = row["physician_id"], row["gmf_id"]
        if code not in gmf_of or gmf < gmf_of[code]:
            gmf_of[code] = gmf
    return gmf_of


def _memberships_version(run: Run) -> Dataset | None:
    """The GMF memberships version in force when ``run`` was started."""
    return (
        Dataset.objects.filter(
            region_id=run.region_id,
            kind=DatasetKind.GMF_MEMBERSHIPS,
            imported_at__lte=run.created_at,
        )
        .order_by("-version")
        .first()
    )


def run_gmf_of(run: Run) -> dict[str, str]:
    """Each physician's GMF on ``run``'s date, from the memberships version in force when
    it was started (empty before the first import of the memberships)."""
    version = _memberships_version(run)
    if version is None:
        return {}
    return physician_gmfs(read_dataset(version), run.run_date)


def with_gmf_ids(roster: pa.Table, gmf_of: Mapping[str, str]) -> pa.Table:
    """``roster`` with its ``gmf_id`` column (added, or replaced when the roster has one):
    each physician's GMF from ``gmf_of``, ``""`` for a physician in none."""
    ids = [gmf_of.get(code, "") for code in roster.column("physician_id").to_pylist()]
    column = pa.array(ids, type=pa.string())
    index = roster.schema.get_field_index("gmf_id")
    if index >= 0:
        return roster.set_column(index, "gmf_id", column)
    return roster.append_column("gmf_id", column)


@dataclass(frozen=True)
class RunGmfRow:
    """One GMF of a run's plan: its target (None: no limit) against what its members
    received, counted as the target counts them (weighted by the patients' categories,
    5.3.2: ``received_weighted``) and as patients (``received``)."""

    code: str
    name: str
    target: int | None
    received: int
    received_weighted: float
    members: int

    @property
    def above(self) -> bool:
        """Whether the members received more than the target (weighted, as it counts)."""
        return self.target is not None and self.received_weighted > self.target

    @property
    def reached(self) -> bool:
        """Whether the members received exactly the target (weighted): the GMF is full."""
        return self.target is not None and self.received_weighted == self.target


def run_gmf_rows(run: Run) -> list[RunGmfRow]:
    """The GMFs of ``run``'s plan, by code, from the engine's summary of the plan as it
    stands (adjustments included: ``by_gmf`` of :func:`panelcare.attribution.outputs.
    summary`): those with a target in its parameters and those with members in its
    roster; the target the run read, the patients its members received (weighted, as the
    target counts them, and not), the members in the roster. Empty for a run without a
    plan, or whose plan predates the GMFs (no ``by_gmf``)."""
    if run.status not in (RunStatus.DONE, RunStatus.APPROVED):
        return []
    by_gmf = (run.summary or {}).get("by_gmf") or []
    codes = [str(row["gmf_id"]) for row in by_gmf]
    names = dict(
        Gmf.objects.filter(rls__region_id=run.region_id, code__in=codes).values_list("code", "name")
    )
    return [
        RunGmfRow(
            code=code,
            name=names.get(code, code),
            target=None if row["target"] is None else int(row["target"]),
            received=int(row["received"]),
            received_weighted=float(row["received_weighted"]),
            members=int(row["members"]),
        )
        for code, row in sorted(zip(codes, by_gmf, strict=True), key=lambda item: item[0])
    ]
