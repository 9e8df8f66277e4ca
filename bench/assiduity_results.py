"""Benchmark: the results kept per physician, written once, then a physician's page read.

    .venv/bin/python bench/assiduity_results.py [--data DIR | --visits N] [--keep DIR]
                                                [--results DIR] [--physicians 20]
                                                [--year YEAR] [--memory-limit 2GB]

Without ``--data``, writes a province data set first (10,000 physicians, 6.5 million
registered patients; ``--visits N`` scales the visits down from about 50 million to about
N, every physician keeping their patients, for quick runs) into a temporary folder,
deleted at the end unless ``--keep``. Then, each in a fresh process of its own:

* the write: ``open_tables`` (with the checks) and ``results.write_results`` for the
  year, into a temporary folder (kept with ``--results DIR``, or reused when ``DIR``
  already holds results: the write is skipped). Prints its time by step, its peak memory
  (``os.wait4``) and the size of each file;
* for ``--physicians`` physicians drawn at random from the rates (seeded), one process
  each: the page a physician opens, ``read_rates`` and the physician's row,
  ``read_summary``, ``read_monthly``, the first 50 rows of ``read_physician_visits`` and
  ``count_physician_visits`` (the pager). Before the page, the process evicts the result
  files from the page cache (``posix_fadvise(DONTNEED)``: the results are read from disk,
  as by a web worker after the year was computed, without dropping anyone else's
  cache); the imports (paid once by a web worker) are timed apart. Prints each page's
  time, the bytes it read (``rchar`` of ``/proc/self/io``: every byte asked of the files)
  and the p50 and max of the pages against the 1 s target.

The load average is printed before and after each part: the machine is shared, and a
neighbour's tests slow the write (not much the pages).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assiduity import busiest_year, table_rows, warm_up
from children import run

PAGE_TARGET_SECONDS = 1.0
FIRST_PAGE_ROWS = 50
PROVINCE_VISITS = 49_500_000  # `panelcare synth --scale province`, in its busiest year


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


# --------------------------------------------------------------------------- children


def synth_child(data: Path, visits: int) -> int:
    """Write the province with its visits scaled to about ``visits``."""
    from panelcare.synth import SCALES, FileSink, generate

    province = SCALES["province"]
    share = visits / PROVINCE_VISITS
    scale = dataclasses.replace(
        province,
        visits_per_registered_year=province.visits_per_registered_year * share,
        visits_per_unregistered_year=province.visits_per_unregistered_year * share,
    )
    data.mkdir(parents=True, exist_ok=True)
    with FileSink(data, "parquet") as sink:
        generate(sink, scale)
    return 0


def write_child(data: Path, year: int, out: Path, memory_limit: str) -> int:
    """Check the inputs and write the results; print the times as JSON."""
    started = time.perf_counter()
    from panelcare.assiduity import load_rules
    from panelcare.assiduity.io import connect, open_tables
    from panelcare.assiduity.results import write_results

    imported = time.perf_counter()
    con = connect(memory_limit)
    tables = open_tables(data, con)
    checked = time.perf_counter()
    steps: dict[str, float] = {}
    last = {"step": "", "at": checked}

    def progress(step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if last["step"]:
            steps[str(last["step"])] = now - float(last["at"])
        last.update(step=step, at=now)

    info = write_results(tables, year, load_rules(), con, out, progress=progress)
    figures = {
        "imports": imported - started,
        "checks": checked - imported,
        "write": info.seconds,
        "steps": steps,
        "physicians": info.physicians,
        "visits": info.visits,
    }
    print(json.dumps(figures))
    return 0


def page_child(out: Path, physician: str) -> int:
    """Read one physician's page from cold result files; print the times as JSON."""
    started = time.perf_counter()
    import pyarrow.compute as pc

    from panelcare.assiduity.results import (
        RESULT_FILES,
        count_physician_visits,
        read_monthly,
        read_physician_visits,
        read_rates,
        read_summary,
    )

    imported = time.perf_counter() - started
    for name in RESULT_FILES:
        descriptor = os.open(out / name, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)

    def page() -> dict[str, float | int]:
        before = _read_bytes()
        times: dict[str, float | int] = {}
        at = time.perf_counter()
        rates = read_rates(out)
        rate = rates.filter(pc.equal(rates["physician_id"], physician))
        times["rate"], at = time.perf_counter() - at, time.perf_counter()
        summary = read_summary(out, physician)
        times["summary"], at = time.perf_counter() - at, time.perf_counter()
        monthly = read_monthly(out, physician)
        times["monthly"], at = time.perf_counter() - at, time.perf_counter()
        visits = read_physician_visits(out, physician, limit=FIRST_PAGE_ROWS)
        times["visits"], at = time.perf_counter() - at, time.perf_counter()
        total = count_physician_visits(out, physician)
        times["count"] = time.perf_counter() - at
        times["page"] = sum(float(value) for value in times.values())
        times["read_bytes"] = _read_bytes() - before
        assert rate.num_rows == 1 and monthly.num_rows == 12
        times["rows"] = total
        times["summary_rows"] = summary.num_rows
        times["first_page_rows"] = visits.num_rows
        return times

    cold = page()
    warm = page()  # the same page again, the files now in the page cache
    print(json.dumps({"imports": imported, "cold": cold, "warm_page": warm["page"]}))
    return 0


def _read_bytes() -> int:
    """Bytes this process asked to read so far (``rchar``: files, from disk or cache)."""
    with open("/proc/self/io") as io:
        for line in io:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------- parent


