"""Importing the attribution's tables: upload, check in the background, preview, apply.

    job = stage_upload(cml, "waitlist", request.FILES["file"])  # queues check_import
    job.refresh_from_db()   # REFUSED (job.errors), UNCHANGED, or READY (job.preview)
    apply_import(cml, job)  # queues apply_import_task: the next version, or FAILED

A file replaces the rows of the importer's scope (:func:`import_scope`: a CML's RLS, or
the whole region for the DRMG) and nothing else: the new version is the
previous version's rows outside the scope plus the file's rows. It is all or nothing: one
wrong cell, one row outside the scope, or one row whose key (:data:`KEYS`: physician_id,
patient_id, a registration's patient, physician and start date) is a row's kept outside
the scope (another RLS's), refuses the whole file and nothing is written. A
file that changes nothing (the same rows, in any order) is UNCHANGED and writes no
version. Large files are checked and applied by background tasks (``django_tasks``), with
their progress in the job's ``phase``, ``done`` and ``total``; every step is vectorised
(:mod:`panelcare.attribution.tables`), never row by row.

The management command ``import_attribution`` runs the same :func:`check_file` and
:func:`write_version` without an upload. See ``docs/attribution-web-imports.md``.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from panelcare.attribution.tables import (
    FORMATS,
    KEYS,
    Changes,
    Problem,
    Restriction,
    TableProblems,
    canonical,
    compare_tables,
    in_scope,
    read_contract_table,
)
from web.accounts.access import User, profile_for
from web.attribution import access, events
from web.attribution.datasets import read_dataset, store_dataset
from web.attribution.errors import AttributionError
from web.attribution.models import (
    Dataset,
    DatasetKind,
    EventAction,
    ImportJob,
    ImportStatus,
    data_dir,
)
from web.regions.models import Region, Rls

__all__ = [
    "EXPORT_FORMATS",
    "Checked",
    "ImportNotReady",
    "KeysTaken",
    "StalePreview",
    "UploadRefused",
    "apply_import",
    "apply_import_task",
    "cancel_import",
    "check_file",
    "check_import",
    "export_dataset",
    "stage_upload",
    "write_version",
]

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 50
EXAMPLES = 10
# Progress is written to the database at most this often (and at each new phase).
PROGRESS_EVERY_SECONDS = 0.5

EXPORT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "parquet": ("application/vnd.apache.parquet", ".parquet"),
}

RUNNING = (ImportStatus.CHECKING, ImportStatus.APPLYING)


class UploadRefused(AttributionError):
    """The upload is not a table this user may import (unknown table, not a CSV, Parquet
    or XLSX file); nothing was written."""


class ImportNotReady(AttributionError):
    """The import is not in a state where this can be done (apply a refused file, cancel
    an applied one); nothing was written."""


class StalePreview(AttributionError):
    """The table changed since the file was checked: applying it would undo that change
    without the preview having shown it. Nothing was written."""


class KeysTaken(StalePreview):
    """Rows to write have the key of a row kept outside the import's scope (another RLS's
    physician, patient or registration): the version would hold that key twice. Found
    under the lock by :func:`write_version`, when the rows were not checked against the
    version in force; ``problems`` names the first rows. A :class:`StalePreview`, so
    that whoever handles one (the apply task, the ``import_attribution`` command)
    refuses this the same way: check the file again. Nothing was written."""

    def __init__(self, problems: list[Problem], count: int) -> None:
        super().__init__(str(problems[0]))
        self.problems = problems
        self.count = count


# --------------------------------------------------------------------------- checking


@dataclass
class Checked:
    """What checking a file found: its rows (canonical) or its problems, and what it
    would change in the rows of the scope. ``base`` records the versions it was compared
    with (``version``, and ``physicians_version`` for registrations: it decides their
    scope), for :func:`write_version` to refuse a stale preview."""

    table: pa.Table | None = None
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    changes: Changes | None = None
    base: dict[str, int] = field(default_factory=dict)
    scope_rows: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    @property
    def unchanged(self) -> bool:
        return self.changes is not None and not self.changes.any


Progress = Callable[[str, int, int], None]


def check_file(
    region: Region,
    kind: str,
    scope: list[str],
    path: Path,
    *,
    source_name: str | None = None,
    progress: Progress | None = None,
) -> Checked:
    """Read and check the file ``path`` as the table ``kind`` of ``region`` imported for
    ``scope`` (RLS codes; empty: the whole region), and compare it with the rows of the
    scope in the current version. Writes nothing.

    Every row must belong to the scope: its ``rls_id`` one of the scope's RLS (of the
    region's, for the whole region) or, for registrations imported for some RLS, its
    ``physician_id`` one of their physicians in the current roster. And no row's key may
    be a row's outside the scope, which the next version keeps: a CML cannot take another
    RLS's physician or patient by importing a copy of their row under their own RLS.
    """
    report = progress or _ignore
    checked = Checked()
    started = time.perf_counter()
    base = _base_versions(region, kind)
    checked.base = base
    restrictions, physician_ids = _restrictions(region, kind, scope)
    try:
        table = read_contract_table(
            path,
            kind,
            name=source_name or path.name,
            max_problems=MAX_PROBLEMS,
            restrictions=restrictions,
            progress=report,
        )
    except TableProblems as problems:
        checked.problems = problems.problems
        checked.problem_count = problems.count
        checked.seconds["checking"] = time.perf_counter() - started
        return checked
    current, inside = _current_rows(region, kind, scope, physician_ids)
    if current is not None and inside is not None:
        is_csv = path.suffix.lower() == ".csv"
        taken, count = _keys_taken(
            region, kind, table, current.filter(pc.invert(inside)), source_name or path.name, is_csv
        )
        if taken:
            checked.problems, checked.problem_count = taken, count
            checked.seconds["checking"] = time.perf_counter() - started
            return checked
    checked.seconds["checking"] = time.perf_counter() - started
    started = time.perf_counter()
    report("comparing", 0, table.num_rows)
    scope_rows = None if current is None else current.filter(inside)
    checked.scope_rows = 0 if scope_rows is None else scope_rows.num_rows
    checked.changes = compare_tables(kind, scope_rows, table, examples=EXAMPLES)
    checked.table = table
    report("comparing", table.num_rows, table.num_rows)
    checked.seconds["comparing"] = time.perf_counter() - started
    return checked


def _base_versions(region: Region, kind: str) -> dict[str, int]:
    current = Dataset.current(region, kind)
    base = {"version": current.version if current else 0}
    if kind == DatasetKind.REGISTRATIONS:
        physicians = Dataset.current(region, DatasetKind.PHYSICIANS)
        base["physicians_version"] = physicians.version if physicians else 0
    return base


def _restrictions(
    region: Region, kind: str, scope: list[str]
) -> tuple[list[Restriction], frozenset[str]]:
    """What the rows of an import for ``scope`` may hold, and the physicians of the scope
    (for registrations)."""
    if kind != DatasetKind.REGISTRATIONS:
        if scope:
            where = f"the RLS of this import ({', '.join(scope)})"
            return [Restriction("rls_id", frozenset(scope), where)], frozenset()
        codes = frozenset(Rls.objects.filter(region=region).values_list("code", flat=True))
        return [Restriction("rls_id", codes, f"the RLS of region {region.code}")], frozenset()
    if not scope:
        return [], frozenset()
    physician_ids = _physicians_of(region, scope)
    where = f"the physicians of RLS {', '.join(scope)} in the current physicians' roster"
    return [Restriction("physician_id", physician_ids, where)], physician_ids


def _physicians_of(region: Region, scope: list[str]) -> frozenset[str]:
    """The physician_ids of the RLS ``scope`` in the current roster (none before one)."""
    roster = Dataset.current(region, DatasetKind.PHYSICIANS)
    if roster is None:
        return frozenset()
    table = read_dataset(roster, columns=["physician_id", "rls_id"])
    chosen = pc.is_in(table.column("rls_id"), value_set=pa.array(scope, pa.string()))
    return frozenset(table.column("physician_id").filter(chosen).to_pylist())


def _current_rows(
    region: Region, kind: str, scope: list[str], physician_ids: Collection[str]
) -> tuple[pa.Table | None, pa.Array | pa.ChunkedArray | None]:
    """The current version's rows (canonical) and which of them are the scope's (None,
    None before the first version)."""
    current = Dataset.current(region, kind)
    if current is None:
        return None, None
    table = canonical(kind, read_dataset(current))
    return table, in_scope(kind, table, scope, physician_ids)


# The column a problem points at when a row's key is another RLS's: what places the row
# there (a registration is its physician's).
_OWNER_COLUMN = {
    DatasetKind.PHYSICIANS: "physician_id",
    DatasetKind.WAITLIST: "patient_id",
    DatasetKind.REGISTRATIONS: "physician_id",
}


def _keys_taken(
    region: Region, kind: str, rows: pa.Table, outside: pa.Table, file: str, is_csv: bool
) -> tuple[list[Problem], int]:
    """The rows of ``rows`` (canonical) whose key (:data:`KEYS`) is the key of a row of
    ``outside`` (the rows outside the scope, which the next version keeps): up to
    MAX_PROBLEMS problems in file order, each naming the RLS the key belongs to, and how
    many rows in all. Merged, such a version would hold one physician or patient twice,
    under two RLS: the CML of one could then decide on, export and break the other's."""
    keys = list(KEYS[kind])
    if rows.num_rows == 0 or outside.num_rows == 0:
        return [], 0
    owners = outside.select(keys)
    if kind == DatasetKind.REGISTRATIONS:
        # A registration's RLS is its physician's, in the roster.
        roster = Dataset.current(region, DatasetKind.PHYSICIANS)
        rls_of = (
            read_dataset(roster, columns=["physician_id", "rls_id"])
            if roster is not None
            else pa.table(
                {"physician_id": pa.array([], pa.string()), "rls_id": pa.array([], pa.string())}
            )
        )
        owners = owners.join(rls_of, keys="physician_id", join_type="left outer")
    else:
        owners = owners.append_column("rls_id", outside.column("rls_id"))
    numbered = rows.select(keys).append_column(
        "_row", pa.array(np.arange(rows.num_rows, dtype=np.int64))
    )
    joined = numbered.join(owners.rename_columns([*keys, "_rls"]), keys=keys, join_type="inner")
    if joined.num_rows == 0:
        return [], 0
    # One problem per row of the file, even when the key is held twice outside already.
    first = joined.group_by("_row").aggregate([("_rls", "min")]).sort_by("_row")
    column = _OWNER_COLUMN[kind]
    problems = []
    for taken in first.slice(0, MAX_PROBLEMS).to_pylist():
        row = int(taken["_row"])
        value = " / ".join(str(rows.column(key)[row].as_py()) for key in keys)
        words = {"key": ", ".join(keys), "value": value, "rls": taken["_rls_min"]}
        message = (
            _("%(key)s %(value)s already belongs to RLS %(rls)s")
            if taken["_rls_min"]
            else _("%(key)s %(value)s already belongs to another RLS")
        ) % words
        # The line as ContractTable counts it: a CSV's header is line 1; a spreadsheet's
        # lines (blank rows skipped) are not kept once the file is read.
        line = row + 2 if is_csv else None
        problems.append(Problem(file, row + 1, column, line, message))
    return problems, first.num_rows


