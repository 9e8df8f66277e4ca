"""``manage.py backup`` and ``manage.py restore``: the tiny demo with an import and a run,
backed up, then restored on a "fresh machine" (another SQLite file and data folder, the
commands run in subprocesses as an operator would); a damaged archive refused with
nothing written.

The backup reads a committed database (SQLite's backup API waits for an open write
transaction), so these tests load the demo themselves with ``transactional_db``.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from web.attribution import services
from web.attribution.models import Run, RunStatus
from web.regions.models import Region
from web.regions.testing import load_tiny_demo, write_version
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

ROOT = Path(__file__).resolve().parents[3]

# Reads the restored database through the store, in the restored server's settings.
READ_RESTORED = """
import hashlib, json
from collections.abc import Iterator
from pathlib import Path
from web.attribution.models import Run
from web.tables.models import Dataset
from web.tables.store import read_dataset
versions = [
    [d.kind, d.version, d.digest, d.rows, read_dataset(d).num_rows,
     hashlib.sha256(d.path.read_bytes()).hexdigest()]
    for d in Dataset.objects.select_related("region").order_by("kind", "version")
]
runs = {}
for run in Run.objects.select_related("region"):
    runs[run.pk] = {
        str(p.relative_to(run.folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((run.folder / "plan").rglob("*")) if p.is_file()
    }
print(json.dumps({"versions": versions, "runs": runs}))
"""


@pytest.fixture
def source(transactional_db: None) -> dict[str, Any]:
    """The tiny demo, committed, with a second waiting-list version (an import's Apply)
    and a computed run."""
    load_tiny_demo()
    region = Region.objects.get()
    waitlist = read_dataset(Dataset.current(region, DatasetKind.WAITLIST))  # type: ignore[arg-type]
    write_version(region, DatasetKind.WAITLIST, waitlist.slice(1))
    drmg = User.objects.get(username="drmg")
    run = services.do_start_run(None, {}, datetime.date(2026, 11, 23), "T4", acting_user=drmg)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return {"region": region, "run": run}


@pytest.fixture
def fresh_machine(tmp_path: Path, transactional_db: None) -> Iterator[dict[str, str]]:
    """The environment of a server with its own (empty) database and data folder: a new
    SQLite file, or a new database on the same PostgreSQL server when the tests run on
    PostgreSQL (CI)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TASKS_BACKEND"}}
    env["PANELCARE_DATA_DIR"] = str(tmp_path / "fresh-data")
    env["LANGUAGE_CODE"] = "en"
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        yield env
        return
    name = f"{db['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"
    )
    yield env
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def record_migrations_as_applied(applied: list[tuple[str, ...]]) -> None:
    """The test database was built from the models (``--no-migrations``): record the
    migrations a real ``migrate`` applied elsewhere, as its schema is theirs."""
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    done = recorder.applied_migrations()
    for app, name in applied:
        if (app, name) not in done:  # already there when the tests ran the migrations
            recorder.record_applied(app, name)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_it_restores_the_database_and_the_files_on_a_fresh_machine(
    source: dict[str, Any], fresh_machine: dict[str, str], tmp_path: Path
) -> None:
    env = fresh_machine
    migrated = manage(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    shown = manage(env, "showmigrations", "--plan")
    applied = [
        tuple(line.split()[-1].split(".", 1)) for line in shown.stdout.splitlines() if "[X]" in line
    ]
    assert applied
    record_migrations_as_applied(applied)
    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive), stdout=io.StringIO())

    restored = manage(env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "table versions checked against their digest" in restored.stdout

    read = manage(env, "shell", "-c", READ_RESTORED)
    assert read.returncode == 0, read.stderr
    after = json.loads(read.stdout.strip().splitlines()[-1])
    before = [
        [d.kind, d.version, d.digest, d.rows, read_dataset(d).num_rows, sha256(d.path)]
        for d in Dataset.objects.select_related("region").order_by("kind", "version")
    ]
    assert after["versions"] == before
    assert ["waitlist", 2] in [row[:2] for row in after["versions"]]
    assert all(row[2] == row[5] and row[3] == row[4] for row in after["versions"])
    run = source["run"]
    plan = {
        str(p.relative_to(run.folder)): sha256(p)
        for p in sorted((run.folder / "plan").rglob("*"))
        if p.is_file()
    }
    assert plan and after["runs"] == {str(run.pk): plan}

    # A second restore into the same server is refused: it holds data now.
    again = manage(env, "restore", str(archive))
    assert again.returncode == 1 and "already holds data" in again.stderr


@pytest.mark.slow
def test_it_refuses_a_damaged_archive_and_writes_nothing(
    source: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as original, tarfile.open(damaged, "w") as copy:
        for member in original:
            data = original.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.endswith(".parquet") and "/waitlist/" in member.name:
                data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
            copy.addfile(member, io.BytesIO(data))
    settings.PANELCARE_DATA_DIR = tmp_path / "fresh-data"
    rows = Dataset.objects.count(), Run.objects.count()

    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(damaged), "--force", stdout=io.StringIO())

    assert not any(p.is_file() for p in (tmp_path / "fresh-data").rglob("*"))
    assert (Dataset.objects.count(), Run.objects.count()) == rows
    # The same archive whole is refused too here, for another reason: this database
    # holds data (no --force).
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert not any(p.is_file() for p in (tmp_path / "fresh-data").rglob("*"))


@pytest.mark.slow
def test_it_leaves_out_the_files_no_row_names(source: dict[str, Any], tmp_path: Path) -> None:
    region = source["region"]
    tables = Path(settings.PANELCARE_DATA_DIR) / region.code
    (tables / "staging").mkdir(parents=True, exist_ok=True)
    (tables / "staging" / "abc.csv").write_text("patient_id\n1\n")
    (tables / "tables" / "waitlist" / "v0009-000000000000.parquet").write_bytes(b"orphan")
    (source["run"].folder / ".plan.x.new").mkdir()
    (source["run"].folder / ".plan.x.new" / "plan.parquet").write_bytes(b"half")
    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive), stdout=io.StringIO())

    with tarfile.open(archive) as backup:
        names = backup.getnames()
        manifest = json.loads(backup.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert not [n for n in names if "staging" in n or "v0009" in n or ".plan." in n]
    assert sorted(manifest["left_out"]) == sorted(
        [
            f"{region.code}/staging/abc.csv",
            f"{region.code}/tables/waitlist/v0009-000000000000.parquet",
            str(Path(source["run"].folder.relative_to(settings.PANELCARE_DATA_DIR)))
            + "/.plan.x.new/plan.parquet",
        ]
    )
    assert (
        manifest["rows"]["tables.dataset"] == Dataset.objects.count() == len(manifest["datasets"])
    )
    assert {e["path"]: e["sha256"] for e in manifest["files"]}[
        manifest["datasets"][0]["path"]
    ] == manifest["datasets"][0]["digest"]


@pytest.mark.slow
def test_it_refuses_to_back_up_when_a_version_file_is_missing(
    source: dict[str, Any], tmp_path: Path
) -> None:
    version = Dataset.objects.select_related("region").first()
    assert version is not None
    version.path.unlink()
    with pytest.raises(CommandError, match="missing or damaged"):
        call_command("backup", str(tmp_path / "backup.tar"), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []  # no archive, no .partial, no database copy

    call_command("backup", str(tmp_path / "backup.tar"), "--allow-damaged", stdout=io.StringIO())
    with tarfile.open(tmp_path / "backup.tar") as backup:
        manifest = json.loads(backup.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert len(manifest["damaged"]) == 1 and "missing" in manifest["damaged"][0]
