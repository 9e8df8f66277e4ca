"""The paritary committee's list (EP 40, 15.04): the physicians under the target by less
than 3 points, with what lowered their rate, for the DRMG (the region) and a CML (their
RLS), as a page and a file; the other roles refused. The boundary's results are
:mod:`web.assiduity.tests.boundary`'s.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from web.accounts import access
from web.assiduity import figures, services
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.assiduity.tests.boundary import YEAR, make_boundary_run
from web.regions.models import Region
from web.regions.testing import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def boundary_run(done_run, drmg) -> AssiduityRun:
    """A DONE computation of the demo region on :mod:`boundary`'s results."""
    return make_boundary_run(done_run, drmg)


def _listed(page: str) -> list[str]:
    return re.findall(r'data-physician="([^"]+)"', page)


# --------------------------------------------------------------------------- the list


def test_it_lists_2_9_points_under_the_target_and_not_exactly_3(boundary_run):
    rows = figures.committee_rows(boundary_run, None)
    assert [row["physician_id"] for row in rows] == ["D00008", "D00003"]  # closest first
    by_code = {row["physician_id"]: row for row in rows}
    assert round(by_code["D00003"]["gap_points"], 6) == 2.9
    assert round(by_code["D00008"]["gap_points"], 6) == 1.0
    assert by_code["D00003"]["name"] == "Mélanie Lagacé"
    assert by_code["D00003"]["gmf_code"] == "G0001"


def test_it_says_what_lowered_each_rate(boundary_run):
    rows = {row["physician_id"]: row for row in figures.committee_rows(boundary_run, None)}
    reasons = [(str(label), visits) for label, visits in rows["D00003"]["reasons"]]
    # The categories are worded as on the physician's page (figures.CATEGORY_LABELS).
    assert reasons == [
        ("Another clinic, or the group away from its sites", 200),
        ("Emergency room, triage P4 or P5", 29),
    ]
    assert [(str(label), visits) for label, visits in rows["D00008"]["reasons"]] == [
        ("Another clinic, or the group away from its sites", 210)
    ]


def test_it_shows_the_drmg_the_regions_list(drmg_client, boundary_run):
    response = drmg_client.get(reverse("assiduity:committee", args=[boundary_run.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert _listed(page) == ["D00008", "D00003"]
    text = " ".join(visible_text(page).split())
    assert (
        "2.9 points" in text
        and "Another clinic, or the group away from its sites: 200 visits" in text
    )
    assert "77.1 %" in text
    # The DRMG records a notice from the list, the form filled.
    assert f"?physician=D00003&amp;year={YEAR}" in page
    assert 'data-testid="tab-committee" aria-current="page"' in page


def test_it_shows_a_cml_their_rlss_physicians_only(cml_client, boundary_run):
    page = cml_client.get(reverse("assiduity:committee", args=[boundary_run.pk])).content.decode()
    assert _listed(page) == ["D00003"]
    assert 'data-testid="record-notice"' not in page  # a CML records no notice


def test_it_lists_the_demos_physicians_of_the_cml(cml_client, cml, done_run):
    expected = figures.committee_rows(done_run, access.assiduity_scope(cml))
    page = cml_client.get(reverse("assiduity:committee", args=[done_run.pk])).content.decode()
    assert _listed(page) == [row["physician_id"] for row in expected]
    assert ('data-testid="committee-empty"' in page) is (not expected)


def test_it_shows_a_notice_on_the_list(drmg_client, boundary_run, region, drmg):
    notice = services.do_record_drmg_notice(
        region, "D00003", YEAR, "No nurse assigned.", acting_user=drmg
    )
    page = drmg_client.get(reverse("assiduity:committee", args=[boundary_run.pk])).content.decode()
    assert reverse("assiduity:notice", args=[notice.pk]) in page
    assert 'data-testid="notices-changed"' in page  # the computation predates the notice


@pytest.mark.parametrize("username", ["gestion.gmf", "medecin", "ciusss", "coach"])
def test_it_refuses_the_list_to_other_roles(client_as, boundary_run, username):
    client = client_as(username)
    for url in (
        reverse("assiduity:committee", args=[boundary_run.pk]),
        reverse("assiduity:committee-export", args=[boundary_run.pk, "csv"]),
    ):
        assert client.get(url).status_code == 403, url


def test_it_hides_another_regions_computation(drmg_client, boundary_run):
    region = Region.objects.create(code="99", name="Autre région")
    other = AssiduityRun.objects.create(
        region=region, year=YEAR, status=AssiduityRunStatus.DONE, created_by=boundary_run.created_by
    )
    assert drmg_client.get(reverse("assiduity:committee", args=[other.pk])).status_code == 404
    url = reverse("assiduity:committee-export", args=[other.pk, "csv"])
    assert drmg_client.get(url).status_code == 404


def test_it_waits_for_a_computation_to_be_done(drmg_client, region, drmg, hold_queue):
    queued = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    page = drmg_client.get(reverse("assiduity:committee", args=[queued.pk])).content.decode()
    assert 'data-testid="committee-not-done"' in page
    url = reverse("assiduity:committee-export", args=[queued.pk, "csv"])
    assert drmg_client.get(url).status_code == 404


# --------------------------------------------------------------------------- the export


def test_it_exports_the_list_as_csv(cml_client, drmg_client, boundary_run):
    response = drmg_client.get(reverse("assiduity:committee-export", args=[boundary_run.pk, "csv"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(
        f'comite-paritaire-{YEAR}-{boundary_run.pk}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert [row[0] for row in body] == ["D00008", "D00003"]
    line = dict(zip(header, body[1], strict=True))
    assert line["Rate (%)"] == "77.1" and line["Gap (points)"] == "2.9"
    assert line["What lowered the rate"] == (
        "Another clinic, or the group away from its sites: 200 visits; "
        "Emergency room, triage P4 or P5: 29 visits"
    )
    # A CML's file holds their RLS's physicians only.
    response = cml_client.get(reverse("assiduity:committee-export", args=[boundary_run.pk, "csv"]))
    body = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert [row[0] for row in body] == ["D00003"]


def test_it_exports_the_list_in_french_to_a_french_reader(drmg_client, boundary_run):
    drmg_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    url = reverse("assiduity:committee-export", args=[boundary_run.pk, "csv"])
    text = drmg_client.get(url).content.decode("utf-8-sig")
    header, _first, second = csv.reader(io.StringIO(text), delimiter=";")
    row = dict(zip(header, second, strict=True))
    assert row["Écart (points)"] == "2,9"
    assert row["Ce qui a abaissé le taux"] == (
        "Une autre clinique, ou le groupe hors de ses sites : 200 visites; "
        "Urgence, triage P4 ou P5 : 29 visites"
    )


def test_it_exports_the_list_as_xlsx(drmg_client, boundary_run):
    url = reverse("assiduity:committee-export", args=[boundary_run.pk, "xlsx"])
    response = drmg_client.get(url)
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in values[1:]] == ["D00008", "D00003"]
    assert values[2][5] == 77.1
    assert drmg_client.get(url.replace("xlsx", "pdf")).status_code == 404
