"""The plan is optimal: properties on random small instances, checked against an
independent LP of the same model solved by HiGHS (``highspy``, the HiGHS OR-Tools bundles).

The LP is written in the model's own terms, one variable per (orphan, candidate
physician), not as the solver's network of places and tiers; each level of the
lexicographic objective is a separate LP whose optimum becomes a constraint of the next
(formal model, spec/attribution.md). The bipartite constraints make every LP integral, so
its optimum is the best plan, and the solver's plan must reach it at every level.
"""

from __future__ import annotations

import datetime

import highspy
import numpy as np
import pytest
from builders import orphans, physicians
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panelcare.attribution.params import Params
from panelcare.attribution.solve import DISTANCE_UNITS_PER_KM, EQUITY_STEPS, Plan, plan

RUN = datetime.date(2026, 11, 23)
# Places a few km apart around Rimouski.
PLACES = [(48.449, -68.523), (48.470, -68.560), (48.420, -68.480), (48.500, -68.450)]
TOLERANCE = 1e-6


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


class ModelLP:
    """The model as an LP: x[i, j] in [0, 1] for each candidate pair."""

    def __init__(self, result: Plan) -> None:
        self.result = result
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.orphan, self.physician, self.units = candidate_pairs(result)
        self.x = [self.h.addVariable(lb=0, ub=1) for _ in range(len(self.orphan))]
        targets = result.targets
        for i in np.unique(self.orphan):
            self.h.addConstr(self.placed_expr([i]) <= 1)
        for j in np.unique(self.physician):
            arcs = np.flatnonzero(self.physician == j)
            self.h.addConstr(self.sum(arcs) <= int(targets.capacity[j]))
            vulnerable = arcs[result.orphans.vulnerable[self.orphan[arcs]]]
            if vulnerable.size:
                self.h.addConstr(self.sum(vulnerable) <= int(result.vulnerable_quota[j]))

    def sum(self, arcs: np.ndarray):  # a highspy linear expression
        expr = 0 * self.x[0] if self.x else 0
        for a in arcs:
            expr = expr + self.x[a]
        return expr

    def placed_expr(self, orphans_: list[int] | np.ndarray):
        return self.sum(np.flatnonzero(np.isin(self.orphan, orphans_)))

    def maximize(self, expr) -> float:
        self.h.maximize(expr)
        assert self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return float(self.h.getObjectiveValue())

    def minimize(self, expr) -> float:
        self.h.minimize(expr)
        assert self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return float(self.h.getObjectiveValue())


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
def test_it_places_as_many_of_each_priority_as_any_plan_could(data):
    # As many A as any feasible plan, then as many A+B, and so on (objective level 2).
    result = solved(data)
    lp = ModelLP(result)
    placed = in_flow_placed(result)
    if not lp.x:
        assert not placed.any()
        return
    for level in range(5):
        upto = np.flatnonzero(result.orphans.priority <= level)
        best = lp.maximize(lp.placed_expr(upto))
        ours = int(placed[upto].sum())
        assert abs(best - ours) < TOLERANCE, f"priority up to {'ABCDE'[level]}: {ours} < {best}"
        lp.h.addConstr(lp.placed_expr(upto) >= ours)


@SETTINGS
@given(instances())
def test_it_matches_the_lp_optimum_at_every_level_of_the_objective(data):
    result = solved(data)
    lp = ModelLP(result)
    if not lp.x:
        return
    placed = in_flow_placed(result)
    # Level 1: the placement weights (priority, then oldest request, then id).
    order = np.lexsort(
        (result.orphans.patient_id, result.orphans.requested_on, result.orphans.priority)
    )
    weight = np.empty(len(order))
    weight[order] = np.arange(len(order), 0, -1)
    placement = sum(weight[lp.orphan[a]] * lp.x[a] for a in range(len(lp.x)))
    assert abs(lp.maximize(placement) - weight[placed].sum()) < TOLERANCE
    # The placed orphans are the unique optimum (distinct weights): fix them.
    for i in np.unique(lp.orphan):
        lp.h.addConstr(lp.placed_expr([i]) == (1 if placed[i] else 0))
    # Level 2: group precedence, each prefix of tiers as full as it can be.
    tier = result.targets.tier
    for last in range(3):
        arcs = np.flatnonzero(tier[lp.physician] <= last)
        ours = int(((tier[result.physician_of] <= last) & placed).sum())
        assert abs(lp.maximize(lp.sum(arcs)) - ours) < TOLERANCE
        lp.h.addConstr(lp.sum(arcs) >= ours)
    # Level 3: equity (convex cost of each physician's fill), then total distance.
    steps = []
    for j in np.unique(lp.physician):
        arcs = np.flatnonzero(lp.physician == j)
        capacity = int(result.targets.capacity[j])
        need = max(int(result.targets.need[j]), 1)
        units = [lp.h.addVariable(lb=0, ub=1) for _ in range(min(capacity, arcs.size))]
        if not units:
            continue
        lp.h.addConstr(sum(units[1:], units[0]) == lp.sum(arcs))
        costs = [-(-EQUITY_STEPS * k // need) for k in range(1, len(units) + 1)]
        steps.append(sum(c * u for c, u in zip(costs, units, strict=True)))
    assigned = result.assigned_count() - np.bincount(
        result.physician_of[result.le304], minlength=len(result.physicians)
    )
    our_equity = sum(
        -(-EQUITY_STEPS * k // max(int(result.targets.need[j]), 1))
        for j in range(len(result.physicians))
        for k in range(1, int(assigned[j]) + 1)
    )
    if steps:
        equity = sum(steps[1:], steps[0])
        assert abs(lp.minimize(equity) - our_equity) < TOLERANCE
        lp.h.addConstr(equity <= our_equity)
    distance = sum(int(lp.units[a]) * lp.x[a] for a in range(len(lp.x)))
    ours = sum(
        int(lp.units[a])
        for a in range(len(lp.x))
        if placed[lp.orphan[a]] and result.physician_of[lp.orphan[a]] == lp.physician[a]
    )
    assert abs(lp.minimize(distance) - ours) < TOLERANCE
