"""What a plan says, as tables and plain data: the contract's outputs, the summary, letters.

Pure functions of a :class:`~panelcare.attribution.solve.Plan`; writing them to files is
:mod:`panelcare.attribution.store`'s business. Vectorised: a province plan (a million
orphans, 10,000 physicians) becomes its tables in about a second.

* :func:`assignments_table`: one row per orphan, in the orphans' order — ``patient_id``,
  ``physician_id``, ``distance_km``, ``month`` (the contract's), then ``le304``;
* :func:`physicians_table`: one row per physician, in input order — the contract's
  columns, then ``rls_id``, ``gmf_id``, ``mode``, ``capacity`` and ``vulnerable_quota``;
* :func:`summary`: counts by priority and by RLS, and the projected registration rates;
* :func:`letters`: the facts of each targeted physician's personalised letter (7).

Reason codes (``physicians_table``'s ``reason``) are the targets' codes
(:attr:`~panelcare.attribution.model.Targets.reasons`, set before the solve) followed by
the ones this module derives from the result, listed in :data:`PLAN_REASONS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from panelcare.attribution.groups import category_weight
from panelcare.attribution.model import PRIORITIES, TIERS, Bools, Floats, Ints, Strings
from panelcare.attribution.pace import rls_monthly_pace

if TYPE_CHECKING:
    from panelcare.attribution.solve import Plan

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "PHYSICIAN_COLUMNS",
    "PLAN_REASONS",
    "assignments_table",
    "gmf_figures",
    "gmf_received",
    "letters",
    "physicians_table",
    "reason_codes",
    "summary",
    "tier_name",
    "units_after",
    "vulnerable_share_after",
    "weighted_assigned",
]

ASSIGNMENT_COLUMNS = ("patient_id", "physician_id", "distance_km", "month", "le304")
PHYSICIAN_COLUMNS = (
    "physician_id",
    "group",
    "registered",
    "target",
    "need",
    "assigned",
    "assigned_vulnerable",
    "vulnerable_share_after",
    "units_after",
    "monthly_pace",
    "mean_distance_km",
    "reason",
    "rls_id",
    "gmf_id",
    "mode",
    "capacity",
    "vulnerable_quota",
)

# Reason codes derived from the plan, after the targets' own (docs/attribution-cli.md).
PLAN_REASONS = {
    "need_filled": "received their whole capacity",
    "candidates_exhausted": "received some patients, fewer than their capacity",
    "no_candidate": "had room but received no patient",
    "le304_block": "received an LE 304 block of a departing colleague's patients",
}

# Tolerance on weighted sums (weights such as 1.5 add up with rounding errors).
_EPSILON = 1e-9


def assignments_table(plan: Plan) -> pa.Table:
    """One row per orphan of ``plan``, in its orphans' order.

    Columns: ``patient_id``; ``physician_id``, ``distance_km`` (km, one decimal) and
    ``month`` (1 to ``period_months``), all three null when the orphan is unassigned; then
    ``le304``, true when the orphan goes with an LE 304 block.
    """
    placed = plan.physician_of >= 0
    unplaced = ~placed
    return pa.table(
        {
            "patient_id": pa.array(plan.orphans.patient_id, type=pa.string()),
            "physician_id": pa.array(_physician_ids(plan, placed), type=pa.string(), mask=unplaced),
            "distance_km": pa.array(
                np.round(np.nan_to_num(plan.distance_km), 1), type=pa.float64(), mask=unplaced
            ),
            "month": pa.array(plan.month.astype(np.int64), type=pa.int64(), mask=unplaced),
            "le304": pa.array(plan.le304.astype(bool), type=pa.bool_()),
        }
    )


def physicians_table(plan: Plan) -> pa.Table:
    """One row per physician of ``plan``, in input order.

    The contract's columns: ``physician_id``, ``group`` (1a, 1b, 2, none), ``registered``,
    ``target``, ``need``, ``assigned``, ``assigned_vulnerable``,
    ``vulnerable_share_after`` = (vulnerable + assigned_vulnerable) / (registered +
    assigned), four decimals, null for an empty panel; ``units_after`` = other_units +
    (registered + assigned) / patients_per_unit, three decimals; ``monthly_pace``;
    ``mean_distance_km`` of the assigned patients (one decimal, null when none);
    ``reason``, the reason codes separated by ``;`` (:func:`reason_codes`). Then ours:
    ``rls_id``, ``gmf_id`` (the physician's GMF for the run, null for none), ``mode``,
    ``capacity`` (weighted patients the run could give them) and ``vulnerable_quota``
    (vulnerable patients the plan allowed them, 5.3.1).
    """
    physicians, targets = plan.physicians, plan.targets
    assigned = plan.assigned_count()
    share = vulnerable_share_after(plan)
    mean_distance = _mean_distance(plan)
    return pa.table(
        {
            "physician_id": pa.array(physicians.physician_id, type=pa.string()),
            "group": pa.array(targets.group, type=pa.string()),
            "registered": pa.array(physicians.registered, type=pa.int64()),
            "target": pa.array(targets.target, type=pa.int64()),
            "need": pa.array(targets.need, type=pa.int64()),
            "assigned": pa.array(assigned, type=pa.int64()),
            "assigned_vulnerable": pa.array(plan.assigned_vulnerable(), type=pa.int64()),
            "vulnerable_share_after": pa.array(
                np.round(np.nan_to_num(share), 4), type=pa.float64(), mask=np.isnan(share)
            ),
            "units_after": pa.array(np.round(units_after(plan), 3), type=pa.float64()),
            "monthly_pace": pa.array(plan.monthly_pace, type=pa.int64()),
            "mean_distance_km": pa.array(
                np.round(np.nan_to_num(mean_distance), 1),
                type=pa.float64(),
                mask=np.isnan(mean_distance),
            ),
            "reason": pa.array([";".join(codes) for codes in reason_codes(plan)], pa.string()),
            "rls_id": pa.array(physicians.rls_id, type=pa.string()),
            # An empty cell for none, as the input's optional column has it.
            "gmf_id": pa.array(physicians.gmf_id, type=pa.string(), mask=physicians.gmf_id == ""),
            "mode": pa.array(physicians.mode, type=pa.string()),
            "capacity": pa.array(targets.capacity, type=pa.int64()),
            "vulnerable_quota": pa.array(plan.vulnerable_quota, type=pa.int64()),
        }
    )


def reason_codes(plan: Plan) -> list[list[str]]:
    """Each physician's reason codes: the targets' (why this target, need and capacity),
    then what the plan did:

    * ``need_filled``: capacity > 0 and the weighted patients assigned reach it;
    * ``candidates_exhausted``: some patients assigned, fewer than the capacity (the
      orphans within reach ran out or went to physicians with precedence);
    * ``no_candidate``: capacity > 0 and no patient assigned;
    * ``le304_block``: received an LE 304 block.
    """
    capacity = plan.targets.capacity
    weighted = weighted_assigned(plan)
    assigned = plan.assigned_count()
    filled = (capacity > 0) & (weighted >= capacity - _EPSILON)
    partly = (capacity > 0) & (assigned > 0) & ~filled
    nothing = (capacity > 0) & (assigned == 0)
    block = _received_block(plan)
    codes = []
    for j, own in enumerate(plan.targets.reasons):
        row = [code for code in str(own).split(";") if code]
        if filled[j]:
            row.append("need_filled")
        elif partly[j]:
            row.append("candidates_exhausted")
        elif nothing[j]:
            row.append("no_candidate")
        if block[j]:
            row.append("le304_block")
        codes.append(row)
    return codes


def summary(plan: Plan, population: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The run's figures, as JSON-ready data.

    Args:
        plan: the plan.
        population: residents of each RLS (``rls_id`` -> count). The data contract has
            no population, so the projected registration rates are only computed when it
            is given (``null`` otherwise, and for an RLS it does not list or lists as 0).

    Returns:
        ``run_date`` (ISO), ``params`` (every parameter), ``orphans``, ``assigned``,
        ``assigned_le304``, ``unassigned``; ``optimality`` (when the plan was just solved:
        per level of the objective, its ``level``, ``value``, ``bound`` and ``gap``; the
        orphans of LE 304 blocks are outside it) and ``proven_optimal``; ``by_priority``: for A to E, ``orphans``,
        ``assigned``, ``unassigned``; ``by_rls``: for every RLS of the orphans or the
        physicians, by the orphan's RLS: ``orphans``, ``assigned``, ``unassigned``,
        ``monthly_pace`` (orphans / period_months, two decimals, 7); by the physician's RLS:
        ``physicians_participating``, ``registered_before`` (their registered patients,
        all physicians), ``registered_after`` (before, minus the run's orphans who were
        registered with one of them — departures —, plus the orphans assigned to them),
        ``vulnerable_share_mean`` (mean ``vulnerable_share_after`` of the participating
        physicians with a panel, 5.3.1), ``registration_rate_before`` and
        ``registration_rate_after`` (registered / population, or null); ``by_gmf``: the
        GMFs' targets against what their members received (:func:`gmf_figures`).
    """
    physicians, orphans, params = plan.physicians, plan.orphans, plan.params
    placed = plan.physician_of >= 0
    result: dict[str, Any] = {
        "run_date": plan.run_date.isoformat(),
        "params": _params(plan),
        "orphans": len(orphans),
        "assigned": int(placed.sum()),
        "assigned_le304": int((placed & plan.le304).sum()),
        "unassigned": int((~placed).sum()),
    }
    if plan.bounds:
        # Each level's value beside its proven bound (docs/attribution-model.md): all
        # equal unless a mixed-integer solve was stopped by its time limit.
        result["optimality"] = [
            {
                "level": b.level,
                "value": b.value,
                "bound": b.bound,
                "gap": b.gap,
            }
            for b in plan.bounds
        ]
        result["proven_optimal"] = all(b.gap == 0 for b in plan.bounds)
    by_priority = {}
    priority_orphans = np.bincount(orphans.priority, minlength=len(PRIORITIES))
    priority_assigned = np.bincount(orphans.priority[placed], minlength=len(PRIORITIES))
    for index, name in enumerate(PRIORITIES):
        by_priority[name] = _counts(int(priority_orphans[index]), int(priority_assigned[index]))
    result["by_priority"] = by_priority

    labels, orphan_rls, physician_rls = _rls_codes(orphans.rls_id, physicians.rls_id)
    k = len(labels)
    rls_orphans = np.bincount(orphan_rls, minlength=k)
    rls_assigned = np.bincount(orphan_rls[placed], minlength=k)
    participating = plan.targets.tier >= 0
    rls_participating = np.bincount(physician_rls[participating], minlength=k)
    registered_before = np.bincount(physician_rls, weights=physicians.registered, minlength=k)
    received = np.bincount(physician_rls, weights=plan.assigned_count(), minlength=k)
    left = np.bincount(physician_rls, weights=_departed_patients(plan), minlength=k)
    registered_after = registered_before - left + received
    share = vulnerable_share_after(plan)
    counted = participating & ~np.isnan(share)
    share_sum = np.bincount(physician_rls[counted], weights=share[counted], minlength=k)
    share_n = np.bincount(physician_rls[counted], minlength=k)
    pace = rls_monthly_pace(
        dict(zip(labels, rls_orphans.tolist(), strict=True)), params.period_months
    )
    population = population or {}
    by_rls = {}
    for index, rls in enumerate(labels):
        residents = population.get(rls)
        row = _counts(int(rls_orphans[index]), int(rls_assigned[index]))
        row.update(
            {
                "monthly_pace": round(pace[rls], 2),
                "physicians_participating": int(rls_participating[index]),
                "registered_before": int(registered_before[index]),
                "registered_after": int(registered_after[index]),
                "vulnerable_share_mean": (
                    round(float(share_sum[index] / share_n[index]), 4) if share_n[index] else None
                ),
                "population": int(residents) if residents else None,
                "registration_rate_before": _rate(registered_before[index], residents),
                "registration_rate_after": _rate(registered_after[index], residents),
            }
        )
        by_rls[rls] = row
    result["by_rls"] = by_rls
    result["by_gmf"] = gmf_figures(plan)
    return result


def gmf_figures(plan: Plan) -> list[dict[str, Any]]:
    """Per GMF (each physician's ``gmf_id``, and each GMF of ``params.gmf_targets``), by
    ``gmf_id``: ``target`` (the agreed GMF target of the run, ``None`` without one),
    ``members`` (how many physicians are in it) and their ``physician_ids`` (input
    order), ``received`` (patients assigned to them, LE 304 blocks included) and
    ``received_weighted`` (weighted as the target counts them, 5.3.2; two decimals).
    Empty when no physician is in a GMF and no target is set."""
    gmf_id = plan.physicians.gmf_id
    targets = plan.params.gmf_targets
    count = plan.assigned_count()
    weighted = weighted_assigned(plan)
    rows = []
    for gmf in sorted({*(str(g) for g in gmf_id if g), *targets}):
        members = np.flatnonzero(gmf_id == gmf)
        target = targets.get(gmf)
        rows.append(
            {
                "gmf_id": gmf,
                "target": None if target is None else int(target),
                "members": int(members.size),
                "physician_ids": [str(plan.physicians.physician_id[j]) for j in members],
                "received": int(count[members].sum()),
                "received_weighted": round(float(weighted[members].sum()), 2),
            }
        )
    return rows


def gmf_received(plan: Plan) -> tuple[Ints, Floats, Floats]:
    """The GMF targets against ``plan``: each physician's GMF with a target (an index
    into the sorted ids of ``params.gmf_targets``, -1 for none, as the solver numbers
    them), and per such GMF its target and the weighted patients its members received
    (LE 304 blocks included, as the target counts them, 5.3.2). What ``explain`` and
    ``adjust`` compare; above the target after a move by hand, or after blocks alone."""
    from panelcare.attribution.solve import gmf_rooms

    # Without ``given`` the room is the target itself.
    gmf_of, target = gmf_rooms(plan.physicians, plan.params)
    member = gmf_of >= 0
    received = np.bincount(
        gmf_of[member], weights=weighted_assigned(plan)[member], minlength=target.size
    ).astype(np.float64)
    return gmf_of, target, received


def letters(plan: Plan) -> list[dict[str, Any]]:
    """The facts of each targeted physician's personalised letter (DSP-PR-30042, 7).

    One dict per participating physician with a need, in input order: ``physician_id``,
    ``name``, ``rls_id``, ``group``, ``target``, ``registered``, ``expected`` (patients
    assigned), ``monthly_pace``, ``mode``, ``reasons`` (list of codes, as in
    :func:`reason_codes`), ``months`` (``{"first": m, "last": m}`` of their patients'
    months, ``None`` when none), ``vulnerable_share_after`` (``None`` for an empty panel)
    and ``rls_vulnerable_share_mean`` (the RLS's average, reported beside it, 5.3.1).
    """
    physicians, targets = plan.physicians, plan.targets
    targeted = np.flatnonzero((targets.tier >= 0) & (targets.need > 0))
    assigned = plan.assigned_count()
    share = vulnerable_share_after(plan)
    codes = reason_codes(plan)
    first, last = _month_range(plan)
    rls_mean = _rls_share_mean(plan, share)
    result = []
    for j in targeted:
        result.append(
            {
                "physician_id": str(physicians.physician_id[j]),
                "name": str(physicians.name[j]),
                "rls_id": str(physicians.rls_id[j]),
                "group": str(targets.group[j]),
                "target": int(targets.target[j]),
                "registered": int(physicians.registered[j]),
                "expected": int(assigned[j]),
                "monthly_pace": int(plan.monthly_pace[j]),
                "mode": str(physicians.mode[j]),
                "reasons": codes[j],
                "months": ({"first": int(first[j]), "last": int(last[j])} if assigned[j] else None),
                "vulnerable_share_after": None if np.isnan(share[j]) else round(float(share[j]), 4),
                "rls_vulnerable_share_mean": rls_mean.get(str(physicians.rls_id[j])),
            }
        )
    return result


# --------------------------------------------------------------------------- figures


def weighted_assigned(plan: Plan) -> Floats:
    """Weighted patients assigned to each physician (5.3.2: a category's weight, else 1)."""
    placed = plan.physician_of >= 0
    weight = category_weight(plan.orphans.category, plan.params.category_weights)
    return np.bincount(
        plan.physician_of[placed], weights=weight[placed], minlength=len(plan.physicians)
    ).astype(np.float64)


def vulnerable_share_after(plan: Plan) -> Floats:
    """Each physician's vulnerable share on the final panel, ``nan`` for an empty one."""
    total = plan.physicians.registered + plan.assigned_count()
    vulnerable = plan.physicians.vulnerable + plan.assigned_vulnerable()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, vulnerable / np.maximum(total, 1), np.nan)


