"""GMF attribution targets (issue 19): the members of a GMF together receive at most its
agreed target (``params.gmf_targets``, by the physicians' ``gmf_id``), held exactly at
every level of the objective and checked by the independent oracle (``oracle.py``).
"""

from __future__ import annotations

import dataclasses
import datetime

import numpy as np
import pyarrow as pa
import pytest
from builders import orphans, physicians
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import DISTANCE_TOLERANCE_KM, RUN, check, one_town, weighted
from test_attribution_io import patient_rows, physician_rows, write

from panelcare.attribution.figures import plan_figures
from panelcare.attribution.io import physicians_from_arrow, read_inputs
from panelcare.attribution.model import Orphans, Physicians
from panelcare.attribution.params import (
    AttributionParamsError,
    Params,
    load_params,
    params_from_mapping,
)
from panelcare.attribution.solve import Plan, plan

# Places a few km apart around Rimouski, and a town 100 km away (beyond the 50 km reach).
PLACES = [(48.449, -68.523), (48.470, -68.560), (48.420, -68.480), (48.500, -68.450)]
FAR = (49.3, -68.0)


def in_gmfs(doctors: Physicians, gmf_ids: list[str]) -> Physicians:
    ids = np.empty(len(gmf_ids), dtype=object)
    ids[:] = gmf_ids
    return dataclasses.replace(doctors, gmf_id=ids)


def solved(doctors: Physicians, waiting, params: Params, workers: int = 1) -> Plan:
    return plan(doctors, waiting, params, RUN, workers=workers)


def violations(result: Plan) -> list[str]:
    report = check(
        result.physicians, result.orphans, result.targets, result.params, result.physician_of
    )
    placed = int((result.physician_of >= 0).sum())
    return report.violations(tolerance_km=DISTANCE_TOLERANCE_KM * placed)


def received(result: Plan, gmf: str) -> int:
    return int(result.assigned_count()[result.physicians.gmf_id == gmf].sum())


def by_gmf(result: Plan) -> dict[str, dict]:
    return {row["gmf_id"]: row for row in plan_figures(result)["by_gmf"]}


def four_doctors(gmfs: list[str]) -> Physicians:
    # Group 1b, 10 patients from the 500 target each: a need (and capacity) of 10.
    return in_gmfs(physicians(*({"registered": 490} for _ in gmfs)), gmfs)


