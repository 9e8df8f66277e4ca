"""The writes of the attribution workflow: one ``do_<verb>_<thing>`` per write, taking the
objects the view checked and ``acting_user=``, each recording its entry of the audit trail
(:func:`web.audit.services.record`) in the same transaction.

    run = do_start_run(rls, {"group2_target": 1000}, run_date, "T1 2027", acting_user=cml)
    consequences = do_move_patient(run, "P00000223", "D00004", acting_user=cml)
    consequences = do_change_target(run, "D00004", 400, acting_user=cml)
    do_approve_run(run, acting_user=cml)                       # frozen from now on
    do_set_decision(region, "D00004", "0115", acting_user=cml, excluded=True)
    do_save_letter_template(region, "personal", subject, body, acting_user=drmg)
    do_request_letters(run, acting_user=drmg)                  # the task writes them

Runs (DSP-PR-30042, 5 to 7; issue 6, part 3) are started by the CML or the DRMG, computed
in the background (:func:`do_compute_run`, the task :func:`web.attribution.tasks.execute_run`),
adjusted, then approved and frozen. The engine is called in memory: the parameters as a
mapping (:func:`panelcare.attribution.params.params_from_mapping`), the run's table
versions as Arrow tables (:func:`panelcare.attribution.io.inputs_from_arrow`); the plan's
figures and adjustments are the engine's too (:mod:`panelcare.attribution.figures`,
:mod:`panelcare.attribution.adjust`). What a run read is its record: the table versions
and the decisions' snapshot, and the waiting-list patients it does not offer (proposed by a plan
in force, registered, removed: ``docs/attribution-journey.md``), and the assiduity
computation whose rates LE 304 reads (:mod:`web.attribution.le304`). A run's folder (:attr:`Run.folder`)::

    plan/                       the engine's plan folder (store.write_plan: the plan, and
                                in plan/inputs/ the physicians and orphans it read and
                                its parameters), replaced by every adjustment in the
                                transaction that records it
    letters/                    the letters' PDF files (do_write_letters), replaced whole
    letters-status.json         the state of the latest writing of the letters

The flow is described in ``docs/attribution-web-runs.md`` and
``docs/attribution-web-letters.md``. The caller has checked the user's access to the run,
RLS or region (``web.accounts.access``): these functions trust what they get.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks.backends.immediate import ImmediateBackend

from panelcare.attribution import adjust, io, outputs, solve, store
from panelcare.attribution.figures import plan_figures
from panelcare.attribution.model import MODES, Orphans, Physicians
from panelcare.attribution.params import Params, params_as_dict, params_from_mapping
from web import tasks_health
from web.accounts import access
from web.accounts.access import Purpose, User
from web.attribution import gmfs, journey, le304, letterpdf, letters, tasks
from web.attribution.errors import (
    AdjustmentRefused,
    LetterError,
    PlanInForce,
    RunFrozen,
    RunNotReady,
)
from web.attribution.models import (
    DECISION_FIELDS,
    AdjustmentKind,
    AttributionAction,
    Letter,
    LetterKind,
    LetterTemplate,
    PhysicianDecision,
    Run,
    RunAdjustment,
    RunStatus,
)
from web.attribution.roster import (
    applied_roster,
    current_roster,
    decisions_in_force,
    declared_targets,
    rls_of,
)
from web.audit.services import record, record_on
from web.errors import DiskFull, disk_full_guard, is_disk_full
from web.regions.models import Region, Rls
from web.regions.services import (
    do_propose_waitlist,
    do_release_proposals,
    withheld_patients,
)
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.queries import with_registered_counts
from web.tables.store import read_dataset

__all__ = [
    "do_approve_run",
    "do_cancel_letters",
    "do_cancel_run",
    "do_change_target",
    "do_compute_run",
    "do_fail_stalled_runs",
    "do_move_patient",
    "do_record_letter_download",
    "do_record_letters_failure",
    "do_request_letters",
    "do_reset_letter_template",
    "do_retry_run",
    "do_save_letter_template",
    "do_set_decision",
    "do_start_run",
    "do_write_letters",
    "enqueue_run",
    "fail_stalled_letters",
]

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds), plus at each new phase and at the end.
PROGRESS_INTERVAL = 0.25


# --------------------------------------------------------------------------- runs


def do_start_run(
    rls: Rls | None,
    params: Mapping[str, Any],
    run_date: datetime.date,
    title: str = "",
    *,
    acting_user: User,
) -> Run:
    """Queue a run of ``rls`` (the whole region when None) on the current tables.

    Records the current physicians' roster and waiting-list versions, a snapshot of the
    decisions in force, the assiduity computation whose rates LE 304 reads
    (:func:`web.attribution.le304.computation_for`: the region's latest of the year
    before ``run_date``; none: the roster's column) and the audit entry RUN_STARTED, in
    one transaction; then queues the task :func:`web.attribution.tasks.execute_run`,
    which computes the plan (:func:`do_compute_run`). Its ``gmf_targets`` parameter is
    the targets in force of the GMFs of its territory, whatever ``params`` holds
    (:func:`web.attribution.gmfs.targets_in_force`); its ``offered_targets``, the targets
    the physicians' offers set (:func:`web.attribution.roster.declared_targets`), whatever
    ``params`` holds.

    The caller has checked that ``acting_user`` works on ``rls`` (or on the whole region):
    ``web.accounts.access.access_territory``; the region is the user's.

    Raises:
        SettingsError: a parameter is wrong (``key`` names it).
        RunNotReady: the region has no physicians' roster or no waiting list yet, the
            roster in force has no physician in ``rls`` (in the region, when None), or the
            assiduity computation to read has lost its results.
    """
    region = access.access_region(acting_user, Purpose.ATTRIBUTION)
    # The GMF targets are the ones in force, never typed in (web.attribution.gmfs).
    checked = params_from_mapping({**params, "gmf_targets": gmfs.targets_in_force(region, rls)})
    physicians = Dataset.current(region, DatasetKind.PHYSICIANS)
    waitlist = Dataset.current(region, DatasetKind.WAITLIST)
    if physicians is None or waitlist is None:
        raise RunNotReady(_("Import the physicians' roster and the waiting list first."))
    registrations = Dataset.current(region, DatasetKind.REGISTRATIONS)
    physicians_in_scope = _restricted(read_dataset(physicians), rls)
    _refuse_an_empty_roster(physicians, physicians_in_scope.num_rows, rls)
    # The panels of the day the run starts (the dashboard's), whatever its run date.
    roster = with_registered_counts(physicians_in_scope, registrations, timezone.localdate())
    decisions = decisions_in_force(region, [rls.code] if rls else None)
    snapshot = applied_roster(roster, decisions.values(), run_date, checked)[1]
    # The targets the physicians' offers set are the decisions' (the run form's
    # target_overrides win over them in the engine), never typed in.
    checked = params_from_mapping(
        {**params_as_dict(checked), "offered_targets": declared_targets(snapshot)}
    )
    # Not offered: proposed by a plan in force, registered, removed (the journey).
    withheld = withheld_patients(region, [rls.code] if rls else None)
    assiduity_run = le304.computation_for(region, run_date)
    le304.read_computed_rates(assiduity_run)  # its results are there (RunNotReady if not)
    with transaction.atomic():
        run = Run.objects.create(
            region=region,
            rls=rls,
            title=title[:200],
            run_date=run_date,
            params=params_as_dict(checked),
            physicians=physicians,
            waitlist=waitlist,
            registrations=registrations,
            decisions=snapshot,
            withheld_patients=withheld,
            assiduity_run=assiduity_run,
            status=RunStatus.QUEUED,
            created_by=acting_user,
        )
        record(
            AttributionAction.RUN_STARTED,
            region=region,
            acting_user=acting_user,
            subject=run,
            rls_code=rls.code if rls else "",
            title=run.title,
            run_date=run_date.isoformat(),
            physicians_version=physicians.version,
            waitlist_version=waitlist.version,
            decisions=len(snapshot),
            withheld_patients=len(withheld),
            assiduity_source=le304.COMPUTED if assiduity_run else le304.IMPORTED,
            assiduity_run=assiduity_run.pk if assiduity_run else None,
        )
    enqueue_run(run.pk)
    run.refresh_from_db()
    return run


def _refuse_an_empty_roster(physicians: Dataset, count: int, rls: Rls | None) -> None:
    """A roster version without a physician in the run's territory (a headers-only
    export, more likely than an RLS without physicians) has nobody to assign the orphan
    patients to: planning would leave every one unassigned, which says nothing. The CLI
    refuses it too (``panelcare attribution plan`` exits 2).

    Raises:
        RunNotReady: ``count`` is 0, naming the version and the territory.
    """
    if count:
        return
    if rls is None:
        message = _(
            "The physicians' roster in force (version %(version)s) has no physician: "
            "nobody to assign the orphan patients to. Check the roster's export, then "
            "import it again."
        ) % {"version": physicians.version}
    else:
        message = _(
            "The physicians' roster in force (version %(version)s) has no physician in "
            "RLS %(rls)s: nobody to assign the orphan patients to. Check the roster's "
            "export, then import it again."
        ) % {"version": physicians.version, "rls": rls.name}
    raise RunNotReady(message)


def enqueue_run(run_id: int) -> None:
    """Queue :func:`web.attribution.tasks.execute_run` for ``run_id`` (with the immediate
    backend, the tests', it runs here and now). One place, so that a test can hold a run
    in the queue."""
    tasks.execute_run.enqueue(run_id)


def do_retry_run(run: Run, *, acting_user: User) -> Run:
    """Queue a failed run again, on the same inputs (versions, decisions, parameters).

    Raises:
        RunFrozen: the run is approved.
        RunNotReady: the run has not failed (a plan exists, or it is being computed).
    """
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.is_frozen:
            raise RunFrozen(_("This run is approved: it cannot be run again."))
        if locked.status not in (RunStatus.FAILED, RunStatus.CANCELLED):
            raise RunNotReady(_("Only a failed run can be run again."))
        Run.objects.filter(pk=run.pk).update(
            status=RunStatus.QUEUED,
            error="",
            phase="",
            done=0,
            total=0,
            summary={},
            heartbeat_at=None,
            finished_at=None,
        )
        record_on(AttributionAction.RUN_STARTED, run, acting_user=acting_user, retry=True)
    enqueue_run(run.pk)
    run.refresh_from_db()
    return run


def do_cancel_run(run: Run, *, acting_user: User) -> Run:
    """Cancel a queued or running run: CANCELLED at once, with the audit entry
    RUN_CANCELLED. A queued run's task then finds it not queued and does nothing; a
    running computation stops at its next progress report (:class:`RunStopped`) without
    leaving a plan. It can be run again (:func:`do_retry_run`).

    Raises:
        RunNotReady: the run is no longer queued or running.
    """
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise RunNotReady(_("Only a queued or running run can be cancelled."))
        Run.objects.filter(pk=run.pk).update(
            status=RunStatus.CANCELLED, phase="", finished_at=timezone.now()
        )
        record_on(AttributionAction.RUN_CANCELLED, run, acting_user=acting_user, was=locked.status)
    run.refresh_from_db()
    return run


def do_fail_stalled_runs(runs: Any = None) -> list[int]:
    """Fail the RUNNING runs (of ``runs``, a queryset; all when None) whose heartbeat is
    older than the lease (:mod:`web.tasks_health`): their worker is gone. Each gets the
    error :data:`web.tasks_health.STOPPED_MESSAGE`, the audit entry RUN_FAILED (as its
    creator's, the task's user) and its task result marked failed; it can be run again.
    Returns the ids failed."""
    queryset = Run.objects.all() if runs is None else runs
    failed = []
    for run in tasks_health.stalled(queryset, [RunStatus.RUNNING]).select_related("created_by"):
        message = str(tasks_health.STOPPED_MESSAGE)
        with transaction.atomic():
            if not Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED, error=message, phase="", finished_at=timezone.now()
            ):
                continue  # finished meanwhile
            record_on(
                AttributionAction.RUN_FAILED,
                run,
                acting_user=run.created_by,
                error=message,
                stalled=True,
            )
        tasks_health.fail_task_results(tasks.execute_run.module_path, run.pk, message)
        logger.warning("run %s stopped (last heartbeat %s): failed", run.pk, run.heartbeat_at)
        failed.append(run.pk)
    return failed


def fail_stalled_letters() -> list[int]:
    """Mark failed the ``django_tasks`` results of the letters' task still RUNNING whose
    writing has lost its worker (:func:`web.attribution.letters.writing_stopped`: its
    status, its heartbeat, read as stopped after the lease), so that none shows RUNNING
    under a dead worker. The writing itself already reads as failed in its status file
    (:func:`~web.attribution.letters.letters_status`) and may be asked for again: no
    audit entry. Returns the ids of the runs whose results were failed."""
    from django_tasks_db.models import DBTaskResult

    message = str(tasks_health.STOPPED_MESSAGE)
    failed = []
    for result in DBTaskResult.objects.filter(
        task_path=tasks.write_letters.module_path, status="RUNNING"
    ):
        arguments = result.args_kwargs or {}
        args, kwargs = arguments.get("args") or [], arguments.get("kwargs") or {}
        run_id = int(args[0] if args else kwargs.get("run_id", 0))
        job = args[2] if len(args) > 2 else kwargs.get("job", "")
        run = Run.objects.filter(pk=run_id).select_related("region").first()
        if not letters.writing_stopped(run, str(job)):
            continue
        if tasks_health.fail_task_result(result, message):
            logger.warning(
                "letters of run %s stopped (worker %s): failed", run_id, result.worker_ids
            )
            failed.append(run_id)
    return failed


# --------------------------------------------------------------------------- computing


class RunStopped(Exception):
    """The run being computed is no longer RUNNING (cancelled, or failed as stalled)."""


def do_compute_run(run_id: int, *, acting_user: User | None = None) -> None:
    """Compute the plan of the queued run ``run_id`` (the body of the task
    :func:`web.attribution.tasks.execute_run`).

    Reads the run's table versions in memory, calls the engine's ``plan`` (progress
    written to the run a few times a second), writes the plan folder and the summary;
    status DONE and event RUN_FINISHED, or FAILED with the message and event RUN_FAILED,
    both recorded as ``acting_user``'s (the run's creator when None: the task has no
    user). A run that is not queued (a task delivered twice, an approved run) is left
    alone.
    """
    claimed = Run.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, phase="inputs", done=0, total=0, heartbeat_at=timezone.now()
    )
    if not claimed:
        logger.warning("run %s is not queued: nothing to do", run_id)
        return
    run = Run.objects.select_related(
        "region", "rls", "physicians", "waitlist", "assiduity_run__region"
    ).get(pk=run_id)
    actor = acting_user or run.created_by
    try:
        _compute(run, actor)
    except RunStopped:
        # Cancelled or failed as stalled meanwhile: whatever was written goes (a RUNNING
        # run has no plan folder of its own before).
        shutil.rmtree(run.folder, ignore_errors=True)
        logger.warning("run %s was stopped (cancelled or stalled): no plan kept", run_id)
    except Exception as error:
        logger.exception("run %s failed", run_id)
        message = str(error) or type(error).__name__
        # Only a run still RUNNING: a cancellation or a stall check meanwhile wins.
        if Run.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, error=message, finished_at=timezone.now()
        ):
            record_on(AttributionAction.RUN_FAILED, run, acting_user=actor, error=message)


def _compute(run: Run, actor: User) -> None:
    started = time.monotonic()
    # Stops the engine (RunStopped) once the run is no longer RUNNING: cancelled, or
    # failed as stalled.
    progress = tasks_health.ProgressWriter(
        Run, run.pk, RunStatus.RUNNING, RunStopped, PROGRESS_INTERVAL
    )
    progress("inputs", 0, 1)
    params = params_from_mapping(run.params)
    # A queued run has no files of its own yet; a folder there is a leftover (a run id
    # reused after a rolled-back test database): start clean.
    shutil.rmtree(run.folder, ignore_errors=True)
    physicians, orphans, assiduity = _engine_inputs_counted(run, params)
    progress("inputs", 1, 1)

    plan = solve.plan(
        physicians, orphans, params, run.run_date, progress=progress, workers=_workers()
    )
    progress("writing", 0, 1)
    population = _population(run)
    run.folder.mkdir(parents=True)
    with disk_full_guard(run.folder):  # a full disk: the run fails with a French reason
        store.write_plan(plan, run.folder / "plan", population)
    summary = plan_figures(plan, population)
    summary["assiduity"] = le304.record(run, assiduity)
    progress("writing", 1, 1)
    summary["pages"]["timings"] = {
        **progress.finish(),
        "total": round(time.monotonic() - started, 3),
    }
    summary["pages"]["progress_writes"] = progress.writes
    # Only a run still RUNNING: a cancellation since the last progress report wins.
    if not Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.DONE, summary=summary, finished_at=timezone.now(), error=""
    ):
        raise RunStopped(run.pk)
    record_on(
        AttributionAction.RUN_FINISHED,
        run,
        acting_user=actor,
        orphans=summary["orphans"],
        assigned=summary["assigned"],
        seconds=summary["pages"]["timings"]["total"],
    )


def _workers() -> int | None:
    # In the request (the immediate backend: tests, a one-process demo) the server may run
    # threads, and forking a threaded process is unsafe: one worker. The db_worker
    # process is single-threaded: the engine's default, a process per core.
    return 1 if isinstance(tasks.execute_run.get_backend(), ImmediateBackend) else None


def _engine_inputs(run: Run, params: Params) -> tuple[Physicians, Orphans]:
    """What the engine reads for ``run``, in memory: the roster and waiting-list versions
    it was started on, restricted to its RLS, the previous year's assiduity of the
    computation it was started on (:mod:`web.attribution.le304`), the snapshot of the
    decisions applied to the roster, checked by the engine's rules (the versions and the
    computation's results are immutable: a run is computed again identically, and a new
    target is solved on the same inputs)."""
    physicians, orphans, _counts = _engine_inputs_counted(run, params)
    return physicians, orphans


def _engine_inputs_counted(run: Run, params: Params) -> tuple[Physicians, Orphans, le304.Counts]:
    """:func:`_engine_inputs`, and how many physicians took a computed assiduity rate."""
    roster = with_registered_counts(
        _restricted(read_dataset(run.physicians), run.rls),
        run.registrations,
        timezone.localdate(run.created_at),
    )
    roster, counts = le304.with_computed_rates(roster, le304.read_computed_rates(run.assiduity_run))
    waitlist = _restricted(read_dataset(run.waitlist), run.rls)
    if run.withheld_patients:
        offered = pc.invert(
            pc.is_in(waitlist.column("patient_id"), value_set=pa.array(run.withheld_patients))
        )
        waitlist = waitlist.filter(offered)
    roster, _snapshot = applied_roster(roster, run.decisions, run.run_date, params)
    # Each physician's GMF on the run date, for the GMF targets (web.attribution.gmfs).
    roster = gmfs.with_gmf_ids(roster, gmfs.run_gmf_of(run))
    physicians, orphans = io.inputs_from_arrow(roster, waitlist)
    return physicians, orphans, counts


def _restricted(table: pa.Table, rls: Rls | None) -> pa.Table:
    if rls is None:
        return table
    return table.filter(pc.equal(table.column("rls_id"), rls.code))


def _population(run: Run) -> dict[str, int]:
    return {
        code: population
        for code, population in Rls.objects.filter(region=run.region).values_list(
            "code", "population"
        )
        if population
    }


# --------------------------------------------------------------------------- adjusting and approving


def do_move_patient(
    run: Run, patient_code: str, physician_code: str | None, note: str = "", *, acting_user: User
) -> dict[str, Any]:
    """Move one patient of ``run``'s plan to ``physician_code`` (None: leave them
    unassigned), and rewrite the plan folder.

    The patient's distance and every month and pace of the two physicians are
    recomputed (:func:`panelcare.attribution.adjust.move_patient`); the rest of the plan
    stays. Records a RunAdjustment and an event ADJUSTED.

    Returns:
        The consequences (:func:`panelcare.attribution.adjust.consequences`), with the
        move's ``kind``, ``patient_id``, ``from`` and ``to``.

    Raises:
        RunFrozen: the run is approved (nothing written).
        RunNotReady: the run has no plan.
        AdjustmentRefused: no such patient in the plan, no such physician, a physician
            who takes no patient in this run, or the patient is already there.
    """
    with _changing_plan(run) as (locked, change), _refusals():
        before = store.read_plan(locked.folder / "plan")
        after = adjust.move_patient(before, patient_code, physician_code)
        i = adjust.patient_index(before, patient_code)
        consequences = adjust.consequences(before, after, moved=[i])
        consequences.update(
            {
                "kind": AdjustmentKind.MOVE.value,
                "patient_id": patient_code,
                "from": _code_of(before, int(before.physician_of[i])),
                "to": physician_code or None,
            }
        )
        change.stage(after)
        adjustment = RunAdjustment.objects.create(
            run=locked,
            kind=AdjustmentKind.MOVE,
            patient_code=patient_code,
            physician_code=physician_code or "",
            note=note,
            made_by=acting_user,
        )
        _record_adjustment(acting_user, locked, adjustment, consequences)
    return consequences


def do_change_target(
    run: Run, physician_code: str, target: int, note: str = "", *, acting_user: User
) -> dict[str, Any]:
    """Set one physician's target and solve the plan again on the run's inputs
    (:func:`panelcare.attribution.adjust.with_target`: ``target_overrides``, every target
    set so far on this run), then move again the patients moved by hand before, and
    rewrite the plan folder. Records a RunAdjustment and an event ADJUSTED.

    Returns:
        The consequences (:func:`panelcare.attribution.adjust.consequences`), for every
        physician whose patients changed and the physician whose target changed, with
        ``kind``, ``physician_id``, ``target_before`` and ``target``.

    Raises:
        RunFrozen, RunNotReady: as :func:`do_move_patient`.
        AdjustmentRefused: no such physician, one who takes no patient in this run, or
            a target below 0.
    """
    with _refusals():
        adjust.check_target(target)
    with _changing_plan(run) as (locked, change), _refusals():
        before = store.read_plan(locked.folder / "plan")
        target_before = int(before.targets.target[adjust.physician_index(before, physician_code)])
        physicians, orphans = _engine_inputs(locked, params_from_mapping(locked.params))
        moves = [
            (move.patient_code, move.physician_code or None)
            for move in locked.adjustments.filter(kind=AdjustmentKind.MOVE).order_by(
                "made_at", "pk"
            )
        ]
        after = adjust.with_target(
            before,
            physicians,
            orphans,
            physician_code,
            target,
            moves=moves,
            run_date=locked.run_date,
            workers=_workers(),
        )
        consequences = adjust.consequences(before, after, also=[physician_code])
        consequences.update(
            {
                "kind": AdjustmentKind.TARGET.value,
                "physician_id": physician_code,
                "target_before": target_before,
                "target": target,
            }
        )
        change.stage(after)
        adjustment = RunAdjustment.objects.create(
            run=locked,
            kind=AdjustmentKind.TARGET,
            physician_code=physician_code,
            target=target,
            note=note,
            made_by=acting_user,
        )
        _record_adjustment(acting_user, locked, adjustment, consequences)
    return consequences


def do_approve_run(run: Run, *, acting_user: User, supersede_reason: str = "") -> Run:
    """Approve ``run``: frozen from now on (who, when, parameters and input versions are
    recorded in the event APPROVED), its placed patients proposed to their physician
    (:func:`web.regions.services.do_propose_waitlist`).

    One approved plan per territory (``docs/decisions.md``): the plans in force whose
    territory overlaps the run's (:func:`web.attribution.journey.plans_in_force_overlapping`)
    are superseded by it, when ``acting_user`` may supersede them
    (:func:`~web.attribution.journey.supersession_refusal`) and gives the reason
    ``supersede_reason``: each is marked superseded (by this run, when, why; event
    SUPERSEDED on it) and its patients still proposed that this plan does not place go back
    on the waiting list (:func:`web.regions.services.do_release_proposals`).

    Raises:
        RunFrozen: it is approved already.
        RunNotReady: it has no plan (queued, running, failed).
        PlanInForce: a plan in force overlaps and ``acting_user`` may not supersede it, or
            no reason was given; nothing written.
    """
    reason = supersede_reason.strip()
    with transaction.atomic():
        locked = (
            Run.objects.select_for_update(of=("self",))
            .select_related("region", "rls", "waitlist", "physicians")
            .get(pk=run.pk)
        )
        if locked.is_frozen:
            raise RunFrozen(_("This run is approved already."))
        if locked.status != RunStatus.DONE:
            raise RunNotReady(_("Only a run with a plan can be approved."))
        plans = list(journey.plans_in_force_overlapping(locked).select_for_update(of=("self",)))
        refusal = journey.supersession_refusal(locked, acting_user, plans)
        if refusal:
            raise PlanInForce(refusal)
        if plans and not reason:
            raise PlanInForce(
                _(
                    "A plan is in force on this territory: %(plans)s. Say why this plan "
                    "supersedes it, then confirm."
                )
                % {"plans": "; ".join(journey.plan_label(plan) for plan in plans)}
            )
        now = timezone.now()
        locked.status = RunStatus.APPROVED
        locked.approved_by = acting_user
        locked.approved_at = now
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        placed = journey.placed_patients(locked)
        released = 0
        if plans:
            released = do_release_proposals(
                locked.region,
                [plan.pk for plan in plans],
                # The patients it did not offer keep their proposal: it could not place them.
                set(placed) | journey.withheld_by(locked),
                acting_user=acting_user,
                run=locked,
            )
        for plan in plans:
            plan.superseded_by, plan.superseded_at, plan.superseded_reason = locked, now, reason
            plan.save(update_fields=["superseded_by", "superseded_at", "superseded_reason"])
            record_on(
                AttributionAction.SUPERSEDED,
                plan,
                acting_user=acting_user,
                superseded_by=locked.pk,
                superseded_by_rls=locked.rls.code if locked.rls else "",
                reason=reason,
            )
        # The plan's patients are proposed to their physician (their entries leave the
        # waiting counts and the next runs' orphans).
        proposed = do_propose_waitlist(
            locked.region,
            placed,
            acting_user=acting_user,
            run=locked,
            superseded=[plan.pk for plan in plans],
        )
        record_on(
            AttributionAction.APPROVED,
            locked,
            acting_user=acting_user,
            params=locked.params,
            physicians_version=locked.physicians.version,
            waitlist_version=locked.waitlist.version,
            decisions=len(locked.decisions),
            adjustments=locked.adjustments.count(),
            orphans=locked.summary.get("orphans"),
            assigned=locked.summary.get("assigned"),
            proposed=proposed,
            superseded=[plan.pk for plan in plans],
            supersede_reason=reason,
            back_to_list=released,
        )
    run.refresh_from_db()
    return run


def _locked_for_change(run: Run) -> Run:
    locked = (
        # Only the run's row: PostgreSQL cannot lock the nullable side (rls) of the join.
        Run.objects.select_for_update(of=("self",))
        .select_related("region", "rls", "physicians", "waitlist")
        .get(pk=run.pk)
    )
    if locked.is_frozen:
        raise RunFrozen(_("This run is approved: its plan cannot change any more."))
    if locked.status != RunStatus.DONE:
        raise RunNotReady(_("This run has no plan to adjust."))
    return locked


def _code_of(plan: solve.Plan, j: int) -> str | None:
    return str(plan.physicians.physician_id[j]) if j >= 0 else None


# The engine's refusals (panelcare.attribution.adjust), as the user reads them.
_REFUSALS: dict[type[adjust.AdjustmentError], Any] = {
    adjust.UnknownPatientError: gettext_lazy("No patient %(code)s in this plan."),
    adjust.UnknownPhysicianError: gettext_lazy("No physician %(code)s in this plan."),
    adjust.NotParticipatingError: gettext_lazy(
        "%(code)s takes no patient in this run (declined, leaving or excluded)."
    ),
    adjust.AlreadyThereError: gettext_lazy("The patient is already there."),
    adjust.InvalidTargetError: gettext_lazy("A target is a whole number of patients, 0 or more."),
}


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """Turn the engine's :class:`~panelcare.attribution.adjust.AdjustmentError` into
    :class:`AdjustmentRefused`, with the user's message."""
    try:
        yield
    except adjust.AdjustmentError as error:
        message = _REFUSALS.get(type(error))
        text = str(message) % {"code": error.code} if message else error.message
        raise AdjustmentRefused(text) from error


