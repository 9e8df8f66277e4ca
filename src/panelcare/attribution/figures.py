"""What a plan's pages draw: per-physician figures, totals per group, distances, a map.

    figures = plan_figures(plan, population)   # outputs.summary + figures["pages"]
    rows = physician_figures(plan)             # one dict per physician, input order

Pure functions of a :class:`~panelcare.attribution.solve.Plan` returning JSON-ready data
(the web app stores it as the run's summary, and its pages read that, never the whole
plan). The numbers are the plan's folder's (:mod:`panelcare.attribution.outputs`), with a
few more the pages show beside them: the vulnerable share and the units *before* the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from panelcare.attribution import outputs
from panelcare.attribution.model import GROUPS

if TYPE_CHECKING:
    from panelcare.attribution.solve import Plan

__all__ = [
    "DISTANCE_BIN_KM",
    "MAP_POINTS",
    "distance_bins",
    "group_figures",
    "map_points",
    "physician_figures",
    "plan_figures",
]

# Width of the distance chart's bars, in km.
DISTANCE_BIN_KM = 5
# Patients on the map, at most (a province's waiting list would weigh megabytes).
MAP_POINTS = 5000


def plan_figures(plan: Plan, population: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The engine's summary (:func:`panelcare.attribution.outputs.summary`; its ``by_gmf``
    gives each GMF's target beside what its members received) plus, under ``pages``, what
    a plan's pages draw: ``physicians`` (:func:`physician_figures`), ``groups``
    (:func:`group_figures`), ``distances`` (:func:`distance_bins`) and ``map``
    (:func:`map_points`).

    Args:
        plan: the plan.
        population: residents per RLS code, for the projected registration rates (as
            :func:`~panelcare.attribution.outputs.summary`).
    """
    figures = outputs.summary(plan, population)
    rows = physician_figures(plan)
    figures["pages"] = {
        "physicians": rows,
        "groups": group_figures(rows),
        "distances": distance_bins(plan),
        "map": map_points(plan),
    }
    return figures


def physician_figures(plan: Plan) -> list[dict[str, Any]]:
    """Per physician, in input order: who, where (and their GMF, ``gmf_id``, "" for none),
    group, tier and target, and the plan's
    figures before and after it (assigned, vulnerable share, units, monthly pace, mean
    distance, reason codes).

    The figures after are :func:`~panelcare.attribution.outputs.physicians_table`'s
    (rounded as in ``physicians.csv``); ``vulnerable_share_before`` is vulnerable /
    registered (four decimals, ``None`` for an empty panel), ``units_before`` the
    targets' (5.3.3, three decimals).
    """
    physicians, targets = plan.physicians, plan.targets
    table = outputs.physicians_table(plan).to_pylist()
    registered = physicians.registered
    share_before = physicians.vulnerable / np.maximum(registered, 1)
    rows = []
    for j, row in enumerate(table):
        rows.append(
            {
                "physician_id": row["physician_id"],
                "name": str(physicians.name[j]),
                "rls_id": row["rls_id"],
                "site_id": str(physicians.site_id[j]),
                "gmf_id": str(physicians.gmf_id[j]),
                "latitude": round(float(physicians.latitude[j]), 5),
                "longitude": round(float(physicians.longitude[j]), 5),
                "mode": row["mode"],
                "group": row["group"],
                "tier": outputs.tier_name(int(targets.tier[j])),
                "registered": row["registered"],
                "vulnerable": int(physicians.vulnerable[j]),
                "target": row["target"],
                "need": row["need"],
                "capacity": row["capacity"],
                "assigned": row["assigned"],
                "assigned_vulnerable": row["assigned_vulnerable"],
                "vulnerable_share_before": (
                    round(float(share_before[j]), 4) if registered[j] > 0 else None
                ),
                "vulnerable_share_after": row["vulnerable_share_after"],
                "units_before": round(float(targets.units_before[j]), 3),
                "units_after": row["units_after"],
                "monthly_pace": row["monthly_pace"],
                "mean_distance_km": row["mean_distance_km"],
                "reasons": row["reason"].split(";") if row["reason"] else [],
            }
        )
    return rows


def group_figures(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per group of the procedure (1a, 1b, 2; not the non-participating), from
    :func:`physician_figures`' ``rows``: how many physicians, and the sums of their need,
    capacity and assigned patients."""
    groups = []
    for group in GROUPS[:-1]:
        members = [row for row in rows if row["group"] == group]
        groups.append(
            {
                "group": group,
                "physicians": len(members),
                "need": sum(row["need"] for row in members),
                "capacity": sum(row["capacity"] for row in members),
                "assigned": sum(row["assigned"] for row in members),
            }
        )
    return groups


def distance_bins(plan: Plan, width_km: int = DISTANCE_BIN_KM) -> list[dict[str, Any]]:
    """Assigned patients by distance to their physician, in bins of ``width_km``
    (``from`` included, ``to`` excluded), from 0 to the bin of the farthest; empty when
    nobody is assigned."""
    placed = plan.physician_of >= 0
    distance = plan.distance_km[placed]
    if distance.size == 0:
        return []
    bins = np.floor(distance / width_km).astype(np.int64)
    counts = np.bincount(bins, minlength=int(bins.max()) + 1)
    return [
        {"from": k * width_km, "to": (k + 1) * width_km, "patients": int(n)}
        for k, n in enumerate(counts.tolist())
    ]


def map_points(plan: Plan, limit: int = MAP_POINTS) -> dict[str, Any]:
    """What the map draws: ``patients``, at most ``limit`` of the orphans as
    ``[latitude, longitude, assigned]`` (rounded to 0.001°, about 100 m: a home is not
    pinpointed), in the orphans' order; ``patients_total``, how many orphans the plan has;
    ``sites``, one per physicians' site (in order of first appearance) with its position,
    its physicians and the patients assigned to them.

    Beyond ``limit`` the patients are a sample drawn with a fixed seed: the same plan
    gives the same map at every load.
    """
    orphans = plan.orphans
    n = len(orphans)
    rows = np.arange(n)
    if n > limit:
        rows = np.sort(np.random.default_rng(0).choice(n, size=limit, replace=False))
    placed = plan.physician_of >= 0
    patients = [
        [
            round(float(orphans.latitude[i]), 3),
            round(float(orphans.longitude[i]), 3),
            bool(placed[i]),
        ]
        for i in rows.tolist()
    ]
    sites: dict[str, dict[str, Any]] = {}
    assigned = plan.assigned_count()
    physicians = plan.physicians
    for j in range(len(physicians)):
        site = sites.setdefault(
            str(physicians.site_id[j]),
            {
                "site_id": str(physicians.site_id[j]),
                "latitude": round(float(physicians.latitude[j]), 4),
                "longitude": round(float(physicians.longitude[j]), 4),
                "physicians": 0,
                "assigned": 0,
            },
        )
        site["physicians"] += 1
        site["assigned"] += int(assigned[j])
    return {"patients": patients, "patients_total": n, "sites": list(sites.values())}
