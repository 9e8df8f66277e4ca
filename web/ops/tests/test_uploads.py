"""Patient data in transit stays under the data folder: Django's spooled uploads and the
table store's file being written (never the system's /tmp)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from web.config import settings as configured
from web.regions.demo import LoadReport
from web.regions.models import Region
from web.regions.testing import write_version
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset


def test_it_spools_uploads_under_the_data_folder() -> None:
    assert Path(configured.FILE_UPLOAD_TEMP_DIR).parent == Path(configured.PANELCARE_DATA_DIR)
    assert Path(configured.FILE_UPLOAD_TEMP_DIR).is_dir()  # made at start-up (web.ops)


def test_it_writes_a_version_under_the_data_folder(
    demo: LoadReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders: list[Path] = []
    real = tempfile.NamedTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        folders.append(Path(kwargs.get("dir") or tempfile.gettempdir()))
        return real(*args, **kwargs)

    monkeypatch.setattr("web.tables.store.tempfile.NamedTemporaryFile", spy)
    region = Region.objects.get()
    table = read_dataset(Dataset.current(region, DatasetKind.WAITLIST))  # type: ignore[arg-type]

    write_version(region, DatasetKind.WAITLIST, table.slice(1))

    root = Path(settings.PANELCARE_DATA_DIR)
    assert folders and all(root in folder.parents for folder in folders)
