"""The table store: the region's imported tables as versioned Parquet files (see
:class:`~web.tables.models.Dataset`).

Every version is written in the canonical shape of its kind's contract
(:func:`panelcare.attribution.tables.canonical`: the contract's columns, in its order,
with Arrow types), so that the engine reads any version as it reads a data folder, and
two versions compare column by column. Only :func:`web.tables.services.do_write_version`
(an import's Apply, the command, the demo loader) calls :func:`store_dataset`, and only
:func:`web.tables.services.do_add_rows` (a month of visits added to the year)
:func:`store_dataset_batches`.

    dataset = store_dataset(region, "waitlist", table, source_name="gamf.csv", user=cml)
    table = read_dataset(dataset)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import transaction

from panelcare.attribution.tables import canonical
from web.errors import disk_full_guard
from web.regions.models import Region
from web.tables.kinds import get_kind
from web.tables.models import Dataset, data_dir

__all__ = ["read_dataset", "store_dataset", "store_dataset_batches"]


def read_dataset(dataset: Dataset, columns: list[str] | None = None) -> pa.Table:
    """The rows of one version (all columns unless ``columns``)."""
    return pq.read_table(dataset.path, columns=columns)


def store_dataset(
    region: Region,
    kind: str,
    table: pa.Table,
    *,
    source_name: str = "",
    scope: list[str] | None = None,
    changes: Mapping[str, Any] | None = None,
    user: Any = None,
) -> Dataset:
    """Write ``table`` as the next version of ``kind`` in ``region`` and return it.

    The file is written to a temporary name and moved into place before the row is
    created, in one transaction, so that a version row always has its file; a crash in
    between leaves at most an unreferenced file.

    Raises:
        DiskFull: the disk is full; the partial file was removed, no version written
            (the caller's transaction is rolled back by the error).
    """
    table = canonical(get_kind(kind).contract, table)

    def write(path: Path) -> int:
        pq.write_table(table, path, compression="zstd")
        return table.num_rows

    return _store(region, kind, write, source_name, scope, changes, user)


def store_dataset_batches(
    region: Region,
    kind: str,
    batches: Iterable[pa.RecordBatch],
    *,
    source_name: str = "",
    scope: list[str] | None = None,
    changes: Mapping[str, Any] | None = None,
    user: Any = None,
) -> Dataset:
    """Write the rows of ``batches`` (in the kind's canonical schema, each cast to it) as
    the next version of ``kind`` in ``region``, a batch at a time: a version of millions
    of rows made of another's (:func:`web.tables.services.do_add_rows`) is written
    without holding them all in memory. As :func:`store_dataset`, the version is written
    whole or not at all: an error raised while the batches are read or written (the
    disk, the source) removes the partial file and writes no version.

    Raises:
        DiskFull: the disk is full; the partial file was removed, no version written.
    """
    schema = get_kind(kind).schema

    def write(path: Path) -> int:
        rows = 0
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in batches:
                if batch.num_rows:
                    writer.write_batch(batch.select(schema.names).cast(schema))
                    rows += batch.num_rows
        return rows

    return _store(region, kind, write, source_name, scope, changes, user)


def _store(
    region: Region,
    kind: str,
    write: Callable[[Path], int],
    source_name: str,
    scope: list[str] | None,
    changes: Mapping[str, Any] | None,
    user: Any,
) -> Dataset:
    """Write the next version of ``kind``: ``write(path)`` writes its Parquet file and
    returns its rows; then the file is moved into place and its row created, in one
    transaction."""
    # Written beside the versions (patient data stays under the data folder, and the
    # rename below stays on one disk); a crash leaves a hidden ``.partial`` file there,
    # which ``manage.py clean_orphans`` removes.
    folder = data_dir() / region.code / "tables" / kind
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        prefix=".", suffix=".partial", dir=folder, delete=False
    ) as staging:
        staging_path = Path(staging.name)
    try:
        with disk_full_guard(staging_path):
            rows = write(staging_path)
        digest = _sha256(staging_path)
        with transaction.atomic():
            # Lock the region's row: two imports of the same table get distinct numbers.
            Region.objects.select_for_update().filter(pk=region.pk).exists()
            latest = Dataset.objects.filter(region=region, kind=kind).order_by("-version").first()
            dataset = Dataset(
                region=region,
                kind=kind,
                version=(latest.version + 1) if latest else 1,
                digest=digest,
                rows=rows,
                source_name=source_name[:255],
                scope=list(scope or []),
                changes=dict(changes or {}),
                imported_by=user if getattr(user, "is_authenticated", False) else None,
            )
            path = dataset.path
            path.parent.mkdir(parents=True, exist_ok=True)
            if _same_device(staging_path, path):
                os.replace(staging_path, path)
            else:
                with disk_full_guard(path.with_suffix(".partial")):
                    _copy(staging_path, path)
            dataset.save()
    finally:
        staging_path.unlink(missing_ok=True)
    return dataset


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _same_device(a: Path, b: Path) -> bool:
    return os.stat(a).st_dev == os.stat(b.parent).st_dev


def _copy(source: Path, target: Path) -> None:
    partial = target.with_suffix(".partial")
    partial.write_bytes(source.read_bytes())
    os.replace(partial, target)
