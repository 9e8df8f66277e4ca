"""Attribution runs: started by the CML or the DRMG, computed in the background by the
engine, adjusted, then approved and frozen (DSP-PR-30042, 5 to 7; issue 6, part 3).

    run = start_run(cml, rls, {"group2_target": 1000}, run_date, "T1 2027")  # task queued
    consequences = adjust_move(cml, run, "P00000223", "D00004")
    consequences = adjust_target(cml, run, "D00004", 400)
    approve_run(cml, run)                                    # frozen from now on

The engine is called in memory: the parameters as a mapping
(:func:`panelcare.attribution.params.params_from_mapping`), the run's table versions as
Arrow tables (:func:`panelcare.attribution.io.inputs_from_arrow`); the plan's figures and
adjustments are the engine's too (:mod:`panelcare.attribution.figures`,
:mod:`panelcare.attribution.adjust`). What a run read is its record: the table versions
and the decisions' snapshot. A run's folder (:attr:`Run.folder`)::

    plan/                       the engine's plan folder (store.write_plan: the plan, and
                                in plan/inputs/ the physicians and orphans it read and
                                its parameters), replaced by every adjustment in the
                                transaction that records it

Every write records an entry of the audit trail (:func:`web.audit.services.record`); the
flow is described in ``docs/attribution-web-runs.md``. The caller has checked the user's
access to the run or RLS (``web.accounts.access``): these functions trust what they get.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from panelcare.attribution import adjust, io, solve, store
from panelcare.attribution.figures import plan_figures
from panelcare.attribution.model import Orphans, Physicians
from panelcare.attribution.params import (
    Params,
    load_params,
    params_as_dict,
    params_from_mapping,
)
from panelcare.errors import SettingsError
from web.accounts import access
from web.accounts.access import Purpose, User
from web.attribution.decisions import applied_roster, decisions_in_force
from web.attribution.errors import AdjustmentRefused, RunFrozen, RunNotReady
from web.attribution.models import (
    AdjustmentKind,
    AttributionAction,
    Run,
    RunAdjustment,
    RunStatus,
)
from web.audit.services import record, record_on
from web.regions.models import Rls
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.queries import with_registered_counts
from web.tables.services import do_mark_waitlist_assigned
from web.tables.store import read_dataset

__all__ = [
    "PlanPatients",
    "RunForm",
    "adjust_move",
    "adjust_target",
    "approve_run",
    "execute_run",
    "retry_run",
    "start_run",
]

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds), plus at each new phase and at the end.
PROGRESS_INTERVAL = 0.25


# --------------------------------------------------------------------------- parameters


def _table_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 30}),
    )


def _param_fields() -> dict[str, forms.Field]:
    """One form field per parameter of the engine, in :class:`Params`' order."""
    return {
        "group1_threshold": forms.IntegerField(
            label=gettext_lazy("Group 1 threshold (registrations)")
        ),
        "exclude_below": forms.IntegerField(
            label=gettext_lazy("Exclude group 1b physicians below (patients)"),
            help_text=gettext_lazy("Empty: nobody is excluded. The procedure allows 25."),
            required=False,
        ),
        "stratum": forms.IntegerField(label=gettext_lazy("Registration stratum (patients)")),
        "group2_target": forms.IntegerField(label=gettext_lazy("Group 2 target (registrations)")),
        "vulnerable_cap": forms.FloatField(
            label=gettext_lazy("Vulnerable cap (share of the final panel)"),
            help_text=gettext_lazy("0.45 for 45 %."),
        ),
        "full_workload_units": forms.FloatField(label=gettext_lazy("Full workload (units)")),
        "patients_per_unit": forms.IntegerField(
            label=gettext_lazy("Registered patients worth one unit")
        ),
        "shortage": forms.BooleanField(
            label=gettext_lazy("Shortage: nobody above the full workload"), required=False
        ),
        "max_distance_km": forms.FloatField(label=gettext_lazy("Maximum distance (km)")),
        "cross_rls": forms.BooleanField(label=gettext_lazy("Cross RLS borders"), required=False),
        "period_months": forms.IntegerField(label=gettext_lazy("Period (months)")),
        "category_weights": _table_field(
            gettext_lazy("Category weights"),
            gettext_lazy("One per line: category = weight (1 or more), e.g. home_care = 2."),
        ),
        "include_later_departures": forms.BooleanField(
            label=gettext_lazy("Include unconfirmed departures and departures after 1 January"),
            required=False,
        ),
        "yearly_cap_after_4_years": forms.IntegerField(
            label=gettext_lazy("Yearly cap after 4 years of practice (patients)"),
            help_text=gettext_lazy("Empty: no cap."),
            required=False,
        ),
        "le304_min_block": forms.IntegerField(label=gettext_lazy("LE 304: smallest block")),
        "le304_min_assiduity": forms.FloatField(
            label=gettext_lazy("LE 304: previous-year assiduity at least"),
            help_text=gettext_lazy("0.75 for 75 %."),
        ),
        "candidates_per_patient": forms.IntegerField(
            label=gettext_lazy("Nearest physicians offered to each patient")
        ),
        "target_overrides": _table_field(
            gettext_lazy("Targets set by hand"),
            gettext_lazy("One per line: physician code = target. Usually left empty."),
        ),
    }


