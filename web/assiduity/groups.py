"""Read-side computations of the assiduity's group pages: the GMFs' own rates, the
distribution of the physicians' rates per RLS, and the trends across years (the scopes
come from ``web.accounts.access``: ``assiduity_gmf_scope``, ``assiduity_rls_scope`` and
``assiduity_scope``; this module only applies them).

    write_gmf_rates(run, tables, rules, con)                # at computation time
    table = gmf_table(run, access.assiduity_gmf_scope(user), access.assiduity_scope(user))
    spread = distribution(run, access.assiduity_rls_scope(user), access.assiduity_scope(user))
    years = trends(region, access.assiduity_rls_scope(user), access.assiduity_scope(user))

The GMFs' rates are the engine's (:func:`panelcare.assiduity.gmf.gmf_rates`, whose
definition is in docs/decisions.md, "The GMF's own rate"), kept at computation time in
the run's folder as ``gmf_rates.parquet``, beside ``results/``: a computation made before
they were kept has none, and the page says so. A physician's RLS and name come from the
physicians' roster version the run read; the members of a GMF from its GMF memberships
version.
"""

from __future__ import annotations

import datetime
import os
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from web.assiduity.figures import run_roster, tier_label, year_gmf_periods
from web.assiduity.models import LATEST_FIRST, AssiduityRun, AssiduityRunStatus
from web.regions.models import Gmf, Region, Rls
from web.tables.kinds import DatasetKind

if TYPE_CHECKING:
    from panelcare.assiduity.rules import Rules
    from panelcare.assiduity.tables import AssiduityTables

__all__ = [
    "GMF_RATES_FILE",
    "RATED_TIERS",
    "Distribution",
    "Trends",
    "distribution",
    "gmf_table",
    "read_gmf_rates",
    "trends",
    "write_gmf_rates",
]

GMF_RATES_FILE = "gmf_rates.parquet"

# The tiers of a physician with a rate, best first (the engine's, compute.TIERS).
RATED_TIERS = ("full", "three_quarters", "half", "none")
ALL_TIERS = (*RATED_TIERS, "no_visits")
# The group of the physicians the run's roster gives no RLS (the DRMG's pages only).
NO_RLS = ""
NO_RLS_LABEL = _("No known RLS")
REGION_LABEL = _("Whole region")


# --------------------------------------------------------------------------- computing


def write_gmf_rates(run: AssiduityRun, tables: AssiduityTables, rules: Rules, con: Any) -> Path:
    """Compute every GMF's own rate of ``run``'s year and write it to ``run.folder /
    GMF_RATES_FILE`` (beside ``results/``), replacing the file whole. Returns its path.

    Called by the computation once the engine has written the results: the rates are then
    summed from the visits it classified (``results/visits.parquet``,
    :func:`panelcare.assiduity.gmf.gmf_rates_of`: a few tenths of a second for a region's
    year), else computed from ``tables`` (:func:`panelcare.assiduity.gmf.gmf_rates`,
    which classifies the year again). ``tables`` and ``con`` (the DuckDB connection the
    tables were opened on) are the computation's.

    Raises:
        AssiduityRulesError: the rules have no scale for the year.
    """
    from panelcare.assiduity.gmf import gmf_rates, gmf_rates_of

    rules.scale_for(run.year)
    classified = run.results_folder / "visits.parquet"
    if classified.exists():
        expression = gmf_rates_of(con.read_parquet(classified), tables, run.year)
    else:
        expression = gmf_rates(tables, run.year, rules)
    table = expression.to_pyarrow()
    path = run.folder / GMF_RATES_FILE
    staging = run.folder / f".{GMF_RATES_FILE}.partial"
    pq.write_table(table, staging)
    os.replace(staging, path)  # all or nothing: a reader never sees half a file
    return path


def read_gmf_rates(run: AssiduityRun) -> pa.Table | None:
    """The GMFs' rates kept for ``run`` (:data:`GMF_RATES_FILE`), or None when the run
    has none (a computation made before they were kept, or not finished)."""
    path = run.folder / GMF_RATES_FILE
    if run.status != AssiduityRunStatus.DONE or not path.exists():
        return None
    return pq.read_table(path)


