"""``manage.py clean_orphans`` and the assiduity's folders
(``<data>/<region>/assiduity/<id>/``): a folder no computation names, a leftover staging
folder and the results of a computation that did not finish go; a DONE computation's
results and a queued or running computation's folder stay."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.ops.orphans import find_orphans
from web.regions.demo import LoadReport
from web.regions.models import Region

TWO_HOURS_AGO = time.time() - 2 * 3600


def aged(path: Path) -> Path:
    """``path`` (a file) and its folders up to ``assiduity/`` written two hours ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"rows")
    for each in [path, *path.parents]:
        os.utime(each, (TWO_HOURS_AGO, TWO_HOURS_AGO))
        if each.name == "assiduity":
            break
    return path


@pytest.fixture
def runs(demo: LoadReport, demo_user: Callable[[str], User]) -> dict[str, AssiduityRun]:
    region = Region.objects.get()
    drmg = demo_user("drmg")

    def run(status: str) -> AssiduityRun:
        made = AssiduityRun.objects.create(region=region, year=2025, status=status, created_by=drmg)
        return AssiduityRun.objects.select_related("region").get(pk=made.pk)

    return {
        "done": run(AssiduityRunStatus.DONE),
        "running": run(AssiduityRunStatus.RUNNING),
        "queued": run(AssiduityRunStatus.QUEUED),
        "failed": run(AssiduityRunStatus.FAILED),
    }


def test_it_removes_the_assiduity_leftovers_and_only_them(runs: dict[str, AssiduityRun]) -> None:
    done, running, queued, failed = (runs[name] for name in ("done", "running", "queued", "failed"))
    nobody = done.folder.parent / "999999"
    gone = [
        aged(nobody / "results" / "rates.parquet").parents[1],
        aged(done.folder / ".results.x1.staging" / "rates.parquet").parent,
        aged(failed.folder / "results" / "rates.parquet").parent,
        aged(failed.folder / ".results.y2.staging" / "visits.parquet").parent,
        aged(failed.folder / "gmf_rates.parquet"),
    ]
    kept = [
        aged(done.results_folder / "rates.parquet"),
        aged(done.folder / "gmf_rates.parquet"),
        aged(running.folder / ".results.z3.staging" / "rates.parquet"),
        aged(queued.folder / "results" / "rates.parquet"),
    ]

    listed = {orphan.path for orphan in find_orphans()}
    call_command("clean_orphans", "--delete", stdout=io.StringIO())

    assert listed == set(gone)
    assert [path for path in gone if path.exists()] == []
    assert [path for path in kept if not path.exists()] == []


def test_it_keeps_a_young_folder_of_no_computation(runs: dict[str, AssiduityRun]) -> None:
    # A computation being started: its folder may be written before its row commits.
    young = runs["done"].folder.parent / "999998" / "results" / "rates.parquet"
    young.parent.mkdir(parents=True)
    young.write_bytes(b"rows")

    call_command("clean_orphans", "--delete", stdout=io.StringIO())

    assert young.exists()
