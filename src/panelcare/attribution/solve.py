"""The attribution plan: who takes which orphans, by the formal model of
``spec/attribution.md`` (ours; docs/attribution-model.md draws the network).

The objective is lexicographic. Each level is solved exactly, as a min-cost flow on
OR-Tools (``SimpleMinCostFlow``, arcs added from numpy arrays), the result of one level
becoming a constraint of the next:

1. **placement** — as many orphans as possible, highest priority first, then oldest
   request first (then lowest patient id): each orphan left out costs its rank weight
   (the most urgent orphan weighs most). The orphans that can be placed together are the
   independent sets of a matroid (the sets a flow can route), so the minimum-cost flow
   is the greedy choice in that order: as many A as any plan could place, then as many
   A+B, and so on. The placed orphans are then fixed (they all must be routed);
2. **group precedence** — flow into group 1a, then into group 1b under the full
   workload, then the rest of group 1b, then group 2 (5.3.4, 5.3.5): tier costs
   ``0, B², B² + B, B² + B + 1`` with ``B`` one more than the placed orphans, so that a
   lower tier never outweighs a higher one. Each tier's total is then fixed;
3. **equity, then distance** — inside each tier, filled fractions as equal as whole
   patients allow: the k-th patient of physician j costs ``ceil(E k / need_j)`` (convex,
   so fractions fill evenly), times ``M`` larger than any possible total distance, plus
   the distance in tenths of a km.

The vulnerable cap (5.3.1) holds on each final panel through a per-physician quota of
vulnerable patients: first the quota the cap allows at full capacity; when a physician
ends below capacity with more vulnerable patients than the cap allows at their real
total, their quota is lowered to that and the component solved again (quotas only go
down, so this ends). Weighted clienteles work the same way: capacities are counted in
patients, and a physician whose weighted total passes their capacity has it lowered by
the excess. The final plan is optimal for the final quotas and capacities (the tests
compare it with an LP of that model solved by HiGHS).

Independent networks (connected components of orphans and candidate places) are solved
separately. Ties are broken by the order of the arcs, itself sorted by ids, so the same
input always gives the same plan.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from panelcare.attribution.candidates import Candidates, eligible_for_patients, find_candidates
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
    "Candidates",
    "Plan",
    "Progress",
    "network_for",
    "plan",
    "plan_candidates",
    "solve_flows",
]

# progress(phase, done, total): called as a long phase advances (the CLI draws a bar).
Progress = Callable[[str, int, int], None]

# Equity steps: a physician's filled fraction is priced in thousandths.
EQUITY_STEPS = 1000
# Distances enter the costs in tenths of a kilometre.
DISTANCE_UNITS_PER_KM = 10
# OR-Tools refuses costs whose range times the number of nodes would overflow 64 bits.
_COST_LIMIT = 2**62


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
    solved_of, quota = solve_flows(
        physicians,
        goals,
        orphans,
        candidates,
        params,
        in_flow=in_flow,
        progress=report,
        workers=default_workers() if workers is None else workers,
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
    )


def plan_candidates(
    physicians: Physicians, targets: Targets, orphans: Orphans, params: Params
) -> Candidates:
    """The orphans' candidates: the nearest places (``candidates.find_candidates``) and
    the place the greedy baseline would choose. With the greedy plan among the plans the
    solver may pick, it never places fewer orphans than greedy."""
    from panelcare.attribution.greedy import greedy_plan

    greedy_of, _ = greedy_plan(physicians, orphans, targets, params)
    return find_candidates(physicians, targets, orphans, params, also=greedy_of)


# --- the flow ------------------------------------------------------------------------------


def initial_quota(physicians: Physicians, targets: Targets, params: Params) -> Ints:
    """Vulnerable patients each physician may receive if they get their whole capacity:
    ``floor(cap (registered + capacity) - vulnerable)``, at least 0; 0 for a physician
    already above the cap (5.3.1)."""
    allowed = _cap_allows(
        physicians.registered + targets.capacity, physicians.vulnerable, params.vulnerable_cap
    )
    receives = targets.accepts_vulnerable & eligible_for_patients(targets)
    return np.where(receives, allowed, 0).astype(np.int64)


def _cap_allows(total: Ints, vulnerable: Ints, cap: float) -> Ints:
    """Vulnerable patients a panel of ``total`` patients holding ``vulnerable`` already
    may still take under the cap: ``floor(cap * total - vulnerable)``, at least 0."""
    # A hair of tolerance: 0.45 * 100 is 45.00000000000001 in binary floats.
    return np.maximum(0, np.floor(cap * total - vulnerable + 1e-9).astype(np.int64))


def solve_flows(
    physicians: Physicians,
    targets: Targets,
    orphans: Orphans,
    candidates: Candidates,
    params: Params,
    *,
    in_flow: Bools | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> tuple[Ints, Ints]:
    """Assign the orphans ``in_flow`` (all by default) to the candidates' physicians.

    Returns ``physician_of`` (per orphan, -1 when unassigned or not in the flow) and the
    final vulnerable quota of each physician. The components are solved in ``workers``
    processes (the result does not depend on it).
    """
    report = progress or (lambda phase, done, total: None)
    n = len(orphans)
    active = np.ones(n, dtype=bool) if in_flow is None else in_flow.copy()
    places = candidates.places
    quota = initial_quota(physicians, targets, params)
    capacity = targets.capacity.astype(np.int64).copy()
    weight = orphan_weights(orphans, params)
    rank = priority_rank(orphans)

    orphan_of_arc = np.repeat(np.arange(n), np.diff(candidates.start))
    arc_active = active[orphan_of_arc]
    physician_of = np.full(n, -1, dtype=np.int64)
    if not arc_active.any():
        return physician_of, quota

    # Components of the bipartite graph orphans - places.
    size = n + len(places)
    graph = coo_matrix(
        (
            np.ones(int(arc_active.sum()), dtype=np.int8),
            (orphan_of_arc[arc_active], n + candidates.place[arc_active]),
        ),
        shape=(size, size),
    )
    _, label = connected_components(graph, directed=False)
    orphan_label = label[:n]
    with_arcs = np.zeros(n, dtype=bool)
    with_arcs[orphan_of_arc[arc_active]] = True
    components = np.unique(orphan_label[with_arcs])
    # Orphans of each component, in orphan order: sort once, split.
    # Within a component the orphans come in patient-id order: ties in the flows are
    # broken by the arcs' order, so by ids, whatever the order of the input rows.
    id_rank = np.empty(n, dtype=np.int64)
    id_rank[np.argsort(orphans.patient_id.astype(str), kind="stable")] = np.arange(n)
    members = np.flatnonzero(with_arcs)
    members = members[np.lexsort((id_rank[members], orphan_label[members]))]
    bounds = np.searchsorted(orphan_label[members], components, side="left")
    groups = np.split(members, bounds[1:])

    networks = [
        network_for(
            component, physicians, targets, orphans, candidates, params, quota, capacity
        ).with_orphan_values(weight[component], _placement_weights(rank[component]))
        for component in groups
    ]
    # Largest first, so that the workers finish together.
    order = sorted(range(len(networks)), key=lambda c: -len(networks[c].orphans))
    for done, (c, result) in enumerate(
        _map(_solve_network, [networks[c] for c in order], order, workers)
    ):
        report("solving", done, len(networks))
        net = networks[c]
        physician_of[net.orphans] = result.physician_of
        quota[net.physicians] = result.quota
        capacity[net.physicians] = result.capacity
    report("solving", len(networks), len(networks))
    return physician_of, quota


def _map(
    function: Callable[[Network], _Result],
    networks: list[Network],
    keys: list[int],
    workers: int,
) -> Iterator[tuple[int, _Result]]:
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
    # Fixed-width strings: numpy compares them in C, not through Python objects.
    ids = orphans.patient_id.astype(str)
    order = np.lexsort((ids, orphans.requested_on, orphans.priority))
    rank = np.empty(len(orphans), dtype=np.int64)
    rank[order] = np.arange(len(orphans))
    return rank


@dataclass(frozen=True, eq=False)
class _Result:
    physician_of: Ints  # global physician index per orphan of the network, -1: unplaced
    quota: Ints  # final vulnerable quota per physician of the network
    capacity: Ints  # final capacity (in patients) per physician of the network


def _solve_network(network: Network) -> _Result:
    """Solve one independent network to its fixed point: while a physician ends above the
    vulnerable cap at their real total, or above their capacity in weighted patients,
    lower their quota or capacity and solve again (both only go down, so this ends)."""
    quota = network.quota.copy()
    limit = network.capacity  # in weighted patients
    heads = network.capacity.copy()  # the flow's capacity, in patients
    before = None
    # Drafts (level 3 without distances) until the quotas settle, then the real solve;
    # if it still breaks the cap somewhere, back to drafts.
    draft = True
    tried: _Outcome | None = None
    while True:
        outcome = tried if tried is not None else network.solve(quota, heads, before, draft=draft)
        tried = None
        assert outcome is not None
        before = outcome.before
        total, vulnerable = outcome.total, outcome.vulnerable
        # The cap on the final panel: the quota assumed the whole capacity was filled.
        allowed = _cap_allows(network.registered + total, network.existing_vulnerable, network.cap)
        over_cap = vulnerable > allowed
        quota[over_cap] = allowed[over_cap]
        if outcome.local is None:
            # A grouped draft: every orphan weighs the same.
            weight = float(network.weight[0]) if network.weight.size else 1.0
            over_weight = np.flatnonzero(total * weight - limit > 1e-9)
            fits = np.floor(limit / weight + 1e-9).astype(np.int64)
            heads[over_weight] = np.minimum(heads[over_weight], fits[over_weight])
        else:
            local = outcome.local
            placed = local >= 0
            weighted = np.bincount(
                local[placed], weights=network.weight[placed], minlength=len(total)
            )
            # Above the limit in weighted patients: allow as many patients as remain once
            # the heaviest of the current ones are taken off until the weight fits.
            over_weight = np.flatnonzero(weighted - limit > 1e-9)
            for j in over_weight:
                weights = np.sort(network.weight[local == j])[::-1]
                removed = np.searchsorted(
                    np.cumsum(weights), weighted[j] - limit[j] - 1e-9, side="left"
                )
                heads[j] = min(heads[j], total[j] - (removed + 1))
        if not (over_cap.any() or over_weight.size):
            if draft:
                draft = False
                continue
            assert outcome.local is not None
            local = outcome.local
            physician_of = np.where(local >= 0, network.physicians[np.maximum(local, 0)], -1)
            return _Result(physician_of.astype(np.int64), quota, heads)
        draft = True
        # Lowering only the violators moves their vulnerable patients to neighbours who may
        # then break the cap in turn, one round each. So the physicians under capacity
        # are also held to what the cap allows one patient below their current total
        # (never below what they hold): the patients given up then go where there is
        # room for sure. Kept only if the placed orphans and tier totals still route:
        # then they are still optimal, else the round goes on without it.
        below = _cap_allows(
            network.registered + np.maximum(total - 1, 0), network.existing_vulnerable, network.cap
        )
        tight = quota.copy()
        under = (total < heads) & ~over_cap
        tight[under] = np.minimum(quota[under], np.maximum(vulnerable[under], below[under]))
        if (tight < quota).any():
            tried = network.solve(tight, heads, before, draft=True, fallback=False)
            if tried is not None:
                quota = tight


@dataclass(eq=False)
class Network:
    """One component's flow network (node and arc layout in docs/attribution-model.md).

    ``orphans`` are the component's orphans (global indices), ``arc_place`` /
    ``arc_distance`` the candidate arcs (orphan position ``arc_orphan`` in ``orphans``),
    ``physicians`` the eligible physicians of the component's places (global indices)
    with ``physician_place`` their place's position in ``places``.
    """

    orphans: Ints
    vulnerable: Bools
    arc_orphan: Ints
    arc_place: Ints
    arc_distance_units: Ints
    places: Ints
    physicians: Ints
    physician_place: Ints
    tier: Ints
    need: Ints
    registered: Ints  # per physician of the network
    existing_vulnerable: Ints
    quota: Ints  # initial vulnerable quota
    capacity: Ints  # initial capacity, in patients
    cap: float  # the vulnerable cap
    weight: Floats = field(default_factory=lambda: np.empty(0))  # per orphan (5.3.2)
    order_weight: Ints = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    _group_table: tuple[Ints, Ints, Ints, Bools] | None = None

    def with_orphan_values(self, weight: Floats, order_weight: Ints) -> Network:
        """Set each orphan's weight and its placement weight (higher: placed first)."""
        self.weight = weight
        self.order_weight = order_weight
        return self

    def solve(
        self,
        quota: Ints,
        capacity: Ints,
        before: tuple[Bools, Ints] | None = None,
        *,
        draft: bool = False,
        fallback: bool = True,
    ) -> _Outcome | None:
        """Run the three levels with these quotas and capacities (per physician of the
        network).

        ``before``: the placed orphans and tier totals found with looser quotas or
        capacities. When they are still reachable they are still optimal (the plans now
        possible are a subset of those possible then), and the levels that found them
        are skipped: level 3 runs with them if it can, else level 2 with the placed
        orphans, else everything. ``draft``: level 3 without the distances, on grouped
        orphans when they all weigh the same (the outcome then has no assignment, only
        each physician's totals). Without ``fallback``, None instead when ``before`` no
        longer holds.
        """
        if before is not None:
            placed, tier_total = before
            outcome = self._level_3(quota, capacity, placed, tier_total, draft, strict=False)
            if outcome is not None or not fallback:
                return outcome
            flows = self._level_2(quota, capacity, placed, strict=False)
            if flows is not None:
                return self._level_3(quota, capacity, placed, self._tier_totals(flows), draft)
        else:
            # When every orphan can be placed, that is level 1's optimum: level 2 alone
            # (cheaper) says so by routing them all.
            everyone = np.zeros(len(self.orphans), dtype=bool)
            everyone[self.arc_orphan] = True
            flows = self._level_2(quota, capacity, everyone, strict=False)
            if flows is not None:
                return self._level_3(quota, capacity, everyone, self._tier_totals(flows), draft)
        # Level 1: placement. Leaving orphan i out costs its weight in the priority order.
        flows = self._run(capacity, quota, placed=None, unplaced_cost=self.order_weight)
        assert flows is not None
        placed = np.zeros(len(self.orphans), dtype=bool)
        placed[self.arc_orphan[flows.candidate > 0]] = True
        if not placed.any():
            nothing = np.zeros(len(self.physicians), dtype=np.int64)
            return _Outcome(
                np.full(len(self.orphans), -1, dtype=np.int64),
                nothing,
                nothing,
                (placed, np.zeros(4, np.int64)),
            )
        # Level 2: group precedence, the placed orphans fixed (nothing to decide when the
        # component's physicians are all of one tier). The tier totals a routing of the
        # placed orphans can reach form the bases of a polymatroid, so the increasing
        # costs 0 < 1 < 2 < 3 give the lexicographic optimum (Edmonds' greedy theorem):
        # each prefix of tiers as full as it can be.
        if np.unique(self.tier).size > 1:
            flows = self._level_2(quota, capacity, placed)
            assert flows is not None
        return self._level_3(quota, capacity, placed, self._tier_totals(flows), draft)

    def _level_2(
        self, quota: Ints, capacity: Ints, placed: Bools, *, strict: bool = True
    ) -> _Flows | None:
        """Route the ``placed`` orphans, each physician's arc costing their tier. Without
        distances nor placement weights, orphans with the same candidates and vulnerability
        are interchangeable: it runs on their groups when they all weigh the same."""
        return self._run(
            capacity,
            quota,
            placed=placed,
            physician_cost=self.tier,
            strict=strict,
            grouped=self.uniform_weight,
        )

    def _tier_totals(self, flows: _Flows) -> Ints:
        return np.bincount(self.tier, weights=flows.physician, minlength=4).astype(np.int64)

    @property
    def uniform_weight(self) -> bool:
        return bool(self.weight.size == 0 or (self.weight == self.weight[0]).all())

    def _level_3(
        self,
        quota: Ints,
        capacity: Ints,
        placed: Bools,
        tier_total: Ints,
        draft: bool,
        *,
        strict: bool = True,
    ) -> _Outcome | None:
        """Equity inside each tier, then distance (not in a draft), with these totals."""
        grouped = draft and self.uniform_weight
        flows = self._run(
            capacity,
            quota,
            placed=placed,
            tier_total=tier_total,
            with_distance=not draft,
            strict=strict,
            grouped=grouped,
        )
        if flows is None:
            return None
        local = None if grouped else self._assignments(flows)
        return _Outcome(local, flows.physician, flows.vulnerable, (placed, tier_total))

    # -- building and solving ------------------------------------------------------------

    def _run(
        self,
        cap: Ints,
        vq: Ints,
        *,
        placed: Bools | None,
        unplaced_cost: Ints | None = None,
        physician_cost: Ints | None = None,
        tier_total: Ints | None = None,
        strict: bool = True,
        with_distance: bool = True,
        grouped: bool = False,
    ) -> _Flows | None:
        """Build and solve one level's network; None when ``strict`` is off and the
        placed orphans cannot all be routed. Without ``with_distance``, level 3 weighs
        equity only (a draft: a third faster). ``grouped`` (only without distances or
        placement weights, where orphans with the same candidate places and the same
        vulnerability are interchangeable): one node per such group, supplying as many
        units as it has orphans to route; the flows then say how many each physician gets,
        not who."""
        if grouped:
            orphan_of_node, arc_node, arc_place, node_vulnerable = self._groups()
            node_supply = np.bincount(
                orphan_of_node,
                weights=np.ones(len(self.orphans)) if placed is None else placed,
                minlength=len(node_vulnerable),
            ).astype(np.int64)
            arc_capacity: npt.ArrayLike = node_supply[arc_node]
        else:
            arc_node, arc_place, node_vulnerable = self.arc_orphan, self.arc_place, self.vulnerable
            node_supply = (
                np.ones(len(self.orphans), dtype=np.int64)
                if placed is None
                else placed.astype(np.int64)
            )
            arc_capacity = 1
        no, nq, nj = len(node_vulnerable), len(self.places), len(self.physicians)
        # Node numbering: orphans, places (not vulnerable / vulnerable entries),
        # physicians, physicians' vulnerable entries, tiers, sink.
        place_n = no
        place_v = place_n + nq
        phys = place_v + nq
        phys_v = phys + nj
        tier = phys_v + nj
        sink = tier + 4
        tails: list[Ints] = []
        heads: list[Ints] = []
        caps: list[Ints] = []
        costs: list[Ints] = []

        def add(t: npt.ArrayLike, h: npt.ArrayLike, c: npt.ArrayLike, u: npt.ArrayLike) -> slice:
            start = sum(len(x) for x in tails)
            tail = np.asarray(t, dtype=np.int64)
            tails.append(tail)
            heads.append(np.asarray(h, dtype=np.int64))
            caps.append(np.broadcast_to(np.asarray(c, dtype=np.int64), tail.shape).copy())
            costs.append(np.broadcast_to(np.asarray(u, dtype=np.int64), tail.shape).copy())
            return slice(start, start + len(tail))

        m = 1
        if tier_total is not None and with_distance and not grouped:
            # Each placed orphan sends one unit, so its nearest candidate's distance can be
            # taken off all its arcs: the costs shrink, the optimum does not move.
            nearest = np.full(no, np.iinfo(np.int64).max)
            np.minimum.at(nearest, self.arc_orphan, self.arc_distance_units)
            distance = self.arc_distance_units - nearest[self.arc_orphan]
            # M, more than two routings' difference in total distance: the sum, over the
            # placed orphans, of their farthest candidate (the nearest is at 0).
            farthest = np.zeros(no, dtype=np.int64)
            np.maximum.at(farthest, self.arc_orphan, distance)
            m = int(farthest[placed].sum() if placed is not None else farthest.sum()) + 1
        else:
            distance = np.zeros(len(arc_node), dtype=np.int64)
        entry = np.where(node_vulnerable[arc_node], place_v + arc_place, place_n + arc_place)
        a_candidate = add(arc_node, entry, arc_capacity, distance)
        big = len(self.orphans)
        add(place_n + self.physician_place, phys + np.arange(nj), big, 0)
        with_quota = np.flatnonzero(vq > 0)
        add(place_v + self.physician_place[with_quota], phys_v + with_quota, big, 0)
        a_vulnerable = add(phys_v + with_quota, phys + with_quota, vq[with_quota], 0)

        if tier_total is None:
            a_physician = add(
                phys + np.arange(nj),
                np.full(nj, sink),
                cap,
                physician_cost if physician_cost is not None else 0,
            )
        else:
            a_physician = self._equity_arcs(add, phys, tier, cap, m)
            add(tier + np.arange(4), np.full(4, sink), tier_total, 0)
        if unplaced_cost is not None:
            add(np.arange(no), np.full(no, sink), 1, unplaced_cost)

        supply = np.zeros(sink + 1, dtype=np.int64)
        supply[:no] = node_supply
        supply[sink] = -int(node_supply.sum())

        tail = np.concatenate(tails)
        head = np.concatenate(heads)
        capacity = np.concatenate(caps)
        cost = np.concatenate(costs)
        if cost.size and int(np.abs(cost).max()) * (sink + 2) >= _COST_LIMIT:
            raise PanelcareError(
                f"this network is too large for exact costs ({no:,} orphans in one "
                "component): lower candidates_per_patient or keep RLS borders closed"
            )
        flow = min_cost_flow.SimpleMinCostFlow()
        arcs = flow.add_arcs_with_capacity_and_unit_cost(tail, head, capacity, cost)
        flow.set_nodes_supplies(np.arange(sink + 1), supply)
        status = flow.solve()
        if status == flow.INFEASIBLE and not strict:
            return None
        if status != flow.OPTIMAL:
            raise PanelcareError(f"the attribution flow could not be solved ({status})")
        values = flow.flows(arcs)
        per_physician = values[a_physician]
        if tier_total is not None:
            per_physician = np.bincount(
                self._unit_owner, weights=per_physician, minlength=nj
            ).astype(np.int64)
        vulnerable = np.zeros(nj, dtype=np.int64)
        vulnerable[with_quota] = values[a_vulnerable]
        return _Flows(
            candidate=values[a_candidate],
            physician=per_physician,
            vulnerable=vulnerable,
            arcs_tail=tail,
            arcs_head=head,
            values=values,
            layout=(place_n, place_v, phys, phys_v),
            cost=int(flow.optimal_cost()),
        )

    def _equity_arcs(
        self,
        add: Callable[..., slice],
        phys: int,
        tier: int,
        cap: Ints,
        m: int,
    ) -> slice:
        """Unit arcs physician -> tier: the k-th patient of physician j costs
        ``ceil(E k / need_j) * m`` (convex: fractions fill evenly); ``m`` more than any two
        routings' difference in total distance, so that equity always comes first."""
        nj = len(self.physicians)
        # No physician can take more than the orphans who have their place as candidate.
        reach = np.bincount(self.arc_place, minlength=len(self.places))[self.physician_place]
        units = np.minimum(cap, reach)
        owner = np.repeat(np.arange(nj), units)
        k = np.arange(units.sum()) - np.repeat(np.cumsum(units) - units, units) + 1
        need = np.maximum(self.need[owner], 1)
        step = -((-EQUITY_STEPS * k) // need)  # ceil
        self._unit_owner = owner
        return add(phys + owner, tier + self.tier[owner], 1, step * m)

    def _groups(self) -> tuple[Ints, Ints, Ints, Bools]:
        """Orphans with the same candidate places and vulnerability, as groups: the group
        of each orphan, and the groups' arcs (group, place) and vulnerability. Computed
        once per network."""
        if self._group_table is None:
            no = len(self.orphans)
            counts = np.bincount(self.arc_orphan, minlength=no)
            first = np.cumsum(counts) - counts
            order = np.lexsort((self.arc_place, self.arc_orphan))
            position = np.arange(len(order)) - first[self.arc_orphan[order]]
            table = np.full((no, int(counts.max(initial=0)) + 1), -1, dtype=np.int64)
            table[:, 0] = self.vulnerable
            table[self.arc_orphan[order], 1 + position] = self.arc_place[order]
            keys, group = np.unique(table, axis=0, return_inverse=True)
            rows, cols = np.nonzero(keys[:, 1:] >= 0)
            self._group_table = (
                group.ravel().astype(np.int64),
                rows.astype(np.int64),
                keys[rows, 1 + cols],
                keys[:, 0].astype(bool),
            )
        return self._group_table

    def _assignments(self, flows: _Flows) -> Ints:
        """Each orphan's physician: the orphans sent to a place entry are handed to its
        physicians by the flows place -> physician, in orphan order."""
        place_n, place_v, phys, phys_v = flows.layout
        result = np.full(len(self.orphans), -1, dtype=np.int64)
        sent = flows.candidate > 0
        orphan_pos = self.arc_orphan[sent]
        entry_place = self.arc_place[sent]
        vulnerable = self.vulnerable[orphan_pos]
        tail, head, values = flows.arcs_tail, flows.arcs_head, flows.values
        for is_vulnerable, entry_base, target_base in (
            (False, place_n, phys),
            (True, place_v, phys_v),
        ):
            mask = vulnerable == is_vulnerable
            if not mask.any():
                continue
            # Flows entry(q) -> physician (entry) nodes.
            out = (tail >= entry_base) & (tail < entry_base + len(self.places)) & (values > 0)
            out &= (head >= target_base) & (head < target_base + len(self.physicians))
            q_of_arc = tail[out] - entry_base
            j_of_arc = head[out] - target_base
            amount = values[out]
            arc_order = np.lexsort((j_of_arc, q_of_arc))
            q_of_arc, j_of_arc, amount = q_of_arc[arc_order], j_of_arc[arc_order], amount[arc_order]
            slots_q = np.repeat(q_of_arc, amount)
            slots_j = np.repeat(j_of_arc, amount)
            o = orphan_pos[mask]
            q = entry_place[mask]
            order = np.lexsort((o, q))  # positions follow patient-id order
            o, q = o[order], q[order]
            # Both lists are sorted by place and have the same count per place.
            result[o] = slots_j
            if not np.array_equal(q, slots_q):  # pragma: no cover - a broken invariant
                raise PanelcareError("flow decomposition failed")
        return result


@dataclass(frozen=True, eq=False)
class _Outcome:
    """One solve: each orphan's physician (a position in the network's physicians, -1:
    unplaced; None for a grouped draft), each physician's total and vulnerable patients,
    and the placed orphans and tier totals for the next solve."""

    local: Ints | None
    total: Ints
    vulnerable: Ints
    before: tuple[Bools, Ints]


@dataclass(frozen=True, eq=False)
class _Flows:
    candidate: Ints
    physician: Ints
    vulnerable: Ints
    arcs_tail: Ints
    arcs_head: Ints
    values: Ints
    layout: tuple[int, int, int, int]
    cost: int


def network_for(
    component: Ints,
    physicians: Physicians,
    targets: Targets,
    orphans: Orphans,
    candidates: Candidates,
    params: Params,
    quota: Ints,
    capacity: Ints,
) -> Network:
    """The flow network of the orphans ``component`` (global indices, in patient-id
    order), with the physicians' starting ``quota`` and ``capacity`` (global arrays)."""
    counts = np.diff(candidates.start)[component]
    arc_orphan = np.repeat(np.arange(len(component)), counts)
    first = candidates.start[component]
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    arc_index = np.repeat(first, counts) + offsets
    global_place = candidates.place[arc_index]
    places, arc_place = np.unique(global_place, return_inverse=True)
    places_table = candidates.places
    starts = places_table.physician_start
    per_place = starts[places + 1] - starts[places]
    physician_place = np.repeat(np.arange(len(places)), per_place)
    physician_rows = np.concatenate(
        [places_table.physicians_at(q) for q in places] or [np.empty(0, dtype=np.int64)]
    ).astype(np.int64)
    distance_units = np.rint(candidates.distance_km[arc_index] * DISTANCE_UNITS_PER_KM).astype(
        np.int64
    )
    return Network(
        orphans=component.astype(np.int64),
        vulnerable=orphans.vulnerable[component],
        arc_orphan=arc_orphan.astype(np.int64),
        arc_place=arc_place.astype(np.int64),
        arc_distance_units=distance_units,
        places=places.astype(np.int64),
        physicians=physician_rows,
        physician_place=physician_place.astype(np.int64),
        tier=targets.tier[physician_rows].astype(np.int64),
        need=targets.need[physician_rows].astype(np.int64),
        registered=physicians.registered[physician_rows].astype(np.int64),
        existing_vulnerable=physicians.vulnerable[physician_rows].astype(np.int64),
        quota=quota[physician_rows].copy(),
        capacity=capacity[physician_rows].copy(),
        cap=float(params.vulnerable_cap),
    )
