"""Who may open and change runs: the DRMG everywhere in the region, a CML in their RLS only
(404 outside it), every other role refused (403) on every page; nothing written when
refused."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from web.accounts import access
from web.attribution import runs
from web.attribution.models import PhysicianDecision, Run, RunAdjustment, RunStatus
from web.audit.models import AuditEvent
from web.regions.models import Rls
from web.regions.testing import load_tiny_demo

pytestmark = pytest.mark.django_db

RUN_DATE = datetime.date(2026, 11, 23)
OTHER_ROLES = ["medecin", "gestion.gmf", "ciusss", "coach"]


@pytest.fixture
def run(db):
    """A done run of Rimouski-Neigette (0115), started by its CML."""
    load_tiny_demo()
    cml = User.objects.get(username="cml.rimouski")
    return runs.start_run(cml, Rls.objects.get(code="0115"), {}, RUN_DATE, "T4")


def pages(run: Run) -> list[tuple[str, str]]:
    """Every page of the runs' part: (method, url)."""
    patient = str(runs.store.read_plan(run.folder / "plan").orphans.patient_id[0])
    return [
        ("get", reverse("attribution:home")),
        ("get", reverse("attribution:physicians", args=["0115"])),
        ("post", reverse("attribution:decision", args=["0115", "D00004"])),
        ("get", reverse("attribution:runs")),
        ("get", reverse("attribution:run-new")),
        ("post", reverse("attribution:run-new")),
        ("get", reverse("attribution:run-detail", args=[run.pk])),
        ("get", reverse("attribution:run-progress", args=[run.pk])),
        ("get", reverse("attribution:run-patient", args=[run.pk, patient])),
        ("get", reverse("attribution:run-physician", args=[run.pk, "D00004"])),
        ("post", reverse("attribution:run-adjust", args=[run.pk])),
        ("post", reverse("attribution:run-approve", args=[run.pk])),
        ("post", reverse("attribution:run-retry", args=[run.pk])),
        ("get", reverse("attribution:run-compare") + f"?a={run.pk}&b={run.pk}"),
        ("get", reverse("attribution:history")),
    ]


def request(client, method: str, url: str) -> int:
    if method == "post":
        return client.post(
            url, {"kind": "target", "physician": "D00004", "target": "50"}
        ).status_code
    return client.get(url).status_code


@pytest.mark.parametrize("username", OTHER_ROLES)
def test_it_refuses_every_page_to_other_roles(client, run, username):
    client.force_login(User.objects.get(username=username))
    events = AuditEvent.objects.count()
    for method, url in pages(run):
        status = request(client, method, url)
        if url == reverse("attribution:home") and username == "medecin":
            # A physician goes to their letters, once that page exists.
            try:
                letters = reverse("attribution:my-letters")
            except NoReverseMatch:
                assert status == 403
            else:
                response = client.get(url)
                assert response.status_code == 302 and response["Location"] == letters
            continue
        assert status == 403, (username, url, status)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert not RunAdjustment.objects.exists() and not PhysicianDecision.objects.exists()
    assert AuditEvent.objects.count() == events


def test_it_hides_a_run_of_another_rls_from_a_cml(client, run):
    client.force_login(User.objects.get(username="cml.kamouraska"))
    for method, url in pages(run):
        status = request(client, method, url)
        if "/physicians/0115/" in url or f"/runs/{run.pk}/" in url or f"a={run.pk}" in url:
            assert status == 404, (url, status)
        elif method == "post" and url == reverse("attribution:run-new"):
            assert status == 403  # no RLS posted: the whole region, the DRMG's
        else:
            assert status in (200, 302), (url, status)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and not RunAdjustment.objects.exists()
    runs_page = client.get(reverse("attribution:runs")).content.decode()
    assert f'data-testid="run-{run.pk}"' not in runs_page


def test_it_refuses_a_cml_a_run_for_another_rls_or_the_region(client, run):
    cml = User.objects.get(username="cml.rimouski")
    client.force_login(cml)
    data = {"rls": "0116", "run_date": "2026-11-23", "group1_threshold": "500"}
    assert client.post(reverse("attribution:run-new"), data).status_code == 404
    data["rls"] = ""
    assert client.post(reverse("attribution:run-new"), data).status_code == 403
    assert Run.objects.count() == 1
    # The refusals come from the access layer, which the page asks before starting a run.
    with pytest.raises(Http404):
        access.access_territory(cml, "0116")
    with pytest.raises(PermissionDenied):
        access.access_territory(cml, "")
    assert access.access_territory(cml, "0115") == Rls.objects.get(code="0115")
    assert access.access_territory(User.objects.get(username="drmg"), "") is None


def test_it_hides_a_region_run_from_a_cml(client, run):
    region_run = runs.start_run(User.objects.get(username="drmg"), None, {}, RUN_DATE)
    client.force_login(User.objects.get(username="cml.rimouski"))
    assert client.get(reverse("attribution:run-detail", args=[region_run.pk])).status_code == 404
    assert client.post(reverse("attribution:run-approve", args=[region_run.pk])).status_code == 404
    region_run.refresh_from_db()
    assert region_run.status == RunStatus.DONE


def test_it_lets_the_drmg_open_and_approve_a_run_of_any_rls(client, run):
    drmg = User.objects.get(username="drmg")
    client.force_login(drmg)
    assert client.get(reverse("attribution:run-detail", args=[run.pk])).status_code == 200
    assert client.post(reverse("attribution:run-approve", args=[run.pk])).status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED and run.approved_by == drmg


def test_it_sends_anonymous_visitors_to_login(client, run):
    for method, url in pages(run):
        response = client.post(url) if method == "post" else client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_it_shows_the_history_with_the_runs_and_the_table_versions(client, run):
    client.force_login(User.objects.get(username="drmg"))
    html = client.get(reverse("attribution:history")).content.decode()
    assert f'href="{reverse("attribution:run-detail", args=[run.pk])}">#{run.pk}</a>' in html
    assert escape(str(run.physicians)) in html  # the version the demo's import wrote
    assert 'data-action="run_started"' in html and 'data-action="import_applied"' in html
    # A role outside the attribution reads nothing of it.
    client.force_login(User.objects.get(username="coach"))
    assert client.get(reverse("attribution:history")).status_code == 403
