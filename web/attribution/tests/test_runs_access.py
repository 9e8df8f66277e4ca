"""Who may open and change runs: the DRMG everywhere in the region, a CML in their RLS only
(404 outside it), every other role refused (403) on every page; nothing written when
refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from panelcare.attribution import store
from web.accounts import access
from web.attribution import services
from web.attribution.models import PhysicianDecision, Run, RunAdjustment, RunStatus
from web.attribution.tests.conftest import RUN_DATE
from web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

OTHER_ROLES = ["medecin", "gestion.gmf", "ciusss", "coach"]


def pages(run: Run) -> list[tuple[str, str]]:
    """Every page of the runs' part: (method, url)."""
    patient = str(store.read_plan(run.folder / "plan").orphans.patient_id[0])
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
def test_it_refuses_every_page_to_other_roles(client, done_run, username):
    client.force_login(User.objects.get(username=username))
    events = AuditEvent.objects.count()
    for method, url in pages(done_run):
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
    done_run.refresh_from_db()
    assert done_run.status == RunStatus.DONE
    assert not RunAdjustment.objects.exists() and not PhysicianDecision.objects.exists()
    assert AuditEvent.objects.count() == events


def test_it_hides_a_run_of_another_rls_from_a_cml(client, done_run):
    client.force_login(User.objects.get(username="cml.kamouraska"))
    for method, url in pages(done_run):
        status = request(client, method, url)
        if (
            "/physicians/0115/" in url
            or f"/runs/{done_run.pk}/" in url
            or f"a={done_run.pk}" in url
        ):
            assert status == 404, (url, status)
        elif method == "post" and url == reverse("attribution:run-new"):
            assert status == 403  # no RLS posted: the whole region, the DRMG's
        else:
            assert status in (200, 302), (url, status)
    done_run.refresh_from_db()
    assert done_run.status == RunStatus.DONE and not RunAdjustment.objects.exists()
    runs_page = client.get(reverse("attribution:runs")).content.decode()
    assert f'data-testid="run-{done_run.pk}"' not in runs_page


def test_it_refuses_a_cml_a_run_for_another_rls_or_the_region(
    client, done_run, rimouski, drmg, cml
):
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
    assert access.access_territory(cml, "0115") == rimouski
    assert access.access_territory(drmg, "") is None


def test_it_hides_a_region_run_from_a_cml(client, done_run, drmg, cml):
    region_run = services.do_start_run(None, {}, RUN_DATE, acting_user=drmg)
    client.force_login(cml)
    assert client.get(reverse("attribution:run-detail", args=[region_run.pk])).status_code == 404
    assert client.post(reverse("attribution:run-approve", args=[region_run.pk])).status_code == 404
    region_run.refresh_from_db()
    assert region_run.status == RunStatus.DONE


def test_it_lets_the_drmg_open_and_approve_a_run_of_any_rls(client, done_run, drmg):
    client.force_login(drmg)
    assert client.get(reverse("attribution:run-detail", args=[done_run.pk])).status_code == 200
    approve = reverse("attribution:run-approve", args=[done_run.pk])
    assert client.post(approve, {"confirm": "1"}).status_code == 302
    done_run.refresh_from_db()
    assert done_run.status == RunStatus.APPROVED and done_run.approved_by == drmg


def test_it_sends_anonymous_visitors_to_login(client, done_run):
    for method, url in pages(done_run):
        response = client.post(url) if method == "post" else client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_it_shows_the_history_with_the_runs_and_the_table_versions(client, done_run, drmg):
    client.force_login(drmg)
    html = client.get(reverse("attribution:history")).content.decode()
    assert (
        f'href="{reverse("attribution:run-detail", args=[done_run.pk])}">#{done_run.pk}</a>' in html
    )
    assert escape(str(done_run.physicians)) in html  # the version the demo's import wrote
    assert 'data-action="run_started"' in html and 'data-action="import_applied"' in html
    # A role outside the attribution reads nothing of it.
    client.force_login(User.objects.get(username="coach"))
    assert client.get(reverse("attribution:history")).status_code == 403
