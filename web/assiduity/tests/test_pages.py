"""The assiduity's pages: the home page (the region's computations, the start form), a
computation's page (progress while it works, then the rates of the reader's physicians,
sorted and paginated)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from panelcare.assiduity import results
from web.accounts import access
from web.assiduity import figures, services
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.regions.models import Gmf, GmfMembership
from web.regions.testing import visible_text
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db


def _rows(page: str) -> list[str]:
    """The physicians of a rates table, in its order."""
    return re.findall(r'data-physician="([^"]+)"', page)


def _rates(run: AssiduityRun) -> dict[str, dict]:
    return {row["physician_id"]: row for row in results.read_rates(run.results_folder).to_pylist()}


def _detail(client, run: AssiduityRun, query: str = "") -> str:
    response = client.get(reverse("assiduity:run-detail", args=[run.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


# --------------------------------------------------------------------------- home


def test_it_lists_the_regions_runs_with_the_versions_they_read(drmg_client, done_run):
    page = drmg_client.get(reverse("assiduity:home")).content.decode()
    assert f'data-testid="run-{done_run.pk}"' in page
    text = " ".join(visible_text(page).split())
    assert "Visits v1" in text and "Registrations v1" in text
    assert 'data-testid="start-form"' in page


@pytest.mark.parametrize("client_name", ["gmf_manager_client", "physician_client"])
def test_it_shows_no_start_form_to_a_reader_of_results(request, done_run, client_name):
    page = request.getfixturevalue(client_name).get(reverse("assiduity:home")).content.decode()
    assert f'data-testid="run-{done_run.pk}"' in page
    assert 'data-testid="start-form"' not in page


def test_it_starts_a_computation_for_a_cml_and_opens_its_page(cml_client, region, cml):
    response = cml_client.post(reverse("assiduity:run-start"), {"year": YEAR})
    run = AssiduityRun.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("assiduity:run-detail", args=[run.pk])
    assert run.created_by == cml and run.status == AssiduityRunStatus.DONE, run.error
    page = _detail(cml_client, run)
    scope = access.assiduity_scope(cml)
    assert scope is not None
    assert set(_rows(page)) == set(_rates(run)) & scope


def test_it_says_why_a_year_cannot_be_computed(drmg_client, region, hold_queue):
    response = drmg_client.post(reverse("assiduity:run-start"), {"year": 2024}, follow=True)
    assert "hold no visit of 2024" in response.content.decode()
    response = drmg_client.post(reverse("assiduity:run-start"), {"year": 2016}, follow=True)
    assert "2017" in visible_text(response.content.decode())
    assert hold_queue == []


# --------------------------------------------------------------------------- the rates


def test_it_shows_the_drmg_every_physicians_rate_with_name_and_gmf(drmg_client, done_run):
    page = _detail(drmg_client, done_run)
    rates = _rates(done_run)
    assert sorted(_rows(page)) == sorted(rates)
    roster = read_dataset(Dataset.objects.get(pk=done_run.versions["physicians"]))
    names = {row["physician_id"]: row["name"] for row in roster.to_pylist()}
    assert all(names[code] in page for code in rates)  # from the roster version read
    member = GmfMembership.objects.filter(physician_code__in=rates).first()
    assert member is not None
    assert Gmf.objects.get(code=member.gmf_code).name in page


@pytest.mark.parametrize("username", ["cml.rimouski", "cml.kamouraska", "gestion.gmf", "medecin"])
def test_it_shows_each_reader_the_rates_of_their_physicians_only(
    client_as, demo_user, done_run, username
):
    page = _detail(client_as(username), done_run)
    scope = access.assiduity_scope(demo_user(username))
    assert scope is not None
    expected = set(_rates(done_run)) & scope
    assert expected, "the demo gives every reader at least one physician with a rate"
    assert set(_rows(page)) == expected


def test_it_writes_the_rate_as_a_percent(drmg_client, done_run):
    row = next(row for row in _rates(done_run).values() if row["rate"] is not None)
    page = _detail(drmg_client, done_run)
    cell = re.search(
        rf'data-physician="{row["physician_id"]}".*?data-testid="rate">([^<]*)<', page, re.S
    )
    assert cell is not None
    assert cell.group(1) == f"{row['rate'] * 100:.1f} %"  # English page: decimal point


def test_it_sorts_the_rates_on_the_server(drmg_client, done_run):
    rates = _rates(done_run)
    descending = _rows(_detail(drmg_client, done_run, "?sort=-rate"))
    values = [rates[code]["rate"] for code in descending]
    known = [value for value in values if value is not None]
    assert known == sorted(known, reverse=True)
    assert values == known + [None] * (len(values) - len(known))  # no rate: last
    ascending = _rows(_detail(drmg_client, done_run, "?sort=rate"))
    assert [rates[code]["rate"] for code in ascending][: len(known)] == sorted(known)
    by_patients = _rows(_detail(drmg_client, done_run, "?sort=-registered"))
    counts = [rates[code]["registered_patients"] for code in by_patients]
    assert counts == sorted(counts, reverse=True)


def test_it_ignores_an_unknown_sort(drmg_client, done_run):
    page = _detail(drmg_client, done_run, "?sort=__class__")
    assert sorted(_rows(page)) == sorted(_rates(done_run))


def test_it_pages_the_rates(drmg_client, done_run, monkeypatch):
    monkeypatch.setattr(figures, "RATES_PER_PAGE", 3)
    first = _rows(_detail(drmg_client, done_run, "?sort=physician"))
    second = _rows(_detail(drmg_client, done_run, "?sort=physician&page=2"))
    assert len(first) == len(second) == 3 and not set(first) & set(second)
    assert 'data-testid="next-page"' in _detail(drmg_client, done_run)


def test_it_pages_fifty_physicians_at_a_time():
    assert figures.RATES_PER_PAGE == 50


# --------------------------------------------------------------------------- progress


def test_it_polls_the_progress_of_a_queued_run(drmg_client, region, drmg, hold_queue):
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    page = _detail(drmg_client, run)
    assert reverse("assiduity:run-progress", args=[run.pk]) in page
    assert 'data-status="queued"' in page and 'data-testid="rates-table"' not in page
    assert 'data-testid="cancel-button"' in page


def test_it_reloads_the_page_once_the_run_has_ended(drmg_client, done_run):
    url = reverse("assiduity:run-progress", args=[done_run.pk])
    response = drmg_client.get(url, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert "hx-get" not in response.content.decode()


def test_it_fails_a_stalled_run_when_its_progress_is_polled(
    drmg_client, region, drmg, hold_queue, settings
):
    settings.PANELCARE_TASK_LEASE_SECONDS = 60
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    AssiduityRun.objects.filter(pk=run.pk).update(
        status=AssiduityRunStatus.RUNNING,
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=120),
    )
    url = reverse("assiduity:run-progress", args=[run.pk])
    response = drmg_client.get(url, headers={"HX-Request": "true"})
    assert 'data-status="failed"' in response.content.decode()
    assert response["HX-Refresh"] == "true"


def test_it_cancels_a_run_from_its_page(drmg_client, region, drmg, hold_queue):
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    response = drmg_client.post(reverse("assiduity:run-cancel", args=[run.pk]), follow=True)
    run.refresh_from_db()
    assert run.status == AssiduityRunStatus.CANCELLED
    assert "Computation cancelled" in response.content.decode()