# --------------------------------------------------------------------------- writing


def write_version(
    region: Region,
    kind: str,
    scope: list[str],
    rows: pa.Table,
    *,
    base: dict[str, int],
    changes: Changes | dict[str, Any],
    source_name: str,
    user: Any,
) -> Dataset:
    """Write the next version of ``kind``: the current version's rows outside ``scope``
    plus ``rows`` (checked, canonical), and record it in the history.

    Raises:
        StalePreview: the table (or, for registrations, the roster that decides their
            scope) is no longer at the versions of ``base``; nothing was written.
        KeysTaken: a row's key is a row's kept outside ``scope`` (another RLS's), checked
            again here because the rows may not have been checked against this version;
            nothing was written.
    """
    counts = changes.as_dict() if isinstance(changes, Changes) else dict(changes)
    counts = {key: counts[key] for key in ("added", "removed", "changed", "unchanged")}
    with transaction.atomic():
        # One import of a table at a time: the check below and the write see the same
        # versions (on PostgreSQL; on SQLite, every transaction starts IMMEDIATE: see
        # DATABASES in the settings).
        Region.objects.select_for_update().filter(pk=region.pk).exists()
        now = _base_versions(region, kind)
        if now != base:
            current = Dataset.current(region, kind)
            raise StalePreview(
                _(
                    "The table changed after this file was checked (now version "
                    "%(version)s, imported on %(when)s): check the file again to see what "
                    "it would change now."
                )
                % {
                    "version": now["version"],
                    "when": timezone.localtime(current.imported_at).strftime("%Y-%m-%d %H:%M")
                    if current
                    else "-",
                }
            )
        merged = rows
        if scope:
            physician_ids = (
                _physicians_of(region, scope) if kind == DatasetKind.REGISTRATIONS else ()
            )
            previous, inside = _current_rows(region, kind, scope, physician_ids)
            if previous is not None:
                outside = previous.filter(pc.invert(inside))
                taken, count = _keys_taken(region, kind, rows, outside, source_name, False)
                if taken:
                    raise KeysTaken(taken, count)
                merged = pa.concat_tables([outside, rows])
        dataset = store_dataset(
            region, kind, merged, source_name=source_name, scope=scope, changes=counts, user=user
        )
        events.record(
            EventAction.IMPORT_APPLIED,
            region=region,
            actor=user,
            scope=scope,
            dataset=dataset,
            kind=kind,
            source_name=source_name,
            version=dataset.version,
            rows=dataset.rows,
            **counts,
        )
    return dataset


