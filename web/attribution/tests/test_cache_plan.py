"""A run's page is rendered from parts cached per plan, language and data version
(web/attribution/figures.py: run_figures, run_record); the access module still decides
every request, and an adjustment or an approval shows on the next request."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from web.attribution import figures, services
from web.attribution.tests.test_runs import assigned, patient_of

pytestmark = pytest.mark.django_db


def _expected(html: str, physician: str) -> int:
    match = re.search(rf'data-testid="expected-{physician}">(\d+)<', html)
    assert match is not None, physician
    return int(match.group(1))


def test_it_builds_a_plan_once_then_serves_it_from_the_cache(client, cml, done_run, monkeypatch):
    client.force_login(cml)
    url = reverse("attribution:run-detail", args=[done_run.pk])
    first = client.get(url, {"tab": "physicians"}).content.decode()
    built: list[int] = []
    parts = figures._plan_parts

    def counted(run: Any, pages: Any) -> Any:
        built.append(run.pk)
        return parts(run, pages)

    monkeypatch.setattr(figures, "_plan_parts", counted)
    second = client.get(url, {"tab": "physicians"}).content.decode()
    tabs = {tab: client.get(url, {"tab": tab}).content.decode() for tab in figures.RUN_TABS}
    assert built == []
    for tab, testid in (
        ("physicians", "plan-physicians"),
        ("patients", "plan-patients"),
        ("charts", "chart-map"),
        ("history", "run-history"),
    ):
        assert f'data-testid="{testid}"' in tabs[tab]
    assert _expected(second, "D00004") == _expected(first, "D00004")
    # The forms still carry this reader's own token: not from the cache.
    assert 'name="csrfmiddlewaretoken"' in tabs["summary"]


def test_it_never_serves_a_cached_plan_outside_the_runs_territory(client, cml, done_run, demo_user):
    client.force_login(cml)
    url = reverse("attribution:run-detail", args=[done_run.pk])
    assert client.get(url).status_code == 200  # cached now
    client.force_login(demo_user("cml.kamouraska"))
    assert client.get(url).status_code == 404
    client.force_login(demo_user("gestion.gmf"))
    assert client.get(url).status_code == 403
    client.force_login(demo_user("drmg"))
    assert client.get(url).status_code == 200


def test_it_shows_an_adjustment_and_an_approval_on_the_next_request(client, cml, done_run):
    client.force_login(cml)
    url = reverse("attribution:run-detail", args=[done_run.pk])
    tab = {"tab": "physicians"}
    before = client.get(url, tab).content.decode()
    moved = patient_of(done_run, "D00001")
    services.do_move_patient(done_run, moved, "D00004", acting_user=cml)
    after = client.get(url, tab).content.decode()
    assert _expected(after, "D00004") == _expected(before, "D00004") + 1
    assert _expected(after, "D00004") == assigned(done_run)["D00004"]
    assert 'data-kind="move"' in client.get(url).content.decode()
    done_run.refresh_from_db()
    services.do_approve_run(done_run, acting_user=User.objects.get(username="drmg"))
    approved = client.get(url).content.decode()
    assert 'data-testid="approved"' in approved and "drmg" in approved
    assert 'data-testid="target-form"' not in approved
    patients = client.get(url, {"tab": "patients"}).content.decode()
    assert not re.search(r'data-testid="move-P\d+"', patients)


def test_it_keys_a_plan_by_its_files(done_run):
    stamp = figures.plan_stamp(done_run)
    assert stamp is not None
    assignments = done_run.folder / "plan" / "assignments.csv"
    assignments.write_bytes(assignments.read_bytes() + b"\n")
    assert figures.plan_stamp(done_run) != stamp