# --------------------------------------------------------------------------- the GMFs


def gmf_table(
    run: AssiduityRun, gmf_scope: frozenset[str] | None, scope: frozenset[str] | None
) -> list[dict[str, Any]] | None:
    """The GMFs of ``gmf_scope`` (None: every one) with their own rate in the DONE ``run``,
    by name: ``code``, ``name``, ``rls_name``, ``members``, ``registered_patients``,
    ``counted_visits``, ``assiduous_visits``, ``rate``, and ``member_rows``: the
    members of the year the reader may read (``scope``: physician codes, None: all), each
    a physician's rate row with ``name``, ``tier_label``, ``joined`` and ``left`` (their
    first and last day as a member when within the year, else None). None when the run
    has no GMF rates kept (:func:`read_gmf_rates`)."""
    from panelcare.assiduity.results import read_rates

    kept = read_gmf_rates(run)
    if kept is None:
        return None
    rows = [row for row in kept.to_pylist() if gmf_scope is None or row["gmf_id"] in gmf_scope]
    known = {
        gmf.code: gmf for gmf in Gmf.objects.filter(rls__region=run.region).select_related("rls")
    }
    rates = {row["physician_id"]: row for row in read_rates(run.results_folder).to_pylist()}
    names = {code: name for code, (name, _rls) in run_roster(run).items()}
    members = _members(run)
    table = []
    for row in rows:
        gmf = known.get(row["gmf_id"])
        member_rows = []
        for code, joined, left in members.get(row["gmf_id"], []):
            if scope is not None and code not in scope:
                continue
            rate = rates.get(code, {"physician_id": code})
            member_rows.append(
                {
                    **rate,
                    "name": names.get(code, ""),
                    "tier_label": tier_label(rate.get("tier")),
                    "joined": joined,
                    "left": left,
                }
            )
        member_rows.sort(key=lambda member: (member["name"] or member["physician_id"]).casefold())
        table.append(
            {
                **row,
                "code": row["gmf_id"],
                "name": gmf.name if gmf else row["gmf_id"],
                "rls_name": gmf.rls.name if gmf else "",
                "member_rows": member_rows,
            }
        )
    table.sort(key=lambda gmf_row: gmf_row["name"].casefold())
    return table


def _members(
    run: AssiduityRun,
) -> dict[str, list[tuple[str, datetime.date | None, datetime.date | None]]]:
    """GMF code -> its members of ``run``'s year: (physician code, first day as a member
    when it is within the year, else None, last day as a member when it is within the
    year, else None), from the memberships version the run
    read. A physician with two periods in one GMF during the year is listed once, with the
    first start and the last end."""
    dataset = run.datasets().get(DatasetKind.GMF_MEMBERSHIPS)
    if dataset is None:
        return {}
    first, after = datetime.date(run.year, 1, 1), datetime.date(run.year + 1, 1, 1)
    periods: dict[tuple[str, str], tuple[datetime.date, datetime.date]] = {}
    # The memberships of the year, as every page reads them (figures.year_gmf_periods).
    for row in year_gmf_periods(dataset, run.year).to_pylist():
        key = (row["gmf_id"], row["physician_id"])
        start, end = max(row["start_date"], first), min(row["end_date"] or after, after)
        if key in periods:
            start, end = min(start, periods[key][0]), max(end, periods[key][1])
        periods[key] = (start, end)
    members: dict[str, list[tuple[str, datetime.date | None, datetime.date | None]]] = {}
    for (gmf, code), (start, end) in sorted(periods.items()):
        # The last day as a member, for the page: the period is half-open.
        members.setdefault(gmf, []).append(
            (
                code,
                start if start > first else None,
                end - datetime.timedelta(days=1) if end < after else None,
            )
        )
    return members


# --------------------------------------------------------------------------- per RLS


