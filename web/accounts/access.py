"""Who sees what, for which purpose: the one place that turns a user's role and territory
into querysets and checked objects.

Views and templates never filter territory or patients themselves, and services never
check them: a view starts from a ``visible_*`` queryset or fetches one object through an
``access_*`` function, once, and passes the checked objects down. An object outside the
user's territory answers 404 (Http404), so that its existence is not revealed; a role the
page is not for answers 403 (PermissionDenied), as does a user without a profile.

The same territory is not open to every role for every :class:`Purpose`:

* ``VIEW`` (the dashboard, RLS, physician and patient pages: counts and records):

  ==============  ===================  =====================  ======================  =========
  role            RLS                  physicians             patients                waitlist
  ==============  ===================  =====================  ======================  =========
  drmg            region               region                 region                  region
  ciusss_manager  region               region                 none                    none
  qi_coach        region               region                 none                    none
  guichet_agent   none (403)           none                   none                    none
  cml             their RLS            of their RLS           living in their RLS     their RLS
  gmf_manager     RLS of their GMF     members of their GMF   registered with one of  none
                                       today                  them today
  physician       their RLS            themself               registered with them    none
                                                              today
  ==============  ===================  =====================  ======================  =========

  The guichet's administrative agent reads none of these pages (403): their job is the
  LE 304 files, below, whose pages give what it needs.
* ``ATTRIBUTION`` (imports, decisions, runs and plans, letters, the history): the DRMG on
  the whole region and every RLS of it, a CML on their RLS; every other role is refused
  (403), except that a physician downloads their own letters of the region's approved runs.
* The LE 304 files for RAMQ (the approved runs' block transfers, their patients with the
  full health insurance number): the guichet's administrative agent and the DRMG of the
  region; every other role is refused (403).
* ``ASSIDUITY`` (the assiduity rates): the DRMG, the CMLs, the GMF managers and the
  physicians; the CISSS/CIUSSS managers and the QI coaches are refused (403). A
  computation is of the whole region (the rates need every visit of the region), started
  by the DRMG or a CML; each reads the results of the physicians they see: the DRMG every
  physician of the region, a CML those of their RLS, a GMF manager their GMF's members, a
  physician themself.

The full health insurance number is shown to the DRMG, to the CML of the patient's RLS and
to the patient's own physician; everybody else sees the masked number, except in an LE 304
file's patients.csv (RAMQ identifies the transferred patients by it). ``docs/access.md``
holds the same rules for every page.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts.models import Profile, Role
from web.assiduity.models import AssiduityRun, AssiduityRunStatus, DrmgNotice
from web.attribution.models import Le304File, Letter, ProblemReport, Run, RunStatus
from web.audit.models import AuditEvent, subjects_filter
from web.regions.models import (
    Establishment,
    Gmf,
    GmfMembership,
    Patient,
    Physician,
    Region,
    Registration,
    Rls,
    WaitlistEntry,
)
from web.tables import kinds
from web.tables.kinds import TableKind
from web.tables.models import Dataset, ImportJob

__all__ = [
    "Purpose",
    "access_activity",
    "access_agreement_rules",
    "access_assiduity_physician",
    "access_assiduity_region",
    "access_assiduity_run",
    "access_attribution_gmf",
    "access_comanagement_gmf",
    "access_comanagement_record",
    "access_committee_run",
    "access_completion",
    "access_dataset",
    "access_declaration",
    "access_drmg_notice",
    "access_drmg_notice_region",
    "access_gmf_target",
    "access_goal",
    "access_group",
    "access_import",
    "access_invitation",
    "access_le304_file",
    "access_le304_run",
    "access_letter",
    "access_letter_templates",
    "access_level_tables",
    "access_own_physician",
    "access_patient",
    "access_pdsa",
    "access_physician",
    "access_problem",
    "access_quality_region",
    "access_region",
    "access_region_settings",
    "access_rls",
    "access_run",
    "access_run_patient",
    "access_selection",
    "access_statistics_import",
    "access_territory",
    "access_waitlist",
    "allows",
    "assiduity_gmf_scope",
    "assiduity_rls_scope",
    "assiduity_scope",
    "can_answer_problems",
    "can_compute_assiduity",
    "can_decide_gmf_targets",
    "can_edit_letter_templates",
    "can_follow_group",
    "can_list_waitlist",
    "can_prepare_le304_files",
    "can_propose_gmf_target",
    "can_read_committee_list",
    "can_read_drmg_notices",
    "can_read_own_letters",
    "can_read_physician_figures",
    "can_record_drmg_notice",
    "can_review_declarations",
    "can_see_full_hin",
    "can_select_physicians",
    "can_work_on_region",
    "can_write_comanagement",
    "check_comanagement_write",
    "check_purpose",
    "check_works_on",
    "coach_groups",
    "comanagement_recipients",
    "comanagement_side",
    "importable_kinds",
    "invitable_physicians",
    "is_group_member",
    "own_attribution_gmf",
    "own_declarations",
    "own_physician",
    "problem_raising_rls",
    "profile_for",
    "quality_physician",
    "quality_side",
    "region_cmls",
    "region_drmgs",
    "scope_codes",
    "scope_label",
    "selectable_physicians",
    "statistics_gmfs",
    "visible_assiduity_runs",
    "visible_attribution_gmfs",
    "visible_audit_events",
    "visible_comanagement",
    "visible_comanagement_gmfs",
    "visible_declarations",
    "visible_drmg_notices",
    "visible_establishments",
    "visible_groups",
    "visible_imports",
    "visible_le304_files",
    "visible_le304_runs",
    "visible_letters",
    "visible_own_runs",
    "visible_patients",
    "visible_physicians",
    "visible_problems",
    "visible_rls",
    "visible_runs",
    "visible_waitlist",
]


class Purpose(enum.StrEnum):
    """Why a user asks for a territory: it is not open to the same roles for every purpose."""

    VIEW = "view"  # the dashboard, RLS, physician and patient pages
    ATTRIBUTION = "attribution"  # imports, decisions, runs, letters, the history
    ASSIDUITY = "assiduity"  # the assiduity rates and their computations
    COMANAGEMENT = "comanagement"  # the co-management of the professionals in GMFs
    QUALITY = "quality"  # the physicians' quality-improvement groups


# Roles that look at the whole region, but not all of them at patients. Not the guichet's
# agent: their job is the LE 304 files (issue 19), not the region's figures or physicians.
REGIONAL_ROLES = frozenset({Role.DRMG, Role.CIUSSS_MANAGER, Role.QI_COACH})
# Roles allowed to list waiting patients by name (their region or RLS).
WAITLIST_ROLES = frozenset({Role.DRMG, Role.CML})
# Roles allowed to read the full health insurance number of a patient they can see.
FULL_HIN_ROLES = frozenset({Role.DRMG, Role.CML, Role.PHYSICIAN})
# The roles each purpose is open to.
PURPOSE_ROLES: dict[Purpose, frozenset[str]] = {
    # The guichet's agent opens the LE 304 files' pages only (LE304_ROLES), none of these.
    Purpose.VIEW: frozenset(Role.values) - {Role.GUICHET_AGENT},
    Purpose.ATTRIBUTION: frozenset({Role.DRMG, Role.CML}),
    Purpose.ASSIDUITY: frozenset({Role.DRMG, Role.CML, Role.GMF_MANAGER, Role.PHYSICIAN}),
    Purpose.COMANAGEMENT: frozenset({Role.DRMG, Role.GMF_MANAGER, Role.CIUSSS_MANAGER}),
    Purpose.QUALITY: frozenset({Role.DRMG, Role.PHYSICIAN, Role.QI_COACH}),
}
# Roles that start (and cancel) the region's assiduity computations.
ASSIDUITY_COMPUTING_ROLES = frozenset({Role.DRMG, Role.CML})

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


def check_purpose(user: User, purpose: Purpose) -> Profile:
    """The profile of ``user`` if ``purpose`` is open to their role.

    Raises:
        PermissionDenied: no profile, or a role ``purpose`` is not open to.
    """
    profile = profile_for(user)
    if profile.role not in PURPOSE_ROLES[purpose]:
        raise PermissionDenied
    return profile


def allows(user: User, purpose: Purpose) -> bool:
    """Whether ``purpose`` is open to ``user``'s role (False without a profile): for the
    links of a page; the page itself asks :func:`check_purpose` or an ``access_*``."""
    try:
        check_purpose(user, purpose)
    except PermissionDenied:
        return False
    return True


def access_region(user: User, purpose: Purpose = Purpose.VIEW) -> Region:
    """The region ``user`` works in, for ``purpose``.

    Raises:
        PermissionDenied: see :func:`check_purpose`.
    """
    return check_purpose(user, purpose).region


def visible_rls(user: User, purpose: Purpose = Purpose.VIEW) -> QuerySet[Rls]:
    """The RLS whose figures ``user`` may see (``VIEW``) or works on (``ATTRIBUTION``: the
    DRMG every RLS of the region, a CML theirs).

    Raises:
        PermissionDenied: see :func:`check_purpose`.
    """
    profile = check_purpose(user, purpose)
    in_region = Rls.objects.filter(region_id=profile.region_id)
    if purpose == Purpose.ATTRIBUTION:
        return in_region if profile.role == Role.DRMG else in_region.filter(profiles=profile)
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
    """The physicians whose figures ``user`` may see.

    Raises:
        PermissionDenied: see :func:`check_purpose` (``VIEW``).
    """
    profile = check_purpose(user, Purpose.VIEW)
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
    :func:`can_see_full_hin` says otherwise).

    Raises:
        PermissionDenied: see :func:`check_purpose` (``VIEW``).
    """
    profile = check_purpose(user, Purpose.VIEW)
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


