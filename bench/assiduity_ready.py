"""Benchmark: a region's assiduity computation from the click to done, through the web
stack (issue 16: "the region's computation through the web (2 M visits): under 10 s from
the click").

    .venv/bin/python bench/assiduity_ready.py [--repeat 3] [--visits 2000000]
    .venv/bin/python bench/assiduity_ready.py --demo [--repeat 1]    # the demo's own visits

Everything on a throwaway server of its own, as ``make serve`` runs it (docs/deployment.md)
but on a database and a data folder under ``--dir`` (``/tmp/panelcare-assiduity-ready``,
``...-demo`` with ``--demo``; a folder this bench made, marked so, is emptied first; any
other non-empty folder is refused):

1. **Preparation**, in a process of its own (:func:`prepare`, not timed): a SQLite database
   ``DIR/panelcare.sqlite3`` and ``PANELCARE_DATA_DIR=DIR/data``; ``migrate``,
   ``collectstatic``, then the demo region as ``manage.py load_demo --no-assiduity``
   (scale region) loads it, through :func:`web.regions.demo.load_demo` called with an
   explicit ``as_of`` (today in the site's time zone), so that the visits below are of the
   same day's world. Without ``--demo``, the region's visits are then replaced by a new
   version (version 2, written through the import's own path,
   :func:`web.tables.services.do_write_version`, as ``web/tables/demo.py`` writes version
   1): the synthetic generator run again with the demo's seed and ``as_of`` and the region
   scale's visit rates multiplied so that the last complete year holds about ``--visits``
   visits (:func:`big_visits`). The generator draws the visits from streams of their own,
   so the rest of the world (patients, physicians, registrations, GMFs...) is the demo's:
   checked, the generated registrations, physicians' roster and GMF memberships must
   equal the versions the demo loaded, else the bench stops. (The files of
   ``bench/assiduity_shapes.py --scale region --visits 2000000`` cannot serve: made with
   seed 16 and as-of 1 November, their patients and registrations are not the demo's.)
2. **The server**: ``manage.py db_worker --interval 0.5`` (a worker process per task:
   web/ops/worker.py) and gunicorn (``web/config/gunicorn.py``, 2 workers) on
   ``127.0.0.1:--port``, with ``make serve``'s production settings; their output in
   ``DIR/worker.log`` and ``DIR/gunicorn.log``. Both are stopped at the end (SIGTERM to
   the two processes this bench started).
3. **The runs**, as a user would (bench/load.py's client): logs in as ``drmg``, reads the
   assiduity home page (the start form on screen), then per repetition: waits ``--pause``
   seconds (10: the worker starts a new process after each task, as in
   bench/run_ready.py), the clock starts just before the form's POST to
   ``/assiduity/runs/start/`` with the year (``--year``, the last complete year by default),
   then the run's progress fragment ``/assiduity/runs/<pk>/progress/`` (what the run page
   polls every second) is polled every 0.1 s until ``data-status="done"``. Every
   repetition is a new computation (the region allows one at a time; the previous one is
   done before the next is posted).

Per repetition, in seconds: ``ready`` (from just before the POST to the first poll that
sees done), ``post`` (the POST alone), ``queued`` (to the first poll that sees
running: the worker's pick-up, ``-`` if no poll saw it), ``engine`` (the run's own
``summary["timings"]["total"]``, read from the database once done) and the run's phases
from ``summary["timings"]`` (``inputs``: opening the versions and their checks;
``classify``, ``visits``...: :func:`panelcare.assiduity.results.write_results`'s), and
``page`` (the run's page, its rates table, read right after). Then min, median and max,
the load average before and after each run (2 shared cores: noisy figures), and the
verdict: every repetition's ``ready`` under 10 s. Exits 0 when met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from load import POLL_SECONDS, Client, follow_run, form_values, load_average

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
TARGET_SECONDS = 10.0
USER = "drmg"
HOME = "/assiduity/"
START = "/assiduity/runs/start/"
MARKER = ".assiduity_ready"
# ``make serve``'s settings (Makefile, SERVE_ENV).
SERVE_ENV = {
    "PANELCARE_PRODUCTION": "true",
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECRET_KEY": "panelcare-bench-assiduity-ready-on-this-machine-only",
}


# --------------------------------------------------------------------------- preparation


def environment(folder: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(SERVE_ENV)
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'panelcare.sqlite3'}",
        PANELCARE_DATA_DIR=str(folder / "data"),
        STATIC_ROOT=str(folder / "static"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        DJANGO_SETTINGS_MODULE="web.config.settings",
    )
    return env


def fresh_folder(folder: Path) -> None:
    """Empty ``folder`` if this bench made it (its marker), create it if missing; refuse
    any other non-empty folder."""
    import shutil

    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise SystemExit(f"refused: {folder} is not empty and was not made by this bench")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("bench/assiduity_ready.py\n")


def big_visits(seed: int, as_of: datetime.date, visits: int) -> dict:
    """The region scale's tables generated with the visit rates multiplied so that the
    year before ``as_of`` holds about ``visits`` visits (the year of ``as_of`` up to it
    holds about as many per month)."""
    import dataclasses

    from panelcare import synth

    scale = synth.SCALES["region"]
    population = 200_000  # the region's geography (bas_saint_laurent(200_000))
    expected = (
        scale.registered * scale.visits_per_registered_year
        + (population - scale.registered) * scale.visits_per_unregistered_year
    )
    factor = visits / expected
    scale = dataclasses.replace(
        scale,
        name=f"region-{visits}",
        visits_per_registered_year=scale.visits_per_registered_year * factor,
        visits_per_unregistered_year=scale.visits_per_unregistered_year * factor,
    )
    sink = synth.MemorySink()
    synth.generate(sink, scale, seed=seed, as_of=as_of)
    return sink.tables()


def prepare(folder: Path, demo: bool, visits: int) -> None:
    """The preparation's process (``--prepare``): database, demo region, visits."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from panelcare.attribution.tables import canonical, compare_tables
    from web.regions.demo import DEFAULT_SEED, load_demo
    from web.regions.models import Region
    from web.tables.checks import base_versions
    from web.tables.kinds import get_kind
    from web.tables.models import Dataset
    from web.tables.services import do_write_version
    from web.tables.store import read_dataset

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    as_of = timezone.localdate()
    report = load_demo("region", DEFAULT_SEED, as_of=as_of, assiduity=False)
    region = Region.objects.get(code=report.region_code)
    print(
        f"  demo region {region.code} loaded (seed {DEFAULT_SEED}, as of {as_of}) "
        f"in {report.seconds:.1f} s",
        flush=True,
    )
    if not demo:
        step = time.perf_counter()
        tables = big_visits(DEFAULT_SEED, as_of, visits)
        print(f"  generated in {time.perf_counter() - step:.1f} s", flush=True)
        # The same world as the demo's: its other tables equal the versions loaded.
        for kind in ("registrations", "physicians", "gmf_memberships"):
            contract = get_kind(kind).contract
            version = Dataset.current(region, kind)
            assert version is not None, f"the demo loaded no {kind}"
            loaded = canonical(contract, read_dataset(version))
            generated = canonical(contract, tables[kind])
            if not loaded.equals(generated):
                raise SystemExit(
                    f"the generated {kind} are not the demo's ({generated.num_rows} rows "
                    f"against {loaded.num_rows}): its visits would be of other patients"
                )
        print("  registrations, physicians, GMF memberships: the demo's, row for row")
        step = time.perf_counter()
        contract = get_kind("visits").contract
        rows = canonical(contract, tables.pop("visits"))
        del tables
        dataset = do_write_version(
            region,
            "visits",
            [],
            rows,
            base=base_versions(region, "visits"),
            changes=compare_tables(contract, None, rows, examples=0),
            source_name="bench/assiduity_ready.py",
            acting_user=None,
        )
        print(
            f"  visits version {dataset.version} written ({dataset.rows:,} rows) "
            f"in {time.perf_counter() - step:.1f} s",
            flush=True,
        )
    import duckdb

    current = Dataset.current(region, "visits")
    assert current is not None, "the demo loaded no visits"
    years = duckdb.execute(
        f"SELECT year(visit_date) AS y, count(*) FROM read_parquet('{current.path}') "
        "GROUP BY y ORDER BY y"
    ).fetchall()
    print(
        f"  visits in force: version {current.version}, "
        + ", ".join(f"{year}: {count:,}" for year, count in years)
    )
    print(
        json.dumps(
            {"as_of": as_of.isoformat(), "years": {str(y): c for y, c in years}},
        ),
        flush=True,
    )
    print(f"  prepared in {time.perf_counter() - started:.1f} s", flush=True)


