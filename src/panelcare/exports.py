"""Spreadsheet-safe exports: a text cell a spreadsheet would read as a formula is written
with a single quote before it (CSV injection, also called formula injection).

A table imported by a CML can hold a physician named ``=HYPERLINK("http://…"&A1,"…")``
or ``=cmd|' /C calc'!A0``. Written raw to a CSV or XLSX file, the person who opens it in
a spreadsheet runs that formula. As the OWASP advice on CSV injection recommends, every
*text* cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
written with ``'`` before it (``'=HYPERLINK(…)``); every other cell is written as it is.
Numbers, dates and booleans are not text: a negative number stays a number, while the
*text* ``"-5"`` (an identifier, say) is written ``'-5``.

Only the files are changed: the stored version keeps each value as it was imported, and
the Parquet export (which no spreadsheet opens) carries it unchanged.

    safe = neutralise_table(table)           # Arrow, vectorised: before pyarrow.csv.write_csv
    writer.writerow(neutralise_row(values))  # csv.writer, openpyxl's sheet.append

An XLSX file cannot hold the control characters ``\x00``-``\x08``, ``\x0b``, ``\x0c`` and
``\x0e``-``\x1f`` (XML 1.0 forbids them; openpyxl raises ``IllegalCharacterError``): in
XLSX only, each is replaced by U+FFFD (the replacement character, ``\ufffd``) — use
:func:`xlsx_cell`, :func:`xlsx_row`, :func:`xlsx_table`, which also neutralise. A CSV
file keeps them as given (they are legal there).

Reference: OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "FORMULA_STARTS",
    "XLSX_ILLEGAL",
    "neutralise_cell",
    "neutralise_row",
    "neutralise_table",
    "xlsx_cell",
    "xlsx_row",
    "xlsx_table",
]

# The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_FORMULA_START_RE = "^([=+\\-@\t\r])"

# The characters an XLSX cell cannot hold: openpyxl's ``ILLEGAL_CHARACTERS_RE`` (XML 1.0
# allows no other control character than tab, line feed and carriage return). Kept as a
# pattern of our own: the core does not import openpyxl. Escaped, so that the same text
# serves Python's ``re`` and Arrow's RE2.
_XLSX_ILLEGAL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
XLSX_ILLEGAL = re.compile(_XLSX_ILLEGAL_PATTERN)

# What replaces a character an XLSX cell cannot hold (U+FFFD, the replacement character).
_REPLACEMENT = "\ufffd"


def neutralise_cell(value: Any) -> Any:
    """``value`` as a spreadsheet must receive it: a ``str`` beginning with one of
    :data:`FORMULA_STARTS` gets a ``'`` before it; anything else (numbers, dates, ``None``,
    other text) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    """Each of ``values`` through :func:`neutralise_cell`: a row for ``csv.writer`` or
    openpyxl's ``sheet.append`` (openpyxl makes a formula of any ``str`` beginning with
    ``=``; neutralised, none does, so every text cell is written as a string)."""
    return [neutralise_cell(value) for value in values]


def neutralise_table(table: pa.Table) -> pa.Table:
    """``table`` with every string column's cells through :func:`neutralise_cell`,
    vectorised (a regular expression over each column, no Python loop over rows); other
    columns and nulls are left as they are. A column with nothing to neutralise is kept
    as it is (no copy)."""
    columns = []
    for column in table.columns:
        text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        if text and pc.any(pc.match_substring_regex(column, _FORMULA_START_RE)).as_py():
            column = pc.replace_substring_regex(
                column, _FORMULA_START_RE, "'\\1", max_replacements=1
            )
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def xlsx_cell(value: Any) -> Any:
    """``value`` as an XLSX cell must receive it: neutralised (:func:`neutralise_cell`),
    and in a ``str`` each character of :data:`XLSX_ILLEGAL` replaced by U+FFFD."""
    value = neutralise_cell(value)
    if isinstance(value, str):
        return XLSX_ILLEGAL.sub(_REPLACEMENT, value)
    return value


def xlsx_row(values: Iterable[Any]) -> list[Any]:
    """Each of ``values`` through :func:`xlsx_cell`: a row for openpyxl's ``sheet.append``."""
    return [xlsx_cell(value) for value in values]


def xlsx_table(table: pa.Table) -> pa.Table:
    """``table`` neutralised (:func:`neutralise_table`), then every string column's
    characters of :data:`XLSX_ILLEGAL` replaced by U+FFFD, vectorised; a column with
    none is kept as it is (no copy)."""
    table = neutralise_table(table)
    columns = []
    for column in table.columns:
        text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        if text and pc.any(pc.match_substring_regex(column, _XLSX_ILLEGAL_PATTERN)).as_py():
            column = pc.replace_substring_regex(column, _XLSX_ILLEGAL_PATTERN, _REPLACEMENT)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)
