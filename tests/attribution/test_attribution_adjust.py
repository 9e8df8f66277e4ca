"""Adjusting a plan by hand (panelcare.attribution.adjust): moves recomputed, refused with
their own errors, made again after a new solve, and their consequences and warnings."""

from __future__ import annotations

import numpy as np
import pytest
from attribution_plans import RUN, make_plan, north_of
from builders import RIMOUSKI, orphans, physicians

from panelcare.attribution.adjust import (
    AdjustmentError,
    AlreadyThereError,
    InvalidTargetError,
    NotParticipatingError,
    UnknownPatientError,
    UnknownPhysicianError,
    consequences,
    move_patient,
    patient_index,
    physician_index,
    with_moves,
    with_target,
)
from panelcare.attribution.params import Params
from panelcare.errors import PanelcareError

SEVENTY_KM_NORTH = north_of(RIMOUSKI, 70.0)
TEN_KM_NORTH = north_of(RIMOUSKI, 10.0)


def doctors():
    """D001: 400 registered, 180 vulnerable (44.8 % after two patients, under the cap of
    45 %); D002: an empty panel 10 km north; D003 declined."""
    return physicians(
        {"registered": 400, "vulnerable": 180},
        {"registered": 0, "site_id": "S002", "latitude": TEN_KM_NORTH[0]},
        {"mode": "none"},
    )


def waiting():
    """P001, P002 at Rimouski, placed with D001; P003 vulnerable, unassigned; P004 70 km
    north (60 km from D002), unassigned."""
    return orphans(
        {"priority": "A"},
        {"priority": "B"},
        {"priority": "C", "vulnerable": True},
        {"priority": "D", "latitude": SEVENTY_KM_NORTH[0]},
    )


@pytest.fixture
def plan():
    return make_plan(doctors(), waiting(), [0, 0, -1, -1], le304=[1, 0, 0, 0])


# --------------------------------------------------------------------------- finding


def test_it_finds_patients_and_participating_physicians_by_id(plan):
    assert patient_index(plan, "P003") == 2
    assert physician_index(plan, "D002") == 1


@pytest.mark.parametrize(
    ("find", "error", "code"),
    [
        (lambda plan: patient_index(plan, "P404"), UnknownPatientError, "P404"),
        (lambda plan: physician_index(plan, "D404"), UnknownPhysicianError, "D404"),
        (lambda plan: physician_index(plan, "D003"), NotParticipatingError, "D003"),
    ],
)
def test_it_refuses_an_unknown_id_or_a_physician_who_takes_no_patient(plan, find, error, code):
    with pytest.raises(error) as caught:
        find(plan)
    assert caught.value.code == code and code in caught.value.message
    assert isinstance(caught.value, AdjustmentError) and isinstance(caught.value, PanelcareError)


# --------------------------------------------------------------------------- moving


def test_it_moves_a_patient_and_recomputes_distances_months_and_paces(plan):
    after = move_patient(plan, "P001", "D002")
    assert after.physician_of.tolist() == [1, 0, -1, -1]
    assert after.distance_km[0] == pytest.approx(10.0, abs=0.01)
    assert after.month.tolist() == [1, 1, 0, 0]  # P002 is now D001's first patient
    assert after.monthly_pace.tolist() == [1, 1, 0]
    assert after.le304.tolist() == [False, False, False, False]  # the block flag goes
    assert plan.physician_of.tolist() == [0, 0, -1, -1]  # the plan before is untouched


def test_it_leaves_a_patient_unassigned(plan):
    after = move_patient(plan, "P002", None)
    assert after.physician_of.tolist() == [0, -1, -1, -1]
    assert np.isnan(after.distance_km[1]) and after.month[1] == 0


@pytest.mark.parametrize(
    ("patient", "physician", "error"),
    [
        ("P001", "D001", AlreadyThereError),
        ("P003", None, AlreadyThereError),
        ("P404", "D001", UnknownPatientError),
        ("P001", "D404", UnknownPhysicianError),
        ("P001", "D003", NotParticipatingError),
    ],
)
def test_it_refuses_an_impossible_move(plan, patient, physician, error):
    with pytest.raises(error):
        move_patient(plan, patient, physician)


