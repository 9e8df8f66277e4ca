"""Files in the attribution engine: read and check the ``physicians`` and ``waitlist`` tables.

A data folder holds the two tables of the contract (``spec/attribution.md``, "Data
contract"), each as ``NAME.csv`` or ``NAME.parquet`` (exactly one of the two). Other files
and other columns (the synthetic generator's ``licence_number``) are ignored. The
physicians may have one more, optional column, ``gmf_id`` (the physician's GMF for the run,
issue 19): a file or table without it reads as no physician in a GMF.

    physicians, waitlist = read_inputs(Path("data"))   # AttributionInputError if wrong
    physicians, waitlist = inputs_from_arrow(roster, waiting)   # the same, from pa.Tables
    physicians = physicians_from_arrow(roster)          # one table alone

Everything is read with pyarrow and checked column by column with vectorised expressions:
a province (10,000 physicians, a million waiting patients) is read and checked in about
a second from Parquet. CSV cells are read as text and converted after the checks, so ids
keep their leading zeros (``0111`` stays ``0111``). A Parquet column may hold the
contract's type (``date32`` dates, numbers, booleans) or text checked like a CSV cell.

The web app holds the tables in memory (imported versions, as Arrow): the ``*_from_arrow``
functions check them by the same code as the files, cell for cell, with the same messages
(a table is named ``physicians`` or ``waitlist`` in them, and has no CSV line).

Every row is checked and the **first** problem in file order (by row, then by column from
left to right) is raised as :class:`AttributionInputError`, naming the file, the 1-based
data row, the column and what was expected. :class:`ContractTable` is the machinery: it
also lists the first problems of a file rather than the first one, and reads a
spreadsheet (XLSX) as well, for the web app's imports (:mod:`panelcare.attribution.tables`). Empty cells: ``amp_target`` becomes -1,
``previous_assiduity`` ``nan``, ``departing_on`` ``NaT``, ``category`` and
``previous_physician_id`` ``""``; every other column needs a value. A waiting-list
``rls_id`` or ``previous_physician_id`` that no physician has is not an error here
(:func:`panelcare.attribution.groups.select_orphans` leaves the latter out with a reason).
"""

from __future__ import annotations

import csv
import datetime
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from panelcare.attribution.model import MODES, PRIORITIES, Bools, Orphans, Physicians
from panelcare.csvfiles import CsvDialect, sniff_csv
from panelcare.errors import InputError

__all__ = [
    "PHYSICIAN_COLUMNS",
    "PHYSICIAN_EXTRA_COLUMNS",
    "PHYSICIAN_READ_COLUMNS",
    "WAITLIST_COLUMNS",
    "AttributionInputError",
    "ContractColumn",
    "ContractFile",
    "ContractTable",
    "EncodingChanged",
    "Reading",
    "XlsxLimits",
    "check_physicians",
    "check_waitlist",
    "inputs_from_arrow",
    "orphans_from_arrow",
    "physicians_from_arrow",
    "read_inputs",
    "reading_of",
]


class AttributionInputError(InputError):
    """A file of an attribution data folder is missing, unreadable or holds a wrong value
    (``file``, ``row``, ``column`` and, for CSV, ``line``: see
    :class:`~panelcare.errors.InputError`)."""


@dataclass(frozen=True)
class ContractColumn:
    """What a column of the contract holds: ``kind`` is text, float, int, date, bool or
    choice (one of ``choices``); ``optional``: may be empty; ``low`` and ``high`` bound a
    number (inclusive); ``may_be_absent``: a file may leave the whole column out."""

    kind: str
    optional: bool = False
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    may_be_absent: bool = False

    def expectation(self) -> dict[str, str]:
        """What :meth:`expected` says, as the parameters of a problem (``kind``, ``low``,
        ``high``, ``choices`` and ``optional``, "" when they do not apply), for an
        interface that says it in its own language."""
        return {
            "kind": self.kind,
            "low": "" if self.low is None else f"{self.low:g}",
            "high": "" if self.high is None else f"{self.high:g}",
            "choices": ", ".join(self.choices),
            "optional": "yes" if self.optional else "",
        }

    def expected(self) -> str:
        if self.kind == "choice":
            words = f"one of {', '.join(self.choices[:-1])} or {self.choices[-1]}"
        else:
            words = {
                "text": "a value",
                "float": "a number",
                "int": "a whole number",
                "date": "a date yyyy-mm-dd",
                "bool": "true or false",
            }[self.kind]
        if self.low is not None and self.high is not None:
            words += f" from {self.low:g} to {self.high:g}"
        elif self.low is not None:
            words += f" of {self.low:g} or more"
        if self.optional:
            words += " or an empty cell"
        return words


@dataclass(frozen=True)
class Reading:
    """How a file was read: its ``format`` (csv, xlsx, parquet, or table for one held in
    memory) and, for CSV, its ``encoding`` (``UTF-8`` or ``Windows-1252``), its
    ``delimiter`` and its ``decimal`` separator (a comma when a number column held
    decimal commas, which only a file not separated by commas may)."""

    format: str
    encoding: str = ""
    delimiter: str = ""
    decimal: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "decimal": self.decimal,
        }


@dataclass(frozen=True)
class XlsxLimits:
    """What a spreadsheet may hold before it is parsed: its zip members' uncompressed
    size (``max_bytes``) and its first sheet's rows (``max_rows``, the header aside). A
    few megabytes of XLSX can expand to gigabytes of XML (a "zip bomb"), which openpyxl
    would parse for minutes."""

    max_bytes: int = 256 * 1024 * 1024
    max_rows: int = 250_000


# A problem's parameters for a row (InputError.params).
Params = Callable[[int], dict[str, str]]

_TEXT = ContractColumn("text")
_LATITUDE = ContractColumn("float", low=-90, high=90)
_LONGITUDE = ContractColumn("float", low=-180, high=180)

