"""An assiduity computation: start, progress, cancel, and its rates table (the
physicians the user may read: ``access.assiduity_scope``). Thin views: access first,
once, then a form and one service call (:mod:`web.assiduity.services`) per write; what a
page shows is read by :mod:`web.assiduity.figures`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.assiduity import figures, services
from web.assiduity.errors import AssiduityError
from web.assiduity.forms import StartRunForm
from web.assiduity.models import AssiduityRun, AssiduityRunStatus


@login_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    """Start a computation of the user's region for the year posted; its page follows it."""
    region = access.access_assiduity_region(request.user)  # 403 for a role that does not
    form = StartRunForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("year", []):
            messages.error(request, error)
        return redirect("assiduity:home")
    try:
        run = services.do_start_assiduity_run(
            region, form.cleaned_data["year"], acting_user=request.user
        )
    except AssiduityError as error:
        messages.error(request, str(error))
        return redirect("assiduity:home")
    return redirect("assiduity:run-detail", run.pk)


def _alive(run: AssiduityRun) -> AssiduityRun:
    """``run``, failed first if it is RUNNING under a lost worker (no heartbeat within the
    lease: :func:`web.assiduity.services.do_fail_stalled_assiduity_runs`), so that the page
    stops polling."""
    if run.status == AssiduityRunStatus.RUNNING and services.do_fail_stalled_assiduity_runs(
        AssiduityRun.objects.filter(pk=run.pk)
    ):
        run.refresh_from_db()
    return run


def _progress_context(request: HttpRequest, run: AssiduityRun) -> dict[str, Any]:
    return {
        "run": run,
        "percent": int(100 * run.done / run.total) if run.total else 0,
        "phase": figures.PHASES.get(run.phase, run.phase),
        "can_cancel": run.in_progress and access.can_compute_assiduity(request.user),
    }


@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status and progress bar (htmx polls it every second while the run works); once
    the run has ended, an htmx request reloads the whole page."""
    run = _alive(access.access_assiduity_run(request.user, pk))
    response = render(request, "assiduity/runs/_progress.html", _progress_context(request, run))
    if request.headers.get("HX-Request") and not run.in_progress:
        response["HX-Refresh"] = "true"
    return response


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A computation: its progress, what it read, and once done the rates of the
    physicians the user may read, sorted (``?sort=``) and paginated (``?page=``)."""
    run = _alive(access.access_assiduity_run(request.user, pk))
    scope = access.assiduity_scope(request.user)
    context: dict[str, Any] = {
        **_progress_context(request, run),
        "versions": figures.versions_read(run, {d.pk: d for d in run.datasets().values()}),
        "table": None,
    }
    if run.status == AssiduityRunStatus.DONE:
        context["table"] = figures.rates_table(
            run, scope, sort=request.GET.get("sort", ""), page=request.GET.get("page")
        )
    return render(request, "assiduity/runs/detail.html", context)


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.access_assiduity_run(request.user, pk, compute=True)
    try:
        services.do_cancel_assiduity_run(run, acting_user=request.user)
    except AssiduityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Computation cancelled: no result was kept."))
    return redirect("assiduity:run-detail", run.pk)


def run_rates_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    return HttpResponse(status=501)  # being written: issue 16
