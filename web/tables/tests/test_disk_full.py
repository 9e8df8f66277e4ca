"""A full disk during an import: a message in the interface's language, no partial file
left, nothing recorded (issue 14, "Faults leave nothing behind")."""

from __future__ import annotations

import errno
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.urls import reverse

from web.audit.models import AuditEvent as Event
from web.errors import DiskFull, disk_full_guard, is_disk_full
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset, ImportJob, ImportStatus, data_dir
from web.tables.models import TableAction as EventAction
from web.tables.tests.conftest import login
from web.tables.tests.test_imports import current, last_job, staged_files, text_rows, upload

pytestmark = pytest.mark.django_db

FULL = "The server's disk is full"


class _FullFile:
    """A file that takes the first bytes written, then finds the disk full."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        self.handle.write(data[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def partial_files(region) -> list[Path]:
    root = data_dir() / region.code
    return sorted(path for path in root.rglob("*") if path.is_file() and ".partial" in path.name)


def test_it_shows_a_french_message_when_the_disk_is_full_on_upload(client, region, monkeypatch):
    login(client, "drmg")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    rows = text_rows(region)
    real_open = Path.open

    def full_open(self, mode="r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        return _FullFile(handle) if "w" in mode and "staging" in self.parts else handle

    monkeypatch.setattr(Path, "open", full_open)
    response = upload(client, DatasetKind.WAITLIST, rows.slice(1))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Le disque du serveur est plein" in body
    assert "Prévenez l&#x27;administrateur" in body
    assert "Errno" not in body
    assert staged_files(region) == []
    assert ImportJob.objects.count() == 0


def test_it_fails_an_apply_on_a_full_disk_and_writes_no_version(client, region, monkeypatch):
    login(client, "drmg")
    upload(client, DatasetKind.WAITLIST, text_rows(region).slice(1))
    job = last_job()
    assert job.status == ImportStatus.READY
    before = sorted((data_dir() / region.code / "tables").rglob("*"))
    applied = Event.objects.filter(action=EventAction.IMPORT_APPLIED).count()

    def full_write(table, where, **kwargs):
        # As pyarrow says it: an OSError without errno, the errno in its message.
        Path(where).write_bytes(b"PAR1 half")
        raise OSError("[Errno 28] Error writing bytes to file. Detail: No space left on device")

    monkeypatch.setattr(pq, "write_table", full_write)
    client.post(reverse("tables:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["message"].startswith(FULL)
    assert current(region).version == 1
    assert Dataset.objects.filter(kind=DatasetKind.WAITLIST).count() == 1
    assert Event.objects.filter(action=EventAction.IMPORT_APPLIED).count() == applied
    assert sorted((data_dir() / region.code / "tables").rglob("*")) == before
    assert partial_files(region) == []
    assert staged_files(region) == []


def test_it_removes_the_partial_path_and_passes_other_errors(tmp_path):
    half = tmp_path / "half.bin"
    with pytest.raises(DiskFull), disk_full_guard(half, None):
        half.write_bytes(b"half")
        raise OSError(errno.EDQUOT, "Disk quota exceeded")
    assert not half.exists()
    kept = tmp_path / "kept.bin"
    with pytest.raises(PermissionError), disk_full_guard(kept):
        kept.write_bytes(b"kept")
        raise PermissionError(errno.EACCES, "Permission denied")
    assert kept.exists()
    assert not is_disk_full(ValueError("No space left on device"))
