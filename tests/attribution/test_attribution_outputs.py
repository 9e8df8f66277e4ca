"""The plan's outputs (panelcare.attribution.outputs): the contract's two tables, the
summary and the letters, on a plan made by hand (no solver)."""

from __future__ import annotations

import json
import math

import pytest
from attribution_plans import make_plan, north_of
from builders import RIMOUSKI, orphans, physicians

from panelcare.attribution.outputs import (
    ASSIGNMENT_COLUMNS,
    PHYSICIAN_COLUMNS,
    assignments_table,
    letters,
    physicians_table,
    summary,
)
from panelcare.attribution.params import Params

TEN_KM_NORTH = north_of(RIMOUSKI, 10.0)


def doctors():
    """D001 fills its need of 2; D002 (group 2) gets 1 of 150; D003 (empty panel) gets
    none; D004 declined and leaves (its patient P004 is an orphan); D005 is an LE 304
    physician given a block of one (a real block is 50 or more: the test is about codes)."""
    return physicians(
        {"registered": 498, "vulnerable": 200},
        {"registered": 600, "vulnerable": 100, "latitude": TEN_KM_NORTH[0]},
        {"registered": 0, "vulnerable": 0},
        {"mode": "none", "registered": 300, "departing_on": "2026-12-01"},
        {"mode": "le304", "previous_assiduity": 0.9, "registered": 400, "vulnerable": 100},
    )


def waiting():
    return orphans(
        {"priority": "A", "vulnerable": True},
        {"priority": "B"},
        {"priority": "C"},
        {"priority": "D", "previous_physician_id": "D004"},
        {"priority": "A", "rls_id": "0112"},
    )


@pytest.fixture
def plan():
    return make_plan(doctors(), waiting(), [0, 0, 1, 4, -1], le304=[0, 0, 0, 1, 0])


# --------------------------------------------------------------------------- assignments


def test_it_lists_every_orphan_in_the_spec_columns_then_le304(plan):
    table = assignments_table(plan)
    assert tuple(table.column_names) == ASSIGNMENT_COLUMNS
    assert table.column("patient_id").to_pylist() == ["P001", "P002", "P003", "P004", "P005"]
    assert table.column("physician_id").to_pylist() == ["D001", "D001", "D002", "D005", None]
    assert table.column("le304").to_pylist() == [False, False, False, True, False]


def test_it_gives_distances_to_one_decimal_and_nulls_for_the_unassigned(plan):
    table = assignments_table(plan)
    assert table.column("distance_km").to_pylist() == [0.0, 0.0, 10.0, 0.0, None]
    assert table.column("month").to_pylist() == [1, 2, 1, 1, None]


# --------------------------------------------------------------------------- physicians


def test_it_gives_one_row_per_physician_in_input_order(plan):
    table = physicians_table(plan)
    assert tuple(table.column_names) == PHYSICIAN_COLUMNS
    assert table.column("physician_id").to_pylist() == ["D001", "D002", "D003", "D004", "D005"]
    assert table.column("group").to_pylist() == ["1b", "2", "1b", "none", "1b"]
    assert table.column("assigned").to_pylist() == [2, 1, 0, 0, 1]
    assert table.column("assigned_vulnerable").to_pylist() == [1, 0, 0, 0, 0]
    assert table.column("mode").to_pylist() == ["bloc", "bloc", "bloc", "none", "le304"]


def test_it_computes_the_vulnerable_share_and_units_after_the_plan(plan):
    rows = physicians_table(plan).to_pylist()
    assert rows[0]["vulnerable_share_after"] == round(201 / 500, 4)
    assert rows[0]["units_after"] == 1.0  # 500 patients = 1 unit
    assert rows[1]["units_after"] == round(601 / 500, 3)
    assert rows[2]["vulnerable_share_after"] is None  # an empty panel has no share


def test_it_averages_the_distance_of_the_assigned_patients(plan):
    distances = physicians_table(plan).column("mean_distance_km").to_pylist()
    assert distances == [0.0, 10.0, None, None, 0.0]


