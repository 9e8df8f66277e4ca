"""Benchmark: the assiduity rates of a province-year against one plain DuckDB query.

    .venv/bin/python bench/assiduity.py [--data DIR [--data DIR ...]] [--year YEAR]
                                        [--memory-limit 2GB] [--repeat N] [--profile]
                                        [--keep DIR] [--explain PHYSICIAN]

Without ``--data``, writes the province data set first (``panelcare synth DIR --scale
province``: 10,000 physicians, about 7 million registrations and 50 million visits, as
Parquet; about a minute) into a temporary folder, deleted at the end unless ``--keep``.
Then, each in a fresh process of its own so that its peak memory is its own:

* the baseline: :func:`panelcare.assiduity.io.baseline_rates_sql`, one DuckDB query joining
  the year's visits to the registration in force (half-open periods) and counting, per
  registering physician, that physician's visits over all visits; no rule at all;
* ``panelcare assiduity compute DATA --year YEAR --out ...``: the whole command, with the
  checks of every input row, the rules, and the CSV file.

Prints rows, wall times, their ratio (target: compute at most 2.5 times the baseline) and
each process's peak resident memory (``ru_maxrss`` from ``os.wait4``; target for compute:
under 3 GB). The year defaults to the one most visits fall in (2025 for the generator's
default as-of day). ``--repeat N`` alternates N runs of each and keeps the fastest (on a
shared machine); ``--profile`` then prints the costliest DuckDB operators of the query.

``--explain PHYSICIAN`` measures ``panelcare assiduity explain DATA --physician
PHYSICIAN`` (the whole command, checks included) against the same baseline instead
(target: at most half of it).

``--data`` may be given several times: each folder is measured in turn (the files of
other shapes come from ``bench/assiduity_shapes.py``: shuffled rows, other row groups,
longer ids, 2,000 physicians), and a last table sums them up. Each line also gives the
processes' CPU time (user and system, ``os.wait4``) and its ratio, and the load average
before the pair: on a shared machine the wall-time ratio moves with a neighbour's load,
the CPU ratio much less.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from children import Run, best, panelcare_command, run

RATIO_TARGET = 2.5
EXPLAIN_RATIO_TARGET = 0.5  # explain for one physician: at most half the baseline
MEMORY_TARGET_GIB = 3.0


def busiest_year(data: Path) -> int:
    import duckdb

    from panelcare.assiduity.io import find_tables

    visits = find_tables(data)["visits"]
    reader = "read_parquet" if visits.suffix == ".parquet" else "read_csv"
    query = (
        f"SELECT year(visit_date) AS y FROM {reader}('{visits}') "
        "GROUP BY y ORDER BY count(*) DESC LIMIT 1"
    )
    return int(duckdb.connect().execute(query).fetchall()[0][0])


def table_rows(data: Path) -> dict[str, int]:
    import duckdb

    from panelcare.assiduity.io import find_tables

    counts = {}
    con = duckdb.connect()
    for name in ("visits", "registrations"):
        path = find_tables(data)[name]
        reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
        counts[name] = int(con.execute(f"SELECT count(*) FROM {reader}('{path}')").fetchall()[0][0])
    return counts


def warm_up(data: Path) -> None:
    """Read the files once so that neither contender pays for a cold page cache."""
    for path in data.iterdir():
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


def baseline_child(data: Path, year: int, memory_limit: str) -> int:
    """In the child process: run the baseline query, print its rows and time."""
    from panelcare.assiduity.io import baseline, connect

    started = time.perf_counter()
    result = baseline(data, year, connect(memory_limit))
    print(f"{result.num_rows} rows, query {time.perf_counter() - started:.2f} s")
    return 0


def profile(data: Path, year: int, memory_limit: str, top: int = 12) -> None:
    """Run the rates query once with DuckDB's profiler and print its costliest operators.

    The query is ``ibis.to_sql(physician_rates(...))``, as the CLI runs it (the checks
    run first, untimed); operators are summed over threads, so they add up to more than the wall time.
    """
    import json

    from panelcare.assiduity import load_rules, physician_rates
    from panelcare.assiduity.io import connect, open_tables

    con = connect(memory_limit)
    # Checked, as the command reads them: the rules then know each column's vocabulary.
    tables = open_tables(data, con)
    expr = physician_rates(tables, year, load_rules())
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "profile.json"
        con.raw_sql("PRAGMA enable_profiling = 'json'")
        con.raw_sql(f"PRAGMA profiling_output = '{output}'")
        started = time.perf_counter()
        con.to_pyarrow(expr)
        seconds = time.perf_counter() - started
        con.raw_sql("PRAGMA disable_profiling")
        tree = json.loads(output.read_text())

    operators: list[tuple[float, int, str, str]] = []

    def walk(node: dict) -> None:
        timing = node.get("timing", node.get("operator_timing")) or 0.0
        rows = node.get("intermediate_rows", node.get("operator_cardinality")) or 0
        kind = str(node.get("type", node.get("operator_type", "?")))
        extra = node.get("extra_info") or {}
        what = (
            extra.get("Conditions")
            or extra.get("Expression")
            or extra.get("Filename(s)")
            or extra.get("Groups")
            or ""
        )
        if not what and kind == "PROJECTION":
            what = f"{len(extra.get('Projections', []))} expressions"
        operators.append((float(timing), int(rows), kind, str(what)))
        for child in node.get("children", []):
            walk(child)

    for root in tree.get("operator", tree.get("children", [])):
        walk(root)
    total = sum(op[0] for op in operators)
    print(f"profile of the rates query: {seconds:.1f} s wall, {total:.1f} s in operators")
    for timing, rows, kind, what in sorted(operators, reverse=True)[:top]:
        print(
            f"  {timing:6.2f} s {100 * timing / total:4.0f} % {rows:>12,} rows  {kind:<15} {what[:90]}"
        )


def report(
    data: Path,
    year: int,
    memory_limit: str,
    rows: dict[str, int],
    base: Run,
    compute: Run,
    rates_rows: int,
    target: float = RATIO_TARGET,
    name: str = "compute",
) -> None:
    phases = re.search(r"\(((?:reading|opening) .*)\)", compute.stdout)
    ratio = compute.seconds / base.seconds
    print(f"data {data}, year {year}, {os.cpu_count()} cores, memory limit {memory_limit}")
    print(f"  visits {rows['visits']:,}, registrations {rows['registrations']:,}")
    print(f"{'':<10}{'wall s':>9}{'cpu s':>8}{'peak GiB':>10}  output")
    print(
        f"{'baseline':<10}{base.seconds:>9.1f}{base.cpu_seconds:>8.1f}{base.peak_gib:>10.2f}  "
        f"{base.stdout.strip()}"
    )
    print(
        f"{name:<10}{compute.seconds:>9.1f}{compute.cpu_seconds:>8.1f}"
        f"{compute.peak_gib:>10.2f}  "
        f"{rates_rows:,} rows ({phases.group(1) if phases else 'no phase times'})"
    )
    verdict = "ok" if ratio <= target else "MISSED"
    cpu_ratio = compute.cpu_seconds / base.cpu_seconds if base.cpu_seconds else float("nan")
    print(
        f"ratio {name} / baseline {ratio:.2f} (target <= {target}: {verdict}); "
        f"CPU time ratio {cpu_ratio:.2f}"
    )
    memory = "ok" if compute.peak_gib < MEMORY_TARGET_GIB else "MISSED"
    print(
        f"compute peak memory {compute.peak_gib:.2f} GiB (target < {MEMORY_TARGET_GIB}: {memory})"
    )


def measure(data: Path, args: argparse.Namespace) -> tuple[float, Run, Run]:
    """Measure the baseline and the command on ``data`` and print the report; return the
    1-minute load average before the runs and the best run of each."""
    year = args.year or busiest_year(data)
    rows = table_rows(data)
    warm_up(data)
    before = os.getloadavg()
    print(f"load average before: {before[0]:.2f}, {before[1]:.2f}, {before[2]:.2f}", flush=True)
    out = Path(tempfile.mkdtemp(prefix="panelcare-rates-")) / "rates.csv"
    baseline_command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--baseline-child",
        "--data",
        str(data),
        "--year",
        str(year),
        "--memory-limit",
        args.memory_limit,
    ]
    compute_command = [
        *panelcare_command(),
        "assiduity",
        "explain" if args.explain else "compute",
        str(data),
        "--year",
        str(year),
        *(["--physician", args.explain] if args.explain else []),
        "--out",
        str(out),
        "--memory-limit",
        args.memory_limit,
        # explain from the results `compute --results` kept for the year (one folder, of
        # the first --data; the command still checks the data folder's path).
        *(["--results", str(args.results)] if args.explain and args.results else []),
    ]
    bases, computes = [], []
    try:
        # Alternated, so that a neighbour's load spreads over both; the best of each
        # is kept (the run least disturbed), with the highest peak memory seen.
        for _ in range(args.repeat):
            bases.append(run(baseline_command))
            computes.append(run(compute_command))
        rates_rows = sum(1 for _ in out.open()) - 1
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    base, compute = best(bases), best(computes)
    target = EXPLAIN_RATIO_TARGET if args.explain else RATIO_TARGET
    name = "explain" if args.explain else "compute"
    report(data, year, args.memory_limit, rows, base, compute, rates_rows, target, name)
    after = os.getloadavg()
    print(f"load average after: {after[0]:.2f}, {after[1]:.2f}, {after[2]:.2f}", flush=True)
    if args.profile:
        profile(data, year, args.memory_limit)
    return before[0], base, compute


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--results",
        type=Path,
        help="with --explain: a folder `panelcare assiduity compute --results` wrote for the "
        "year; explain reads the physician's rows there",
    )
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        help="reuse this data folder instead of writing one (repeatable)",
    )
    parser.add_argument("--year", type=int, help="default: the year with the most visits")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB's, for both contenders")
    parser.add_argument("--keep", type=Path, help="write the province data set here and keep it")
    parser.add_argument(
        "--profile", action="store_true", help="then profile the rates query (DuckDB operators)"
    )
    parser.add_argument(
        "--explain", metavar="PHYSICIAN", help="measure explain for this physician instead"
    )
    parser.add_argument("--repeat", type=int, default=1, help="run each N times, keep the best")
    parser.add_argument("--baseline-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.baseline_child:
        return baseline_child(args.data[0], args.year, args.memory_limit)

    if args.data and len(args.data) > 1:
        summary = []
        for folder in args.data:
            figures = measure(folder, args)
            summary.append((folder, *figures))
            print(flush=True)
        print(f"{'data':<48}{'load':>6}{'base s':>8}{'comp. s':>8}{'ratio':>7}{'cpu ratio':>10}")
        for folder, before, base, compute in summary:
            print(
                f"{folder!s:<48}{before:>6.2f}{base.seconds:>8.1f}{compute.seconds:>8.1f}"
                f"{compute.seconds / base.seconds:>7.2f}"
                f"{compute.cpu_seconds / max(base.cpu_seconds, 1e-9):>10.2f}"
            )
        return 0

    made = None
    data = args.data[0] if args.data else None
    if data is None:
        data = args.keep or Path(tempfile.mkdtemp(prefix="panelcare-assiduity-"))
        made = None if args.keep else data
        print(f"writing the province data set to {data} ...", flush=True)
        synth = run([*panelcare_command(), "synth", str(data), "--scale", "province"])
        print(f"  {synth.seconds:.1f} s, peak {synth.peak_gib:.2f} GiB", flush=True)
    try:
        measure(data, args)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)

    return 0


if __name__ == "__main__":
    raise SystemExit(main())