def access_waitlist(user: User, code: str) -> tuple[Rls, QuerySet[WaitlistEntry]]:
    """The RLS ``code`` and its waiting-list entries, if ``user`` may list them by name.

    Raises:
        Http404: no such RLS, or not in the user's territory.
        PermissionDenied: a role that sees the waiting list as counts only.
    """
    rls = access_rls(user, code)
    if not can_list_waitlist(user):
        raise PermissionDenied
    return rls, visible_waitlist(user).filter(rls=rls)


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


def access_rls(user: User, code: str, purpose: Purpose = Purpose.VIEW) -> Rls:
    """The RLS ``code`` if ``user`` may see it (or work on it, for ``ATTRIBUTION``).

    Raises:
        Http404: no such RLS, or not in the user's territory (indistinguishable on purpose).
        PermissionDenied: see :func:`check_purpose`.
    """
    return get_object_or_404(visible_rls(user, purpose).select_related("region"), code=code)


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


# --------------------------------------------------------------------------- who holds a role


def region_cmls(region: Region) -> QuerySet[Profile]:
    """The profiles of the CMLs of ``region`` (each with their RLS: the letters' contacts)."""
    return Profile.objects.filter(region=region, role=Role.CML)


def region_drmgs(region: Region) -> QuerySet[Profile]:
    """The profiles of the DRMG of ``region`` (who signs the letters)."""
    return Profile.objects.filter(region=region, role=Role.DRMG)


# --------------------------------------------------------------------------- attribution


def can_work_on_region(user: User) -> bool:
    """Whether ``user`` works on the whole region at once (imports, runs, quarterly
    tables of the region): the DRMG only."""
    try:
        return check_purpose(user, Purpose.ATTRIBUTION).role == Role.DRMG
    except PermissionDenied:
        return False


def scope_codes(user: User) -> list[str]:
    """The RLS codes whose rows an import of ``user`` replaces, an export holds or a
    decision may touch; an empty list means the whole region (the DRMG).

    Raises:
        PermissionDenied: a role that does not work on attribution, or a CML without an
            RLS (whose empty list must not read as the whole region).
    """
    if can_work_on_region(user):
        return []
    codes = sorted(visible_rls(user, Purpose.ATTRIBUTION).values_list("code", flat=True))
    if not codes:
        raise PermissionDenied
    return codes


def access_territory(user: User, rls_code: str) -> Rls | None:
    """What a run or a quarterly report of ``user`` covers: the RLS ``rls_code`` if they
    work on it, or the whole region (None) for an empty code.

    Raises:
        Http404: an RLS the user does not work on.
        PermissionDenied: a role that does not work on attribution, or the whole region
            asked by anybody but the DRMG.
    """
    if rls_code:
        return access_rls(user, rls_code, Purpose.ATTRIBUTION)
    check_purpose(user, Purpose.ATTRIBUTION)
    if not can_work_on_region(user):
        raise PermissionDenied
    return None


def check_works_on(user: User, rls_codes: Iterable[str], *, reveal: bool = False) -> None:
    """Check that ``user`` works on every RLS of ``rls_codes`` (the DRMG: any), for a
    check that only the data can tell: the RLS a roster holds a physician in, the RLS a
    locked decision was recorded for.

    Raises:
        Http404: one of the RLS is not the user's (PermissionDenied with ``reveal``: for
            an object the user sees already, whose existence is no secret).
        PermissionDenied: a role that does not work on attribution.
    """
    codes = set(scope_codes(user))
    if codes and not set(rls_codes) <= codes:
        raise PermissionDenied if reveal else Http404


def importable_kinds(user: User) -> list[TableKind]:
    """The kinds of table ``user`` may import, in declaration order: every kind for the
    DRMG; for a CML, the kinds whose rows an RLS holds (a ``scope_column``), not the
    region's own tables (visits, GMF sites, memberships...). The kinds imported elsewhere
    (the GMFs' statistics, on the co-management's pages, which check the GMFs of each row)
    are never offered here.

    Raises:
        PermissionDenied: a role that does not work on attribution, or a CML without an RLS.
    """
    own = [kind for kind in kinds.all_kinds() if kind.imported_on == "tables"]
    if not scope_codes(user):  # the DRMG
        return own
    return [kind for kind in own if kind.scope_column is not None]


def _tables_kinds() -> list[str]:
    """The kinds imported on /tables/ (not the co-management's statistics)."""
    return [kind.name for kind in kinds.all_kinds() if kind.imported_on == "tables"]


def visible_imports(user: User) -> list[ImportJob]:
    """The latest imports ``user`` may open, newest first: the region's for the DRMG,
    those of a CML's RLS (a scope within theirs) for a CML; PermissionDenied for others."""
    codes = set(scope_codes(user))
    jobs = ImportJob.objects.filter(
        region_id=profile_for(user).region_id, kind__in=_tables_kinds()
    ).select_related("created_by", "dataset")
    if not codes:  # the DRMG
        return list(jobs[:50])
    # JSON lists cannot be filtered as sets on SQLite: the last few hundred are enough.
    return [job for job in jobs[:500] if job.scope and set(job.scope) <= codes][:50]


