"""The background worker's supervisor: ``manage.py db_worker`` (docs/deployment.md, "The
background worker").

A Python process does not give back to the system the memory a big task made it take (a
1 GB CSV checked in the worker left it at 3.8 GB for good). So the worker is two kinds of
process:

* this **supervisor**, small and long-lived: it imports the standard library only (no
  Django, no pyarrow: ``manage.py db_worker`` parses its options, then *replaces itself*
  with ``python -m web.ops.worker``, keeping its process id);
* a **worker process** it starts, ``manage.py db_worker_child``: the ``django_tasks_db``
  worker, which runs ``--tasks-per-process`` tasks (setting
  ``PANELCARE_WORKER_TASKS_PER_PROCESS``, 1 by default) or stops after a task that left it
  above ``PANELCARE_WORKER_MAX_RSS_MB``, then exits: its memory goes back to the system,
  and the supervisor starts the next one. A worker process that dies (killed, out of
  memory) is started again too; the job it held is failed by the lease
  (:mod:`web.tasks_health`).

Every ``--check-every`` seconds, and before the first worker process, the supervisor runs
the **upkeep** (``manage.py worker_upkeep``, :mod:`web.ops.upkeep`) in a short-lived
process of its own: it fails the jobs whose worker was lost, and every ``--clean-every``
seconds (and at start) it removes the files a crash left behind.

Signals: SIGTERM or SIGINT (Ctrl-C) is passed on to the worker process, which finishes its
task and exits, then the supervisor exits (0). A second signal, later, is passed on too:
the worker process then stops its task (the library's "press Ctrl+C again to force"). The
same stop request arriving twice at once (Ctrl-C reaches both processes of a terminal's
process group; systemd's default ``KillMode=control-group`` signals both) counts once.

Each finished task is reported by the worker process on a pipe whose descriptor is in its
environment (:data:`REPORT_FD_ENV`), one line per task: the supervisor counts them for
``--max-tasks`` and ``--batch``.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

__all__ = ["REPORT_FD_ENV", "SUPERVISOR_PID_ENV", "Supervisor", "main", "rss_mb"]

logger = logging.getLogger("panelcare.worker")

# The worker process writes one line on this descriptor per task it finished.
REPORT_FD_ENV = "PANELCARE_WORKER_REPORT_FD"
# The supervisor's pid: a worker process whose parent is no longer it stops (the
# supervisor was killed with SIGKILL and could not pass a signal on).
SUPERVISOR_PID_ENV = "PANELCARE_WORKER_SUPERVISOR_PID"
# Two stop requests closer than this are the same request (see the module's docstring).
SAME_REQUEST_SECONDS = 2.0
# A worker process that fails sooner than this after its start is started again after a
# growing delay (a database down must not make it restart in a tight loop).
QUICK_FAILURE_SECONDS = 10.0
MAX_RESTART_DELAY = 30.0

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
MANAGE_PY = Path(__file__).resolve().parent.parent.parent / "manage.py"


def rss_mb(pid: int | str = "self") -> float | None:
    """The resident memory of process ``pid`` in MiB, read from ``/proc`` (None when the
    process is gone or there is no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


class Supervisor:
    """Start worker processes one after the other, and the upkeep now and then.

    ``child_argv(max_tasks)`` is the command of a worker process that runs at most
    ``max_tasks`` tasks (it reports each one on :data:`REPORT_FD_ENV`); ``upkeep_argv(
    clean)`` is the upkeep's command (``clean``: remove the orphan files too), or None for
    no upkeep. ``max_tasks``: stop after that many tasks in all; ``batch``: stop when a
    worker process exits having found nothing to do.
    """

    def __init__(
        self,
        child_argv: Callable[[int], Sequence[str]],
        *,
        upkeep_argv: Callable[[bool], Sequence[str]] | None = None,
        tasks_per_process: int = 1,
        check_every: float = 60.0,
        clean_every: float = 3600.0,
        max_tasks: int | None = None,
        batch: bool = False,
    ) -> None:
        self.child_argv = child_argv
        self.upkeep_argv = upkeep_argv
        self.tasks_per_process = max(1, tasks_per_process)
        self.check_every = check_every
        self.clean_every = clean_every
        self.max_tasks = max_tasks
        self.batch = batch

        self.child: subprocess.Popen[bytes] | None = None
        self.upkeep: subprocess.Popen[bytes] | None = None
        self.tasks_done = 0
        self.children_started = 0
        self.stop_requested_at: float | None = None
        self._child_tasks = 0
        self._child_started_at = 0.0
        self._restart_delay = 0.0
        self._restart_at = 0.0
        self._next_check = 0.0
        self._next_clean = 0.0
        self._report_r = -1
        self._wake_r = -1

    # ------------------------------------------------------------------------- signals
    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        repeated = (
            self.stop_requested_at is not None
            and now - self.stop_requested_at < SAME_REQUEST_SECONDS
        )
        if self.stop_requested_at is None:
            logger.warning("%s: stopping after the current task.", signal.strsignal(signum))
            self.stop_requested_at = now
        if self.child is not None and self.child.poll() is None and not repeated:
            self.child.send_signal(signum)

    def _install_signals(self) -> Callable[[], None]:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        self._wake_r = wake_r
        previous = {signum: signal.getsignal(signum) for signum in (*STOP_SIGNALS, signal.SIGCHLD)}
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_stop_signal)
        # A child's exit wakes the loop at once (the handler does nothing: the wake-up
        # descriptor is what matters).
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        old_wakeup = signal.set_wakeup_fd(wake_w)

        def restore() -> None:
            signal.set_wakeup_fd(old_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(wake_r)
            os.close(wake_w)

        return restore

    # ------------------------------------------------------------------------- processes
    def _start_child(self) -> None:
        want = self.tasks_per_process
        if self.max_tasks is not None:
            want = min(want, self.max_tasks - self.tasks_done)
        report_r, report_w = os.pipe()
        os.set_blocking(report_r, False)
        env = {**os.environ, REPORT_FD_ENV: str(report_w), SUPERVISOR_PID_ENV: str(os.getpid())}
        self.child = subprocess.Popen(list(self.child_argv(want)), env=env, pass_fds=(report_w,))
        os.close(report_w)
        self._report_r = report_r
        self._child_tasks = 0
        self._child_started_at = time.monotonic()
        self.children_started += 1
        logger.debug("worker process %s started (at most %s task(s))", self.child.pid, want)

    def _read_reports(self) -> None:
        if self._report_r < 0:
            return
        try:
            data = os.read(self._report_r, 4096)
        except BlockingIOError:
            return
        count = data.count(b"\n")
        self._child_tasks += count
        self.tasks_done += count

    def _child_exited(self, code: int) -> None:
        self._read_reports()
        os.close(self._report_r)
        self._report_r = -1
        assert self.child is not None
        pid, self.child = self.child.pid, None
        lived = time.monotonic() - self._child_started_at
        if code == 0 or self.stop_requested_at is not None:
            # Stopping: a process signalled before it had set its handlers dies of it.
            self._restart_delay = 0.0
            logger.debug("worker process %s exited after %s task(s)", pid, self._child_tasks)
            return
        if code < 0:
            what = f"was killed by {signal.strsignal(-code)}"
        else:
            what = f"exited with status {code}"
        if lived < QUICK_FAILURE_SECONDS:
            self._restart_delay = min(max(1.0, 2 * self._restart_delay), MAX_RESTART_DELAY)
        else:
            self._restart_delay = 0.0
        self._restart_at = time.monotonic() + self._restart_delay
        logger.warning(
            "worker process %s %s; starting another in %.0f s (a job it held is failed "
            "once its lease runs out).",
            pid,
            what,
            self._restart_delay,
        )

    def _start_upkeep(self, now: float) -> None:
        if self.upkeep_argv is None:
            self._next_check = float("inf")
            return
        clean = now >= self._next_clean
        # A session of its own: Ctrl-C in a terminal is for the worker, the supervisor
        # ends the upkeep itself.
        self.upkeep = subprocess.Popen(list(self.upkeep_argv(clean)), start_new_session=True)
        self._next_check = now + self.check_every
        if clean:
            self._next_clean = now + self.clean_every

    def _upkeep_exited(self, code: int) -> None:
        if code != 0:
            logger.warning("the upkeep (failing stalled jobs, orphan files) exited with %s", code)
        self.upkeep = None

    def _finished(self) -> bool:
        """Whether no further worker process is wanted."""
        if self.stop_requested_at is not None:
            return True
        return self.max_tasks is not None and self.tasks_done >= self.max_tasks

    # ------------------------------------------------------------------------- loop
    def run(self) -> int:
        """Supervise until a stop signal, ``max_tasks`` or an idle ``batch``; the exit
        status (0)."""
        restore = self._install_signals()
        try:
            now = time.monotonic()
            self._start_upkeep(now)
            # The jobs a lost worker held are failed before a new worker starts.
            first_upkeep = self.upkeep
            while True:
                now = time.monotonic()
                if self.upkeep is not None and (code := self.upkeep.poll()) is not None:
                    self._upkeep_exited(code)
                if self.child is not None and (code := self.child.poll()) is not None:
                    self._child_exited(code)
                    if self.batch and code == 0 and self._child_tasks == 0:
                        break  # nothing left to do
                if self.child is None:
                    if self._finished():
                        break
                    if (first_upkeep is None or first_upkeep.poll() is not None) and (
                        now >= self._restart_at
                    ):
                        self._start_child()
                if (
                    self.upkeep is None
                    and now >= self._next_check
                    and self.stop_requested_at is None
                ):
                    self._start_upkeep(now)
                self._wait(now)
            return 0
        finally:
            self._stop_upkeep()
            restore()

    def _wait(self, now: float) -> None:
        """Sleep until a signal (a process's exit, a stop), a report, or the next due
        time; a process's exit is never missed: its SIGCHLD is written on the wake-up
        descriptor even when it comes before the ``select``."""
        due = [now + 60.0]
        if self.upkeep is None and self.stop_requested_at is None:
            due.append(self._next_check)
        if self.child is None and not self._finished():
            due.append(self._restart_at)
        timeout = max(0.0, min(due) - now)
        watched = [self._wake_r] + ([self._report_r] if self._report_r >= 0 else [])
        ready, _, _ = select.select(watched, [], [], timeout)
        if self._wake_r in ready:
            try:
                while os.read(self._wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        if self._report_r in ready:
            self._read_reports()

    def _stop_upkeep(self) -> None:
        if self.upkeep is not None and self.upkeep.poll() is None:
            self.upkeep.terminate()
            try:
                self.upkeep.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.upkeep.kill()
                self.upkeep.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m web.ops.worker [options] -- CHILD_OPTIONS``: what ``manage.py db_worker``
    runs once it has checked its options (the ``CHILD_OPTIONS`` are those of
    ``manage.py db_worker_child``, ``--max-tasks`` excepted)."""
    parser = argparse.ArgumentParser(prog="python -m web.ops.worker")
    parser.add_argument("--tasks-per-process", type=int, default=1)
    parser.add_argument("--check-every", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--clean-every", type=float, default=3600.0, metavar="SECONDS")
    parser.add_argument("--no-upkeep", action="store_true")
    parser.add_argument("--max-tasks", type=int, default=None)
    parser.add_argument("--batch", action="store_true")
    parser.add_argument("--verbosity", type=int, default=1)
    parser.add_argument("child_options", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    child_options = list(args.child_options)
    if child_options[:1] == ["--"]:
        child_options = child_options[1:]

    # On stderr, as the worker processes' log (Django's LOGGING): one stream, in order.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel({0: logging.WARNING, 1: logging.INFO}.get(args.verbosity, logging.DEBUG))

    python = sys.executable
    verbosity = ["--verbosity", str(args.verbosity)]

    def child_argv(max_tasks: int) -> list[str]:
        return [
            python,
            str(MANAGE_PY),
            "db_worker_child",
            *child_options,
            *verbosity,
            "--max-tasks",
            str(max_tasks),
        ]

    def upkeep_argv(clean: bool) -> list[str]:
        return [python, str(MANAGE_PY), "worker_upkeep", *verbosity] + (
            ["--clean-orphans"] if clean else []
        )

    supervisor = Supervisor(
        child_argv,
        upkeep_argv=None if args.no_upkeep else upkeep_argv,
        tasks_per_process=args.tasks_per_process,
        check_every=args.check_every,
        clean_every=args.clean_every,
        max_tasks=args.max_tasks,
        batch=args.batch,
    )
    logger.info(
        "Supervising the worker (pid %s, %.0f MiB): %s task(s) per worker process, upkeep "
        "every %.0f s.",
        os.getpid(),
        rss_mb() or 0,
        supervisor.tasks_per_process,
        supervisor.check_every,
    )
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
