"""``manage.py db_worker`` (web/ops/worker.py): a small supervisor that starts worker
processes one after the other (another when one exits or dies), passes a stop signal on
once, runs the upkeep (stalled jobs failed, orphan files removed), and whose worker
processes run the queued tasks as before, each in a process of its own."""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from web.ops import worker
from web.ops.management.commands.db_worker import supervisor_argv
from web.ops.upkeep import upkeep
from web.regions.demo import LoadReport
from web.regions.models import Region
from web.tables.models import ImportJob, ImportStatus

ROOT = Path(__file__).resolve().parents[3]
TWO_HOURS_AGO = time.time() - 2 * 3600

# A worker process stand-in: it records its pid, reports one task on the supervisor's
# pipe while fewer than `tasks` were recorded, then exits (as `--batch` with nothing left).
FAKE_CHILD = textwrap.dedent(
    """
    import os, sys
    log, tasks = sys.argv[1], int(sys.argv[2])
    with open(log, "a") as f:
        f.write(f"{os.getpid()}\\n")
    seen = len(open(log).read().split())
    if seen <= tasks:
        os.write(int(os.environ["PANELCARE_WORKER_REPORT_FD"]), b"task\\n")
    if seen == 1 and len(sys.argv) > 3:
        os.kill(os.getpid(), 9)
    """
)


def fake_children(log: Path, tasks: int, *, die_first: bool = False) -> Callable[[int], list[str]]:
    return lambda max_tasks: [
        sys.executable,
        "-c",
        FAKE_CHILD,
        str(log),
        str(tasks),
        *(["die"] if die_first else []),
    ]


def test_it_starts_another_worker_process_when_one_exits(tmp_path: Path) -> None:
    log = tmp_path / "pids"
    supervisor = worker.Supervisor(fake_children(log, tasks=2), batch=True)

    assert supervisor.run() == 0

    pids = log.read_text().split()
    assert len(pids) == 3 and len(set(pids)) == 3  # two tasks, then one finding nothing
    assert supervisor.tasks_done == 2


def test_it_starts_a_worker_process_again_after_it_died(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "MAX_RESTART_DELAY", 0.0)  # no pause before the restart
    log = tmp_path / "pids"
    supervisor = worker.Supervisor(fake_children(log, tasks=2, die_first=True), batch=True)

    assert supervisor.run() == 0

    # The first reported its task then was killed (SIGKILL); the next ones ran as usual.
    assert len(log.read_text().split()) == 3
    assert supervisor.children_started == 3


def test_it_stops_after_max_tasks(tmp_path: Path) -> None:
    log = tmp_path / "pids"
    asked: list[int] = []

    def children(max_tasks: int) -> list[str]:
        asked.append(max_tasks)
        return fake_children(log, tasks=10)(max_tasks)

    supervisor = worker.Supervisor(children, tasks_per_process=2, max_tasks=3)

    assert supervisor.run() == 0

    assert supervisor.tasks_done == 3  # each fake process reports one task
    assert asked == [2, 2, 1]  # the last one is asked for the one task left
    assert len(log.read_text().split()) == 3


