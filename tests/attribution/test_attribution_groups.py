"""Orphans, groups, targets and LE 304 blocks (panelcare.attribution.groups), DSP-PR-30042
5.1 to 5.3 and 7: one rule per test, on a few hand-written rows."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from builders import RIMOUSKI, orphans, physicians
from hypothesis import given, settings
from hypothesis import strategies as st

from panelcare.attribution.groups import (
    category_weight,
    le304_blocks,
    select_orphans,
    targets,
)
from panelcare.attribution.params import Params

RUN = datetime.date(2026, 11, 15)  # 1 January of the next year: 2027-01-01
DEFAULTS = Params()


def reasons(doctors, params=DEFAULTS, run=RUN) -> list[str]:
    return targets(doctors, params, run).reasons.tolist()


# --------------------------------------------------------------------------- orphans (5.2)


def test_it_takes_every_unassigned_waiting_patient():
    selection = select_orphans(orphans({}, {}), physicians({}), DEFAULTS, RUN)
    assert selection.orphan.tolist() == [True, True]
    assert selection.reason.tolist() == ["", ""]


def test_it_takes_the_patients_of_a_physician_leaving_before_1_january():
    doctors = physicians({"departing_on": "2026-12-31"})
    selection = select_orphans(orphans({"previous_physician_id": "D001"}), doctors, DEFAULTS, RUN)
    assert selection.orphan.tolist() == [True]


def test_it_leaves_the_patients_of_a_physician_leaving_on_1_january_or_later():
    doctors = physicians({"departing_on": "2027-01-01"}, {"departing_on": "2027-06-30"})
    waiting = orphans({"previous_physician_id": "D001"}, {"previous_physician_id": "D002"})
    selection = select_orphans(waiting, doctors, DEFAULTS, RUN)
    assert selection.orphan.tolist() == [False, False]
    assert selection.reason.tolist() == ["previous_physician_not_departing"] * 2


def test_it_takes_later_departures_when_the_run_includes_them():
    doctors = physicians({"departing_on": "2028-06-30"}, {})
    waiting = orphans({"previous_physician_id": "D001"}, {"previous_physician_id": "D002"})
    params = Params(include_later_departures=True)
    selection = select_orphans(waiting, doctors, params, RUN)
    assert selection.orphan.tolist() == [True, False]  # D002 has no departure date at all


def test_it_leaves_out_the_patients_of_a_physician_who_is_not_leaving():
    selection = select_orphans(
        orphans({"previous_physician_id": "D001"}), physicians({}), DEFAULTS, RUN
    )
    assert selection.orphan.tolist() == [False]
    assert selection.reason.tolist() == ["previous_physician_not_departing"]


def test_it_leaves_out_the_patients_of_an_unknown_physician():
    selection = select_orphans(
        orphans({}, {"previous_physician_id": "D404"}), physicians({}), DEFAULTS, RUN
    )
    assert selection.orphan.tolist() == [True, False]
    assert selection.reason.tolist() == ["", "previous_physician_unknown"]


# --------------------------------------------------------------------------- groups (5.1)


def test_it_puts_a_physician_with_an_amp_target_in_group_1a():
    result = targets(physicians({"amp_target": 500, "registered": 120}), DEFAULTS, RUN)
    assert result.group.tolist() == ["1a"]
    assert result.tier.tolist() == [0]
    assert result.target.tolist() == [500]
    assert result.need.tolist() == [380]
    assert result.capacity.tolist() == [380]
    assert result.reasons.tolist() == ["group_1a"]


def test_it_gives_an_amp_derogation_its_lower_target():
    result = targets(physicians({"amp_target": 250, "registered": 100}), DEFAULTS, RUN)
    assert (result.target[0], result.need[0]) == (250, 150)


def test_it_keeps_group_1a_for_an_amp_target_above_the_group_1_threshold():
    # amp_target decides the group, not the registrations.
    result = targets(physicians({"amp_target": 500, "registered": 600}), DEFAULTS, RUN)
    assert result.group.tolist() == ["1a"]
    assert result.need.tolist() == [0]
    assert result.reasons.tolist() == ["group_1a;target_reached"]


def test_it_puts_a_physician_under_the_threshold_in_group_1b():
    result = targets(physicians({"registered": 499}, {"registered": 500}), DEFAULTS, RUN)
    assert result.group.tolist() == ["1b", "2"]
    assert result.target.tolist() == [500, 750]
    assert result.need.tolist() == [1, 250]


@pytest.mark.parametrize(
    ("registered", "target"),
    [(500, 750), (749, 750), (750, 1000), (760, 1000), (1000, 1250), (1600, 1750)],
)
def test_it_asks_group_2_for_one_stratum_more_at_least(registered, target):
    result = targets(physicians({"registered": registered}), DEFAULTS, RUN)
    assert result.group.tolist() == ["2"]
    assert result.tier.tolist() == [3]
    assert result.target.tolist() == [target]
    assert result.need.tolist() == [target - registered]


def test_it_serves_group_1b_under_the_full_workload_first():
    doctors = physicians(
        {"registered": 400, "other_units": 2.0},  # 2.8 units
        {"registered": 400, "other_units": 2.2},  # 3.0 units
    )
    result = targets(doctors, DEFAULTS, RUN)
    assert result.tier.tolist() == [1, 2]
    assert result.units_before.tolist() == pytest.approx([2.8, 3.0])
    assert result.reasons.tolist() == [
        "group_1b;under_full_workload",
        "group_1b;full_workload_reached",
    ]


def test_it_excludes_group_1b_physicians_below_the_exclusion_threshold():
    doctors = physicians(
        {"registered": 24},
        {"registered": 25},
        {"registered": 0, "amp_target": 500},  # group 1a is never excluded
    )
    result = targets(doctors, Params(exclude_below=25), RUN)
    assert result.group.tolist() == ["none", "1b", "1a"]
    assert result.capacity.tolist() == [0, 475, 500]
    assert result.reasons[0] == "not_participating;below_exclusion_threshold"
    assert targets(doctors, DEFAULTS, RUN).group.tolist() == ["1b", "1b", "1a"]


def test_it_leaves_out_a_physician_who_declined():
    result = targets(physicians({"mode": "none"}), DEFAULTS, RUN)
    assert result.group.tolist() == ["none"]
    assert result.tier.tolist() == [-1]
    assert (result.target[0], result.need[0], result.capacity[0]) == (0, 0, 0)
    assert result.reasons.tolist() == ["not_participating;declined"]


def test_it_leaves_out_a_physician_leaving_before_1_january_only():
    doctors = physicians(
        {"departing_on": "2026-12-31"},
        {"departing_on": "2027-01-01"},
        {"departing_on": "2026-12-31", "mode": "none"},
    )
    result = targets(doctors, DEFAULTS, RUN)
    assert result.group.tolist() == ["none", "1b", "none"]
    assert result.reasons.tolist() == [
        "not_participating;departing",
        "group_1b;under_full_workload",
        "not_participating;declined;departing",
    ]


def test_it_leaves_out_every_departure_when_the_run_includes_later_ones():
    doctors = physicians({"departing_on": "2029-01-01"}, {})
    result = targets(doctors, Params(include_later_departures=True), RUN)
    assert result.group.tolist() == ["none", "1b"]


# --------------------------------------------------------------------------- workload (5.3.3)


def test_it_caps_group_1b_at_the_full_workload_in_a_shortage():
    doctors = physicians(
        {"registered": 400, "other_units": 1.7},  # 2.5 units: room for 250, need 100
        {"registered": 400, "other_units": 2.3},  # 3.1 units: no room
        {"registered": 400, "other_units": 2.15},  # 2.95 units: room for 25
    )
    result = targets(doctors, Params(shortage=True), RUN)
    assert result.need.tolist() == [100, 100, 100]
    assert result.capacity.tolist() == [100, 0, 25]
    assert result.group.tolist() == ["1b", "1b", "1b"]
    assert result.reasons.tolist() == [
        "group_1b;under_full_workload",
        "group_1b;full_workload_reached;shortage_capped",
        "group_1b;under_full_workload;shortage_capped",
    ]
    assert targets(doctors, DEFAULTS, RUN).capacity.tolist() == [100, 100, 100]


def test_it_computes_the_workload_room_in_whole_patients():
    # (3 - 0.3) * 500 - 400 is 950.0000000000001 - 400 in floating point: still 950 - 400.
    result = targets(
        physicians({"registered": 400, "other_units": 0.3}), Params(shortage=True), RUN
    )
    assert result.capacity.tolist() == [100]
    result = targets(
        physicians({"registered": 400, "other_units": 2.1}), Params(shortage=True), RUN
    )
    assert result.capacity.tolist() == [50]


def test_it_spares_group_2_at_the_full_workload_in_a_shortage():
    doctors = physicians(
        {"registered": 1000, "other_units": 1.0},  # 3 units
        {"registered": 600, "other_units": 1.5},  # 2.7 units
    )
    result = targets(doctors, Params(shortage=True), RUN)
    assert result.group.tolist() == ["none", "2"]
    assert result.capacity.tolist() == [0, 150]  # need 150, room 150
    assert result.reasons.tolist() == ["not_participating;shortage_spared", "group_2"]
    assert targets(doctors, DEFAULTS, RUN).group.tolist() == ["2", "2"]


def test_it_caps_group_2_under_the_full_workload_in_a_shortage():
    # 2.9 units: 50 patients to the full workload, where the group-2 need is 150.
    result = targets(
        physicians({"registered": 600, "other_units": 1.7}),
        Params(shortage=True),
        RUN,
    )
    assert (result.need[0], result.capacity[0]) == (150, 50)
    assert result.reasons.tolist() == ["group_2;shortage_capped"]


def test_it_does_not_cap_group_1a_in_a_shortage():
    result = targets(
        physicians({"amp_target": 500, "registered": 100, "other_units": 2.9}),
        Params(shortage=True),
        RUN,
    )
    assert result.capacity.tolist() == [400]


# --------------------------------------------------------------------------- yearly cap


def test_it_caps_the_yearly_patients_of_a_physician_with_4_years_of_practice():
    doctors = physicians(
        {"registered": 100, "practice_start": "2022-11-15"},  # 4 years on RUN
        {"registered": 100, "practice_start": "2022-11-16"},  # a day short
    )
    result = targets(doctors, Params(yearly_cap_after_4_years=120), RUN)
    assert result.capacity.tolist() == [120, 400]
    assert result.reasons.tolist() == [
        "group_1b;under_full_workload;yearly_cap",
        "group_1b;under_full_workload",
    ]


def test_it_scales_the_yearly_cap_to_the_period_rounding_up():
    doctors = physicians({"registered": 100})
    params = Params(yearly_cap_after_4_years=125, period_months=6)
    assert targets(doctors, params, RUN).capacity.tolist() == [63]  # ceil(62.5)


def test_it_leaves_a_need_under_the_yearly_cap_alone():
    doctors = physicians({"registered": 450})
    result = targets(doctors, Params(yearly_cap_after_4_years=120), RUN)
    assert result.capacity.tolist() == [50]
    assert "yearly_cap" not in result.reasons[0]


# --------------------------------------------------------------------------- vulnerable (5.3.1)


def test_it_sends_no_vulnerable_patient_to_a_physician_above_the_cap():
    doctors = physicians(
        {"registered": 300, "vulnerable": 135},  # exactly 45 %
        {"registered": 300, "vulnerable": 136},
    )
    result = targets(doctors, DEFAULTS, RUN)
    assert result.accepts_vulnerable.tolist() == [True, False]
    assert result.reasons.tolist() == [
        "group_1b;under_full_workload",
        "group_1b;under_full_workload;above_vulnerable_cap",
    ]


def test_it_accepts_vulnerable_patients_for_an_empty_panel():
    result = targets(physicians({"registered": 0}), DEFAULTS, RUN)
    assert result.accepts_vulnerable.tolist() == [True]


# --------------------------------------------------------------------------- LE 304 mode (7)


def test_it_gives_blocks_only_to_le304_physicians_with_enough_assiduity():
    doctors = physicians(
        {"mode": "le304", "previous_assiduity": 0.75},
        {"mode": "le304", "previous_assiduity": 0.7499},
        {"mode": "le304", "previous_assiduity": None},
        {"mode": "bloc", "previous_assiduity": 0.95},
    )
    result = targets(doctors, DEFAULTS, RUN)
    assert result.le304.tolist() == [True, False, False, False]
    assert result.capacity.tolist() == [100, 100, 100, 100]  # the need, blocks or not
    assert [r.split(";")[-1] for r in result.reasons] == [
        "le304_eligible",
        "le304_ineligible_assiduity",
        "le304_ineligible_assiduity",
        "under_full_workload",
    ]


def test_it_joins_every_reason_in_order():
    doctors = physicians(
        {
            "registered": 400,
            "vulnerable": 190,  # above 45 % of 400
            "other_units": 2.1,  # room for 50 patients in a shortage
            "mode": "le304",
            "previous_assiduity": 0.9,
        }
    )
    params = Params(shortage=True, yearly_cap_after_4_years=40)
    assert reasons(doctors, params) == [
        "group_1b;under_full_workload;shortage_capped;yearly_cap;above_vulnerable_cap;le304_eligible"
    ]


# --------------------------------------------------------------------------- LE 304 blocks (7)

# 200 km east of Rimouski: Gaspé's latitude band, far beyond 50 km.
FAR = {"latitude": RIMOUSKI[0], "longitude": RIMOUSKI[1] + 2.7}
LEAVER = {"departing_on": "2026-12-31", "mode": "none", "registered": 800}
RECEIVER = {"mode": "le304", "previous_assiduity": 0.8, "registered": 300}


def patients_of(physician_id: str, count: int, **columns) -> list[dict]:
    return [{"previous_physician_id": physician_id, **columns} for _ in range(count)]


def blocks(doctors, waiting, params=DEFAULTS):
    """The blocks and the targets they were drawn from."""
    result = le304_blocks(waiting, doctors, targets(doctors, params, RUN), params)
    return result.orphan.tolist(), result.physician.tolist()


def test_it_transfers_a_block_to_an_assiduous_le304_colleague():
    doctors = physicians(LEAVER, RECEIVER)
    waiting = orphans({}, *patients_of("D001", 50))
    orphan, physician = blocks(doctors, waiting)
    assert orphan == list(range(1, 51))
    assert physician == [1] * 50


def test_it_transfers_no_block_under_the_minimum():
    doctors = physicians(LEAVER, RECEIVER)
    assert blocks(doctors, orphans(*patients_of("D001", 49))) == ([], [])
    assert blocks(doctors, orphans(*patients_of("D001", 49)), Params(le304_min_block=40))[0]


def test_it_transfers_no_block_to_a_physician_below_the_assiduity():
    doctors = physicians(LEAVER, {**RECEIVER, "previous_assiduity": 0.74})
    assert blocks(doctors, orphans(*patients_of("D001", 60))) == ([], [])


def test_it_transfers_no_block_to_a_bloc_physician():
    doctors = physicians(LEAVER, {**RECEIVER, "mode": "bloc"})
    assert blocks(doctors, orphans(*patients_of("D001", 60))) == ([], [])


def test_it_transfers_no_block_from_a_physician_who_is_not_leaving():
    doctors = physicians({**LEAVER, "departing_on": None}, RECEIVER)
    assert blocks(doctors, orphans(*patients_of("D001", 60))) == ([], [])


def test_it_gives_the_block_to_the_nearest_receiver_ties_by_id():
    near = {**RECEIVER, "latitude": RIMOUSKI[0] + 0.05}  # about 5.6 km north
    nearer = {**RECEIVER, "latitude": RIMOUSKI[0] + 0.01}
    doctors = physicians(LEAVER, near, nearer, nearer)
    _, physician = blocks(doctors, orphans(*patients_of("D001", 50)))
    assert set(physician) == {2}  # D003: as near as D004, and first by id


def test_it_gives_no_block_beyond_the_maximum_distance():
    doctors = physicians(LEAVER, {**RECEIVER, **FAR})
    assert blocks(doctors, orphans(*patients_of("D001", 50))) == ([], [])
    assert blocks(doctors, orphans(*patients_of("D001", 50)), Params(max_distance_km=250))[0]


def test_it_gives_blocks_across_rls_borders_only_when_the_run_allows():
    doctors = physicians(LEAVER, {**RECEIVER, "rls_id": "0112"})
    waiting = orphans(*patients_of("D001", 50))
    assert blocks(doctors, waiting) == ([], [])
    assert set(blocks(doctors, waiting, Params(cross_rls=True))[1]) == {1}


def test_it_gives_a_block_in_waiting_list_order_up_to_the_capacity():
    doctors = physicians(LEAVER, {**RECEIVER, "registered": 440})  # capacity 60
    waiting = orphans(
        *patients_of("D001", 30, priority="D"),
        *patients_of("D001", 30, priority="B", requested_on="2025-06-01"),
        *patients_of("D001", 30, priority="B", requested_on="2025-02-01"),
    )
    orphan, _ = blocks(doctors, waiting)
    assert orphan == list(range(60, 90)) + list(range(30, 60))


def test_it_counts_the_category_weights_against_the_capacity():
    doctors = physicians(LEAVER, {**RECEIVER, "registered": 440})  # capacity 60
    waiting = orphans(
        *patients_of("D001", 10, priority="A", category="home_care"),
        *patients_of("D001", 60, priority="B"),
    )
    orphan, _ = blocks(doctors, waiting, Params(category_weights={"home_care": 2.0}))
    assert orphan == list(range(50))  # 10 x 2 + 40 x 1 = 60


def test_it_keeps_the_vulnerable_cap_on_the_final_panel():
    # 100 registered, 40 vulnerable, cap 45 %: the k-th vulnerable orphan, taken after t
    # patients of the block, needs 40 + k <= 0.45 * (100 + t + 1).
    doctors = physicians(LEAVER, {**RECEIVER, "registered": 100, "vulnerable": 40})
    waiting = orphans(
        *patients_of("D001", 60, priority="A", vulnerable=True),
        *patients_of("D001", 60, priority="B"),
    )
    orphan, _ = blocks(doctors, waiting)
    vulnerable_taken = [i for i in orphan if i < 60]
    # The 9th: 40 + 9 = 49 <= 0.45 * 109 = 49.05; a 10th: 50 > 0.45 * 110 = 49.5.
    assert vulnerable_taken == list(range(9))
    assert len(orphan) == 9 + 60
    final_registered, final_vulnerable = 100 + len(orphan), 40 + len(vulnerable_taken)
    assert final_vulnerable <= 0.45 * final_registered


def test_it_tries_the_next_receiver_when_the_vulnerable_cap_leaves_the_block_too_small():
    over_cap = {**RECEIVER, "registered": 300, "vulnerable": 150}
    doctors = physicians(LEAVER, over_cap, {**RECEIVER, "latitude": RIMOUSKI[0] + 0.1})
    waiting = orphans(*patients_of("D001", 50, vulnerable=True), *patients_of("D001", 10))
    orphan, physician = blocks(doctors, waiting)
    # D002 is nearer but above the cap: 10 patients would make no block. D003 takes 60.
    assert set(physician) == {2}
    assert len(orphan) == 60


def test_it_counts_earlier_blocks_in_the_remaining_capacity():
    second_leaver = {**LEAVER}
    doctors = physicians(LEAVER, second_leaver, {**RECEIVER, "registered": 380})  # capacity 120
    waiting = orphans(*patients_of("D002", 50), *patients_of("D001", 60))
    orphan, physician = blocks(doctors, waiting)
    # D001's block first (60), then D002's (50) in the 60 left.
    assert orphan == list(range(50, 110)) + list(range(50))
    assert physician == [2] * 110

    doctors = physicians(LEAVER, second_leaver, {**RECEIVER, "registered": 400})  # capacity 100
    orphan, _ = blocks(doctors, waiting)
    assert orphan == list(range(50, 110))  # 40 left: no second block


def test_it_weighs_uncategorised_patients_1():
    weight = category_weight(np.array(["", "home_care", "other"], dtype=object), {"home_care": 2.5})
    assert weight.tolist() == [1.0, 2.5, 1.0]


@settings(max_examples=60, deadline=None)
@given(
    receivers=st.lists(
        st.tuples(st.integers(0, 600), st.integers(0, 300), st.floats(0, 0.5)),
        min_size=1,
        max_size=4,
    ),
    patients=st.lists(
        st.tuples(st.integers(1, 3), st.booleans(), st.sampled_from(["", "home_care"])),
        max_size=200,
    ),
    min_block=st.integers(1, 60),
)
def test_it_keeps_every_block_within_capacity_minimum_and_vulnerable_cap(
    receivers, patients, min_block
):
    # Three departing physicians (D001..D003), then the receivers (registered, vulnerable,
    # distance north in degrees).
    doctors = physicians(
        LEAVER,
        LEAVER,
        LEAVER,
        *[
            {
                **RECEIVER,
                "registered": registered,
                "vulnerable": min(vulnerable, registered),
                "latitude": RIMOUSKI[0] + north,
            }
            for registered, vulnerable, north in receivers
        ],
    )
    waiting = orphans(
        *[
            {"previous_physician_id": f"D{leaver:03d}", "vulnerable": vulnerable, "category": c}
            for leaver, vulnerable, c in patients
        ]
    )
    params = Params(le304_min_block=min_block, category_weights={"home_care": 2.0})
    planned = targets(doctors, params, RUN)
    result = le304_blocks(waiting, doctors, planned, params)

    assert len(set(result.orphan.tolist())) == result.orphan.size  # each orphan once
    weight = category_weight(waiting.category, params.category_weights)
    for receiver in set(result.physician.tolist()):
        mine = result.orphan[result.physician == receiver]
        assert weight[mine].sum() <= planned.capacity[receiver] + 1e-9
        registered = doctors.registered[receiver] + mine.size
        vulnerable = doctors.vulnerable[receiver] + waiting.vulnerable[mine].sum()
        if waiting.vulnerable[mine].any():
            assert planned.accepts_vulnerable[receiver]
            assert vulnerable <= params.vulnerable_cap * registered + 1e-9
    # Each departing physician gives at most one block, of at least the minimum, to one
    # receiver.
    leavers = waiting.previous_physician_id[result.orphan]
    for leaver in set(leavers.tolist()):
        block = leavers == leaver
        assert block.sum() >= min_block
        assert len(set(result.physician[block].tolist())) == 1
