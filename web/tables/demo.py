"""The demo region's first version of every declared table, written through the import's
own path (:func:`web.tables.services.do_write_version`, which also projects them into the
database), from the synthetic tables that :func:`web.regions.demo.load_demo` generates."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from panelcare.attribution.tables import canonical, compare_tables
from web.regions.models import Region
from web.tables.checks import base_versions
from web.tables.kinds import all_kinds
from web.tables.services import do_write_version

__all__ = ["write_first_versions"]


def write_first_versions(region: Region, tables: Mapping[str, pa.Table]) -> dict[str, int]:
    """Write the synthetic ``tables`` as version 1 of each declared kind they hold
    (imported by nobody, for the whole region), in the kinds' order; rows per table."""
    counts = {}
    for kind in all_kinds():
        if kind.name not in tables:
            continue
        rows = canonical(kind.contract, tables[kind.name])
        dataset = do_write_version(
            region,
            kind.name,
            [],
            rows,
            base=base_versions(region, kind.name),
            changes=compare_tables(kind.contract, None, rows, examples=0),
            source_name="demo",
            acting_user=None,
        )
        counts[f"Dataset {kind.name}"] = dataset.rows
    return counts
