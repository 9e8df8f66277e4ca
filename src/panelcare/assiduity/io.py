"""Files in and out of the assiduity engine: read and check a data folder, write results.

A data folder holds the contract's tables (``spec/assiduity.md``, "Data contract") as
``NAME.csv`` or ``NAME.parquet``: ``visits`` and ``registrations`` are required, the other
tables default to empty. Other files (the synthetic generator's reference tables) are
ignored.

    con = connect(memory_limit="2GB")
    tables = open_tables(Path("data"), con)      # AssiduityInputError on a bad file
    write_csv_atomically(result.to_pyarrow(), Path("rates.csv"))

Everything is read lazily by DuckDB: :func:`open_tables` creates one view per file and
hands the engine Ibis tables over those views, so a province (50 million visits) streams
from Parquet instead of being loaded into Python. CSV cells are read as text and cast
after the checks, so ids keep their leading zeros (``0111`` stays ``0111``).

The checks (:func:`open_tables` with ``validate=True``) run before any result is written
and stop at the first problem, which :class:`AssiduityInputError` names by file, row and
column. Each table costs one aggregate query over its file (on Parquet, the columns'
statistics and distinct values spare most of it), plus one window over the registrations
and the GMF memberships for the overlap rules: about 0.9 s for a province on 2 cores.

:class:`DataFolder` reads some rows of a folder and checks those only (what
``panelcare assiduity explain`` reads through): ``folder.table("visits", Rows(any_of=
{"patient_id": ids}, during=(first, after)))`` copies the rows a physician's
explanation needs into a temporary table, with their row numbers, and runs the same
checks on them.
"""

from __future__ import annotations

import bisect
import datetime
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.csv as pacsv

from panelcare.assiduity.contract import (
    GMF_KINDS,
    OVERLAP_RULES,
    PROVIDER_KINDS,
    REQUIRED,
    REQUIRED_VALUES,
    SCHEMAS,
    SETTINGS,
    TRIAGE_LEVELS,
    VOCABULARIES,
    OverlapRule,
    period_text,
)
from panelcare.assiduity.tables import AssiduityTables, conform
from panelcare.csvfiles import csv_header
from panelcare.errors import InputError

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "GMF_KINDS",
    "PROVIDER_KINDS",
    "SETTINGS",
    "TRIAGE_LEVELS",
    "AssiduityInputError",
    "DataFolder",
    "Rows",
    "baseline",
    "baseline_rates_sql",
    "connect",
    "find_tables",
    "open_tables",
    "write_csv_atomically",
]

DEFAULT_MEMORY_LIMIT = "2GB"

# The contract's declarations (panelcare.assiduity.contract), by their names here.
_REQUIRED_VALUES = REQUIRED_VALUES
_VOCABULARIES = VOCABULARIES

# The DuckDB types a column of each contract type may have in a Parquet file. Text is
# accepted for every type (and checked like a CSV cell); ids must be text, because a
# number has already lost its leading zeros.
_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_NATIVE_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset(),
    "date": frozenset({"DATE"}),
    "boolean": frozenset({"BOOLEAN"}),
    "int32": _INTEGER_TYPES,
    "int64": _INTEGER_TYPES,
}
_EXPECTED = {
    "string": "a value",
    "date": "a date yyyy-mm-dd",
    "boolean": "true, false or an empty cell",
    "int32": "a whole number",
    "int64": "a whole number",
}
_TYPE_WORDS = {
    "string": "text",
    "date": "a date",
    "boolean": "a boolean",
    "int32": "a whole number",
    "int64": "a whole number",
}
_SQL_TYPES = {
    "string": "VARCHAR",
    "date": "DATE",
    "boolean": "BOOLEAN",
    "int32": "INTEGER",
    "int64": "BIGINT",
}

_ROW = "__panelcare_row"
_ONGOING = "DATE '9999-12-31'"  # an empty end_date: in force forever


class AssiduityInputError(InputError):
    """A file of an assiduity data folder is missing, unreadable or holds a wrong value
    (``file``, ``row``, ``column`` and, for CSV, ``line``: see
    :class:`~panelcare.errors.InputError`)."""


# --------------------------------------------------------------------------- connection


def connect(
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    *,
    threads: int | None = None,
    temp_directory: Path | None = None,
) -> Any:
    """A DuckDB connection (Ibis backend) set up for a province-sized computation.

    ``threads`` defaults to the cores this process may use; ``memory_limit`` (DuckDB's
    syntax: ``"2GB"``, ``"512MB"``) bounds DuckDB's buffers, and what does not fit spills
    to ``temp_directory`` (by default a fresh folder in the system's temporary directory,
    removed when the connection is garbage-collected). With the default 2 GB a province
    year stays under 3 GB of resident memory.
    """
    con = ibis.duckdb.connect()
    if temp_directory is None:
        spill = tempfile.mkdtemp(prefix="panelcare-duckdb-")
        weakref.finalize(con, shutil.rmtree, spill, ignore_errors=True)
    else:
        spill = str(temp_directory)
    con.raw_sql(f"SET threads = {int(threads or _cores())}")
    con.raw_sql(f"SET memory_limit = {_literal(memory_limit)}")
    con.raw_sql(f"SET temp_directory = {_literal(spill)}")
    return con


