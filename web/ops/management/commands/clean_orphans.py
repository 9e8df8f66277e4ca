"""List, then remove, the files a crash left under the data folder (see
:mod:`web.ops.orphans`).

    manage.py clean_orphans                  # what would be removed (nothing is)
    manage.py clean_orphans --delete         # remove them
    manage.py clean_orphans --older-than 30  # minutes (default 60)
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from web.ops.orphans import find_orphans, remove_orphans
from web.tables.models import data_dir


class Command(BaseCommand):
    help = "List (or, with --delete, remove) the files a crash left under the data folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="remove them")
        parser.add_argument(
            "--older-than",
            type=int,
            default=60,
            metavar="MINUTES",
            help="only what was last written more than this many minutes ago (default 60)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        orphans = find_orphans(datetime.timedelta(minutes=options["older_than"]))
        root = data_dir()
        for orphan in orphans:
            where = orphan.path.relative_to(root)
            if orphan.put_back is not None:
                line = _("%(path)s: %(reason)s, put back as %(target)s") % {
                    "path": where,
                    "reason": orphan.reason,
                    "target": orphan.put_back.relative_to(root),
                }
            else:
                line = f"{where}: {orphan.reason}"
            self.stdout.write(line)
        if options["delete"]:
            remove_orphans(orphans)
            self.stdout.write(_("%(count)s left-overs cleaned up.") % {"count": len(orphans)})
        elif orphans:
            self.stdout.write(
                _("%(count)s left-overs; nothing was removed: add --delete to remove them.")
                % {"count": len(orphans)}
            )
        else:
            self.stdout.write(_("No left-overs."))
