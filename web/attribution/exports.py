"""Files a coordinator downloads from a run: the approved plan and its follow-up, as CSV
or XLSX (:func:`web.attribution.figures.plan_export`, :func:`~web.attribution.figures.
followup_export` give the tables). Every text cell a spreadsheet would run as a formula
is neutralised, and an XLSX cell loses the control characters it cannot hold
(:mod:`panelcare.exports`).

    content = table_file({"Plan": (headers, rows)}, "xlsx")
    return download(content, content_type, "repartition-12.xlsx")
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from typing import Any

from django.http import HttpResponse
from django.utils.translation import get_language

from panelcare.exports import neutralise_row, xlsx_row

__all__ = ["download", "table_file"]

Table = tuple[list[str], list[list[Any]]]


def table_file(tables: dict[str, Table], fmt: str, *, french: bool | None = None) -> bytes:
    """``tables`` (sheet title -> headers and rows) as one file: ``csv`` writes the first
    table (UTF-8 with a byte order mark, so that a spreadsheet opens the accents right;
    ISO dates), ``xlsx`` one sheet per table (dates as dates, bold headers).

    A French CSV (``french``, by default when the interface is in French) is the one
    French Excel writes and opens in columns: semicolons between cells, decimal commas
    (docs/decisions.md); the imports read both.

    Raises:
        ValueError: another format.
    """
    if fmt == "csv":
        if french is None:
            french = (get_language() or "").startswith("fr")
        headers, rows = next(iter(tables.values()))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n", delimiter=";" if french else ",")
        writer.writerow(neutralise_row(headers))
        for row in rows:
            cells = neutralise_row(_csv_cell(value) for value in row)
            writer.writerow([_decimal_comma(cell) if french else cell for cell in cells])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        return _xlsx(tables)
    raise ValueError(f"unknown format {fmt!r}")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else value


def _decimal_comma(cell: Any) -> Any:
    """A number with a decimal comma (after the formula check: a number is no formula)."""
    return repr(cell).replace(".", ",") if isinstance(cell, float) else cell


def _xlsx(tables: dict[str, Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, (headers, rows) in tables.items():
        sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31].strip())
        sheet.append(xlsx_row(headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(xlsx_row(row))
        for index, header in enumerate(headers, start=1):
            column = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[column].width = max(10, min(40, len(header) + 2))
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(content: bytes, content_type: str, name: str) -> HttpResponse:
    """``content`` as a file to save, named ``name``."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
