"""The rates table's columns added by issue 16 (the paritary committee's flag, the DRMG
notice, the physicians' links, sortable like the others), the bar of links of a
computation's pages, and the table's export (CSV, XLSX) of the reader's rows."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from panelcare.assiduity import results
from web.accounts import access
from web.assiduity import figures, services
from web.assiduity.models import AssiduityRun
from web.assiduity.tests.boundary import make_boundary_run
from web.assiduity.tests.conftest import YEAR
from web.dashboard.templatetags.panelcare_format import half_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def boundary_run(done_run, drmg) -> AssiduityRun:
    """D00003 and D00008 flagged for the committee (:mod:`web.assiduity.tests.boundary`)."""
    return make_boundary_run(done_run, drmg)


def _rows(page: str) -> list[str]:
    return re.findall(r'data-physician="([^"]+)"', page)


def _detail(client, run: AssiduityRun, query: str = "") -> str:
    response = client.get(reverse("assiduity:run-detail", args=[run.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text[:200] else ","))


# --------------------------------------------------------------------------- the table


def test_it_links_each_physician_to_their_explanation(drmg_client, done_run):
    page = _detail(drmg_client, done_run)
    for code in _rows(page):
        assert reverse("assiduity:physician", args=[done_run.pk, code]) in page


def test_it_shows_the_committees_flag_and_sorts_on_it(drmg_client, boundary_run):
    page = _detail(drmg_client, boundary_run, "?sort=-review")
    # Flagged first, then by name (Martin Charest, Mélanie Lagacé).
    assert _rows(page)[:2] == ["D00008", "D00003"]
    assert page.count("To review") == 2
    page = _detail(drmg_client, boundary_run, "?sort=review")
    assert _rows(page)[-2:] == ["D00008", "D00003"]


def test_it_shows_a_notice_and_the_deemed_flag(drmg_client, region, drmg):
    notice = services.do_record_drmg_notice(
        region, "D00005", YEAR, "Staff not assigned.", acting_user=drmg
    )
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    page = _detail(drmg_client, run, "?sort=-notice")
    assert _rows(page)[0] == "D00005"
    row = page[page.index('data-physician="D00005"') :].split("</tr>")[0]
    assert reverse("assiduity:notice", args=[notice.pk]) in row
    assert 'data-testid="deemed"' in row and 'data-testid="notice-unread"' not in row
    assert 'data-testid="notices-changed"' not in page
    assert page.count('data-testid="deemed"') == 1


def test_it_shows_a_notice_without_its_link_to_a_reader_of_results(
    client_as, region, drmg, done_run
):
    services.do_record_drmg_notice(region, "D00003", YEAR, "Staff.", acting_user=drmg)
    page = _detail(client_as("medecin"), done_run)  # D00003 themself
    assert _rows(page) == ["D00003"]
    assert reverse("assiduity:notices") not in page
    assert 'data-testid="notice-unread"' in page


@pytest.mark.parametrize(
    ("username", "tabs"),
    [
        ("drmg", ["rates", "committee", "gmfs", "distribution", "notices"]),
        ("cml.rimouski", ["rates", "committee", "gmfs", "distribution", "notices"]),
        ("gestion.gmf", ["rates", "gmfs"]),
        ("medecin", ["rates"]),
    ],
)
def test_it_links_the_pages_of_a_computation_each_reader_opens(client_as, done_run, username, tabs):
    page = _detail(client_as(username), done_run)
    assert re.findall(r'data-testid="tab-([a-z]+)"', page) == tabs
    assert 'data-testid="tab-rates" aria-current="page"' in page


# --------------------------------------------------------------------------- the export


def test_it_exports_the_readers_rows_in_the_pages_order(cml_client, cml, done_run):
    url = reverse("assiduity:run-rates-export", args=[done_run.pk, "csv"])
    rows = _csv(cml_client.get(url + "?sort=-rate"))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Physician number", "Physician"]
    assert "Paritary committee" in header and "DRMG notice in force" in header
    scope = access.assiduity_scope(cml)
    expected = [
        row["physician_id"] for row in figures.physician_rows(done_run, scope, sort="-rate")
    ]
    assert [line[0] for line in body] == expected and len(expected) > 1
    rates = {
        row["physician_id"]: row for row in results.read_rates(done_run.results_folder).to_pylist()
    }
    first = dict(zip(header, body[0], strict=True))
    assert first["Rate (%)"] == str(float(half_up(rates[body[0][0]]["rate"] * 100, 1)))
    assert first["Paritary committee"] in {"yes", "no"}


def test_it_exports_every_row_not_one_page(drmg_client, done_run, monkeypatch):
    monkeypatch.setattr(figures, "RATES_PER_PAGE", 2)
    url = reverse("assiduity:run-rates-export", args=[done_run.pk, "xlsx"])
    sheet = load_workbook(io.BytesIO(drmg_client.get(url).content)).active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(codes) == results.read_rates(done_run.results_folder).num_rows > 2


def test_it_exports_a_physician_their_own_row_only(physician_client, done_run):
    url = reverse("assiduity:run-rates-export", args=[done_run.pk, "csv"])
    body = _csv(physician_client.get(url))[1:]
    assert [line[0] for line in body] == ["D00003"]


def test_it_refuses_the_export_to_other_roles_and_regions(client_as, drmg_client, done_run):
    url = reverse("assiduity:run-rates-export", args=[done_run.pk, "csv"])
    for username in ("ciusss", "coach"):
        assert client_as(username).get(url).status_code == 403
    assert drmg_client.get(url.replace(".csv", ".pdf")).status_code == 404
    other = reverse("assiduity:run-rates-export", args=[done_run.pk + 1000, "csv"])
    assert drmg_client.get(other).status_code == 404


def test_it_refuses_the_export_of_a_computation_not_done(drmg_client, region, drmg, hold_queue):
    queued = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    url = reverse("assiduity:run-rates-export", args=[queued.pk, "csv"])
    assert drmg_client.get(url).status_code == 404


def test_it_exports_the_csv_french_excel_opens_to_a_french_reader(drmg_client, done_run):
    drmg_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    url = reverse("assiduity:run-rates-export", args=[done_run.pk, "csv"])
    text = drmg_client.get(url).content.decode("utf-8-sig")
    lines = text.splitlines()
    rates = {
        row["physician_id"]: row for row in results.read_rates(done_run.results_folder).to_pylist()
    }
    # The headers are French too (they are translated when the file is made, not when the
    # module is read).
    assert lines[0].split(";")[:1] == ["Numéro du médecin"]
    assert "Réputé atteindre la cible" in lines[0]
    cells = lines[1].split(";")
    rate = rates[cells[0]]["rate"]
    assert f"{float(half_up(rate * 100, 1))}".replace(".", ",") in cells
    assert all(line.count(";") == lines[0].count(";") for line in lines)
