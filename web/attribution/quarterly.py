"""The quarterly tables of the APPR (DSP-PR-30042, section 4), from the current version of
the physicians' roster: registrations per physician with their vulnerable share,
registration strata per RLS, physicians aged 65 or over and under 65 with more than 30
years of practice per RLS, AMP requirements of new physicians, and the registration rate
against the region's goal. As tables (:class:`Table`) for the page, CSV, XLSX and PDF.

    report = quarterly(region, ["0115"], today=date(2026, 11, 23))   # quarter of 2026-10-01
    report.tables["strata"].rows

Decisions where the spec is silent (docs/attribution-web-letters.md, "Quarterly tables"):
the quarter is the latest of 1 January, April, July and October on or before today; ages
are counted in years reached during the quarter's year (``year - birth_year``), "over 65"
means 65 or more, so that the two groups split the physicians at 65; years of practice are
counted from ``practice_start`` to the quarter's first day, "more than 30" strictly. The
registrations per physician and the registration rate are counted on ``today`` from the
registrations in force, with the dashboard's functions (:mod:`web.dashboard.figures`:
residents of each RLS registered on the day, over its residents), so that the two pages
never disagree (``docs/decisions.md``, "One copy of each fact").
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from panelcare.attribution.params import Params
from panelcare.exports import neutralise_row, xlsx_row
from web.dashboard import figures
from web.dashboard.charts import rate_against_goal_chart
from web.dashboard.figures import STRATA
from web.regions.models import (
    Region,
    Rls,
    WaitlistEntry,
    WaitlistReason,
    WaitlistStatus,
    WaitlistStatusEvent,
)
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

__all__ = [
    "SENIOR_AGE",
    "SENIOR_YEARS",
    "TABLES",
    "Quarterly",
    "Table",
    "quarter_start",
    "quarterly",
    "strata_totals",
    "to_csv",
    "to_csv_zip",
    "to_xlsx",
]

SENIOR_AGE = 65
SENIOR_YEARS = 30
TABLES = (
    "physicians",
    "strata",
    "seniority",
    "senior_physicians",
    "amp",
    "registration_rate",
    "journey",
)


def quarter_start(day: datetime.date) -> datetime.date:
    """The latest 1 January, April, July or October on or before ``day``."""
    return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


@dataclass(frozen=True)
class Table:
    """One table: ``columns`` are (key, label) pairs; ``rows`` dicts by key. CSV headers
    are the keys (stable for scripts), the page, XLSX and PDF show the labels."""

    name: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    percent: frozenset[str] = frozenset()
    # Words shown for a column's codes on the page and in the PDF (CSV keeps the codes).
    words: dict[str, dict[Any, str]] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [label for _key, label in self.columns]

    def values(self) -> list[list[Any]]:
        return [[row.get(key) for key, _label in self.columns] for row in self.rows]

    def cells(self) -> list[list[tuple[str, bool]]]:
        """Each row's cells as (text in the reader's locale, is a number) for the page
        and the PDF."""
        result = []
        for row in self.rows:
            cells = []
            for key, _label in self.columns:
                value = row.get(key)
                if key in self.words and value in self.words[key]:
                    cells.append((self.words[key][value], False))
                else:
                    cells.append(_display(value, key in self.percent))
            result.append(cells)
        return result


def _display(value: Any, percent: bool) -> tuple[str, bool]:
    from django.utils.formats import date_format

    # The pages' shared formats: rounded half up, never "-0,0", thousands grouped.
    from web.dashboard.templatetags.panelcare_format import grouped, pct

    if value is None:
        return ("—", False)
    if isinstance(value, bool):
        return (_("yes") if value else _("no"), False)
    if percent:
        return (pct(float(value)), True)
    if isinstance(value, datetime.date):
        return (date_format(value, "SHORT_DATE_FORMAT"), False)
    if isinstance(value, int):
        return (grouped(value), True)
    if isinstance(value, float):
        return (grouped(value, 1), True)
    return (str(value), False)


@dataclass
class Quarterly:
    region: Region
    quarter: datetime.date
    rls: list[Rls]
    physicians_version: Dataset | None
    goal: float
    vulnerable_cap: float
    tables: dict[str, Table] = field(default_factory=dict)
    registered: int = 0
    population: int = 0

    @property
    def rate(self) -> float | None:
        return self.registered / self.population if self.population else None

    @property
    def meets_goal(self) -> bool:
        # The goal is "over 85 %" (section 4): strictly above, as on the dashboard.
        return self.rate is not None and self.rate > self.goal

    @property
    def quarter_label(self) -> str:
        return f"{self.quarter.year}-T{(self.quarter.month - 1) // 3 + 1}"


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _years_between(start: datetime.date, end: datetime.date) -> float:
    """Years from ``start`` to ``end``, one decimal; 0 for a practice that starts after
    ``end`` (never a negative number of years: "-0,0")."""
    return max(0.0, round((end - start).days / 365.25, 1))


def quarterly(
    region: Region, rls_codes: Sequence[str] | None = None, *, today: datetime.date | None = None
) -> Quarterly:
    """The quarterly tables of ``region`` (its RLS ``rls_codes`` only when given) for the
    quarter of ``today``, from the current physicians' version (empty tables before the
    first import)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    quarter = quarter_start(today)
    rls_qs = Rls.objects.filter(region=region).order_by("name")
    if rls_codes is not None:
        rls_qs = rls_qs.filter(code__in=list(rls_codes))
    rls_list = list(rls_qs)
    rls_by_code = {rls.code: rls for rls in rls_list}
    dataset = Dataset.current(region, DatasetKind.PHYSICIANS)
    physicians: list[dict[str, Any]] = []
    if dataset is not None:
        physicians = [
            row
            for row in read_dataset(
                dataset,
                columns=[
                    "physician_id",
                    "name",
                    "rls_id",
                    "registered",
                    "vulnerable",
                    "practice_start",
                    "birth_year",
                    "amp_target",
                ],
            ).to_pylist()
            if row["rls_id"] in rls_by_code
        ]
    if Dataset.current(region, DatasetKind.REGISTRATIONS) is not None:
        # The registrations in force on the day, as the dashboard counts them: one copy of
        # the fact (the roster's own columns hold the counts of its extract's day).
        counts = figures.registrations_by_physician(region, today)
        for row in physicians:
            row["registered"], row["vulnerable"] = counts.get(row["physician_id"], (0, 0))
    order = {rls.code: index for index, rls in enumerate(rls_list)}
    physicians.sort(key=lambda row: (order[row["rls_id"]], row["name"], row["physician_id"]))
    for row in physicians:
        row["rls"] = rls_by_code[row["rls_id"]].name
        row["age"] = quarter.year - int(row["birth_year"])
        row["years_of_practice"] = _years_between(row["practice_start"], quarter)

    goal = float(region.registration_goal)
    report = Quarterly(
        region=region,
        quarter=quarter,
        rls=rls_list,
        physicians_version=dataset,
        goal=goal,
        vulnerable_cap=Params().vulnerable_cap,
    )
    residents = figures.registration_by_rls(rls_qs, today)
    rate = _registration_rate(region, residents, goal, whole_region=rls_codes is None)
    report.tables.update(
        {
            "physicians": _physicians_table(rls_list, physicians),
            "strata": _strata_table(rls_list, physicians),
            "seniority": _seniority_table(rls_list, physicians, quarter),
            "senior_physicians": _senior_physicians_table(physicians, quarter),
            "amp": _amp_table(physicians),
            "registration_rate": rate,
            "journey": _journey_table(region, rls_list, quarter),
        }
    )
    report.registered = sum(row.registered for row in residents)
    report.population = sum(row.residents for row in residents)
    return report


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _physicians_table(rls_list: list[Rls], physicians: list[dict[str, Any]]) -> Table:
    totals: dict[str, list[int]] = {rls.code: [0, 0] for rls in rls_list}
    for row in physicians:
        totals[row["rls_id"]][0] += int(row["registered"])
        totals[row["rls_id"]][1] += int(row["vulnerable"])
    rows = [
        {
            "rls_code": row["rls_id"],
            "rls": row["rls"],
            "physician_id": row["physician_id"],
            "name": row["name"],
            "registered": int(row["registered"]),
            "vulnerable": int(row["vulnerable"]),
            "vulnerable_share": _share(int(row["vulnerable"]), int(row["registered"])),
            "rls_vulnerable_share": _share(totals[row["rls_id"]][1], totals[row["rls_id"]][0]),
        }
        for row in physicians
    ]
    return Table(
        name="physicians",
        title=_("Registrations per physician"),
        columns=[
            ("rls_code", _("RLS code")),
            ("rls", _("RLS")),
            ("physician_id", _("Physician code")),
            ("name", _("Physician")),
            ("registered", _("Registered patients")),
            ("vulnerable", _("Vulnerable patients")),
            ("vulnerable_share", _("Vulnerable share")),
            ("rls_vulnerable_share", _("RLS vulnerable share")),
        ],
        rows=rows,
        percent=frozenset({"vulnerable_share", "rls_vulnerable_share"}),
    )