# --------------------------------------------------------------------------- the web flow


def stage_upload(user: User, kind: str, uploaded_file: Any) -> ImportJob:
    """Save an uploaded file of table ``kind`` for ``user``'s scope and queue its check.

    The file is streamed to ``<data>/<region>/staging/`` (never held in memory).

    Raises:
        PermissionDenied: ``user`` may not import.
        UploadRefused: an unknown table or a file that is not CSV, Parquet or XLSX.
    """
    scope = access.scope_codes(user)
    region = profile_for(user).region
    if kind not in DatasetKind.values:
        raise UploadRefused(_("Choose the table to import."))
    source_name = Path(getattr(uploaded_file, "name", "") or "").name
    suffix = Path(source_name).suffix.lower()
    if suffix not in FORMATS:
        raise UploadRefused(
            _("%(name)s is not a CSV, Parquet or XLSX file.") % {"name": source_name or "?"}
        )
    folder = data_dir() / region.code / "staging"
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f"{uuid.uuid4().hex}{suffix}"
    with staged.open("wb") as handle:
        for chunk in uploaded_file.chunks():
            handle.write(chunk)
    job = ImportJob.objects.create(
        region=region,
        kind=kind,
        scope=scope,
        source_name=source_name[:255],
        staged_file=str(staged),
        created_by=user,
        phase="queued",
    )
    # The database backend queues the task in the same transaction as the job: a worker
    # never sees one without the other.
    check_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


