"""``manage.py db_worker``: the ``django_tasks_db`` worker, which first fails the jobs a
lost worker left running (:func:`web.tasks_health.fail_stalled`: no heartbeat within
``PANELCARE_TASK_LEASE_SECONDS``). Same options as the library's command (this app is
listed before ``django_tasks_db``, so this command is the one ``manage.py`` runs)."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as WorkerCommand

from web import tasks_health


class Command(WorkerCommand):
    help = WorkerCommand.help

    def handle(self, *args: Any, **options: Any) -> None:
        failed = tasks_health.fail_stalled()
        if failed and options.get("verbosity", 1):
            self.stdout.write(f"{failed} stalled job(s) failed before starting.")
        super().handle(*args, **options)