def access_import(user: User, pk: int) -> ImportJob:
    """The import ``pk`` if ``user`` may open it: PermissionDenied for a role without
    imports, 404 for another region's or an RLS outside a CML's."""
    codes = set(scope_codes(user))
    job = (
        ImportJob.objects.filter(
            region_id=profile_for(user).region_id, pk=pk, kind__in=_tables_kinds()
        )
        .select_related("region", "created_by", "dataset")
        .first()
    )
    if job is None or (codes and not (job.scope and set(job.scope) <= codes)):
        raise Http404
    return job


def access_dataset(user: User, pk: int) -> Dataset:
    """The table version ``pk`` of the user's region, for an export (whose rows the caller
    restricts to :func:`scope_codes`), if its kind is one :func:`importable_kinds` gives
    the user: a CML never opens a version of the region's own tables (visits, GMF sites,
    memberships...), whose rows no RLS column can restrict to theirs.

    Raises:
        Http404: no such version in the user's region, or a kind the user does not import.
        PermissionDenied: a role that does not work on attribution.
    """
    names = [kind.name for kind in importable_kinds(user)]  # PermissionDenied for others
    region = profile_for(user).region_id
    return get_object_or_404(
        Dataset.objects.select_related("region"), pk=pk, region_id=region, kind__in=names
    )


def visible_runs(user: User) -> QuerySet[Run]:
    """The runs ``user`` may open: the DRMG's region, the CML's RLS.

    Raises:
        PermissionDenied: a role that does not work on attribution.
    """
    profile = check_purpose(user, Purpose.ATTRIBUTION)
    in_region = Run.objects.filter(region_id=profile.region_id)
    if profile.role == Role.DRMG:
        return in_region
    return in_region.filter(rls__in=visible_rls(user, Purpose.ATTRIBUTION))


def access_run(user: User, pk: int) -> Run:
    """The run ``pk`` if ``user`` may open it.

    Raises:
        Http404: no such run, or not in the user's territory.
        PermissionDenied: a role that does not work on attribution.
    """
    return get_object_or_404(visible_runs(user).select_related("region", "rls"), pk=pk)


def access_run_patient(user: User, run: Run, patient_code: str) -> WaitlistEntry:
    """The waiting-list entry of ``patient_code`` in ``run``'s territory (``run`` checked
    by :func:`access_run`): the DRMG and the CML of the run's RLS see a plan's patients.

    Raises:
        Http404: no such entry in the run's territory.
    """
    entries = WaitlistEntry.objects.select_related("rls", "rls__region").filter(
        region_id=run.region_id, patient_code=patient_code
    )
    if run.rls_id is not None:
        entries = entries.filter(rls_id=run.rls_id)
    return get_object_or_404(entries)


def own_physician(user: User) -> Physician | None:
    """The physician record of a physician user, None for other roles."""
    profile = profile_for(user)
    if profile.role == Role.PHYSICIAN:
        return profile.physician
    return None


def can_read_own_letters(user: User) -> bool:
    """Whether ``user`` is a physician with their record (their letters and pace)."""
    try:
        return own_physician(user) is not None
    except PermissionDenied:
        return False


def access_own_physician(user: User) -> Physician:
    """The physician record of a physician user (their own letters and pace).

    Raises:
        PermissionDenied: any other role, or a physician's profile without its record.
    """
    physician = own_physician(user)
    if physician is None:
        raise PermissionDenied
    return physician


def visible_own_runs(user: User) -> QuerySet[Run]:
    """The approved runs in force of a physician user's region: those whose letters, expected
    patients and pace they read (counts only), never a run's page.

    Raises:
        PermissionDenied: any other role, or a physician's profile without its record.
    """
    physician = access_own_physician(user)
    # Only the plans in force: a superseded plan's letters are not the physician's any
    # more (docs/decisions.md, "One approved plan per territory").
    return Run.objects.filter(region_id=physician.rls.region_id).in_force()


def visible_letters(user: User) -> QuerySet[Letter]:
    """Letters ``user`` may download: of the runs they see, or a physician's own letters
    of the approved runs of their region (:func:`visible_own_runs`).

    Raises:
        PermissionDenied: a role that neither works on attribution nor is a physician.
    """
    physician = own_physician(user)
    if physician is not None:
        return Letter.objects.filter(run__in=visible_own_runs(user), physician_code=physician.code)
    return Letter.objects.filter(run__in=visible_runs(user))


def access_letter(user: User, pk: int) -> Letter:
    """The letter ``pk`` if ``user`` may download it.

    Raises:
        Http404: no such letter, or not one of the user's.
        PermissionDenied: see :func:`visible_letters`.
    """
    return get_object_or_404(visible_letters(user).select_related("run", "run__region"), pk=pk)


def can_edit_letter_templates(user: User) -> bool:
    """The DRMG edits the letters' templates."""
    return can_work_on_region(user)


def access_letter_templates(user: User) -> Region:
    """The region whose letter templates ``user`` edits.

    Raises:
        PermissionDenied: anybody but the DRMG.
    """
    if not can_edit_letter_templates(user):
        raise PermissionDenied
    return profile_for(user).region


def access_region_settings(user: User, region_code: str) -> Region:
    """The region ``region_code`` whose settings ``user`` sets (the contact attempts before
    a proposed patient is returned as unreachable): the DRMG of that region only.

    Raises:
        PermissionDenied: anybody but a DRMG (a CML, a physician, a superuser without a
            profile: administering the system is not setting a region's rules).
        Http404: a region other than the DRMG's.
    """
    if not can_work_on_region(user):
        raise PermissionDenied
    region = profile_for(user).region
    if region.code != region_code:
        raise Http404
    return region


# --------------------------------------------------------------------------- assiduity


def can_compute_assiduity(user: User) -> bool:
    """Whether ``user`` starts and cancels the assiduity computations of their region: the
    DRMG, and a CML with an RLS (docs/decisions.md, "An assiduity computation is of the
    whole region"). False without a profile."""
    try:
        profile = check_purpose(user, Purpose.ASSIDUITY)
    except PermissionDenied:
        return False
    if profile.role == Role.CML:
        return profile.rls.exists()
    return profile.role in ASSIDUITY_COMPUTING_ROLES


def access_assiduity_region(user: User) -> Region:
    """The region whose assiduity ``user`` computes (:func:`can_compute_assiduity`).

    Raises:
        PermissionDenied: any other role, a CML without an RLS, a user without a profile.
    """
    if not can_compute_assiduity(user):
        raise PermissionDenied
    return profile_for(user).region


def visible_assiduity_runs(user: User) -> QuerySet[AssiduityRun]:
    """The assiduity computations ``user`` may open, of their region: every one for the
    DRMG and the CMLs (who start them and follow their progress), the finished ones (DONE)
    for a GMF manager or a physician, who read their results.

    Raises:
        PermissionDenied: a role the assiduity is not open to (``Purpose.ASSIDUITY``).
    """
    profile = check_purpose(user, Purpose.ASSIDUITY)
    runs = AssiduityRun.objects.filter(region_id=profile.region_id)
    if profile.role in ASSIDUITY_COMPUTING_ROLES:
        return runs
    return runs.filter(status=AssiduityRunStatus.DONE)