def test_it_makes_the_moves_again_in_their_order_skipping_the_impossible_ones(plan):
    moves = [
        ("P001", "D002"),
        ("P404", "D002"),  # no longer in the plan
        ("P003", "D003"),  # declined since
        ("P001", None),  # the same patient again: the last move wins
        ("P004", "D001"),
    ]
    after = with_moves(plan, moves)
    assert after.physician_of.tolist() == [-1, 0, -1, 0]
    assert after.monthly_pace.tolist() == [1, 0, 0]
    assert with_moves(plan, []) is plan


# --------------------------------------------------------------------------- consequences


def test_it_lists_the_physicians_touched_before_and_after(plan):
    after = move_patient(plan, "P001", "D002")
    what = consequences(plan, after, moved=[0])
    assert [row["physician_id"] for row in what["physicians"]] == ["D001", "D002"]
    first, second = what["physicians"]
    assert first["before"]["assigned"] == 2 and first["after"]["assigned"] == 1
    assert first["before"]["vulnerable_share_after"] == round(180 / 402, 4)
    assert second["before"]["vulnerable_share_after"] is None
    assert second["after"] == {
        "target": 500,
        "assigned": 1,
        "vulnerable_share_after": 0.0,
        "units_after": 0.002,
        "monthly_pace": 1,
    }
    assert what["warnings"] == []
    assert (what["patients_changed"], what["assigned_before"], what["assigned_after"]) == (1, 2, 2)


def test_it_shows_a_physician_asked_for_even_when_nothing_of_theirs_changed(plan):
    what = consequences(plan, plan, also=["D002", "D404"])
    assert [row["physician_id"] for row in what["physicians"]] == ["D002"]
    assert what["patients_changed"] == 0


def test_it_warns_of_a_vulnerable_share_above_the_cap(plan):
    after = move_patient(plan, "P003", "D002")  # D002's only patient, and vulnerable
    warnings = consequences(plan, after, moved=[2])["warnings"]
    assert warnings == [
        {"code": "vulnerable_cap", "physician_id": "D002", "value": 1.0, "limit": 0.45}
    ]


def test_it_does_not_warn_of_a_share_under_the_cap(plan):
    after = move_patient(plan, "P003", "D001")  # 181 vulnerable of 403: 44.9 %
    assert consequences(plan, after, moved=[2])["warnings"] == []


def test_it_warns_of_a_patient_beyond_the_maximum_distance(plan):
    after = move_patient(plan, "P004", "D002")  # 60 km from D002's site
    warnings = consequences(plan, after, moved=[3])["warnings"]
    assert warnings == [
        {
            "code": "max_distance",
            "patient_id": "P004",
            "physician_id": "D002",
            "value": 60.0,
            "limit": 50.0,
        }
    ]


def test_it_warns_of_a_panel_above_the_target_set_by_hand():
    params = Params(target_overrides={"D001": 401})
    before = make_plan(doctors(), waiting(), [0, -1, -1, -1], params=params)
    after = move_patient(before, "P002", "D001")
    warnings = consequences(before, after, moved=[1])["warnings"]
    assert {"code": "over_target", "physician_id": "D001", "value": 402, "limit": 401} in warnings


# --------------------------------------------------------------------------- a new target


def test_it_solves_again_with_a_new_target_and_keeps_the_moves(plan):
    physicians_, orphans_ = doctors(), waiting()
    after = with_target(plan, physicians_, orphans_, "D002", 2, moves=[("P002", "D001")], workers=1)
    assert dict(after.params.target_overrides) == {"D002": 2}
    j = physician_index(after, "D002")
    assert (after.targets.target[j], after.targets.need[j]) == (2, 2)
    assert "target_set_by_cml" in after.targets.reasons[j]
    assert after.physician_of[patient_index(after, "P002")] == 0  # the move made again
    assert after.run_date == RUN
    assert plan.params.target_overrides == {}


@pytest.mark.parametrize("target", [-1, 2.5, True])
def test_it_refuses_a_target_that_is_not_a_whole_number_of_0_or_more(plan, target):
    with pytest.raises(InvalidTargetError):
        with_target(plan, doctors(), waiting(), "D002", target)


def test_it_refuses_a_target_for_a_physician_who_takes_no_patient(plan):
    with pytest.raises(NotParticipatingError):
        with_target(plan, doctors(), waiting(), "D003", 10)
