"""The LE 304 files the guichet's administrative agent prepares for RAMQ (issue 19; seed
002, sections 4 and 7): the approved runs' block transfers, the conditions of the letter of
agreement checked on each, a file per transfer with its status at RAMQ, its patients
(CSV, full health insurance numbers) and the physicians' agreement (PDF). The agent and
the DRMG of the region (``access.visible_le304_runs``); every download is recorded."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from web.accounts import access
from web.attribution import exports, le304_files
from web.attribution.letterpdf import pdf_of
from web.attribution.models import Le304File, Le304FileStatus, Run
from web.attribution.services_le304_files import (
    NEXT_STATUSES,
    Le304FileRefused,
    do_prepare_le304_file,
    do_record_le304_download,
    do_set_le304_file_status,
)
from web.regions.models import Physician


def _transfers(run: Run) -> tuple[list[le304_files.Transfer], str]:
    """The run's transfers, and why there are none to show when its plan is unreadable."""
    try:
        return le304_files.run_transfers(run), ""
    except le304_files.PlanUnreadable:
        return [], _("The run's plan cannot be read on the server.")


@login_required
def le304_list(request: HttpRequest) -> HttpResponse:
    """The approved runs in force with LE 304 transfers, and the region's files."""
    runs = access.visible_le304_runs(request.user)
    rows = []
    for run in runs.filter(superseded_at__isnull=True).select_related("region", "rls"):
        transfers, _error = _transfers(run)
        if transfers:
            rows.append(
                {
                    "run": run,
                    "transfers": len(transfers),
                    "patients": sum(transfer.patients for transfer in transfers),
                    "files": run.le304_files.count(),
                }
            )
    files = access.visible_le304_files(request.user).select_related("run", "run__rls")
    names = _physician_names(files)
    return render(
        request,
        "attribution/le304_files/list.html",
        {
            "rows": rows,
            "files": [_file_row(file, names) for file in files.order_by("-prepared_on", "-pk")],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def le304_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's transfers with their conditions; POST prepares one transfer's file."""
    run = access.access_le304_run(request.user, pk)
    if request.method == "POST":
        try:
            file = do_prepare_le304_file(
                run,
                request.POST.get("departing", ""),
                request.POST.get("receiving", ""),
                acting_user=request.user,
            )
        except Le304FileRefused as error:
            messages.error(request, str(error))
            return redirect("attribution:le304-run", pk=run.pk)
        messages.success(request, _("The file is prepared."))
        return redirect("attribution:le304-file", pk=file.pk)
    transfers, unreadable = _transfers(run)
    files = {(file.departing_code, file.receiving_code): file for file in run.le304_files.all()}
    rows = []
    for transfer in transfers:
        checks = le304_files.conditions(run, transfer)
        rows.append(
            {
                "transfer": transfer,
                "conditions": checks,
                "met": not le304_files.failed(checks),
                "file": files.get(transfer.key),
            }
        )
    return render(
        request,
        "attribution/le304_files/run.html",
        {"run": run, "rows": rows, "error": unreadable, "in_force": run.is_in_force},
    )


@login_required
@require_http_methods(["GET", "POST"])
def le304_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A file, its status at RAMQ and its downloads; POST moves it to its next status."""
    file = access.access_le304_file(request.user, pk)
    if request.method == "POST":
        try:
            on = datetime.date.fromisoformat(request.POST.get("on", ""))
        except ValueError:
            messages.error(request, _("Give the date as a date."))
            return redirect("attribution:le304-file", pk=file.pk)
        try:
            do_set_le304_file_status(
                file, request.POST.get("status", ""), on=on, acting_user=request.user
            )
        except Le304FileRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The file's status is recorded."))
        return redirect("attribution:le304-file", pk=file.pk)
    names = _physician_names([file])
    return render(
        request,
        "attribution/le304_files/file.html",
        {
            "file": file,
            "row": _file_row(file, names),
            "conditions": _recorded_conditions(file),
            "next_statuses": [
                (status, Le304FileStatus(status).label) for status in NEXT_STATUSES[file.status]
            ],
            "today": timezone.localdate().isoformat(),
        },
    )


@login_required
def le304_patients_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The file's patients as CSV for French Excel (semicolons, a byte order mark): only
    the transfer's patients, with their full health insurance numbers; recorded."""
    file = access.access_le304_file(request.user, pk)
    transfer = _transfer(file)
    headers, rows = le304_files.patients_table(transfer)
    # The file goes to RAMQ from the guichet's French Excel whatever the page's language.
    content = exports.table_file({_("Patients"): (headers, rows)}, "csv", french=True)
    do_record_le304_download(file, "patients", acting_user=request.user)
    return exports.download(content, "text/csv; charset=utf-8", f"le304-{file.pk}-patients.csv")


@login_required
def le304_agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The agreement between the departing and the receiving physician, as a PDF to sign;
    recorded."""
    file = access.access_le304_file(request.user, pk)
    transfer = _transfer(file)
    licences = le304_files.licence_numbers(file.departing_code, file.receiving_code)
    html = render_to_string(
        "attribution/le304_files/agreement_pdf.html",
        {
            "file": file,
            "run": file.run,
            "transfer": transfer,
            "departing_licence": licences.get(file.departing_code, ""),
            "receiving_licence": licences.get(file.receiving_code, ""),
            "conditions": _recorded_conditions(file),
            "today": timezone.localdate(),
        },
        request=request,
    )
    content = pdf_of(html)[0]
    do_record_le304_download(file, "agreement", acting_user=request.user)
    return exports.download(content, "application/pdf", f"le304-{file.pk}-entente.pdf")


def _transfer(file: Le304File) -> le304_files.Transfer:
    """The file's transfer read from its run's plan (frozen once approved); 404 when the
    plan cannot be read or no longer holds it."""
    try:
        transfer = le304_files.transfer_of(file.run, file.departing_code, file.receiving_code)
    except le304_files.PlanUnreadable:
        raise Http404 from None
    if transfer is None:
        raise Http404
    return transfer


def _recorded_conditions(file: Le304File) -> list[dict[str, Any]]:
    """The conditions as checked when the file was prepared, labelled."""
    checks = file.conditions.get("checks", []) if isinstance(file.conditions, dict) else []
    return [
        {
            "label": le304_files.condition_label(check.get("code", "")),
            "met": bool(check.get("met")),
            "detail": check.get("detail", ""),
        }
        for check in checks
    ]


def _physician_names(files: Any) -> dict[str, str]:
    """The names of the files' physicians as the region knows them (their codes else)."""
    codes = {code for file in files for code in (file.departing_code, file.receiving_code)}
    return dict(Physician.objects.filter(code__in=codes).values_list("code", "name"))


def _file_row(file: Le304File, names: dict[str, str]) -> dict[str, Any]:
    return {
        "file": file,
        "departing": names.get(file.departing_code, file.departing_code),
        "receiving": names.get(file.receiving_code, file.receiving_code),
        "status": Le304FileStatus(file.status).label,
    }
