from __future__ import annotations

import datetime

import pytest

from web.accounts.models import Role
from web.regions import services
from web.regions.errors import (
    AlreadyOnWaitlist,
    RegistrationNotOpen,
    RegistrationOverlap,
    WaitlistStatusError,
)
from web.regions.models import Registration, WaitlistEntry, WaitlistStatus
from web.regions.testing import make_user
from web.regions.tests.factories import make_territory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def t():
    return make_territory()


@pytest.fixture
def cml(t):
    return make_user(Role.CML, rls=t.rls, username="cml")


def register(t, cml, start, physician=None):
    return services.do_register_patient(
        acting_user=cml,
        patient=t.patient,
        physician=physician or t.physician,
        site=t.site,
        start_date=start,
    )


def test_it_registers_a_patient_and_records_who_did_it(t, cml):
    registration = register(t, cml, D(2025, 1, 10))
    assert registration.end_date is None
    history = registration.history.get()
    assert history.history_type == "+"
    assert history.history_user == cml
    assert history.history_change_reason == "registered"


def test_it_refuses_a_registration_while_another_is_in_force(t, cml):
    register(t, cml, D(2025, 1, 10))
    with pytest.raises(RegistrationOverlap):
        register(t, cml, D(2025, 6, 1), physician=t.other_physician)
    assert Registration.objects.count() == 1


def test_it_refuses_a_registration_starting_before_an_ended_one_ends(t, cml):
    first = register(t, cml, D(2025, 1, 10))
    services.do_end_registration(acting_user=cml, registration=first, end_date=D(2025, 6, 1))
    with pytest.raises(RegistrationOverlap):
        register(t, cml, D(2025, 5, 31), physician=t.other_physician)


def test_it_refuses_a_registration_before_a_later_one(t, cml):
    register(t, cml, D(2025, 1, 10))
    with pytest.raises(RegistrationOverlap):
        register(t, cml, D(2024, 1, 1), physician=t.other_physician)


def test_it_accepts_a_registration_from_the_day_the_previous_one_ends(t, cml):
    first = register(t, cml, D(2025, 1, 10))
    services.do_end_registration(acting_user=cml, registration=first, end_date=D(2025, 6, 1))
    second = register(t, cml, D(2025, 6, 1), physician=t.other_physician)
    assert list(Registration.objects.active_on(D(2025, 6, 1))) == [second]


def test_it_ends_a_registration_and_records_who_did_it(t, cml):
    registration = register(t, cml, D(2025, 1, 10))
    other_cml = make_user(Role.CML, rls=t.rls, username="other-cml")
    services.do_end_registration(
        acting_user=other_cml, registration=registration, end_date=D(2025, 6, 1)
    )
    latest = registration.history.latest()
    assert latest.history_type == "~"
    assert latest.end_date == D(2025, 6, 1)
    assert latest.history_user == other_cml
    assert Registration.objects.get().end_date == D(2025, 6, 1)


def test_it_refuses_to_end_a_registration_twice(t, cml):
    registration = register(t, cml, D(2025, 1, 10))
    services.do_end_registration(acting_user=cml, registration=registration, end_date=D(2025, 6, 1))
    with pytest.raises(RegistrationNotOpen):
        services.do_end_registration(
            acting_user=cml, registration=registration, end_date=D(2025, 7, 1)
        )


def test_it_refuses_to_end_a_registration_on_its_first_day(t, cml):
    registration = register(t, cml, D(2025, 1, 10))
    with pytest.raises(RegistrationNotOpen):
        services.do_end_registration(
            acting_user=cml, registration=registration, end_date=D(2025, 1, 10)
        )


def add(t, cml, **kwargs):
    return services.do_add_to_waitlist(
        acting_user=cml,
        patient=t.patient,
        priority=kwargs.pop("priority", "B"),
        requested_on=kwargs.pop("requested_on", D(2025, 2, 1)),
        **kwargs,
    )


def test_it_puts_a_patient_on_the_waiting_list_of_their_rls(t, cml):
    entry = add(t, cml)
    assert (entry.rls, entry.status, entry.priority) == (t.rls, WaitlistStatus.WAITING, "B")
    assert entry.history.get().history_user == cml


def test_it_refuses_a_second_open_waiting_list_entry(t, cml):
    entry = add(t, cml)
    services.do_set_waitlist_status(acting_user=cml, entry=entry, status="assigned")
    with pytest.raises(AlreadyOnWaitlist):
        add(t, cml, priority="A")
    assert WaitlistEntry.objects.count() == 1


def test_it_accepts_a_new_entry_after_a_withdrawal(t, cml):
    entry = add(t, cml)
    services.do_set_waitlist_status(acting_user=cml, entry=entry, status="withdrawn")
    assert add(t, cml, requested_on=D(2025, 9, 1)).status == WaitlistStatus.WAITING


def test_it_refuses_an_invalid_priority(t, cml):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        add(t, cml, priority="Z")


def test_it_records_who_changed_a_status_and_why(t, cml):
    entry = add(t, cml)
    services.do_set_waitlist_status(
        acting_user=cml, entry=entry, status="registered", reason="registered with Dre Gagnon"
    )
    latest = entry.history.latest()
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        "registered",
        cml,
        "registered with Dre Gagnon",
    )


@pytest.mark.parametrize("final", ["registered", "withdrawn"])
def test_it_refuses_to_reopen_a_closed_entry(t, cml, final):
    entry = add(t, cml)
    services.do_set_waitlist_status(acting_user=cml, entry=entry, status=final)
    with pytest.raises(WaitlistStatusError):
        services.do_set_waitlist_status(acting_user=cml, entry=entry, status="waiting")
    assert WaitlistEntry.objects.get().status == final


def test_it_refuses_an_unknown_status(t, cml):
    entry = add(t, cml)
    with pytest.raises(WaitlistStatusError):
        services.do_set_waitlist_status(acting_user=cml, entry=entry, status="lost")
