"""Candidate physicians of each orphan, found with a spatial index.

Physicians practise at a few places (a province: 10,000 physicians at about 1,500
sites), so the candidates are the *places*: each orphan is offered **every** place within
``params.max_distance_km`` that has an eligible physician (of the orphan's RLS unless
``params.cross_rls``), and every eligible physician of those places: no nearest-k limit,
so that no plan the formal model allows is out of the solver's reach. The solver then has
one arc per orphan and place, not per orphan and physician.

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

# Up to this many places in a group (an RLS), every orphan-place chord is computed outright;
# beyond (crossing RLS borders in a province), a k-d tree finds those in reach.
DENSE_PLACES = 256


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
    ``distance_km[start[i]:start[i + 1]]`` (ascending, ties by place);
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
    """Each orphan's places with an eligible physician within ``params.max_distance_km``
    (of the orphan's RLS unless ``params.cross_rls``), every one of them, nearest first
    (ties by place).

    ``also`` (per orphan, a physician index or -1) adds that physician's place to the
    orphan's candidates when it is not among them (kept for callers that pass a plan's
    choice; a place in range is always among them).
    """
    places = places_of(physicians, targets)
    n = len(orphans)
    parts: list[tuple[Ints, Ints, Floats]] = []
    if len(places) and n:
        groups = (
            [(np.arange(len(places)), np.arange(n))]
            if params.cross_rls
            else _by_rls(places.rls_id, orphans.rls_id)
        )
        for place_rows, orphan_rows in groups:
            parts.append(_query(places, place_rows, orphans, orphan_rows, params))
    if also is not None:
        parts.append(_extra_places(parts, also, places, orphans))
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return Candidates(np.zeros(n + 1, dtype=np.int64), empty, np.empty(0), places)
    orphan = np.concatenate([p[0] for p in parts])
    place = np.concatenate([p[1] for p in parts])
    distance = np.concatenate([p[2] for p in parts])
    counts = np.bincount(orphan, minlength=n)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if also is None:
        # Each orphan's arcs come from one group, already nearest first (ties by place):
        # a stable sort by orphan keeps that order (a three-key sort of the province's
        # 22 million arcs took seconds more).
        order = np.argsort(orphan, kind="stable")
    else:
        order = np.lexsort((place, distance, orphan))
    return Candidates(start, place[order].astype(np.int64), distance[order], places)


def _extra_places(
    parts: list[tuple[Ints, Ints, Floats]], also: Ints, places: Places, orphans: Orphans
) -> tuple[Ints, Ints, Floats]:
    """The arcs (orphan, place of ``also[i]``, distance) not already among ``parts``."""
    extra = np.full(len(also), -1, dtype=np.int64)
    given = also >= 0
    extra[given] = places.of_physician[also[given]]
    rows = np.flatnonzero(extra >= 0)
    if parts and rows.size:
        known = np.concatenate([p[0] * (len(places) + 1) + p[1] for p in parts])
        rows = rows[~np.isin(rows * (len(places) + 1) + extra[rows], known)]
    q = extra[rows]
    distance = haversine_km(
        orphans.latitude[rows], orphans.longitude[rows], places.latitude[q], places.longitude[q]
    )
    return rows.astype(np.int64), q.astype(np.int64), np.asarray(distance, dtype=np.float64)


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
    places: Places, place_rows: Ints, orphans: Orphans, orphan_rows: Ints, params: Params
) -> tuple[Ints, Ints, Floats]:
    """Every place of ``place_rows`` within reach of each orphan of ``orphan_rows``:
    (orphan, place, km) arcs, each orphan's nearest first (ties by place, as
    ``place_rows`` is ascending). When a group has at most ``DENSE_PLACES`` places (an
    RLS has a few dozen), the chords
    from each orphan to every place are computed outright, in batches of orphans that keep
    the matrix to a few million entries (a k-d tree asked for every place did the same
    work, and sorted, several times slower)."""
    k = int(place_rows.size)
    if k > DENSE_PLACES:
        return _query_tree(places, place_rows, orphans, orphan_rows, params)
    chord = chord_of_km(params.max_distance_km)
    at = unit_vectors(places.latitude[place_rows], places.longitude[place_rows])
    xyz = unit_vectors(orphans.latitude[orphan_rows], orphans.longitude[orphan_rows])
    batch = max(1, 2_000_000 // k)
    out: list[tuple[Ints, Ints, Floats]] = []
    for lo in range(0, orphan_rows.size, batch):
        part = xyz[lo : lo + batch]
        squared = np.zeros((part.shape[0], k))
        for axis in range(3):
            squared += (part[:, axis, None] - at[None, :, axis]) ** 2
        chords = np.sqrt(squared)
        chords[chords > chord] = np.inf
        # Nearest first, ties by place (a stable sort over ascending columns).
        column = np.argsort(chords, axis=1, kind="stable")
        ordered = np.take_along_axis(chords, column, axis=1)
        km = km_of_chord(ordered)
        found = np.isfinite(ordered) & (km <= params.max_distance_km)
        row, col = np.nonzero(found)
        out.append((orphan_rows[lo + row], place_rows[column[row, col]], km[row, col]))
    return _joined(out)


def _query_tree(
    places: Places, place_rows: Ints, orphans: Orphans, orphan_rows: Ints, params: Params
) -> tuple[Ints, Ints, Floats]:
    """:func:`_query` for groups of many places (``params.cross_rls``: the whole
    province's): a k-d tree asked for all the places of the group at once, in batches of
    orphans so that the answer stays a few million entries."""
    tree = cKDTree(unit_vectors(places.latitude[place_rows], places.longitude[place_rows]))
    chord = chord_of_km(params.max_distance_km)
    k = int(place_rows.size)
    xyz = unit_vectors(orphans.latitude[orphan_rows], orphans.longitude[orphan_rows])
    batch = max(1, 4_000_000 // k)
    out: list[tuple[Ints, Ints, Floats]] = []
    for lo in range(0, orphan_rows.size, batch):
        chords, index = tree.query(xyz[lo : lo + batch], k=k, distance_upper_bound=chord)
        index = np.asarray(index).reshape(-1, k)
        chords = np.asarray(chords).reshape(-1, k)
        # The tree's chords give the great-circle distances without computing them again.
        km = km_of_chord(chords)
        found = (index < k) & (km <= params.max_distance_km)
        row, col = np.nonzero(found)
        out.append((orphan_rows[lo + row], place_rows[index[row, col]], km[row, col]))
    return _joined(out)


def _joined(parts: list[tuple[Ints, Ints, Floats]]) -> tuple[Ints, Ints, Floats]:
    """The batches' (orphan, place, km) arcs as three arrays."""
    return (
        np.concatenate([p[0] for p in parts]).astype(np.int64),
        np.concatenate([p[1] for p in parts]).astype(np.int64),
        np.concatenate([p[2] for p in parts]).astype(np.float64),
    )
