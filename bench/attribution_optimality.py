"""Benchmark: the attribution plan against the independent oracle of its formal model.

    .venv/bin/python bench/attribution_optimality.py [--n N] [--kinds one_town,spread,weighted]
                                                      [--seed S] [--gmf]

For N seeded instances of each kind (``tests/attribution/oracle.py``: one town, spread
out, weighted; 30-40 physicians, 300-1,200 orphans, the vulnerable cap and the
capacities binding), runs the planner (``solve.plan``, one worker) and the greedy
baseline, then checks the plan level by level with the oracle (HiGHS MILPs and
enumeration) and prints per instance:

* L1: hard-constraint violations;
* L2: placed A..E, the plan's count and the best (the first prefix that differs), and
  the classes of unplaced patients one of whom could replace a newer request;
* L3: to 1a / 1a + 1b under 3 units / group 1, the plan's and the best;
* L4: placed patients with an improving single move (and the moves);
* L5: total distance, the plan's and the least for its patients and counts (gap in %);
* times: plan, greedy, oracle.

``--gmf``: the same instances with GMF targets that bind (issue 19): each physician put in
one of 3 GMFs or none (seeded), each GMF's target half its members' capacities
together; the oracle holds them among its hard constraints and at every level, and a line
under each instance gives each GMF's weighted patients against its target, the plan's
then the greedy baseline's (which holds them too).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "attribution"))

from oracle import KINDS, RUN, check

from panelcare.attribution.greedy import greedy_plan
from panelcare.attribution.groups import category_weight, targets
from panelcare.attribution.model import Physicians
from panelcare.attribution.params import Params
from panelcare.attribution.solve import plan

GMFS = ("G1", "G2", "G3")


def _first_gap(levels: list) -> str:
    for level in levels:
        if level.gap > 1e-6:
            return f"{level.name} {level.plan:g}/{level.best:g}"
    return "ok"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3, help="instances of each kind")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--gmf", action="store_true", help="with binding GMF targets")
    args = parser.parse_args(argv)
    print(
        f"{'kind':<9}{'seed':>5}{'phys':>5}{'orph':>6}  {'L1':<4}{'L2 (plan/best)':<28}"
        f"{'swaps':>6}  {'L3 (plan/best)':<34}{'L4 moves':>10}{'L5 gap %':>10}"
        f"{'plan s':>8}{'greedy s':>9}{'oracle s':>9}"
    )
    failures = 0
    totals: dict[str, float] = {"plan": 0.0, "greedy": 0.0}
    for kind in args.kinds.split(","):
        make = KINDS[kind]
        for seed in range(args.seed, args.seed + args.n):
            doctors, waiting, params = make(seed)
            if args.gmf:
                doctors, params = _with_gmfs(doctors, params, seed)
            started = time.perf_counter()
            result = plan(doctors, waiting, params, RUN, workers=1)
            plan_s = time.perf_counter() - started
            started = time.perf_counter()
            greedy_of, _ = greedy_plan(result.physicians, result.orphans, result.targets, params)
            greedy_s = time.perf_counter() - started
            totals["plan"] += plan_s
            totals["greedy"] += greedy_s
            report = check(
                result.physicians, result.orphans, result.targets, params, result.physician_of
            )
            distance = report.distance
            gap = (
                100 * distance.gap / distance.best
                if distance is not None and distance.best
                else float("nan")
            )
            moves = f"{report.moves} ({report.move_pairs})"
            print(
                f"{kind:<9}{seed:>5}{len(doctors):>5}{len(waiting):>6}  "
                f"{len(report.hard):<4}{_first_gap(report.placement):<28}"
                f"{report.swaps:>6}  {_first_gap(report.precedence):<34}{moves:>10}"
                f"{gap:>10.3f}{plan_s:>8.2f}{greedy_s:>9.3f}{report.seconds:>9.2f}",
                flush=True,
            )
            for line in report.hard:
                print(f"    L1: {line}")
            if args.gmf:
                ours = _gmf_weights(result.physicians, result.orphans, params, result.physician_of)
                greedy = _gmf_weights(result.physicians, result.orphans, params, greedy_of)
                print(
                    "    GMF weighted/target: "
                    + ", ".join(
                        f"{g} {ours[g]:g}/{params.gmf_targets[g]} (greedy {greedy[g]:g})"
                        for g in GMFS
                    )
                )
            if report.violations(tolerance_km=_tolerance(result)):
                failures += 1
    print(
        f"{failures} plans with a violation; plan {totals['plan']:.2f} s, "
        f"greedy {totals['greedy']:.2f} s in all"
    )
    return 0


def _with_gmfs(doctors: Physicians, params: Params, seed: int) -> tuple[Physicians, Params]:
    """``doctors`` each in one of :data:`GMFS` or none, and ``params`` with each GMF's
    target half its members' capacities together (so that it binds)."""
    rng = np.random.default_rng(seed)
    gmf_id = np.empty(len(doctors), dtype=object)
    gmf_id[:] = [str(rng.choice([*GMFS, ""])) for _ in range(len(doctors))]
    capacity = targets(doctors, params, RUN).capacity
    gmf_targets = {g: int(capacity[gmf_id == g].sum()) // 2 for g in GMFS}
    return (
        dataclasses.replace(doctors, gmf_id=gmf_id),
        dataclasses.replace(params, gmf_targets=gmf_targets),
    )


def _gmf_weights(doctors, orphans, params, physician_of) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Each GMF's weighted patients (LE 304 blocks included, as the target counts them)."""
    placed = physician_of >= 0
    weight = category_weight(orphans.category, params.category_weights)
    per_physician = np.bincount(
        physician_of[placed], weights=weight[placed], minlength=len(doctors)
    )
    return {g: round(float(per_physician[doctors.gmf_id == g].sum()), 2) for g in GMFS}


def _tolerance(result) -> float:  # type: ignore[no-untyped-def]
    from oracle import DISTANCE_TOLERANCE_KM

    return DISTANCE_TOLERANCE_KM * float(np.sum(result.physician_of >= 0))


if __name__ == "__main__":
    raise SystemExit(main())
