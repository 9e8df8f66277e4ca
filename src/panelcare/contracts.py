"""The contract of every extract table a region imports, one file at a time.

    from panelcare.contracts import CONTRACTS
    table = read_contract_table(path, CONTRACTS["gmf_memberships"])  # TableProblems if wrong

The attribution's tables (``physicians``, ``waitlist``) are
:data:`panelcare.attribution.tables.CONTRACTS`'; the assiduity's input tables (``visits``,
``registrations``, ``gmf_sites``, ``gmf_memberships``, ``practice_groups``,
``ips_partnerships``, ``service_agreements``) are built here from the assiduity contract's
own declarations (:mod:`panelcare.assiduity.contract`: columns, the values that are
required, vocabularies, periods that must not overlap), checked cell by cell with
:class:`~panelcare.attribution.io.ContractTable` (all problems, not the first only), so a
table the web app imports passes the checks of ``panelcare assiduity compute`` with the
vocabularies of the contract. The messages of the rules between cells (periods, overlaps)
are the engine's; those of the cells are the import's, like every table's.

The co-management's statistics (``gmf_statistics``: a professional's monthly figures in a
GMF) are built the same way from :mod:`panelcare.comanagement.contract`'s declarations.

One check more than the engine's: no two rows share the table's **key** (:data:`KEYS`),
which an import compares versions by (the engine would count a duplicated visit twice and
merge a duplicated period).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from panelcare.assiduity.contract import (
    OVERLAP_RULES,
    REQUIRED_VALUES,
    SCHEMAS,
    VOCABULARIES,
    OverlapRule,
    period_text,
)
from panelcare.attribution.io import ContractColumn, ContractTable
from panelcare.attribution.tables import CONTRACTS as ATTRIBUTION_CONTRACTS
from panelcare.attribution.tables import Contract, Periods, check_registrations
from panelcare.comanagement import contract as comanagement_contract

__all__ = [
    "ASSIDUITY_TABLES",
    "COMANAGEMENT_TABLES",
    "CONTRACTS",
    "KEYS",
    "check_overlaps",
    "columns_of",
    "flag_overlaps",
    "periods_of",
]

# The assiduity input tables an import takes. The GMF-R coverage (a yearly figure the
# CISSS/CIUSSS gives per GMF-R) is imported like the extracts; the DRMG's notices are
# recorded in the web app one by one (EP 40, 15.01 B), not imported.
ASSIDUITY_TABLES = (
    "visits",
    "registrations",
    "gmf_sites",
    "gmf_memberships",
    "practice_groups",
    "ips_partnerships",
    "service_agreements",
    "gmf_r_coverage",
)

# The co-management's imported tables (docs/comanagement-plan.md, §4).
COMANAGEMENT_TABLES = (comanagement_contract.TABLE,)

# The columns identifying a row of each table: no two rows of a file share them.
KEYS: dict[str, tuple[str, ...]] = {
    "visits": ("visit_id",),
    "registrations": ("patient_id", "physician_id", "start_date"),
    "gmf_sites": ("site_id",),
    "gmf_memberships": ("physician_id", "gmf_id", "start_date"),
    "practice_groups": ("physician_id", "group_id", "start_date"),
    "ips_partnerships": ("ips_id", "physician_id", "start_date"),
    "service_agreements": ("gmf_id", "partner_gmf_id", "start_date"),
    # The engine takes the largest figure of a GMF-R and year given twice: one a file.
    "gmf_r_coverage": ("gmf_id", "year"),
    # A professional's figures in a GMF for a month: a month's file adds to the year.
    comanagement_contract.TABLE: comanagement_contract.KEY,
}

_KINDS = {"string": "text", "date": "date", "boolean": "bool", "int32": "int", "int64": "int"}


def columns_of(table: str) -> dict[str, ContractColumn]:
    """The assiduity contract's columns of ``table`` as an import checks them: its type,
    empty allowed unless the contract requires a value, a vocabulary as a choice."""
    columns = {}
    for column, dtype in SCHEMAS[table].items():
        optional = column not in REQUIRED_VALUES[table]
        words = VOCABULARIES.get((table, column))
        if words is not None:
            columns[column] = ContractColumn("choice", optional=optional, choices=words)
        else:
            columns[column] = ContractColumn(_KINDS[dtype], optional=optional)
    return columns


def _checker(table: str) -> Any:
    keys = KEYS[table]
    rule = OVERLAP_RULES.get(table)

    def check(contract_table: ContractTable) -> dict[str, Any]:
        cells = {column: contract_table.cells(column) for column in SCHEMAS[table]}
        if "end_date" in cells:
            start, end = cells["start_date"], cells["end_date"]
            before = contract_table.valid("start_date") & contract_table.valid("end_date")
            before &= end < start
            contract_table.flag(
                "end_date",
                before,
                lambda row: (
                    "expected an end_date on or after the start_date (end_date is the first "
                    f"day out of force), found start_date {start[row]} and end_date {end[row]}"
                ),
                "end_before_start",
                lambda row: {"start": str(start[row]), "end": str(end[row])},
            )
        _unique(contract_table, cells, keys)
        if rule is not None:
            check_overlaps(contract_table, cells, rule)
        return cells

    return check


def _unique(table: ContractTable, cells: dict[str, Any], keys: tuple[str, ...]) -> None:
    if len(keys) == 1:
        table.unique(keys[0])
        return
    codes = [_key_codes(table, cells, key) for key in keys]

    def describe(row: int) -> str:
        values = ", ".join(f"{key} {_show(cells[key][row])}" for key in keys)
        return f"duplicate row for {values}"

    def value(row: int) -> str:
        return " / ".join(_show(cells[key][row]) for key in keys)

    table.unique_rows(list(keys), codes, describe, value)


def _key_codes(table: ContractTable, cells: dict[str, Any], key: str) -> Any:
    """Whole numbers standing for the cells of the key column ``key``: a date's day, a
    whole number itself (a wrong or empty cell, NaN, as -1: such rows are set aside by
    ``unique_rows``), a text's code."""
    kind = table.columns[key].kind
    if kind == "date":
        return cells[key].astype("datetime64[D]").astype(np.int64)
    if kind == "int":
        return np.nan_to_num(cells[key], nan=-1).astype(np.int64)
    return table.codes(key)


