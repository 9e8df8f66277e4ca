"""Adjusting a plan by hand: move a patient, set a physician's target and solve again, and
what changed (DSP-PR-30042, 7: the CML adjusts the plan before it is approved).

    after = move_patient(plan, "P00000223", "D00004")      # or None: leave unassigned
    after = with_target(plan, physicians, orphans, "D00004", 400, moves=[("P0223", "D00004")])
    what = consequences(plan, after, moved=[patient_index(plan, "P00000223")])

A move changes one patient's physician and recomputes what depends on it (distances,
every month and monthly pace: :func:`rebuilt`); the rest of the plan stays, so a move may
break the rules (the CML decides; :func:`consequences` warns). A new target is a
``target_overrides`` entry (:mod:`panelcare.attribution.params`): the plan is solved
again from the run's inputs, then the earlier moves are made again (:func:`with_moves`).

Errors::

    PanelcareError
    └── AdjustmentError           ``code``: the patient or physician id at fault
        ├── UnknownPatientError       no such patient in the plan
        ├── UnknownPhysicianError     no such physician in the plan
        ├── NotParticipatingError     a physician who takes no patient in this run
        ├── AlreadyThereError         the patient already has that physician (or none)
        └── InvalidTargetError        a target that is not a whole number, 0 or more
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from typing import Any

import numpy as np

from panelcare.attribution import outputs, solve
from panelcare.attribution.model import Bools, Ints, Orphans, Physicians, assignment_km
from panelcare.attribution.pace import assign_months, monthly_pace
from panelcare.attribution.params import params_as_dict, params_from_mapping
from panelcare.errors import PanelcareError

__all__ = [
    "WARNING_CODES",
    "AdjustmentError",
    "AlreadyThereError",
    "InvalidTargetError",
    "NotParticipatingError",
    "UnknownPatientError",
    "UnknownPhysicianError",
    "check_target",
    "consequences",
    "move_patient",
    "patient_index",
    "physician_figures_of",
    "physician_index",
    "rebuilt",
    "with_moves",
    "with_target",
]

_EPSILON = 1e-9
# The codes of consequences()' warnings (the pages word each one).
WARNING_CODES = ("vulnerable_cap", "over_target", "max_distance", "gmf_target")


class AdjustmentError(PanelcareError):
    """An adjustment the plan refuses; ``code`` is the patient or physician id at fault
    (the target, for :class:`InvalidTargetError`), ``message`` says why in English."""

    def __init__(self, message: str, code: str) -> None:
        self.message = message
        self.code = code
        super().__init__(message)


class UnknownPatientError(AdjustmentError):
    """No patient with this id among the plan's orphans."""


class UnknownPhysicianError(AdjustmentError):
    """No physician with this id in the plan."""


class NotParticipatingError(AdjustmentError):
    """The physician takes no patient in this run (declined, leaving or excluded)."""


class AlreadyThereError(AdjustmentError):
    """The patient already has the physician a move asks for (or none, for none)."""


class InvalidTargetError(AdjustmentError):
    """A target that is not a whole number of patients, 0 or more."""


def patient_index(plan: solve.Plan, patient_id: str) -> int:
    """The row of ``patient_id`` among ``plan``'s orphans.

    Raises:
        UnknownPatientError: no such orphan in the plan.
    """
    rows = np.flatnonzero(plan.orphans.patient_id == patient_id)
    if rows.size == 0:
        raise UnknownPatientError(f"no patient {patient_id} in this plan", patient_id)
    return int(rows[0])


def physician_index(plan: solve.Plan, physician_id: str) -> int:
    """The row of ``physician_id`` among ``plan``'s physicians, who must take patients in
    this run (a precedence tier: :attr:`~panelcare.attribution.model.Targets.tier` is not
    negative).

    Raises:
        UnknownPhysicianError: no such physician in the plan.
        NotParticipatingError: the physician takes no patient in this run.
    """
    rows = np.flatnonzero(plan.physicians.physician_id == physician_id)
    if rows.size == 0:
        raise UnknownPhysicianError(f"no physician {physician_id} in this plan", physician_id)
    j = int(rows[0])
    if plan.targets.tier[j] < 0:
        raise NotParticipatingError(
            f"{physician_id} takes no patient in this run (declined, leaving or excluded)",
            physician_id,
        )
    return j


