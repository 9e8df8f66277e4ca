"""Benchmark: the reads of a physician's assiduity page in the web app, on results already
written (``panelcare.assiduity.results.write_results``; ``bench/assiduity_results.py
--results DIR`` keeps a province's).

    .venv/bin/python bench/assiduity_page.py --results DIR [--physicians 20] [--seed 16]

For ``--physicians`` physicians drawn from the rates (seeded), each in a fresh process:
the result files are evicted from the page cache (``posix_fadvise(DONTNEED)``, as a web
worker meets them after the year was computed), then the page's reads are timed one by one
as :func:`web.assiduity.explanation.read_results` makes them: the physician's rate row
(``rates.parquet``, the row groups that may hold them), ``read_summary``, the counted
visits not assiduous with their provider category (the physician's row groups of
``visits.parquet``), the first page of visits (``count_physician_visits`` and
``read_physician_visits``, 50 rows) and ``read_monthly``; then the same reads through
``read_results`` itself, cold and warm. Prints each page's times and bytes read
(``rchar``), then the p50 and max against the 1 s target. The Django and Arrow imports (paid
once by a web worker) are timed apart. Nothing is generated here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

PAGE_TARGET_SECONDS = 1.0
ROOT = Path(__file__).resolve().parent.parent


def _read_bytes() -> int:
    """Bytes this process asked to read so far (``rchar``: files, from disk or cache)."""
    with open("/proc/self/io") as io:
        for line in io:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return 0


def _evict(out: Path) -> None:
    for path in out.glob("*.parquet"):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def page_child(out: Path, physician: str) -> int:
    """One physician's page from cold files; prints the times as JSON."""
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.config.settings")
    import django

    django.setup()
    from panelcare.assiduity.results import read_monthly, read_summary
    from web.assiduity import explanation

    imported = time.perf_counter() - started
    _evict(out)

    before = _read_bytes()
    times: dict[str, float | int] = {}
    at = time.perf_counter()
    rate = explanation._rate_of(out, physician)
    times["rate"], at = time.perf_counter() - at, time.perf_counter()
    summary = read_summary(out, physician).to_pylist()
    times["summary"], at = time.perf_counter() - at, time.perf_counter()
    lowering = explanation._lowering_rows(out, physician)
    times["lowering"], at = time.perf_counter() - at, time.perf_counter()
    count, _number, _pages, visits = explanation._visit_rows(
        out, physician, explanation.VisitFilter(), 1
    )
    times["first_page"], at = time.perf_counter() - at, time.perf_counter()
    monthly = read_monthly(out, physician)
    times["monthly"] = time.perf_counter() - at
    times["page"] = sum(float(value) for value in times.values())
    times["read_bytes"] = _read_bytes() - before
    assert rate is not None and monthly.num_rows == 12
    times["rows"] = count
    times["summary_rows"] = len(summary)
    times["lowering_rows"] = lowering.num_rows
    times["first_page_rows"] = visits.num_rows

    _evict(out)
    at = time.perf_counter()
    assert explanation.read_results(out, physician) is not None
    whole_cold = time.perf_counter() - at
    at = time.perf_counter()
    explanation.read_results(out, physician)
    whole_warm = time.perf_counter() - at
    print(
        json.dumps(
            {"imports": imported, "cold": times, "whole_cold": whole_cold, "whole_warm": whole_warm}
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, required=True, help="a results folder")
    parser.add_argument("--physicians", type=int, default=20)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = args.results.resolve()
    if args.child:
        return page_child(out, args.child)

    import pyarrow.parquet as pq

    rates = pq.read_table(out / "rates.parquet", columns=["physician_id"])
    codes = rates["physician_id"].to_pylist()
    chosen = random.Random(args.seed).sample(codes, min(args.physicians, len(codes)))
    one, five, _fifteen = os.getloadavg()
    print(f"{out}: {len(codes):,} physicians; load average {one:.2f}, {five:.2f}")
    pages, wholes = [], []
    for code in chosen:
        child = subprocess.run(
            [sys.executable, __file__, "--results", str(out), "--child", code],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        cold = figures["cold"]
        pages.append(cold["page"])
        wholes.append(figures["whole_cold"])
        print(
            f"{code}: page {cold['page']:.3f} s (rate {cold['rate']:.3f}, summary "
            f"{cold['summary']:.3f}, lowering {cold['lowering']:.3f}, first page "
            f"{cold['first_page']:.3f}, months {cold['monthly']:.3f}); read_results cold "
            f"{figures['whole_cold']:.3f} s, warm {figures['whole_warm']:.3f} s; "
            f"{cold['read_bytes'] / 1e6:.1f} MB read; {cold['rows']:,} visit rows; "
            f"imports {figures['imports']:.2f} s"
        )
    verdict = "under" if max(pages) < PAGE_TARGET_SECONDS else "OVER"
    print(
        f"page p50 {statistics.median(pages):.3f} s, max {max(pages):.3f} s "
        f"({verdict} the {PAGE_TARGET_SECONDS:.0f} s target); read_results cold p50 "
        f"{statistics.median(wholes):.3f} s, max {max(wholes):.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
