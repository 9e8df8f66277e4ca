"""Who sees what: the one place that turns a user's role and territory into querysets.

Views and templates never filter territory or patients themselves: they start from a
``visible_*`` queryset or fetch one object through an ``access_*`` function, which answers
404 for an object outside the user's territory so that its existence is not revealed.

The rules, by role (a user without a profile sees nothing and gets PermissionDenied):

==============  ===================  =====================  ======================  =========
role            RLS                  physicians             patients                waitlist
==============  ===================  =====================  ======================  =========
drmg            region               region                 region                  region
ciusss_manager  region               region                 none                    none
qi_coach        region               region                 none                    none
cml             their RLS            of their RLS           living in their RLS     their RLS
gmf_manager     RLS of their GMF     members of their GMF   registered with one of  none
                                     today                  them today
physician       their RLS            themself               registered with them    none
                                                            today
==============  ===================  =====================  ======================  =========

The full health insurance number is shown to the DRMG, to the CML of the patient's RLS and
to the patient's own physician; everybody else sees the masked number.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts.models import Profile, Role
from web.regions.models import GmfMembership, Patient, Physician, Registration, Rls, WaitlistEntry

__all__ = [
    "access_patient",
    "access_physician",
    "access_rls",
    "can_list_waitlist",
    "can_see_full_hin",
    "profile_for",
    "scope_label",
    "visible_patients",
    "visible_physicians",
    "visible_rls",
    "visible_waitlist",
]

# Roles that look at the whole region, but not all of them at patients.
REGIONAL_ROLES = frozenset({Role.DRMG, Role.CIUSSS_MANAGER, Role.QI_COACH})
# Roles allowed to list waiting patients by name (their region or RLS).
WAITLIST_ROLES = frozenset({Role.DRMG, Role.CML})
# Roles allowed to read the full health insurance number of a patient they can see.
FULL_HIN_ROLES = frozenset({Role.DRMG, Role.CML, Role.PHYSICIAN})

User = AbstractBaseUser | AnonymousUser


def _today() -> datetime.date:
    return timezone.localdate()


def profile_for(user: User) -> Profile:
    """The profile of ``user``.

    Raises:
        PermissionDenied: the user is anonymous or has no profile (this includes a
            superuser without one: administering the system is not seeing a territory).
    """
    if not user.is_authenticated:
        raise PermissionDenied
    try:
        return user.profile  # cached on the user instance by Django after the first query
    except Profile.DoesNotExist:
        raise PermissionDenied from None


def visible_rls(user: User) -> QuerySet[Rls]:
    """The RLS whose figures ``user`` may see."""
    profile = profile_for(user)
    in_region = Rls.objects.filter(region_id=profile.region_id)
    if profile.role in REGIONAL_ROLES:
        return in_region
    if profile.role == Role.CML:
        return in_region.filter(profiles=profile)
    if profile.role == Role.GMF_MANAGER and profile.gmf_id is not None:
        return in_region.filter(gmfs=profile.gmf_id)
    if profile.role == Role.PHYSICIAN and profile.physician_id is not None:
        return in_region.filter(physicians=profile.physician_id)
    return Rls.objects.none()


def visible_physicians(user: User) -> QuerySet[Physician]:
    """The physicians whose figures ``user`` may see."""
    profile = profile_for(user)
    in_region = Physician.objects.filter(rls__region_id=profile.region_id)
    if profile.role in REGIONAL_ROLES:
        return in_region
    if profile.role == Role.CML:
        return in_region.filter(rls__in=visible_rls(user))
    if profile.role == Role.GMF_MANAGER and profile.gmf_id is not None:
        members = GmfMembership.objects.active_on(_today()).filter(gmf_id=profile.gmf_id)
        return in_region.filter(pk__in=members.values("physician_id"))
    if profile.role == Role.PHYSICIAN and profile.physician_id is not None:
        return in_region.filter(pk=profile.physician_id)
    return Physician.objects.none()


def visible_patients(user: User) -> QuerySet[Patient]:
    """The patients whose record ``user`` may open (with a masked number unless
    :func:`can_see_full_hin` says otherwise)."""
    profile = profile_for(user)
    in_region = Patient.objects.filter(rls__region_id=profile.region_id)
    if profile.role == Role.DRMG:
        return in_region
    if profile.role == Role.CML:
        return in_region.filter(rls__in=visible_rls(user))
    if profile.role in (Role.GMF_MANAGER, Role.PHYSICIAN):
        # Both see the panels of the physicians they see; visible_physicians has already
        # restricted those to the GMF's members today, or to the physician themself.
        registered = Registration.objects.active_on(_today()).filter(
            physician__in=visible_physicians(user)
        )
        # A subquery on pk, not a join: a join would repeat a patient per registration.
        return Patient.objects.filter(pk__in=registered.values("patient_id"))
    return Patient.objects.none()


def visible_waitlist(user: User) -> QuerySet[WaitlistEntry]:
    """The waiting-list entries ``user`` may see: the DRMG's region, the CML's RLS."""
    profile = profile_for(user)
    in_region = WaitlistEntry.objects.filter(rls__region_id=profile.region_id)
    if profile.role == Role.DRMG:
        return in_region
    if profile.role == Role.CML:
        return in_region.filter(rls__in=visible_rls(user))
    return WaitlistEntry.objects.none()


def can_list_waitlist(user: User) -> bool:
    """Whether ``user``'s role may list waiting patients by name (DRMG and CML).

    Every other role sees the waiting list as counts only; :func:`visible_waitlist` gives
    the entries themselves, within the user's territory. False for users without a profile.
    """
    try:
        return profile_for(user).role in WAITLIST_ROLES
    except PermissionDenied:
        return False


def can_see_full_hin(user: User, patient: Patient) -> bool:
    """Whether ``user`` may read ``patient``'s full health insurance number.

    True for the DRMG of the patient's region, a CML of the patient's RLS and the physician
    the patient is registered with today; False for everybody else, including users
    without a profile.
    """
    try:
        profile = profile_for(user)
    except PermissionDenied:
        return False
    if profile.role not in FULL_HIN_ROLES:
        return False
    return visible_patients(user).filter(pk=patient.pk).exists()


def access_rls(user: User, code: str) -> Rls:
    """The RLS ``code`` if ``user`` may see it.

    Raises:
        Http404: no such RLS, or not in the user's territory (indistinguishable on purpose).
    """
    return get_object_or_404(visible_rls(user), code=code)


def access_physician(user: User, code: str) -> Physician:
    """The physician ``code`` if ``user`` may see them.

    Raises:
        Http404: no such physician, or not visible to the user.
    """
    return get_object_or_404(visible_physicians(user).select_related("rls", "site"), code=code)


def access_patient(user: User, code: str) -> Patient:
    """The patient ``code`` if ``user`` may see them.

    Raises:
        Http404: no such patient, or not visible to the user.
    """
    return get_object_or_404(visible_patients(user).select_related("rls"), code=code)


def scope_label(user: User) -> str:
    """A short description of the user's territory, e.g. "Région Bas-Saint-Laurent",
    "RLS Rimouski-Neigette", "GMF du Fleuve de Rimouski", "Patientèle de Martin Lachance"."""
    profile = profile_for(user)
    if profile.role == Role.CML:
        names = ", ".join(rls.name for rls in visible_rls(user).order_by("name"))
        return _("RLS %(names)s") % {"names": names}
    if profile.role == Role.GMF_MANAGER and profile.gmf is not None:
        return profile.gmf.name  # a GMF's name says it is one: "GMF du Fleuve de Rimouski"
    if profile.role == Role.PHYSICIAN and profile.physician is not None:
        return _("Panel of %(name)s") % {"name": profile.physician.name}
    return _("Region %(name)s") % {"name": profile.region.name}
