"""The territory (region, RLS, GMF, sites) and the people in it (physicians, IPS-SPL,
patients), with the links the attribution and assiduity rules read: registrations, GMF
memberships, practice groups, IPS partnerships, service agreements and the waiting list.

``code`` on each model is the external id of the data contracts (``rls_id``,
``physician_id``, ...; see ``docs/data-contract.md``), so an import or an
export never exposes our primary keys. Date ranges are half-open: a row is in force from
``start_date`` included to ``end_date`` excluded, and an empty ``end_date`` means ongoing.

Registrations, waiting-list entries, GMF memberships, practice group memberships, IPS-SPL
partnerships and service agreements, the roster columns of the physicians (``amp_target``,
``other_units``, ``attribution_mode``, ``previous_assiduity``, ``departing_on``) and the
GMF of each site (``Site.gmf``, and ``Site.kind`` of a GMF's site) are a *projection* of
the current version of the imported tables (:mod:`web.tables`): rebuilt by the import, in
its transaction, by the kind's projection (:mod:`web.tables.projections`), and written by
nothing else. They are rows here because
pages need SQL on them (counts per RLS, access scopes, pagination). The waiting-list
``status`` is per-patient workflow state, kept across re-imports and written by
:mod:`web.regions.services`, which records who changed what and when in the audit trail
(:mod:`web.audit`, actions :class:`RegionsAction`). See ``docs/decisions.md``, "One copy
of each fact".
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from web.audit.actions import register_actions


class PeriodQuerySet(models.QuerySet):
    """Rows with a half-open ``start_date``/``end_date`` period."""

    def active_on(self, day: datetime.date) -> PeriodQuerySet:
        """Rows in force on ``day``: started on or before it, not ended on or before it."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gt=day), start_date__lte=day)


class Region(models.Model):
    """An administrative health region (e.g. Bas-Saint-Laurent), served by one DRMG."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    registration_goal = models.DecimalField(
        _("registration goal"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.850"),
        help_text=_("Share of the population to be registered with a family physician."),
    )
    contact_attempts = models.PositiveSmallIntegerField(
        _("contact attempts before unreachable"),
        default=2,
        help_text=_(
            "Calls a clinic makes to a proposed patient before it may return them as unreachable."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Establishment(models.Model):
    """A regional health establishment (CISSS or CIUSSS): the employer of the professionals
    it places in GMFs (co-management, :mod:`web.comanagement`). A region holds one or more
    (Montréal has five CIUSSS); each RLS belongs to one, and a GMF to its RLS's."""

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("The establishment's key in the collective agreements' rules."),
    )
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        Region, models.PROTECT, related_name="establishments", verbose_name=_("region")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("establishment (CISSS/CIUSSS)")
        verbose_name_plural = _("establishments (CISSS/CIUSSS)")

    def __str__(self) -> str:
        return self.name


