"""The table store: the region's imported tables as versioned Parquet files (see
:class:`~web.tables.models.Dataset`).

Every version is written in the canonical shape of its kind's contract
(:func:`panelcare.attribution.tables.canonical`: the contract's columns, in its order,
with Arrow types), so that the engine reads any version as it reads a data folder, and
two versions compare column by column. Only :func:`web.tables.services.do_write_version`
(an import's Apply, the command, the demo loader) calls :func:`store_dataset`.

    dataset = store_dataset(region, "waitlist", table, source_name="gamf.csv", user=cml)
    table = read_dataset(dataset)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
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

__all__ = ["read_dataset", "store_dataset"]


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
            pq.write_table(table, staging_path, compression="zstd")
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
                rows=table.num_rows,
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
