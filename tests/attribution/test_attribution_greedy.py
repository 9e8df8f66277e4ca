"""The greedy baseline (panelcare.attribution.greedy): nearest physician with room, most
urgent patient first; checked on hand-written rows and against a brute-force greedy."""

from __future__ import annotations

import datetime

import numpy as np
from attribution_plans import RUN, north_of
from builders import RIMOUSKI, orphans, physicians
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panelcare.attribution.greedy import greedy_plan
from panelcare.attribution.groups import category_weight, targets
from panelcare.attribution.pace import waitlist_order
from panelcare.attribution.params import Params
from panelcare.geo import haversine_km


def greedy(doctors, waiting, params=None):
    params = params or Params()
    return greedy_plan(doctors, waiting, targets(doctors, params, RUN), params)


def at_km(km: float, **row):
    """A physician ``km`` north of Rimouski, at a site of their own; group 1b with a need
    of ``need`` (1 by default)."""
    need = row.pop("need", 1)
    lat, lon = north_of(RIMOUSKI, km)
    return {
        "latitude": lat,
        "longitude": lon,
        "site_id": f"S{km}",
        "registered": 500 - need,
        "vulnerable": 0,
        **row,
    }


def test_it_gives_each_orphan_the_nearest_physician_with_room():
    doctors = physicians(at_km(20), at_km(5), at_km(10))
    physician_of, distance = greedy(doctors, orphans({}, {}, {}))
    assert physician_of.tolist() == [1, 2, 0]
    assert np.round(distance, 6).tolist() == [5.0, 10.0, 20.0]


def test_it_serves_the_most_urgent_then_the_oldest_request_first():
    doctors = physicians(at_km(1), at_km(30))
    waiting = orphans(
        {"priority": "C", "requested_on": "2024-01-01"},
        {"priority": "B", "requested_on": "2025-06-01"},
        {"priority": "B", "requested_on": "2025-01-01"},
    )
    physician_of, _ = greedy(doctors, waiting)
    assert physician_of.tolist() == [-1, 1, 0]  # the oldest B gets the nearest


def test_it_breaks_ties_by_patient_id():
    physician_of, _ = greedy(
        physicians(at_km(1)), orphans({"patient_id": "P2"}, {"patient_id": "P1"})
    )
    assert physician_of.tolist() == [-1, 0]


def test_it_looks_further_when_the_nearest_sixteen_places_are_full():
    # 20 sites at 1..20 km with one place each: the k-d tree is first asked for 16.
    doctors = physicians(*(at_km(km) for km in range(20, 0, -1)))
    physician_of, distance = greedy(doctors, orphans(*({} for _ in range(21))))
    assert np.round(distance[:20], 6).tolist() == [float(km) for km in range(1, 21)]
    assert physician_of[20] == -1 and np.isnan(distance[20])


def test_it_keeps_a_vulnerable_patient_under_the_physicians_cap():
    # 45 vulnerable of 100: one more would make 46 of 101, above 45 %.
    doctors = physicians(at_km(1, registered=100, vulnerable=45, need=400), at_km(9, need=10))
    physician_of, _ = greedy(doctors, orphans({"vulnerable": True}, {}))
    assert physician_of.tolist() == [1, 0]


def test_it_counts_the_patients_already_given_in_the_cap():
    # 44 of 100: a first vulnerable (45 of 101) fits, a second (46 of 102) does not.
    doctors = physicians(at_km(1, registered=100, vulnerable=44, need=400), at_km(9, need=10))
    physician_of, _ = greedy(doctors, orphans({"vulnerable": True}, {"vulnerable": True}))
    assert physician_of.tolist() == [0, 1]


def test_it_gives_no_vulnerable_patient_to_a_physician_above_the_cap():
    doctors = physicians(at_km(1, registered=100, vulnerable=60, need=400))
    physician_of, _ = greedy(doctors, orphans({"vulnerable": True}, {}))
    assert physician_of.tolist() == [-1, 0]


def test_it_stays_in_the_orphans_rls_unless_the_run_crosses_borders():
    doctors = physicians(at_km(2, rls_id="0112"))
    assert greedy(doctors, orphans({}))[0].tolist() == [-1]
    assert greedy(doctors, orphans({}), Params(cross_rls=True))[0].tolist() == [0]


def test_it_leaves_an_orphan_beyond_the_maximum_distance_unassigned():
    physician_of, distance = greedy(physicians(at_km(51)), orphans({}))
    assert physician_of.tolist() == [-1] and np.isnan(distance[0])


def test_it_skips_le304_and_non_participating_physicians():
    doctors = physicians(
        at_km(1, mode="le304", previous_assiduity=0.9),
        at_km(2, mode="none"),
        at_km(3),
    )
    assert greedy(doctors, orphans({}))[0].tolist() == [2]


