"""The read side of co-management's performance (docs/comanagement-plan.md §4, §7 points
10 and 11): per indicator, for a professional or for the whole GMF, the last 12 months'
values from the statistics version in force (the ``gmf_statistics`` table, read as a
version: one copy of each fact) against the agreed target in force each month.

A GMF-wide value is the sum of its professionals' rows, for the summable indicators only
(``INDICATORS``: patients seen, interventions; a mean delay of access is not summable).
A month without any statistics row raises nothing (point 10): the page says so.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.formats import date_format

from web.comanagement import records
from web.comanagement.models import INDICATORS, Indicator, Placement, Target
from web.regions.models import Gmf, Region
from web.tables.models import Dataset

STATISTICS_KIND = "gmf_statistics"
MONTHS = 12


@dataclass
class Month:
    """One month of a series: its value (None: no statistics), the agreed target in force
    (None: none) and whether the value missed it."""

    month: datetime.date
    value: float | None
    target: float | None
    missed: bool


@dataclass
class Series:
    """An indicator's months for a professional (``placement``) or the whole GMF."""

    indicator: str
    placement: Placement | None
    months: list[Month]
    target: Target | None = None  # the agreed target in force at the last month

    @property
    def label(self) -> str:
        return str(Indicator(self.indicator).label)

    @property
    def better(self) -> str:
        return str(INDICATORS[self.indicator]["better"])

    @property
    def missed_count(self) -> int:
        return sum(1 for month in self.months if month.missed)

    @property
    def missing(self) -> list[datetime.date]:
        return [month.month for month in self.months if month.value is None]


@dataclass
class Performance:
    """What the performance page (or a placement's part of it) shows."""

    months: list[datetime.date]
    series: list[Series] = field(default_factory=list)
    missing_months: list[datetime.date] = field(default_factory=list)
    version: Dataset | None = None


def window(on: datetime.date, count: int = MONTHS) -> list[datetime.date]:
    """The ``count`` complete months before the month of ``on``, oldest first."""
    first = on.replace(day=1)
    months = []
    year, month = first.year, first.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(datetime.date(year, month, 1))
    return list(reversed(months))


def statistics_version(region: Region) -> Dataset | None:
    """The statistics version in force of ``region`` (None before the first import)."""
    return Dataset.current(region, STATISTICS_KIND)


def _values(gmf: Gmf) -> dict[tuple[str, str], dict[datetime.date, float]]:
    """The statistics of ``gmf`` in force by (whose: ``records.measured``, indicator):
    month → value. :func:`web.comanagement.records.statistics` reads the version (the
    same figures the ``target_missed`` alert reads) and sums the GMF's months."""
    found: dict[tuple[str, str], dict[datetime.date, float]] = defaultdict(dict)
    for statistic in records.statistics([gmf.code], gmf.rls.region):
        found[(statistic.measured, statistic.indicator)][statistic.month] = statistic.value
    return found


def _target_in_force(targets: list[Target], month: datetime.date) -> Target | None:
    """The agreed target in force in ``month`` (the latest start on or before it)."""
    in_force = [
        target
        for target in targets
        if target.start <= month and (target.end is None or target.end > month)
    ]
    return max(in_force, key=lambda target: target.start, default=None)


def _missed(indicator: str, value: float | None, target: float | None) -> bool:
    if value is None or target is None:
        return False
    if INDICATORS[indicator]["better"] == "lower":
        return value > target
    return value < target


def _series(
    indicator: str,
    placement: Placement | None,
    months: list[datetime.date],
    values: dict[datetime.date, float],
    targets: list[Target],
) -> Series:
    out = []
    for month in months:
        target = _target_in_force(targets, month)
        value = values.get(month)
        wanted = float(target.value) if target is not None else None
        out.append(Month(month, value, wanted, _missed(indicator, value, wanted)))
    return Series(indicator, placement, out, _target_in_force(targets, months[-1]))


def _agreed_targets(gmf: Gmf) -> dict[tuple[int | None, str], list[Target]]:
    found: dict[tuple[int | None, str], list[Target]] = defaultdict(list)
    agreed = Target.objects.filter(
        gmf=gmf, gmf_signed_at__isnull=False, ciusss_signed_at__isnull=False
    )
    for target in agreed:
        found[(target.placement_id, target.indicator)].append(target)
    return found


def gmf_performance(
    gmf: Gmf, on: datetime.date, *, placement: Placement | None = None
) -> Performance:
    """The performance of ``gmf`` over the 12 complete months before ``on``: the GMF-wide
    series of the summable indicators, then each professional placed in the GMF during
    those months (only ``placement`` when given), each indicator with a value or a target.
    """
    months = window(on)
    wanted = set(months)
    values = {
        key: {month: value for month, value in by_month.items() if month in wanted}
        for key, by_month in _values(gmf).items()
    }
    present = {month for by_month in values.values() for month in by_month}
    targets = _agreed_targets(gmf)
    result = Performance(
        months=months,
        missing_months=[month for month in months if month not in present],
        version=statistics_version(gmf.rls.region),
    )
    if placement is None:
        for indicator, facts in INDICATORS.items():
            if not facts["summable"]:
                continue
            totals = values.get((records.measured(gmf.code), indicator), {})
            found = targets.get((None, indicator), [])
            if totals or found:
                result.series.append(_series(indicator, None, months, totals, found))
        placements = (
            Placement.objects.filter(gmf=gmf, start__lt=_after(months[-1]))
            .filter(Q(end__isnull=True) | Q(end__gt=months[0]))
            .select_related("professional")
            .order_by("professional__name", "pk")
        )
    else:
        placements = [placement]
    for one in placements:
        whose = records.measured(gmf.code, one.professional.employee_number)
        for indicator in INDICATORS:
            mine = values.get((whose, indicator), {})
            found = targets.get((one.pk, indicator), [])
            if mine or found:
                result.series.append(_series(indicator, one, months, mine, found))
    return result


def _after(month: datetime.date) -> datetime.date:
    """The first day of the month after ``month``."""
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_label(month: datetime.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def placement_context(placement: Placement, on: datetime.date) -> dict[str, Any]:
    """What ``comanagement/performance/_placement_performance.html`` reads (the placement
    page puts it in its context): the professional's indicators against their agreed
    targets over the 12 complete months before ``on``, each with its chart."""
    from web.comanagement import charts

    page = gmf_performance(placement.gmf, on, placement=placement)
    return {
        "placement_performance": {
            "page": page,
            "charts": [
                {
                    "series": series,
                    "name": f"placement-indicator-{index}",
                    "spec_id": f"spec-placement-indicator-{index}",
                    "spec": charts.series_chart(series),
                }
                for index, series in enumerate(page.series)
            ],
        }
    }
