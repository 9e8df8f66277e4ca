"""A physician name holding a control character (``\\x01``, ``\\x1b``) an XLSX cell cannot
hold: the quarterly XLSX writes U+FFFD in its place instead of failing (HTTP 500); the
quarterly CSV keeps it as given (``panelcare.exports``)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from web.regions.testing import import_roster_with_names

pytestmark = pytest.mark.django_db

NAMES = ["Dr \x01Start", "Dr \x1b[31mRed"]
IN_XLSX = ["Dr \ufffdStart", "Dr \ufffd[31mRed"]


@pytest.fixture
def controlled(client, region, drmg) -> list[str]:
    """The roster imported through the web by the DRMG with names holding control
    characters: the ids of their physicians, in the order of NAMES."""
    client.force_login(drmg)
    return import_roster_with_names(client, region, NAMES)


def test_it_replaces_control_characters_in_the_quarterly_xlsx(client, controlled):
    response = client.get(reverse("attribution:quarterly"), {"format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book[book.sheetnames[0]]  # the registrations per physician
    names = {row[2].value: row[3] for row in sheet.iter_rows(min_row=2)}
    assert [names[code].value for code in controlled] == IN_XLSX
    assert {names[code].data_type for code in controlled} == {"s"}


def test_it_keeps_control_characters_in_the_quarterly_csv(client, controlled):
    response = client.get(
        reverse("attribution:quarterly"), {"format": "csv", "table": "physicians"}
    )
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    names = {row["physician_id"]: row["name"] for row in rows}
    assert [names[code] for code in controlled] == NAMES