def access_assiduity_run(user: User, pk: int, *, compute: bool = False) -> AssiduityRun:
    """The assiduity computation ``pk`` if ``user`` may open it (``compute``: and cancel
    it, as :func:`can_compute_assiduity`).

    Raises:
        Http404: no such computation in the user's region (or not finished, for a role
            that only reads results).
        PermissionDenied: a role the assiduity is not open to; with ``compute``, a role
            that does not compute.
    """
    if compute:
        access_assiduity_region(user)
    return get_object_or_404(
        visible_assiduity_runs(user).select_related("region", "created_by"), pk=pk
    )


def assiduity_scope(user: User) -> frozenset[str] | None:
    """The physicians whose assiduity results ``user`` may read, by code: None for the
    DRMG, who reads every row of the region's results (among them physicians the roster
    does not list); a CML, those of their RLS; a GMF manager, the members of their GMF
    today; a physician, themself (:func:`visible_physicians`).

    Raises:
        PermissionDenied: a role the assiduity is not open to.
    """
    profile = check_purpose(user, Purpose.ASSIDUITY)
    if profile.role == Role.DRMG:
        return None
    return frozenset(visible_physicians(user).values_list("code", flat=True))


def access_assiduity_physician(user: User, run: AssiduityRun, code: str) -> str:
    """The physician ``code`` of ``run`` (checked by :func:`access_assiduity_run`) if
    ``user`` may read their results (:func:`assiduity_scope`). Whether the run has a row
    for them is the results' to say (the page answers 404 when it has none).

    Raises:
        Http404: a physician outside the user's scope (another physician, another RLS's,
            a physician not of their GMF).
        PermissionDenied: a role the assiduity is not open to.
    """
    scope = assiduity_scope(user)
    if run.region_id != profile_for(user).region_id or (scope is not None and code not in scope):
        raise Http404
    return code


# ---- assiduity: the GMFs' rates, the distribution and the trends per RLS


def assiduity_gmf_scope(user: User) -> frozenset[str] | None:
    """The GMFs whose own assiduity rate ``user`` may read, by code: None for the DRMG (every
    GMF of the region's results, among them GMFs the region's list does not name); a CML,
    the GMFs of their RLS; a GMF manager, their GMF (none without one).

    Raises:
        PermissionDenied: a physician, or a role the assiduity is not open to.
    """
    profile = check_purpose(user, Purpose.ASSIDUITY)
    if profile.role == Role.DRMG:
        return None
    if profile.role == Role.CML:
        rls = visible_rls(user, Purpose.ASSIDUITY)
        return frozenset(Gmf.objects.filter(rls__in=rls).values_list("code", flat=True))
    if profile.role == Role.GMF_MANAGER:
        return frozenset() if profile.gmf is None else frozenset({profile.gmf.code})
    raise PermissionDenied


def assiduity_rls_scope(user: User) -> frozenset[str] | None:
    """The RLS whose distribution of assiduity rates and trends ``user`` may read, by code:
    None for the DRMG (every RLS, and the physicians of no known RLS); a CML, theirs.

    Raises:
        PermissionDenied: any other role (a GMF manager, a physician), or a role the
            assiduity is not open to.
    """
    profile = check_purpose(user, Purpose.ASSIDUITY)
    if profile.role == Role.DRMG:
        return None
    if profile.role == Role.CML:
        return frozenset(visible_rls(user, Purpose.ASSIDUITY).values_list("code", flat=True))
    raise PermissionDenied


# ---- assiduity: the DRMG's notices (EP 40, 15.01 B) and the paritary committee's list
# (EP 40, 15.04)

# Roles that read the DRMG's notices and the paritary committee's list: the DRMG (the
# region's), a CML (their RLS's physicians'). The notices are the DRMG's own decisions;
# a physician or a GMF manager sees their effect (deemed to meet the target) in the rates.
ASSIDUITY_REVIEW_ROLES = frozenset({Role.DRMG, Role.CML})


def _review_profile(user: User) -> Profile:
    """The profile of ``user`` if they read the notices and the committee's list.

    Raises:
        PermissionDenied: any other role, a user without a profile.
    """
    profile = check_purpose(user, Purpose.ASSIDUITY)
    if profile.role not in ASSIDUITY_REVIEW_ROLES:
        raise PermissionDenied
    return profile


def can_record_drmg_notice(user: User) -> bool:
    """Whether ``user`` records and withdraws DRMG notices (EP 40, 15.01 B): the DRMG
    only, of their region. False without a profile."""
    try:
        return check_purpose(user, Purpose.ASSIDUITY).role == Role.DRMG
    except PermissionDenied:
        return False


def access_drmg_notice_region(user: User) -> Region:
    """The region whose DRMG notices ``user`` records (:func:`can_record_drmg_notice`).

    Raises:
        PermissionDenied: anybody but the DRMG.
    """
    if not can_record_drmg_notice(user):
        raise PermissionDenied
    return profile_for(user).region


def can_read_drmg_notices(user: User) -> bool:
    """Whether ``user`` opens DRMG notices (:func:`visible_drmg_notices`): the DRMG and
    the CMLs. False without a profile (for a page's links)."""
    try:
        _review_profile(user)
    except PermissionDenied:
        return False
    return True


def visible_drmg_notices(user: User) -> QuerySet[DrmgNotice]:
    """The DRMG notices ``user`` may open, withdrawn ones included: every notice of the
    region for the DRMG; for a CML, those of the physicians of their RLS (today's roster:
    :func:`visible_physicians`).

    Raises:
        PermissionDenied: a GMF manager, a physician, any role the assiduity is not open
            to, a user without a profile.
    """
    profile = _review_profile(user)
    notices = DrmgNotice.objects.filter(region_id=profile.region_id)
    if profile.role == Role.DRMG:
        return notices
    return notices.filter(physician_code__in=visible_physicians(user).values("code"))


def access_drmg_notice(user: User, pk: int, *, record: bool = False) -> DrmgNotice:
    """The DRMG notice ``pk`` if ``user`` may open it (``record``: and withdraw it, as
    :func:`can_record_drmg_notice`).

    Raises:
        Http404: no such notice among the user's (another region's, another RLS's
            physician's).
        PermissionDenied: a role that does not read the notices; with ``record``, anybody
            but the DRMG.
    """
    if record:
        access_drmg_notice_region(user)
    return get_object_or_404(
        visible_drmg_notices(user).select_related("region", "recorded_by", "withdrawn_by"),
        pk=pk,
    )


def can_read_committee_list(user: User) -> bool:
    """Whether ``user`` reads the paritary committee's list of a computation (EP 40,
    15.04): the DRMG (the region's physicians) and the CMLs (their RLS's). False without
    a profile (for a page's links)."""
    return can_read_drmg_notices(user)


def access_committee_run(user: User, pk: int) -> AssiduityRun:
    """The assiduity computation ``pk`` (:func:`access_assiduity_run`) if ``user`` reads
    its paritary committee's list; the rows are then those of :func:`assiduity_scope`.

    Raises:
        PermissionDenied: a GMF manager, a physician, any role the assiduity is not open
            to, a user without a profile.
        Http404: no such computation in the user's region.
    """
    _review_profile(user)
    return access_assiduity_run(user, pk)


# --------------------------------------------------------------------------- co-management
# The GMF programme's records (docs/comanagement-plan.md, section 3). Each side sees and
# writes its own: the GMF manager their GMF, the CISSS/CIUSSS manager the GMFs of their
# establishment (the establishment of the GMF's RLS), the DRMG reads every GMF of the
# region and writes only the region's level table. A record outside the user's GMFs is
# 404; a write that belongs to the other side is 403.

