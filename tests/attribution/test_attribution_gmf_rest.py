"""The rest of the engine knows the GMF targets (issue 19): explanations name a full GMF
target, the greedy baseline holds the targets, an adjustment warns of a GMF pushed above
its target, and ``physicians.csv`` says each physician's GMF (plans written before
without that column are still read)."""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from attribution_plans import RUN, make_plan
from builders import RIMOUSKI, orphans, physicians
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_attribution_gmf_targets import four_doctors, in_gmfs, solved, waiting_list
from test_attribution_greedy import at_km, brute_force

from panelcare.attribution.adjust import consequences, move_patient, with_target
from panelcare.attribution.explain import (
    explain_patient,
    explain_physician,
)
from panelcare.attribution.greedy import greedy_plan
from panelcare.attribution.groups import category_weight, targets
from panelcare.attribution.outputs import PHYSICIAN_COLUMNS, gmf_received, physicians_table
from panelcare.attribution.params import Params
from panelcare.attribution.store import read_plan, write_plan


def outcomes(explanation) -> dict[str, str]:
    return {row["physician_id"]: row["outcome"] for row in explanation["considered"]}


def limited_by(plan, physician_id: str) -> str:
    return explain_physician(plan, physician_id)["why"]["limited_by"]


# --------------------------------------------------------------------------- explain


@pytest.fixture(scope="module")
def binding():
    """D001-D003 in G1 (a need of 10 each, a GMF target of 12), D004 in none; 40 orphans:
    G1 receives 12, D004 10, 18 stay unassigned."""
    return solved(
        four_doctors(["G1", "G1", "G1", ""]), waiting_list(40), Params(gmf_targets={"G1": 12})
    )


def test_it_says_a_full_gmf_target_limited_its_members(binding):
    assert binding.assigned_count()[:3].sum() == 12
    for code in ("D001", "D002", "D003"):
        explanation = explain_physician(binding, code)
        assert explanation["assigned"] < explanation["capacity"]
        assert explanation["why"]["limited_by"] == "gmf_target_full"
        assert explanation["gmf"] == {"gmf_id": "G1", "target": 12, "received_weighted": 12.0}
    assert limited_by(binding, "D004") == "need"
    assert explain_physician(binding, "D004")["gmf"] is None


def test_it_says_an_unassigned_patient_found_the_gmf_target_full(binding):
    last = str(binding.orphans.patient_id[np.flatnonzero(binding.physician_of < 0)[-1]])
    assert outcomes(explain_patient(binding, last)) == {
        "D001": "gmf_target_full",
        "D002": "gmf_target_full",
        "D003": "gmf_target_full",
        "D004": "full",
    }


def test_it_does_not_blame_the_gmf_target_for_a_move_inside_the_gmf(binding):
    # A patient of D001 could go to D002 without changing G1's total.
    first = str(binding.orphans.patient_id[np.flatnonzero(binding.physician_of == 0)[0]])
    found = outcomes(explain_patient(binding, first))
    assert found["D001"] == "assigned"
    assert found["D002"] == found["D003"] == "group_order"


def test_it_does_not_name_a_gmf_target_that_is_not_reached():
    # 20 orphans for 40 places: G1 receives 15 of its 25.
    plan = solved(
        four_doctors(["G1", "G1", "G1", ""]), waiting_list(20), Params(gmf_targets={"G1": 25})
    )
    for code in ("D001", "D002", "D003", "D004"):
        assert limited_by(plan, code) == "candidates"
    assert explain_physician(plan, "D001")["gmf"]["received_weighted"] == 15.0
    for patient in plan.orphans.patient_id:
        assert "gmf_target_full" not in outcomes(explain_patient(plan, str(patient))).values()


def test_it_does_not_name_a_gmf_without_a_target():
    plan = solved(four_doctors(["G1", "G1", "G1", ""]), waiting_list(40), Params())
    assert limited_by(plan, "D001") == "need"
    assert explain_physician(plan, "D001")["gmf"] == {
        "gmf_id": "G1",
        "target": None,
        "received_weighted": 30.0,
    }


def weighted_plan():
    """G1 (D001, D002) with a target of 3; four home-care patients weighing 2: P001 with
    D001 (G1 then has 2, room 1), P002 with D003, P003 with D004, P004 unassigned."""
    doctors = four_doctors(["G1", "G1", "", ""])
    waiting = orphans(*({"category": "home_care"} for _ in range(4)))
    params = Params(category_weights={"home_care": 2.0}, gmf_targets={"G1": 3})
    return make_plan(doctors, waiting, [0, 2, 3, -1], params=params)


