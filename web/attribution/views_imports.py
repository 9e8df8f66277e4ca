"""Views of the attribution workflow: importing and exporting the tables.

Only the DRMG and the CMLs of an RLS (``access.scope_codes``: 403 for others); an import of
another region, or of an RLS outside a CML's, answers 404. The work is done by the
services of :mod:`web.attribution.imports`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from panelcare.attribution.tables import FORMATS
from web.accounts.access import profile_for
from web.attribution import access, imports
from web.attribution.errors import AttributionError
from web.attribution.models import Dataset, DatasetKind, ImportJob, ImportStatus


class ImportForm(forms.Form):
    """The upload form: which table, and its file."""

    kind = forms.ChoiceField(label=_("Table"), choices=DatasetKind.choices)
    file = forms.FileField(
        label=_("File (CSV, Parquet or XLSX)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(FORMATS), "data-testid": "import-file"}
        ),
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in FORMATS:
            raise forms.ValidationError(_("Choose a CSV, Parquet or XLSX file."))
        return upload


@login_required
def imports_page(request: HttpRequest) -> HttpResponse:
    """The tables in force, the upload form and the latest imports of the user's scope."""
    access.scope_codes(request.user)  # 403 for a role (or a CML) without imports
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = imports.stage_upload(
                    request.user, form.cleaned_data["kind"], form.cleaned_data["file"]
                )
            except AttributionError as error:
                form.add_error("file", str(error))
            else:
                return redirect("attribution:import-detail", pk=job.pk)
    else:
        form = ImportForm(initial={"kind": request.GET.get("kind", DatasetKind.WAITLIST)})
    region = profile_for(request.user).region
    tables = []
    for kind, label in DatasetKind.choices:
        dataset = (
            Dataset.objects.filter(region=region, kind=kind)
            .select_related("imported_by")
            .order_by("-version")
            .first()
        )
        tables.append({"kind": kind, "label": label, "dataset": dataset})
    context = {
        "form": form,
        "tables": tables,
        "jobs": access.visible_imports(request.user)[:20],
        "scope": access.scope_codes(request.user),
        "export_formats": list(imports.EXPORT_FORMATS),
    }
    return render(request, "attribution/imports/imports.html", context)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its progress, its problems or its preview, Apply and Cancel."""
    job = access.access_import(request.user, pk)
    return render(request, "attribution/imports/detail.html", _job_context(job))


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The import's status block, polled by htmx while it is checked or applied."""
    job = access.access_import(request.user, pk)
    return render(request, "attribution/imports/_status.html", _job_context(job))


@login_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.access_import(request.user, pk)
    try:
        imports.apply_import(request.user, job)
    except AttributionError as error:
        messages.error(request, str(error))
    return redirect("attribution:import-detail", pk=job.pk)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = access.access_import(request.user, pk)
    try:
        imports.cancel_import(request.user, job)
    except AttributionError as error:
        messages.error(request, str(error))
        return redirect("attribution:import-detail", pk=job.pk)
    messages.success(request, _("The import was cancelled; nothing was written."))
    return redirect("attribution:imports")


@login_required
def dataset_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A version of a table as CSV, XLSX or Parquet: only the rows of the user's scope."""
    scope = access.scope_codes(request.user)
    if fmt not in imports.EXPORT_FORMATS:
        raise Http404
    dataset = get_object_or_404(
        Dataset.objects.select_related("region"), pk=pk, region=profile_for(request.user).region
    )
    content, content_type, filename = imports.export_dataset(dataset, fmt, scope, user=request.user)
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
    return {
        "job": job,
        "running": job.status in imports.RUNNING,
        "can_apply": job.status == ImportStatus.READY,
        "can_cancel": job.status in (ImportStatus.CHECKING, ImportStatus.READY),
        "preview": preview,
        "examples": preview.get("examples") or {},
        "changed_columns": changed_columns,
        "percent": round(100 * job.done / job.total) if job.total else None,
        "phase_label": PHASES.get(job.phase, job.phase),
        "problem_count": max(preview.get("problem_count") or 0, len(job.errors or [])),
    }


urlpatterns: list[URLPattern] = [
    path("imports/", imports_page, name="imports"),
    path("imports/<int:pk>/", import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", import_progress, name="import-progress"),
    path("imports/<int:pk>/apply/", import_apply, name="import-apply"),
    path("imports/<int:pk>/cancel/", import_cancel, name="import-cancel"),
    path("tables/<int:pk>/export/<str:fmt>/", dataset_export, name="dataset-export"),
]
