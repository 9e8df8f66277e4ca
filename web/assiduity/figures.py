"""Read-side computations of the assiduity pages: the runs as the home page lists them,
a run's rates table for the physicians a user may read (the scope comes from
``web.accounts.access.assiduity_scope``; this module only applies it), its export, the
paritary committee's list (EP 40, 15.04) and what the DRMG notices (15.01 B) mean for a
computation.

    runs = run_rows(access.visible_assiduity_runs(user)[:30])
    table = rates_table(run, access.assiduity_scope(user), sort="-rate", page="2")
    headers, rows = rates_export(physician_rows(run, scope, sort="-rate"))
    listed = committee_rows(run, scope)
    changes = notice_changes(run, scope)       # notices recorded or withdrawn since
    reading = notice_reading(notice)           # the latest computation of its year

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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from web.assiduity.models import AssiduityRun, AssiduityRunStatus, DrmgNotice
from web.dashboard.templatetags.panelcare_format import half_up
from web.regions.models import Gmf, Physician, Region, Rls
from web.tables.kinds import DatasetKind, get_kind
from web.tables.models import Dataset
from web.tables.store import read_dataset

__all__ = [
    "COLUMNS",
    "LOWERING_CATEGORIES",
    "PHASES",
    "RATES_PER_PAGE",
    "SORTS",
    "TIERS",
    "NoticeChanges",
    "NoticeReading",
    "RatesTable",
    "committee_export",
    "committee_rows",
    "gmf_names",
    "notice_changes",
    "notice_reading",
    "physician_names",
    "physician_rows",
    "rates_export",
    "rates_table",
    "run_rows",
    "versions_read",
    "year_gmf_memberships",
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
    # The tiers from the best; the paritary committee's flag and the notices first when
    # descending (-review, -notice).
    "tier": lambda row: -list(TIERS).index(row["tier"]) if row["tier"] in TIERS else None,
    "review": lambda row: row["review_flag"],
    "notice": lambda row: (row["notice"] is not None, bool(row["drmg_deemed"])),
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
    ("tier", _("Tier"), False),
    ("review", _("Paritary committee"), False),
    ("notice", _("DRMG notice"), False),
)

# The counted visits that are not assiduous (reason other_provider), by provider category
# (panelcare.assiduity.explain.PROVIDER_CATEGORIES): what lowered a rate, worded.
LOWERING_CATEGORIES = {
    "er": _("emergency room"),
    "other_gmf": _("another GMF"),
    "ips_outside_group": _("IPS outside the partnership"),
    "other_clinic": _("another clinic"),
}
# The reasons the committee's list names for each physician, at most.
TOP_REASONS = 3


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
    """The rates of the DONE ``run`` for the physicians of ``scope`` (None: every row)
    (:func:`physician_rows`), sorted by ``sort`` (a key of :data:`SORTS`, ``-`` first for
    descending; empty or unknown: by name), :data:`RATES_PER_PAGE` rows on the page
    ``page``. A row without a value of the sort key (no rate) comes last either way."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        sort = DEFAULT_SORT
    rows = physician_rows(run, scope, sort=sort)
    paginator = Paginator(rows, RATES_PER_PAGE)
    return RatesTable(page=paginator.get_page(page), sort=sort, count=len(rows))


def physician_rows(
    run: AssiduityRun, scope: frozenset[str] | None, *, sort: str = ""
) -> list[dict[str, Any]]:
    """Every row of the DONE ``run``'s rates for the physicians of ``scope`` (None: every
    row), sorted as :func:`rates_table` sorts them: the engine's columns
    (:data:`panelcare.assiduity.compute.RATE_COLUMNS`) with ``name``, ``rls_code``,
    ``rls_name``, ``gmf_code``, ``gmf_name``, ``tier_label``, ``payment_share`` (0 to 1),
    ``notice`` (the physician's DRMG notice of the year in force today, or None) and
    ``notice_unread`` (that notice is not one the computation read: it was recorded
    after)."""
    from panelcare.assiduity.results import read_rates

    rates = read_rates(run.results_folder)
    if scope is not None:
        wanted = pa.array(sorted(scope), pa.string())
        rates = rates.filter(pc.is_in(rates.column("physician_id"), value_set=wanted))
    datasets = run.datasets()
    roster = _roster(run, datasets.get(DatasetKind.PHYSICIANS))
    gmfs = _gmf_of(run, datasets.get(DatasetKind.GMF_MEMBERSHIPS))
    notices = {
        notice.physician_code: notice
        for notice in DrmgNotice.objects.active().filter(region=run.region, year=run.year)
    }
    read = set(notices_read_ids(run))
    rows = []
    for rate in rates.to_pylist():
        code = rate["physician_id"]
        name, rls_code, rls_name = roster.get(code, ("", "", ""))
        gmf_code, gmf_name = gmfs.get(code, ("", ""))
        notice = notices.get(code)
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
                "notice": notice,
                "notice_unread": notice is not None and notice.pk not in read,
            }
        )
    key = sort.removeprefix("-")
    if key not in SORTS:
        key, sort = DEFAULT_SORT, DEFAULT_SORT
    return _sorted(rows, key, descending=sort.startswith("-"))


