"""Admin pages of the territory and its people.

The admin is the tool of the regional system administrator (a superuser) only: it shows
every patient of every RLS, so it bypasses :mod:`web.accounts.access`. Every page here
therefore refuses any user who is not a superuser, even one marked staff with model
permissions (defence in depth: the demo gives staff to nobody else anyway). Lists show the
masked health insurance number; the full number is only on a patient's change page.

The projections of the imported tables (``docs/decisions.md``, "One copy of each fact")
are read-only here: registrations, waiting-list entries, memberships, partnerships and
service agreements whole, and the roster's columns of a physician and the GMF of a site.
Only an import writes them (:mod:`web.tables.projections`); a change made here would
differ from the version the runs read and vanish at the next import.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from web.audit.history import AuditHistoryMixin
from web.regions.models import (
    Establishment,
    Gmf,
    GmfMembership,
    Ips,
    IpsPartnership,
    Patient,
    Physician,
    PracticeGroup,
    PracticeGroupMembership,
    Region,
    Registration,
    Rls,
    ServiceAgreement,
    Site,
    WaitlistEntry,
)
from web.tables.projections import ROSTER_FIELDS


class SuperuserOnlyMixin:
    """Grants every admin permission to active superusers and none to anybody else."""

    @staticmethod
    def _is_administrator(request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and user.is_superuser

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_administrator(request)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return self._is_administrator(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_administrator(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_administrator(request)


class SuperuserOnlyAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    pass


class SuperuserOnlyHistoryAdmin(AuditHistoryMixin, SuperuserOnlyMixin, admin.ModelAdmin):
    """The history page lists the object's audit entries (:mod:`web.audit`)."""


class SuperuserOnlyTabularInline(SuperuserOnlyMixin, admin.TabularInline):
    pass


class ReadOnlyMixin:
    """Rows shown, never added, changed or deleted here: those projected from an imported
    table (only an import writes them), the audit trail (nobody edits it)."""

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, SuperuserOnlyAdmin):
    pass


class ReadOnlyHistoryAdmin(ReadOnlyMixin, SuperuserOnlyHistoryAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyMixin, SuperuserOnlyTabularInline):
    pass


@admin.register(Region)
class RegionAdmin(SuperuserOnlyAdmin):
    list_display = ["code", "name", "registration_goal"]
    search_fields = ["code", "name"]
    # The DRMG sets it from the region's settings page, through the one service that
    # writes it and records who did (web.regions.services.do_set_contact_attempts).
    readonly_fields = ["contact_attempts"]


@admin.register(Establishment)
class EstablishmentAdmin(SuperuserOnlyAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]


@admin.register(Rls)
class RlsAdmin(SuperuserOnlyAdmin):
    list_display = ["code", "name", "seat", "region", "establishment", "population"]
    list_filter = ["region", "establishment"]
    search_fields = ["code", "name", "seat"]
    list_select_related = ["region"]


class SiteInline(ReadOnlyTabularInline):
    # A GMF's sites are the GMF sites table's projection.
    model = Site
    fields = ["code", "name", "kind", "city"]
    extra = 0
    show_change_link = True


@admin.register(Gmf)
class GmfAdmin(SuperuserOnlyAdmin):
    list_display = ["code", "name", "kind", "rls", "recognized_on", "annual_review_on"]
    list_filter = ["kind", "rls"]
    search_fields = ["code", "name"]
    list_select_related = ["rls"]
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(SuperuserOnlyAdmin):
    list_display = ["code", "name", "kind", "gmf", "rls", "city", "postal_code"]
    list_filter = ["kind", "rls"]
    search_fields = ["code", "name", "city", "postal_code"]
    list_select_related = ["gmf", "rls"]
    # The GMF of a site is the GMF sites table's projection.
    readonly_fields = ["gmf"]


class GmfMembershipInline(ReadOnlyTabularInline):
    model = GmfMembership
    fields = ["gmf", "start_date", "end_date"]
    extra = 0


