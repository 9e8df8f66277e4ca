"""Vega-Lite specifications for the dashboard, built with Altair on the server.

The page embeds each spec as JSON and draws it with the vendored vega-embed: no CDN, so the
app works offline. Labels are translated here, before the spec leaves the server.
"""

from __future__ import annotations

from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from web.dashboard.figures import PRIORITIES, RlsRegistration, WaitlistRow


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    # to_dict validates against the Vega-Lite schema, so a wrong encoding fails in tests.
    return chart.to_dict()


def registration_rate_chart(rows: list[RlsRegistration]) -> dict[str, Any]:
    goal = rows[0].goal if rows else 0.85
    return rate_against_goal_chart([(row.name, row.rate) for row in rows], goal)


def rate_against_goal_chart(rates: list[tuple[str, float | None]], goal: float) -> dict[str, Any]:
    """Registration rate per territory ``(name, rate)``, green above ``goal`` (the region's
    goal is "over 85 %", strictly), with the goal drawn as a rule; shared with the
    attribution's quarterly tables."""
    data = [{"rls": name, "rate": round(rate or 0.0, 4)} for name, rate in rates]
    bars = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            x=alt.X(
                "rate:Q",
                title=_("Registration rate"),
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            y=alt.Y("rls:N", title=None, sort="-x"),
            color=alt.condition(alt.datum.rate > goal, alt.value("#1b7a3a"), alt.value("#a14a00")),
            tooltip=[
                alt.Tooltip("rls:N", title=_("RLS")),
                alt.Tooltip("rate:Q", title=_("Registration rate"), format=".1%"),
            ],
        )
    )
    rule = (
        alt.Chart(alt.Data(values=[{"goal": goal}]))
        .mark_rule(color="#1d2733", strokeDash=[4, 3])
        .encode(x="goal:Q")
    )
    return _spec((bars + rule).properties(width="container", height=alt.Step(28)))


def waitlist_chart(rows: list[WaitlistRow]) -> dict[str, Any]:
    data = [
        {"rls": row.rls_name, "priority": priority, "patients": n}
        for row in rows
        for priority, n in row.by_priority.items()
    ]
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            x=alt.X("sum(patients):Q", title=_("Waiting patients")),
            y=alt.Y("rls:N", title=None),
            color=alt.Color(
                "priority:N",
                title=_("Priority"),
                sort=list(PRIORITIES),
                scale=alt.Scale(scheme="orangered", reverse=True),
            ),
            order=alt.Order("priority:N"),
            tooltip=[
                alt.Tooltip("rls:N", title=_("RLS")),
                alt.Tooltip("priority:N", title=_("Priority")),
                alt.Tooltip("patients:Q", title=_("Waiting patients")),
            ],
        )
        .properties(width="container", height=alt.Step(28))
    )
    return _spec(chart)


def strata_chart(counts: dict[str, int]) -> dict[str, Any]:
    data = [{"stratum": label, "physicians": n} for label, n in counts.items()]
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar(color="#0b5a8c")
        .encode(
            x=alt.X("stratum:N", title=_("Registered patients"), sort=list(counts)),
            y=alt.Y("physicians:Q", title=_("Physicians")),
            tooltip=[
                alt.Tooltip("stratum:N", title=_("Registered patients")),
                alt.Tooltip("physicians:Q", title=_("Physicians")),
            ],
        )
        .properties(width="container", height=220)
    )
    return _spec(chart)
