"""Benchmark: import a province's waiting list (1,000,000 rows) through the web app's import.

    .venv/bin/python bench/attribution_import.py [--data DIR] [--rows N] [--keep DIR]

Builds the waiting list: the first ``--rows`` rows of ``DIR/waitlist.parquet`` when
``--data`` names a folder written by ``panelcare synth DIR --scale province``, otherwise
generated at once with numpy in the contract's shape (patients of 18 RLS, 0111 to 0128).
Writes it as CSV and as Parquet. Then, for each format, in a fresh process of its own (its
peak memory is its own, ``os.wait4``) with a fresh SQLite database and data folder:
migrate, a region with the file's RLS and a DRMG, and a previous version of the list
(1 % fewer patients, 5,000 who have left it, 2 % with another priority) stored as version
1; none of that is timed. Timed, the whole import as the web app runs it, the background
tasks run inline (``TASKS_BACKEND=immediate``):

* staging: the upload streamed to the staging folder (``imports.stage_upload``);
* checking: reading and checking every cell, in batches, the checked rows written for
  Apply as they are checked (``tables.check_contract_file``);
* comparing: the preview against version 1 (added, removed, changed, unchanged);
* saving: 0 since the check writes the checked rows itself (kept for older figures);
* applying: ``imports.apply_import``: the new version written (Parquet) and recorded.

Prints the seconds of each phase, the total against the 120-second target, the preview's
counts and each process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from children import run

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 120.0
PHASES = ("staging", "checking", "comparing", "saving", "applying")
RLS_CODES = [f"{code:04d}" for code in range(111, 129)]


def generated_waitlist(rows: int, seed: int = 6) -> pa.Table:
    """A waiting list in the contract's shape, made at once with numpy."""
    rng = np.random.default_rng(seed)
    numbers = pc.cast(pa.array(np.arange(1, rows + 1)), pa.string())
    days = np.datetime64("2019-01-01") + rng.integers(0, 2500, rows)
    return pa.table(
        {
            "patient_id": pc.binary_join_element_wise("P", pc.utf8_lpad(numbers, 9, "0"), ""),
            "rls_id": pa.array(np.array(RLS_CODES)[rng.integers(0, len(RLS_CODES), rows)]),
            "latitude": np.round(rng.uniform(45.0, 49.5, rows), 6),
            "longitude": np.round(rng.uniform(-79.0, -64.0, rows), 6),
            "priority": pa.array(np.array(list("ABCDE"))[rng.integers(0, 5, rows)]),
            "vulnerable": rng.random(rows) < 0.35,
            "requested_on": pa.array(days.astype("datetime64[D]"), pa.date32()),
            "category": pa.array(np.where(rng.random(rows) < 0.05, "home_care", None)),
            "previous_physician_id": pa.array(
                np.where(rng.random(rows) < 0.02, "D00042", None), pa.string()
            ),
        }
    )


def synthetic_waitlist(data: Path, rows: int) -> pa.Table:
    table = pq.ParquetFile(data / "waitlist.parquet").read()
    if table.num_rows < rows:
        sys.exit(f"{data / 'waitlist.parquet'} has {table.num_rows:,} rows, fewer than {rows:,}")
    return table.slice(0, rows)


# --------------------------------------------------------------------------- the child


