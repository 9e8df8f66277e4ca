"""The audit trail in the administration pages: read-only, for superusers only, and on the
history page of every object the trail speaks of
(:class:`web.audit.history.AuditHistoryMixin`)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from web.audit.models import AuditEvent
from web.regions.admin import SuperuserOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(SuperuserOnlyAdmin):
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

    # Nobody edits the trail, not even the administrator.
    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
