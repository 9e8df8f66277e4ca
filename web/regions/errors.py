"""Errors the territory services raise on purpose.

RegionsError (a web.errors.PanelcareError)
└── WaitlistStatusError      a status change the waiting list does not allow

Views turn them into form errors or messages; their message is a whole, translated
sentence, and the service that raised one wrote nothing.
"""

from __future__ import annotations

from web.errors import PanelcareError

__all__ = ["RegionsError", "WaitlistStatusError"]


class RegionsError(PanelcareError):
    """Base class of the errors of :mod:`web.regions.services`."""


class WaitlistStatusError(RegionsError):
    """The entry cannot move to the requested status."""
