"""The GMF-R coverage (spec/assiduity.md, "gmf_r_small_agreements": the yearly number of
patients a GMF-R's service agreements cover, when the CISSS/CIUSSS gives it) is one of the
region's tables: the DRMG imports it like the others, refused with the row and column of
the problem, and the version is what the assiduity engine reads."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from panelcare.assiduity.io import open_tables
from web.tables import kinds, services
from web.tables.errors import UploadRefused
from web.tables.models import Dataset, ImportJob, ImportStatus
from web.tables.tests.conftest import login
from web.tables.tests.test_imports import last_job, upload

pytestmark = pytest.mark.django_db

COVERAGE = "gmf_r_coverage"


def coverage(*rows: tuple[str, str, str]) -> pa.Table:
    gmf, year, covered = zip(*rows, strict=True) if rows else ((), (), ())
    return pa.table(
        {
            "gmf_id": pa.array(gmf, pa.string()),
            "year": pa.array(year, pa.string()),
            "covered_patients": pa.array(covered, pa.string()),
        }
    )


def test_it_declares_the_gmf_r_coverage_as_a_regions_table():
    kind = kinds.get_kind(COVERAGE)
    assert kind.schema == pa.schema(
        [("gmf_id", pa.string()), ("year", pa.int64()), ("covered_patients", pa.int64())]
    )
    assert kind.keys == ("gmf_id", "year")
    assert kind.scope_column is None and kind.project is None and not kind.appendable
    assert kinds.DatasetKind.GMF_R_COVERAGE == COVERAGE


def test_it_imports_the_gmf_r_coverage_and_the_engine_reads_it(client, region, tmp_path: Path):
    login(client, "drmg")
    assert Dataset.current(region, COVERAGE) is None
    upload(
        client, COVERAGE, coverage(("G0003", "2025", "17250"), ("G0003", "2026", "18400")), "c.csv"
    )
    job = last_job()
    assert job.status == ImportStatus.READY, job.errors
    assert (job.preview["added"], job.preview["removed"]) == (2, 0)
    client.post(reverse("tables:import-apply", args=[job.pk]))
    dataset = Dataset.current(region, COVERAGE)
    assert (dataset.version, dataset.rows) == (1, 2)

    folder = tmp_path / "engine"
    folder.mkdir()
    for kind in (COVERAGE, "visits", "registrations"):
        (folder / f"{kind}.parquet").symlink_to(Dataset.current(region, kind).path)
    tables = open_tables(folder)
    read = tables.gmf_r_coverage.order_by("year").to_pyarrow().to_pylist()
    assert read == [
        {"gmf_id": "G0003", "year": 2025, "covered_patients": 17250},
        {"gmf_id": "G0003", "year": 2026, "covered_patients": 18400},
    ]


@pytest.mark.parametrize(
    ("rows", "row", "column"),
    [
        ((("G0003", "2025", "17250"), ("G0003", "2025", "18000")), 2, "gmf_id"),
        ((("G0003", "2025", "dix-sept mille"),), 1, "covered_patients"),
        ((("G0003", "", "17250"),), 1, "year"),
    ],
)
def test_it_refuses_a_wrong_coverage_naming_row_and_column(client, region, rows, row, column):
    login(client, "drmg")
    upload(client, COVERAGE, coverage(*rows), "couverture.csv")
    job = last_job()
    assert job.status == ImportStatus.REFUSED
    problem = job.errors[0]
    assert (problem["file"], problem["row"], problem["column"]) == ("couverture.csv", row, column)
    assert Dataset.current(region, COVERAGE) is None
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert "Le fichier a été refusé" in page
    assert f'data-row="{row}" data-column="{column}"' in page


def test_it_lets_only_the_drmg_import_the_coverage(client, region, own_rls):
    login(client, "cml.rimouski")
    response = upload(client, COVERAGE, coverage(("G0003", "2025", "1")), "c.csv")
    assert response.context["form"].has_error("kind", code="invalid_choice")
    cml = User.objects.get(username="cml.rimouski")
    with pytest.raises(UploadRefused, match=r"Only the DRMG imports this table\."):
        services.do_stage_upload(
            COVERAGE,
            SimpleUploadedFile("c.csv", b"x\n"),
            region=region,
            scope=[own_rls.code],
            acting_user=cml,
        )
    assert not ImportJob.objects.exists()


def test_it_names_the_coverage_in_french_on_the_imports_page(client, region):
    login(client, "drmg")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("tables:imports")).content.decode()
    assert "Couverture des GMF-R" in page
    assert ">gmf_r_coverage<" not in page
