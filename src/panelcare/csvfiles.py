"""What both engines need of a data-contract CSV file before reading it: its header and,
for the files people save from a spreadsheet, how it is written.

French Excel saves "CSV (separator: semicolon)" in Windows-1252 with semicolons and
decimal commas; "CSV UTF-8" adds a byte-order mark. :func:`sniff_csv` finds the encoding
(UTF-8, with or without a byte-order mark, else Windows-1252) and the delimiter (comma,
semicolon or tab) from the first 64 KiB, without reading the rest of the file:

    dialect = sniff_csv(Path("gamf.csv"))   # CsvDialect(encoding="cp1252", delimiter=";", ...)
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

from panelcare.errors import InputError

__all__ = ["DELIMITERS", "CsvDialect", "csv_header", "sniff_csv"]

# The delimiters a spreadsheet writes: comma (the contract's), semicolon (French Excel),
# tab (Excel's "text" files).
DELIMITERS = (",", ";", "\t")
# Enough to hold the header and the first rows of any file of the contract.
_HEAD_BYTES = 64 * 1024

UNREADABLE = (
    "cannot read this file as a table: it is not a CSV text file. Save it from the "
    "spreadsheet as CSV (UTF-8 or Windows-1252, separated by commas, semicolons or tabs), "
    "XLSX or Parquet, and import it again"
)


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written.

    ``encoding`` is the Python codec (``utf-8`` or ``cp1252``; ``utf-8-sig`` when the file
    starts with a byte-order mark), ``delimiter`` one of :data:`DELIMITERS`, ``header``
    the column names as written (spaces around a name removed), and ``ascii_head`` whether
    the first 64 KiB held only ASCII (the encoding was then a guess: UTF-8).
    """

    encoding: str
    delimiter: str
    header: list[str]
    ascii_head: bool = False

    @property
    def allows_decimal_comma(self) -> bool:
        """A decimal comma (``45,123``) can be told from a delimiter: not in a
        comma-separated file, where ``1,5`` is two cells."""
        return self.delimiter != ","


def sniff_csv(path: Path, error: type[InputError] = InputError) -> CsvDialect:
    """The encoding, delimiter and header of the CSV file ``path``, from its first 64 KiB.

    Raises ``error`` (the engine's kind of :class:`~panelcare.errors.InputError`) naming
    the file when it cannot be opened, is not text (binary data, e.g. a spreadsheet renamed
    ``.csv``), has no header row, or names a column twice.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
            whole = len(head) < _HEAD_BYTES
    except OSError as failure:
        raise _unreadable(error, path, failure) from None
    encoding, text = _decode(head, whole)
    if text is None:
        raise error(UNREADABLE, file=path.name, code="not_a_table")
    first_line = next(iter(text.splitlines()), "")
    delimiter = _delimiter(first_line)
    try:
        header = next(csv.reader(text.splitlines(), delimiter=delimiter), None)
    except csv.Error as failure:
        raise _unreadable(error, path, failure) from None
    if not header:
        raise error(
            "the file is empty: expected a header row with the column names",
            file=path.name,
            code="empty_file",
        )
    header = [name.strip() for name in header]
    named = [name for name in header if name]  # a spreadsheet may add blank columns
    duplicates = sorted({name for name in named if named.count(name) > 1})
    if duplicates:
        raise error(
            f"the header names column {duplicates[0]} twice",
            file=path.name,
            line=1,
            code="duplicate_column",
            params={"column": duplicates[0]},
        )
    return CsvDialect(encoding, delimiter, header, ascii_head=head.isascii())


def csv_header(path: Path, error: type[InputError] = InputError) -> list[str]:
    """The column names of the UTF-8, comma-separated CSV file ``path`` (a byte-order
    mark is skipped), as the assiduity engine reads it.

    Raises ``error`` (an :class:`~panelcare.errors.InputError`, the engine's own kind)
    naming the file when it cannot be read, has no header row, or names a column twice.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as failure:
        raise _unreadable(error, path, failure) from None
    return _check_header(header, path, error)


def _check_header(header: list[str] | None, path: Path, error: type[InputError]) -> list[str]:
    """``header``, refused when the file has no header row or names a column twice."""
    if not header:
        raise error(
            "the file is empty: expected a header row with the column names",
            file=path.name,
            code="empty_file",
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise error(
            f"the header names column {duplicates[0]} twice",
            file=path.name,
            line=1,
            code="duplicate_column",
            params={"column": duplicates[0]},
        )
    return header


def _decode(head: bytes, whole: bool) -> tuple[str, str | None]:
    """The codec of ``head`` (the file's first bytes; ``whole``: all of them) and its
    text, or None for the text when it is not text at all."""
    if b"\x00" in head:  # no text encoding of ours writes NUL: binary, or UTF-16
        return "", None
    if head.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8-sig", head[len(codecs.BOM_UTF8) :]
    else:
        encoding, body = "utf-8", head
    try:
        # Incremental: the 64 KiB may end inside a character.
        return encoding, codecs.getincrementaldecoder("utf-8")().decode(body, final=whole)
    except UnicodeDecodeError:
        if encoding == "utf-8-sig":
            return encoding, None
    try:
        return "cp1252", head.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
        return "cp1252", None


def _delimiter(line: str) -> str:
    """The delimiter splitting the header ``line`` into the most cells (quotes
    respected); a comma when none splits it."""
    best, most = ",", 1
    for delimiter in DELIMITERS:
        try:
            cells = len(next(csv.reader([line], delimiter=delimiter), []))
        except csv.Error:
            continue
        if cells > most:
            best, most = delimiter, cells
    return best


def _unreadable(error: type[InputError], path: Path, failure: Exception) -> InputError:
    """The problem of a CSV file that cannot be read (its header, at the system's level)."""
    return error(
        f"cannot read this CSV file: {failure}",
        file=path.name,
        code="file_unreadable",
        params={"format": "csv"},
    )