@contextlib.contextmanager
def _changing_plan(run: Run) -> Iterator[tuple[Run, _PlanChange]]:
    """Lock ``run`` for a change of its plan (RunFrozen, RunNotReady as
    :func:`_locked_for_change`) and make the change all or nothing: the block stages the
    new plan (:meth:`_PlanChange.stage`) and writes its records; the staged folder
    replaces ``plan/`` as the transaction's last step, and the previous folder comes back
    if anything fails, the commit included.

    Why not swap on ``transaction.on_commit``: the run's row stays locked until the
    commit, so the next adjustment, which reads ``plan/`` under that lock, always reads
    this one's plan. After the commit the lock is gone: a swap there could be overtaken
    by the next adjustment (which would then undo this one), and a swap that failed could
    no longer undo the committed records. The views call this outside any transaction;
    inside one (a test's), a later rollback of the outer transaction is not seen.
    """
    change = _PlanChange()
    try:
        with transaction.atomic():
            change.run = _locked_for_change(run)
            yield change.run, change
            change.swap()
    except BaseException:
        change.undo()
        raise
    change.forget_previous()


class _PlanChange:
    """A new plan folder for a run: staged beside ``plan/``, swapped in, put back."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self.staged: Path | None = None
        self.previous: Path | None = None

    def stage(self, plan: solve.Plan) -> None:
        """Write ``plan``'s folder beside the run's ``plan/``, and the run's summary (in
        the transaction)."""
        run = self.run
        assert run is not None
        population = _population(run)
        self.staged = Path(tempfile.mkdtemp(prefix=".plan.", suffix=".new", dir=run.folder))
        with disk_full_guard(self.staged):
            store.write_plan(plan, self.staged, population)
        summary = plan_figures(plan, population)
        summary["pages"]["timings"] = run.summary.get("pages", {}).get("timings", {})
        summary["pages"]["adjusted"] = True
        if "assiduity" in run.summary:  # what the run read, unchanged by an adjustment
            summary["assiduity"] = run.summary["assiduity"]
        run.summary = summary
        run.save(update_fields=["summary"])

    def swap(self) -> None:
        """The staged folder as ``plan/``, the previous one set aside."""
        if self.run is None or self.staged is None:
            return
        plan = self.run.folder / "plan"
        self.previous = Path(tempfile.mkdtemp(prefix=".plan.", suffix=".old", dir=self.run.folder))
        os.rename(plan, self.previous / "plan")
        os.rename(self.staged, plan)
        self.staged = None

    def undo(self) -> None:
        """Put the previous folder back (when it was set aside) and drop the staged one."""
        if self.staged is not None:
            shutil.rmtree(self.staged, ignore_errors=True)
        if self.run is not None and self.previous is not None:
            aside = self.previous / "plan"
            if aside.is_dir():
                plan = self.run.folder / "plan"
                shutil.rmtree(plan, ignore_errors=True)
                os.rename(aside, plan)
            shutil.rmtree(self.previous, ignore_errors=True)

    def forget_previous(self) -> None:
        """Delete the previous folder, once the new one is committed."""
        if self.previous is not None:
            shutil.rmtree(self.previous, ignore_errors=True)


def _record_adjustment(
    user: User, run: Run, adjustment: RunAdjustment, consequences: dict[str, Any]
) -> None:
    record_on(
        AttributionAction.ADJUSTED, run, acting_user=user, adjustment=adjustment.pk, **consequences
    )


# --------------------------------------------------------------------------- decisions


def do_set_decision(
    region: Region, physician_code: str, rls_code: str, *, acting_user: User, **fields: Any
) -> PhysicianDecision:
    """Record (create or replace) the decision of ``acting_user`` on one physician.

    The caller has checked that ``acting_user`` works on ``rls_code`` of ``region``
    (``web.accounts.access.access_rls``); what only the data can tell is checked here,
    through :func:`web.accounts.access.check_works_on`.

    Args:
        region: the region of ``rls_code``.
        physician_code: a physician of ``rls_code`` in the current physicians' roster.
        rls_code: the physician's RLS.
        acting_user: the DRMG, or a CML of ``rls_code``.
        **fields: any of :data:`DECISION_FIELDS`; those not given are reset to their
            default (the decision is the whole form).

    Returns:
        The decision; an audit entry DECISION (who, the decision, what changed, the note)
        is recorded.

    Raises:
        PermissionDenied: the physician's decision was recorded for another RLS, which
            ``acting_user`` may not work on (the DRMG, or a CML of that RLS, moves it).
        Http404: the physician is not in ``rls_code`` in the current roster, or is in it
            and in an RLS that is not the user's.
        ValueError: an unknown field, or a wrong value.
    """
    unknown = set(fields) - set(DECISION_FIELDS)
    if unknown:
        raise ValueError(f"unknown decision fields: {', '.join(sorted(unknown))}")
    values = _checked(fields)
    _, table = current_roster(region)
    # The physician's RLS is the roster's, not the page's. A code the roster holds in two
    # RLS (a copy imported before imports refused another RLS's keys) is decided on only
    # by someone who works on both.
    home = rls_of(table, physician_code) if table is not None else set()
    if rls_code not in home:
        raise Http404
    access.check_works_on(acting_user, home)

    with transaction.atomic():
        decision = (
            PhysicianDecision.objects.select_for_update()
            .filter(region=region, physician_code=physician_code)
            .first()
        ) or PhysicianDecision(region=region, physician_code=physician_code)
        # A decision recorded for another RLS (the physician has moved in the roster)
        # belongs to whoever works there until it is moved: not to a CML of the new one.
        if decision.pk:
            access.check_works_on(acting_user, [decision.rls_code], reveal=True)
        before = {name: getattr(decision, name) for name in DECISION_FIELDS}
        decision.rls_code = rls_code
        for name, value in values.items():
            setattr(decision, name, value)
        decision.updated_by = acting_user
        decision.save()
        changed = {
            name: [before[name], values[name]]
            for name in DECISION_FIELDS
            if before[name] != values[name] and name != "note"
        }
        record(
            AttributionAction.DECISION,
            region=region,
            acting_user=acting_user,
            subject=decision,
            rls_code=rls_code,
            physician_code=physician_code,
            decision={name: values[name] for name in DECISION_FIELDS if name != "note"},
            changed=changed,
            note=values["note"],
        )
    return decision


def _checked(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Every decision field, with its default when not given, checked."""
    values = {
        "excluded": bool(fields.get("excluded", False)),
        "amp_target_derogation": fields.get("amp_target_derogation"),
        "mode": fields.get("mode") or "",
        "full_workload_demonstrated": bool(fields.get("full_workload_demonstrated", False)),
        "include_departure": bool(fields.get("include_departure", False)),
        "patients_offered": fields.get("patients_offered"),
        "note": str(fields.get("note") or ""),
    }
    for name in ("amp_target_derogation", "patients_offered"):
        value = values[name]
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    if values["mode"] not in ("", *MODES):
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {values['mode']!r}")
    return values