def stratum_key(low: int) -> str:
    return f"from_{low}"


def _stratum_of(registered: int) -> str:
    for low, high, _label in STRATA:
        if registered >= low and (high is None or registered <= high):
            return stratum_key(low)
    raise ValueError(f"negative registration count: {registered}")


def _strata_table(rls_list: list[Rls], physicians: list[dict[str, Any]]) -> Table:
    keys = [stratum_key(low) for low, _high, _label in STRATA]
    rows = []
    for rls in rls_list:
        row: dict[str, Any] = {"rls_code": rls.code, "rls": rls.name, **dict.fromkeys(keys, 0)}
        for physician in physicians:
            if physician["rls_id"] == rls.code:
                row[_stratum_of(int(physician["registered"]))] += 1
        row["physicians"] = sum(row[key] for key in keys)
        rows.append(row)
    return Table(
        name="strata",
        title=_("Physicians per registration stratum"),
        columns=[
            ("rls_code", _("RLS code")),
            ("rls", _("RLS")),
            *[(stratum_key(low), label) for low, _high, label in STRATA],
            ("physicians", _("Physicians")),
        ],
        rows=rows,
    )


def is_senior(row: dict[str, Any]) -> bool:
    return int(row["age"]) >= SENIOR_AGE


def has_long_practice(row: dict[str, Any], quarter: datetime.date) -> bool:
    """Under 65 with more than 30 years of practice on the quarter's first day."""
    return not is_senior(row) and row["practice_start"] < _years_before(quarter, SENIOR_YEARS)


