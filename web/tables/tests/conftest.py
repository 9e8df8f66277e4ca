"""Fixtures of the tables' tests: the tiny demo region (``web/conftest.py``: version 1 of
every table, written through the import path), English messages, background tasks run in
place."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from web.regions.models import Region


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The tests read the English messages (the ids), for the test and its clients
    (``web/conftest.py``)."""


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    """Run the background tasks inside the request. The root conftest sets this too, but
    by assignment, which django_tasks does not notice once a module defining a task was
    imported (at collection); pytest-django's ``settings`` sends the signal it listens to."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def region(demo: Any) -> Region:
    """The tiny demo region (2 RLS, version 1 of every table: web/conftest.py's ``demo``)."""
    return Region.objects.get()


def login(client: Any, username: str) -> User:
    """Log ``client`` in as the demo user ``username`` (no password check: fast)."""
    user = User.objects.get(username=username)
    client.force_login(user)
    return user
