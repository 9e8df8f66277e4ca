"""Back up the database and the data folder together, in one archive.

    manage.py backup /srv/backups/                  # panelcare-backup-<date>-<time>.tar
    manage.py backup /srv/backups/tonight.tar
    manage.py backup /srv/backups/ --allow-damaged  # keep going past a missing file

See :mod:`web.ops.backup` and docs/deployment.md, "Backup and restore".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from web.ops.backup import make_backup
from web.ops.errors import OpsError


class Command(BaseCommand):
    help = "Back up the database and the data folder (tables, plans, letters) in one archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path, help="a .tar file, or a folder")
        parser.add_argument(
            "--allow-damaged",
            action="store_true",
            help="back up even if files named by the database are missing or damaged",
        )
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = make_backup(
                options["destination"],
                using=options["database"],
                allow_damaged=options["allow_damaged"],
            )
        except OpsError as error:
            raise CommandError(str(error)) from None
        for problem in report.damaged:
            self.stderr.write(problem)
        self.stdout.write(
            _("Backup written: %(path)s (%(files)s files, %(size)s MB, %(seconds)s s).")
            % {
                "path": report.path,
                "files": report.files,
                "size": f"{report.size / 1e6:.1f}",
                "seconds": f"{report.seconds:.1f}",
            }
        )
