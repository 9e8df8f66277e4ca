"""``manage.py db_worker``: the background worker, as a small supervisor
(:mod:`web.ops.worker`) that runs the ``django_tasks_db`` worker in processes of its own
(``manage.py db_worker_child``), a new one after ``PANELCARE_WORKER_TASKS_PER_PROCESS``
tasks so that a big task's memory goes back to the system, and fails the stalled jobs and
removes the files a crash left now and then (:mod:`web.ops.upkeep`).

The library's options, with the same meaning (this app is listed before
``django_tasks_db``, so this command is the one ``manage.py`` runs). Once they are
checked, this process *becomes* the supervisor (``exec``: same process id, so a service
manager or ``make run`` signals the supervisor, and Django's memory is dropped):
``call_command("db_worker")`` would replace the calling process, and tests use
:class:`web.ops.worker.Supervisor` instead. ``--reload`` is accepted and does nothing:
each task runs in a new process, which reads the code as it is then.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from django_tasks_db.management.commands.db_worker import Command as WorkerCommand

from web.ops import worker


class Command(WorkerCommand):
    help = WorkerCommand.help

    def handle(self, *args: Any, **options: Any) -> None:
        if sys.argv[1:2] != ["db_worker"]:
            # call_command() would replace the calling process (a test runner, a shell).
            raise CommandError("db_worker runs from the command line only: manage.py db_worker")
        os.execv(sys.executable, supervisor_argv(options))

    def execute(self, *args: Any, **options: Any) -> str | None:
        # Nothing of this process survives the exec: flush what the checks wrote and
        # close what they opened.
        connections.close_all()
        self.stdout.flush()
        return super().execute(*args, **options)


def supervisor_argv(options: dict[str, Any]) -> list[str]:
    """The supervisor's command line for the options of ``manage.py db_worker``."""
    child = [
        "--queue-name",
        options["queue_name"],
        "--interval",
        str(options["interval"]),
        "--backend",
        options["backend_name"],
        "--worker-id",
        options["worker_id"],
        # The supervisor starts worker processes one at a time: no herd to spread.
        "--no-startup-delay",
        "--no-reload",
        "--max-rss-mb",
        str(settings.PANELCARE_WORKER_MAX_RSS_MB),
    ]
    if options["exclude_queues"]:
        child += ["--exclude-queues", options["exclude_queues"]]
    if options["batch"]:
        child.append("--batch")
    if not options["reload"]:
        # A developer's worker (--reload, DEBUG's default) imports the tasks when it
        # meets one, so that an edited task runs as edited.
        child.append("--preload")
    argv = [
        sys.executable,
        # By its path, not with -m: this command may be run from another folder.
        worker.__file__,
        "--tasks-per-process",
        str(settings.PANELCARE_WORKER_TASKS_PER_PROCESS),
        "--check-every",
        str(settings.PANELCARE_WORKER_CHECK_SECONDS),
        "--clean-every",
        str(settings.PANELCARE_WORKER_CLEAN_SECONDS),
        "--verbosity",
        str(options["verbosity"]),
    ]
    if options["max_tasks"] is not None:
        argv += ["--max-tasks", str(options["max_tasks"])]
    if options["batch"]:
        argv.append("--batch")
    return [*argv, "--", *child]
