"""The files a crash leaves under the data folder, and their clean-up
(``manage.py clean_orphans``; docs/deployment.md, "Cleaning up after a crash").

A server or worker killed in the middle of a write leaves patient data behind:

* an upload spooled by Django in ``FILE_UPLOAD_TEMP_DIR`` (``<data>/uploads/``);
* a staged upload (or its checked rows) in ``<data>/<region>/staging/`` whose import is
  no longer in progress (no :class:`~web.tables.models.ImportJob` checking, ready or
  applying names it);
* in that staging folder, the hidden ``.check-*`` scratch folder of a check (its keys,
  periods and DuckDB's spill), unless an import of the region is being checked;
* a hidden ``.partial`` file (a version being written, a file being restored) anywhere;
* a table version's file no :class:`~web.tables.models.Dataset` row names (the write's
  transaction rolled back after the file was moved into place);
* in a run's folder, a hidden folder of a plan or letters being written
  (``.plan.*.new``, ``.plan.*.tmp``, ``.letters.*.tmp``) or set aside (``*.old``), unless
  the run is being computed or its letters written.
* an assiduity computation's folder (``<data>/<region>/assiduity/<id>/``, derived data:
  docs/decisions.md, "The assiduity's results are backed up") that no
  :class:`~web.assiduity.models.AssiduityRun` of the region names, the hidden staging
  folder of results being written (``.results.*.staging``) in a computation's folder, and
  the ``results/`` of a computation that failed or was cancelled; never the folder of a
  computation queued or running.

Only entries older than ``older_than`` (an hour by default) are orphans: a younger one
may belong to a write in progress. A ``*.old`` folder set aside by a swap the crash cut
short, whose run has lost its ``plan/`` or ``letters/``, is **put back**, not removed. A
folder of a region the database does not know is left alone (a data folder shared with
another database must not be emptied by a wrong ``DATABASE_URL``).
"""

from __future__ import annotations

import datetime
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from web.regions.models import Region
from web.tables.models import Dataset, ImportJob, ImportStatus, data_dir

__all__ = ["Orphan", "find_orphans", "remove_orphans"]

# The imports whose staged files are in use.
LIVE_IMPORTS = (ImportStatus.CHECKING, ImportStatus.READY, ImportStatus.APPLYING)


@dataclass(frozen=True)
class Orphan:
    """A file or folder left by a crash; ``put_back`` names where a set-aside folder
    goes back instead of being removed."""

    path: Path
    reason: str
    put_back: Path | None = None


def find_orphans(older_than: datetime.timedelta = datetime.timedelta(hours=1)) -> list[Orphan]:
    """The orphans under the data folder, last modified more than ``older_than`` ago."""
    root = data_dir()
    if not root.is_dir():
        return []
    limit = time.time() - older_than.total_seconds()

    def old(path: Path) -> bool:
        try:
            return path.lstat().st_mtime < limit
        except FileNotFoundError:
            return False

    found: list[Orphan] = []
    # FILE_UPLOAD_TEMP_DIR is <data>/uploads (settings); only a folder under the data
    # folder is cleaned here, whatever it holds being ours.
    spooled = {root / "uploads", Path(getattr(settings, "FILE_UPLOAD_TEMP_DIR", "") or root)}
    for uploads in sorted(folder for folder in spooled if root in folder.parents):
        if uploads.is_dir():
            found += [
                Orphan(path, _("an upload's temporary file"))
                for path in sorted(uploads.iterdir())
                if old(path)
            ]
    regions = {region.code: region for region in Region.objects.all()}
    for folder in sorted(root.iterdir()):
        region = regions.get(folder.name)
        if region is None or not folder.is_dir():
            continue
        found += _staging_orphans(folder / "staging", region, old)
        found += _version_orphans(folder / "tables", region, old)
        found += _run_orphans(folder / "runs", region, old)
        found += _assiduity_orphans(folder / "assiduity", region, old)
    found += [
        Orphan(path, _("a restore that was interrupted"))
        for path in sorted(root.glob(".restore.*"))
        if old(path)
    ]
    listed = {orphan.path for orphan in found}
    for path in sorted(root.rglob("*.partial")):
        if (
            path not in listed
            and not any(parent in listed for parent in path.parents)
            and old(path)
        ):
            found.append(Orphan(path, _("a file whose writing was interrupted")))
    return found


def _staging_orphans(folder: Path, region: Region, old: Callable[[Path], bool]) -> list[Orphan]:
    if not folder.is_dir():
        return []
    live: set[str] = set()
    for staged in ImportJob.objects.filter(region=region, status__in=LIVE_IMPORTS).values_list(
        "staged_file", flat=True
    ):
        # By name: the data folder may have moved (a restore) since the job was made.
        name = Path(staged)
        live |= {name.name, f"{name.stem}.checked.parquet"}
    # A check's scratch folder (keys, periods, DuckDB's spill: check_contract_file) has a
    # random name: it may be any checking import's, so none goes while one is checking.
    checking = ImportJob.objects.filter(region=region, status=ImportStatus.CHECKING).exists()
    found = []
    for path in sorted(folder.iterdir()):
        if path.name in live or not old(path):
            continue
        if _is_check_scratch(path):
            if not checking:
                found.append(Orphan(path, _("the scratch folder of an interrupted check")))
        else:
            found.append(Orphan(path, _("a staged upload with no import in progress")))
    return found


def _is_check_scratch(path: Path) -> bool:
    """Whether ``path`` is the scratch folder of an import's check (a hidden ``.check-*``
    folder, or DuckDB's spill ``duckdb.tmp``) in a staging folder."""
    return path.is_dir() and (path.name.startswith(".check-") or path.name == "duckdb.tmp")


def _version_orphans(folder: Path, region: Region, old: Callable[[Path], bool]) -> list[Orphan]:
    if not folder.is_dir():
        return []
    named = {
        (dataset.kind, dataset.path.name)
        for dataset in Dataset.objects.filter(region=region).select_related("region")
    }
    found = []
    for kind_folder in sorted(folder.iterdir()):
        if not kind_folder.is_dir():
            continue
        for path in sorted(kind_folder.iterdir()):
            if path.suffix == ".parquet" and not path.name.startswith("."):
                if (kind_folder.name, path.name) not in named and old(path):
                    found.append(Orphan(path, _("a table version no database row names")))
            elif old(path):
                found.append(Orphan(path, _("a file whose writing was interrupted")))
    return found


def _run_orphans(folder: Path, region: Region, old: Callable[[Path], bool]) -> list[Orphan]:
    if not folder.is_dir():
        return []
    from web.attribution import letters
    from web.attribution.models import Run, RunStatus

    # A run being computed, or whose letters are being written, may hold a staging folder
    # for longer than the age limit (the worker's upkeep cleans while it works).
    busy = {
        f"{run.pk:06d}"
        for run in Run.objects.filter(region=region).select_related("region")
        if run.status == RunStatus.RUNNING or letters.letters_in_progress(run)
    }
    found = []
    for run_folder in sorted(folder.iterdir()):
        if not run_folder.is_dir() or run_folder.name in busy:
            continue
        for path in sorted(run_folder.iterdir()):
            if not path.name.startswith(".") or not old(path):
                continue
            put_back = None
            for name in ("plan", "letters"):
                aside = path / name
                if (
                    path.name.startswith(f".{name}.")
                    and path.name.endswith(".old")
                    and aside.is_dir()
                    and not (run_folder / name).exists()
                ):
                    put_back = run_folder / name
            if put_back is not None:
                found.append(Orphan(path, _("a folder set aside by an interrupted swap"), put_back))
            else:
                found.append(Orphan(path, _("a plan or letters being written when it stopped")))
    return found


def _assiduity_orphans(folder: Path, region: Region, old: Callable[[Path], bool]) -> list[Orphan]:
    """The leftovers of the region's assiduity computations (see the module docstring)."""
    if not folder.is_dir():
        return []
    from web.assiduity.models import IN_PROGRESS, AssiduityRun, AssiduityRunStatus

    status = {
        f"{pk:06d}": run_status
        for pk, run_status in AssiduityRun.objects.filter(region=region).values_list("pk", "status")
    }
    found = []
    for run_folder in sorted(folder.iterdir()):
        if not run_folder.is_dir():
            continue
        known = status.get(run_folder.name)
        if known is None:
            # A computation rolled back (its row never committed), or deleted: its files
            # are the results of nothing the pages can reach.
            if old(run_folder) and all(old(path) for path in run_folder.rglob("*")):
                found.append(Orphan(run_folder, _("the folder of no assiduity computation")))
            continue
        if known in IN_PROGRESS:
            continue  # being computed: its staging folder is in use
        for path in sorted(run_folder.iterdir()):
            if not old(path):
                continue
            if path.name.startswith("."):
                found.append(
                    Orphan(path, _("assiduity results being written when the computation stopped"))
                )
            elif known != AssiduityRunStatus.DONE:
                # Its results/ and the GMFs' rates written beside them (a computation
                # cancelled after write_gmf_rates): nothing of it is ever read.
                found.append(
                    Orphan(path, _("the results of an assiduity computation that did not finish"))
                )
    return found


def remove_orphans(orphans: list[Orphan]) -> None:
    """Remove ``orphans`` (put back the folders set aside)."""
    for orphan in orphans:
        if orphan.put_back is not None:
            os.rename(orphan.path / orphan.put_back.name, orphan.put_back)
            shutil.rmtree(orphan.path, ignore_errors=True)
        elif orphan.path.is_dir() and not orphan.path.is_symlink():
            shutil.rmtree(orphan.path, ignore_errors=True)
        else:
            orphan.path.unlink(missing_ok=True)
