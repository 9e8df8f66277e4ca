"""Every download of assiduity results is traced in the audit trail: who took which rows
(the rates, one physician's visits, the committee's list) in which format."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.assiduity.models import AssiduityAction
from web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _exports() -> list[dict]:
    return [
        {**event.details, "actor": event.actor.username}
        for event in AuditEvent.objects.filter(action=AssiduityAction.EXPORTED).order_by("pk")
    ]


def test_it_records_the_rates_export_with_its_format(drmg_client, done_run):
    response = drmg_client.get(reverse("assiduity:run-rates-export", args=[done_run.pk, "xlsx"]))
    assert response.status_code == 200
    assert _exports() == [
        {"what": "rates", "format": "xlsx", "year": done_run.year, "actor": "drmg"}
    ]


def test_it_records_a_physicians_visits_export_with_the_physician(drmg_client, done_run):
    code = "D00003"
    url = reverse("assiduity:physician-visits-export", args=[done_run.pk, code, "csv"])
    assert drmg_client.get(url).status_code == 200
    assert _exports() == [
        {
            "what": "visits",
            "format": "csv",
            "year": done_run.year,
            "physician": code,
            "actor": "drmg",
        }
    ]


def test_it_records_the_committee_export(drmg_client, done_run):
    url = reverse("assiduity:committee-export", args=[done_run.pk, "csv"])
    assert drmg_client.get(url).status_code == 200
    assert [event["what"] for event in _exports()] == ["committee"]


def test_it_records_nothing_for_a_refused_export(drmg_client, done_run):
    url = reverse("assiduity:run-rates-export", args=[done_run.pk, "pdf"])
    assert drmg_client.get(url).status_code == 404
    assert _exports() == []
