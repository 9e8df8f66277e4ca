"""Attribution runs: started by the CML or the DRMG, computed in the background by the
engine, adjusted, then approved and frozen (DSP-PR-30042, 5 to 7; issue 6, part 3).

    run = start_run(cml, rls, {"group2_target": 1000}, run_date, "T1 2027")  # task queued
    consequences = adjust_move(cml, run, "P00000223", "D00004")
    consequences = adjust_target(cml, run, "D00004", 400)
    approve_run(cml, run)                                    # frozen from now on

A run's folder (:attr:`Run.folder`)::

    inputs/physicians.parquet   the roster it read, restricted to its RLS, decisions applied
    inputs/waitlist.parquet     the waiting list it read, restricted to its RLS
    inputs/params.toml          its parameters (the engine's dump_params)
    plan/                       the engine's plan folder (store.write_plan), replaced by
                                every adjustment in the transaction that records it

Every write records an :class:`~web.attribution.models.Event`; the flow is described in
``docs/attribution-web-runs.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from panelcare.attribution import io, outputs, solve, store
from panelcare.attribution.model import GROUPS, assignment_km
from panelcare.attribution.pace import assign_months, monthly_pace
from panelcare.attribution.params import (
    AttributionParamsError,
    Params,
    dump_params,
    load_params,
)
from panelcare.errors import SettingsError
from web.accounts.access import User, profile_for
from web.attribution import access, events
from web.attribution.datasets import read_dataset
from web.attribution.decisions import applied_roster, decisions_in_force
from web.attribution.errors import AdjustmentRefused, RunFrozen, RunNotReady
from web.attribution.models import (
    AdjustmentKind,
    Dataset,
    DatasetKind,
    EventAction,
    Run,
    RunAdjustment,
    RunStatus,
)
from web.regions.models import Rls

__all__ = [
    "PlanPatients",
    "RunForm",
    "adjust_move",
    "adjust_target",
    "approve_run",
    "check_params",
    "execute_run",
    "params_dict",
    "retry_run",
    "run_summary",
    "start_run",
]

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds), plus at each new phase and at the end.
PROGRESS_INTERVAL = 0.25
# Points of the map, at most (a province's waiting list would weigh megabytes).
MAP_POINTS = 5000
# Width of the distance chart's bars, in km.
DISTANCE_BIN_KM = 5
# Name of the parameters in error messages (the form's, not a file of the user's).
PARAMS_NAME = "parameters"
_EPSILON = 1e-9


# --------------------------------------------------------------------------- parameters


def params_dict(params: Params) -> dict[str, Any]:
    """``params`` as JSON-ready data (Run.params): every field, None when off."""
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(Params):
        value = getattr(params, spec.name)
        values[spec.name] = dict(value) if isinstance(value, Mapping) else value
    return values


def check_params(values: Mapping[str, Any]) -> Params:
    """The run's parameters from ``values`` (any subset of the engine's keys; None means
    off or default), checked by the engine itself: written as TOML and read back by
    :func:`panelcare.attribution.params.load_params`.

    Raises:
        SettingsError: a key is unknown or a value wrong; ``key`` names it, ``file`` is
            :data:`PARAMS_NAME`.
    """
    text = _toml(values)
    with tempfile.TemporaryDirectory(prefix="panelcare-params-") as folder:
        path = Path(folder) / "run.toml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_params(path)
        except AttributionParamsError as error:
            raise AttributionParamsError(error.message, file=PARAMS_NAME, key=error.key) from None


def _toml(values: Mapping[str, Any]) -> str:
    """``values`` as TOML: plain keys first, then the tables; None is left out. JSON's
    strings and numbers are TOML's; every key is quoted."""
    lines, tables = [], []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append(f"[{json.dumps(str(key))}]")
            tables.extend(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items())
        else:
            lines.append(f"{json.dumps(str(key))} = {_toml_value(value)}")
    return "\n".join(lines + tables) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value)  # a string: load_params refuses it with the key named


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
        choices = [(rls.code, rls.name) for rls in access.attribution_rls(user).order_by("name")]
        if access.can_work_on_region(user):
            choices.insert(0, ("", _("The whole region")))
        self.fields["rls"].choices = choices
        self.fields["run_date"].initial = timezone.localdate()
        defaults = params_dict(load_params())
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
            params = check_params(values)
        except SettingsError as error:
            field = (error.key or "").split(".")[0]
            self.add_error(field if field in self.fields else None, error.message)
            return cleaned
        cleaned["params"] = params_dict(params)
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

    Raises:
        PermissionDenied: ``user`` is neither the DRMG nor a CML, or a CML asks for the
            whole region.
        Http404: ``rls`` is not one of the user's.
        SettingsError: a parameter is wrong (``key`` names it).
        RunNotReady: the region has no physicians' roster or no waiting list yet.
    """
    access.check_can_work(user)
    region = profile_for(user).region
    if rls is None:
        if not access.can_work_on_region(user):
            raise PermissionDenied
    elif not access.attribution_rls(user).filter(pk=rls.pk).exists():
        raise Http404
    checked = check_params(params)
    physicians = Dataset.current(region, DatasetKind.PHYSICIANS)
    waitlist = Dataset.current(region, DatasetKind.WAITLIST)
    if physicians is None or waitlist is None:
        raise RunNotReady(_("Import the physicians' roster and the waiting list first."))
    roster = _restricted(read_dataset(physicians), rls)
    decisions = decisions_in_force(region, [rls.code] if rls else None)
    snapshot = applied_roster(roster, decisions.values(), run_date, checked)[1]
    run = Run.objects.create(
        region=region,
        rls=rls,
        title=title[:200],
        run_date=run_date,
        params=params_dict(checked),
        physicians=physicians,
        waitlist=waitlist,
        decisions=snapshot,
        status=RunStatus.QUEUED,
        created_by=user,
    )
    events.record(
        EventAction.RUN_STARTED,
        region=region,
        actor=user,
        rls_code=rls.code if rls else "",
        run=run,
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
    _check_can_change(user, run)
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.is_frozen:
            raise RunFrozen(_("This run is approved: it cannot be run again."))
        if locked.status != RunStatus.FAILED:
            raise RunNotReady(_("Only a failed run can be run again."))
        Run.objects.filter(pk=run.pk).update(
            status=RunStatus.QUEUED, error="", phase="", done=0, total=0, summary={}
        )
        events.record_run(
            EventAction.RUN_STARTED,
            run,
            actor=user,
            retry=True,
        )
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
        events.record_run(
            EventAction.RUN_FAILED,
            run,
            actor=run.created_by,
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
    params = check_params(run.params)
    # A queued run has no files of its own yet; a folder there is a leftover (a run id
    # reused after a rolled-back test database): start clean.
    shutil.rmtree(run.folder, ignore_errors=True)
    inputs = run.folder / "inputs"
    inputs.mkdir(parents=True)
    roster = _restricted(read_dataset(run.physicians), run.rls)
    waitlist = _restricted(read_dataset(run.waitlist), run.rls)
    roster, _snapshot = applied_roster(roster, run.decisions, run.run_date, params)
    pq.write_table(roster, inputs / "physicians.parquet")
    pq.write_table(waitlist, inputs / "waitlist.parquet")
    (inputs / "params.toml").write_text(dump_params(params), encoding="utf-8")
    physicians, orphans = io.read_inputs(inputs)
    progress("inputs", 1, 1)

    plan = solve.plan(
        physicians, orphans, params, run.run_date, progress=progress, workers=_workers()
    )
    progress("writing", 0, 1)
    population = _population(run)
    store.write_plan(plan, run.folder / "plan", population)
    summary = run_summary(plan, population)
    progress("writing", 1, 1)
    summary["pages"]["timings"] = {
        **progress.finish(),
        "total": round(time.monotonic() - started, 3),
    }
    summary["pages"]["progress_writes"] = progress.writes
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, summary=summary, finished_at=timezone.now(), error=""
    )
    events.record_run(
        EventAction.RUN_FINISHED,
        run,
        actor=run.created_by,
        orphans=summary["orphans"],
        assigned=summary["assigned"],
        seconds=summary["pages"]["timings"]["total"],
    )


def _workers() -> int | None:
    # In the request (the immediate backend: tests, a one-process demo) the server may run
    # threads, and forking a threaded process is unsafe: one worker. The db_worker
    # process is single-threaded: the engine's default, a process per core.
    return 1 if isinstance(execute_run.get_backend(), ImmediateBackend) else None


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


# --------------------------------------------------------------------------- summary


def run_summary(plan: solve.Plan, population: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The engine's summary (:func:`panelcare.attribution.outputs.summary`) plus, under
    ``pages``, what the run's pages draw: ``physicians`` (one dict per physician),
    ``groups`` (need and assigned per group), ``distances`` (patients per
    :data:`DISTANCE_BIN_KM` km), ``map`` (at most :data:`MAP_POINTS` patients and the
    sites)."""
    summary = outputs.summary(plan, population)
    rows = physician_figures(plan)
    groups = []
    for group in GROUPS[:-1]:
        members = [row for row in rows if row["group"] == group]
        groups.append(
            {
                "group": group,
                "physicians": len(members),
                "need": sum(row["need"] for row in members),
                "capacity": sum(row["capacity"] for row in members),
                "assigned": sum(row["assigned"] for row in members),
            }
        )
    summary["pages"] = {
        "physicians": rows,
        "groups": groups,
        "distances": _distance_bins(plan),
        "map": _map_points(plan),
    }
    return summary


