"""Vega-Lite specifications (Altair) of the QI groups' pages, embedded as the other apps'
are (``web/static/js/panelcare.js``: a ``chart-NAME`` div and its ``spec-NAME`` script),
and the run chart's signals said in words.

The run chart (:func:`run_chart`) draws what the core computed
(:func:`panelcare.quality.runcharts.run_chart`): the months on an ordinal axis named in the
reader's language, the median dashed, the goal's target, each PDSA cycle as a rule at the
month it started with its change idea, and the points of a signal highlighted.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import altair as alt
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from panelcare.quality import runcharts
from panelcare.quality.runcharts import MIN_POINTS_FOR_RUNS_TABLE, RunChart
from web.attribution.charts import localised
from web.quality.indicators import Distribution, Point, goal_series
from web.quality.models import Goal, Indicator
from web.regions.models import Physician

__all__ = [
    "MEDIAN_COLOUR",
    "SIGNAL_COLOUR",
    "TARGET_COLOUR",
    "GoalFollowUp",
    "goal_follow_up",
    "indicator_chart",
    "known_points",
    "run_chart",
    "signal_sentences",
    "verdict",
]

LINE_COLOUR = "#0b5a8c"
SIGNAL_COLOUR = "#b03a2e"
MEDIAN_COLOUR = "#444444"
TARGET_COLOUR = "#1b7a3a"
PDSA_COLOUR = "#a14a00"
STRETCH_RULES = frozenset({"long_run", "shift", "trend"})


class Cycle(Protocol):
    """A PDSA cycle as the chart reads it (:class:`web.quality.models.PdsaCycle`)."""

    change_idea: str
    started_on: datetime.date


def known_points(points: Sequence[Point]) -> list[Point]:
    """The points with a value, in order: what the core's run chart is computed on (its
    signals' indices are indices into this list)."""
    return [point for point in points if point.value is not None]


