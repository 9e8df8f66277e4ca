"""The attribution plan: who takes which orphans, by the formal model of
``spec/attribution.md`` (ours; docs/attribution-model.md draws the networks and gives
the proofs).

The objective is lexicographic; every level is solved exactly. Each orphan's candidates
are **every** eligible physician within the maximum distance (``candidates``). Levels 1
to 4 do not depend on distances, so orphans with the same candidate places and the same
vulnerability are interchangeable there: they share one node of the network (a *class*),
and a region's 20,000 orphans make a few hundred classes.

1. **placement** (min-cost flow): each class supplies its orphans; each orphan may go to
   the sink unplaced on a unit arc costing its placement weight (distinct, highest for
   the most urgent: priority, then oldest request, then patient id). The routable sets
   are the independent sets of a gammoid, so the minimum is the greedy choice in that
   order: as many A as any plan, then A+B, ..., and no unplaced orphan could replace a
   newer request of its priority;
2. **group precedence** (min-cost flow, the placed orphans fixed): physician arcs cost
   their tier 0 < 1 < 2 < 3 (a polymatroid: each prefix of tiers as full as it can be);
3. **equity** (min-cost flow, each tier's total fixed): the k-th patient of physician j
   costs the rank of ``k / need_j`` among all such fractions of the network (exact
   integer ranks: a convex cost per physician, so the minimum has no single move that
   lowers the higher of two fills);
4. **distance** (min-cost flow, each physician's count fixed): one arc per orphan and
   candidate place, in metres. With the counts fixed the vulnerable cap is a plain bound
   on each physician's vulnerable patients, ``floor(cap (R + n) - V)``.

The cap is held **exactly**: levels 1-3 are solved with each physician's vulnerable quota
at its loosest (what the cap allows at full capacity), a relaxation of the model. If the
distance level, run with the exact bounds at the counts found, is feasible, that plan
attains every relaxed optimum while keeping the cap: it is lexicographically optimal. If
not (the cap binds), or when the network's orphans weigh differently (weighted
capacities are side constraints), levels 1-3 are solved instead as mixed-integer
programs with HiGHS over the classes (the cap and the weighted capacities as linear
constraints), then the distance level with the counts they give.

Where the cap binds, the relaxation's values of levels 1-2 (upper bounds of the model's)
are first asked of the MILP at once: a plan reaching them is optimal at both levels.

Each level's value is returned beside a proven bound (``Plan.bounds``): equal everywhere
without weights and without ``milp_seconds``. A time limit (``milp_seconds``, for the
province; ``MILP_SECONDS`` with weights) keeps each stopped solve's best plan and its
bound, so the plan says how far from optimal it may be.

Independent networks (connected components of orphans and candidate places) are solved
separately. Ties are broken by the order of the arcs and variables, itself sorted by
ids, so the same input always gives the same plan.
"""

from __future__ import annotations

import datetime
import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from panelcare.attribution.candidates import (
    Candidates,
    Places,
    eligible_for_patients,
    find_candidates,
)
from panelcare.attribution.model import (
    Bools,
    Floats,
    Ints,
    Orphans,
    Physicians,
    Targets,
    assignment_km,
)
from panelcare.attribution.params import Params
from panelcare.errors import PanelcareError

__all__ = [
    "LEVELS",
    "Candidates",
    "LevelBound",
    "Plan",
    "Progress",
    "plan",
    "plan_candidates",
    "solve_flows",
]

# progress(phase, done, total): called as a long phase advances (the CLI draws a bar).
Progress = Callable[[str, int, int], None]

# Distances enter the costs in metres.
DISTANCE_UNITS_PER_KM = 1000
# Each mixed-integer solve stops after this many seconds with the best plan found (only
# weighted capacities make them hard; docs/attribution-model.md).
MILP_SECONDS = 2.0
# OR-Tools refuses costs whose range times the number of nodes would overflow 64 bits.
_COST_LIMIT = 2**62


@dataclass(frozen=True)
class LevelBound:
    """One level of the lexicographic objective: the plan's ``value`` and a ``bound`` no
    plan can pass (an upper bound when ``maximize``), given the levels before it at the
    plan's values. Equal when the level is proven optimal; a mixed-integer solve stopped
    by its time limit leaves a gap (HiGHS's dual bound)."""

    level: str
    value: float
    bound: float
    maximize: bool

    @property
    def gap(self) -> float:
        """How far the bound is from the value, as a share of the value (0 when proven)."""
        distance = self.bound - self.value if self.maximize else self.value - self.bound
        return max(distance, 0.0) / max(abs(self.value), 1.0)


# The levels' names, in the objective's order (LevelBound.level).
LEVELS = (
    *(f"placed {'ABCDE'[: k + 1]}" for k in range(5)),
    "request age",
    "group 1a",
    "groups 1a and 1b under 3 units",
    "group 1",
    "equity",
    "distance",
)


@dataclass(frozen=True, eq=False)
class Plan:
    """A run's result. Per orphan (aligned with ``orphans``): ``physician_of`` (index into
    ``physicians``, -1 when unassigned), ``distance_km`` (nan when unassigned), ``le304``
    (placed by an LE 304 block), ``month`` (1..period_months, 0 when unassigned). Per
    physician (aligned with ``physicians``): ``vulnerable_quota`` (vulnerable patients the
    plan allowed them), ``monthly_pace``.
    """

    physicians: Physicians
    orphans: Orphans
    targets: Targets
    params: Params
    run_date: datetime.date
    candidates: Candidates
    physician_of: Ints
    distance_km: Floats
    le304: Bools
    month: Ints
    vulnerable_quota: Ints
    monthly_pace: Ints
    # Each level of the objective, the plan's value beside a proven bound (one per level,
    # summed over the networks; empty for a plan read back or rebuilt by hand).
    bounds: tuple[LevelBound, ...] = ()

    def assigned_count(self) -> Ints:
        """Orphans assigned to each physician."""
        placed = self.physician_of[self.physician_of >= 0]
        return np.bincount(placed, minlength=len(self.physicians)).astype(np.int64)

    def assigned_vulnerable(self) -> Ints:
        """Vulnerable orphans assigned to each physician."""
        placed = (self.physician_of >= 0) & self.orphans.vulnerable
        return np.bincount(self.physician_of[placed], minlength=len(self.physicians)).astype(
            np.int64
        )


def plan(
    physicians: Physicians,
    waitlist: Orphans,
    params: Params,
    run_date: datetime.date,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    milp_seconds: float | None = None,
) -> Plan:
    """The attribution plan for ``run_date``.

    Args:
        physicians: the region's physicians (the contract's ``physicians`` table).
        waitlist: the waiting list (``waitlist``), patients of departing physicians
            included (``previous_physician_id`` set).
        params: the run's parameters.
        run_date: the day the run is for (departures before 1 January of the next year
            count; years of practice are counted to it).
        progress: called as long phases advance.
        workers: processes solving the independent networks (default: one per core);
            the plan does not depend on it.
        milp_seconds: a time limit for each mixed-integer solve (the vulnerable cap
            binding, or weighted patients). Default: none without weights (the plan is
            exact), ``MILP_SECONDS`` with them. A solve stopped by it keeps its best plan,
            and the plan's ``bounds`` say how far from optimal it can be.

    Returns:
        The :class:`Plan`: its orphans are the waiting-list rows this run distributes
        (``groups.select_orphans``), in the waiting list's order.
    """
    from panelcare.attribution.groups import le304_blocks, select_orphans, targets
    from panelcare.attribution.pace import assign_months, monthly_pace

    report = progress or (lambda phase, done, total: None)
    selection = select_orphans(waitlist, physicians, params, run_date)
    orphans: Orphans = waitlist.take(np.flatnonzero(selection.orphan))  # type: ignore[assignment]
    goals = targets(physicians, params, run_date)
    blocks = le304_blocks(orphans, physicians, goals, params)

    report("candidates", 0, 1)
    candidates = plan_candidates(physicians, goals, orphans, params)
    report("candidates", 1, 1)

    physician_of = np.full(len(orphans), -1, dtype=np.int64)
    le304 = np.zeros(len(orphans), dtype=bool)
    physician_of[blocks.orphan] = blocks.physician
    le304[blocks.orphan] = True

    in_flow = physician_of < 0
    weight = orphan_weights(orphans, params)
    given = np.bincount(
        blocks.physician, weights=weight[blocks.orphan], minlength=len(physicians)
    ).astype(np.float64)
    solved_of, quota, bounds = solve_flows(
        physicians,
        goals,
        orphans,
        candidates,
        params,
        in_flow=in_flow,
        given=given,
        progress=report,
        workers=default_workers() if workers is None else workers,
        milp_seconds=milp_seconds,
    )
    physician_of[in_flow] = solved_of[in_flow]

    distance = assignment_km(physicians, orphans, physician_of)
    placed = physician_of >= 0

    months = assign_months(orphans, physician_of, len(physicians), params.period_months)
    assigned = np.bincount(physician_of[placed], minlength=len(physicians)).astype(np.int64)
    return Plan(
        physicians=physicians,
        orphans=orphans,
        targets=goals,
        params=params,
        run_date=run_date,
        candidates=candidates,
        physician_of=physician_of,
        distance_km=distance,
        le304=le304,
        month=months,
        vulnerable_quota=quota,
        monthly_pace=monthly_pace(assigned, params.period_months),
        bounds=bounds,
    )


