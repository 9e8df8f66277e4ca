"""Fixtures of the audit tests: a territory with a waiting patient, written as its
projection would be."""

from __future__ import annotations

import datetime

import pytest

from web.accounts.models import Role
from web.regions.models import WaitlistEntry
from web.regions.testing import make_user
from web.regions.tests.factories import Territory, make_territory


@pytest.fixture
def t(db) -> Territory:
    return make_territory()


@pytest.fixture
def cml(t):
    return make_user(Role.CML, rls=t.rls, username="cml")


@pytest.fixture
def entry(t) -> WaitlistEntry:
    return WaitlistEntry.objects.create(
        region=t.region,
        patient_code=t.patient.code,
        patient=t.patient,
        rls=t.rls,
        priority="B",
        requested_on=datetime.date(2025, 2, 1),
    )
