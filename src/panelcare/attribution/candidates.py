"""Candidate physicians of each orphan, found with a spatial index.

Physicians practise at a few places (a province: 10,000 physicians at about 1,500
sites), so the candidates are the *places*: each orphan is offered the
``params.candidates_per_patient`` nearest places within ``params.max_distance_km`` that
have an eligible physician (of the orphan's RLS unless ``params.cross_rls``), and every
eligible physician of those places. The solver then has one arc per orphan and place,
not per orphan and physician.

Distances are great-circle distances (``panelcare.geo.haversine_km``); the k-d tree
(``scipy.spatial.cKDTree``) works on points of the unit sphere, where the straight-line
(chord) distance grows with the great-circle distance, so "nearest" is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from panelcare.attribution.model import Floats, Ints, Orphans, Physicians, Targets
from panelcare.attribution.params import Params
from panelcare.geo import chord_of_km, haversine_km, km_of_chord, unit_vectors

__all__ = ["Candidates", "Places", "eligible_for_patients", "find_candidates", "places_of"]


@dataclass(frozen=True, eq=False)
class Places:
    """Where the eligible physicians practise: one row per (RLS, site, position).

    ``physician_start``/``physician`` list each place's eligible physicians (CSR, by
    physician index, ascending); ``of_physician`` gives each physician's place (-1 when
    not eligible for individual patients).
    """

    rls_id: np.ndarray
    site_id: np.ndarray
    latitude: Floats
    longitude: Floats
    physician_start: Ints
    physician: Ints
    of_physician: Ints

    def __len__(self) -> int:
        return len(self.site_id)

    def physicians_at(self, place: int) -> Ints:
        return self.physician[self.physician_start[place] : self.physician_start[place + 1]]


@dataclass(frozen=True, eq=False)
class Candidates:
    """Each orphan's candidate places, nearest first, in CSR form, and their physicians.

    The candidate places of orphan ``i`` are ``place[start[i]:start[i + 1]]`` at
    ``distance_km[start[i]:start[i + 1]]`` (ascending; the greedy baseline's place, when
    added, last);
    :meth:`of` expands them to physicians.
    """

    start: Ints
    place: Ints
    distance_km: Floats
    places: Places

    def of(self, orphan: int) -> tuple[Ints, Floats]:
        """The candidate physicians of ``orphan`` and their distances, nearest first."""
        lo, hi = self.start[orphan], self.start[orphan + 1]
        physicians = [self.places.physicians_at(q) for q in self.place[lo:hi]]
        counts = np.array([len(p) for p in physicians], dtype=np.int64)
        if not physicians:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return np.concatenate(physicians), np.repeat(self.distance_km[lo:hi], counts)

    def orphans_of(self, physician: int) -> Ints:
        """The orphans who had ``physician`` among their candidates (ascending)."""
        place = self.places.of_physician[physician]
        if place < 0:
            return np.empty(0, dtype=np.int64)
        rows = np.flatnonzero(self.place == place)
        return np.searchsorted(self.start, rows, side="right") - 1

    def counts(self) -> Ints:
        """How many candidate places each orphan has."""
        return np.diff(self.start)


def eligible_for_patients(targets: Targets) -> np.ndarray:
    """Physicians the solver may give individual orphans: participating, with room, and
    not an LE 304 physician (who receives blocks only)."""
    return (targets.tier >= 0) & (targets.capacity > 0) & ~targets.le304


def places_of(physicians: Physicians, targets: Targets) -> Places:
    """Group the physicians eligible for individual patients by place."""
    eligible = np.flatnonzero(eligible_for_patients(targets))
    of_physician = np.full(len(physicians), -1, dtype=np.int64)
    if eligible.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return Places(
            np.empty(0, dtype=object),
            np.empty(0, dtype=object),
            np.empty(0),
            np.empty(0),
            np.zeros(1, dtype=np.int64),
            empty,
            of_physician,
        )
    keys = np.array(
        [
            f"{r}\x1f{s}\x1f{lat!r}\x1f{lon!r}"
            for r, s, lat, lon in zip(
                physicians.rls_id[eligible],
                physicians.site_id[eligible],
                physicians.latitude[eligible],
                physicians.longitude[eligible],
                strict=True,
            )
        ],
        dtype=object,
    )
    # Places in the order of their key (RLS, site, position): deterministic, whatever the
    # order of the physicians file.
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    # Within a place, physicians in id order: ties go to the lower id.
    order = np.lexsort((physicians.physician_id[eligible].astype(str), inverse))
    by_place = eligible[order]
    counts = np.bincount(inverse, minlength=unique.size)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    of_physician[eligible] = inverse
    rows = eligible[first]
    return Places(
        physicians.rls_id[rows],
        physicians.site_id[rows],
        physicians.latitude[rows].astype(np.float64),
        physicians.longitude[rows].astype(np.float64),
        start,
        by_place.astype(np.int64),
        of_physician,
    )


def find_candidates(
    physicians: Physicians,
    targets: Targets,
    orphans: Orphans,
    params: Params,
    also: Ints | None = None,
) -> Candidates:
    """Each orphan's nearest places with an eligible physician (see the module).

    ``also`` (per orphan, a physician index or -1) adds that physician's place to the
    orphan's candidates when it is not among them: the planner passes the greedy
    baseline's choice, so that the greedy plan is always one of the plans it can make
    and it never places fewer orphans.
    """
    places = places_of(physicians, targets)
    k = int(params.candidates_per_patient)
    n = len(orphans)
    chosen_place = np.full((n, k), -1, dtype=np.int64)
    chosen_distance = np.full((n, k), np.inf)
    if len(places) and n:
        groups = (
            [(np.arange(len(places)), np.arange(n))]
            if params.cross_rls
            else _by_rls(places.rls_id, orphans.rls_id)
        )
        for place_rows, orphan_rows in groups:
            _query(
                places, place_rows, orphans, orphan_rows, k, params, chosen_place, chosen_distance
            )
        chosen_place[chosen_distance > params.max_distance_km] = -1
        if also is not None:
            # Not among the nearest, so at least as far as the last of them: the rows stay
            # sorted with it appended.
            chosen_place, chosen_distance = _add_places(
                chosen_place, chosen_distance, also, places, orphans
            )
    keep = chosen_place >= 0
    start = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int64)
    return Candidates(start, chosen_place[keep], chosen_distance[keep], places)


def _add_places(
    chosen_place: Ints, chosen_distance: Floats, also: Ints, places: Places, orphans: Orphans
) -> tuple[Ints, Floats]:
    """One more column: the place of physician ``also[i]`` when it is new for orphan i."""
    extra = np.full(len(also), -1, dtype=np.int64)
    given = also >= 0
    extra[given] = places.of_physician[also[given]]
    extra[(chosen_place == extra[:, None]).any(axis=1)] = -1
    rows = np.flatnonzero(extra >= 0)
    distance = np.full(len(also), np.inf)
    q = extra[rows]
    distance[rows] = haversine_km(
        orphans.latitude[rows], orphans.longitude[rows], places.latitude[q], places.longitude[q]
    )
    return (
        np.column_stack((chosen_place, extra)),
        np.column_stack((chosen_distance, distance)),
    )


def _by_rls(place_rls: np.ndarray, orphan_rls: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(places, orphans) of each RLS that has both, grouped with one sort."""
    names, code = np.unique(
        np.concatenate([place_rls, orphan_rls]).astype(str), return_inverse=True
    )
    place_code, orphan_code = code[: len(place_rls)], code[len(place_rls) :]
    place_order = np.argsort(place_code, kind="stable")
    orphan_order = np.argsort(orphan_code, kind="stable")
    place_bounds = np.searchsorted(place_code[place_order], np.arange(len(names) + 1))
    orphan_bounds = np.searchsorted(orphan_code[orphan_order], np.arange(len(names) + 1))
    groups = []
    for c in range(len(names)):
        places = place_order[place_bounds[c] : place_bounds[c + 1]]
        orphans = orphan_order[orphan_bounds[c] : orphan_bounds[c + 1]]
        if places.size and orphans.size:
            groups.append((places, orphans))
    return groups


def _query(
    places: Places,
    place_rows: Ints,
    orphans: Orphans,
    orphan_rows: Ints,
    k: int,
    params: Params,
    out: Ints,
    out_km: Floats,
) -> None:
    """Fill ``out[orphan_rows]`` with the nearest ``k`` of ``place_rows`` within reach,
    nearest first (the k-d tree's order), and ``out_km`` with their distances."""
    tree = cKDTree(unit_vectors(places.latitude[place_rows], places.longitude[place_rows]))
    chord = chord_of_km(params.max_distance_km)
    kk = min(k, place_rows.size)
    chords, index = tree.query(
        unit_vectors(orphans.latitude[orphan_rows], orphans.longitude[orphan_rows]),
        k=kk,
        distance_upper_bound=chord,
    )
    index = np.asarray(index).reshape(orphan_rows.size, kk)
    chords = np.asarray(chords).reshape(orphan_rows.size, kk)
    found = index < place_rows.size
    out[orphan_rows, :kk] = np.where(found, place_rows[np.minimum(index, place_rows.size - 1)], -1)
    # The tree's chords give the great-circle distances without computing them again.
    out_km[orphan_rows, :kk] = np.where(found, km_of_chord(chords), np.inf)