# --------------------------------------------------------------------------- letters


def do_save_letter_template(
    region: Region, kind: str, subject: str, body: str, *, acting_user: Any
) -> LetterTemplate:
    """Save the DRMG's template of ``kind`` for ``region`` and record it, text included,
    in the audit trail (TEMPLATE_EDITED). The caller has checked that ``acting_user`` edits
    the templates of ``region`` (``web.accounts.access.access_letter_templates``).

    Raises:
        LetterTemplateError: the template is refused
            (:func:`web.attribution.letters.check_template`); nothing is saved.
    """
    kind = LetterKind(kind)
    subject, body = subject.strip(), body.strip() + "\n"
    letters.check_template(kind, subject, body)
    with transaction.atomic():
        template, created = LetterTemplate.objects.update_or_create(
            region=region,
            kind=kind,
            defaults={"subject": subject, "body": body, "updated_by": acting_user},
        )
        record(
            AttributionAction.TEMPLATE_EDITED,
            region=region,
            acting_user=acting_user,
            subject=template,
            kind=str(kind),
            created=created,
            text={"subject": subject, "body": body},
        )
    return template


def do_reset_letter_template(region: Region, kind: str, *, acting_user: Any) -> None:
    """Go back to the shipped default of ``kind`` (the saved template is deleted; its
    texts stay in the audit trail) and record it (TEMPLATE_EDITED, ``reset``). The caller
    has checked that ``acting_user`` edits the templates of ``region``."""
    kind = LetterKind(kind)
    with transaction.atomic():
        deleted, _rows = LetterTemplate.objects.filter(region=region, kind=kind).delete()
        if deleted:
            record(
                AttributionAction.TEMPLATE_EDITED,
                region=region,
                acting_user=acting_user,
                kind=str(kind),
                reset=True,
            )


