"""The writes on the region's tables: one ``do_*`` function each, taking ``acting_user=``
and writing the audit entry in the same transaction.

    job = do_stage_upload(kind, upload, region=region, scope=scope, acting_user=cml)
    job.refresh_from_db()   # REFUSED (job.errors), UNCHANGED, or READY (job.preview)
    do_apply_import(job, acting_user=cml)  # queues the apply task: the next version
    # (an import removing all or much of its scope needs confirm_removal=True; one staged
    # with mode=ImportMode.ADD, visits only, adds its rows to the version in force)

:func:`do_write_version` is the one path by which a version is written (an import's
Apply, the ``import_table`` command, the demo loader): it stores the new version and
rebuilds the kind's database projection (:mod:`web.tables.projections`) in one
transaction, so that the pages reading the projection and those reading the version
always agree. :func:`do_add_rows` is the one by which rows are added to the version in
force (a month of visits: a kind without projection). The callers (views, command) check who may do what with
:mod:`web.accounts.access` and pass the checked scope; these functions trust it.
See ``docs/tables.md``.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from panelcare.attribution.tables import FORMATS, Changes, canonical
from panelcare.exports import neutralise_table, xlsx_table
from web import tasks_health
from web.audit.services import record
from web.errors import disk_full_guard
from web.regions.models import Region
from web.tables import tasks
from web.tables.checks import (
    current_rows,
    in_scope,
    keys_taken,
    scope_changed_since,
    scope_values,
)
from web.tables.errors import (
    ImportNotReady,
    KeysTaken,
    RemovalNotConfirmed,
    StalePreview,
    UploadRefused,
)
from web.tables.kinds import get_kind
from web.tables.models import (
    Dataset,
    ImportJob,
    ImportMode,
    ImportStatus,
    TableAction,
    data_dir,
)
from web.tables.store import read_dataset, store_dataset, store_dataset_batches

__all__ = [
    "ADD_BATCH_ROWS",
    "EXPORT_FORMATS",
    "RUNNING",
    "check_removal_confirmed",
    "checked_path",
    "discard_staged",
    "do_add_rows",
    "do_apply_import",
    "do_cancel_import",
    "do_export_dataset",
    "do_fail_stalled_imports",
    "do_stage_upload",
    "do_write_version",
    "removal_to_confirm",
]

EXPORT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "parquet": ("application/vnd.apache.parquet", ".parquet"),
}

RUNNING = (ImportStatus.CHECKING, ImportStatus.APPLYING)


# --------------------------------------------------------------------------- writing


def do_write_version(
    region: Region,
    kind: str,
    scope: list[str],
    rows: pa.Table,
    *,
    base: dict[str, int],
    changes: Changes | dict[str, Any],
    source_name: str,
    acting_user: Any,
    removal_confirmed: int = 0,
) -> Dataset:
    """Write the next version of ``kind``: the current version's rows outside ``scope``
    plus ``rows`` (checked, canonical); rebuild the kind's database projection from it and
    record it in the audit trail, in one transaction. ``removal_confirmed``: the rows
    removed its importer confirmed (:func:`check_removal_confirmed`), for the audit entry.

    Raises:
        StalePreview: a version of the table (or of the kind its scope goes through:
            the roster, for registrations) written after the versions of ``base`` may
            have changed the rows of ``scope`` (it was written for the whole region or
            for one of its RLS; :func:`~web.tables.checks.scope_changed_since`); nothing
            was written. Versions of other RLS's rows are merged, not refused.
        KeysTaken: a row's key is a row's kept outside ``scope`` (another RLS's), checked
            again here because the rows may not have been checked against this version;
            nothing was written.
    """
    table_kind = get_kind(kind)
    counts = changes.as_dict() if isinstance(changes, Changes) else dict(changes)
    counts = {key: counts[key] for key in ("added", "removed", "changed", "unchanged")}
    with transaction.atomic():
        # One import of a table at a time: the check below and the write see the same
        # versions (on PostgreSQL; on SQLite, every transaction starts IMMEDIATE: see
        # DATABASES in the settings).
        Region.objects.select_for_update().filter(pk=region.pk).exists()
        _refuse_stale(region, kind, scope, base)
        merged = rows
        if scope:
            previous, inside = current_rows(region, kind, scope, scope_values(region, kind, scope))
            if previous is not None and inside is not None:
                outside = previous.filter(pc.invert(inside))
                taken, count = keys_taken(region, kind, rows, outside, source_name, False)
                if taken:
                    raise KeysTaken(taken, count)
                merged = pa.concat_tables([outside, canonical(table_kind.contract, rows)])
        dataset = store_dataset(
            region,
            kind,
            merged,
            source_name=source_name,
            scope=scope,
            changes=counts,
            user=acting_user,
        )
        projected = {}
        if table_kind.project is not None:
            projected = table_kind.project(region, read_dataset(dataset))
        record_version(
            TableAction.IMPORT_APPLIED,
            dataset,
            scope,
            acting_user=acting_user,
            source_name=source_name,
            rows=dataset.rows,
            projected=projected,
            **counts,
            **({"removal_confirmed": removal_confirmed} if removal_confirmed else {}),
        )
    return dataset


def do_add_rows(
    region: Region,
    kind: str,
    rows: pa.Table | Path,
    *,
    base: dict[str, int],
    changes: Mapping[str, Any],
    source_name: str,
    acting_user: Any,
    period: tuple[str, str] | list[str] | None = None,
) -> Dataset:
    """Write the next version of the ``appendable`` kind ``kind`` (the visits) as the
    current version's rows whose key is not one of ``rows``' plus ``rows`` (checked,
    canonical; a table or a Parquet file): a month of visits added to the year, a visit
    sent again replacing its row. ``changes``: what the check found (``added``,
    ``changed``: replacing a row in force, ``unchanged``, ``kept``: the rows in force the
    file does not name; an import's preview). Recorded, with the ``period`` the file
    covers, in the version's changes and the audit trail (mode ``add``), in one
    transaction.

    The version in force is read a batch at a time and only its key column is held
    whole (:func:`_added_rows`): adding a month to a year of millions of visits holds
    the month and the keys, not the year. The new version is written whole or not at
    all (:func:`~web.tables.store.store_dataset_batches`): an error while writing it
    leaves the version in force as it was.

    Raises:
        StalePreview: a version of ``kind`` was written after the version of ``base``
            (what the file was compared with); nothing was written.
        DiskFull: the disk is full; nothing was written.
    """
    table_kind = get_kind(kind)
    # A projection would have to be rebuilt from the new version: none is (docs/tables.md).
    if not table_kind.appendable or table_kind.project:
        raise ValueError(f"rows of {kind} cannot be added to its version in force")
    given = dict(changes)
    # What the check found against the version of ``base``, still the one in force (else
    # StalePreview): the rows kept are exactly those of the version the file does not name.
    counts = {key: int(given[key]) for key in ("added", "changed", "unchanged", "kept")}
    words = _period_words(period)
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=region.pk).exists()
        _refuse_stale(region, kind, [], base)
        current = Dataset.current(region, kind)
        if isinstance(rows, pa.Table):
            rows = canonical(table_kind.contract, rows)
        dataset = store_dataset_batches(
            region,
            kind,
            _added_rows(current, rows, table_kind.keys),
            source_name=source_name,
            scope=[],
            changes={**counts, "removed": 0, "mode": str(ImportMode.ADD), **words},
            user=acting_user,
        )
        record_version(
            TableAction.IMPORT_APPLIED,
            dataset,
            [],
            acting_user=acting_user,
            source_name=source_name,
            rows=dataset.rows,
            mode=str(ImportMode.ADD),
            **counts,
            **words,
        )
    return dataset


# Rows read from the version in force at a time when rows are added to it.
ADD_BATCH_ROWS = 256 * 1024


def _added_rows(
    current: Dataset | None, rows: pa.Table | Path, keys: tuple[str, ...]
) -> Iterator[pa.RecordBatch]:
    """The rows of the version that adds ``rows`` to ``current``: ``current``'s rows whose
    key (the ``keys`` columns: one for the visits, professional, GMF and month for the
    co-management's statistics) is not one of ``rows``', read a batch of
    :data:`ADD_BATCH_ROWS` at a time, then ``rows``.

    Only two key columns are held whole (the version's and the file's, as Arrow: some
    30 MB for 2 M visits; a key of several columns is joined into one text), to find the
    rows kept in one hash lookup; the rows themselves go through a batch at a time."""
    new = rows if isinstance(rows, pa.Table) else pq.ParquetFile(rows)
    if current is not None:
        given = new if isinstance(new, pa.Table) else new.read(columns=list(keys))
        version = pq.ParquetFile(current.path)
        named = pc.is_in(
            _key_column(version.read(columns=list(keys)), keys),
            value_set=_key_column(given, keys),
        )
        kept = pc.invert(pc.fill_null(named, False))
        del given, named
        offset = 0
        for batch in version.iter_batches(batch_size=ADD_BATCH_ROWS):
            yield batch.filter(kept.slice(offset, batch.num_rows))
            offset += batch.num_rows
    if isinstance(new, pa.Table):
        yield from new.to_batches(max_chunksize=ADD_BATCH_ROWS)
    else:
        yield from new.iter_batches(batch_size=ADD_BATCH_ROWS)


def _key_column(table: pa.Table, keys: tuple[str, ...]) -> pa.Array:
    """The key of each row of ``table``: its one key column, or its key columns as text
    joined by a unit separator: a text cell may hold one, but only in the first key column
    (the statistics' gmf_id is one of the importer's GMF codes, month a date), so the joined
    key is unambiguous."""
    if len(keys) == 1:
        column = table.column(keys[0])
    else:
        parts = [pc.cast(table.column(key), pa.string()) for key in keys]
        column = pc.binary_join_element_wise(*parts, "\x1f")
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _period_words(period: tuple[str, str] | list[str] | None) -> dict[str, str]:
    """The first and last day an added file covers, for the version's changes and the
    audit entry (nothing when unknown)."""
    if not period:
        return {}
    return {"first_date": str(period[0]), "last_date": str(period[1])}


def _refuse_stale(region: Region, kind: str, scope: list[str], base: dict[str, int]) -> None:
    """Refuse to write a file of ``kind`` for ``scope`` checked against the versions of
    ``base`` when a version written since may have changed the rows of the scope (it was
    written for the whole region or for one of its RLS); another RLS's import of the
    same table is merged by the write instead. Called under the region's lock.

    Raises:
        StalePreview: such a version was written; its number and date are said.
    """
    changed = scope_changed_since(region, kind, scope, base)
    if changed is None:
        return
    current = Dataset.current(region, kind)
    raise StalePreview(
        _(
            "The table changed after this file was checked (now version "
            "%(version)s, imported on %(when)s): check the file again to see what "
            "it would change now."
        )
        % {
            "version": current.version if current else 0,
            "when": timezone.localtime(current.imported_at).strftime("%Y-%m-%d %H:%M")
            if current
            else "-",
        }
    )


# --------------------------------------------------------------------------- the web flow


def do_stage_upload(
    kind: str,
    uploaded_file: Any,
    *,
    region: Region,
    scope: list[str],
    acting_user: Any,
    mode: str = "replace",
) -> ImportJob:
    """Save an uploaded file of table ``kind`` for ``scope`` (the importer's RLS, checked
    by the caller; empty: the whole region) and queue its check. ``mode``
    (:class:`~web.tables.models.ImportMode`): the file replaces the rows of the scope, or
    (a kind that is ``appendable``: the visits) is added to the rows in force.

    The file is streamed to ``<data>/<region>/staging/`` (never held in memory).

    Raises:
        UploadRefused: an unknown table, a table only the DRMG imports, a file that is
            not CSV, Parquet or XLSX, or rows added to a table that is only replaced.
        DiskFull: the disk is full; the partial file was removed, no job created.
    """
    try:
        table_kind = get_kind(kind)
    except KeyError:
        raise UploadRefused(_("Choose the table to import.")) from None
    if scope and table_kind.scope_column is None:
        raise UploadRefused(_("Only the DRMG imports this table."))
    if mode not in ImportMode.values:
        raise UploadRefused(_("Choose whether the file replaces or adds to the rows in force."))
    if mode == ImportMode.ADD and not table_kind.appendable:
        raise UploadRefused(
            _(
                "A file of %(table)s replaces the rows in force: only the visits can be added "
                "to them."
            )
            % {"table": table_kind.label}
        )
    source_name = Path(getattr(uploaded_file, "name", "") or "").name
    suffix = Path(source_name).suffix.lower()
    if suffix not in FORMATS:
        raise UploadRefused(
            _("%(name)s is not a CSV, Parquet or XLSX file.") % {"name": source_name or "?"}
        )
    folder = data_dir() / region.code / "staging"
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f"{uuid.uuid4().hex}{suffix}"
    with disk_full_guard(staged), staged.open("wb") as handle:
        for chunk in uploaded_file.chunks():
            handle.write(chunk)
    job = ImportJob.objects.create(
        region=region,
        kind=kind,
        scope=scope,
        mode=mode,
        source_name=source_name[:255],
        staged_file=str(staged),
        created_by=acting_user,
        phase="queued",
    )
    # The database backend queues the task in the same transaction as the job: a worker
    # never sees one without the other.
    tasks.check_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def do_apply_import(
    job: ImportJob, *, acting_user: Any, confirm_removal: bool = False
) -> ImportJob:
    """Queue the writing of a READY import as the table's next version.

    ``confirm_removal``: its importer confirmed the rows it removes, needed when it
    removes every row in force of its scope or more than the region's share
    (:func:`removal_to_confirm`); the confirmed count goes into the audit entry.

    Raises:
        ImportNotReady: the import is not ready (refused, unchanged, applied, cancelled,
            or being applied already).
        RemovalNotConfirmed: the removal needs a confirmation, not given; nothing changed.
    """
    preview = job.preview or {}
    if job.status != ImportStatus.READY:
        raise ImportNotReady(_("This import cannot be applied: it is not ready."))
    removed, in_force = preview.get("removed", 0), preview.get("scope_rows", 0)
    check_removal_confirmed(job.region, job.scope, removed, in_force, confirm_removal)
    confirmed = removal_to_confirm(removed, in_force)
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
        status=ImportStatus.APPLYING,
        phase="queued",
        done=0,
        total=preview.get("rows", 0),
        preview={**preview, "removal_confirmed": confirmed} if confirmed else preview,
    )
    if not updated:
        raise ImportNotReady(_("This import cannot be applied: it is not ready."))
    tasks.apply_import_task.enqueue(job.pk, acting_user.pk)
    job.refresh_from_db()
    return job


def removal_to_confirm(removed: int, in_force: int) -> int:
    """The rows removed that an import's importer must confirm before it is applied:
    ``removed`` when it is every one of the ``in_force`` rows of the import's scope, or
    more than the share ``settings.PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE`` of them (a
    headers-only file would empty an RLS); 0 when no confirmation is needed."""
    if removed <= 0 or in_force <= 0:
        return 0
    share = settings.PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE
    if removed >= in_force or removed / in_force > share:
        return removed
    return 0


def check_removal_confirmed(
    region: Region, scope: list[str], removed: int, in_force: int, confirmed: bool
) -> None:
    """Refuse an unconfirmed import of ``region`` for ``scope`` (RLS codes; empty: the
    whole region) that removes ``removed`` of its ``in_force`` rows when
    :func:`removal_to_confirm` asks for a confirmation (Apply, the ``import_table``
    command).

    Raises:
        RemovalNotConfirmed: a confirmation is needed and ``confirmed`` is false; its
            message names the rows removed and the scope.
    """
    count = removal_to_confirm(removed, in_force)
    if not count or confirmed:
        return
    words = {
        "removed": number_format(count, force_grouping=True),
        "in_force": number_format(in_force, force_grouping=True),
        "codes": ", ".join(scope),
        "region": region.code,
    }
    if scope:
        message = _(
            "This file removes %(removed)s of the %(in_force)s rows in force of RLS "
            "%(codes)s: confirm the removal of these rows to apply it."
        )
    else:
        message = _(
            "This file removes %(removed)s of the %(in_force)s rows in force of region "
            "%(region)s: confirm the removal of these rows to apply it."
        )
    raise RemovalNotConfirmed(message % words, removed=count, in_force=in_force)


def do_cancel_import(job: ImportJob, *, acting_user: Any) -> ImportJob:
    """Cancel an import being checked or ready to apply: CANCELLED at once, with the audit
    entry IMPORT_CANCELLED, its staged files deleted. A worker checking it stops at its
    next progress report (:class:`~web.tables.errors.ImportStopped`) and writes nothing.

    An import being applied cannot be cancelled: the version is written in one short
    transaction, which a cancellation could only race.

    Raises:
        ImportNotReady: the import is finished (applied, refused, ...) or being applied.
    """
    with transaction.atomic():
        updated = ImportJob.objects.filter(
            pk=job.pk, status__in=[ImportStatus.CHECKING, ImportStatus.READY]
        ).update(status=ImportStatus.CANCELLED, phase="", finished_at=timezone.now())
        if not updated:
            raise ImportNotReady(_("This import cannot be cancelled any more."))
        record_import(TableAction.IMPORT_CANCELLED, job, acting_user=acting_user)
    discard_staged(job)
    job.refresh_from_db()
    return job


def do_fail_stalled_imports(jobs: Any = None) -> list[int]:
    """Fail the imports being checked or applied (of ``jobs``, a queryset; all when None)
    whose heartbeat is older than the lease (:mod:`web.tasks_health`): their worker is
    gone. Each gets the error :data:`web.tasks_health.STOPPED_MESSAGE`, the audit entry
    IMPORT_REFUSED (reason ``stopped``), its staged files deleted and its task result
    marked failed; the file can be imported again. An import stopped while applying wrote
    nothing (the version and its projection are written in one transaction). Returns the
    ids failed."""
    queryset = ImportJob.objects.all() if jobs is None else jobs
    message = str(tasks_health.STOPPED_MESSAGE)
    failed = []
    for job in tasks_health.stalled(queryset, RUNNING).select_related("region", "created_by"):
        error = {"file": job.source_name, "row": None, "column": None, "line": None}
        with transaction.atomic():
            if not ImportJob.objects.filter(pk=job.pk, status=job.status).update(
                status=ImportStatus.FAILED,
                phase="",
                errors=[{**error, "message": message}],
                finished_at=timezone.now(),
            ):
                continue  # finished meanwhile
            record_import(
                TableAction.IMPORT_REFUSED,
                job,
                acting_user=job.created_by,
                reason="stopped",
                was=job.status,
            )
        discard_staged(job)
        task = (
            tasks.check_import if job.status == ImportStatus.CHECKING else tasks.apply_import_task
        )
        tasks_health.fail_task_results(task.module_path, job.pk, message)
        failed.append(job.pk)
    return failed


def record_import(action: str, job: ImportJob, *, acting_user: Any, **details: Any) -> None:
    """The audit entry of something done to the import ``job`` (its region, RLS, table
    and file)."""
    record(
        action,
        region=job.region,
        acting_user=acting_user,
        subject=job,
        scope=job.scope,
        kind=job.kind,
        source_name=job.source_name,
        import_id=job.pk,
        **details,
    )


def record_version(
    action: str, dataset: Dataset, scope: list[str], *, acting_user: Any, **details: Any
) -> None:
    """The audit entry of something done to the table version ``dataset`` for the RLS
    ``scope`` (empty: the whole region): its region, table and version."""
    record(
        action,
        region=dataset.region,
        acting_user=acting_user,
        subject=dataset,
        scope=scope,
        kind=dataset.kind,
        version=dataset.version,
        **details,
    )


# --------------------------------------------------------------------------- exports


def do_export_dataset(
    dataset: Dataset, fmt: str, scope: list[str], *, acting_user: Any
) -> tuple[bytes | Iterator[bytes], str, str]:
    """The rows of ``dataset`` in the RLS ``scope`` (empty: all) as a file, the export
    recorded in the audit trail (who, which version, format, rows: the waiting list holds
    patients' homes). In CSV and XLSX, a text cell a spreadsheet would run as a formula
    is written with ``'`` before it (:mod:`panelcare.exports`); Parquet keeps every value
    as stored.

    Returns:
        The content (bytes, or an iterator of bytes for CSV, streamed), its content type
        and a file name (``01-waitlist-v0003.csv``).

    Raises:
        ValueError: ``fmt`` is not csv, xlsx or parquet.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    contract = get_kind(dataset.kind).contract
    table = canonical(contract, read_dataset(dataset))
    if scope:
        values = scope_values(dataset.region, dataset.kind, scope)
        table = table.filter(in_scope(dataset.kind, table, scope, values))
    record_version(
        TableAction.TABLE_EXPORTED,
        dataset,
        scope,
        acting_user=acting_user,
        format=fmt,
        rows=table.num_rows,
    )
    content_type, suffix = EXPORT_FORMATS[fmt]
    scope_part = f"-{'-'.join(scope)}" if scope else ""
    filename = f"{dataset.region.code}-{dataset.kind}-v{dataset.version:04d}{scope_part}{suffix}"
    if fmt == "csv":
        return _csv_chunks(neutralise_table(table)), content_type, filename
    if fmt == "xlsx":
        return _xlsx_bytes(xlsx_table(table), dataset.kind), content_type, filename
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
    dates as dates, numbers as numbers, booleans as TRUE/FALSE, nulls as empty cells.
    ``table`` comes through :func:`~panelcare.exports.xlsx_table`: no text begins with
    ``=``, so openpyxl writes every text cell as a string, never a formula, and no text
    holds a control character openpyxl refuses (each became U+FFFD)."""
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


# --------------------------------------------------------------------------- staging


def checked_path(job: ImportJob) -> Path:
    """Where a READY import keeps its checked rows, beside the staged upload."""
    staged = Path(job.staged_file)
    return staged.with_name(f"{staged.stem}.checked.parquet")


def discard_staged(job: ImportJob) -> None:
    """Delete the import's upload and checked rows (after Apply, Cancel, a refusal)."""
    Path(job.staged_file).unlink(missing_ok=True)
    checked_path(job).unlink(missing_ok=True)