def child(path: Path, work: Path) -> int:
    """In a fresh process: set up the database, store version 1, time the import, print
    the figures as one JSON line."""
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["PANELCARE_DATA_DIR"] = str(work / "data")
    os.environ["TASKS_BACKEND"] = "immediate"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from panelcare.attribution.tables import canonical
    from web.accounts.models import Role
    from web.regions.models import Region, Rls
    from web.regions.testing import make_user
    from web.tables import services
    from web.tables.models import ImportStatus
    from web.tables.store import store_dataset

    call_command("migrate", verbosity=0)
    region = Region.objects.create(code="99", name="Bench")
    file_rows = pq.ParquetFile(path.with_suffix(".parquet")).read()
    codes = sorted(set(file_rows.column("rls_id").unique().to_pylist()))
    Rls.objects.bulk_create(
        [Rls(code=code, region=region, name=code, latitude=0, longitude=0) for code in codes]
    )
    drmg = make_user(Role.DRMG, username="drmg", region=region)
    store_dataset(region, "waitlist", previous_version(canonical("waitlist", file_rows)))

    started = time.perf_counter()
    with path.open("rb") as handle:
        job = services.do_stage_upload(
            "waitlist",
            File(handle, name=f"gamf{path.suffix}"),
            region=region,
            scope=[],
            acting_user=drmg,
        )
    staged = time.perf_counter()
    if job.status != ImportStatus.READY:
        sys.exit(f"the import is {job.status}: {job.errors[:3]}")
    services.do_apply_import(job, acting_user=drmg)
    finished = time.perf_counter()
    job.refresh_from_db()
    if job.status != ImportStatus.APPLIED:
        sys.exit(f"the import is {job.status}: {job.errors[:3]}")
    seconds = dict(job.preview["seconds"])
    seconds["staging"] = (staged - started) - sum(
        seconds.get(phase, 0.0) for phase in ("checking", "comparing", "saving")
    )
    seconds["total"] = finished - started
    preview = {key: job.preview[key] for key in ("added", "removed", "changed", "unchanged")}
    print(json.dumps({"seconds": seconds, "preview": preview, "rows": job.dataset.rows}))
    return 0


def previous_version(table: pa.Table) -> pa.Table:
    """The list as it was: without its first 1 % of patients, with 5,000 patients who have
    left it since, and another priority for the next 2 %."""
    n = table.num_rows
    gone, moved = n // 100, n // 50
    kept = table.slice(gone)
    priority = kept.column("priority").to_numpy(zero_copy_only=False).copy()
    shift = {"A": "B", "B": "C", "C": "D", "D": "E", "E": "A"}
    priority[:moved] = [shift[p] for p in priority[:moved]]
    kept = kept.set_column(
        kept.column_names.index("priority"), "priority", pa.array(priority, pa.string())
    )
    left = table.slice(0, 5000)
    left = left.set_column(
        0,
        "patient_id",
        pc.binary_join_element_wise("GONE-", left.column("patient_id"), ""),
    )
    return pa.concat_tables([kept, left])


# --------------------------------------------------------------------------- the parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a `panelcare synth --scale province` folder")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the waiting list")
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.file, args.work)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="panelcare-import-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        if args.data:
            table = synthetic_waitlist(args.data, args.rows)
            source = f"{args.data / 'waitlist.parquet'}"
        else:
            table = generated_waitlist(args.rows)
            source = "generated with numpy"
        csv_path, parquet_path = folder / "waitlist.csv", folder / "waitlist.parquet"
        pq.write_table(table, parquet_path)
        pacsv.write_csv(table, csv_path)
        print(
            f"waiting list: {table.num_rows:,} rows ({source}); CSV "
            f"{csv_path.stat().st_size / 2**20:.0f} MiB, Parquet "
            f"{parquet_path.stat().st_size / 2**20:.0f} MiB; "
            f"written in {time.perf_counter() - started:.1f} s; {os.cpu_count()} cores",
            flush=True,
        )
        print(f"{'':<9}" + "".join(f"{phase:>10}" for phase in (*PHASES, "total")) + "  peak GiB")
        verdicts = []
        for path in (csv_path, parquet_path):
            work = Path(tempfile.mkdtemp(prefix="panelcare-import-child-", dir=folder))
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                "--file",
                str(path),
                "--work",
                str(work),
            ]
            result = run(command)
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            seconds = figures["seconds"]
            print(
                f"{path.suffix[1:]:<9}"
                + "".join(f"{seconds.get(phase, 0.0):>10.2f}" for phase in (*PHASES, "total"))
                + f"{result.peak_gib:>10.2f}",
                flush=True,
            )
            verdicts.append((path.suffix[1:], seconds["total"], figures))
            shutil.rmtree(work, ignore_errors=True)
        preview = verdicts[0][2]["preview"]
        print(
            "preview against version 1: "
            + ", ".join(f"{count:,} {what}" for what, count in preview.items())
            + f"; version 2 holds {verdicts[0][2]['rows']:,} rows"
        )
        for fmt, total, _ in verdicts:
            verdict = "ok" if total < TARGET_SECONDS else "MISSED"
            print(
                f"{fmt}: {total:.1f} s for the whole import (target < {TARGET_SECONDS:g}: {verdict})"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