COMANAGEMENT_SIDES = {Role.DRMG: "drmg", Role.GMF_MANAGER: "gmf", Role.CIUSSS_MANAGER: "ciusss"}


def _comanagement_profile(user: User) -> Profile:
    profile = check_purpose(user, Purpose.COMANAGEMENT)
    if profile.role == Role.GMF_MANAGER and profile.gmf_id is None:
        raise PermissionDenied
    if profile.role == Role.CIUSSS_MANAGER and profile.establishment_id is None:
        raise PermissionDenied
    return profile


def comanagement_side(user: User) -> str:
    """``"drmg"``, ``"gmf"`` or ``"ciusss"``: the side ``user`` works for.

    Raises:
        PermissionDenied: another role, a GMF manager without a GMF, a CISSS/CIUSSS
            manager without an establishment, no profile.
    """
    return COMANAGEMENT_SIDES[Role(_comanagement_profile(user).role)]


def visible_comanagement_gmfs(user: User) -> QuerySet[Gmf]:
    """The GMFs whose co-management ``user`` sees: the region's for the DRMG, their GMF
    for a GMF manager, the GMFs of their establishment's RLS for a CISSS/CIUSSS manager."""
    profile = _comanagement_profile(user)
    gmfs = Gmf.objects.filter(rls__region_id=profile.region_id).select_related("rls")
    if profile.role == Role.GMF_MANAGER:
        return gmfs.filter(pk=profile.gmf_id)
    if profile.role == Role.CIUSSS_MANAGER:
        return gmfs.filter(rls__establishment_id=profile.establishment_id)
    return gmfs


def access_comanagement_gmf(user: User, code: str) -> Gmf:
    """The GMF ``code`` if ``user`` sees its co-management; 404 otherwise."""
    return get_object_or_404(visible_comanagement_gmfs(user), code=code)


def visible_comanagement(user: User, model: type[Any]) -> QuerySet[Any]:
    """The rows of a co-management ``model`` (one with a ``GMF_PATH``) of the GMFs
    ``user`` sees."""
    gmfs = visible_comanagement_gmfs(user)
    return model.objects.filter(**{f"{model.GMF_PATH}__in": gmfs})


def can_write_comanagement(user: User, owner: str) -> bool:
    """Whether ``user`` writes for ``owner`` (``"gmf"``, ``"ciusss"`` or ``"both"``): a
    record's side or an action's; for the buttons of a page. The DRMG never writes."""
    try:
        side = comanagement_side(user)
    except PermissionDenied:
        return False
    return side != "drmg" and owner in (side, "both")


def access_comanagement_record(
    user: User, model: type[Any], pk: int, *, write: str | None = None
) -> Any:
    """The record ``pk`` of ``model`` if ``user`` sees its GMF (404 otherwise).

    Args:
        write: the side the action belongs to: ``"gmf"`` (propose a schedule),
            ``"ciusss"`` (validate it), ``"both"`` (either side: sign a target) or
            ``"owner"`` (the record's own ``owner``/``OWNER``, e.g. an integration item).

    Raises:
        PermissionDenied: ``write`` is not the user's side (always for the DRMG).
    """
    record = get_object_or_404(visible_comanagement(user, model), pk=pk)
    if write is not None:
        owner = write
        if write == "owner":
            owner = getattr(record, "owner", None) or model.OWNER
        if not can_write_comanagement(user, owner):
            raise PermissionDenied
    return record


def check_comanagement_write(user: User, owner: str) -> str:
    """The side of ``user`` if it writes for ``owner``; PermissionDenied otherwise (a
    page that creates a record of a GMF: the GMF is checked by
    :func:`access_comanagement_gmf`)."""
    side = comanagement_side(user)
    if not can_write_comanagement(user, owner):
        raise PermissionDenied
    return side


def access_level_tables(user: User, *, edit: bool = False) -> Region:
    """The region whose GMF level tables ``user`` reads (the three co-management roles)
    or, with ``edit``, publishes (the DRMG only; others 403)."""
    profile = _comanagement_profile(user)
    if edit and profile.role != Role.DRMG:
        raise PermissionDenied
    return profile.region


def visible_establishments(user: User) -> QuerySet[Establishment]:
    """The establishments whose agreement rules ``user`` reads: the region's for the
    DRMG, theirs for a CISSS/CIUSSS manager, their GMF's for a GMF manager."""
    profile = _comanagement_profile(user)
    establishments = Establishment.objects.filter(region_id=profile.region_id)
    if profile.role == Role.CIUSSS_MANAGER:
        return establishments.filter(pk=profile.establishment_id)
    if profile.role == Role.GMF_MANAGER:
        return establishments.filter(rls_set__gmfs=profile.gmf_id)
    return establishments


def access_agreement_rules(user: User, code: str, *, edit: bool = False) -> Establishment:
    """The establishment ``code`` whose agreement rules ``user`` reads (404 outside
    :func:`visible_establishments`) or, with ``edit``, publishes (its CISSS/CIUSSS
    manager only; others 403)."""
    establishment = get_object_or_404(visible_establishments(user), code=code)
    if edit and profile_for(user).role != Role.CIUSSS_MANAGER:
        raise PermissionDenied
    return establishment


def statistics_gmfs(user: User) -> frozenset[str]:
    """The codes of the GMFs whose statistics ``user`` may import: their establishment's
    for a CISSS/CIUSSS manager, their GMF for a GMF manager; the DRMG reads, 403."""
    if comanagement_side(user) == "drmg":
        raise PermissionDenied
    return frozenset(visible_comanagement_gmfs(user).values_list("code", flat=True))


def access_statistics_import(user: User, pk: int) -> ImportJob:
    """The statistics import ``pk`` of the user's region: its importer's, or any for the
    DRMG (to read); 404 otherwise."""
    profile = _comanagement_profile(user)
    jobs = ImportJob.objects.filter(
        region_id=profile.region_id, kind="gmf_statistics"
    ).select_related("region", "created_by", "dataset")
    if profile.role != Role.DRMG:
        jobs = jobs.filter(created_by_id=user.pk)
    return get_object_or_404(jobs, pk=pk)


def comanagement_recipients(gmf: Gmf, owner: str) -> QuerySet[Any]:
    """The users alerted for an obligation of ``gmf`` owned by ``owner``: the GMF's
    managers (``"gmf"``), the managers of its establishment (``"ciusss"``), or both."""
    from django.contrib.auth import get_user_model

    sides = Q()
    if owner in ("gmf", "both"):
        sides |= Q(profile__role=Role.GMF_MANAGER, profile__gmf=gmf)
    if owner in ("ciusss", "both") and gmf.rls.establishment_id is not None:
        sides |= Q(
            profile__role=Role.CIUSSS_MANAGER,
            profile__establishment_id=gmf.rls.establishment_id,
        )
    if not sides:
        return get_user_model().objects.none()
    return get_user_model().objects.filter(sides, is_active=True).order_by("username")


# --------------------------------------------------------------------------- quality groups
# The physicians' quality-improvement groups (docs/quality-plan.md, section 3). A physician
# sees their own activities, the groups they founded, are invited to or belong to, and the
# group's plan; members see each other's completion, not each other's answers or figures
# unless shared; a coach sees the groups they follow (and the region's groups no coach
# follows yet, to take them up), nothing of the physicians outside them but their names
# for the selection; the DRMG sees counts. Outside: 404; the wrong role: 403.

