"""Writing the audit trail: one :func:`record` per write, from the ``do_*`` service
function that makes it, inside its transaction.

Reading it is a question of access: ``web.accounts.access.visible_audit_events``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models

from web.audit.models import AuditEvent, subject_type_of
from web.regions.models import Region

__all__ = ["attach_subjects", "record", "record_on"]

# Keys refused in ``details``: the trail names patients by code, never by name.
FORBIDDEN_DETAILS = frozenset({"first_name", "last_name", "patient_name"})


def record(
    action: str,
    *,
    region: Region,
    acting_user: Any,
    subject: models.Model | None = None,
    rls_code: str = "",
    scope: Sequence[str] | None = None,
    **details: Any,
) -> AuditEvent:
    """Write one audit entry and return it.

    Args:
        action: a value of an app's actions (see :func:`web.audit.actions.register_actions`).
        region: the region the write belongs to.
        acting_user: who made the write; an anonymous user or None records the system.
        subject: the object written (a run, a registration...), if any.
        rls_code: the RLS of the write; empty for the whole region.
        scope: for a write on several RLS at once (an import: its RLS codes, empty for
            the whole region): kept in ``details["scope"]``, its first code becomes the
            entry's ``rls_code``, and a CML reads the entry only when every code is theirs.
        details: what was done, JSON-serialisable.

    Raises:
        ValueError: ``details`` holds a patient's name.
    """
    named = FORBIDDEN_DETAILS & details.keys()
    if named:
        raise ValueError(f"an audit entry never holds a patient's name: {sorted(named)}")
    if scope is not None:
        details["scope"] = list(scope)
        rls_code = scope[0] if scope else ""
    return AuditEvent.objects.create(
        region=region,
        rls_code=rls_code,
        action=action,
        actor=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        subject_type=subject_type_of(subject) if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        details=details,
    )


def record_on(
    action: str, subject: models.Model, *, acting_user: Any, **details: Any
) -> AuditEvent:
    """:func:`record` for a ``subject`` that knows its territory: its ``region`` and, when
    it has one (a run of an RLS), its ``rls``; empty ``rls`` means the whole region."""
    rls = getattr(subject, "rls", None)
    return record(
        action,
        region=subject.region,  # type: ignore[attr-defined]
        acting_user=acting_user,
        subject=subject,
        rls_code=rls.code if rls is not None else "",
        **details,
    )


def attach_subjects(
    entries: Iterable[AuditEvent], *model_classes: type[models.Model]
) -> list[AuditEvent]:
    """Set ``entry.subject`` on each entry: its subject if it is one of ``model_classes``
    (one query per class), None otherwise (including a subject deleted since)."""
    entries = list(entries)
    objects: dict[tuple[str, str], models.Model] = {}
    for model in model_classes:
        label = subject_type_of(model)
        ids = {entry.subject_id for entry in entries if entry.subject_type == label}
        if ids:
            found = model._default_manager.in_bulk([model._meta.pk.to_python(i) for i in ids])
            objects.update({(label, str(pk)): obj for pk, obj in found.items()})
    for entry in entries:
        entry.subject = objects.get((entry.subject_type, entry.subject_id))  # type: ignore[attr-defined]
    return entries
