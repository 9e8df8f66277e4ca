"""The assiduity's fixtures, on top of ``web/conftest.py`` (``demo``, ``own_rls``,
``other_rls``, ``demo_user``, ``client_as`` and the clients per role).

* ``region`` — the demo region (visits of last year and of this year to date);
* ``drmg``, ``cml`` (cml.rimouski) — demo accounts;
* ``done_run`` — the region's computation of :data:`YEAR` by the DRMG, DONE: computed once
  per test module (the engine compiles its queries in about a second), through the
  service the pages call, inside the module's demo;
* ``hold_queue`` — background tasks queued but not run (a run stays QUEUED).

The tests read the English messages (the ids); ``test_french_pages.py`` reads French.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from web.assiduity import services
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.regions.demo import LoadReport
from web.regions.models import Region

# The year the fixtures compute: the demo's visits cover it whole.
YEAR = 2025


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """English messages, for the test and its clients (``web/conftest.py``)."""


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    """Run the background tasks inside the request (see web/tables/tests/conftest.py:
    pytest-django's ``settings`` sends the signal django_tasks listens to)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def hold_queue(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Runs started are queued, not computed: the ids queued, in order."""
    queued: list[int] = []
    monkeypatch.setattr(services, "enqueue_assiduity_run", queued.append)
    return queued


@pytest.fixture
def region(demo: LoadReport) -> Region:
    return Region.objects.get()


@pytest.fixture
def drmg(demo_user: Callable[[str], User]) -> User:
    return demo_user("drmg")


@pytest.fixture
def cml(demo_user: Callable[[str], User]) -> User:
    """The CML of Rimouski-Neigette."""
    return demo_user("cml.rimouski")


@pytest.fixture(scope="module")
def _computed_run(_demo_loaded: tuple[LoadReport, Path], django_db_blocker: Any) -> Iterator[int]:
    """The id of the region's computation of :data:`YEAR`, made once for the module in its
    demo (rolled back with it); its results are written with the demo's tables, which
    ``demo`` copies into each test's data folder."""
    _report, data_dir = _demo_loaded
    before = settings.PANELCARE_DATA_DIR
    with django_db_blocker.unblock():
        settings.PANELCARE_DATA_DIR = data_dir
        try:
            run = services.do_start_assiduity_run(
                Region.objects.get(), YEAR, acting_user=User.objects.get(username="drmg")
            )
        finally:
            settings.PANELCARE_DATA_DIR = before
    assert run.status == AssiduityRunStatus.DONE, run.error
    yield run.pk


@pytest.fixture
def done_run(_computed_run: int, demo: LoadReport) -> AssiduityRun:
    """The region's computation of :data:`YEAR` by the DRMG, DONE."""
    return AssiduityRun.objects.select_related("region", "created_by").get(pk=_computed_run)
