"""Who may do what in the attribution workflow: the one place views ask.

==============  ======================  =====================  ==================
role            RLS worked on           runs, plans, imports   letters
==============  ======================  =====================  ==================
drmg            every RLS of the        every run of the       every letter; edits
                region, and the region  region; approves       the templates
cml             their RLS               runs of their RLS      of their RLS's runs
physician       none                    none                   their own letters
                                                               and pace
others          none                    none                   none
==============  ======================  =====================  ==================

Objects outside the user's territory answer 404, as in :mod:`web.accounts.access`, so
that their existence is not revealed. Patients of a plan are only shown to the DRMG and
to the CML of the run's RLS (the two roles allowed to list the waiting list).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from web.accounts.access import User, profile_for
from web.accounts.models import Role
from web.attribution.models import ImportJob, Letter, Run, RunStatus
from web.regions.models import Physician, Rls

__all__ = [
    "access_import",
    "access_letter",
    "access_run",
    "attribution_rls",
    "can_edit_letter_templates",
    "can_work_on_region",
    "check_can_work",
    "own_physician",
    "scope_codes",
    "visible_imports",
    "visible_letters",
    "visible_runs",
]

WORKING_ROLES = frozenset({Role.DRMG, Role.CML})


def attribution_rls(user: User) -> QuerySet[Rls]:
    """The RLS whose tables, decisions and runs ``user`` works on (DRMG: the region;
    CML: their RLS; anybody else: none)."""
    profile = profile_for(user)
    in_region = Rls.objects.filter(region_id=profile.region_id)
    if profile.role == Role.DRMG:
        return in_region
    if profile.role == Role.CML:
        return in_region.filter(profiles=profile)
    return Rls.objects.none()


def check_can_work(user: User) -> None:
    """Raise PermissionDenied unless ``user`` is the DRMG or a CML."""
    if profile_for(user).role not in WORKING_ROLES:
        raise PermissionDenied


def can_work_on_region(user: User) -> bool:
    """Whether ``user`` may import or run for the whole region (the DRMG only)."""
    try:
        return profile_for(user).role == Role.DRMG
    except PermissionDenied:
        return False


def scope_codes(user: User) -> list[str]:
    """The RLS codes whose rows an import of ``user`` replaces, an export holds or a
    decision may touch; an empty list means the whole region (the DRMG).

    Raises:
        PermissionDenied: a role that does not work on attribution, or a CML without an
            RLS (whose empty list must not read as the whole region).
    """
    check_can_work(user)
    if can_work_on_region(user):
        return []
    codes = sorted(attribution_rls(user).values_list("code", flat=True))
    if not codes:
        raise PermissionDenied
    return codes


def visible_imports(user: User) -> list[ImportJob]:
    """The latest imports ``user`` may open, newest first: the region's for the DRMG,
    those of a CML's RLS (a scope within theirs) for a CML; PermissionDenied for others."""
    codes = set(scope_codes(user))
    region_id = profile_for(user).region_id
    jobs = ImportJob.objects.filter(region_id=region_id).select_related("created_by", "dataset")
    if not codes:  # the DRMG
        return list(jobs[:50])
    # JSON lists cannot be filtered as sets on SQLite: the last few hundred are enough.
    return [job for job in jobs[:500] if job.scope and set(job.scope) <= codes][:50]


def access_import(user: User, pk: int) -> ImportJob:
    """The import ``pk`` if ``user`` may open it: PermissionDenied for a role without
    imports, 404 for another region's or an RLS outside a CML's."""
    codes = set(scope_codes(user))
    job = (
        ImportJob.objects.filter(region_id=profile_for(user).region_id, pk=pk)
        .select_related("region", "created_by", "dataset")
        .first()
    )
    if job is None or (codes and not (job.scope and set(job.scope) <= codes)):
        raise Http404
    return job


def can_edit_letter_templates(user: User) -> bool:
    """The DRMG edits the letters' templates."""
    return can_work_on_region(user)


def visible_runs(user: User) -> QuerySet[Run]:
    """The runs ``user`` may open: the DRMG's region, the CML's RLS; none for others."""
    profile = profile_for(user)
    in_region = Run.objects.filter(region_id=profile.region_id)
    if profile.role == Role.DRMG:
        return in_region
    if profile.role == Role.CML:
        return in_region.filter(rls__in=attribution_rls(user))
    return Run.objects.none()


def access_run(user: User, pk: int) -> Run:
    """The run ``pk`` if ``user`` may open it (404 otherwise)."""
    return get_object_or_404(visible_runs(user).select_related("region", "rls"), pk=pk)


def own_physician(user: User) -> Physician | None:
    """The physician record of a physician user, None for other roles."""
    profile = profile_for(user)
    if profile.role == Role.PHYSICIAN:
        return profile.physician
    return None


def visible_letters(user: User) -> QuerySet[Letter]:
    """Letters ``user`` may download: of the runs they see, or a physician's own letters
    of approved runs of their region."""
    physician = own_physician(user)
    if physician is not None:
        return Letter.objects.filter(
            run__region_id=physician.rls.region_id,
            run__status=RunStatus.APPROVED,
            physician_code=physician.code,
        )
    return Letter.objects.filter(Q(run__in=visible_runs(user)))


def access_letter(user: User, pk: int) -> Letter:
    """The letter ``pk`` if ``user`` may download it (404 otherwise)."""
    return get_object_or_404(visible_letters(user).select_related("run", "run__region"), pk=pk)
