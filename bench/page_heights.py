"""Measure: how long the attribution pages are in a real browser (issue 15, 5: "run pages
that a CML can read"; 11,500 px for an RLS and 26,000 px for the region before the tabs).

    .venv/bin/python bench/page_heights.py [--data-dir DIR] [--limit 6000] [--timeout 900]
        [--screenshots DIR]

Set up, not measured, in a SQLite database and data folder of ``DIR`` (a temporary folder
by default, removed afterwards; kept with ``--data-dir``, where a second call reuses the
database and the runs: the layout of ``bench/letters.py --keep``, whose setup this script
imports): the schema from the models, the demo region (``load_demo("region")``: 245
physicians, 8 RLS), a run of Rimouski-Neigette by ``cml.rimouski`` with the default
parameters, approved, then a run of the whole region by ``drmg``, approved (it supersedes
the CML's plan: one plan per territory, issue 15, 2). Then ``manage.py runserver`` on
loopback (DEBUG on, so that runserver serves the static files, as ``make run``; tasks
inline; its log in ``DIR/server.log``) and Debian's Chromium (``/usr/bin/chromium``
through Playwright, with the launch options of the ``browser`` fixture of ``conftest.py``;
never a downloaded browser), viewport 1280x900, French.

As ``cml.rimouski`` (one RLS, their run) and as ``drmg`` (the region, its run), the script
opens every tab of the run page (``web.attribution.figures.RUN_TABS``), the monthly
follow-up, the quarterly tables and the letters page, waits for the charts to be drawn, and
prints per page: the document's height (``document.documentElement.scrollHeight``, px),
its width when wider than the viewport, and the widest element whose right edge passes the
viewport's 1,280 px (a table scrolling inside its box included), named by tag, id and
``data-testid``.

With ``--screenshots``, each page measured is also saved there, whole, as PNG
(``<account>-<page>[-<tab>].png``), to look at what the figures measure.

Exits 0 when every tab of both run pages is under ``--limit`` px (6,000 by default: about
seven screens) and nothing is wider than the viewport, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/letters.py's setup: Django on DIR/bench.sqlite3 and DIR/data, the schema from the
# models (as the tests' --no-migrations), tasks inline.
from letters import ROOT, _NoMigrations, setup_django

sys.path.insert(0, str(ROOT))
from conftest import CHROMIUM, CHROMIUM_ARGS  # the browser tests' own launch

VIEWPORT = {"width": 1280, "height": 900}
RUN_TITLE = "bench page heights"
SUPERSEDE_REASON = "bench/page_heights.py: the region's plan after the RLS's"
# Who is measured, and the territory of their run (None: the whole region).
ACCOUNTS = (("cml.rimouski", "rls"), ("drmg", "region"))

# The document's size, and the widest element passing the viewport's right edge (the
# deepest of equal width: the table rather than the box around it).
MEASURE_JS = """(limit) => {
  const root = document.documentElement;
  let widest = null;
  for (const el of document.querySelectorAll("body *")) {
    const right = Math.ceil(el.getBoundingClientRect().right + window.scrollX);
    const width = Math.max(right, el.scrollWidth);
    if (width > limit && (widest === null || width >= widest.width)) {
      widest = {width: width, el: el};
    }
  }
  let name = "";
  if (widest !== null) {
    const el = widest.el;
    name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
    let testid = el.closest("[data-testid]");
    if (testid) name += " in [data-testid=" + testid.dataset.testid + "]";
  }
  return {
    height: root.scrollHeight,
    width: root.scrollWidth,
    widest: widest === null ? null : {name: name, width: widest.width},
  };
}"""

# Every chart of the page drawn (an <svg> in each #chart-NAME that has a spec).
CHARTS_DRAWN_JS = """() => [...document.querySelectorAll('script[id^="spec-"]')].every(
  (spec) => {
    const target = document.getElementById("chart-" + spec.id.slice(5));
    return !target || target.querySelector("svg, canvas") !== null;
  })"""


@dataclass
class Measure:
    account: str
    page: str
    tab: str
    height: int
    width: int
    widest: dict[str, Any] | None

    @property
    def overflow(self) -> str:
        if self.widest is None:
            return ""
        where = "page scrolls" if self.width > VIEWPORT["width"] else "scrolls in its box"
        return f"{self.widest['name']}: {self.widest['width']} px ({where})"


def approved_runs() -> dict[str, int]:
    """The primary keys of the runs measured, by account: made (load, compute, approve)
    when the database has none."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from web.attribution import services
    from web.attribution.errors import AttributionError
    from web.attribution.models import Run, RunStatus
    from web.regions.demo import load_demo

    settings.MIGRATION_MODULES = _NoMigrations()
    call_command("migrate", run_syncdb=True, verbosity=0)
    started = time.perf_counter()
    report = load_demo("region")
    if not report.already_loaded:
        print(f"demo region loaded in {report.seconds:.0f} s")
    runs: dict[str, int] = {}
    for username, territory in ACCOUNTS:
        user = User.objects.get(username=username)
        rls = user.profile.rls.get() if territory == "rls" else None
        run = Run.objects.filter(title=RUN_TITLE, rls=rls).order_by("-pk").first()
        if run is None:
            run = services.do_start_run(rls, {}, timezone.localdate(), RUN_TITLE, acting_user=user)
            run.refresh_from_db()
        if run.status == RunStatus.DONE:
            try:
                run = services.do_approve_run(
                    run, acting_user=user, supersede_reason=SUPERSEDE_REASON
                )
            except AttributionError as error:
                print(f"{username}'s run #{run.pk} stays unapproved: {error}")
        if run.status not in (RunStatus.DONE, RunStatus.APPROVED):
            raise SystemExit(f"{username}'s run #{run.pk} is {run.status}: {run.error}")
        runs[username] = run.pk
    print(f"set up in {time.perf_counter() - started:.0f} s: runs {runs}")
    from django.db import connections

    connections.close_all()
    return runs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, log: Path, timeout: float) -> subprocess.Popen[bytes]:
    """``manage.py runserver`` on the bench's database (its environment, set by
    :func:`setup_django`), DEBUG on, tasks inline, its output in ``log``; returns once it
    answers."""
    env = dict(os.environ, DEBUG="true", TASKS_BACKEND="immediate")
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5).close()
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the server did not answer")


