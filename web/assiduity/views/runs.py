"""An assiduity computation: start, progress, cancel, its rates table and its export
(the physicians the user may read: ``access.assiduity_scope``). Thin views: access first,
once, then a form and one service call (:mod:`web.assiduity.services`) per write; what a
page shows is read by :mod:`web.assiduity.figures`.

A DONE computation's pages share a bar of links (:func:`run_tabs`, the template
``assiduity/runs/_tabs.html``): the rates, the paritary committee's list, the GMFs'
rates, the distribution per RLS and the DRMG notices, each shown to whom may open it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.accounts.access import User
from web.assiduity import figures, services
from web.assiduity.errors import AssiduityError
from web.assiduity.forms import StartRunForm
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.attribution import exports

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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
        context.update(
            table=figures.rates_table(
                run, scope, sort=request.GET.get("sort", ""), page=request.GET.get("page")
            ),
            tabs=run_tabs(request.user, run, "rates"),
            notice_changes=figures.notice_changes(run, scope),
            can_read_notices=access.can_read_drmg_notices(request.user),
            can_compute=access.can_compute_assiduity(request.user),
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


@login_required
def run_rates_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The rates table of a DONE computation as CSV or XLSX: every row the user may read,
    the page's columns, in the page's order (``?sort=``). A French interface gets the CSV
    French Excel opens (semicolons, decimal commas)."""
    run = access.access_assiduity_run(request.user, pk)
    scope = access.assiduity_scope(request.user)
    if fmt not in EXPORT_TYPES or run.status != AssiduityRunStatus.DONE:
        raise Http404
    rows = figures.physician_rows(run, scope, sort=request.GET.get("sort", ""))
    content = exports.table_file({_("Assiduity rates"): figures.rates_export(rows)}, fmt)
    services.do_record_assiduity_export(run, "rates", fmt, acting_user=request.user)
    return exports.download(content, EXPORT_TYPES[fmt], f"taux-assiduite-{run.year}-{run.pk}.{fmt}")


def _opens(scope: Callable[[User], Any], user: User) -> bool:
    """Whether ``user`` passes the access helper ``scope`` (a link's page would open)."""
    try:
        scope(user)
    except PermissionDenied:
        return False
    return True


def run_tabs(user: User, run: AssiduityRun, current: str) -> list[dict[str, Any]]:
    """The links of a DONE computation's pages (``name``, ``label``, ``url``, ``current``)
    that ``user`` may open: the rates (everyone who reads the computation), the paritary
    committee's list (DRMG, CML), the GMFs' rates (``access.assiduity_gmf_scope``), the
    distribution per RLS (``access.assiduity_rls_scope``) and the DRMG notices of the year
    (DRMG, CML). ``current`` names the page showing them."""
    links: list[tuple[str, str, str]] = [
        ("rates", _("Rates by physician"), reverse("assiduity:run-detail", args=[run.pk]))
    ]
    if access.can_read_committee_list(user):
        links.append(
            ("committee", _("Paritary committee"), reverse("assiduity:committee", args=[run.pk]))
        )
    if _opens(access.assiduity_gmf_scope, user):
        links.append(("gmfs", _("GMFs' rates"), reverse("assiduity:run-gmfs", args=[run.pk])))
    if _opens(access.assiduity_rls_scope, user):
        links.append(
            (
                "distribution",
                _("Distribution per RLS"),
                reverse("assiduity:run-distribution", args=[run.pk]),
            )
        )
    if access.can_read_drmg_notices(user):
        links.append(
            ("notices", _("DRMG notices"), f"{reverse('assiduity:notices')}?year={run.year}")
        )
    return [
        {"name": name, "label": label, "url": url, "current": name == current}
        for name, label, url in links
    ]
