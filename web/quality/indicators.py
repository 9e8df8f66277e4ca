"""The platform's figures of a physician, month by month, for the QI groups
(docs/quality-plan.md §4): read from what the platform computed, never typed.

====================  ======================================================================
indicator             a month's value (the month: its 1st)
====================  ======================================================================
``assiduity_rate``    the month's own rate, in %: its assiduous visits over its counted
                      visits in the latest DONE assiduity computation of the month's year
                      (:func:`web.assiduity.groups.latest_runs`, the results' monthly rows);
                      None without a computation of the year or without a counted visit
                      (a month not computed yet reads 0 visits). The month's own rate, not
                      the year to date: a cumulative rate makes every series a trend.
``panel_size``        the registrations in force on the month's 1st
                      (:meth:`~web.regions.models.PeriodQuerySet.active_on`)
``vulnerable_share``  of them, the share (%) of vulnerable patients (``Patient.vulnerable``),
                      counted as the Practice Profile counts it
``attribution_        the patients registered from an approved attribution plan by the
progress``            month's end (the day ``last`` in the current month), in % of those the
                      plan expected by then (its pace times the whole months elapsed, at
                      most the patients assigned: the physician's target;
                      :func:`web.attribution.followup.follow_up`); 100 is on pace. The
                      latest approved run holding the physician, not superseded before the
                      month, whose follow-up started by the month's end.
====================  ======================================================================

A month without a figure is None: no registration in force (before the practice or the
data), no computation, nothing expected yet. Peers are only ever shown as a distribution of
:data:`MIN_PEERS` physicians or more, never by name (:func:`peer_distribution`).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from web.quality.models import Goal, Indicator
from web.regions.models import Physician, Region, Registration, Rls

__all__ = [
    "MIN_PEERS",
    "SHARE_INDICATORS",
    "Distribution",
    "IndicatorFigure",
    "Point",
    "data_driven_figures",
    "goal_series",
    "month_start",
    "monthly_series",
    "months_between",
    "peer_distribution",
]

# Fewer physicians than this with a value: the distribution is not shown (a quantile of
# three physicians nearly names them).
MIN_PEERS = 5
# The quantiles shown from these counts only: with 5 values, linear interpolation's
# quartiles are the 2nd and 4th values and the 10th and 90th percentiles give back the
# lowest and the highest (p10 = x1 + 0.4 (x2 - x1)): every peer's exact figure. From 10
# values a quartile mixes two of them; from 20 the tenth percentiles do.
QUARTILE_PEERS = 10
DECILE_PEERS = 20
# The indicators measured in % (0 to 100); the others count patients.
SHARE_INDICATORS = frozenset(
    {Indicator.ASSIDUITY_RATE, Indicator.VULNERABLE_SHARE, Indicator.ATTRIBUTION_PROGRESS}
)
DATA_DRIVEN_MONTHS = 12


@dataclass(frozen=True)
class Point:
    """A month (its 1st) and its value; None without a figure."""

    month: datetime.date
    value: float | None


@dataclass(frozen=True)
class Distribution:
    """The peers' values of a month: how many physicians have one, their quantiles, and
    where the physician asked about stands (``rank``: the percentile rank, 0 to 100, of
    their value among them; None when none was asked or they have no value). No name."""

    count: int
    p10: float | None  # None under DECILE_PEERS values
    p25: float | None  # None under QUARTILE_PEERS values
    median: float
    p75: float | None
    p90: float | None
    rank: float | None = None

    @property
    def quantiles(self) -> tuple[float | None, ...]:
        """The table's columns: 10th percentile, quartile 1, median, quartile 3, 90th."""
        return (self.p10, self.p25, self.median, self.p75, self.p90)

    @property
    def standing(self) -> str | Promise:
        """Where the physician stands, in words (empty without a rank)."""
        if self.rank is None:
            return ""
        if self.rank >= 75:
            return _("In the top quarter")
        if self.rank >= 50:
            return _("Above the median")
        if self.rank > 25:
            return _("Below the median")
        return _("In the bottom quarter")


