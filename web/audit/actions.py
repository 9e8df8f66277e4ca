"""The registry of audit actions: each app declares its own, once, in its ``models.py``.

Kept apart from :mod:`web.audit.models` (no model imported here) so that any app's models,
the territory's included, can declare actions without an import cycle.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import models

__all__ = ["action_choices", "register_actions"]

_actions: dict[str, type[models.TextChoices]] = {}


def register_actions(choices: type[models.TextChoices]) -> type[models.TextChoices]:
    """Class decorator: declare the audit actions of an app (their values are stored in
    :attr:`web.audit.models.AuditEvent.action`, their labels shown in the history pages).

    Raises:
        ImproperlyConfigured: a value is already declared by another class (two apps would
            read each other's entries as their own).
    """
    for value in choices.values:
        owner = _actions.get(value)
        if owner is not None and _name(owner) != _name(choices):
            raise ImproperlyConfigured(
                f"audit action {value!r} declared by {_name(owner)} and {_name(choices)}"
            )
    _actions.update(dict.fromkeys(choices.values, choices))
    return choices


def action_choices() -> list[tuple[str, str]]:
    """Every registered action, as Django choices (a callable: apps add theirs at load)."""
    seen: dict[str, type[models.TextChoices]] = {}
    for choices in _actions.values():
        seen.setdefault(_name(choices), choices)
    return [choice for choices in seen.values() for choice in choices.choices]


def _name(choices: type[models.TextChoices]) -> str:
    # By name, not identity: a module imported twice (tests, autoreload) declares again.
    return f"{choices.__module__}.{choices.__qualname__}"