@task()
def check_import(job_id: int) -> str:
    """Check an uploaded file (a background task): REFUSED with its problems, UNCHANGED,
    or READY with the preview of what it changes."""
    job = ImportJob.objects.select_related("region", "created_by").get(pk=job_id)
    if job.status != ImportStatus.CHECKING:
        return job.status
    try:
        checked = check_file(
            job.region,
            job.kind,
            job.scope,
            Path(job.staged_file),
            source_name=job.source_name,
            progress=_progress_of(job),
        )
        return _finish_check(job, checked)
    except Exception:
        logger.exception("checking import %s failed", job.pk)
        _fail(job, _("The file could not be checked (an internal error); nothing was written."))
        raise


def _finish_check(job: ImportJob, checked: Checked) -> str:
    finished = {"finished_at": timezone.now(), "phase": "", "done": job.total}
    if checked.refused:
        status = ImportStatus.REFUSED
        fields = {
            "errors": [problem._asdict() for problem in checked.problems],
            "preview": {
                "problem_count": checked.problem_count,
                "base": checked.base,
                "seconds": checked.seconds,
            },
        }
    else:
        assert checked.table is not None and checked.changes is not None
        status = ImportStatus.UNCHANGED if checked.unchanged else ImportStatus.READY
        if status == ImportStatus.READY:
            started = time.perf_counter()
            # The checked rows are what Apply writes: the upload itself is no longer needed.
            pq.write_table(checked.table, _checked_path(job), compression="zstd")
            Path(job.staged_file).unlink(missing_ok=True)
            checked.seconds["saving"] = time.perf_counter() - started
        fields = {
            "errors": [],
            "preview": {
                **checked.changes.as_dict(),
                "rows": checked.table.num_rows,
                "scope_rows": checked.scope_rows,
                "base": checked.base,
                "seconds": checked.seconds,
            },
        }
    # Only a job still being checked: a cancellation meanwhile wins.
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).update(
        status=status, **fields, **finished
    )
    if status != ImportStatus.READY or not updated:
        _discard_staged(job)
    if updated and status == ImportStatus.REFUSED:
        first = checked.problems[0]
        events.record_import(
            EventAction.IMPORT_REFUSED,
            job,
            actor=job.created_by,
            problems=checked.problem_count,
            first_problem={"row": first.row, "column": first.column},
        )
    return status


