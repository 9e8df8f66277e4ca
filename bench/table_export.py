"""Benchmark: a 1,000,000-row waiting list exported as CSV, with and without the
spreadsheet-safe neutralisation (``panelcare.exports.neutralise_table``).

    .venv/bin/python bench/table_export.py [--rows N] [--repeat R]

The list is generated in the contract's shape (``attribution_import.generated_waitlist``);
a copy where 1 % of the patients' previous physicians are formulas (``=cmd|…``) makes the
neutralisation rewrite a column, not only look at it. Timed, best of ``--repeat``, the CSV
the export streams (``web.tables.services._csv_chunks``, every chunk joined):

* raw: the chunks alone, as the export wrote them before the neutralisation;
* safe: ``neutralise_table`` then the chunks, as ``do_export_dataset`` writes them now.

Prints the seconds of each and the cost of the neutralisation.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
from attribution_import import generated_waitlist

ROOT = Path(__file__).resolve().parent.parent


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from panelcare.exports import neutralise_table
    from web.tables.services import _csv_chunks

    clean = generated_waitlist(args.rows)
    rng = np.random.default_rng(7)
    previous = np.where(rng.random(args.rows) < 0.01, "=cmd|' /C calc'!A0", None)
    hostile = clean.set_column(
        clean.column_names.index("previous_physician_id"),
        "previous_physician_id",
        pa.array(previous, pa.string()),
    )
    print(f"CSV export of {args.rows:,} rows, best of {args.repeat}:")
    for label, table in (("clean list", clean), ("1 % formulas", hostile)):
        raw = best_of(args.repeat, lambda t=table: b"".join(_csv_chunks(t)))
        safe = best_of(args.repeat, lambda t=table: b"".join(_csv_chunks(neutralise_table(t))))
        alone = best_of(args.repeat, lambda t=table: neutralise_table(t))
        print(
            f"  {label:<13} raw {raw:6.2f} s   safe {safe:6.2f} s   "
            f"neutralisation alone {alone:5.2f} s ({alone / raw:.0%} of raw)"
        )


if __name__ == "__main__":
    main()
