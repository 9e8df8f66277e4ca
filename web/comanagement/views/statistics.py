"""Statistics pages of co-management: the versions of the monthly statistics in force, a
file's upload, its check and Apply (docs/comanagement-plan.md §4, "Statistics import").

The file goes through :mod:`web.tables` exactly as on ``/tables/`` (checked in the
background, all or nothing, the same problems by file, row and column; a month's file is
added to the rows in force); Apply first checks that every row is of a GMF the importer
may send statistics for (:func:`web.accounts.access.statistics_gmfs`). The DRMG reads
every statistics import of the region, and imports none (403)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.comanagement.errors import ComanagementError
from web.comanagement.forms.performance import StatisticsForm
from web.comanagement.services import performance as services
from web.errors import DiskFull
from web.tables import services as table_services
from web.tables.errors import TablesError
from web.tables.models import Dataset, ImportJob, ImportStatus
from web.tables.views.imports import _job_context


@login_required
def statistics_home(request: HttpRequest) -> HttpResponse:
    """The statistics versions of the region, the user's statistics imports (the DRMG:
    every one), and the link to import a file (not for the DRMG)."""
    side = access.comanagement_side(request.user)
    region = access.access_level_tables(request.user)  # the user's region
    jobs = ImportJob.objects.filter(region=region, kind=services.STATISTICS_KIND).select_related(
        "created_by", "dataset"
    )
    if side != "drmg":
        jobs = jobs.filter(created_by=request.user)
    context = {
        "side": side,
        "can_import": side != "drmg",
        "gmfs": access.visible_comanagement_gmfs(request.user).order_by("code"),
        "versions": Dataset.objects.filter(region=region, kind=services.STATISTICS_KIND)
        .select_related("imported_by")
        .order_by("-version")[:12],
        "jobs": jobs.order_by("-created_at")[:30],
    }
    return render(request, "comanagement/statistics/home.html", context)


@login_required
def statistics_import(request: HttpRequest) -> HttpResponse:
    """Upload a statistics file (CSV, XLSX or Parquet): its check starts at once."""
    gmfs = access.statistics_gmfs(request.user)  # 403 for the DRMG and other roles
    region = access.access_level_tables(request.user)
    form = StatisticsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.do_start_statistics_import(
                form.cleaned_data["file"], region=region, acting_user=request.user
            )
        except (TablesError, DiskFull) as error:
            form.add_error("file", str(error))
        else:
            return redirect("comanagement:statistics-job", pk=job.pk)
    return render(
        request, "comanagement/statistics/import.html", {"form": form, "gmfs": sorted(gmfs)}
    )


def _context(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    # The tables' status block, its polling and its buttons left out: they lead to
    # /tables/, which does not open the co-management's imports. This page polls itself
    # and posts Apply to its own route.
    context = _job_context(job)
    can_import = access.can_write_comanagement(request.user, "both")
    foreign: list[str] = []
    future = False
    if can_import and job.status == ImportStatus.READY:
        foreign, future = services.statistics_problems(job, access.statistics_gmfs(request.user))
    return {
        **context,
        "status_running": context["running"],
        "running": False,
        "can_cancel": False,
        "can_apply": False,
        "removal_to_confirm": 0,
        "may_apply": can_import and job.status == ImportStatus.READY and not foreign and not future,
        "foreign_gmfs": foreign,
        "future_month": future,
    }


@login_required
def statistics_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A statistics import: its progress, its problems or what it adds, and Apply."""
    job = access.access_statistics_import(request.user, pk)
    if job.status in table_services.RUNNING and table_services.do_fail_stalled_imports(
        ImportJob.objects.filter(pk=job.pk)
    ):
        job.refresh_from_db()
    context = _context(request, job)
    if request.headers.get("HX-Request"):
        return render(request, "comanagement/statistics/_job.html", context)
    return render(request, "comanagement/statistics/job.html", context)


@login_required
@require_POST
def statistics_apply(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.access_statistics_import(request.user, pk)
    gmfs = access.statistics_gmfs(request.user)  # 403 for the DRMG
    try:
        services.do_apply_statistics_import(job, gmfs, acting_user=request.user)
    except (ComanagementError, TablesError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The statistics are being added to those in force."))
    return redirect("comanagement:statistics-job", pk=job.pk)