def plan_candidates(
    physicians: Physicians, targets: Targets, orphans: Orphans, params: Params
) -> Candidates:
    """The orphans' candidates: every eligible place within reach
    (``candidates.find_candidates``)."""
    return find_candidates(physicians, targets, orphans, params)


# --- the cap ------------------------------------------------------------------------------


def _cap_fraction(cap: float) -> tuple[int, int]:
    """The cap as an exact fraction p / q (0.45 is 9 / 20)."""
    f = Fraction(str(cap)).limit_denominator(10_000)
    return f.numerator, f.denominator


def _cap_facets(
    registered: int, vulnerable: int, most: int, cap: float
) -> list[tuple[int, int, int]]:
    """The cap on one physician's final panel as linear cuts on (n, v), the patients and
    the vulnerable patients they receive (``0 <= v <= n <= most``): the facets
    ``a v - b n <= c`` of the convex hull of the integer points with
    ``v <= floor(cap (R + n) - V)``, i.e. the upper concave envelope of that staircase
    (exact integers). Valid for every plan, and the tightest linear form of the cap: the
    mixed-integer programs branch much less than on the cap's own row."""
    p, q = _cap_fraction(cap)
    n = np.arange(most + 1, dtype=np.int64)
    top = np.minimum(n, (p * (registered + n) - q * vulnerable) // q)
    hull: list[tuple[int, int]] = []
    for point in zip(n.tolist(), top.tolist(), strict=True):
        # Upper hull, left to right (monotone chain): drop points under the chord.
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (point[1] - y1) - (y2 - y1) * (point[0] - x1) >= 0:
                hull.pop()
            else:
                break
        hull.append(point)
    facets = []
    for (x1, y1), (x2, y2) in itertools.pairwise(hull):
        a, b = x2 - x1, y2 - y1
        facets.append((a, b, a * y1 - b * x1))
    if len(hull) == 1:  # most == 0: nothing to bound
        facets.append((1, 0, int(hull[0][1])))
    return facets


def _cap_allows(total: Ints, vulnerable: Ints, cap: float) -> Ints:
    """Vulnerable patients a panel of ``total`` patients holding ``vulnerable`` already
    may still take under the cap: ``floor(cap * total - vulnerable)``, at least 0 (exact
    integer arithmetic)."""
    p, q = _cap_fraction(cap)
    return np.maximum(
        0, (p * np.asarray(total, np.int64) - q * np.asarray(vulnerable, np.int64)) // q
    )


def initial_quota(physicians: Physicians, targets: Targets, params: Params) -> Ints:
    """Vulnerable patients each physician may receive if they get their whole capacity:
    ``floor(cap (registered + capacity) - vulnerable)``, at least 0; 0 for a physician
    already above the cap (5.3.1)."""
    allowed = _cap_allows(
        physicians.registered + targets.capacity, physicians.vulnerable, params.vulnerable_cap
    )
    receives = targets.accepts_vulnerable & eligible_for_patients(targets)
    return np.where(receives, allowed, 0).astype(np.int64)


# --- the GMFs ------------------------------------------------------------------------------


def gmf_rooms(
    physicians: Physicians, params: Params, given: Floats | None = None
) -> tuple[Ints, Floats]:
    """Each physician's GMF with a target (an index into the sorted ids of
    ``params.gmf_targets``, -1 for none) and each such GMF's room in the flow: its target
    less the weighted patients its members already have from the run (``given``: LE 304
    blocks), at least 0. A GMF without a target has no limit: its members count as none."""
    names = sorted(params.gmf_targets)
    target = np.array([params.gmf_targets[g] for g in names], dtype=np.float64)
    index = {g: k for k, g in enumerate(names)}
    gmf_of = np.array([index.get(str(g), -1) for g in physicians.gmf_id], dtype=np.int64)
    used: Floats = np.zeros(len(names))
    if given is not None and names:
        member = gmf_of >= 0
        used = np.bincount(gmf_of[member], weights=given[member], minlength=len(names)).astype(
            np.float64
        )
    return gmf_of, np.maximum(target - used, 0.0)


def _gmf_places(places: Places, gmf_of: Ints) -> tuple[Ints, Ints]:
    """The (place, GMF) pairs of the places' physicians who are in a GMF with a target."""
    per_place = np.diff(places.physician_start)
    place = np.repeat(np.arange(len(places)), per_place)
    gmf = gmf_of[places.physician]
    keep = gmf >= 0
    return place[keep].astype(np.int64), gmf[keep]


# --- the networks -------------------------------------------------------------------------


def solve_flows(
    physicians: Physicians,
    targets: Targets,
    orphans: Orphans,
    candidates: Candidates,
    params: Params,
    *,
    in_flow: Bools | None = None,
    given: Floats | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    milp_seconds: float | None = None,
) -> tuple[Ints, Ints, tuple[LevelBound, ...]]:
    """Assign the orphans ``in_flow`` (all by default) to the candidates' physicians.

    ``given``: weighted patients each physician already has from this run outside the
    flow (LE 304 blocks), taken off their GMF's target (``params.gmf_targets``).

    Returns ``physician_of`` (per orphan, -1 when unassigned or not in the flow) and each
    physician's vulnerable quota: what the cap allows at their final total,
    ``floor(cap (R + assigned) - V)`` (0 for a physician above the cap or not taking
    patients). The components are solved in ``workers`` processes (the result does not
    depend on it), and each level's value and bound, summed over the components
    (``milp_seconds``: :func:`plan`).
    """
    report = progress or (lambda phase, done, total: None)
    n = len(orphans)
    active = np.ones(n, dtype=bool) if in_flow is None else in_flow.copy()
    places = candidates.places
    physician_of = np.full(n, -1, dtype=np.int64)
    weight = orphan_weights(orphans, params)
    rank = priority_rank(orphans)
    totals = {level: [0.0, 0.0] for level in LEVELS}
    gmf_of, gmf_room = gmf_rooms(physicians, params, given)
    # A target at or above what its members could take in all never binds: left out, the
    # plan is the one without it, arc for arc.
    member = (gmf_of >= 0) & eligible_for_patients(targets)
    most = np.bincount(gmf_of[member], weights=targets.capacity[member], minlength=gmf_room.size)
    binds = np.r_[gmf_room < most, False]  # the last for -1: no GMF
    gmf_of = np.where(binds[gmf_of], gmf_of, -1)

    orphan_of_arc = np.repeat(np.arange(n), np.diff(candidates.start))
    arc_active = active[orphan_of_arc]
    if arc_active.any():
        # A GMF's members share its target: their places are joined through a node of
        # the GMF, so that all of them are in one network (docs/attribution-model.md).
        member_place, member_gmf = _gmf_places(places, gmf_of)
        size = n + len(places) + gmf_room.size
        graph = coo_matrix(
            (
                np.ones(int(arc_active.sum()) + member_place.size, dtype=np.int8),
                (
                    np.r_[orphan_of_arc[arc_active], n + member_place],
                    np.r_[
                        n + candidates.place[arc_active],
                        n + len(places) + member_gmf,
                    ],
                ),
            ),
            shape=(size, size),
        )
        _, label = connected_components(graph, directed=False)
        orphan_label = label[:n]
        with_arcs = np.zeros(n, dtype=bool)
        with_arcs[orphan_of_arc[arc_active]] = True
        components = np.unique(orphan_label[with_arcs])
        # Within a component the orphans come in patient-id order: ties are broken by the
        # arcs' order, so by ids, whatever the order of the input rows.
        id_rank = np.empty(n, dtype=np.int64)
        id_rank[np.argsort(orphans.patient_id.astype(str), kind="stable")] = np.arange(n)
        members = np.flatnonzero(with_arcs)
        members = members[np.lexsort((id_rank[members], orphan_label[members]))]
        bounds = np.searchsorted(orphan_label[members], components, side="left")
        groups = np.split(members, bounds[1:])
        networks = [
            network_for(
                c,
                physicians,
                targets,
                orphans,
                candidates,
                params,
                weight,
                rank,
                milp_seconds,
                gmf=(gmf_of, gmf_room),
            )
            for c in groups
        ]
        order = sorted(range(len(networks)), key=lambda c: -len(networks[c].orphans))
        for done, (c, (local, levels)) in enumerate(
            _map(_solve_network, [networks[c] for c in order], order, workers)
        ):
            report("solving", done, len(networks))
            net = networks[c]
            physician_of[net.orphans] = np.where(
                local >= 0, net.physicians[np.maximum(local, 0)], -1
            )
            for level, value, bound in levels:
                totals[level][0] += value
                totals[level][1] += bound
        report("solving", len(networks), len(networks))
    placed = physician_of >= 0
    total = np.bincount(physician_of[placed], minlength=len(physicians))
    quota = np.where(
        targets.accepts_vulnerable & eligible_for_patients(targets),
        _cap_allows(physicians.registered + total, physicians.vulnerable, params.vulnerable_cap),
        0,
    ).astype(np.int64)
    maximize = {level: level not in ("equity", "distance") for level in LEVELS}
    proof = tuple(
        LevelBound(level, value, bound, maximize[level]) for level, (value, bound) in totals.items()
    )
    return physician_of, quota, proof


def _map(
    function: Callable[[Network], Solved],
    networks: list[Network],
    keys: list[int],
    workers: int,
) -> Iterator[tuple[int, Solved]]:
    """``function`` over the networks, in ``workers`` processes when more than one."""
    if workers <= 1 or len(networks) <= 1:
        for key, network in zip(keys, networks, strict=True):
            yield key, function(network)
        return
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from zip(keys, pool.map(function, networks, chunksize=1), strict=True)


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _placement_weights(rank: Ints) -> Ints:
    """Distinct positive weights, highest for the lowest rank: ``len - position``. Only
    their order matters (the greedy theorem), so they stay small: small costs are faster."""
    weights = np.empty(len(rank), dtype=np.int64)
    weights[np.argsort(rank)] = np.arange(len(rank), 0, -1)
    return weights


def orphan_weights(orphans: Orphans, params: Params) -> Floats:
    """Each orphan's weight when filling a target (5.3.2): the category's, else 1."""
    weight = np.ones(len(orphans))
    for category, value in params.category_weights.items():
        weight[orphans.category == category] = value
    return weight


def priority_rank(orphans: Orphans) -> Ints:
    """Each orphan's rank, 0 for the first to place: priority, then oldest request, then
    patient id."""
    ids = orphans.patient_id.astype(str)
    order = np.lexsort((ids, orphans.requested_on, orphans.priority))
    rank = np.empty(len(orphans), dtype=np.int64)
    rank[order] = np.arange(len(orphans))
    return rank


@dataclass(eq=False)
class Network:
    """One component: its orphans (global indices, patient-id order) and their candidate
    arcs (``arc_orphan`` a position in ``orphans``, ``arc_place`` a position in
    ``places``, ``arc_metres``), and the eligible physicians of its places (global
    indices, ``physician_place`` their place's position)."""

    orphans: Ints
    vulnerable: Bools
    priority: Ints
    requested: Ints  # days
    placement_weight: Ints  # distinct, highest for the most urgent
    weight: Floats  # 5.3.2
    arc_orphan: Ints
    arc_place: Ints
    arc_metres: Ints
    places: Ints
    physicians: Ints
    physician_place: Ints
    tier: Ints
    need: Ints
    registered: Ints
    existing_vulnerable: Ints
    accepts: Bools
    capacity: Ints  # weighted patients
    cap: float
    milp_seconds: float | None = None  # plan()
    # Each physician's GMF with a target (a position in gmf_room, -1: none) and each GMF's
    # room: the most weighted patients its members together receive in the flow.
    gmf: Ints = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    gmf_room: Floats = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        if self.gmf.size != len(self.physicians):
            self.gmf = np.full(len(self.physicians), -1, dtype=np.int64)

    @property
    def uniform_weight(self) -> bool:
        return bool(self.weight.size == 0 or (self.weight == self.weight[0]).all())

    @property
    def gmf_tier(self) -> Ints | None:
        """Each GMF's tier when all its members here share one (the GMFs then nest in the
        tiers: the equity network stays a flow); None when some GMF spans tiers."""
        member = self.gmf >= 0
        tiers = np.full(self.gmf_room.size, -1, dtype=np.int64)
        tiers[self.gmf[member]] = self.tier[member]
        if (tiers[self.gmf[member]] != self.tier[member]).any():
            return None
        return tiers

    def gmf_heads(self, w: float) -> Ints:
        """Each GMF's room in patients of weight ``w``."""
        return np.floor(self.gmf_room / w + 1e-9).astype(np.int64)

    def sets(self) -> tuple[Ints, Ints, Ints]:
        """Orphans with the same candidate places: each orphan's set, and the sets' arcs
        (set, place), sorted."""
        no = len(self.orphans)
        counts = np.bincount(self.arc_orphan, minlength=no)
        first = np.cumsum(counts) - counts
        order = np.lexsort((self.arc_place, self.arc_orphan))
        position = np.arange(len(order)) - first[self.arc_orphan[order]]
        table = np.full((no, int(counts.max(initial=0))), -1, dtype=np.int64)
        table[self.arc_orphan[order], position] = self.arc_place[order]
        keys, inverse = np.unique(table, axis=0, return_inverse=True)
        rows, cols = np.nonzero(keys >= 0)
        return inverse.ravel().astype(np.int64), rows.astype(np.int64), keys[rows, cols]


def network_for(
    component: Ints,
    physicians: Physicians,
    targets: Targets,
    orphans: Orphans,
    candidates: Candidates,
    params: Params,
    weight: Floats,
    rank: Ints,
    milp_seconds: float | None = None,
    *,
    gmf: tuple[Ints, Floats] | None = None,
) -> Network:
    """The network of the orphans ``component`` (global indices, in patient-id order);
    ``gmf``: each physician's GMF and each GMF's room (:func:`gmf_rooms`), none by
    default."""
    counts = np.diff(candidates.start)[component]
    arc_orphan = np.repeat(np.arange(len(component)), counts)
    first = candidates.start[component]
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    arc_index = np.repeat(first, counts) + offsets
    places, arc_place = np.unique(candidates.place[arc_index], return_inverse=True)
    table = candidates.places
    starts = table.physician_start
    per_place = starts[places + 1] - starts[places]
    physician_place = np.repeat(np.arange(len(places)), per_place)
    rows = np.concatenate(
        [table.physicians_at(q) for q in places] or [np.empty(0, dtype=np.int64)]
    ).astype(np.int64)
    metres = np.rint(candidates.distance_km[arc_index] * DISTANCE_UNITS_PER_KM).astype(np.int64)
    local_gmf = np.full(rows.size, -1, dtype=np.int64)
    room = np.empty(0)
    if gmf is not None:
        gmf_of, gmf_room = gmf
        member = gmf_of[rows] >= 0
        present, local_gmf[member] = np.unique(gmf_of[rows][member], return_inverse=True)
        room = gmf_room[present]
    return Network(
        orphans=component.astype(np.int64),
        vulnerable=orphans.vulnerable[component].astype(bool),
        priority=orphans.priority[component].astype(np.int64),
        requested=orphans.requested_on[component].astype("datetime64[D]").astype(np.int64),
        placement_weight=_placement_weights(rank[component]),
        weight=weight[component],
        arc_orphan=arc_orphan.astype(np.int64),
        arc_place=arc_place.astype(np.int64).ravel(),
        arc_metres=metres,
        places=places.astype(np.int64),
        physicians=rows,
        physician_place=physician_place.astype(np.int64),
        tier=targets.tier[rows].astype(np.int64),
        need=targets.need[rows].astype(np.int64),
        registered=physicians.registered[rows].astype(np.int64),
        existing_vulnerable=physicians.vulnerable[rows].astype(np.int64),
        accepts=targets.accepts_vulnerable[rows].astype(bool),
        capacity=targets.capacity[rows].astype(np.int64),
        cap=float(params.vulnerable_cap),
        milp_seconds=milp_seconds,
        gmf=local_gmf,
        gmf_room=room.astype(np.float64),
    )


# A network's plan (each orphan's physician, a position in ``net.physicians``, -1:
# unplaced) and its levels: (level, value, bound).
Solved = tuple[Ints, list[tuple[str, float, float]]]


def _solve_network(net: Network) -> Solved:
    """Each orphan's physician (a position in ``net.physicians``, -1: unplaced), and the
    levels' values and bounds."""
    bounds: tuple[Bools, Ints] | None = None
    if net.uniform_weight:
        w = float(net.weight[0]) if net.weight.size else 1.0
        heads = np.floor(net.capacity / w + 1e-9).astype(np.int64)
        relaxed = _Relaxed(net, heads)
        placed, count = relaxed.levels()
        # Where a GMF spans tiers, the relaxation stops at level 2 (equity is no flow).
        local = _distance_level(net, placed, count) if relaxed.equity else None
        if local is not None:
            # Proven by the relaxation (docs/attribution-model.md): every bound is reached.
            values = _level_values(net, local, relaxed.units)
            return local, [(level, value, value) for level, value in values]
        bounds = (placed, count)
    exact = _Exact(net, bounds)
    placed, count = exact.levels()
    solved = {level: (value, bound) for level, value, bound in exact.record}
    if net.uniform_weight:
        local = _distance_level(net, placed, count)
        if local is None:  # pragma: no cover - the MILP's plan keeps the cap
            raise PanelcareError("the attribution's distance level found no plan")
    else:
        local, (_, *distance) = _distance_level_weighted(net, placed, count)
        solved["distance"] = (distance[0], distance[1])
    # A level not solved on its own (no orphan of its priorities, one group only) is
    # determined by the levels before it: its value is its bound.
    values = _level_values(net, local, None)
    return local, [(level, *solved.get(level, (value, value))) for level, value in values] + [
        ("equity", *solved["equity"])
    ]


def _metres(net: Network, local: Ints) -> int:
    """The plan's total distance in metres."""
    chosen = local[net.arc_orphan]
    on = chosen >= 0
    on[on] = net.physician_place[chosen[on]] == net.arc_place[on]
    return int(net.arc_metres[on].sum())


def _level_values(net: Network, local: Ints, units: Ints | None) -> list[tuple[str, float]]:
    """Each level's value for the plan ``local`` (the relaxation's equity costs, on
    ``units``: the same scale as its own level 3; none without ``units``)."""
    placed = local >= 0
    values: list[tuple[str, float]] = [
        (LEVELS[k], float((placed & (net.priority <= k)).sum())) for k in range(5)
    ]
    values.append(("request age", float(net.placement_weight[placed].sum())))
    count = np.bincount(local[placed], minlength=len(net.physicians))
    per_tier = np.bincount(net.tier, weights=count, minlength=4)
    for last in range(3):
        values.append((LEVELS[6 + last], float(per_tier[: last + 1].sum())))
    if units is not None:
        owner, cost = _equity_costs(net.need, units)
        first = np.cumsum(units) - units
        taken = (np.arange(owner.size) - first[owner]) < count[owner]
        values.append(("equity", float(cost[taken].sum())))
    values.append(("distance", float(_metres(net, local))))
    return values


def _equity_costs(need: Ints, units: Ints) -> tuple[Ints, Ints]:
    """Unit costs of equity: the k-th patient of physician j (k = 1..units_j) costs the
    dense rank of ``k / need_j`` among all of them, from 1. Exact: two such fractions with
    numerators and denominators under 2^26 are equal as floats only when equal as
    rationals. Returns each unit's owner and cost."""
    owner = np.repeat(np.arange(len(units)), units)
    k = np.arange(int(units.sum())) - np.repeat(np.cumsum(units) - units, units) + 1
    fill = k / np.maximum(need[owner], 1)
    _, rank = np.unique(fill, return_inverse=True)
    return owner, rank.ravel().astype(np.int64) + 1


def _reach(net: Network, orphan_count: Ints | None = None) -> Ints:
    """Per physician, the orphans who have their place among their candidates."""
    per_place = np.zeros(len(net.places), dtype=np.int64)
    np.add.at(
        per_place,
        net.arc_place,
        1 if orphan_count is None else orphan_count[net.arc_orphan],
    )
    return per_place[net.physician_place]


class _Relaxed:
    """Levels 1-3 as min-cost flows on classes (same candidate set and vulnerability), the
    cap relaxed to its quota at full capacity. The members of a GMF with a target reach
    the sink through the GMF's node, whose arc holds its room. Level 3 is a flow only when
    each GMF's members share one tier (``equity``: whether :meth:`levels` solved it)."""

    def __init__(self, net: Network, heads: Ints) -> None:
        self.net = net
        self.heads = heads
        set_of, set_arc, set_place = net.sets()
        key = set_of * 2 + net.vulnerable
        classes, self.class_of = np.unique(key, return_inverse=True)
        self.class_of = self.class_of.ravel()
        self.class_vulnerable = (classes % 2).astype(bool)
        class_set = classes // 2
        # Class arcs: the set's places.
        set_start = np.searchsorted(set_arc, np.arange(set_of.max(initial=-1) + 2))
        lengths = set_start[class_set + 1] - set_start[class_set]
        self.arc_class = np.repeat(np.arange(len(classes)), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        self.arc_place = set_place[np.repeat(set_start[class_set], lengths) + offsets]
        self.size = np.bincount(self.class_of, minlength=len(classes)).astype(np.int64)
        # Level 3's units (equity costs): also the scale of its value in Plan.bounds.
        self.units = np.minimum(heads, _reach(net))
        full = _cap_allows(net.registered + heads, net.existing_vulnerable, net.cap)
        self.quota = np.where(net.accepts, np.minimum(full, heads), 0).astype(np.int64)
        self.gmf_heads = net.gmf_heads(float(net.weight[0]) if net.weight.size else 1.0)
        self.equity = False

    def _tier_cost(self, supply: Ints) -> Ints:
        """The physicians' costs of level 2 (each prefix of tiers as full as it can be,
        the supply all placed). Costs 0-3 by tier when every GMF lies in one tier: a
        cycle of the residual network then changes two tiers by one patient, so the
        least cost fills each prefix. A GMF across tiers lets a cycle move patients
        between more tiers (in at one member, out at another): the costs are then
        weighted so that one more patient in a prefix outweighs any change of the later
        prefixes, ``T`` patients at most (docs/attribution-model.md)."""
        net = self.net
        if net.gmf_tier is not None:
            return net.tier
        total = int(supply.sum())
        later = total + 1
        first = later * later  # > later * total + total
        return np.array([0, first, first + later, first + later + 1], np.int64)[net.tier]

    def levels(self) -> tuple[Bools, Ints]:
        net = self.net
        n = len(net.orphans)
        everyone = np.ones(n, dtype=bool)
        flows = self._run(self.size, physician_cost=self._tier_cost(self.size), strict=False)
        if flows is not None:
            placed = everyone
        else:
            flows = self._run(self.size, unplaced=True)
            assert flows is not None
            placed = flows.placed
        supply = np.bincount(self.class_of, weights=placed, minlength=len(self.size)).astype(
            np.int64
        )
        if np.unique(net.tier).size > 1 and not (flows.tier_cost and flows.placed_all):
            flows = self._run(supply, physician_cost=self._tier_cost(supply))
            assert flows is not None
        tier_total = np.bincount(net.tier, weights=flows.physician, minlength=4).astype(np.int64)
        if net.gmf_tier is None:
            # A GMF across tiers: the tier totals and its room are two crossing families
            # of sums, not one network; the MILP solves level 3 (_Exact).
            return placed, flows.physician
        self.equity = True
        flows = self._run(supply, tier_total=tier_total)
        assert flows is not None
        return placed, flows.physician

    def _run(
        self,
        supply: Ints,
        *,
        unplaced: bool = False,
        physician_cost: Ints | None = None,
        tier_total: Ints | None = None,
        equity: tuple[Ints, Ints] | None = None,
        strict: bool = True,
    ) -> _Flows | None:
        net = self.net
        nk, nq, nj = len(supply), len(net.places), len(net.physicians)
        ng = net.gmf_room.size
        entry_n = nk
        entry_v = entry_n + nq
        phys_v = entry_v + nq
        phys = phys_v + nj
        tier = phys + nj
        gmf = tier + 4
        sink = gmf + ng
        member = net.gmf >= 0
        arcs = _Arcs()
        vul = self.class_vulnerable[self.arc_class]
        arcs.add(
            self.arc_class,
            np.where(vul, entry_v, entry_n) + self.arc_place,
            supply[self.arc_class],
            0,
        )
        big = int(supply.sum())
        arcs.add(entry_n + net.physician_place, phys + np.arange(nj), big, 0)
        with_quota = np.flatnonzero(self.quota > 0)
        arcs.add(entry_v + net.physician_place[with_quota], phys_v + with_quota, big, 0)
        a_vulnerable = arcs.add(phys_v + with_quota, phys + with_quota, self.quota[with_quota], 0)
        owner = None
        if tier_total is None:
            a_physician = arcs.add(
                phys + np.arange(nj),
                np.where(member, gmf + net.gmf, sink),
                self.heads,
                0 if physician_cost is None else physician_cost,
            )
            arcs.add(gmf + np.arange(ng), np.full(ng, sink), self.gmf_heads, 0)
        else:
            owner, cost = _equity_costs(net.need, self.units) if equity is None else equity
            # Each GMF nests in its members' tier. Where one spans tiers (only for the
            # bound of a stopped equity level, _equity_without_cap) its room is left out:
            # a relaxation still.
            gmf_tier = net.gmf_tier
            via = member[owner] & (gmf_tier is not None)
            a_physician = arcs.add(
                phys + owner, np.where(via, gmf + net.gmf[owner], tier + net.tier[owner]), 1, cost
            )
            if gmf_tier is not None:
                arcs.add(gmf + np.arange(ng), tier + gmf_tier, self.gmf_heads, 0)
            arcs.add(tier + np.arange(4), np.full(4, sink), tier_total, 0)
        a_unplaced = None
        if unplaced:
            # One unit arc per orphan from its class, in patient-id order.
            a_unplaced = arcs.add(
                self.class_of, np.full(len(net.orphans), sink), 1, net.placement_weight
            )
        values = arcs.solve(sink, supply, strict=strict)
        if values is None:
            return None
        per_physician = values[a_physician]
        if owner is not None:
            per_physician = np.bincount(owner, weights=per_physician, minlength=nj).astype(np.int64)
        vulnerable = np.zeros(nj, dtype=np.int64)
        vulnerable[with_quota] = values[a_vulnerable]
        placed = np.ones(len(net.orphans), dtype=bool)
        if a_unplaced is not None:
            placed = values[a_unplaced] == 0
        return _Flows(
            physician=per_physician,
            vulnerable=vulnerable,
            placed=placed,
            placed_all=a_unplaced is None,
            tier_cost=physician_cost is not None,
        )


@dataclass(frozen=True, eq=False)
class _Flows:
    physician: Ints
    vulnerable: Ints
    placed: Bools
    placed_all: bool
    tier_cost: bool


class _Arcs:
    """A min-cost flow built from numpy arrays, solved by OR-Tools."""

    def __init__(self) -> None:
        self.tails: list[Ints] = []
        self.heads: list[Ints] = []
        self.caps: list[Ints] = []
        self.costs: list[Ints] = []
        self.count = 0

    def add(self, t: npt.ArrayLike, h: npt.ArrayLike, c: npt.ArrayLike, u: npt.ArrayLike) -> slice:
        tail = np.asarray(t, dtype=np.int64)
        self.tails.append(tail)
        self.heads.append(np.asarray(h, dtype=np.int64))
        self.caps.append(np.broadcast_to(np.asarray(c, dtype=np.int64), tail.shape).copy())
        self.costs.append(np.broadcast_to(np.asarray(u, dtype=np.int64), tail.shape).copy())
        start = self.count
        self.count += len(tail)
        return slice(start, self.count)

    def solve(self, sink: int, supply: Ints, *, strict: bool = True) -> Ints | None:
        """Flows per arc; None when ``strict`` is off and the supplies cannot all reach the
        sink. Supplies: ``supply`` on the first nodes, their total taken at ``sink``."""
        tail = np.concatenate(self.tails)
        head = np.concatenate(self.heads)
        cost = np.concatenate(self.costs)
        if cost.size and int(np.abs(cost).max()) * (sink + 2) >= _COST_LIMIT:
            raise PanelcareError("this network is too large for exact costs")
        nodes = np.zeros(sink + 1, dtype=np.int64)
        nodes[: len(supply)] = supply
        nodes[sink] = -int(supply.sum())
        flow = min_cost_flow.SimpleMinCostFlow()
        arcs = flow.add_arcs_with_capacity_and_unit_cost(
            tail, head, np.concatenate(self.caps), cost
        )
        flow.set_nodes_supplies(np.arange(sink + 1), nodes)
        status = flow.solve()
        if status == flow.INFEASIBLE and not strict:
            return None
        if status != flow.OPTIMAL:
            raise PanelcareError(f"the attribution flow could not be solved ({status})")
        return np.asarray(flow.flows(arcs), dtype=np.int64)


def _distance_level(net: Network, placed: Bools, count: Ints) -> Ints | None:
    """The placed orphans to physicians with ``count`` patients each, the cap as a bound
    on each one's vulnerable patients at that count, at the least total distance; None
    when the cap cannot hold at these counts."""
    local = np.full(len(net.orphans), -1, dtype=np.int64)
    if not placed.any():
        return local
    bound = np.where(
        net.accepts, _cap_allows(net.registered + count, net.existing_vulnerable, net.cap), 0
    )
    ids = np.flatnonzero(placed)
    position = np.full(len(net.orphans), -1, dtype=np.int64)
    position[ids] = np.arange(ids.size)
    keep = placed[net.arc_orphan]
    arc_o = position[net.arc_orphan[keep]]
    arc_q = net.arc_place[keep]
    metres = net.arc_metres[keep]
    # Each placed orphan sends one unit: its nearest candidate's distance can be taken off
    # all its arcs (the costs shrink, the optimum does not move).
    nearest = np.full(ids.size, np.iinfo(np.int64).max)
    np.minimum.at(nearest, arc_o, metres)
    no, nq, nj = ids.size, len(net.places), len(net.physicians)
    entry_n = no
    entry_v = entry_n + nq
    phys_v = entry_v + nq
    phys = phys_v + nj
    sink = phys + nj
    vul = net.vulnerable[ids][arc_o]
    arcs = _Arcs()
    a_candidate = arcs.add(
        arc_o, np.where(vul, entry_v, entry_n) + arc_q, 1, metres - nearest[arc_o]
    )
    a_normal = arcs.add(entry_n + net.physician_place, phys + np.arange(nj), no, 0)
    with_bound = np.flatnonzero(bound > 0)
    a_vul_entry = arcs.add(entry_v + net.physician_place[with_bound], phys_v + with_bound, no, 0)
    arcs.add(phys_v + with_bound, phys + with_bound, bound[with_bound], 0)
    arcs.add(phys + np.arange(nj), np.full(nj, sink), count, 0)
    values = arcs.solve(sink, np.ones(no, dtype=np.int64), strict=False)
    if values is None:
        return None
    sent = values[a_candidate] > 0
    entries = np.where(vul[sent], entry_v, entry_n) + arc_q[sent]
    orphan_pos = arc_o[sent]
    # Hand the orphans of each entry to its physicians by the flows, in patient-id order.
    tail = np.concatenate(
        [entry_n + net.physician_place, entry_v + net.physician_place[with_bound]]
    )
    head_j = np.concatenate([np.arange(nj), with_bound])
    amount = np.concatenate([values[a_normal], values[a_vul_entry]])
    return _hand_out(local, ids, orphan_pos, entries, tail, head_j, amount)


def _hand_out(
    local: Ints,
    ids: Ints,
    orphan_pos: Ints,
    orphan_node: Ints,
    node: Ints,
    physician: Ints,
    amount: Ints,
) -> Ints:
    """Give the orphans that entered each ``orphan_node`` to the physicians the flow sent
    them to (``amount`` from ``node`` to ``physician``), in patient-id order within a node
    and physician-id order among its physicians: the plan's ties by id."""
    order = np.lexsort((physician, node))
    slots_node = np.repeat(node[order], amount[order])
    slots_j = np.repeat(physician[order], amount[order])
    by_node = np.lexsort((orphan_pos, orphan_node))
    if not np.array_equal(orphan_node[by_node], slots_node):  # pragma: no cover
        raise PanelcareError("flow decomposition failed")
    local[ids[orphan_pos[by_node]]] = slots_j
    return local


# --- the exact levels with the cap (HiGHS) ------------------------------------------------


def _seconds(net: Network) -> float:
    """Each mixed-integer solve's time limit: ``plan``'s ``milp_seconds``, else none
    without weights and ``MILP_SECONDS`` with them."""
    if net.milp_seconds is not None:
        return net.milp_seconds
    return float("inf") if net.uniform_weight else MILP_SECONDS


class _Milp:
    """A HiGHS model built from numpy arrays."""

    def __init__(self, seconds: float = float("inf")) -> None:
        import highspy

        self.hs = highspy
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("mip_rel_gap", 0.0)
        self.h.setOptionValue("mip_abs_gap", 0.0)
        self.h.setOptionValue("threads", 1)
        self.h.setOptionValue("random_seed", 0)
        self.h.setOptionValue("time_limit", seconds)
        self.proven = True
        # (level, value, bound) of each solve given a level's name.
        self.record: list[tuple[str, float, float]] = []
        self.start: Floats | None = None
        self.n = 0
        self.upper = np.empty(0)  # each column's upper bound

    def cols(self, upper: npt.ArrayLike, integer: bool) -> Ints:
        upper = np.asarray(upper, dtype=np.float64)
        k = upper.size
        if k == 0:
            return np.empty(0, dtype=np.int64)
        self.h.addCols(
            k,
            np.zeros(k),
            np.zeros(k),
            upper,
            0,
            np.zeros(k, np.int32),
            np.empty(0, np.int32),
            np.empty(0),
        )
        index = np.arange(self.n, self.n + k)
        if integer:
            self.h.changeColsIntegrality(
                k, index.astype(np.int32), np.full(k, self.hs.HighsVarType.kInteger)
            )
        self.n += k
        self.upper = np.r_[self.upper, upper]
        return index

    def row(self, index: npt.ArrayLike, value: npt.ArrayLike, lower: float, upper: float) -> int:
        index = np.asarray(index, dtype=np.int32)
        coefficient = np.broadcast_to(np.asarray(value, dtype=np.float64), index.shape).copy()
        self.h.addRow(lower, upper, index.size, index, coefficient)
        return int(self.h.getNumRow()) - 1

    def rows(
        self, owner: Ints, index: Ints, value: npt.ArrayLike, lower: Floats, upper: Floats
    ) -> None:
        """One row per distinct ``owner`` (sorted), summing ``value * x[index]``."""
        order = np.argsort(owner, kind="stable")
        owners = owner[order]
        starts = np.searchsorted(owners, np.unique(owners)).astype(np.int32)
        coefficient = np.broadcast_to(np.asarray(value, dtype=np.float64), owner.shape)[order]
        self.h.addRows(
            starts.size,
            np.asarray(lower, np.float64),
            np.asarray(upper, np.float64),
            owner.size,
            starts,
            index[order].astype(np.int32),
            coefficient.astype(np.float64),
        )

    @contextmanager
    def _without_presolve(self) -> Iterator[None]:
        """HiGHS's presolve, on a model with the ages' row (one dense row of large
        coefficients), ran 24 s past a 1 s time limit on a province network, where the
        solve without it took 0.75 s (docs/attribution-model.md): off for those."""
        self.h.setOptionValue("presolve", "off")
        try:
            yield
        finally:
            self.h.setOptionValue("presolve", "choose")

    def optimum(
        self,
        index: Ints,
        value: npt.ArrayLike,
        *,
        maximize: bool,
        level: str = "",
        presolve: bool = True,
        last: bool = False,
    ) -> float:
        costs = np.zeros(self.n)
        np.add.at(costs, index, value)
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), costs)
        self.h.changeObjectiveSense(
            self.hs.ObjSense.kMaximize if maximize else self.hs.ObjSense.kMinimize
        )
        if self.start is None:
            # Placing nobody is a plan of the model: a solve stopped by its time limit
            # always has one to keep.
            self.start = np.zeros(self.n)
        if self.start is not None:
            # The previous level's plan is feasible here too: a first incumbent.
            start = self.hs.HighsSolution()
            start.col_value = list(self.start)
            self.h.setSolution(start)
        if presolve:
            self.h.run()
        else:
            with self._without_presolve():
                self.h.run()
        status = self.h.getModelStatus()
        if status == self.hs.HighsModelStatus.kTimeLimit and self.h.getSolution().value_valid:
            # Not proven optimal within the time limit (weighted capacities: knapsack-like);
            # the best plan found is kept, and stays feasible for the next levels.
            self.proven = False
        elif status != self.hs.HighsModelStatus.kOptimal:
            raise PanelcareError(
                f"the attribution's exact solve failed ({self.h.modelStatusToString(status)})"
            )
        self.start = self._solution()
        info = self.h.getInfo()
        found = float(info.objective_function_value)
        if level:
            # A stopped solve's dual bound; an optimal one's is its value (up to HiGHS's
            # tolerances, which a zero gap leaves at the value).
            bound = found
            if status != self.hs.HighsModelStatus.kOptimal:
                bound = float(info.mip_dual_bound)
                if not np.isfinite(bound) and last:
                    bound = self._relaxed_bound()
                if not np.isfinite(bound):
                    # Stopped before any bound: the columns' own bounds give one (the
                    # costs are never negative when minimising).
                    top = float(np.sum(np.maximum(costs, 0) * self.upper))
                    bound = top if maximize else 0.0
            self.record.append((level, found, bound))
        return found

    def _relaxed_bound(self) -> float:
        """The optimum of the model's linear relaxation (a bound of the mixed-integer
        one), or nan if the time limit stops it too. Only after the last level: the
        integrality is taken away for good."""
        every = np.arange(self.n, dtype=np.int32)
        self.h.changeColsIntegrality(
            self.n, every, np.full(self.n, self.hs.HighsVarType.kContinuous)
        )
        with self._without_presolve():
            self.h.run()
        if self.h.getModelStatus() != self.hs.HighsModelStatus.kOptimal:
            return float("nan")
        return float(self.h.getInfo().objective_function_value)

    def _solution(self) -> Floats:
        return np.asarray(self.h.getSolution().col_value)

    def values(self) -> Floats:
        """The values of the last plan kept (the last solve's)."""
        assert self.start is not None
        return self.start

    def feasible(self) -> bool:
        """Whether the model has a plan (found within the time limit); its values then."""
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), np.zeros(self.n))
        with self._without_presolve():
            self.h.run()
        status = self.h.getModelStatus()
        if status == self.hs.HighsModelStatus.kOptimal:
            self.start = self._solution()
            return True
        return False

    def drop_rows(self, first: int) -> None:
        """Remove the rows from ``first`` on."""
        count = int(self.h.getNumRow()) - first
        if count > 0:
            self.h.deleteRows(count, np.arange(first, first + count, dtype=np.int32))

    def fix(self, index: Ints, value: npt.ArrayLike) -> None:
        """Fix the columns ``index`` at ``value``."""
        v = np.broadcast_to(np.asarray(value, dtype=np.float64), index.shape)
        self.h.changeColsBounds(index.size, index.astype(np.int32), v, v)
        self.upper[index] = v


