"""Vega-Lite specifications (Altair) of the assiduity's pages, as in
:mod:`web.attribution.charts`: each function takes the figures a page already read and
returns a specification (a dict) the template embeds."""

from __future__ import annotations

import math
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from web.attribution.charts import localised

# --------------------------------------------------------------------------- groups
# The distribution of the physicians' rates per RLS and the trends across years
# (web.assiduity.groups).

# The tiers' colours, best first (web.assiduity.groups.RATED_TIERS), as the labels say them.
GROUPS_TIER_COLOURS = ("#1b7a3a", "#7fb77e", "#e0a030", "#b03a2e")
GROUPS_TARGET_COLOUR = "#444444"


def _groups_spec(chart: Any, datasets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The chart's Vega-Lite spec with its rows as named ``datasets`` added after Altair's
    check (as web.attribution.charts does), no ``$schema`` URL, the reader's number format."""
    spec = chart.to_dict()
    spec.pop("$schema", None)
    spec["datasets"] = datasets
    return localised(spec)


def distribution_chart(
    points: list[dict[str, Any]], rls: list[str], tiers: list[str], target: float | None
) -> dict[str, Any]:
    """Each physician's rate as a dot on the line of their RLS (``rls``: the RLS names, in
    order), spread vertically so that equal rates stay visible, coloured by tier
    (``tiers``: the tier labels, best first), over a box of the RLS's quartiles, with the
    year's ``target`` (the lowest rate of the full band) as a dashed rule.

    ``points``: ``rls`` (name), ``name``, ``rate`` (0 to 1) and ``tier`` (label).
    """
    rate, rls_title = _("Assiduity rate"), _("RLS")
    # A spread fixed by the row's place, not random(): the same page draws the same chart.
    data = [
        {**point, "spread": ((index * 37) % 17) / 16 - 0.5} for index, point in enumerate(points)
    ]
    # From a round 10 % below the lowest rate (and the target) to 100 %: the rates of a
    # region mostly lie between 60 and 100 %, and a scale from 0 would crowd them.
    values = [point["rate"] for point in points] + ([target] if target is not None else [])
    low = max(0.0, math.floor(min(values) * 10 - 0.5) / 10) if values else 0.0
    x = alt.X(
        "rate:Q",
        title=rate,
        axis=alt.Axis(format=".0%", tickCount=8),
        scale=alt.Scale(domain=[low, 1], nice=False),
    )
    y = alt.Y("rls:N", title=rls_title, sort=rls)
    boxes = (
        alt.Chart(alt.NamedData(name="points"))
        .mark_boxplot(extent="min-max", opacity=0.25, color="#9aa7b4", size=34)
        .encode(x=x, y=y)
    )
    dots = (
        alt.Chart(alt.NamedData(name="points"))
        .mark_circle(size=42, opacity=0.85)
        .encode(
            x=x,
            y=y,
            yOffset=alt.YOffset("spread:Q", scale=alt.Scale(domain=[-1.2, 1.2]), title=None),
            color=alt.Color(
                "tier:N",
                title=_("Tier"),
                sort=tiers,
                scale=alt.Scale(domain=tiers, range=list(GROUPS_TIER_COLOURS[: len(tiers)])),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=_("Physician")),
                alt.Tooltip("rls:N", title=rls_title),
                alt.Tooltip("rate:Q", title=rate, format=".1%"),
                alt.Tooltip("tier:N", title=_("Tier")),
            ],
        )
    )
    layers = [boxes, dots]
    datasets: dict[str, list[dict[str, Any]]] = {"points": data}
    if target is not None:
        layers.append(
            alt.Chart(alt.NamedData(name="target"))
            .mark_rule(color=GROUPS_TARGET_COLOUR, strokeDash=[5, 4], size=2)
            .encode(
                x=alt.X("target:Q"),
                tooltip=[alt.Tooltip("target:Q", title=_("Target"), format=".0%")],
            )
        )
        datasets["target"] = [{"target": target}]
    chart = alt.layer(*layers).properties(width="container", height=max(200, 70 * len(rls)))
    return _groups_spec(chart, datasets)