def waiting_list(count: int, **row) -> Orphans:
    return orphans(
        *(
            {
                "priority": "ABCD"[i // 10],
                "requested_on": datetime.date(2025, 1, 1) + datetime.timedelta(days=i % 10),
                **row,
            }
            for i in range(count)
        )
    )


# --------------------------------------------------------------------------- the rule


def test_it_gives_a_gmf_exactly_its_target_and_leaves_the_surplus_by_priority():
    doctors = four_doctors(["G1", "G1", "G1", ""])
    waiting = waiting_list(40)
    result = solved(doctors, waiting, Params(gmf_targets={"G1": 12}))
    assert received(result, "G1") == 12  # the members' needs sum to 30
    assert result.assigned_count()[3] == 10  # the other physician takes her whole need
    placed = result.physician_of >= 0
    # 22 placed: every A and B, and the two oldest C requests.
    assert placed.sum() == 22
    assert placed[:20].all()
    c_placed = np.flatnonzero(placed[20:30]) + 20
    assert waiting.requested_on[c_placed].max() < waiting.requested_on[20:30][~placed[20:30]].min()
    assert violations(result) == []
    row = by_gmf(result)["G1"]
    assert row == {
        "gmf_id": "G1",
        "target": 12,
        "members": 3,
        "physician_ids": ["D001", "D002", "D003"],
        "received": 12,
        "received_weighted": 12.0,
    }


def test_it_sends_the_surplus_to_the_other_physicians_first():
    doctors = four_doctors(["G1", "G1", "G1", ""])
    result = solved(doctors, waiting_list(18), Params(gmf_targets={"G1": 8}))
    assert received(result, "G1") == 8
    assert result.assigned_count()[3] == 10
    assert (result.physician_of >= 0).all()


def test_it_gives_nothing_to_a_gmf_whose_target_is_0():
    doctors = four_doctors(["G1", "G1", "G2", ""])
    result = solved(doctors, waiting_list(40), Params(gmf_targets={"G1": 0}))
    assert received(result, "G1") == 0
    # G2 has no target: its member is not limited.
    assert result.assigned_count().tolist() == [0, 0, 10, 10]
    assert violations(result) == []
    rows = by_gmf(result)
    assert rows["G1"]["target"] == 0 and rows["G1"]["received"] == 0
    assert rows["G2"]["target"] is None and rows["G2"]["received"] == 10


def test_it_reports_a_target_whose_gmf_has_no_member():
    result = solved(four_doctors(["", "", "", ""]), waiting_list(5), Params(gmf_targets={"G9": 4}))
    assert by_gmf(result)["G9"]["members"] == 0
    assert by_gmf(result)["G9"]["received"] == 0


def test_it_changes_nothing_when_the_target_is_above_the_members_needs():
    doctors, waiting, params = one_town(3)
    gmfs = ["G1" if j % 3 == 0 else "G2" if j % 3 == 1 else "" for j in range(len(doctors))]
    alone = solved(doctors, waiting, params)
    grouped = solved(
        in_gmfs(doctors, gmfs),
        waiting,
        dataclasses.replace(params, gmf_targets={"G1": 100_000, "G2": 100_000}),
    )
    assert np.array_equal(alone.physician_of, grouped.physician_of)
    assert [b.value for b in alone.bounds] == [b.value for b in grouped.bounds]


def test_it_shares_a_target_between_members_in_towns_apart():
    # Rimouski and a town 100 km away: two networks, joined by the GMF.
    sites = [PLACES[0], PLACES[0], FAR, FAR]
    doctors = in_gmfs(
        physicians(
            *(
                {"registered": 490, "site_id": f"S{j // 2}", "latitude": s[0], "longitude": s[1]}
                for j, s in enumerate(sites)
            )
        ),
        ["G1", "", "G1", ""],
    )
    homes = [PLACES[0]] * 20 + [FAR] * 20
    waiting = orphans(*({"latitude": lat, "longitude": lon} for lat, lon in homes))
    result = solved(doctors, waiting, Params(gmf_targets={"G1": 15}))
    assert received(result, "G1") == 15
    assert result.assigned_count()[[1, 3]].tolist() == [10, 10]
    assert violations(result) == []
    assert all(b.gap == 0 for b in result.bounds)


def test_it_is_exact_when_a_gmf_spans_tiers():
    # Group 1a (an AMP target), 1b and 2 in one GMF: level 3 is solved by the MILP.
    doctors = in_gmfs(
        physicians(
            {"registered": 300, "amp_target": 312},
            {"registered": 490},
            {"registered": 740},
            {"registered": 492},
            {"registered": 745},
        ),
        ["G1", "G1", "G1", "", ""],
    )
    result = solved(doctors, waiting_list(40), Params(gmf_targets={"G1": 14}))
    assert received(result, "G1") == 14
    assert violations(result) == []
    assert all(b.gap == 0 for b in result.bounds)


def test_it_counts_weighted_patients_against_the_target():
    doctors = four_doctors(["G1", "G1", "", ""])
    waiting = orphans(*({"category": "home_care"} for _ in range(30)))
    params = Params(category_weights={"home_care": 2.0}, gmf_targets={"G1": 7})
    result = solved(doctors, waiting, params)
    # Patients weigh 2: 3 patients (6 weighted) at most, and 5 to each other physician.
    assert received(result, "G1") == 3
    assert result.assigned_count()[2:].tolist() == [5, 5]
    assert by_gmf(result)["G1"]["received_weighted"] == 6.0
    assert violations(result) == []


def test_it_is_deterministic():
    doctors, waiting, params = one_town(5)
    gmfs = [f"G{j % 4}" if j % 5 else "" for j in range(len(doctors))]
    doctors = in_gmfs(doctors, gmfs)
    params = dataclasses.replace(params, gmf_targets={"G0": 20, "G1": 0, "G2": 35})
    first = solved(doctors, waiting, params)
    assert np.array_equal(first.physician_of, solved(doctors, waiting, params).physician_of)
    assert np.array_equal(first.physician_of, solved(doctors, waiting, params, 2).physician_of)


# --------------------------------------------------------------------------- the oracle


def binding_gmfs(doctors: Physicians, seed: int) -> tuple[Physicians, dict[str, int]]:
    """Physicians put in 3 GMFs (some in none), each with half its members' needs."""
    rng = np.random.default_rng(seed)
    gmfs = [str(rng.choice(["G1", "G2", "G3", ""])) for _ in range(len(doctors))]
    grouped = in_gmfs(doctors, gmfs)
    plain = solved(doctors, orphans(), Params())
    targets = {}
    for gmf in ("G1", "G2", "G3"):
        need = int(plain.targets.capacity[np.array(gmfs) == gmf].sum())
        targets[gmf] = need // 2
    return grouped, targets


@pytest.mark.slow  # about 15 s, mostly the oracle's HiGHS solves
@pytest.mark.parametrize("kind", ["one_town", "weighted"])
def test_it_is_exact_with_binding_gmfs_and_the_cap_binding(kind):
    doctors, waiting, params = one_town(0) if kind == "one_town" else weighted(2)
    doctors, targets = binding_gmfs(doctors, 0)
    params = dataclasses.replace(params, gmf_targets=targets)
    result = solved(doctors, waiting, params)
    assert violations(result) == []
    weight = np.array([row["received_weighted"] for row in by_gmf(result).values()])
    target = np.array([row["target"] for row in by_gmf(result).values()])
    assert (weight <= target + 1e-9).all()
    # Orphans stay unplaced: each GMF fills its target (within one patient's weight).
    assert (result.physician_of < 0).any()
    assert (weight > target - 2).all()


@st.composite
def instances(draw: st.DrawFn) -> tuple[Physicians, Orphans, Params]:
    """A few physicians at 4 places, in up to 2 GMFs with small targets; the cap binding
    at times (0.3), patients weighted at times."""
    doctors = []
    for _ in range(draw(st.integers(1, 6))):
        place = draw(st.integers(0, len(PLACES) - 1))
        kind = draw(st.sampled_from(["1a", "1b", "1b", "2"]))
        registered = {"1a": 200, "1b": 500, "2": 750}[kind] - draw(st.integers(1, 8))
        doctors.append(
            {
                "site_id": f"S{place}",
                "latitude": PLACES[place][0],
                "longitude": PLACES[place][1],
                "registered": registered,
                "vulnerable": int(registered * draw(st.floats(0.25, 0.5))),
                "amp_target": 208 if kind == "1a" else None,
                "other_units": draw(st.sampled_from([0.0, 0.0, 2.5])),
            }
        )
    gmfs = [draw(st.sampled_from(["G1", "G2", ""])) for _ in doctors]
    weights = draw(st.booleans())
    waiting = [
        {
            "latitude": PLACES[p][0] + draw(st.floats(-0.05, 0.05)),
            "longitude": PLACES[p][1] + draw(st.floats(-0.05, 0.05)),
            "priority": draw(st.sampled_from("ABCDE")),
            "vulnerable": draw(st.booleans()),
            "requested_on": datetime.date(2025, 1, 1) + datetime.timedelta(draw(st.integers(0, 9))),
            "category": draw(st.sampled_from(["", "", "home_care"])) if weights else "",
        }
        for p in draw(st.lists(st.integers(0, len(PLACES) - 1), min_size=1, max_size=18))
    ]
    params = Params(
        vulnerable_cap=draw(st.sampled_from([0.45, 0.3])),
        candidates_per_patient=draw(st.integers(1, 4)),
        category_weights={"home_care": 2.0} if weights else {},
        gmf_targets={"G1": draw(st.integers(0, 12)), "G2": draw(st.integers(0, 6))},
    )
    return in_gmfs(physicians(*doctors), gmfs), orphans(*waiting), params


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_it_passes_every_level_of_the_independent_oracle_with_gmf_targets(data):
    result = solved(*data)
    assert violations(result) == []
    for row in by_gmf(result).values():
        assert row["received_weighted"] <= row["target"] + 1e-9


# --------------------------------------------------------------------------- the inputs


def test_it_reads_the_gmf_id_column_and_does_without_it(tmp_path):
    rows = physician_rows({"gmf_id": "G1"}, {"gmf_id": ""}, {"gmf_id": "G2"})
    from panelcare.attribution.io import PHYSICIAN_COLUMNS

    write(tmp_path, "physicians", rows, [*PHYSICIAN_COLUMNS, "gmf_id"])
    write(tmp_path, "waitlist", patient_rows({}))
    doctors, _ = read_inputs(tmp_path)
    assert doctors.gmf_id.tolist() == ["G1", "", "G2"]
    write(tmp_path, "physicians", rows)
    doctors, _ = read_inputs(tmp_path)
    assert doctors.gmf_id.tolist() == ["", "", ""]
    table = pa.table({column: [row.get(column, "") for row in rows] for column in rows[0]})
    assert physicians_from_arrow(table).gmf_id.tolist() == ["G1", "", "G2"]
    assert physicians_from_arrow(table.drop(["gmf_id"])).gmf_id.tolist() == ["", "", ""]


def test_it_reads_gmf_targets_from_the_parameters_file(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[gmf_targets]\nG1 = 300\n"GMF des Basques" = 0\n', encoding="utf-8")
    assert load_params(path).gmf_targets == {"G1": 300, "GMF des Basques": 0}
    assert load_params().gmf_targets == {}


@pytest.mark.parametrize(
    ("value", "key", "message"),
    [
        ({"G1": -1}, "gmf_targets.G1", "must be a whole number of at least 0, got -1"),
        ({"G1": 2.5}, "gmf_targets.G1", "must be a whole number of at least 0, got 2.5"),
        ({"G1": True}, "gmf_targets.G1", "must be a whole number of at least 0, got True"),
        ({" ": 3}, 'gmf_targets." "', "a gmf_id must not be empty"),
        (300, "gmf_targets", "must be a table of gmf_id = target, e.g. { GMF-01 = 300 }"),
    ],
)
def test_it_refuses_wrong_gmf_targets(value, key, message):
    with pytest.raises(AttributionParamsError) as caught:
        params_from_mapping({"gmf_targets": value})
    assert caught.value.key == key
    assert str(caught.value) == f"parameters: {key}: {message}"


def test_it_fills_the_tiers_in_order_when_a_gmf_spans_them():
    # a (1a) and b (1b) share a GMF of target 1; P2 reaches b and c (group 2) at one site,
    # P3 reaches a and d (1b) at another, 100 km away. Placing P3 with a sends P2 to c: a
    # 1a patient more, which precedence puts first, though a least total of tiers 0-3
    # (b and d: 1 + 1; a and c: 0 + 3) would rather keep both in 1b.
    near, far = (
        {"latitude": PLACES[0][0], "longitude": PLACES[0][1]},
        {
            "latitude": FAR[0],
            "longitude": FAR[1],
        },
    )
    doctors = in_gmfs(
        physicians(
            {"registered": 300, "amp_target": 301, "site_id": "S2", **far},  # a
            {"registered": 499, "site_id": "S1", **near},  # b
            {"registered": 749, "site_id": "S1", **near},  # c
            {"registered": 499, "site_id": "S2", **far},  # d
        ),
        ["G1", "G1", "", ""],
    )
    waiting = orphans({**near}, {**far})
    result = solved(doctors, waiting, Params(gmf_targets={"G1": 1}))
    assert result.physician_of.tolist() == [2, 0]
    assert result.targets.tier.tolist() == [0, 1, 3, 1]
    assert violations(result) == []


def test_it_takes_le304_blocks_off_the_room_of_their_gmf():
    from panelcare.attribution.solve import gmf_rooms

    doctors = four_doctors(["G2", "G1", "G1", ""])
    params = Params(gmf_targets={"G1": 10, "G2": 4})
    gmf_of, room = gmf_rooms(doctors, params, np.array([6.0, 3.0, 0.0, 50.0]))
    assert gmf_of.tolist() == [1, 0, 0, -1]  # G1, G2 by id
    assert room.tolist() == [7.0, 0.0]  # G2's block of 6 passes its target: no room left