# The contract's columns, in its order (spec/attribution.md, "Data contract").
PHYSICIAN_COLUMNS: dict[str, ContractColumn] = {
    "physician_id": _TEXT,
    "name": _TEXT,
    "rls_id": _TEXT,
    "site_id": _TEXT,
    "latitude": _LATITUDE,
    "longitude": _LONGITUDE,
    "registered": ContractColumn("int", low=0),
    "vulnerable": ContractColumn("int", low=0),  # and at most registered (checked apart)
    "practice_start": ContractColumn("date"),
    "birth_year": ContractColumn("int"),
    "amp_target": ContractColumn("int", optional=True, low=0),
    "other_units": ContractColumn("float", low=0),
    "mode": ContractColumn("choice", choices=MODES),
    "previous_assiduity": ContractColumn("float", optional=True, low=0, high=1),
    "departing_on": ContractColumn("date", optional=True),
}
# The physicians' optional columns, beyond the contract's (a file may leave them out):
# ``gmf_id``, the physician's GMF for the run ("" for none; params.gmf_targets).
PHYSICIAN_EXTRA_COLUMNS: dict[str, ContractColumn] = {
    "gmf_id": ContractColumn("text", optional=True, may_be_absent=True),
}
# What the engine reads of a physicians' file or table.
PHYSICIAN_READ_COLUMNS = {**PHYSICIAN_COLUMNS, **PHYSICIAN_EXTRA_COLUMNS}
WAITLIST_COLUMNS: dict[str, ContractColumn] = {
    "patient_id": _TEXT,
    "rls_id": _TEXT,
    "latitude": _LATITUDE,
    "longitude": _LONGITUDE,
    "priority": ContractColumn("choice", choices=PRIORITIES),
    "vulnerable": ContractColumn("bool"),
    "requested_on": ContractColumn("date"),
    "category": ContractColumn("text", optional=True),
    "previous_physician_id": ContractColumn("text", optional=True),
}

# CSV cells: what the contract writes, and nothing arrow's casts would also take ("nan",
# "inf", " 1"). Integers keep to 18 digits so that they fit in int64.
_FLOAT = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_INT = r"^-?\d{1,18}$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"


