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
from panelcare.errors import SettingsError
from web.attribution import charts, forms, services, tasks
from web.attribution import figures as page_figures
from web.attribution.errors import AdjustmentRefused, RunFrozen, RunNotReady
from web.attribution.models import (
    AdjustmentKind,
    AttributionAction,
    Run,
    RunAdjustment,
    RunStatus,
)
from web.attribution.tests.conftest import RUN_DATE
from web.audit.models import AuditEvent
from web.regions.models import Patient

pytestmark = pytest.mark.django_db


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


def test_it_runs_from_queued_to_done_with_a_plan_folder_and_progress(cml, monkeypatch, rimouski):
    enqueued = []
    monkeypatch.setattr(services, "enqueue_run", lambda pk: enqueued.append(pk))
    run = services.do_start_run(rimouski, {}, RUN_DATE, "T4", acting_user=cml)
    assert run.status == RunStatus.QUEUED and enqueued == [run.pk]
    assert not (run.folder / "plan").exists()

    tasks.execute_run.call(run.pk)  # what the worker does
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


def test_it_leaves_a_run_that_is_not_queued_alone(done_run):
    before = plan_bytes(done_run)
    tasks.execute_run.call(done_run.pk)
    done_run.refresh_from_db()
    assert done_run.status == RunStatus.DONE
    assert plan_bytes(done_run) == before
    assert (
        AuditEvent.objects.about(done_run).filter(action=AttributionAction.RUN_FINISHED).count()
        == 1
    )


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
    assert 'data-testid="approve-button"' in page and 'data-testid="target-form"' in page
    page = client.get(response["Location"], {"tab": "physicians"}).content.decode()
    for row in run.summary["pages"]["physicians"]:
        code, expected = row["physician_id"], row["assigned"]
        assert f'data-testid="plan-physician-{code}"' in page
        assert f'data-testid="expected-{code}">{expected}<' in page
    page = client.get(response["Location"], {"tab": "patients"}).content.decode()
    assert re.search(r'data-testid="explain-P\d+"', page)
    assert re.search(r'data-testid="move-P\d+"', page)  # the move picker's links


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


def test_it_refuses_wrong_parameters_in_the_service(cml, rimouski):
    with pytest.raises(SettingsError) as caught:
        services.do_start_run(rimouski, {"vulnerable_cap": 2}, RUN_DATE, acting_user=cml)
    assert caught.value.key == "vulnerable_cap"
    assert not Run.objects.exists()


