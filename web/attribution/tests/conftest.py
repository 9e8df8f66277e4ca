"""The attribution's tests read the English messages (the ids): the French catalogue is
checked whole by web/config/tests/test_translations.py, and the browser tests, which run
in French, check the pages a CML sees."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def client(client: Any) -> Any:
    """Django's test client with English chosen through the language switch's cookie."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
