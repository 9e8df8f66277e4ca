"""A full disk at the end of an import's check, when the checked rows are written: the
job fails with the full-disk message in the interface's language (not "an internal
error"), and no partial file is left (issue 14, "Faults leave nothing behind")."""

from __future__ import annotations

import errno
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.urls import reverse

from web.audit.models import AuditEvent as Event
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset, ImportStatus, data_dir
from web.tables.tests.conftest import login
from web.tables.tests.test_disk_full import FULL
from web.tables.tests.test_imports import current, last_job, staged_files, text_rows, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_on_checked_rows(monkeypatch):
    """pyarrow writes half the checked rows (``*.checked.parquet``, written batch by
    batch as the file is checked), then finds the disk full; other Parquet files are
    written as usual."""
    real_write = pq.ParquetWriter.write_table

    def write_table(writer, table, *args, **kwargs):
        if str(writer.where).endswith(".checked.parquet"):
            Path(writer.where).write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(writer, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", write_table)


def test_it_fails_the_check_with_the_full_disk_message(client, region, full_on_checked_rows):
    login(client, "drmg")
    events = Event.objects.count()
    response = upload(client, DatasetKind.WAITLIST, text_rows(region).slice(1))
    assert response.status_code in (200, 302)
    job = last_job()
    assert job.status == ImportStatus.FAILED
    assert [error["message"] for error in job.errors] == [
        FULL + ": nothing was written. Tell the administrator."
    ]
    assert "internal error" not in str(job.errors)
    # No partial file, no upload kept, no version, nothing recorded but the upload.
    assert staged_files(region) == []
    assert not list((data_dir() / region.code).rglob("*checked*"))
    assert current(region).version == 1
    assert Dataset.objects.filter(kind=DatasetKind.WAITLIST).count() == 1
    assert Event.objects.count() - events <= 1


def test_it_shows_the_full_disk_message_in_french(client, region, full_on_checked_rows):
    login(client, "drmg")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    upload(client, DatasetKind.WAITLIST, text_rows(region).slice(1))
    job = last_job()
    assert job.status == ImportStatus.FAILED
    body = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert "Le disque du serveur est plein" in body
    assert "Errno" not in body
    assert "erreur interne" not in body
