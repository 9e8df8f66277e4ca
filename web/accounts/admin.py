"""Admin pages of the profiles, and the rule that the admin is for superusers only.

The administration pages are the tool of the regional system administrator, a superuser:
they bypass the access rules of :mod:`web.accounts.access`. The whole admin site, including
the pages of third-party apps (groups, axes), therefore admits active superusers only; a
staff member who is not superuser is sent to the admin login page like anybody else.

A profile is edited inline on its user's page, where the administrator creates accounts;
the profile list gives the overview of who has which role where.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from web.accounts.models import Profile
from web.regions.admin import SuperuserOnlyAdmin, SuperuserOnlyMixin

# Replaces AdminSite.has_permission (is_active and is_staff) on the one admin site: the
# rule of every page (SuperuserOnlyMixin) is the site's.
admin.site.has_permission = SuperuserOnlyMixin._is_administrator  # type: ignore[method-assign]


class ProfileInline(SuperuserOnlyMixin, admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ["rls"]
    raw_id_fields = ["physician", "gmf"]


class PanelcareUserAdmin(SuperuserOnlyMixin, UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "last_name", "profile__role", "is_superuser"]
    list_select_related = ["profile"]


admin.site.unregister(User)
admin.site.register(User, PanelcareUserAdmin)


@admin.register(Profile)
class ProfileAdmin(SuperuserOnlyAdmin):
    list_display = ["user", "role", "region", "gmf", "physician"]
    list_filter = ["role", "region"]
    search_fields = ["user__username", "user__last_name"]
    list_select_related = ["user", "region", "gmf", "physician"]
    filter_horizontal = ["rls"]
    raw_id_fields = ["user", "physician", "gmf"]
