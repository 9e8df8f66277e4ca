"""Imports of the same table for two RLS do not serialise region-wide (issue 14): a preview
is stale only when a version written since its check may have changed the rows of its
own scope; another RLS's version is merged at Apply, its keys checked again."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.urls import reverse

from web.audit.models import AuditEvent as Event
from web.tables.kinds import DatasetKind
from web.tables.models import ImportJob, ImportStatus
from web.tables.models import TableAction as EventAction
from web.tables.store import read_dataset
from web.tables.tests.test_imports import (
    current,
    last_job,
    staged_files,
    text_rows,
    upload,
    with_cell,
)

pytestmark = pytest.mark.django_db


def ready(client, region, rows) -> ImportJob:
    upload(client, DatasetKind.WAITLIST, rows)
    job = last_job()
    assert job.status == ImportStatus.READY, job.errors
    return job


def apply(client, job: ImportJob) -> ImportJob:
    client.post(reverse("tables:import-apply", args=[job.pk]))
    job.refresh_from_db()
    return job


def patients_of(region, code: str) -> list[str]:
    table = read_dataset(current(region))
    rows = table.filter(pc.equal(table.column("rls_id"), code))
    return sorted(rows.column("patient_id").to_pylist())


def test_it_applies_the_second_rls_import_without_a_new_upload(
    cml_client, other_cml_client, region, own_rls, other_rls
):
    own, other = text_rows(region, rls=own_rls.code), text_rows(region, rls=other_rls.code)
    first = ready(cml_client, region, own.slice(1))
    second = ready(other_cml_client, region, other.slice(1))
    assert first.preview["base"] == second.preview["base"] == {"version": 1}
    assert apply(cml_client, first).status == ImportStatus.APPLIED
    second = apply(other_cml_client, second)
    assert second.status == ImportStatus.APPLIED, second.errors
    dataset = current(region)
    assert dataset.version == 3 and dataset.scope == [other_rls.code]
    assert patients_of(region, own_rls.code) == sorted(own.column("patient_id").to_pylist()[1:])
    assert patients_of(region, other_rls.code) == sorted(other.column("patient_id").to_pylist()[1:])
    assert staged_files(region) == []


def test_it_still_refuses_a_stale_preview_of_the_same_rls(cml_client, region, own_rls):
    own = text_rows(region, rls=own_rls.code)
    first = ready(cml_client, region, own.slice(1))
    second = ready(cml_client, region, own.slice(2))
    assert apply(cml_client, first).status == ImportStatus.APPLIED
    second = apply(cml_client, second)
    assert second.status == ImportStatus.FAILED
    assert "changed after this file was checked" in second.errors[0]["message"]
    assert current(region).version == 2
    refusal = Event.objects.get(action=EventAction.IMPORT_REFUSED)
    assert refusal.details["reason"] == "stale_preview"


def test_it_refuses_a_region_preview_after_an_rls_import(cml_client, drmg_client, region, own_rls):
    whole = ready(drmg_client, region, text_rows(region).slice(1))
    first = ready(cml_client, region, text_rows(region, rls=own_rls.code).slice(1))
    assert apply(cml_client, first).status == ImportStatus.APPLIED
    whole = apply(drmg_client, whole)
    assert whole.status == ImportStatus.FAILED
    assert "changed after this file was checked" in whole.errors[0]["message"]
    assert current(region).version == 2


def test_it_refuses_a_key_the_other_rls_took_meanwhile(
    cml_client, other_cml_client, region, own_rls, other_rls
):
    own, other = text_rows(region, rls=own_rls.code), text_rows(region, rls=other_rls.code)

    # Each CML adds the same new patient to their RLS: checked, neither file has a key
    # of the other's rows; applied second, it has.
    first = ready(cml_client, region, with_cell(own, 0, "patient_id", "P77777777"))
    second = ready(other_cml_client, region, with_cell(other, 0, "patient_id", "P77777777"))
    assert apply(cml_client, first).status == ImportStatus.APPLIED
    second = apply(other_cml_client, second)
    assert second.status == ImportStatus.FAILED
    assert "P77777777" in second.errors[0]["message"]
    assert own_rls.code in second.errors[0]["message"]
    assert current(region).version == 2
    assert "P77777777" in patients_of(region, own_rls.code)
    assert "P77777777" not in patients_of(region, other_rls.code)


def registrations_of(region, rls_code: str):
    physicians = read_dataset(current(region, DatasetKind.PHYSICIANS))
    ours = [row["physician_id"] for row in physicians.to_pylist() if row["rls_id"] == rls_code]
    registrations = text_rows(region, DatasetKind.REGISTRATIONS)
    return registrations.filter(pc.is_in(registrations.column("physician_id"), pa.array(ours)))


@pytest.mark.parametrize(("roster_of", "applied"), [("other", True), ("own", False)])
def test_it_refuses_registrations_only_when_their_rls_roster_changed(
    cml_client, other_cml_client, region, own_rls, other_rls, roster_of, applied
):
    """Registrations are placed by their physician's RLS in the roster: another RLS's
    roster import leaves them valid, their own RLS's makes them stale."""
    upload(cml_client, DatasetKind.REGISTRATIONS, registrations_of(region, own_rls.code).slice(1))
    job = last_job()
    assert job.status == ImportStatus.READY, job.errors
    rls, client = (other_rls, other_cml_client) if roster_of == "other" else (own_rls, cml_client)
    roster = text_rows(region, DatasetKind.PHYSICIANS, rls=rls.code)
    upload(client, DatasetKind.PHYSICIANS, with_cell(roster, 0, "name", "Dre Nouvelle"))
    assert apply(client, last_job()).status == ImportStatus.APPLIED
    job = apply(cml_client, job)
    assert (job.status == ImportStatus.APPLIED) is applied, job.errors
    assert current(region, DatasetKind.REGISTRATIONS).version == (2 if applied else 1)
