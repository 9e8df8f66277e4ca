"""Vega-Lite specifications of a run's pages, built with Altair on the server from the
run's summary (:func:`panelcare.attribution.figures.plan_figures`), and of its follow-up
(:func:`web.attribution.followup.follow_up`).

Drawn by the vendored vega-embed, as the dashboard's charts are. The map is a Vega-Lite
projection of latitudes and longitudes: no tile server, no URL of any kind in a spec (the
app works offline; ``$schema`` is dropped too), so a test can check that none leaks in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import altair as alt
from django.utils.formats import date_format, get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from web.attribution.followup import FollowUp

__all__ = [
    "distance_chart",
    "followup_chart",
    "format_locale",
    "localised",
    "map_chart",
    "need_chart",
    "vulnerable_chart",
]

ASSIGNED_COLOUR = "#1b7a3a"
UNASSIGNED_COLOUR = "#a14a00"
SITE_COLOUR = "#0b5a8c"


def format_locale() -> dict[str, Any]:
    """The number format of the reader's language for the charts' axes and tooltips (a
    d3-format locale, which vega-embed applies: ``usermeta.embedOptions.formatLocale``),
    with the separators Django's tables use, so that a figure reads the same in a table
    and on an axis ("12 500" and "0,45" in French)."""
    return {
        "decimal": get_format("DECIMAL_SEPARATOR"),
        "thousands": get_format("THOUSAND_SEPARATOR"),
        "grouping": [get_format("NUMBER_GROUPING") or 3],
        "currency": ["", "\u00a0$"],
        "percent": "\u00a0%" if (get_language() or "").startswith("fr") else "%",
    }


def localised(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with the reader's number format (:func:`format_locale`)."""
    usermeta = dict(spec.get("usermeta") or {})
    usermeta["embedOptions"] = {
        **usermeta.get("embedOptions", {}),
        "formatLocale": format_locale(),
    }
    return {**spec, "usermeta": usermeta}


