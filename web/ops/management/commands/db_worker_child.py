"""``manage.py db_worker_child``: one worker process of ``manage.py db_worker``
(:mod:`web.ops.worker`), which starts it; not meant to be run by hand.

The ``django_tasks_db`` worker, with the library's options, that:

* runs at most ``--max-tasks`` tasks (the supervisor passes the setting
  ``PANELCARE_WORKER_TASKS_PER_PROCESS``), or stops after a task that left it above
  ``--max-rss-mb`` MiB; then exits, giving its memory back;
* reports each finished task on the supervisor's pipe (``PANELCARE_WORKER_REPORT_FD``);
* imports the apps' ``tasks`` modules while it waits (``--preload``), so that a task does
  not wait for them;
* stops when its supervisor dies (Linux's parent-death signal), and takes the same stop
  request arriving twice at once (Ctrl-C reaches the whole process group, and the
  supervisor passes it on) as one.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import signal
import sys
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError
from django_tasks_db.management.commands.db_worker import Command as LibraryCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from web.ops.worker import REPORT_FD_ENV, SAME_REQUEST_SECONDS, SUPERVISOR_PID_ENV, rss_mb

logger = logging.getLogger("django_tasks_db")

PR_SET_PDEATHSIG = 1


class ChildWorker(Worker):
    """The library's worker, reporting its tasks and leaving when too big."""

    def __init__(self, *, max_rss_mb: float, report_fd: int | None, **options: Any) -> None:
        super().__init__(**options)
        self.max_rss_mb = max_rss_mb
        self.report_fd = report_fd
        self._stop_signal_at: float | None = None

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if self._stop_signal_at is not None and now - self._stop_signal_at < SAME_REQUEST_SECONDS:
            return  # the same request, received from the terminal and from the supervisor
        self._stop_signal_at = now
        super().shutdown(signum, frame)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        finally:
            if self.report_fd is not None:
                try:
                    os.write(self.report_fd, b"task\n")
                except OSError:  # the supervisor is gone: nobody counts any more
                    self.report_fd = None
            size = rss_mb()
            if self.max_rss_mb and size is not None and size > self.max_rss_mb:
                logger.info(
                    "Worker process at %.0f MiB after its task (over %.0f): leaving.",
                    size,
                    self.max_rss_mb,
                )
                self.running = False


def preload_tasks() -> None:
    """Import every app's ``tasks`` module (and what it imports), as the worker would at
    its first task."""
    for config in apps.get_app_configs():
        name = f"{config.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def die_with_supervisor() -> None:
    """Receive SIGTERM when the supervisor dies, and leave now if it already has."""
    supervisor = os.environ.get(SUPERVISOR_PID_ENV)
    if not supervisor or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(supervisor):
        raise CommandError("the supervisor (manage.py db_worker) is gone")


class Command(LibraryCommand):
    help = "One worker process of manage.py db_worker (which starts it)."
    # manage.py db_worker ran the system checks before starting this process: not again
    # (they import every view, and the engines with them).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--max-rss-mb",
            type=float,
            default=0,
            help="leave after a task that left this process above this size (0: never)",
        )
        parser.add_argument(
            "--preload",
            action="store_true",
            help="import the apps' tasks modules before waiting for a task",
        )

    def handle(  # type: ignore[override]
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        max_rss_mb: float,
        preload: bool,
        **options: Any,
    ) -> None:
        die_with_supervisor()
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        report_fd = os.environ.get(REPORT_FD_ENV)
        worker = ChildWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
            max_rss_mb=max_rss_mb,
            report_fd=int(report_fd) if report_fd else None,
        )
        worker.configure_signals()
        if preload:
            preload_tasks()
        worker.run()
