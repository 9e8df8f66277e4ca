"""The audit trail: one :class:`AuditEvent` per write, for every app.

Who did what, when, in which region and RLS, to which object. Entries are written by
:func:`web.audit.services.record`, from the ``do_*`` service function of each write, in
the same transaction; they are read through ``web.accounts.access.visible_audit_events``.

The actions are declared once, by the app that writes them, as a ``TextChoices`` class
decorated with :func:`web.audit.actions.register_actions` in its ``models.py`` (so that
it is registered when Django loads the models)::

    @register_actions
    class AttributionAction(models.TextChoices):
        RUN_STARTED = "run_started", _("Run started")

The subject is generic (``subject_type`` "app_label.model", ``subject_id`` its primary key
as text) so that this app depends on no other app's models but the region's. An entry
never holds a patient's name: patients appear by code.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from web.audit.actions import action_choices, register_actions
from web.regions.models import Region

__all__ = ["AuditEvent", "register_actions", "subject_type_of", "subjects_filter"]


def subject_type_of(subject: models.Model | type[models.Model]) -> str:
    """The ``subject_type`` of a model instance or class: ``"app_label.modelname"``."""
    return subject._meta.label_lower


def subjects_filter(subjects: models.QuerySet[Any]) -> models.Q:
    """A filter on the entries whose subject is one of ``subjects`` (a subquery)."""
    return models.Q(
        subject_type=subject_type_of(subjects.model),
        subject_id__in=subjects.values_list(Cast("pk", output_field=models.CharField()), flat=True),
    )


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def about(self, subject: models.Model) -> AuditEventQuerySet:
        """The entries whose subject is ``subject``."""
        return self.filter(subject_type=subject_type_of(subject), subject_id=str(subject.pk))

    def about_any(self, subjects: models.QuerySet[Any]) -> AuditEventQuerySet:
        """The entries whose subject is one of ``subjects`` (one query, a subquery)."""
        return self.filter(subjects_filter(subjects))


class AuditEvent(models.Model):
    """One write: who (``actor``; empty for the system, e.g. a background task of nobody),
    what (``action``, ``details``), when (``created_at``), where (``region``, ``rls_code``;
    empty for the whole region) and on what (``subject_type``, ``subject_id``)."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    rls_code = models.CharField(_("RLS"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=action_choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    subject_type = models.CharField(_("subject type"), max_length=64, blank=True)
    subject_id = models.CharField(_("subject"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="audit_subject_idx"),
            models.Index(fields=["region", "rls_code"], name="audit_territory_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"