def read_inputs(data_dir: Path) -> tuple[Physicians, Orphans]:
    """The physicians and the waiting list of ``data_dir``, checked.

    Args:
        data_dir: a folder with ``physicians.csv`` or ``physicians.parquet`` and
            ``waitlist.csv`` or ``waitlist.parquet``.

    Returns:
        The two tables as :class:`Physicians` and :class:`Orphans` (every waiting-list
        row; :func:`~panelcare.attribution.groups.select_orphans` says which are orphans),
        rows in file order.

    Raises:
        AttributionInputError: ``data_dir`` is not a folder, a table has no file or two,
            a file cannot be read, a column is missing, or a cell is wrong (the first
            problem in file order, naming file, row and column); the physicians are
            checked first.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise AttributionInputError(f"{data_dir} is not a folder")
    physicians = _read_physicians(
        ContractTable.open(_find(data_dir, "physicians"), PHYSICIAN_READ_COLUMNS)
    )
    waitlist = _read_waitlist(ContractTable.open(_find(data_dir, "waitlist"), WAITLIST_COLUMNS))
    return physicians, waitlist


def inputs_from_arrow(physicians: pa.Table, waitlist: pa.Table) -> tuple[Physicians, Orphans]:
    """The physicians and the waiting list held in memory, checked as :func:`read_inputs`
    checks the files (physicians first).

    Args:
        physicians: the contract's ``physicians`` columns (others are ignored), as text
            or with the contract's Arrow types (an imported version's canonical shape).
        waitlist: the contract's ``waitlist`` columns, likewise.

    Returns:
        The two tables as :class:`Physicians` and :class:`Orphans`, rows in table order.

    Raises:
        AttributionInputError: a column is missing or of the wrong type, or a cell is
            wrong (the first problem by row, then column, naming ``physicians`` or
            ``waitlist``, the row and the column).
    """
    return physicians_from_arrow(physicians), orphans_from_arrow(waitlist)


def physicians_from_arrow(table: pa.Table, *, name: str = "physicians") -> Physicians:
    """The physicians' roster ``table`` (in memory) as :class:`Physicians`, checked as
    :func:`read_inputs` checks ``physicians.csv``; ``name`` names it in the errors.

    Raises:
        AttributionInputError: as :func:`inputs_from_arrow`.
    """
    return _read_physicians(ContractTable.from_arrow(table, PHYSICIAN_READ_COLUMNS, name=name))


def orphans_from_arrow(table: pa.Table, *, name: str = "waitlist") -> Orphans:
    """The waiting list ``table`` (in memory) as :class:`Orphans` (every row; see
    :func:`~panelcare.attribution.groups.select_orphans`), checked as :func:`read_inputs`
    checks ``waitlist.csv``; ``name`` names it in the errors.

    Raises:
        AttributionInputError: as :func:`inputs_from_arrow`.
    """
    return _read_waitlist(ContractTable.from_arrow(table, WAITLIST_COLUMNS, name=name))


def _find(data_dir: Path, name: str) -> Path:
    present = [
        path for path in (data_dir / f"{name}.csv", data_dir / f"{name}.parquet") if path.is_file()
    ]
    if len(present) == 2:
        raise AttributionInputError(
            f"both {name}.csv and {name}.parquet are in {data_dir}; keep only one",
            file=f"{name}.csv",
        )
    if not present:
        raise AttributionInputError(
            f"the {name} table is required: no {name}.csv or {name}.parquet in {data_dir}"
        )
    return present[0]


def check_physicians(table: ContractTable) -> dict[str, Any]:
    """Check every cell of a physicians' roster and the rules between cells (vulnerable
    at most registered, one row per physician_id), recording the problems in ``table``.

    Returns:
        Each contract column's cells as :meth:`ContractTable.cells` gives them.
    """
    cells = {column: table.cells(column) for column in PHYSICIAN_COLUMNS}
    registered, vulnerable = cells["registered"], cells["vulnerable"]
    both = table.valid("registered") & table.valid("vulnerable")
    too_many = both & (vulnerable > registered)
    table.flag(
        "vulnerable",
        too_many,
        lambda row: (
            f"{int(vulnerable[row])} vulnerable patients but {int(registered[row])} "
            "registered: vulnerable must be at most registered"
        ),
        "vulnerable_above_registered",
        lambda row: {
            "vulnerable": str(int(vulnerable[row])),
            "registered": str(int(registered[row])),
        },
    )
    table.unique("physician_id")
    return cells


def check_waitlist(table: ContractTable) -> dict[str, Any]:
    """Check every cell of a waiting list and that no patient_id is there twice,
    recording the problems in ``table``.

    Returns:
        Each contract column's cells as :meth:`ContractTable.cells` gives them.
    """
    cells = {column: table.cells(column) for column in WAITLIST_COLUMNS}
    table.unique("patient_id")
    return cells


def _read_physicians(table: ContractTable) -> Physicians:
    cells = check_physicians(table)
    table.raise_first_problem()
    return Physicians(
        physician_id=table.strings("physician_id"),
        name=table.strings("name"),
        rls_id=table.strings("rls_id"),
        site_id=table.strings("site_id"),
        latitude=cells["latitude"],
        longitude=cells["longitude"],
        registered=cells["registered"].astype(np.int64),
        vulnerable=cells["vulnerable"].astype(np.int64),
        practice_start=cells["practice_start"],
        birth_year=cells["birth_year"].astype(np.int64),
        amp_target=np.where(table.valid("amp_target"), cells["amp_target"], -1).astype(np.int64),
        other_units=cells["other_units"],
        mode=_objects([*MODES, ""])[cells["mode"]],  # -1 (wrong): the last, ""
        previous_assiduity=cells["previous_assiduity"],  # nan when empty
        departing_on=cells["departing_on"],  # NaT when empty
        gmf_id=_optional_text(table, "gmf_id"),
    )


def _optional_text(table: ContractTable, column: str) -> npt.NDArray[np.object_]:
    """A text column the file may leave out: its cells (checked), or all ``""``."""
    if column not in table.columns or column not in table.table.column_names:
        return _objects([""] * table.n)
    return table.text(column)


def _read_waitlist(table: ContractTable) -> Orphans:
    cells = check_waitlist(table)
    table.raise_first_problem()
    return Orphans(
        patient_id=table.strings("patient_id"),
        rls_id=table.strings("rls_id"),
        latitude=cells["latitude"],
        longitude=cells["longitude"],
        priority=cells["priority"].astype(np.int8),
        vulnerable=cells["vulnerable"],
        requested_on=cells["requested_on"],
        category=table.strings("category"),
        previous_physician_id=table.strings("previous_physician_id"),
    )


class ContractTable:
    """One file of the contract, read, with the problems found so far.

    Each accessor converts a column to the model's dtype and records its wrong cells
    (:meth:`flag`); :meth:`problems` lists the earliest in file order and
    :meth:`raise_first_problem` raises the first. Checking a whole column before the next
    costs nothing more than stopping early would: every check is one vectorised expression.

    ``name`` is the file's name in the messages (the uploaded file's, when ``path`` is a
    staged copy); ``lines`` the line (CSV) or sheet row (XLSX) of each data row when it is
    not simply ``row + 1``. ``path`` is ``None`` for a table held in memory
    (:meth:`from_arrow`), which has no lines.
    """

    def __init__(
        self,
        path: Path | None,
        columns: dict[str, ContractColumn],
        table: pa.Table,
        *,
        name: str | None = None,
        lines: npt.NDArray[np.int64] | None = None,
        dialect: CsvDialect | None = None,
        row_numbers: npt.NDArray[np.int64] | None = None,
    ) -> None:
        self.path = path
        self.dialect = dialect
        # Whether a float column held a decimal comma (only read so when the dialect
        # allows it).
        self.decimal_commas = False
        self.columns = columns
        self.table = table
        self.n = table.num_rows
        self.name = name or (path.name if path is not None else "table")
        self.lines = lines
        # The file's row (0-based) of each of this table's rows, when it holds only some
        # of the file's (a batch of a file read in batches, or the rows of a few keys).
        self.row_numbers = row_numbers
        # Keys checked elsewhere: ``unique_rows`` then only records the key's columns
        # (a file read in batches finds its duplicates across the whole file).
        self.defer_keys = False
        self.deferred_keys: list[str] | None = None
        # Only the duplicates are recorded (the rows of a few keys, for their messages).
        self.keys_only = False
        # Position of each column in the file, to break ties between cells of one row.
        self.position = {name: i for i, name in enumerate(table.column_names)}
        self._valid: dict[str, Bools] = {}
        self._encoded: dict[str, pa.DictionaryArray] = {}
        self._text: dict[str, pa.Array] = {}
        # Every check that found something: column, wrong rows, message of a row.
        # And the problem's code, and its parameters for a row (InputError.code, params).
        self._flags: list[tuple[str, Bools, Callable[[int], str], str | None, Params | None]] = []
        # Called with each column's name once its cells are checked (progress reports).
        self.on_checked: Callable[[str], None] | None = None

    @property
    def file(self) -> str:
        return self.name

    @property
    def is_csv(self) -> bool:
        return self.path is not None and self.path.suffix.lower() == ".csv"

    @property
    def reading(self) -> Reading:
        """How the file was read (after the checks, which find the decimal commas)."""
        return reading_of(self.path, self.dialect, self.decimal_commas)

    @classmethod
    def from_arrow(
        cls, table: pa.Table, columns: dict[str, ContractColumn], *, name: str
    ) -> ContractTable:
        """The contract's ``columns`` of ``table``, held in memory (no file), named
        ``name`` in the messages; its cells are checked as a Parquet file's would be.

        Raises:
            AttributionInputError: a contract column is missing.
        """
        _check_header(table.column_names, columns, name, "table")
        wanted = [column for column in table.column_names if column in columns]
        return cls(None, columns, table.select(wanted), name=name)

    @classmethod
    def open(
        cls,
        path: Path,
        columns: dict[str, ContractColumn],
        *,
        name: str | None = None,
        xlsx_limits: XlsxLimits | None = None,
    ) -> ContractTable:
        """Read the contract's ``columns`` of ``path``: CSV (every cell as text), Parquet, or
        XLSX (the first sheet, header in row 1, every cell as the text a CSV would hold).

        A CSV file may be UTF-8 (with or without a byte-order mark) or Windows-1252, and
        separated by commas, semicolons or tabs (:func:`~panelcare.csvfiles.sniff_csv`);
        when it is not separated by commas, its float columns may hold decimal commas.
        Spaces around a header's names are ignored. A spreadsheet over ``xlsx_limits``
        (default :class:`XlsxLimits`) is refused before it is parsed.

        Raises:
            AttributionInputError: the file cannot be read, its header is wrong, a
                contract column is missing, or a spreadsheet is over its limits.
        """
        return ContractFile(path, columns, name=name, xlsx_limits=xlsx_limits).read()

    # ----------------------------------------------------------------------- problems

    def line(self, row: int) -> int | None:
        """The line of CSV data row ``row`` (1-based, of this table), or its row in the
        sheet; None for Parquet."""
        if self.lines is not None:
            return int(self.lines[row - 1])
        return self.file_row(row) + 1 if self.is_csv else None

    def file_row(self, row: int) -> int:
        """The file's data row (1-based) of this table's row ``row`` (1-based)."""
        if self.row_numbers is None:
            return row
        return int(self.row_numbers[row - 1]) + 1

    def error(
        self,
        message: str,
        row: int | None = None,
        column: str | None = None,
        *,
        code: str | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        line = self.line(row) if row is not None else None
        return AttributionInputError(
            message,
            file=self.file,
            row=self.file_row(row) if row is not None else None,
            column=column,
            line=line,
            code=code,
            params=params,
        )

    def flag(
        self,
        column: str,
        bad: Bools,
        message: Callable[[int], str],
        code: str | None = None,
        params: Params | None = None,
    ) -> None:
        """Record the rows of ``bad`` (0-based) as problems in ``column``; ``message``
        says what is wrong with one of them (in English), ``code`` and ``params`` name it
        for a translation (:class:`~panelcare.errors.InputError`). A cell flagged twice
        keeps its first problem."""
        if bad.any() and not self.keys_only:
            self._flags.append((column, bad, message, code, params))

    def problems(self, limit: int | None = None) -> list[AttributionInputError]:
        """The problems found so far, earliest first in file order (by row, then by the
        column's place in the file), one per cell, at most ``limit``."""
        candidates: list[tuple[int, int, int]] = []
        for order, (column, bad, *_) in enumerate(self._flags):
            rows = np.flatnonzero(bad)
            if limit is not None:
                rows = rows[:limit]
            candidates.extend((int(row), self.position[column], order) for row in rows)
        candidates.sort()
        found: list[AttributionInputError] = []
        seen: set[tuple[int, int]] = set()
        for row, position, order in candidates:
            if (row, position) in seen:
                continue
            seen.add((row, position))
            column, _, message, code, params = self._flags[order]
            found.append(
                self.error(
                    message(row),
                    row=row + 1,
                    column=column,
                    code=code,
                    params=params(row) if params is not None else None,
                )
            )
            if limit is not None and len(found) == limit:
                break
        return found

    def count_problems(self) -> int:
        """How many cells have a problem (however many :meth:`problems` lists)."""
        by_column: dict[str, Bools] = {}
        for column, bad, *_ in self._flags:
            by_column[column] = by_column[column] | bad if column in by_column else bad
        return int(sum(int(bad.sum()) for bad in by_column.values()))

    def raise_first_problem(self) -> None:
        found = self.problems(1)
        if found:
            raise found[0]

    def valid(self, column: str) -> Bools:
        """Rows whose cell in ``column`` holds a correct value (not empty, not wrong)."""
        return self._valid[column]

    def _check(self, column: str, empty: Bools, wrong: Bools) -> None:
        spec = self.columns[column]
        raw = self.table.column(column)
        expected = spec.expectation()
        if not spec.optional:
            self.flag(
                column,
                empty,
                lambda _: f"empty cell: expected {spec.expected()}",
                "empty_cell",
                lambda _: expected,
            )

        def got(row: int) -> str:
            return f"expected {spec.expected()}, got {_show(raw[row].as_py())}"

        def got_params(row: int) -> dict[str, str]:
            return {**expected, "value": str(raw[row].as_py())}

        self.flag(column, wrong, got, "wrong_value", got_params)
        self._valid[column] = ~empty & ~wrong
        if self.on_checked is not None:
            self.on_checked(column)

    def _type_error(self, column: str, kinds: str) -> AttributionInputError:
        arrow_type = self.table.column(column).type
        return self.error(
            f"a column of type {arrow_type}: expected {kinds} ({self.columns[column].expected()})",
            column=column,
            code="wrong_column_type",
            params={**self.columns[column].expectation(), "type": str(arrow_type)},
        )

    # ----------------------------------------------------------------------- columns

    def cells(self, column: str) -> Any:
        """``column`` checked and converted by its contract kind: text as
        :meth:`text_cells`, numbers as :meth:`number`, dates as :meth:`date`, booleans as
        :meth:`boolean`, choices as :meth:`choice`."""
        kind = self.columns[column].kind
        if kind == "text":
            return self.text_cells(column)
        if kind in ("float", "int"):
            return self.number(column)
        if kind == "date":
            return self.date(column)
        if kind == "bool":
            return self.boolean(column)
        return self.choice(column)

    def text_cells(self, column: str) -> pa.Array:
        """A string array without nulls (``""`` for an empty cell)."""
        values = _as_text(self.table.column(column))
        if values is None:
            # A number has already lost an id's leading zeros: text only.
            raise self._type_error(column, "text")
        filled = pc.fill_null(values, "")
        empty = _numpy_bool(pc.equal(filled, ""))
        self._check(column, empty, np.zeros(self.n, dtype=bool))
        self._encoded[column] = pc.dictionary_encode(filled)
        self._text[column] = filled
        return filled

    def strings(self, column: str) -> npt.NDArray[np.object_]:
        """The cells of a text column (after :meth:`text_cells`) as an object array of
        ``str``."""
        return _strings(self._text[column], self._encoded[column])

    def text(self, column: str) -> npt.NDArray[np.object_]:
        """An object array of ``str`` (``""`` for an empty cell)."""
        self.text_cells(column)
        return self.strings(column)

    def codes(self, column: str) -> npt.NDArray[np.int64]:
        """One whole number per distinct cell of a text column (after :meth:`text_cells`)."""
        return _numpy_int(self._encoded[column].indices)

    def number(self, column: str) -> npt.NDArray[np.float64]:
        """A float array, ``nan`` where the cell is empty or wrong; an ``int`` column is
        checked to hold whole numbers (the caller casts it)."""
        spec = self.columns[column]
        raw = self.table.column(column)
        text = _as_text(raw)
        if text is not None:
            empty = _numpy_bool(pc.equal(pc.fill_null(text, ""), ""))
            if spec.kind == "float" and self.dialect is not None:
                text = self._decimal_points(text)
            pattern = _INT if spec.kind == "int" else _FLOAT
            wrong = ~empty & ~_numpy_bool(pc.match_substring_regex(text, pattern))
            # Only the matching cells are cast: arrow would fail on the others.
            cells = pc.if_else(pa.array(~wrong & ~empty), text, pa.scalar(None, pa.string()))
            values = _numpy_float(pc.cast(cells, pa.float64()))
        elif pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type):
            values = _numpy_float(pc.cast(raw, pa.float64()))
            empty = np.isnan(values) if pa.types.is_floating(raw.type) else np.zeros(self.n, bool)
            empty |= _numpy_bool(pc.is_null(raw))
            wrong = ~empty & ~np.isfinite(values)
            if spec.kind == "int":
                # pandas writes an integer column with empty cells as floats: whole ones pass.
                wrong |= ~empty & np.isfinite(values) & (values != np.floor(values))
        else:
            raise self._type_error(column, "numbers or text")
        with np.errstate(invalid="ignore"):
            if spec.low is not None:
                wrong |= ~empty & (values < spec.low)
            if spec.high is not None:
                wrong |= ~empty & (values > spec.high)
            if spec.kind == "int":
                wrong |= ~empty & (np.abs(values) > 2**53)  # beyond exact floats
        self._check(column, empty, wrong)
        return np.where(self._valid[column], values, np.nan)

    def _decimal_points(self, text: pa.Array) -> pa.Array:
        """``text`` with a decimal comma read as a point (``45,123`` is 45.123), when the
        file's delimiter is not a comma; a message still shows the cell as written."""
        if self.dialect is None or not self.dialect.allows_decimal_comma:
            return text
        commas = pc.match_substring(text, ",")
        if not pc.any(commas).as_py():
            return text
        self.decimal_commas = True
        return pc.replace_substring(text, ",", ".", max_replacements=1)

    def date(self, column: str) -> npt.NDArray[np.datetime64]:
        """A ``datetime64[D]`` array, ``NaT`` where the cell is empty or wrong."""
        raw = self.table.column(column)
        text = _as_text(raw)
        if text is not None:
            filled = pc.fill_null(text, "")
            empty = _numpy_bool(pc.equal(filled, ""))
            shaped = _numpy_bool(pc.match_substring_regex(filled, _DATE))
            # yyyy-mm-dd by position, then the calendar: 2025-02-30 is refused (a parser
            # that normalises it to 2 March would not).
            digits = pc.if_else(pa.array(shaped), filled, "0000-00-00")
            year = _numpy_int(pc.utf8_slice_codeunits(digits, 0, 4))
            month = _numpy_int(pc.utf8_slice_codeunits(digits, 5, 7))
            day = _numpy_int(pc.utf8_slice_codeunits(digits, 8, 10))
            in_month = shaped & (month >= 1) & (month <= 12) & (day >= 1)
            first = np.where(in_month, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
            values = first.astype("datetime64[D]") + np.where(in_month, day - 1, 0)
            in_month &= values.astype("datetime64[M]") == first
            wrong = ~empty & ~in_month
        elif pa.types.is_date(raw.type) or pa.types.is_timestamp(raw.type):
            # A timestamp (pandas' datetime64) counts for its day.
            values = _numpy_dates(pc.cast(raw, pa.date32(), safe=False))
            empty = np.isnat(values)
            wrong = np.zeros(self.n, dtype=bool)
        else:
            raise self._type_error(column, "dates or text")
        self._check(column, empty, wrong)
        return np.where(self._valid[column], values, np.datetime64("NaT", "D"))

    def boolean(self, column: str) -> Bools:
        """A bool array (False where the cell is empty or wrong)."""
        raw = self.table.column(column)
        text = _as_text(raw)
        if text is not None:
            filled = pc.fill_null(text, "")
            empty = _numpy_bool(pc.equal(filled, ""))
            values = _numpy_bool(pc.equal(filled, "true"))
            wrong = ~empty & ~values & ~_numpy_bool(pc.equal(filled, "false"))
        elif pa.types.is_boolean(raw.type):
            empty = _numpy_bool(pc.is_null(raw))
            values = _numpy_bool(raw)
            wrong = np.zeros(self.n, dtype=bool)
        else:
            raise self._type_error(column, "booleans or text")
        self._check(column, empty, wrong)
        return values & self._valid[column]

    def choice(self, column: str) -> npt.NDArray[np.int64]:
        """The index of each cell's word among the column's choices, -1 where the cell is
        empty or wrong."""
        spec = self.columns[column]
        text = _as_text(self.table.column(column))
        if text is None:
            raise self._type_error(column, "text")
        filled = pc.fill_null(text, "")
        empty = _numpy_bool(pc.equal(filled, ""))
        index = pc.index_in(filled, value_set=pa.array(spec.choices))
        wrong = ~empty & _numpy_bool(pc.is_null(index))
        self._check(column, empty, wrong)
        return _numpy_int(pc.fill_null(index, -1))

    def unique(self, column: str) -> None:
        """Flag every row repeating an earlier row's value in text ``column`` (after
        :meth:`text_cells`; empty cells aside), naming the earlier row."""
        if not self.defer_keys and len(self._encoded[column].dictionary) == self.n:
            return
        values = self._text[column]
        self.unique_rows(
            [column],
            [self.codes(column)],
            lambda row: f"duplicate {column} {values[row].as_py()}",
            lambda row: str(values[row].as_py()),
        )

    def unique_rows(
        self,
        columns: list[str],
        codes: list[npt.NDArray[np.int64]],
        describe: Callable[[int], str],
        value: Callable[[int], str] | None = None,
    ) -> None:
        """Flag every row whose cells in ``columns`` together repeat an earlier row's (rows
        with a wrong or empty cell among them aside), in the first of ``columns``.

        Args:
            columns: the key's columns, already checked.
            codes: for each column, one whole number per row, equal for equal cells (a
                text column's :meth:`codes`, a date column's days).
            describe: the start of a row's message ("duplicate patient_id 0001").
            value: the key's cells of a row as one text ("0001", "0001 / D001 /
                2025-01-01"), for the problem's ``duplicate_key`` code; without it the
                problem has no code.
        """
        if self.defer_keys:
            self.deferred_keys = list(columns)
            return
        if self.n == 0:
            return
        _, key = np.unique(codes[0], return_inverse=True)
        for more in codes[1:]:
            _, more_key = np.unique(more, return_inverse=True)
            # Both below n: the product fits in int64 for any file that fits in memory.
            _, key = np.unique(key * (int(more_key.max()) + 1) + more_key, return_inverse=True)
        _, first_row = np.unique(key, return_index=True)  # keys are 0..k-1, sorted
        earlier = first_row[key]
        valid = np.logical_and.reduce([self._valid[column] for column in columns])
        repeated = (earlier != np.arange(self.n)) & valid

        def message(row: int) -> str:
            return f"{describe(row)}: also on row {self.file_row(int(earlier[row]) + 1)}"

        def params(row: int) -> dict[str, str]:
            assert value is not None
            first = self.file_row(int(earlier[row]) + 1)
            return {"key": ", ".join(columns), "value": value(row), "row": str(first)}

        code = "duplicate_key" if value is not None else None
        if repeated.any():  # recorded even when only the duplicates are (keys_only)
            self._flags.append(
                (columns[0], repeated, message, code, params if value is not None else None)
            )


class EncodingChanged(Exception):
    """A CSV file taken for UTF-8 from an ASCII start holds Windows-1252 further down:
    read it again from the start (:attr:`ContractFile.dialect` now says Windows-1252)."""


class ContractFile:
    """One file of the contract, opened to be read whole (:meth:`read`) or in batches of
    rows (:meth:`batches`), so that a big CSV or Parquet file is checked without being
    held in memory. Opening it reads its header (a spreadsheet: all of it, within
    ``xlsx_limits``) and checks that every contract column is there.

    Raises:
        AttributionInputError: the file cannot be read, its header is wrong, a contract
            column is missing, or a spreadsheet is over its limits.
    """

    def __init__(
        self,
        path: Path,
        columns: dict[str, ContractColumn],
        *,
        name: str | None = None,
        xlsx_limits: XlsxLimits | None = None,
    ) -> None:
        self.path = Path(path)
        self.columns = columns
        self.name = name or self.path.name
        self.suffix = self.path.suffix.lower()
        self.dialect: CsvDialect | None = None
        self._sheet: tuple[dict[str, list[str]], npt.NDArray[np.int64]] | None = None
        if self.suffix == ".csv":
            try:
                self.dialect = sniff_csv(self.path, AttributionInputError)
            except AttributionInputError as error:
                raise _renamed(error, self.name) from None
            names = self.dialect.header
        elif self.suffix == ".xlsx":
            names, cells, lines = _read_xlsx(self.path, self.name, xlsx_limits or XlsxLimits())
            self._sheet = (cells, lines)
        else:
            names = self._parquet().schema_arrow.names
        _check_header(names, columns, self.name, "file")
        self.wanted = [column for column in names if column in columns]  # file order

    @property
    def lines(self) -> npt.NDArray[np.int64] | None:
        """The sheet row of each data row of a spreadsheet; None for other files."""
        return self._sheet[1] if self._sheet is not None else None

    @property
    def rows(self) -> int | None:
        """How many data rows the file holds, when known before reading it (Parquet,
        XLSX); None for CSV."""
        if self._sheet is not None:
            return len(self._sheet[1])
        if self.suffix == ".csv":
            return None
        return int(self._parquet().metadata.num_rows)

    def table(
        self,
        batch: pa.Table,
        *,
        first_row: int = 0,
        lines: npt.NDArray[np.int64] | None = None,
    ) -> ContractTable:
        """The rows ``batch`` of the file (its ``first_row``, 0-based, onwards) to check."""
        numbers = None
        if first_row:
            numbers = np.arange(first_row, first_row + batch.num_rows, dtype=np.int64)
        return ContractTable(
            self.path,
            self.columns,
            batch,
            name=self.name,
            lines=lines,
            dialect=self.dialect,
            row_numbers=numbers,
        )

    def read(self) -> ContractTable:
        """The whole file."""
        lines = None
        if self.suffix == ".csv":
            assert self.dialect is not None
            table, self.dialect = _read_csv(self.path, self.wanted, self.dialect, self.name)
        elif self._sheet is not None:
            cells, lines = self._sheet
            table = pa.table(
                {column: pa.array(cells[column], pa.string()) for column in self.wanted}
            )
        else:
            try:
                # ParquetFile rather than read_table, which imports pyarrow.dataset and
                # pandas: a third of a second.
                table = self._parquet().read(columns=self.wanted)
            except (OSError, pa.ArrowException) as error:
                raise self._parquet_error(error) from None
        return self.table(table, lines=lines)

    def batches(self, rows: int) -> Iterator[tuple[pa.Table, npt.NDArray[np.int64] | None, float]]:
        """The file's rows in batches of at most ``rows``, in file order, each with its
        sheet rows (XLSX; else None) and how much of the file is read (0 to 1).

        Raises:
            EncodingChanged: a CSV file taken for UTF-8 is Windows-1252 (start again).
            AttributionInputError: a row has more or fewer cells than the header, or the
                file cannot be read further.
        """
        if self._sheet is not None:
            cells, lines = self._sheet
            table = pa.table(
                {column: pa.array(cells[column], pa.string()) for column in self.wanted}
            )
            for start in range(0, max(table.num_rows, 1), rows):
                end = min(start + rows, table.num_rows)
                yield table.slice(start, end - start), lines[start:end], end / max(len(lines), 1)
            return
        csv = self.suffix == ".csv"
        chunks = self._csv_chunks(rows) if csv else self._parquet_chunks(rows)
        empty = True
        for chunk, done in chunks:
            for start in range(0, chunk.num_rows, rows):
                empty = False
                yield pa.Table.from_batches([chunk.slice(start, rows)]), None, done
        if empty:  # a file without rows is checked too (a Parquet column's type)
            if csv:
                nothing = pa.table({column: pa.array([], pa.string()) for column in self.wanted})
            else:
                nothing = self._parquet().schema_arrow.empty_table().select(self.wanted)
            yield nothing, None, 1.0

    def _csv_chunks(self, rows: int) -> Iterator[tuple[pa.RecordBatch, float]]:
        dialect = self.dialect
        assert dialect is not None
        size = max(self.path.stat().st_size, 1)
        # Blocks of about ``rows`` rows (arrow reads a CSV by blocks of bytes), within a
        # few megabytes: a block is transcoded, parsed and held as text at once.
        block = min(max(rows * 256, 1 << 16), 1 << 24)
        names = [column or f" {i}" for i, column in enumerate(dialect.header)]
        try:
            with self.path.open("rb") as handle:
                # As _arrow_csv: every cell as text, as written; Windows-1252 transcoded
                # as arrow streams the file.
                reader = pacsv.open_csv(
                    handle,
                    read_options=pacsv.ReadOptions(
                        column_names=names,
                        skip_rows=1,
                        encoding="cp1252" if dialect.encoding == "cp1252" else "utf8",
                        block_size=block,
                    ),
                    parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter, quote_char='"'),
                    convert_options=pacsv.ConvertOptions(
                        column_types=dict.fromkeys(self.wanted, pa.string()),
                        include_columns=self.wanted,
                        strings_can_be_null=False,
                    ),
                )
                for chunk in reader:
                    yield chunk, min(handle.tell() / size, 1.0)
        except (OSError, pa.ArrowException) as error:
            if (
                isinstance(error, pa.ArrowInvalid)
                and "UTF8" in str(error)
                and dialect.ascii_head
                and dialect.encoding != "cp1252"
            ):
                self.dialect = replace(dialect, encoding="cp1252")
                raise EncodingChanged() from None
            width = len(dialect.header)
            row = _first_ragged_row(self.path, width, dialect)
            if row is not None:
                raise AttributionInputError(
                    f"cannot read this CSV file: the row has {row[1]} cells, the header {width}",
                    file=self.name,
                    row=row[0],
                    line=row[0] + 1,
                    code="uneven_row",
                    params={"cells": str(row[1]), "width": str(width)},
                ) from None
            raise AttributionInputError(
                f"cannot read this CSV file: {error}",
                file=self.name,
                code="file_unreadable",
                params={"format": "csv"},
            ) from None

    def _parquet_chunks(self, rows: int) -> Iterator[tuple[pa.RecordBatch, float]]:
        parquet = self._parquet()
        total = max(parquet.metadata.num_rows, 1)
        done = 0
        try:
            for chunk in parquet.iter_batches(batch_size=rows, columns=self.wanted):
                done += chunk.num_rows
                yield chunk, done / total
        except (OSError, pa.ArrowException) as error:
            raise self._parquet_error(error) from None

    def _parquet(self) -> pq.ParquetFile:
        try:
            return pq.ParquetFile(self.path)
        except (OSError, pa.ArrowException) as error:
            raise self._parquet_error(error) from None

    def _parquet_error(self, error: Exception) -> AttributionInputError:
        return AttributionInputError(
            f"cannot read this Parquet file: {error}",
            file=self.name,
            code="file_unreadable",
            params={"format": "parquet"},
        )


