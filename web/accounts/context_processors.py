"""What every page's navigation may link to, asked of :mod:`web.accounts.access` (lazily:
a page that shows no link runs no query)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse

from web.accounts import access
from web.accounts.access import Purpose, User
from web.accounts.models import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``may_work_on_attribution``, ``may_read_own_letters``, ``assiduity_link`` (the
    address of the assiduity's menu entry, empty when the user has none),
    ``may_comanage`` (the « Cogestion » entry) and ``may_improve`` (the « Amélioration de la
    qualité » entry), ``may_prepare_le304_files`` (the « Dossiers LE 304 » entry: the guichet's
    agent and the DRMG), ``may_follow_own_gmf`` (a GMF manager's « Attribution » entry:
    their GMF's page), as callables the template calls when it reads them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "may_work_on_attribution": False,
            "may_read_own_letters": False,
            "assiduity_link": "",
            "may_comanage": False,
            "may_improve": False,
            "may_prepare_le304_files": False,
            "may_follow_own_gmf": False,
        }
    return {
        "may_work_on_attribution": lambda: access.allows(user, Purpose.ATTRIBUTION),
        "may_read_own_letters": lambda: access.can_read_own_letters(user),
        "assiduity_link": lambda: assiduity_link(user),
        "may_comanage": lambda: _has_comanagement_side(user),
        "may_improve": lambda: _has_quality_side(user),
        "may_prepare_le304_files": lambda: access.can_prepare_le304_files(user),
        "may_follow_own_gmf": lambda: access.own_attribution_gmf(user) is not None,
    }


def _has_comanagement_side(user: User) -> bool:
    """Whether ``user`` has a side in co-management (a GMF manager without a GMF, or a
    CISSS/CIUSSS manager without an establishment, has none: the pages refuse them)."""
    try:
        access.comanagement_side(user)
    except PermissionDenied:
        return False
    return True


def _has_quality_side(user: User) -> bool:
    """Whether ``user`` has a side in the QI groups (a physician user without a physician
    record has none: the pages refuse them)."""
    try:
        access.quality_side(user)
    except PermissionDenied:
        return False
    return True


def assiduity_link(user: User) -> str:
    """Where the menu's "Assiduity" leads ``user``: a physician to their own rate, the
    other roles the assiduity is open to (DRMG, CML, GMF manager) to its home page; ""
    for the roles it is closed to."""
    if not access.allows(user, Purpose.ASSIDUITY):
        return ""
    if user.profile.role == Role.PHYSICIAN:
        return reverse("assiduity:my-rate")
    return reverse("assiduity:home")