def do_request_letters(run: Run, *, acting_user: User) -> dict[str, Any]:
    """Queue the writing of ``run``'s letters by ``acting_user`` (:func:`do_write_letters` in a
    background task; with the immediate backend, the tests', it runs here and now) and
    return the status after queuing.

    Raises:
        LetterError: the run is not approved, has no plan, or its letters are being
            written already.
        DiskFull: the disk is full (the status file cannot be written); nothing queued.
    """
    if run.status != RunStatus.APPROVED:
        raise LetterError(_("Letters are written from an approved run only."))
    if run.is_superseded:
        raise LetterError(_("This plan is superseded: its letters are not written again."))
    if not (letters.plan_folder(run) / "summary.json").is_file():
        raise LetterError(_("The run has no plan."))
    if letters.letters_in_progress(run):
        raise LetterError(_("The letters of this run are being written."))
    # A token for this writing: a worker still writing an earlier one (taken for stopped
    # after the lease) finds its status replaced and stops.
    job = letters.new_job()
    with disk_full_guard():
        letters.write_status(run, state="queued", done=0, total=0, error="", job=job)
    tasks.write_letters.enqueue(run.pk, acting_user.pk, job)
    return letters.letters_status(run) or {}


def do_cancel_letters(run: Run, *, acting_user: User) -> dict[str, Any]:
    """Cancel the writing of ``run``'s letters, queued or running: its status is
    ``cancelled`` at once, with the audit entry LETTERS_CANCELLED; the worker stops at its
    next status write (:class:`web.attribution.letters.LettersStopped`) and removes what
    it wrote. The letters written before, if any, stay as they were (the writing is all
    or nothing: they are replaced only at its very end). Returns the status cancelled.

    Raises:
        LetterError: no letters of ``run`` are being written (finished, failed, or taken
            for stopped after the lease); nothing changed.
    """
    with transaction.atomic():
        status = letters.cancel_status(run)
        if status is None:
            raise LetterError(_("No letters of this run are being written."))
        record_on(
            AttributionAction.LETTERS_CANCELLED,
            run,
            acting_user=acting_user,
            was=status.get("state", ""),
            done=status.get("done", 0),
            total=status.get("total", 0),
        )
    return letters.letters_status(run) or {}


