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
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from web.assiduity.models import LATEST_FIRST, AssiduityRun, AssiduityRunStatus, DrmgNotice
from web.dashboard.templatetags.panelcare_format import half_up
from web.regions.models import Gmf, Ips, Physician, Region, Rls
from web.tables.kinds import DatasetKind, get_kind
from web.tables.models import Dataset
from web.tables.store import read_dataset

__all__ = [
    "CATEGORY_LABELS",
    "COLUMNS",
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
    "ips_names",
    "label",
    "notice_changes",
    "notice_reading",
    "physician_names",
    "physician_rate",
    "physician_rows",
    "rate_row",
    "rates_export",
    "rates_table",
    "run_gmfs",
    "run_roster",
    "run_rows",
    "tier_label",
    "versions_read",
    "year_gmf_memberships",
    "year_gmf_periods",
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

# Who made a counted visit that is not assiduous (reason other_provider), by provider
# category (panelcare.assiduity.explain.PROVIDER_CATEGORIES): what lowered a rate, worded
# once for the physician's page, its visit list and the committee's list.
CATEGORY_LABELS = {
    "er": _("Emergency room, triage P4 or P5"),
    "other_gmf": _("A physician of another GMF"),
    "ips_outside_group": _("An IPS outside the group's partnership"),
    "other_clinic": _("Another clinic, or the group away from its sites"),
}
# The reasons the committee's list names for each physician, at most.
TOP_REASONS = 3
_RATES_FILE = "rates.parquet"  # panelcare.assiduity.results.write_results's layout


def label(labels: Mapping[str, Any], code: str | None) -> str:
    """The label of ``code`` in ``labels`` (:data:`TIERS`, :data:`CATEGORY_LABELS`, the
    physician page's reasons and settings); empty for None. A code the labels do not know
    (a newer engine's) is said as unknown, never shown: a French page shows no code word."""
    if code is None:
        return ""
    return str(labels[code]) if code in labels else gettext("Other (unknown to this version)")


def tier_label(tier: str | None) -> str:
    """The words of the engine's ``tier`` (:data:`TIERS`, :func:`label`)."""
    return label(TIERS, tier)


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
    roster = run_roster(run)
    rls_names = dict(Rls.objects.filter(region=run.region).values_list("code", "name"))
    gmfs = run_gmfs(run)
    notices = {
        notice.physician_code: notice
        for notice in DrmgNotice.objects.active().filter(region=run.region, year=run.year)
    }
    read = set(notices_read_ids(run))
    rows = []
    for rate in rates.to_pylist():
        code = rate["physician_id"]
        name, rls_code = roster.get(code, ("", ""))
        gmf_code, gmf_name = gmfs.get(code, ("", ""))
        notice = notices.get(code)
        rows.append(
            {
                **rate,
                "name": name,
                "rls_code": rls_code,
                "rls_name": rls_names.get(rls_code, rls_code),
                "gmf_code": gmf_code,
                "gmf_name": gmf_name,
                "tier_label": tier_label(rate["tier"]),
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


def _who_headers() -> list[str]:
    """The headers of who a file's row is of (:func:`_who`)."""
    return [
        gettext("Physician number"),
        gettext("Physician"),
        gettext("RLS"),
        gettext("GMF number"),
        gettext("GMF"),
    ]


def _who(row: dict[str, Any]) -> list[Any]:
    """Who :func:`physician_rows`'s ``row`` is of, as a file's first cells."""
    return [row["physician_id"], row["name"], row["rls_name"], row["gmf_code"], row["gmf_name"]]


def rates_export(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """:func:`physician_rows`'s ``rows`` as a file's table (headers, rows): the columns of
    the rates table, percents as numbers (82.5), the tier in words, yes or no."""
    headers = [
        *_who_headers(),
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
            *_who(row),
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
    from panelcare.assiduity.results import read_summaries

    listed = [row for row in physician_rows(run, scope, sort="-rate") if row["review_flag"]]
    # One read for the whole list (a region's list may hold a thousand physicians).
    summaries: dict[str, list[dict[str, Any]]] = {}
    codes = [row["physician_id"] for row in listed]
    for line in read_summaries(run.results_folder, codes).to_pylist():
        summaries.setdefault(line["physician_id"], []).append(line)
    for row in listed:
        row["gap_points"] = (row["target"] - row["rate"]) * 100
        summary = summaries.get(row["physician_id"], [])
        lowering = [
            line for line in summary if line["counted"] and not line["assiduous"] and line["visits"]
        ]
        lowering.sort(key=lambda line: -line["visits"])
        row["reasons"] = [
            (label(CATEGORY_LABELS, line["provider_category"]), line["visits"])
            for line in lowering[:TOP_REASONS]
        ]
    return listed


def committee_export(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """:func:`committee_rows`'s ``rows`` as a file's table (headers, rows)."""
    headers = [
        *_who_headers(),
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
            *_who(row),
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
    run = (
        AssiduityRun.objects.filter(
            region=notice.region_id, year=notice.year, status=AssiduityRunStatus.DONE
        )
        .order_by(*LATEST_FIRST)
        .first()
    )
    if run is None:
        return NoticeReading(None, False, None, notice.active)
    return NoticeReading(
        run,
        notice.pk in notices_read_ids(run),
        rate_row(run, notice.physician_code),
        notice.active,
    )


# --------------------------------------------------------------------------- readers


def rate_row(run: AssiduityRun, code: str) -> dict[str, Any] | None:
    """``code``'s row of ``run``'s rates (compute.RATE_COLUMNS), None without one
    (:func:`physician_rate`)."""
    return physician_rate(run.results_folder, code)


def physician_rate(out_dir: Path, code: str) -> dict[str, Any] | None:
    """``code``'s row of the rates in the results folder ``out_dir``, None without one (or
    without the file). Reads only the rates file's row groups that may hold it."""
    try:
        table = pq.read_table(out_dir / _RATES_FILE, filters=[("physician_id", "==", code)])
    except FileNotFoundError:
        return None
    rows = table.to_pylist()
    return rows[0] if rows else None


def run_roster(
    run: AssiduityRun, codes: Collection[str] | None = None
) -> dict[str, tuple[str, str]]:
    """physician code -> (name, RLS code), from the physicians' roster version ``run`` read
    (empty strings for a name or an RLS the roster leaves empty); only ``codes``' when
    given. The one reader of a computation's roster: every page of a computation names a
    physician and puts them in an RLS as its roster did (today's RLS may differ: a
    transfer since)."""
    physicians = run.datasets().get(DatasetKind.PHYSICIANS)
    if physicians is None or (codes is not None and not codes):
        return {}
    table = read_dataset(physicians, columns=["physician_id", "name", "rls_id"])
    if codes is not None:
        wanted = pa.array(sorted(codes), pa.string())
        table = table.filter(pc.is_in(table.column("physician_id"), value_set=wanted))
    return {
        code: (name or "", rls or "")
        for code, name, rls in zip(
            table.column("physician_id").to_pylist(),
            table.column("name").to_pylist(),
            table.column("rls_id").to_pylist(),
            strict=True,
        )
    }


def physician_names(region: Region, codes: Iterable[str]) -> dict[str, str]:
    """physician code -> name, of ``region``'s physicians among ``codes``."""
    return dict(
        Physician.objects.filter(rls__region=region, code__in=list(codes)).values_list(
            "code", "name"
        )
    )


def ips_names(region: Region, codes: Iterable[str]) -> dict[str, str]:
    """IPS-SPL code -> name, of ``region``'s IPS-SPL among ``codes``: those of its sites
    and those of its partnerships."""
    found = Ips.objects.filter(
        Q(site__rls__region=region) | Q(partnerships__region=region), code__in=list(codes)
    )
    return dict(found.values_list("code", "name").distinct())


def gmf_names(region: Region) -> dict[str, str]:
    """GMF code -> name, of ``region``'s GMFs."""
    return dict(Gmf.objects.filter(rls__region=region).values_list("code", "name"))


def run_gmfs(run: AssiduityRun, physician_code: str | None = None) -> dict[str, tuple[str, str]]:
    """physician code -> (GMF code, GMF name) of their last GMF membership of ``run``'s
    year (:func:`year_gmf_memberships`) in the memberships version ``run`` read (only
    ``physician_code``'s when given), named as ``run``'s region names its GMFs (the code
    for a GMF it does not know); a physician without one during the year is not listed."""
    memberships = run.datasets().get(DatasetKind.GMF_MEMBERSHIPS)
    if memberships is None:
        return {}
    names = gmf_names(run.region)
    return {
        code: (gmf, names.get(gmf, gmf))
        for code, gmf in year_gmf_memberships(memberships, run.year, physician_code).items()
    }


def _sorted(rows: list[dict[str, Any]], key: str, *, descending: bool) -> list[dict[str, Any]]:
    """``rows`` by :data:`SORTS` ``key``, then by name; rows without a value last."""
    value = SORTS[key]
    by_name = sorted(rows, key=SORTS["physician"])
    known = [row for row in by_name if value(row) is not None]
    unknown = [row for row in by_name if value(row) is None]
    return sorted(known, key=value, reverse=descending) + unknown


def year_gmf_periods(
    memberships: Dataset, year: int, physician_code: str | None = None
) -> pa.Table:
    """The GMF memberships (physician_id, gmf_id, start_date, end_date, as the version
    gives them) in force on some day of ``year`` in the version ``memberships`` (only
    ``physician_code``'s when given), as the engine clips them
    (``panelcare.assiduity.compute.clip``): the periods are half-open, so a membership
    ending on 1 January is not of the year, and an empty one (ending on its start) is of
    no year. Sorted by physician, then start, then end (an open end last), then GMF code:
    a physician's last row is their last membership of the year."""
    table = read_dataset(memberships, columns=["physician_id", "gmf_id", "start_date", "end_date"])
    if physician_code is not None:
        table = table.filter(pc.equal(table.column("physician_id"), physician_code))
    first = pa.scalar(datetime.date(year, 1, 1), pa.date32())
    after = pa.scalar(datetime.date(year + 1, 1, 1), pa.date32())
    start, end = table.column("start_date"), table.column("end_date")
    in_force = pc.and_(
        pc.less(start, after),
        pc.or_kleene(pc.is_null(end), pc.and_(pc.greater(end, first), pc.greater(end, start))),
    )
    return table.filter(in_force).sort_by(
        [
            ("physician_id", "ascending"),
            ("start_date", "ascending"),
            ("end_date", "ascending"),  # nulls (an open end) at the end
            ("gmf_id", "ascending"),
        ]
    )


def year_gmf_memberships(
    memberships: Dataset, year: int, physician_code: str | None = None
) -> dict[str, str]:
    """physician code -> GMF code of their last GMF membership in force on some day of
    ``year`` in the GMF memberships version ``memberships`` (only ``physician_code``'s when
    given); :func:`year_gmf_periods`'s rows. "Last" is the latest start; two memberships
    starting the same day are told apart by the one ending last (an open end last of
    all), then by the highest GMF code, so that every page (the rates table, the
    physician's page, the notices) names the same GMF."""
    table = year_gmf_periods(memberships, year, physician_code)
    # Sorted: each physician's last row wins.
    return dict(
        zip(
            table.column("physician_id").to_pylist(),
            table.column("gmf_id").to_pylist(),
            strict=True,
        )
    )
