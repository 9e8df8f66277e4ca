"""A run on a roster without a physician for its territory (none in the RLS, or a version
holding its header only) has nobody to assign the orphan patients to: the run form refuses
it with the reason, as ``panelcare attribution plan`` exits 2 (issue 14, "Imports read
what the people here actually send")."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest
from django.conf import settings
from django.urls import reverse

from web.attribution.models import Run
from web.attribution.tests.test_runs import _default_form_params
from web.audit.models import AuditEvent
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset, store_dataset

pytestmark = pytest.mark.django_db


def store_roster(region, keep) -> Dataset:
    """A new roster version holding the current one's rows ``keep`` accepts (an Arrow
    mask of the table)."""
    table = read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS))
    return store_dataset(region, DatasetKind.PHYSICIANS, table.filter(keep(table)))


def without_rls(code: str):
    return lambda table: pc.not_equal(table.column("rls_id"), code)


def nobody(table):
    return pc.equal(table.column("rls_id"), "no such RLS")


def start(client, rls: str = "0115"):
    data = {"rls": rls, "run_date": "2026-11-23", **_default_form_params()}
    return client.post(reverse("attribution:run-new"), data)


def test_it_refuses_a_run_of_an_rls_without_a_physician(client, region, cml, rimouski):
    roster = store_roster(region, without_rls("0115"))
    events = AuditEvent.objects.count()
    client.force_login(cml)
    response = start(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f"The physicians&#x27; roster in force (version {roster.version}) has no physician "
        f"in RLS {rimouski.name}: nobody to assign the orphan patients to." in html
    )
    assert not Run.objects.exists()
    assert AuditEvent.objects.count() == events


def test_it_refuses_a_run_on_a_roster_holding_its_header_only(client, region, cml):
    roster = store_roster(region, nobody)
    assert read_dataset(roster).num_rows == 0
    client.force_login(cml)
    response = start(client)
    assert response.status_code == 200
    assert "has no physician in RLS" in response.content.decode()
    assert not Run.objects.exists()


def test_it_refuses_a_run_of_the_whole_region_on_an_empty_roster(client, region, drmg):
    store_roster(region, nobody)
    client.force_login(drmg)
    response = start(client, rls="")
    assert response.status_code == 200
    assert "has no physician: nobody to assign the orphan patients to." in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert not Run.objects.exists()


def test_it_still_runs_an_rls_when_another_has_no_physician(client, region, cml):
    store_roster(region, without_rls("0116"))
    client.force_login(cml)
    response = start(client)
    assert response.status_code == 302
    assert Run.objects.count() == 1


def test_it_says_it_in_french(client, region, cml):
    store_roster(region, without_rls("0115"))
    client.force_login(cml)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    html = start(client).content.decode()
    assert "n&#x27;a aucun médecin dans le RLS" in html
    assert "personne à qui attribuer les patients orphelins" in html
    assert not Run.objects.exists()