@dataclass(frozen=True)
class IndicatorFigure:
    """One indicator of the Data-Driven QI: the physician's last months, their latest
    value and the region's and RLS's distributions of that month."""

    indicator: str
    label: str | Promise
    series: list[Point]
    latest: Point | None
    region: Distribution | None
    rls: Distribution | None

    @property
    def is_share(self) -> bool:
        return self.indicator in SHARE_INDICATORS

    @property
    def distributions(self) -> list[tuple[str | Promise, Distribution | None]]:
        """The table's rows: the region's, then the RLS's."""
        return [(_("Region"), self.region), (_("Your RLS"), self.rls)]

    @property
    def chart_id(self) -> str:
        """The ids of the chart's div and spec script (an id, never shown)."""
        return f"chart-figure-{self.indicator}"

    @property
    def spec_id(self) -> str:
        return f"spec-figure-{self.indicator}"

    @property
    def chart(self) -> dict[str, Any] | None:
        """The compact chart's spec (:func:`web.quality.charts.indicator_chart`); None
        without any value in the months."""
        from web.quality.charts import indicator_chart

        if self.latest is None:
            return None
        return indicator_chart(self.series, title=str(self.label), region=self.region)


# --------------------------------------------------------------------------- months


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The 1st of each month from ``first``'s to ``last``'s (empty when ``last`` is
    earlier)."""
    months = []
    month = month_start(first)
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    return months


# --------------------------------------------------------------------------- series


def monthly_series(
    physician: Physician, indicator: str, *, first: datetime.date, last: datetime.date
) -> list[Point]:
    """``physician``'s ``indicator`` (a code of :class:`~web.quality.models.Indicator`)
    each month from ``first``'s to ``last``'s.

    Raises:
        ValueError: an unknown indicator.
    """
    months = months_between(first, last)
    values = _Reader(physician.rls.region, last).values(indicator, months, [physician])
    return [Point(month, values.get((month, physician.pk))) for month in months]


def peer_distribution(
    indicator: str,
    month: datetime.date,
    *,
    region: Region,
    rls: Rls | None = None,
    physician: Physician | None = None,
    on: datetime.date | None = None,
) -> Distribution | None:
    """The distribution of ``indicator`` in ``month`` among the physicians of ``region``
    (of ``rls`` when given) who have a value, with ``physician``'s percentile rank when
    given; None under :data:`MIN_PEERS` physicians. ``on``: the day the figures are read
    (the attribution's current month; default today)."""
    reader = _Reader(region, on or timezone.localdate())
    return reader.distribution(indicator, month_start(month), rls=rls, physician=physician)


def goal_series(
    goal: Goal, *, on: datetime.date, physician: Physician | None = None
) -> list[Point]:
    """The points of ``goal``'s measure from the plan's start (the month the group was
    created, or the first manual point's when earlier) to ``on``: its platform indicator
    read for ``physician`` (each member measures themselves), or its manual points (None
    for a month without one).

    Raises:
        ValueError: a platform indicator without ``physician``.
    """
    group = goal.plan.group
    start = month_start(group.created_on)
    if goal.indicator:
        if physician is None:
            raise ValueError("a platform indicator is read for a physician")
        return monthly_series(physician, goal.indicator, first=start, last=on)
    recorded = {point.month: float(point.value) for point in goal.points.all()}
    if recorded:
        start = min(start, min(recorded))
    return [Point(month, recorded.get(month)) for month in months_between(start, on)]


def data_driven_figures(physician: Physician, *, on: datetime.date) -> list[IndicatorFigure]:
    """For each indicator, ``physician``'s last 12 months to ``on``, their latest value and
    the region's and their RLS's distributions of its month (of ``on``'s month without
    one), with where they stand."""
    region = physician.rls.region
    reader = _Reader(region, on)
    last = month_start(on)
    months = months_between(_add_months(last, 1 - DATA_DRIVEN_MONTHS), last)
    figures = []
    for code in Indicator.values:
        indicator = Indicator(code)
        values = reader.values(indicator, months, [physician])
        series = [Point(month, values.get((month, physician.pk))) for month in months]
        known = [point for point in series if point.value is not None]
        latest = known[-1] if known else None
        month = latest.month if latest else last
        figures.append(
            IndicatorFigure(
                indicator=str(indicator),
                label=indicator.label,
                series=series,
                latest=latest,
                region=reader.distribution(indicator, month, physician=physician),
                rls=reader.distribution(indicator, month, rls=physician.rls, physician=physician),
            )
        )
    return figures


# --------------------------------------------------------------------------- the reads


def _distribution(values: Sequence[float], own: float | None) -> Distribution | None:
    if len(values) < MIN_PEERS:
        return None
    p10, p25, p50, p75, p90 = (float(q) for q in np.percentile(values, [10, 25, 50, 75, 90]))
    quartiles = len(values) >= QUARTILE_PEERS
    deciles = len(values) >= DECILE_PEERS
    rank = None
    if own is not None:
        # The mid-rank: the peers below, and half of those level with the physician.
        below = sum(1 for value in values if value < own)
        level = sum(1 for value in values if value == own)
        rank = round(100 * (below + level / 2) / len(values), 1)
    return Distribution(
        len(values),
        p10 if deciles else None,
        p25 if quartiles else None,
        p50,
        p75 if quartiles else None,
        p90 if deciles else None,
        rank,
    )


class _Reader:
    """The reads of one page: ``region``'s figures as of ``on``, each source read once
    (an assiduity computation's monthly rows, an attribution run's follow-up)."""

    def __init__(self, region: Region, on: datetime.date) -> None:
        self.region = region
        self.on = on
        self._assiduity: dict[int, Any] | None = None
        self._monthly: dict[tuple[int, int], dict[str, tuple[int, int]]] = {}
        self._runs: list[Any] | None = None
        self._followups: dict[int, Any] = {}

    def physicians(self, rls: Rls | None = None) -> list[Physician]:
        found = Physician.objects.filter(rls__region=self.region)
        if rls is not None:
            found = found.filter(rls=rls)
        return list(found.only("pk", "code"))

    def values(
        self, indicator: str, months: Sequence[datetime.date], physicians: Sequence[Physician]
    ) -> dict[tuple[datetime.date, int], float]:
        """(month, physician pk) -> value, for those with one."""
        if indicator in (Indicator.PANEL_SIZE, Indicator.VULNERABLE_SHARE):
            return self._registrations(indicator, months, physicians)
        if indicator == Indicator.ASSIDUITY_RATE:
            return self._assiduity_rates(months, physicians)
        if indicator == Indicator.ATTRIBUTION_PROGRESS:
            return self._attribution(months, physicians)
        raise ValueError(f"unknown indicator {indicator!r}")

    def distribution(
        self,
        indicator: str,
        month: datetime.date,
        *,
        rls: Rls | None = None,
        physician: Physician | None = None,
    ) -> Distribution | None:
        peers = self.physicians(rls)
        values = self.values(indicator, [month], peers)
        own = values.get((month, physician.pk)) if physician is not None else None
        return _distribution([values[key] for key in sorted(values)], own)

    # -- registrations ---------------------------------------------------------------

    def _registrations(
        self, indicator: str, months: Sequence[datetime.date], physicians: Sequence[Physician]
    ) -> dict[tuple[datetime.date, int], float]:
        ids = [physician.pk for physician in physicians]
        result: dict[tuple[datetime.date, int], float] = {}
        for month in months:
            counts = (
                Registration.objects.active_on(month)
                .filter(physician_id__in=ids)
                .values("physician_id")
                .annotate(
                    panel=Count("pk"), vulnerable=Count("pk", filter=Q(patient__vulnerable=True))
                )
            )
            for row in counts:
                if not row["panel"]:
                    continue
                if indicator == Indicator.PANEL_SIZE:
                    value = float(row["panel"])
                else:
                    value = round(100 * row["vulnerable"] / row["panel"], 1)
                result[(month, row["physician_id"])] = value
        return result

    # -- assiduity -------------------------------------------------------------------

    def _assiduity_runs(self) -> dict[int, Any]:
        if self._assiduity is None:
            from web.assiduity.groups import latest_runs

            self._assiduity = {run.year: run for run in latest_runs(self.region)}
        return self._assiduity

    def _month_counts(self, run: Any, month: int) -> dict[str, tuple[int, int]]:
        """code -> (counted, assiduous) of every physician in ``run``'s month ``month``."""
        key = (run.pk, month)
        if key not in self._monthly:
            import pyarrow.parquet as pq

            from panelcare.assiduity.results import MONTHLY

            try:
                table = pq.read_table(
                    run.results_folder / MONTHLY,
                    columns=["physician_id", "counted_visits", "assiduous_visits"],
                    filters=[("month", "==", month)],
                )
            except FileNotFoundError:
                self._monthly[key] = {}
            else:
                self._monthly[key] = {
                    row["physician_id"]: (row["counted_visits"], row["assiduous_visits"])
                    for row in table.to_pylist()
                }
        return self._monthly[key]

    def _assiduity_rates(
        self, months: Sequence[datetime.date], physicians: Sequence[Physician]
    ) -> dict[tuple[datetime.date, int], float]:
        runs = self._assiduity_runs()
        result: dict[tuple[datetime.date, int], float] = {}
        for month in months:
            run = runs.get(month.year)
            if run is None:
                continue
            counts = self._month_counts(run, month.month)
            for physician in physicians:
                counted, assiduous = counts.get(physician.code, (0, 0))
                if counted:
                    result[(month, physician.pk)] = round(100 * assiduous / counted, 1)
        return result

    # -- attribution -----------------------------------------------------------------

    def _approved_runs(self) -> list[Any]:
        """The region's approved runs, the latest approved first."""
        if self._runs is None:
            from web.attribution.models import Run, RunStatus

            self._runs = list(
                Run.objects.filter(region=self.region, status=RunStatus.APPROVED)
                .select_related("region")
                .order_by("-approved_at", "-pk")
            )
        return self._runs

    def _follow_up(self, run: Any) -> Any:
        if run.pk not in self._followups:
            from web.attribution.followup import follow_up

            try:
                self._followups[run.pk] = follow_up(run, today=self.on)
            except OSError:  # its plan folder is gone: no figure from it
                self._followups[run.pk] = None
        return self._followups[run.pk]

    def _attribution(
        self, months: Sequence[datetime.date], physicians: Sequence[Physician]
    ) -> dict[tuple[datetime.date, int], float]:
        from web.attribution.followup import months_elapsed, start_of

        codes = {physician.code: physician.pk for physician in physicians}
        result: dict[tuple[datetime.date, int], float] = {}
        for month in months:
            day = min(_month_end(month), self.on)
            if day < month:
                continue
            seen: set[str] = set()
            for run in self._followed_runs(month, day):
                report = self._follow_up(run)
                if report is None:
                    continue
                start = start_of(run)
                elapsed = min(months_elapsed(start, day), report.period_months)
                index = _month_index(report.months, month)
                for row in report.physicians:
                    if row.code not in codes or row.code in seen or not row.assigned:
                        continue
                    seen.add(row.code)  # the latest run holding them wins
                    expected = min(row.assigned, row.monthly_pace * elapsed)
                    if not expected:
                        continue
                    registered = sum(row.by_month[: index + 1]) if index is not None else 0
                    result[(month, codes[row.code])] = round(100 * registered / expected, 1)
        return result

    def _followed_runs(self, month: datetime.date, day: datetime.date) -> Iterable[Any]:
        """The approved runs followed in ``month``: started by ``day``, not superseded
        before the month began; the latest approved first."""
        from web.attribution.followup import start_of

        for run in self._approved_runs():
            if start_of(run) > day:
                continue
            if run.superseded_at is not None and timezone.localdate(run.superseded_at) <= month:
                continue
            yield run


def _month_index(months: Sequence[datetime.date], month: datetime.date) -> int | None:
    """The index of ``month`` among a follow-up's months (None before its first: nothing
    registered yet; its last when later)."""
    if not months or month < months[0]:
        return None
    for index, start in enumerate(months):
        if start == month:
            return index
    return len(months) - 1