QUALITY_SIDES = {Role.DRMG: "drmg", Role.PHYSICIAN: "physician", Role.QI_COACH: "coach"}


def _quality_profile(user: User) -> Profile:
    profile = check_purpose(user, Purpose.QUALITY)
    if profile.role == Role.PHYSICIAN and profile.physician_id is None:
        raise PermissionDenied
    return profile


def quality_side(user: User) -> str:
    """``"physician"``, ``"coach"`` or ``"drmg"``: who ``user`` is in the QI groups.

    Raises:
        PermissionDenied: another role, a physician user without a physician record, no
            profile.
    """
    return QUALITY_SIDES[Role(_quality_profile(user).role)]


def quality_physician(user: User) -> Physician:
    """The physician ``user`` is (403 for another side)."""
    profile = _quality_profile(user)
    if profile.role != Role.PHYSICIAN:
        raise PermissionDenied
    assert profile.physician is not None
    return profile.physician


def _member_groups(physician_id: int) -> Q:
    """The groups ``physician_id`` founded or accepted to join."""
    return Q(founder_id=physician_id) | Q(
        invitations__physician_id=physician_id, invitations__status="accepted"
    )


def visible_groups(user: User) -> QuerySet[Any]:
    """The QI groups ``user`` sees: a physician's own (founded, invited to, member of); a
    coach's followed ones and the region's without a coach; the DRMG's region's."""
    from web.quality.models import Group

    profile = _quality_profile(user)
    groups = Group.objects.filter(region_id=profile.region_id)
    if profile.role == Role.PHYSICIAN:
        return groups.filter(
            _member_groups(profile.physician_id)
            | Q(invitations__physician_id=profile.physician_id, invitations__status="pending")
        ).distinct()
    if profile.role == Role.QI_COACH:
        return groups.filter(Q(coach_id=user.pk) | Q(coach__isnull=True))
    return groups


def is_group_member(user: User, group: Any) -> bool:
    """Whether ``user`` is a physician member of ``group`` (its founder or accepted)."""
    try:
        profile = _quality_profile(user)
    except PermissionDenied:
        return False
    if profile.role != Role.PHYSICIAN:
        return False
    return type(group).objects.filter(_member_groups(profile.physician_id), pk=group.pk).exists()


def access_group(user: User, pk: int, *, write: str | None = None) -> Any:
    """The group ``pk`` if ``user`` sees it (404 otherwise).

    Args:
        write: ``"member"`` (a member physician writes: invite, activities, the plan),
            ``"coach"`` (the coach following it: review; a coach takes up a group without
            one through :func:`can_follow_group`).

    Raises:
        PermissionDenied: ``write`` is not the user's part in the group.
    """
    group = get_object_or_404(visible_groups(user), pk=pk)
    if write == "member" and not is_group_member(user, group):
        raise PermissionDenied
    if write == "coach" and not (quality_side(user) == "coach" and group.coach_id == user.pk):
        raise PermissionDenied
    return group


def can_follow_group(user: User, group: Any) -> bool:
    """Whether ``user`` (a coach) may take up ``group``: it has no coach yet."""
    try:
        return quality_side(user) == "coach" and group.coach_id is None
    except PermissionDenied:
        return False


def access_activity(user: User, pk: int, *, write: bool = False) -> Any:
    """The activity ``pk``: its physician (read and write); another member or the group's
    coach, only when the physician shares it (read); 404 otherwise."""
    from web.quality.models import Activity

    activity = get_object_or_404(
        Activity.objects.select_related("group", "physician"),
        pk=pk,
        group__in=visible_groups(user),
    )
    profile = _quality_profile(user)
    own = profile.role == Role.PHYSICIAN and activity.physician_id == profile.physician_id
    if own:
        return activity
    if write or not activity.shared:
        raise Http404
    if profile.role == Role.PHYSICIAN and is_group_member(user, activity.group):
        return activity
    if profile.role == Role.QI_COACH and activity.group.coach_id == user.pk:
        return activity
    raise Http404


def can_select_physicians(user: User) -> bool:
    """Whether ``user`` marks the physicians selected for the cycle: a coach, the DRMG."""
    try:
        return quality_side(user) in ("coach", "drmg")
    except PermissionDenied:
        return False


def access_quality_region(user: User, *, select: bool = False, drmg: bool = False) -> Region:
    """The region of ``user``'s QI pages; ``select``: a coach or the DRMG (the cycle's
    selection); ``drmg``: the DRMG only (counts, credits). 403 otherwise."""
    profile = _quality_profile(user)
    if select and profile.role not in (Role.QI_COACH, Role.DRMG):
        raise PermissionDenied
    if drmg and profile.role != Role.DRMG:
        raise PermissionDenied
    return profile.region


def invitable_physicians(user: User, group: Any) -> QuerySet[Physician]:
    """The physicians a member may invite to ``group``: the region's, not yet members or
    invited (pending)."""
    taken = group.invitations.filter(status__in=["pending", "accepted"]).values("physician_id")
    return (
        Physician.objects.filter(rls__region_id=group.region_id)
        .exclude(pk=group.founder_id)
        .exclude(pk__in=taken)
        .order_by("name")
    )


def access_goal(user: User, pk: int, *, write: str | None = None) -> Any:
    """The goal ``pk`` of the plan of a group ``user`` sees (404 otherwise), with
    :func:`access_group`'s ``write``."""
    from web.quality.models import Goal

    goal = get_object_or_404(
        Goal.objects.select_related("plan__group"), pk=pk, plan__group__in=visible_groups(user)
    )
    access_group(user, goal.plan.group_id, write=write)
    return goal


def access_pdsa(user: User, pk: int) -> Any:
    """The PDSA cycle ``pk`` of a goal of a group ``user`` sees (404 otherwise)."""
    from web.quality.models import PdsaCycle

    return get_object_or_404(
        PdsaCycle.objects.select_related("goal__plan__group"),
        pk=pk,
        goal__plan__group__in=visible_groups(user),
    )


def access_completion(user: User, pk: int) -> Any:
    """The completion ``pk`` (a member's certificate): to its physician and to the
    group's coach only; 404 for anyone else, a member of the same group too."""
    from web.quality.models import Completion

    completion = get_object_or_404(
        Completion.objects.select_related(
            "physician", "group", "group__region", "group__coach", "selection", "credits_version"
        ),
        pk=pk,
        group__in=visible_groups(user),
    )
    side = quality_side(user)
    if side == "physician" and quality_physician(user).pk == completion.physician_id:
        return completion
    if side == "coach" and completion.group.coach_id == user.pk:
        return completion
    raise Http404


def can_read_physician_figures(user: User, physician: Physician, group: Any = None) -> bool:
    """Whether ``user`` reads ``physician``'s platform figures in the QI pages: themself;
    a member of ``group`` or its coach when the physician shares their Data-Driven QI in
    it. Never another physician's otherwise (peers are shown as distributions only)."""
    try:
        profile = _quality_profile(user)
    except PermissionDenied:
        return False
    if profile.role == Role.PHYSICIAN and profile.physician_id == physician.pk:
        return True
    if group is None:
        return False
    shared = group.activities.filter(
        physician=physician, kind="data_driven_qi", shared=True
    ).exists()
    if not shared:
        return False
    if profile.role == Role.QI_COACH:
        return group.coach_id == user.pk
    return is_group_member(user, group)


