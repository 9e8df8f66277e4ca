"""Model fields the apps share (beside :mod:`web.forms`, their shared form widget)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["user_link"]


def user_link(related_name: str, verbose_name: object, *, null: bool = False) -> models.ForeignKey:
    """A link to the user who did something (proposed, decided, recorded...): never
    deleted while a record names them (PROTECT); ``null`` for a step not taken yet."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=null,
        blank=null,
        related_name=related_name,
        verbose_name=verbose_name,
    )