def test_it_checks_the_parameters_in_memory_without_a_temporary_file(cml, monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("a temporary file or folder was made")

    for name in ("TemporaryDirectory", "NamedTemporaryFile", "mkdtemp", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refused)
    data = {"rls": "0115", "run_date": "2026-11-23", **_default_form_params()}
    wrong = forms.RunForm(cml, {**data, "group2_target": "800"})
    assert not wrong.is_valid()
    assert wrong.errors["group2_target"] == ["must be a multiple of stratum (250), got 800"]
    right = forms.RunForm(cml, {**data, "category_weights": "home_care = 2"})
    assert right.is_valid(), right.errors
    assert right.cleaned_data["params"]["category_weights"] == {"home_care": 2.0}


def test_it_records_a_failed_run_and_runs_it_again(client, cml, monkeypatch, rimouski):
    def broken(*args, **kwargs):
        raise RuntimeError("the solver broke")

    monkeypatch.setattr(services.solve, "plan", broken)
    run = services.do_start_run(rimouski, {}, RUN_DATE, acting_user=cml)
    assert run.status == RunStatus.FAILED
    assert run.error == "the solver broke"
    assert AuditEvent.objects.about(run).filter(action=AttributionAction.RUN_FAILED).exists()
    client.force_login(cml)
    page = client.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert 'data-testid="run-error">the solver broke<' in page
    assert 'data-testid="retry-button"' in page and 'data-testid="approve-button"' not in page
    monkeypatch.undo()
    run = services.do_retry_run(run, acting_user=cml)
    assert run.status == RunStatus.DONE and run.error == ""
    with pytest.raises(RunNotReady):
        services.do_retry_run(run, acting_user=cml)


def test_it_lets_the_drmg_run_the_whole_region(region, drmg):
    run = services.do_start_run(None, {}, RUN_DATE, "Région", acting_user=drmg)
    assert run.status == RunStatus.DONE
    assert run.summary["orphans"] == 315
    assert set(run.summary["by_rls"]) == {"0115", "0116"}


# --------------------------------------------------------------------------- decisions


def test_it_applies_the_decisions_to_the_roster_the_run_reads(cml, region, rimouski):
    rls = rimouski
    first = services.do_start_run(rls, {}, RUN_DATE, acting_user=cml)
    services.do_set_decision(region, "D00004", "0115", acting_user=cml, excluded=True)
    services.do_set_decision(region, "D00002", "0115", acting_user=cml, include_departure=True)
    second = services.do_start_run(rls, {}, RUN_DATE, acting_user=cml)

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


def test_it_explains_a_patient_by_code_and_priority_only(client, cml, done_run):
    client.force_login(cml)
    code = patient_of(done_run, "D00001")
    url = reverse("attribution:run-patient", args=[done_run.pk, code])
    page = client.get(url).content.decode()
    assert code in page and 'data-testid="patient-explanation"' in page
    assert "Martin Lachance" in page  # their physician
    patient = Patient.objects.get(code=code)
    assert patient.last_name not in page and patient.health_insurance_number not in page
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'data-testid="patient-explanation"' in partial
    missing = client.get(reverse("attribution:run-patient", args=[done_run.pk, "P99999999"]))
    assert missing.status_code == 404


def test_it_shows_no_patient_name_on_the_plan(client, cml, done_run):
    client.force_login(cml)
    page = client.get(
        reverse("attribution:run-detail", args=[done_run.pk]), {"tab": "patients"}
    ).content.decode()
    shown = re.findall(r'data-testid="plan-patient-(P\d+)"', page)
    assert len(shown) == page_figures.PlanPatients(done_run.folder / "plan")[0:50].__len__() == 50
    for patient in Patient.objects.filter(code__in=shown):
        assert f"{patient.first_name} {patient.last_name}" not in page


def test_it_pages_and_filters_the_patients(client, cml, done_run):
    client.force_login(cml)
    url = reverse("attribution:run-detail", args=[done_run.pk])
    second = client.get(url, {"tab": "patients", "page": 2}).content.decode()
    first = client.get(url, {"tab": "patients"}).content.decode()
    codes_1 = re.findall(r'data-testid="plan-patient-(P\d+)"', first)
    codes_2 = re.findall(r'data-testid="plan-patient-(P\d+)"', second)
    assert codes_1 and codes_2 and not set(codes_1) & set(codes_2)
    only = client.get(url, {"tab": "patients", "physician": "D00004"}).content.decode()
    codes = re.findall(r'data-testid="plan-patient-(P\d+)"', only)
    # One page of that physician's patients (a page holds 50).
    assert len(codes) == min(page_figures.PATIENTS_PER_PAGE, assigned(done_run)["D00004"])
    theirs = page_figures.PlanPatients(done_run.folder / "plan", physician="D00004")
    assert set(codes) <= {row["patient_id"] for row in theirs[0 : len(theirs)]}


def test_it_explains_a_physician(client, cml, done_run):
    client.force_login(cml)
    page = client.get(reverse("attribution:run-physician", args=[done_run.pk, "D00004"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Luc Nadeau" in html and 'data-testid="limited-by"' in html
    assert (
        client.get(reverse("attribution:run-physician", args=[done_run.pk, "D0"])).status_code
        == 404
    )


def test_it_polls_progress_until_the_run_ends(client, cml, monkeypatch, rimouski):
    monkeypatch.setattr(services, "enqueue_run", lambda pk: None)
    run = services.do_start_run(rimouski, {}, RUN_DATE, acting_user=cml)
    client.force_login(cml)
    url = reverse("attribution:run-progress", args=[run.pk])
    polling = client.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in polling.content.decode()
    assert 'data-testid="progress-bar"' in polling.content.decode()
    assert "HX-Refresh" not in polling
    tasks.execute_run.call(run.pk)
    ended = client.get(url, HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in ended.content.decode()
    assert ended["HX-Refresh"] == "true"


def test_it_draws_the_charts_offline(done_run):
    pages = Run.objects.get(pk=done_run.pk).summary["pages"]
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
    assert sum(row["patients"] for row in pages["distances"]) == done_run.summary["assigned"]


# --------------------------------------------------------------------------- adjusting


def test_it_moves_a_patient_and_records_it(client, cml, done_run):
    before = assigned(done_run)
    patient = patient_of(done_run, "D00001")
    client.force_login(cml)
    response = client.post(
        reverse("attribution:run-adjust", args=[done_run.pk]),
        {"kind": "move", "patient": patient, "physician": "D00004", "note": "closer"},
    )
    assert response.status_code == 302
    after = assigned(done_run)
    assert after["D00001"] == before["D00001"] - 1
    assert after["D00004"] == before["D00004"] + 1
    plan = plan_of(done_run)
    i = list(plan.orphans.patient_id).index(patient)
    assert plan.physicians.physician_id[plan.physician_of[i]] == "D00004"
    adjustment = RunAdjustment.objects.get()
    assert adjustment.kind == AdjustmentKind.MOVE and adjustment.made_by == cml
    assert (adjustment.patient_code, adjustment.physician_code) == (patient, "D00004")
    event = AuditEvent.objects.get(action=AttributionAction.ADJUSTED)
    touched = {row["physician_id"]: row for row in event.details["physicians"]}
    assert touched["D00001"]["after"]["assigned"] == before["D00001"] - 1
    assert touched["D00004"]["before"]["assigned"] == before["D00004"]
    url = reverse("attribution:run-detail", args=[done_run.pk])
    physicians = client.get(url, {"tab": "physicians"}).content.decode()
    assert f'data-testid="expected-D00004">{before["D00004"] + 1}<' in physicians
    page = client.get(url).content.decode()
    assert (
        'data-testid="consequences"' in page and f'data-testid="adjustment-{adjustment.pk}"' in page
    )


def test_it_warns_when_a_move_breaks_a_rule(cml, done_run):
    plan = plan_of(done_run)
    # A patient beyond 50 km of every site of 0115, left unassigned by the plan.
    far = next(
        str(plan.orphans.patient_id[i])
        for i in range(len(plan.orphans))
        if plan.physician_of[i] < 0 and plan.orphans.latitude[i] < 48.0
    )
    consequences = services.do_move_patient(done_run, far, "D00004", acting_user=cml)
    codes = {warning["code"] for warning in consequences["warnings"]}
    assert "max_distance" in codes
    assert consequences["assigned_after"] == consequences["assigned_before"] + 1


def test_it_refuses_an_impossible_move(cml, done_run):
    before = plan_bytes(done_run)
    with pytest.raises(AdjustmentRefused, match=r"^No patient P99999999 in this plan\.$"):
        services.do_move_patient(done_run, "P99999999", "D00004", acting_user=cml)
    with pytest.raises(AdjustmentRefused, match=r"^D00002 takes no patient in this run"):
        services.do_move_patient(
            done_run, patient_of(done_run, "D00001"), "D00002", acting_user=cml
        )  # declined
    with pytest.raises(AdjustmentRefused, match=r"^The patient is already there\.$"):
        services.do_move_patient(
            done_run, patient_of(done_run, "D00001"), "D00001", acting_user=cml
        )
    assert plan_bytes(done_run) == before
    assert not RunAdjustment.objects.exists()


def test_it_changes_a_target_solves_again_and_keeps_the_moves(client, cml, done_run):
    before = assigned(done_run)
    moved = patient_of(done_run, "D00001")
    services.do_move_patient(done_run, moved, "D00004", acting_user=cml)
    client.force_login(cml)
    response = client.post(
        reverse("attribution:run-adjust", args=[done_run.pk]),
        {"kind": "target", "physician": "D00004", "target": "50"},  # 43 registered: need 7
    )
    assert response.status_code == 302
    plan = plan_of(done_run)
    j = list(plan.physicians.physician_id).index("D00004")
    assert plan.targets.target[j] == 50 and plan.targets.need[j] == 7
    assert "target_set_by_cml" in plan.targets.reasons[j]
    assert plan.params.target_overrides == {"D00004": 50}
    i = list(plan.orphans.patient_id).index(moved)
    assert plan.physician_of[i] == j  # the earlier move was made again
    after = assigned(done_run)
    assert after["D00004"] == 7 + 1 and before["D00004"] > 8
    adjustment = RunAdjustment.objects.get(kind=AdjustmentKind.TARGET)
    assert adjustment.target == 50 and adjustment.physician_code == "D00004"
    event = AuditEvent.objects.filter(action=AttributionAction.ADJUSTED).first()
    assert event.details["kind"] == "target" and event.details["target_before"] == 500
    targets = {row["physician_id"]: row for row in done_run.summary["pages"]["physicians"]}
    assert targets["D00004"]["target"] == 50


def test_it_refuses_a_target_below_zero(cml, done_run):
    with pytest.raises(AdjustmentRefused, match=r"^A target is a whole number of patients"):
        services.do_change_target(done_run, "D00004", -1, acting_user=cml)
    with pytest.raises(AdjustmentRefused, match=r"^No physician D404 in this plan\.$"):
        services.do_change_target(done_run, "D404", 10, acting_user=cml)
    assert not RunAdjustment.objects.exists()


@pytest.mark.parametrize("adjust", ["move", "target"])
def test_it_leaves_the_plan_and_the_records_as_they_were_when_an_adjustment_fails(
    cml, done_run, monkeypatch, adjust
):
    done_run.refresh_from_db()
    plan_before, summary_before, events_before = (
        plan_bytes(done_run),
        done_run.summary,
        AuditEvent.objects.count(),
    )

    def failing(*args, **kwargs):
        raise OperationalError("database is locked")

    # The last write of an adjustment, after the new plan is written.
    monkeypatch.setattr(services, "record_on", failing)
    with pytest.raises(OperationalError):
        if adjust == "move":
            services.do_move_patient(
                done_run, patient_of(done_run, "D00001"), "D00004", acting_user=cml
            )
        else:
            services.do_change_target(done_run, "D00004", 50, acting_user=cml)
    assert plan_bytes(done_run) == plan_before
    assert not RunAdjustment.objects.exists() and AuditEvent.objects.count() == events_before
    done_run.refresh_from_db()
    assert done_run.summary == summary_before
    assert [path.name for path in done_run.folder.iterdir() if path.name.startswith(".")] == []


def test_it_serialises_writers_on_sqlite():
    # select_for_update does nothing on SQLite: transactions take the write lock as they
    # begin instead.
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks the rows")
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


# --------------------------------------------------------------------------- approving


def test_it_approves_and_freezes_the_run(client, cml, done_run):
    client.force_login(cml)
    response = client.post(reverse("attribution:run-approve", args=[done_run.pk]), {"confirm": "1"})
    assert response.status_code == 302
    done_run.refresh_from_db()
    assert (
        done_run.status == RunStatus.APPROVED
        and done_run.approved_by == cml
        and done_run.approved_at
    )
    approved = AuditEvent.objects.get(action=AttributionAction.APPROVED)
    assert approved.details["physicians_version"] == done_run.physicians.version
    assert approved.details["params"]["group2_target"] == 750
    frozen = plan_bytes(done_run)
    events_before = AuditEvent.objects.count()

    patient = patient_of(done_run, "D00001")
    url = reverse("attribution:run-adjust", args=[done_run.pk])
    moved = client.post(
        url, {"kind": "move", "patient": patient, "physician": "D00004"}, follow=True
    )
    assert "approved" in moved.content.decode()
    client.post(url, {"kind": "target", "physician": "D00004", "target": "50"})
    again = client.post(
        reverse("attribution:run-approve", args=[done_run.pk]), {"confirm": "1"}, follow=True
    )
    assert "approved already" in again.content.decode()

    assert plan_bytes(done_run) == frozen
    assert not RunAdjustment.objects.exists()
    assert AuditEvent.objects.count() == events_before
    done_run.refresh_from_db()
    assert done_run.approved_by == cml and done_run.status == RunStatus.APPROVED
    page = client.get(reverse("attribution:run-detail", args=[done_run.pk])).content.decode()
    assert 'data-testid="approve-button"' not in page and 'data-testid="move-form"' not in page
    assert 'data-testid="approved"' in page


def test_it_raises_run_frozen_for_every_change_of_an_approved_run(cml, done_run):
    services.do_approve_run(done_run, acting_user=cml)
    frozen = plan_bytes(done_run)
    for change in (
        lambda: services.do_move_patient(
            done_run, patient_of(done_run, "D00001"), "D00004", acting_user=cml
        ),
        lambda: services.do_change_target(done_run, "D00004", 50, acting_user=cml),
        lambda: services.do_approve_run(done_run, acting_user=cml),
        lambda: services.do_retry_run(done_run, acting_user=cml),
    ):
        with pytest.raises(RunFrozen):
            change()
    tasks.execute_run.call(done_run.pk)  # a task delivered again does nothing either
    assert plan_bytes(done_run) == frozen
    assert Run.objects.get(pk=done_run.pk).status == RunStatus.APPROVED


def test_it_refuses_to_approve_a_run_without_a_plan(cml, monkeypatch, rimouski):
    monkeypatch.setattr(services, "enqueue_run", lambda pk: None)
    run = services.do_start_run(rimouski, {}, RUN_DATE, acting_user=cml)
    with pytest.raises(RunNotReady):
        services.do_approve_run(run, acting_user=cml)
    with pytest.raises(RunNotReady):
        services.do_change_target(run, "D00004", 50, acting_user=cml)


# --------------------------------------------------------------------------- compare, history


def test_it_compares_two_runs_side_by_side(client, cml, done_run, rimouski):
    other = services.do_start_run(rimouski, {"max_distance_km": 120.0}, RUN_DATE, acting_user=cml)
    client.force_login(cml)
    page = client.get(reverse("attribution:run-compare"), {"a": done_run.pk, "b": other.pk})
    assert page.status_code == 200
    html = page.content.decode()
    a, b = assigned(done_run), assigned(other)
    for code in ("D00001", "D00004", "D00006"):
        assert f'data-testid="a-assigned-{code}">{a[code]}<' in html
        assert f'data-testid="b-assigned-{code}">{b[code]}<' in html
    assert "max_distance_km" in html  # the parameter that differs
    assert sum(b.values()) > sum(a.values())  # a longer distance places more patients


def test_it_lists_the_history_of_the_users_scope(client, cml, done_run, other_rls, drmg):
    kamouraska = User.objects.get(username="cml.kamouraska")
    services.do_start_run(other_rls, {}, RUN_DATE, "Mitis", acting_user=kamouraska)
    client.force_login(cml)
    html = client.get(reverse("attribution:history")).content.decode()
    assert f'href="{reverse("attribution:run-detail", args=[done_run.pk])}"' in html
    assert other_rls.code not in html
    client.force_login(drmg)
    html = client.get(reverse("attribution:history")).content.decode()
    assert other_rls.code in html and done_run.rls.code in html


def test_it_shows_the_home_page_with_the_current_tables(client, cml):
    client.force_login(cml)
    page = client.get(reverse("attribution:home"))
    assert page.status_code == 200
    html = page.content.decode()
    row = html.split('data-testid="table-physicians"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num" data-testid="version">1</td>' in row
    assert reverse("attribution:physicians", args=["0115"]) in html
    assert reverse("attribution:physicians", args=["0116"]) not in html