def test_it_fills_capacities_in_weighted_patients():
    params = Params(category_weights={"home_care": 2.0})
    doctors = physicians(at_km(1), at_km(5, need=2))
    physician_of, _ = greedy(doctors, orphans({"category": "home_care"}, {}), params)
    assert physician_of.tolist() == [1, 0]  # too heavy for D001's one place


# --------------------------------------------------------------------------- property


def brute_force(doctors, waiting, params):
    """Greedy by definition: every orphan against every physician, the GMF targets
    (``params.gmf_targets``) held."""
    goals = targets(doctors, params, RUN)
    room = goals.capacity.astype(float)
    panel = doctors.registered.astype(float)
    vulnerable = doctors.vulnerable.astype(float)
    gmf_room = {g: float(t) for g, t in params.gmf_targets.items()}
    weight = category_weight(waiting.category, params.category_weights)
    eligible = (goals.tier >= 0) & (goals.capacity > 0) & ~goals.le304
    physician_of = np.full(len(waiting), -1)
    for i in waitlist_order(waiting):
        km = haversine_km(
            waiting.latitude[i], waiting.longitude[i], doctors.latitude, doctors.longitude
        )
        fits_gmf = np.array([gmf_room.get(g, np.inf) >= weight[i] - 1e-9 for g in doctors.gmf_id])
        ok = eligible & (km <= params.max_distance_km) & (room >= weight[i] - 1e-9) & fits_gmf
        if not params.cross_rls:
            ok &= doctors.rls_id == waiting.rls_id[i]
        if waiting.vulnerable[i]:
            ok &= goals.accepts_vulnerable & (
                vulnerable + 1 <= params.vulnerable_cap * (panel + 1) + 1e-9
            )
        rows = np.flatnonzero(ok)
        if rows.size:
            j = rows[np.lexsort((rows, km[rows]))[0]]
            physician_of[i] = j
            room[j] -= weight[i]
            panel[j] += 1
            vulnerable[j] += waiting.vulnerable[i]
            if doctors.gmf_id[j] in gmf_room:
                gmf_room[doctors.gmf_id[j]] -= weight[i]
    return physician_of


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_physicians=st.integers(1, 60),
    n_orphans=st.integers(0, 120),
    cross_rls=st.booleans(),
)
def test_it_matches_a_brute_force_greedy(seed, n_physicians, n_orphans, cross_rls):
    """Random regions: physicians on up to 60 sites (the tree is first asked for 16), some
    sharing one; small capacities, so that the nearest fill up and the search goes on."""
    rng = np.random.default_rng(seed)
    sites = rng.uniform(-0.15, 0.15, size=(int(rng.integers(1, n_physicians + 1)), 2))
    site_of = rng.integers(0, len(sites), n_physicians)
    registered = rng.integers(300, 700, n_physicians)
    doctors = physicians(
        *(
            {
                "site_id": f"S{site_of[j]}",
                "latitude": RIMOUSKI[0] + sites[site_of[j], 0],
                "longitude": RIMOUSKI[1] + sites[site_of[j], 1],
                "rls_id": ["0111", "0112"][int(site_of[j]) % 2],
                "registered": int(registered[j]),
                "vulnerable": int(rng.integers(0, registered[j] * 0.5)),
                "mode": ["bloc", "bloc", "bloc", "none", "le304"][int(rng.integers(0, 5))],
                "previous_assiduity": float(rng.uniform(0.5, 1.0)),
            }
            for j in range(n_physicians)
        )
    )
    spread = np.where(rng.random(n_orphans) < 0.7, 0.05, 1.0)
    waiting = orphans(
        *(
            {
                # Most in one town, so that its nearest sites fill up first.
                "latitude": RIMOUSKI[0] + float(rng.uniform(-0.3, 0.3) * spread[i]),
                "longitude": RIMOUSKI[1] + float(rng.uniform(-0.3, 0.3) * spread[i]),
                "rls_id": ["0111", "0112"][int(rng.integers(0, 2))],
                "priority": "ABCDE"[int(rng.integers(0, 5))],
                "vulnerable": bool(rng.random() < 0.4),
                "requested_on": datetime.date(2025, 1, 1)
                + datetime.timedelta(days=int(rng.integers(0, 60))),
                "category": ["", "", "home_care"][int(rng.integers(0, 3))],
            }
            for i in range(n_orphans)
        )
    )
    params = Params(
        cross_rls=cross_rls,
        category_weights={"home_care": 1.5},
        group2_target=750,
        max_distance_km=40.0,
        yearly_cap_after_4_years=int(rng.integers(1, 4)),
    )
    physician_of, distance = greedy(doctors, waiting, params)
    assert physician_of.tolist() == brute_force(doctors, waiting, params).tolist()
    placed = physician_of >= 0
    assert np.all(distance[placed] <= params.max_distance_km)
    assert np.isnan(distance[~placed]).all()
