"""Starting, computing, cancelling and failing an assiduity computation, through the
services the pages call, on the demo region."""

from __future__ import annotations

import datetime
import errno
from typing import Any

import pyarrow as pa
import pytest
from django.utils import timezone

from panelcare.assiduity import results
from web import tasks_health
from web.accounts.models import Role
from web.assiduity import services
from web.assiduity.errors import AssiduityNotReady, AssiduityRunNotReady
from web.assiduity.models import AssiduityAction, AssiduityRun, AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.audit.models import AuditEvent
from web.regions.models import Region
from web.regions.testing import make_user, write_version
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db


def _current(region: Region, kind: str) -> Dataset:
    dataset = Dataset.current(region, kind)
    assert dataset is not None
    return dataset


def _events(run: AssiduityRun) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject_id=str(run.pk), action__startswith="assiduity_")
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --------------------------------------------------------------------------- computing


def test_it_computes_every_physician_of_the_region(done_run):
    rates = results.read_rates(done_run.results_folder)
    assert rates.num_rows == done_run.summary["physicians"] > 0
    assert set(rates.column("year").to_pylist()) == {YEAR}
    assert done_run.summary["visits"] > 0
    assert done_run.finished_at is not None and done_run.error == ""
    # Every phase of the engine reported progress, the heartbeat with it.
    assert {"inputs", "rates", "visits", "summaries", "monthly", "index"} <= set(
        done_run.summary["timings"]
    )
    assert done_run.heartbeat_at is not None


def test_it_records_the_versions_it_read_with_their_dates(done_run, region):
    imported = [kind for kind in services.READ_KINDS if Dataset.current(region, kind) is not None]
    # Every table the demo imports (it has no GMF-R coverage), and only those.
    assert sorted(done_run.versions) == sorted(imported)
    for kind in imported:
        current = _current(region, kind)
        assert done_run.versions[kind] == current.pk
        assert done_run.summary["versions"][kind] == {
            "version": current.version,
            "rows": current.rows,
            "imported_at": current.imported_at.isoformat(),
        }


def test_it_records_the_start_and_the_end_in_the_audit_trail(done_run):
    assert _events(done_run) == [AssiduityAction.RUN_STARTED, AssiduityAction.RUN_FINISHED]
    started = AuditEvent.objects.get(action=AssiduityAction.RUN_STARTED, subject_id=done_run.pk)
    assert started.actor.username == "drmg"
    assert started.details["year"] == YEAR
    assert started.details["versions"]["visits"] == 1


def test_it_reads_the_versions_it_was_started_on(region, drmg, hold_queue):
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    # An import after the start (the registrations emptied) does not change what it reads.
    registrations = _current(region, "registrations")
    table = read_dataset(registrations)
    write_version(region, "registrations", table.slice(0, 0))
    services.do_compute_assiduity_run(run.pk)
    run.refresh_from_db()
    assert run.status == AssiduityRunStatus.DONE, run.error
    assert run.summary["versions"]["registrations"]["version"] == registrations.version
    assert run.summary["physicians"] > 0


def test_it_leaves_a_run_that_is_not_queued_alone(done_run):
    finished_at = done_run.finished_at
    services.do_compute_assiduity_run(done_run.pk)  # a task delivered twice
    done_run.refresh_from_db()
    assert done_run.status == AssiduityRunStatus.DONE and done_run.finished_at == finished_at


# --------------------------------------------------------------------------- refusals


def test_it_refuses_a_year_to_come(region, drmg):
    before = AssiduityRun.objects.count()
    with pytest.raises(AssiduityNotReady, match="year to come"):
        services.do_start_assiduity_run(region, timezone.localdate().year + 1, acting_user=drmg)
    assert AssiduityRun.objects.count() == before


def test_it_refuses_a_year_before_the_rules(region, drmg):
    with pytest.raises(AssiduityNotReady, match="from 2017"):
        services.do_start_assiduity_run(region, 2016, acting_user=drmg)


def test_it_refuses_a_year_the_visits_do_not_cover(region, drmg):
    with pytest.raises(AssiduityNotReady, match="hold no visit of 2024"):
        services.do_start_assiduity_run(region, 2024, acting_user=drmg)
    assert not AssiduityRun.objects.filter(year=2024).exists()


def test_it_refuses_a_region_without_visits(territory):
    drmg = make_user(Role.DRMG, region=territory.region)
    with pytest.raises(AssiduityNotReady, match="Import the visits and the registrations"):
        services.do_start_assiduity_run(territory.region, YEAR, acting_user=drmg)