def reading_of(path: Path | None, dialect: CsvDialect | None, decimal_commas: bool) -> Reading:
    """How the file ``path`` was read (None: a table held in memory): by its dialect for
    a CSV file, with decimal commas or not."""
    if path is None:
        return Reading("table")
    suffix = path.suffix.lower()
    if suffix != ".csv" or dialect is None:
        return Reading("xlsx" if suffix == ".xlsx" else "parquet")
    return Reading(
        "csv",
        "Windows-1252" if dialect.encoding == "cp1252" else "UTF-8",
        dialect.delimiter,
        "," if decimal_commas else ".",
    )


# --------------------------------------------------------------------------- helpers


def _check_header(
    names: list[str], columns: dict[str, ContractColumn], name: str, what: str
) -> None:
    """Raise :class:`AttributionInputError` for the first contract column not in
    ``names`` (the header of the file or table ``name``; ``what``: "file" or "table")."""
    required = [column for column, spec in columns.items() if not spec.may_be_absent]
    missing = [column for column in required if column not in names]
    if missing:
        raise AttributionInputError(
            f"the {what} has no column {missing[0]} (its columns: {', '.join(names)}); "
            f"the contract's columns are {', '.join(required)}",
            file=name,
            column=missing[0],
            code="missing_column",
            params={"column": missing[0], "columns": ", ".join(required)},
        )


