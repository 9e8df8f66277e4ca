"""Errors of the attribution workflow's services, turned into messages by the views.

    AttributionError
    ├── RunFrozen          the run is approved: nothing may change it any more
    ├── RunNotReady        the run has no plan to work on yet (queued, running, failed),
    │                      or the region has no table to run on
    └── AdjustmentRefused  an adjustment that cannot be made (unknown patient, a physician
                           who takes no patient in this run, ...)

Wrong run parameters are the engine's :class:`panelcare.errors.SettingsError`, turned into
a form error by the run form.
"""

from __future__ import annotations

__all__ = ["AdjustmentRefused", "AttributionError", "RunFrozen", "RunNotReady"]


class AttributionError(Exception):
    """Base class of the errors the attribution services raise on purpose; the message is
    translated and meant for the user."""


class RunFrozen(AttributionError):
    """The run is approved, hence frozen: no adjustment, no new computation, no second
    approval. Nothing was written."""


class RunNotReady(AttributionError):
    """The run (or the region) is not in a state where this can be done."""


class AdjustmentRefused(AttributionError):
    """The adjustment asked for cannot be made; nothing was written."""