class RunForm(forms.Form):
    """A new run: what, for whom, and every parameter of the engine with its default."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)
    rls = forms.ChoiceField(label=gettext_lazy("RLS"), required=False)
    run_date = forms.DateField(
        label=gettext_lazy("Run date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (rls.code, rls.name)
            for rls in access.visible_rls(user, Purpose.ATTRIBUTION).order_by("name")
        ]
        if access.can_work_on_region(user):
            choices.insert(0, ("", _("The whole region")))
        self.fields["rls"].choices = choices
        self.fields["run_date"].initial = timezone.localdate()
        defaults = params_as_dict(load_params())
        for name, field in _param_fields().items():
            value = defaults[name]
            if isinstance(value, dict):
                value = "\n".join(f"{k} = {v}" for k, v in value.items())
            field.initial = value
            self.fields[name] = field

    def param_names(self) -> list[str]:
        return [spec.name for spec in dataclasses.fields(Params)]

    def clean_category_weights(self) -> dict[str, float]:
        return _parse_table(self.cleaned_data["category_weights"], float)

    def clean_target_overrides(self) -> dict[str, Any]:
        return _parse_table(self.cleaned_data["target_overrides"], int)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        names = self.param_names()
        if any(name in self.errors for name in names):
            return cleaned
        values = {name: cleaned.get(name) for name in names}
        try:
            # Checked by the engine itself (None: the default, or off).
            params = params_from_mapping(values)
        except SettingsError as error:
            field = (error.key or "").split(".")[0]
            self.add_error(field if field in self.fields else None, error.message)
            return cleaned
        cleaned["params"] = params_as_dict(params)
        return cleaned


def _parse_table(text: str, number: type) -> dict[str, Any]:
    """``name = value`` lines as a dict; a value that is not a ``number`` is kept as text
    (or a float) so that the engine refuses it with the key named."""
    table: dict[str, Any] = {}
    for line_number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise ValidationError(
                _("Line %(line)d: write name = value."), params={"line": line_number}
            )
        value = value.strip()
        try:
            table[name.strip()] = number(value)
        except ValueError:
            try:
                table[name.strip()] = float(value)
            except ValueError:
                table[name.strip()] = value
    return table


# --------------------------------------------------------------------------- starting


def start_run(
    user: User,
    rls: Rls | None,
    params: Mapping[str, Any],
    run_date: datetime.date,
    title: str = "",
) -> Run:
    """Queue a run of ``rls`` (the whole region when None) on the current tables.

    Records the current physicians' roster and waiting-list versions and a snapshot of
    the decisions in force; the task :func:`execute_run` computes the plan.

    The caller has checked that ``user`` works on ``rls`` (or on the whole region):
    ``web.accounts.access.access_territory``.

    Raises:
        SettingsError: a parameter is wrong (``key`` names it).
        RunNotReady: the region has no physicians' roster or no waiting list yet.
    """
    region = access.access_region(user, Purpose.ATTRIBUTION)
    checked = params_from_mapping(params)
    physicians = Dataset.current(region, DatasetKind.PHYSICIANS)
    waitlist = Dataset.current(region, DatasetKind.WAITLIST)
    if physicians is None or waitlist is None:
        raise RunNotReady(_("Import the physicians' roster and the waiting list first."))
    registrations = Dataset.current(region, DatasetKind.REGISTRATIONS)
    # The panels of the day the run starts (the dashboard's), whatever its run date.
    roster = with_registered_counts(
        _restricted(read_dataset(physicians), rls), registrations, timezone.localdate()
    )
    decisions = decisions_in_force(region, [rls.code] if rls else None)
    snapshot = applied_roster(roster, decisions.values(), run_date, checked)[1]
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
        status=RunStatus.QUEUED,
        created_by=user,
    )
    record(
        AttributionAction.RUN_STARTED,
        region=region,
        acting_user=user,
        subject=run,
        rls_code=rls.code if rls else "",
        title=run.title,
        run_date=run_date.isoformat(),
        physicians_version=physicians.version,
        waitlist_version=waitlist.version,
        decisions=len(snapshot),
    )
    enqueue_run(run.pk)
    run.refresh_from_db()
    return run


def retry_run(user: User, run: Run) -> Run:
    """Queue a failed run again, on the same inputs (versions, decisions, parameters).

    Raises:
        RunFrozen: the run is approved.
        RunNotReady: the run has not failed (a plan exists, or it is being computed).
    """
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.is_frozen:
            raise RunFrozen(_("This run is approved: it cannot be run again."))
        if locked.status != RunStatus.FAILED:
            raise RunNotReady(_("Only a failed run can be run again."))
        Run.objects.filter(pk=run.pk).update(
            status=RunStatus.QUEUED, error="", phase="", done=0, total=0, summary={}
        )
        record_on(AttributionAction.RUN_STARTED, run, acting_user=user, retry=True)
    enqueue_run(run.pk)
    run.refresh_from_db()
    return run


# --------------------------------------------------------------------------- the task


def enqueue_run(run_id: int) -> None:
    """Queue :func:`execute_run` for ``run_id`` (with the immediate backend, the tests',
    it runs here and now). One place, so that a test can hold a run in the queue."""
    execute_run.enqueue(run_id)


@task()
def execute_run(run_id: int) -> None:
    """Compute the plan of the queued run ``run_id`` (a background task).

    Builds the run's ``inputs/`` folder, calls the engine's ``plan`` (progress written to
    the run a few times a second), writes the plan folder and the summary; status DONE
    and event RUN_FINISHED, or FAILED with the message and event RUN_FAILED. A run that
    is not queued (a task delivered twice, an approved run) is left alone.
    """
    claimed = Run.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, phase="inputs", done=0, total=0
    )
    if not claimed:
        logger.warning("run %s is not queued: nothing to do", run_id)
        return
    run = Run.objects.select_related("region", "rls", "physicians", "waitlist").get(pk=run_id)
    try:
        _compute(run)
    except Exception as error:
        logger.exception("run %s failed", run_id)
        message = str(error) or type(error).__name__
        Run.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=message, finished_at=timezone.now()
        )
        record_on(
            AttributionAction.RUN_FAILED,
            run,
            acting_user=run.created_by,
            error=message,
        )


class _ProgressWriter:
    """The engine's progress callback: writes phase/done/total on the run, at most every
    :data:`PROGRESS_INTERVAL` seconds, and always at a new phase or a phase's end."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.phase = ""
        self.last = 0.0
        self.writes = 0
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        new_phase = phase != self.phase
        if new_phase:
            if self.phase:
                self.seconds[self.phase] = round(now - self.started[self.phase], 3)
            self.started.setdefault(phase, now)
            self.phase = phase
        if not new_phase and done < total and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        self.writes += 1
        Run.objects.filter(pk=self.run_id).update(phase=phase, done=done, total=total)

    def finish(self) -> dict[str, float]:
        if self.phase:
            self.seconds[self.phase] = round(time.monotonic() - self.started[self.phase], 3)
        return self.seconds


