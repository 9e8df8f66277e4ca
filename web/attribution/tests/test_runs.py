"""Runs: started in the background with progress, the plan folder and summary, the plan's
pages and explanations, adjustments recomputed and recorded, approval freezing the run,
decisions read by the run, comparison and history."""

from __future__ import annotations

import datetime
import json
import re
import tempfile

import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.urls import reverse

from panelcare.attribution import figures, store
from panelcare.attribution.params import load_params, params_as_dict
from web.attribution import charts, runs
from web.attribution.decisions import do_set_decision
from web.attribution.errors import AdjustmentRefused, RunFrozen, RunNotReady
from web.attribution.models import (
    AdjustmentKind,
    AttributionAction,
    Run,
    RunAdjustment,
    RunStatus,
)
from web.audit.models import AuditEvent
from web.regions.models import Patient, Region, Rls
from web.regions.testing import load_tiny_demo

pytestmark = pytest.mark.django_db

RUN_DATE = datetime.date(2026, 11, 23)


@pytest.fixture
def demo(db):
    load_tiny_demo()
    return Region.objects.get()


@pytest.fixture
def cml(demo):
    return User.objects.get(username="cml.rimouski")


@pytest.fixture
def run(cml):
    """A done run of Rimouski-Neigette (0115) with the default parameters."""
    return runs.start_run(cml, Rls.objects.get(code="0115"), {}, RUN_DATE, "T4")


def plan_of(run: Run):
    return store.read_plan(run.folder / "plan")


def assigned(run: Run) -> dict[str, int]:
    run.refresh_from_db()
    return {row["physician_id"]: row["assigned"] for row in run.summary["pages"]["physicians"]}


def plan_bytes(run: Run) -> dict[str, bytes]:
    folder = run.folder / "plan"
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*.*")}


def patient_of(run: Run, physician: str) -> str:
    plan = plan_of(run)
    j = list(plan.physicians.physician_id).index(physician)
    return str(plan.orphans.patient_id[plan.physician_of == j][0])


# --------------------------------------------------------------------------- starting


def test_it_runs_from_queued_to_done_with_a_plan_folder_and_progress(cml, monkeypatch):
    enqueued = []
    monkeypatch.setattr(runs, "enqueue_run", lambda pk: enqueued.append(pk))
    run = runs.start_run(cml, Rls.objects.get(code="0115"), {}, RUN_DATE, "T4")
    assert run.status == RunStatus.QUEUED and enqueued == [run.pk]
    assert not (run.folder / "plan").exists()

    runs.execute_run.call(run.pk)  # what the worker does
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert (run.folder / "plan" / "summary.json").is_file()
    # The engine read the tables in memory: the run's folder holds the plan only.
    assert sorted(path.name for path in run.folder.iterdir()) == ["plan"]
    assert (run.folder / "plan" / "inputs" / "physicians.parquet").is_file()
    assert run.phase == "writing" and run.done == run.total == 1
    pages = run.summary["pages"]
    assert {"inputs", "candidates", "solving", "writing", "total"} <= set(pages["timings"])
    assert pages["progress_writes"] >= 4  # at least one write per phase
    assert run.summary["orphans"] == 303  # the waiting list of 0115
    assert run.summary["assigned"] == sum(row["assigned"] for row in pages["physicians"])
    actions = list(
        AuditEvent.objects.about(run).order_by("created_at", "pk").values_list("action", flat=True)
    )
    assert actions == [AttributionAction.RUN_STARTED, AttributionAction.RUN_FINISHED]


