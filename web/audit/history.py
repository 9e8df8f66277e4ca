"""The audit trail on the admin's history page of an object (no dependency on other admin
modules, so that any app's admin can use it)."""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse

from web.audit.models import AuditEvent

__all__ = ["AuditHistoryMixin"]


class AuditHistoryMixin:
    """An admin whose history page also lists the object's audit entries (who, when,
    what, details), newest first, above Django's own log of the admin's edits."""

    object_history_template = "audit/admin/object_history.html"

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        entries = AuditEvent.objects.about(obj).select_related("actor") if obj else []
        context = {**(extra_context or {}), "audit_entries": entries}
        return super().history_view(request, object_id, extra_context=context)  # type: ignore[misc]
