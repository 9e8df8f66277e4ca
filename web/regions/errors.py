"""Errors the territory services raise on purpose.

    RegionsError
    ├── RegistrationOverlap      the patient is already registered on that day
    ├── RegistrationNotOpen      ending a registration that has already ended
    ├── AlreadyOnWaitlist        the patient already has an open waiting-list entry
    └── WaitlistStatusError      a status change the waiting list does not allow

Views turn them into form errors; their message is a whole, translatable sentence.
"""

from __future__ import annotations


class RegionsError(Exception):
    """Base class of the errors of :mod:`web.regions.services`."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class RegistrationOverlap(RegionsError):
    """The new registration would overlap one of the patient's registrations."""


class RegistrationNotOpen(RegionsError):
    """The registration has already ended, or would end before it starts."""


class AlreadyOnWaitlist(RegionsError):
    """The patient is already waiting, or already assigned, on the waiting list."""


class WaitlistStatusError(RegionsError):
    """The entry cannot move to the requested status."""