def rebuilt(plan: solve.Plan, physician_of: Ints, le304: Bools) -> solve.Plan:
    """``plan`` with other assignments: distances, every month and every monthly pace
    recomputed from them (:mod:`panelcare.attribution.pace`); targets, capacities and
    quotas stay."""
    period = plan.params.period_months
    n = len(plan.physicians)
    assigned = np.bincount(physician_of[physician_of >= 0], minlength=n).astype(np.int64)
    return dataclasses.replace(
        plan,
        physician_of=physician_of,
        le304=le304,
        distance_km=assignment_km(plan.physicians, plan.orphans, physician_of),
        month=assign_months(plan.orphans, physician_of, n, period),
        monthly_pace=monthly_pace(assigned, period),
    )


def move_patient(plan: solve.Plan, patient_id: str, physician_id: str | None) -> solve.Plan:
    """``plan`` with ``patient_id`` given to ``physician_id`` (``None``: left unassigned),
    :func:`rebuilt`. The patient loses an LE 304 flag: the block was their departing
    physician's colleague, not the one chosen by hand.

    Raises:
        UnknownPatientError, UnknownPhysicianError, NotParticipatingError: as
            :func:`patient_index` and :func:`physician_index`.
        AlreadyThereError: the patient already has that physician (or none, for None).
    """
    i = patient_index(plan, patient_id)
    j = physician_index(plan, physician_id) if physician_id else -1
    if int(plan.physician_of[i]) == j:
        raise AlreadyThereError(f"patient {patient_id} is already there", patient_id)
    physician_of = plan.physician_of.copy()
    physician_of[i] = j
    le304 = plan.le304.copy()
    le304[i] = False
    return rebuilt(plan, physician_of, le304)


def with_moves(plan: solve.Plan, moves: Iterable[tuple[str, str | None]]) -> solve.Plan:
    """``plan`` with ``moves`` (patient id, physician id or ``None``) made in their order,
    :func:`rebuilt` once; a move whose patient is no longer in the plan, or whose
    physician is not or takes no patient, is skipped (the plan was solved again since).
    ``plan`` itself when there is no move."""
    moves = list(moves)
    if not moves:
        return plan
    physician_of = plan.physician_of.copy()
    le304 = plan.le304.copy()
    for patient_id, physician_id in moves:
        try:
            i = patient_index(plan, patient_id)
            j = physician_index(plan, physician_id) if physician_id else -1
        except AdjustmentError:
            continue
        physician_of[i] = j
        le304[i] = False
    return rebuilt(plan, physician_of, le304)


def with_target(
    plan: solve.Plan,
    physicians: Physicians,
    orphans: Orphans,
    physician_id: str,
    target: int,
    *,
    moves: Iterable[tuple[str, str | None]] = (),
    run_date: datetime.date | None = None,
    workers: int | None = None,
) -> solve.Plan:
    """``plan`` solved again with ``physician_id``'s target set to ``target`` (added to
    the targets set so far, ``params.target_overrides``), then ``moves`` made again
    (:func:`with_moves`).

    Args:
        plan: the plan before (its parameters and run date are kept).
        physicians, orphans: the run's inputs, as the first solve read them (every
            waiting-list row: the orphans are selected again).
        physician_id: a physician who takes patients in ``plan``.
        target: whole patients, 0 or more.
        moves: the moves made by hand so far, in their order.
        run_date: the run's date (``plan``'s when None).
        workers: as :func:`~panelcare.attribution.solve.plan`.

    Raises:
        InvalidTargetError: ``target`` is not a whole number of 0 or more.
        UnknownPhysicianError, NotParticipatingError: as :func:`physician_index`.
    """
    check_target(target)
    physician_index(plan, physician_id)
    overrides = {**plan.params.target_overrides, physician_id: target}
    params = params_from_mapping({**params_as_dict(plan.params), "target_overrides": overrides})
    solved = solve.plan(physicians, orphans, params, run_date or plan.run_date, workers=workers)
    return with_moves(solved, moves)


def check_target(target: Any) -> int:
    """``target`` if it is a target a physician may be given: whole patients, 0 or more.

    Raises:
        InvalidTargetError: it is not (a bool, a float, a negative number...).
    """
    if isinstance(target, bool) or not isinstance(target, int) or target < 0:
        raise InvalidTargetError(
            f"a target is a whole number of patients, 0 or more, got {target!r}", str(target)
        )
    return target


def physician_figures_of(plan: solve.Plan, j: int) -> dict[str, Any]:
    """Physician ``j``'s figures an adjustment shows before and after: ``target``,
    ``assigned``, ``vulnerable_share_after`` (four decimals, ``None`` for an empty
    panel), ``units_after`` (three decimals), ``monthly_pace``."""
    share = outputs.vulnerable_share_after(plan)[j]
    return {
        "target": int(plan.targets.target[j]),
        "assigned": int(plan.assigned_count()[j]),
        "vulnerable_share_after": None if np.isnan(share) else round(float(share), 4),
        "units_after": round(float(outputs.units_after(plan)[j]), 3),
        "monthly_pace": int(plan.monthly_pace[j]),
    }