def _month(month: datetime.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def _spec(chart: Any, datasets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The spec, its rows as named ``datasets`` added after Altair's check (as
    web.attribution.charts does), no ``$schema`` URL, the reader's number format."""
    spec = chart.to_dict()
    spec.pop("$schema", None)
    spec["datasets"] = datasets
    return localised(spec)


def run_chart(
    points: Sequence[Point],
    *,
    target: float | None,
    pdsa_cycles: Sequence[Cycle],
    result: RunChart,
    title: str = "",
) -> dict[str, Any]:
    """The run chart of ``points`` (every month, None where there is no value) analysed as
    ``result`` (the core's run chart of :func:`known_points`): the points and their line,
    the median (dashed), ``target`` (a rule; none when None), one rule per cycle of
    ``pdsa_cycles`` at the month it started (those outside the chart's months are left
    out) annotated with its change idea, and the points of a shift, a trend or a long run
    highlighted."""
    months = [_month(point.month) for point in points]
    # The signals of a stretch of points; the crossings and runs rules are about the whole
    # chart (their points: every useful one) and would paint it all.
    in_signal = {
        index
        for signal in result.signals
        if signal.rule in STRETCH_RULES
        for index in signal.points
    }
    highlighted, ordinary = _("In a signal"), _("Random variation")
    rows = [
        {
            "month": _month(point.month),
            "value": point.value,
            "kind": highlighted if index in in_signal else ordinary,
        }
        for index, point in enumerate(known_points(points))
    ]
    by_month = {point.month: _month(point.month) for point in points}
    cycles = [
        {"month": by_month[cycle.started_on.replace(day=1)], "idea": cycle.change_idea}
        for cycle in pdsa_cycles
        if cycle.started_on.replace(day=1) in by_month
    ]
    value_title = title or _("Value")
    x = alt.X(
        "month:N",
        title=None,
        sort=months,
        scale=alt.Scale(domain=months),
        axis=alt.Axis(labelAngle=-40),
    )
    line = (
        alt.Chart(alt.NamedData(name="points"))
        .mark_line(color=LINE_COLOUR)
        .encode(x=x, y=alt.Y("value:Q", title=value_title))
    )
    dots = (
        alt.Chart(alt.NamedData(name="points"))
        .mark_point(filled=True, size=70)
        .encode(
            x=x,
            y="value:Q",
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=[ordinary, highlighted], range=[LINE_COLOUR, SIGNAL_COLOUR]),
            ),
            tooltip=[
                alt.Tooltip("month:N", title=_("Month")),
                alt.Tooltip("value:Q", title=value_title, format=",.1f"),
                alt.Tooltip("kind:N", title=_("Signal")),
            ],
        )
    )
    median = (
        alt.Chart(alt.NamedData(name="median"))
        .mark_rule(color=MEDIAN_COLOUR, strokeDash=[6, 4])
        .encode(y="median:Q", tooltip=[alt.Tooltip("median:Q", title=_("Median"), format=",.1f")])
    )
    layers: list[Any] = [line, dots, median]
    datasets: dict[str, list[dict[str, Any]]] = {
        "points": rows,
        "median": [{"median": result.median}],
        "target": [],
        "pdsa": cycles,
    }
    if target is not None:
        datasets["target"] = [{"target": target}]
        layers.append(
            alt.Chart(alt.NamedData(name="target"))
            .mark_rule(color=TARGET_COLOUR, strokeWidth=2)
            .encode(y="target:Q", tooltip=[alt.Tooltip("target:Q", title=_("Target"))])
        )
    if cycles:
        rule = alt.Chart(alt.NamedData(name="pdsa")).encode(
            x=x, tooltip=[alt.Tooltip("idea:N", title=_("PDSA cycle"))]
        )
        layers.append(rule.mark_rule(color=PDSA_COLOUR, strokeDash=[2, 2]))
        layers.append(
            rule.mark_text(
                color=PDSA_COLOUR, angle=270, align="right", baseline="bottom", dx=-4, y=4
            ).encode(text="idea:N")
        )
    chart = alt.layer(*layers).properties(width="container", height=300)
    return _spec(chart, datasets)


def indicator_chart(
    points: Sequence[Point], *, title: str, region: Distribution | None
) -> dict[str, Any]:
    """A compact chart of a physician's months of one indicator, with the region's median
    of its latest month as a dashed rule (none when the distribution is not shown)."""
    months = [_month(point.month) for point in points]
    rows = [{"month": _month(p.month), "value": p.value} for p in known_points(points)]
    x = alt.X(
        "month:N",
        title=None,
        sort=months,
        scale=alt.Scale(domain=months),
        axis=alt.Axis(labelAngle=-40),
    )
    line = (
        alt.Chart(alt.NamedData(name="points"))
        .mark_line(color=LINE_COLOUR, point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=title),
            tooltip=[
                alt.Tooltip("month:N", title=_("Month")),
                alt.Tooltip("value:Q", title=title, format=",.1f"),
            ],
        )
    )
    layers: list[Any] = [line]
    medians = []
    if region is not None:
        medians = [{"median": region.median}]
        layers.append(
            alt.Chart(alt.NamedData(name="median"))
            .mark_rule(color=MEDIAN_COLOUR, strokeDash=[6, 4])
            .encode(
                y="median:Q",
                tooltip=[alt.Tooltip("median:Q", title=_("Region's median"), format=",.1f")],
            )
        )
    chart = alt.layer(*layers).properties(width="container", height=140)
    return _spec(chart, {"points": rows, "median": medians})


# --------------------------------------------------------------------------- in words


