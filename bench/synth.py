"""Benchmark: write the province-scale synthetic dataset and print time, rows and memory.

    .venv/bin/python bench/synth.py [--scale province] [--format parquet] [--keep DIR]

Prints the elapsed wall time, the rows and size of each table, the rows per second and
the peak resident memory of the process (``resource.getrusage``). The files go to a
temporary directory, deleted at the end unless ``--keep`` names a directory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from panelcare.synth import SCALES, write_dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="province", choices=sorted(SCALES))
    parser.add_argument("--format", default=None, choices=("csv", "parquet"))
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--keep", type=Path, default=None, help="write here and keep the files")
    args = parser.parse_args(argv)

    out = args.keep or Path(tempfile.mkdtemp(prefix="panelcare-synth-"))
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter() - started
        if now - last[0] >= 10 or done == total:
            last[0] = now
            print(f"  {done}/{total} steps, {now:6.1f} s", file=sys.stderr, flush=True)

    started = time.perf_counter()
    try:
        rows = write_dataset(out, args.scale, seed=args.seed, fmt=args.format, progress=progress)
        elapsed = time.perf_counter() - started
        sizes = {p.stem: p.stat().st_size for p in out.iterdir()}
    finally:
        if args.keep is None:
            shutil.rmtree(out, ignore_errors=True)

    # ru_maxrss is in kibibytes on Linux.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scale {args.scale}, format {args.format or SCALES[args.scale].default_format}")
    print(f"{'table':<20}{'rows':>14}{'MiB':>10}")
    for name, count in rows.items():
        print(f"{name:<20}{count:>14,}{sizes.get(name, 0) / 2**20:>10.1f}")
    total_rows = sum(rows.values())
    print(f"{'total':<20}{total_rows:>14,}{sum(sizes.values()) / 2**20:>10.1f}")
    print(f"elapsed {elapsed:.1f} s, {total_rows / elapsed:,.0f} rows/s")
    print(f"peak RSS {peak_mib:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
