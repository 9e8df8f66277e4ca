from __future__ import annotations

import datetime

import pytest

from web.regions.models import Patient, Registration

pytestmark = pytest.mark.django_db

D = datetime.date


def projected(t) -> dict:
    """A registration row's links as the projection writes them: codes and objects."""
    return {
        "region": t.site.rls.region,
        "patient": t.patient,
        "physician": t.physician,
        "site": t.site,
        "patient_code": t.patient.code,
        "physician_code": t.physician.code,
        "site_code": t.site.code,
    }


def test_it_masks_all_but_the_last_four_characters_of_the_hin():
    patient = Patient(health_insurance_number="TREM 8001 1234")
    assert patient.masked_hin == "•••• •••• 1234"
    assert "8001" not in patient.masked_hin


def test_it_counts_a_registration_in_force_from_its_start_to_the_day_before_its_end(territory):
    registration = Registration.objects.create(
        **projected(territory), start_date=D(2025, 1, 10), end_date=D(2025, 3, 1)
    )
    in_force = Registration.objects.active_on
    assert not in_force(D(2025, 1, 9)).exists()
    assert in_force(D(2025, 1, 10)).get() == registration
    assert in_force(D(2025, 2, 28)).exists()
    assert not in_force(D(2025, 3, 1)).exists()


def test_it_keeps_an_open_registration_in_force(territory):
    Registration.objects.create(**projected(territory), start_date=D(2025, 1, 10))
    assert Registration.objects.active_on(D(2099, 1, 1)).exists()
