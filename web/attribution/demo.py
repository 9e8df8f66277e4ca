"""The demo region's first versions of the attribution tables, from the synthetic tables
that :func:`web.regions.demo.load_demo` loads."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from web.attribution.datasets import store_dataset
from web.attribution.models import DatasetKind
from web.regions.models import Region


def seed_datasets(region: Region, tables: Mapping[str, pa.Table]) -> dict[str, int]:
    """Store the physicians' roster, the waiting list and the registrations of the
    synthetic ``tables`` as version 1 of each (imported by nobody); rows per table."""
    counts = {}
    for kind in (DatasetKind.PHYSICIANS, DatasetKind.WAITLIST, DatasetKind.REGISTRATIONS):
        dataset = store_dataset(region, kind, tables[kind], source_name="demo")
        counts[f"Dataset {kind}"] = dataset.rows
    return counts
