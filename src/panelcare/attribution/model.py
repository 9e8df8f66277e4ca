"""The attribution's data, as parallel numpy arrays (one row per physician or orphan).

Struct-of-arrays rather than objects: a province holds 10,000 physicians and up to a
million orphans, and every step (candidates, network, pace, outputs) is a vectorised
expression over whole columns. Strings are numpy object arrays of Python ``str``; a
missing date is ``NaT``, a missing number ``nan`` (or the sentinel its docstring names).

The columns are those of the data contract (``spec/attribution.md``, "Data contract").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

__all__ = [
    "GROUPS",
    "MODES",
    "PRIORITIES",
    "TIERS",
    "Orphans",
    "Physicians",
    "Targets",
    "assignment_km",
]

# Waiting-list priorities, most urgent first; stored as their index (A = 0 ... E = 4).
PRIORITIES = ("A", "B", "C", "D", "E")
# Attribution modes a physician may choose (DSP-PR-30042, 7).
MODES = ("bloc", "le304", "none")
# Physicians' groups (DSP-PR-30042, 5.1); "none": not participating.
GROUPS = ("1a", "1b", "2", "none")
# Precedence tiers of the solver (formal model, level 3): group 1a, group 1b under the full
# workload (3 units), the rest of group 1b, group 2. -1: not participating.
TIERS = ("1a", "1b_under_full_workload", "1b", "2")

Strings = npt.NDArray[np.object_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Dates = npt.NDArray[np.datetime64]


class _Columns:
    """Shared helpers of the struct-of-arrays classes."""

    def __len__(self) -> int:
        first = fields(self)[0]  # type: ignore[arg-type]
        return len(getattr(self, first.name))

    def take(self, index: npt.ArrayLike) -> _Columns:
        """The rows at ``index`` (an integer or boolean array), in that order."""
        rows = np.asarray(index)
        return type(self)(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class Physicians(_Columns):
    """The ``physicians`` table of the contract.

    ``amp_target`` is -1 for a physician not subject to the AMP requirement;
    ``previous_assiduity`` is ``nan`` when unknown; ``departing_on`` is ``NaT`` for a
    physician who is not leaving. ``gmf_id`` is the physician's GMF for the run (an
    optional column, ``""`` for none; all ``""`` when not given).
    """

    physician_id: Strings
    name: Strings
    rls_id: Strings
    site_id: Strings
    latitude: Floats
    longitude: Floats
    registered: Ints
    vulnerable: Ints
    practice_start: Dates
    birth_year: Ints
    amp_target: Ints
    other_units: Floats
    mode: Strings
    previous_assiduity: Floats
    departing_on: Dates
    gmf_id: Strings = field(default_factory=lambda: np.empty(0, dtype=object))

    def __post_init__(self) -> None:
        if len(self.gmf_id) == 0 and len(self.physician_id) > 0:
            # A table without the optional column: nobody is in a GMF.
            none = np.empty(len(self.physician_id), dtype=object)
            none[:] = ""
            object.__setattr__(self, "gmf_id", none)


@dataclass(frozen=True, eq=False)
class Orphans(_Columns):
    """The ``waitlist`` table of the contract: the orphans a run may place.

    ``priority`` is the index in :data:`PRIORITIES` (0 = A); ``category`` and
    ``previous_physician_id`` are ``""`` when empty.
    """

    patient_id: Strings
    rls_id: Strings
    latitude: Floats
    longitude: Floats
    priority: npt.NDArray[np.int8]
    vulnerable: Bools
    requested_on: Dates
    category: Strings
    previous_physician_id: Strings


@dataclass(frozen=True, eq=False)
class Targets(_Columns):
    """Each physician's place in the run (DSP-PR-30042, 5.1 and 5.3), aligned with
    :class:`Physicians`.

    * ``group``: "1a", "1b", "2" or "none" (not participating);
    * ``tier``: index in :data:`TIERS`, -1 when not participating;
    * ``target``: registrations the physician is asked to reach (0 when not participating);
    * ``need``: ``max(0, target - registered)``, in weighted patients;
    * ``capacity``: weighted patients the run may give them (the need, lowered by the
      shortage rule and the yearly cap; 0 when not participating);
    * ``units_before``: ``other_units + registered / patients_per_unit``;
    * ``accepts_vulnerable``: False for a physician already above the vulnerable cap;
    * ``le304``: mode le304 and eligible (assiduity at or above the threshold): receives
      LE 304 blocks, not individual patients;
    * ``reasons``: reason codes, ";"-separated (docs/attribution-rules.md lists them).
    """

    group: Strings
    tier: npt.NDArray[np.int8]
    target: Ints
    need: Ints
    capacity: Ints
    units_before: Floats
    accepts_vulnerable: Bools
    le304: Bools
    reasons: Strings


@dataclass(frozen=True, eq=False)
class Selection:
    """Which waiting-list rows are orphans of this run (DSP-PR-30042, 5.2).

    ``orphan`` is aligned with the waiting list; ``reason`` gives, for each row left out,
    why (``""`` for the orphans): "previous_physician_not_departing" (the patient of a
    physician who is not leaving before 1 January of the next year, unless the run
    includes later departures) or "previous_physician_unknown".
    """

    orphan: Bools
    reason: Strings


@dataclass(frozen=True, eq=False)
class Blocks:
    """LE 304 block transfers decided before the solver (DSP-PR-30042, 7).

    Parallel arrays, one row per transferred orphan: ``orphan`` (index into the orphans)
    and ``physician`` (index into the physicians).
    """

    orphan: Ints = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    physician: Ints = field(default_factory=lambda: np.empty(0, dtype=np.int64))


def next_january(run_date: datetime.date) -> datetime.date:
    """1 January of the year after ``run_date``: departures before it count (5.2)."""
    return datetime.date(run_date.year + 1, 1, 1)


def assignment_km(physicians: Physicians, orphans: Orphans, physician_of: Ints) -> Floats:
    """Each orphan's distance to the site of the physician they are assigned to
    (``physician_of``: index into ``physicians``, -1 unassigned), ``nan`` when unassigned."""
    from panelcare.geo import haversine_km

    distance = np.full(len(orphans), np.nan)
    placed = physician_of >= 0
    j = physician_of[placed]
    distance[placed] = haversine_km(
        orphans.latitude[placed],
        orphans.longitude[placed],
        physicians.latitude[j],
        physicians.longitude[j],
    )
    return distance