@dataclass
class RlsFigures:
    """The rates of one RLS (``code`` NO_RLS: the physicians of no known RLS; None: the
    whole region) in one computation: ``physicians`` listed, ``rated`` (with a rate),
    ``median`` rate, ``tiers`` (tier -> count, :data:`ALL_TIERS`), ``shares`` (rated tier ->
    share of the rated physicians) and ``committee`` (on the paritary committee's list:
    under the target by less than 3 points, EP 40, 15.04)."""

    code: str | None
    name: str
    physicians: int = 0
    rated: int = 0
    median: float | None = None
    tiers: dict[str, int] = field(default_factory=dict)
    shares: dict[str, float] = field(default_factory=dict)
    committee: int = 0

    @property
    def tier_counts(self) -> list[int]:
        """The counts in :data:`ALL_TIERS`' order, for a table's cells."""
        return [self.tiers.get(tier, 0) for tier in ALL_TIERS]

    @property
    def tier_shares(self) -> list[float | None]:
        """The shares in :data:`RATED_TIERS`' order (None without a rated physician)."""
        return [self.shares.get(tier) if self.rated else None for tier in RATED_TIERS]


def _figures(code: str | None, name: str, rows: list[dict[str, Any]]) -> RlsFigures:
    rates = [row["rate"] for row in rows if row["rate"] is not None]
    tiers = dict.fromkeys(ALL_TIERS, 0)
    for row in rows:
        tiers[row["tier"]] = tiers.get(row["tier"], 0) + 1
    return RlsFigures(
        code=code,
        name=name,
        physicians=len(rows),
        rated=len(rates),
        median=statistics.median(rates) if rates else None,
        tiers=tiers,
        shares={tier: tiers[tier] / len(rates) for tier in RATED_TIERS} if rates else {},
        committee=sum(1 for row in rows if row["review_flag"]),
    )


