"""The first page after login: the user's territory at a glance."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from web.accounts import access
from web.dashboard import charts, figures


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    rls_qs = access.visible_rls(user)
    registration_rows = figures.registration_by_rls(rls_qs, today)
    waitlist_rows = figures.waitlist_by_rls_and_priority(rls_qs)
    strata = figures.physicians_by_stratum(access.visible_physicians(user), today)
    residents = sum(row.residents for row in registration_rows)
    registered = sum(row.registered for row in registration_rows)
    context = {
        "scope": access.scope_label(user),
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
        # Built by Altair (most of the page's time): cached, keyed by what they draw.
        "charts": figures.cached(
            "home_charts",
            [registration_rows, waitlist_rows, strata],
            lambda: {
                "registration": charts.registration_rate_chart(registration_rows),
                "waitlist": charts.waitlist_chart(waitlist_rows),
                "strata": charts.strata_chart(strata),
            },
        ),
    }
    return render(request, "dashboard/home/home.html", context)