def _renamed(error: AttributionInputError, name: str) -> AttributionInputError:
    """``error`` naming the file ``name``."""
    return AttributionInputError(
        error.message,
        file=name,
        row=error.row,
        column=error.column,
        line=error.line,
        code=error.code,
        params=error.params,
    )


def _read_csv(
    path: Path, columns: list[str], dialect: CsvDialect, name: str
) -> tuple[pa.Table, CsvDialect]:
    """The ``columns`` of the CSV file ``path``, every cell as text, and its dialect (a
    file taken for UTF-8 from an ASCII start is read again as Windows-1252 when an
    accent further down says so)."""
    width = len(dialect.header)
    try:
        try:
            return _arrow_csv(path, columns, dialect), dialect
        except pa.ArrowInvalid as error:
            if not (dialect.ascii_head and "UTF8" in str(error)):
                raise
        dialect = replace(dialect, encoding="cp1252")
        return _arrow_csv(path, columns, dialect), dialect
    except (OSError, pa.ArrowException) as error:
        row = _first_ragged_row(path, width, dialect)
        if row is not None:
            raise AttributionInputError(
                f"cannot read this CSV file: the row has {row[1]} cells, the header {width}",
                file=name,
                row=row[0],
                line=row[0] + 1,
                code="uneven_row",
                params={"cells": str(row[1]), "width": str(width)},
            ) from None
        raise AttributionInputError(
            f"cannot read this CSV file: {error}",
            file=name,
            code="file_unreadable",
            params={"format": "csv"},
        ) from None