def apply_import(user: User, job: ImportJob) -> ImportJob:
    """Queue the writing of a READY import as the table's next version.

    Raises:
        Http404, PermissionDenied: ``user`` may not open this import.
        ImportNotReady: the import is not ready (refused, unchanged, applied, cancelled,
            or being applied already).
    """
    job = access.access_import(user, job.pk)
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
        status=ImportStatus.APPLYING, phase="queued", done=0, total=job.preview.get("rows", 0)
    )
    if not updated:
        raise ImportNotReady(_("This import cannot be applied: it is not ready."))
    apply_import_task.enqueue(job.pk, user.pk)
    job.refresh_from_db()
    return job


@task()
def apply_import_task(job_id: int, user_id: int) -> str:
    """Write a READY (now APPLYING) import as the next version (a background task):
    APPLIED, or FAILED when the table changed since the preview."""
    from django.contrib.auth import get_user_model

    job = ImportJob.objects.select_related("region").get(pk=job_id)
    if job.status != ImportStatus.APPLYING:
        return job.status
    user = get_user_model().objects.get(pk=user_id)
    report = _progress_of(job)
    try:
        started = time.perf_counter()
        report("applying", 0, job.total)
        rows = pq.ParquetFile(_checked_path(job)).read()
        try:
            dataset = write_version(
                job.region,
                job.kind,
                job.scope,
                rows,
                base=job.preview["base"],
                changes=job.preview,
                source_name=job.source_name,
                user=user,
            )
        except StalePreview as stale:
            taken = isinstance(stale, KeysTaken)
            _fail(job, str(stale), problems=stale.problems if taken else None)
            _discard_staged(job)
            events.record_import(
                EventAction.IMPORT_REFUSED,
                job,
                actor=user,
                reason="keys_taken" if taken else "stale_preview",
            )
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
        _discard_staged(job)
        return ImportStatus.APPLIED
    except Exception:
        logger.exception("applying import %s failed", job.pk)
        _fail(job, _("The import could not be applied (an internal error); nothing was written."))
        raise


def cancel_import(user: User, job: ImportJob) -> ImportJob:
    """Cancel an import being checked or ready to apply; its staged file is deleted.

    Raises:
        Http404, PermissionDenied: ``user`` may not open this import.
        ImportNotReady: the import is finished (applied, refused, ...) or being applied.
    """
    job = access.access_import(user, job.pk)
    updated = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportStatus.CHECKING, ImportStatus.READY]
    ).update(status=ImportStatus.CANCELLED, phase="", finished_at=timezone.now())
    if not updated:
        raise ImportNotReady(_("This import cannot be cancelled any more."))
    _discard_staged(job)
    events.record_import(
        EventAction.IMPORT_CANCELLED,
        job,
        actor=user,
    )
    job.refresh_from_db()
    return job


