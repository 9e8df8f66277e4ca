"""Every territory page refuses a user of another role or territory."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from web.regions.models import Patient, Registration, Rls
from web.regions.testing import load_tiny_demo

pytestmark = pytest.mark.django_db

ALL_DEMO_USERS = [
    "drmg",
    "cml.rimouski",
    "cml.kamouraska",
    "gestion.gmf",
    "ciusss",
    "medecin",
    "coach",
]


@pytest.fixture
def demo(db):
    load_tiny_demo()
    own, other = Rls.objects.order_by("code")[:2]
    return own, other


def get(client, username: str, url: str) -> int:
    client.force_login(User.objects.get(username=username))
    return client.get(url).status_code


def patient_of(username: str) -> Patient:
    """A patient registered today with the demo physician account's physician."""
    physician = User.objects.get(username=username).profile.physician
    registration = Registration.objects.active_on(timezone.localdate()).filter(physician=physician)
    return registration.select_related("patient").first().patient


@pytest.mark.parametrize("url_name", ["dashboard", "rls-detail", "rls-waitlist", "patient-detail"])
def test_it_sends_anonymous_visitors_to_login(client, demo, url_name):
    args = [] if url_name == "dashboard" else ["x"]
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("username", "own_status", "other_status"),
    [
        ("drmg", 200, 200),
        ("ciusss", 200, 200),
        ("coach", 200, 200),
        ("cml.rimouski", 200, 404),
        ("cml.kamouraska", 404, 200),
    ],
)
def test_it_shows_an_rls_page_only_inside_the_territory(
    client, demo, username, own_status, other_status
):
    own, other = demo
    assert get(client, username, reverse("rls-detail", args=[own.code])) == own_status
    assert get(client, username, reverse("rls-detail", args=[other.code])) == other_status


def test_it_shows_a_physician_and_a_gmf_manager_only_their_rls(client, demo):
    for username in ("medecin", "gestion.gmf"):
        profile = User.objects.get(username=username).profile
        home = profile.physician.rls if profile.physician else profile.gmf.rls
        elsewhere = Rls.objects.exclude(pk=home.pk).first()
        assert get(client, username, reverse("rls-detail", args=[home.code])) == 200
        assert get(client, username, reverse("rls-detail", args=[elsewhere.code])) == 404


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("drmg", 200),
        ("cml.rimouski", 200),
        ("cml.kamouraska", 404),
        ("gestion.gmf", 403),
        ("medecin", 403),
        ("ciusss", 403),
        ("coach", 403),
    ],
)
def test_it_lists_waiting_patients_only_to_the_drmg_and_the_rls_cml(client, demo, username, status):
    own, _ = demo
    assert get(client, username, reverse("rls-waitlist", args=[own.code])) == status


def test_it_shows_waiting_patients_with_a_masked_number(client, demo):
    own, _ = demo
    client.force_login(User.objects.get(username="cml.rimouski"))
    response = client.get(reverse("rls-waitlist", args=[own.code]))
    entry = response.context["page"][0]
    body = response.content.decode()
    assert entry.patient.masked_hin in body
    assert entry.patient.health_insurance_number not in body


@pytest.mark.parametrize(
    ("username", "status", "full_number"),
    [
        ("medecin", 200, True),
        ("drmg", 200, True),
        ("ciusss", 404, False),
        ("coach", 404, False),
    ],
)
def test_it_opens_a_patient_only_for_allowed_roles(client, demo, username, status, full_number):
    patient = patient_of("medecin")
    response_status = get(client, username, reverse("patient-detail", args=[patient.code]))
    assert response_status == status
    if status == 200:
        body = client.get(reverse("patient-detail", args=[patient.code])).content.decode()
        assert (patient.health_insurance_number in body) is full_number


def test_it_hides_a_patient_from_the_cml_of_another_rls(client, demo):
    patient = patient_of("medecin")
    other_cml = "cml.kamouraska" if patient.rls.code == demo[0].code else "cml.rimouski"
    own_cml = "cml.rimouski" if other_cml == "cml.kamouraska" else "cml.kamouraska"
    assert get(client, other_cml, reverse("patient-detail", args=[patient.code])) == 404
    assert get(client, own_cml, reverse("patient-detail", args=[patient.code])) == 200


def test_it_hides_another_physicians_patient_from_a_physician(client, demo):
    me = User.objects.get(username="medecin").profile.physician
    someone_else = (
        Registration.objects.active_on(timezone.localdate()).exclude(physician=me).first().patient
    )
    assert get(client, "medecin", reverse("patient-detail", args=[someone_else.code])) == 404


def test_it_refuses_every_territory_page_to_a_superuser_without_a_role(client, demo):
    own, _ = demo
    admin = User.objects.get(username="admin")
    client.force_login(admin)
    for url in (reverse("dashboard"), reverse("rls-detail", args=[own.code])):
        assert client.get(url).status_code in (403, 404)