def measure(
    page: Any, account: str, name: str, tab: str, screenshots: Path | None = None
) -> Measure:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_load_state("networkidle")
    try:
        page.wait_for_function(CHARTS_DRAWN_JS, timeout=20_000)
    except PlaywrightTimeout:  # said, and the page measured as it is
        print(f"  {account} {name} {tab}: a chart was not drawn within 20 s")
    figures = page.evaluate(MEASURE_JS, VIEWPORT["width"])
    if screenshots is not None:
        stem = "-".join(part for part in (account, name.split(" #")[0], tab) if part)
        page.screenshot(path=str(screenshots / f"{stem}.png"), full_page=True)
    return Measure(account, name, tab, figures["height"], figures["width"], figures["widest"])


def measure_account(
    browser: Any, base: str, account: str, run: int, screenshots: Path | None = None
) -> list[Measure]:
    """Every page of ``account``'s run, and the reports, in a fresh browser context."""
    from web.attribution.figures import RUN_TABS
    from web.regions.demo import DEMO_PASSWORD

    context = browser.new_context(locale="fr-CA", viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", account)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("section.login button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        found = []
        for tab in RUN_TABS:
            page.goto(f"{base}/attribution/runs/{run}/?tab={tab}")
            found.append(measure(page, account, f"run #{run}", tab, screenshots))
        for name, path in (
            ("follow-up", f"/attribution/runs/{run}/followup/"),
            ("quarterly", "/attribution/quarterly/"),
            ("letters", f"/attribution/runs/{run}/letters/"),
        ):
            page.goto(base + path)
            found.append(measure(page, account, name, "", screenshots))
        return found
    finally:
        context.close()


def print_table(found: list[Measure]) -> None:
    print(f"{'account':<14}{'page':<12}{'tab':<12}{'height px':>10}  overflow (> 1280 px)")
    for m in found:
        print(f"{m.account:<14}{m.page:<12}{m.tab:<12}{m.height:>10,}  {m.overflow or '-'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="the database and data folder (kept)")
    parser.add_argument(
        "--limit", type=int, default=6000, help="px: the most a run page's tab may measure"
    )
    parser.add_argument("--timeout", type=float, default=900, help="s, for the server to answer")
    parser.add_argument("--screenshots", type=Path, help="a folder for a PNG of each page")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")

    work = args.data_dir or Path(tempfile.mkdtemp(prefix="panelcare-heights-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    server = None
    try:
        if args.screenshots is not None:
            args.screenshots.mkdir(parents=True, exist_ok=True)
        setup_django(work)
        runs = approved_runs()
        port = free_port()
        server = start_server(port, work / "server.log", args.timeout)
        from playwright.sync_api import sync_playwright

        found: list[Measure] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for account, _territory in ACCOUNTS:
                    found += measure_account(
                        browser,
                        f"http://127.0.0.1:{port}",
                        account,
                        runs[account],
                        args.screenshots,
                    )
            finally:
                browser.close()
        print_table(found)
        tabs = [m for m in found if m.tab]
        too_long = [m for m in tabs if m.height >= args.limit]
        too_wide = [m for m in found if m.width > VIEWPORT["width"]]
        print(
            f"run pages' tallest tab {max(m.height for m in tabs):,} px "
            f"(limit {args.limit:,}): {'ok' if not too_long else 'OVER'}; "
            f"pages wider than the viewport: {len(too_wide)}"
        )
        return 0 if not too_long and not too_wide else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        if args.data_dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