def _compute(run: Run) -> None:
    started = time.monotonic()
    progress = _ProgressWriter(run.pk)
    progress("inputs", 0, 1)
    params = params_from_mapping(run.params)
    # A queued run has no files of its own yet; a folder there is a leftover (a run id
    # reused after a rolled-back test database): start clean.
    shutil.rmtree(run.folder, ignore_errors=True)
    physicians, orphans = _engine_inputs(run, params)
    progress("inputs", 1, 1)

    plan = solve.plan(
        physicians, orphans, params, run.run_date, progress=progress, workers=_workers()
    )
    progress("writing", 0, 1)
    population = _population(run)
    run.folder.mkdir(parents=True)
    store.write_plan(plan, run.folder / "plan", population)
    summary = plan_figures(plan, population)
    progress("writing", 1, 1)
    summary["pages"]["timings"] = {
        **progress.finish(),
        "total": round(time.monotonic() - started, 3),
    }
    summary["pages"]["progress_writes"] = progress.writes
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, summary=summary, finished_at=timezone.now(), error=""
    )
    record_on(
        AttributionAction.RUN_FINISHED,
        run,
        acting_user=run.created_by,
        orphans=summary["orphans"],
        assigned=summary["assigned"],
        seconds=summary["pages"]["timings"]["total"],
    )