def _show(cell: Any) -> str:
    value = cell.as_py() if hasattr(cell, "as_py") else cell
    if isinstance(value, float) and value.is_integer():  # a whole number's cell (a year)
        value = int(value)
    return str(value)


def check_overlaps(table: ContractTable, cells: dict[str, Any], rule: OverlapRule) -> None:
    """Flag, in ``start_date``, every row whose period overlaps an earlier row's of the
    same ``rule.key`` (with another ``rule.differing`` value, when set), with the
    engine's message naming the earliest such row (:func:`flag_overlaps`). Checked, as
    the engine does, only once every cell is right; not at all in a batch of a file
    checked in batches (``table.defer_keys``): the periods are then compared across the
    whole file (:func:`panelcare.attribution.tables.check_contract_file`).

    Sorted by key and start, a key's periods overlap somewhere only if one starts before
    the latest stop so far (a running maximum): only those keys' periods are compared
    pairwise.
    """
    if table.defer_keys or table.keys_only or table.n < 2 or table.count_problems():
        return
    key = table.codes(rule.key)
    start = cells["start_date"].astype("datetime64[D]").astype(np.int64)
    end = cells["end_date"]
    ongoing = np.isnat(end)
    stop = np.where(ongoing, np.iinfo(np.int32).max, end.astype("datetime64[D]").astype(np.int64))
    order = np.lexsort((start, key))
    sorted_key, sorted_start, sorted_stop = key[order], start[order], stop[order]
    lowest = int(min(sorted_start.min(), sorted_stop.min()))
    span = int(sorted_stop.max()) - lowest + 1
    running = np.maximum.accumulate(sorted_key * span + (sorted_stop - lowest))
    previous = running[:-1] - sorted_key[1:] * span + lowest  # the running stop before
    same = sorted_key[1:] == sorted_key[:-1]
    suspects = np.unique(sorted_key[1:][same & (previous > sorted_start[1:])])
    if len(suspects) == 0:
        return
    other = table.codes(rule.differing) if rule.differing else None
    earlier: dict[int, int] = {}
    rows_of = np.flatnonzero(np.isin(key, suspects))
    by_key: dict[int, list[int]] = {}
    for row in rows_of.tolist():
        by_key.setdefault(int(key[row]), []).append(row)
    for rows in by_key.values():
        for i, b in enumerate(rows):
            for a in rows[:i]:  # file order: a before b
                if other is not None and other[a] == other[b]:
                    continue
                if start[a] < stop[b] and start[b] < stop[a]:
                    earlier[b] = a
                    break
    flag_overlaps(table, cells, rule, earlier)


