"""Fixtures of the operations' tests: English messages (the ids)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The tests read the English messages (``web/conftest.py``)."""
