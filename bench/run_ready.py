"""Benchmark: a run from the click to "ready for review", through the web stack (issue 15,
6: a region run under 5 s).

    export DATABASE_URL=sqlite:////tmp/panelcare-ready/panelcare.sqlite3 \\
           PANELCARE_DATA_DIR=/tmp/panelcare-ready/data STATIC_ROOT=/tmp/panelcare-ready/static
    mkdir -p /tmp/panelcare-ready && make serve PORT=8767      # terminal 1 (loads the demo)
    .venv/bin/python bench/run_ready.py http://127.0.0.1:8767 [--repeat 5]        # terminal 2
    .venv/bin/python bench/run_ready.py http://127.0.0.1:8767 --rls [--repeat 5]

The server is ``make serve`` (docs/deployment.md): gunicorn with 2 workers and the
background worker (``manage.py db_worker --interval 0.5``, a worker process per task:
web/ops/worker.py) beside it, on a database and a data folder of their own, with the demo
region loaded (``make serve`` runs ``migrate`` and ``manage.py load_demo`` first, about
30 s the first time). The runs it starts stay in that database.

As a user would: logs in (bench/load.py's client) as ``drmg`` and starts a run of the
whole region, or with ``--rls`` as ``cml.rimouski`` and a run of their RLS
(Rimouski-Neigette) (``--user`` for another account), through the run form
``/attribution/runs/new/`` with its default values (the RLS field's "The whole region"
option, value ``""``, for the region). The form page is read before the clock starts (the
user has it on screen); the clock starts just before the form's POST, the click. Then the
run's progress ``/attribution/runs/<pk>/progress/`` (the fragment the run page polls, every
second in a browser) is polled every 0.1 s until its status is ``done`` ("Prête pour
révision"); ``failed`` or ``cancelled`` stops the bench (exit 1) with the run's error.

Per repetition, in seconds:

* ``ready``: from just before the POST to the first poll that sees ``done`` (what issue 15
  calls "from the click to ready for review"; within 0.1 s and a poll's latency);
* ``post``: the POST alone (the form's checks and ``do_start_run``: the tables read, the
  decisions' snapshot, the run queued);
* ``queued``: from just before the POST to the first poll that sees ``running`` (the
  worker's pick-up, approximate: ``-`` when no poll saw it running);
* ``engine``: the run's own time, ``summary["pages"]["timings"]["total"]``, read on the
  run page's "Record and history" tab ("Calculée en"), the only one of the timings the
  server shows (the seconds per phase are not on any page: not printed);
* ``page``: the run's page (its summary tab) read right after, as the browser reloads it
  once the run is done, not counted in ``ready``.

Each repetition waits ``--pause`` seconds first (10 by default): the worker starts a new
worker process after each task (2-3.5 s on these cores), and a run posted before it is up
waits for it, which users whose runs come minutes apart never do. ``--pause 0`` measures
runs posted back to back.

Prints the load average before and after (and at each repetition: this machine has 2
cores, another process on them makes the figures noisy), then min, median and max of each
column and the verdict: every repetition's ``ready`` under 5 s. Exits 0 when met, 1
otherwise. Loopback only; the standard library only.
"""

from __future__ import annotations

import argparse
import html
import re
import statistics
import sys
import time
from dataclasses import dataclass

from load import POLL_SECONDS, Client, follow_run, form_values, load_average, loopback_only

TARGET_SECONDS = 5.0
RUN_TITLE = "bench/run_ready.py"
REGION_USER = "drmg"
RLS_USER = "cml.rimouski"
NEW_RUN = "/attribution/runs/new/"


@dataclass
class Timing:
    """One repetition's seconds (None: not seen, or not shown by the server)."""

    run: str
    ready: float
    post: float
    queued: float | None
    engine: float | None
    page: float


def run_form(client: Client, region: bool) -> dict[str, str]:
    """The run form's values as the page shows them (defaults), its territory set: the
    "whole region" option (``""``) for ``region``, else the user's first RLS."""
    status, page, _ = client.request(NEW_RUN)
    if status != 200:
        raise SystemExit(f"the run form answered HTTP {status}")
    values = form_values(page)
    select = re.search(r'<select name="rls"[^>]*>(.*?)</select>', page, re.S)
    options = re.findall(r'<option value="([^"]*)"', select.group(1)) if select else []
    if region:
        if "" not in options:
            raise SystemExit("this user may not run the whole region (no such option)")
        values["rls"] = ""
    else:
        codes = [code for code in options if code]
        if not codes:
            raise SystemExit("this user has no RLS to run")
        values["rls"] = codes[0]
    values["title"] = RUN_TITLE
    return values