def flag_overlaps(
    table: ContractTable, cells: dict[str, Any], rule: OverlapRule, earlier: dict[int, int]
) -> None:
    """Flag, in ``start_date``, each row ``b`` of ``earlier`` (0-based, in ``table``) as
    overlapping the row ``earlier[b]`` of ``table``, in the engine's words
    (``rule.message``) and with the problem's code and parameters: the one wording of the
    rule, for a file checked whole (:func:`check_overlaps`) or in batches (the rows of
    the overlaps found across the file, numbered in it by ``table.row_numbers``)."""
    bad = np.zeros(table.n, dtype=bool)
    bad[list(earlier)] = True
    end = cells["end_date"]
    ongoing = np.isnat(end)
    keys_text = cells[rule.key]
    others_text = cells[rule.differing] if rule.differing else None

    def day(row: int) -> Any:
        return None if ongoing[row] else end[row]

    def message(row: int) -> str:
        a = earlier[row]
        return rule.message.format(
            key=keys_text[row].as_py(),
            other=others_text[row].as_py() if others_text is not None else "",
            period=period_text(cells["start_date"][row], day(row)),
            other_row=table.file_row(a + 1),
            other_other=others_text[a].as_py() if others_text is not None else "",
            other_period=period_text(cells["start_date"][a], day(a)),
        )

    def params(row: int) -> dict[str, str]:
        a = earlier[row]
        return {
            "key": str(keys_text[row].as_py()),
            "other": str(others_text[row].as_py()) if others_text is not None else "",
            "start": str(cells["start_date"][row]),
            "end": "" if ongoing[row] else str(end[row]),
            "other_row": str(table.file_row(a + 1)),
            "other_other": str(others_text[a].as_py()) if others_text is not None else "",
            "other_start": str(cells["start_date"][a]),
            "other_end": "" if ongoing[a] else str(end[a]),
        }

    table.flag("start_date", bad, message, rule.code, params)


def periods_of(rule: OverlapRule) -> Periods:
    """``rule`` as a contract's :class:`~panelcare.attribution.tables.Periods`: compared
    across a file checked in batches, worded by :func:`flag_overlaps`."""

    def flag(table: ContractTable, cells: dict[str, Any], earlier: dict[int, int]) -> None:
        flag_overlaps(table, cells, rule, earlier)

    return Periods(rule.key, rule.differing, flag)


def _with_overlaps(table: ContractTable) -> dict[str, Any]:
    """The registrations' checks (:func:`~panelcare.attribution.tables.
    check_registrations`) and the assiduity's: no two registrations of a patient overlap."""
    cells = check_registrations(table)
    check_overlaps(table, cells, OVERLAP_RULES["registrations"])
    return cells


def _check_statistics(table: ContractTable) -> dict[str, Any]:
    """The statistics' cells, the rules within a row
    (:func:`panelcare.comanagement.contract.check_rows`), then no two rows share the key."""
    cells = {column: table.cells(column) for column in comanagement_contract.COLUMNS}
    comanagement_contract.check_rows(table, cells)
    _unique(table, cells, KEYS[comanagement_contract.TABLE])
    return cells


CONTRACTS: dict[str, Contract] = {
    "physicians": ATTRIBUTION_CONTRACTS["physicians"],
    "waitlist": ATTRIBUTION_CONTRACTS["waitlist"],
    "registrations": Contract(
        "registrations",
        ATTRIBUTION_CONTRACTS["registrations"].columns,
        KEYS["registrations"],
        _with_overlaps,
        periods=periods_of(OVERLAP_RULES["registrations"]),
    ),
    **{
        table: Contract(
            table,
            columns_of(table),
            KEYS[table],
            _checker(table),
            periods=periods_of(OVERLAP_RULES[table]) if table in OVERLAP_RULES else None,
        )
        for table in ASSIDUITY_TABLES
        if table != "registrations"
    },
    comanagement_contract.TABLE: Contract(
        comanagement_contract.TABLE,
        comanagement_contract.COLUMNS,
        KEYS[comanagement_contract.TABLE],
        _check_statistics,
    ),
}