def do_write_letters(
    run: Run,
    *,
    acting_user: User,
    today: datetime.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    finishing: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
    timings: dict[str, float] | None = None,
) -> list[Letter]:
    """Write the letters of the approved ``run``: the general letter to every physician of
    its roster (:func:`web.attribution.letters.recipients`), a personalised letter to each
    targeted physician (``outputs.letters`` of the plan), one PDF per physician and kind
    and one merged PDF (a physician's letters together, by name), in
    ``run.folder / "letters"``; replace the previous ones; record LETTERS_WRITTEN.

    All or nothing: the files are written in a staging folder renamed into place at the
    end, in the transaction that replaces the :class:`Letter` rows. ``progress(done,
    total)`` is called as letters are written; it may raise to stop the writing (the
    background task's raises :class:`~web.attribution.letters.LettersStopped` for a
    cancelled writing), which then leaves nothing. ``finishing()``, when given, is a
    context entered around the replacement (the task's holds the status lock and checks
    the writing is still wanted, :func:`web.attribution.letters.finishing`). Pages call
    :func:`do_request_letters`, which runs this in the background (the PDFs in a pool of
    processes, :mod:`web.attribution.letterpdf`; bench/letters.py). ``timings``, when given, receives the seconds of each phase (facts, html,
    pdf, merge, swap; bench/letters.py).

    Raises:
        LetterError: the run is not approved, or its plan cannot be read.
        DiskFull: the disk is full; nothing was written (the staging folder removed).
    """
    from pypdf import PdfWriter

    clock = _Phases(timings)
    if run.status != RunStatus.APPROVED:
        raise LetterError(_("Letters are written from an approved run only."))
    plan_path = letters.plan_folder(run)
    if not (plan_path / "summary.json").is_file():
        raise LetterError(_("The run has no plan."))
    try:
        # The letters' facts come from the plan itself (outputs.letters).
        plan = store.read_plan(plan_path)
    except Exception as error:
        raise LetterError(
            _("The run's plan cannot be read: %(error)s") % {"error": error}
        ) from None
    summary = outputs.summary(plan)
    # The physicians who get a personalised letter (letters.gets_personal_letter: patients
    # given, or group 1), with what the plan recorded about them; for an RLS run, a
    # neighbour without patients of this run gets no letter.
    personal = letters.letter_items(run, plan)
    above_cap = letters.above_cap_count(run, plan)
    physicians = letters.recipients(run)
    if not physicians:
        raise LetterError(_("The run's roster has no physician."))

    today = today or timezone.localdate()
    general_text = letters.template_for(run.region, LetterKind.GENERAL)
    personal_text = letters.template_for(run.region, LetterKind.PERSONAL)
    personal_by_code = {item["physician_id"]: item for item in personal}
    # Targeted physicians are in the roster; keep any that is not, so nobody is forgotten.
    codes = [p["physician_id"] for p in physicians]
    for item in personal:
        if item["physician_id"] not in codes:
            physicians.append(
                {
                    "physician_id": item["physician_id"],
                    "name": item["name"],
                    "rls_id": item["rls_id"],
                }
            )

    region_facts = letters.RegionFacts.of(run.region, run)
    # Each letter, in the order of the merged file (a physician's letters together, by
    # name).
    rows: list[Letter] = []
    parts: list[tuple[letters.TemplateText, dict[str, Any]]] = []
    for physician in physicians:
        code = physician["physician_id"]
        own = [
            (
                LetterKind.GENERAL,
                general_text,
                letters.general_facts(
                    run,
                    physician,
                    summary=summary,
                    today=today,
                    region_facts=region_facts,
                    personal_letter=code in personal_by_code,
                    above_cap=above_cap,
                ),
            )
        ]
        if code in personal_by_code:
            facts = letters.personal_facts(
                run,
                personal_by_code[code],
                summary=summary,
                today=today,
                region_facts=region_facts,
            )
            own.append((LetterKind.PERSONAL, personal_text, facts))
        for kind, text, facts in own:
            parts.append((text, facts))
            rows.append(
                Letter(
                    run=run,
                    kind=kind,
                    physician_code=code,
                    physician_name=physician["name"][:200],
                    file_name=letters.letter_file_name(code, kind),
                )
            )
    clock.lap("facts")
    total = len(rows)
    report = progress or (lambda done, total: None)
    report(0, total)
    run.folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".letters.", suffix=".tmp", dir=run.folder))
    try:
        writer = PdfWriter()
        processes = letterpdf.workers()
        if total < letterpdf.POOL_FROM or processes <= 1:
            # A few letters (an RLS run): one by one in this process, a progress report
            # after each.
            for done, (row, (text, facts)) in enumerate(zip(rows, parts, strict=True), 1):
                (staging / row.file_name).write_bytes(letters.render_pdf(text, facts))
                writer.append(str(staging / row.file_name))
                report(done, total)
            clock.lap("pdf")
        else:
            # Many (a region run): the pages as HTML here, the PDFs in a pool of processes
            # (letterpdf), merged here in order as they come.
            pages_html = [
                (row.file_name, letters.render_html(text, facts))
                for row, (text, facts) in zip(rows, parts, strict=True)
            ]
            clock.lap("html")

            def merge(names: list[str]) -> None:
                for name in names:
                    writer.append(str(staging / name))

            letterpdf.write_files(
                staging,
                pages_html,
                progress=lambda done: report(done, total),
                written=merge,
                processes=processes,
            )
            clock.lap("pdf")
        pages = len(writer.pages)
        with (staging / letters.MERGED_FILE).open("wb") as file:
            writer.write(file)
        writer.close()
        clock.lap("merge")  # what is left of it once the last PDF is written
        staging.chmod(0o755)
        with (finishing or contextlib.nullcontext)(), transaction.atomic():
            Run.objects.select_for_update().filter(pk=run.pk).exists()
            Letter.objects.filter(run=run).delete()
            created = Letter.objects.bulk_create(rows)
            record_on(
                AttributionAction.LETTERS_WRITTEN,
                run,
                acting_user=acting_user,
                general=sum(1 for row in rows if row.kind == LetterKind.GENERAL),
                personal=sum(1 for row in rows if row.kind == LetterKind.PERSONAL),
                pages=pages,
                general_template="default" if general_text.is_default else "region",
                personal_template="default" if personal_text.is_default else "region",
            )
            _move_into_place(staging, run.folder / "letters")
        clock.lap("swap")
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if is_disk_full(error):
            raise DiskFull() from error
        raise
    return created


