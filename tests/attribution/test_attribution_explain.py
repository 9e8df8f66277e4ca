"""Explanations of a plan (panelcare.attribution.explain), on plans made by hand: each
physician row is there for the outcome it shows."""

from __future__ import annotations

import pytest
from attribution_plans import make_plan, north_of
from builders import RIMOUSKI, orphans, physicians

from panelcare import synth
from panelcare.attribution.explain import UnknownIdError, explain_patient, explain_physician
from panelcare.attribution.io import read_inputs
from panelcare.attribution.outputs import physicians_table
from panelcare.attribution.params import Params
from panelcare.attribution.solve import plan as solve_plan
from panelcare.errors import PanelcareError


def outcomes(explanation) -> dict[str, str]:
    return {row["physician_id"]: row["outcome"] for row in explanation["considered"]}


# --------------------------------------------------------------------------- patients


def test_it_says_why_each_candidate_did_not_take_the_patient():
    doctors = physicians(
        {"registered": 499, "vulnerable": 0},  # D001: need 1, given P002: full
        {"registered": 300, "vulnerable": 0},  # D002: room, but no vulnerable quota left
        {"registered": 300, "vulnerable": 0},  # D003: the patient's physician
        {"registered": 300, "vulnerable": 0},  # D004: room and quota: others had precedence
    )
    waiting = orphans({"vulnerable": True}, {})
    plan = make_plan(doctors, waiting, [2, 0], vulnerable_quota=[1, 0, 100, 100])
    assert outcomes(explain_patient(plan, "P001")) == {
        "D001": "full",
        "D002": "vulnerable_cap",
        "D003": "assigned",
        "D004": "group_order",
    }


def test_it_shows_the_nearest_physicians_beyond_the_candidates():
    home = RIMOUSKI
    doctors = physicians(
        {"mode": "none"},  # D001, 0 km: declined
        {"mode": "le304", "previous_assiduity": 0.9, "latitude": north_of(home, 1)[0]},
        {"rls_id": "0112", "latitude": north_of(home, 5)[0]},  # D003: another RLS
        {"latitude": north_of(home, 60)[0]},  # D004: beyond 50 km
        {"latitude": north_of(home, 70)[0]},  # D005: farther still
        {"latitude": north_of(home, 80)[0]},  # D006: not among the five nearest
    )
    explanation = explain_patient(make_plan(doctors, orphans({}), [-1]), "P001")
    assert explanation["assignment"] is None
    assert explanation["candidates"] == 0
    assert outcomes(explanation) == {
        "D001": "not_participating",
        "D002": "le304_only",
        "D003": "other_rls",
        "D004": "too_far",
        "D005": "too_far",
    }
    assert [row["distance_km"] for row in explanation["considered"]] == [0.0, 1.0, 5.0, 60.0, 70.0]


def test_it_lets_a_patient_cross_rls_borders_when_the_run_does():
    doctors = physicians({"rls_id": "0112", "latitude": north_of(RIMOUSKI, 5)[0]})
    plan = make_plan(doctors, orphans({}), [-1], params=Params(cross_rls=True))
    assert outcomes(explain_patient(plan, "P001")) == {"D001": "group_order"}


def test_it_offers_every_physician_within_reach_whatever_candidates_per_patient():
    # Issue 15: every eligible place within the maximum distance is a candidate (no
    # nearest-k limit), so D002's farther site is offered even with a limit of 1.
    doctors = physicians(
        {"registered": 499},
        {"site_id": "S002", "latitude": north_of(RIMOUSKI, 5)[0]},
    )
    plan = make_plan(doctors, orphans({}, {}), [-1, 0], params=Params(candidates_per_patient=1))
    assert outcomes(explain_patient(plan, "P001")) == {
        "D001": "full",
        "D002": "group_order",
    }


def test_it_gives_the_assignment_of_a_patient_placed_by_an_le304_block():
    doctors = physicians(
        {"mode": "le304", "previous_assiduity": 0.9, "latitude": north_of(RIMOUSKI, 3)[0]},
        {"mode": "none", "departing_on": "2026-12-01"},
    )
    waiting = orphans({"previous_physician_id": "D002", "priority": "B"})
    explanation = explain_patient(make_plan(doctors, waiting, [0], le304=[True]), "P001")
    assert explanation["assignment"] == {
        "physician_id": "D001",
        "name": "Dre Test",
        "distance_km": 3.0,
        "month": 1,
        "le304": True,
        "group": "1b",
        "tier": "1b_under_full_workload",
    }
    assert explanation["priority"] == "B"
    assert explanation["previous_physician_id"] == "D002"
    # Not a candidate (LE 304 physicians get blocks only), listed all the same.
    assert outcomes(explanation)["D001"] == "assigned"


def test_it_refuses_an_unknown_patient():
    plan = make_plan(physicians({}), orphans({}), [0])
    with pytest.raises(UnknownIdError, match="no patient 'P404' among the plan's 1 orphans"):
        explain_patient(plan, "P404")


