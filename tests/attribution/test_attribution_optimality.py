"""The plan is optimal: properties on random small instances (hypothesis), checked by the
independent oracle of the formal model (``oracle.py``: HiGHS MILPs and enumeration written
from the spec's five checkable levels, not from the solver's network). The larger
instance kinds (one town, spread out, weighted) are in test_attribution_exact.py.
"""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from builders import orphans, physicians
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import DISTANCE_TOLERANCE_KM, check

from panelcare.attribution.params import Params
from panelcare.attribution.solve import DISTANCE_UNITS_PER_KM, Plan, plan

RUN = datetime.date(2026, 11, 23)
# Places a few km apart around Rimouski.
PLACES = [(48.449, -68.523), (48.470, -68.560), (48.420, -68.480), (48.500, -68.450)]


@st.composite
def instances(draw: st.DrawFn) -> tuple:
    n_physicians = draw(st.integers(1, 6))
    doctors = []
    for _ in range(n_physicians):
        registered = draw(st.integers(0, 900))
        place = draw(st.integers(0, len(PLACES) - 1))
        doctors.append(
            {
                "site_id": f"S{place}",
                "latitude": PLACES[place][0],
                "longitude": PLACES[place][1],
                "registered": registered,
                "vulnerable": draw(st.integers(0, registered)),
                "amp_target": draw(st.sampled_from([None, None, None, registered + 8])),
                "other_units": draw(st.sampled_from([0.0, 0.0, 2.5])),
            }
        )
    # Targets in the hundreds would give physicians more room than there are orphans:
    # small needs make the capacities and the cap bind.
    params = Params(
        group1_threshold=draw(st.sampled_from([500, 510])),
        group2_target=draw(st.sampled_from([750, 1000])),
        vulnerable_cap=draw(st.sampled_from([0.45, 0.3])),
        candidates_per_patient=draw(st.integers(1, 4)),
    )
    for doctor in doctors:
        # Bring most physicians a few patients from their target.
        if draw(st.booleans()):
            doctor["registered"] = max(0, 500 - draw(st.integers(0, 6)))
            doctor["vulnerable"] = min(doctor["vulnerable"], doctor["registered"])
    n_orphans = draw(st.integers(1, 18))
    waiting = [
        {
            "latitude": PLACES[p][0] + draw(st.floats(-0.05, 0.05)),
            "longitude": PLACES[p][1] + draw(st.floats(-0.05, 0.05)),
            "priority": draw(st.sampled_from("ABCDE")),
            "vulnerable": draw(st.booleans()),
            "requested_on": datetime.date(2025, 1, 1) + datetime.timedelta(draw(st.integers(0, 9))),
        }
        for p in draw(
            st.lists(st.integers(0, len(PLACES) - 1), min_size=n_orphans, max_size=n_orphans)
        )
    ]
    return physicians(*doctors), orphans(*waiting), params


def candidate_pairs(result: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(orphan, physician, distance units) for every candidate pair of the flow."""
    rows, cols, units = [], [], []
    for i in range(len(result.orphans)):
        if result.le304[i]:
            continue
        doctors, distances = result.candidates.of(i)
        for j, d in zip(doctors, distances, strict=True):
            rows.append(i)
            cols.append(int(j))
            units.append(int(np.rint(d * DISTANCE_UNITS_PER_KM)))
    return np.array(rows, dtype=int), np.array(cols, dtype=int), np.array(units, dtype=int)


def solved(data: tuple) -> Plan:
    doctors, waiting, params = data
    return plan(doctors, waiting, params, RUN, workers=1)


def in_flow_placed(result: Plan) -> np.ndarray:
    return (result.physician_of >= 0) & ~result.le304


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# 150 examples per property, each solved twice (the planner and the LP): about 7 s in all.
pytestmark = pytest.mark.slow


@SETTINGS
@given(instances())
def test_it_keeps_capacities_and_the_vulnerable_cap(data):
    result = solved(data)
    doctors = result.physicians
    assigned = result.assigned_count()
    vulnerable = result.assigned_vulnerable()
    assert (assigned <= np.maximum(result.targets.capacity, 0)).all()
    within_cap = (
        doctors.vulnerable + vulnerable
        <= result.params.vulnerable_cap * (doctors.registered + assigned) + 1e-9
    )
    # A physician may stay above the cap only if they received no vulnerable patient.
    assert (within_cap | (vulnerable == 0)).all()
    assert (vulnerable[~result.targets.accepts_vulnerable] == 0).all()


@SETTINGS
@given(instances())
def test_it_never_assigns_a_patient_twice_or_to_a_non_candidate(data):
    result = solved(data)
    pairs = set(zip(*candidate_pairs(result)[:2], strict=True))
    for i in np.flatnonzero(in_flow_placed(result)):
        assert (i, int(result.physician_of[i])) in pairs
    assert len(result.physician_of) == len(result.orphans)


@SETTINGS
@given(instances())
def test_it_passes_every_level_of_the_independent_oracle(data):
    # Levels 1-5 of the formal model, each checked by HiGHS or enumeration (oracle.py).
    result = solved(data)
    report = check(
        result.physicians, result.orphans, result.targets, result.params, result.physician_of
    )
    placed = int((result.physician_of >= 0).sum())
    assert report.violations(tolerance_km=DISTANCE_TOLERANCE_KM * placed) == []
