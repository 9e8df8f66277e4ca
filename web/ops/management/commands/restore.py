"""Restore a backup made by ``manage.py backup`` into this server's database and data
folder.

    manage.py restore /srv/backups/panelcare-backup-20261206-0300.tar
    manage.py restore backup.tar --force       # replace a database that holds data

The archive is checked in full against its manifest before anything is written; the
command ends by checking every table version's file against its digest. See
:mod:`web.ops.backup` and docs/deployment.md, "Backup and restore".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from web.ops.backup import restore_backup
from web.ops.errors import OpsError


class Command(BaseCommand):
    help = "Restore a backup (database and data folder) made by the backup command."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="the backup's .tar file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database and write over a data folder that already hold data",
        )
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["source"]
        if not source.is_file():
            raise CommandError(_("%(path)s is not a file.") % {"path": source})
        try:
            report = restore_backup(source, using=options["database"], force=options["force"])
        except OpsError as error:
            raise CommandError(str(error)) from None
        for problem in report.problems:
            self.stderr.write(problem)
        if report.problems:
            raise CommandError(
                _("Restored, but %(count)s problems were found (above).")
                % {"count": len(report.problems)}
            )
        self.stdout.write(
            _(
                "Restored: %(files)s files, %(versions)s table versions checked against "
                "their digest, in %(seconds)s s."
            )
            % {
                "files": report.files,
                "versions": report.rows.get("tables.dataset", 0),
                "seconds": f"{report.seconds:.1f}",
            }
        )
        if report.migrated:
            self.stdout.write(_("The database was migrated to this version of panelcare."))
