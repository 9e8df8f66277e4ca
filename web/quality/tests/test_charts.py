"""The run chart's Vega-Lite spec and its signals in words (web.quality.charts)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import pytest

from panelcare.quality.runcharts import run_chart as core_run_chart
from web.quality import charts
from web.quality.indicators import Distribution, Point

D = datetime.date


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The labels in English (the message ids)."""


@dataclass
class Cycle:
    change_idea: str
    started_on: datetime.date


def _points(values) -> list[Point]:
    return [Point(D(2025, month, 1), value) for month, value in enumerate(values, start=1)]


def _layers(spec, data_name):
    return [layer for layer in spec["layer"] if layer.get("data", {}).get("name") == data_name]


def _mark(layer) -> str:
    mark = layer["mark"]
    return mark if isinstance(mark, str) else mark["type"]


SHIFT = [1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9]


def _chart(values, cycles=(), target=8.0):
    points = _points(values)
    known = charts.known_points(points)
    result = core_run_chart([point.value for point in known])
    return charts.run_chart(points, target=target, pdsa_cycles=list(cycles), result=result), result


def test_it_draws_the_median_dashed_and_the_target():
    spec, result = _chart(SHIFT)
    (median,) = _layers(spec, "median")
    assert _mark(median) == "rule" and median["mark"]["strokeDash"]
    assert spec["datasets"]["median"] == [{"median": result.median}] == [{"median": 5.0}]
    (target,) = _layers(spec, "target")
    assert _mark(target) == "rule" and "strokeDash" not in target["mark"]
    assert spec["datasets"]["target"] == [{"target": 8.0}]


def test_it_draws_no_target_rule_without_a_target():
    spec, _result = _chart(SHIFT, target=None)
    assert _layers(spec, "target") == [] and spec["datasets"]["target"] == []


def test_it_draws_one_rule_per_pdsa_cycle_annotated_with_its_change_idea():
    cycles = [
        Cycle("Rappel téléphonique", D(2025, 3, 12)),
        Cycle("Plage de rendez-vous le soir", D(2025, 7, 1)),
        Cycle("Hors du graphique", D(2024, 6, 1)),  # before the first month: left out
    ]
    spec, _result = _chart(SHIFT, cycles)
    rules = [layer for layer in _layers(spec, "pdsa") if _mark(layer) == "rule"]
    texts = [layer for layer in _layers(spec, "pdsa") if _mark(layer) == "text"]
    assert len(rules) == 1 and len(texts) == 1  # one layer drawing a rule per row
    assert spec["datasets"]["pdsa"] == [
        {"month": "March 2025", "idea": "Rappel téléphonique"},
        {"month": "July 2025", "idea": "Plage de rendez-vous le soir"},
    ]
    assert texts[0]["encoding"]["text"]["field"] == "idea"


def test_it_highlights_the_points_of_a_signal():
    values = [5, 4, 6, 5, 4, 6, 5, 7, 8, 9, 10, 11]  # a trend from July
    spec, result = _chart(values)
    assert {"trend", "few_runs"} <= set(result.rules())
    kinds = [row["kind"] for row in spec["datasets"]["points"]]
    # The trend's points only: too few runs is about the whole chart.
    assert kinds == ["Random variation"] * 6 + ["In a signal"] * 6


def test_it_keeps_a_month_without_a_value_on_the_axis_but_draws_no_point():
    values = [3, None, 4, 5]
    spec, _result = _chart(values)
    assert [row["month"] for row in spec["datasets"]["points"]] == [
        "January 2025",
        "March 2025",
        "April 2025",
    ]
    (line,) = [layer for layer in _layers(spec, "points") if _mark(layer) == "line"]
    assert "February 2025" in line["encoding"]["x"]["scale"]["domain"]


def test_it_leaks_no_url_in_the_spec():
    spec, _result = _chart(SHIFT, [Cycle("Idée", D(2025, 2, 1))])
    assert "$schema" not in spec and "http" not in json.dumps(spec)


def test_it_says_a_shift_in_words():
    _spec, result = _chart(SHIFT)
    sentences = charts.signal_sentences(result, [D(2025, m, 1) for m in range(1, 13)])
    assert "A shift: 6 points in a row below the median, from January 2025." in sentences
    assert "A shift: 6 points in a row above the median, from July 2025." in sentences
    assert any(sentence.startswith("Too few crossings of the median: 1,") for sentence in sentences)
    assert charts.verdict(result) == (
        "The runs say the process changed: the variation is not random."
    )


def test_it_says_a_downward_trend():
    values = [9, 8, 7, 6, 5]
    _spec, result = _chart(values)
    sentences = charts.signal_sentences(result, [D(2025, m, 1) for m in range(1, 6)])
    assert "A trend: 5 points going down in a row, from January 2025." in sentences


def test_it_says_the_process_did_not_change_when_no_rule_signals():
    values = [5, 7, 6, 4, 3, 6, 8, 7, 4, 5, 7, 3]
    _spec, result = _chart(values)
    assert result.signals == ()
    assert charts.verdict(result) == (
        "The runs say the process did not change: the variation is random."
    )
    _spec, few = _chart([5, 6, 4])
    assert "keep measuring" in charts.verdict(few)


def test_it_draws_a_compact_chart_with_the_regions_median():
    region = Distribution(count=6, p10=1, p25=2, median=3, p75=4, p90=5)
    spec = charts.indicator_chart(_points([1, 2, None]), title="Panel size", region=region)
    assert spec["datasets"]["median"] == [{"median": 3}]
    assert len(spec["datasets"]["points"]) == 2
    hidden = charts.indicator_chart(_points([1, 2]), title="Panel size", region=None)
    assert hidden["datasets"]["median"] == [] and len(hidden["layer"]) == 1


def test_it_says_an_unusually_long_run_above_the_median():
    values = [1, 2, 1, 2, 8, 9, 8, 9, 8, 9, 8, 9, 3, 2, 3, 2]
    result = core_run_chart(values)
    months = [D(2024 + (i + 4) // 12, (i + 4) % 12 + 1, 1) for i in range(len(values))]
    sentences = charts.signal_sentences(result, months)
    assert (
        "An unusually long run: 8 points above the median from September 2024, more than "
        "the 7 expected by chance." in sentences
    )