def this_script(*arguments: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *arguments]


def write(data: Path, year: int, out: Path, memory_limit: str) -> None:
    print(f"writing the results of {year} to {out} ... ({load()})", flush=True)
    command = ["--write-child", "--data", str(data), "--year", str(year)]
    child = run(this_script(*command, "--results", str(out), "--memory-limit", memory_limit))
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in figures["steps"].items())
    print(
        f"  write_results {figures['write']:.1f} s ({steps}); before it, imports "
        f"{figures['imports']:.1f} s and the input checks {figures['checks']:.1f} s; "
        f"process {child.seconds:.1f} s, peak {child.peak_gib:.2f} GiB"
    )
    print(f"  {figures['physicians']:,} physicians, {figures['visits']:,} visit rows ({load()})")


def sizes(out: Path) -> None:
    import pyarrow.parquet as pq

    total = 0
    for path in sorted(out.iterdir()):
        size = path.stat().st_size
        total += size
        groups = pq.ParquetFile(path).metadata.num_row_groups
        print(f"  {path.name:<18} {size / 2**20:>9.1f} MiB  {groups:>6,} row groups")
    print(f"  {'on disk':<18} {total / 2**20:>9.1f} MiB")


def pages(out: Path, count: int, seed: int) -> None:
    import pyarrow.parquet as pq

    physicians = pq.read_table(out / "rates.parquet", columns=["physician_id"])
    drawn = random.Random(seed).sample(physicians["physician_id"].to_pylist(), count)
    visits_size = (out / "visits.parquet").stat().st_size
    print(f"{count} physicians' pages, each in a fresh process, files evicted ({load()})")
    print(
        f"  {'physician':<10}{'rows':>8}{'page s':>9}{'rate':>7}{'summ.':>7}{'month':>7}"
        f"{'visits':>8}{'count':>7}{'read MiB':>10}{'warm s':>8}{'process s':>11}"
    )
    cold, warm, processes, read = [], [], [], []
    for physician in drawn:
        child = run(this_script("--page-child", "--results", str(out), "--physician", physician))
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        page = figures["cold"]
        cold.append(page["page"])
        warm.append(figures["warm_page"])
        processes.append(child.seconds)
        read.append(page["read_bytes"])
        print(
            f"  {physician:<10}{page['rows']:>8,}{page['page']:>9.3f}{page['rate']:>7.3f}"
            f"{page['summary']:>7.3f}{page['monthly']:>7.3f}{page['visits']:>8.3f}"
            f"{page['count']:>7.3f}{page['read_bytes'] / 2**20:>10.2f}"
            f"{figures['warm_page']:>8.3f}{child.seconds:>11.2f}"
        )
    median, worst = statistics.median(cold), max(cold)
    verdict = "ok" if worst < PAGE_TARGET_SECONDS else "MISSED"
    print(
        f"page from cold files: p50 {median:.3f} s, max {worst:.3f} s "
        f"(target < {PAGE_TARGET_SECONDS:.0f} s: {verdict}); warm p50 "
        f"{statistics.median(warm):.3f} s"
    )
    print(
        f"bytes read per page: p50 {statistics.median(read) / 2**20:.2f} MiB, max "
        f"{max(read) / 2**20:.2f} MiB, of {visits_size / 2**20:.0f} MiB of visits.parquet; "
        f"a fresh process (Python, imports, page): p50 {statistics.median(processes):.2f} s"
    )
    print(f"({load()})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="reuse this data folder instead of writing one")
    parser.add_argument(
        "--visits", type=int, help="write a province with about this many visits (default 50 M)"
    )
    parser.add_argument("--keep", type=Path, help="write the data set here and keep it")
    parser.add_argument(
        "--results", type=Path, help="keep the results here (reused if they are there)"
    )
    parser.add_argument("--year", type=int, help="default: the year with the most visits")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB's, for the write")
    parser.add_argument("--physicians", type=int, default=20, help="pages to time")
    parser.add_argument("--seed", type=int, default=16, help="draws the physicians")
    parser.add_argument("--synth-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--write-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--page-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--physician", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.synth_child:
        return synth_child(args.data, args.visits)
    if args.write_child:
        return write_child(args.data, args.year, args.results, args.memory_limit)
    if args.page_child:
        return page_child(args.results, args.physician)

    made = []
    data = args.data
    if data is None:
        data = args.keep or Path(tempfile.mkdtemp(prefix="panelcare-results-data-"))
        if args.keep is None:
            made.append(data)
        visits = args.visits or PROVINCE_VISITS
        print(f"writing a province of about {visits:,} visits to {data} ...", flush=True)
        synth = run(this_script("--synth-child", "--data", str(data), "--visits", str(visits)))
        print(f"  {synth.seconds:.1f} s, peak {synth.peak_gib:.2f} GiB", flush=True)
    out = args.results
    if out is None:
        scratch = Path(tempfile.mkdtemp(prefix="panelcare-results-"))
        made.append(scratch)
        out = scratch / "results"
    try:
        year = args.year or busiest_year(data)
        rows = table_rows(data)
        print(
            f"data {data}, year {year}: visits {rows['visits']:,}, "
            f"registrations {rows['registrations']:,}"
        )
        if (out / "index.parquet").exists():
            print(f"reusing the results in {out}")
        else:
            warm_up(data)
            write(data, year, out, args.memory_limit)
        sizes(out)
        pages(out, args.physicians, args.seed)
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
