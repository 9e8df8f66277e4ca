"""Run-chart signals against hand-worked series, at each rule's boundary.

Conventions recalled: ``+`` above the median, ``-`` below, ``o`` on it (dropped: it
neither makes nor breaks a run); indices are 0-based.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panelcare.quality.errors import RunChartError
from panelcare.quality.runcharts import (
    RunChart,
    binomial_quantile,
    crossings_limit,
    longest_run_limit,
    run_chart,
    runs_limits,
)


def _rules(chart: RunChart) -> set[str]:
    return set(chart.rules())


# ---------------------------------------------------------------------- Anhøj's limits


@pytest.mark.parametrize(
    ("useful", "run_limit", "crossings"),
    [
        # n=10: log2(10) = 3.32, + 3 = 6.32 -> 6. qbinom(0.05, 9, 0.5): 2^9 = 512,
        #   P(X<=1) = (1+9)/512 = 0.020, P(X<=2) = (10+36)/512 = 0.090 >= 0.05 -> 2.
        (10, 6, 2),
        # n=12: log2(12) = 3.58, + 3 = 6.58 -> 7. qbinom(0.05, 11, 0.5): 2^11 = 2048,
        #   P(X<=2) = (1+11+55)/2048 = 0.033, P(X<=3) = (67+165)/2048 = 0.113 -> 3.
        (12, 7, 3),
        # n=24: log2(24) = 4.58, + 3 = 7.58 -> 8. qbinom(0.05, 23, 0.5): 2^23 = 8388608,
        #   P(X<=7) = 390656/8388608 = 0.047, P(X<=8) = 880970/8388608 = 0.105 -> 8.
        (24, 8, 8),
        # The longest-run limit steps where log2(n) + 3 crosses a half:
        # log2(22) = 4.46 -> 7; log2(23) = 4.52 -> 8.
        (22, 7, None),
        (23, 8, None),
        # log2(45) = 5.49 -> 8; log2(46) = 5.52 -> 9.
        (45, 8, None),
        (46, 9, None),
        # n=1: log2(1) = 0 -> 3; qbinom(0.05, 0, 0.5) = 0 (X is always 0).
        (1, 3, 0),
    ],
)
def test_it_computes_anhoj_limits_as_worked_by_hand(useful, run_limit, crossings):
    assert longest_run_limit(useful) == run_limit
    if crossings is not None:
        assert crossings_limit(useful) == crossings


def test_it_refuses_limits_without_a_useful_point():
    with pytest.raises(ValueError):
        longest_run_limit(0)
    with pytest.raises(ValueError):
        crossings_limit(0)


@given(st.integers(min_value=0, max_value=80), st.sampled_from([0.05, 0.025, 0.5, 0.95]))
def test_it_finds_the_smallest_k_whose_binomial_cdf_reaches_q(n, q):
    # Independent check in integers: P(X <= k) = sum(C(n, i)) / 2^n for p = 1/2.
    k = binomial_quantile(q, n)
    cdf = [sum(math.comb(n, i) for i in range(j + 1)) for j in range(n + 1)]
    threshold = Fraction(str(q)) * 2**n
    assert cdf[k] >= threshold
    assert k == 0 or cdf[k - 1] < threshold


# Twelve useful points around a median of 2 (six 1s and six 3s, or a frozen baseline).


def test_it_does_not_signal_a_longest_run_at_the_limit_and_does_one_above():
    # Baseline [1, 3, 1, 3] -> median 2; n = 12 useful -> limit 7.
    # - + - + + + + + + + - +   longest run 7 = limit: no long_run (but a shift, 7 >= 6)
    at_limit = run_chart([1, 3, 1, 3, 3, 3, 3, 3, 3, 3, 1, 3], baseline=4)
    assert (at_limit.median, at_limit.useful, at_limit.longest_run) == (2.0, 12, 7)
    assert at_limit.longest_run_limit == 7
    assert "long_run" not in _rules(at_limit)
    assert "shift" in _rules(at_limit)
    # - + - + + + + + + + + -   longest run 8 > 7: long_run on points 3..10
    above = run_chart([1, 3, 1, 3, 3, 3, 3, 3, 3, 3, 3, 1], baseline=4)
    assert above.longest_run == 8
    long_runs = [s for s in above.signals if s.rule == "long_run"]
    assert [s.points for s in long_runs] == [tuple(range(3, 11))]


def test_it_signals_too_few_crossings_below_the_limit_only():
    # Median of all 12 = 2. - - - + + + - - - + + +   3 crossings = limit 3: no signal.
    three = run_chart([1, 1, 1, 3, 3, 3, 1, 1, 1, 3, 3, 3])
    assert (three.median, three.crossings, three.crossings_limit) == (2.0, 3, 3)
    assert "few_crossings" not in _rules(three)
    # - - - - + + + + + + - -   2 crossings < 3: few_crossings on every useful point.
    two = run_chart([1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 1, 1])
    assert two.crossings == 2
    few = [s for s in two.signals if s.rule == "few_crossings"]
    assert [s.points for s in few] == [tuple(range(12))]


# -------------------------------------------------------------------------- IHI rules


def test_it_signals_a_shift_of_exactly_six_points_and_not_five():
    # Baseline [3, 1, 3, 1, 3, 1] -> median 2: + - + - + - then six +.
    six = run_chart([3, 1, 3, 1, 3, 1, 3, 3, 3, 3, 3, 3], baseline=6)
    assert [s.points for s in six.signals if s.rule == "shift"] == [(6, 7, 8, 9, 10, 11)]
    # + - + - + - then five + and a -: no shift.
    five = run_chart([3, 1, 3, 1, 3, 1, 3, 3, 3, 3, 3, 1], baseline=6)
    assert five.longest_run == 5
    assert "shift" not in _rules(five)


def test_it_neither_breaks_nor_counts_a_run_with_a_point_on_the_median():
    # + - + - + - + + + o + + +: the point on the median (index 9) is dropped: the run
    # 6, 7, 8, 10, 11, 12 has six useful points -> a shift.
    broken_not = run_chart([3, 1, 3, 1, 3, 1, 3, 3, 3, 2, 3, 3, 3], baseline=6)
    assert broken_not.useful == 12
    assert [s.points for s in broken_not.signals if s.rule == "shift"] == [(6, 7, 8, 10, 11, 12)]
    # + - + - + - + + o + + +: five useful points after the last - -> no shift (the point
    # on the median does not count).
    counted_not = run_chart([3, 1, 3, 1, 3, 1, 3, 3, 2, 3, 3, 3], baseline=6)
    assert counted_not.longest_run == 5
    assert "shift" not in _rules(counted_not)


def test_it_signals_a_trend_of_five_points_and_not_four():
    # 5 1 2 3 4 5 3: the five points 1..5 rise.
    five = run_chart([5, 1, 2, 3, 4, 5, 3])
    assert [s.points for s in five.signals if s.rule == "trend"] == [(1, 2, 3, 4, 5)]
    # 5 1 2 3 4 2: four points rise.
    assert "trend" not in _rules(run_chart([5, 1, 2, 3, 4, 2]))
    # Falling: 1 5 4 3 2 1 3.
    falling = run_chart([1, 5, 4, 3, 2, 1, 3])
    assert [s.points for s in falling.signals if s.rule == "trend"] == [(1, 2, 3, 4, 5)]


def test_it_counts_equal_consecutive_values_once_in_a_trend():
    # 5 1 2 2 3 4 2: 1, 2(, 2), 3, 4 is four points -> no trend.
    assert "trend" not in _rules(run_chart([5, 1, 2, 2, 3, 4, 2]))
    # 5 1 2 2 3 4 5 2: five distinct rising values; the repeated 2 is in the stretch.
    chart = run_chart([5, 1, 2, 2, 3, 4, 5, 2])
    assert [s.points for s in chart.signals if s.rule == "trend"] == [(1, 2, 3, 4, 5, 6)]


def test_it_computes_the_runs_table_as_worked_by_hand():
    # n=12, 6 and 6: C(12, 6) = 924 arrangements. Ways to get 2, 3, 4 runs: 2, 10, 50.
    # P(R<=3) = 12/924 = 1.3 %, P(R<=4) = 62/924 = 6.7 % > 2.5 % -> fewest 4; symmetric:
    # 12, 11, 10 runs: 2, 10, 50 ways -> most 10.
    assert runs_limits(12) == (4, 10)
    # n=10, 5 and 5: C(10, 5) = 252. 2 runs: 2 ways, 3 runs: 8 ways; P(R<=3) = 10/252 =
    # 4.0 % > 2.5 % -> fewest 3; most 9 by symmetry.
    assert runs_limits(10) == (3, 9)
    assert runs_limits(9) is None  # the table starts at 10 useful points


def test_it_signals_too_few_runs_below_the_table():
    # - - - - + + + + + + - -: 3 runs < 4.
    assert "few_runs" in _rules(run_chart([1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 1, 1]))
    # - - - + + + - - - + + +: 4 runs = the fewest expected.
    assert "few_runs" not in _rules(run_chart([1, 1, 1, 3, 3, 3, 1, 1, 1, 3, 3, 3]))


def test_it_signals_too_many_runs_above_the_table():
    # - + - + - + - + - + + -: 11 runs > 10.
    eleven = run_chart([1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 3, 1])
    assert (eleven.median, eleven.runs) == (2.0, 11)
    assert "many_runs" in _rules(eleven)
    # - + - + - + - + + - - +: 10 runs = the most expected.
    ten = run_chart([1, 3, 1, 3, 1, 3, 1, 3, 3, 1, 1, 3])
    assert ten.runs == 10
    assert "many_runs" not in _rules(ten)


def test_it_reports_no_runs_table_under_ten_useful_points():
    chart = run_chart([1, 3, 1, 3, 1, 3, 1, 3, 1])  # median 1: four useful points
    assert (chart.median, chart.useful, chart.runs_limits) == (1.0, 4, None)


def test_it_returns_the_figures_of_a_chart_without_signal():
    # Six 1s and six 3s: median 2. - + + - - + - + + - - +: 8 runs (4 to 10 expected),
    # 7 crossings (>= 3), longest run 2 (<= 7, < 6), only 1s and 3s so no trend.
    chart = run_chart([1, 3, 3, 1, 1, 3, 1, 3, 3, 1, 1, 3])
    assert (chart.median, chart.runs, chart.crossings, chart.longest_run) == (2.0, 8, 7, 2)
    assert (chart.longest_run_limit, chart.crossings_limit, chart.runs_limits) == (7, 3, (4, 10))
    assert chart.signals == ()
    assert chart.rules() == ()


def test_it_has_no_run_when_every_point_is_on_the_median():
    chart = run_chart([4, 4, 4, 4, 4, 4])
    assert (chart.median, chart.useful, chart.runs, chart.crossings) == (4.0, 0, 0, 0)
    assert (chart.longest_run_limit, chart.crossings_limit, chart.signals) == (None, None, ())


def test_it_takes_the_median_of_the_baseline_only():
    chart = run_chart([10, 12, 11, 20, 21, 22], baseline=3)
    assert (chart.median, chart.baseline_points) == (11.0, 3)
    assert run_chart([10, 12, 11, 20, 21, 22]).median == 16.0


@pytest.mark.parametrize(
    ("values", "baseline", "code"),
    [
        ([], None, "no_points"),
        ([1.0, float("nan")], None, "not_a_number"),
        ([1.0, 2.0], 3, "baseline_out_of_range"),
        ([1.0, 2.0], 0, "baseline_out_of_range"),
    ],
)
def test_it_refuses_a_series_it_cannot_chart(values, baseline, code):
    with pytest.raises(RunChartError) as refused:
        run_chart(values, baseline=baseline)
    assert refused.value.code == code


# ---------------------------------------------------------------------------- properties


@given(
    st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=40),
    st.data(),
)
def test_it_has_one_more_run_than_crossings(values, data):
    baseline = data.draw(st.integers(min_value=1, max_value=len(values)))
    chart = run_chart(values, baseline=baseline)
    if chart.useful:
        assert chart.runs == chart.crossings + 1
        assert 1 <= chart.longest_run <= chart.useful
    else:
        assert (chart.runs, chart.crossings, chart.longest_run) == (0, 0, 0)
    assert chart.useful == sum(1 for value in values if value != chart.median)


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=40))
def test_it_signals_a_shift_exactly_when_a_run_reaches_six(values):
    chart = run_chart(values)
    shifts = [s for s in chart.signals if s.rule == "shift"]
    assert bool(shifts) == (chart.longest_run >= 6)
    for shift in shifts:
        sides = {chart.values[i] > chart.median for i in shift.points}
        assert len(sides) == 1  # every point of a shift on the same side