def _seniority_table(
    rls_list: list[Rls], physicians: list[dict[str, Any]], quarter: datetime.date
) -> Table:
    rows = []
    for rls in rls_list:
        own = [row for row in physicians if row["rls_id"] == rls.code]
        rows.append(
            {
                "rls_code": rls.code,
                "rls": rls.name,
                "physicians": len(own),
                "aged_65_or_over": sum(1 for row in own if is_senior(row)),
                "under_65_over_30_years": sum(1 for row in own if has_long_practice(row, quarter)),
            }
        )
    return Table(
        name="seniority",
        title=_("Physicians aged 65 or over, and under 65 with more than 30 years of practice"),
        columns=[
            ("rls_code", _("RLS code")),
            ("rls", _("RLS")),
            ("physicians", _("Physicians")),
            ("aged_65_or_over", _("Aged 65 or over")),
            ("under_65_over_30_years", _("Under 65, more than 30 years of practice")),
        ],
        rows=rows,
    )


def _senior_physicians_table(physicians: list[dict[str, Any]], quarter: datetime.date) -> Table:
    rows = []
    for row in physicians:
        if is_senior(row):
            group = _("Aged 65 or over")
        elif has_long_practice(row, quarter):
            group = _("Under 65, more than 30 years of practice")
        else:
            continue
        rows.append(
            {
                "rls_code": row["rls_id"],
                "rls": row["rls"],
                "physician_id": row["physician_id"],
                "name": row["name"],
                "age": row["age"],
                "years_of_practice": row["years_of_practice"],
                "registered": int(row["registered"]),
                "group": group,
            }
        )
    return Table(
        name="senior_physicians",
        title=_("Physicians aged 65 or over, or with more than 30 years of practice"),
        columns=[
            ("rls_code", _("RLS code")),
            ("rls", _("RLS")),
            ("physician_id", _("Physician code")),
            ("name", _("Physician")),
            ("age", _("Age")),
            ("years_of_practice", _("Years of practice")),
            ("registered", _("Registered patients")),
            ("group", _("Group")),
        ],
        rows=rows,
    )


