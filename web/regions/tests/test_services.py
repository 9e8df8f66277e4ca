"""The waiting-list status, the one per-patient record of the territory the database keeps
of its own: allowed moves, and who changed it, when and why in the audit trail; and the
patients of an approved plan proposed (web/attribution/tests/test_journey.py)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from web.audit.models import AuditEvent
from web.regions import services
from web.regions.errors import WaitlistStatusError
from web.regions.models import RegionsAction, WaitlistEntry, WaitlistStatus

pytestmark = pytest.mark.django_db


def trail(row):
    """The audit entries of ``row``, oldest first."""
    return list(AuditEvent.objects.about(row).order_by("created_at", "pk"))


def test_it_records_who_changed_a_status_when_and_why(territory, territory_cml, waiting_entry):
    before = timezone.now()
    services.do_set_waitlist_status(
        acting_user=territory_cml,
        entry=waiting_entry,
        status="registered",
        reason="registered with Dre Gagnon",
    )
    assert WaitlistEntry.objects.get().status == WaitlistStatus.REGISTERED
    [change] = trail(waiting_entry)
    assert (change.action, change.actor, change.details["reason"]) == (
        RegionsAction.WAITLIST_STATUS,
        territory_cml,
        "registered with Dre Gagnon",
    )
    assert before <= change.created_at <= timezone.now()
    assert (change.region, change.rls_code) == (territory.region, territory.rls.code)
    assert change.details["changed"] == {"status": ["waiting", "registered"]}
    assert change.details["patient_code"] == territory.patient.code
    # The trail names patients by code, never by name.
    assert territory.patient.last_name not in str(change.details)


def test_it_records_a_default_reason_and_every_change_in_order(territory_cml, waiting_entry):
    services.do_set_waitlist_status(
        acting_user=territory_cml, entry=waiting_entry, status="assigned"
    )
    services.do_set_waitlist_status(
        acting_user=territory_cml, entry=waiting_entry, status="waiting"
    )
    assigned, back = trail(waiting_entry)
    assert assigned.details["reason"] == "status: assigned"
    assert back.details["changed"] == {"status": ["assigned", "waiting"]}
    assert WaitlistEntry.objects.get().status == WaitlistStatus.WAITING


@pytest.mark.parametrize("final", ["registered", "withdrawn"])
def test_it_refuses_to_reopen_a_closed_entry(territory_cml, waiting_entry, final):
    services.do_set_waitlist_status(acting_user=territory_cml, entry=waiting_entry, status=final)
    with pytest.raises(WaitlistStatusError):
        services.do_set_waitlist_status(
            acting_user=territory_cml, entry=waiting_entry, status="waiting"
        )
    assert WaitlistEntry.objects.get().status == final
    assert len(trail(waiting_entry)) == 1  # nothing recorded for the refused change


def test_it_refuses_an_unknown_status(territory_cml, waiting_entry):
    with pytest.raises(WaitlistStatusError):
        services.do_set_waitlist_status(
            acting_user=territory_cml, entry=waiting_entry, status="lost"
        )
    assert WaitlistEntry.objects.get().status == WaitlistStatus.WAITING
    assert trail(waiting_entry) == []
