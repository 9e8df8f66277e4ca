"""Benchmark: N logged-in users at once on a running panelcare server (loopback only).

    make serve                                  # in one terminal (or PORT=8766 ...)
    .venv/bin/python bench/load.py [URL] [--users 20] [--requests 20] [--timeout 300]

Each simulated user logs in with one of the demo accounts (password
``demo-panelcare-2026``; the accounts that may see an RLS's waiting list and runs, used in
turn), then requests, ``--requests`` times in a row, the next of its pages: the dashboard
``/``, an RLS page ``/rls/<code>/``, that RLS's waiting list and a run's plan page
``/attribution/runs/<pk>/``. The RLS and the run are found from the pages themselves (the
dashboard's links, the run list); without any run the plan page is skipped and said so
(``--start-run`` starts one through the web form, with its default values, and waits for
it).

Bounded: a fixed number of requests per user, every request with a timeout, the whole
bench stopped after ``--timeout`` seconds. Only a loopback URL is accepted. The standard
library only (urllib, a cookie jar per user, one thread per user).

Prints per page: requests, p50, p95, max (ms), errors; then the overall p95 against the
250 ms target (issue 14) and exits 1 when the target is not met.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import ipaddress
import re
import socket
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser

PASSWORD = "demo-panelcare-2026"
# Demo accounts that see the RLS pages, the waiting list and the runs (README).
ACCOUNTS = ("drmg", "cml.rimouski", "cml.kamouraska")
TARGET_MS = 250.0
PAGES = ("dashboard", "rls", "waitlist", "plan")


def loopback_only(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return url
    try:
        if ipaddress.ip_address(host).is_loopback:
            return url
    except ValueError:
        pass
    raise SystemExit(f"refused: {url} is not a loopback address (127.0.0.1, ::1, localhost)")


class _Form(HTMLParser):
    """The named inputs, selects (selected or first option) and textareas of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") in ("submit", "button"):
                return
            self.values[name] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html)
    return parser.values


class Client:
    """One user: a cookie jar and an opener that does not follow redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    def __init__(self, base: str, timeout: float) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Status, body and Location of ``path`` (a POST of ``data`` when given)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body)
        req.add_header("Referer", self.base + path)
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                return response.status, response.read().decode("utf-8", "replace"), ""
        except urllib.error.HTTPError as error:
            return (
                error.code,
                error.read().decode("utf-8", "replace"),
                error.headers.get("Location", ""),
            )

    def login(self, username: str) -> None:
        status, html, _ = self.request("/accounts/login/")
        values = form_values(html)
        values.update(username=username, password=PASSWORD)
        status, _, location = self.request("/accounts/login/", values)
        if status != 302 or "login" in location:
            raise SystemExit(f"login of {username} failed (HTTP {status}): demo loaded?")


def discover(client: Client) -> dict[str, str]:
    """The pages' paths for this user: an RLS from the dashboard, a run from the list."""
    _, home, _ = client.request("/")
    paths = {"dashboard": "/"}
    match = re.search(r'href="(/rls/[^/"]+/)"', home)
    if match:
        paths["rls"] = match.group(1)
        paths["waitlist"] = match.group(1) + "waitlist/"
    _, runs, _ = client.request("/attribution/runs/")
    match = re.search(r'href="(/attribution/runs/\d+/)"', runs)
    if match:
        paths["plan"] = match.group(1)
    return paths


def start_run(client: Client, rls_path: str, wait: float) -> None:
    rls = rls_path.strip("/").split("/")[-1]
    _, html, _ = client.request(f"/attribution/runs/new/?rls={urllib.parse.quote(rls)}")
    values = form_values(html)
    values["rls"] = rls
    values.setdefault("title", "bench/load.py")
    status, page, location = client.request("/attribution/runs/new/", values)
    if status != 302:
        raise SystemExit(f"could not start a run (HTTP {status}): {page[:300]}")
    print(f"started a run: {location}; waiting for its plan (at most {wait:.0f} s)")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        _, progress, _ = client.request(location.rstrip("/") + "/progress/")
        status = re.search(r'data-status="(\w+)"', progress)
        if status and status.group(1) not in ("queued", "running"):
            print(f"the run is {status.group(1)}")
            return
        time.sleep(2)
    print("the run has not finished: its page is measured as it is")


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PAGES, 0))
    lock: threading.Lock = field(default_factory=threading.Lock)


def user_loop(
    client: Client, paths: dict[str, str], n: int, offset: int, stop: float, res: Results
) -> None:
    pages = [p for p in PAGES if p in paths]
    for i in range(n):
        if time.monotonic() > stop:
            return
        page = pages[(i + offset) % len(pages)]
        start = time.perf_counter()
        try:
            status, _, _ = client.request(paths[page])
            ok = status == 200
        except (OSError, urllib.error.URLError):
            ok = False
        elapsed = (time.perf_counter() - start) * 1000
        with res.lock:
            if ok:
                res.times[page].append(elapsed)
            else:
                res.errors[page] += 1


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20, help="per user")
    parser.add_argument("--timeout", type=float, default=300, help="the whole bench, s")
    parser.add_argument("--request-timeout", type=float, default=30)
    parser.add_argument("--start-run", action="store_true", help="start a run if none")
    args = parser.parse_args()
    base = loopback_only(args.url)
    try:
        socket.create_connection(
            (urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port or 80), 5
        ).close()
    except OSError:
        raise SystemExit(f"no server at {base}: start `make serve` first") from None

    clients, paths = [], []
    for i in range(args.users):
        client = Client(base, args.request_timeout)
        client.login(ACCOUNTS[i % len(ACCOUNTS)])
        clients.append(client)
        paths.append(discover(client))
    if "plan" not in paths[0]:
        if args.start_run and "rls" in paths[0]:
            start_run(clients[0], paths[0]["rls"], wait=min(args.timeout, 600))
            paths = [discover(c) for c in clients]
        if "plan" not in paths[0]:
            print("no run in the region: the plan page is skipped (--start-run starts one)")

    res = Results()
    stop = time.monotonic() + args.timeout
    threads = [
        threading.Thread(target=user_loop, args=(c, p, args.requests, i, stop, res), daemon=True)
        for i, (c, p) in enumerate(zip(clients, paths, strict=True))
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, stop - time.monotonic()))
    wall = time.perf_counter() - started

    print(
        f"{args.users} users x {args.requests} requests on {base} in {wall:.1f} s "
        f"(accounts: {', '.join(ACCOUNTS)})"
    )
    print(f"{'page':<10}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'errors':>8}")
    every: list[float] = []
    for page in PAGES:
        times = res.times[page]
        every += times
        if not times and not res.errors[page]:
            print(f"{page:<10}{'skipped':>6}")
            continue
        print(
            f"{page:<10}{len(times):>6}{statistics.median(times) if times else 0:>10.0f}"
            f"{p95(times):>10.0f}{max(times, default=0):>10.0f}{res.errors[page]:>8}"
        )
    overall = p95(every)
    met = overall < TARGET_MS and not any(res.errors.values())
    print(f"overall p95 {overall:.0f} ms, target {TARGET_MS:.0f} ms: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