def execute(con: Any, expr: Any) -> pa.Table:
    """Run the Ibis expression ``expr`` on the DuckDB backend ``con``: an Arrow table of
    ``expr``'s schema.

    What ``con.to_pyarrow(expr)`` does, without its result converter: that module imports
    pandas, a second of a command's start-up.
    """
    # Registers the expression's in-memory tables with DuckDB (none for open_tables').
    con._run_pre_execute_hooks(expr)
    sql = ibis.to_sql(expr, dialect="duckdb")
    result = con.con.sql(sql).to_arrow_table()
    return result.cast(expr.schema().to_pyarrow())


def create_temp_table(con: Any, name: str, expr: Any) -> None:
    """Run the Ibis expression ``expr`` on the DuckDB backend ``con`` into the temporary
    table ``name`` (what ``con.create_table(name, expr, temp=True)`` does, without the
    import of pandas its path costs)."""
    con._run_pre_execute_hooks(expr)
    con.raw_sql(f"CREATE TEMP TABLE {_ident(name)} AS {ibis.to_sql(expr, dialect='duckdb')}")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --------------------------------------------------------------------------- reading


def find_tables(data_dir: Path) -> dict[str, Path]:
    """The contract's files in ``data_dir``, by table name (absent optional tables omitted).

    Raises:
        AssiduityInputError: when ``data_dir`` is not a folder, a required table has no
            file, or a table has both a CSV and a Parquet file.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise AssiduityInputError(f"{data_dir} is not a folder")
    found: dict[str, Path] = {}
    for name in SCHEMAS:
        paths = [data_dir / f"{name}{suffix}" for suffix in (".csv", ".parquet")]
        present = [p for p in paths if p.is_file()]
        if len(present) == 2:
            raise AssiduityInputError(
                f"both {name}.csv and {name}.parquet are in {data_dir}; keep only one",
                file=f"{name}.csv",
            )
        if present:
            found[name] = present[0]
        elif name in REQUIRED:
            raise AssiduityInputError(
                f"the {name} table is required: no {name}.csv or {name}.parquet in {data_dir}"
            )
    return found


def open_tables(
    data_dir: Path,
    con: Any | None = None,
    *,
    validate: bool = True,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    settings: Collection[str] = SETTINGS,
    provider_kinds: Collection[str] = PROVIDER_KINDS,
) -> AssiduityTables:
    """The contract's tables of ``data_dir``, as lazy Ibis tables on DuckDB.

    Args:
        data_dir: a folder with ``NAME.csv`` or ``NAME.parquet`` per table.
        con: the DuckDB Ibis backend to read with; by default :func:`connect` (all cores,
            ``memory_limit``, spilling to a temporary folder). A given connection is used
            as it is set up.
        validate: check every row (see the module's docstring) before returning. Without
            it only the files and their columns are checked, and a wrong value fails later,
            inside the computation, with DuckDB's message.
        memory_limit: DuckDB's memory limit when ``con`` is not given.
        settings, provider_kinds: the words ``visits.setting`` and ``visits.provider_kind``
            may hold; by default the contract's. A rules file that makes another setting
            eligible should add it here (the CLI does).

    Returns:
        An :class:`AssiduityTables` whose tables have the contract's columns and types;
        absent optional tables are empty.

    Raises:
        AssiduityInputError: the first problem found, naming file, row and column; tables
            are checked in the contract's order, rows in file order.
    """
    if con is None:
        con = connect(memory_limit)
    elif getattr(con, "name", None) != "duckdb":
        raise TypeError("open_tables reads files with DuckDB: pass an ibis.duckdb backend")
    vocabularies = {
        **_VOCABULARIES,
        ("visits", "setting"): tuple(settings),
        ("visits", "provider_kind"): tuple(provider_kinds),
    }
    sources = [
        _Source.open(name, path, con, vocabularies) for name, path in find_tables(data_dir).items()
    ]
    if validate:
        for source in sources:
            source.validate(con)
    opened = {source.name: source.table(con) for source in sources}
    for name in SCHEMAS:
        if name not in opened:
            opened[name] = _empty_view(name, con)
    checked = (
        {column: words for (table, column), words in vocabularies.items() if table == "visits"}
        if validate
        else {}
    )
    return AssiduityTables(**opened, checked_vocabularies=checked)


@dataclass(frozen=True)
class Rows:
    """Which rows of a table to read (:class:`DataFolder`): those whose cells may meet
    every condition given. A cell that cannot be read (a date that is not one) meets a
    condition on it, so that the checks of the rows read name it.

    ``any_of``: one of the columns holds one of its values (a column: its values);
    ``flagged``: that boolean column is true; ``during``: in force on some day of
    [first, after) (``start_date``/``end_date``), or dated in it (``visit_date``).
    """

    any_of: Mapping[str, Collection[str]] = field(default_factory=dict)
    flagged: str | None = None
    during: tuple[datetime.date, datetime.date] | None = None


class DataFolder:
    """A data folder opened to read some rows of its tables, checking only the rows read.

    Opening finds the files and checks their columns (as :func:`open_tables`); nothing
    else is read until asked. :meth:`values` reads a column of some rows, unchecked;
    :meth:`table` gives a table of some rows (or all), after the checks of
    :func:`open_tables` on those rows: the same messages, naming the file's row. What
    ``panelcare assiduity explain`` reads through (``explain.explain_folder``).

    Raises:
        AssiduityInputError: as :func:`open_tables`, for the files and columns on opening,
            for the rows of a table when :meth:`table` reads them.
    """

    def __init__(
        self,
        data_dir: Path,
        con: Any,
        *,
        settings: Collection[str] = SETTINGS,
        provider_kinds: Collection[str] = PROVIDER_KINDS,
    ) -> None:
        if getattr(con, "name", None) != "duckdb":
            raise TypeError("DataFolder reads files with DuckDB: pass an ibis.duckdb backend")
        self.con = con
        self._vocabularies = {
            **_VOCABULARIES,
            ("visits", "setting"): tuple(settings),
            ("visits", "provider_kind"): tuple(provider_kinds),
        }
        self._sources = {
            name: _Source.open(name, path, con, self._vocabularies)
            for name, path in find_tables(data_dir).items()
        }
        self._null_free: dict[str, frozenset[str]] = {}

    @property
    def checked_vocabularies(self) -> dict[str, tuple[str, ...]]:
        """The words the visits' columns hold once checked
        (:attr:`AssiduityTables.checked_vocabularies`)."""
        return {
            column: words
            for (table, column), words in self._vocabularies.items()
            if table == "visits"
        }

    def values(self, name: str, column: str, rows: Rows) -> list[str]:
        """The distinct values of ``column`` in the rows ``rows`` selects, sorted, as
        text, nulls left out. Those rows are not checked: a value read here should
        choose the rows of a :meth:`table`, which are. An absent table has none."""
        source = self._sources.get(name)
        if source is None:
            return []
        return source.values(self.con, column, self._where(source, rows)[0])

    def empty(self, name: str) -> Any:
        """An empty ``name`` table of the contract's columns and types (nothing read)."""
        return _empty_view(name, self.con)

    def table(self, name: str, rows: Rows | None = None) -> Any:
        """The ``name`` table (an Ibis table of the contract's columns and types) of the
        rows ``rows`` selects, or of all; those rows checked first. An absent optional
        table is empty."""
        source = self._sources.get(name)
        if source is None:
            return _empty_view(name, self.con)
        if rows is not None:
            source = source.rows(self.con, *self._where(source, rows))
        source.validate(self.con)
        return source.table(self.con)

    def _where(self, source: _Source, rows: Rows) -> tuple[str, list[str]]:
        if source.name not in self._null_free:
            self._null_free[source.name] = source.null_free(self.con)
        return _where(source, rows, self._null_free[source.name])


def _where(source: _Source, rows: Rows, null_free: frozenset[str]) -> tuple[str, list[str]]:
    """SQL on ``source``'s stored cells, true on the rows ``rows`` may select, and the
    columns it reads. ``null_free``: columns known to hold no null (Parquet statistics),
    whose conditions then take the form DuckDB can prune row groups with."""
    conditions: list[str] = []
    columns: list[str] = []
    if rows.any_of:
        conditions.append(
            " OR ".join(
                f"{_ident(column)} IN ({', '.join(map(_literal, values))})" if values else "FALSE"
                for column, values in rows.any_of.items()
            )
        )
        columns.extend(rows.any_of)
    if rows.flagged is not None:
        cell = _ident(rows.flagged)
        if source.types[rows.flagged] == "BOOLEAN":
            conditions.append(cell)
        else:  # text: true, or not a boolean (the checks will say so)
            conditions.append(f"{cell} IS NOT NULL AND lower({cell}) <> 'false'")
        columns.append(rows.flagged)
    if rows.during is not None:
        first, after = (f"DATE '{day.isoformat()}'" for day in rows.during)
        if "start_date" in source.types:
            conditions.append(
                f"{_not_after('start_date', after, source, null_free)} "
                f"AND coalesce({source._cast('end_date', try_=True)} > {first}, true)"
            )
            columns.extend(["start_date", "end_date"])
        else:
            conditions.append(
                f"{_not_after('visit_date', after, source, null_free)} "
                f"AND {_not_before('visit_date', first, source, null_free)}"
            )
            columns.append("visit_date")
    where = " AND ".join(f"({condition})" for condition in conditions) or "TRUE"
    return where, columns


def _not_after(column: str, after: str, source: _Source, null_free: frozenset[str]) -> str:
    """``column`` (a date) is not proved on or after ``after``: a cell that is empty or
    not a date is kept, for the checks to name it."""
    if source.types[column] == "DATE" and column in null_free:
        return f"{_ident(column)} < {after}"
    return f"coalesce({source._cast(column, try_=True)} < {after}, true)"


def _not_before(column: str, first: str, source: _Source, null_free: frozenset[str]) -> str:
    if source.types[column] == "DATE" and column in null_free:
        return f"{_ident(column)} >= {first}"
    return f"coalesce({source._cast(column, try_=True)} >= {first}, true)"


def _empty_view(name: str, con: Any) -> Any:
    """An absent optional table: an empty view of the contract's columns and types.

    A view rather than an in-memory table (:func:`~panelcare.assiduity.tables.empty`), whose registration with DuckDB
    costs a second at start-up (it imports pandas).
    """
    view = f"panelcare_{name}_{_next_view()}"
    columns = ", ".join(
        f"CAST(NULL AS {_SQL_TYPES[dtype]}) AS {_ident(column)}"
        for column, dtype in SCHEMAS[name].items()
    )
    con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {columns} LIMIT 0")
    return conform(name, con.table(view))


@dataclass(frozen=True)
class _Check:
    """One rule on the cells of one column: ``bad`` is SQL, true on a wrong row.

    A ``grouped`` check reads only its own column, a vocabulary of a Parquet file: it
    first runs alone as a plain ``WHERE`` on the file, which DuckDB pushes into the scan
    and answers from the column's dictionary (0.1 s on 50 million visits, where the
    one-scan aggregate takes 0.6 s); the rows are numbered only when a value is wrong.
    """

    column: str
    bad: str
    expected: str
    grouped: bool = False
    period: bool = False  # compares start_date and end_date


@dataclass(frozen=True)
class _Source:
    """One file of the folder: its reader SQL and the DuckDB type of each column."""

    name: str
    path: Path
    types: dict[str, str]  # column -> DuckDB type, in file order
    vocabularies: dict[tuple[str, str], tuple[str, ...]]
    # A temporary table holding some of the file's rows, as stored, with their row
    # numbers (see :meth:`rows`): the checks and the table then read those rows only.
    subset: str | None = None

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def is_csv(self) -> bool:
        return self.path.suffix == ".csv"

    @classmethod
    def open(
        cls,
        name: str,
        path: Path,
        con: Any,
        vocabularies: dict[tuple[str, str], tuple[str, ...]] = _VOCABULARIES,
    ) -> _Source:
        if path.suffix == ".csv":
            types = dict.fromkeys(_csv_header(path), "VARCHAR")
        else:
            try:
                rows = con.raw_sql(f"DESCRIBE SELECT * FROM {_parquet_reader(path)}").fetchall()
            except Exception as error:  # duckdb.Error; the message says what is wrong
                raise AssiduityInputError(
                    f"cannot read this Parquet file: {_first_line(error)}", file=path.name
                ) from None
            types = {row[0]: str(row[1]) for row in rows}
        source = cls(name, path, types, vocabularies)
        source._check_columns()
        return source

    def error(
        self, message: str, row: int | None = None, column: str | None = None
    ) -> AssiduityInputError:
        line = row + 1 if row is not None and self.is_csv else None
        return AssiduityInputError(message, file=self.file, row=row, column=column, line=line)

    def reader(self, *, numbered: bool = False) -> str:
        """SQL selecting the file's columns (all of them, as stored)."""
        if self.subset is not None:
            # Its extra row-number column does no harm where the number is not asked for.
            return f"SELECT * FROM {self.subset}" if numbered else self.subset
        if self.is_csv:
            scan = _csv_reader(self.path, list(self.types))
            # DuckDB reads a CSV in file order and row_number() OVER () keeps that order
            # (a streaming window), so the number is the data row.
            return f"SELECT *, row_number() OVER () AS {_ROW} FROM {scan}" if numbered else scan
        if numbered:
            return (
                f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {_ROW} "
                f"FROM {_parquet_reader(self.path, numbered=True)}"
            )
        return _parquet_reader(self.path)

    def _check_columns(self) -> None:
        wanted = SCHEMAS[self.name]
        missing = [column for column in wanted if column not in self.types]
        if missing:
            raise self.error(
                f"the file has no column {missing[0]} (its columns: "
                f"{', '.join(self.types) or 'none'})",
                column=missing[0],
            )
        for column, dtype in wanted.items():
            stored = self.types[column]
            if stored != "VARCHAR" and stored not in _NATIVE_TYPES[dtype]:
                raise self.error(
                    f"expected {_TYPE_WORDS[dtype]} column, found a column of type {stored}",
                    column=column,
                )

    def checks(self, null_free: frozenset[str] = frozenset()) -> list[_Check]:
        """The cell checks of this table, in column order.

        ``null_free`` are columns known to hold no null (from Parquet statistics): their
        "required value" check is left out, and so is every check on a column whose
        stored type already guarantees the contract's (a Parquet date or boolean).
        """
        checks: list[_Check] = []
        required = set(_REQUIRED_VALUES[self.name]) - null_free
        for column, dtype in SCHEMAS[self.name].items():
            cell = _ident(column)
            text = self.types[column] == "VARCHAR"
            vocabulary = self.vocabularies.get((self.name, column))
            if vocabulary is not None:
                bad = f"{cell} NOT IN ({', '.join(map(_literal, vocabulary))})"
                # On CSV every column is parsed anyway: one pass over the rows is cheaper.
                grouped = not self.is_csv
                if column in _REQUIRED_VALUES[self.name]:
                    expected = _one_of(vocabulary)
                    bad = f"{cell} IS NULL OR {bad}"
                else:
                    expected = _one_of(vocabulary, empty=True)
                checks.append(_Check(column, bad, expected, grouped))
                continue
            if not text:
                bad = ""
            elif dtype == "date":
                bad = f"NOT {_is_iso_date(cell)}"
            elif dtype == "boolean":
                bad = f"lower({cell}) NOT IN ('true', 'false')"
            elif dtype in ("int32", "int64"):
                bad = (
                    f"NOT regexp_full_match({cell}, '-?[0-9]+') "
                    f"OR TRY_CAST({cell} AS {_SQL_TYPES[dtype]}) IS NULL"
                )
            else:
                bad = ""
            if column in required:
                bad = f"{cell} IS NULL OR ({bad})" if bad else f"{cell} IS NULL"
            elif bad:
                bad = f"{cell} IS NOT NULL AND ({bad})"
            if bad:
                checks.append(_Check(column, bad, _EXPECTED[dtype]))
        if "end_date" in SCHEMAS[self.name]:
            start, end = self._cast("start_date", try_=True), self._cast("end_date", try_=True)
            checks.append(
                _Check(
                    "end_date",
                    f"{end} < {start}",
                    "an end_date on or after the start_date (end_date is the first day "
                    "out of force)",
                    period=True,
                )
            )
        return checks

    def null_free(self, con: Any) -> frozenset[str]:
        """The columns of a Parquet file whose statistics count no null in any row group."""
        if self.is_csv:
            return frozenset()
        rows = self._query(
            con,
            "SELECT path_in_schema FROM parquet_metadata("
            f"{_literal(str(self.path))}) GROUP BY path_in_schema "
            "HAVING count(stats_null_count) = count(*) AND sum(stats_null_count) = 0",
        )
        return frozenset(row[0] for row in rows)

    def _cast(self, column: str, *, try_: bool = False) -> str:
        """SQL giving ``column`` in its contract type (text cells cast)."""
        dtype = _SQL_TYPES[SCHEMAS[self.name][column]]
        stored = self.types[column]
        if stored == dtype:
            return _ident(column)
        return f"{'TRY_CAST' if try_ else 'CAST'}({_ident(column)} AS {dtype})"

    def validate(self, con: Any) -> None:
        """Raise the first wrong cell in file order; then check overlapping periods.

        One aggregate query per table: ``min(row) FILTER (WHERE <wrong>)`` per check, so
        every check is answered in a single scan; the vocabulary checks of a Parquet file
        run one by one first, as cheap filters (see :class:`_Check`).
        """
        checks = self.checks(self.null_free(con))
        wrong = [check for check in checks if not check.grouped or self._holds(con, check.bad)]
        failures: list[tuple[int, int]] = []
        if wrong:
            firsts = ", ".join(f"min({_ROW}) FILTER (WHERE {check.bad})" for check in wrong)
            found = self._query(con, f"SELECT {firsts} FROM ({self.reader(numbered=True)})")[0]
            failures = [
                (row, checks.index(check)) for check, row in zip(wrong, found, strict=True) if row
            ]
        if failures:
            row, index = min(failures)
            check = checks[index]
            raise self.error(
                f"expected {check.expected}, found {self._found(con, row, check)}",
                row=row,
                column=check.column,
            )
        if self.name in _OVERLAP_RULES:
            self._check_overlaps(con, _OVERLAP_RULES[self.name])

    def _holds(self, con: Any, condition: str) -> bool:
        """Some row of the file meets ``condition`` (SQL)."""
        sql = f"SELECT EXISTS (SELECT 1 FROM {self.reader()} WHERE {condition})"
        return bool(self._query(con, sql)[0][0])

    def _found(self, con: Any, row: int, check: _Check) -> str:
        """What the file holds where ``check`` failed, for the message."""
        columns = ["start_date", "end_date"] if check.period else [check.column]
        select = ", ".join(f"CAST({_ident(c)} AS VARCHAR)" for c in columns)
        values = self._query(
            con, f"SELECT {select} FROM ({self.reader(numbered=True)}) WHERE {_ROW} = {row}"
        )[0]
        if check.period:
            return f"start_date {values[0]} and end_date {values[1]}"
        return "an empty cell" if values[0] is None else repr(values[0])

    def _check_overlaps(self, con: Any, rule: _OverlapRule) -> None:
        """Periods of one ``rule.key`` that must not overlap (spec, "Data contract").

        Periods are half-open, [start_date, end_date), end_date empty = ongoing; two
        overlap when a.start < b.end and b.start < a.end. Sorted by start, a key's periods
        overlap somewhere only if one starts before the previous one stops (else each
        stop is at most the next start, and no period reaches past a later one's start),
        so one window with ``lag`` finds the keys to look at (hashed, for speed: a
        collision only adds a suspect). Only when there are some are their periods
        compared pairwise, to name the later row of the first overlap in file order.
        """
        key = _ident(rule.key)
        other = _ident(rule.differing or rule.key)
        start, end = self._cast("start_date"), self._cast("end_date")
        stop = f"coalesce({end}, {_ONGOING})"
        suspects = f"""
            SELECT suspect FROM (
                SELECT suspect, start,
                       lag(stop) OVER (PARTITION BY suspect ORDER BY start) AS previous
                FROM (
                    SELECT hash({key}) AS suspect, {start} AS start, {stop} AS stop
                    FROM {self.reader()}
                )
            ) WHERE previous > start
        """
        if not self._query(con, f"SELECT count(*) FROM ({suspects})")[0][0]:
            return
        periods = (
            f"SELECT {key} AS key, {other} AS other, {start} AS start, {stop} AS stop, "
            f"{end} AS end_date, {_ROW} AS row FROM ({self.reader(numbered=True)})"
        )
        differing = "AND a.other <> b.other" if rule.differing else ""
        overlaps = self._query(
            con,
            f"""
            WITH suspects AS ({suspects}),
            theirs AS (SELECT * FROM ({periods}) WHERE hash(key) IN (SELECT * FROM suspects))
            SELECT b.row, b.key, b.other, b.start, b.end_date, a.row, a.other, a.start, a.end_date
            FROM theirs AS a JOIN theirs AS b
              ON a.key = b.key AND a.row < b.row AND a.start < b.stop AND b.start < a.stop
             {differing}
            ORDER BY b.row, a.row
            LIMIT 1
            """,
        )
        if overlaps:
            row, key_value, other_b, start_b, end_b, row_a, other_a, start_a, end_a = overlaps[0]
            raise self.error(
                rule.message.format(
                    key=key_value,
                    other=other_b,
                    period=_period(start_b, end_b),
                    other_row=row_a,
                    other_other=other_a,
                    other_period=_period(start_a, end_a),
                ),
                row=row,
                column="start_date",
            )

    # --- reading some rows (DataFolder) ---------------------------------------------------

    def rows(self, con: Any, where: str, columns: Sequence[str] = ()) -> _Source:
        """This file restricted to the rows meeting ``where`` (SQL on the stored cells,
        reading ``columns``), copied with their row numbers into a temporary table: the
        checks and the table then read those rows only, and an error still names the
        file's row."""
        table = f"panelcare_{self.name}_rows_{_next_view()}"
        if self.is_csv:
            # Numbered before the filter: the window keeps the filter above it.
            select = f"SELECT * FROM ({self.reader(numbered=True)}) WHERE {where}"
        else:
            select = self._parquet_rows(con, where, columns)
        self._query(con, f"CREATE TEMP TABLE {table} AS {select}")
        return replace(self, subset=table)

    def values(self, con: Any, column: str, where: str) -> list[str]:
        """The distinct values (not null, as text) of ``column`` in the rows meeting
        ``where``; the rows are not checked."""
        cell = _ident(column)
        found = self._query(
            con,
            f"SELECT DISTINCT CAST({cell} AS VARCHAR) FROM {self.reader()} "
            f"WHERE ({where}) AND {cell} IS NOT NULL",
        )
        return sorted(row[0] for row in found)

    def _parquet_rows(self, con: Any, where: str, columns: Sequence[str]) -> str:
        """SQL selecting the rows meeting ``where`` of a Parquet file, numbered.

        DuckDB decompresses every column of every row group it reads, even for a few
        rows of it. When the rows lie in a few row groups (a file ordered by patient, for
        a patient's visits), their numbers are found first, reading only the ``columns``
        of ``where``, and then only the row groups holding them are read (0.1 s, after
        1 s for the first read, on 50 M visits, where reading every column of every row
        group to keep the same rows takes 3 to 4 s). When they are spread over most row
        groups (a file in another order), the second read would cost as much as one read
        of everything, and that one filtered read is cheaper. Which is the case is judged
        on a sample of evenly spaced row groups, and the costs from the columns'
        uncompressed sizes (the decoding, more than the decompression, is the cost): the
        two reads are chosen when they decode less than half of what one read would.
        """
        scan = _parquet_reader(self.path, numbered=True)
        numbered = f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {_ROW} FROM {scan}"
        direct = f"{numbered} WHERE {where}"
        read = ", ".join(_literal(column) for column in columns) or "''"
        groups = self._query(
            con,
            "SELECT row_group_id, any_value(row_group_num_rows), "
            f"coalesce(sum(total_uncompressed_size) FILTER (WHERE path_in_schema IN ({read})), 0), "
            "sum(total_uncompressed_size) "
            f"FROM parquet_metadata({_literal(str(self.path))}) "
            "GROUP BY row_group_id ORDER BY row_group_id",
        )
        starts = [0]
        for _, rows, _, _ in groups:
            starts.append(starts[-1] + int(rows))
        first_read = sum(int(group[2]) for group in groups)
        everything = sum(int(group[3]) for group in groups)
        # The first read must leave room for the second: decoding the tested columns (the
        # patient ids, most of a registrations file) is most of a read's cost.
        if len(groups) <= 2 or 2 * first_read >= everything:
            return direct

        def within(chosen: Iterable[int]) -> str:
            return " OR ".join(
                f"file_row_number BETWEEN {starts[g]} AND {starts[g + 1] - 1}" for g in chosen
            )

        def groups_of(rows: Iterable[int]) -> set[int]:
            return {bisect.bisect_right(starts, row) - 1 for row in rows}

        def numbers(sql: str) -> list[int]:
            return [int(row[0]) for row in self._query(con, sql)]

        found = f"SELECT file_row_number FROM {scan} WHERE ({where})"
        count = len(groups)
        sample = sorted({i * (count - 1) // (_SAMPLED_GROUPS - 1) for i in range(_SAMPLED_GROUPS)})
        share = len(groups_of(numbers(f"{found} AND ({within(sample)})"))) / len(sample)
        if 2 * (first_read + share * everything) >= everything:
            return direct
        rows = sorted(numbers(found))
        if not rows:
            return f"{numbered} LIMIT 0"
        listed = ", ".join(map(str, rows))
        # The ranges prune the row groups; the list keeps the rows.
        return (
            f"{numbered} WHERE ({within(sorted(groups_of(rows)))}) "
            f"AND list_contains([{listed}], file_row_number)"
        )

    def _query(self, con: Any, sql: str) -> list[tuple[Any, ...]]:
        try:
            return list(con.raw_sql(sql).fetchall())
        except Exception as error:  # duckdb.Error: a CSV the parser refuses
            raise self._read_error(error) from None

    def _read_error(self, error: Exception) -> AssiduityInputError:
        text = str(error)
        match = re.search(r"CSV Error on Line: (\d+)", text)
        details = [
            line.strip()
            for line in text.splitlines()[1:]
            if line.strip() and not line.startswith("Original Line")
        ]
        reason = details[0] if match and details else _first_line(error)
        if match:
            line = int(match.group(1))
            return AssiduityInputError(
                f"cannot read this CSV file: {reason}", file=self.file, row=line - 1, line=line
            )
        return AssiduityInputError(f"cannot read this file: {reason}", file=self.file)

    def table(self, con: Any) -> Any:
        """A lazy Ibis table over a view of the file, in the contract's columns and types."""
        view = f"panelcare_{self.name}_{_next_view()}"
        select = ", ".join(
            f"{self._cast(column)} AS {_ident(column)}" for column in SCHEMAS[self.name]
        )
        con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {select} FROM {self.reader()}")
        return conform(self.name, con.table(view))


_OverlapRule = OverlapRule
_OVERLAP_RULES = OVERLAP_RULES

# Row groups sampled to judge whether some rows lie in a few of them (_Source._parquet_rows).
_SAMPLED_GROUPS = 8

_views = iter(range(1, 1 << 62))


def _next_view() -> int:
    # Each open_tables call gets its own views, so tables opened earlier on the same
    # connection keep reading their own files.
    return next(_views)


def _csv_header(path: Path) -> list[str]:
    return csv_header(path, AssiduityInputError)


def _csv_reader(path: Path, columns: Sequence[str]) -> str:
    # Every column as text: ids keep their leading zeros and the checks see the cells
    # as written. The dialect is the contract's (comma, double quotes, a header row).
    spec = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in columns)
    return (
        f"read_csv({_literal(str(path))}, columns = {{{spec}}}, header = true, "
        "auto_detect = false, delim = ',', quote = '\"', escape = '\"', strict_mode = true)"
    )


def _parquet_reader(path: Path, *, numbered: bool = False) -> str:
    option = ", file_row_number = true" if numbered else ""
    return f"read_parquet({_literal(str(path))}{option})"


def _is_iso_date(cell: str) -> str:
    # TRY_CAST alone accepts 2025-1-5, " 2025-01-05" and timestamps: the pattern
    # holds the contract to yyyy-mm-dd, the cast refuses 2025-02-30.
    return (
        f"(regexp_full_match({cell}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
        f"AND TRY_CAST({cell} AS DATE) IS NOT NULL)"
    )


def _one_of(words: Iterable[str], *, empty: bool = False) -> str:
    words = list(words)
    if empty:
        return f"one of {', '.join(words)} or an empty cell"
    return f"one of {', '.join(words[:-1])} or {words[-1]}"


_period = period_text


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --------------------------------------------------------------------------- writing


def write_csv_atomically(table: pa.Table, out: Path) -> None:
    """Write ``table`` as CSV to ``out``, all or nothing.

    The contract's CSV: a header row, strings in double quotes, ISO dates, ``true`` and
    ``false``, an empty cell for a null. The rows go to a temporary file in ``out``'s
    folder, renamed to ``out`` once complete: on any error no ``out`` is left behind (an
    ``out`` from an earlier run stays as it was).
    """
    out = Path(out)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(handle)
    try:
        pacsv.write_csv(table, temporary)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- baseline


def baseline_rates_sql(data_dir: Path, year: int) -> str:
    """The benchmark's yardstick: one plain DuckDB query for a naive rate per physician.

    It joins the year's visits to the registration in force on the visit day (half-open
    periods) and counts, per registering physician, the visits over all the visits
    (``visits``), those made by that physician (``own_visits``) and their ratio
    (``rate``): the shape of the real computation without any of its rules.
    """
    files = find_tables(Path(data_dir))

    def scan(name: str, columns: Sequence[str]) -> str:
        path = files[name]
        if path.suffix == ".parquet":
            return _parquet_reader(path)
        # read_csv wants every column of the file, in the file's order.
        types = {
            c: _SQL_TYPES[SCHEMAS[name][c]] if c in columns else "VARCHAR"
            for c in _csv_header(path)
        }
        spec = ", ".join(f"{_literal(c)}: '{t}'" for c, t in types.items())
        return (
            f"read_csv({_literal(str(path))}, columns = {{{spec}}}, header = true, "
            "auto_detect = false, delim = ',', quote = '\"', escape = '\"')"
        )

    visits = scan("visits", ["patient_id", "provider_id", "visit_date"])
    registrations = scan("registrations", ["patient_id", "physician_id", "start_date", "end_date"])
    return f"""
        SELECT r.physician_id,
               count(*) AS visits,
               count(*) FILTER (WHERE v.provider_id = r.physician_id) AS own_visits,
               own_visits / visits AS rate
        FROM {visits} AS v
        JOIN {registrations} AS r
          ON v.patient_id = r.patient_id
         AND r.start_date <= v.visit_date
         AND (r.end_date IS NULL OR v.visit_date < r.end_date)
        WHERE v.visit_date >= DATE '{year:04d}-01-01' AND v.visit_date < DATE '{year + 1:04d}-01-01'
        GROUP BY r.physician_id
        ORDER BY r.physician_id
    """


def baseline(data_dir: Path, year: int, con: Any | None = None) -> pa.Table:
    """Run :func:`baseline_rates_sql` (on ``con``, by default :func:`connect`'s)."""
    con = con if con is not None else connect()
    cursor = con.raw_sql(baseline_rates_sql(data_dir, year))
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return pa.table(
        {name: [row[i] for row in rows] for i, name in enumerate(names)},
        schema=pa.schema(
            [
                ("physician_id", pa.string()),
                ("visits", pa.int64()),
                ("own_visits", pa.int64()),
                ("rate", pa.float64()),
            ]
        ),
    )
