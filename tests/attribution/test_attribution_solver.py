"""The attribution planner (panelcare.attribution.solve), DSP-PR-30042 5 to 7 and the formal
model of spec/attribution.md: one rule per test, on a few hand-written rows, then a random
region against the greedy baseline."""

from __future__ import annotations

import datetime
from collections import Counter

import numpy as np
import pytest
from attribution_plans import north_of
from builders import RIMOUSKI, orphans, physicians

from panelcare.attribution.greedy import greedy_plan
from panelcare.attribution.groups import category_weight, select_orphans, targets
from panelcare.attribution.model import Orphans, Physicians
from panelcare.attribution.params import Params
from panelcare.attribution.solve import Plan, plan

RUN = datetime.date(2026, 11, 23)  # 1 January of the next year: 2027-01-01


def solve(doctors: Physicians, waiting: Orphans, **overrides) -> Plan:
    return plan(doctors, waiting, Params(**overrides), RUN, workers=1)


def at_km(km: float, **row):
    """A row ``km`` north of Rimouski (south when negative)."""
    lat, lon = north_of(RIMOUSKI, km)
    return {"latitude": lat, "longitude": lon, **row}


def need(n: int, **row):
    """A group 1b physician (no AMP target, under 3 units) asked for ``n`` patients."""
    return {"registered": 500 - n, **row}


def many(n: int, **row):
    return [dict(row) for _ in range(n)]


def assignment_by_id(result: Plan) -> dict[str, str | None]:
    ids = result.physicians.physician_id
    return {
        patient: (str(ids[j]) if j >= 0 else None)
        for patient, j in zip(result.orphans.patient_id, result.physician_of, strict=True)
    }


# --------------------------------------------------------------------- group order (5.1, 5.3.4)


def test_it_serves_group_1a_before_group_1b():
    # D001 (1b) would win a tie by id: the orphan goes to D002 only by precedence.
    doctors = physicians(need(100), {"amp_target": 250, "registered": 0})
    result = solve(doctors, orphans({}))
    assert result.targets.group.tolist() == ["1b", "1a"]
    assert result.physician_of.tolist() == [1]


def test_it_serves_group_1b_before_group_2():
    doctors = physicians({"registered": 600}, need(1))
    result = solve(doctors, orphans({}))
    assert result.targets.group.tolist() == ["2", "1b"]
    assert result.physician_of.tolist() == [1]


def test_it_invites_group_2_only_once_group_1_is_full():
    # DSP-PR-30042 5.3.5: group 2 takes the surplus only.
    doctors = physicians({"registered": 600}, need(2))
    result = solve(doctors, orphans({}, {}, {}))
    assert result.assigned_count().tolist() == [1, 2]


def test_it_serves_group_1b_under_3_units_first():
    # 5.3.3: D001 is at 0.8 + 2.5 = 3.3 units; D002 at 0.8. Same need: only the tier decides.
    doctors = physicians(need(100, other_units=2.5), need(100))
    result = solve(doctors, orphans({}))
    assert result.targets.tier.tolist() == [2, 1]
    assert result.physician_of.tolist() == [1]


def test_it_excludes_group_1b_physicians_below_the_exclusion_threshold():
    # 5.1: the CML may leave out physicians with fewer than 25 patients.
    doctors = physicians({"registered": 10}, {"registered": 30})
    waiting = orphans({}, {})
    assert solve(doctors, waiting, exclude_below=25).assigned_count().tolist() == [0, 2]
    # Without the exclusion the emptier panel (need 490 against 470) gets one of them.
    assert solve(doctors, waiting).assigned_count().tolist() == [1, 1]


def test_it_asks_an_amp_derogation_for_its_lower_target_only():
    # 5.1: an approved derogation lowers the AMP requirement to 250.
    doctors = physicians({"amp_target": 250, "registered": 100})
    result = solve(doctors, orphans(*many(200)))
    assert result.targets.target.tolist() == [250]
    assert result.targets.need.tolist() == [150]
    assert result.assigned_count().tolist() == [150]


