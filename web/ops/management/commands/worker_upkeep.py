"""``manage.py worker_upkeep [--clean-orphans]``: one pass of the worker's upkeep
(:mod:`web.ops.upkeep`), which ``manage.py db_worker`` runs now and then in a process of
its own."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from web.ops.upkeep import upkeep


class Command(BaseCommand):
    help = "Fail the jobs a lost worker left running (and remove the files a crash left)."
    # manage.py db_worker ran the system checks before starting this process: not again
    # (they import every view, and the engines with them).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clean-orphans",
            action="store_true",
            help="also remove the files a crash left (as clean_orphans --delete)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        done = upkeep(clean_orphans=options["clean_orphans"])
        if options["verbosity"] and (done.stalled or done.orphans):
            self.stdout.write(
                f"{done.stalled} stalled job(s) failed, {len(done.orphans)} orphan(s) removed."
            )