def _arrow_csv(path: Path, columns: list[str], dialect: CsvDialect) -> pa.Table:
    # Every column as text, empty cells as "" (strings_can_be_null=False): the checks see
    # the cells as written. Double quotes; the header is the sniffed one (names without
    # their spaces; a blank name made unique, with a space no stripped name has), so
    # arrow skips the file's. UTF-8 is read
    # as it is, at full speed; Windows-1252 is transcoded as arrow streams the file.
    names = [column or f" {i}" for i, column in enumerate(dialect.header)]
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=names,
            skip_rows=1,
            encoding="cp1252" if dialect.encoding == "cp1252" else "utf8",
        ),
        parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter, quote_char='"'),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()),
            include_columns=columns,
            strings_can_be_null=False,
        ),
    )


def _first_ragged_row(path: Path, width: int, dialect: CsvDialect) -> tuple[int, int] | None:
    """The first data row (1-based) whose number of cells is not ``width``, and that
    number. Only called when arrow refused the file, to say where."""
    try:
        with path.open(newline="", encoding=dialect.encoding) as handle:
            reader = csv.reader(handle, delimiter=dialect.delimiter)
            next(reader, None)
            for row, cells in enumerate(reader, start=1):
                if len(cells) != width:
                    return row, len(cells)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