def engine_seconds(client: Client, run: str) -> float | None:
    """``summary["pages"]["timings"]["total"]`` as the run's record tab shows it
    ("Computed in" / "Calculée en"); None when the page does not show it."""
    _, page, _ = client.request(run + "?tab=history")
    match = re.search(r"<dt>(?:Computed in|Calculée en)</dt><dd>([^<]*?)\s*s</dd>", page)
    if not match:
        return None
    text = html.unescape(match.group(1))
    try:
        return float(re.sub(r"\s", "", text).replace(",", "."))
    except ValueError:
        return None


def measure(client: Client, region: bool, timeout: float) -> Timing:
    """One run, from the click to ready for review (see the module's docstring).

    Raises:
        SystemExit: the run failed, was cancelled, or was not done within ``timeout``.
    """
    values = run_form(client, region)
    clicked = time.perf_counter()
    status, page, location = client.request(NEW_RUN, values)
    posted = time.perf_counter()
    if status != 302 or not re.fullmatch(r"/attribution/runs/\d+/", location):
        raise SystemExit(f"the run was not started (HTTP {status}): {page[:300]}")
    queued, ready = follow_run(client, location, clicked, timeout)
    shown = time.perf_counter()
    status, _, _ = client.request(location)
    page_seconds = time.perf_counter() - shown
    if status != 200:
        raise SystemExit(f"run {location}'s page answered HTTP {status}")
    return Timing(
        run=location,
        ready=ready,
        post=posted - clicked,
        queued=queued,
        engine=engine_seconds(client, location),
        page=page_seconds,
    )


def cell(value: float | None) -> str:
    return f"{value:>8.2f}" if value is not None else f"{'-':>8}"


COLUMNS = ("ready", "post", "queued", "engine", "page")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8767")
    parser.add_argument("--rls", action="store_true", help="a CML's run of their RLS")
    parser.add_argument("--user", help=f"the account ({REGION_USER}; {RLS_USER} with --rls)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pause", type=float, default=10.0, help="before each run, s")
    parser.add_argument("--timeout", type=float, default=120.0, help="per run, s")
    args = parser.parse_args()
    base = loopback_only(args.url)
    user = args.user or (RLS_USER if args.rls else REGION_USER)
    territory = "its RLS" if args.rls else "the whole region"

    print(f"before starting: {load_average()}")
    client = Client(base, timeout=60)
    try:
        client.login(user)
    except OSError as error:
        raise SystemExit(f"no server at {base} ({error}): start `make serve` first") from None
    print(
        f"{user}, a run of {territory} through the form on {base}, {args.repeat} times, "
        f"{args.pause:.0f} s apart; progress polled every {POLL_SECONDS} s"
    )
    print(f"  {'run':<24}" + "".join(f"{name:>8}" for name in COLUMNS) + "   load (1 min)")
    timings: list[Timing] = []
    for _ in range(args.repeat):
        time.sleep(args.pause)
        load = load_average(warn=False).split()[2]
        timing = measure(client, not args.rls, args.timeout)
        timings.append(timing)
        print(
            f"  {timing.run:<24}"
            + "".join(cell(getattr(timing, name)) for name in COLUMNS)
            + f"   {load}"
        )
    for label, pick in (("min", min), ("median", statistics.median), ("max", max)):
        row = ""
        for name in COLUMNS:
            values = [v for t in timings if (v := getattr(t, name)) is not None]
            row += cell(pick(values) if values else None)
        print(f"  {label:<24}{row}")
    if all(t.engine is None for t in timings):
        print("  engine: not shown by the server's run page, skipped")
    worst = max(t.ready for t in timings)
    met = worst < TARGET_SECONDS
    print(
        f"click to ready for review: median {statistics.median(t.ready for t in timings):.2f} s, "
        f"max {worst:.2f} s; target: every run under {TARGET_SECONDS:.0f} s: "
        f"{'met' if met else 'NOT met'}"
    )
    print(f"after: {load_average(warn=False)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
