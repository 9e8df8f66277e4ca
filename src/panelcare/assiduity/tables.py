"""The input tables of the assiduity engine, as Ibis tables on any backend.

The columns are those of the data contract (``spec/assiduity.md``); :data:`SCHEMAS` gives
their types. The engine only ever sees an :class:`AssiduityTables`; how the tables were read
(CSV, Parquet, in-memory Arrow, DuckDB or PySpark) is the business of ``io`` and the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from panelcare.assiduity.contract import REQUIRED, SCHEMAS


def schema(name: str) -> ibis.Schema:
    return ibis.schema(SCHEMAS[name])


def empty(name: str) -> ir.Table:
    """An empty table of the contract's schema, for an optional table that is absent."""
    return ibis.memtable(pa.Table.from_pylist([], schema=schema(name).to_pyarrow()))


@dataclass(frozen=True)
class AssiduityTables:
    """The contract's tables, each an Ibis table with (at least) the contract's columns.

    Periods are half-open: a row is in force on day ``d`` when ``start_date <= d`` and
    (``end_date`` is null or ``d < end_date``), the convention of the whole project
    (docs/decisions.md).
    """

    visits: ir.Table
    registrations: ir.Table
    gmf_sites: ir.Table
    gmf_memberships: ir.Table
    practice_groups: ir.Table
    ips_partnerships: ir.Table
    service_agreements: ir.Table
    drmg_notices: ir.Table
    gmf_r_coverage: ir.Table
    # The words each visit column was checked to hold, row by row ({"setting": (...)}),
    # when the tables come from a checked folder (io.open_tables): the rules may then test
    # the shorter of a list and its complement. Empty: nothing is known of the values.
    checked_vocabularies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, tables: dict[str, Any]) -> AssiduityTables:
        """Build from ``{name: ibis table | pyarrow table | dict of columns}``.

        Missing optional tables are empty; in-memory data becomes ``ibis.memtable`` with
        the contract's schema (columns reordered and cast).
        """
        unknown = set(tables) - set(SCHEMAS)
        if unknown:
            raise ValueError(f"unknown assiduity tables: {sorted(unknown)}")
        values: dict[str, ir.Table] = {}
        for name in SCHEMAS:
            if name not in tables:
                if name in REQUIRED:
                    raise ValueError(f"the {name} table is required")
                values[name] = empty(name)
                continue
            table = tables[name]
            if isinstance(table, dict):
                # Through Arrow, not pandas: empty lists stay nulls instead of floats.
                table = pa.table(table)
            if not isinstance(table, ir.Table):
                table = ibis.memtable(table)
            values[name] = conform(name, table)
        return cls(**values)

    def replace(self, **changes: ir.Table) -> AssiduityTables:
        return replace(self, **changes)

    def names(self) -> list[str]:
        """The tables' names (not the vocabularies)."""
        return [f.name for f in fields(self) if f.name in SCHEMAS]


def conform(name: str, table: ir.Table) -> ir.Table:
    """The contract's columns of ``table``, in order, cast to the contract's types."""
    wanted = SCHEMAS[name]
    return table.select(
        [table[column].cast(dtype).name(column) for column, dtype in wanted.items()]
    )
