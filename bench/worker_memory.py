"""The background worker gives a big task's memory back (issue 14, "Bounded resources").

    .venv/bin/python bench/worker_memory.py [--rows 3000000] [--quick N]

On a new SQLite database in a temporary folder, runs ``manage.py db_worker`` as a service
would, queues one big task (``web.ops.tests.tasks.check_big_csv``: an import check that
reads every row of a CSV of ``--rows`` rows into memory, as the checks did when a 1 GB CSV
took the worker to 6.3 GB and it kept 3.8 GB), and prints, read from /proc every 50 ms,
the supervisor's size and the worker process's size before the task, at its peak, and
after it; once with a new worker process per task (``PANELCARE_WORKER_TASKS_PER_PROCESS=1``,
the default) and once with one process for every task (as before, the library's worker).
Then the cost of a process per task: ``--quick`` tiny tasks queued at once, run both ways,
and the time from queued to finished.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from web.ops.worker import rss_mb  # noqa: E402 - the standard library only

RESULTS = "django_tasks_database_dbtaskresult"


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def worker_processes(supervisor: int) -> list[int]:
    """The supervisor's worker processes (not its upkeep)."""
    found = []
    for child in children(supervisor):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"db_worker_child" in command:
            found.append(child)
    return found


def settled_worker(supervisor: int, timeout: float = 60.0) -> tuple[int, float]:
    """The worker process once it waits for a task (its size steady for a second)."""
    deadline = time.monotonic() + timeout
    last: tuple[int, float] | None = None
    steady_since = time.monotonic()
    while time.monotonic() < deadline:
        pids = worker_processes(supervisor)
        size = rss_mb(pids[0]) if pids else None
        if pids and size is not None:
            if last is None or last[0] != pids[0] or abs(last[1] - size) > 1:
                last, steady_since = (pids[0], size), time.monotonic()
            elif time.monotonic() - steady_since > 1.0:
                return last
        time.sleep(0.05)
    raise SystemExit("no worker process settled")


def results(db: Path) -> list[tuple[str, str | None, str | None, str | None]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            f"SELECT status, enqueued_at, started_at, finished_at FROM {RESULTS}"
        ).fetchall()


def enqueue(env: dict[str, str], code: str) -> None:
    manage(env, "shell", "-c", f"from web.ops.tests import tasks\n{code}")


# The ways to run the worker compared: tasks per worker process, and the size above which
# a worker process leaves after a task (0: none).
MODES = {
    "a new worker process per task (the default)": (1, 0),
    "one worker process for every task (as before)": (100, 0),
    "a worker process leaving after a task that left it above 300 MiB": (100, 300),
}


def start_worker(env: dict[str, str], mode: tuple[int, int]) -> subprocess.Popen[bytes]:
    per_process, max_rss = mode
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--verbosity", "0"],
        cwd=ROOT,
        env={
            **env,
            "PANELCARE_WORKER_TASKS_PER_PROCESS": str(per_process),
            "PANELCARE_WORKER_MAX_RSS_MB": str(max_rss),
        },
    )


def stop(worker: subprocess.Popen[bytes]) -> float:
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)
    return time.monotonic() - started


def big_task(env: dict[str, str], db: Path, mode: tuple[int, int], rows: int) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute(f"DELETE FROM {RESULTS}")
    worker = start_worker(env, mode)
    try:
        child, before = settled_worker(worker.pid)
        supervisor_before = rss_mb(worker.pid) or 0
        enqueue(env, f"tasks.check_big_csv.enqueue({rows})")
        peak, supervisor_peak = before, supervisor_before
        while not any(status == "SUCCESSFUL" for status, *_ in results(db)):
            for pid in worker_processes(worker.pid):
                peak = max(peak, rss_mb(pid) or 0)
            supervisor_peak = max(supervisor_peak, rss_mb(worker.pid) or 0)
            time.sleep(0.05)
        # A process that ran its last task exits (a second or so on busy cores): wait
        # for that before reading the size of the one waiting for the next task.
        deadline = time.monotonic() + 10
        while child in worker_processes(worker.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        after_child, after = settled_worker(worker.pid)
        supervisor_after = rss_mb(worker.pid) or 0
    finally:
        stopped = stop(worker)
    same = "the same process" if after_child == child else "a new process"
    print(
        f"  worker process: before {before:.0f} MiB, peak {peak:.0f} MiB, "
        f"after {after:.0f} MiB ({same})"
    )
    print(
        f"  supervisor:     before {supervisor_before:.0f} MiB, peak {supervisor_peak:.0f} "
        f"MiB, after {supervisor_after:.0f} MiB; stopped {stopped:.2f} s after SIGTERM"
    )


def quick_tasks(env: dict[str, str], db: Path, mode: tuple[int, int], count: int) -> float:
    with sqlite3.connect(db) as connection:
        connection.execute(f"DELETE FROM {RESULTS}")
    worker = start_worker(env, mode)
    try:
        settled_worker(worker.pid)
        enqueue(env, f"for _ in range({count}):\n    tasks.report_pid.enqueue()")
        while True:
            done = results(db)
            if len(done) == count and all(status == "SUCCESSFUL" for status, *_ in done):
                break
            time.sleep(0.05)
    finally:
        stop(worker)
    enqueued = min(row[1] for row in done if row[1])
    finished = max(row[3] for row in done if row[3])
    from datetime import datetime

    return (datetime.fromisoformat(finished) - datetime.fromisoformat(enqueued)).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--quick", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="panelcare-worker-") as folder:
        db = Path(folder) / "worker.sqlite3"
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TASKS_BACKEND"}}
        env.update(
            DATABASE_URL=f"sqlite:///{db}",
            PANELCARE_DATA_DIR=str(Path(folder) / "data"),
            PANELCARE_PRODUCTION="false",
            DEBUG="false",
        )
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        print(f"One task reading a CSV of {args.rows:,} rows into memory:")
        for label, mode in MODES.items():
            print(f"- {label}:")
            big_task(env, db, mode, args.rows)
        print(f"{args.quick} tiny tasks queued at once, from queued to all finished:")
        timings = {label: quick_tasks(env, db, mode, args.quick) for label, mode in MODES.items()}
        for label, seconds in timings.items():
            print(f"- {label}: {seconds:.2f} s ({seconds / args.quick:.2f} s a task)")
        print(json.dumps({"load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
