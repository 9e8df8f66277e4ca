"""Errors of the assiduity services, turned into messages by the views.

    AssiduityError (a web.errors.PanelcareError)
    ├── AssiduityNotReady    the region has no table to compute on, the year cannot be
    │                        computed, or a computation of the region is under way
    ├── AssiduityRunNotReady the run is not in a state where this can be done (cancel a
    │                        finished run)
    └── DrmgNoticeRefused    a DRMG notice cannot be recorded or withdrawn: an empty
        │                    justification or reason, a year to come or before the rate
        ├── NotAGmfMember    the physician held no GMF membership during the year
        ├── DrmgNoticeExists an active notice of the physician and year exists
        └── DrmgNoticeWithdrawn the notice is already withdrawn

AssiduityRunStopped (an Exception, not an AssiduityError: never shown to anyone) stops the
worker of a run cancelled, or failed as stalled, while it computes.
"""

from __future__ import annotations

from web.errors import PanelcareError

__all__ = [
    "AssiduityError",
    "AssiduityNotReady",
    "AssiduityRunNotReady",
    "AssiduityRunStopped",
    "DrmgNoticeExists",
    "DrmgNoticeRefused",
    "DrmgNoticeWithdrawn",
    "NotAGmfMember",
]


class AssiduityError(PanelcareError):
    """Base class of the errors the assiduity services raise on purpose; the message is
    translated and meant for the user. Nothing was written."""


class AssiduityNotReady(AssiduityError):
    """A computation cannot start: no visits or registrations imported, a year the rules
    or the visits do not cover, or another computation of the region under way."""


class AssiduityRunNotReady(AssiduityError):
    """The run is not in a state where this can be done."""


class DrmgNoticeRefused(AssiduityError):
    """A DRMG notice cannot be recorded or withdrawn (EP 40, 15.01 B)."""


class NotAGmfMember(DrmgNoticeRefused):
    """The physician held no GMF membership during the year: a notice applies to a GMF
    member (spec/assiduity.md, "DRMG notice")."""


class DrmgNoticeExists(DrmgNoticeRefused):
    """The physician already has an active notice for the year."""


class DrmgNoticeWithdrawn(DrmgNoticeRefused):
    """The notice is already withdrawn."""


class AssiduityRunStopped(Exception):
    """The run being computed is no longer RUNNING (cancelled, or failed as stalled):
    raised by its progress report so that the worker stops and keeps nothing."""