class _Exact:
    """Levels 1-3 as mixed-integer programs over classes (same candidate set,
    vulnerability, priority and weight) and *kinds* (same weight and vulnerability).

    Integers: ``y[c]`` the placed orphans of class c, and ``z[j, t]`` the patients of
    kind t that physician j receives. The patients of class c sent to j, ``x[c, j]``, are
    continuous: every constraint that is not a network constraint (the cap
    ``q (V + v) <= p (R + n)``, the weighted capacities, the priority prefixes, the tier
    totals, equity) is written on ``y`` and ``z`` alone, and for integral ``y`` and ``z``
    the ``x`` of each kind form a transportation problem with integral supplies and
    demands, whose polytope is integral: the optimum of each level is that of the model
    with integral ``x``. A few hundred integers instead of one per class and physician.

    * level 1: for A, A+B, ..., A..E the most placed, each optimum a constraint; then the
      most total age (older requests weigh more, ``s[c, k]`` the k-th oldest of class c,
      concave): no unplaced orphan could replace a newer request of its priority, since
      that swap would keep every count and raise the total age;
    * level 2: the placed counts per class fixed, each prefix of tiers as full as it can be;
    * level 3: the least sum of the equity ranks (``u[j, k]``, convex).
    """

    def __init__(self, net: Network, relaxed: tuple[Bools, Ints] | None = None) -> None:
        self.net = net
        self.relaxed = relaxed  # the relaxation's placed orphans and counts
        self.record: list[tuple[str, float, float]] = []

    def _reach_relaxed(
        self, m: _Milp, y: Ints, c_pri: Ints, s: Ints, age: Floats, z: Ints, tier: Ints
    ) -> bool:
        """Ask for the relaxation's values of levels 1 and 2 at once (rows: at least each
        of them, so exactly); True, with the levels recorded as proven, when a plan of
        the model reaches them; else the rows are taken away again."""
        assert self.relaxed is not None
        net = self.net
        placed, count = self.relaxed
        first_row = int(m.h.getNumRow())
        targets: list[tuple[str, Ints, npt.ArrayLike, float]] = []
        for level in range(5):
            value = float((placed & (net.priority <= level)).sum())
            targets.append((LEVELS[level], y[c_pri <= level], 1.0, value))
        targets.append(("request age", s, age, float(net.placement_weight[placed].sum())))
        per_tier = np.bincount(net.tier, weights=count, minlength=4)
        for last in range(3):
            targets.append(
                (LEVELS[6 + last], z[tier <= last], 1.0, float(per_tier[: last + 1].sum()))
            )
        for _, cols, coefficient, value in targets:
            if cols.size:
                m.row(cols, coefficient, value - 0.5, np.inf)
        if m.feasible():
            self.record.extend((level, value, value) for level, _, _, value in targets)
            return True
        m.drop_rows(first_row)
        return False

    def levels(self) -> tuple[Bools, Ints]:
        net = self.net
        n, nj = len(net.orphans), len(net.physicians)
        set_of, set_arc, set_place = net.sets()
        wkey = np.rint(net.weight * 1000).astype(np.int64)
        key = np.column_stack([set_of, net.vulnerable, net.priority, wkey])
        classes, class_of = np.unique(key, axis=0, return_inverse=True)
        class_of = class_of.ravel()
        nc = len(classes)
        size = np.bincount(class_of, minlength=nc)
        c_set, c_vul, c_pri = classes[:, 0], classes[:, 1].astype(bool), classes[:, 2]
        kinds, c_kind = np.unique(classes[:, [3, 1]], axis=0, return_inverse=True)
        c_kind = c_kind.ravel()
        nt = len(kinds)
        t_weight = kinds[:, 0] / 1000.0
        t_vul = kinds[:, 1].astype(bool)
        # Pairs (class, physician): the physicians of the class's set's places.
        place_start = np.searchsorted(net.physician_place, np.arange(len(net.places) + 1))
        set_start = np.searchsorted(set_arc, np.arange(int(set_of.max(initial=-1)) + 2))
        lo, hi = set_start[c_set], set_start[c_set + 1]
        arc_c = np.repeat(np.arange(nc), hi - lo)
        arc_q = set_place[
            np.arange((hi - lo).sum())
            - np.repeat(np.cumsum(hi - lo) - (hi - lo), hi - lo)
            + np.repeat(lo, hi - lo)
        ]
        per = place_start[arc_q + 1] - place_start[arc_q]
        pair_c = np.repeat(arc_c, per)
        pair_j = place_start[np.repeat(arc_q, per)] + (
            np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
        )
        keep = ~c_vul[pair_c] | net.accepts[pair_j]
        pair_c, pair_j = pair_c[keep], pair_j[keep]
        # z: one per (physician, kind) that some pair reaches.
        zkey, pair_z = np.unique(pair_j * nt + c_kind[pair_c], return_inverse=True)
        pair_z = pair_z.ravel()
        z_j, z_t = zkey // nt, zkey % nt
        z_reach = np.bincount(pair_z, weights=size[pair_c], minlength=zkey.size)
        heads = np.floor(net.capacity / max(float(net.weight.min(initial=1.0)), 1e-9) + 1e-9)
        # Solved to the end without weights; with them, MILP_SECONDS per solve.
        m = _Milp(_seconds(net))
        self.record = m.record
        x = m.cols(size[pair_c], integer=False)
        y = m.cols(size, integer=True)
        z = m.cols(np.minimum(z_reach, heads[z_j]), integer=True)
        # s: the k-th oldest of each class (requested, then patient-id order).
        in_class = np.lexsort((np.arange(n), net.requested, class_of))
        s = m.cols(np.ones(n), integer=False)
        s_class = class_of[in_class]
        # Older requests weigh more, then lower ids (the placement weights, distinct).
        age = net.placement_weight[in_class].astype(np.float64)
        # Class rows: sum_j x - y = 0, sum_k s - y = 0.
        m.rows(
            np.r_[pair_c, np.arange(nc)],
            np.r_[x, y],
            np.r_[np.ones(pair_c.size), -np.ones(nc)],
            np.zeros(nc),
            np.zeros(nc),
        )
        m.rows(
            np.r_[s_class, np.arange(nc)],
            np.r_[s, y],
            np.r_[np.ones(n), -np.ones(nc)],
            np.zeros(nc),
            np.zeros(nc),
        )
        # (physician, kind) rows: sum_c x - z = 0.
        m.rows(
            np.r_[pair_z, np.arange(zkey.size)],
            np.r_[x, z],
            np.r_[np.ones(pair_z.size), -np.ones(zkey.size)],
            np.zeros(zkey.size),
            np.zeros(zkey.size),
        )
        # Capacities, in weighted patients.
        js = np.unique(z_j)
        m.rows(
            z_j, z, t_weight[z_t], np.full(js.size, -np.inf), net.capacity[js].astype(np.float64)
        )
        # The GMFs' targets: their members' weighted patients together.
        member = net.gmf[z_j] >= 0
        if member.any():
            gmf = net.gmf[z_j[member]]
            gs = np.unique(gmf)
            m.rows(
                gmf, z[member], t_weight[z_t[member]], np.full(gs.size, -np.inf), net.gmf_room[gs]
            )
        # The cap, for physicians receiving vulnerable ones: the facets of the integer
        # hull of {(n, v): v <= floor(cap (R + n) - V)} (v vulnerable of n patients).
        z_bound = np.minimum(z_reach, heads[z_j])
        most = np.bincount(z_j, weights=z_bound, minlength=nj).astype(np.int64)
        for j in np.unique(z_j[t_vul[z_t]]):
            mine = np.flatnonzero(z_j == j)
            for a, b, c in _cap_facets(
                int(net.registered[j]), int(net.existing_vulnerable[j]), int(most[j]), net.cap
            ):
                m.row(z[mine], np.where(t_vul[z_t[mine]], a - b, -b), -np.inf, c)
        tier = net.tier[z_j]
        # The relaxation's levels 1 and 2 bound the model's: when one plan of the model
        # reaches them all, it is optimal at both levels, found with one solve instead
        # of nine (docs/attribution-model.md).
        reached = self.relaxed is not None and self._reach_relaxed(m, y, c_pri, s, age, z, tier)
        # Level 1: each priority prefix, then the total age.
        for level in range(5) if not reached else ():
            cols = y[c_pri <= level]
            if not cols.size:
                continue
            best = round(m.optimum(cols, 1.0, maximize=True, level=LEVELS[level]))
            m.row(cols, 1.0, best - 0.5, np.inf)
        if not reached:
            m.optimum(s, age, maximize=True, level="request age", presolve=False)
        placed_count = np.rint(m.values()[y]).astype(np.int64)
        m.fix(y, placed_count)
        # The ages have done their work: fixed, presolve takes them out of the next levels.
        m.fix(s, m.values()[s])
        # Level 2: group precedence.
        if np.unique(net.tier).size > 1 and not reached:
            for last in range(3):
                cols = z[tier <= last]
                if cols.size:
                    best = round(m.optimum(cols, 1.0, maximize=True, level=LEVELS[6 + last]))
                    m.row(cols, 1.0, best - 0.5, np.inf)
        # Level 3: equity.
        # Each physician's units: at most the placed orphans who can reach them, and
        # their tier's total (fixed by level 2: the prefixes at their optimum and the
        # placed all assigned).
        previous = m.values()
        reach_placed = np.bincount(pair_j, weights=placed_count[pair_c], minlength=nj)
        tier_total = np.rint(np.bincount(tier, weights=previous[z], minlength=4))
        units = np.minimum(np.minimum(heads, reach_placed), tier_total[net.tier]).astype(np.int64)
        owner, cost = _equity_costs(net.need, units)
        u = m.cols(np.ones(owner.size), integer=False)
        given = np.rint(np.bincount(z_j, weights=previous[z], minlength=nj)).astype(np.int64)
        first = np.cumsum(units) - units
        m.start = np.r_[previous, (np.arange(owner.size) - first[owner]) < given[owner]]
        rows = np.unique(np.r_[z_j, owner])
        m.rows(
            np.r_[z_j, owner],
            np.r_[z, u],
            np.r_[np.ones(z.size), -np.ones(owner.size)],
            np.zeros(rows.size),
            np.zeros(rows.size),
        )
        m.optimum(u, cost.astype(np.float64), maximize=False, level="equity", last=True)
        values = m.values()
        count = np.rint(np.bincount(z_j, weights=values[z], minlength=nj)).astype(np.int64)
        # The placed: the y_c oldest of each class.
        rank_in_class = np.arange(n) - np.searchsorted(s_class, s_class)
        placed = np.zeros(n, dtype=bool)
        placed[in_class[rank_in_class < placed_count[s_class]]] = True
        name, found, bound = self.record[-1]
        if bound < found and net.uniform_weight:
            tiers = tier_total.astype(np.int64)
            flow_bound = _equity_without_cap(net, placed, owner, cost, units, tiers)
            self.record[-1] = (name, found, max(bound, flow_bound))
        return placed, count