def physician_figures(plan: solve.Plan) -> list[dict[str, Any]]:
    """Per physician: who, where, group and target, and the plan's figures before and
    after (assigned, vulnerable share, units, monthly pace, mean distance)."""
    physicians, targets = plan.physicians, plan.targets
    table = outputs.physicians_table(plan).to_pylist()
    registered = physicians.registered
    with np.errstate(invalid="ignore", divide="ignore"):
        share_before = np.where(
            registered > 0, physicians.vulnerable / np.maximum(registered, 1), np.nan
        )
    rows = []
    for j, row in enumerate(table):
        rows.append(
            {
                "physician_id": row["physician_id"],
                "name": str(physicians.name[j]),
                "rls_id": row["rls_id"],
                "site_id": str(physicians.site_id[j]),
                "latitude": round(float(physicians.latitude[j]), 5),
                "longitude": round(float(physicians.longitude[j]), 5),
                "mode": row["mode"],
                "group": row["group"],
                "tier": outputs.tier_name(int(targets.tier[j])),
                "registered": row["registered"],
                "vulnerable": int(physicians.vulnerable[j]),
                "target": row["target"],
                "need": row["need"],
                "capacity": row["capacity"],
                "assigned": row["assigned"],
                "assigned_vulnerable": row["assigned_vulnerable"],
                "vulnerable_share_before": (
                    None if np.isnan(share_before[j]) else round(float(share_before[j]), 4)
                ),
                "vulnerable_share_after": row["vulnerable_share_after"],
                "units_before": round(float(targets.units_before[j]), 3),
                "units_after": row["units_after"],
                "monthly_pace": row["monthly_pace"],
                "mean_distance_km": row["mean_distance_km"],
                "reasons": row["reason"].split(";") if row["reason"] else [],
            }
        )
    return rows


