"""How many physicians could take a patient (explain_patient's ``within_reach``, issue 15,
4): counted from the plan's own facts, whatever the candidates setting. Each physician row
is there for the rule it shows."""

from __future__ import annotations

from attribution_plans import make_plan, north_of
from builders import RIMOUSKI, orphans, physicians

from panelcare.attribution.explain import explain_patient
from panelcare.attribution.params import Params

DOCTORS = physicians(
    {"latitude": north_of(RIMOUSKI, 0)[0]},  # D001: in reach
    {"site_id": "S002", "latitude": north_of(RIMOUSKI, 10)[0]},  # D002: in reach
    {"site_id": "S003", "latitude": north_of(RIMOUSKI, 40)[0]},  # D003: in reach, farther
    {"site_id": "S004", "latitude": north_of(RIMOUSKI, 60)[0]},  # D004: beyond 50 km
    {"mode": "none", "latitude": north_of(RIMOUSKI, 1)[0]},  # D005: takes no orphan
    {"mode": "le304", "previous_assiduity": 0.9},  # D006: LE 304 blocks only
    {"rls_id": "0112", "latitude": north_of(RIMOUSKI, 5)[0]},  # D007: another RLS
)


def test_it_counts_the_physicians_who_could_take_the_patient_not_the_candidates_setting():
    plan = make_plan(DOCTORS, orphans({}), [0], params=Params(candidates_per_patient=1))
    explanation = explain_patient(plan, "P001")
    assert explanation["within_reach"] == 3
    assert (explanation["max_distance_km"], explanation["cross_rls"]) == (50.0, False)


def test_it_counts_the_other_rls_when_the_run_crosses_borders():
    plan = make_plan(DOCTORS, orphans({}), [0], params=Params(cross_rls=True))
    assert explain_patient(plan, "P001")["within_reach"] == 4


def test_it_counts_within_the_runs_maximum_distance():
    plan = make_plan(DOCTORS, orphans({}), [0], params=Params(max_distance_km=20.0))
    assert explain_patient(plan, "P001")["within_reach"] == 2
