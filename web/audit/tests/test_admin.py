"""The audit trail in the administration pages: read-only, and on an object's history."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from web.audit.models import AuditEvent
from web.regions import services

pytestmark = pytest.mark.django_db


def test_it_shows_an_entrys_audit_trail_on_its_history_page(
    superuser_client, territory, territory_cml, waiting_entry
):
    services.do_set_waitlist_status(
        acting_user=territory_cml, entry=waiting_entry, status="withdrawn", reason="moved away"
    )
    url = reverse("admin:regions_waitlistentry_history", args=[waiting_entry.pk])
    body = superuser_client.get(url).content.decode()
    assert 'data-testid="audit-history"' in body
    assert "moved away" in body and "cml" in body
    assert territory.patient.health_insurance_number not in body


def test_it_lists_the_trail_but_lets_nobody_change_it(
    superuser_client, territory, territory_cml, waiting_entry
):
    services.do_set_waitlist_status(
        acting_user=territory_cml, entry=waiting_entry, status="assigned"
    )
    event = AuditEvent.objects.get()
    assert superuser_client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    change = superuser_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()  # the view page, without a save
    assert superuser_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete = superuser_client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]))
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_the_trail_to_a_staff_member_who_is_not_superuser(
    client, territory, territory_cml, waiting_entry
):
    services.do_set_waitlist_status(
        acting_user=territory_cml, entry=waiting_entry, status="assigned"
    )
    client.force_login(User.objects.create_user("staff", password="x", is_staff=True))
    response = client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