def _equity_without_cap(
    net: Network, placed: Bools, owner: Ints, cost: Ints, units: Ints, tier_total: Ints
) -> float:
    """A bound of the equity level where its solve was stopped: the same level without
    the cap (the vulnerable patients free to go to any physician who accepts them), a
    relaxation solved exactly as a min-cost flow, with the same placed orphans, tier
    totals and costs. 0 if no such flow (it always has one)."""
    heads = np.floor(net.capacity / float(net.weight[0] if net.weight.size else 1.0) + 1e-9)
    free = _Relaxed(net, heads.astype(np.int64))
    free.quota = np.where(net.accepts, free.heads, 0).astype(np.int64)
    supply = np.bincount(free.class_of, weights=placed, minlength=len(free.size))
    flows = free._run(
        supply.astype(np.int64), tier_total=tier_total, equity=(owner, cost), strict=False
    )
    if flows is None:  # pragma: no cover - the stopped plan is such a flow
        return 0.0
    first = np.cumsum(units) - units
    taken = (np.arange(owner.size) - first[owner]) < flows.physician[owner]
    return float(cost[taken].sum())


def _distance_level_weighted(
    net: Network, placed: Bools, count: Ints
) -> tuple[Ints, tuple[str, float, float]]:
    """Level 4 with weighted patients: the placed orphans and each physician's count
    fixed, the least total distance under the cap's bound and the weighted capacities
    (side constraints): a MILP whose integers are the patients of each weight and
    vulnerability sent from a place to each of its physicians (``y``); the orphans'
    arcs (``x``) then form a transportation problem, solved again as a flow to read it."""
    ids = np.flatnonzero(placed)
    local = np.full(len(net.orphans), -1, dtype=np.int64)
    if not ids.size:
        return local, ("distance", 0.0, 0.0)
    wkey = np.rint(net.weight * 1000).astype(np.int64)
    kinds, kind_of = np.unique(np.column_stack([wkey, net.vulnerable]), axis=0, return_inverse=True)
    kind_of = kind_of.ravel()
    nk = len(kinds)
    position = np.full(len(net.orphans), -1, dtype=np.int64)
    position[ids] = np.arange(ids.size)
    keep = placed[net.arc_orphan]
    arc_o = position[net.arc_orphan[keep]]
    arc_q = net.arc_place[keep]
    metres = net.arc_metres[keep]
    arc_node = arc_q * nk + kind_of[ids][arc_o]  # (place, kind) nodes
    nodes, node_of_arc = np.unique(arc_node, return_inverse=True)
    node_of_arc = node_of_arc.ravel()
    node_q, node_k = nodes // nk, nodes % nk
    place_start = np.searchsorted(net.physician_place, np.arange(len(net.places) + 1))
    lengths = place_start[node_q + 1] - place_start[node_q]
    y_node = np.repeat(np.arange(nodes.size), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    y_j = place_start[np.repeat(node_q, lengths)] + offsets
    y_kind = node_k[y_node]
    y_vul = kinds[y_kind, 1].astype(bool)
    y_w = kinds[y_kind, 0] / 1000.0
    bound = np.where(
        net.accepts, _cap_allows(net.registered + count, net.existing_vulnerable, net.cap), 0
    )
    m = _Milp(_seconds(net))
    x = m.cols(np.ones(arc_o.size), integer=False)
    upper = count[y_j].astype(np.float64)
    upper[y_vul & (bound[y_j] == 0)] = 0
    y = m.cols(upper, integer=True)
    m.rows(arc_o, x, 1.0, np.ones(ids.size), np.ones(ids.size))
    m.rows(
        np.r_[node_of_arc, y_node],
        np.r_[x, y],
        np.r_[np.ones(x.size), -np.ones(y.size)],
        np.zeros(nodes.size),
        np.zeros(nodes.size),
    )
    js = np.unique(y_j)
    m.rows(y_j, y, 1.0, count[js].astype(np.float64), count[js].astype(np.float64))
    m.rows(y_j, y, y_w, np.full(js.size, -np.inf), net.capacity[js] + 1e-9)
    # The counts fixed do not fix the GMFs' weighted patients: their targets as rows.
    member = net.gmf[y_j] >= 0
    if member.any():
        gmf = net.gmf[y_j[member]]
        gs = np.unique(gmf)
        m.rows(gmf, y[member], y_w[member], np.full(gs.size, -np.inf), net.gmf_room[gs] + 1e-9)
    if y_vul.any():
        vj = np.unique(y_j[y_vul])
        m.rows(y_j[y_vul], y[y_vul], 1.0, np.full(vj.size, -np.inf), bound[vj].astype(np.float64))
    m.optimum(x, metres.astype(np.float64), maximize=False, level="distance", last=True)
    amount = np.rint(m.values()[y]).astype(np.int64)
    # The orphans to (place, kind) nodes at the least distance, as a flow.
    demand = np.bincount(y_node, weights=amount, minlength=nodes.size).astype(np.int64)
    arcs = _Arcs()
    no = ids.size
    a_candidate = arcs.add(arc_o, no + node_of_arc, 1, metres)
    sink = no + nodes.size
    arcs.add(no + np.arange(nodes.size), np.full(nodes.size, sink), demand, 0)
    values = arcs.solve(sink, np.ones(no, dtype=np.int64))
    assert values is not None
    sent = values[a_candidate] > 0
    node = node_of_arc[sent]
    orphan_pos = arc_o[sent]
    return _hand_out(local, ids, orphan_pos, node, y_node, y_j, amount), m.record[-1]
