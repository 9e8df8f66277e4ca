"""The physicians' table of one RLS (DSP-PR-30042, 5.1 to 5.3 and 7): the current roster,
with the CML's decisions applied (:mod:`web.attribution.roster`), as the engine's default
parameters see it. Read-side only.

    rows, figures = rls_physicians(region, "0115", today)
    rows = sort_rows(filter_rows(rows, group="1b", mode="", q="nadeau"), "-registered")
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pyarrow.compute as pc

from panelcare.attribution import groups, io
from panelcare.attribution.params import Params, load_params, params_as_dict, params_from_mapping
from web.assiduity.models import AssiduityRun
from web.attribution import le304
from web.attribution.errors import RunNotReady
from web.attribution.models import PhysicianDecision
from web.attribution.roster import (
    applied_roster,
    current_roster,
    decisions_in_force,
    declared_targets,
)
from web.regions.models import Region
from web.tables.models import Dataset

__all__ = [
    "SORT_KEYS",
    "PhysicianRow",
    "RlsFigures",
    "filter_rows",
    "query_string",
    "rls_physicians",
    "sort_rows",
]


@dataclass
class PhysicianRow:
    """One physician of the table, decisions applied."""

    code: str
    name: str
    site: str
    registered: int
    vulnerable: int
    vulnerable_share: float | None
    units: float
    group: str
    target: int
    need: int
    reasons: list[str]
    amp_target: int | None
    amp_target_roster: int | None
    mode: str
    mode_roster: str
    previous_assiduity: float | None
    age: int
    years_of_practice: int
    departing_on: datetime.date | None
    decision: PhysicianDecision | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class RlsFigures:
    """The RLS's figures beside the rows."""

    dataset: Dataset | None
    physicians: int
    registered: int
    vulnerable_share_mean: float | None  # mean of the physicians' shares (5.3.1)
    vulnerable_share_pooled: float | None  # all their vulnerable / all their registered
    # The assiduity computation whose rates LE 304 reads, as a run dated today would
    # (web.attribution.le304); None: the roster's column.
    assiduity_run: AssiduityRun | None = None
    # That computation's results are gone from its folder (a restore without the data
    # folder): a run would refuse to start; the page shows the roster's column and says so.
    assiduity_missing: bool = False


# Columns the table sorts on (``?sort=name`` or ``?sort=-name``).
SORT_KEYS = (
    "code",
    "name",
    "registered",
    "vulnerable_share",
    "units",
    "group",
    "target",
    "amp_target",
    "mode",
    "previous_assiduity",
    "age",
    "years_of_practice",
)


def rls_physicians(
    region: Region, rls_code: str, today: datetime.date, params: Params | None = None
) -> tuple[list[PhysicianRow], RlsFigures]:
    """The physicians of ``rls_code`` in the current roster, decisions applied, with their
    group and target by ``params`` (the packaged defaults when None) at ``today``, and
    the previous year's assiduity a run dated ``today`` would read (the region's
    computation of last year when done, :mod:`web.attribution.le304`; the roster's column
    otherwise, or when that computation's results are gone)."""
    params = params or load_params()
    dataset, roster = current_roster(region)
    if roster is None:
        return [], RlsFigures(None, 0, 0, None, None)
    original = roster.filter(pc.equal(roster.column("rls_id"), rls_code))
    computation = le304.computation_for(region, today)
    missing = False
    try:
        rates = le304.read_computed_rates(computation)
    except RunNotReady:  # a run would refuse to start; the page shows the roster's
        rates, missing = None, True
    original, _counts = le304.with_computed_rates(original, rates)
    decisions = decisions_in_force(region, [rls_code])
    table, snapshot = applied_roster(original, decisions.values(), today, params)
    changes = {entry["physician_code"]: entry["changes"] for entry in snapshot}
    if table.num_rows == 0:
        return [], RlsFigures(dataset, 0, 0, None, None, computation, missing)
    # The targets the offers set, as a run started today reads them (services.do_start_run).
    params = params_from_mapping(
        {**params_as_dict(params), "offered_targets": declared_targets(snapshot)}
    )
    # Checked by the engine's own rules, in memory (a few milliseconds for a region).
    doctors = io.physicians_from_arrow(table)
    goals = groups.targets(doctors, params, today)
    units = goals.units_before
    today64 = np.datetime64(today, "D")
    rows = []
    for j, (before, after) in enumerate(zip(original.to_pylist(), table.to_pylist(), strict=True)):
        registered = int(after["registered"])
        vulnerable = int(after["vulnerable"])
        start = doctors.practice_start[j]
        years = int((today64 - start).astype(int) // 365.2425) if not np.isnat(start) else 0
        rows.append(
            PhysicianRow(
                code=after["physician_id"],
                name=after["name"],
                site=after["site_id"],
                registered=registered,
                vulnerable=vulnerable,
                vulnerable_share=vulnerable / registered if registered else None,
                units=round(float(units[j]), 3),
                group=str(goals.group[j]),
                target=int(goals.target[j]),
                need=int(goals.need[j]),
                reasons=[code for code in str(goals.reasons[j]).split(";") if code],
                amp_target=after["amp_target"],
                amp_target_roster=before["amp_target"],
                mode=after["mode"],
                mode_roster=before["mode"],
                previous_assiduity=after["previous_assiduity"],
                age=today.year - int(after["birth_year"]),
                years_of_practice=max(0, years),
                departing_on=after["departing_on"],
                decision=decisions.get(after["physician_id"]),
                changes=changes.get(after["physician_id"], {}),
            )
        )
    shares = [row.vulnerable_share for row in rows if row.vulnerable_share is not None]
    registered_total = sum(row.registered for row in rows)
    figures = RlsFigures(
        dataset=dataset,
        physicians=len(rows),
        registered=registered_total,
        vulnerable_share_mean=sum(shares) / len(shares) if shares else None,
        vulnerable_share_pooled=(
            sum(row.vulnerable for row in rows) / registered_total if registered_total else None
        ),
        assiduity_run=computation,
        assiduity_missing=missing,
    )
    return rows, figures


def filter_rows(
    rows: list[PhysicianRow], *, group: str = "", mode: str = "", q: str = ""
) -> list[PhysicianRow]:
    """The rows of ``group`` and ``mode`` (any when empty) whose name or code contains
    ``q`` (case- and accent-insensitive)."""
    needle = _fold(q.strip())
    return [
        row
        for row in rows
        if (not group or row.group == group)
        and (not mode or row.mode == mode)
        and (not needle or needle in _fold(row.name) or needle in _fold(row.code))
    ]


def sort_rows(rows: list[PhysicianRow], sort: str) -> tuple[list[PhysicianRow], str]:
    """``rows`` sorted by ``sort`` (one of :data:`SORT_KEYS`, ``-`` first for descending;
    the name otherwise), empty values last; returns the rows and the key used."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, descending = "name", False
    present = [row for row in rows if getattr(row, key) is not None]
    missing = [row for row in rows if getattr(row, key) is None]
    present.sort(key=lambda row: (_sortable(getattr(row, key)), row.code), reverse=descending)
    return present + missing, ("-" if descending else "") + key


def query_string(params: Mapping[str, str], **changes: str) -> str:
    """The page's query string with ``changes`` (empty values dropped)."""
    merged = {**{k: v for k, v in params.items() if v}, **changes}
    return urlencode({k: v for k, v in merged.items() if v})


def _sortable(value: Any) -> Any:
    return _fold(value) if isinstance(value, str) else value


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
