"""The statistics import of co-management (docs/comanagement-plan.md §4): a file checked in
the background as on /tables/, applied only when every row is of the importer's GMFs, and
the refusals of every statistics route."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from web.audit.models import AuditEvent
from web.comanagement.errors import RecordRefused
from web.comanagement.models import ComanagementAction
from web.comanagement.services import performance
from web.tables.models import Dataset, ImportJob, ImportStatus

HEADER = [
    "professional_id",
    "gmf_id",
    "month",
    "patients_seen",
    "interventions",
    "access_delay_days",
]
G1_ROWS = [
    ["E100", "G1", "2026-03-01", "48", "60", "2.5"],
    ["E101", "G1", "2026-03-01", "31", "", ""],
]
G2_ROW = ["E200", "G2", "2026-03-01", "12", "", ""]


def _csv(rows, *, excel=False) -> SimpleUploadedFile:
    sink = io.StringIO()
    if excel:
        # As French Excel saves it: semicolons, CRLF, decimal commas, Windows-1252.
        writer = csv.writer(sink, delimiter=";", lineterminator="\r\n")
        writer.writerow([*HEADER, "nom"])
        for row in rows:
            writer.writerow([*row[:5], row[5].replace(".", ","), "Hélène Côté"])
        content = sink.getvalue().encode("cp1252")
    else:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerows([HEADER, *rows])
        content = sink.getvalue().encode()
    return SimpleUploadedFile("statistiques.csv", content, content_type="text/csv")


def _upload(client, rows, **kwargs) -> ImportJob:
    response = client.post(
        reverse("comanagement:statistics-import"), {"file": _csv(rows, **kwargs)}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("pk")


def _stage(world, user, rows) -> ImportJob:
    job = performance.do_start_statistics_import(
        _csv(rows), region=world.region, acting_user=world.users[user]
    )
    job.refresh_from_db()
    return job


def test_it_applies_a_file_of_g1_imported_by_the_ciusss(world, client_for):
    client = client_for("ciusss")
    job = _upload(client, G1_ROWS)
    assert job.status == ImportStatus.READY and job.mode == "add"
    response = client.get(reverse("comanagement:statistics-job", args=[job.pk]))
    assert 'data-testid="statistics-apply"' in response.content.decode()
    client.post(reverse("comanagement:statistics-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.errors
    dataset = Dataset.current(world.region, "gmf_statistics")
    assert dataset is not None and dataset.rows == 2
    entry = AuditEvent.objects.get(action=ComanagementAction.STATISTICS_IMPORTED)
    assert entry.details["gmfs"] == ["G1"]


def test_it_refuses_a_file_holding_g2_rows_naming_g2(world, client_for):
    client = client_for("ciusss")
    job = _upload(client, [*G1_ROWS, G2_ROW])
    assert job.status == ImportStatus.READY
    page = client.get(reverse("comanagement:statistics-job", args=[job.pk])).content.decode()
    assert 'data-testid="statistics-foreign"' in page and "G2" in page
    assert 'data-testid="statistics-apply"' not in page
    response = client.post(reverse("comanagement:statistics-apply", args=[job.pk]), follow=True)
    message = _(
        "This file holds rows of GMFs whose statistics you cannot import: "
        "%(codes)s. Nothing was written."
    ) % {"codes": "G2"}
    assert escape(message) in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.READY
    assert Dataset.current(world.region, "gmf_statistics") is None
    assert not AuditEvent.objects.filter(action=ComanagementAction.STATISTICS_IMPORTED).exists()


def test_it_refuses_in_the_service_rows_of_another_gmf(world):
    job = _stage(world, "gmf", [*G1_ROWS, G2_ROW])
    with pytest.raises(RecordRefused, match="G2"):
        performance.do_apply_statistics_import(
            job, frozenset({"G1"}), acting_user=world.users["gmf"]
        )
    assert Dataset.current(world.region, "gmf_statistics") is None


def test_it_lets_a_gmf_manager_import_their_gmf_only(world, client_for):
    client = client_for("gmf2")
    job = _upload(client, [G2_ROW])
    client.post(reverse("comanagement:statistics-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.errors
    other = _upload(client, G1_ROWS)
    client.post(reverse("comanagement:statistics-apply", args=[other.pk]))
    other.refresh_from_db()
    assert other.status == ImportStatus.READY  # refused: G1 is not theirs
    assert Dataset.current(world.region, "gmf_statistics").rows == 1


def test_it_refuses_a_month_to_come(world):
    job = _stage(world, "ciusss", [["E100", "G1", "2099-01-01", "1", "", ""]])
    with pytest.raises(RecordRefused):
        performance.do_apply_statistics_import(
            job, frozenset({"G1"}), acting_user=world.users["ciusss"]
        )


def test_it_reads_a_french_excel_csv(world, client_for):
    client = client_for("ciusss")
    job = _upload(client, G1_ROWS, excel=True)
    assert job.status == ImportStatus.READY, job.errors
    client.post(reverse("comanagement:statistics-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.errors


def test_it_shows_a_refused_file_s_problems(world, client_for):
    client = client_for("ciusss")
    job = _upload(client, [["E100", "G1", "2026-03-02", "4", "", ""]])
    assert job.status == ImportStatus.REFUSED
    page = client.get(reverse("comanagement:statistics-job", args=[job.pk])).content.decode()
    assert 'data-testid="import-errors"' in page and 'data-column="month"' in page


def test_it_lets_the_drmg_read_but_not_import(world, client_for):
    job = _stage(world, "ciusss", G1_ROWS)
    client = client_for("drmg")
    assert client.get(reverse("comanagement:statistics")).status_code == 200
    assert client.get(reverse("comanagement:statistics-job", args=[job.pk])).status_code == 200
    assert client.get(reverse("comanagement:statistics-import")).status_code == 403
    assert client.post(reverse("comanagement:statistics-apply", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("user", ["cml", "physician", "coach", "gmf_no_gmf", "ciusss_no_est"])
def test_it_refuses_every_statistics_route_to_other_roles(world, client_for, user):
    job = _stage(world, "ciusss", G1_ROWS)
    client = client_for(user)
    assert client.get(reverse("comanagement:statistics")).status_code == 403
    assert client.get(reverse("comanagement:statistics-import")).status_code == 403
    assert client.get(reverse("comanagement:statistics-job", args=[job.pk])).status_code == 403
    assert client.post(reverse("comanagement:statistics-apply", args=[job.pk])).status_code == 403


@pytest.mark.parametrize("user", ["drmg9", "ciusss9", "gmf9", "ciusss2", "gmf"])
def test_it_hides_another_s_or_another_region_s_job(world, client_for, user):
    job = _stage(world, "ciusss", G1_ROWS)
    client = client_for(user)
    assert client.get(reverse("comanagement:statistics-job", args=[job.pk])).status_code == 404
    assert client.post(reverse("comanagement:statistics-apply", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


def test_it_checks_a_french_excel_csv_as_ready(world, client_for):
    job = _upload(client_for("ciusss"), G1_ROWS, excel=True)
    assert job.status == ImportStatus.READY, job.errors
    assert job.preview["added"] == 2


def test_it_refuses_a_gmf_manager_another_gmf_s_rows(world, client_for):
    client = client_for("gmf2")
    job = _upload(client, G1_ROWS)
    page = client.get(reverse("comanagement:statistics-job", args=[job.pk])).content.decode()
    assert 'data-testid="statistics-foreign"' in page and "G1" in page
    client.post(reverse("comanagement:statistics-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.READY
    assert Dataset.current(world.region, "gmf_statistics") is None


def test_it_shows_the_statistics_pages_without_code_words(world, client_for):
    client = client_for("ciusss")
    home = client.get(reverse("comanagement:statistics")).content.decode()
    assert 'data-testid="statistics-import"' in home and "GMF du Fleuve" in home
    assert "GMF de Matane" not in home  # another establishment's GMF
    form = client.get(reverse("comanagement:statistics-import")).content.decode()
    assert 'type="file"' in form and "G1" in form and "G2" not in form


def test_it_follows_a_file_being_checked_on_its_own_page(world, client_for):
    # The tables' status block polls /tables/, which does not open these imports: the
    # page polls its own route instead, and answers htmx with the block alone.
    job = ImportJob.objects.create(
        region=world.region,
        kind="gmf_statistics",
        mode="add",
        source_name="mars.csv",
        staged_file="/nonexistent/mars.csv",
        created_by=world.users["ciusss"],
        status=ImportStatus.CHECKING,
        phase="checking",
    )
    url = reverse("comanagement:statistics-job", args=[job.pk])
    client = client_for("ciusss")
    page = client.get(url).content.decode()
    assert f'hx-get="{url}"' in page and "/tables/" not in page.split("<main")[1]
    block = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert block.startswith('<div id="statistics-job"') and "<html" not in block