def test_it_raises_an_error_that_is_both_a_key_error_and_ours():
    plan = make_plan(physicians({}), orphans({}), [0])
    with pytest.raises(KeyError) as caught:
        explain_physician(plan, "D404")
    assert isinstance(caught.value, PanelcareError)
    assert str(caught.value) == "no physician 'D404' among the plan's 1 physicians"


# --------------------------------------------------------------------------- physicians


def precedence_plan():
    """D001 (group 1a) and D002 (group 2) share a site; P001, P002 go to D001, P003 to
    D002, P004 to nobody."""
    doctors = physicians(
        {"amp_target": 250, "registered": 0},
        {"registered": 600, "vulnerable": 0},
    )
    return make_plan(doctors, orphans({}, {}, {}, {}), [0, 0, 1, -1])


def test_it_counts_a_physicians_candidates_and_where_they_went():
    explanation = explain_physician(precedence_plan(), "D002")
    assert explanation["group"] == "2" and explanation["tier"] == "2"
    assert (explanation["target"], explanation["need"], explanation["capacity"]) == (750, 150, 150)
    assert explanation["candidates"] == 4
    assert explanation["assigned"] == 1
    assert explanation["went_elsewhere"] == 2
    assert explanation["to_earlier_tiers"] == 2
    assert explanation["unassigned"] == 1


def test_it_says_room_left_was_limited_by_the_candidates():
    why = explain_physician(precedence_plan(), "D002")["why"]
    assert why == {"limited_by": "candidates", "room_left": 149.0}


def test_it_says_a_filled_need_limited_the_physician():
    plan = make_plan(physicians({"registered": 499}), orphans({}), [0])
    explanation = explain_physician(plan, "D001")
    assert explanation["why"] == {"limited_by": "need", "room_left": 0.0}
    assert explanation["reasons"][-1] == "need_filled"


def test_it_says_the_vulnerable_cap_limited_the_physician():
    doctors = physicians({"registered": 300, "vulnerable": 0}, {"registered": 300})
    waiting = orphans({"vulnerable": True}, {})
    plan = make_plan(doctors, waiting, [1, 0], vulnerable_quota=[0, 5])
    explanation = explain_physician(plan, "D001")
    assert explanation["vulnerable_quota"] == 0
    assert explanation["why"]["limited_by"] == "vulnerable_cap"


def test_it_says_the_shortage_rule_limited_the_physician():
    # 450 registered and 2.5 other units: 3.4 units, above the full workload of 3.
    doctors = physicians({"registered": 450, "other_units": 2.5})
    plan = make_plan(doctors, orphans({}), [-1], params=Params(shortage=True))
    explanation = explain_physician(plan, "D001")
    assert (explanation["need"], explanation["capacity"]) == (50, 0)
    assert explanation["why"]["limited_by"] == "shortage"


def test_it_says_the_yearly_cap_limited_the_physician():
    doctors = physicians({"registered": 300, "practice_start": "2010-01-01"})
    params = Params(yearly_cap_after_4_years=1)
    plan = make_plan(doctors, orphans({}, {}), [0, -1], params=params)
    assert explain_physician(plan, "D001")["why"]["limited_by"] == "yearly_cap"


def test_it_says_a_physician_did_not_participate():
    plan = make_plan(physicians({"mode": "none"}), orphans({}), [-1])
    explanation = explain_physician(plan, "D001")
    assert explanation["why"]["limited_by"] == "not_participating"
    assert explanation["candidates"] == 0


def test_it_says_an_le304_physician_receives_blocks_only():
    doctors = physicians({"mode": "le304", "previous_assiduity": 0.8})
    plan = make_plan(doctors, orphans({}), [0], le304=[True])
    explanation = explain_physician(plan, "D001")
    assert explanation["why"]["limited_by"] == "le304_only"
    assert explanation["assigned_le304"] == 1


# --------------------------------------------------------------------------- a solved plan


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    data = tmp_path_factory.mktemp("tiny") / "data"
    synth.write_dataset(data, scale="tiny")
    doctors, waiting = read_inputs(data)
    return solve_plan(doctors, waiting, Params(), synth.DEFAULT_AS_OF)


def test_it_lists_each_assigned_patients_physician_as_assigned(solved):
    placed = 0
    for i, patient in enumerate(solved.orphans.patient_id):
        explanation = explain_patient(solved, patient)
        found = [row for row in explanation["considered"] if row["outcome"] == "assigned"]
        if solved.physician_of[i] < 0:
            assert explanation["assignment"] is None and found == []
        else:
            placed += 1
            assert [row["physician_id"] for row in found] == [
                explanation["assignment"]["physician_id"]
            ]
    assert placed > 0


def test_it_agrees_with_the_physicians_table(solved):
    table = physicians_table(solved).to_pylist()
    for row in table:
        explanation = explain_physician(solved, row["physician_id"])
        assert explanation["assigned"] == row["assigned"]
        assert ";".join(explanation["reasons"]) == row["reason"]