def _yes(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


def _percent(ratio: float | None) -> float | None:
    """A share as a percent with one decimal, for a file (82.5); None for no value."""
    # Half up, as the pages' pct filter: 159/240 reads 66,3 % on the page and in the file.
    return None if ratio is None else float(half_up(ratio * 100, 1))


def rates_export(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """:func:`physician_rows`'s ``rows`` as a file's table (headers, rows): the columns of
    the rates table, percents as numbers (82.5), the tier in words, yes or no."""
    headers = [
        gettext("Physician number"),
        gettext("Physician"),
        gettext("RLS"),
        gettext("GMF number"),
        gettext("GMF"),
        gettext("Registered patients"),
        gettext("Counted visits"),
        gettext("Assiduous visits"),
        gettext("Rate (%)"),
        gettext("Target (%)"),
        gettext("Share of the supplements paid (%)"),
        gettext("Tier"),
        gettext("Paritary committee"),
        gettext("DRMG notice in force"),
        gettext("Deemed to meet the target"),
    ]
    table = [
        [
            row["physician_id"],
            row["name"],
            row["rls_name"],
            row["gmf_code"],
            row["gmf_name"],
            row["registered_patients"],
            row["counted_visits"],
            row["assiduous_visits"],
            _percent(row["rate"]),
            _percent(row["target"]),
            row["payment_pct"],
            str(row["tier_label"]),
            _yes(row["review_flag"]),
            _yes(row["notice"] is not None),
            _yes(row["drmg_deemed"]),
        ]
        for row in rows
    ]
    return headers, table


# --------------------------------------------------------------------------- the committee


def committee_rows(run: AssiduityRun, scope: frozenset[str] | None) -> list[dict[str, Any]]:
    """The physicians of the paritary committee's list (EP 40, 15.04) among ``scope``'s
    (None: every physician) in the DONE ``run``: those under the target by less than 3
    points (the engine's ``review_flag``), closest to the target first. Each row is a
    :func:`physician_rows` row with ``gap_points`` (the target minus the rate, in
    percentage points) and ``reasons``: the (label, visits) of what lowered the rate most,
    the counted visits made by another provider by category (at most
    :data:`TOP_REASONS`, the most visits first)."""
    from panelcare.assiduity.results import read_summary

    listed = [row for row in physician_rows(run, scope, sort="-rate") if row["review_flag"]]
    for row in listed:
        row["gap_points"] = (row["target"] - row["rate"]) * 100
        summary = read_summary(run.results_folder, row["physician_id"]).to_pylist()
        lowering = [
            line for line in summary if line["counted"] and not line["assiduous"] and line["visits"]
        ]
        lowering.sort(key=lambda line: -line["visits"])
        row["reasons"] = [
            (
                LOWERING_CATEGORIES.get(line["provider_category"], line["provider_category"]),
                line["visits"],
            )
            for line in lowering[:TOP_REASONS]
        ]
    return listed


def committee_export(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """:func:`committee_rows`'s ``rows`` as a file's table (headers, rows)."""
    headers = [
        gettext("Physician number"),
        gettext("Physician"),
        gettext("RLS"),
        gettext("GMF number"),
        gettext("GMF"),
        gettext("Rate (%)"),
        gettext("Target (%)"),
        gettext("Gap (points)"),
        gettext("Counted visits"),
        gettext("Assiduous visits"),
        gettext("What lowered the rate"),
        gettext("DRMG notice in force"),
        gettext("Deemed to meet the target"),
    ]
    table = [
        [
            row["physician_id"],
            row["name"],
            row["rls_name"],
            row["gmf_code"],
            row["gmf_name"],
            _percent(row["rate"]),
            _percent(row["target"]),
            float(half_up(row["gap_points"], 1)),
            row["counted_visits"],
            row["assiduous_visits"],
            "; ".join(
                gettext("%(reason)s: %(visits)s visits") % {"reason": reason, "visits": visits}
                for reason, visits in row["reasons"]
            ),
            _yes(row["notice"] is not None),
            _yes(row["drmg_deemed"]),
        ]
        for row in rows
    ]
    return headers, table


# --------------------------------------------------------------------------- the notices


def notices_read_ids(run: AssiduityRun) -> list[int]:
    """The ids of the DRMG notices ``run`` read (its summary's ``notices``; none for a run
    not done, or computed before the notices were read)."""
    return list((run.summary or {}).get("notices") or [])


@dataclass(frozen=True)
class NoticeChanges:
    """The DRMG notices of a computation's year changed since it read them: ``recorded``
    (in force today, not read) and ``withdrawn`` (read, withdrawn since)."""

    recorded: list[DrmgNotice]
    withdrawn: list[DrmgNotice]

    def __bool__(self) -> bool:
        return bool(self.recorded or self.withdrawn)


def notice_changes(run: AssiduityRun, scope: frozenset[str] | None) -> NoticeChanges:
    """The notices of ``run``'s region and year recorded or withdrawn since the DONE
    ``run`` read them, of the physicians of ``scope`` (None: every one): the computation
    predates them, a new one applies them."""
    if run.status != AssiduityRunStatus.DONE:
        return NoticeChanges([], [])
    read = notices_read_ids(run)
    notices = DrmgNotice.objects.filter(region=run.region, year=run.year)
    if scope is not None:
        notices = notices.filter(physician_code__in=scope)
    recorded = list(notices.active().exclude(pk__in=read).order_by("physician_code"))
    withdrawn = list(
        notices.filter(pk__in=read, withdrawn_at__isnull=False).order_by("physician_code")
    )
    return NoticeChanges(recorded, withdrawn)


@dataclass(frozen=True)
class NoticeReading:
    """What the latest computation of a notice's year says of it: ``run`` (None before
    any), whether it ``read`` the notice, the physician's ``rate`` row there (None when
    the results do not list them), and whether the notice is ``active``."""

    run: AssiduityRun | None
    read: bool
    rate: dict[str, Any] | None
    active: bool

    @property
    def outdated(self) -> bool:
        """The computation predates the notice (or its withdrawal): compute again."""
        return self.run is not None and self.read != self.active


def notice_reading(notice: DrmgNotice) -> NoticeReading:
    """The latest DONE computation of ``notice``'s region and year, whether it read the
    notice, and the physician's rate there."""
    from panelcare.assiduity.results import read_rates

    run = (
        AssiduityRun.objects.filter(
            region=notice.region_id, year=notice.year, status=AssiduityRunStatus.DONE
        )
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None:
        return NoticeReading(None, False, None, notice.active)
    rates = read_rates(run.results_folder)
    found = rates.filter(pc.equal(rates.column("physician_id"), notice.physician_code))
    rows = found.to_pylist()
    return NoticeReading(
        run, notice.pk in notices_read_ids(run), rows[0] if rows else None, notice.active
    )


def physician_names(region: Region, codes: Iterable[str]) -> dict[str, str]:
    """physician code -> name, of ``region``'s physicians among ``codes``."""
    return dict(
        Physician.objects.filter(rls__region=region, code__in=list(codes)).values_list(
            "code", "name"
        )
    )


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
    names = gmf_names(run.region)
    return {
        code: (gmf, names.get(gmf, gmf))
        for code, gmf in year_gmf_memberships(memberships, run.year).items()
    }


def gmf_names(region: Region) -> dict[str, str]:
    """GMF code -> name, of ``region``'s GMFs."""
    return dict(Gmf.objects.filter(rls__region=region).values_list("code", "name"))


def year_gmf_memberships(
    memberships: Dataset, year: int, physician_code: str | None = None
) -> dict[str, str]:
    """physician code -> GMF code of their last GMF membership in force on some day of
    ``year`` (latest start), in the GMF memberships version ``memberships`` (only
    ``physician_code``'s when given). The periods are half-open, as the engine reads them
    (``panelcare.assiduity.compute.clip``): a membership ending on 1 January is not of the
    year."""
    table = read_dataset(memberships, columns=["physician_id", "gmf_id", "start_date", "end_date"])
    if physician_code is not None:
        table = table.filter(pc.equal(table.column("physician_id"), physician_code))
    first = pa.scalar(datetime.date(year, 1, 1), pa.date32())
    after = pa.scalar(datetime.date(year + 1, 1, 1), pa.date32())
    overlapping = pc.and_(
        pc.less(table.column("start_date"), after),
        pc.or_kleene(
            pc.is_null(table.column("end_date")), pc.greater(table.column("end_date"), first)
        ),
    )
    table = table.filter(overlapping).sort_by(
        [("physician_id", "ascending"), ("start_date", "ascending")]
    )
    return dict(
        zip(
            table.column("physician_id").to_pylist(),
            table.column("gmf_id").to_pylist(),
            strict=True,
        )
    )
