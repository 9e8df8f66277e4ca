"""A greedy attribution: the benchmark's yardstick for the planner (``bench/attribution.py``).

Each orphan in waiting-list order (priority A first, then the oldest request, then
``patient_id``) goes to the nearest physician who can still take them:

* participating, not an LE 304 physician (they receive blocks only), with remaining
  capacity for the orphan's weight (5.3.2);
* of the orphan's RLS unless ``params.cross_rls``, within ``params.max_distance_km``;
* for a vulnerable orphan: accepting vulnerable patients, and the cap holding on the
  panel as it would be after this assignment, ``V + v + 1 <= cap * (R + a + 1)`` (V, R:
  vulnerable and registered before the run; v, a: vulnerable and all patients assigned
  so far). A non-vulnerable patient only lowers the share;
* in a GMF with a target (``params.gmf_targets``, by the physicians' ``gmf_id``): room
  left in it for the orphan's weight, the members' weighted patients together staying at
  or under the target (issue 19). A physician whose GMF is full is skipped.

No precedence between groups, no equity, no LE 304 blocks: what a coordinator would do by
hand, fast. The nearest physicians come from a k-d tree (``scipy.spatial.cKDTree``) on
points of the unit sphere — the chord grows with the great-circle distance — queried for
a batch of orphans at a time, with more neighbours for an orphan whose nearest ones are
all full; the tree is rebuilt, between batches, without the physicians who filled up.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.spatial import cKDTree

from panelcare.attribution.candidates import eligible_for_patients
from panelcare.attribution.groups import category_weight
from panelcare.attribution.model import Floats, Ints, Orphans, Physicians, Targets, assignment_km
from panelcare.attribution.pace import waitlist_order
from panelcare.attribution.params import Params
from panelcare.attribution.solve import gmf_rooms
from panelcare.geo import chord_of_km, km_of_chord, unit_vectors

__all__ = ["greedy_plan"]

# Orphans whose neighbours are queried together; the tree is rebuilt between batches.
_BATCH = 8192
# Neighbours asked for first (doubled for an orphan whose nearest are all unusable).
_FIRST_K = 16
_EPSILON = 1e-9


def greedy_plan(
    physicians: Physicians, orphans: Orphans, targets: Targets, params: Params
) -> tuple[Ints, Floats]:
    """Assign each orphan to the nearest physician who can take them (see the module).

    Args:
        physicians, targets: aligned, as ``groups.targets`` returns them.
        orphans: the run's orphans (``groups.select_orphans``).
        params: the run's parameters.

    Returns:
        ``physician_of`` (per orphan, the physician's index, -1 when unassigned) and
        ``distance_km`` (``nan`` when unassigned).
    """
    n = len(orphans)
    physician_of = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan)
    eligible = np.flatnonzero(eligible_for_patients(targets))
    if n == 0 or eligible.size == 0:
        return physician_of, distance

    state = _State(physicians, targets, params)
    weight = category_weight(orphans.category, params.category_weights)
    order = waitlist_order(orphans)
    orphan_xyz = unit_vectors(orphans.latitude, orphans.longitude)
    physician_xyz = unit_vectors(physicians.latitude, physicians.longitude)
    chord = chord_of_km(params.max_distance_km)

    for group_physicians, group_orphans in _groups(physicians, orphans, eligible, order, params):
        _assign_group(
            group_physicians,
            group_orphans,
            physician_xyz,
            orphan_xyz,
            orphans.vulnerable,
            weight,
            chord,
            params.max_distance_km,
            state,
            physician_of,
        )

    return physician_of, assignment_km(physicians, orphans, physician_of)


class _State:
    """What each physician can still take, as Python lists (the loop reads them one
    element at a time, where lists are several times faster than numpy arrays)."""

    def __init__(self, physicians: Physicians, targets: Targets, params: Params) -> None:
        self.room = targets.capacity.astype(np.float64).tolist()
        self.panel = physicians.registered.astype(np.int64).tolist()  # R + a
        self.vulnerable = physicians.vulnerable.astype(np.int64).tolist()  # V + v
        self.accepts = targets.accepts_vulnerable.astype(bool).tolist()
        self.cap = float(params.vulnerable_cap)
        # Each physician's GMF with a target (-1: none) and each such GMF's room left.
        gmf_of, gmf_room = gmf_rooms(physicians, params)
        self.gmf = gmf_of.tolist()
        self.gmf_room = gmf_room.tolist()

    def is_open(self, j: int) -> bool:
        """Whether ``j`` may take anyone still: room of their own, and in their GMF."""
        g = self.gmf[j]
        return self.room[j] > _EPSILON and (g < 0 or self.gmf_room[g] > _EPSILON)

    def can_take(self, j: int, weight: float, vulnerable: bool) -> bool:
        if self.room[j] < weight - _EPSILON:
            return False
        g = self.gmf[j]
        if g >= 0 and self.gmf_room[g] < weight - _EPSILON:
            return False
        if not vulnerable:
            return True
        return self.accepts[j] and (
            self.vulnerable[j] + 1 <= self.cap * (self.panel[j] + 1) + _EPSILON
        )

    def take(self, j: int, weight: float, vulnerable: bool) -> None:
        self.room[j] -= weight
        if self.gmf[j] >= 0:
            self.gmf_room[self.gmf[j]] -= weight
        self.panel[j] += 1
        if vulnerable:
            self.vulnerable[j] += 1


def _groups(
    physicians: Physicians, orphans: Orphans, eligible: Ints, order: Ints, params: Params
) -> list[tuple[Ints, Ints]]:
    """Independent problems: each RLS's eligible physicians and orphans (in waiting-list
    order), or everyone when patients may cross RLS borders."""
    if params.cross_rls:
        return [(eligible, order)]
    import pyarrow as pa

    both = pa.array(
        np.concatenate([physicians.rls_id[eligible], orphans.rls_id[order]]), type=pa.string()
    ).dictionary_encode()
    codes = np.asarray(both.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    physician_code, orphan_code = codes[: eligible.size], codes[eligible.size :]
    by_code = np.argsort(orphan_code, kind="stable")  # keeps waiting-list order in a group
    sorted_orphans, sorted_codes = order[by_code], orphan_code[by_code]
    groups = []
    for code in np.unique(physician_code):
        lo, hi = np.searchsorted(sorted_codes, [code, code + 1])
        if hi > lo:
            groups.append((eligible[physician_code == code], sorted_orphans[lo:hi]))
    return groups


def _assign_group(
    group_physicians: Ints,
    group_orphans: Ints,
    physician_xyz: Floats,
    orphan_xyz: Floats,
    is_vulnerable: np.ndarray,
    weight: Floats,
    chord: float,
    max_km: float,
    state: _State,
    physician_of: Ints,
) -> None:
    # Physicians at one position (a site) form a place: the tree holds places, nearest
    # first, ties by place, and each place's physicians are tried in index order, so the
    # result does not depend on the tree's order among equal distances.
    _, place_of, counts = np.unique(
        physician_xyz[group_physicians], axis=0, return_inverse=True, return_counts=True
    )
    place_of = place_of.reshape(-1)
    by_place = group_physicians[np.lexsort((group_physicians, place_of))]
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    members = [by_place[lo:hi].tolist() for lo, hi in itertools.pairwise(bounds)]
    place_xyz = physician_xyz[by_place[bounds[:-1]]]
    for start in range(0, group_orphans.size, _BATCH):
        # Who still has room, and room in their GMF (both only go down: the others are
        # out for good).
        open_members = [[j for j in m if state.is_open(j)] for m in members]
        places = np.flatnonzero([len(m) > 0 for m in open_members])
        if places.size == 0:
            return
        batch = group_orphans[start : start + _BATCH]
        tree = cKDTree(place_xyz[places])
        k = min(_FIRST_K, places.size)
        chords, found = tree.query(orphan_xyz[batch], k=k, distance_upper_bound=chord)
        chords = np.asarray(chords).reshape(batch.size, k)
        found = np.asarray(found).reshape(batch.size, k)
        km = km_of_chord(chords)
        place = np.where(
            (found >= places.size) | (km > max_km), -1, places[np.minimum(found, places.size - 1)]
        )
        # Nearest first, ties by place; the empty slots (inf) last.
        order = np.lexsort((place, km), axis=1)
        place = np.take_along_axis(place, order, axis=1)
        for row, orphan in enumerate(batch.tolist()):
            w = float(weight[orphan])
            vulnerable = bool(is_vulnerable[orphan])
            chosen = -1
            for q in place[row].tolist():
                if q < 0:
                    break
                chosen = _first_able(open_members[q], w, vulnerable, state)
                if chosen >= 0:
                    break
            else:
                # All k nearest places were unusable and more may be within reach.
                if k < places.size:
                    chosen = _search_further(
                        tree,
                        places,
                        open_members,
                        orphan_xyz[orphan],
                        k,
                        chord,
                        max_km,
                        w,
                        vulnerable,
                        state,
                    )
            if chosen >= 0:
                state.take(chosen, w, vulnerable)
                physician_of[orphan] = chosen


def _first_able(physicians: list[int], weight: float, vulnerable: bool, state: _State) -> int:
    for j in physicians:
        if state.can_take(j, weight, vulnerable):
            return j
    return -1


def _search_further(
    tree: cKDTree,
    places: Ints,
    open_members: list[list[int]],
    point: Floats,
    k: int,
    chord: float,
    max_km: float,
    weight: float,
    vulnerable: bool,
    state: _State,
) -> int:
    """The nearest usable physician beyond the ``k`` nearest places, asking for twice as
    many neighbours each time; -1 when none within reach."""
    seen = k
    while seen < places.size:
        wanted = min(2 * seen, places.size)
        chords, found = tree.query(point, k=wanted, distance_upper_bound=chord)
        km = km_of_chord(np.atleast_1d(chords))
        found = np.atleast_1d(found)
        inside = (found < places.size) & (km <= max_km)
        place = np.where(inside, places[np.minimum(found, places.size - 1)], -1)
        order = np.lexsort((place, km))
        place = place[order][seen:]
        for q in place.tolist():
            if q < 0:
                return -1
            chosen = _first_able(open_members[q], weight, vulnerable, state)
            if chosen >= 0:
                return chosen
        seen = wanted
    return -1