# --------------------------------------------------------------------- shortage (5.3.3, 5.3.5)


def test_it_takes_no_group_1b_physician_above_3_units_in_a_shortage():
    # 2.5 other units + 200 / 500 = 2.9 units: room for 0.1 unit, 50 patients.
    doctors = physicians({"registered": 200, "other_units": 2.5})
    waiting = orphans(*many(60))
    assert solve(doctors, waiting, shortage=True).assigned_count().tolist() == [50]
    assert solve(doctors, waiting).assigned_count().tolist() == [60]


def test_it_spares_group_2_physicians_at_3_units_in_a_shortage():
    # D001: 2 + 600 / 500 = 3.2 units; D002: 1.2 units, room for 1.8 unit.
    doctors = physicians({"registered": 600, "other_units": 2.0}, {"registered": 600})
    waiting = orphans(*many(10))
    spared = solve(doctors, waiting, shortage=True)
    assert spared.targets.group.tolist() == ["none", "2"]
    assert spared.assigned_count().tolist() == [0, 10]
    assert solve(doctors, waiting).assigned_count().tolist() == [5, 5]


# --------------------------------------------------------------------- vulnerable cap (5.3.1)


def vulnerable_share_after(result: Plan) -> np.ndarray:
    panel = result.physicians.registered + result.assigned_count()
    return (result.physicians.vulnerable + result.assigned_vulnerable()) / panel


def test_it_gives_vulnerable_patients_up_to_the_cap_on_the_final_panel():
    # 40 of 100: v more keep the cap while 40 + v <= 0.45 (100 + v), v <= 9.09.
    doctors = physicians(need(400, registered=100, vulnerable=40))
    result = solve(doctors, orphans(*many(20, vulnerable=True)))
    assert result.assigned_vulnerable().tolist() == [9]
    assert vulnerable_share_after(result)[0] <= 0.45


def test_it_counts_the_non_vulnerable_patients_given_in_the_final_panel():
    # 10 non-vulnerable first: 40 + v <= 0.45 (110 + v) gives v <= 17.27.
    doctors = physicians(need(400, registered=100, vulnerable=40))
    result = solve(doctors, orphans(*many(10), *many(20, vulnerable=True)))
    assert result.physician_of[:10].tolist() == [0] * 10
    assert result.assigned_vulnerable().tolist() == [17]
    assert vulnerable_share_after(result)[0] <= 0.45


def test_it_gives_no_vulnerable_patient_to_a_physician_above_the_cap():
    doctors = physicians(need(400, registered=100, vulnerable=60))
    waiting = orphans({"vulnerable": True}, {}, {"vulnerable": True}, {})
    assert solve(doctors, waiting).physician_of.tolist() == [-1, 0, -1, 0]


def test_it_keeps_the_cap_when_the_vulnerable_go_elsewhere():
    # D001 (40 of 100) may take 9 vulnerable patients alone; D002, of the same tier and
    # without vulnerable patients, takes the rest. The cap holds on D001 although they get less than their need.
    doctors = physicians(
        need(400, registered=100, vulnerable=40),
        need(5, registered=495, vulnerable=0),
    )
    result = solve(doctors, orphans(*many(14, vulnerable=True)))
    assert result.assigned_count().tolist() == [9, 5]
    assert (vulnerable_share_after(result) <= 0.45).all()


# --------------------------------------------------------------------- weights (5.3.2)


def weighted_total(result: Plan) -> np.ndarray:
    weight = category_weight(result.orphans.category, result.params.category_weights)
    placed = result.physician_of >= 0
    return np.bincount(
        result.physician_of[placed], weights=weight[placed], minlength=len(result.physicians)
    )