def _distance_bins(plan: solve.Plan) -> list[dict[str, Any]]:
    placed = plan.physician_of >= 0
    distance = plan.distance_km[placed]
    if distance.size == 0:
        return []
    last = int(np.floor(distance.max() / DISTANCE_BIN_KM))
    counts = np.bincount(np.floor(distance / DISTANCE_BIN_KM).astype(np.int64), minlength=last + 1)
    return [
        {"from": k * DISTANCE_BIN_KM, "to": (k + 1) * DISTANCE_BIN_KM, "patients": int(n)}
        for k, n in enumerate(counts.tolist())
    ]


def _map_points(plan: solve.Plan) -> dict[str, Any]:
    """At most :data:`MAP_POINTS` patients (a sample drawn with a fixed seed, so the map
    does not move between two loads), positions rounded to 0.001° (about 100 m), and the
    physicians' sites."""
    orphans = plan.orphans
    n = len(orphans)
    rows = np.arange(n)
    if n > MAP_POINTS:
        rows = np.sort(np.random.default_rng(0).choice(n, size=MAP_POINTS, replace=False))
    placed = plan.physician_of >= 0
    patients = [
        [
            round(float(orphans.latitude[i]), 3),
            round(float(orphans.longitude[i]), 3),
            bool(placed[i]),
        ]
        for i in rows.tolist()
    ]
    sites: dict[str, dict[str, Any]] = {}
    assigned = plan.assigned_count()
    physicians = plan.physicians
    for j in range(len(physicians)):
        site = sites.setdefault(
            str(physicians.site_id[j]),
            {
                "site_id": str(physicians.site_id[j]),
                "latitude": round(float(physicians.latitude[j]), 4),
                "longitude": round(float(physicians.longitude[j]), 4),
                "physicians": 0,
                "assigned": 0,
            },
        )
        site["physicians"] += 1
        site["assigned"] += int(assigned[j])
    return {"patients": patients, "patients_total": n, "sites": list(sites.values())}


