"""The attribution's tables one file at a time, as the web app imports them: read, check
every cell, compare with the version in force.

    table = read_contract_table(Path("gamf.csv"), "waitlist")  # TableProblems if wrong
    changes = compare_tables("waitlist", current, table)        # added, removed, changed

Three tables (``KINDS``), each in the contract of ``spec/attribution.md`` ("Data
contract") or, for the registrations, of ``spec/assiduity.md``:

* ``physicians``: the physicians' roster (one row per physician_id);
* ``waitlist``: the waiting list of the GAMF (one row per patient_id);
* ``registrations``: patient_id, physician_id, site_id, start_date, end_date (empty:
  ongoing; otherwise on or after start_date), one row per patient_id, physician_id and
  start_date.

A file is CSV, Parquet or XLSX (the first sheet, header in row 1). Its cells are checked
with the rules :func:`panelcare.attribution.io.read_inputs` applies, by the same code
(:class:`~panelcare.attribution.io.ContractTable`), but all of them: the first
``max_problems`` problems in file order are raised together as :class:`TableProblems`,
the first one exactly as ``read_inputs`` would raise it. A checked table comes back in
the canonical shape (:data:`SCHEMAS`: the contract's columns, in its order, with Arrow
types; an empty optional cell is null), so that two versions compare column by column.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from panelcare.attribution.io import (
    PHYSICIAN_COLUMNS,
    WAITLIST_COLUMNS,
    AttributionInputError,
    ContractColumn,
    ContractTable,
    Reading,
    XlsxLimits,
    check_physicians,
    check_waitlist,
)

__all__ = [
    "COLUMNS",
    "CONTRACTS",
    "FORMATS",
    "KEYS",
    "KINDS",
    "REGISTRATION_COLUMNS",
    "SCHEMAS",
    "Changes",
    "Contract",
    "Problem",
    "ReadFile",
    "Restriction",
    "TableProblems",
    "canonical",
    "compare_tables",
    "contract",
    "in_scope",
    "read_contract_file",
    "read_contract_table",
]

KINDS = ("physicians", "waitlist", "registrations")
FORMATS = (".csv", ".parquet", ".xlsx")

# The assiduity contract's registrations (spec/assiduity.md), which the follow-up reads.
REGISTRATION_COLUMNS: dict[str, ContractColumn] = {
    "patient_id": ContractColumn("text"),
    "physician_id": ContractColumn("text"),
    "site_id": ContractColumn("text"),
    "start_date": ContractColumn("date"),
    "end_date": ContractColumn("date", optional=True),
}

COLUMNS: dict[str, dict[str, ContractColumn]] = {
    "physicians": PHYSICIAN_COLUMNS,
    "waitlist": WAITLIST_COLUMNS,
    "registrations": REGISTRATION_COLUMNS,
}

_ARROW_TYPES = {
    "text": pa.string(),
    "choice": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "date": pa.date32(),
    "bool": pa.bool_(),
}

SCHEMAS: dict[str, pa.Schema] = {
    kind: pa.schema([pa.field(name, _ARROW_TYPES[column.kind]) for name, column in columns.items()])
    for kind, columns in COLUMNS.items()
}

# The columns that identify a row: no two rows of a file share them.
KEYS: dict[str, tuple[str, ...]] = {
    "physicians": ("physician_id",),
    "waitlist": ("patient_id",),
    "registrations": ("patient_id", "physician_id", "start_date"),
}


@dataclass(frozen=True)
class Contract:
    """One table's contract: its columns (in the contract's order), the columns that
    identify a row (``keys``: no two rows share them) and the check between cells
    (``check``: by default every cell, then the keys' uniqueness). The web app declares
    its table kinds with one of these (the three below, or a new one)."""

    name: str
    columns: dict[str, ContractColumn]
    keys: tuple[str, ...]
    check: Callable[[ContractTable], dict[str, Any]] | None = None

    @property
    def schema(self) -> pa.Schema:
        """The canonical Arrow schema: the contract's columns with their Arrow types."""
        return pa.schema(
            [pa.field(name, _ARROW_TYPES[column.kind]) for name, column in self.columns.items()]
        )

    def check_cells(self, table: ContractTable) -> dict[str, Any]:
        """Check every cell of ``table`` and the rules between them (problems recorded in
        ``table``); each column's cells as :meth:`ContractTable.cells` gives them."""
        if self.check is not None:
            return self.check(table)
        cells = {column: table.cells(column) for column in self.columns}
        if len(self.keys) == 1:
            table.unique(self.keys[0])
        else:
            table.unique_rows(
                list(self.keys),
                [table.codes(key) for key in self.keys],
                lambda row: f"duplicate row for {', '.join(self.keys)}",
            )
        return cells


def contract(kind: str | Contract) -> Contract:
    """The contract of ``kind``: one of :data:`KINDS` by name, or a :class:`Contract`.

    Raises:
        ValueError: an unknown name.
    """
    if isinstance(kind, Contract):
        return kind
    if kind not in CONTRACTS:
        raise ValueError(f"unknown table {kind!r}: expected one of {', '.join(KINDS)}")
    return CONTRACTS[kind]


class Problem(NamedTuple):
    """One wrong cell (or file): where, and what is wrong. ``row`` is the 1-based data
    row, ``line`` the CSV line or the spreadsheet's row number (None for Parquet);
    ``code`` and ``params`` name the problem for a translation (see
    :class:`~panelcare.errors.InputError`), ``message`` says it in English."""

    file: str | None
    row: int | None
    column: str | None
    line: int | None
    message: str
    code: str | None = None
    params: dict[str, str] | None = None

    @classmethod
    def of(cls, error: AttributionInputError) -> Problem:
        return cls(
            error.file,
            error.row,
            error.column,
            error.line,
            error.message,
            error.code,
            error.params or None,
        )

    def __str__(self) -> str:
        return str(AttributionInputError(self.message, **self._asdict_where()))

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON holds it (``params`` as a mapping, maybe empty)."""
        return {**self._asdict(), "params": dict(self.params or {})}

    def _asdict_where(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "column": self.column, "line": self.line}


class TableProblems(AttributionInputError):
    """A file refused: ``problems`` lists its first problems in file order (the first is
    also this error's ``file``, ``row``, ``column``, ``line`` and message); ``count`` is
    how many cells are wrong in all (more than listed when the list was cut); ``reading``
    how the file was read, when it could be opened."""

    def __init__(
        self, problems: list[Problem], count: int | None = None, reading: Reading | None = None
    ) -> None:
        first = problems[0]
        super().__init__(
            first.message, **first._asdict_where(), code=first.code, params=first.params
        )
        self.problems = problems
        self.count = max(count or 0, len(problems))
        self.reading = reading


class ReadFile(NamedTuple):
    """A file read and checked: its rows in the canonical shape, and how it was read."""

    table: pa.Table
    reading: Reading


@dataclass(frozen=True)
class Restriction:
    """Only ``values`` may appear in text ``column``: a row with another is refused,
    its message saying it is outside ``where`` ("your RLS: 0115")."""

    column: str
    values: frozenset[str]
    where: str


@dataclass(frozen=True)
class Changes:
    """What a new version changes against the current one, by key (:data:`KEYS`).

    ``examples`` holds up to a few keys of each (ids only, the key's cells joined by
    " / "), in file order; ``changed_columns`` how many changed rows differ in each
    column.
    """

    added: int
    removed: int
    changed: int
    unchanged: int
    examples: dict[str, list[str]]
    changed_columns: dict[str, int]

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "examples": self.examples,
            "changed_columns": self.changed_columns,
        }


Progress = Callable[[str, int, int], None]


def read_contract_table(
    path: Path,
    kind: str | Contract,
    *,
    name: str | None = None,
    max_problems: int = 50,
    restrictions: Iterable[Restriction] = (),
    progress: Progress | None = None,
    xlsx_limits: XlsxLimits | None = None,
) -> pa.Table:
    """Read and check one file of ``kind`` and return it in the canonical shape (as
    :func:`read_contract_file`, without how it was read)."""
    return read_contract_file(
        path,
        kind,
        name=name,
        max_problems=max_problems,
        restrictions=restrictions,
        progress=progress,
        xlsx_limits=xlsx_limits,
    ).table


def read_contract_file(
    path: Path,
    kind: str | Contract,
    *,
    name: str | None = None,
    max_problems: int = 50,
    restrictions: Iterable[Restriction] = (),
    progress: Progress | None = None,
    xlsx_limits: XlsxLimits | None = None,
) -> ReadFile:
    """Read and check one file of ``kind``: its rows in the canonical shape, and how it
    was read.

    A CSV file may be UTF-8 or Windows-1252, separated by commas, semicolons or tabs,
    with decimal commas when it is not separated by commas (as French Excel saves it);
    see :meth:`ContractTable.open <panelcare.attribution.io.ContractTable.open>`.

    Args:
        path: a ``.csv``, ``.parquet`` or ``.xlsx`` file (by its suffix; any other suffix
            is read as Parquet, as ``read_inputs`` does).
        kind: ``physicians``, ``waitlist`` or ``registrations``, or a :class:`Contract`.
        name: the file's name in the problems (default: ``path``'s).
        max_problems: how many problems to list at most.
        restrictions: values a column may hold (a CML imports the rows of their RLS).
        progress: called with (phase, done, total): ("reading", 0, 0), then
            ("checking", rows checked so far, rows) as the columns are checked.
        xlsx_limits: the size and rows a spreadsheet may have before it is parsed
            (default :class:`~panelcare.attribution.io.XlsxLimits`).

    Returns:
        The table (the contract's columns in its order with :data:`SCHEMAS`' types, rows
        in file order, other columns dropped) and its :class:`Reading`.

    Raises:
        TableProblems: the file cannot be read, is over the limits, a column is missing,
            or cells are wrong.
        ValueError: ``kind`` is not one of :data:`KINDS`.
    """
    table_contract = contract(kind)
    columns = table_contract.columns
    path = Path(path)
    report = progress or _ignore
    report("reading", 0, 0)
    table = None
    try:
        table = ContractTable.open(path, columns, name=name, xlsx_limits=xlsx_limits)
        rows, checked = table.n, []

        def column_checked(column: str) -> None:
            checked.append(column)
            report("checking", rows * len(checked) // len(columns), rows)

        table.on_checked = column_checked
        report("checking", 0, rows)
        cells = table_contract.check_cells(table)
        for restriction in restrictions:
            _restrict(table, cells, restriction)
    except TableProblems:
        raise
    except AttributionInputError as error:
        reading = table.reading if table is not None else None
        raise TableProblems([Problem.of(error)], reading=reading) from None
    found = table.problems(max_problems)
    if found:
        raise TableProblems(
            [Problem.of(error) for error in found], table.count_problems(), table.reading
        )
    report("checking", rows, rows)
    return ReadFile(_from_cells(table_contract, table, cells), table.reading)


def in_scope(
    kind: str,
    table: pa.Table,
    rls_codes: Collection[str],
    physician_ids: Collection[str] = (),
) -> pa.ChunkedArray | pa.Array:
    """Which rows of a canonical ``table`` belong to the RLS ``rls_codes`` (a boolean
    array): by ``rls_id`` for physicians and the waiting list, by ``physician_id`` among
    ``physician_ids`` (the physicians of those RLS) for registrations. An empty
    ``rls_codes`` is the whole region: every row."""
    if not rls_codes:
        return pa.array(np.ones(table.num_rows, dtype=bool))
    if kind == "registrations":
        column, values = "physician_id", physician_ids
    else:
        column, values = "rls_id", rls_codes
    return pc.fill_null(
        pc.is_in(table.column(column), value_set=pa.array(sorted(values), pa.string())), False
    )


def compare_tables(
    kind: str | Contract, old: pa.Table | None, new: pa.Table, *, examples: int = 10
) -> Changes:
    """What replacing the canonical table ``old`` (None: nothing yet) by ``new`` changes.

    Rows are matched by their key (:data:`KEYS`); a matched row is changed when any other
    cell differs (an empty cell and an empty text cell are the same). Row order does not
    matter: the same rows in another order change nothing.
    """
    table_contract = contract(kind)
    keys = list(table_contract.keys)
    new = canonical(table_contract, new)
    old = canonical(table_contract, old if old is not None else table_contract.schema.empty_table())
    old_keys = old.select(keys).append_column("_old_row", _positions(old.num_rows))
    new_keys = new.select(keys).append_column("_new_row", _positions(new.num_rows))
    joined = new_keys.join(old_keys, keys=keys, join_type="full outer", coalesce_keys=True)
    new_row = joined.column("_new_row")
    old_row = joined.column("_old_row")
    added = _sorted_rows(pc.filter(new_row, pc.is_null(old_row)))
    removed = _sorted_rows(pc.filter(old_row, pc.is_null(new_row)))
    matched = pc.and_(pc.is_valid(new_row), pc.is_valid(old_row))
    pairs = np.stack(
        [
            _numpy_rows(pc.filter(new_row, matched)),
            _numpy_rows(pc.filter(old_row, matched)),
        ]
    )
    pairs = pairs[:, np.argsort(pairs[0], kind="stable")]  # file order
    differs = np.zeros(pairs.shape[1], dtype=bool)
    changed_columns = {}
    for column in table_contract.schema.names:
        if column in keys:
            continue
        a = new.column(column).take(pairs[0])
        b = old.column(column).take(pairs[1])
        both_empty = pc.and_(pc.is_null(a), pc.is_null(b))
        different = pc.if_else(both_empty, False, pc.fill_null(pc.not_equal(a, b), True))
        column_differs = np.asarray(different.to_numpy(zero_copy_only=False), dtype=bool)
        if column_differs.any():
            changed_columns[column] = int(column_differs.sum())
            differs |= column_differs
    changed = pairs[0][differs]
    return Changes(
        added=len(added),
        removed=len(removed),
        changed=len(changed),
        unchanged=int((~differs).sum()),
        examples={
            "added": _key_texts(new, keys, added[:examples]),
            "removed": _key_texts(old, keys, removed[:examples]),
            "changed": _key_texts(new, keys, changed[:examples]),
        },
        changed_columns=changed_columns,
    )


def canonical(kind: str | Contract, table: pa.Table) -> pa.Table:
    """``table`` (a stored version, say) in the canonical shape: the contract's columns
    in its order and types, an empty optional text cell as null (a version written by
    other means may hold "" where an import holds null).

    Raises:
        KeyError: a contract column is missing.
        pyarrow.ArrowInvalid: a column does not cast to the contract's type.
    """
    table_contract = contract(kind)
    schema = table_contract.schema
    columns = []
    for field in schema:
        column = table.column(field.name).cast(field.type)
        if pa.types.is_string(field.type) and table_contract.columns[field.name].optional:
            column = pc.if_else(pc.equal(column, ""), None, column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


# --------------------------------------------------------------------------- checks


def check_registrations(table: ContractTable) -> dict[str, Any]:
    """Check every cell of a registrations table, that no end_date is before its
    start_date and that no registration (patient, physician, start_date) is there twice,
    recording the problems in ``table``."""
    cells = {column: table.cells(column) for column in REGISTRATION_COLUMNS}
    start, end = cells["start_date"], cells["end_date"]
    # end_date is the first day out of force (spec/assiduity.md): equal dates are allowed,
    # as the assiduity engine allows them.
    before = table.valid("start_date") & table.valid("end_date") & (end < start)
    table.flag(
        "end_date",
        before,
        lambda row: (
            f"end_date {end[row]} is before start_date {start[row]}: expected an end_date "
            "on or after the start_date or an empty cell"
        ),
    )
    patient, physician = cells["patient_id"], cells["physician_id"]
    table.unique_rows(
        ["patient_id", "physician_id", "start_date"],
        [table.codes("patient_id"), table.codes("physician_id"), start.astype(np.int64)],
        lambda row: (
            f"duplicate registration of patient_id {patient[row].as_py()} with physician_id "
            f"{physician[row].as_py()} from {start[row]}"
        ),
        lambda row: f"{patient[row].as_py()} / {physician[row].as_py()} / {start[row]}",
    )
    return cells


CONTRACTS: dict[str, Contract] = {
    "physicians": Contract("physicians", PHYSICIAN_COLUMNS, KEYS["physicians"], check_physicians),
    "waitlist": Contract("waitlist", WAITLIST_COLUMNS, KEYS["waitlist"], check_waitlist),
    "registrations": Contract(
        "registrations", REGISTRATION_COLUMNS, KEYS["registrations"], check_registrations
    ),
}


def _restrict(table: ContractTable, checked: dict[str, Any], restriction: Restriction) -> None:
    """Flag the rows whose cell of the restricted (text) column is not an allowed value."""
    column = restriction.column
    cells = checked[column]
    allowed = pc.is_in(cells, value_set=pa.array(sorted(restriction.values), pa.string()))
    outside = table.valid(column) & ~np.asarray(
        pc.fill_null(allowed, False).to_numpy(zero_copy_only=False), dtype=bool
    )
    table.flag(
        column,
        outside,
        lambda row: f"{column} {cells[row].as_py()} is outside {restriction.where}",
    )


# --------------------------------------------------------------------------- shapes


def _from_cells(table_contract: Contract, table: ContractTable, cells: dict[str, Any]) -> pa.Table:
    """The checked ``cells`` as the canonical table (every cell valid or empty)."""
    arrays = []
    for name, column in table_contract.columns.items():
        values = cells[name]
        empty = ~table.valid(name)
        mask = empty if empty.any() else None
        if column.kind == "text":
            array = values if mask is None else pc.if_else(pa.array(empty), None, values)
        elif column.kind == "choice":
            array = pa.array(column.choices, pa.string()).take(pa.array(np.where(empty, 0, values)))
            array = array if mask is None else pc.if_else(pa.array(empty), None, array)
        elif column.kind == "int":
            array = pa.array(np.where(empty, 0, values).astype(np.int64), mask=mask)
        elif column.kind == "date":
            array = pa.array(values.astype("datetime64[D]"), pa.date32(), mask=mask)
        else:  # float, bool
            array = pa.array(values, _ARROW_TYPES[column.kind], mask=mask)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=table_contract.schema)


def _positions(n: int) -> pa.Array:
    return pa.array(np.arange(n, dtype=np.int64))


def _numpy_rows(values: Any) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.int64)


def _sorted_rows(values: Any) -> np.ndarray:
    return np.sort(_numpy_rows(values))


def _key_texts(table: pa.Table, keys: list[str], rows: np.ndarray) -> list[str]:
    if len(rows) == 0:
        return []
    picked = table.select(keys).take(rows).to_pylist()
    return [" / ".join(str(row[key]) for key in keys) for row in picked]


def _ignore(phase: str, done: int, total: int) -> None:
    pass
