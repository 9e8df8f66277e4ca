"""The QI Survey's questionnaire: a coach or the DRMG publishes a new version; an activity
keeps the version it started with; a physician cannot edit it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.audit.models import AuditEvent
from web.quality import activities
from web.quality.errors import ActivityRefused
from web.quality.models import Activity, Group, QualityAction, SurveyVersion
from web.quality.services import activities as services
from web.quality.tests.conftest import SURVEY_QUESTIONS, World, make_formed_group

NEW_QUESTIONS = [
    {"key": "team", "text": "Avec qui travaillez-vous?", "kind": "text"},
    {
        "key": "audit",
        "text": "Avez-vous déjà fait une revue de dossiers?",
        "kind": "choice",
        "choices": ["Oui", "Non", "Je ne sais pas"],
    },
]


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The sentences read in English (the ids)."""


@pytest.fixture
def group(world: World) -> Group:
    """M1's group with M2 accepted."""
    return make_formed_group(world, complete=False)


def _rows(questions: list[dict]) -> dict[str, str]:
    """The editor's POST for ``questions`` (no extra row)."""
    data = {
        "form-TOTAL_FORMS": str(len(questions)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for number, question in enumerate(questions):
        data[f"form-{number}-key"] = question["key"]
        data[f"form-{number}-text"] = question["text"]
        data[f"form-{number}-kind"] = question["kind"]
        data[f"form-{number}-choices"] = "\n".join(question.get("choices", []))
    return data


# -------------------------------------------------------------------------- the service


def test_it_publishes_the_next_version(world: World):
    survey = services.do_publish_survey(
        world.region, NEW_QUESTIONS, acting_user=world.users["coach"]
    )

    assert survey.number == 2
    assert activities.survey_in_force(world.region.pk) == survey
    assert survey.questions[1] == {
        "key": "audit",
        "text": "Avez-vous déjà fait une revue de dossiers?",
        "kind": "choice",
        "choices": ["Oui", "Non", "Je ne sais pas"],
    }
    assert "choices" not in survey.questions[0]
    event = AuditEvent.objects.get(action=QualityAction.SURVEY_PUBLISHED)
    assert event.details == {"number": 2, "questions": ["team", "audit"]}


def test_it_numbers_each_region_on_its_own(world: World):
    survey = services.do_publish_survey(
        world.other_region, NEW_QUESTIONS, acting_user=world.users["coach9"]
    )

    assert survey.number == 1
    assert activities.survey_in_force(world.region.pk) == world.survey


def test_it_keeps_the_version_an_activity_started_with(world: World, group: Group):
    m1, m2 = world.physicians["M1"], world.physicians["M2"]
    started = services.do_save_activity_step(
        group, m1, "qi_survey", "questions_1", {"setting": "Cabinet"}, acting_user=world.users["m1"]
    )

    services.do_publish_survey(world.region, NEW_QUESTIONS, acting_user=world.users["coach"])

    # M1 goes on with version 1's questions...
    services.do_save_activity_step(
        group,
        m1,
        "qi_survey",
        "questions_1",
        {"setting": "Cabinet", "emr": "Oui", "confidence": 2},
        acting_user=world.users["m1"],
    )
    started.refresh_from_db()
    assert started.survey == world.survey
    assert started.survey.number == 1
    with pytest.raises(ActivityRefused, match="not fields of this step"):
        services.do_save_activity_step(
            group, m1, "qi_survey", "questions_1", {"team": "Seul"}, acting_user=world.users["m1"]
        )
    services.do_complete_activity(started, acting_user=world.users["m1"])
    # ...while M2, starting now, answers version 2.
    later = services.do_save_activity_step(
        group, m2, "qi_survey", "questions_1", {"team": "Seul"}, acting_user=world.users["m2"]
    )
    assert later.survey.number == 2


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ([], "one question at least"),
        ([{"key": "Team", "text": "Avec qui?", "kind": "text"}], "lowercase letters"),
        (
            [
                {"key": "team", "text": "Avec qui?", "kind": "text"},
                {"key": "team", "text": "Et encore?", "kind": "text"},
            ],
            "Question 2: the key “team” is used by another question.",
        ),
        ([{"key": "team", "text": "  ", "kind": "text"}], "Question 1: write its text."),
        ([{"key": "team", "text": "Avec qui?", "kind": "ranking"}], "choose its kind"),
        (
            [{"key": "emr", "text": "DME?", "kind": "choice", "choices": ["Oui", " "]}],
            "two choices or more",
        ),
    ],
)
def test_it_refuses_malformed_questions(world: World, questions, message):
    with pytest.raises(ActivityRefused, match=message):
        services.do_publish_survey(world.region, questions, acting_user=world.users["coach"])

    assert SurveyVersion.objects.filter(region=world.region).count() == 1