def test_it_never_fills_a_target_above_capacity_in_weighted_patients():
    # Need 5: four patients weigh 4, the home-care patient would make 6.
    doctors = physicians(need(5))
    waiting = orphans(*many(4), {"category": "home_care"})
    result = solve(doctors, waiting, category_weights={"home_care": 2.0})
    assert result.physician_of.tolist() == [0, 0, 0, 0, -1]
    assert weighted_total(result).tolist()[0] <= 5
    # Counted as 1, the home-care patient fits.
    assert solve(doctors, waiting).assigned_count().tolist() == [5]


def test_it_fills_a_capacity_with_weighted_patients():
    # Need 4, patients of weight 2: two of them fill it.
    doctors = physicians(need(4))
    result = solve(
        doctors, orphans(*many(4, category="home_care")), category_weights={"home_care": 2.0}
    )
    assert result.assigned_count().tolist() == [2]
    assert weighted_total(result).tolist() == [4.0]


def test_it_places_at_least_what_greedy_places_with_weighted_patients():
    # Greedy gives P001 and P002 (weight 2 each); the planner must do as well.
    params = Params(category_weights={"home_care": 2.0})
    doctors = physicians(need(4))
    waiting = orphans(*many(2, category="home_care"), {}, {})
    result = plan(doctors, waiting, params, RUN, workers=1)
    greedy_of, _ = greedy_plan(doctors, waiting, targets(doctors, params, RUN), params)
    assert (greedy_of >= 0).sum() == 2
    assert (result.physician_of >= 0).sum() >= 2
    assert weighted_total(result).tolist() == [4.0]


# --------------------------------------------------------------------- distance and RLS (5.3)


def test_it_places_no_orphan_beyond_the_maximum_distance():
    doctors = physicians({})
    waiting = orphans(at_km(60))
    assert solve(doctors, waiting, max_distance_km=50.0).physician_of.tolist() == [-1]
    wider = solve(doctors, waiting, max_distance_km=100.0)
    assert wider.physician_of.tolist() == [0]
    assert wider.distance_km[0] == pytest.approx(60.0)


def test_it_crosses_rls_borders_only_when_the_run_allows():
    doctors = physicians({"rls_id": "0111"})
    waiting = orphans({"rls_id": "0112"})
    assert solve(doctors, waiting).physician_of.tolist() == [-1]
    assert solve(doctors, waiting, cross_rls=True).physician_of.tolist() == [0]


# --------------------------------------------------------------------- priority (formal model, level 1)


def test_it_places_the_most_urgent_orphan_first():
    result = solve(physicians(need(1)), orphans({"priority": "E"}, {"priority": "A"}))
    assert result.physician_of.tolist() == [-1, 0]


def test_it_places_the_oldest_request_first_at_equal_priority():
    waiting = orphans({"requested_on": "2025-06-01"}, {"requested_on": "2025-01-01"})
    assert solve(physicians(need(1)), waiting).physician_of.tolist() == [-1, 0]


def test_it_places_the_lowest_patient_id_first_at_equal_request_date():
    waiting = orphans({"patient_id": "P2"}, {"patient_id": "P1"})
    assert solve(physicians(need(1)), waiting).physician_of.tolist() == [-1, 0]


# --------------------------------------------------------------------- equity and distance (5.3.4)


def test_it_shares_orphans_in_proportion_to_the_needs_inside_a_group():
    doctors = physicians(need(100), need(300))
    result = solve(doctors, orphans(*many(40)))
    assert result.assigned_count().tolist() == [10, 30]


def test_it_gives_each_orphan_the_nearer_physician_at_equal_equity():
    # D001 10 km north, D002 10 km south; P001 lives south, P002 north.
    doctors = physicians(at_km(10, **need(100), site_id="N"), at_km(-10, **need(100), site_id="S"))
    result = solve(doctors, orphans(at_km(-8), at_km(8)))
    assert result.physician_of.tolist() == [1, 0]
    assert result.distance_km == pytest.approx([2.0, 2.0])


# --------------------------------------------------------------------- departures and LE 304 (5.2, 7)