class _Phases:
    """Seconds of each phase of a writing, into ``timings`` (bench/letters.py)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings if timings is not None else {}
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, the previous letters set aside and deleted after
    (put back if the rename fails)."""
    if not target.exists():
        os.rename(staging, target)
        return
    aside = Path(tempfile.mkdtemp(prefix=".letters.", suffix=".old", dir=target.parent))
    os.rename(target, aside / "letters")
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(aside / "letters", target)
        shutil.rmtree(aside, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def do_record_letters_failure(run: Run, error: str, *, acting_user: User) -> None:
    """Record that writing ``run``'s letters failed with ``error`` (in the history as
    letters written, failed: there is no action of its own)."""
    record_on(
        AttributionAction.LETTERS_WRITTEN, run, acting_user=acting_user, failed=True, error=error
    )


def do_record_letter_download(run: Run, *, acting_user: User, letter: Letter | None = None) -> None:
    """Record that ``acting_user`` downloaded ``letter`` of ``run``, or every letter of
    ``run`` in one file when ``letter`` is None (LETTER_DOWNLOADED, ``merged``)."""
    if letter is None:
        record_on(AttributionAction.LETTER_DOWNLOADED, run, acting_user=acting_user, merged=True)
        return
    record_on(
        AttributionAction.LETTER_DOWNLOADED,
        run,
        acting_user=acting_user,
        physician_code=letter.physician_code,
        kind=letter.kind,
    )


def do_record_export(run: Run, what: str, fmt: str, *, acting_user: User) -> None:
    """Record that ``acting_user`` downloaded ``run``'s approved plan (``what`` "plan") or
    its follow-up ("followup") as ``fmt`` (csv, xlsx): EXPORTED, as a letter's download."""
    record_on(AttributionAction.EXPORTED, run, acting_user=acting_user, what=what, format=fmt)