# A worker process stand-in that asks its supervisor (the test's process) to stop, as a
# service manager would, then waits for the signal to be passed on.
SIGNALLED_CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    out = sys.argv[1]
    def stop(signum, frame):
        with open(out, "a") as f:
            f.write(f"{signum}\\n")
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    os.kill(os.getppid(), signal.SIGTERM)
    time.sleep(30)
    with open(out, "a") as f:
        f.write("not stopped\\n")
    """
)


def test_it_passes_sigterm_on_and_exits(tmp_path: Path) -> None:
    out = tmp_path / "signals"
    supervisor = worker.Supervisor(
        lambda max_tasks: [sys.executable, "-c", SIGNALLED_CHILD, str(out)]
    )
    before = signal.getsignal(signal.SIGTERM)

    started = time.monotonic()
    assert supervisor.run() == 0

    assert out.read_text().split() == [str(int(signal.SIGTERM))]
    assert supervisor.children_started == 1  # not started again once stopping
    assert time.monotonic() - started < 20  # the child did not sleep its 30 s
    assert signal.getsignal(signal.SIGTERM) == before


class FakeChild:
    pid = 4242

    def __init__(self) -> None:
        self.signals: list[int] = []

    def poll(self) -> None:
        return None

    def send_signal(self, signum: int) -> None:
        self.signals.append(signum)


def test_it_passes_the_same_stop_request_on_once(monkeypatch: pytest.MonkeyPatch) -> None:
    supervisor = worker.Supervisor(lambda max_tasks: [])
    child = FakeChild()
    supervisor.child = child  # type: ignore[assignment]
    now = [1000.0]
    monkeypatch.setattr(worker.time, "monotonic", lambda: now[0])

    supervisor._on_stop_signal(signal.SIGINT, None)  # Ctrl-C: the terminal's
    supervisor._on_stop_signal(signal.SIGTERM, None)  # make run's trap, at once
    now[0] += 5
    supervisor._on_stop_signal(signal.SIGINT, None)  # Ctrl-C again, later: force

    assert child.signals == [signal.SIGINT, signal.SIGINT]


def test_it_passes_the_options_on_to_the_worker_processes() -> None:
    argv = supervisor_argv(
        {
            "queue_name": "default,letters",
            "exclude_queues": "",
            "interval": 0.5,
            "backend_name": "default",
            "worker_id": "w-1",
            "batch": True,
            "reload": False,
            "max_tasks": 7,
            "verbosity": 2,
        }
    )

    supervisor, child = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    assert supervisor[1].endswith("web/ops/worker.py")
    assert supervisor[supervisor.index("--max-tasks") + 1] == "7" and "--batch" in supervisor
    assert supervisor[supervisor.index("--check-every") + 1] == str(
        settings.PANELCARE_WORKER_CHECK_SECONDS
    )
    assert child[child.index("--queue-name") + 1] == "default,letters"
    assert child[child.index("--interval") + 1] == "0.5"
    assert child[child.index("--worker-id") + 1] == "w-1"
    assert {"--batch", "--preload", "--no-startup-delay"} <= set(child)


def test_it_refuses_to_replace_a_process_that_calls_it(settings: object) -> None:
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with pytest.raises(CommandError, match="command line only"):
        call_command("db_worker", "--batch", verbosity=0)


def test_it_keeps_the_supervisor_free_of_django_and_the_engines() -> None:
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy, sys; runpy.run_path(sys.argv[1]); "
            "print(' '.join(m for m in ('django', 'pyarrow', 'panelcare') if m in sys.modules))",
            worker.__file__,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip() == ""


def test_it_fails_a_stalled_job_and_cleans_an_orphan(
    demo: LoadReport, demo_user: Callable[[str], User], settings: object
) -> None:
    region = Region.objects.get()
    root = Path(settings.PANELCARE_DATA_DIR)  # type: ignore[attr-defined]
    staging = root / region.code / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    now = timezone.now()

    def job(name: str, heartbeat: datetime.datetime) -> ImportJob:
        staged = staging / name
        staged.write_text("physician_id\n", encoding="utf-8")
        os.utime(staged, (TWO_HOURS_AGO, TWO_HOURS_AGO))
        return ImportJob.objects.create(
            region=region,
            kind="physicians",
            scope=["0115"],
            source_name=name,
            staged_file=str(staged),
            status=ImportStatus.CHECKING,
            heartbeat_at=heartbeat,
            created_by=demo_user("drmg"),
        )

    lost = job("lost.csv", now - datetime.timedelta(hours=1))
    working = job("working.csv", now)  # a long check, its staged file written 2 h ago
    orphan = root / "uploads" / "tmp1234.upload.csv"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"patient rows")
    os.utime(orphan, (TWO_HOURS_AGO, TWO_HOURS_AGO))

    done = upkeep(clean_orphans=True)

    lost.refresh_from_db()
    working.refresh_from_db()
    assert done.stalled == 1
    assert lost.status == ImportStatus.FAILED
    assert working.status == ImportStatus.CHECKING
    assert orphan in [o.path for o in done.orphans] and not orphan.exists()
    assert Path(working.staged_file).exists()


def test_it_only_fails_stalled_jobs_between_two_cleanings(
    demo: LoadReport, settings: object
) -> None:
    orphan = Path(settings.PANELCARE_DATA_DIR) / "uploads" / "tmp5678.upload.csv"  # type: ignore[attr-defined]
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"patient rows")
    os.utime(orphan, (TWO_HOURS_AGO, TWO_HOURS_AGO))

    done = upkeep(clean_orphans=False)

    assert done.orphans == [] and orphan.exists()


# Over a second: three Django processes (migrate, queue, then the worker with its
# upkeep and three worker processes) on a new SQLite database.
@pytest.mark.slow
def test_it_runs_queued_tasks_each_in_a_worker_process_of_its_own(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TASKS_BACKEND"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    env["PANELCARE_DATA_DIR"] = str(tmp_path / "data")

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    manage("migrate", "--noinput", "--verbosity", "0")
    manage(
        "shell",
        "-c",
        "from web.ops.tests.tasks import report_pid\nreport_pid.enqueue()\nreport_pid.enqueue()",
    )
    started = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--batch", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
    )
    assert started.wait(timeout=300) == 0
    results = json.loads(
        manage(
            "shell",
            "-c",
            "import json\nfrom django_tasks_db.models import DBTaskResult\n"
            "print(json.dumps([[r.status, r.return_value] for r in DBTaskResult.objects.all()]))",
        ).splitlines()[-1]
    )

    assert [status for status, _ in results] == ["SUCCESSFUL", "SUCCESSFUL"]
    pids = {pid for _, pid in results}
    assert len(pids) == 2 and started.pid not in pids and os.getpid() not in pids
