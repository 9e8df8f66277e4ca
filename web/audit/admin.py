"""The audit trail in the administration pages: read-only, for superusers only, and on the
history page of every object the trail speaks of
(:class:`web.audit.history.AuditHistoryMixin`)."""

from __future__ import annotations

from django.contrib import admin

from web.audit.models import AuditEvent
from web.regions.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Nobody edits the trail, not even the administrator."""

    list_display = [
        "created_at",
        "action",
        "actor",
        "region",
        "rls_code",
        "subject_type",
        "subject_id",
    ]
    list_filter = ["action", "region", "subject_type"]
    search_fields = ["rls_code", "subject_id", "actor__username"]
    list_select_related = ["actor", "region"]
    date_hierarchy = "created_at"
    show_full_result_count = False
