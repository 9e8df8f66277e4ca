"""Every territory page refuses a user of another role or territory."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from web.regions.models import Patient, Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def get(client_as):
    """The status of ``url`` for the demo account ``username``."""

    def status(username: str, url: str) -> int:
        return client_as(username).get(url).status_code

    return status


@pytest.fixture
def physicians_patient(demo_user) -> Patient:
    """A patient registered today with the demo physician account's physician."""
    physician = demo_user("medecin").profile.physician
    registration = Registration.objects.active_on(timezone.localdate()).filter(physician=physician)
    return registration.select_related("patient").first().patient


@pytest.mark.parametrize(
    "url_name",
    [
        "dashboard:home",
        "dashboard:rls-detail",
        "dashboard:rls-waitlist",
        "dashboard:patient-detail",
    ],
)
def test_it_sends_anonymous_visitors_to_login(client, demo, url_name):
    args = [] if url_name == "dashboard:home" else ["x"]
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


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
    get, own_rls, other_rls, username, own_status, other_status
):
    assert get(username, reverse("dashboard:rls-detail", args=[own_rls.code])) == own_status
    assert get(username, reverse("dashboard:rls-detail", args=[other_rls.code])) == other_status


def test_it_shows_a_physician_and_a_gmf_manager_only_their_rls(get, demo_user, own_rls, other_rls):
    for username in ("medecin", "gestion.gmf"):
        profile = demo_user(username).profile
        home = profile.physician.rls if profile.physician else profile.gmf.rls
        elsewhere = other_rls if home == own_rls else own_rls
        assert get(username, reverse("dashboard:rls-detail", args=[home.code])) == 200
        assert get(username, reverse("dashboard:rls-detail", args=[elsewhere.code])) == 404


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
def test_it_lists_waiting_patients_only_to_the_drmg_and_the_rls_cml(get, own_rls, username, status):
    assert get(username, reverse("dashboard:rls-waitlist", args=[own_rls.code])) == status


def test_it_shows_waiting_patients_with_a_masked_number(cml_client, own_rls):
    response = cml_client.get(reverse("dashboard:rls-waitlist", args=[own_rls.code]))
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
def test_it_opens_a_patient_only_for_allowed_roles(
    client_as, physicians_patient, username, status, full_number
):
    response = client_as(username).get(
        reverse("dashboard:patient-detail", args=[physicians_patient.code])
    )
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert (physicians_patient.health_insurance_number in body) is full_number


def test_it_hides_a_patient_from_the_cml_of_another_rls(get, physicians_patient, own_rls):
    url = reverse("dashboard:patient-detail", args=[physicians_patient.code])
    own_cml, other_cml = ("cml.rimouski", "cml.kamouraska")
    if physicians_patient.rls != own_rls:
        own_cml, other_cml = other_cml, own_cml
    assert get(other_cml, url) == 404
    assert get(own_cml, url) == 200


def test_it_hides_another_physicians_patient_from_a_physician(get, demo_user):
    me = demo_user("medecin").profile.physician
    someone_else = (
        Registration.objects.active_on(timezone.localdate()).exclude(physician=me).first().patient
    )
    assert get("medecin", reverse("dashboard:patient-detail", args=[someone_else.code])) == 404


def test_it_refuses_every_territory_page_to_a_superuser_without_a_role(get, own_rls):
    for url in (
        reverse("dashboard:home"),
        reverse("dashboard:rls-detail", args=[own_rls.code]),
    ):
        assert get("admin", url) == 403