# -------------------------------------------------------------------------- the editor


@pytest.mark.parametrize("name", ["coach", "drmg"])
def test_it_shows_the_questions_in_force_to_edit(world: World, english_client_for, name):
    response = english_client_for(name).get(reverse("quality:survey-edit"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="question-row"') == len(SURVEY_QUESTIONS) + 2  # 2 new rows
    assert 'value="confidence"' in page
    assert "Oui\nNon</textarea>" in page
    assert "Version 1 in force" in page


def test_it_publishes_the_rows_as_a_new_version(world: World, english_client_for):
    response = english_client_for("coach").post(
        reverse("quality:survey-edit"), _rows(NEW_QUESTIONS)
    )

    assert response.status_code == 302
    survey = activities.survey_in_force(world.region.pk)
    assert survey.number == 2
    assert [question["key"] for question in survey.questions] == ["team", "audit"]
    assert survey.created_by == world.users["coach"]


def test_it_drops_rows_left_empty_or_removed(world: World, english_client_for):
    # The page as it comes: version 1's three rows and two new rows, left as they are.
    blank = {"key": "", "text": "", "kind": "text"}
    data = _rows([*SURVEY_QUESTIONS, blank, blank])
    data["form-INITIAL_FORMS"] = "3"
    data["form-0-DELETE"] = "on"
    data["form-2-text"] = "Votre aisance avec la qualité (1 à 5)"

    response = english_client_for("drmg").post(reverse("quality:survey-edit"), data)

    assert response.status_code == 302
    survey = activities.survey_in_force(world.region.pk)
    assert survey.number == 2
    assert [question["key"] for question in survey.questions] == ["emr", "confidence"]
    assert survey.questions[1]["text"] == "Votre aisance avec la qualité (1 à 5)"


def test_it_says_why_questions_are_refused(world: World, english_client_for):
    questions = [{"key": "emr", "text": "DME?", "kind": "choice", "choices": ["Oui"]}]

    response = english_client_for("coach").post(reverse("quality:survey-edit"), _rows(questions))

    assert response.status_code == 200
    assert "Question 1: a choice question offers two choices or more." in response.content.decode()
    assert activities.survey_in_force(world.region.pk) == world.survey


@pytest.mark.parametrize("name", ["m1", "cml", "gmf", "ciusss", "doc_no_record"])
def test_it_refuses_the_editor_to_who_is_not_a_coach_or_the_drmg(
    world: World, english_client_for, name
):
    client = english_client_for(name)

    assert client.get(reverse("quality:survey-edit")).status_code == 403
    assert client.post(reverse("quality:survey-edit"), _rows(NEW_QUESTIONS)).status_code == 403
    assert SurveyVersion.objects.filter(region=world.region).count() == 1


def test_it_publishes_in_the_coach_s_own_region(world: World, english_client_for):
    english_client_for("coach9").post(reverse("quality:survey-edit"), _rows(NEW_QUESTIONS))

    assert activities.survey_in_force(world.region.pk) == world.survey
    assert activities.survey_in_force(world.other_region.pk).number == 1


def test_it_starts_a_survey_activity_on_the_version_in_force(
    world: World, group: Group, english_client_for
):
    services.do_publish_survey(world.region, NEW_QUESTIONS, acting_user=world.users["coach"])

    page = english_client_for("m2").get(reverse("quality:activity", args=[group.pk, "qi_survey"]))

    text = page.content.decode()
    assert "Avec qui travaillez-vous?" in text
    assert "Décrivez votre milieu de pratique." not in text
    assert not Activity.objects.exists()
