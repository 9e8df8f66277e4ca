"""Errors of the attribution workflow's services, turned into messages by the views.

    AttributionError (a web.errors.PanelcareError)
    ├── RunFrozen            the run is approved: nothing may change it any more
    ├── RunNotReady          the run has no plan to work on yet (queued, running, failed),
    │                        or the region has no table to run on
    ├── PlanInForce          approving would overlap a plan in force that the approver
    │                        may not, or did not say they would, supersede
    ├── AdjustmentRefused    an adjustment that cannot be made (unknown patient, a physician
    │                        who takes no patient in this run, ...)
    ├── LetterError          letters cannot be written for this run (not approved, no plan,
    │                        no physician, being written already)
    └── LetterTemplateError  a letter template does not compile, render or lay out

Wrong run parameters are the engine's :class:`panelcare.errors.SettingsError`, turned into
a form error by the run form.
"""

from __future__ import annotations

from web.errors import PanelcareError

__all__ = [
    "AdjustmentRefused",
    "AttributionError",
    "LetterError",
    "LetterTemplateError",
    "PlanInForce",
    "RunFrozen",
    "RunNotReady",
]


class AttributionError(PanelcareError):
    """Base class of the errors the attribution services raise on purpose; the message is
    translated and meant for the user."""


class RunFrozen(AttributionError):
    """The run is approved, hence frozen: no adjustment, no new computation, no second
    approval. Nothing was written."""


class RunNotReady(AttributionError):
    """The run (or the region) is not in a state where this can be done."""


class AdjustmentRefused(AttributionError):
    """The adjustment asked for cannot be made; nothing was written."""


class LetterError(AttributionError):
    """Letters cannot be written for this run (not approved, no plan, no physician, being
    written already); nothing was written."""


class LetterTemplateError(AttributionError):
    """A letter template does not compile, does not render or cannot be laid out;
    ``str()`` says why. Nothing was saved."""


class PlanInForce(AttributionError):
    """Approving the run would put two plans in force on one territory: the approver may
    not supersede the plan in force (named in the message), or did not confirm it with a
    reason. Nothing was written."""
