"""The declarations' pages (issue 19): a physician declares on their own page and reads
their history with the CML's answers; the CML of the physician's RLS answers; the DRMG
reads; every other role is refused (403), another RLS's declaration is hidden (404)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from web.accounts.models import Role
from web.attribution.models import (
    AttributionMode,
    DeclarationStatus,
    PhysicianDecision,
    PhysicianDeclaration,
)
from web.attribution.services_declarations import do_review_declaration, do_submit_declaration
from web.regions.models import Physician
from web.regions.testing import make_user

pytestmark = pytest.mark.django_db

MINE = reverse("attribution:my-declaration")
PROGRESS = reverse("attribution:my-progress")
QUEUE = reverse("attribution:declaration-list")
POSTED = {
    "mode": "bloc",
    "patients_offered": "",
    "hospital_hours": "20",
    "emergency_hours": "16",
    "teaching_hours": "0",
    "justification": "Hospital wards and emergency at the CH.",
}


@pytest.fixture
def physician(demo_user) -> Physician:
    return demo_user("medecin").profile.physician


@pytest.fixture
def declaration(physician, demo_user) -> PhysicianDeclaration:
    """A pending declaration of the demo physician (Rimouski-Neigette)."""
    return do_submit_declaration(
        physician,
        mode=AttributionMode.LE304,
        hospital_hours=Decimal(36),
        justification="Hospital.",
        acting_user=demo_user("medecin"),
    )


def detail(declaration) -> str:
    return reverse("attribution:declaration-detail", args=[declaration.pk])


# --------------------------------------------------------------------------- the physician


def test_it_shows_a_physician_their_units_and_their_form(physician_client):
    response = physician_client.get(MINE)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="declaration-form"' in body
    assert 'data-testid="workload-units"' in body
    assert "Particular attribution in blocks" in body  # the mode's label, not its code
    assert 'data-testid="nav-my-declaration"' in body
    assert 'data-testid="nav-my-progress"' in body


def test_it_computes_the_units_of_the_hours_typed_without_recording(physician_client):
    response = physician_client.post(MINE, {**POSTED, "compute": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="workload-hours">36.0<' in body
    assert 'data-reaches="yes"' in body
    assert not PhysicianDeclaration.objects.exists()


def test_it_records_a_declaration_and_then_shows_it_pending(physician_client, physician):
    response = physician_client.post(MINE, {**POSTED, "submit": "1"})
    assert response.status_code == 302
    declaration = PhysicianDeclaration.objects.get()
    assert declaration.physician == physician
    assert declaration.hospital_hours == Decimal(20)
    assert declaration.status == DeclarationStatus.SUBMITTED
    body = physician_client.get(MINE).content.decode()
    assert 'data-testid="declaration-pending"' in body
    assert 'data-testid="declaration-form"' not in body
    # A second one is refused while the first waits.
    physician_client.post(MINE, {**POSTED, "submit": "1"})
    assert PhysicianDeclaration.objects.count() == 1


def test_it_requires_a_justification_for_the_hours(physician_client):
    response = physician_client.post(MINE, {**POSTED, "justification": " ", "submit": "1"})
    assert response.status_code == 400
    assert not PhysicianDeclaration.objects.exists()


def test_it_refuses_patients_offered_by_a_physician_not_participating(physician_client):
    posted = {**POSTED, "mode": "none", "patients_offered": "100", "submit": "1"}
    assert physician_client.post(MINE, posted).status_code == 400
    assert not PhysicianDeclaration.objects.exists()


def test_it_shows_the_physician_the_cmls_answer(physician_client, declaration, cml):
    do_review_declaration(
        declaration, DeclarationStatus.MORE_REQUESTED, "Which hospital?", acting_user=cml
    )
    body = physician_client.get(MINE).content.decode()
    assert "Which hospital?" in body
    assert "More information requested" in body
    assert 'data-testid="declaration-form"' in body  # answered: a new one may be sent


def test_it_shows_a_physician_only_their_own_declarations(client, declaration, physician):
    colleague = (
        Physician.objects.filter(rls=physician.rls, profile__isnull=True)
        .exclude(pk=physician.pk)
        .order_by("code")
        .first()
    )
    client.force_login(make_user(Role.PHYSICIAN, physician=colleague))
    body = client.get(MINE).content.decode()
    assert 'data-testid="declaration-none"' in body
    assert f'data-declaration="{declaration.pk}"' not in body


@pytest.mark.parametrize("name", ["drmg", "cml.rimouski", "gestion.gmf", "ciusss", "coach"])
def test_it_refuses_the_physicians_pages_to_other_roles(client_as, name):
    client = client_as(name)
    assert client.get(MINE).status_code == 403
    assert client.post(MINE, {**POSTED, "submit": "1"}).status_code == 403
    assert client.get(PROGRESS).status_code == 403
    assert not PhysicianDeclaration.objects.exists()


# --------------------------------------------------------------------------- the review


def test_it_lists_the_pending_declarations_of_the_cmls_rls(cml_client, declaration):
    response = cml_client.get(QUEUE)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-declaration="{declaration.pk}"' in body
    assert 'data-testid="declarations-pending"' in body


def test_it_hides_another_rlss_declarations(other_cml_client, declaration):
    assert (
        f'data-declaration="{declaration.pk}"' not in other_cml_client.get(QUEUE).content.decode()
    )
    assert other_cml_client.get(detail(declaration)).status_code == 404
    answer = {"status": "accepted", "comment": ""}
    assert other_cml_client.post(detail(declaration), answer).status_code == 404
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED


@pytest.mark.parametrize("name", ["gestion.gmf", "ciusss", "coach", "medecin"])
def test_it_refuses_the_review_pages_to_other_roles(client_as, declaration, name):
    client = client_as(name)
    assert client.get(QUEUE).status_code == 403
    assert client.get(detail(declaration)).status_code == 403
    assert client.post(detail(declaration), {"status": "accepted"}).status_code == 403
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED


def test_it_lets_the_drmg_read_but_not_answer(drmg_client, declaration):
    assert f'data-declaration="{declaration.pk}"' in drmg_client.get(QUEUE).content.decode()
    body = drmg_client.get(detail(declaration)).content.decode()
    assert 'data-testid="review-form"' not in body
    assert drmg_client.post(detail(declaration), {"status": "accepted"}).status_code == 403
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED


def test_it_shows_the_cml_the_units_and_accepts(cml_client, declaration, physician):
    body = cml_client.get(detail(declaration)).content.decode()
    assert 'data-testid="review-form"' in body
    assert 'data-reaches="yes"' in body  # 36 hours a week
    response = cml_client.post(detail(declaration), {"status": "accepted", "comment": ""})
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.ACCEPTED
    decision = PhysicianDecision.objects.get(physician_code=physician.code)
    assert decision.mode == "le304"
    assert decision.full_workload_demonstrated
    assert 'data-testid="review-form"' not in cml_client.get(detail(declaration)).content.decode()


def test_it_refuses_a_refusal_without_a_comment(cml_client, declaration):
    response = cml_client.post(detail(declaration), {"status": "refused", "comment": ""})
    assert response.status_code == 400
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED


def test_it_does_not_answer_twice_from_the_page(cml_client, declaration, cml):
    do_review_declaration(declaration, DeclarationStatus.REFUSED, "No.", acting_user=cml)
    response = cml_client.post(detail(declaration), {"status": "accepted", "comment": ""})
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.REFUSED
    assert not PhysicianDecision.objects.exists()
