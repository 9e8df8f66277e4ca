"""The run chart of a goal's measure (monthly points around the median) and its signals of
non-random variation: Anhøj's rules and the IHI rules.

Sources (research notes B6):

* **Anhøj** (Anhøj & Olesen 2014, doi:10.1371/journal.pone.0113825; qicharts2's
  ``runs.analysis``): with ``n`` the useful observations (points not on the median),
  an *unusually long run* when the longest run > ``round(log2(n) + 3)``, and *too few
  crossings* when the crossings < ``qbinom(0.05, n - 1, 0.5)``.
* **IHI** (Perla, Provost & Murray 2011, Table 1, via the notes' BMJ Open and NAHQ
  sources): a *shift* is 6 or more consecutive points on one side of the median; a
  *trend* 5 or more consecutive points all going up or all going down (equal consecutive
  values count once); *too few or too many runs* against a table by useful observations.
  The astronomical point is a judgement ("obviously different"), not computed here.

Conventions (``docs/quality-rules.md``):

* **Points on the median neither make nor break a run** (IHI; qicharts2 removes them the
  same way): runs, crossings, the longest run and the shift are counted on the useful
  points only. ``runs == crossings + 1`` whenever there is a useful point.
* **The median is that of the baseline**: the first ``baseline`` points when given, all
  the points otherwise (qicharts2's ``freeze`` argument, default all points); the rules
  are then applied to every point against that median.
* The runs table is **computed**, not transcribed: the exact distribution of the number
  of runs (Swed & Eisenhart 1943) with the useful points split evenly above and below,
  2.5 % in each tail; it starts at 10 useful points, as the IHI table does.

    chart = run_chart([72, 74, 71, 75, 78, 79, 80, 81, 82, 83, 84, 85])
    chart.median, chart.runs, chart.crossings, chart.longest_run
    chart.rules()       # ("few_crossings", "shift", "trend", "few_runs")
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from panelcare.quality.errors import RunChartError

__all__ = [
    "MIN_POINTS_FOR_RUNS_TABLE",
    "RULES",
    "SHIFT_POINTS",
    "TREND_POINTS",
    "RunChart",
    "Signal",
    "binomial_quantile",
    "crossings_limit",
    "longest_run_limit",
    "run_chart",
    "runs_limits",
]

SHIFT_POINTS = 6  # IHI: "6 or more consecutive points" on one side of the median
TREND_POINTS = 5  # IHI: "5 or more consecutive points" all going up or all going down
MIN_POINTS_FOR_RUNS_TABLE = 10  # the IHI runs table starts at 10 useful observations

Rule = Literal["long_run", "few_crossings", "shift", "trend", "few_runs", "many_runs"]
RULES: tuple[Rule, ...] = ("long_run", "few_crossings", "shift", "trend", "few_runs", "many_runs")


@dataclass(frozen=True)
class Signal:
    """A signal of non-random variation.

    Attributes:
        rule: ``long_run`` and ``few_crossings`` (Anhøj); ``shift``, ``trend``,
            ``few_runs`` and ``many_runs`` (IHI).
        points: the 0-based indices of the points that make the signal (a run, a trend;
            every useful point for the crossings and runs rules, which are about the
            whole chart), for the chart's annotation.
    """

    rule: Rule
    points: tuple[int, ...]


@dataclass(frozen=True)
class RunChart:
    """A run chart and its analysis.

    Attributes:
        values: the points, in time order.
        median: the centre line.
        baseline_points: how many first points gave the median.
        useful: the points not on the median.
        runs: the runs (sequences of useful points on one side of the median).
        crossings: how many times consecutive useful points change side.
        longest_run: the longest run's length (0 without useful point).
        longest_run_limit: Anhøj's upper limit for the longest run; ``None`` without
            useful point.
        crossings_limit: Anhøj's lower limit for the crossings; ``None`` without useful
            point.
        runs_limits: the IHI table's (fewest, most) runs expected, ``None`` under
            :data:`MIN_POINTS_FOR_RUNS_TABLE` useful points.
        signals: the signals, in the order of :data:`RULES`, then by first point.
    """

    values: tuple[float, ...]
    median: float
    baseline_points: int
    useful: int
    runs: int
    crossings: int
    longest_run: int
    longest_run_limit: int | None
    crossings_limit: int | None
    runs_limits: tuple[int, int] | None
    signals: tuple[Signal, ...]

    def rules(self) -> tuple[Rule, ...]:
        """The rules that signal, without repetition, in the order of :data:`RULES`."""
        found = {signal.rule for signal in self.signals}
        return tuple(rule for rule in RULES if rule in found)


def binomial_quantile(q: float, n: int, p: float = 0.5) -> int:
    """The smallest ``k`` with P(X <= k) >= ``q`` for X ~ Binomial(``n``, ``p``): R's
    ``qbinom(q, n, p)``, computed exactly with fractions (no scipy).

    ``q`` and ``p`` are read as the decimals they print as (``0.05`` is 1/20).

    Raises:
        ValueError: ``n`` < 0, or ``q`` or ``p`` outside [0, 1].
    """
    if n < 0 or not 0 <= q <= 1 or not 0 <= p <= 1:
        raise ValueError(f"binomial_quantile({q}, {n}, {p}): out of range")
    q_exact, p_exact = Fraction(str(q)), Fraction(str(p))
    cumulative = Fraction(0)
    for k in range(n + 1):
        cumulative += math.comb(n, k) * p_exact**k * (1 - p_exact) ** (n - k)
        if cumulative >= q_exact:
            return k
    return n


def longest_run_limit(useful: int) -> int:
    """Anhøj's upper limit for the longest run: ``round(log2(useful) + 3)``.

    log2 of an integer is either an integer or irrational, so the rounding never meets a
    half (Python's and R's rounding agree).

    Raises:
        ValueError: ``useful`` < 1.
    """
    if useful < 1:
        raise ValueError("the longest-run limit needs at least one useful point")
    return round(math.log2(useful) + 3)


def crossings_limit(useful: int) -> int:
    """Anhøj's lower limit for the crossings: ``qbinom(0.05, useful - 1, 0.5)``.

    Raises:
        ValueError: ``useful`` < 1.
    """
    if useful < 1:
        raise ValueError("the crossings limit needs at least one useful point")
    return binomial_quantile(0.05, useful - 1, 0.5)


@lru_cache(maxsize=128)
def runs_limits(useful: int) -> tuple[int, int] | None:
    """The (fewest, most) runs expected from ``useful`` points by chance: fewer runs is
    "too few", more is "too many". ``None`` under :data:`MIN_POINTS_FOR_RUNS_TABLE`.

    The exact distribution of the number of runs R with ``a = useful // 2`` points on
    one side and ``b = useful - a`` on the other (Swed & Eisenhart 1943): the fewest is
    the smallest r with P(R <= r) > 2.5 %, the most the largest r with P(R >= r) > 2.5 %.
    """
    if useful < MIN_POINTS_FOR_RUNS_TABLE:
        return None
    a = useful // 2
    b = useful - a
    total = math.comb(useful, a)

    def ways(runs: int) -> int:
        # Arrangements of a and b points with exactly ``runs`` runs.
        if runs % 2 == 0:
            k = runs // 2
            return 2 * math.comb(a - 1, k - 1) * math.comb(b - 1, k - 1)
        k = (runs - 1) // 2
        return math.comb(a - 1, k) * math.comb(b - 1, k - 1) + math.comb(a - 1, k - 1) * math.comb(
            b - 1, k
        )

    tail = Fraction(25, 1000)
    possible = range(2, useful + 1)
    cumulative = Fraction(0)
    fewest = 2
    for runs in possible:
        cumulative += Fraction(ways(runs), total)
        if cumulative > tail:
            fewest = runs
            break
    cumulative = Fraction(0)
    most = useful
    for runs in reversed(possible):
        cumulative += Fraction(ways(runs), total)
        if cumulative > tail:
            most = runs
            break
    return fewest, most


def run_chart(values: Sequence[float], *, baseline: int | None = None) -> RunChart:
    """The run chart of ``values`` (monthly points, oldest first) and its signals.

    Args:
        values: the points.
        baseline: how many first points give the median; ``None``: all of them.

    Raises:
        RunChartError: ``no_points`` for an empty series; ``not_a_number`` (``index``)
            for a NaN or infinite value; ``baseline_out_of_range`` (``baseline``,
            ``points``) when ``baseline`` is not between 1 and the number of points.
    """
    points = tuple(float(value) for value in values)
    if not points:
        raise RunChartError("a run chart needs at least one point", code="no_points")
    for index, value in enumerate(points):
        if not math.isfinite(value):
            raise RunChartError(
                f"point {index} is not a number", code="not_a_number", params={"index": str(index)}
            )
    used = len(points) if baseline is None else baseline
    if not 1 <= used <= len(points):
        raise RunChartError(
            f"the baseline is 1 to {len(points)} points, got {baseline}",
            code="baseline_out_of_range",
            params={"baseline": str(baseline), "points": str(len(points))},
        )
    centre = float(statistics.median(points[:used]))

    # The useful points, each with its side (+1 above, -1 below); points on the median
    # are dropped, so they neither make nor break a run.
    sides = [(i, 1 if v > centre else -1) for i, v in enumerate(points) if v != centre]
    runs: list[list[int]] = []
    previous = 0
    for index, side in sides:
        if side == previous:
            runs[-1].append(index)
        else:
            runs.append([index])
        previous = side
    useful = len(sides)
    useful_points = tuple(i for i, _ in sides)
    longest = max((len(run) for run in runs), default=0)
    crossings = max(len(runs) - 1, 0)

    signals: list[Signal] = []
    run_limit = longest_run_limit(useful) if useful else None
    cross_limit = crossings_limit(useful) if useful else None
    table = runs_limits(useful)
    if run_limit is not None:
        signals += [Signal("long_run", tuple(run)) for run in runs if len(run) > run_limit]
    if cross_limit is not None and crossings < cross_limit:
        signals.append(Signal("few_crossings", useful_points))
    signals += [Signal("shift", tuple(run)) for run in runs if len(run) >= SHIFT_POINTS]
    signals += [Signal("trend", trend) for trend in _trends(points)]
    if table is not None:
        if len(runs) < table[0]:
            signals.append(Signal("few_runs", useful_points))
        elif len(runs) > table[1]:
            signals.append(Signal("many_runs", useful_points))

    return RunChart(
        values=points,
        median=centre,
        baseline_points=used,
        useful=useful,
        runs=len(runs),
        crossings=crossings,
        longest_run=longest,
        longest_run_limit=run_limit,
        crossings_limit=cross_limit,
        runs_limits=table,
        signals=tuple(signals),
    )


def _trends(points: tuple[float, ...]) -> list[tuple[int, ...]]:
    """The stretches of :data:`TREND_POINTS` or more points all going up or all going
    down, as indices; a value equal to the one before counts once (IHI): it is in the
    stretch but neither extends nor breaks it."""
    # Group consecutive equal values: each group is one point of the trend.
    groups: list[list[int]] = []
    for index, value in enumerate(points):
        if groups and points[groups[-1][0]] == value:
            groups[-1].append(index)
        else:
            groups.append([index])
    trends: list[tuple[int, ...]] = []
    start = 0
    while start < len(groups) - 1:
        direction = points[groups[start + 1][0]] > points[groups[start][0]]
        end = start + 1
        while (
            end + 1 < len(groups)
            and (points[groups[end + 1][0]] > points[groups[end][0]]) == direction
        ):
            end += 1
        if end - start + 1 >= TREND_POINTS:
            trends.append(tuple(i for group in groups[start : end + 1] for i in group))
        start = end  # the turning point starts the next stretch
    return trends
