"""Importing and exporting the region's tables.

Only the DRMG and the CMLs of an RLS (``access.scope_codes``: 403 for others); an import of
another region, or of an RLS outside a CML's, answers 404. Each view checks access once
and passes the checked objects to the services of :mod:`web.tables.services`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.errors import DiskFull
from web.tables import kinds, queries, services
from web.tables.errors import TablesError
from web.tables.forms import ApplyForm, ImportForm
from web.tables.models import ImportJob, ImportStatus


@login_required
def imports_page(request: HttpRequest) -> HttpResponse:
    """The tables in force, the upload form and the latest imports of the user's scope."""
    scope = access.scope_codes(request.user)  # 403 for a role (or a CML) without imports
    region = access.access_region(request.user, access.Purpose.ATTRIBUTION)
    table_kinds = access.importable_kinds(request.user)
    if request.method == "POST":
        form = ImportForm(table_kinds, request.POST, request.FILES)
        if form.is_valid():
            try:
                job = services.do_stage_upload(
                    form.cleaned_data["kind"],
                    form.cleaned_data["file"],
                    region=region,
                    scope=scope,
                    acting_user=request.user,
                    mode=form.cleaned_data["mode"],
                )
            except (TablesError, DiskFull) as error:
                form.add_error("file", str(error))
            else:
                return redirect("tables:import-detail", pk=job.pk)
    else:
        form = ImportForm(
            table_kinds, initial={"kind": request.GET.get("kind", kinds.WAITLIST.name)}
        )
    context = {
        "form": form,
        "tables": queries.tables_in_force(region, table_kinds),
        "jobs": access.visible_imports(request.user)[:20],
        "scope": scope,
        "export_formats": list(services.EXPORT_FORMATS),
    }
    return render(request, "tables/imports/imports.html", context)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its progress, its problems or its preview, Apply and Cancel."""
    job = access.access_import(request.user, pk)
    return render(request, "tables/imports/detail.html", _job_context(job))


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The import's status block, polled by htmx while it is checked or applied; an import
    whose worker was lost (no heartbeat within the lease) is failed first
    (:func:`web.tables.services.do_fail_stalled_imports`), which ends the polling."""
    job = access.access_import(request.user, pk)
    if job.status in services.RUNNING and services.do_fail_stalled_imports(
        ImportJob.objects.filter(pk=job.pk)
    ):
        job.refresh_from_db()
    return render(request, "tables/imports/_status.html", _job_context(job))


@login_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.access_import(request.user, pk)
    form = ApplyForm(request.POST)
    confirmed = form.is_valid() and form.cleaned_data["confirm_removal"]
    try:
        services.do_apply_import(job, acting_user=request.user, confirm_removal=confirmed)
    except TablesError as error:
        messages.error(request, str(error))
    return redirect("tables:import-detail", pk=job.pk)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.access_import(request.user, pk)
    try:
        services.do_cancel_import(job, acting_user=request.user)
    except TablesError as error:
        messages.error(request, str(error))
        return redirect("tables:import-detail", pk=job.pk)
    messages.success(request, _("The import was cancelled; nothing was written."))
    return redirect("tables:imports")


@login_required
def dataset_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A version of a table as CSV, XLSX or Parquet: only the rows of the user's scope."""
    dataset = access.access_dataset(request.user, pk)
    scope = access.scope_codes(request.user)
    if fmt not in services.EXPORT_FORMATS:
        raise Http404
    content, content_type, filename = services.do_export_dataset(
        dataset, fmt, scope, acting_user=request.user
    )
    response: HttpResponse | StreamingHttpResponse
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# What the progress bar says in each phase of a check or an application.
PHASES = {
    "queued": _("Waiting for a worker"),
    "reading": _("Reading the file"),
    "checking": _("Checking every cell"),
    "comparing": _("Comparing with the table in force"),
    "applying": _("Writing the new version"),
}


def _job_context(job: ImportJob) -> dict[str, Any]:
    preview = job.preview or {}
    changed_columns = sorted(
        (preview.get("changed_columns") or {}).items(), key=lambda item: -item[1]
    )
    can_apply = job.status == ImportStatus.READY
    return {
        "job": job,
        "running": job.status in services.RUNNING,
        "can_apply": can_apply,
        # The rows removed the importer must confirm before Apply (0: no confirmation).
        "removal_to_confirm": services.removal_to_confirm(
            preview.get("removed", 0), preview.get("scope_rows", 0)
        )
        if can_apply
        else 0,
        "can_cancel": job.status in (ImportStatus.CHECKING, ImportStatus.READY),
        "preview": preview,
        # The first and last day an added file covers (ISO in the preview), as dates the
        # page writes in the reader's language.
        "period": [datetime.date.fromisoformat(day) for day in preview["period"]]
        if preview.get("period")
        else None,
        "examples": preview.get("examples") or {},
        "changed_columns": changed_columns,
        "percent": round(100 * job.done / job.total) if job.total else None,
        "phase_label": PHASES.get(job.phase, job.phase),
        "problem_count": max(preview.get("problem_count") or 0, len(job.errors or [])),
    }