def coach_groups(user: User) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """The coach's dashboard: the groups ``user`` follows (members and progress shown), and
    the region's groups no coach follows yet (to take up: name and size only).

    Raises:
        PermissionDenied: ``user`` is not a QI coach (the DRMG reads counts only).
    """
    if quality_side(user) != "coach":
        raise PermissionDenied
    groups = visible_groups(user)
    return groups.filter(coach_id=user.pk), groups.filter(coach__isnull=True)


def access_invitation(user: User, pk: int, *, write: str) -> Any:
    """The invitation ``pk`` to a group ``user`` sees (404 otherwise), for ``write``:
    ``"answer"`` (its invitee) or ``"withdraw"`` (a member of its group).

    Raises:
        PermissionDenied: ``write`` is not the user's part in the invitation.
    """
    from web.quality.models import Invitation

    invitation = get_object_or_404(
        Invitation.objects.select_related("group", "physician"),
        pk=pk,
        group__in=visible_groups(user),
    )
    if write == "answer":
        profile = _quality_profile(user)
        if profile.role != Role.PHYSICIAN or invitation.physician_id != profile.physician_id:
            raise PermissionDenied
    elif write == "withdraw":
        if not is_group_member(user, invitation.group):
            raise PermissionDenied
    else:
        raise ValueError(f"unknown invitation write {write!r}")
    return invitation


def selectable_physicians(user: User) -> QuerySet[Physician]:
    """The physicians a coach or the DRMG selects for the cycle: the region's, by name
    (403 for a physician)."""
    region = access_quality_region(user, select=True)
    return Physician.objects.filter(rls__region_id=region.pk).order_by("name")


def access_selection(user: User, pk: int) -> Any:
    """The selection ``pk`` of the region of ``user``, a coach or the DRMG (a physician:
    403; another region's: 404)."""
    from web.quality.models import Selection

    region = access_quality_region(user, select=True)
    return get_object_or_404(
        Selection.objects.select_related("physician", "region"), pk=pk, region=region
    )


# --- issue 19: problems
# The problems a CML raises to the DRMG (seed 002, section 4: « informer le DRMG de toutes
# situations problématiques »; 5.3.5). Purpose ATTRIBUTION: every other role 403. A CML
# raises them for their RLS and reads those of their RLS (the DRMG's answer included); the
# DRMG reads the region's, answers and closes them. Another RLS's or region's: 404.


def visible_problems(user: User) -> QuerySet[ProblemReport]:
    """The problems ``user`` reads, newest first: the region's for the DRMG, those of
    their RLS for a CML.

    Raises:
        PermissionDenied: a role that does not work on attribution.
    """
    profile = check_purpose(user, Purpose.ATTRIBUTION)
    problems = ProblemReport.objects.filter(region_id=profile.region_id)
    if profile.role == Role.DRMG:
        return problems
    return problems.filter(rls__in=visible_rls(user, Purpose.ATTRIBUTION))


def can_answer_problems(user: User) -> bool:
    """Whether ``user`` answers and closes the problems of their region: the DRMG only."""
    return can_work_on_region(user)


def access_problem(user: User, pk: int, *, answer: bool = False) -> ProblemReport:
    """The problem ``pk`` if ``user`` reads it; with ``answer``, if they also answer and
    close it (the DRMG).

    Raises:
        Http404: no such problem, or not of the user's RLS or region.
        PermissionDenied: a role that does not work on attribution; with ``answer``, a CML.
    """
    problem = get_object_or_404(
        visible_problems(user).select_related(
            "region", "rls", "gmf", "raised_by", "answered_by", "closed_by"
        ),
        pk=pk,
    )
    if answer and not can_answer_problems(user):
        raise PermissionDenied
    return problem


def problem_raising_rls(user: User) -> QuerySet[Rls]:
    """The RLS ``user`` raises problems for: a CML's own RLS. The DRMG, to whom they are
    raised, and every other role: 403.

    Raises:
        PermissionDenied: not a CML, or a CML without an RLS.
    """
    profile = check_purpose(user, Purpose.ATTRIBUTION)
    if profile.role != Role.CML:
        raise PermissionDenied
    rls = visible_rls(user, Purpose.ATTRIBUTION).order_by("name")
    if not rls.exists():
        raise PermissionDenied
    return rls


# --- issue 19: declarations
# The physicians' own declarations (seed 002, sections 3, 4, 5.3.6 and 7). A physician
# declares and reads their own (access_own_physician: every other role 403); the CML of the
# physician's RLS answers them; the DRMG reads the region's, read-only. Purpose
# ATTRIBUTION for the review pages: every other role 403 (a physician too); a declaration
# of another RLS or region: 404.


def own_declarations(user: User) -> QuerySet[Any]:
    """A physician user's own declarations, newest first.

    Raises:
        PermissionDenied: any other role, or a physician's profile without its record.
    """
    from web.attribution.models import PhysicianDeclaration

    physician = access_own_physician(user)
    return PhysicianDeclaration.objects.filter(physician=physician).select_related("reviewed_by")


def visible_declarations(user: User) -> QuerySet[Any]:
    """The declarations ``user`` reviews or reads: the region's for the DRMG, those of the
    physicians of their RLS for a CML.

    Raises:
        PermissionDenied: a role that does not work on attribution.
    """
    from web.attribution.models import PhysicianDeclaration

    profile = check_purpose(user, Purpose.ATTRIBUTION)
    declarations = PhysicianDeclaration.objects.filter(region_id=profile.region_id)
    if profile.role != Role.DRMG:
        declarations = declarations.filter(
            physician__rls__in=visible_rls(user, Purpose.ATTRIBUTION)
        )
    return declarations.select_related("physician", "physician__rls", "region", "reviewed_by")


def can_review_declarations(user: User) -> bool:
    """Whether ``user`` answers the declarations they see: a CML (of the physicians' RLS,
    :func:`visible_declarations`); the DRMG reads them only."""
    try:
        return check_purpose(user, Purpose.ATTRIBUTION).role == Role.CML
    except PermissionDenied:
        return False


def access_declaration(user: User, pk: int, *, review: bool = False) -> Any:
    """The declaration ``pk`` if ``user`` reads it; with ``review``, if they answer it.

    Raises:
        Http404: no such declaration, or not of the user's RLS or region.
        PermissionDenied: a role that does not work on attribution; with ``review``, the
            DRMG.
    """
    declaration = get_object_or_404(visible_declarations(user), pk=pk)
    if review and not can_review_declarations(user):
        raise PermissionDenied
    return declaration


# --- issue 19: gmfs
# The GMFs in the attribution (seed 002, section 4: the GMF « convient avec le CML de la
# cible d'attribution »). A GMF manager reads their GMF's page (members, target, progress)
# and proposes its target; the CML reads the GMFs of their RLS and decides the proposals;
# the DRMG reads the region's. Every other role, and a GMF manager without a GMF: 403; a
# GMF or a proposal outside the user's: 404.

GMF_ATTRIBUTION_ROLES = frozenset({Role.DRMG, Role.CML, Role.GMF_MANAGER})


def _gmf_attribution_profile(user: User) -> Profile:
    profile = profile_for(user)
    if profile.role not in GMF_ATTRIBUTION_ROLES:
        raise PermissionDenied
    if profile.role == Role.GMF_MANAGER and profile.gmf_id is None:
        raise PermissionDenied
    return profile


