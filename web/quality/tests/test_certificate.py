"""A member's certificate of completion as a PDF (web/quality/views/certificates.py): its
physician and the group's coach fetch it, anyone else gets a 404."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from web.quality.models import Completion
from web.quality.services import plans as services
from web.quality.tests.conftest import World, make_formed_group, make_plan


@pytest.fixture
def completion(world: World) -> Completion:
    """M2's completion of the accepted plan of M1's group (coach: ``coach``)."""
    plan = make_plan(make_formed_group(world, others=("M2", "M3")), status="submitted")
    services.do_review_plan(
        plan, "accepted", on=datetime.date(2026, 9, 15), acting_user=world.users["coach"]
    )
    return Completion.objects.get(physician=world.physicians["M2"])


@pytest.mark.slow
@pytest.mark.parametrize("user", ["m2", "coach"])
def test_it_gives_the_certificate_to_its_physician_and_the_coach(
    world: World, client_for, completion: Completion, user: str
) -> None:
    response = client_for(user).get(reverse("quality:certificate", args=[completion.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "M2" in response["Content-Disposition"]


@pytest.mark.parametrize("user", ["m1", "m3", "m5", "coach2", "coach9", "drmg", "drmg9"])
def test_it_answers_404_to_anyone_else(
    world: World, client_for, completion: Completion, user: str
) -> None:
    make_formed_group(world, founder="M5", others=("M6",), name="Autre groupe")
    response = client_for(user).get(reverse("quality:certificate", args=[completion.pk]))
    assert response.status_code == 404


def test_it_refuses_other_roles(world: World, client_for, completion: Completion) -> None:
    response = client_for("cml").get(reverse("quality:certificate", args=[completion.pk]))
    assert response.status_code == 403


def test_it_links_each_member_to_their_own_certificate_only(
    world: World, client_for, completion: Completion
) -> None:
    url = reverse("quality:certificate", args=[completion.pk])
    page = client_for("m2").get(reverse("quality:plan", args=[completion.group_id]))
    assert [c.pk for c in page.context["completions"]] == [completion.pk]
    assert url in page.content.decode()
    coach_page = client_for("coach").get(reverse("quality:plan", args=[completion.group_id]))
    assert len(coach_page.context["completions"]) == 3
