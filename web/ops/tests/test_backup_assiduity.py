"""``manage.py backup`` keeps a DONE assiduity computation's results (not its leftover
staging folder), and ``check_restored`` names a DONE computation without its results
(docs/decisions.md, "The assiduity's results are backed up")."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from web.assiduity import services
from web.assiduity.models import AssiduityRunStatus
from web.ops.backup import check_restored, make_backup, read_manifest
from web.regions.models import Region
from web.regions.testing import load_tiny_demo


@pytest.mark.slow
def test_it_backs_up_the_results_of_a_done_computation(
    transactional_db: None, tmp_path: Path
) -> None:
    load_tiny_demo()
    run = services.do_start_assiduity_run(
        Region.objects.get(), 2025, acting_user=User.objects.get(username="drmg")
    )
    assert run.status == AssiduityRunStatus.DONE, run.error
    leftover = run.folder / ".results.ab.staging" / "rates.parquet"
    leftover.parent.mkdir()
    leftover.write_bytes(b"half")

    report = make_backup(tmp_path / "backup.tar")

    with tarfile.open(report.path) as archive:
        members = archive.getnames()
    prefix = f"data/{run.region.code}/assiduity/{run.pk:06d}/"
    assert f"{prefix}results/rates.parquet" in members
    assert not [name for name in members if name.startswith(f"{prefix}.")]
    manifest = read_manifest(report.path)
    assert check_restored(manifest) == []

    shutil.rmtree(run.results_folder)
    assert check_restored(manifest) == [f"{run.results_folder}: missing"]
