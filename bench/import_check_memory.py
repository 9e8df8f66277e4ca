"""Benchmark: the peak memory of an import's check on a 1 GB CSV (target: under 1.5 GB).

    .venv/bin/python bench/import_check_memory.py [--kind waitlist|visits|registrations|all]
        [--size-mb 1024] [--rows N] [--cases plain,french,problems]
        [--data DIR] [--keep]

Generates, with numpy and pyarrow, chunk by chunk (never a whole file in memory), CSV
files of about ``--size-mb`` MiB (or ``--rows`` rows) into ``--data`` (default: a
temporary folder, deleted at the end unless ``--keep``; files already there are
reused), and for each a version in force as large (Parquet: 1 % fewer rows, 5,000 rows
gone since, 2 % with another value). The cases:

* ``plain``: the file as the contract writes it (UTF-8, commas);
* ``french``: as French Excel saves it (Windows-1252, semicolons, decimal commas,
  accented categories) — the waiting list only;
* ``problems``: a wrong cell every 100,000 rows and a duplicate key near the end (its
  first occurrence near the start) — the waiting list only.

Each case runs in a fresh child process (its peak memory is its own: ``os.wait4``) with a
fresh SQLite database and data folder (the helpers of ``bench/attribution_import.py``): a
region, its RLS, a DRMG, the version in force registered as version 1 (its file moved into
place, never read into memory), then ``web.tables.checks.check_file`` end to end: reading,
every cell check, the scope, duplicate keys, keys taken, the comparison with version 1,
the checked rows written for Apply. Prints rows, MiB, seconds per phase, the outcome and
the peak resident memory against the target.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from attribution_import import RLS_CODES, generated_waitlist
from children import run

ROOT = Path(__file__).resolve().parent.parent
TARGET_GIB = 1.5
CHUNK_ROWS = 500_000
SETTINGS = ("cabinet", "clsc", "gmf", "urgence_ch", "other")


# --------------------------------------------------------------------------- generating


def waitlist_chunk(start: int, rows: int) -> pa.Table:
    """Rows ``start`` to ``start + rows`` of a waiting list (patients P000000001, ...)."""
    table = generated_waitlist(rows, seed=start // CHUNK_ROWS)
    numbers = pc.cast(pa.array(np.arange(start + 1, start + rows + 1)), pa.string())
    ids = pc.binary_join_element_wise("P", pc.utf8_lpad(numbers, 9, "0"), "")
    return table.set_column(0, "patient_id", ids)


def visits_chunk(start: int, rows: int) -> pa.Table:
    """Rows ``start`` to ``start + rows`` of a year of visits (V0000000001, ...)."""
    rng = np.random.default_rng(start // CHUNK_ROWS + 100)
    numbers = pc.cast(pa.array(np.arange(start + 1, start + rows + 1)), pa.string())
    patients = pc.cast(pa.array(rng.integers(1, 2_000_000, rows)), pa.string())
    providers = pc.cast(pa.array(rng.integers(1, 9_000, rows)), pa.string())
    er = rng.random(rows) < 0.2
    triage = np.array(["P1", "P2", "P3", "P4", "P5"])[rng.integers(0, 5, rows)]
    flags = {name: pa.array(np.where(er, rng.random(rows) < 0.1, None)) for name in range(4)}
    return pa.table(
        {
            "visit_id": pc.binary_join_element_wise("V", pc.utf8_lpad(numbers, 10, "0"), ""),
            "patient_id": pc.binary_join_element_wise("P", pc.utf8_lpad(patients, 9, "0"), ""),
            "provider_id": pc.binary_join_element_wise("D", pc.utf8_lpad(providers, 5, "0"), ""),
            "provider_kind": pa.array(np.where(rng.random(rows) < 0.9, "physician", "ips")),
            "visit_date": pa.array(
                (np.datetime64("2024-01-01") + rng.integers(0, 366, rows)).astype("datetime64[D]"),
                pa.date32(),
            ),
            "site_id": pc.binary_join_element_wise(
                "S", pc.cast(pa.array(rng.integers(100, 999, rows)), pa.string()), ""
            ),
            "setting": pa.array(
                np.where(er, "urgence_ch", np.array(SETTINGS)[rng.integers(0, 4, rows)])
            ),
            "billing_code": pa.array(np.where(rng.random(rows) < 0.5, "15804", "00010")),
            "er_triage": pa.array(np.where(er, triage, None)),
            "er_admitted": flags[0],
            "er_repeat": flags[1],
            "er_referred": flags[2],
            "er_death": pa.array(np.where(er, False, None)),
            "pregnancy_followup": pa.array(rng.random(rows) < 0.01),
        }
    )


SITES = ("S101", "S102", "S103", "S104", "S105")


def registrations_chunk(start: int, rows: int) -> pa.Table:
    """Rows ``start`` to ``start + rows`` of the registrations: two a patient (P000000001,
    ...), the first ended, the second ongoing from that end (touching, not overlapping),
    so that every patient's periods are compared."""
    rng = np.random.default_rng(start // CHUNK_ROWS + 200)
    numbers = np.arange(start, start + rows)
    patients = pc.cast(pa.array(numbers // 2 + 1), pa.string())
    first = np.datetime64("2019-01-01") + rng.integers(0, 1500, rows)
    ends = first + rng.integers(30, 1000, rows)
    # A pair's two rows share the first row's draws (the second starts at its end).
    paired = numbers - start - (numbers % 2)
    second = numbers % 2 == 1
    start_dates = np.where(second, ends[paired], first[paired]).astype("datetime64[D]")
    end_dates = pa.array(ends[paired].astype("datetime64[D]"), pa.date32(), mask=second)
    physicians = pc.cast(pa.array(rng.integers(1, 9_000, rows)), pa.string())
    return pa.table(
        {
            "patient_id": pc.binary_join_element_wise("P", pc.utf8_lpad(patients, 9, "0"), ""),
            "physician_id": pc.binary_join_element_wise("D", pc.utf8_lpad(physicians, 5, "0"), ""),
            "site_id": pa.array(np.array(SITES)[rng.integers(0, len(SITES), rows)]),
            "start_date": pa.array(start_dates, pa.date32()),
            "end_date": end_dates,
        }
    )


CHUNKS = {
    "waitlist": waitlist_chunk,
    "visits": visits_chunk,
    "registrations": registrations_chunk,
}
# The key and a column a later version changes, of each kind.
KEY = {"waitlist": "patient_id", "visits": "visit_id", "registrations": "patient_id"}
SHIFTED = {
    "waitlist": ("priority", tuple("ABCDE")),
    "visits": ("billing_code", ("00010", "15804")),
    "registrations": ("site_id", SITES),
}


def planned_rows(kind: str, rows: int | None, size: int) -> int:
    """``rows``, or the rows of about ``size`` bytes of CSV (a row's bytes measured on
    10,000 rows)."""
    if rows is not None:
        return rows
    sink = pa.BufferOutputStream()
    pacsv.write_csv(CHUNKS[kind](0, 10_000), sink)
    return int(size / (sink.getvalue().size / 10_000))


def chunks(kind: str, rows: int) -> Iterator[tuple[int, pa.Table]]:
    """The chunks of a file of ``rows`` rows, each with its first row."""
    for start in range(0, rows, CHUNK_ROWS):
        yield start, CHUNKS[kind](start, min(CHUNK_ROWS, rows - start))


def as_french(table: pa.Table) -> pa.Table:
    """Decimal commas and accented categories, as a French spreadsheet holds them."""
    for name in ("latitude", "longitude"):
        text = pc.replace_substring(pc.cast(table.column(name), pa.string()), ".", ",")
        table = table.set_column(table.column_names.index(name), name, text)
    category = pc.if_else(pc.is_null(table.column("category")), None, "santé_à_domicile")
    return table.set_column(table.column_names.index("category"), "category", category)


def with_problems(start: int, table: pa.Table, total_rows: int) -> pa.Table:
    """A wrong latitude every 100,000 rows; the 10th row from the end repeats the 6th
    row's key."""
    rows = np.arange(start, start + table.num_rows)
    latitude = pc.cast(table.column("latitude"), pa.string())
    wrong = pa.array(rows % 100_000 == 99_999)
    table = table.set_column(2, "latitude", pc.if_else(wrong, "north", latitude))
    ids = table.column("patient_id").to_numpy(zero_copy_only=False).copy()
    ids[rows == total_rows - 10] = "P000000006"
    return table.set_column(0, "patient_id", pa.array(ids, pa.string()))


def in_force(kind: str, start: int, table: pa.Table) -> pa.Table:
    """The version in force's part of a chunk: without the 1st of every 100 rows, the
    next one with another value of its SHIFTED column."""
    rows = np.arange(start, start + table.num_rows)
    column, values = SHIFTED[kind]
    current = table.column(column).to_numpy(zero_copy_only=False)
    shifted = np.array(values)[
        (np.searchsorted(np.array(values), current) + 1) % len(values)
    ].astype(object)
    changed = np.where(rows % 50 == 1, shifted, current)
    table = table.set_column(
        table.column_names.index(column), column, pa.array(changed, pa.string())
    )
    return table.filter(pa.array(rows % 100 != 0))


def generate(kind: str, case: str, folder: Path, rows: int | None, size: int) -> tuple[Path, Path]:
    """The case's CSV file and its version in force (Parquet), reused when there."""
    csv_path = folder / f"{kind}-{case}.csv"
    version = folder / f"{kind}-version.parquet"
    if csv_path.exists() and version.exists():
        return csv_path, version
    started = time.perf_counter()
    from panelcare.attribution.tables import canonical
    from panelcare.contracts import CONTRACTS

    total = planned_rows(kind, rows, size)
    delimiter = ";" if case == "french" else ","
    partial = csv_path.with_suffix(".partial")
    write_version = not version.exists()
    version_writer = None
    if write_version:
        version_writer = pq.ParquetWriter(
            version.with_suffix(".partial"), CONTRACTS[kind].schema, compression="zstd"
        )
    # French Excel's files are Windows-1252: arrow writes UTF-8, transcoded as it goes.
    encoder = codecs.getincrementalencoder("cp1252")() if case == "french" else None
    decoder = codecs.getincrementaldecoder("utf-8")() if case == "french" else None
    with partial.open("wb") as handle:
        header = True
        for start, table in chunks(kind, total):
            if version_writer is not None:
                version_writer.write_table(canonical(CONTRACTS[kind], in_force(kind, start, table)))
            if case == "french":
                table = as_french(table)
            elif case == "problems":
                table = with_problems(start, table, total)
            sink = pa.BufferOutputStream()
            pacsv.write_csv(
                table,
                sink,
                pacsv.WriteOptions(
                    include_header=header, delimiter=delimiter, quoting_style="needed"
                ),
            )
            data = sink.getvalue().to_pybytes()
            if encoder is not None and decoder is not None:
                data = encoder.encode(decoder.decode(data))
            handle.write(data)
            header = False
    if version_writer is not None:
        left = CHUNKS[kind](10**9, 5000)  # 5,000 rows gone from the file since
        version_writer.write_table(canonical(CONTRACTS[kind], left))
        version_writer.close()
        version.with_suffix(".partial").rename(version)
    partial.rename(csv_path)
    print(
        f"  generated {csv_path.name}: {csv_path.stat().st_size / 2**20:,.0f} MiB, "
        f"{total:,} rows, in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return csv_path, version


# --------------------------------------------------------------------------- the child


def child(kind: str, path: Path, version: Path, work: Path) -> int:
    """In a fresh process: a database with the version in force, then check_file."""
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["PANELCARE_DATA_DIR"] = str(work / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from web.accounts.models import Role
    from web.regions.models import Region, Rls
    from web.regions.testing import make_user
    from web.tables.checks import check_file
    from web.tables.models import Dataset

    call_command("migrate", verbosity=0)
    region = Region.objects.create(code="99", name="Bench")
    Rls.objects.bulk_create(
        [Rls(code=code, region=region, name=code, latitude=0, longitude=0) for code in RLS_CODES]
    )
    make_user(Role.DRMG, username="drmg", region=region)
    # Version 1, moved into place: its rows are never read into this process.
    dataset = Dataset(
        region=region,
        kind=kind,
        version=1,
        digest="0" * 64,
        rows=pq.ParquetFile(version).metadata.num_rows,
    )
    dataset.path.parent.mkdir(parents=True, exist_ok=True)
    os.link(version, dataset.path)
    dataset.save()

    staging = work / "data" / region.code / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    out = staging / "upload.checked.parquet"
    phases: dict[str, float] = {}
    last = {"phase": "", "at": time.perf_counter()}

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if last["phase"]:
            phases[str(last["phase"])] = (
                phases.get(str(last["phase"]), 0.0) + now - float(last["at"])
            )
        last.update(phase=phase, at=now)

    started = time.perf_counter()
    checked = check_file(region, kind, [], path, progress=progress, out=out)
    progress("", 0, 0)
    figures = {
        "seconds": {**phases, "total": time.perf_counter() - started},
        "rows": checked.rows,
        "problems": checked.problem_count,
        "first": [str(problem) for problem in checked.problems[:3]],
        "changes": checked.changes.as_dict() if checked.changes else None,
        "reading": checked.reading,
        "checked_mib": out.stat().st_size / 2**20 if out.exists() else 0,
    }
    print(json.dumps(figures))
    return 0


# --------------------------------------------------------------------------- the parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kind", choices=("waitlist", "visits", "registrations", "all"), default="all"
    )
    parser.add_argument("--size-mb", type=int, default=1024, help="CSV size (default 1024)")
    parser.add_argument("--rows", type=int, help="rows instead of a size")
    parser.add_argument("--cases", default="plain,french,problems")
    parser.add_argument("--data", type=Path, help="where the files are made (and reused)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--version", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.kind, args.file, args.version, args.work)

    sys.path.insert(0, str(ROOT / "src"))
    folder = args.data or Path(tempfile.mkdtemp(prefix="panelcare-check-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    kinds = tuple(CHUNKS) if args.kind == "all" else (args.kind,)
    wanted = args.cases.split(",")
    cases = [
        (kind, case)
        for kind in kinds
        for case in wanted
        if case == "plain" or kind == "waitlist"  # french and problems: the waiting list
    ]
    print(f"{os.cpu_count()} cores; files in {folder}", flush=True)
    results = []
    try:
        for kind, case in cases:
            path, version = generate(kind, case, folder, args.rows, args.size_mb * 2**20)
            work = Path(tempfile.mkdtemp(prefix="child-", dir=folder))
            try:
                result = run(
                    [
                        sys.executable,
                        str(Path(__file__).resolve()),
                        "--child",
                        "--kind",
                        kind,
                        "--file",
                        str(path),
                        "--version",
                        str(version),
                        "--work",
                        str(work),
                    ]
                )
            finally:
                shutil.rmtree(work, ignore_errors=True)
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            results.append((kind, case, path, result.peak_gib, figures))
            seconds = figures["seconds"]
            verdict = "ok" if result.peak_gib < TARGET_GIB else "MISSED"
            print(
                f"{kind:<9} {case:<9} {path.stat().st_size / 2**20:>6,.0f} MiB "
                f"{figures['rows']:>12,} rows  "
                + "  ".join(f"{phase} {value:.1f} s" for phase, value in seconds.items())
                + f"  peak {result.peak_gib:.2f} GiB (target < {TARGET_GIB:g}: {verdict})",
                flush=True,
            )
            if figures["problems"]:
                print(f"    refused: {figures['problems']:,} problems; first: {figures['first']}")
            elif figures["changes"]:
                changes = figures["changes"]
                print(
                    "    against version 1: "
                    + ", ".join(
                        f"{changes[what]:,} {what}"
                        for what in ("added", "removed", "changed", "unchanged")
                    )
                    + f"; read as {figures['reading']}"
                )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