def _amp_table(physicians: list[dict[str, Any]]) -> Table:
    rows = [
        {
            "rls_code": row["rls_id"],
            "rls": row["rls"],
            "physician_id": row["physician_id"],
            "name": row["name"],
            "practice_start": row["practice_start"],
            "years_of_practice": row["years_of_practice"],
            "amp_target": int(row["amp_target"]),
            "registered": int(row["registered"]),
            "gap": max(0, int(row["amp_target"]) - int(row["registered"])),
        }
        for row in physicians
        if row["amp_target"] is not None
    ]
    return Table(
        name="amp",
        title=_("AMP registration requirements of new physicians"),
        columns=[
            ("rls_code", _("RLS code")),
            ("rls", _("RLS")),
            ("physician_id", _("Physician code")),
            ("name", _("Physician")),
            ("practice_start", _("Practice start")),
            ("years_of_practice", _("Years of practice")),
            ("amp_target", _("AMP requirement")),
            ("registered", _("Registered patients")),
            ("gap", _("Patients to reach it")),
        ],
        rows=rows,
    )


def _registration_rate(
    region: Region,
    residents: list[figures.RlsRegistration],
    goal: float,
    *,
    whole_region: bool,
) -> Table:
    """The dashboard's registration rate (``figures.registration_by_rls``: residents of
    each RLS registered on the day, over its residents), per RLS and for the region."""

    def line(level: str, code: str, name: str, population: int, count: int) -> dict[str, Any]:
        rate = _share(count, population)
        return {
            "level": level,
            "code": code,
            "name": name,
            "population": population,
            "registered": count,
            "rate": rate,
            "goal": goal,
            "meets_goal": rate is not None and rate > goal,
        }

    rows = [line("rls", row.code, row.name, row.residents, row.registered) for row in residents]
    if whole_region:
        rows.append(
            line(
                "region",
                region.code,
                region.name,
                sum(row.residents for row in residents),
                sum(row.registered for row in residents),
            )
        )
    return Table(
        name="registration_rate",
        title=_("Registration rate against the region's goal"),
        columns=[
            ("level", _("Level")),
            ("code", _("Code")),
            ("name", _("Territory")),
            ("population", _("Population")),
            ("registered", _("Registered patients")),
            ("rate", _("Registration rate")),
            ("goal", _("Goal")),
            ("meets_goal", _("Above the goal")),
        ],
        rows=rows,
        percent=frozenset({"rate", "goal"}),
        words={"level": {"rls": _("RLS"), "region": _("Region")}},
    )


# --------------------------------------------------------------------------- files


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return "" if value is None else value


def to_csv(table: Table) -> bytes:
    """One table as CSV (UTF-8 with a byte order mark, so that a spreadsheet opens the
    accents right; keys as headers; ISO dates; true/false; ratios as decimals; a text a
    spreadsheet would run as a formula with ``'`` before it: :mod:`panelcare.exports`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([key for key, _label in table.columns])
    for row in table.rows:
        writer.writerow(neutralise_row(_cell(row.get(key)) for key, _label in table.columns))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_csv_zip(report: Quarterly) -> bytes:
    """A zip of one CSV per table (``<name>.csv``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in report.tables.items():
            archive.writestr(f"{name}.csv", to_csv(table))
    return buffer.getvalue()


def _sheet_title(title: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip()
    base, number = name, 2
    while name in taken:
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)] + suffix
        number += 1
    taken.add(name)
    return name


