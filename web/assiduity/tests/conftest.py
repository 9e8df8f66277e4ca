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

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from web.assiduity import services
from web.assiduity.models import AssiduityRun
from web.regions.demo import LoadReport
from web.regions.models import Region
from web.regions.testing import DEMO_ASSIDUITY_YEAR

# The year the fixtures compute: the demo's visits cover it whole.
YEAR = DEMO_ASSIDUITY_YEAR


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
def _computed_run(_demo_assiduity_run: int) -> int:
    """The id of the region's computation of :data:`YEAR` (``web/conftest.py``)."""
    return _demo_assiduity_run


@pytest.fixture
def done_run(_computed_run: int, demo: LoadReport) -> AssiduityRun:
    """The region's computation of :data:`YEAR` by the DRMG, DONE."""
    return AssiduityRun.objects.select_related("region", "created_by").get(pk=_computed_run)
