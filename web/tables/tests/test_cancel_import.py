"""Cancelling an import while its worker checks the file: the worker stops at its next
progress report (ImportStopped), writes nothing, removes the staged files, and logs no
error; an import failed as stalled while applying stops the same way."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from web.audit.models import AuditEvent as Event
from web.tables import services, tasks
from web.tables.errors import ImportNotReady, ImportStopped
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset, ImportJob, ImportStatus
from web.tables.models import TableAction as EventAction
from web.tables.tests.conftest import login
from web.tables.tests.test_imports import last_job, staged_files, text_rows, upload

pytestmark = pytest.mark.django_db


def _job(region, user, status: str) -> ImportJob:
    return ImportJob.objects.create(
        region=region,
        kind=DatasetKind.WAITLIST,
        source_name="gamf.csv",
        staged_file="/nonexistent.csv",
        status=status,
        created_by=user,
    )


def test_it_stops_the_progress_of_an_import_cancelled_while_checking(client, region):
    user = login(client, "drmg")
    job = _job(region, user, ImportStatus.CHECKING)
    report = tasks._progress_of(job)
    report("reading", 0, 0)
    assert ImportJob.objects.get(pk=job.pk).heartbeat_at is not None

    services.do_cancel_import(job, acting_user=user)

    with pytest.raises(ImportStopped):
        report("checking", 10, 100)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and job.done == 0  # the report wrote nothing


def test_it_stops_an_import_failed_as_stalled_before_applying_it(client, region):
    user = login(client, "drmg")
    job = _job(region, user, ImportStatus.APPLYING)
    report = tasks._progress_of(job)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED)
    with pytest.raises(ImportStopped):
        report("applying", 0, 10)


def test_it_refuses_to_cancel_an_import_being_applied(client, region):
    user = login(client, "drmg")
    job = _job(region, user, ImportStatus.APPLYING)
    with pytest.raises(ImportNotReady):
        services.do_cancel_import(job, acting_user=user)
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.APPLYING


def test_it_writes_nothing_when_the_import_is_cancelled_during_its_check(
    client, region, monkeypatch, caplog
):
    user = login(client, "drmg")
    real_check = tasks.check_file

    def check_then_cancel(region, kind, scope, path, *, source_name=None, progress=None, **more):
        assert progress is not None

        def cancel_while_checking(phase: str, done: int, total: int) -> None:
            if phase == "checking" and ImportJob.objects.get().status == ImportStatus.CHECKING:
                # The user clicks Cancel while the worker checks the cells.
                services.do_cancel_import(ImportJob.objects.get(), acting_user=user)
            progress(phase, done, total)

        return real_check(
            region,
            kind,
            scope,
            path,
            source_name=source_name,
            progress=cancel_while_checking,
            **more,
        )

    monkeypatch.setattr(tasks, "check_file", check_then_cancel)
    ImportJob.objects.all().delete()
    versions = Dataset.objects.count()
    caplog.set_level(logging.INFO, logger="web.tables.tasks")

    response = upload(client, DatasetKind.WAITLIST, text_rows(region).slice(3))

    assert response.status_code == 302
    job = last_job()
    assert job.status == ImportStatus.CANCELLED
    assert job.errors == [] and job.preview == {}
    assert Dataset.objects.count() == versions
    assert staged_files(region) == []
    assert Event.objects.filter(action=EventAction.IMPORT_CANCELLED).count() == 1
    assert not Event.objects.filter(action=EventAction.IMPORT_REFUSED).exists()
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert "was stopped" in caplog.text
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert 'data-status="cancelled"' in page and "hx-trigger" not in page
