"""A physician name holding a control character (``\\x01``, ``\\x1b``) an XLSX cell cannot
hold: the quarterly XLSX writes U+FFFD in its place instead of failing (HTTP 500); the
quarterly CSV keeps it as given (``panelcare.exports``)."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from web.tables.kinds import DatasetKind
from web.tables.models import Dataset, ImportJob, ImportStatus
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db

NAMES = ["Dr \x01Start", "Dr \x1b[31mRed"]
IN_XLSX = ["Dr \ufffdStart", "Dr \ufffd[31mRed"]


@pytest.fixture
def controlled(client, region, drmg) -> list[str]:
    """The roster imported through the web by the DRMG with names holding control
    characters: the ids of their physicians, in the order of NAMES."""
    client.force_login(drmg)
    table = read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS))
    rows = pa.table({name: pc.cast(table.column(name), pa.string()) for name in table.column_names})
    names = rows.column("name").to_pylist()
    names[: len(NAMES)] = NAMES
    rows = rows.set_column(rows.column_names.index("name"), "name", pa.array(names))
    sink = io.BytesIO()
    pacsv.write_csv(rows, sink)
    file = SimpleUploadedFile("roster.csv", sink.getvalue())
    client.post(reverse("tables:imports"), {"kind": DatasetKind.PHYSICIANS, "file": file})
    job = ImportJob.objects.order_by("-pk").first()
    assert job.status == ImportStatus.READY, job.errors[:2]
    client.post(reverse("tables:import-apply", args=[job.pk]))
    return rows.column("physician_id").to_pylist()[: len(NAMES)]


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