def consequences(
    before: solve.Plan,
    after: solve.Plan,
    moved: Iterable[int] = (),
    also: Iterable[str] = (),
) -> dict[str, Any]:
    """What an adjustment changed, as JSON-ready data.

    Args:
        before, after: the plan before and after (the same orphans and physicians).
        moved: rows of orphans moved by hand (checked for the distance even when their
            physician did not change).
        also: ids of physicians to show even when their patients did not change (the
            one whose target was set).

    Returns:
        ``physicians``: for every physician touched (whose patients changed, and
        ``also``), by id, ``physician_id``, ``name`` and their figures ``before`` and
        ``after`` (:func:`physician_figures_of`); ``warnings``: ``vulnerable_cap`` (a
        share after above the cap, 5.3.1, and higher than before), ``over_target``
        (registered + assigned above a target > 0, with more patients than before),
        ``gmf_target`` (a GMF's members' weighted patients, LE 304 blocks included, above
        its target in ``params.gmf_targets`` and more than before; with ``gmf_id``, no
        physician), ``max_distance`` (a patient changed or moved placed beyond
        ``max_distance_km``), each with the ids, ``value`` and ``limit``;
        ``patients_changed``, ``assigned_before`` and ``assigned_after``.
    """
    changed = np.flatnonzero(before.physician_of != after.physician_of)
    touched = set(before.physician_of[changed].tolist()) | set(after.physician_of[changed].tolist())
    ids = before.physicians.physician_id
    for code in also:
        touched |= set(np.flatnonzero(ids == code).tolist())
    touched.discard(-1)
    params = after.params
    rows, warnings = [], []
    for j in sorted(touched, key=lambda j: str(ids[j])):
        old, new = physician_figures_of(before, j), physician_figures_of(after, j)
        code = str(ids[j])
        rows.append(
            {
                "physician_id": code,
                "name": str(before.physicians.name[j]),
                "before": old,
                "after": new,
            }
        )
        share, share_before = new["vulnerable_share_after"], old["vulnerable_share_after"]
        if (
            share is not None
            and share > params.vulnerable_cap + _EPSILON
            and share > (share_before or 0.0) + _EPSILON
        ):
            warnings.append(
                {
                    "code": "vulnerable_cap",
                    "physician_id": code,
                    "value": share,
                    "limit": params.vulnerable_cap,
                }
            )
        panel = int(before.physicians.registered[j]) + new["assigned"]
        if new["target"] > 0 and panel > new["target"] and new["assigned"] > old["assigned"]:
            warnings.append(
                {
                    "code": "over_target",
                    "physician_id": code,
                    "value": panel,
                    "limit": new["target"],
                }
            )
    warnings.extend(_gmf_warnings(before, after))
    for i in sorted(set(changed.tolist()) | set(moved)):
        km = after.distance_km[i]
        if after.physician_of[i] >= 0 and km > params.max_distance_km + _EPSILON:
            warnings.append(
                {
                    "code": "max_distance",
                    "patient_id": str(after.orphans.patient_id[i]),
                    "physician_id": str(ids[after.physician_of[i]]),
                    "value": round(float(km), 1),
                    "limit": params.max_distance_km,
                }
            )
    return {
        "physicians": rows,
        "warnings": warnings,
        "patients_changed": int(changed.size),
        "assigned_before": int((before.physician_of >= 0).sum()),
        "assigned_after": int((after.physician_of >= 0).sum()),
    }


def _gmf_warnings(before: solve.Plan, after: solve.Plan) -> list[dict[str, Any]]:
    """A ``gmf_target`` warning per GMF whose members' weighted patients after are above
    its target and above what they were before (a GMF above its target by LE 304 blocks
    alone is not the adjustment's doing), by ``gmf_id``."""
    gmf_of, target, received_after = outputs.gmf_received(after)
    # Before, counted by the same GMFs (the physicians are the same).
    member = gmf_of >= 0
    received_before = np.bincount(
        gmf_of[member], weights=outputs.weighted_assigned(before)[member], minlength=target.size
    )
    names = sorted(after.params.gmf_targets)  # gmf_received's numbering
    return [
        {
            "code": "gmf_target",
            "gmf_id": names[g],
            "value": _whole_or_two_decimals(received_after[g]),
            "limit": int(target[g]),
        }
        for g in range(target.size)
        if received_after[g] > target[g] + _EPSILON
        and received_after[g] > received_before[g] + _EPSILON
    ]


def _whole_or_two_decimals(value: float) -> int | float:
    """A weighted count as people read it: 12, or 12.5 with weights."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded
