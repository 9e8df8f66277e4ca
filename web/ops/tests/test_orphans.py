"""``manage.py clean_orphans``: what a killed server or worker left under the data folder
goes, and only that (a live import's staged file, a version's file, a recent upload and
the run's own folders stay)."""

from __future__ import annotations

import datetime
import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

from web.regions.demo import LoadReport
from web.regions.models import Region
from web.tables.models import Dataset, ImportJob, ImportStatus

TWO_HOURS_AGO = time.time() - 2 * 3600


def aged(path: Path, *, data: bytes | None = b"rows", folder: bool = False) -> Path:
    """Create ``path`` (a file holding ``data``, or a folder) last written two hours ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        path.mkdir()
        (path / "plan.parquet").write_bytes(b"half")
        os.utime(path / "plan.parquet", (TWO_HOURS_AGO, TWO_HOURS_AGO))
    else:
        path.write_bytes(data or b"")
    os.utime(path, (TWO_HOURS_AGO, TWO_HOURS_AGO))
    return path


@pytest.fixture
def leftovers(demo: LoadReport, demo_user: Callable[[str], User]) -> dict[str, list[Path]]:
    """Orphans of every kind, and files beside them that must stay."""
    root = Path(settings.PANELCARE_DATA_DIR)
    region = Region.objects.get()
    staging = root / region.code / "staging"
    live = aged(staging / "live.csv")
    ImportJob.objects.create(
        region=region,
        kind="waitlist",
        source_name="gamf.csv",
        staged_file=str(live),
        status=ImportStatus.READY,
        created_by=demo_user("drmg"),
    )
    live_checked = aged(staging / "live.checked.parquet")
    finished = aged(staging / "done.csv")
    ImportJob.objects.create(
        region=region,
        kind="waitlist",
        source_name="old.csv",
        staged_file=str(finished),
        status=ImportStatus.APPLIED,
        created_by=demo_user("drmg"),
    )
    version = Dataset.objects.filter(region=region).select_related("region").first()
    assert version is not None
    versions = version.path.parent
    run = root / region.code / "runs" / "000042"
    aged(run / "plan" / "summary.json")
    # A swap cut short between its two renames: the run has no plan/ any more.
    cut = root / region.code / "runs" / "000043"
    aged(cut / ".plan.abc.old" / "plan" / "summary.json")
    os.utime(cut / ".plan.abc.old", (TWO_HOURS_AGO, TWO_HOURS_AGO))
    return {
        "gone": [
            aged(root / "uploads" / "tmpab12.upload.csv"),
            aged(staging / "0f3a.xlsx"),
            finished,
            aged(versions / ".tmpx9.partial"),
            aged(versions / "v0099-000000000000.parquet"),
            aged(run / ".plan.k2.new", folder=True),
            aged(run / ".letters.q7.tmp", folder=True),
        ],
        "kept": [
            live,
            live_checked,
            version.path,
            run / "plan" / "summary.json",
            staging / "uploading-now.csv",
            root / "99" / "staging" / "another-database.csv",
        ],
        "put_back": [cut / "plan" / "summary.json"],
    }


def test_it_lists_the_orphans_without_removing_them_by_default(
    leftovers: dict[str, list[Path]],
) -> None:
    out = io.StringIO()
    call_command("clean_orphans", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == len(leftovers["gone"]) + 2  # and the swap to put back, the total
    assert "nothing was removed" in lines[-1]
    assert all(path.exists() for path in leftovers["gone"])


def test_it_removes_only_the_orphans(leftovers: dict[str, list[Path]]) -> None:
    for path in leftovers["kept"][-2:]:  # a recent upload; a region of another database
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"rows")
        if "99" in path.parts:
            os.utime(path, (TWO_HOURS_AGO, TWO_HOURS_AGO))

    call_command("clean_orphans", "--delete", stdout=io.StringIO())

    assert [path for path in leftovers["gone"] if path.exists()] == []
    assert [path for path in leftovers["kept"] if not path.exists()] == []
    assert all(path.is_file() for path in leftovers["put_back"])
    assert not list(leftovers["put_back"][0].parents[1].glob(".plan.*"))


def test_it_keeps_what_is_younger_than_the_limit(leftovers: dict[str, list[Path]]) -> None:
    out = io.StringIO()
    call_command("clean_orphans", "--delete", "--older-than", "180", stdout=out)

    assert all(path.exists() for path in leftovers["gone"])
    assert "0 left-overs" in out.getvalue()


def test_it_keeps_what_a_job_in_progress_is_writing(
    leftovers: dict[str, list[Path]], demo_user: Callable[[str], User]
) -> None:
    # A long check, a run being computed and letters being written may hold files older
    # than the limit: the worker's upkeep cleans while they work (web/ops/upkeep.py).
    from django.utils import timezone

    from web.attribution.letters import write_status
    from web.attribution.models import Run, RunStatus

    region = Region.objects.get()
    root = Path(settings.PANELCARE_DATA_DIR)
    checking = aged(root / region.code / "staging" / "checking.csv")
    ImportJob.objects.create(
        region=region,
        kind="waitlist",
        source_name="gamf.csv",
        staged_file=str(checking),
        status=ImportStatus.CHECKING,
        heartbeat_at=timezone.now(),
        created_by=demo_user("drmg"),
    )
    versions = Dataset.objects.filter(region=region)
    runs = []
    for status in (RunStatus.RUNNING, RunStatus.APPROVED):
        runs.append(
            Run.objects.create(
                region=region,
                run_date=datetime.date(2025, 1, 6),
                physicians=versions.filter(kind="physicians").latest("pk"),
                waitlist=versions.filter(kind="waitlist").latest("pk"),
                status=status,
                created_by=demo_user("drmg"),
            )
        )
    computing = aged(runs[0].folder / ".plan.r1.new", folder=True)
    write_status(runs[1], state="running", done=3, total=40)
    writing = aged(runs[1].folder / ".letters.w1.tmp", folder=True)

    call_command("clean_orphans", "--delete", stdout=io.StringIO())

    assert checking.exists() and computing.exists() and writing.exists()
    assert [path for path in leftovers["gone"] if path.exists()] == []


def test_it_removes_an_interrupted_checks_scratch_folder_unless_an_import_is_checking(
    demo: LoadReport, demo_user: Callable[[str], User]
) -> None:
    # A crash in the middle of a check leaves its hidden scratch folder (the keys, the
    # periods, DuckDB's spill) in the staging folder; its name says not whose it is.
    from django.utils import timezone

    region = Region.objects.get()
    staging = Path(settings.PANELCARE_DATA_DIR) / region.code / "staging"
    left = aged(staging / ".check-ab12cd", folder=True)
    young = staging / ".check-young"
    young.mkdir()
    job = ImportJob.objects.create(
        region=region,
        kind="registrations",
        source_name="inscriptions.csv",
        staged_file=str(aged(staging / "checking.csv")),
        status=ImportStatus.CHECKING,
        heartbeat_at=timezone.now(),
        created_by=demo_user("drmg"),
    )

    call_command("clean_orphans", "--delete", stdout=io.StringIO())
    assert left.is_dir() and young.is_dir()  # perhaps the checking import's

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED)
    out = io.StringIO()
    call_command("clean_orphans", "--delete", stdout=out)
    assert not left.exists()
    assert young.is_dir()  # younger than the limit
    assert "the scratch folder of an interrupted check" in out.getvalue()
