"""XLSX-safe cells (panelcare.exports): the control characters an XLSX file cannot hold
become U+FFFD, after the formula neutralisation; tab, line feed and carriage return inside
a text, and every other value, are left as they are."""

from __future__ import annotations

import io

import openpyxl
import pyarrow as pa
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from panelcare.exports import XLSX_ILLEGAL, neutralise_cell, xlsx_cell, xlsx_row, xlsx_table

CONTROL = [chr(code) for code in range(32)]


@pytest.mark.parametrize("character", CONTROL, ids=[f"x{ord(c):02x}" for c in CONTROL])
def test_it_refuses_the_same_characters_as_openpyxl(character):
    assert bool(XLSX_ILLEGAL.search(character)) == bool(ILLEGAL_CHARACTERS_RE.search(character))


def test_it_replaces_control_characters_in_a_cell():
    assert xlsx_cell("Dr \x01A\x1b[0m\x00") == "Dr \ufffdA\ufffd[0m\ufffd"
    assert xlsx_cell("line\nnext\ttab\rreturn") == "line\nnext\ttab\rreturn"
    assert xlsx_cell("=A1\x0b") == "'=A1\ufffd"
    assert xlsx_row([None, 3, -2.5, "\x1f", "ok"]) == [None, 3, -2.5, "\ufffd", "ok"]


def test_it_leaves_the_csv_neutralisation_alone():
    assert neutralise_cell("Dr \x01A") == "Dr \x01A"


def test_it_replaces_control_characters_in_a_table_column():
    table = pa.table(
        {
            "name": ["Dr \x01A", "=cmd\x1b", None, "Dr B"],
            "code": ["A1", "B2", "C3", "D4"],
            "count": [1, -2, 3, 4],
        }
    )
    safe = xlsx_table(table)
    assert safe.schema == table.schema
    assert safe.column("name").to_pylist() == ["Dr \ufffdA", "'=cmd\ufffd", None, "Dr B"]
    assert safe.column("code").equals(table.column("code"))
    assert safe.column("count").to_pylist() == [1, -2, 3, 4]


def test_it_makes_cells_openpyxl_writes():
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("t")
    sheet.append(xlsx_row([chr(code) for code in range(32)]))
    sink = io.BytesIO()
    book.save(sink)
    cells = next(openpyxl.load_workbook(sink).active.iter_rows(values_only=True))
    assert "\ufffd" in cells and "\x01" not in cells
