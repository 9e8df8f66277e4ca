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

import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from panelcare.attribution.io import (
    PHYSICIAN_COLUMNS,
    WAITLIST_COLUMNS,
    AttributionInputError,
    ContractColumn,
    ContractFile,
    ContractTable,
    EncodingChanged,
    Reading,
    XlsxLimits,
    check_physicians,
    check_waitlist,
    reading_of,
)

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "BATCH_ROWS",
    "COLUMNS",
    "CONTRACTS",
    "FORMATS",
    "KEYS",
    "KINDS",
    "REGISTRATION_COLUMNS",
    "SCHEMAS",
    "Changes",
    "CheckedFile",
    "Contract",
    "Periods",
    "Problem",
    "ReadFile",
    "Restriction",
    "Rows",
    "TableProblems",
    "Taken",
    "canonical",
    "check_contract_file",
    "compare_tables",
    "contract",
    "in_scope",
    "keys_taken",
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
class Periods:
    """Rows sharing a ``key`` whose periods must not overlap (only rows with different
    values of ``differing``, when set): a period runs from its ``start_date`` to its
    ``end_date``, the first day out of force (empty: ongoing). A file checked in batches
    compares them across the whole file (:func:`check_contract_file`);
    ``flag_overlaps`` words the problems: called with a table of the rows concerned, its
    cells (:meth:`~panelcare.attribution.io.ContractTable.cells` of ``key``,
    ``differing``, ``start_date`` and ``end_date``) and, for each overlapping row, the
    earliest row in file order it overlaps (both indices in the table), it flags them in
    ``start_date`` as the contract's own check does
    (:func:`panelcare.contracts.flag_overlaps`)."""

    key: str
    differing: str | None
    flag_overlaps: Callable[[ContractTable, dict[str, Any], dict[int, int]], None]

    @property
    def columns(self) -> list[str]:
        """The columns the periods are compared by."""
        return [self.key, *([self.differing] if self.differing else []), "start_date", "end_date"]


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
    # Periods that must not overlap (``check`` compares them in a file checked whole; a
    # file checked in batches compares them across the file with these).
    periods: Periods | None = None
    # A check comparing rows across the whole file in another way than the keys and the
    # periods: such a file is checked whole, not in batches.
    whole_file: bool = False

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
            texts: list[Any] = []

            def value(row: int) -> str:
                # The key's cells, for the problem's duplicate_key code (only for the rows
                # found twice: made on the first).
                if not texts:
                    texts.extend(table.strings(key) for key in self.keys)
                return " / ".join(str(text[row]) for text in texts)

            table.unique_rows(
                list(self.keys),
                [table.codes(key) for key in self.keys],
                lambda row: f"duplicate row for {', '.join(self.keys)}",
                value,
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
    its message saying it is outside ``where`` ("your RLS: 0115"); ``params`` say
    ``where`` for a translation (the problem ``outside_scope``'s, with ``column`` and
    ``value``)."""

    column: str
    values: frozenset[str]
    where: str
    params: tuple[tuple[str, str], ...] = ()


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
    with tempfile.TemporaryDirectory(prefix="panelcare-check-") as scratch:
        out = Path(scratch) / "checked.parquet"
        checked = check_contract_file(
            path,
            kind,
            out,
            name=name,
            max_problems=max_problems,
            restrictions=restrictions,
            progress=progress,
            xlsx_limits=xlsx_limits,
            work_dir=Path(scratch),
        )
        return ReadFile(pq.ParquetFile(out).read(), checked.reading)


@dataclass(frozen=True)
class CheckedFile:
    """A file read and checked: where its rows are (Parquet, in the canonical shape),
    how many, and how it was read."""

    path: Path
    rows: int
    reading: Reading


# Rows checked at a time: a batch's cells, their checks and its canonical rows take a few
# hundred bytes a row.
BATCH_ROWS = 200_000
# What DuckDB may hold in memory to find duplicate keys and compare versions; beyond it,
# it spills to its temporary folder.
DUCKDB_MEMORY = "400MB"


def check_contract_file(
    path: Path,
    kind: str | Contract,
    out: Path,
    *,
    name: str | None = None,
    max_problems: int = 50,
    restrictions: Iterable[Restriction] = (),
    progress: Progress | None = None,
    xlsx_limits: XlsxLimits | None = None,
    batch_rows: int = BATCH_ROWS,
    work_dir: Path | None = None,
) -> CheckedFile:
    """Read and check one file of ``kind`` in batches of ``batch_rows`` rows, writing its
    rows in the canonical shape to the Parquet file ``out``: what
    :func:`read_contract_file` does, in a memory that does not grow with the file.

    Each batch's cells are checked with the contract's checks, rows numbered in the
    whole file; the keys of every row are written aside, and their duplicates found across
    the whole file by DuckDB (within :data:`DUCKDB_MEMORY`, spilling to ``work_dir``),
    each named with its first occurrence. So are the periods that must not overlap
    (``Contract.periods``: a patient's registrations, a physician's GMF memberships),
    once every cell and key is right, as the contract's own check compares them; a
    contract comparing rows otherwise (``whole_file``) is checked whole. The problems are those
    :func:`read_contract_file` finds: the first ``max_problems`` in file order and how
    many in all.

    Args:
        path, kind, name, max_problems, restrictions, xlsx_limits: as
            :func:`read_contract_file`.
        out: where to write the checked rows (removed when the file is refused).
        progress: called with ("reading", 0, 0), then ("checking", rows checked so far,
            rows expected: an estimate for a CSV file until its end).
        batch_rows: the rows checked at a time.
        work_dir: where the keys and DuckDB's spill go (a temporary folder is made and
            removed in it; default: the system's).

    Returns:
        Where the rows are, how many, and how the file was read.

    Raises:
        TableProblems: as :func:`read_contract_file`; ``out`` is then removed.
        ValueError: ``kind`` is not one of :data:`KINDS`.
    """
    table_contract = contract(kind)
    report = progress or _ignore
    report("reading", 0, 0)
    try:
        opened = ContractFile(
            Path(path), table_contract.columns, name=name, xlsx_limits=xlsx_limits
        )
    except AttributionInputError as error:
        raise TableProblems([Problem.of(error)]) from None
    try:
        with tempfile.TemporaryDirectory(prefix=".check-", dir=work_dir) as scratch:
            while True:
                try:
                    return _check_batches(
                        opened,
                        table_contract,
                        Path(out),
                        Path(scratch),
                        max_problems=max_problems,
                        restrictions=list(restrictions),
                        report=report,
                        batch_rows=batch_rows,
                    )
                except EncodingChanged:  # read it again, as Windows-1252
                    continue
    except BaseException:
        Path(out).unlink(missing_ok=True)
        raise


def _check_batches(
    opened: ContractFile,
    table_contract: Contract,
    out: Path,
    scratch: Path,
    *,
    max_problems: int,
    restrictions: list[Restriction],
    report: Progress,
    batch_rows: int,
) -> CheckedFile:
    """One pass of :func:`check_contract_file` over the file."""
    whole = table_contract.whole_file
    keys = list(table_contract.keys)
    key_schema = pa.schema(
        [*(table_contract.schema.field(key) for key in keys), pa.field("_row", pa.int64())]
    )
    keys_path = scratch / "keys.parquet"
    periods = None if whole else table_contract.periods
    periods_path = scratch / "periods.parquet"
    problems: list[Problem] = []
    count = rows = 0
    # No problem but the restrictions' so far: the periods are compared only then, as the
    # contract's own check compares them once every cell and key is right.
    cells_right = True
    decimal_commas = False
    known = opened.rows
    writer = pq.ParquetWriter(out, table_contract.schema, compression="zstd")
    key_writer = None if whole else pq.ParquetWriter(keys_path, key_schema)
    period_writer = None
    if periods is not None:
        period_schema = pa.schema(
            [
                *(table_contract.schema.field(column) for column in periods.columns),
                pa.field("_row", pa.int64()),
            ]
        )
        period_writer = pq.ParquetWriter(periods_path, period_schema)
    try:
        for table, done in _tables(opened, whole, batch_rows):
            table.defer_keys = not whole
            expected = known if known is not None else round((rows + table.n) / max(done, 1e-9))
            report("checking", rows, max(expected, rows + table.n))
            try:
                cells = table_contract.check_cells(table)
                if periods is not None and cells_right:
                    cells_right = not table.count_problems()
                for restriction in restrictions:
                    _restrict(table, cells, restriction)
            except AttributionInputError as error:
                reading = reading_of(opened.path, opened.dialect, table.decimal_commas)
                raise TableProblems([Problem.of(error)], reading=reading) from None
            decimal_commas |= table.decimal_commas
            if len(problems) < max_problems:
                listed = table.problems(max_problems - len(problems))
                problems.extend(Problem.of(error) for error in listed)
            count += table.count_problems() if problems else 0
            arrays = _canonical_arrays(table_contract, table, cells)
            if not count:  # the checked rows are only kept for a file without problems
                writer.write_table(pa.Table.from_arrays(arrays, schema=table_contract.schema))
            if key_writer is not None:
                _write_keys(key_writer, key_schema, table_contract, table, arrays)
            if period_writer is not None and cells_right:
                _write_periods(period_writer, table_contract, table, arrays)
            rows += table.n
    except AttributionInputError as error:  # read further: a ragged row, say
        raise TableProblems([Problem.of(error)]) from None
    finally:
        writer.close()
        if key_writer is not None:
            key_writer.close()
        if period_writer is not None:
            period_writer.close()
    reading = reading_of(opened.path, opened.dialect, decimal_commas)
    # In file order: by row, then by the column's place in the file.
    position = {column: i for i, column in enumerate(opened.wanted)}

    def merged(more: list[Problem]) -> list[Problem]:
        return sorted(
            problems + more,
            key=lambda problem: (problem.row or 0, position.get(problem.column or "", 0)),
        )[:max_problems]

    duplicates = 0
    if key_writer is not None and rows > 1:
        repeated, duplicates = _duplicates(opened, table_contract, keys_path, scratch, max_problems)
        if duplicates:
            problems = merged(repeated)
            count += duplicates
    if periods is not None and cells_right and not duplicates and rows > 1:
        overlapping, overlaps = _overlaps(opened, table_contract, periods_path, max_problems)
        if overlaps:
            problems = merged(overlapping)
            count += overlaps
    if problems:
        out.unlink(missing_ok=True)
        raise TableProblems(problems, count, reading)
    report("checking", rows, rows)
    return CheckedFile(out, rows, reading)


def _tables(
    opened: ContractFile, whole: bool, batch_rows: int
) -> Iterator[tuple[ContractTable, float]]:
    """The file's rows to check, in batches (or whole), each with how much of the file is
    read."""
    if whole:
        yield opened.read(), 1.0
        return
    first = 0
    for batch, lines, done in opened.batches(batch_rows):
        yield opened.table(batch, first_row=first, lines=lines), done
        first += batch.num_rows


def _write_keys(
    writer: pq.ParquetWriter,
    schema: pa.Schema,
    table_contract: Contract,
    table: ContractTable,
    arrays: list[pa.Array],
) -> None:
    """Write the keys of the rows of ``table`` whose key cells are all right, with their
    rows in the file (0-based)."""
    names = table_contract.schema.names
    keys = list(table_contract.keys)
    valid = np.logical_and.reduce([table.valid(key) for key in keys])
    numbers = (
        table.row_numbers if table.row_numbers is not None else np.arange(table.n, dtype=np.int64)
    )
    chosen = pa.array(valid)
    columns = [pc.filter(arrays[names.index(key)], chosen) for key in keys]
    columns.append(pa.array(numbers[valid], pa.int64()))
    writer.write_table(pa.Table.from_arrays(columns, schema=schema))


def _write_periods(
    writer: pq.ParquetWriter,
    table_contract: Contract,
    table: ContractTable,
    arrays: list[pa.Array],
) -> None:
    """Write the periods of the rows of ``table`` (every cell right), with their rows in
    the file (0-based)."""
    assert table_contract.periods is not None
    names = table_contract.schema.names
    numbers = (
        table.row_numbers if table.row_numbers is not None else np.arange(table.n, dtype=np.int64)
    )
    columns = [arrays[names.index(column)] for column in table_contract.periods.columns]
    columns.append(pa.array(numbers, pa.int64()))
    writer.write_table(pa.Table.from_arrays(columns, schema=writer.schema))


def _overlaps(
    opened: ContractFile,
    table_contract: Contract,
    periods_path: Path,
    limit: int,
) -> tuple[list[Problem], int]:
    """The rows whose period overlaps an earlier row's (in file order) of the same key
    (``Contract.periods``), found across the whole file: the first ``limit`` problems,
    each naming the earliest row it overlaps, as the contract's own check words them,
    and how many rows in all.

    Periods are half-open, [start_date, end_date), an empty end_date ongoing: two overlap
    when a.start < b.stop and b.start < a.stop. Sorted by start, a key's periods overlap
    somewhere only if one starts before the previous one stops (else each stop is at
    most the next start): one window (``lag``) finds the keys to look at, whose periods
    only are compared pairwise, as the check of a file held whole does.
    """
    periods = table_contract.periods
    assert periods is not None
    source = f"read_parquet({_literal(periods_path)})"
    key = _quoted(periods.key)
    other = "a.o <> b.o" if periods.differing else "true"
    # The day after any date (an ongoing period's stop).
    stop = "coalesce(end_date, DATE 'infinity')"
    with _duckdb(periods_path.parent) as con:
        con.execute(
            f"""CREATE TEMP VIEW p AS SELECT {key} AS k,
                {_quoted(periods.differing) if periods.differing else "NULL"} AS o,
                start_date AS s, {stop} AS e, _row FROM {source}"""
        )
        con.execute(
            """CREATE TEMP TABLE suspects AS SELECT DISTINCT k FROM (
                SELECT k, s, lag(e) OVER (PARTITION BY k ORDER BY s) AS previous FROM p
            ) WHERE previous > s"""
        )
        if not con.execute("SELECT count(*) FROM suspects").fetchall()[0][0]:
            return [], 0
        con.execute(
            f"""CREATE TEMP TABLE bad AS
            WITH theirs AS (SELECT * FROM p SEMI JOIN suspects USING (k))
            SELECT b._row, min(a._row) AS _first
            FROM theirs AS a JOIN theirs AS b
              ON a.k = b.k AND a._row < b._row AND a.s < b.e AND b.s < a.e AND {other}
            GROUP BY b._row"""
        )
        total = int(con.execute("SELECT count(*) FROM bad").fetchall()[0][0])
        pairs = con.execute(f"SELECT _row, _first FROM bad ORDER BY _row LIMIT {int(limit)}")
        firsts = pairs.fetchall()
        con.register(
            "wanted",
            pa.table(
                {"_row": pa.array(sorted({row for pair in firsts for row in pair}), pa.int64())}
            ),
        )
        rows = con.sql(
            f"SELECT * FROM {source} SEMI JOIN wanted USING (_row) ORDER BY _row"
        ).to_arrow_table()
    # Those rows, checked and worded by the contract's own rule.
    numbers = np.asarray(rows.column("_row").to_numpy(), dtype=np.int64)
    index = {int(row): i for i, row in enumerate(numbers)}
    sheet_lines = opened.lines
    table = ContractTable(
        opened.path,
        table_contract.columns,
        rows.select(periods.columns),
        name=opened.name,
        lines=sheet_lines[numbers] if sheet_lines is not None else None,
        dialect=opened.dialect,
        row_numbers=numbers,
    )
    cells = {column: table.cells(column) for column in periods.columns}
    periods.flag_overlaps(table, cells, {index[row]: index[first] for row, first in firsts})
    return [Problem.of(error) for error in table.problems(limit)], total


def _duplicates(
    opened: ContractFile,
    table_contract: Contract,
    keys_path: Path,
    scratch: Path,
    limit: int,
) -> tuple[list[Problem], int]:
    """The rows repeating an earlier row's key (among the rows whose key cells are
    right), found across the whole file: the first ``limit`` problems, as the contract's
    own key check words them, and how many rows in all."""
    keys = list(table_contract.keys)
    columns = ", ".join(_quoted(key) for key in keys)
    with _duckdb(scratch) as con:
        con.execute(f"CREATE VIEW k AS SELECT * FROM read_parquet({_literal(keys_path)})")
        con.execute(
            f"""CREATE TEMP TABLE dup AS
            SELECT k._row, f._first FROM k
            JOIN (SELECT {columns}, min(_row) AS _first FROM k GROUP BY {columns}
                  HAVING count(*) > 1) AS f USING ({columns})
            WHERE k._row > f._first"""
        )
        total = int(con.execute("SELECT count(*) FROM dup").fetchall()[0][0])
        if not total:
            return [], 0
        con.execute(
            f"""CREATE TEMP TABLE wanted AS
            SELECT _row FROM (SELECT _row FROM dup ORDER BY _row LIMIT {int(limit)})
            UNION
            SELECT _first FROM (SELECT _row, _first FROM dup ORDER BY _row LIMIT {int(limit)})"""
        )
        rows = con.sql(
            "SELECT k.* FROM k SEMI JOIN wanted USING (_row) ORDER BY k._row"
        ).to_arrow_table()
    # The rows of those keys, their other cells empty, checked by the contract's own
    # check: its duplicate messages (the first occurrence is among them, before).
    numbers = np.asarray(rows.column("_row").to_numpy(), dtype=np.int64)
    cells = {
        column: rows.column(column)
        if column in keys
        else pa.array([""] * rows.num_rows, pa.string())
        for column in opened.wanted
    }
    sheet_lines = opened.lines
    table = ContractTable(
        opened.path,
        table_contract.columns,
        pa.table(cells),
        name=opened.name,
        lines=sheet_lines[numbers] if sheet_lines is not None else None,
        dialect=opened.dialect,
        row_numbers=numbers,
    )
    table.keys_only = True
    table_contract.check_cells(table)
    return [Problem.of(error) for error in table.problems(limit)], total


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


@dataclass(frozen=True)
class Rows:
    """Canonical rows: a table held in memory or a Parquet file (``source``), all of
    them, or only those whose text ``column`` is among ``values`` (``inside``) or not
    (``inside=False``; a null cell is not among them)."""

    source: pa.Table | Path
    column: str | None = None
    values: frozenset[str] = frozenset()
    inside: bool = True


class Taken(NamedTuple):
    """A row of a file whose key is already a row's elsewhere: its ``row`` in the file
    (1-based), its ``key`` cells, and the RLS of that other row (None when unknown)."""

    row: int
    key: tuple[Any, ...]
    rls: str | None


def keys_taken(
    kind: str | Contract,
    rows: pa.Table | Rows,
    held: pa.Table | Rows,
    *,
    rls_column: str,
    rls_of: pa.Table | None = None,
    limit: int = 50,
    work_dir: Path | None = None,
) -> tuple[list[Taken], int]:
    """The rows of ``rows`` whose key is the key of a row of ``held`` (rows another
    scope keeps): the first ``limit`` in file order, each with the RLS holding the key
    (the lowest when several do), and how many rows in all.

    Args:
        rows, held: canonical rows (a table or :class:`Rows`).
        rls_column: the column of ``held`` placing a row in an RLS (``rls_id``) or, with
            ``rls_of``, naming what does (a registration's ``physician_id``).
        rls_of: two columns, ``rls_column`` and ``rls_id``: the RLS of each value (the
            physicians' RLS in the roster).
        work_dir: as :func:`compare_tables`.
    """
    table_contract = contract(kind)
    keys = list(table_contract.keys)
    with _duckdb(work_dir) as con:
        _view(con, "n", table_contract, _as_rows(table_contract, rows))
        _view(con, "held", table_contract, _as_rows(table_contract, held))
        column = _quoted(rls_column)
        if rls_of is None:
            owners = f"SELECT *, {column} AS _rls FROM held"
        else:
            con.register("rls_of", rls_of.select([rls_column, "rls_id"]))
            owners = (
                f"SELECT held.*, rls_of.rls_id AS _rls FROM held "
                f"LEFT JOIN rls_of ON held.{column} = rls_of.{column}"
            )
        selected = ", ".join(f"n.{_quoted(key)}" for key in keys)
        con.execute(
            f"""CREATE TEMP TABLE taken AS
            SELECT n._row, {selected}, min(o._rls) AS _rls
            FROM n JOIN ({owners}) AS o ON {_join(keys)}
            GROUP BY n._row, {selected}"""
        )
        total = int(con.execute("SELECT count(*) FROM taken").fetchall()[0][0])
        found = con.execute(f"SELECT * FROM taken ORDER BY _row LIMIT {int(limit)}").fetchall()
    # One problem per row of the file, even when the key is held twice already.
    taken = [Taken(int(row[0]) + 1, tuple(row[1:-1]), row[-1]) for row in found]
    return taken, total


def compare_tables(
    kind: str | Contract,
    old: pa.Table | Rows | None,
    new: pa.Table | Rows,
    *,
    examples: int = 10,
    work_dir: Path | None = None,
) -> Changes:
    """What replacing the canonical rows ``old`` (None: nothing yet) by ``new`` changes.

    Rows are matched by their key (:data:`KEYS`); a matched row is changed when any other
    cell differs (an empty cell and an empty text cell are the same). Row order does not
    matter: the same rows in another order change nothing. Either side is a table held
    in memory or :class:`Rows` of a Parquet file (the version in force, a checked file):
    DuckDB joins them within :data:`DUCKDB_MEMORY`, spilling to a temporary folder in
    ``work_dir`` (default: the system's), so two big files compare in a bounded memory.
    """
    table_contract = contract(kind)
    keys = list(table_contract.keys)
    others = [column for column in table_contract.schema.names if column not in keys]
    with _duckdb(work_dir) as con:
        _view(con, "n", table_contract, _as_rows(table_contract, new))
        _view(
            con,
            "o",
            table_contract,
            _as_rows(
                table_contract, old if old is not None else table_contract.schema.empty_table()
            ),
        )
        matched = "n._row IS NOT NULL AND o._row IS NOT NULL"
        differs = [f"(n.{_quoted(c)} IS DISTINCT FROM o.{_quoted(c)})" for c in others]
        changed = " OR ".join(differs) or "false"
        top = max(int(examples), 1)
        counts = ", ".join(f"count(*) FILTER (WHERE {matched} AND {test})" for test in differs)
        fetched = con.execute(
            f"""SELECT
                count(*) FILTER (WHERE o._row IS NULL),
                count(*) FILTER (WHERE n._row IS NULL),
                count(*) FILTER (WHERE {matched} AND ({changed})),
                count(*) FILTER (WHERE {matched}),
                min(n._row, {top}) FILTER (WHERE o._row IS NULL),
                min(o._row, {top}) FILTER (WHERE n._row IS NULL),
                min(n._row, {top}) FILTER (WHERE {matched} AND ({changed}))
                {", " + counts if counts else ""}
            FROM n FULL OUTER JOIN o ON {_join(keys)}"""
        ).fetchall()[0]
        added, removed, changed_rows, both = (int(value) for value in fetched[:4])
        picked = [list(value or [])[:examples] if examples else [] for value in fetched[4:7]]
        by_column = [int(value) for value in fetched[7:]]
        texts = {
            "added": _key_texts(con, "n", keys, picked[0]),
            "removed": _key_texts(con, "o", keys, picked[1]),
            "changed": _key_texts(con, "n", keys, picked[2]),
        }
    return Changes(
        added=added,
        removed=removed,
        changed=changed_rows,
        unchanged=both - changed_rows,
        examples=texts,
        changed_columns={
            column: number for column, number in zip(others, by_column, strict=True) if number
        },
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
        "end_before_start",
        lambda row: {"start": str(start[row]), "end": str(end[row])},
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
        "outside_scope",
        lambda row: {
            **dict(restriction.params),
            "column": column,
            "value": str(cells[row].as_py()),
        },
    )


# --------------------------------------------------------------------------- shapes


def _canonical_arrays(
    table_contract: Contract, table: ContractTable, cells: dict[str, Any]
) -> list[pa.Array]:
    """The checked ``cells`` as the canonical columns, a cell that is not right (empty or
    wrong) as null."""
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
    return arrays


# --------------------------------------------------------------------------- DuckDB


def _duckdb(work_dir: Path | None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection within :data:`DUCKDB_MEMORY`, spilling to ``work_dir``."""
    import duckdb  # only to compare and find duplicates: a tenth of a second to import

    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": DUCKDB_MEMORY,
        "threads": 2,
        "preserve_insertion_order": False,
    }
    if work_dir is not None:
        config["temp_directory"] = str(Path(work_dir) / "duckdb.tmp")
    return duckdb.connect(config=config)


def _as_rows(table_contract: Contract, rows: pa.Table | Rows) -> Rows:
    if isinstance(rows, Rows):
        return rows
    return Rows(canonical(table_contract, rows))


def _view(con: duckdb.DuckDBPyConnection, name: str, table_contract: Contract, rows: Rows) -> None:
    """The view ``name``: the canonical columns of ``rows`` and ``_row``, each row's place
    in its table or file (0-based), only the rows ``rows`` keeps."""
    if isinstance(rows.source, pa.Table):
        numbered = rows.source.append_column(
            "_row", pa.array(np.arange(rows.source.num_rows, dtype=np.int64))
        )
        con.register(f"{name}_table", numbered)
        source, row = f"{name}_table", "_row"
    else:
        source, row = (
            f"read_parquet({_literal(rows.source)}, file_row_number = true)",
            "file_row_number",
        )
    selected = []
    for field in table_contract.schema:
        cell = f"CAST({_quoted(field.name)} AS {_SQL_TYPES[field.type]})"
        if pa.types.is_string(field.type) and table_contract.columns[field.name].optional:
            cell = f"NULLIF({cell}, '')"  # as canonical(): an empty optional text is null
        selected.append(f"{cell} AS {_quoted(field.name)}")
    where = "true"
    if rows.column is not None:
        con.register(
            f"{name}_values", pa.table({"value": pa.array(sorted(rows.values), pa.string())})
        )
        test = f"coalesce({_quoted(rows.column)} IN (SELECT value FROM {name}_values), false)"
        where = test if rows.inside else f"NOT {test}"
    con.execute(
        f"CREATE TEMP VIEW {name} AS SELECT {', '.join(selected)}, {row} AS _row "
        f"FROM {source} WHERE {where}"
    )


_SQL_TYPES = {
    pa.string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.int64(): "BIGINT",
    pa.date32(): "DATE",
    pa.bool_(): "BOOLEAN",
}


def _key_texts(
    con: duckdb.DuckDBPyConnection, view: str, keys: list[str], rows: list[int]
) -> list[str]:
    """The keys of the rows ``rows`` of ``view``, each as its cells joined by " / ", in
    the order of ``rows``."""
    if not rows:
        return []
    con.register("_picked", pa.table({"_row": pa.array(rows, pa.int64())}))
    found = con.execute(
        f"SELECT _row, {', '.join(_quoted(key) for key in keys)} FROM {view} "
        "SEMI JOIN _picked USING (_row)"
    ).fetchall()
    con.unregister("_picked")
    texts = {found_row[0]: " / ".join(str(cell) for cell in found_row[1:]) for found_row in found}
    return [texts[row] for row in rows]


def _join(keys: list[str]) -> str:
    return " AND ".join(f"n.{_quoted(key)} = o.{_quoted(key)}" for key in keys)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _ignore(phase: str, done: int, total: int) -> None:
    pass