def units_after(plan: Plan) -> Floats:
    """Each physician's work units after the plan (5.3.3)."""
    total = plan.physicians.registered + plan.assigned_count()
    return plan.physicians.other_units + total / plan.params.patients_per_unit


def tier_name(tier: int) -> str:
    """The precedence tier's name (:data:`~panelcare.attribution.model.TIERS`), "none"
    when not participating."""
    return TIERS[tier] if 0 <= tier < len(TIERS) else "none"


# --------------------------------------------------------------------------- helpers


def _physician_ids(plan: Plan, placed: Bools) -> Strings:
    ids = np.empty(len(plan.orphans), dtype=object)
    ids[placed] = plan.physicians.physician_id[plan.physician_of[placed]]
    return ids


def _mean_distance(plan: Plan) -> Floats:
    placed = plan.physician_of >= 0
    n = len(plan.physicians)
    count = np.bincount(plan.physician_of[placed], minlength=n)
    total = np.bincount(plan.physician_of[placed], weights=plan.distance_km[placed], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _received_block(plan: Plan) -> Bools:
    block = (plan.physician_of >= 0) & plan.le304
    return np.bincount(plan.physician_of[block], minlength=len(plan.physicians)) > 0


def _month_range(plan: Plan) -> tuple[Ints, Ints]:
    """Each physician's first and last month (0 when none)."""
    placed = plan.physician_of >= 0
    n = len(plan.physicians)
    big = np.iinfo(np.int64).max
    first = np.full(n, big, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    np.minimum.at(first, plan.physician_of[placed], plan.month[placed])
    np.maximum.at(last, plan.physician_of[placed], plan.month[placed])
    first[first == big] = 0
    return first, last


def _departed_patients(plan: Plan) -> Floats:
    """Per physician, the run's orphans who were registered with them (the patients of a
    departing physician join the waiting list with ``previous_physician_id`` set)."""
    previous = plan.orphans.previous_physician_id
    index = _index_in(previous, plan.physicians.physician_id)
    known = index >= 0
    return np.bincount(index[known], minlength=len(plan.physicians)).astype(np.float64)


def _rls_share_mean(plan: Plan, share: Floats) -> dict[str, float | None]:
    participating = (plan.targets.tier >= 0) & ~np.isnan(share)
    rls = plan.physicians.rls_id
    result: dict[str, float | None] = {}
    for name in dict.fromkeys(rls.tolist()):
        rows = participating & (rls == name)
        result[name] = round(float(share[rows].mean()), 4) if rows.any() else None
    return result


def _rls_codes(orphan_rls: Strings, physician_rls: Strings) -> tuple[list[str], Ints, Ints]:
    """The RLS ids of both tables (sorted), and each row's index in them."""
    both = pa.array(np.concatenate([orphan_rls, physician_rls]), type=pa.string())
    encoded = both.dictionary_encode()
    words = encoded.dictionary.to_pylist()
    order = sorted(range(len(words)), key=words.__getitem__)
    rank = np.empty(len(words), dtype=np.int64)
    rank[order] = np.arange(len(words))
    codes = rank[np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)]
    n = len(orphan_rls)
    return [words[i] for i in order], codes[:n], codes[n:]


def _index_in(values: Strings, ids: Strings) -> Ints:
    """Each value's position in ``ids``, -1 when absent (vectorised through arrow)."""
    import pyarrow.compute as pc

    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    found = pc.index_in(
        pa.array(values, type=pa.string()), value_set=pa.array(ids, type=pa.string())
    )
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _counts(orphans: int, assigned: int) -> dict[str, Any]:
    return {"orphans": orphans, "assigned": assigned, "unassigned": orphans - assigned}


def _rate(registered: float, residents: int | None) -> float | None:
    if not residents:
        return None
    return round(float(registered) / residents, 4)


def _params(plan: Plan) -> dict[str, Any]:
    # dataclasses.asdict, but the weights as a plain dict whatever Mapping holds them.
    values = {
        field.name: getattr(plan.params, field.name) for field in dataclasses.fields(plan.params)
    }
    values["category_weights"] = {
        str(key): float(value) for key, value in plan.params.category_weights.items()
    }
    for name in ("target_overrides", "offered_targets", "gmf_targets"):
        values[name] = {str(key): int(value) for key, value in getattr(plan.params, name).items()}
    return values
