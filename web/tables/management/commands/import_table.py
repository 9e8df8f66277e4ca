"""Import one of the region's tables from a file, as the imports page does, without a
browser.

    manage.py import_table --region 01 --kind waitlist gamf.csv            # preview
    manage.py import_table --region 01 --kind waitlist gamf.csv --apply    # and write
    manage.py import_table --region 01 --kind waitlist gamf.csv --user cml.rimouski
    manage.py import_table --region 01 --kind waitlist gamf.csv --apply --confirm-removal
    manage.py import_table --region 01 --kind visits visites-2026-03.csv --add --apply

The file is checked in full; its problems are printed as ``file:row:column: message`` and
the command exits with status 1, writing nothing. Otherwise it prints what the file would
change and, with ``--apply``, writes the next version. A file that changes nothing writes
nothing. With ``--user``, the import is that user's (a CML replaces only their RLS' rows);
without, it replaces the whole region's rows and the history names nobody. A file that
removes every row in force of its scope, or more than the share the imports page asks a
confirmation for (``PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE``), is applied only with
``--confirm-removal`` (exit status 1 without, naming the rows removed, writing nothing).
With ``--add`` (the visits), the file's rows are added to the rows in force instead, a
row of the same key replaced: a month's extract added to the year.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from panelcare.attribution.tables import Problem
from web.accounts import access
from web.errors import DiskFull
from web.regions.models import Region
from web.tables import kinds
from web.tables.checks import Checked, check_file
from web.tables.errors import RemovalNotConfirmed, StalePreview
from web.tables.services import (
    check_removal_confirmed,
    do_add_rows,
    do_write_version,
    removal_to_confirm,
)


class Command(BaseCommand):
    help = "Check a table of the region (physicians, waitlist, registrations...), preview, apply."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a CSV, Parquet or XLSX file")
        parser.add_argument("--region", required=True, help="the region's code (01)")
        parser.add_argument(
            "--kind", required=True, choices=[kind.name for kind in kinds.all_kinds()]
        )
        parser.add_argument("--user", help="import as this user (DRMG or CML), for the scope")
        parser.add_argument("--apply", action="store_true", help="write the new version")
        parser.add_argument(
            "--add",
            action="store_true",
            help="add the file's rows to the rows in force (visits: a month added to the "
            "year) instead of replacing them",
        )
        parser.add_argument(
            "--confirm-removal",
            action="store_true",
            help="apply a file that removes every row in force of its scope, or more than "
            "PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE of them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        kind: str = options["kind"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"no region {options['region']}")
        user, scope = None, []
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']}")
            # The imports page's checks (web.accounts.access), for the same answers.
            try:
                scope = access.scope_codes(user)
                works_in = access.access_region(user, access.Purpose.ATTRIBUTION)
            except PermissionDenied:
                raise CommandError(f"{user} is neither the DRMG nor a CML of an RLS") from None
            if works_in != region:
                raise CommandError(f"{user} does not work in region {region.code}")

        if options["add"] and (scope or not kinds.get_kind(kind).appendable):
            raise CommandError(f"rows of {kind} cannot be added: import the whole table")
        checked = check_file(region, kind, scope, path, mode="add" if options["add"] else "replace")
        if checked.refused:
            for problem in checked.problems:
                self.stderr.write(_where(problem))
            more = checked.problem_count - len(checked.problems)
            if more > 0:
                self.stderr.write(f"... and {more} more problems")
            raise CommandError(
                f"{path.name} refused ({checked.problem_count} problems): nothing was written",
                returncode=1,
            )
        changes = checked.changes
        assert changes is not None and checked.table is not None
        base = checked.base["version"]
        if options["add"]:
            self._add(region, kind, path, checked, user, options["apply"])
            return
        where = f"RLS {', '.join(scope)}" if scope else f"region {region.code}"
        self.stdout.write(
            f"{kind} of {where}, against version {base or 'none'} "
            f"({checked.scope_rows} rows in force, {checked.table.num_rows} in the file): "
            f"{changes.added} added, {changes.removed} removed, {changes.changed} changed, "
            f"{changes.unchanged} unchanged"
        )
        for what, keys in changes.examples.items():
            if keys:
                self.stdout.write(f"  {what}: {', '.join(keys)}")
        if not changes.any:
            self.stdout.write("nothing changes: no version written")
            return
        to_confirm = removal_to_confirm(changes.removed, checked.scope_rows)
        if not options["apply"]:
            again = "--apply --confirm-removal" if to_confirm else "--apply"
            self.stdout.write(f"nothing written; run again with {again} to import")
            return
        try:
            check_removal_confirmed(
                region, scope, changes.removed, checked.scope_rows, options["confirm_removal"]
            )
        except RemovalNotConfirmed as refused:
            raise CommandError(
                f"{refused} Nothing was written: run again with --confirm-removal to apply it.",
                returncode=1,
            ) from None
        try:
            dataset = do_write_version(
                region,
                kind,
                scope,
                checked.table,
                base=checked.base,
                changes=changes,
                source_name=path.name,
                acting_user=user,
                removal_confirmed=to_confirm,
            )
        except (StalePreview, DiskFull) as stale:
            raise CommandError(str(stale), returncode=1) from None
        self.stdout.write(f"imported as version {dataset.version} ({dataset.rows} rows)")

    def _add(
        self, region: Region, kind: str, path: Path, checked: Checked, user: Any, apply: bool
    ) -> None:
        """Say what adding the checked file changes and, with ``apply``, write it."""
        changes = checked.changes
        assert changes is not None and checked.table is not None
        period = f", from {checked.period[0]} to {checked.period[1]}" if checked.period else ""
        self.stdout.write(
            f"{kind} of region {region.code}, added to version {checked.base['version'] or 'none'}"
            f" ({checked.table.num_rows} rows in the file{period}): {changes.added} added, "
            f"{changes.changed} replaced, {changes.unchanged} identical, {checked.kept} kept"
        )
        if not changes.any:
            self.stdout.write("nothing changes: no version written")
            return
        if not apply:
            self.stdout.write("nothing written; run again with --apply to import")
            return
        try:
            dataset = do_add_rows(
                region,
                kind,
                checked.table,
                base=checked.base,
                changes={**changes.as_dict(), "kept": checked.kept},
                source_name=path.name,
                acting_user=user,
                period=checked.period,
            )
        except (StalePreview, DiskFull) as stale:
            raise CommandError(str(stale), returncode=1) from None
        self.stdout.write(f"imported as version {dataset.version} ({dataset.rows} rows)")


def _where(problem: Problem) -> str:
    """``file:row:column: message`` (the parts that apply)."""
    parts = [problem.file or ""]
    if problem.row is not None:
        parts.append(str(problem.row))
    if problem.column is not None:
        parts.append(problem.column)
    return f"{':'.join(parts)}: {problem.message}"
