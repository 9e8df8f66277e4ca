"""The attribution's home page: the user's RLS, the current tables and the latest runs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from web.accounts import access
from web.accounts.access import Purpose
from web.tables import queries


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's RLS with the current tables, and the way to everything else. A
    physician goes to their own letters."""
    if access.own_physician(request.user) is not None:
        return redirect("attribution:my-letters")
    region = access.access_region(request.user, Purpose.ATTRIBUTION)
    context = {
        "region": region,
        "rls_list": access.visible_rls(request.user, Purpose.ATTRIBUTION),
        "tables": queries.tables_in_force(region, access.importable_kinds(request.user)),
        "recent_runs": access.visible_runs(request.user).select_related("rls", "created_by")[:5],
        "can_run_region": access.can_work_on_region(request.user),
    }
    return render(request, "attribution/home.html", context)