def test_it_says_the_gmf_target_has_no_room_for_the_patients_weight():
    plan = weighted_plan()
    # D001's own capacity (10) has room for 2 more, its GMF's target only for 1.
    assert outcomes(explain_patient(plan, "P004")) == {
        "D001": "gmf_target_full",
        "D002": "gmf_target_full",
        "D003": "group_order",
        "D004": "group_order",
    }
    assert limited_by(plan, "D002") == "gmf_target_full"
    assert limited_by(plan, "D003") == "candidates"


def test_it_does_not_blame_the_gmf_target_when_no_orphan_within_reach_was_lost():
    # G1 is full, but D002's only orphan within reach went to D001, of G1 too: precedence
    # between them, not the target, gave it to D001.
    doctors = in_gmfs(physicians({"registered": 490}, {"registered": 490}), ["G1", "G1"])
    plan = make_plan(doctors, orphans({}), [0], params=Params(gmf_targets={"G1": 1}))
    assert limited_by(plan, "D002") == "candidates"


# --------------------------------------------------------------------------- greedy


def greedy(doctors, waiting, params):
    return greedy_plan(doctors, waiting, targets(doctors, params, RUN), params)


def received_weighted(doctors, waiting, params, physician_of) -> dict[str, float]:
    weight = category_weight(waiting.category, params.category_weights)
    placed = physician_of >= 0
    per_physician = np.bincount(
        physician_of[placed], weights=weight[placed], minlength=len(doctors)
    )
    return {g: float(per_physician[doctors.gmf_id == g].sum()) for g in params.gmf_targets}


def test_it_skips_the_nearest_physicians_once_their_gmf_is_full():
    doctors = in_gmfs(
        physicians(at_km(1, need=10), at_km(2, need=10), at_km(5, need=10)), ["G1", "G1", ""]
    )
    physician_of, _ = greedy(
        doctors, orphans(*({} for _ in range(15))), Params(gmf_targets={"G1": 4})
    )
    assert physician_of.tolist() == [0] * 4 + [2] * 10 + [-1]


def test_it_keeps_a_gmf_under_its_target_in_weighted_patients():
    doctors = in_gmfs(physicians(at_km(1, need=10), at_km(5, need=10)), ["G1", ""])
    params = Params(category_weights={"home_care": 2.0}, gmf_targets={"G1": 3})
    waiting = orphans({"category": "home_care"}, {"category": "home_care"}, {})
    physician_of, _ = greedy(doctors, waiting, params)
    # The second home-care patient would make 4 in G1: to D002; the third (1) fits.
    assert physician_of.tolist() == [0, 1, 0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1), n_physicians=st.integers(1, 30), n_orphans=st.integers(0, 80)
)
def test_it_holds_the_gmf_targets_as_a_brute_force_greedy_does(seed, n_physicians, n_orphans):
    rng = np.random.default_rng(seed)
    sites = rng.uniform(-0.1, 0.1, size=(int(rng.integers(1, n_physicians + 1)), 2))
    site_of = rng.integers(0, len(sites), n_physicians)
    doctors = in_gmfs(
        physicians(
            *(
                {
                    "site_id": f"S{site_of[j]}",
                    "latitude": RIMOUSKI[0] + sites[site_of[j], 0],
                    "longitude": RIMOUSKI[1] + sites[site_of[j], 1],
                    "registered": int(rng.integers(480, 500)),
                    "vulnerable": int(rng.integers(100, 240)),
                }
                for j in range(n_physicians)
            )
        ),
        [str(rng.choice(["G1", "G2", "G3", ""])) for _ in range(n_physicians)],
    )
    waiting = orphans(
        *(
            {
                "latitude": RIMOUSKI[0] + float(rng.uniform(-0.1, 0.1)),
                "longitude": RIMOUSKI[1] + float(rng.uniform(-0.1, 0.1)),
                "priority": "ABCDE"[int(rng.integers(0, 5))],
                "vulnerable": bool(rng.random() < 0.4),
                "requested_on": datetime.date(2025, 1, 1)
                + datetime.timedelta(days=int(rng.integers(0, 60))),
                "category": ["", "", "home_care"][int(rng.integers(0, 3))],
            }
            for _ in range(n_orphans)
        )
    )
    weights = {"home_care": 2.0}
    params = Params(
        category_weights=weights,
        # G3 has no target: not limited.
        gmf_targets={"G1": int(rng.integers(0, 15)), "G2": int(rng.integers(0, 40))},
    )
    physician_of, _ = greedy(doctors, waiting, params)
    assert physician_of.tolist() == brute_force(doctors, waiting, params).tolist()
    received = received_weighted(doctors, waiting, params, physician_of)
    assert all(received[g] <= params.gmf_targets[g] + 1e-9 for g in params.gmf_targets)
    # Without targets, the GMFs change nothing: the greedy of before.
    plain = Params(category_weights=weights)
    assert (
        greedy(doctors, waiting, plain)[0].tolist() == brute_force(doctors, waiting, plain).tolist()
    )


