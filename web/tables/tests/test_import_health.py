"""Imports that survive a lost worker (web/tasks_health.py): an import being checked or
applied without a heartbeat within the lease is failed with the reason, its staged files
deleted; a fresh heartbeat, or a check not started yet, is left alone."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from web import tasks_health
from web.audit.models import AuditEvent
from web.tables import services, tasks
from web.tables.models import ImportJob, ImportStatus, TableAction, data_dir
from web.tables.tests.conftest import login

pytestmark = pytest.mark.django_db


def _job(region, user, status: str, seconds_ago: float | None) -> ImportJob:
    """An import of the physicians' roster of RLS 0115 as a worker left it."""
    staged = data_dir() / region.code / "uploads" / f"stalled-{status}.csv"
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_text("physician_id\n", encoding="utf-8")
    beat = None if seconds_ago is None else timezone.now() - datetime.timedelta(seconds=seconds_ago)
    return ImportJob.objects.create(
        region=region,
        kind="physicians",
        scope=["0115"],
        source_name="medecins.csv",
        staged_file=str(staged),
        status=status,
        phase="reading",
        heartbeat_at=beat,
        created_by=user,
    )


def test_it_fails_an_import_whose_worker_stopped_checking_it(client, region, settings):
    settings.PANELCARE_TASK_LEASE_SECONDS = 120
    user = login(client, "cml.rimouski")
    job = _job(region, user, ImportStatus.CHECKING, seconds_ago=121)
    result = DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [job.pk], "kwargs": {}},
        task_path=tasks.check_import.module_path,
        worker_ids=["dead-worker"],
        backend_name="default",
        run_after=timezone.now(),
    )

    polled = client.get(reverse("tables:import-progress", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.finished_at is not None
    assert job.errors[0]["message"] == str(tasks_health.STOPPED_MESSAGE)
    assert job.errors[0]["file"] == "medecins.csv"
    assert "hx-trigger" not in polled.content.decode()
    assert not tasks_health.stalled(ImportJob.objects.all(), services.RUNNING).exists()
    assert not (data_dir() / region.code / "uploads" / "stalled-checking.csv").exists()
    result.refresh_from_db()
    assert result.status == "FAILED"
    event = AuditEvent.objects.get(action=TableAction.IMPORT_REFUSED, subject_id=str(job.pk))
    assert event.details["reason"] == "stopped" and event.details["was"] == "checking"


def test_it_fails_an_import_stopped_while_applying_and_writes_no_version(region, settings):
    settings.PANELCARE_TASK_LEASE_SECONDS = 60
    user = User.objects.get(username="cml.rimouski")
    job = _job(region, user, ImportStatus.APPLYING, seconds_ago=61)

    assert services.do_fail_stalled_imports() == [job.pk]

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.dataset is None


def test_it_leaves_a_live_import_and_one_not_started_alone(client, region, settings):
    settings.PANELCARE_TASK_LEASE_SECONDS = 120
    user = login(client, "cml.rimouski")
    live = _job(region, user, ImportStatus.CHECKING, seconds_ago=30)
    waiting = _job(region, user, ImportStatus.APPLYING, seconds_ago=None)

    polled = client.get(reverse("tables:import-progress", args=[live.pk]))

    assert services.do_fail_stalled_imports() == []
    live.refresh_from_db()
    waiting.refresh_from_db()
    assert live.status == ImportStatus.CHECKING and waiting.status == ImportStatus.APPLYING
    assert 'hx-trigger="every 1s"' in polled.content.decode()