def _spec(chart: alt.TopLevelMixin, datasets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The chart's Vega-Lite spec, its rows added as named ``datasets`` after the check.

    to_dict validates the spec against the Vega-Lite schema (a wrong encoding fails in
    tests), and validating thousands of inline rows takes seconds (5,000 map points: 1.7 s);
    the rows are therefore named in the chart (``alt.NamedData``) and added afterwards.
    """
    spec = chart.to_dict()
    spec.pop("$schema", None)  # a URL, even if never fetched: none leaves the server
    spec["datasets"] = datasets
    return localised(spec)


def _named(name: str) -> alt.NamedData:
    return alt.NamedData(name=name)


def need_chart(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Need against assigned patients, per group (1a, 1b, 2)."""
    need, assigned = _("Need"), _("Assigned")
    data = [
        {"group": row["group"], "measure": label, "patients": row[key]}
        for row in groups
        for label, key in ((need, "need"), (assigned, "assigned"))
    ]
    chart = (
        alt.Chart(_named("groups"))
        .mark_bar()
        .encode(
            x=alt.X("group:N", title=_("Group"), sort=[row["group"] for row in groups]),
            xOffset=alt.XOffset("measure:N", sort=[need, assigned]),
            y=alt.Y("patients:Q", title=_("Patients")),
            color=alt.Color(
                "measure:N",
                title=None,
                sort=[need, assigned],
                scale=alt.Scale(range=["#9aa7b4", ASSIGNED_COLOUR]),
            ),
            tooltip=[
                alt.Tooltip("group:N", title=_("Group")),
                alt.Tooltip("measure:N", title=_("Measure")),
                alt.Tooltip("patients:Q", title=_("Patients")),
            ],
        )
        .properties(width="container", height=220)
    )
    return _spec(chart, {"groups": data})


def vulnerable_chart(physicians: list[dict[str, Any]], cap: float) -> dict[str, Any]:
    """Each participating physician's vulnerable share before and after the plan (one
    column per physician, in order of the share after), with the run's cap (45 % by
    default) as a rule. Physicians are named on the axis when they are few (40 or less),
    in the tooltips always, so that a region's 250 physicians still fit."""
    before, after = _("Before"), _("After")
    rows = [
        row
        for row in physicians
        if row["group"] != "none" and row["vulnerable_share_after"] is not None
    ]
    rows.sort(key=lambda row: (row["vulnerable_share_after"], row["physician_id"]))
    order = [f"{row['name']} ({row['physician_id']})" for row in rows]
    data = []
    for name, row in zip(order, rows, strict=True):
        for label, key in ((before, "vulnerable_share_before"), (after, "vulnerable_share_after")):
            if row[key] is not None:
                data.append({"physician": name, "when": label, "share": row[key]})
    few = len(rows) <= 40
    points = (
        alt.Chart(_named("shares"))
        .mark_point(filled=True, size=60 if few else 25)
        .encode(
            x=alt.X(
                "physician:N",
                title=_("Physicians") if not few else None,
                sort=order,
                axis=alt.Axis(labels=few, ticks=few, labelAngle=-40, labelLimit=160),
            ),
            y=alt.Y("share:Q", title=_("Vulnerable share"), axis=alt.Axis(format="%")),
            color=alt.Color(
                "when:N",
                title=None,
                sort=[before, after],
                scale=alt.Scale(range=["#9aa7b4", SITE_COLOUR]),
            ),
            shape=alt.Shape("when:N", title=None, sort=[before, after]),
            tooltip=[
                alt.Tooltip("physician:N", title=_("Physician")),
                alt.Tooltip("when:N", title=_("When")),
                alt.Tooltip("share:Q", title=_("Vulnerable share"), format=".1%"),
            ],
        )
    )
    rule = (
        alt.Chart(_named("cap"))
        .mark_rule(color=UNASSIGNED_COLOUR, strokeDash=[4, 3], size=2)
        .encode(y="cap:Q", tooltip=[alt.Tooltip("cap:Q", title=_("Cap"), format=".0%")])
    )
    return _spec(
        (points + rule).properties(width="container", height=240),
        {"shares": data, "cap": [{"cap": cap}]},
    )


def distance_chart(bins: list[dict[str, Any]], max_distance_km: float) -> dict[str, Any]:
    """Assigned patients per band of distance to their physician's site, with the run's
    maximum distance as a rule."""
    data = [{**row, "band": f"{row['from']}–{row['to']}"} for row in bins]
    bars = (
        alt.Chart(_named("distances"))
        .mark_bar(color=SITE_COLOUR)
        .encode(
            x=alt.X("from:Q", title=_("Distance to the physician's site (km)"), bin="binned"),
            x2="to:Q",
            y=alt.Y("patients:Q", title=_("Patients")),
            tooltip=[
                alt.Tooltip("band:N", title=_("km")),
                alt.Tooltip("patients:Q", title=_("Patients")),
            ],
        )
    )
    rule = (
        alt.Chart(_named("limit"))
        .mark_rule(color=UNASSIGNED_COLOUR, strokeDash=[4, 3], size=2)
        .encode(x="limit:Q")
    )
    return _spec(
        (bars + rule).properties(width="container", height=220),
        {"distances": data, "limit": [{"limit": max_distance_km}]},
    )


def map_chart(points: dict[str, Any]) -> dict[str, Any]:
    """The patients (a sample of at most 5,000: assigned or not) and the physicians'
    sites, on a Mercator projection of their coordinates; no background tiles."""
    assigned, unassigned = _("Assigned"), _("Unassigned")
    patients = [
        {"latitude": lat, "longitude": lon, "status": assigned if placed else unassigned}
        for lat, lon, placed in points["patients"]
    ]
    sites = points["sites"]
    patient_layer = (
        alt.Chart(_named("patients"))
        .mark_circle(size=14, opacity=0.6)
        .encode(
            longitude="longitude:Q",
            latitude="latitude:Q",
            color=alt.Color(
                "status:N",
                title=_("Patients"),
                sort=[assigned, unassigned],
                scale=alt.Scale(range=[ASSIGNED_COLOUR, UNASSIGNED_COLOUR]),
            ),
        )
    )
    site_layer = (
        alt.Chart(_named("sites"))
        .mark_point(shape="square", size=160, filled=True, color=SITE_COLOUR, stroke="#fff")
        .encode(
            longitude="longitude:Q",
            latitude="latitude:Q",
            tooltip=[
                alt.Tooltip("site_id:N", title=_("Site")),
                alt.Tooltip("physicians:Q", title=_("Physicians")),
                alt.Tooltip("assigned:Q", title=_("Patients assigned")),
            ],
        )
    )
    chart = (
        alt.layer(patient_layer, site_layer)
        .project(type="mercator")
        .properties(width=640, height=440)
    )
    return _spec(chart, {"patients": patients, "sites": sites})


def followup_chart(report: FollowUp, pace: float, pace_text: str) -> dict[str, Any]:
    """Registrations per month against the territory's monthly ``pace`` (Vega-Lite): the
    figure the run's page and the general letter show
    (:func:`web.attribution.figures.territory_monthly_pace`), worded ``pace_text`` in its
    tooltip. Not the sum of the physicians' paces: each is rounded up, and the letters
    never show that sum."""
    values = [
        {
            "month": date_format(month, "YEAR_MONTH_FORMAT"),
            "order": index,
            "registrations": sum(row.by_month[index] for row in report.rls),
        }
        for index, month in enumerate(report.months)
    ]
    bars = (
        alt.Chart(alt.Data(values=values))
        .mark_bar(color="#0b5a8c")
        .encode(
            x=alt.X(
                "month:N",
                title=None,
                sort=alt.EncodingSortField("order"),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("registrations:Q", title=_("Registrations")),
            tooltip=[
                alt.Tooltip("month:N", title=_("Month")),
                alt.Tooltip("registrations:Q", title=_("Registrations")),
            ],
        )
    )
    rule = (
        alt.Chart(alt.Data(values=[{"pace": pace, "pace_text": pace_text}]))
        .mark_rule(color="#1d2733", strokeDash=[4, 3])
        .encode(
            y="pace:Q",
            tooltip=[alt.Tooltip("pace_text:N", title=_("Monthly pace of the territory"))],
        )
    )
    return localised(alt.layer(bars, rule).properties(width="container", height=220).to_dict())