def test_it_leaves_a_run_that_is_not_queued_alone(run):
    before = plan_bytes(run)
    runs.execute_run.call(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert plan_bytes(run) == before
    assert AuditEvent.objects.about(run).filter(action=AttributionAction.RUN_FINISHED).count() == 1


def test_it_starts_a_run_from_the_form_and_shows_its_plan(client, cml):
    client.force_login(cml)
    form = client.get(reverse("attribution:run-new"))
    assert form.status_code == 200
    html = form.content.decode()
    assert 'data-testid="run-submit"' in html
    assert 'name="group2_target"' in html and 'value="750"' in html  # defaults shown
    assert "The whole region" not in html  # a CML runs their RLS only
    response = client.post(
        reverse("attribution:run-new"),
        {
            "title": "T4 2026",
            "rls": "0115",
            "run_date": "2026-11-23",
            **_default_form_params(),
            "max_distance_km": "120",
        },
    )
    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("attribution:run-detail", args=[run.pk])
    assert run.params["max_distance_km"] == 120.0 and run.created_by == cml
    assert run.status == RunStatus.DONE  # the immediate backend ran the task
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="run-status" data-status="done"' in page
    for row in run.summary["pages"]["physicians"]:
        code, expected = row["physician_id"], row["assigned"]
        assert f'data-testid="plan-physician-{code}"' in page
        assert f'data-testid="expected-{code}">{expected}<' in page
    assert 'data-testid="approve-button"' in page
    assert 'data-testid="move-form"' in page and 'data-testid="target-form"' in page
    assert re.search(r'data-testid="explain-P\d+"', page)


def _default_form_params() -> dict[str, str]:
    defaults = params_as_dict(load_params())
    values = {}
    for key, value in defaults.items():
        if value is None or isinstance(value, dict):
            values[key] = ""
        elif isinstance(value, bool):
            if value:
                values[key] = "on"
        else:
            values[key] = str(value)
    return values


def test_it_refuses_wrong_parameters_as_a_form_error(client, cml):
    client.force_login(cml)
    response = client.post(
        reverse("attribution:run-new"),
        {
            "rls": "0115",
            "run_date": "2026-11-23",
            **_default_form_params(),
            "group2_target": "800",
        },
    )
    assert response.status_code == 200
    assert "must be a multiple of stratum (250), got 800" in response.content.decode()
    assert not Run.objects.exists()


def test_it_refuses_wrong_parameters_in_the_service(cml):
    with pytest.raises(runs.SettingsError) as caught:
        runs.start_run(cml, Rls.objects.get(code="0115"), {"vulnerable_cap": 2}, RUN_DATE)
    assert caught.value.key == "vulnerable_cap"
    assert not Run.objects.exists()


def test_it_checks_the_parameters_in_memory_without_a_temporary_file(cml, monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("a temporary file or folder was made")

    for name in ("TemporaryDirectory", "NamedTemporaryFile", "mkdtemp", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refused)
    data = {"rls": "0115", "run_date": "2026-11-23", **_default_form_params()}
    wrong = runs.RunForm(cml, {**data, "group2_target": "800"})
    assert not wrong.is_valid()
    assert wrong.errors["group2_target"] == ["must be a multiple of stratum (250), got 800"]
    right = runs.RunForm(cml, {**data, "category_weights": "home_care = 2"})
    assert right.is_valid(), right.errors
    assert right.cleaned_data["params"]["category_weights"] == {"home_care": 2.0}


def test_it_records_a_failed_run_and_runs_it_again(client, cml, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the solver broke")

    monkeypatch.setattr(runs.solve, "plan", broken)
    run = runs.start_run(cml, Rls.objects.get(code="0115"), {}, RUN_DATE)
    assert run.status == RunStatus.FAILED
    assert run.error == "the solver broke"
    assert AuditEvent.objects.about(run).filter(action=AttributionAction.RUN_FAILED).exists()
    client.force_login(cml)
    page = client.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert 'data-testid="run-error">the solver broke<' in page
    assert 'data-testid="retry-button"' in page and 'data-testid="approve-button"' not in page
    monkeypatch.undo()
    run = runs.retry_run(cml, run)
    assert run.status == RunStatus.DONE and run.error == ""
    with pytest.raises(RunNotReady):
        runs.retry_run(cml, run)


def test_it_lets_the_drmg_run_the_whole_region(demo):
    drmg = User.objects.get(username="drmg")
    run = runs.start_run(drmg, None, {}, RUN_DATE, "Région")
    assert run.status == RunStatus.DONE
    assert run.summary["orphans"] == 315
    assert set(run.summary["by_rls"]) == {"0115", "0116"}


# --------------------------------------------------------------------------- decisions


def test_it_applies_the_decisions_to_the_roster_the_run_reads(cml, demo):
    rls = Rls.objects.get(code="0115")
    first = runs.start_run(cml, rls, {}, RUN_DATE)
    do_set_decision(demo, "D00004", "0115", acting_user=cml, excluded=True)
    do_set_decision(demo, "D00002", "0115", acting_user=cml, include_departure=True)
    second = runs.start_run(cml, rls, {}, RUN_DATE)

    roster = {
        row["physician_id"]: row
        for row in pq.read_table(
            second.folder / "plan" / "inputs" / "physicians.parquet"
        ).to_pylist()
    }
    assert roster["D00004"]["mode"] == "none"
    assert roster["D00002"]["departing_on"] == datetime.date(2026, 12, 31)
    assert [entry["physician_code"] for entry in second.decisions] == ["D00002", "D00004"]
    assert first.decisions == []
    before, after = assigned(first), assigned(second)
    assert before["D00004"] > 0 and after["D00004"] == 0
    groups = {row["physician_id"]: row["group"] for row in second.summary["pages"]["physicians"]}
    assert groups["D00004"] == "none"
    # The first run keeps what it read.
    first_roster = pq.read_table(
        first.folder / "plan" / "inputs" / "physicians.parquet"
    ).to_pylist()
    assert {row["physician_id"]: row["mode"] for row in first_roster}["D00004"] == "bloc"


# --------------------------------------------------------------------------- pages


def test_it_explains_a_patient_by_code_and_priority_only(client, cml, run):
    client.force_login(cml)
    code = patient_of(run, "D00001")
    url = reverse("attribution:run-patient", args=[run.pk, code])
    page = client.get(url).content.decode()
    assert code in page and 'data-testid="patient-explanation"' in page
    assert "Martin Lachance" in page  # their physician
    patient = Patient.objects.get(code=code)
    assert patient.last_name not in page and patient.health_insurance_number not in page
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'data-testid="patient-explanation"' in partial
    missing = client.get(reverse("attribution:run-patient", args=[run.pk, "P99999999"]))
    assert missing.status_code == 404


def test_it_shows_no_patient_name_on_the_plan(client, cml, run):
    client.force_login(cml)
    page = client.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    shown = re.findall(r'data-testid="plan-patient-(P\d+)"', page)
    assert len(shown) == runs.PlanPatients(run.folder / "plan")[0:50].__len__() == 50
    for patient in Patient.objects.filter(code__in=shown):
        assert f"{patient.first_name} {patient.last_name}" not in page


def test_it_pages_and_filters_the_patients(client, cml, run):
    client.force_login(cml)
    url = reverse("attribution:run-detail", args=[run.pk])
    second = client.get(url, {"page": 2}).content.decode()
    first = client.get(url).content.decode()
    codes_1 = re.findall(r'data-testid="plan-patient-(P\d+)"', first)
    codes_2 = re.findall(r'data-testid="plan-patient-(P\d+)"', second)
    assert codes_1 and codes_2 and not set(codes_1) & set(codes_2)
    only = client.get(url, {"physician": "D00004"}).content.decode()
    codes = re.findall(r'data-testid="plan-patient-(P\d+)"', only)
    assert len(codes) == assigned(run)["D00004"]


def test_it_explains_a_physician(client, cml, run):
    client.force_login(cml)
    page = client.get(reverse("attribution:run-physician", args=[run.pk, "D00004"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Luc Nadeau" in html and 'data-testid="limited-by"' in html
    assert client.get(reverse("attribution:run-physician", args=[run.pk, "D0"])).status_code == 404


def test_it_polls_progress_until_the_run_ends(client, cml, monkeypatch):
    monkeypatch.setattr(runs, "enqueue_run", lambda pk: None)
    run = runs.start_run(cml, Rls.objects.get(code="0115"), {}, RUN_DATE)
    client.force_login(cml)
    url = reverse("attribution:run-progress", args=[run.pk])
    polling = client.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in polling.content.decode()
    assert 'data-testid="progress-bar"' in polling.content.decode()
    assert "HX-Refresh" not in polling
    runs.execute_run.call(run.pk)
    ended = client.get(url, HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in ended.content.decode()
    assert ended["HX-Refresh"] == "true"


def test_it_draws_the_charts_offline(run):
    pages = Run.objects.get(pk=run.pk).summary["pages"]
    specs = [
        charts.need_chart(pages["groups"]),
        charts.vulnerable_chart(pages["physicians"], 0.45),
        charts.distance_chart(pages["distances"], 50.0),
        charts.map_chart(pages["map"]),
    ]
    text = json.dumps(specs)
    assert "http" not in text and '"url"' not in text
    assert specs[3]["projection"]["type"] == "mercator"
    assert len(pages["map"]["patients"]) == 303 <= figures.MAP_POINTS
    assert sum(row["patients"] for row in pages["distances"]) == run.summary["assigned"]


# --------------------------------------------------------------------------- adjusting


def test_it_moves_a_patient_and_records_it(client, cml, run):
    before = assigned(run)
    patient = patient_of(run, "D00001")
    client.force_login(cml)
    response = client.post(
        reverse("attribution:run-adjust", args=[run.pk]),
        {"kind": "move", "patient": patient, "physician": "D00004", "note": "closer"},
    )
    assert response.status_code == 302
    after = assigned(run)
    assert after["D00001"] == before["D00001"] - 1
    assert after["D00004"] == before["D00004"] + 1
    plan = plan_of(run)
    i = list(plan.orphans.patient_id).index(patient)
    assert plan.physicians.physician_id[plan.physician_of[i]] == "D00004"
    adjustment = RunAdjustment.objects.get()
    assert adjustment.kind == AdjustmentKind.MOVE and adjustment.made_by == cml
    assert (adjustment.patient_code, adjustment.physician_code) == (patient, "D00004")
    event = AuditEvent.objects.get(action=AttributionAction.ADJUSTED)
    touched = {row["physician_id"]: row for row in event.details["physicians"]}
    assert touched["D00001"]["after"]["assigned"] == before["D00001"] - 1
    assert touched["D00004"]["before"]["assigned"] == before["D00004"]
    page = client.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert f'data-testid="expected-D00004">{before["D00004"] + 1}<' in page
    assert (
        'data-testid="consequences"' in page and f'data-testid="adjustment-{adjustment.pk}"' in page
    )


def test_it_warns_when_a_move_breaks_a_rule(cml, run):
    plan = plan_of(run)
    # A patient beyond 50 km of every site of 0115, left unassigned by the plan.
    far = next(
        str(plan.orphans.patient_id[i])
        for i in range(len(plan.orphans))
        if plan.physician_of[i] < 0 and plan.orphans.latitude[i] < 48.0
    )
    consequences = runs.adjust_move(cml, run, far, "D00004")
    codes = {warning["code"] for warning in consequences["warnings"]}
    assert "max_distance" in codes
    assert consequences["assigned_after"] == consequences["assigned_before"] + 1


def test_it_refuses_an_impossible_move(cml, run):
    before = plan_bytes(run)
    with pytest.raises(AdjustmentRefused, match=r"^No patient P99999999 in this plan\.$"):
        runs.adjust_move(cml, run, "P99999999", "D00004")
    with pytest.raises(AdjustmentRefused, match=r"^D00002 takes no patient in this run"):
        runs.adjust_move(cml, run, patient_of(run, "D00001"), "D00002")  # declined
    with pytest.raises(AdjustmentRefused, match=r"^The patient is already there\.$"):
        runs.adjust_move(cml, run, patient_of(run, "D00001"), "D00001")
    assert plan_bytes(run) == before
    assert not RunAdjustment.objects.exists()


def test_it_changes_a_target_solves_again_and_keeps_the_moves(client, cml, run):
    before = assigned(run)
    moved = patient_of(run, "D00001")
    runs.adjust_move(cml, run, moved, "D00004")
    client.force_login(cml)
    response = client.post(
        reverse("attribution:run-adjust", args=[run.pk]),
        {"kind": "target", "physician": "D00004", "target": "50"},  # 43 registered: need 7
    )
    assert response.status_code == 302
    plan = plan_of(run)
    j = list(plan.physicians.physician_id).index("D00004")
    assert plan.targets.target[j] == 50 and plan.targets.need[j] == 7
    assert "target_set_by_cml" in plan.targets.reasons[j]
    assert plan.params.target_overrides == {"D00004": 50}
    i = list(plan.orphans.patient_id).index(moved)
    assert plan.physician_of[i] == j  # the earlier move was made again
    after = assigned(run)
    assert after["D00004"] == 7 + 1 and before["D00004"] > 8
    adjustment = RunAdjustment.objects.get(kind=AdjustmentKind.TARGET)
    assert adjustment.target == 50 and adjustment.physician_code == "D00004"
    event = AuditEvent.objects.filter(action=AttributionAction.ADJUSTED).first()
    assert event.details["kind"] == "target" and event.details["target_before"] == 500
    targets = {row["physician_id"]: row for row in run.summary["pages"]["physicians"]}
    assert targets["D00004"]["target"] == 50


def test_it_refuses_a_target_below_zero(cml, run):
    with pytest.raises(AdjustmentRefused, match=r"^A target is a whole number of patients"):
        runs.adjust_target(cml, run, "D00004", -1)
    with pytest.raises(AdjustmentRefused, match=r"^No physician D404 in this plan\.$"):
        runs.adjust_target(cml, run, "D404", 10)
    assert not RunAdjustment.objects.exists()


@pytest.mark.parametrize("adjust", ["move", "target"])
def test_it_leaves_the_plan_and_the_records_as_they_were_when_an_adjustment_fails(
    cml, run, monkeypatch, adjust
):
    run.refresh_from_db()
    plan_before, summary_before, events_before = (
        plan_bytes(run),
        run.summary,
        AuditEvent.objects.count(),
    )

    def failing(*args, **kwargs):
        raise OperationalError("database is locked")

    # The last write of an adjustment, after the new plan is written.
    monkeypatch.setattr(runs, "record_on", failing)
    with pytest.raises(OperationalError):
        if adjust == "move":
            runs.adjust_move(cml, run, patient_of(run, "D00001"), "D00004")
        else:
            runs.adjust_target(cml, run, "D00004", 50)
    assert plan_bytes(run) == plan_before
    assert not RunAdjustment.objects.exists() and AuditEvent.objects.count() == events_before
    run.refresh_from_db()
    assert run.summary == summary_before
    assert [path.name for path in run.folder.iterdir() if path.name.startswith(".")] == []


def test_it_serialises_writers_on_sqlite():
    # select_for_update does nothing on SQLite: transactions take the write lock as they
    # begin instead.
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks the rows")
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


# --------------------------------------------------------------------------- approving


def test_it_approves_and_freezes_the_run(client, cml, run):
    client.force_login(cml)
    response = client.post(reverse("attribution:run-approve", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED and run.approved_by == cml and run.approved_at
    approved = AuditEvent.objects.get(action=AttributionAction.APPROVED)
    assert approved.details["physicians_version"] == run.physicians.version
    assert approved.details["params"]["group2_target"] == 750
    frozen = plan_bytes(run)
    events_before = AuditEvent.objects.count()

    patient = patient_of(run, "D00001")
    url = reverse("attribution:run-adjust", args=[run.pk])
    moved = client.post(
        url, {"kind": "move", "patient": patient, "physician": "D00004"}, follow=True
    )
    assert "approved" in moved.content.decode()
    client.post(url, {"kind": "target", "physician": "D00004", "target": "50"})
    again = client.post(reverse("attribution:run-approve", args=[run.pk]), follow=True)
    assert "approved already" in again.content.decode()

    assert plan_bytes(run) == frozen
    assert not RunAdjustment.objects.exists()
    assert AuditEvent.objects.count() == events_before
    run.refresh_from_db()
    assert run.approved_by == cml and run.status == RunStatus.APPROVED
    page = client.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert 'data-testid="approve-button"' not in page and 'data-testid="move-form"' not in page
    assert 'data-testid="approved"' in page


def test_it_raises_run_frozen_for_every_change_of_an_approved_run(cml, run):
    runs.approve_run(cml, run)
    frozen = plan_bytes(run)
    for change in (
        lambda: runs.adjust_move(cml, run, patient_of(run, "D00001"), "D00004"),
        lambda: runs.adjust_target(cml, run, "D00004", 50),
        lambda: runs.approve_run(cml, run),
        lambda: runs.retry_run(cml, run),
    ):
        with pytest.raises(RunFrozen):
            change()
    runs.execute_run.call(run.pk)  # a task delivered again does nothing either
    assert plan_bytes(run) == frozen
    assert Run.objects.get(pk=run.pk).status == RunStatus.APPROVED


def test_it_refuses_to_approve_a_run_without_a_plan(cml, monkeypatch):
    monkeypatch.setattr(runs, "enqueue_run", lambda pk: None)
    run = runs.start_run(cml, Rls.objects.get(code="0115"), {}, RUN_DATE)
    with pytest.raises(RunNotReady):
        runs.approve_run(cml, run)
    with pytest.raises(RunNotReady):
        runs.adjust_target(cml, run, "D00004", 50)


# --------------------------------------------------------------------------- compare, history


def test_it_compares_two_runs_side_by_side(client, cml, run):
    other = runs.start_run(cml, Rls.objects.get(code="0115"), {"max_distance_km": 120.0}, RUN_DATE)
    client.force_login(cml)
    page = client.get(reverse("attribution:run-compare"), {"a": run.pk, "b": other.pk})
    assert page.status_code == 200
    html = page.content.decode()
    a, b = assigned(run), assigned(other)
    for code in ("D00001", "D00004", "D00006"):
        assert f'data-testid="a-assigned-{code}">{a[code]}<' in html
        assert f'data-testid="b-assigned-{code}">{b[code]}<' in html
    assert "max_distance_km" in html  # the parameter that differs
    assert sum(b.values()) > sum(a.values())  # a longer distance places more patients


def test_it_lists_the_history_of_the_users_scope(client, cml, run, demo):
    kamouraska = User.objects.get(username="cml.kamouraska")
    runs.start_run(kamouraska, Rls.objects.get(code="0116"), {}, RUN_DATE, "Mitis")
    client.force_login(cml)
    html = client.get(reverse("attribution:history")).content.decode()
    assert f'href="{reverse("attribution:run-detail", args=[run.pk])}"' in html
    assert "0116" not in html
    client.force_login(User.objects.get(username="drmg"))
    html = client.get(reverse("attribution:history")).content.decode()
    assert "0116" in html and "0115" in html


def test_it_shows_the_home_page_with_the_current_tables(client, cml):
    client.force_login(cml)
    page = client.get(reverse("attribution:home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="version-physicians">v1<' in html
    assert reverse("attribution:physicians", args=["0115"]) in html
    assert reverse("attribution:physicians", args=["0116"]) not in html
