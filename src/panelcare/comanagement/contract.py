"""The contract of the co-management's statistics table, ``gmf_statistics`` (issue 17,
``docs/comanagement-plan.md`` §4 "Statistics import"), declared once.

One row is one professional's figures in one GMF for one month: the indicators the
targets are agreed on (``panelcare.comanagement.obligations.Target``). A CISSS/CIUSSS
(or a GMF) imports a month's file, which is *added* to the year in force, keyed by
(professional_id, gmf_id, month), so one establishment never replaces another's rows.

Plain declarations, without Django: :data:`panelcare.contracts.CONTRACTS` builds the
import's :class:`~panelcare.attribution.tables.Contract` from them (the cells' types and
bounds, :func:`check_rows` for the rules within a row, and no two rows sharing the key),
as it does for the assiduity's tables.

What the contract cannot check, and the apply service does (it knows the user and the
day): ``gmf_id`` among the GMFs the importer may send statistics for, and ``month`` not
in the future (the core has no clock).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from panelcare.attribution.io import ContractColumn, ContractTable

__all__ = [
    "COLUMNS",
    "INDICATORS",
    "KEY",
    "TABLE",
    "check_rows",
]

TABLE = "gmf_statistics"

# The indicators a row may give, in the contract's order: the `Target.indicator` values.
INDICATORS = ("patients_seen", "interventions", "access_delay_days")

# Column order is the contract's. ``month`` is the month's first day.
COLUMNS: dict[str, ContractColumn] = {
    # The professional's employee number in their establishment (Professional).
    "professional_id": ContractColumn("text"),
    "gmf_id": ContractColumn("text"),
    "month": ContractColumn("date"),
    "patients_seen": ContractColumn("int", optional=True, low=0),
    "interventions": ContractColumn("int", optional=True, low=0),
    # The month's mean delay of access, in days.
    "access_delay_days": ContractColumn("float", optional=True, low=0),
}

# No two rows of a file share these: a month's file replaces, row by row, the rows of the
# same professional, GMF and month in force, and adds the others.
KEY = ("professional_id", "gmf_id", "month")


def check_rows(table: ContractTable, cells: dict[str, Any]) -> None:
    """The rules within a row, once its cells are checked (``cells`` as
    :meth:`ContractTable.cells` gives them), recorded in ``table`` with a code:

    * ``month_not_first_day`` (in ``month``): a month is given by its first day;
    * ``no_indicator`` (in ``patients_seen``, the first indicator): every indicator's
      cell is empty. A wrong indicator (a negative count) is its own cell's problem, not
      this one.
    """
    month = cells["month"]
    first = month.astype("datetime64[M]").astype("datetime64[D]")
    table.flag(
        "month",
        table.valid("month") & (month != first),
        lambda row: (
            f"expected the first day of a month (yyyy-mm-01), got {month[row]}: "
            f"the month of {month[row]} is {first[row]}"
        ),
        "month_not_first_day",
        lambda row: {"value": str(month[row]), "first": str(first[row])},
    )
    none = np.logical_and.reduce([_empty(table, column) for column in INDICATORS])
    names = ", ".join(INDICATORS)
    table.flag(
        INDICATORS[0],
        none,
        lambda _: f"no indicator: expected a value in at least one of {names}",
        "no_indicator",
        lambda _: {"columns": names},
    )


def _empty(table: ContractTable, column: str) -> Any:
    """The rows whose cell in ``column`` is empty (as the cells' checks read it: a null, an
    empty text or a float's NaN), so that a wrong cell is not also "no indicator"."""
    raw = table.table.column(column)
    kind = raw.type
    if pa.types.is_dictionary(kind):
        raw, kind = pc.cast(raw, kind.value_type), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        empty = pc.fill_null(pc.equal(raw, ""), True)
    elif pa.types.is_floating(kind):
        empty = pc.or_(pc.is_null(raw), pc.fill_null(pc.is_nan(raw), True))
    else:
        empty = pc.is_null(raw)
    if isinstance(empty, pa.ChunkedArray):
        empty = empty.combine_chunks()
    return np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