def _read_xlsx(
    path: Path, name: str, limits: XlsxLimits
) -> tuple[list[str], dict[str, list[str]], npt.NDArray[np.int64]]:
    """The header, the cells (as text, by column) and the sheet row of each data row of
    the first sheet of the spreadsheet ``path``.

    A cell is the text a CSV file would hold (:func:`_xlsx_text`). Rows with no value are
    skipped (as empty lines of a CSV file are), cells right of the header ignored. A
    spreadsheet over ``limits`` is refused: by its zip members' declared sizes and its
    sheet's declared dimension before anything is parsed, and by its rows as they come
    (a sheet need not declare its dimension).
    """
    import openpyxl  # only for spreadsheets: a quarter of a second to import
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_size(path, name, limits)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, InvalidFileException) as error:
        raise AttributionInputError(
            f"cannot read this spreadsheet: {error or type(error).__name__}",
            file=name,
            code="file_unreadable",
            params={"format": "xlsx"},
        ) from None
    try:
        sheet = workbook.worksheets[0]
        # The <dimension> element at the sheet's start, when the writer declared one.
        declared = sheet.max_row if sheet.max_row is not None else 0
        if declared - 1 > limits.max_rows:  # the header is row 1
            raise _too_many_rows(name, limits)
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        header = [_xlsx_text(value) for value in first or ()]
        while header and header[-1] == "":
            header.pop()
        if not header:
            raise AttributionInputError(
                "the file is empty: expected a header row with the column names",
                file=name,
                code="empty_file",
            )
        named = [column for column in header if column]
        duplicates = sorted({column for column in named if named.count(column) > 1})
        if duplicates:
            raise AttributionInputError(
                f"the header names column {duplicates[0]} twice",
                file=name,
                line=1,
                code="duplicate_column",
                params={"column": duplicates[0]},
            )
        width = len(header)
        cells: list[list[str]] = [[] for _ in header]
        lines: list[int] = []
        for line, values in enumerate(rows, start=2):
            if line - 1 > limits.max_rows:
                raise _too_many_rows(name, limits)
            texts = [_xlsx_text(value) for value in values[:width]]
            if not any(texts):
                continue
            texts.extend([""] * (width - len(texts)))
            for column, text in zip(cells, texts, strict=True):
                column.append(text)
            lines.append(line)
    finally:
        workbook.close()
    by_name = {column: cells[i] for i, column in enumerate(header) if column}
    return header, by_name, np.asarray(lines, dtype=np.int64)


