"""Benchmark: the attribution plan against the independent oracle of its formal model.

    .venv/bin/python bench/attribution_optimality.py [--n N] [--kinds one_town,spread,weighted]
                                                      [--seed S]

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
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "attribution"))

from oracle import KINDS, RUN, check

from panelcare.attribution.greedy import greedy_plan
from panelcare.attribution.solve import plan


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
            started = time.perf_counter()
            result = plan(doctors, waiting, params, RUN, workers=1)
            plan_s = time.perf_counter() - started
            started = time.perf_counter()
            greedy_plan(result.physicians, result.orphans, result.targets, params)
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
            if report.violations(tolerance_km=_tolerance(result)):
                failures += 1
    print(
        f"{failures} plans with a violation; plan {totals['plan']:.2f} s, "
        f"greedy {totals['greedy']:.2f} s in all"
    )
    return 0


def _tolerance(result) -> float:  # type: ignore[no-untyped-def]
    from oracle import DISTANCE_TOLERANCE_KM

    return DISTANCE_TOLERANCE_KM * float(np.sum(result.physician_of >= 0))


if __name__ == "__main__":
    raise SystemExit(main())