@admin.register(Physician)
class PhysicianAdmin(SuperuserOnlyAdmin):
    list_display = [
        "code",
        "name",
        "licence_number",
        "rls",
        "site",
        "attribution_mode",
        "amp_target",
        "departing_on",
    ]
    list_filter = ["rls", "attribution_mode"]
    search_fields = ["code", "name", "licence_number"]
    list_select_related = ["rls", "site"]
    # The roster's columns are its projection: only the licence number is the database's.
    readonly_fields = ["code", *ROSTER_FIELDS, "rls", "site"]
    inlines = [GmfMembershipInline]

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False  # a physician comes with the roster (web.tables.projections)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Ips)
class IpsAdmin(SuperuserOnlyAdmin):
    list_display = ["code", "name", "site"]
    search_fields = ["code", "name"]
    list_select_related = ["site"]
    raw_id_fields = ["site"]


@admin.register(GmfMembership)
class GmfMembershipAdmin(ReadOnlyAdmin):
    list_display = ["physician", "gmf", "start_date", "end_date"]
    list_filter = ["gmf"]
    search_fields = ["physician__code", "physician__name", "gmf__code", "gmf__name"]
    list_select_related = ["physician", "gmf"]
    raw_id_fields = ["physician", "gmf"]


@admin.register(PracticeGroup)
class PracticeGroupAdmin(SuperuserOnlyAdmin):
    list_display = ["code"]
    search_fields = ["code"]


@admin.register(PracticeGroupMembership)
class PracticeGroupMembershipAdmin(ReadOnlyAdmin):
    list_display = ["physician", "group", "start_date", "end_date"]
    search_fields = ["physician__code", "physician__name", "group__code"]
    list_select_related = ["physician", "group"]
    raw_id_fields = ["physician", "group"]


@admin.register(IpsPartnership)
class IpsPartnershipAdmin(ReadOnlyAdmin):
    list_display = ["ips", "physician", "start_date", "end_date"]
    search_fields = ["ips__code", "ips__name", "physician__code", "physician__name"]
    list_select_related = ["ips", "physician"]
    raw_id_fields = ["ips", "physician"]


@admin.register(ServiceAgreement)
class ServiceAgreementAdmin(ReadOnlyAdmin):
    list_display = ["gmf", "partner_gmf", "start_date", "end_date"]
    search_fields = ["gmf__code", "gmf__name", "partner_gmf__code", "partner_gmf__name"]
    list_select_related = ["gmf", "partner_gmf"]
    raw_id_fields = ["gmf", "partner_gmf"]


@admin.register(Patient)
class PatientAdmin(SuperuserOnlyHistoryAdmin):
    list_display = [
        "code",
        "last_name",
        "first_name",
        "hin",
        "birth_year",
        "sex",
        "rls",
        "vulnerable",
    ]
    list_filter = ["rls", "vulnerable", "sex"]
    # The number is searched exactly: a partial match would let one guess numbers digit
    # by digit from the result counts.
    search_fields = ["code", "last_name", "first_name", "=health_insurance_number"]
    list_select_related = ["rls"]
    # Counting 200,000 rows on every page is needless work for a superuser's tool.
    show_full_result_count = False

    @admin.display(description=_("health insurance number"), ordering="health_insurance_number")
    def hin(self, patient: Patient) -> str:
        return patient.masked_hin


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["patient", "physician", "site", "start_date", "end_date"]
    list_filter = ["physician__rls"]
    search_fields = ["patient__code", "patient__last_name", "physician__code", "physician__name"]
    list_select_related = ["patient", "physician", "site"]
    raw_id_fields = ["patient", "physician", "site"]
    date_hierarchy = "start_date"
    show_full_result_count = False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyHistoryAdmin):
    list_display = ["patient", "rls", "priority", "requested_on", "status", "previous_physician"]
    list_filter = ["status", "priority", "rls"]
    search_fields = ["patient__code", "patient__last_name"]
    list_select_related = ["patient", "rls", "previous_physician"]
    raw_id_fields = ["patient", "previous_physician"]
    show_full_result_count = False