# --------------------------------------------------------------------------- the server


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class Server:
    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def server(folder: Path, port: int, env: dict[str, str]) -> Iterator[str]:
    """gunicorn and the background worker on ``folder``'s database, as ``make serve``."""
    if not port_free(port):
        raise SystemExit(f"port {port} is taken: give another --port")
    running = Server()
    try:
        with (folder / "worker.log").open("ab") as log:
            running.processes.append(
                subprocess.Popen(
                    [str(BIN / "python"), "manage.py", "db_worker", "--interval", "0.5"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        with (folder / "gunicorn.log").open("ab") as log:
            running.processes.append(
                subprocess.Popen(
                    [str(BIN / "gunicorn"), "-c", "web/config/gunicorn.py"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = Client(base, timeout=5).request("/accounts/login/")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in running.processes):
                raise SystemExit(f"the server did not start: see {folder}/*.log")
            time.sleep(0.5)
        yield base
    finally:
        running.stop()


# --------------------------------------------------------------------------- the runs


@dataclass
class Timing:
    run: str
    ready: float
    post: float
    queued: float | None
    engine: float | None
    page: float
    phases: dict[str, float]
    visits: int | None
    load: str


def start_form(client: Client, year: int) -> dict[str, str]:
    status, page, _ = client.request(HOME)
    if status != 200:
        raise SystemExit(f"the assiduity home page answered HTTP {status}")
    form = re.search(r'<form[^>]*action="/assiduity/runs/start/"[^>]*>(.*?)</form>', page, re.S)
    if not form:
        raise SystemExit(f"no start form on {HOME} for {USER}")
    values = form_values(form.group(1))
    values["year"] = str(year)
    return values


def run_summary(database: Path, pk: int) -> dict:
    """The run's summary, read from the database (the pages show only its total)."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as con:
        row = con.execute(
            "SELECT summary FROM assiduity_assiduityrun WHERE id = ?", (pk,)
        ).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def measure(client: Client, year: int, database: Path, timeout: float) -> Timing:
    values = start_form(client, year)
    load = load_average(warn=False).split()[2]
    clicked = time.perf_counter()
    status, page, location = client.request(START, values)
    posted = time.perf_counter()
    match = re.fullmatch(r"/assiduity/runs/(\d+)/", location)
    if status != 302 or not match:
        messages = re.findall(r'class="[^"]*message[^"]*"[^>]*>(.*?)<', page, re.S)
        raise SystemExit(f"the run was not started (HTTP {status} to {location!r}): {messages}")
    queued, ready = follow_run(client, location, clicked, timeout)
    shown = time.perf_counter()
    status, _, _ = client.request(location)
    page_seconds = time.perf_counter() - shown
    if status != 200:
        raise SystemExit(f"run {location}'s page answered HTTP {status}")
    summary = run_summary(database, int(match.group(1)))
    timings = dict(summary.get("timings", {}))
    total = timings.pop("total", None)
    return Timing(
        run=location,
        ready=ready,
        post=posted - clicked,
        queued=queued,
        engine=total,
        page=page_seconds,
        phases=timings,
        visits=summary.get("visits"),
        load=load,
    )


def cell(value: float | None, width: int = 8) -> str:
    return f"{value:>{width}.2f}" if value is not None else f"{'-':>{width}}"


COLUMNS = ("ready", "post", "queued", "engine", "page")


def report(timings: list[Timing]) -> bool:
    phases = list(dict.fromkeys(name for t in timings for name in t.phases))
    header = f"  {'run':<20}" + "".join(f"{n:>8}" for n in COLUMNS)
    header += "".join(f"{n[:9]:>10}" for n in phases) + "  visits     load"
    print(header)
    for t in timings:
        print(
            f"  {t.run:<20}"
            + "".join(cell(getattr(t, n)) for n in COLUMNS)
            + "".join(cell(t.phases.get(n), 10) for n in phases)
            + f"  {t.visits if t.visits is not None else '-':>9}  {t.load:>5}"
        )
    for label, pick in (("min", min), ("median", statistics.median), ("max", max)):
        row = ""
        for n in COLUMNS:
            got = [v for t in timings if (v := getattr(t, n)) is not None]
            row += cell(pick(got) if got else None)
        for n in phases:
            got = [t.phases[n] for t in timings if n in t.phases]
            row += cell(pick(got) if got else None, 10)
        print(f"  {label:<20}{row}")
    worst = max(t.ready for t in timings)
    met = worst < TARGET_SECONDS
    print(
        f"click to done: median {statistics.median(t.ready for t in timings):.2f} s, "
        f"max {worst:.2f} s; target: every run under {TARGET_SECONDS:.0f} s: "
        f"{'met' if met else 'NOT met'}"
    )
    return met


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", action="store_true", help="the demo's own visits, unchanged")
    parser.add_argument("--visits", type=int, default=2_000_000, help="in the year computed")
    parser.add_argument("--year", type=int, help="the year computed (the last complete one)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pause", type=float, default=10.0, help="before each run, s")
    parser.add_argument("--timeout", type=float, default=300.0, help="per run, s")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--dir", type=Path, help="the throwaway folder (under /tmp)")
    parser.add_argument("--reuse", action="store_true", help="a folder already prepared")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.dir or Path("/tmp/panelcare-assiduity-ready" + ("-demo" if args.demo else ""))
    folder = folder.resolve()
    if args.prepare:
        prepare(folder, args.demo, args.visits)
        return 0
    if not str(folder).startswith("/tmp/"):
        raise SystemExit(f"refused: {folder} is not under /tmp")
    env = environment(folder, args.port)
    print(f"before preparing: {uptime()}")
    if args.reuse and (folder / "prepared.json").exists():
        prepared = json.loads((folder / "prepared.json").read_text())
        print(f"reusing {folder} (prepared: {prepared})")
    else:
        fresh_folder(folder)
        what = "the demo region's own visits" if args.demo else f"about {args.visits:,} visits"
        print(f"preparing {folder}: the demo region, {what}")
        command = [str(BIN / "python"), __file__, "--prepare", "--dir", str(folder)]
        command += ["--visits", str(args.visits)] + (["--demo"] if args.demo else [])
        lines = []
        with subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        ) as preparing:
            assert preparing.stdout is not None
            for line in preparing.stdout:
                lines.append(line)
                if not line.startswith("{"):
                    print(line, end="", flush=True)
        if preparing.returncode != 0:
            raise SystemExit("the preparation failed")
        prepared = json.loads(next(line for line in lines if line.startswith("{")))
        (folder / "prepared.json").write_text(json.dumps(prepared))
    as_of = datetime.date.fromisoformat(prepared["as_of"])
    year = args.year or as_of.year - 1
    print(f"year {year}: {prepared['years'].get(str(year), 0):,} visits in the version in force")
    timings: list[Timing] = []
    with server(folder, args.port, env) as base:
        print(f"server up on {base} (gunicorn 2 workers, db_worker --interval 0.5)")
        print(f"before the runs: {uptime()}")
        client = Client(base, timeout=120)
        client.login(USER)
        print(
            f"{USER}, the region's computation of {year} through the start form, "
            f"{args.repeat} times, {args.pause:.0f} s apart; progress polled every "
            f"{POLL_SECONDS} s"
        )
        for _ in range(args.repeat):
            time.sleep(args.pause)
            timings.append(measure(client, year, folder / "panelcare.sqlite3", args.timeout))
            t = timings[-1]
            print(
                f"  {t.run}: ready {t.ready:.2f} s, engine {cell(t.engine).strip()} s, "
                f"load before {t.load}",
                flush=True,
            )
        print(f"after the runs: {uptime()}")
    met = report(timings)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
