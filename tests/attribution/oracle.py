"""An independent oracle of the attribution's formal model (spec/attribution.md, "The formal
model (ours)" and "What exactly means"): instance generators and exact checks of a plan,
level by level.

Written from the spec's five checkable levels alone, not from the planner's network: it
reads only the plan's assignment (``physician_of``) and the run's inputs (physicians,
orphans, parameters, and the targets of ``groups.targets``, which are the rules' needs and
capacities, not the solver's). Every optimum is a HiGHS solve (``highspy``) or a direct
enumeration:

1. hard constraints, counted: weighted capacity, the vulnerable cap as stated (final panel
   at or under the cap, or no vulnerable patient; none for a physician already above),
   eligibility, maximum distance, RLS unless ``cross_rls``, and each GMF's target (its
   members' weighted patients together, LE 304 blocks included: ``params.gmf_targets``
   by the physicians' ``gmf_id``), a constraint of every level below;
2. for A, A+B, ..., A..E the most patients any feasible plan places (a MILP over
   variables aggregated by interchangeable orphans: same set of eligible physicians,
   vulnerability, priority and weight), and the swap condition (no unplaced patient could
   take the place of a placed newer request of the same priority: a feasibility MILP per
   class of unplaced patients);
3. for the plan's placed patients, the most to group 1a, then to 1a and 1b under the full
   workload, then to group 1 (MILP);
4. no single move of one patient between two physicians of the same tier lowers the higher
   of their two fills (fill = assigned patients / need) while keeping every hard
   constraint (direct enumeration);
5. for the plan's placed patients and count per physician, the least total distance
   (with the counts fixed, the cap is a plain bound on each physician's vulnerable count:
   an LP, integral as a network; a MILP when patients weigh differently, the weighted
   capacities being side constraints).

    doctors, waiting, params = one_town(3)
    result = plan(doctors, waiting, params, RUN)
    report = check(result.physicians, result.orphans, result.targets, result.params,
                   result.physician_of)
    assert report.violations() == []
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import highspy
import numpy as np
from builders import RIMOUSKI, orphans, physicians

from panelcare.attribution.groups import category_weight
from panelcare.attribution.model import Orphans, Physicians, Targets
from panelcare.attribution.params import Params
from panelcare.geo import haversine_km

RUN = datetime.date(2026, 11, 23)
KM_PER_DEGREE_LAT = 111.195
KM_PER_DEGREE_LON = KM_PER_DEGREE_LAT * math.cos(math.radians(RIMOUSKI[0]))
# Distances are compared within this (km per patient): the planner works in whole metres.
DISTANCE_TOLERANCE_KM = 0.001

# ------------------------------------------------------------------------ instances


def _at(center: tuple[float, float], dx_km: float, dy_km: float) -> tuple[float, float]:
    return center[0] + dy_km / KM_PER_DEGREE_LAT, center[1] + dx_km / KM_PER_DEGREE_LON


def _doctor(rng: np.random.Generator, site: str, position: tuple[float, float]) -> dict[str, Any]:
    """A participating physician a few patients from their target, their vulnerable share
    near the cap (some above it)."""
    kind = rng.choice(["1a", "1b", "1b", "2"])
    row: dict[str, Any] = {"site_id": site, "latitude": position[0], "longitude": position[1]}
    if kind == "1a":
        registered = int(rng.integers(0, 200))
        row["amp_target"] = registered + int(rng.integers(5, 60))
    elif kind == "1b":
        registered = 500 - int(rng.integers(3, 45))
        # Over 3 units for some: 2.5 + 0.9 units.
        row["other_units"] = float(rng.choice([0.0, 0.0, 1.0, 2.5]))
    else:
        registered = 750 - int(rng.integers(3, 45))
    row["registered"] = registered
    row["vulnerable"] = math.floor(registered * rng.uniform(0.38, 0.50))
    return row


def _waiting(
    rng: np.random.Generator, homes: list[tuple[float, float]], weighted: bool
) -> list[dict[str, Any]]:
    rows = []
    for lat, lon in homes:
        row: dict[str, Any] = {
            "latitude": lat,
            "longitude": lon,
            "priority": str(rng.choice(list("ABCDE"), p=[0.1, 0.15, 0.25, 0.25, 0.25])),
            "vulnerable": bool(rng.random() < 0.55),
            # 40 request dates: many ties.
            "requested_on": datetime.date(2025, 1, 1)
            + datetime.timedelta(days=int(rng.integers(0, 40))),
        }
        if weighted:
            draw = rng.random()
            row["category"] = "home_care" if draw < 0.2 else "addiction" if draw < 0.3 else ""
        rows.append(row)
    return rows


def one_town(seed: int, *, weighted: bool = False) -> tuple[Physicians, Orphans, Params]:
    """Every physician of the RLS at 1 to 3 sites of one town; 30-40 physicians, 300-1,200
    orphans around it (all within the maximum distance)."""
    rng = np.random.default_rng(seed)
    n_sites = int(rng.integers(1, 4))
    sites = [_at(RIMOUSKI, *rng.uniform(-1.5, 1.5, 2)) for _ in range(n_sites)]
    doctors = []
    for _ in range(int(rng.integers(30, 41))):
        s = int(rng.integers(0, n_sites))
        doctors.append(_doctor(rng, f"S{s}", sites[s]))
    homes = [_at(RIMOUSKI, *rng.normal(0, 4.0, 2)) for _ in range(int(rng.integers(300, 1201)))]
    params = Params(category_weights=_WEIGHTS if weighted else {})
    return physicians(*doctors), orphans(*_waiting(rng, homes, weighted)), params


def spread(
    seed: int, *, weighted: bool = False, sites_per_town: tuple[int, int] = (1, 5)
) -> tuple[Physicians, Orphans, Params]:
    """Several towns 5 to 60 km apart, each with a few sites (``sites_per_town``, a range);
    the maximum distance (15 km) binds. Every physician in one RLS: one network."""
    rng = np.random.default_rng(seed)
    towns: list[tuple[float, float]] = []
    while len(towns) < int(rng.integers(3, 7)) or not towns:
        spot = rng.uniform(-30, 30, 2)
        candidate = _at(RIMOUSKI, *spot)
        if all(haversine_km(*candidate, *t) >= 5 for t in towns):
            towns.append(candidate)
    sites = [
        (t, _at(town, *rng.uniform(-1, 1, 2)))
        for t, town in enumerate(towns)
        for _ in range(int(rng.integers(*sites_per_town)))
    ]
    doctors = []
    for _ in range(int(rng.integers(30, 41))):
        s = int(rng.integers(0, len(sites)))
        doctors.append(_doctor(rng, f"S{s}", sites[s][1]))
    homes = []
    for _ in range(int(rng.integers(300, 1201))):
        town = towns[int(rng.integers(0, len(towns)))]
        homes.append(_at(town, *rng.normal(0, 7.0, 2)))
    params = Params(max_distance_km=15.0, category_weights=_WEIGHTS if weighted else {})
    return physicians(*doctors), orphans(*_waiting(rng, homes, weighted)), params


def weighted(seed: int) -> tuple[Physicians, Orphans, Params]:
    """One town (even seeds) or spread out (odd seeds), with weighted categories: home
    care 2, addiction 1.5."""
    return (one_town if seed % 2 == 0 else spread)(seed, weighted=True)


_WEIGHTS = {"home_care": 2.0, "addiction": 1.5}
KINDS = {"one_town": one_town, "spread": spread, "weighted": weighted}


# ------------------------------------------------------------------------ the problem


class _Milp:
    """A HiGHS model built from numpy arrays (columns, then rows in CSR)."""

    def __init__(self) -> None:
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("mip_rel_gap", 0.0)
        self.h.setOptionValue("mip_abs_gap", 0.0)
        self.n = 0

    def cols(self, lower: Any, upper: Any, integer: bool) -> np.ndarray:
        lower = np.asarray(lower, dtype=np.float64)
        upper = np.asarray(upper, dtype=np.float64)
        k = lower.size
        if k == 0:
            return np.empty(0, dtype=np.int64)
        self.h.addCols(
            k,
            np.zeros(k),
            lower,
            upper,
            0,
            np.zeros(k, np.int32),
            np.empty(0, np.int32),
            np.empty(0),
        )
        index = np.arange(self.n, self.n + k)
        if integer:
            self.h.changeColsIntegrality(
                k, index.astype(np.int32), np.full(k, highspy.HighsVarType.kInteger)
            )
        self.n += k
        return index

    def row(self, index: Any, value: Any, lower: float, upper: float) -> int:
        index = np.asarray(index, dtype=np.int32)
        value = np.broadcast_to(np.asarray(value, dtype=np.float64), index.shape).copy()
        self.h.addRow(lower, upper, index.size, index, value)
        return self.h.getNumRow() - 1

    def bounds(self, row: int, lower: float, upper: float) -> None:
        self.h.changeRowBounds(row, lower, upper)

    def optimum(self, index: Any, value: Any, *, maximize: bool) -> float | None:
        """The optimum of ``sum value * x[index]``; None when infeasible."""
        costs = np.zeros(self.n)
        np.add.at(costs, np.asarray(index, dtype=np.int64), value)
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), costs)
        self.h.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
        )
        self.h.run()
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS: {self.h.modelStatusToString(status)}")
        return float(self.h.getInfo().objective_function_value)

    def values(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value)


@dataclass
class Problem:
    """The formal model's data for the orphans not in an LE 304 block."""

    physicians: Physicians
    orphans: Orphans
    targets: Targets
    params: Params
    physician_of: np.ndarray
    flow: np.ndarray = field(init=False)  # orphans decided by the model (not LE 304)
    eligible: np.ndarray = field(init=False)  # (orphans, physicians) bool
    km: np.ndarray = field(init=False)
    weight: np.ndarray = field(init=False)
    cap: Fraction = field(init=False)
    gmf_of: np.ndarray = field(init=False)  # per physician: a GMF with a target, or -1
    gmf_room: np.ndarray = field(init=False)  # per GMF: its target less the LE 304 blocks

    def __post_init__(self) -> None:
        d, o, t, p = self.physicians, self.orphans, self.targets, self.params
        self.km = haversine_km(
            o.latitude[:, None], o.longitude[:, None], d.latitude[None, :], d.longitude[None, :]
        )
        takes = (t.tier >= 0) & (t.capacity > 0) & ~t.le304
        same_rls = o.rls_id[:, None] == d.rls_id[None, :]
        self.eligible = takes[None, :] & (self.km <= p.max_distance_km) & (same_rls | p.cross_rls)
        self.weight = category_weight(o.category, p.category_weights)
        self.cap = Fraction(str(p.vulnerable_cap)).limit_denominator(10_000)
        # Orphans given by an LE 304 block are decided before the model: kept out of it,
        # their receivers (LE 304 physicians) take no individual patient.
        le304 = (self.physician_of >= 0) & t.le304[np.maximum(self.physician_of, 0)]
        self.flow = ~le304
        self.eligible[~self.flow] = False
        names = sorted(p.gmf_targets)
        self.gmf_of = np.array(
            [names.index(g) if g in p.gmf_targets else -1 for g in d.gmf_id], dtype=np.int64
        )
        blocks = np.bincount(self.physician_of[le304], weights=self.weight[le304], minlength=len(d))
        target = np.array([float(p.gmf_targets[g]) for g in names])
        self.gmf_room = target  # the sums' length, before the blocks are taken off
        self.gmf_room = np.maximum(target - self.gmf_sums(blocks), 0.0)

    def gmf_sums(self, per_physician: np.ndarray) -> np.ndarray:
        """Per GMF with a target, the sum of ``per_physician`` over its members."""
        member = self.gmf_of >= 0
        return np.bincount(
            self.gmf_of[member],
            weights=np.asarray(per_physician, dtype=np.float64)[member],
            minlength=self.gmf_room.size,
        )

    # -- hard constraints (level 1) ------------------------------------------------------

    def totals(self, physician_of: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nj = len(self.physicians)
        placed = (physician_of >= 0) & self.flow
        j = physician_of[placed]
        count = np.bincount(j, minlength=nj)
        vulnerable = np.bincount(j, weights=self.orphans.vulnerable[placed], minlength=nj)
        weighted = np.bincount(j, weights=self.weight[placed], minlength=nj)
        return count.astype(np.int64), vulnerable.astype(np.int64), weighted

    def cap_holds(self, count: Any, vulnerable: Any, rows: Any = None) -> np.ndarray:
        """The cap as stated, per physician (of ``rows``, default all): no vulnerable
        patient, or the physician was not above the cap and ends at or under it (exact
        rationals)."""
        d, t = self.physicians, self.targets
        j = slice(None) if rows is None else rows
        p, q = self.cap.numerator, self.cap.denominator
        within = q * (d.vulnerable[j] + vulnerable) <= p * (d.registered[j] + count)
        return (np.asarray(vulnerable) == 0) | (t.accepts_vulnerable[j] & within)

    def vulnerable_bound(self, count: np.ndarray) -> np.ndarray:
        """Vulnerable patients a physician may hold with ``count`` patients in all."""
        d, t = self.physicians, self.targets
        p, q = self.cap.numerator, self.cap.denominator
        bound = (p * (d.registered + count) - q * d.vulnerable) // q
        return np.where(t.accepts_vulnerable, np.maximum(bound, 0), 0)

    def level_1(self) -> list[str]:
        found = []
        of = self.physician_of
        placed = np.flatnonzero((of >= 0) & self.flow)
        bad = placed[~self.eligible[placed, of[placed]]]
        if bad.size:
            far = bad[self.km[bad, of[bad]] > self.params.max_distance_km]
            rls = bad[self.orphans.rls_id[bad] != self.physicians.rls_id[of[bad]]]
            found.append(
                f"{bad.size} patients with a physician not eligible for them "
                f"({far.size} beyond the maximum distance, {rls.size} in another RLS)"
            )
        count, vulnerable, weighted = self.totals(of)
        over = np.flatnonzero(weighted > self.targets.capacity + 1e-9)
        if over.size:
            found.append(
                f"{over.size} physicians above their capacity (by up to "
                f"{(weighted - self.targets.capacity)[over].max():g} weighted patients)"
            )
        broken = np.flatnonzero(~self.cap_holds(count, vulnerable))
        if broken.size:
            found.append(f"{broken.size} physicians above the vulnerable cap")
        over_gmf = np.flatnonzero(self.gmf_sums(weighted) > self.gmf_room + 1e-9)
        if over_gmf.size:
            found.append(f"{over_gmf.size} GMFs above their target")
        return found

    # -- the aggregated model (levels 2 and 3) -------------------------------------------

    def classes(self) -> tuple[np.ndarray, np.ndarray]:
        """Interchangeable orphans (levels 1-4): same eligible physicians, vulnerability,
        priority and weight. Returns each flow orphan's class (-1 for the others) and one
        representative per class."""
        rows = np.flatnonzero(self.flow)
        key = np.column_stack(
            [
                self.eligible[rows].astype(np.int64),
                self.orphans.vulnerable[rows],
                self.orphans.priority[rows],
                np.rint(self.weight[rows] * 1000),
            ]
        )
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        of = np.full(len(self.orphans), -1, dtype=np.int64)
        of[rows] = inverse.ravel()
        return of, rows[first]


@dataclass
class Level:
    """One sub-level: the plan's value and the best any plan reaches (``maximize``: more
    is better)."""

    name: str
    plan: float
    best: float
    maximize: bool = True

    @property
    def gap(self) -> float:
        return (self.best - self.plan) if self.maximize else (self.plan - self.best)


@dataclass
class Report:
    hard: list[str]
    placement: list[Level]
    swaps: int  # classes of unplaced patients one of whom could replace a newer request
    swap_pairs_checked: int
    precedence: list[Level]
    moves: int  # placed patients with an improving single move
    move_pairs: int  # (patient, physician) improving moves
    distance: Level | None
    seconds: float = 0.0

    def violations(self, tolerance_km: float | None = None) -> list[str]:
        found = list(self.hard)
        for level in self.placement + self.precedence:
            if level.gap > 1e-6:
                found.append(f"{level.name}: plan {level.plan:g}, best {level.best:g}")
        if self.swaps:
            found.append(f"{self.swaps} swaps of an unplaced patient for a newer request")
        if self.moves:
            found.append(f"{self.moves} patients with an improving move ({self.move_pairs})")
        if self.distance is not None:
            placed = self.distance.name
            tolerance = tolerance_km if tolerance_km is not None else 0.0
            if self.distance.gap > tolerance + 1e-6:
                found.append(
                    f"total distance {self.distance.plan:.3f} km, least {self.distance.best:.3f}"
                    f" km ({placed})"
                )
        return found


def check(
    physicians_: Physicians,
    orphans_: Orphans,
    targets: Targets,
    params: Params,
    physician_of: np.ndarray,
) -> Report:
    """Check ``physician_of`` (per orphan, a physician index or -1) level by level."""
    import time

    started = time.perf_counter()
    problem = Problem(physicians_, orphans_, targets, params, np.asarray(physician_of))
    hard = problem.level_1()
    placement, swaps, pairs, precedence = _levels_2_3(problem)
    moves, move_pairs = _level_4(problem)
    distance = _level_5(problem)
    return Report(
        hard,
        placement,
        swaps,
        pairs,
        precedence,
        moves,
        move_pairs,
        distance,
        time.perf_counter() - started,
    )


def _levels_2_3(problem: Problem) -> tuple[list[Level], int, int, list[Level]]:
    cls, rep = problem.classes()
    nc = rep.size
    of = problem.physician_of
    placed = (of >= 0) & problem.flow
    size = np.bincount(cls[cls >= 0], minlength=nc)
    placed_in = np.bincount(cls[placed], minlength=nc)
    priority = problem.orphans.priority[rep].astype(np.int64)
    tier = problem.targets.tier

    pair_c, pair_j = np.nonzero(problem.eligible[rep])
    m, x, _, _, _ = _swap_model(problem, rep, pair_c, pair_j, size)
    placement = []
    for level in range(5):
        arcs = np.flatnonzero(priority[pair_c] <= level)
        best = m.optimum(x[arcs], 1.0, maximize=True)
        assert best is not None
        best = round(best)
        ours = int(placed_in[priority <= level].sum())
        placement.append(Level(f"placed A..{'ABCDE'[level]}", ours, best))
        m.row(x[arcs], 1.0, best, np.inf)
    # The swap condition, for the plan's placed patients: counts per class fixed.
    requested = problem.orphans.requested_on.astype("datetime64[D]").astype(np.int64)
    big = np.iinfo(np.int64).max
    oldest_unplaced = np.full(nc, big)
    newest_placed = np.full(nc, -big)
    flow = problem.flow
    np.minimum.at(oldest_unplaced, cls[flow & ~placed], requested[flow & ~placed])
    np.maximum.at(newest_placed, cls[placed], requested[placed])
    swaps = int((oldest_unplaced < newest_placed).sum())  # inside a class
    # The swap condition and level 3 on a model without the prefix rows (the plan's
    # placed patients fixed instead).
    m2, x2, z2, rows2, swap2 = _swap_model(problem, rep, pair_c, pair_j, size)
    for c in range(nc):
        m2.bounds(rows2[c], float(placed_in[c]), float(placed_in[c]))
    checked = 0
    if _feasible(m2):
        for c1 in np.flatnonzero(oldest_unplaced < big):
            out = np.flatnonzero((priority == priority[c1]) & (newest_placed > oldest_unplaced[c1]))
            out = out[out != c1]
            if not out.size:
                continue
            checked += 1
            m2.h.changeColsBounds(
                out.size, z2[out].astype(np.int32), np.zeros(out.size), np.ones(out.size)
            )
            m2.bounds(swap2, 1, 1)
            m2.bounds(rows2[c1], float(placed_in[c1] + 1), float(placed_in[c1] + 1))
            if _feasible(m2):
                swaps += 1
            m2.h.changeColsBounds(
                out.size, z2[out].astype(np.int32), np.zeros(out.size), np.zeros(out.size)
            )
            m2.bounds(swap2, 0, 0)
            m2.bounds(rows2[c1], float(placed_in[c1]), float(placed_in[c1]))

    # Level 3: the plan's placed patients (counts per class), each prefix of tiers.
    precedence = []
    count = np.bincount(of[placed], minlength=len(problem.physicians))
    if _feasible(m2):
        for last, name in enumerate(("1a", "1a + 1b under 3 units", "group 1")):
            arcs = np.flatnonzero(tier[pair_j] <= last)
            best = m2.optimum(x2[arcs], 1.0, maximize=True)
            assert best is not None
            best = round(best)
            ours = int(count[(tier >= 0) & (tier <= last)].sum())
            precedence.append(Level(f"to {name}", ours, best))
            m2.row(x2[arcs], 1.0, best, np.inf)
    else:
        precedence.append(Level("placed set feasible", 0, 1))
    return placement, swaps, checked, precedence


def _swap_model(
    problem: Problem, rep: np.ndarray, pair_c: np.ndarray, pair_j: np.ndarray, size: np.ndarray
) -> tuple[_Milp, np.ndarray, np.ndarray, list[int], int]:
    nc = rep.size
    vulnerable = problem.orphans.vulnerable[rep]
    weight = problem.weight[rep]
    m = _Milp()
    x = m.cols(np.zeros(pair_c.size), size[pair_c], integer=True)
    z = m.cols(np.zeros(nc), np.zeros(nc), integer=True)
    rows = [
        m.row(np.r_[x[np.flatnonzero(pair_c == c)], z[c]], 1.0, 0, float(size[c]))
        for c in range(nc)
    ]
    swap = m.row(z, 1.0, 0, 0)
    p, q = problem.cap.numerator, problem.cap.denominator
    d, t = problem.physicians, problem.targets
    for j in np.unique(pair_j):
        arcs = np.flatnonzero(pair_j == j)
        m.row(x[arcs], weight[pair_c[arcs]], -np.inf, float(t.capacity[j]))
        vul = arcs[vulnerable[pair_c[arcs]]]
        if not vul.size:
            continue
        if not t.accepts_vulnerable[j]:
            m.row(x[vul], 1.0, 0, 0)
            continue
        coefficient = np.where(vulnerable[pair_c[arcs]], q - p, -p)
        m.row(x[arcs], coefficient, -np.inf, float(p * d.registered[j] - q * d.vulnerable[j]))
    for g, room in enumerate(problem.gmf_room):
        arcs = np.flatnonzero(problem.gmf_of[pair_j] == g)
        if arcs.size:
            m.row(x[arcs], weight[pair_c[arcs]], -np.inf, float(room))
    return m, x, z, rows, swap


def _feasible(m: _Milp) -> bool:
    return m.optimum(np.empty(0, dtype=np.int64), np.empty(0), maximize=True) is not None


def _level_4(problem: Problem) -> tuple[int, int]:
    """Placed patients for whom a move to another physician of the same tier lowers the
    higher of the two fills and keeps every hard constraint; and the (patient, physician)
    moves."""
    of = problem.physician_of
    t = problem.targets
    count, vulnerable, weighted = problem.totals(of)
    need = np.maximum(t.need, 1)
    placed = np.flatnonzero((of >= 0) & problem.flow)
    if not placed.size:
        return 0, 0
    a = of[placed]
    is_v = problem.orphans.vulnerable[placed]
    w = problem.weight[placed]
    # Receiving b: (n_b + 1) / need_b < n_a / need_a, eligible, same tier, room, cap.
    better = (count[None, :] + 1) * need[a][:, None] < count[a][:, None] * need[None, :]
    ok = better & problem.eligible[placed] & (t.tier[None, :] == t.tier[a][:, None])
    ok &= weighted[None, :] + w[:, None] <= t.capacity[None, :] + 1e-9
    v_after_b = vulnerable[None, :] + is_v[:, None]
    ok &= problem.cap_holds(count[None, :] + 1, v_after_b)
    # Giving a: the cap of a's smaller panel.
    keeps_a = problem.cap_holds(count[a] - 1, vulnerable[a] - is_v, a)
    ok &= keeps_a[:, None]
    # Receiving b in another GMF than a's: that GMF's target.
    gmf = problem.gmf_of
    if problem.gmf_room.size:
        total = problem.gmf_sums(weighted)
        fits = (
            total[np.maximum(gmf, 0)][None, :] + w[:, None]
            <= problem.gmf_room[np.maximum(gmf, 0)][None, :] + 1e-9
        )
        other = (gmf[None, :] >= 0) & (gmf[None, :] != gmf[a][:, None])
        ok &= ~other | fits
    ok[np.arange(placed.size), a] = False
    return int(ok.any(axis=1).sum()), int(ok.sum())


def _level_5(problem: Problem) -> Level | None:
    """The least total distance for the placed patients and the plan's counts."""
    of = problem.physician_of
    placed = np.flatnonzero((of >= 0) & problem.flow)
    if not placed.size:
        return None
    count, _, _ = problem.totals(of)
    rows, cols = np.nonzero(problem.eligible[placed])
    if not problem.eligible[placed, of[placed]].all():
        return None  # level 1 already fails
    km = problem.km[placed[rows], cols]
    weights_differ = np.unique(problem.weight[placed]).size > 1
    m = _Milp()
    # Continuous: with the counts of each (physician, weight) integral, what is left is a
    # transportation problem, whose optimum is integral.
    x = m.cols(np.zeros(rows.size), np.ones(rows.size), integer=False)
    order = np.argsort(rows, kind="stable")
    bounds = np.searchsorted(rows[order], np.arange(placed.size + 1))
    for i in range(placed.size):
        m.row(x[order[bounds[i] : bounds[i + 1]]], 1.0, 1, 1)
    vulnerable_bound = problem.vulnerable_bound(count)
    is_v = problem.orphans.vulnerable[placed[rows]]
    w = problem.weight[placed[rows]]
    # Each GMF's columns of weighted patients (with weights: the counts do not fix them).
    gmf_cols: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for j in np.unique(cols):
        arcs = np.flatnonzero(cols == j)
        m.row(x[arcs], 1.0, float(count[j]), float(count[j]))
        vul = arcs[is_v[arcs]]
        if not weights_differ:
            if vul.size:
                m.row(x[vul], 1.0, -np.inf, float(vulnerable_bound[j]))
            continue
        # Integral counts per (physician, weight, vulnerability): given them, the rest is
        # a transportation problem (integral optimum).
        kind = np.rint(w[arcs] * 1000).astype(np.int64) * 2 + is_v[arcs]
        kinds = np.unique(kind)
        z = m.cols(np.zeros(kinds.size), np.full(kinds.size, float(count[j])), integer=True)
        for k, column in zip(kinds, z, strict=True):
            these = arcs[kind == k]
            m.row(np.r_[x[these], column], np.r_[np.ones(these.size), -1.0], 0, 0)
        m.row(z, (kinds // 2) / 1000, -np.inf, float(problem.targets.capacity[j]) + 1e-9)
        vulnerable_kinds = z[kinds % 2 == 1]
        if vulnerable_kinds.size:
            m.row(vulnerable_kinds, 1.0, -np.inf, float(vulnerable_bound[j]))
        if problem.gmf_of[j] >= 0:
            gmf_cols.setdefault(int(problem.gmf_of[j]), []).append((z, (kinds // 2) / 1000))
    for g, parts in gmf_cols.items():
        m.row(
            np.concatenate([z for z, _ in parts]),
            np.concatenate([value for _, value in parts]),
            -np.inf,
            float(problem.gmf_room[g]) + 1e-9,
        )
    best = m.optimum(x, km, maximize=False)
    ours = float(problem.km[placed, of[placed]].sum())
    if best is None:
        return Level("plan's counts infeasible", ours, float("nan"), maximize=False)
    return Level(f"{placed.size} placed", ours, best, maximize=False)