def signal_sentences(result: RunChart, months: Sequence[datetime.date]) -> list[str]:
    """The signals of ``result`` as whole sentences, in the core's order; ``months``: the
    month of each point the core read (:func:`known_points`)."""
    sentences = []
    median = result.median
    for signal in result.signals:
        first = _month(months[signal.points[0]])
        count = len(signal.points)
        values = [result.values[index] for index in signal.points]
        above = values[0] > median
        if signal.rule == "shift":
            sentences.append(
                (
                    _("A shift: %(count)s points in a row above the median, from %(month)s.")
                    if above
                    else _("A shift: %(count)s points in a row below the median, from %(month)s.")
                )
                % {"count": count, "month": first}
            )
        elif signal.rule == "long_run":
            sentences.append(
                (
                    _(
                        "An unusually long run: %(count)s points above the median from "
                        "%(month)s, more than the %(limit)s expected by chance."
                    )
                    if above
                    else _(
                        "An unusually long run: %(count)s points below the median from "
                        "%(month)s, more than the %(limit)s expected by chance."
                    )
                )
                % {"count": count, "month": first, "limit": result.longest_run_limit}
            )
        elif signal.rule == "trend":
            sentences.append(
                (
                    _("A trend: %(count)s points going up in a row, from %(month)s.")
                    if values[-1] > values[0]
                    else _("A trend: %(count)s points going down in a row, from %(month)s.")
                )
                % {"count": count, "month": first}
            )
        elif signal.rule == "few_crossings":
            sentences.append(
                _(
                    "Too few crossings of the median: %(crossings)s, where at least "
                    "%(limit)s are expected by chance."
                )
                % {"crossings": result.crossings, "limit": result.crossings_limit}
            )
        elif signal.rule == "few_runs" and result.runs_limits is not None:
            sentences.append(
                _("Too few runs: %(runs)s, where at least %(fewest)s are expected by chance.")
                % {"runs": result.runs, "fewest": result.runs_limits[0]}
            )
        elif signal.rule == "many_runs" and result.runs_limits is not None:
            sentences.append(
                _("Too many runs: %(runs)s, where at most %(most)s are expected by chance.")
                % {"runs": result.runs, "most": result.runs_limits[1]}
            )
    return sentences


def verdict(result: RunChart) -> str:
    """What the runs say, in one sentence."""
    if result.signals:
        return _("The runs say the process changed: the variation is not random.")
    if result.useful < MIN_POINTS_FOR_RUNS_TABLE:
        return ngettext(
            "The runs say the process did not change so far, on %(count)s point off the "
            "median: keep measuring, signals need more points.",
            "The runs say the process did not change so far, on %(count)s points off the "
            "median: keep measuring, signals need more points.",
            result.useful,
        ) % {"count": result.useful}
    return _("The runs say the process did not change: the variation is random.")


# --------------------------------------------------------------------------- a goal


@dataclass(frozen=True)
class GoalFollowUp:
    """What a goal's follow-up page shows: its ``points`` (every month), the core's
    ``result`` on those with a value (None without any), the chart's ``spec`` (None
    without a point), the signals in words and the verdict."""

    points: list[Point]
    result: RunChart | None
    spec: dict[str, Any] | None
    signals: list[str]
    verdict: str


def goal_follow_up(goal: Goal, *, on: datetime.date, physician: Physician | None) -> GoalFollowUp:
    """The follow-up of ``goal`` on ``on``: its measure for ``physician`` (a platform
    indicator; a manual measure is the group's, whoever reads it), its run chart and
    signals, its PDSA cycles on the chart."""
    points = goal_series(goal, on=on, physician=physician)
    known = known_points(points)
    if not known:
        return GoalFollowUp(points, None, None, [], "")
    result = runcharts.run_chart([point.value for point in known if point.value is not None])
    title = str(Indicator(goal.indicator).label) if goal.indicator else _("Measure")
    spec = run_chart(
        points,
        target=float(goal.target),
        pdsa_cycles=list(goal.cycles.all()),
        result=result,
        title=title,
    )
    return GoalFollowUp(
        points=points,
        result=result,
        spec=spec,
        signals=signal_sentences(result, [point.month for point in known]),
        verdict=verdict(result),
    )
