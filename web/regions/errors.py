"""Errors the territory services raise on purpose.

    RegionsError
    └── WaitlistStatusError      a status change the waiting list does not allow

Views turn them into form errors; their message is a whole, translatable sentence.
"""

from __future__ import annotations


class RegionsError(Exception):
    """Base class of the errors of :mod:`web.regions.services`."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class WaitlistStatusError(RegionsError):
    """The entry cannot move to the requested status."""
