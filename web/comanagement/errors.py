"""Errors of the co-management services, turned into messages or form errors by the views.

    ComanagementError (a web.errors.PanelcareError)
    ├── ReferenceRefused         a level table or agreement rules text the core refuses;
    │                            ``key`` names the key at fault
    ├── RecordRefused            a record the domain refuses: a post of a type the GMF's
    │                            kind may not receive, dates out of order, a record of an
    │                            ended placement, a file of another GMF's statistics
    ├── ScheduleRefusedByRules   a schedule breaks the agreement rules; ``refusals`` holds
    │                            the core's :class:`~panelcare.comanagement.schedules.Refusal`
    └── SignOffRefused           a side signs twice, or a frozen record is changed

Sides are never checked here: :mod:`web.accounts.access` decides who may write what.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web.errors import PanelcareError

__all__ = [
    "ComanagementError",
    "RecordRefused",
    "ReferenceRefused",
    "ScheduleRefusedByRules",
    "SignOffRefused",
]


class ComanagementError(PanelcareError):
    """Base class of the errors the co-management services raise on purpose; the message
    is translated and meant for the user. Nothing was written."""


class ReferenceRefused(ComanagementError):
    """A reference data text (level table, agreement rules) the core refuses."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class RecordRefused(ComanagementError):
    """A record the domain's rules refuse."""


class ScheduleRefusedByRules(ComanagementError):
    """The schedule breaks the agreement rules; the refusals say which and where."""

    def __init__(self, message: str, *, refusals: Sequence[Any]) -> None:
        super().__init__(message)
        self.refusals = list(refusals)


class SignOffRefused(ComanagementError):
    """A side cannot sign (it already has), or the record is frozen by both signatures."""
