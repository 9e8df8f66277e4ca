"""Hand-written attribution rows for tests: a few partial dicts in, model arrays out.

    doctors = physicians({"registered": 300}, {"amp_target": 250, "registered": 0})
    waiting = orphans({"priority": "A"}, {"vulnerable": True, "previous_physician_id": "D001"})

Each dict sets only what the test is about; every other column takes the default below
(a valid row of the contract). Ids default to ``D001``, ``D002``... and ``P001``,
``P002``... in row order, so sorting by id keeps the rows' order. Dates are ``date``
objects or ISO strings; ``amp_target``, ``previous_assiduity`` and ``departing_on`` may be
``None`` (empty: -1, ``nan``, ``NaT``); ``priority`` is a letter A to E.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np

from panelcare.attribution.model import PRIORITIES, Orphans, Physicians

# Rimouski: physicians' sites and patients' homes default to the same place (distance 0).
RIMOUSKI = (48.4490, -68.5230)

PHYSICIAN: dict[str, Any] = {
    "name": "Dre Test",
    "rls_id": "0111",
    "site_id": "S001",
    "latitude": RIMOUSKI[0],
    "longitude": RIMOUSKI[1],
    "registered": 400,
    "vulnerable": 0,
    "practice_start": "2015-01-01",
    "birth_year": 1980,
    "amp_target": None,
    "other_units": 0.0,
    "mode": "bloc",
    "previous_assiduity": None,
    "departing_on": None,
}

ORPHAN: dict[str, Any] = {
    "rls_id": "0111",
    "latitude": RIMOUSKI[0],
    "longitude": RIMOUSKI[1],
    "priority": "C",
    "vulnerable": False,
    "requested_on": "2025-01-01",
    "category": "",
    "previous_physician_id": "",
}


def physicians(*rows: dict[str, Any]) -> Physicians:
    """One physician per dict, each the defaults of :data:`PHYSICIAN` updated with it."""
    full = [{"physician_id": f"D{i + 1:03d}", **PHYSICIAN, **row} for i, row in enumerate(rows)]

    def column(name: str) -> list[Any]:
        return [row[name] for row in full]

    return Physicians(
        physician_id=_strings(column("physician_id")),
        name=_strings(column("name")),
        rls_id=_strings(column("rls_id")),
        site_id=_strings(column("site_id")),
        latitude=np.array(column("latitude"), dtype=np.float64),
        longitude=np.array(column("longitude"), dtype=np.float64),
        registered=np.array(column("registered"), dtype=np.int64),
        vulnerable=np.array(column("vulnerable"), dtype=np.int64),
        practice_start=_dates(column("practice_start")),
        birth_year=np.array(column("birth_year"), dtype=np.int64),
        amp_target=np.array([-1 if v is None else v for v in column("amp_target")], np.int64),
        other_units=np.array(column("other_units"), dtype=np.float64),
        mode=_strings(column("mode")),
        previous_assiduity=np.array(
            [np.nan if v is None else v for v in column("previous_assiduity")], np.float64
        ),
        departing_on=_dates(column("departing_on")),
    )


def orphans(*rows: dict[str, Any]) -> Orphans:
    """One waiting-list row per dict, each the defaults of :data:`ORPHAN` updated with it."""
    full = [{"patient_id": f"P{i + 1:03d}", **ORPHAN, **row} for i, row in enumerate(rows)]

    def column(name: str) -> list[Any]:
        return [row[name] for row in full]

    return Orphans(
        patient_id=_strings(column("patient_id")),
        rls_id=_strings(column("rls_id")),
        latitude=np.array(column("latitude"), dtype=np.float64),
        longitude=np.array(column("longitude"), dtype=np.float64),
        priority=np.array([PRIORITIES.index(p) for p in column("priority")], dtype=np.int8),
        vulnerable=np.array(column("vulnerable"), dtype=bool),
        requested_on=_dates(column("requested_on")),
        category=_strings(column("category")),
        previous_physician_id=_strings(column("previous_physician_id")),
    )


def _strings(values: list[str]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _dates(values: list[datetime.date | str | None]) -> np.ndarray:
    return np.array(
        [np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values],
        dtype="datetime64[D]",
    )
