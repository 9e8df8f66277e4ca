"""Why a plan did what it did, for one patient or one physician, as structured data.

    explain_patient(plan, "P000123")    # where they go, and the nearest physicians not taken
    explain_physician(plan, "D00042")   # their target, capacity, candidates, what limited them

Both return plain JSON-ready dicts (no sentences: the CLI and the web app word them).
The codes are listed in :data:`PATIENT_OUTCOMES` and :data:`LIMITS` and in
``docs/attribution-cli.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from panelcare.attribution.candidates import eligible_for_patients
from panelcare.attribution.groups import category_weight
from panelcare.attribution.model import PRIORITIES, Floats, Ints
from panelcare.attribution.outputs import (
    gmf_received,
    reason_codes,
    tier_name,
    vulnerable_share_after,
    weighted_assigned,
)
from panelcare.errors import PanelcareError

if TYPE_CHECKING:
    from panelcare.attribution.solve import Plan

__all__ = [
    "CONSIDERED",
    "LIMITS",
    "PATIENT_OUTCOMES",
    "UnknownIdError",
    "explain_patient",
    "explain_physician",
]

# How many physicians near a patient are shown.
CONSIDERED = 5

# What happened between a patient and a physician near them, the first that applies.
PATIENT_OUTCOMES = {
    "assigned": "the patient's physician in the plan",
    "not_participating": "the physician takes no orphan in this run (declined, leaving...)",
    "le304_only": "the physician receives LE 304 blocks only, no individual patient",
    "other_rls": "another RLS, and the run does not cross RLS borders",
    "too_far": "beyond the run's maximum distance",
    "full": "the physician's capacity is used (no room left for this patient's weight)",
    "gmf_target_full": "the physician's GMF has received its GMF target (no room left in "
    "it for this patient's weight)",
    "vulnerable_cap": "the patient is vulnerable and the physician's vulnerable quota is used",
    "beyond_candidates": "nearer places with room were offered to the patient instead "
    "(more than candidates_per_patient)",
    "group_order": "the physician had room, but the patient went to a candidate with "
    "precedence (earlier tier, equity, distance) or stayed for a more urgent patient",
}

# What limited a physician's assignment (explain_physician's "why.limited_by").
LIMITS = {
    "not_participating": "takes no orphan in this run",
    "le304_only": "receives LE 304 blocks only",
    "need": "their need is filled (or there was none)",
    "shortage": "their capacity was lowered by the shortage rule and is filled",
    "yearly_cap": "their capacity was lowered by the yearly cap and is filled",
    "gmf_target_full": "room left, but their GMF has received its GMF target (no room "
    "left in it for the orphans within reach who went elsewhere or stayed unassigned)",
    "vulnerable_cap": "room left, but their vulnerable quota is used and vulnerable "
    "patients within reach went elsewhere or stayed unassigned",
    "candidates": "room left, but no more orphans within reach (or they went to "
    "physicians with precedence)",
}

_EPSILON = 1e-9


class UnknownIdError(PanelcareError, KeyError):
    """The plan has no patient or physician with that id (a :class:`KeyError` too)."""

    def __str__(self) -> str:
        # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


def explain_patient(plan: Plan, patient_id: str) -> dict[str, Any]:
    """Where ``patient_id`` goes in ``plan``, and the nearest physicians who did not take
    them, with what stopped each.

    Returns:
        ``patient_id``, ``rls_id``, ``priority`` (A..E), ``vulnerable``, ``requested_on``,
        ``category`` and ``previous_physician_id`` (``None`` when empty); ``candidates``
        (how many physicians the planner offered them); ``within_reach`` (how many
        physicians could take them in this run: taking individual orphans, with a
        capacity, of their RLS unless the run crosses borders (``cross_rls``), within
        ``max_distance_km``, the run's maximum distance); ``assignment``: ``None`` when
        unassigned, else ``physician_id``, ``name``, ``distance_km``, ``month``,
        ``le304`` (via an LE 304 block), ``group``, ``tier``; ``considered``: up to
        :data:`CONSIDERED` of the patient's candidates, nearest first, then — when they
        have fewer — the nearest other physicians, participating or not (the nearest
        physician who declined is often the question), plus their own physician when not
        among those; each with ``physician_id``, ``name``,
        ``rls_id``, ``site_id``, ``group``, ``tier``, ``distance_km``, ``candidate``
        (offered by the planner), ``assigned`` and ``capacity`` (the physician's totals)
        and ``outcome`` (:data:`PATIENT_OUTCOMES`).

    Raises:
        UnknownIdError: no orphan of the plan has this id.
    """
    orphans, physicians = plan.orphans, plan.physicians
    i = _index(orphans.patient_id, patient_id, "patient", "orphans")
    chosen = int(plan.physician_of[i])
    offered, offered_km = plan.candidates.of(i)
    shown = list(offered[:CONSIDERED].tolist())
    distance: dict[int, float] = dict(zip(offered.tolist(), offered_km.tolist(), strict=True))
    if len(shown) < CONSIDERED:
        for j, km in _nearest_physicians(plan, i, exclude=set(offered.tolist())):
            if len(shown) >= CONSIDERED:
                break
            shown.append(j)
            distance[j] = km
    if chosen >= 0 and chosen not in shown:
        shown.append(chosen)
    for j in shown:
        if j not in distance:
            distance[j] = float(_km_to(plan, i, np.array([j]))[0])
    shown.sort(key=lambda j: (distance[j], j))

    candidate = set(offered.tolist())
    weighted = weighted_assigned(plan)
    assigned = plan.assigned_count()
    vulnerable_assigned = plan.assigned_vulnerable()
    weight = float(category_weight(orphans.category[i : i + 1], plan.params.category_weights)[0])
    gmf_room = _gmf_room_without(plan, i, weight)
    considered = []
    for j in shown:
        outcome = _outcome(
            plan, i, j, distance[j], j in candidate, weighted, weight, vulnerable_assigned, gmf_room
        )
        considered.append(
            {
                "physician_id": str(physicians.physician_id[j]),
                "name": str(physicians.name[j]),
                "rls_id": str(physicians.rls_id[j]),
                "site_id": str(physicians.site_id[j]),
                "group": str(plan.targets.group[j]),
                "tier": tier_name(int(plan.targets.tier[j])),
                "distance_km": round(distance[j], 1),
                "candidate": j in candidate,
                "assigned": int(assigned[j]),
                "capacity": int(plan.targets.capacity[j]),
                "outcome": outcome,
            }
        )
    assignment = None
    if chosen >= 0:
        assignment = {
            "physician_id": str(physicians.physician_id[chosen]),
            "name": str(physicians.name[chosen]),
            "distance_km": round(float(plan.distance_km[i]), 1),
            "month": int(plan.month[i]),
            "le304": bool(plan.le304[i]),
            "group": str(plan.targets.group[chosen]),
            "tier": tier_name(int(plan.targets.tier[chosen])),
        }
    return {
        "patient_id": str(orphans.patient_id[i]),
        "rls_id": str(orphans.rls_id[i]),
        "priority": PRIORITIES[int(orphans.priority[i])],
        "vulnerable": bool(orphans.vulnerable[i]),
        "requested_on": _iso(orphans.requested_on[i]),
        "category": str(orphans.category[i]) or None,
        "previous_physician_id": str(orphans.previous_physician_id[i]) or None,
        "candidates": len(offered),
        "within_reach": _within_reach(plan, i),
        "max_distance_km": float(plan.params.max_distance_km),
        "cross_rls": bool(plan.params.cross_rls),
        "assignment": assignment,
        "considered": considered,
    }


def explain_physician(plan: Plan, physician_id: str) -> dict[str, Any]:
    """What ``physician_id`` was asked and given in ``plan``, and what limited it.

    Returns:
        ``physician_id``, ``name``, ``rls_id``, ``site_id``, ``mode``, ``group``,
        ``tier``, ``registered``, ``target``, ``need``, ``capacity`` (weighted patients
        the run could give), ``assigned`` (patients), ``assigned_weighted``,
        ``assigned_le304`` (of them, by LE 304 block), ``vulnerable_quota``,
        ``assigned_vulnerable``, ``accepts_vulnerable``, ``vulnerable_share_after``,
        ``monthly_pace``; ``candidates``: the orphans who had them among their
        candidates, and of those ``went_elsewhere`` (to another physician; of which
        ``to_earlier_tiers``: to a physician of an earlier precedence tier) and
        ``unassigned``; ``reasons`` (the codes of ``physicians.csv``); ``gmf``: ``None``
        for a physician in no GMF, else its ``gmf_id``, ``target`` (the run's GMF
        target, ``None`` without one) and ``received_weighted`` (its members' weighted
        patients, LE 304 blocks included; two decimals); ``why``: ``limited_by``
        (:data:`LIMITS`) and ``room_left`` (capacity less weighted assigned, at least 0).

    Raises:
        UnknownIdError: no physician of the plan has this id.
    """
    physicians, targets = plan.physicians, plan.targets
    j = _index(physicians.physician_id, physician_id, "physician", "physicians")
    assigned = int(plan.assigned_count()[j])
    weighted = float(weighted_assigned(plan)[j])
    vulnerable = int(plan.assigned_vulnerable()[j])
    share = float(vulnerable_share_after(plan)[j])
    reached = _orphans_reaching(plan, j)
    went_to = plan.physician_of[reached]
    elsewhere = went_to[(went_to >= 0) & (went_to != j)]
    earlier = int((targets.tier[elsewhere] < targets.tier[j]).sum()) if elsewhere.size else 0
    capacity = int(targets.capacity[j])
    room = max(0.0, capacity - weighted)
    return {
        "physician_id": str(physicians.physician_id[j]),
        "name": str(physicians.name[j]),
        "rls_id": str(physicians.rls_id[j]),
        "site_id": str(physicians.site_id[j]),
        "mode": str(physicians.mode[j]),
        "group": str(targets.group[j]),
        "tier": tier_name(int(targets.tier[j])),
        "registered": int(physicians.registered[j]),
        "target": int(targets.target[j]),
        "need": int(targets.need[j]),
        "capacity": capacity,
        "assigned": assigned,
        "assigned_weighted": round(weighted, 3),
        "assigned_le304": int(((plan.physician_of == j) & plan.le304).sum()),
        "vulnerable_quota": int(plan.vulnerable_quota[j]),
        "assigned_vulnerable": vulnerable,
        "accepts_vulnerable": bool(targets.accepts_vulnerable[j]),
        "vulnerable_share_after": None if np.isnan(share) else round(share, 4),
        "monthly_pace": int(plan.monthly_pace[j]),
        "candidates": int(reached.size),
        "went_elsewhere": int(elsewhere.size),
        "to_earlier_tiers": earlier,
        "unassigned": int((went_to < 0).sum()),
        "reasons": reason_codes(plan)[j],
        "gmf": _gmf_facts(plan, j),
        "why": {
            "limited_by": _limit(plan, j, weighted, vulnerable, reached),
            "room_left": round(room, 3),
        },
    }


# --------------------------------------------------------------------------- helpers


def _index(ids: np.ndarray, wanted: str, kind: str, table: str) -> int:
    rows = np.flatnonzero(ids == wanted)
    if rows.size == 0:
        raise UnknownIdError(
            f"no {kind} {wanted!r} among the plan's {len(ids):,} {table}"
            + (
                " (a waiting-list patient the run left out is not in the plan)"
                if kind == "patient"
                else ""
            )
        )
    return int(rows[0])


def _outcome(
    plan: Plan,
    i: int,
    j: int,
    km: float,
    candidate: bool,
    weighted: Floats,
    weight: float,
    vulnerable_assigned: Ints,
    gmf_room: Floats,
) -> str:
    """The first code of :data:`PATIENT_OUTCOMES` that applies to patient ``i`` and
    physician ``j``."""
    targets, params = plan.targets, plan.params
    if plan.physician_of[i] == j:
        return "assigned"
    if targets.tier[j] < 0:
        return "not_participating"
    if targets.le304[j]:
        return "le304_only"
    if not params.cross_rls and plan.physicians.rls_id[j] != plan.orphans.rls_id[i]:
        return "other_rls"
    if km > params.max_distance_km:
        return "too_far"
    if weighted[j] + weight > targets.capacity[j] + _EPSILON:
        return "full"
    if gmf_room[j] < weight - _EPSILON:
        return "gmf_target_full"
    if plan.orphans.vulnerable[i] and vulnerable_assigned[j] >= plan.vulnerable_quota[j]:
        return "vulnerable_cap"
    if not candidate:
        return "beyond_candidates"
    return "group_order"


def _limit(plan: Plan, j: int, weighted: float, vulnerable: int, reached: Ints) -> str:
    targets = plan.targets
    if targets.tier[j] < 0:
        return "not_participating"
    if targets.le304[j]:
        return "le304_only"
    capacity = int(targets.capacity[j])
    if targets.need[j] == 0:
        return "need"
    if weighted >= capacity - _EPSILON:
        if capacity < targets.need[j]:
            codes = str(targets.reasons[j]).split(";")
            # Both may apply; the yearly cap is applied last, so it is the lower one.
            if "yearly_cap" in codes:
                return "yearly_cap"
            if "shortage_capped" in codes:
                return "shortage"
        return "need"
    went = plan.physician_of[reached]
    if _gmf_stopped(plan, j, reached, went):
        return "gmf_target_full"
    vulnerable_lost = plan.orphans.vulnerable[reached] & (went != j)
    if vulnerable >= plan.vulnerable_quota[j] and vulnerable_lost.any():
        return "vulnerable_cap"
    return "candidates"


def _gmf_room_without(plan: Plan, i: int, weight: float) -> Floats:
    """Per physician, the weighted patients their GMF's target still leaves room for once
    orphan ``i`` is out of the plan (``weight``: theirs): moving ``i`` between two members
    of one GMF changes nothing to its total. ``inf`` for a physician whose GMF has no
    target (or who is in none)."""
    gmf_of, target, received = gmf_received(plan)
    room = target - received
    chosen = int(plan.physician_of[i])
    if chosen >= 0 and gmf_of[chosen] >= 0:
        room[gmf_of[chosen]] += weight
    per_physician = np.full(len(plan.physicians), np.inf)
    member = gmf_of >= 0
    per_physician[member] = room[gmf_of[member]]
    return per_physician


def _gmf_stopped(plan: Plan, j: int, reached: Ints, went: Ints) -> bool:
    """Whether physician ``j``'s GMF target stopped them: orphans within their reach
    (``reached``, gone to ``went``) went outside the GMF or stayed unassigned, and the
    room the GMF's target leaves is less than the lightest of them (none when it is
    filled). An orphan who went to another member is not the target's doing: giving them
    to ``j`` instead leaves the GMF's total as it is."""
    gmf_of, target, received = gmf_received(plan)
    g = int(gmf_of[j])
    if g < 0:
        return False
    went_to_gmf = np.where(went >= 0, gmf_of[np.maximum(went, 0)], -1)
    lost = reached[went_to_gmf != g]
    if lost.size == 0:
        return False
    lightest = float(
        category_weight(plan.orphans.category[lost], plan.params.category_weights).min()
    )
    return bool(target[g] - received[g] < lightest - _EPSILON)


def _gmf_facts(plan: Plan, j: int) -> dict[str, Any] | None:
    """Physician ``j``'s GMF, its target and what its members received (weighted)."""
    gmf = str(plan.physicians.gmf_id[j])
    if not gmf:
        return None
    members = plan.physicians.gmf_id == gmf
    target = plan.params.gmf_targets.get(gmf)
    return {
        "gmf_id": gmf,
        "target": None if target is None else int(target),
        "received_weighted": round(float(weighted_assigned(plan)[members].sum()), 2),
    }


def _orphans_reaching(plan: Plan, j: int) -> Ints:
    """The orphans who had physician ``j`` among their candidates (ascending)."""
    return plan.candidates.orphans_of(j).astype(np.int64)


def _km_to(plan: Plan, i: int, rows: Ints) -> Floats:
    from panelcare.geo import haversine_km

    return np.asarray(
        haversine_km(
            plan.orphans.latitude[i],
            plan.orphans.longitude[i],
            plan.physicians.latitude[rows],
            plan.physicians.longitude[rows],
        ),
        dtype=np.float64,
    )


def _within_reach(plan: Plan, i: int) -> int:
    """How many physicians could take orphan ``i`` in ``plan``, from the plan's own facts
    (whatever the solver's candidate lists hold): those who take individual orphans in
    this run with a capacity (:func:`.candidates.eligible_for_patients`), of the orphan's
    RLS unless the run crosses borders, within its maximum distance."""
    rows = np.flatnonzero(eligible_for_patients(plan.targets))
    if not plan.params.cross_rls:
        rows = rows[plan.physicians.rls_id[rows] == plan.orphans.rls_id[i]]
    if rows.size == 0:
        return 0
    return int(np.count_nonzero(_km_to(plan, i, rows) <= plan.params.max_distance_km))


def _nearest_physicians(plan: Plan, i: int, exclude: set[int]) -> list[tuple[int, float]]:
    """The physicians nearest to orphan ``i`` but ``exclude``, nearest first, ties by
    index: one vectorised distance to each physician (10,000 for a province)."""
    rows = np.arange(len(plan.physicians))
    if exclude:
        rows = rows[~np.isin(rows, np.fromiter(exclude, dtype=np.int64))]
    if rows.size == 0:
        return []
    km = _km_to(plan, i, rows)
    order = np.lexsort((rows, km))[:CONSIDERED]
    return [(int(rows[k]), float(km[k])) for k in order]


def _iso(day: np.datetime64) -> str | None:
    return None if np.isnat(day) else str(day.astype("datetime64[D]"))