def departure(assiduity: float):
    doctors = physicians(
        {"departing_on": "2026-12-15"},
        need(100, mode="le304", previous_assiduity=assiduity),
    )
    return doctors, orphans(*many(60, previous_physician_id="D001"))


def test_it_transfers_a_departing_physicians_patients_as_an_le304_block():
    doctors, waiting = departure(assiduity=0.8)
    result = solve(doctors, waiting)
    assert len(result.orphans) == 60
    assert result.targets.group[0] == "none"
    assert result.le304.all()
    assert result.physician_of.tolist() == [1] * 60


def test_it_gives_an_le304_physician_below_the_assiduity_individual_patients():
    doctors, waiting = departure(assiduity=0.7)
    result = solve(doctors, waiting)
    assert not result.targets.le304.any()
    assert not result.le304.any()
    assert result.physician_of.tolist() == [1] * 60


# --------------------------------------------------------------------- determinism


def random_region(seed: int, n_physicians: int, n_orphans: int):
    """Physicians on a few shared sites and orphans on a few streets around Rimouski, so
    that many choices tie."""
    rng = np.random.default_rng(seed)
    sites = rng.uniform(-0.3, 0.3, size=(max(1, n_physicians // 3), 2))
    site_of = rng.integers(0, len(sites), n_physicians)
    registered = rng.integers(380, 800, n_physicians)
    doctors = physicians(
        *(
            {
                "site_id": f"S{site_of[j]}",
                "latitude": RIMOUSKI[0] + float(sites[site_of[j], 0]),
                "longitude": RIMOUSKI[1] + float(sites[site_of[j], 1]),
                "registered": int(registered[j]),
                "vulnerable": int(rng.integers(0, registered[j] * 0.55)),
                "amp_target": 500 if rng.random() < 0.1 else None,
                "other_units": float(rng.choice([0.0, 0.0, 1.0, 2.5])),
            }
            for j in range(n_physicians)
        )
    )
    streets = rng.uniform(-0.35, 0.35, size=(max(1, n_orphans // 4), 2))
    street_of = rng.integers(0, len(streets), n_orphans)
    waiting = orphans(
        *(
            {
                "latitude": RIMOUSKI[0] + float(streets[street_of[i], 0]),
                "longitude": RIMOUSKI[1] + float(streets[street_of[i], 1]),
                "priority": "ABCDE"[int(rng.integers(0, 5))],
                "vulnerable": bool(rng.random() < 0.35),
                "requested_on": datetime.date(2025, 1, 1)
                + datetime.timedelta(days=int(rng.integers(0, 30))),
            }
            for i in range(n_orphans)
        )
    )
    return doctors, waiting


def test_it_gives_the_same_plan_for_the_same_input():
    doctors, waiting = random_region(7, 12, 300)
    first, second = solve(doctors, waiting), solve(doctors, waiting)
    assert (first.physician_of >= 0).sum() > 0
    assert first.physician_of.tolist() == second.physician_of.tolist()


def test_it_breaks_a_tie_between_physicians_by_id_whatever_their_order():
    # Same site, same tier and need: only the ids can decide.
    doctors = physicians(need(10), need(10))
    waiting = orphans({})
    reversed_rows = doctors.take([1, 0])
    assert assignment_by_id(solve(reversed_rows, waiting)) == assignment_by_id(  # type: ignore[arg-type]
        solve(doctors, waiting)
    )


def test_it_breaks_a_tie_between_orphans_by_id_whatever_their_order():
    # Two orphans at Rimouski, two physicians 10 km north and south: every routing ties.
    doctors = physicians(at_km(10, **need(10), site_id="N"), at_km(-10, **need(10), site_id="S"))
    waiting = orphans({}, {})
    reversed_rows = waiting.take([1, 0])
    assert assignment_by_id(solve(doctors, reversed_rows)) == assignment_by_id(  # type: ignore[arg-type]
        solve(doctors, waiting)
    )


def test_it_gives_the_same_plan_whatever_the_order_of_the_rows():
    doctors, waiting = random_region(11, 12, 300)
    rng = np.random.default_rng(3)
    shuffled = solve(
        doctors.take(rng.permutation(len(doctors))),  # type: ignore[arg-type]
        waiting.take(rng.permutation(len(waiting))),  # type: ignore[arg-type]
    )
    assert assignment_by_id(shuffled) == assignment_by_id(solve(doctors, waiting))


# --------------------------------------------------------------------- pace (7)


def test_it_spreads_a_physicians_orphans_over_the_period_most_urgent_first():
    # The two priority-A orphans come last in the file: only the priority puts them first.
    waiting = orphans(*many(22), *many(2, priority="A"))
    result = solve(physicians(need(100)), waiting, period_months=12)
    assert result.monthly_pace.tolist() == [2]
    assert sorted(Counter(result.month.tolist()).items()) == [(m, 2) for m in range(1, 13)]
    assert result.month[22:].tolist() == [1, 1]


# --------------------------------------------------------------------- against the greedy baseline


def test_it_places_at_least_what_the_greedy_baseline_places():
    """A region around Rimouski (~40 km): 30 physicians with little room, 800 orphans, a
    maximum distance of 20 km."""
    rng = np.random.default_rng(2026)
    n_physicians, n_orphans = 30, 800
    spot = rng.uniform(-0.36, 0.36, size=(n_physicians, 2))
    # Most in group 1b with a little room, a few in group 2 close to 750: about 380 places
    # for 800 orphans, so that the priority-A orphans compete for the nearest physicians.
    registered = np.where(
        rng.random(n_physicians) < 0.2,
        rng.integers(740, 750, n_physicians),
        rng.integers(475, 500, n_physicians),
    )
    doctors = physicians(
        *(
            {
                "site_id": f"S{j}",
                "latitude": RIMOUSKI[0] + float(spot[j, 0]),
                "longitude": RIMOUSKI[1] + float(spot[j, 1]),
                "registered": int(registered[j]),
                "vulnerable": int(rng.integers(0, registered[j] * 0.5)),
                "other_units": float(rng.choice([0.0, 1.0, 2.5])),
            }
            for j in range(n_physicians)
        )
    )
    home = rng.uniform(-0.36, 0.36, size=(n_orphans, 2))
    waiting = orphans(
        *(
            {
                "latitude": RIMOUSKI[0] + float(home[i, 0]),
                "longitude": RIMOUSKI[1] + float(home[i, 1]),
                "priority": "ABCDE"[int(rng.integers(0, 5))],
                "vulnerable": bool(rng.random() < 0.4),
                "requested_on": datetime.date(2025, 1, 1)
                + datetime.timedelta(days=int(rng.integers(0, 365))),
            }
            for i in range(n_orphans)
        )
    )
    params = Params(max_distance_km=20.0)
    result = plan(doctors, waiting, params, RUN, workers=1)

    selected = waiting.take(np.flatnonzero(select_orphans(waiting, doctors, params, RUN).orphan))
    goals = targets(doctors, params, RUN)
    greedy_of, _ = greedy_plan(doctors, selected, goals, params)  # type: ignore[arg-type]
    placed, greedy_placed = result.physician_of >= 0, greedy_of >= 0
    urgent = result.orphans.priority == 0
    # Scarce room, so that the comparison means something.
    assert 0 < goals.capacity.sum() < n_orphans
    assert placed.sum() >= greedy_placed.sum()
    assert (placed & urgent).sum() >= (greedy_placed & urgent).sum()

    assigned = result.assigned_count()
    assert (assigned <= goals.capacity).all()
    received = result.assigned_vulnerable() > 0
    vulnerable_after = doctors.vulnerable + result.assigned_vulnerable()
    cap_after = params.vulnerable_cap * (doctors.registered + assigned)
    assert (vulnerable_after[received] <= cap_after[received] + 1e-9).all()
