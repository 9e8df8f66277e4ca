"""The background work of an import (``django_tasks``): checking an uploaded file and
applying it. Progress is written on the job (``phase``, ``done``, ``total``) at most every
:data:`PROGRESS_EVERY_SECONDS` within a phase, for the page's progress bar."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from panelcare.attribution.tables import Problem
from web.errors import DiskFull
from web.tables import services
from web.tables.checks import Checked, Progress, check_file
from web.tables.errors import ImportStopped, KeysTaken, StalePreview
from web.tables.models import Dataset, ImportJob, ImportMode, ImportStatus, TableAction

__all__ = ["apply_import_task", "check_import"]

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5


@task()
def check_import(job_id: int) -> str:
    """Check an uploaded file: REFUSED with its problems, UNCHANGED, or READY with the
    preview of what it changes."""
    job = ImportJob.objects.select_related("region", "created_by").get(pk=job_id)
    if job.status != ImportStatus.CHECKING:
        return job.status
    # Started: from now on a missing heartbeat means a lost worker (web.tasks_health).
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).update(
        heartbeat_at=timezone.now()
    )
    try:
        checked = check_file(
            job.region,
            job.kind,
            job.scope,
            Path(job.staged_file),
            source_name=job.source_name,
            progress=_progress_of(job),
            # The checked rows are written as they are checked, where Apply reads them.
            out=services.checked_path(job),
            mode=job.mode,
        )
        return _finish_check(job, checked)
    except ImportStopped:
        return _stopped(job)
    except DiskFull as full:
        # The partial checked rows are gone (check_file removed them); the upload goes
        # too, to give the disk back. Only a job still being checked: a cancellation
        # meanwhile wins.
        if ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).exists():
            _fail(job, str(full))
        services.discard_staged(job)
        return ImportStatus.FAILED
    except Exception:
        logger.exception("checking import %s failed", job.pk)
        _fail(job, _("The file could not be checked (an internal error); nothing was written."))
        raise


def _finish_check(job: ImportJob, checked: Checked) -> str:
    finished = {"finished_at": timezone.now(), "phase": "", "done": job.total}
    if checked.refused:
        status = ImportStatus.REFUSED
        fields = {
            "errors": [problem.as_dict() for problem in checked.problems],
            "preview": {
                "problem_count": checked.problem_count,
                "base": checked.base,
                "seconds": checked.seconds,
                "reading": checked.reading,
            },
        }
    else:
        assert checked.changes is not None
        status = ImportStatus.UNCHANGED if checked.unchanged else ImportStatus.READY
        if status == ImportStatus.READY:
            # The checked rows (written by check_file at services.checked_path) are what
            # Apply writes: the upload itself is no longer needed.
            Path(job.staged_file).unlink(missing_ok=True)
        fields = {
            "errors": [],
            "preview": {
                **checked.changes.as_dict(),
                "rows": checked.rows,
                "scope_rows": checked.scope_rows,
                "base": checked.base,
                "seconds": checked.seconds,
                "reading": checked.reading,
                "mode": checked.mode,
            },
        }
        if checked.mode == ImportMode.ADD:
            fields["preview"]["kept"] = checked.kept
            fields["preview"]["rows_after"] = checked.kept + checked.rows
            fields["preview"]["period"] = list(checked.period) if checked.period else None
    # Only a job still being checked: a cancellation meanwhile wins.
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).update(
        status=status, **fields, **finished
    )
    if status != ImportStatus.READY or not updated:
        services.discard_staged(job)
    if updated and status == ImportStatus.REFUSED:
        first = checked.problems[0]
        services.record_import(
            TableAction.IMPORT_REFUSED,
            job,
            acting_user=job.created_by,
            problems=checked.problem_count,
            first_problem={"row": first.row, "column": first.column},
        )
    return status


@task()
def apply_import_task(job_id: int, user_id: int) -> str:
    """Write a READY (now APPLYING) import as the next version: APPLIED, or FAILED when
    the table changed since the preview."""
    from django.contrib.auth import get_user_model

    job = ImportJob.objects.select_related("region").get(pk=job_id)
    if job.status != ImportStatus.APPLYING:
        return job.status
    user = get_user_model().objects.get(pk=user_id)
    report = _progress_of(job)
    try:
        started = time.perf_counter()
        report("applying", 0, job.total)
        try:
            dataset = _write(job, user)
        except StalePreview as stale:
            taken = isinstance(stale, KeysTaken)
            _fail(
                job, str(stale), problems=stale.problems if isinstance(stale, KeysTaken) else None
            )
            services.discard_staged(job)
            services.record_import(
                TableAction.IMPORT_REFUSED,
                job,
                acting_user=user,
                reason="keys_taken" if taken else "stale_preview",
            )
            return ImportStatus.FAILED
        except DiskFull as full:
            # Nothing was written (store_dataset removed its partial file); the checked
            # rows go too, to give the disk back.
            _fail(job, str(full))
            services.discard_staged(job)
            return ImportStatus.FAILED
        seconds = {**job.preview.get("seconds", {}), "applying": time.perf_counter() - started}
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.APPLIED,
            dataset=dataset,
            phase="",
            done=job.total,
            finished_at=timezone.now(),
            preview={**job.preview, "seconds": seconds, "version": dataset.version},
        )
        services.discard_staged(job)
        return ImportStatus.APPLIED
    except ImportStopped:
        # Only before the writing: do_write_version writes the version in one transaction
        # and reports no progress; an APPLYING import cannot be cancelled (only failed as
        # stalled by the lease, which the report at the start notices).
        return _stopped(job)
    except Exception:
        logger.exception("applying import %s failed", job.pk)
        _fail(job, _("The import could not be applied (an internal error); nothing was written."))
        raise


def _write(job: ImportJob, user: Any) -> Dataset:
    """Write the checked rows of ``job`` as the next version: replacing the rows of its
    scope, or added to the rows in force (:class:`~web.tables.models.ImportMode`)."""
    checked = services.checked_path(job)
    if job.mode == ImportMode.ADD:
        return services.do_add_rows(
            job.region,
            job.kind,
            checked,
            base=job.preview["base"],
            changes=job.preview,
            source_name=job.source_name,
            acting_user=user,
            period=job.preview.get("period"),
        )
    return services.do_write_version(
        job.region,
        job.kind,
        job.scope,
        pq.ParquetFile(checked).read(),
        base=job.preview["base"],
        changes=job.preview,
        source_name=job.source_name,
        acting_user=user,
        removal_confirmed=job.preview.get("removal_confirmed", 0),
    )


def _progress_of(job: ImportJob) -> Progress:
    """A progress callback writing the job's phase, done and total and its heartbeat
    (:mod:`web.tasks_health`), at most every PROGRESS_EVERY_SECONDS within a phase.

    The write is conditional on the job still being in the status it is worked in
    (``job.status`` now: CHECKING or APPLYING); when it no longer is (cancelled, failed
    as stalled), the report raises :class:`~web.tables.errors.ImportStopped`, which stops
    the worker at its next report."""
    last = {"phase": None, "at": 0.0}
    working = job.status

    def report(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == last["phase"] and now - float(last["at"]) < PROGRESS_EVERY_SECONDS:
            return
        last.update(phase=phase, at=now)
        if not ImportJob.objects.filter(pk=job.pk, status=working).update(
            phase=phase, done=done, total=total, heartbeat_at=timezone.now()
        ):
            raise ImportStopped(job.pk)
        job.phase, job.done, job.total = phase, done, total

    return report


def _stopped(job: ImportJob) -> str:
    """The end of a task whose import was cancelled or failed as stalled meanwhile:
    nothing written, its staged files removed, its status left as the canceller or the
    stall check wrote it (CANCELLED, FAILED) and returned as the task's result."""
    services.discard_staged(job)
    status = ImportJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    logger.info("import %s was stopped (%s): nothing written", job.pk, status)
    return str(status or ImportStatus.CANCELLED)


def _fail(job: ImportJob, message: str, problems: list[Problem] | None = None) -> None:
    errors = (
        [problem._asdict() for problem in problems]
        if problems
        else [
            {"file": job.source_name, "row": None, "column": None, "line": None, "message": message}
        ]
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, phase="", errors=errors, finished_at=timezone.now()
    )
