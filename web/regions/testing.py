"""Helpers for the tests of every app: the tiny demo region and users with a role.

report = load_tiny_demo()                 # 2 RLS, the demo accounts (DEMO_PASSWORD)
user = make_user(Role.CML, rls=some_rls)  # a user with a profile, region derived
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from django.contrib.auth.models import User

from web.accounts.models import Profile, Role
from web.regions.demo import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    LoadReport,
    demo_password_hash,
    load_demo,
)
from web.regions.models import Gmf, Physician, Region, Rls

__all__ = ["DEMO_PASSWORD", "load_tiny_demo", "make_user"]

_numbers = itertools.count(1)


def load_tiny_demo(seed: int = DEFAULT_SEED) -> LoadReport:
    """Load the tiny demo region (2 RLS) and its demo accounts; see :func:`load_demo`."""
    return load_demo("tiny", seed)


def make_user(
    role: str,
    *,
    username: str | None = None,
    region: Region | None = None,
    rls: Rls | Iterable[Rls] | None = None,
    gmf: Gmf | None = None,
    physician: Physician | None = None,
) -> User:
    """A user with a profile of ``role`` on the given territory.

    The region defaults to the one of the RLS, GMF or physician given. The password is
    :data:`DEMO_PASSWORD`; the username defaults to the role and a number.
    """
    rls_list = [rls] if isinstance(rls, Rls) else list(rls or [])
    if region is None:
        if rls_list:
            region = rls_list[0].region
        elif gmf is not None:
            region = gmf.rls.region
        elif physician is not None:
            region = physician.rls.region
        else:
            raise ValueError("make_user needs a region, or an RLS, GMF or physician")
    # The demo hash is computed once: hashing a password per test user would take seconds.
    user = User.objects.create(
        username=username or f"{Role(role).value}.{next(_numbers)}",
        password=demo_password_hash(),
    )
    profile = Profile.objects.create(
        user=user, role=role, region=region, gmf=gmf, physician=physician
    )
    if rls_list:
        profile.rls.set(rls_list)
    return user
