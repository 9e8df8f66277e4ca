"""A control character in a cell (a physician name with ``\\x01`` or ``\\x1b``) cannot be
held by an XLSX file: the XLSX export writes U+FFFD in its place instead of failing (HTTP
500); the CSV export and the stored version keep it as it was given
(``panelcare.exports``)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from web.regions.testing import import_roster_with_names
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset
from web.tables.tests.conftest import login

pytestmark = pytest.mark.django_db

NAMES = ["Dr \x01Start", "Dr \x1b[31mRed", "=Dr\x0bFormula"]
IN_XLSX = ["Dr \ufffdStart", "Dr \ufffd[31mRed", "'=Dr\ufffdFormula"]


@pytest.fixture
def controlled(client, region) -> list[str]:
    """The roster imported through the web by the DRMG with names holding control
    characters: the ids of their physicians, in the order of NAMES."""
    login(client, "drmg")
    return import_roster_with_names(client, region, NAMES)


def export(client, region, fmt: str):
    dataset = Dataset.current(region, DatasetKind.PHYSICIANS)
    return client.get(reverse("tables:dataset-export", args=[dataset.pk, fmt]))


def test_it_stores_the_control_characters_as_given(region, controlled):
    stored = read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS)).to_pylist()
    names = {row["physician_id"]: row["name"] for row in stored}
    assert [names[code] for code in controlled] == NAMES


def test_it_replaces_control_characters_in_the_xlsx_export(client, region, controlled):
    response = export(client, region, "xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    names = {row["physician_id"].value: row["name"] for row in rows}
    assert [names[code].value for code in controlled] == IN_XLSX
    assert {names[code].data_type for code in controlled} == {"s"}
    # The other names as they are.
    stored = read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS)).to_pylist()
    others = {
        row["physician_id"]: row["name"] for row in stored if row["physician_id"] not in controlled
    }
    assert {code: names[code].value for code in others} == others


def test_it_keeps_control_characters_in_the_csv_export(client, region, controlled):
    response = export(client, region, "csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    names = {row["physician_id"]: row["name"] for row in csv.DictReader(io.StringIO(body))}
    # As given; only the formula gets its quote.
    assert [names[code] for code in controlled] == [NAMES[0], NAMES[1], "'" + NAMES[2]]