class Rls(models.Model):
    """A local services network (réseau local de services, RLS), one CML's territory."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    region = models.ForeignKey(
        Region, models.PROTECT, related_name="rls_set", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=200)
    seat = models.CharField(_("seat"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    population = models.PositiveIntegerField(_("population"), default=0)
    # The establishment that staffs the RLS's GMFs; a GMF's establishment is always read
    # through its RLS (never copied onto the GMF).
    establishment = models.ForeignKey(
        Establishment,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="rls_set",
        verbose_name=_("establishment (CISSS/CIUSSS)"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("local services network (RLS)")
        verbose_name_plural = _("local services networks (RLS)")

    def __str__(self) -> str:
        return self.name


class GmfKind(models.TextChoices):
    GMF = "gmf", _("GMF")
    GMF_R = "gmf_r", _("GMF-R (network clinic)")
    GMF_U = "gmf_u", _("GMF-U (university)")


class Gmf(models.Model):
    """A family medicine group (groupe de médecine de famille, GMF)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    rls = models.ForeignKey(Rls, models.PROTECT, related_name="gmfs", verbose_name=_("RLS"))
    kind = models.CharField(_("kind"), max_length=8, choices=GmfKind.choices)
    recognized_on = models.DateField(_("recognized on"))
    annual_review_on = models.DateField(_("annual review on"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("GMF")
        verbose_name_plural = _("GMFs")

    def __str__(self) -> str:
        return self.name


class SiteKind(models.TextChoices):
    GMF = "gmf", _("GMF")
    GMF_R = "gmf_r", _("GMF-R (network clinic)")
    GMF_U = "gmf_u", _("GMF-U (university)")
    CABINET = "cabinet", _("Private office")
    CLSC = "clsc", _("CLSC")


class Site(models.Model):
    """A place where physicians practise; a GMF has one or more sites."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    rls = models.ForeignKey(Rls, models.PROTECT, related_name="sites", verbose_name=_("RLS"))
    gmf = models.ForeignKey(
        Gmf,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="sites",
        verbose_name=_("GMF"),
        help_text=_("Empty when the site is not part of a GMF."),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=SiteKind.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=7, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


class AttributionMode(models.TextChoices):
    """How a physician takes orphans (DSP-PR-30042, section 7)."""

    BLOC = "bloc", _("Block from the waiting list")
    LE304 = "le304", _("Letter of agreement 304 (block transfer)")
    NONE = "none", _("Not participating")


class Physician(models.Model):
    """A family physician (médecin de famille) practising in the region.

    The roster's columns (name, RLS, site, ``amp_target`` ... ``departing_on``) are the
    projection of the physicians' roster in force (:mod:`web.tables`); a physician of the
    roster unknown here is created by the import, without a licence number.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    licence_number = models.CharField(
        _("licence number"), max_length=16, unique=True, null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=200)
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    practice_start = models.DateField(_("practice start"))
    amp_target = models.PositiveIntegerField(
        _("AMP registration target"),
        null=True,
        blank=True,
        help_text=_("Empty when the physician is not subject to the AMP requirement."),
    )
    other_units = models.FloatField(
        _("other work units"),
        default=0,
        help_text=_("Hospital, emergency, teaching... 3 units are a full workload."),
    )
    attribution_mode = models.CharField(
        _("attribution mode"), max_length=8, choices=AttributionMode.choices
    )
    previous_assiduity = models.FloatField(
        _("previous year's assiduity rate"), null=True, blank=True
    )
    departing_on = models.DateField(_("departing on"), null=True, blank=True)
    rls = models.ForeignKey(Rls, models.PROTECT, related_name="physicians", verbose_name=_("RLS"))
    site = models.ForeignKey(
        Site, models.PROTECT, related_name="physicians", verbose_name=_("main practice site")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("physician")
        verbose_name_plural = _("physicians")

    def __str__(self) -> str:
        return self.name


class Ips(models.Model):
    """A specialised primary-care nurse practitioner (IPS-SPL)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    site = models.ForeignKey(
        Site,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="ips_set",
        verbose_name=_("site"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("IPS-SPL")
        verbose_name_plural = _("IPS-SPL")

    def __str__(self) -> str:
        return self.name


def _link(model: type[models.Model], related_name: str, verbose_name: object) -> models.ForeignKey:
    """A projection's link to a known row: empty when the version's code is unknown here."""
    return models.ForeignKey(
        model,
        models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class GmfMembership(models.Model):
    """A physician's membership of the GMF program in one GMF, for a period: one row of
    the GMF memberships version in force, projected (:func:`web.tables.projections.
    project_gmf_memberships`). The codes are the version's; a link is empty when its code
    is unknown here. Read by :mod:`web.accounts.access` (a GMF manager's physicians)."""

    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("region"))
    physician_code = models.CharField(_("physician"), max_length=32, db_index=True)
    gmf_code = models.CharField(_("GMF"), max_length=32)
    physician = _link(Physician, "gmf_memberships", _("physician"))
    gmf = _link(Gmf, "memberships", _("GMF"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["gmf_code", "start_date"]
        verbose_name = _("GMF membership")
        verbose_name_plural = _("GMF memberships")

    def __str__(self) -> str:
        return f"{self.physician_code} – {self.gmf_code}"


class PracticeGroup(models.Model):
    """A practice group of physicians outside the GMF program (EP 40, 6.02 C or 11.03 E);
    created by the practice groups' projection for a group code it does not know."""

    code = models.CharField(_("code"), max_length=32, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("practice group")
        verbose_name_plural = _("practice groups")

    def __str__(self) -> str:
        return self.code


class PracticeGroupMembership(models.Model):
    """A physician's membership of a practice group, for a period: one row of the
    practice groups version in force, projected (:func:`web.tables.projections.
    project_practice_groups`)."""

    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("region"))
    physician_code = models.CharField(_("physician"), max_length=32)
    group_code = models.CharField(_("group"), max_length=32)
    physician = _link(Physician, "practice_group_memberships", _("physician"))
    group = _link(PracticeGroup, "memberships", _("group"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["group_code", "start_date"]
        verbose_name = _("practice group membership")
        verbose_name_plural = _("practice group memberships")

    def __str__(self) -> str:
        return f"{self.physician_code} – {self.group_code}"


class IpsPartnership(models.Model):
    """A partnership agreement between an IPS-SPL and a physician, for a period: one row
    of the IPS-SPL partnerships version in force, projected (:func:`web.tables.
    projections.project_ips_partnerships`)."""

    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("region"))
    ips_code = models.CharField(_("IPS-SPL"), max_length=32)
    physician_code = models.CharField(_("physician"), max_length=32)
    ips = _link(Ips, "partnerships", _("IPS-SPL"))
    physician = _link(Physician, "ips_partnerships", _("physician"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["ips_code", "start_date"]
        verbose_name = _("IPS-SPL partnership")
        verbose_name_plural = _("IPS-SPL partnerships")

    def __str__(self) -> str:
        return f"{self.ips_code} – {self.physician_code}"


class ServiceAgreement(models.Model):
    """A service agreement between two GMFs (symmetric: stored once, read both ways): one
    row of the service agreements version in force, projected (:func:`web.tables.
    projections.project_service_agreements`)."""

    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("region"))
    gmf_code = models.CharField(_("GMF"), max_length=32)
    partner_gmf_code = models.CharField(_("partner GMF"), max_length=32)
    gmf = _link(Gmf, "service_agreements", _("GMF"))
    partner_gmf = _link(Gmf, "partner_service_agreements", _("partner GMF"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["gmf_code", "start_date"]
        verbose_name = _("service agreement")
        verbose_name_plural = _("service agreements")

    def __str__(self) -> str:
        return f"{self.gmf_code} – {self.partner_gmf_code}"


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other")


class Patient(models.Model):
    """A person of the region, registered with a family physician or not.

    The health insurance number (numéro d'assurance maladie, NAM) is stored in full because
    the people allowed to see it need it (see ``web.accounts.access.can_see_full_hin``);
    every other screen shows :attr:`masked_hin`.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    health_insurance_number = models.CharField(
        _("health insurance number"), max_length=16, unique=True
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    postal_code = models.CharField(_("postal code"), max_length=7, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    rls = models.ForeignKey(Rls, models.PROTECT, related_name="patients", verbose_name=_("RLS"))
    vulnerable = models.BooleanField(_("vulnerable"), default=False)
    categories = models.JSONField(
        _("categories"),
        default=list,
        blank=True,
        help_text=_("Weighted clientele categories (home care, detention, addiction...)."),
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def masked_hin(self) -> str:
        """The health insurance number with all but its last 4 characters hidden."""
        visible = self.health_insurance_number.replace(" ", "")[-4:]
        return f"•••• •••• {visible}"


class Registration(models.Model):
    """A patient's registration (inscription) with a family physician at a site: one row
    of the registrations version in force, projected (:func:`web.tables.projections.
    project_registrations`).

    The codes are the version's; the links are set when the patient, physician or site
    is known here (None otherwise: a patient of the file whose identity and home the
    region has not loaded is counted in their physician's panel, not in an RLS's
    residents). A patient has at most one registration on any day: the registrations'
    contract leaves overlaps to the assiduity checks.
    """

    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("region"))
    patient_code = models.CharField(_("patient"), max_length=32, db_index=True)
    physician_code = models.CharField(_("physician"), max_length=32)
    site_code = models.CharField(_("registration site"), max_length=32)
    patient = models.ForeignKey(
        Patient,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("patient"),
    )
    physician = models.ForeignKey(
        Physician,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("physician"),
    )
    site = models.ForeignKey(
        Site,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("registration site"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        indexes = [
            # Panels: a physician's registrations in force on a day.
            models.Index(
                fields=["physician", "start_date", "end_date"], name="registration_panel_idx"
            ),
            # Regional counts in force on a day, whoever the physician.
            models.Index(fields=["start_date", "end_date"], name="registration_dates_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_code} – {self.physician_code}"


class WaitlistPriority(models.TextChoices):
    """GAMF priority, A (most urgent) to E."""

    A = "A", _("A")
    B = "B", _("B")
    C = "C", _("C")
    D = "D", _("D")
    E = "E", _("E")


class WaitlistStatus(models.TextChoices):
    """Where a patient of the waiting list is in their journey (docs/attribution-journey.md).

    The stored values of the first statuses predate the journey: ``assigned`` is
    *proposed to a physician* by an approved plan in force, ``withdrawn`` is *removed
    from the list* (with a reason).
    """

    WAITING = "waiting", _("Waiting")
    ASSIGNED = "assigned", _("Proposed to a physician")
    REGISTERED = "registered", pgettext_lazy("waitlist status", "Registered")
    RETURNED = "returned", _("Returned to the list")
    WITHDRAWN = "withdrawn", _("Removed from the list")


# The statuses of a patient on the list (counted as waiting, offered by the next run):
# never proposed, or back from a failed proposal with their own priority and request date.
ON_THE_LIST = (WaitlistStatus.WAITING, WaitlistStatus.RETURNED)


class WaitlistReason(models.TextChoices):
    """Why a waiting-list entry changed status (a :class:`WaitlistStatusEvent`)."""

    PLAN_APPROVED = "plan_approved", _("Proposed by an approved plan")
    PLAN_SUPERSEDED = "plan_superseded", _("Plan superseded")
    REGISTERED_IMPORT = "registered_import", _("Registered, seen in a registrations import")
    REFUSED_BY_PHYSICIAN = "refused_physician", _("Refused by the physician")
    REFUSED_BY_PATIENT = "refused_patient", _("Refused by the patient")
    UNREACHABLE = "unreachable", _("Unreachable after the contact attempts")
    CONTACT_ATTEMPT = "contact_attempt", _("Contact attempt")
    REMOVED = "removed", _("Removed from the list")
    MANUAL = "manual", _("Status changed by hand")


# The reasons a proposed patient is returned to the list for.
RETURN_REASONS = (
    WaitlistReason.REFUSED_BY_PHYSICIAN,
    WaitlistReason.REFUSED_BY_PATIENT,
    WaitlistReason.UNREACHABLE,
)


class WaitlistEntry(models.Model):
    """A patient on the waiting list of the guichet d'accès à un médecin de famille (GAMF):
    one row of the waiting-list version in force, projected (:func:`web.tables.
    projections.project_waitlist`), with the patient's ``status`` (waiting, assigned by
    an approved run, ...) kept across re-imports.

    ``patient`` is set when the patient is known here (None otherwise: the row counts in
    its RLS's waiting patients, named by its code).
    """

    Priority = WaitlistPriority
    Status = WaitlistStatus

    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("region"))
    patient_code = models.CharField(_("patient"), max_length=32, db_index=True)
    patient = models.ForeignKey(
        Patient,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        verbose_name=_("patient"),
    )
    rls = models.ForeignKey(
        Rls, models.PROTECT, related_name="waitlist_entries", verbose_name=_("RLS")
    )
    priority = models.CharField(_("priority"), max_length=1, choices=WaitlistPriority.choices)
    requested_on = models.DateField(_("requested on"))
    status = models.CharField(
        _("status"), max_length=12, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    # The proposal in force (status ASSIGNED), kept across re-imports with the status: the
    # approved run (its id: web.attribution depends on this app, not the reverse), the
    # physician and the plan's month (1 = the run's first month).
    proposed_run_id = models.PositiveIntegerField(_("proposed by run"), null=True, blank=True)
    proposed_physician_code = models.CharField(
        _("proposed to physician"), max_length=32, blank=True
    )
    proposed_month = models.PositiveSmallIntegerField(_("month of the plan"), null=True, blank=True)
    previous_physician_code = models.CharField(_("previous physician"), max_length=32, blank=True)
    previous_physician = models.ForeignKey(
        Physician,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous physician"),
        help_text=_("Set for the patients of a departing physician."),
    )

    class Meta:
        ordering = ["priority", "requested_on"]
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list entries")
        indexes = [
            # The CML's list: an RLS's waiting patients by priority, oldest first.
            models.Index(
                fields=["rls", "status", "priority", "requested_on"], name="waitlist_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_code} ({self.priority})"


@register_actions
class RegionsAction(models.TextChoices):
    """What :mod:`web.regions.services` records in the audit trail (:mod:`web.audit`)."""

    WAITLIST_STATUS = "waitlist_status", _("Waiting-list status changed")
    WAITLIST_ASSIGNED = "waitlist_assigned", _("Waiting patients proposed by a plan")
    WAITLIST_RELEASED = "waitlist_released", _("Proposed patients back on the list")
    WAITLIST_REGISTERED = "waitlist_registered", _("Waiting patients seen registered")
    WAITLIST_RETURNED = "waitlist_returned", _("Proposed patient returned to the list")
    WAITLIST_REMOVED = "waitlist_removed", _("Patient removed from the waiting list")
    WAITLIST_ATTEMPT = "waitlist_attempt", _("Contact attempt recorded")
    CONTACT_ATTEMPTS_SET = "contact_attempts_set", _("Region's contact attempts set")


class WaitlistStatusEvent(models.Model):
    """One step of a waiting-list patient's journey: from a status to another (or a
    contact attempt, from and to the same status), when, by whom (empty: the system),
    for which run, physician and month, and why. Keyed by the patient's code, not by the
    entry: the entries are rebuilt by every import of the waiting list, the history stays.
    Written by :mod:`web.regions.services` only."""

    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("region"))
    patient_code = models.CharField(_("patient"), max_length=32)
    rls_code = models.CharField(_("RLS"), max_length=32)
    from_status = models.CharField(
        _("from"), max_length=12, choices=WaitlistStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=WaitlistStatus.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=WaitlistReason.choices)
    note = models.TextField(_("note"), blank=True)
    run_id = models.PositiveIntegerField(_("run"), null=True, blank=True)
    physician_code = models.CharField(_("physician"), max_length=32, blank=True)
    month = models.PositiveSmallIntegerField(_("month of the plan"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("waiting-list status change")
        verbose_name_plural = _("waiting-list status changes")
        indexes = [
            models.Index(
                fields=["region", "patient_code", "at"], name="waitlist_event_patient_idx"
            ),
            models.Index(fields=["region", "run_id", "reason"], name="waitlist_event_run_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_code}: {self.from_status} → {self.to_status}"
