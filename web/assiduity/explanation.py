"""One physician's assiduity explanation, as their page reads it from a computation's
results: the rate and what it pays, the distance to the next bands, the visits that
lowered it grouped the way a physician can act on them, the months, the visit list.

    page = physician_page(run, "D00042", own=True)
    visits = visits_page(run, "D00042", VisitFilter(kind="lowering"), page=2)
    headers, rows = visits_export(run, "D00042", VisitFilter())

Only this physician's rows are read: the engine's per-physician readers
(:mod:`panelcare.assiduity.results`: ``read_summary``, ``read_monthly``,
``read_physician_visits``, ``count_physician_visits``), the rates file (one row a
physician), and the physician's rows of ``visits.parquet`` for the provider category of
the visits made elsewhere (the file's documented layout: its row groups hold one
physician's rows together, and their statistics on ``physician_id`` let every other group
be skipped). Who may read which physician is the views' to check
(``web.accounts.access.access_assiduity_physician``).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from panelcare.assiduity.bands import band_gaps
from panelcare.assiduity.compute import ASSIDUOUS_REASONS, COUNTED_REASONS, EXCLUSION_REASONS
from panelcare.assiduity.rules import Scale
from web.assiduity.figures import (
    CATEGORY_LABELS,
    ips_names,
    physician_rate,
    rate_row,
    run_gmfs,
    run_roster,
    tier_label,
)
from web.assiduity.figures import label as _label
from web.assiduity.models import LATEST_FIRST, AssiduityRun
from web.dashboard.templatetags.panelcare_format import pct
from web.regions.models import Site
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

__all__ = [
    "KINDS",
    "REASON_LABELS",
    "SETTING_LABELS",
    "VISITS_PER_PAGE",
    "PhysicianPage",
    "ResultsRead",
    "VisitFilter",
    "VisitsPage",
    "physician_name",
    "physician_page",
    "read_results",
    "visits_export",
    "visits_page",
    "year_runs",
]

VISITS_PER_PAGE = 50

# The engine's reasons (panelcare.assiduity.compute.REASONS), worded for the page.
REASON_LABELS = {
    # Counted and assiduous.
    "own_visit": gettext_lazy("Own visit"),
    "group_member": gettext_lazy("Visit by a colleague of the group"),
    "ips_partner": gettext_lazy("Visit by a partnered IPS"),
    "pregnancy_own": gettext_lazy("Own pregnancy follow-up"),
    # Counted, not assiduous: it lowers the rate.
    "other_provider": gettext_lazy("Visit made elsewhere"),
    # Not counted (EP 40, 15.06 and the infolettre's exclusions).
    "not_registered": gettext_lazy("Patient registered with nobody that day"),
    "ineligible_provider": gettext_lazy("Provider neither a physician nor an IPS"),
    "ineligible_setting": gettext_lazy("Setting not counted"),
    "excluded_billing_code": gettext_lazy("Billing code not counted"),
    "er_priority_1_3": gettext_lazy("Emergency room, triage P1 to P3"),
    "er_admitted": gettext_lazy("Emergency room, patient admitted"),
    "er_repeat": gettext_lazy("Emergency room, repeat visit of the same episode"),
    "er_referred": gettext_lazy("Emergency room, patient sent by a physician"),
    "er_death": gettext_lazy("Emergency room, death certification"),
    "pregnancy_other_physician": gettext_lazy(
        "Pregnancy follow-up by another physician (it counts for them)"
    ),
    "own_visit_elsewhere": gettext_lazy("Own visit away from the GMF's sites"),
    "service_agreement": gettext_lazy("Physician of a GMF under a service agreement"),
    "gmf_r_small_agreements": gettext_lazy("Physician of a GMF-R with small agreements"),
}

# What the physician can do about each category.
CATEGORY_HINTS = {
    "er": gettext_lazy(
        "Patients who went to the emergency room with a less urgent problem: offering them "
        "an appointment at the GMF (open access) brings these visits back."
    ),
    "other_gmf": gettext_lazy(
        "Patients seen by the physicians of another GMF: a service agreement between the "
        "two GMFs would take these visits out of the count."
    ),
    "ips_outside_group": gettext_lazy(
        "Patients seen by an IPS not partnered with the group: a partnership would make "
        "these visits assiduous."
    ),
    "other_clinic": gettext_lazy(
        "Patients seen in another clinic, or by the group away from the GMF's sites."
    ),
}

# The contract's settings (panelcare.assiduity.contract.SETTINGS), worded.
SETTING_LABELS = {
    "cabinet": gettext_lazy("Private office"),
    "domicile": gettext_lazy("Home visit"),
    "clsc": gettext_lazy("CLSC"),
    "umf": gettext_lazy("UMF"),
    "gmf": gettext_lazy("GMF"),
    "gmf_r": gettext_lazy("GMF-R"),
    "gmf_u": gettext_lazy("GMF-U"),
    "clinique_reseau": gettext_lazy("Network clinic"),
    "urgence_ch": gettext_lazy("Hospital emergency room"),
    "urgence_clsc": gettext_lazy("CLSC emergency"),
    "other": gettext_lazy("Other setting"),
}

# The visit list's filter on what a visit did (?kind=): the reasons of each.
KINDS = {
    "assiduous": (pgettext_lazy("visits", "Assiduous"), ASSIDUOUS_REASONS),
    "lowering": (gettext_lazy("Counted, not assiduous (lowered the rate)"), ("other_provider",)),
    "counted": (pgettext_lazy("visits", "Counted"), COUNTED_REASONS),
    "excluded": (gettext_lazy("Not counted"), EXCLUSION_REASONS),
}

# The emergency room's exclusions, in the order the ER block lists them.
_ER_EXCLUSIONS = ("er_priority_1_3", "er_admitted", "er_repeat", "er_referred", "er_death")
_VISITS_FILE = "visits.parquet"  # results.write_results's layout
# The rate row's reader (bench/assiduity_page.py times it under this name).
_rate_of = physician_rate


# --------------------------------------------------------------------------- the rate


def physician_name(run: AssiduityRun, code: str) -> str:
    """``code``'s name in the roster version ``run`` read; empty when it has none."""
    return run_roster(run, [code]).get(code, ("", ""))[0]