def trends_chart(rows: list[dict[str, Any]], targets: list[dict[str, Any]]) -> dict[str, Any]:
    """The median rate of each group (an RLS, or the whole region) year by year, one line
    each, with the target of each year (the lowest rate of the full band) as a dashed
    line.

    ``rows``: ``year``, ``group`` (the RLS's name) and ``median`` (0 to 1, or None);
    ``targets``: ``year`` and ``target``.
    """
    year, median, group = _("Year"), _("Median rate"), _("RLS")
    # As on the distribution: from a round 10 % below the lowest value to 100 %.
    values = [row["median"] for row in rows if row["median"] is not None]
    values += [row["target"] for row in targets]
    low = max(0.0, math.floor(min(values) * 10 - 0.5) / 10) if values else 0.0
    lines = (
        alt.Chart(alt.NamedData(name="medians"))
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=year, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "median:Q",
                title=median,
                axis=alt.Axis(format=".0%", tickCount=6),
                scale=alt.Scale(domain=[low, 1], nice=False),
            ),
            color=alt.Color("group:N", title=group),
            tooltip=[
                alt.Tooltip("group:N", title=group),
                alt.Tooltip("year:O", title=year),
                alt.Tooltip("median:Q", title=median, format=".1%"),
            ],
        )
    )
    target = (
        alt.Chart(alt.NamedData(name="targets"))
        .mark_line(color=GROUPS_TARGET_COLOUR, strokeDash=[5, 4])
        .encode(
            x=alt.X("year:O"),
            y=alt.Y("target:Q"),
            tooltip=[
                alt.Tooltip("year:O", title=year),
                alt.Tooltip("target:Q", title=_("Target"), format=".0%"),
            ],
        )
    )
    chart = alt.layer(lines, target).properties(width="container", height=260)
    medians = [row for row in rows if row["median"] is not None]
    return _groups_spec(chart, {"medians": medians, "targets": targets})


# --------------------------------------------------------------------------- physician
# One physician's rate month by month (web.assiduity.explanation.physician_page).

PHYSICIAN_YEAR_COLOUR = "#0b5a8c"
PHYSICIAN_MONTH_COLOUR = "#a14a00"
PHYSICIAN_TARGET_COLOUR = "#444444"


def physician_monthly_chart(months: list[dict[str, Any]], target: float) -> dict[str, Any]:
    """The rate of the year to the end of each month (a line: the rate the year would
    have if it ended that month) and each month's own rate (dots), against the ``target``
    (the lowest rate of the full band) as a dashed rule.

    ``months``: ``month`` (a date, the first of the month), ``year_rate`` and
    ``month_rate`` (0 to 1, or None for no counted visit), ``counted_visits``,
    ``assiduous_visits``.
    """
    from django.utils.formats import date_format

    year_rate, month_rate, month = _("Rate of the year to date"), _("Rate of the month"), _("Month")
    values = [
        {
            "order": index,
            "month": date_format(row["month"], "YEAR_MONTH_FORMAT"),
            "year_rate": row["year_rate"],
            "month_rate": row["month_rate"],
            "counted": row["counted_visits"],
            "assiduous": row["assiduous_visits"],
        }
        for index, row in enumerate(months)
    ]
    x = alt.X(
        "month:N",
        title=None,
        sort=alt.EncodingSortField("order"),
        axis=alt.Axis(labelAngle=-35),
    )
    tooltip = [
        alt.Tooltip("month:N", title=month),
        alt.Tooltip("year_rate:Q", title=year_rate, format=".1%"),
        alt.Tooltip("month_rate:Q", title=month_rate, format=".1%"),
        alt.Tooltip("counted:Q", title=_("Counted visits")),
        alt.Tooltip("assiduous:Q", title=_("Assiduous visits")),
    ]
    y_scale = alt.Scale(domain=[0, 1])
    line = (
        alt.Chart(alt.NamedData(name="months"))
        .transform_filter("datum.year_rate != null")
        .mark_line(point=True, color=PHYSICIAN_YEAR_COLOUR)
        .encode(
            x=x,
            y=alt.Y(
                "year_rate:Q", title=_("Assiduity rate"), axis=alt.Axis(format=".0%"), scale=y_scale
            ),
            tooltip=tooltip,
        )
    )
    dots = (
        alt.Chart(alt.NamedData(name="months"))
        .transform_filter("datum.month_rate != null")
        .mark_point(shape="diamond", size=60, filled=True, color=PHYSICIAN_MONTH_COLOUR)
        .encode(x=x, y=alt.Y("month_rate:Q", scale=y_scale), tooltip=tooltip)
    )
    rule = (
        alt.Chart(alt.NamedData(name="target"))
        .mark_rule(color=PHYSICIAN_TARGET_COLOUR, strokeDash=[5, 4], size=2)
        .encode(
            y=alt.Y("target:Q", scale=y_scale),
            tooltip=[alt.Tooltip("target:Q", title=_("Target"), format=".0%")],
        )
    )
    chart = alt.layer(line, dots, rule).properties(
        width="container",
        height=240,
        title=_("Rate of the year to date (line) and of each month alone (diamonds)"),
    )
    spec = chart.to_dict()
    spec.pop("$schema", None)  # a URL, even if never fetched: none leaves the server
    spec["datasets"] = {"months": values, "target": [{"target": target}]}
    return localised(spec)