# --------------------------------------------------------------------------- adjust


def gmf_plan(physician_of, target=2, **params):
    """D001, D002 in G1 (target ``target``), D003, D004 in none; four patients."""
    doctors = four_doctors(["G1", "G1", "", ""])
    waiting = orphans({}, {}, {}, {"category": "addiction"})
    params = Params(gmf_targets={"G1": target}, **params)
    return make_plan(doctors, waiting, physician_of, params=params)


def gmf_warnings(before, after):
    return [w for w in consequences(before, after)["warnings"] if w["code"] == "gmf_target"]


def test_it_warns_of_a_move_that_puts_a_gmf_above_its_target():
    before = gmf_plan([0, 1, 2, -1])
    after = move_patient(before, "P003", "D002")
    assert gmf_warnings(before, after) == [
        {"code": "gmf_target", "gmf_id": "G1", "value": 3, "limit": 2}
    ]


def test_it_does_not_warn_of_a_gmf_at_its_target_or_moved_inside():
    before = gmf_plan([0, -1, 2, -1])
    assert gmf_warnings(before, move_patient(before, "P002", "D002")) == []  # 2 of 2
    above = gmf_plan([0, 1, 0, -1])  # already 3 of 2
    assert gmf_warnings(above, move_patient(above, "P001", "D002")) == []  # still 3
    assert gmf_warnings(above, move_patient(above, "P003", "D003")) == []  # 2: fewer


def test_it_warns_in_weighted_patients():
    before = gmf_plan([0, -1, 2, -1], category_weights={"addiction": 1.5})
    after = move_patient(before, "P004", "D002")
    assert gmf_warnings(before, after) == [
        {"code": "gmf_target", "gmf_id": "G1", "value": 2.5, "limit": 2}
    ]


def test_it_warns_when_the_moves_made_again_after_a_new_target_pass_the_gmf_target():
    doctors, waiting = four_doctors(["G1", "G1", "", ""]), waiting_list(6)
    before = solved(doctors, waiting, Params(gmf_targets={"G1": 2}))
    assert gmf_received(before)[2].tolist() == [2.0]
    outside = next(
        str(p)
        for p, j in zip(before.orphans.patient_id, before.physician_of, strict=True)
        if j == 2
    )
    after = with_target(before, doctors, waiting, "D004", 495, moves=[(outside, "D001")], workers=1)
    assert gmf_warnings(before, after) == [
        {"code": "gmf_target", "gmf_id": "G1", "value": 3, "limit": 2}
    ]


# --------------------------------------------------------------------------- physicians.csv


def test_it_gives_each_physicians_gmf_in_the_physicians_table(binding):
    table = physicians_table(binding)
    names = list(table.column_names)
    assert names == list(PHYSICIAN_COLUMNS)
    assert names.index("gmf_id") == names.index("rls_id") + 1
    assert table.column("gmf_id").to_pylist() == ["G1", "G1", "G1", None]


def test_it_writes_the_gmf_column_and_reads_the_plan_back(binding, tmp_path):
    write_plan(binding, tmp_path / "plan")
    csv = (tmp_path / "plan" / "physicians.csv").read_text().splitlines()
    assert csv[0] == ",".join(f'"{column}"' for column in PHYSICIAN_COLUMNS)
    again = read_plan(tmp_path / "plan")
    assert again.physicians.gmf_id.tolist() == ["G1", "G1", "G1", ""]
    assert limited_by(again, "D001") == "gmf_target_full"


def test_it_reads_a_plan_written_before_the_gmf_column(binding, tmp_path):
    folder = tmp_path / "plan"
    write_plan(binding, folder)
    # As a plan folder was written before issue 19: no gmf_id in either file.
    table = pacsv.read_csv(folder / "physicians.csv")
    pacsv.write_csv(table.drop_columns(["gmf_id"]), folder / "physicians.csv")
    inputs = pq.read_table(folder / "inputs" / "physicians.parquet")
    pq.write_table(inputs.drop_columns(["gmf_id"]), folder / "inputs" / "physicians.parquet")
    old = read_plan(folder)
    assert old.physicians.gmf_id.tolist() == ["", "", "", ""]
    assert old.physician_of.tolist() == binding.physician_of.tolist()
    # Nobody is in G1 any more: the target no longer explains anything.
    assert limited_by(old, "D001") == "candidates"
    assert physicians_table(old).column("gmf_id").to_pylist() == [None] * 4