def test_it_refuses_a_second_computation_while_one_is_queued(region, drmg, cml, hold_queue):
    first = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    with pytest.raises(AssiduityNotReady, match=f"number {first.pk}"):
        services.do_start_assiduity_run(region, YEAR, acting_user=cml)
    assert hold_queue == [first.pk]


# --------------------------------------------------------------------------- cancelling


def test_it_cancels_a_queued_run_and_its_task_then_does_nothing(region, drmg, hold_queue):
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    services.do_cancel_assiduity_run(run, acting_user=drmg)
    services.do_compute_assiduity_run(run.pk)
    run.refresh_from_db()
    assert run.status == AssiduityRunStatus.CANCELLED
    assert not run.folder.exists()
    assert _events(run) == [AssiduityAction.RUN_STARTED, AssiduityAction.RUN_CANCELLED]


def test_it_refuses_to_cancel_a_finished_run(done_run, drmg):
    with pytest.raises(AssiduityRunNotReady):
        services.do_cancel_assiduity_run(done_run, acting_user=drmg)


def test_it_keeps_nothing_of_a_run_cancelled_while_it_computes(
    region, drmg, hold_queue, monkeypatch
):
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)

    def cancelled_meanwhile(*args: Any, progress: Any, **kwargs: Any) -> None:
        AssiduityRun.objects.filter(pk=run.pk).update(status=AssiduityRunStatus.CANCELLED)
        progress("rates", 0, 5)  # the next report finds it cancelled and stops the engine
        raise AssertionError("not reached")

    monkeypatch.setattr(results, "write_results", cancelled_meanwhile)
    services.do_compute_assiduity_run(run.pk)
    run.refresh_from_db()
    assert run.status == AssiduityRunStatus.CANCELLED and run.error == ""
    assert not run.folder.exists()


# --------------------------------------------------------------------------- failing


def test_it_fails_a_full_disk_with_a_reason_for_the_user(region, drmg, hold_queue, monkeypatch):
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results, "write_results", full)
    services.do_compute_assiduity_run(run.pk)
    run.refresh_from_db()
    assert run.status == AssiduityRunStatus.FAILED
    assert run.error.startswith("The server's disk is full")
    assert not run.folder.exists()
    assert _events(run)[-1] == AssiduityAction.RUN_FAILED


def test_it_fails_on_a_table_the_engine_refuses_naming_it(region, drmg, hold_queue):
    # Two registrations of one patient on the same days: the engine's check (a patient
    # has one registration a day), which an import of one RLS cannot see across RLS.
    registrations = read_dataset(_current(region, "registrations"))
    first = registrations.slice(0, 1).to_pylist()[0]
    twin = {**first, "physician_id": "D-OTHER", "start_date": first["start_date"]}
    rows = pa.Table.from_pylist([*registrations.to_pylist(), twin], schema=registrations.schema)
    write_version(region, "registrations", rows)
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    services.do_compute_assiduity_run(run.pk)
    run.refresh_from_db()
    assert run.status == AssiduityRunStatus.FAILED
    assert run.error.startswith("The table Registrations in force does not meet")
    assert "overlaps" in run.error  # the engine's words, for the row to correct


def test_it_fails_a_stalled_run_and_says_the_work_stopped(region, drmg, hold_queue, settings):
    settings.PANELCARE_TASK_LEASE_SECONDS = 60
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    old = timezone.now() - datetime.timedelta(seconds=61)
    AssiduityRun.objects.filter(pk=run.pk).update(
        status=AssiduityRunStatus.RUNNING, heartbeat_at=old
    )
    assert tasks_health.any_stalled()
    assert tasks_health.fail_stalled() == 1  # the worker's upkeep reaches the assiduity's
    run.refresh_from_db()
    assert run.status == AssiduityRunStatus.FAILED
    assert run.error == str(tasks_health.STOPPED_MESSAGE)
    failed = AuditEvent.objects.get(action=AssiduityAction.RUN_FAILED, subject_id=run.pk)
    assert failed.details["stalled"] is True


def test_it_leaves_a_running_run_with_a_recent_heartbeat(region, drmg, hold_queue):
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    AssiduityRun.objects.filter(pk=run.pk).update(
        status=AssiduityRunStatus.RUNNING, heartbeat_at=timezone.now()
    )
    assert services.do_fail_stalled_assiduity_runs() == []
