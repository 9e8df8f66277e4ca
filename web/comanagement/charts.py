"""Vega-Lite specifications (Altair) of the co-management's pages, as in
:mod:`web.assiduity.charts`: each function takes the figures a page already read and
returns a specification (a dict) the template embeds with ``json_script`` (``spec-NAME``
beside a ``chart-NAME`` element; ``static/js/panelcare.js`` draws it)."""

from __future__ import annotations

from typing import Any

import altair as alt
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from web.attribution.charts import localised

VALUE_COLOUR = "#2c6fbb"
MISSED_COLOUR = "#b03a2e"
TARGET_COLOUR = "#444444"


def indicator_chart(
    rows: list[dict[str, Any]], targets: list[dict[str, Any]], *, title: str = ""
) -> dict[str, Any]:
    """An indicator's months (a line with a dot per month) against the agreed target in
    force each month (a dashed step line), the months that missed it as red dots.

    ``rows``: ``month`` (a date, the first of the month), ``value`` (None: no statistics
    that month, left as a gap) and ``missed`` (bool). ``targets``: ``month`` and
    ``target`` for the months an agreed target was in force.
    """
    month_title, value_title, target_title = _("Month"), _("Value"), _("Target")
    order = {row["month"]: index for index, row in enumerate(rows)}
    values = [
        {
            "order": index,
            "month": date_format(row["month"], "YEAR_MONTH_FORMAT"),
            "value": row["value"],
            "state": _("Target missed") if row.get("missed") else _("Value of the month"),
        }
        for index, row in enumerate(rows)
    ]
    wanted = [
        {
            "order": order.get(row["month"], index),
            "month": date_format(row["month"], "YEAR_MONTH_FORMAT"),
            "target": row["target"],
        }
        for index, row in enumerate(targets)
    ]
    x = alt.X(
        "month:N",
        title=None,
        sort=alt.EncodingSortField("order"),
        axis=alt.Axis(labelAngle=-35),
    )
    tooltip = [
        alt.Tooltip("month:N", title=month_title),
        alt.Tooltip("value:Q", title=value_title, format=",.4~f"),
    ]
    line = (
        alt.Chart(alt.NamedData(name="months"))
        .mark_line(color=VALUE_COLOUR)
        .encode(x=x, y=alt.Y("value:Q", title=value_title), tooltip=tooltip)
    )
    states = [_("Value of the month"), _("Target missed")]
    dots = (
        alt.Chart(alt.NamedData(name="months"))
        .transform_filter("datum.value != null")
        .mark_point(size=60, filled=True)
        .encode(
            x=x,
            y=alt.Y("value:Q"),
            color=alt.Color(
                "state:N",
                title=None,
                scale=alt.Scale(domain=states, range=[VALUE_COLOUR, MISSED_COLOUR]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    target = (
        alt.Chart(alt.NamedData(name="targets"))
        .mark_line(color=TARGET_COLOUR, strokeDash=[5, 4], interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y("target:Q"),
            tooltip=[
                alt.Tooltip("month:N", title=month_title),
                alt.Tooltip("target:Q", title=target_title, format=",.4~f"),
            ],
        )
    )
    chart = alt.layer(line, dots, target).properties(width="container", height=220)
    if title:
        chart = chart.properties(title=title)
    spec = chart.to_dict()
    spec.pop("$schema", None)  # a URL, even if never fetched: none leaves the server
    spec["datasets"] = {"months": values, "targets": wanted}
    return localised(spec)


def series_chart(series: Any) -> dict[str, Any]:
    """:func:`indicator_chart` of a :class:`web.comanagement.performance.Series`."""
    rows = [
        {"month": month.month, "value": month.value, "missed": month.missed}
        for month in series.months
    ]
    targets = [
        {"month": month.month, "target": month.target}
        for month in series.months
        if month.target is not None
    ]
    return indicator_chart(rows, targets, title=series.label)