def to_xlsx(report: Quarterly) -> bytes:
    """One sheet per table (labels as headers, percentages as numbers formatted 0.0 %;
    text cells neutralised as in :func:`to_csv`, so that none is written as a formula, and
    a control character an XLSX cell cannot hold written U+FFFD: :mod:`panelcare.exports`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for table in report.tables.values():
        sheet = book.create_sheet(_sheet_title(table.title, taken))
        sheet.append(xlsx_row(table.labels))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(
                xlsx_row(
                    row.get(key) if not isinstance(row.get(key), Decimal) else float(row[key])
                    for key, _label in table.columns
                )
            )
        for index, (key, label) in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(10, min(45, len(label) + 2))
            if key in table.percent:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "0.0%"
            elif key == "practice_start":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def strata_totals(report: Quarterly) -> list[tuple[str, int]]:
    """Each stratum's physicians over the report's RLS (and all of them, last)."""
    table = report.tables["strata"]
    return [(label, sum(row[key] for row in table.rows)) for key, label in table.columns[2:]]


# --------------------------------------------------------------------------- charts


def chart_data(report: Quarterly) -> dict[str, Any]:
    """The figures the charts draw, shared by the page (Vega-Lite) and the PDF (SVG)."""
    strata = report.tables["strata"]
    seniority = report.tables["seniority"]
    rate_rows = [row for row in report.tables["registration_rate"].rows if row["level"] == "rls"]
    vulnerable: dict[str, list[int]] = {}
    for row in report.tables["physicians"].rows:
        totals = vulnerable.setdefault(row["rls"], [0, 0])
        totals[0] += row["vulnerable"]
        totals[1] += row["registered"]
    return {
        "rate": [(row["name"], row["rate"]) for row in rate_rows],
        "strata_series": [label for _low, _high, label in STRATA],
        "strata": [
            (row["rls"], [row[stratum_key(low)] for low, _high, _label in STRATA])
            for row in strata.rows
        ],
        "vulnerable": [(name, _share(v, r)) for name, (v, r) in vulnerable.items()],
        "seniority_series": [
            _("Aged 65 or over"),
            _("Under 65, more than 30 years of practice"),
            _("Others"),
        ],
        "seniority": [
            (
                row["rls"],
                [
                    row["aged_65_or_over"],
                    row["under_65_over_30_years"],
                    row["physicians"] - row["aged_65_or_over"] - row["under_65_over_30_years"],
                ],
            )
            for row in seniority.rows
        ],
    }


def _percent_words(value: float) -> str:
    return f"{value * 100:.0f} %"


def svg_charts(report: Quarterly) -> dict[str, str]:
    """The report's charts as inline SVG, for the PDF."""
    from web.attribution import svgcharts

    data = chart_data(report)
    return {
        "rate": svgcharts.bar_chart(
            data["rate"],
            title=_("Registration rate per RLS"),
            maximum=1.0,
            reference=report.goal,
            reference_label=_("Goal: %(goal)s") % {"goal": _percent_words(report.goal)},
            percent=True,
        ),
        "strata": svgcharts.stacked_bar_chart(
            data["strata"], data["strata_series"], title=_("Physicians per registration stratum")
        ),
        "vulnerable": svgcharts.bar_chart(
            data["vulnerable"],
            title=_("Vulnerable share per RLS"),
            maximum=0.6,
            reference=report.vulnerable_cap,
            reference_label=_("Cap: %(cap)s") % {"cap": _percent_words(report.vulnerable_cap)},
            percent=True,
            above_is_good=False,
        ),
        "seniority": svgcharts.stacked_bar_chart(
            data["seniority"], data["seniority_series"], title=_("Physicians by age and practice")
        ),
    }


