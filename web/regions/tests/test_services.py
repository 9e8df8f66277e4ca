"""The waiting-list status, the one per-patient record of the territory the database keeps
of its own: allowed moves, and who changed it, when and why in the audit trail."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from web.accounts.models import Role
from web.audit.models import AuditEvent
from web.regions import services
from web.regions.errors import WaitlistStatusError
from web.regions.models import RegionsAction, WaitlistEntry, WaitlistStatus
from web.regions.testing import make_user
from web.regions.tests.factories import make_territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def t():
    return make_territory()


@pytest.fixture
def cml(t):
    return make_user(Role.CML, rls=t.rls, username="cml")


@pytest.fixture
def entry(t):
    """A waiting patient, as the waiting list's projection writes it."""
    return WaitlistEntry.objects.create(
        region=t.region,
        patient_code=t.patient.code,
        patient=t.patient,
        rls=t.rls,
        priority="B",
        requested_on=datetime.date(2025, 2, 1),
    )


def trail(row):
    """The audit entries of ``row``, oldest first."""
    return list(AuditEvent.objects.about(row).order_by("created_at", "pk"))


def test_it_records_who_changed_a_status_when_and_why(t, cml, entry):
    before = timezone.now()
    services.do_set_waitlist_status(
        acting_user=cml, entry=entry, status="registered", reason="registered with Dre Gagnon"
    )
    assert WaitlistEntry.objects.get().status == WaitlistStatus.REGISTERED
    [change] = trail(entry)
    assert (change.action, change.actor, change.details["reason"]) == (
        RegionsAction.WAITLIST_STATUS,
        cml,
        "registered with Dre Gagnon",
    )
    assert before <= change.created_at <= timezone.now()
    assert (change.region, change.rls_code) == (t.region, t.rls.code)
    assert change.details["changed"] == {"status": ["waiting", "registered"]}
    assert change.details["patient_code"] == t.patient.code
    # The trail names patients by code, never by name.
    assert t.patient.last_name not in str(change.details)


def test_it_records_a_default_reason_and_every_change_in_order(cml, entry):
    services.do_set_waitlist_status(acting_user=cml, entry=entry, status="assigned")
    services.do_set_waitlist_status(acting_user=cml, entry=entry, status="waiting")
    assigned, back = trail(entry)
    assert assigned.details["reason"] == "status: assigned"
    assert back.details["changed"] == {"status": ["assigned", "waiting"]}
    assert WaitlistEntry.objects.get().status == WaitlistStatus.WAITING


@pytest.mark.parametrize("final", ["registered", "withdrawn"])
def test_it_refuses_to_reopen_a_closed_entry(cml, entry, final):
    services.do_set_waitlist_status(acting_user=cml, entry=entry, status=final)
    with pytest.raises(WaitlistStatusError):
        services.do_set_waitlist_status(acting_user=cml, entry=entry, status="waiting")
    assert WaitlistEntry.objects.get().status == final
    assert len(trail(entry)) == 1  # nothing recorded for the refused change


def test_it_refuses_an_unknown_status(cml, entry):
    with pytest.raises(WaitlistStatusError):
        services.do_set_waitlist_status(acting_user=cml, entry=entry, status="lost")
    assert WaitlistEntry.objects.get().status == WaitlistStatus.WAITING
    assert trail(entry) == []
