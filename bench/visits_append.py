"""Benchmark: add a month of visits to a region's year (2,000,000 visits in force) through
the web app's import, mode "add".

    .venv/bin/python bench/visits_append.py [--rows N] [--month-rows N] [--keep DIR]

Generates with numpy, in the contract's shape, a region's visits in force (``--rows``,
January to October 2026) and a month's extract (``--month-rows``, November 2026, of which
5,000 are visits in force sent again with another setting: corrections). Writes the month
as CSV and as Parquet. Then, for each format, in a fresh process of its own (its peak
memory is its own, ``os.wait4``) with a fresh SQLite database and data folder: the tables
created from the models, a region and a DRMG, and the year stored as version 1; none of
that is timed. Timed, the import as the web app runs it, the background tasks run inline
(``TASKS_BACKEND=immediate``):

* staging: the upload streamed to the staging folder;
* checking: every cell of the month read and checked, the checked rows written;
* comparing: the month against the 2 M visits in force (new, replacing, identical, kept);
* applying: the new version written, the year's rows not in the month (read a batch at a
  time, only the key column held whole) followed by the month's, and recorded.

Prints the seconds of each phase, the total, the preview's counts and each process's peak
resident memory, beside the size of the year held in memory as Arrow (what adding a month
does not hold).
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
PHASES = ("staging", "checking", "comparing", "applying")
SETTINGS = np.array(["cabinet", "gmf", "clsc", "urgence_ch", "domicile", "other"])
CORRECTIONS = 5_000


def generated_visits(rows: int, first: int, start: str, days: int, seed: int) -> pa.Table:
    """``rows`` visits numbered from ``first``, dated over ``days`` days from ``start``."""
    rng = np.random.default_rng(seed)
    numbers = pc.cast(pa.array(np.arange(first, first + rows)), pa.string())
    patients = pc.cast(pa.array(rng.integers(1, 200_000, rows)), pa.string())
    providers = pc.cast(pa.array(rng.integers(1, 400, rows)), pa.string())
    sites = pc.cast(pa.array(rng.integers(1, 60, rows)), pa.string())
    setting = SETTINGS[rng.integers(0, len(SETTINGS), rows)]
    er = setting == "urgence_ch"
    triage = np.array(["P1", "P2", "P3", "P4", "P5"])[rng.integers(0, 5, rows)]
    dates = np.datetime64(start) + rng.integers(0, days, rows)
    no = pa.array(np.zeros(rows, dtype=bool))
    return pa.table(
        {
            "visit_id": pc.binary_join_element_wise("V", pc.utf8_lpad(numbers, 10, "0"), ""),
            "patient_id": pc.binary_join_element_wise("P", pc.utf8_lpad(patients, 8, "0"), ""),
            "provider_id": pc.binary_join_element_wise("D", pc.utf8_lpad(providers, 5, "0"), ""),
            "provider_kind": pa.array(np.where(rng.random(rows) < 0.9, "physician", "ips")),
            "visit_date": pa.array(dates.astype("datetime64[D]"), pa.date32()),
            "site_id": pc.binary_join_element_wise("S", pc.utf8_lpad(sites, 5, "0"), ""),
            "setting": pa.array(setting),
            "billing_code": pa.nulls(rows, pa.string()),
            "er_triage": pc.if_else(pa.array(er), pa.array(triage), pa.scalar(None, pa.string())),
            "er_admitted": no,
            "er_repeat": no,
            "er_referred": no,
            "er_death": no,
            "pregnancy_followup": no,
        }
    )


def month_file(year: pa.Table, rows: int) -> pa.Table:
    """November's extract: ``rows`` visits, the first CORRECTIONS of them visits in force
    (spread over the year) with another setting."""
    step = max(1, year.num_rows // CORRECTIONS)
    picked = year.take(pa.array(np.arange(CORRECTIONS) * step))
    setting = pc.if_else(pc.equal(picked.column("setting"), "gmf"), "cabinet", "gmf")
    picked = picked.set_column(picked.column_names.index("setting"), "setting", setting)
    picked = picked.set_column(
        picked.column_names.index("er_triage"), "er_triage", pa.nulls(CORRECTIONS, pa.string())
    )
    new = generated_visits(rows - CORRECTIONS, 900_000_000, "2026-11-01", 30, seed=11)
    return pa.concat_tables([picked, new])


# --------------------------------------------------------------------------- the child


def child(path: Path, year_path: Path, work: Path) -> int:
    """In a fresh process: set up the database, store the year as version 1, time the
    import of the month, print the figures as one JSON line."""
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["PANELCARE_DATA_DIR"] = str(work / "data")
    os.environ["TASKS_BACKEND"] = "immediate"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.core.files import File
    from django.core.management import call_command

    from web.accounts.models import Role
    from web.regions.models import Region
    from web.regions.testing import make_user
    from web.tables import services
    from web.tables.models import ImportStatus
    from web.tables.store import store_dataset_batches

    # The tables from the models (as pytest --no-migrations): a field not migrated yet
    # is there too.
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)
    region = Region.objects.create(code="99", name="Bench")
    drmg = make_user(Role.DRMG, username="drmg", region=region)
    store_dataset_batches(region, "visits", pq.ParquetFile(year_path).iter_batches(262_144))

    started = time.perf_counter()
    with path.open("rb") as handle:
        job = services.do_stage_upload(
            "visits",
            File(handle, name=f"visites-2026-11{path.suffix}"),
            region=region,
            scope=[],
            acting_user=drmg,
            mode="add",
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
        seconds.get(phase, 0.0) for phase in ("checking", "comparing")
    )
    seconds["total"] = finished - started
    preview = {key: job.preview[key] for key in ("added", "changed", "unchanged", "kept")}
    print(
        json.dumps(
            {
                "seconds": seconds,
                "preview": preview,
                "period": job.preview["period"],
                "rows": job.dataset.rows,
            }
        )
    )
    return 0


# --------------------------------------------------------------------------- the parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="visits in force")
    parser.add_argument("--month-rows", type=int, default=180_000, help="visits of the month")
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--year", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.file, args.year, args.work)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="panelcare-visits-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        year = generated_visits(args.rows, 1, "2026-01-01", 304, seed=7)
        month = month_file(year, args.month_rows)
        year_path = folder / "year.parquet"
        pq.write_table(year, year_path, compression="zstd")
        csv_path, parquet_path = folder / "month.csv", folder / "month.parquet"
        pq.write_table(month, parquet_path)
        pacsv.write_csv(month, csv_path)
        print(
            f"visits in force: {year.num_rows:,} rows ({year.nbytes / 2**20:.0f} MiB as Arrow); "
            f"month: {month.num_rows:,} rows ({CORRECTIONS:,} corrections), CSV "
            f"{csv_path.stat().st_size / 2**20:.0f} MiB; generated in "
            f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} cores",
            flush=True,
        )
        del year, month
        print(f"{'':<9}" + "".join(f"{phase:>11}" for phase in (*PHASES, "total")) + "  peak GiB")
        results = []
        for path in (csv_path, parquet_path):
            work = Path(tempfile.mkdtemp(prefix="panelcare-visits-child-", dir=folder))
            command = [sys.executable, str(Path(__file__).resolve()), "--child"]
            command += ["--file", str(path), "--year", str(year_path), "--work", str(work)]
            result = run(command)
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            seconds = figures["seconds"]
            print(
                f"{path.suffix[1:]:<9}"
                + "".join(f"{seconds.get(phase, 0.0):>11.2f}" for phase in (*PHASES, "total"))
                + f"{result.peak_gib:>10.2f}",
                flush=True,
            )
            results.append(figures)
            shutil.rmtree(work, ignore_errors=True)
        figures = results[0]
        print(
            "preview: "
            + ", ".join(f"{count:,} {what}" for what, count in figures["preview"].items())
            + f"; period {figures['period'][0]} to {figures['period'][1]}"
            + f"; version 2 holds {figures['rows']:,} rows"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
