"""The physicians' roster a run reads and the physicians' page shows: the current version
with today's registered counts, the CML's decisions in force (DSP-PR-30042, 5.1 to 5.3
and 7), and how a run's roster applies them. Read-side only: the decisions are written by
:func:`web.attribution.services.do_set_decision`.

    dataset, roster = current_roster(region)
    roster, snapshot = applied_roster(roster, decisions_in_force(region).values(), run_date)

What each decision does to the roster the engine reads (``docs/attribution-web-runs.md``,
"Decisions"):

==============================  ============================================================
decision                        the roster's row
==============================  ============================================================
``excluded``                    ``mode`` = none (the physician takes no orphan)
``amp_target_derogation``       ``amp_target`` = the lowered requirement (group 1a)
``mode``                        ``mode`` = the chosen one (bloc, le304, none)
``full_workload_demonstrated``  ``other_units`` raised so that ``other_units + registered /
                                patients_per_unit`` reaches ``full_workload_units``
``include_departure``           ``departing_on`` = 31 December of the run's year at the
                                latest (set to it when empty): the departure counts and
                                the physician's patients are distributed (5.2)
``patients_offered``            no column: the snapshot's ``changes`` records ``target`` =
                                ``registered`` + the patients offered (not for a physician
                                whose mode is then none or whose departure is included),
                                which the run reads as ``offered_targets``
                                (:func:`declared_targets`; a ``target_overrides`` entry
                                typed on the run form wins in the engine)
==============================  ============================================================
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.utils import timezone

from panelcare.attribution.params import Params
from web.attribution.models import DECISION_FIELDS, PhysicianDecision
from web.regions.models import Region
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.queries import with_registered_counts
from web.tables.store import read_dataset

__all__ = [
    "applied_roster",
    "current_roster",
    "decisions_in_force",
    "declared_targets",
    "rls_of",
]


def current_roster(region: Region) -> tuple[Dataset | None, pa.Table | None]:
    """The current version of the region's physicians' roster and its rows (None, None
    before the first import), each physician's registered and vulnerable patients counted
    today from the registrations in force, as the dashboard and the next run count them."""
    dataset = Dataset.current(region, DatasetKind.PHYSICIANS)
    if dataset is None:
        return None, None
    registrations = Dataset.current(region, DatasetKind.REGISTRATIONS)
    roster = read_dataset(dataset)
    return dataset, with_registered_counts(roster, registrations, timezone.localdate())


def decisions_in_force(region: Region, rls_codes: Iterable[str] | None = None) -> dict[str, Any]:
    """The region's decisions by physician code (of ``rls_codes`` only when given)."""
    decisions = PhysicianDecision.objects.filter(region=region).select_related("updated_by")
    if rls_codes is not None:
        decisions = decisions.filter(rls_code__in=list(rls_codes))
    return {decision.physician_code: decision for decision in decisions}


def applied_roster(
    physicians: pa.Table,
    decisions: Iterable[PhysicianDecision | Mapping[str, Any]],
    run_date: datetime.date,
    params: Params | None = None,
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """The physicians' roster with the decisions applied (see the module's table).

    Args:
        physicians: the contract's ``physicians`` table (a Dataset version's rows).
        decisions: :class:`PhysicianDecision` rows, or their snapshot dicts (a run's
            ``decisions``), in any order; those of physicians absent from the table are
            ignored.
        run_date: the run's date (a departure to include is moved to 31 December of its
            year at the latest).
        params: the run's parameters, for the full workload and the patients per unit
            (the defaults when None).

    Returns:
        The table (same schema, same rows, same order) and the snapshot: one dict per
        decision applied, in physician order, with the decision's fields, ``rls_code``,
        ``updated_by`` and ``updated_at`` and ``changes`` ({column: [before, after]}).
    """
    params = params or Params()
    ids = physicians.column("physician_id").to_pylist()
    row_of = {physician_id: row for row, physician_id in enumerate(ids)}
    columns = {
        name: physicians.column(name).to_pylist()
        for name in ("mode", "amp_target", "other_units", "departing_on", "registered")
    }
    year_end = datetime.date(run_date.year, 12, 31)
    snapshot = []
    for decision in sorted(
        (_as_dict(d) for d in decisions), key=lambda d: row_of.get(d["physician_code"], -1)
    ):
        row = row_of.get(decision["physician_code"])
        if row is None:
            continue
        changes: dict[str, list[Any]] = {}

        def change(column: str, value: Any, row: int = row, changes: dict = changes) -> None:
            old = columns[column][row]
            if old != value:
                changes[column] = [_json(old), _json(value)]
                columns[column][row] = value

        if decision["amp_target_derogation"] is not None:
            change("amp_target", int(decision["amp_target_derogation"]))
        if decision["mode"]:
            change("mode", decision["mode"])
        if decision["excluded"]:
            change("mode", "none")
        if decision["full_workload_demonstrated"]:
            registered = columns["registered"][row] or 0
            missing = params.full_workload_units - registered / params.patients_per_unit
            # Rounded up to a thousandth, so that the units reach the full workload.
            needed = math.ceil(missing * 1000 - 1e-9) / 1000
            current = columns["other_units"][row] or 0.0
            if needed > current:
                change("other_units", needed)
        if decision["include_departure"]:
            departing_on = columns["departing_on"][row]
            if departing_on is None or departing_on > year_end:
                change("departing_on", year_end)
        offered = decision.get("patients_offered")  # absent from snapshots before issue 19
        # A physician who takes no patient has no target to offer (the engine gives 0).
        if (
            offered is not None
            and columns["mode"][row] != "none"
            and not decision["include_departure"]
        ):
            # The target the rules would set is the engine's to compute: None before.
            changes["target"] = [None, int(columns["registered"][row] or 0) + int(offered)]
        snapshot.append({**decision, "changes": changes})

    table = physicians
    for name in ("mode", "amp_target", "other_units", "departing_on"):
        index = physicians.schema.get_field_index(name)
        field = physicians.schema.field(index)
        table = table.set_column(index, field, pa.array(columns[name], type=field.type))
    return table, snapshot


def declared_targets(snapshot: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The targets the physicians' offers set (``patients_offered``), by physician code,
    from :func:`applied_roster`'s snapshot (or a run's ``decisions``): the run's
    ``offered_targets``."""
    return {
        entry["physician_code"]: int(entry["changes"]["target"][1])
        for entry in snapshot
        if "target" in (entry.get("changes") or {})
    }


# --------------------------------------------------------------------------- helpers


def rls_of(roster: pa.Table, physician_code: str) -> set[str]:
    """The RLS of ``physician_code`` in ``roster`` (none when absent; one unless the roster
    holds the code twice)."""
    rows = roster.filter(pc.equal(roster.column("physician_id"), physician_code))
    return set(rows.column("rls_id").to_pylist())


def _as_dict(decision: PhysicianDecision | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(decision, Mapping):
        return {
            "physician_code": decision["physician_code"],
            "rls_code": decision.get("rls_code", ""),
            **{name: decision.get(name) for name in DECISION_FIELDS},
            "updated_by": decision.get("updated_by"),
            "updated_at": decision.get("updated_at"),
        }
    return {
        "physician_code": decision.physician_code,
        "rls_code": decision.rls_code,
        **{name: getattr(decision, name) for name in DECISION_FIELDS},
        "updated_by": decision.updated_by.get_username() if decision.updated_by_id else None,
        "updated_at": decision.updated_at.isoformat() if decision.updated_at else None,
    }


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value