def year_runs(runs: QuerySet[AssiduityRun], code: str) -> list[AssiduityRun]:
    """The latest of ``runs`` (DONE, the reader's) of each year in which ``code`` has a
    rate, most recent year first. "Latest" is the first in
    :data:`~web.assiduity.models.LATEST_FIRST`'s order, as everywhere a computation of a
    year is chosen (the trends, the attribution's LE 304)."""
    latest: dict[int, AssiduityRun] = {}
    for run in runs.order_by(*LATEST_FIRST):
        if run.year not in latest and rate_row(run, code) is not None:
            latest[run.year] = run
    return [latest[year] for year in sorted(latest, reverse=True)]


@dataclass(frozen=True)
class PhysicianPage:
    """What the physician's page shows (see :func:`physician_page`)."""

    run: AssiduityRun
    code: str
    name: str
    gmf_name: str
    rate: dict[str, Any]
    tier_label: str
    payment_share: float | None
    to_date: datetime.date | None
    gaps: list[dict[str, Any]]
    counted: list[dict[str, Any]]
    lowering: list[dict[str, Any]]
    emergency: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    months: list[dict[str, Any]]
    scale: Scale
    visits: VisitsPage


@dataclass(frozen=True)
class ResultsRead:
    """What a physician's page reads of a computation's results, this physician's rows
    only (:func:`read_results`): their ``rate`` row, ``summary`` and ``monthly`` rows, the
    counted visits not assiduous with their provider category (``lowering``: visit_id,
    provider_category, site_id, setting), and the page ``visits`` of the list asked
    (``visit_count`` rows in all for its filter, page ``page`` of ``pages``)."""

    rate: dict[str, Any]
    summary: list[dict[str, Any]]
    monthly: list[dict[str, Any]]
    lowering: pa.Table
    visits: pa.Table
    visit_count: int
    page: int
    pages: int


def read_results(
    out_dir: Path, code: str, visit_filter: VisitFilter | None = None, page: Any = 1
) -> ResultsRead | None:
    """Every read of ``code``'s page in the results folder ``out_dir`` (the list's page
    ``page`` for ``visit_filter``); None when the results have no rate for them. What
    ``bench/assiduity_page.py`` times.

    Raises:
        ResultsError: ``out_dir`` holds no results of this layout.
    """
    from panelcare.assiduity.results import read_monthly, read_summary

    rate = _rate_of(out_dir, code)
    if rate is None:
        return None
    summary = read_summary(out_dir, code).to_pylist()
    lowering = _lowering_rows(out_dir, code) if _any(summary, "other_provider") else _NO_ROWS
    count, number, pages, visits = _visit_rows(out_dir, code, visit_filter or VisitFilter(), page)
    return ResultsRead(
        rate=rate,
        summary=summary,
        monthly=read_monthly(out_dir, code).to_pylist(),
        lowering=lowering,
        visits=visits,
        visit_count=count,
        page=number,
        pages=pages,
    )


def physician_page(
    run: AssiduityRun,
    code: str,
    *,
    own: bool,
    visit_filter: VisitFilter | None = None,
    page: Any = 1,
) -> PhysicianPage | None:
    """``code``'s explanation in the DONE ``run`` with the page ``page`` of their visits
    kept by ``visit_filter``; None when the results have no rate for them. ``own``: the
    physician reads their own page (the sentences say "your")."""
    from panelcare.assiduity.rules import load_rules

    visit_filter = visit_filter or VisitFilter()
    read = read_results(run.results_folder, code, visit_filter, page)
    if read is None:
        return None
    rate, summary = read.rate, read.summary
    scale = load_rules().scale_for(run.year)
    datasets = run.datasets()
    gmf_code, gmf_name = run_gmfs(run, code).get(code, ("", ""))
    computed = timezone.localdate(run.finished_at or run.created_at)
    to_date = computed if computed.year == run.year else None
    providers = set(read.visits["provider_id"].drop_null().to_pylist())
    names = _names(run, providers | {code})
    return PhysicianPage(
        run=run,
        code=code,
        name=names.get(code, ""),
        gmf_name=gmf_name,
        rate=rate,
        tier_label=tier_label(rate["tier"]),
        payment_share=None if rate["payment_pct"] is None else rate["payment_pct"] / 100,
        to_date=to_date,
        gaps=_gaps(rate, scale, own=own),
        counted=[
            {"label": _label(REASON_LABELS, row["reason"]), **row}
            for row in summary
            if row["assiduous"]
        ],
        lowering=_lowering(
            run,
            summary,
            read.lowering,
            _gmf_sites(datasets.get(DatasetKind.GMF_SITES), gmf_code),
        ),
        emergency=_emergency(summary),
        excluded=[
            {"label": _label(REASON_LABELS, row["reason"]), **row}
            for row in summary
            if not row["counted"]
        ],
        months=_months(read.monthly, run.year, to_date),
        scale=scale,
        visits=VisitsPage(
            rows=_labelled(run, read.visits, read.lowering, names),
            number=read.page,
            pages=read.pages,
            count=read.visit_count,
            filter=visit_filter,
        ),
    )


def _any(summary: list[dict[str, Any]], reason: str) -> bool:
    return any(row["reason"] == reason and row["visits"] for row in summary)


def _gaps(rate: dict[str, Any], scale: Scale, *, own: bool) -> list[dict[str, Any]]:
    """The bands above the rate (:func:`panelcare.assiduity.bands.band_gaps`), each with
    its sentence; none for a physician a DRMG notice deems to meet the rate: they are paid
    in full whatever their rate, and "N more visits would reach 80 % (100 % of the
    supplements)" would promise what they already have."""
    if rate.get("drmg_deemed"):
        return []
    gaps = []
    for gap in band_gaps(rate["counted_visits"], rate["assiduous_visits"], scale):
        values = {"count": gap.visits, "rate": _band_percent(gap.rate), "paid": gap.payment_pct}
        if own:
            sentence = ngettext(
                "%(count)s more of your patients' visits made by your group would reach "
                "%(rate)s (%(paid)s %% of the volume supplements).",
                "%(count)s more of your patients' visits made by your group would reach "
                "%(rate)s (%(paid)s %% of the volume supplements).",
                gap.visits,
            )
        else:
            sentence = ngettext(
                "%(count)s more of the physician's patients' visits made by their group "
                "would reach %(rate)s (%(paid)s %% of the volume supplements).",
                "%(count)s more of the physician's patients' visits made by their group "
                "would reach %(rate)s (%(paid)s %% of the volume supplements).",
                gap.visits,
            )
        gaps.append({"gap": gap, "sentence": sentence % values})
    return gaps


def _band_percent(rate: float) -> str:
    """A band's rate as the reader writes a percent: "80 %", "72,5 %"."""
    whole = round(rate * 100, 6).is_integer()
    return pct(rate, 0 if whole else 1)


def _lowering(
    run: AssiduityRun,
    summary: list[dict[str, Any]],
    rows: pa.Table,
    gmf_sites: frozenset[str],
) -> list[dict[str, Any]]:
    """The counted visits that are not assiduous, by provider category (the summary's
    order), each with its sites (name where known, how many, whether a site of the
    physician's GMF) or, for the emergency room, its settings."""
    by_category: dict[str, Counter[str]] = {}
    by_setting: dict[str, Counter[str]] = {}
    for category, site, setting in zip(
        rows["provider_category"].to_pylist(),
        rows["site_id"].to_pylist(),
        rows["setting"].to_pylist(),
        strict=True,
    ):
        by_category.setdefault(category, Counter())[site or ""] += 1
        by_setting.setdefault(category, Counter())[setting or ""] += 1
    codes = {site for sites in by_category.values() for site in sites if site}
    names = _site_names(run, codes)
    groups = []
    for row in summary:
        if row["reason"] != "other_provider" or not row["visits"]:
            continue
        category = row["provider_category"]
        sites = [
            {
                "code": site,
                "name": names.get(site, ""),
                "visits": visits,
                "gmf_site": site in gmf_sites,
            }
            for site, visits in sorted(
                by_category.get(category, Counter()).items(), key=lambda item: (-item[1], item[0])
            )
        ]
        settings = [
            {"label": _label(SETTING_LABELS, setting), "visits": visits}
            for setting, visits in sorted(
                by_setting.get(category, Counter()).items(), key=lambda item: (-item[1], item[0])
            )
        ]
        groups.append(
            {
                "category": category,
                "label": _label(CATEGORY_LABELS, category),
                "hint": str(CATEGORY_HINTS.get(category, "")),
                "visits": row["visits"],
                "sites": sites,
                "settings": settings,
            }
        )
    return groups


def _emergency(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The emergency room visits by triage: the P4/P5 ones that count (and lowered the
    rate), then each exclusion (P1 to P3, then the P4/P5 ones admitted, repeated, sent or
    for a death); empty without any."""
    counted = sum(
        row["visits"]
        for row in summary
        if row["reason"] == "other_provider" and row["provider_category"] == "er"
    )
    rows = [
        {
            "label": _("Triage P4 or P5, counted: lowered the rate"),
            "visits": counted,
            "counted": True,
        }
    ]
    excluded = {row["reason"]: row["visits"] for row in summary if row["reason"] in _ER_EXCLUSIONS}
    rows += [
        {"label": _label(REASON_LABELS, reason), "visits": excluded[reason], "counted": False}
        for reason in _ER_EXCLUSIONS
        if excluded.get(reason)
    ]
    return rows if any(row["visits"] for row in rows) else []


def _months(
    monthly: list[dict[str, Any]], year: int, to_date: datetime.date | None
) -> list[dict[str, Any]]:
    """Each month of the year (up to the computation's month for the current year): the
    month's own rate and the rate of the year to its end (None without a counted visit)."""
    counted = assiduous = 0
    months = []
    for row in sorted(monthly, key=lambda row: row["month"]):
        if to_date is not None and row["month"] > to_date.month:
            break
        counted += row["counted_visits"]
        assiduous += row["assiduous_visits"]
        months.append(
            {
                "month": datetime.date(year, row["month"], 1),
                "counted_visits": row["counted_visits"],
                "assiduous_visits": row["assiduous_visits"],
                "month_rate": (
                    row["assiduous_visits"] / row["counted_visits"]
                    if row["counted_visits"]
                    else None
                ),
                "year_rate": assiduous / counted if counted else None,
            }
        )
    return months


# --------------------------------------------------------------------------- the visits


@dataclass(frozen=True)
class VisitFilter:
    """The visit list's filter: ``reason`` (a code of :data:`REASON_LABELS`) and ``kind``
    (a key of :data:`KINDS`); empty: any. Unknown values are ignored."""

    reason: str = ""
    kind: str = ""

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> VisitFilter:
        """The filter of a query string (``?reason=&kind=``)."""
        reason = str(params.get("reason", "") or "")
        kind = str(params.get("kind", "") or "")
        return cls(
            reason=reason if reason in REASON_LABELS else "",
            kind=kind if kind in KINDS else "",
        )

    def reasons(self) -> frozenset[str] | None:
        """The reason codes kept, None for every one."""
        kept: frozenset[str] | None = None
        if self.kind:
            kept = frozenset(KINDS[self.kind][1])
        if self.reason:
            kept = frozenset({self.reason}) if kept is None else kept & {self.reason}
        return kept

    def query(self, **more: Any) -> str:
        """The filter (and ``more``) as a query string, without the empty values."""
        values = {"reason": self.reason, "kind": self.kind, **more}
        return urlencode({key: value for key, value in values.items() if value})

    @property
    def active(self) -> bool:
        return bool(self.reason or self.kind)


@dataclass(frozen=True)
class VisitsPage:
    """One page of a physician's visits: ``rows`` (dicts, labelled), ``number`` (from 1),
    ``pages``, ``count`` (the filter's rows), and the ``filter``."""

    rows: list[dict[str, Any]]
    number: int
    pages: int
    count: int
    filter: VisitFilter

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous_query(self) -> str:
        return self.filter.query(page=self.number - 1)

    @property
    def next_query(self) -> str:
        return self.filter.query(page=self.number + 1)

    @property
    def first_row(self) -> int:
        return (self.number - 1) * VISITS_PER_PAGE + 1 if self.count else 0

    @property
    def last_row(self) -> int:
        return (self.number - 1) * VISITS_PER_PAGE + len(self.rows)


def visits_page(
    run: AssiduityRun, code: str, visit_filter: VisitFilter, page: Any = 1
) -> VisitsPage:
    """The page ``page`` (a number from 1; anything else: the first; past the end: the
    last) of ``code``'s visits in ``run`` kept by ``visit_filter``,
    :data:`VISITS_PER_PAGE` a page, in date order."""
    out = run.results_folder
    count, number, pages, table = _visit_rows(out, code, visit_filter, page)
    lowering = _NO_ROWS
    if "other_provider" in set(table["reason"].to_pylist()):
        lowering = _lowering_rows(out, code)
    return VisitsPage(
        rows=_labelled(run, table, lowering),
        number=number,
        pages=pages,
        count=count,
        filter=visit_filter,
    )


def _visit_rows(
    out_dir: Path, code: str, visit_filter: VisitFilter, page: Any
) -> tuple[int, int, int, pa.Table]:
    """(rows of the filter, the page's number, pages, the page's rows)."""
    from panelcare.assiduity.results import count_physician_visits, read_physician_visits

    reasons = visit_filter.reasons()
    count = count_physician_visits(out_dir, code, reasons=reasons)
    pages = max(1, -(-count // VISITS_PER_PAGE))
    try:
        number = min(max(1, int(page)), pages)
    except (TypeError, ValueError):
        number = 1
    table = read_physician_visits(
        out_dir,
        code,
        offset=(number - 1) * VISITS_PER_PAGE,
        limit=VISITS_PER_PAGE,
        reasons=reasons,
    )
    return count, number, pages, table


def visits_export(
    run: AssiduityRun, code: str, visit_filter: VisitFilter
) -> tuple[list[str], list[list[Any]]]:
    """Every visit of ``code`` in ``run`` kept by ``visit_filter``, as the export's
    headers and rows (:func:`web.attribution.exports.table_file`)."""
    from panelcare.assiduity.results import read_physician_visits

    out = run.results_folder
    table = read_physician_visits(out, code, reasons=visit_filter.reasons())
    lowering = _NO_ROWS
    if "other_provider" in set(table["reason"].to_pylist()):
        lowering = _lowering_rows(out, code)
    headers = [
        _("Date"),
        _("Visit"),
        _("Provider"),
        _("Provider's name"),
        _("Site"),
        _("Site's name"),
        _("Setting"),
        _("Counted"),
        _("Assiduous"),
        _("Reason"),
        _("Made by"),
    ]
    yes, no = _("yes"), _("no")
    rows = [
        [
            row["visit_date"],
            row["visit_id"],
            row["provider_id"],
            row["provider_name"],
            row["site_id"],
            row["site_name"],
            row["setting_label"],
            yes if row["counted"] else no,
            yes if row["assiduous"] else no,
            row["reason_label"],
            row["category_label"],
        ]
        for row in _labelled(run, table, lowering)
    ]
    return headers, rows


def _labelled(
    run: AssiduityRun,
    table: pa.Table,
    lowering: pa.Table,
    names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The visit rows with the providers' and sites' names (``names``: those already
    read from the roster) and every code worded; ``lowering``: the provider category of
    the visits made elsewhere (:func:`_lowering_rows`)."""
    rows = table.to_pylist()
    if not rows:
        return []
    providers = {row["provider_id"] for row in rows if row["provider_id"]}
    names = dict(_names(run, providers) if names is None else names)
    names.update(ips_names(run.region, providers - names.keys()))
    sites = _site_names(run, {row["site_id"] for row in rows if row["site_id"]})
    categories = dict(
        zip(
            lowering["visit_id"].to_pylist(),
            lowering["provider_category"].to_pylist(),
            strict=True,
        )
    )
    return [
        {
            **row,
            "provider_name": names.get(row["provider_id"], ""),
            "site_name": sites.get(row["site_id"], ""),
            "setting_label": _label(SETTING_LABELS, row["setting"]),
            "reason_label": _label(REASON_LABELS, row["reason"]),
            "category_label": _label(CATEGORY_LABELS, categories.get(row["visit_id"])),
        }
        for row in rows
    ]


# --------------------------------------------------------------------------- readers


_LOWERING_SCHEMA = pa.schema(
    [
        ("visit_id", pa.string()),
        ("provider_category", pa.string()),
        ("site_id", pa.string()),
        ("setting", pa.string()),
    ]
)
_NO_ROWS = _LOWERING_SCHEMA.empty_table()


def _lowering_rows(out_dir: Path, code: str) -> pa.Table:
    """``code``'s counted visits that are not assiduous with their provider category:
    visit_id, provider_category, site_id, setting (the physician's row groups of
    ``visits.parquet`` only: their statistics on physician_id exclude the others)."""
    return pq.read_table(
        Path(out_dir) / _VISITS_FILE,
        columns=_LOWERING_SCHEMA.names,
        filters=[("physician_id", "==", code), ("reason", "==", "other_provider")],
    ).cast(_LOWERING_SCHEMA)


def _names(run: AssiduityRun, codes: Collection[str]) -> dict[str, str]:
    """code -> name of the ``codes`` the roster version ``run`` read lists."""
    return {code: name for code, (name, _rls) in run_roster(run, codes).items()}


def _site_names(run: AssiduityRun, codes: Collection[str]) -> dict[str, str]:
    """code -> name of the region's sites among ``codes`` (a site the region does not
    know, a hospital's emergency room, has none)."""
    if not codes:
        return {}
    return dict(
        Site.objects.filter(rls__region=run.region, code__in=codes).values_list("code", "name")
    )


def _gmf_sites(gmf_sites: Dataset | None, gmf_code: str) -> frozenset[str]:
    """The sites of the GMF ``gmf_code`` in the GMF sites version read."""
    if gmf_sites is None or not gmf_code:
        return frozenset()
    table = read_dataset(gmf_sites, columns=["site_id", "gmf_id"])
    table = table.filter(pc.equal(table["gmf_id"], gmf_code))
    return frozenset(table["site_id"].to_pylist())