def _workers() -> int | None:
    # In the request (the immediate backend: tests, a one-process demo) the server may run
    # threads, and forking a threaded process is unsafe: one worker. The db_worker
    # process is single-threaded: the engine's default, a process per core.
    return 1 if isinstance(execute_run.get_backend(), ImmediateBackend) else None


def _engine_inputs(run: Run, params: Params) -> tuple[Physicians, Orphans]:
    """What the engine reads for ``run``, in memory: the roster and waiting-list versions
    it was started on, restricted to its RLS, the snapshot of the decisions applied to the
    roster, checked by the engine's rules (the versions are immutable: a run is computed
    again identically, and a new target is solved on the same inputs)."""
    roster = with_registered_counts(
        _restricted(read_dataset(run.physicians), run.rls),
        run.registrations,
        timezone.localdate(run.created_at),
    )
    waitlist = _restricted(read_dataset(run.waitlist), run.rls)
    roster, _snapshot = applied_roster(roster, run.decisions, run.run_date, params)
    return io.inputs_from_arrow(roster, waitlist)


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


# --------------------------------------------------------------------------- patients


class PlanPatients:
    """The plan's patients, in waiting-list order (priority, request date, code), read
    from the plan folder (:func:`panelcare.attribution.store.read_plan_patients`); sliced
    by Django's Paginator without building every row.

    Each row: ``patient_id``, ``priority``, ``requested_on``, ``physician_id`` (None when
    unassigned), ``distance_km``, ``month``, ``le304``. ``physician`` keeps one
    physician's patients; ``unassigned`` keeps those without one.
    """

    def __init__(self, plan_dir: Path, physician: str = "", unassigned: bool = False) -> None:
        self.table = store.read_plan_patients(
            plan_dir, physician_id=physician or None, unassigned=unassigned
        )

    def __len__(self) -> int:
        return self.table.num_rows

    def count(self) -> int:
        return self.table.num_rows

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        start, stop, _step = index.indices(self.table.num_rows)
        return self.table.slice(start, max(0, stop - start)).to_pylist()


# --------------------------------------------------------------------------- adjusting


def adjust_move(
    user: User, run: Run, patient_code: str, physician_code: str | None, note: str = ""
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
            made_by=user,
        )
        _record_adjustment(user, locked, adjustment, consequences)
    return consequences


def adjust_target(
    user: User, run: Run, physician_code: str, target: int, note: str = ""
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
        RunFrozen, RunNotReady: as :func:`adjust_move`.
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
            made_by=user,
        )
        _record_adjustment(user, locked, adjustment, consequences)
    return consequences


def approve_run(user: User, run: Run) -> Run:
    """Approve ``run``: frozen from now on (who, when, parameters and input versions are
    recorded in the event APPROVED).

    Raises:
        RunFrozen: it is approved already.
        RunNotReady: it has no plan (queued, running, failed).
    """
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.is_frozen:
            raise RunFrozen(_("This run is approved already."))
        if locked.status != RunStatus.DONE:
            raise RunNotReady(_("Only a run with a plan can be approved."))
        locked.status = RunStatus.APPROVED
        locked.approved_by = user
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        # The plan's patients leave the waiting counts (their entries: assigned).
        plan = store.read_plan(locked.folder / "plan")
        do_mark_waitlist_assigned(
            locked.region,
            plan.orphans.patient_id[plan.physician_of >= 0].tolist(),
            acting_user=user,
            run=locked,
        )
        record_on(
            AttributionAction.APPROVED,
            locked,
            acting_user=user,
            params=locked.params,
            physicians_version=locked.physicians.version,
            waitlist_version=locked.waitlist.version,
            decisions=len(locked.decisions),
            adjustments=locked.adjustments.count(),
            orphans=locked.summary.get("orphans"),
            assigned=locked.summary.get("assigned"),
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
        store.write_plan(plan, self.staged, population)
        summary = plan_figures(plan, population)
        summary["pages"]["timings"] = run.summary.get("pages", {}).get("timings", {})
        summary["pages"]["adjusted"] = True
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
