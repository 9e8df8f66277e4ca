"""Read-side computations of the assiduity pages: the runs as the home page lists them,
and a run's rates table for the physicians a user may read (the scope comes from
``web.accounts.access.assiduity_scope``; this module only applies it).

    runs = run_rows(access.visible_assiduity_runs(user)[:30])
    table = rates_table(run, access.assiduity_scope(user), sort="-rate", page="2")

The rates are the engine's (:func:`panelcare.assiduity.results.read_rates`); a
physician's name and RLS come from the physicians' roster version the run read, their
GMF from its GMF memberships version (the last membership of the year).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.core.paginator import Page, Paginator
from django.utils.translation import gettext_lazy as _

from web.assiduity.models import AssiduityRun
from web.regions.models import Gmf, Rls
from web.tables.kinds import DatasetKind, get_kind
from web.tables.models import Dataset
from web.tables.store import read_dataset

__all__ = [
    "COLUMNS",
    "PHASES",
    "RATES_PER_PAGE",
    "SORTS",
    "TIERS",
    "RatesTable",
    "rates_table",
    "run_rows",
    "versions_read",
]

RATES_PER_PAGE = 50

# The engine's tiers (panelcare.assiduity.compute.TIERS), worded.
TIERS = {
    "full": _("Full"),
    "three_quarters": _("Three quarters"),
    "half": _("Half"),
    "none": _("Below the scale"),
    "no_visits": _("No counted visit"),
}

# The phases of a computation (the engine's steps: panelcare.assiduity.results), worded.
PHASES = {
    "inputs": _("reading and checking the tables"),
    "rates": _("computing the rates"),
    "visits": _("classifying the visits"),
    "summaries": _("summing up by reason"),
    "monthly": _("counting by month"),
    "index": _("indexing"),
    "done": _("finishing"),
}

# The sort keys of the rates table (?sort=key, or -key for descending): what they sort on.
SORTS = {
    "physician": lambda row: (row["name"] or row["physician_id"]).casefold(),
    "rls": lambda row: (row["rls_name"] or "").casefold() or None,
    "gmf": lambda row: (row["gmf_name"] or "").casefold() or None,
    "registered": lambda row: row["registered_patients"],
    "counted": lambda row: row["counted_visits"],
    "assiduous": lambda row: row["assiduous_visits"],
    "rate": lambda row: row["rate"],
    "payment": lambda row: row["payment_pct"],
}
DEFAULT_SORT = "physician"

# The sortable columns of the rates table, in order: (sort key, header, numeric).
COLUMNS = (
    ("physician", _("Physician"), False),
    ("rls", _("RLS"), False),
    ("gmf", _("GMF"), False),
    ("registered", _("Registered patients"), True),
    ("counted", _("Counted visits"), True),
    ("assiduous", _("Assiduous visits"), True),
    ("rate", _("Rate"), True),
    ("payment", _("Share of the supplements paid"), True),
)


def versions_read(run: AssiduityRun, datasets: dict[int, Dataset]) -> list[dict[str, Any]]:
    """The table versions ``run`` read (:meth:`~web.assiduity.models.AssiduityRun.kinds_read`'s
    order): ``kind``, ``label``, ``version`` and ``imported_at`` (``datasets``: the versions
    by id, fetched once for a list of runs)."""
    read = []
    for kind in run.kinds_read():
        dataset = datasets.get(run.versions[kind])
        if dataset is not None:
            read.append(
                {
                    "kind": kind,
                    "label": str(get_kind(kind).label),
                    "version": dataset.version,
                    "imported_at": dataset.imported_at,
                }
            )
    return read


def run_rows(runs: Iterable[AssiduityRun]) -> list[dict[str, Any]]:
    """Each of ``runs`` with the versions it read (:func:`versions_read`), in one query."""
    runs = list(runs)
    ids = {pk for run in runs for pk in run.versions.values()}
    datasets = Dataset.objects.in_bulk(list(ids))
    return [{"run": run, "versions": versions_read(run, datasets)} for run in runs]


@dataclass(frozen=True)
class RatesTable:
    """One page of a run's rates table: ``page`` (rows as dicts), the ``sort`` key applied
    (``-`` first for descending), ``count``, the rows of the whole table, and its
    sortable ``columns`` (:data:`COLUMNS`)."""

    page: Page
    sort: str
    count: int
    columns: tuple[tuple[str, Any, bool], ...] = COLUMNS


def rates_table(
    run: AssiduityRun,
    scope: frozenset[str] | None,
    *,
    sort: str = "",
    page: str | int | None = None,
) -> RatesTable:
    """The rates of the DONE ``run`` for the physicians of ``scope`` (None: every row), with
    names, RLS and GMF, sorted by ``sort`` (a key of :data:`SORTS`, ``-`` first for
    descending; empty or unknown: by name), :data:`RATES_PER_PAGE` rows on the page
    ``page``. A row without a value of the sort key (no rate) comes last either way."""
    from panelcare.assiduity.results import read_rates

    rates = read_rates(run.results_folder)
    if scope is not None:
        wanted = pa.array(sorted(scope), pa.string())
        rates = rates.filter(pc.is_in(rates.column("physician_id"), value_set=wanted))
    datasets = run.datasets()
    roster = _roster(run, datasets.get(DatasetKind.PHYSICIANS))
    gmfs = _gmf_of(run, datasets.get(DatasetKind.GMF_MEMBERSHIPS))
    rows = []
    for rate in rates.to_pylist():
        code = rate["physician_id"]
        name, rls_code, rls_name = roster.get(code, ("", "", ""))
        gmf_code, gmf_name = gmfs.get(code, ("", ""))
        rows.append(
            {
                **rate,
                "name": name,
                "rls_code": rls_code,
                "rls_name": rls_name,
                "gmf_code": gmf_code,
                "gmf_name": gmf_name,
                "tier_label": TIERS.get(rate["tier"], rate["tier"]),
                "payment_share": None if rate["payment_pct"] is None else rate["payment_pct"] / 100,
            }
        )
    key = sort.removeprefix("-")
    if key not in SORTS:
        key, sort = DEFAULT_SORT, DEFAULT_SORT
    rows = _sorted(rows, key, descending=sort.startswith("-"))
    paginator = Paginator(rows, RATES_PER_PAGE)
    return RatesTable(page=paginator.get_page(page), sort=sort, count=len(rows))


def _sorted(rows: list[dict[str, Any]], key: str, *, descending: bool) -> list[dict[str, Any]]:
    """``rows`` by :data:`SORTS` ``key``, then by name; rows without a value last."""
    value = SORTS[key]
    by_name = sorted(rows, key=SORTS["physician"])
    known = [row for row in by_name if value(row) is not None]
    unknown = [row for row in by_name if value(row) is None]
    return sorted(known, key=value, reverse=descending) + unknown


def _roster(run: AssiduityRun, physicians: Dataset | None) -> dict[str, tuple[str, str, str]]:
    """physician code -> (name, RLS code, RLS name), from the roster version ``run`` read."""
    if physicians is None:
        return {}
    table = read_dataset(physicians, columns=["physician_id", "name", "rls_id"])
    rls_names = dict(Rls.objects.filter(region=run.region).values_list("code", "name"))
    return {
        code: (name, rls, rls_names.get(rls, rls))
        for code, name, rls in zip(
            table.column("physician_id").to_pylist(),
            table.column("name").to_pylist(),
            table.column("rls_id").to_pylist(),
            strict=True,
        )
    }


def _gmf_of(run: AssiduityRun, memberships: Dataset | None) -> dict[str, tuple[str, str]]:
    """physician code -> (GMF code, GMF name) of their last GMF membership in force during
    ``run``'s year (latest start), from the memberships version ``run`` read; a physician
    without one during the year is not listed."""
    if memberships is None:
        return {}
    table = read_dataset(memberships, columns=["physician_id", "gmf_id", "start_date", "end_date"])
    first = pa.scalar(datetime.date(run.year, 1, 1), pa.date32())
    after = pa.scalar(datetime.date(run.year + 1, 1, 1), pa.date32())
    # Half-open periods: in force on a day of the year.
    overlapping = pc.and_(
        pc.less(table.column("start_date"), after),
        pc.or_kleene(
            pc.is_null(table.column("end_date")), pc.greater(table.column("end_date"), first)
        ),
    )
    table = table.filter(overlapping).sort_by(
        [("physician_id", "ascending"), ("start_date", "ascending")]
    )
    names = dict(Gmf.objects.filter(rls__region=run.region).values_list("code", "name"))
    last: dict[str, tuple[str, str]] = {}
    for code, gmf in zip(
        table.column("physician_id").to_pylist(), table.column("gmf_id").to_pylist(), strict=True
    ):
        last[code] = (gmf, names.get(gmf, gmf))
    return last
