"""The credits reference (web/quality/services/reference.py, web/quality/views/reference.py):
the quality side reads the version in force with its illustrative values marked; the DRMG
publishes a new version once the core parsed it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.audit.models import AuditEvent
from web.quality.errors import QualityError
from web.quality.models import CreditsVersion, QualityAction
from web.quality.services import reference
from web.quality.tests.conftest import World

URL = reverse("quality:credits")


@pytest.mark.parametrize("user", ["m1", "coach", "drmg"])
def test_it_shows_the_version_in_force_with_its_illustrative_values(
    world: World, client_for, user: str
) -> None:
    response = client_for(user).get(URL)
    assert response.status_code == 200
    marked = {row["key"] for row in response.context["rows"] if row["illustrative"]}
    assert marked == {"activities.qi_survey", "plan.max_goals_credited"}
    assert response.content.decode().count('data-testid="illustrative"') == 2
    assert response.context["maximum"] == 34  # 18 + 6 + 2 x 5, the CPSO's "up to 34"
    assert (response.context["form"] is not None) == (user == "drmg")


def test_it_publishes_a_new_version(world: World, client_for) -> None:
    text = world.credits.text.replace("per_completed_goal = 5", "per_completed_goal = 4")
    response = client_for("drmg").post(URL, {"text": text})
    assert response.status_code == 302
    version = CreditsVersion.objects.get(region=world.region, number=2)
    assert version.illustrative == ["activities.qi_survey", "plan.max_goals_credited"]
    assert reference.credits_table(reference.credits_in_force(world.region)).per_completed_goal == 4
    event = AuditEvent.objects.get(action=QualityAction.CREDITS_PUBLISHED)
    assert event.actor == world.users["drmg"] and event.details["number"] == 2


def test_it_refuses_malformed_toml_naming_the_line(world: World, client_for) -> None:
    text = 'version = "x"\n[activities]\nqi_survey = = 0\n'
    response = client_for("drmg").post(URL, {"text": text})
    assert response.status_code == 200
    (error,) = response.context["form"].errors["text"]
    assert "3" in error
    assert CreditsVersion.objects.filter(region=world.region).count() == 1
    assert not AuditEvent.objects.filter(action=QualityAction.CREDITS_PUBLISHED).exists()


def test_it_names_the_line_of_a_wrong_value(world: World) -> None:
    text = world.credits.text.replace("chart_review = 6", "chart_review = -6")
    line = text.splitlines().index("chart_review = -6") + 1
    with pytest.raises(QualityError, match=rf"\b{line}\b.*activities\.chart_review"):
        reference.do_publish_credits(world.region, text, acting_user=world.users["drmg"])


def test_it_names_a_missing_key(world: World) -> None:
    text = world.credits.text.replace("accepted = 6", "")
    with pytest.raises(QualityError, match="accepted"):
        reference.do_publish_credits(world.region, text, acting_user=world.users["drmg"])
    assert CreditsVersion.objects.count() == 1


@pytest.mark.parametrize("user", ["m1", "coach"])
def test_it_refuses_the_publication_to_who_is_not_the_drmg(
    world: World, client_for, user: str
) -> None:
    response = client_for(user).post(URL, {"text": world.credits.text})
    assert response.status_code == 403
    assert CreditsVersion.objects.count() == 1


@pytest.mark.parametrize("user", ["cml", "gmf", "ciusss", "doc_no_record"])
def test_it_refuses_the_page_to_other_roles(world: World, client_for, user: str) -> None:
    assert client_for(user).get(URL).status_code == 403


def test_it_reads_the_shipped_table_before_any_version(world: World, client_for) -> None:
    response = client_for("drmg9").get(URL)
    assert response.status_code == 200 and response.context["in_force"] is None
    assert response.context["form"].initial["text"] == reference.shipped_credits_text()
