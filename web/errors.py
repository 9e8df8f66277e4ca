"""The one base class of the errors the web app's services raise on purpose."""

from __future__ import annotations

__all__ = ["PanelcareError"]


class PanelcareError(Exception):
    """An error whose message is translated and meant for the user (a view shows it as a
    message or a form error); the service that raised it wrote nothing."""
