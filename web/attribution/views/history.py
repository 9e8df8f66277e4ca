"""The attribution's history: every recorded action of the user's scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from web.accounts import access
from web.attribution.models import Run
from web.audit.models import subject_type_of
from web.audit.services import attach_subjects
from web.tables.models import Dataset

EVENTS_PER_PAGE = 50


@login_required
def history(request: HttpRequest) -> HttpResponse:
    """Every recorded action of the user's scope (the DRMG: the region; a CML: their RLS
    and its runs; :func:`access.visible_audit_events`), newest first."""
    entries = access.visible_audit_events(request.user).select_related("actor")
    page = Paginator(entries, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = attach_subjects(page.object_list, Dataset)  # an import's version
    return render(
        request,
        "attribution/runs/history.html",
        {"page": page, "run_type": subject_type_of(Run)},
    )