def _by_rls(
    run: AssiduityRun, rls_scope: frozenset[str] | None, scope: frozenset[str] | None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The rate rows of ``run`` with ``name``, ``rls_code`` (the roster's RLS, NO_RLS when
    none) and ``tier_label``, and the RLS names by code, in the order of the RLS's names:
    those of ``rls_scope`` (None: the region's), then those the rows found.

    Who is counted is the rule of every page of a computation (the rates table, its
    export, the distribution, the trends; docs/assiduity-web-groups.md): the physicians of
    ``scope`` (today's, ``access.assiduity_scope``; None: every row), each in the RLS the
    computation's roster gave them. A physician transferred since is counted by the CML
    who reads them today, under the RLS of the computation (as the rates table's RLS
    column says), and by no other. ``rls_scope`` only filters when there is no ``scope``."""
    from panelcare.assiduity.results import read_rates

    roster = run_roster(run)
    rows = []
    for row in read_rates(run.results_folder).to_pylist():
        name, rls = roster.get(row["physician_id"], ("", NO_RLS))
        rls = rls or NO_RLS
        if scope is not None:
            if row["physician_id"] not in scope:
                continue
        elif rls_scope is not None and rls not in rls_scope:
            continue
        rows.append({**row, "name": name, "rls_code": rls, "tier_label": tier_label(row["tier"])})
    return rows, _rls_names(run.region, {row["rls_code"] for row in rows}, rls_scope)


def _rls_names(
    region: Region, found: Iterable[str], rls_scope: frozenset[str] | None
) -> dict[str, str]:
    """RLS code -> name, for the RLS of ``rls_scope`` (None: the region's) and the codes
    ``found``, by name; NO_RLS last."""
    rls = Rls.objects.filter(region=region)
    if rls_scope is not None:
        rls = rls.filter(code__in=rls_scope)
    names = dict(rls.values_list("code", "name"))
    for code in found:
        names.setdefault(code, str(NO_RLS_LABEL) if code == NO_RLS else code)
    ordered = sorted(names.items(), key=lambda item: (item[0] == NO_RLS, item[1].casefold()))
    return dict(ordered)


@dataclass(frozen=True)
class Distribution:
    """The rates of a DONE run per RLS: ``rls`` (one :class:`RlsFigures` per RLS of the
    reader), ``region`` (the whole region's, for the DRMG; else None), ``points`` (one
    per physician with a rate: ``rls``, ``name``, ``rate``, ``tier``), ``target`` (the
    year's lowest rate of the full band)."""

    rls: list[RlsFigures]
    region: RlsFigures | None
    points: list[dict[str, Any]]
    target: float | None


def distribution(
    run: AssiduityRun, rls_scope: frozenset[str] | None, scope: frozenset[str] | None
) -> Distribution:
    """The distribution of the physicians' rates of the DONE ``run`` per RLS of
    ``rls_scope`` (None: every RLS and the whole region), over the physicians of
    ``scope`` (None: all), each in the RLS of the computation's roster (:func:`_by_rls`:
    a physician transferred since is in the RLS they left, on the page of the CML who
    reads them today)."""
    rows, names = _by_rls(run, rls_scope, scope)
    groups: dict[str, list[dict[str, Any]]] = {code: [] for code in names}
    for row in rows:
        groups[row["rls_code"]].append(row)
    per_rls = [_figures(code, names[code], groups[code]) for code in names]
    if rls_scope is None:
        # The physicians of no known RLS are only shown when there are some.
        per_rls = [figures for figures in per_rls if figures.code != NO_RLS or figures.physicians]
    points = [
        {
            "rls": names[row["rls_code"]],
            "name": row["name"] or row["physician_id"],
            "rate": row["rate"],
            "tier": row["tier_label"],
        }
        for row in rows
        if row["rate"] is not None
    ]
    targets = [row["target"] for row in rows if row["target"] is not None]
    return Distribution(
        rls=per_rls,
        region=_figures(None, str(REGION_LABEL), rows) if rls_scope is None else None,
        points=points,
        target=targets[0] if targets else _target(run.year),
    )


def _target(year: int) -> float | None:
    """The lowest rate of the full band of ``year`` (the rules' scale), or None."""
    from panelcare.assiduity.rules import AssiduityRulesError, load_rules

    try:
        return load_rules().scale_for(year).full
    except AssiduityRulesError:
        return None


# --------------------------------------------------------------------------- across years


@dataclass(frozen=True)
class Trends:
    """The rates across years: ``years`` (each a dict: ``year``, ``run``, ``to_date`` (the
    current year, not over), ``target``, ``groups`` (one :class:`RlsFigures` per RLS of
    the reader, then the region's for the DRMG)), oldest first."""

    years: list[dict[str, Any]]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One row per (RLS, year), by RLS then year: for the table and the chart."""
        rows = [
            {"year": year["year"], "to_date": year["to_date"], "figures": figures}
            for year in self.years
            for figures in year["groups"]
        ]
        order: dict[str, int] = {}
        for row in rows:
            order.setdefault(row["figures"].name, len(order))
        return sorted(rows, key=lambda row: (order[row["figures"].name], row["year"]))


def latest_runs(region: Region) -> list[AssiduityRun]:
    """The latest DONE computation of each year of ``region``, oldest year first."""
    latest: dict[int, AssiduityRun] = {}
    runs = AssiduityRun.objects.filter(region=region, status=AssiduityRunStatus.DONE)
    for run in runs.select_related("region").order_by(*LATEST_FIRST):
        latest.setdefault(run.year, run)
    return [latest[year] for year in sorted(latest)]


def trends(
    region: Region, rls_scope: frozenset[str] | None, scope: frozenset[str] | None
) -> Trends:
    """The figures of each RLS of ``rls_scope`` (None: every RLS, and the whole region)
    over the physicians of ``scope`` (None: all) in the latest DONE computation of each
    year of ``region`` (:func:`latest_runs`). A physician belongs to the RLS the roster
    version of each computation gives them, and is counted when ``scope`` (today's) holds
    them (:func:`_by_rls`): as the distribution and the rates table count them."""
    today = timezone.localdate()
    years = []
    for run in latest_runs(region):
        rows, names = _by_rls(run, rls_scope, scope)
        groups: dict[str, list[dict[str, Any]]] = {code: [] for code in names}
        for row in rows:
            groups[row["rls_code"]].append(row)
        figures = [
            _figures(code, names[code], groups[code])
            for code in names
            if code != NO_RLS or groups[code]
        ]
        if rls_scope is None:
            figures.append(_figures(None, str(REGION_LABEL), rows))
        targets = [row["target"] for row in rows if row["target"] is not None]
        years.append(
            {
                "year": run.year,
                "run": run,
                "to_date": run.year >= today.year,
                "target": targets[0] if targets else _target(run.year),
                "groups": figures,
            }
        )
    return Trends(years=years)
