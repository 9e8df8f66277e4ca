"""Runs that survive a lost worker (web/tasks_health.py): a RUNNING run without a heartbeat
within the lease is failed with the reason and can be run again; a fresh heartbeat is left
alone; a queued or running run can be cancelled, leaving no plan."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from web import tasks_health
from web.attribution import services, tasks
from web.attribution.errors import RunNotReady
from web.attribution.models import AttributionAction, Run, RunStatus
from web.attribution.tests.conftest import RUN_DATE
from web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_run(cml, monkeypatch, rimouski) -> Run:
    """A run of Rimouski-Neigette queued, its task held (no worker yet)."""
    monkeypatch.setattr(services, "enqueue_run", lambda pk: None)
    return services.do_start_run(rimouski, {}, RUN_DATE, "T4", acting_user=cml)


def _running(run: Run, seconds_ago: float) -> Run:
    """``run`` as a worker left it: RUNNING, its last heartbeat ``seconds_ago``."""
    beat = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, phase="solving", done=3, total=10, heartbeat_at=beat
    )
    run.refresh_from_db()
    return run


def _task_result(run: Run, status: str = "RUNNING") -> DBTaskResult:
    """The database backend's record of ``run``'s task, claimed by a worker now dead."""
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [run.pk], "kwargs": {}},
        task_path=tasks.execute_run.module_path,
        worker_ids=["dead-worker"],
        backend_name="default",
        run_after=timezone.now(),
        started_at=timezone.now(),
    )


def test_it_fails_a_run_whose_worker_stopped_and_runs_it_again(client, cml, held_run, settings):
    settings.PANELCARE_TASK_LEASE_SECONDS = 120
    run = _running(held_run, seconds_ago=121)
    result, other = _task_result(run), _task_result(run, status="READY")
    client.force_login(cml)
    url = reverse("attribution:run-progress", args=[run.pk])

    polled = client.get(url, HTTP_HX_REQUEST="true")

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.finished_at is not None
    assert run.error == str(tasks_health.STOPPED_MESSAGE)
    assert "hx-trigger" not in polled.content.decode()  # the page stops polling
    assert polled["HX-Refresh"] == "true"
    result.refresh_from_db()
    other.refresh_from_db()
    assert result.status == "FAILED" and "dead-worker" in result.traceback
    assert other.status == "READY"  # only the task a worker held
    event = AuditEvent.objects.about(run).get(action=AttributionAction.RUN_FAILED)
    assert event.details["stalled"] is True and event.actor == cml
    page = client.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert 'data-testid="retry-button"' in page and 'data-testid="cancel-run-button"' not in page

    run = services.do_retry_run(run, acting_user=cml)
    assert run.status == RunStatus.QUEUED and run.heartbeat_at is None
    tasks.execute_run.call(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert (run.folder / "plan" / "summary.json").is_file()


def test_it_leaves_a_run_with_a_fresh_heartbeat_alone(client, cml, held_run, settings):
    settings.PANELCARE_TASK_LEASE_SECONDS = 120
    run = _running(held_run, seconds_ago=100)
    result = _task_result(run)
    client.force_login(cml)

    polled = client.get(reverse("attribution:run-progress", args=[run.pk]), HTTP_HX_REQUEST="true")

    assert services.do_fail_stalled_runs() == []
    run.refresh_from_db()
    result.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.error == ""
    assert result.status == "RUNNING"
    assert 'hx-trigger="every 1s"' in polled.content.decode()


def test_it_leaves_a_queued_run_without_a_heartbeat_alone(held_run, settings):
    settings.PANELCARE_TASK_LEASE_SECONDS = 0
    assert services.do_fail_stalled_runs() == []
    held_run.refresh_from_db()
    assert held_run.status == RunStatus.QUEUED


def test_it_fails_stalled_runs_in_the_workers_upkeep(held_run, settings):
    # manage.py db_worker runs `worker_upkeep` before its first worker process, then every
    # minute (web/ops/worker.py; its own tests in web/ops/tests/test_worker.py).
    settings.PANELCARE_TASK_LEASE_SECONDS = 60
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    run = _running(held_run, seconds_ago=3600)

    call_command("worker_upkeep", verbosity=0)

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


def test_it_cancels_a_queued_run_and_its_task_then_does_nothing(client, cml, held_run):
    client.force_login(cml)
    page = client.get(reverse("attribution:run-detail", args=[held_run.pk])).content.decode()
    assert 'data-testid="cancel-run-button"' in page

    response = client.post(reverse("attribution:run-cancel", args=[held_run.pk]))

    assert response.status_code == 302
    held_run.refresh_from_db()
    assert held_run.status == RunStatus.CANCELLED and held_run.finished_at is not None
    event = AuditEvent.objects.about(held_run).get(action=AttributionAction.RUN_CANCELLED)
    assert event.actor == cml and event.details["was"] == RunStatus.QUEUED
    tasks.execute_run.call(held_run.pk)  # the worker reaches the queued task later
    held_run.refresh_from_db()
    assert held_run.status == RunStatus.CANCELLED
    assert not held_run.folder.exists()
    with pytest.raises(RunNotReady):
        services.do_cancel_run(held_run, acting_user=cml)
    run = services.do_retry_run(held_run, acting_user=cml)
    assert run.status == RunStatus.QUEUED


def test_it_stops_a_running_run_at_its_next_progress_report(cml, held_run, monkeypatch):
    real_plan = services.solve.plan
    reports = []

    def plan_cancelled_midway(*args, progress, **kwargs):
        services.do_cancel_run(held_run, acting_user=cml)  # the user, while it computes
        progress("solving", 1, 10)
        reports.append("after the cancellation")  # never reached
        return real_plan(*args, progress=progress, **kwargs)

    monkeypatch.setattr(services.solve, "plan", plan_cancelled_midway)

    tasks.execute_run.call(held_run.pk)

    held_run.refresh_from_db()
    assert held_run.status == RunStatus.CANCELLED and held_run.error == ""
    assert reports == []
    assert not held_run.folder.exists()  # no plan folder, not even a partial one
    actions = set(AuditEvent.objects.about(held_run).values_list("action", flat=True))
    assert AttributionAction.RUN_CANCELLED in actions
    assert not {AttributionAction.RUN_FAILED, AttributionAction.RUN_FINISHED} & actions


def test_it_keeps_no_plan_when_cancelled_while_writing_it(cml, held_run, monkeypatch):
    real_write = services.store.write_plan

    def write_then_cancelled(*args, **kwargs):
        real_write(*args, **kwargs)
        services.do_cancel_run(held_run, acting_user=cml)

    monkeypatch.setattr(services.store, "write_plan", write_then_cancelled)

    tasks.execute_run.call(held_run.pk)

    held_run.refresh_from_db()
    assert held_run.status == RunStatus.CANCELLED and held_run.summary == {}
    assert not held_run.folder.exists()


def test_it_refuses_to_cancel_a_finished_run(cml, done_run):
    with pytest.raises(RunNotReady):
        services.do_cancel_run(done_run, acting_user=cml)
    done_run.refresh_from_db()
    assert done_run.status == RunStatus.DONE
