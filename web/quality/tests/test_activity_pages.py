"""The activity pages: a member's stepper (save and continue, back, complete), sharing,
and who reads an activity — its physician, another member or the group's coach once
shared, nobody outside the group; and the pages in French, with labels, never codes."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from web.quality import progress
from web.quality.models import Activity, ActivityKind, Group
from web.quality.services import activities as services
from web.quality.tests.conftest import World
from web.regions.testing import visible_text

PRACTICE = {"setting": "Clinique familiale en GMF", "years_of_practice": "19"}
PROFILE_STEPS = {
    "practice": PRACTICE,
    "risks": {"factors": ["high_volume"], "comment": "Beaucoup de patients."},
    "supports": {"factors": ["emr_use"], "comment": "Ajouter une infirmière."},
    "reflection": {
        "strengths": "Le suivi des maladies chroniques.",
        "to_explore": "Les résultats.",
    },
}


def _url(group: Group, kind: str, step: str | None = None) -> str:
    url = reverse("quality:activity", args=[group.pk, kind])
    return f"{url}?step={step}" if step else url


def _profile(world: World, group: Group, *, completed: bool, shared: bool = False) -> Activity:
    values = {
        "practice": {"setting": "Clinique familiale en GMF"},
        "risks": {"factors": ["high_volume"], "comment": "Beaucoup de patients."},
        "supports": {"factors": ["emr_use"], "comment": "Ajouter une infirmière."},
        "reflection": {"strengths": "Le suivi des maladies chroniques.", "to_explore": "Aucun."},
    }
    for key, answers in values.items():
        activity = services.do_save_activity_step(
            group,
            world.physicians["M1"],
            "practice_profile",
            key,
            answers,
            acting_user=world.users["m1"],
        )
    if completed:
        services.do_complete_activity(activity, acting_user=world.users["m1"])
    if shared:
        services.do_share_activity(activity, True, acting_user=world.users["m1"])
    return activity


# -------------------------------------------------------------------------- the stepper


def test_it_shows_the_steps_and_the_practice_profile_prefilled(world, group, english_client_for):
    response = english_client_for("m1").get(_url(group, "practice_profile"))

    assert response.status_code == 200
    page = response.content.decode()
    text = visible_text(page)
    for title in ("Your practice", "Risk factors", "Support factors", "Reflection"):
        assert title in text
    assert "Step 1 of 4: Your practice" in text
    assert 'value="Rimouski-Neigette"' in page  # the platform's facts
    assert 'value="GMF du Fleuve"' in page
    assert "Save and continue" in text
    assert 'data-testid="back"' not in page  # the first step
    assert not Activity.objects.exists()  # reading saves nothing


def test_it_saves_a_step_and_continues_to_the_next(world, group, english_client_for):
    response = english_client_for("m1").post(
        _url(group, "practice_profile"), {**PRACTICE, "action": "save"}
    )

    assert response.status_code == 302
    assert response["Location"] == _url(group, "practice_profile", "risks")
    activity = Activity.objects.get(physician=world.physicians["M1"], kind="practice_profile")
    assert activity.answers["practice"]["setting"] == PRACTICE["setting"]
    assert activity.answers["practice"]["years_of_practice"] == 19
    assert activity.step == 1

    page = english_client_for("m1").get(_url(group, "practice_profile")).content.decode()
    assert "Step 2 of 4: Risk factors" in visible_text(page)  # resumed where it was left
    assert 'data-testid="back"' in page
    assert page.count('data-testid="done"') == 1


def test_it_keeps_nothing_of_a_step_with_a_required_answer_missing(
    world, group, english_client_for
):
    response = english_client_for("m1").post(
        _url(group, "practice_profile"), {"setting": "", "action": "save"}
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Activity.objects.exists()


def test_it_shows_a_step_saved_with_its_answers(world, group, english_client_for):
    _profile(world, group, completed=False)

    page = english_client_for("m1").get(_url(group, "practice_profile", "risks")).content.decode()

    assert 'value="high_volume" checked' in page or "checked" in page.split("high_volume")[1][:80]
    assert "Beaucoup de patients." in page


def test_it_refuses_completion_naming_the_missing_steps(world, group, english_client_for):
    client = english_client_for("m1")
    client.post(_url(group, "practice_profile"), {**PRACTICE, "action": "save"})

    response = client.post(_url(group, "practice_profile"), {"action": "complete"}, follow=True)

    text = visible_text(response.content.decode())
    assert "still to complete: Risk factors, Support factors, Reflection." in text
    assert Activity.objects.get().completed_on is None


def test_it_completes_the_activity_from_its_last_step(world, group, english_client_for):
    client = english_client_for("m1")
    for key, values in PROFILE_STEPS.items():
        client.post(_url(group, "practice_profile", key), {**values, "action": "save"})
    last = client.get(_url(group, "practice_profile", "reflection")).content.decode()
    assert 'data-testid="complete-button"' in last

    response = client.post(_url(group, "practice_profile"), {"action": "complete"}, follow=True)

    activity = Activity.objects.get()
    assert activity.completed_on == timezone.localdate()
    text = visible_text(response.content.decode())
    assert "Activity completed." in text
    assert "Le suivi des maladies chroniques." in text  # the answers, read only
    assert 'data-testid="step-form"' not in response.content.decode()


def test_it_offers_completion_on_the_last_step_only(world, group, english_client_for):
    _profile(world, group, completed=False)

    page = english_client_for("m1").get(_url(group, "practice_profile", "risks")).content.decode()

    assert 'data-testid="complete-button"' not in page


def test_it_shows_the_data_driven_qi_beside_the_physicians_figures(
    world, group, english_client_for
):
    page = english_client_for("m1").get(_url(group, "data_driven_qi")).content.decode()

    assert 'data-testid="figures"' in page
    assert "Where you stand and why" in visible_text(page)


def test_it_says_when_no_qi_survey_is_published(world, group, english_client_for):
    world.survey.delete()

    page = english_client_for("m1").get(_url(group, "qi_survey")).content.decode()

    assert 'data-testid="no-survey"' in page
    assert 'data-testid="step-form"' not in page


def test_it_answers_the_qi_survey_step(world, group, english_client_for):
    response = english_client_for("m1").post(
        _url(group, "qi_survey"),
        {"setting": "Cabinet", "emr": "Oui", "confidence": "4", "action": "save"},
    )

    assert response.status_code == 302
    assert Activity.objects.get(kind="qi_survey").answers == {
        "questions_1": {"setting": "Cabinet", "emr": "Oui", "confidence": 4}
    }


def test_it_saves_a_yes_or_no_answer_as_a_boolean(world, group, english_client_for):
    client = english_client_for("m1")
    client.post(
        _url(group, "chart_review"), {"criteria": ["legible"], "charts": "10", "action": "save"}
    )

    client.post(_url(group, "chart_review", "peer"), {"peer_conversation": "no", "action": "save"})

    assert Activity.objects.get().answers["peer"] == {
        "peer_conversation": False,
        "peer_learning": "",
    }


def test_it_asks_no_patient_identity_in_the_chart_review(world, group, english_client_for):
    client = english_client_for("m1")
    client.post(
        _url(group, "chart_review"), {"criteria": ["legible"], "charts": "10", "action": "save"}
    )

    client.post(
        _url(group, "chart_review", "findings"),
        {"legible_met": "8", "legible_not_met": "2", "patient": "Tremblay, 1950", "action": "save"},
    )

    answers = Activity.objects.get().answers
    assert answers["findings"] == {"legible_met": 8, "legible_not_met": 2}
    assert "Tremblay" not in str(answers)


@pytest.mark.parametrize("name", ["m7", "m20"])
def test_it_refuses_the_stepper_to_a_physician_outside_the_group(
    world, group, english_client_for, name
):
    assert english_client_for(name).get(_url(group, "practice_profile")).status_code == 404


@pytest.mark.parametrize("name", ["m3", "coach"])
def test_it_refuses_the_stepper_to_who_is_not_a_member(world, group, english_client_for, name):
    # M3 is only invited; the coach follows the group.
    assert english_client_for(name).get(_url(group, "practice_profile")).status_code == 403


@pytest.mark.parametrize("name", ["cml", "gmf", "doc_no_record"])
def test_it_refuses_the_stepper_to_other_roles(world, group, english_client_for, name):
    assert english_client_for(name).get(_url(group, "practice_profile")).status_code == 403


def test_it_answers_404_for_an_unknown_activity_or_step(world, group, english_client_for):
    client = english_client_for("m1")

    assert client.get(_url(group, "peer_review")).status_code == 404
    assert client.get(_url(group, "practice_profile", "findings")).status_code == 404


def test_it_answers_404_to_complete_an_activity_never_saved(world, group, english_client_for):
    response = english_client_for("m1").post(_url(group, "chart_review"), {"action": "complete"})

    assert response.status_code == 404


# -------------------------------------------------------------------------- sharing, reading


def test_it_lets_the_owner_share_from_the_stepper(world, group, english_client_for):
    activity = _profile(world, group, completed=True)
    client = english_client_for("m1")

    response = client.post(reverse("quality:activity-share", args=[activity.pk]), {"shared": "1"})

    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.shared
    client.post(reverse("quality:activity-share", args=[activity.pk]), {"shared": "0"})
    activity.refresh_from_db()
    assert not activity.shared


@pytest.mark.parametrize("name", ["m2", "coach", "m7"])
def test_it_refuses_sharing_to_anyone_but_the_owner(world, group, english_client_for, name):
    activity = _profile(world, group, completed=True, shared=True)

    response = english_client_for(name).post(
        reverse("quality:activity-share", args=[activity.pk]), {"shared": "0"}
    )

    assert response.status_code == 404
    activity.refresh_from_db()
    assert activity.shared


def test_it_shares_by_post_only(world, group, english_client_for):
    activity = _profile(world, group, completed=True)

    response = english_client_for("m1").get(reverse("quality:activity-share", args=[activity.pk]))

    assert response.status_code == 405


def test_it_hides_an_unshared_activity_from_another_member(world, group, english_client_for):
    activity = _profile(world, group, completed=True)

    assert (
        english_client_for("m2")
        .get(reverse("quality:activity-read", args=[activity.pk]))
        .status_code
        == 404
    )


def test_it_lets_another_member_read_a_shared_activity(world, group, english_client_for):
    activity = _profile(world, group, completed=True, shared=True)

    response = english_client_for("m2").get(reverse("quality:activity-read", args=[activity.pk]))

    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "Le suivi des maladies chroniques." in text
    assert "Completed on" in text


@pytest.mark.parametrize("name", ["m7", "m20", "m3", "coach2", "coach9"])
def test_it_hides_a_shared_activity_outside_the_group(world, group, english_client_for, name):
    activity = _profile(world, group, completed=True, shared=True)

    assert (
        english_client_for(name)
        .get(reverse("quality:activity-read", args=[activity.pk]))
        .status_code
        == 404
    )


def test_it_shows_the_coach_the_completion_but_not_the_answers_unless_shared(
    world, group, english_client_for
):
    activity = _profile(world, group, completed=True)
    coach = english_client_for("coach")

    # The coach's progress reads the completion...
    (member,) = [
        row
        for row in progress.group_progress(group, timezone.localdate()).members
        if row.physician == world.physicians["M1"]
    ]
    assert member.activities_done == 1
    # ...not the answers.
    assert coach.get(reverse("quality:activity-read", args=[activity.pk])).status_code == 404

    services.do_share_activity(activity, True, acting_user=world.users["m1"])
    response = coach.get(reverse("quality:activity-read", args=[activity.pk]))

    assert response.status_code == 200
    assert "Le suivi des maladies chroniques." in visible_text(response.content.decode())


def test_it_lets_the_owner_read_an_unshared_activity(world, group, english_client_for):
    activity = _profile(world, group, completed=False)

    response = english_client_for("m1").get(reverse("quality:activity-read", args=[activity.pk]))

    assert response.status_code == 200
    assert "Le suivi des maladies chroniques." in visible_text(response.content.decode())


# -------------------------------------------------------------------------- in French


@pytest.mark.parametrize("kind", ["practice_profile", "data_driven_qi", "chart_review"])
def test_it_shows_labels_never_codes_in_french(world, group, client_for, kind):
    if kind == "practice_profile":
        _profile(world, group, completed=True, shared=True)
    client = client_for("m1", language="fr")

    page = client.get(_url(group, kind)).content.decode()

    text = visible_text(page)
    with translation.override("fr"):
        label = str(ActivityKind(kind).label)
    assert label in text
    assert 'lang="fr"' in page
    for code in ("data_driven_qi", "practice_profile", "chart_review", "high_volume", "None"):
        assert code not in text