def _check_xlsx_size(path: Path, name: str, limits: XlsxLimits) -> None:
    """Refuse a spreadsheet whose zip members would expand beyond ``limits.max_bytes``
    (their declared sizes: the zip's directory, read without inflating anything)."""
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(member.file_size for member in archive.infolist())
    except (OSError, zipfile.BadZipFile) as error:
        raise AttributionInputError(
            f"cannot read this spreadsheet: {error or type(error).__name__}",
            file=name,
            code="file_unreadable",
            params={"format": "xlsx"},
        ) from None
    if size > limits.max_bytes:
        mib, limit = size / 2**20, limits.max_bytes / 2**20
        raise AttributionInputError(
            f"this spreadsheet expands to {mib:,.0f} MiB, over the limit of {limit:,.0f} MiB: "
            "save the table as CSV or Parquet, or split it",
            file=name,
            code="xlsx_too_big",
            params={"size": f"{mib:.0f}", "limit": f"{limit:.0f}"},
        )


def _too_many_rows(name: str, limits: XlsxLimits) -> AttributionInputError:
    return AttributionInputError(
        f"this spreadsheet holds more than {limits.max_rows:,} rows, the limit: "
        "save the table as CSV or Parquet, or split it",
        file=name,
        code="xlsx_too_many_rows",
        params={"limit": str(limits.max_rows)},
    )


def _xlsx_text(value: Any) -> str:
    """A spreadsheet cell as a CSV file would write it: a date (or a date and time, as
    Excel keeps dates) as yyyy-mm-dd, a boolean as true or false, a whole number without
    decimals (Excel keeps every number as a float), nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def _as_text(column: pa.ChunkedArray) -> pa.Array | None:
    """``column`` as one string array, or ``None`` when it does not hold text."""
    kind = column.type
    if pa.types.is_dictionary(kind) and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    ):
        return pc.cast(column, pa.string()).combine_chunks()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pc.cast(column, pa.string()).combine_chunks()
    return None


def _strings(values: pa.Array, encoded: pa.DictionaryArray) -> npt.NDArray[np.object_]:
    """A string array without nulls (and its dictionary encoding) as an object array of
    ``str``.

    A column with few distinct values (rls_id, category) shares one ``str`` object per
    value: a million cells then cost a million pointers, not a million strings.
    """
    if len(encoded.dictionary) * 2 > len(values):
        return _objects(values.to_pylist())
    return _objects(encoded.dictionary.to_pylist())[_numpy_int(encoded.indices)]


def _objects(words: list[str]) -> npt.NDArray[np.object_]:
    array = np.empty(len(words), dtype=object)
    array[:] = words
    return array


def _numpy(values: Any) -> npt.NDArray[Any]:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return np.asarray(values.to_numpy(zero_copy_only=False))


def _numpy_bool(values: Any) -> Bools:
    """A boolean arrow array as numpy, null as False."""
    return _numpy(pc.fill_null(values, False)).astype(bool, copy=False)


def _numpy_int(values: Any) -> npt.NDArray[np.int64]:
    """A null-free arrow array of whole numbers (or of digits) as int64."""
    return _numpy(pc.cast(values, pa.int64())).astype(np.int64, copy=False)


def _numpy_float(values: Any) -> npt.NDArray[np.float64]:
    """A number arrow array as float64, null as ``nan``."""
    return _numpy(pc.fill_null(pc.cast(values, pa.float64()), np.nan)).astype(float, copy=False)


def _numpy_dates(values: Any) -> npt.NDArray[np.datetime64]:
    """A date32 arrow array as ``datetime64[D]``, null as ``NaT``."""
    return _numpy(values).astype("datetime64[D]", copy=False)


def _show(value: Any) -> str:
    """A cell as the message shows it: text quoted, numbers and dates as written."""
    if isinstance(value, str):
        return repr(value) if value else "an empty cell"
    return str(value)