# --------------------------------------------------------------------------- patients


class PlanPatients:
    """The plan's patients, in waiting-list order (priority, request date, code), read
    from the plan folder; sliced by Django's Paginator without building every row.

    Each row: ``patient_id``, ``priority``, ``physician_id`` (None when unassigned),
    ``distance_km``, ``month``, ``le304``. ``physician`` keeps one physician's patients;
    ``unassigned`` keeps those without one.
    """

    def __init__(self, plan_dir: Path, physician: str = "", unassigned: bool = False) -> None:
        orphans = pq.read_table(
            plan_dir / "inputs" / "orphans.parquet",
            columns=["patient_id", "priority", "requested_on"],
        )
        assignments = pacsv.read_csv(
            plan_dir / "assignments.csv",
            convert_options=pacsv.ConvertOptions(
                column_types={
                    "patient_id": pa.string(),
                    "physician_id": pa.string(),
                    "distance_km": pa.float64(),
                    "month": pa.int64(),
                    "le304": pa.bool_(),
                },
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        table = pa.table(
            {
                "patient_id": assignments.column("patient_id"),
                "priority": orphans.column("priority"),
                "requested_on": orphans.column("requested_on"),
                "physician_id": assignments.column("physician_id"),
                "distance_km": assignments.column("distance_km"),
                "month": assignments.column("month"),
                "le304": assignments.column("le304"),
            }
        )
        if physician:
            table = table.filter(pc.equal(table.column("physician_id"), physician))
        if unassigned:
            table = table.filter(pc.is_null(table.column("physician_id")))
        self.table = table.sort_by(
            [("priority", "ascending"), ("requested_on", "ascending"), ("patient_id", "ascending")]
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
    recomputed; the rest of the plan stays. Records a RunAdjustment and an event ADJUSTED.

    Returns:
        The consequences (:func:`_consequences`).

    Raises:
        RunFrozen: the run is approved (nothing written).
        RunNotReady: the run has no plan.
        AdjustmentRefused: no such patient in the plan, no such physician, a physician
            who takes no patient in this run, or the patient is already there.
    """
    _check_can_change(user, run)
    with _changing_plan(run) as (locked, change):
        before = store.read_plan(locked.folder / "plan")
        i = _patient_index(before, patient_code)
        j = _physician_index(before, physician_code) if physician_code else -1
        if int(before.physician_of[i]) == j:
            raise AdjustmentRefused(_("The patient is already there."))
        physician_of = before.physician_of.copy()
        physician_of[i] = j
        le304 = before.le304.copy()
        le304[i] = False
        after = _rebuilt(before, physician_of, le304)
        consequences = _consequences(before, after, moved=[i])
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
    """Set one physician's target and solve the plan again (``target_overrides``, every
    target set so far on this run), then move again the patients moved by hand before,
    and rewrite the plan folder. Records a RunAdjustment and an event ADJUSTED.

    Returns:
        The consequences (:func:`_consequences`), for every physician whose patients
        changed and the physician whose target changed.

    Raises:
        RunFrozen, RunNotReady: as :func:`adjust_move`.
        AdjustmentRefused: no such physician, one who takes no patient in this run, or
            a target below 0.
    """
    _check_can_change(user, run)
    if isinstance(target, bool) or not isinstance(target, int) or target < 0:
        raise AdjustmentRefused(_("A target is a whole number of patients, 0 or more."))
    with _changing_plan(run) as (locked, change):
        before = store.read_plan(locked.folder / "plan")
        _physician_index(before, physician_code)
        overrides = {**before.params.target_overrides, physician_code: target}
        params = check_params({**params_dict(before.params), "target_overrides": overrides})
        physicians, orphans = io.read_inputs(locked.folder / "inputs")
        solved = solve.plan(physicians, orphans, params, locked.run_date, workers=_workers())
        after = _with_moves(solved, locked)
        consequences = _consequences(before, after, moved=[], also=[physician_code])
        consequences.update(
            {
                "kind": AdjustmentKind.TARGET.value,
                "physician_id": physician_code,
                "target_before": int(
                    before.targets.target[_physician_index(before, physician_code)]
                ),
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
    _check_can_change(user, run)
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
        events.record(
            EventAction.APPROVED,
            region=locked.region,
            actor=user,
            rls_code=locked.rls.code if locked.rls else "",
            run=locked,
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


def _check_can_change(user: User, run: Run) -> None:
    """The user works on attribution and sees the run (PermissionDenied, Http404)."""
    access.check_can_work(user)
    if not access.visible_runs(user).filter(pk=run.pk).exists():
        raise Http404


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


def _patient_index(plan: solve.Plan, patient_code: str) -> int:
    rows = np.flatnonzero(plan.orphans.patient_id == patient_code)
    if rows.size == 0:
        raise AdjustmentRefused(_("No patient %(code)s in this plan.") % {"code": patient_code})
    return int(rows[0])


def _physician_index(plan: solve.Plan, physician_code: str) -> int:
    rows = np.flatnonzero(plan.physicians.physician_id == physician_code)
    if rows.size == 0:
        raise AdjustmentRefused(_("No physician %(code)s in this plan.") % {"code": physician_code})
    j = int(rows[0])
    if plan.targets.tier[j] < 0:
        raise AdjustmentRefused(
            _("%(code)s takes no patient in this run (declined, leaving or excluded).")
            % {"code": physician_code}
        )
    return j


def _code_of(plan: solve.Plan, j: int) -> str | None:
    return str(plan.physicians.physician_id[j]) if j >= 0 else None


def _rebuilt(plan: solve.Plan, physician_of: np.ndarray, le304: np.ndarray) -> solve.Plan:
    """``plan`` with other assignments: distances, months and paces recomputed."""
    period = plan.params.period_months
    n = len(plan.physicians)
    assigned = np.bincount(physician_of[physician_of >= 0], minlength=n).astype(np.int64)
    return dataclasses.replace(
        plan,
        physician_of=physician_of,
        le304=le304,
        distance_km=assignment_km(plan.physicians, plan.orphans, physician_of),
        month=assign_months(plan.orphans, physician_of, n, period),
        monthly_pace=monthly_pace(assigned, period),
    )


def _with_moves(plan: solve.Plan, run: Run) -> solve.Plan:
    """``plan`` with the run's earlier moves made again, in their order (a move whose
    patient or physician is no longer in the plan is skipped)."""
    moves = run.adjustments.filter(kind=AdjustmentKind.MOVE).order_by("made_at", "pk")
    if not moves.exists():
        return plan
    physician_of = plan.physician_of.copy()
    le304 = plan.le304.copy()
    ids = plan.physicians.physician_id
    for move in moves:
        rows = np.flatnonzero(plan.orphans.patient_id == move.patient_code)
        if rows.size == 0:
            continue
        j = -1
        if move.physician_code:
            found = np.flatnonzero(ids == move.physician_code)
            if found.size == 0 or plan.targets.tier[found[0]] < 0:
                continue
            j = int(found[0])
        physician_of[rows[0]] = j
        le304[rows[0]] = False
    return _rebuilt(plan, physician_of, le304)


def _figures(plan: solve.Plan, j: int) -> dict[str, Any]:
    share = outputs.vulnerable_share_after(plan)[j]
    return {
        "target": int(plan.targets.target[j]),
        "assigned": int(plan.assigned_count()[j]),
        "vulnerable_share_after": None if np.isnan(share) else round(float(share), 4),
        "units_after": round(float(outputs.units_after(plan)[j]), 3),
        "monthly_pace": int(plan.monthly_pace[j]),
    }


def _consequences(
    before: solve.Plan, after: solve.Plan, moved: list[int], also: list[str] | None = None
) -> dict[str, Any]:
    """Before and after for every physician touched (whose patients changed, and
    ``also``), and the warnings: a vulnerable share now above the cap, a patient placed
    beyond the maximum distance, a physician now above their target."""
    changed = np.flatnonzero(before.physician_of != after.physician_of)
    touched = set(before.physician_of[changed].tolist()) | set(after.physician_of[changed].tolist())
    ids = before.physicians.physician_id
    for code in also or []:
        touched |= set(np.flatnonzero(ids == code).tolist())
    touched.discard(-1)
    params = after.params
    rows, warnings = [], []
    for j in sorted(touched, key=lambda j: str(ids[j])):
        old, new = _figures(before, j), _figures(after, j)
        code = str(ids[j])
        rows.append(
            {
                "physician_id": code,
                "name": str(before.physicians.name[j]),
                "before": old,
                "after": new,
            }
        )
        share, share_before = new["vulnerable_share_after"], old["vulnerable_share_after"]
        if (
            share is not None
            and share > params.vulnerable_cap + _EPSILON
            and share > (share_before or 0.0) + _EPSILON
        ):
            warnings.append(
                {
                    "code": "vulnerable_cap",
                    "physician_id": code,
                    "value": share,
                    "limit": params.vulnerable_cap,
                }
            )
        panel = int(before.physicians.registered[j]) + new["assigned"]
        if new["target"] > 0 and panel > new["target"] and new["assigned"] > old["assigned"]:
            warnings.append(
                {
                    "code": "over_target",
                    "physician_id": code,
                    "value": panel,
                    "limit": new["target"],
                }
            )
    for i in sorted(set(changed.tolist()) | set(moved)):
        km = after.distance_km[i]
        if after.physician_of[i] >= 0 and km > params.max_distance_km + _EPSILON:
            warnings.append(
                {
                    "code": "max_distance",
                    "patient_id": str(after.orphans.patient_id[i]),
                    "physician_id": str(ids[after.physician_of[i]]),
                    "value": round(float(km), 1),
                    "limit": params.max_distance_km,
                }
            )
    return {
        "physicians": rows,
        "warnings": warnings,
        "patients_changed": int(changed.size),
        "assigned_before": int((before.physician_of >= 0).sum()),
        "assigned_after": int((after.physician_of >= 0).sum()),
    }


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
        summary = run_summary(plan, population)
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
    events.record_run(
        EventAction.ADJUSTED,
        run,
        actor=user,
        adjustment=adjustment.pk,
        **consequences,
    )