def vega_charts(report: Quarterly) -> dict[str, dict[str, Any]]:
    """The report's charts as Vega-Lite specifications (Altair), for the page."""
    import altair as alt

    data = chart_data(report)
    rate = rate_against_goal_chart(list(data["rate"]), report.goal)

    def stacked(rows: list, series: list[str], title: str) -> dict[str, Any]:
        values = [
            {"rls": name, "series": label, "order": index, "physicians": count}
            for name, counts in rows
            for index, (label, count) in enumerate(zip(series, counts, strict=True))
        ]
        chart = (
            alt.Chart(alt.Data(values=values))
            .mark_bar()
            .encode(
                x=alt.X(
                    "sum(physicians):Q",
                    title=_("Physicians"),
                    axis=alt.Axis(tickMinStep=1, format="d"),
                ),
                y=alt.Y("rls:N", title=None),
                color=alt.Color("series:N", title=title, sort=series),
                order=alt.Order("order:Q"),
                tooltip=[
                    alt.Tooltip("rls:N", title=_("RLS")),
                    alt.Tooltip("series:N", title=title),
                    alt.Tooltip("physicians:Q", title=_("Physicians")),
                ],
            )
            .properties(width="container", height=alt.Step(28))
        )
        return chart.to_dict()

    vulnerable_values = [{"rls": name, "share": share or 0.0} for name, share in data["vulnerable"]]
    vulnerable = alt.layer(
        alt.Chart(alt.Data(values=vulnerable_values))
        .mark_bar()
        .encode(
            x=alt.X(
                "share:Q",
                title=_("Vulnerable share"),
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 0.6]),
            ),
            y=alt.Y("rls:N", title=None),
            color=alt.condition(
                alt.datum.share > report.vulnerable_cap, alt.value("#a14a00"), alt.value("#0b5a8c")
            ),
            tooltip=[
                alt.Tooltip("rls:N", title=_("RLS")),
                alt.Tooltip("share:Q", title=_("Vulnerable share"), format=".1%"),
            ],
        ),
        alt.Chart(alt.Data(values=[{"cap": report.vulnerable_cap}]))
        .mark_rule(color="#1d2733", strokeDash=[4, 3])
        .encode(x="cap:Q"),
    ).properties(width="container", height=alt.Step(28))
    return {
        "rate": rate,
        "strata": stacked(data["strata"], data["strata_series"], _("Registered patients")),
        "vulnerable": vulnerable.to_dict(),
        "seniority": stacked(data["seniority"], data["seniority_series"], _("Group")),
    }


def _journey_table(region: Region, rls_list: list[Rls], quarter: datetime.date) -> Table:
    """The waiting-list patients' journey per RLS (docs/attribution-journey.md): where
    they are today (waiting, proposed, returned to the list) and what happened in the
    quarter (proposed by a plan, registered, returned for each reason, removed), counted
    from the status history (one count per event)."""
    codes = [rls.code for rls in rls_list]
    now: dict[tuple[str, str], int] = {
        (rls, status): count
        for rls, status, count in WaitlistEntry.objects.filter(region=region, rls__code__in=codes)
        .values_list("rls__code", "status")
        .annotate(count=Count("pk"))
    }
    since: dict[tuple[str, str], int] = {
        (rls, reason): count
        for rls, reason, count in WaitlistStatusEvent.objects.filter(
            region=region,
            rls_code__in=codes,
            at__date__gte=quarter,
        )
        .values_list("rls_code", "reason")
        .annotate(count=Count("pk"))
    }
    columns = [
        ("rls_code", _("RLS code")),
        ("rls", _("RLS")),
        ("waiting", _("Waiting today")),
        ("proposed_now", _("Proposed today")),
        ("returned_now", _("Returned to the list today")),
        ("proposed", _("Proposed in the quarter")),
        ("registered", _("Registered in the quarter")),
        ("refused_physician", _("Returned: refused by the physician")),
        ("refused_patient", _("Returned: refused by the patient")),
        ("unreachable", _("Returned: unreachable")),
        ("removed", _("Removed in the quarter")),
    ]
    rows = [
        {
            "rls_code": rls.code,
            "rls": rls.name,
            "waiting": now.get((rls.code, WaitlistStatus.WAITING), 0),
            "proposed_now": now.get((rls.code, WaitlistStatus.ASSIGNED), 0),
            "returned_now": now.get((rls.code, WaitlistStatus.RETURNED), 0),
            "proposed": since.get((rls.code, WaitlistReason.PLAN_APPROVED), 0),
            "registered": since.get((rls.code, WaitlistReason.REGISTERED_IMPORT), 0),
            "refused_physician": since.get((rls.code, WaitlistReason.REFUSED_BY_PHYSICIAN), 0),
            "refused_patient": since.get((rls.code, WaitlistReason.REFUSED_BY_PATIENT), 0),
            "unreachable": since.get((rls.code, WaitlistReason.UNREACHABLE), 0),
            "removed": since.get((rls.code, WaitlistReason.REMOVED), 0),
        }
        for rls in rls_list
    ]
    return Table(
        name="journey",
        title=_("The waiting-list patients' journey"),
        columns=columns,
        rows=rows,
    )
