"""The first page after login: the user's territory at a glance."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from web.accounts import access
from web.attribution.views.problems import dashboard_panel
from web.dashboard import charts, figures
from web.regions.models import Physician, Rls


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    # The guichet's administrative agent sees no territory's figures: their work, the LE
    # 304 files, is their first page (login lands here).
    if not access.allows(user, access.Purpose.VIEW) and access.can_prepare_le304_files(user):
        return redirect("attribution:le304-list")
    today = timezone.localdate()
    rls_qs = access.visible_rls(user)
    physicians = access.visible_physicians(user)
    scope = access.scope_label(user)
    # Rendered once per data version: keyed by the queries access narrowed to the user's
    # territory, so only users who see the same territory share it.
    content = figures.cached(
        "home_html",
        [rls_qs, physicians, today, scope],
        lambda: render_to_string(
            "dashboard/home/_home.html", _context(rls_qs, physicians, today, scope)
        ),
    )
    # Not cached: a problem raised or answered changes no data version of the figures.
    problems = dashboard_panel(user)
    return render(request, "dashboard/home/home.html", {"content": content, "problems": problems})


def _context(
    rls_qs: QuerySet[Rls], physicians: QuerySet[Physician], today: datetime.date, scope: str
) -> dict[str, Any]:
    registration_rows = figures.registration_by_rls(rls_qs, today)
    waitlist_rows = figures.waitlist_by_rls_and_priority(rls_qs)
    strata = figures.physicians_by_stratum(physicians, today)
    residents = sum(row.residents for row in registration_rows)
    registered = sum(row.registered for row in registration_rows)
    return {
        "scope": scope,
        "today": today,
        "registration_rows": registration_rows,
        "residents": residents,
        "registered": registered,
        "overall_rate": registered / residents if residents else None,
        "goal": registration_rows[0].goal if registration_rows else None,
        "priorities": figures.PRIORITIES,
        "waitlist_rows": waitlist_rows,
        "waitlist_totals": {
            p: sum(row.by_priority[p] for row in waitlist_rows) for p in figures.PRIORITIES
        },
        "waitlist_total": sum(row.total for row in waitlist_rows),
        "strata": strata,
        "physicians_total": sum(strata.values()),
        # Built by Altair (most of the page's time).
        "charts": {
            "registration": charts.registration_rate_chart(registration_rows),
            "waitlist": charts.waitlist_chart(waitlist_rows),
            "strata": charts.strata_chart(strata),
        },
    }