# --------------------------------------------------------------------------- exports


def export_dataset(
    dataset: Dataset, fmt: str, scope_codes: list[str], *, user: User
) -> tuple[bytes | Iterator[bytes], str, str]:
    """The rows of ``dataset`` in the RLS ``scope_codes`` (empty: all) as a file, the
    export recorded in the history (who, which version, format, rows: the waiting list
    holds patients' homes).

    Returns:
        The content (bytes, or an iterator of bytes for CSV, streamed), its content type
        and a file name (``01-waitlist-v0003.csv``).

    Raises:
        ValueError: ``fmt`` is not csv, xlsx or parquet.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    table = canonical(dataset.kind, read_dataset(dataset))
    if scope_codes:
        physician_ids = (
            _physicians_of(dataset.region, scope_codes)
            if dataset.kind == DatasetKind.REGISTRATIONS
            else frozenset()
        )
        table = table.filter(in_scope(dataset.kind, table, scope_codes, physician_ids))
    events.record(
        EventAction.TABLE_EXPORTED,
        region=dataset.region,
        actor=user,
        scope=scope_codes,
        dataset=dataset,
        kind=dataset.kind,
        version=dataset.version,
        format=fmt,
        rows=table.num_rows,
    )
    content_type, suffix = EXPORT_FORMATS[fmt]
    scope_part = f"-{'-'.join(scope_codes)}" if scope_codes else ""
    filename = f"{dataset.region.code}-{dataset.kind}-v{dataset.version:04d}{scope_part}{suffix}"
    if fmt == "csv":
        return _csv_chunks(table), content_type, filename
    if fmt == "xlsx":
        return _xlsx_bytes(table, dataset.kind), content_type, filename
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue(), content_type, filename


def _csv_chunks(table: pa.Table, rows_per_chunk: int = 50_000) -> Iterator[bytes]:
    """``table`` as CSV (dates yyyy-mm-dd, booleans true/false, empty cells for nulls),
    a chunk of rows at a time."""
    batches = table.to_batches(max_chunksize=rows_per_chunk) or [None]
    for number, batch in enumerate(batches):
        part = table.schema.empty_table() if batch is None else pa.Table.from_batches([batch])
        sink = io.BytesIO()
        pacsv.write_csv(
            part,
            sink,
            pacsv.WriteOptions(include_header=number == 0, quoting_style="needed"),
        )
        yield sink.getvalue()


def _xlsx_bytes(table: pa.Table, kind: str) -> bytes:
    """``table`` as a one-sheet spreadsheet (openpyxl's write-only mode): ids as text,
    dates as dates, numbers as numbers, booleans as TRUE/FALSE, nulls as empty cells."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(kind)
    sheet.append(table.column_names)
    for batch in table.to_batches(max_chunksize=20_000):
        columns = [column.to_pylist() for column in batch.columns]
        for row in zip(*columns, strict=True):
            sheet.append(row)
    sink = io.BytesIO()
    workbook.save(sink)
    return sink.getvalue()


# --------------------------------------------------------------------------- helpers


def _progress_of(job: ImportJob) -> Progress:
    """A progress callback writing the job's phase, done and total, at most every
    PROGRESS_EVERY_SECONDS within a phase."""
    last = {"phase": None, "at": 0.0}

    def report(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == last["phase"] and now - float(last["at"]) < PROGRESS_EVERY_SECONDS:
            return
        last.update(phase=phase, at=now)
        ImportJob.objects.filter(pk=job.pk).update(phase=phase, done=done, total=total)
        job.phase, job.done, job.total = phase, done, total

    return report


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


def _checked_path(job: ImportJob) -> Path:
    """Where a READY import keeps its checked rows, beside the staged upload."""
    staged = Path(job.staged_file)
    return staged.with_name(f"{staged.stem}.checked.parquet")


def _discard_staged(job: ImportJob) -> None:
    Path(job.staged_file).unlink(missing_ok=True)
    _checked_path(job).unlink(missing_ok=True)


def _ignore(phase: str, done: int, total: int) -> None:
    pass