def visible_attribution_gmfs(user: User) -> QuerySet[Gmf]:
    """The GMFs whose attribution page ``user`` reads: the region's for the DRMG, those of
    their RLS for a CML, their GMF for a GMF manager.

    Raises:
        PermissionDenied: another role, or a GMF manager without a GMF.
    """
    profile = _gmf_attribution_profile(user)
    gmfs = Gmf.objects.filter(rls__region_id=profile.region_id).select_related("rls", "rls__region")
    if profile.role == Role.GMF_MANAGER:
        return gmfs.filter(pk=profile.gmf_id)
    if profile.role == Role.CML:
        return gmfs.filter(rls__in=visible_rls(user, Purpose.ATTRIBUTION))
    return gmfs


def own_attribution_gmf(user: User) -> Gmf | None:
    """The GMF of a GMF manager (their attribution page, their menu entry); None for any
    other user."""
    try:
        profile = _gmf_attribution_profile(user)
    except PermissionDenied:
        return None
    if profile.role != Role.GMF_MANAGER:
        return None
    return visible_attribution_gmfs(user).first()


def can_propose_gmf_target(user: User, gmf: Gmf) -> bool:
    """Whether ``user`` proposes ``gmf``'s attribution target: its GMF manager."""
    own = own_attribution_gmf(user)
    return own is not None and own.pk == gmf.pk


def can_decide_gmf_targets(user: User) -> bool:
    """Whether ``user`` decides the targets proposed by the GMFs they see: a CML (of the
    GMF's RLS, :func:`visible_attribution_gmfs`); the DRMG reads them only."""
    try:
        return _gmf_attribution_profile(user).role == Role.CML
    except PermissionDenied:
        return False


def access_attribution_gmf(user: User, code: str, *, propose: bool = False) -> Gmf:
    """The GMF ``code`` if ``user`` reads its attribution page; with ``propose``, if they
    also propose its target (its GMF manager).

    Raises:
        Http404: no such GMF, or not the user's.
        PermissionDenied: see :func:`visible_attribution_gmfs`; with ``propose``, the CML
            and the DRMG.
    """
    gmf = get_object_or_404(visible_attribution_gmfs(user), code=code)
    if propose and not can_propose_gmf_target(user, gmf):
        raise PermissionDenied
    return gmf


def access_gmf_target(user: User, pk: int, *, decide: bool = False) -> Any:
    """The GMF target proposal ``pk`` if ``user`` reads its GMF; with ``decide``, if they
    also decide it (the CML of the GMF's RLS).

    Raises:
        Http404: no such proposal, or of a GMF not the user's.
        PermissionDenied: see :func:`visible_attribution_gmfs`; with ``decide``, the GMF
            manager and the DRMG.
    """
    from web.attribution.models import GmfTarget

    target = get_object_or_404(
        GmfTarget.objects.select_related(
            "gmf", "gmf__rls", "region", "proposed_by", "decided_by"
        ).filter(gmf__in=visible_attribution_gmfs(user)),
        pk=pk,
    )
    if decide and not can_decide_gmf_targets(user):
        raise PermissionDenied
    return target


# --- issue 19: le304 files
# The LE 304 files for RAMQ (seed 002, section 4: « fournir les informations et documents
# nécessaires à la RAMQ lors de l'application de la Lettre d'entente 304 »): the guichet's
# administrative agent prepares them and the DRMG oversees them, on the approved runs of
# their region (in force to prepare a file; a superseded run keeps its files); every other
# role 403, another region's run or file 404. The agent sees nothing else of the waiting
# list: the transfers' counts on the pages, a file's patients in its patients.csv only.
# That file carries the full health insurance numbers: RAMQ identifies the transferred
# patients by them, so whoever may open the file reads them (the DRMG, whose role reads
# them anyway, and the agent, for the patients of the file's transfer only).

LE304_ROLES = frozenset({Role.DRMG, Role.GUICHET_AGENT})


def _le304_profile(user: User) -> Profile:
    profile = profile_for(user)
    if profile.role not in LE304_ROLES:
        raise PermissionDenied
    return profile


def can_prepare_le304_files(user: User) -> bool:
    """Whether ``user`` works on the LE 304 files of their region (the guichet's agent and
    the DRMG): for the menu; the pages ask :func:`visible_le304_runs`."""
    try:
        _le304_profile(user)
    except PermissionDenied:
        return False
    return True


def visible_le304_runs(user: User) -> QuerySet[Run]:
    """The approved runs of ``user``'s region (in force or superseded) whose LE 304
    transfers they read.

    Raises:
        PermissionDenied: neither the guichet's agent nor the DRMG.
    """
    profile = _le304_profile(user)
    return Run.objects.filter(region_id=profile.region_id, status=RunStatus.APPROVED)


def access_le304_run(user: User, pk: int) -> Run:
    """The approved run ``pk`` of ``user``'s region.

    Raises:
        Http404: no such run, not approved, or of another region.
        PermissionDenied: neither the guichet's agent nor the DRMG.
    """
    return get_object_or_404(visible_le304_runs(user).select_related("region", "rls"), pk=pk)


def visible_le304_files(user: User) -> QuerySet[Le304File]:
    """The LE 304 files of the runs :func:`visible_le304_runs` gives ``user``."""
    return Le304File.objects.filter(run__in=visible_le304_runs(user))


def access_le304_file(user: User, pk: int) -> Le304File:
    """The LE 304 file ``pk`` of ``user``'s region, with its patients' full numbers.

    Raises:
        Http404: no such file, or of another region.
        PermissionDenied: neither the guichet's agent nor the DRMG.
    """
    return get_object_or_404(
        visible_le304_files(user).select_related(
            "run__region", "run__rls", "prepared_by", "updated_by"
        ),
        pk=pk,
    )


# --------------------------------------------------------------------------- audit


def visible_audit_events(user: User) -> QuerySet[AuditEvent]:
    """The audit trail ``user`` may read, newest first: the region's for the DRMG; for a
    CML, the entries of their RLS and of the runs they see. An entry of several RLS (an
    import by a CML of several, ``details["scope"]``) is a CML's only when every one of
    them is theirs, as their imports are (:func:`visible_imports`); an entry of the whole
    region (no RLS) is the DRMG's. The co-management's (``comgmt_*``) and the QI groups'
    (``qi_*``) entries are left out.

    Raises:
        PermissionDenied: a role that does not work on attribution.
    """
    profile = check_purpose(user, Purpose.ATTRIBUTION)
    # Not the co-management's nor the QI groups' entries: a CML has no access to them, and
    # their records say who wrote and signed them on their own pages.
    entries = (
        AuditEvent.objects.filter(region_id=profile.region_id)
        .exclude(action__startswith="comgmt_")
        .exclude(action__startswith="qi_")
    )
    codes = set(scope_codes(user))
    if not codes:
        return entries
    # Entries with a scope (imports, exports: a few per RLS and quarter; rls_code is the
    # scope's first code) are checked here one by one: JSON lists do not compare as sets
    # in SQL on SQLite.
    scoped = entries.filter(rls_code__in=codes, details__has_key="scope").values_list(
        "pk", "details__scope"
    )
    shown = [pk for pk, scope in scoped if scope and set(scope) <= codes]
    return entries.filter(
        (Q(rls_code__in=codes) & ~Q(details__has_key="scope"))
        | Q(pk__in=shown)
        | subjects_filter(visible_runs(user))
    )
