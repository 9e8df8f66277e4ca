"""Plans made by hand for the tests of outputs, store and explain: the assignments are
given, not solved, so those tests do not depend on the solver.

    plan = make_plan(physicians({}, {}), orphans({}, {}), physician_of=[0, -1])

Targets come from ``groups.targets`` and candidates from ``candidates.find_candidates``,
as the solver would have them; months and paces from ``pace``; distances from the
positions. The vulnerable quota defaults to each physician's capacity (no cap binding).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np

from panelcare.attribution.candidates import find_candidates
from panelcare.attribution.groups import targets
from panelcare.attribution.model import Orphans, Physicians
from panelcare.attribution.pace import assign_months, monthly_pace
from panelcare.attribution.params import Params
from panelcare.attribution.solve import Plan
from panelcare.geo import haversine_km

RUN = datetime.date(2026, 11, 15)

# One degree of latitude, in km (haversine on the mean Earth radius).
KM_PER_DEGREE = float(haversine_km(0.0, 0.0, 1.0, 0.0))


def north_of(position: tuple[float, float], km: float) -> tuple[float, float]:
    """The point ``km`` north of ``position`` (along its meridian)."""
    return position[0] + km / KM_PER_DEGREE, position[1]


def make_plan(
    doctors: Physicians,
    waiting: Orphans,
    physician_of: Sequence[int],
    *,
    params: Params | None = None,
    run_date: datetime.date = RUN,
    le304: Sequence[bool] | None = None,
    vulnerable_quota: Sequence[int] | None = None,
) -> Plan:
    params = params or Params()
    goals = targets(doctors, params, run_date)
    chosen = np.asarray(physician_of, dtype=np.int64)
    placed = chosen >= 0
    distance = np.full(len(waiting), np.nan)
    distance[placed] = haversine_km(
        waiting.latitude[placed],
        waiting.longitude[placed],
        doctors.latitude[chosen[placed]],
        doctors.longitude[chosen[placed]],
    )
    assigned = np.bincount(chosen[placed], minlength=len(doctors))
    quota = goals.capacity if vulnerable_quota is None else vulnerable_quota
    return Plan(
        physicians=doctors,
        orphans=waiting,
        targets=goals,
        params=params,
        run_date=run_date,
        candidates=find_candidates(doctors, goals, waiting, params),
        physician_of=chosen,
        distance_km=distance,
        le304=np.zeros(len(waiting), bool) if le304 is None else np.asarray(le304, bool),
        month=assign_months(waiting, chosen, len(doctors), params.period_months),
        vulnerable_quota=np.asarray(quota, dtype=np.int64),
        monthly_pace=monthly_pace(assigned, params.period_months),
    )
