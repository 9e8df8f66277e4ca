"""Writing the audit trail: what an entry holds, what it refuses, the actions' registry."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone, translation

from web.audit.actions import action_choices, register_actions
from web.audit.models import AuditEvent, subject_type_of
from web.audit.services import attach_subjects, record, record_on
from web.regions.models import RegionsAction, Rls, WaitlistEntry

pytestmark = pytest.mark.django_db


def test_it_records_who_did_what_when_where_and_on_what(territory, territory_cml, waiting_entry):
    before = timezone.now()
    event = record(
        RegionsAction.WAITLIST_STATUS,
        region=territory.region,
        acting_user=territory_cml,
        subject=waiting_entry,
        rls_code=territory.rls.code,
        reason="assigned by run 12",
    )
    event.refresh_from_db()
    assert (event.action, event.actor, event.region, event.rls_code) == (
        RegionsAction.WAITLIST_STATUS,
        territory_cml,
        territory.region,
        territory.rls.code,
    )
    assert before <= event.created_at <= timezone.now()
    assert (event.subject_type, event.subject_id) == (
        "regions.waitlistentry",
        str(waiting_entry.pk),
    )
    assert event.details == {"reason": "assigned by run 12"}
    assert list(AuditEvent.objects.about(waiting_entry)) == [event]
    assert list(AuditEvent.objects.about_any(WaitlistEntry.objects.all())) == [event]
    with translation.override("en"):
        assert event.get_action_display() == "Waiting-list status changed"


def test_it_records_the_system_for_an_anonymous_or_missing_user(territory):
    for nobody in (None, AnonymousUser()):
        assert (
            record(RegionsAction.WAITLIST_STATUS, region=territory.region, acting_user=nobody).actor
            is None
        )


def test_it_keeps_the_scope_of_a_write_on_several_rls(territory, territory_cml):
    event = record(
        RegionsAction.WAITLIST_STATUS,
        region=territory.region,
        acting_user=territory_cml,
        scope=["0111", "0112"],
    )
    assert (event.rls_code, event.details["scope"]) == ("0111", ["0111", "0112"])
    region_wide = record(
        RegionsAction.WAITLIST_STATUS, region=territory.region, acting_user=territory_cml, scope=[]
    )
    assert (region_wide.rls_code, region_wide.details["scope"]) == ("", [])


@pytest.mark.parametrize("key", ["first_name", "last_name", "patient_name"])
def test_it_refuses_a_patients_name(territory, territory_cml, key):
    with pytest.raises(ValueError, match="name"):
        record(
            RegionsAction.WAITLIST_STATUS,
            region=territory.region,
            acting_user=territory_cml,
            **{key: "Tremblay"},
        )
    assert not AuditEvent.objects.exists()


def test_it_reads_the_territory_of_a_subject_that_knows_it(territory, territory_cml):
    # An RLS has a ``region`` and no ``rls`` of its own: an entry of the whole region.
    event = record_on(RegionsAction.WAITLIST_STATUS, territory.rls, acting_user=territory_cml)
    assert (event.region, event.rls_code, event.subject_type) == (
        territory.region,
        "",
        "regions.rls",
    )


def test_it_attaches_the_subjects_of_one_model_and_no_other(
    territory, territory_cml, waiting_entry
):
    about_entry = record(
        RegionsAction.WAITLIST_STATUS,
        region=territory.region,
        acting_user=territory_cml,
        subject=waiting_entry,
    )
    about_rls = record(
        RegionsAction.WAITLIST_STATUS,
        region=territory.region,
        acting_user=territory_cml,
        subject=territory.rls,
    )
    nothing = record(
        RegionsAction.WAITLIST_STATUS, region=territory.region, acting_user=territory_cml
    )
    entries = attach_subjects(AuditEvent.objects.order_by("pk"), WaitlistEntry)
    subjects = {event.pk: event.subject for event in entries}
    assert subjects == {about_entry.pk: waiting_entry, about_rls.pk: None, nothing.pk: None}
    waiting_entry.delete()  # a subject deleted since: None, not an error
    assert attach_subjects([about_entry], WaitlistEntry)[0].subject is None
    assert subject_type_of(Rls) == "regions.rls"


def test_it_refuses_an_action_declared_twice():
    class Mine(models.TextChoices):
        WAITLIST_STATUS = "waitlist_status", "Someone else's"

    with pytest.raises(ImproperlyConfigured, match="waitlist_status"):
        register_actions(Mine)
    assert dict(action_choices())["waitlist_status"] == RegionsAction.WAITLIST_STATUS.label


def test_it_declares_every_apps_actions_once():
    values = [value for value, _label in action_choices()]
    assert len(values) == len(set(values))
    assert {"run_started", "import_applied", "waitlist_status"} <= set(values)