def test_it_adds_the_plans_reason_codes_to_the_targets(plan):
    reasons = physicians_table(plan).column("reason").to_pylist()
    assert reasons[0] == "group_1b;under_full_workload;need_filled"
    assert reasons[1] == "group_2;candidates_exhausted"
    assert reasons[2] == "group_1b;under_full_workload;no_candidate"
    assert reasons[3] == "not_participating;declined;departing"
    assert reasons[4].endswith("le304_eligible;candidates_exhausted;le304_block")


def test_it_counts_a_need_filled_in_weighted_patients():
    # One home-care patient weighs 2: D001's need of 2 is filled by a single patient.
    params = Params(category_weights={"home_care": 2.0})
    plan = make_plan(
        physicians({"registered": 498}),
        orphans({"category": "home_care"}),
        [0],
        params=params,
    )
    assert physicians_table(plan).column("reason").to_pylist()[0].endswith(";need_filled")


# --------------------------------------------------------------------------- summary


def test_it_counts_orphans_by_priority(plan):
    by_priority = summary(plan)["by_priority"]
    assert by_priority["A"] == {"orphans": 2, "assigned": 1, "unassigned": 1}
    assert by_priority["D"] == {"orphans": 1, "assigned": 1, "unassigned": 0}
    assert by_priority["E"] == {"orphans": 0, "assigned": 0, "unassigned": 0}


def test_it_gives_the_totals_and_the_run(plan):
    result = summary(plan)
    assert (result["orphans"], result["assigned"], result["unassigned"]) == (5, 4, 1)
    assert result["assigned_le304"] == 1
    assert result["run_date"] == "2026-11-15"
    assert result["params"]["vulnerable_cap"] == 0.45


def test_it_counts_by_rls_with_the_departures_moved(plan):
    rimouski = summary(plan)["by_rls"]["0111"]
    assert rimouski["orphans"] == 4 and rimouski["assigned"] == 4
    assert rimouski["physicians_participating"] == 4
    assert rimouski["registered_before"] == 498 + 600 + 0 + 300 + 400
    # P004 leaves D004's panel and four orphans join the RLS's panels.
    assert rimouski["registered_after"] == 1798 - 1 + 4
    assert rimouski["monthly_pace"] == round(4 / 12, 2)


def test_it_averages_the_participating_physicians_vulnerable_shares(plan):
    shares = [201 / 500, 100 / 601, 100 / 401]  # D003's empty panel has no share
    mean = summary(plan)["by_rls"]["0111"]["vulnerable_share_mean"]
    assert mean == round(sum(shares) / 3, 4)


def test_it_lists_an_rls_with_orphans_but_no_physician(plan):
    other = summary(plan)["by_rls"]["0112"]
    assert other["orphans"] == 1 and other["unassigned"] == 1
    assert other["physicians_participating"] == 0
    assert other["vulnerable_share_mean"] is None


def test_it_projects_registration_rates_only_with_a_population(plan):
    without = summary(plan)["by_rls"]["0111"]
    assert without["registration_rate_after"] is None
    with_population = summary(plan, {"0111": 2000})["by_rls"]
    assert with_population["0111"]["registration_rate_before"] == round(1798 / 2000, 4)
    assert with_population["0111"]["registration_rate_after"] == round(1801 / 2000, 4)
    assert with_population["0112"]["registration_rate_after"] is None  # not in the file


def test_it_is_json_ready(plan):
    params = Params(category_weights={"home_care": 2.0})
    text = json.dumps(summary(make_plan(doctors(), waiting(), [-1] * 5, params=params)))
    assert json.loads(text)["params"]["category_weights"] == {"home_care": 2.0}


# --------------------------------------------------------------------------- letters


def test_it_writes_a_letter_for_each_targeted_physician(plan):
    ids = [letter["physician_id"] for letter in letters(plan)]
    assert ids == ["D001", "D002", "D003", "D005"]  # D004 does not participate


def test_it_gives_the_letters_facts(plan):
    first = letters(plan)[0]
    assert first["group"] == "1b" and first["target"] == 500 and first["registered"] == 498
    assert first["expected"] == 2 and first["monthly_pace"] == 1
    assert first["months"] == {"first": 1, "last": 2}
    assert first["reasons"] == ["group_1b", "under_full_workload", "need_filled"]
    assert math.isclose(first["vulnerable_share_after"], 0.402)
    third = letters(plan)[2]
    assert third["expected"] == 0 and third["months"] is None
