"""Errors of the quality-improvement services, turned into messages or form errors.

    QualityError (a web.errors.PanelcareError)
    ├── GroupRefused        a group or invitation the rules refuse (size, bases, founder)
    ├── ActivityRefused     an activity's step or completion refused
    ├── PlanRefused         a plan, goal or PDSA phase the rules refuse; a submission
    │                       before every member completed the four activities
    │                       (``missing``: member → activities not done)
    └── SelectionRefused    a selection or deferral refused

The core's codes (:mod:`panelcare.quality`) are said in French by
:mod:`web.quality.messages`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from web.errors import PanelcareError

__all__ = ["ActivityRefused", "GroupRefused", "PlanRefused", "QualityError", "SelectionRefused"]


class QualityError(PanelcareError):
    """Base class of the errors the quality services raise on purpose; the message is
    translated and meant for the user. Nothing was written."""


class GroupRefused(QualityError):
    """A group or an invitation the rules refuse."""


class ActivityRefused(QualityError):
    """An activity's step or completion refused."""


class PlanRefused(QualityError):
    """A plan, goal or PDSA phase refused, or a submission too early."""

    def __init__(self, message: str, *, missing: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.missing: dict[str, Any] = dict(missing or {})


class SelectionRefused(QualityError):
    """A selection or a deferral refused."""
