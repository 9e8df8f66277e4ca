"""Files as the people here send them, through the web import: French Excel's CSV
(Windows-1252, semicolons, decimal commas), tab-separated text, files that are not tables,
spreadsheets too big to parse; and the page saying how the file was read, in French.

The rows are the tiny demo's version 1 of the physicians' roster (names with accents),
written as French Excel saves them.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from web.tables.kinds import DatasetKind
from web.tables.messages import problem_text
from web.tables.models import Dataset, ImportJob, ImportStatus
from web.tables.store import read_dataset
from web.tables.tests.conftest import login
from web.tables.tests.test_imports import current, text_rows, with_cell

pytestmark = pytest.mark.django_db

PHYSICIANS = DatasetKind.PHYSICIANS
FLOATS = ("latitude", "longitude", "other_units", "previous_assiduity")


def excel_csv(table: pa.Table, *, delimiter: str = ";", encoding: str = "cp1252") -> bytes:
    """``table`` (text cells) as French Excel saves it: CRLF, ``delimiter``, decimal
    commas in the number columns, in ``encoding``."""
    sink = io.StringIO()
    writer = csv.writer(sink, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow(
            (value or "").replace(".", ",") if name in FLOATS else (value or "")
            for name, value in row.items()
        )
    return sink.getvalue().encode(encoding)


def contract_csv(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue()


def upload(client, content: bytes, name: str = "effectif.csv") -> ImportJob:
    data = {"kind": PHYSICIANS, "file": SimpleUploadedFile(name, content)}
    response = client.post(reverse("tables:imports"), data)
    assert response.status_code == 302
    return ImportJob.objects.order_by("-pk").first()


def french_page(client, job: ImportJob) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()


def test_it_reads_the_roster_in_force_saved_by_french_excel_as_nothing_to_change(client, region):
    login(client, "drmg")
    rows = text_rows(region, PHYSICIANS)
    content = excel_csv(rows)
    assert b"\xe9" in content and b";" in content  # é in Windows-1252
    job = upload(client, content)
    assert job.status == ImportStatus.UNCHANGED, job.errors
    assert job.preview["reading"] == {
        "format": "csv",
        "encoding": "Windows-1252",
        "delimiter": ";",
        "decimal": ",",
    }
    page = french_page(client, job)
    assert "Fichier lu en Windows-1252, séparateur point-virgule, virgule décimale." in page


def test_it_writes_the_version_a_utf8_comma_file_would(client, region):
    login(client, "drmg")
    changed = with_cell(text_rows(region, PHYSICIANS), 0, "latitude", "48.123456")
    changed = with_cell(changed, 1, "name", "Dre Éloïse Bélanger-Côté")
    job = upload(client, excel_csv(changed, delimiter="\t"))
    assert job.status == ImportStatus.READY, job.errors
    assert job.preview["changed"] == 2
    assert job.preview["reading"]["delimiter"] == "\t"
    assert "séparateur tabulation, virgule décimale" in french_page(client, job)
    client.post(reverse("tables:import-apply", args=[job.pk]))
    version = read_dataset(current(region, PHYSICIANS))
    assert version.column("latitude")[0].as_py() == 48.123456
    assert version.column("name")[1].as_py() == "Dre Éloïse Bélanger-Côté"
    again = upload(client, contract_csv(changed))
    assert again.status == ImportStatus.UNCHANGED, again.errors
    assert again.preview["reading"]["delimiter"] == ","
    assert "séparateur virgule, point décimal" in french_page(client, again)


def test_it_refuses_a_file_that_is_not_a_table_in_french_naming_it(client, region):
    login(client, "drmg")
    versions = Dataset.objects.count()
    job = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "effectif.csv")
    assert job.status == ImportStatus.REFUSED
    assert job.errors[0]["file"] == "effectif.csv"
    assert job.errors[0]["code"] == "not_a_table"
    page = french_page(client, job)
    assert "Ce fichier ne peut pas être lu comme un tableau" in page
    assert "effectif.csv" in page
    assert Dataset.objects.count() == versions


def test_it_refuses_a_spreadsheet_over_the_size_limit_before_parsing_it(client, region, settings):
    settings.PANELCARE_IMPORT_XLSX_MAX_MB = 1
    login(client, "drmg")
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<row/>" * 400_000)  # 2.3 MiB
    job = upload(client, sink.getvalue(), "effectif.xlsx")
    assert job.status == ImportStatus.REFUSED
    assert job.errors[0]["code"] == "xlsx_too_big"
    assert "over the limit of 1 MiB" in job.errors[0]["message"]
    page = french_page(client, job)
    assert "au-delà de la limite de 1 Mio" in page


# --------------------------------------------------------------------------- in French


def test_it_says_a_wrong_date_in_french_with_file_row_and_column(client, region):
    login(client, "drmg")
    bad = with_cell(text_rows(region, PHYSICIANS), 2, "practice_start", "2025-02-30")
    job = upload(client, excel_csv(bad))
    assert job.status == ImportStatus.REFUSED
    page = french_page(client, job)
    row = page.split('data-row="3" data-column="practice_start">', 1)[1].split("</tr>", 1)[0]
    assert "<td>effectif.csv</td>" in row
    assert "Attendu une date aaaa-mm-jj, trouvé « 2025-02-30 »." in row
    assert "expected" not in row


@pytest.mark.parametrize(
    ("problem", "french"),
    [
        (
            {"code": "missing_column", "params": {"column": "mode", "columns": "a, mode"}},
            "Le fichier n'a pas de colonne mode ; les colonnes attendues sont a, mode.",
        ),
        (
            {"code": "empty_cell", "params": {"kind": "int", "low": "0", "optional": ""}},
            "Cellule vide : attendu un nombre entier d'au moins 0.",
        ),
        (
            {
                "code": "wrong_value",
                "params": {"kind": "float", "low": "-90", "high": "90", "value": "nord"},
            },
            "Attendu un nombre de -90 à 90, trouvé « nord ».",
        ),
        (
            {
                "code": "wrong_value",
                "params": {"kind": "choice", "choices": "A, B", "optional": "yes", "value": "F"},
            },
            "Attendu l'une des valeurs A, B ou une cellule vide, trouvé « F ».",
        ),
        (
            {"code": "duplicate_key", "params": {"key": "patient_id", "value": "0007", "row": "2"}},
            "patient_id 0007 figure déjà à la ligne 2 : chacun n'apparaît qu'une fois.",
        ),
        (
            {"code": "xlsx_too_many_rows", "params": {"limit": "250000"}},
            "Ce classeur compte plus de 250\xa0000 lignes, la limite : enregistrez la table "
            "en CSV ou en Parquet, ou scindez-la.",
        ),
        ({"code": None, "message": "cannot read this CSV file"}, "cannot read this CSV file"),
    ],
)
def test_it_says_the_common_problems_in_french(problem, french):
    with translation.override("fr"):
        assert problem_text(problem) == french
