"""The four activities' steps and their services: a step saved and the stepper advanced,
keys of no field refused (no patient identity can be stored), values checked, completion
refused while a step is missing, sharing, and the Practice Profile's platform facts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from web.audit.models import AuditEvent
from web.quality import activities
from web.quality.errors import ActivityRefused
from web.quality.models import Activity, Group, QualityAction
from web.quality.services import activities as services
from web.quality.tests.conftest import World, register

PRACTICE = {"setting": "Clinique familiale en GMF, milieu semi-urbain", "years_of_practice": 19}
RISKS = {"factors": ["high_volume"], "comment": "Beaucoup de patients vus chaque jour."}
SUPPORTS = {"factors": ["team_based_care", "emr_use"], "comment": "Ajouter une infirmière."}
REFLECTION = {"strengths": "Le suivi des maladies chroniques.", "to_explore": "Les résultats."}
CRITERIA = {"criteria": ["legible", "results"], "charts": 20}
FINDINGS = {"legible_met": 18, "legible_not_met": 2, "results_met": 15, "results_not_met": 5}


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The sentences read in English (the ids); French is checked on the pages."""


def _save(world: World, group: Group, kind: str, step: str, values: dict) -> Activity:
    return services.do_save_activity_step(
        group, world.physicians["M1"], kind, step, values, acting_user=world.users["m1"]
    )


def _profile_through(world: World, group: Group, last: str) -> Activity:
    steps = {"practice": PRACTICE, "risks": RISKS, "supports": SUPPORTS, "reflection": REFLECTION}
    for key, values in steps.items():
        activity = _save(world, group, "practice_profile", key, values)
        if key == last:
            break
    return activity


# -------------------------------------------------------------------------- saving a step


def test_it_creates_the_activity_on_its_first_step_and_advances(world: World, group: Group):
    activity = _save(world, group, "practice_profile", "practice", PRACTICE)

    activity.refresh_from_db()
    assert activity.answers == {"practice": PRACTICE}
    assert activity.step == 1
    assert activity.completed_on is None
    assert activity.survey is None


def test_it_records_the_step_saved_but_never_the_answers(world: World, group: Group):
    activity = _save(world, group, "practice_profile", "practice", PRACTICE)

    event = AuditEvent.objects.get(action=QualityAction.ACTIVITY_SAVED)
    assert event.subject_id == str(activity.pk)
    assert event.details["step"] == "practice"
    assert event.details["kind"] == "practice_profile"
    assert PRACTICE["setting"] not in str(event.details)


def test_it_keeps_the_furthest_step_when_a_member_goes_back(world: World, group: Group):
    _profile_through(world, group, "supports")

    activity = _save(world, group, "practice_profile", "practice", {**PRACTICE, "setting": "Autre"})

    assert activity.step == 3
    assert activity.answers["practice"]["setting"] == "Autre"
    assert activity.answers["risks"] == RISKS


def test_it_stays_on_the_last_step_once_it_is_saved(world: World, group: Group):
    activity = _profile_through(world, group, "reflection")

    assert activity.step == len(activities.steps_of("practice_profile")) - 1


def test_it_refuses_a_key_that_is_not_a_field(world: World, group: Group):
    # A patient's identity has no field: the chart review cannot hold one.
    with pytest.raises(ActivityRefused, match="not fields of this step"):
        _save(world, group, "chart_review", "criteria", {**CRITERIA, "patient_name": "Tremblay"})

    assert not Activity.objects.exists()
    assert not AuditEvent.objects.filter(action=QualityAction.ACTIVITY_SAVED).exists()


def test_it_refuses_the_findings_of_a_criterion_not_reviewed(world: World, group: Group):
    _save(world, group, "chart_review", "criteria", CRITERIA)

    with pytest.raises(ActivityRefused, match="not fields of this step"):
        _save(world, group, "chart_review", "findings", {**FINDINGS, "consent_met": 3})


def test_it_refuses_more_charts_counted_than_reviewed(world: World, group: Group):
    _save(world, group, "chart_review", "criteria", CRITERIA)

    with pytest.raises(ActivityRefused, match="21 charts counted, more than the 20"):
        _save(world, group, "chart_review", "findings", {**FINDINGS, "legible_not_met": 3})


@pytest.mark.parametrize(
    ("kind", "step", "values", "message"),
    [
        ("chart_review", "criteria", {"criteria": ["legible"], "charts": 0}, "from 1 to 200"),
        ("chart_review", "criteria", {"criteria": ["legible"], "charts": 2.5}, "whole number"),
        ("chart_review", "criteria", {"criteria": ["made_up"], "charts": 5}, "answers offered"),
        ("practice_profile", "practice", {"vulnerable_share": 140.0}, "from 0 to 100"),
        ("practice_profile", "practice", {"setting": 12}, "a text is expected"),
        ("data_driven_qi", "opportunities", {"indicator": "income"}, "answers offered"),
        ("chart_review", "peer", {"peer_conversation": "maybe"}, "yes or no"),
    ],
)
def test_it_refuses_a_value_out_of_its_kind(world, group, kind, step, values, message):
    with pytest.raises(ActivityRefused, match=message):
        _save(world, group, kind, step, values)


def test_it_refuses_an_unknown_step_or_kind(world: World, group: Group):
    with pytest.raises(ActivityRefused, match="not a step"):
        _save(world, group, "practice_profile", "findings", {})
    with pytest.raises(ActivityRefused, match="not an activity"):
        _save(world, group, "peer_review", "practice", {})


def test_it_answers_the_qi_survey_in_the_version_in_force(world: World, group: Group):
    values = {"setting": "Cabinet", "emr": "Oui", "confidence": 3}

    activity = _save(world, group, "qi_survey", "questions_1", values)

    assert activity.survey == world.survey
    assert activity.answers == {"questions_1": values}


def test_it_refuses_a_scale_answer_outside_1_to_5(world: World, group: Group):
    with pytest.raises(ActivityRefused, match="from 1 to 5"):
        _save(world, group, "qi_survey", "questions_1", {"confidence": 7})


def test_it_refuses_the_qi_survey_before_any_version_is_published(world: World, group: Group):
    world.survey.delete()

    with pytest.raises(ActivityRefused, match="No QI survey is published yet"):
        _save(world, group, "qi_survey", "questions_1", {"setting": "Cabinet"})


# -------------------------------------------------------------------------- completion


def test_it_refuses_completion_naming_the_steps_missing(world: World, group: Group):
    activity = _profile_through(world, group, "risks")

    with pytest.raises(ActivityRefused) as refused:
        services.do_complete_activity(activity, acting_user=world.users["m1"])

    assert "Support factors" in str(refused.value)
    assert "Reflection" in str(refused.value)
    assert "Risk factors" not in str(refused.value)
    activity.refresh_from_db()
    assert activity.completed_on is None


def test_it_counts_a_step_saved_with_a_required_answer_empty_as_missing(world, group):
    _profile_through(world, group, "supports")
    activity = _save(world, group, "practice_profile", "reflection", {"strengths": "Le suivi."})

    with pytest.raises(ActivityRefused, match="Reflection"):
        services.do_complete_activity(activity, acting_user=world.users["m1"])


def test_it_completes_an_activity_once_every_step_is_done(world: World, group: Group):
    activity = _profile_through(world, group, "reflection")

    services.do_complete_activity(activity, acting_user=world.users["m1"])

    activity.refresh_from_db()
    assert activity.completed_on == timezone.localdate()
    event = AuditEvent.objects.get(action=QualityAction.ACTIVITY_COMPLETED)
    assert event.details["kind"] == "practice_profile"


def test_it_completes_a_chart_review_of_counts_and_reflections(world: World, group: Group):
    _save(world, group, "chart_review", "criteria", CRITERIA)
    _save(world, group, "chart_review", "findings", FINDINGS)
    _save(world, group, "chart_review", "reflection", {"learned": "a", "changes": "b"})
    activity = _save(world, group, "chart_review", "peer", {"peer_conversation": False})

    services.do_complete_activity(activity, acting_user=world.users["m1"])

    assert activity.completed_on is not None


def test_it_refuses_completion_when_the_findings_exceed_charts_reviewed_since(world, group):
    _save(world, group, "chart_review", "criteria", CRITERIA)
    _save(world, group, "chart_review", "findings", FINDINGS)
    _save(world, group, "chart_review", "reflection", {"learned": "a", "changes": "b"})
    _save(world, group, "chart_review", "peer", {"peer_conversation": True})
    # The member lowers the number of charts after counting the findings.
    activity = _save(world, group, "chart_review", "criteria", {**CRITERIA, "charts": 10})

    with pytest.raises(ActivityRefused, match="more than the 10 charts reviewed"):
        services.do_complete_activity(activity, acting_user=world.users["m1"])


def test_it_asks_the_findings_of_a_criterion_added_since(world: World, group: Group):
    _save(world, group, "chart_review", "criteria", CRITERIA)
    _save(world, group, "chart_review", "findings", FINDINGS)
    _save(world, group, "chart_review", "reflection", {"learned": "a", "changes": "b"})
    _save(world, group, "chart_review", "peer", {"peer_conversation": True})
    activity = _save(
        world, group, "chart_review", "criteria", {**CRITERIA, "criteria": ["legible", "cpp"]}
    )

    with pytest.raises(ActivityRefused, match="Findings"):
        services.do_complete_activity(activity, acting_user=world.users["m1"])


def test_it_keeps_a_completed_activity_as_it_was(world: World, group: Group):
    activity = _profile_through(world, group, "reflection")
    services.do_complete_activity(activity, acting_user=world.users["m1"])

    with pytest.raises(ActivityRefused, match="was completed on"):
        _save(world, group, "practice_profile", "practice", {**PRACTICE, "setting": "Autre"})
    with pytest.raises(ActivityRefused, match="was completed on"):
        services.do_complete_activity(activity, acting_user=world.users["m1"])

    activity.refresh_from_db()
    assert activity.answers["practice"] == PRACTICE


# -------------------------------------------------------------------------- sharing


def test_it_shares_and_stops_sharing_an_activity(world: World, group: Group):
    activity = _save(world, group, "data_driven_qi", "figures", {"where_you_stand": "Au milieu"})

    services.do_share_activity(activity, True, acting_user=world.users["m1"])
    activity.refresh_from_db()
    assert activity.shared
    services.do_share_activity(activity, False, acting_user=world.users["m1"])
    activity.refresh_from_db()
    assert not activity.shared

    shared = AuditEvent.objects.filter(action=QualityAction.ACTIVITY_SHARED).order_by("pk")
    assert [event.details["shared"] for event in shared] == [True, False]


def test_it_records_nothing_when_sharing_is_already_as_asked(world: World, group: Group):
    activity = _save(world, group, "data_driven_qi", "figures", {"where_you_stand": "Au milieu"})

    services.do_share_activity(activity, False, acting_user=world.users["m1"])

    assert not AuditEvent.objects.filter(action=QualityAction.ACTIVITY_SHARED).exists()


# -------------------------------------------------------------------------- the data


def test_it_splits_the_survey_into_steps_of_its_version(world: World):
    (step,) = activities.steps_of("qi_survey", world.survey)

    assert step.key == "questions_1"
    assert [(f.key, f.kind, f.required) for f in step.fields] == [
        ("setting", "textarea", True),
        ("emr", "choice", True),
        ("confidence", "scale", True),
    ]
    assert step.fields[1].choices == (("Oui", "Oui"), ("Non", "Non"))


def test_it_counts_a_step_never_saved_as_missing():
    steps = activities.steps_of("data_driven_qi")

    missing = activities.missing_steps(steps, {"figures": {"where_you_stand": "Au milieu"}})

    assert [step.key for step in missing] == ["opportunities"]


def test_it_shows_answers_by_their_labels():
    steps = activities.steps_of("chart_review")
    answers = {"criteria": CRITERIA, "peer": {"peer_conversation": True}}

    rows = {answered.step.key: answered.rows for answered in activities.answer_rows(steps, answers)}

    criteria = {str(label): value for label, value in rows["criteria"]}
    assert criteria["Criteria reviewed"] == (
        "Legible and understandable (no ambiguous abbreviations), Test results followed up"
    )
    assert criteria["Number of charts reviewed"] == "20"
    peer = {str(label): value for label, value in rows["peer"]}
    assert peer["I discussed this review with a trusted peer"] == "Yes"
    assert peer["What came of the conversation"] == "—"
    # The findings of the criteria reviewed only.
    assert len(rows["findings"]) == 4


def test_it_prefills_the_practice_profile_with_the_platform_facts(world: World):
    physician = world.physicians["M1"]
    today = timezone.localdate()
    for number, vulnerable in enumerate([True, False, False, False]):
        register(world, physician, f"P{number}", datetime.date(2020, 1, 1), vulnerable=vulnerable)
    # A registration ended before today is not in the panel.
    register(world, physician, "P9", datetime.date(2020, 1, 1), today)

    practice = activities.prefill("practice_profile", activities.PRACTICE_PROFILE[0], physician)

    assert practice["panel_size"] == 4
    assert practice["vulnerable_share"] == 25.0
    assert practice["gmf"] == "GMF du Fleuve"
    assert practice["rls"] == "Rimouski-Neigette"
    start = physician.practice_start
    assert practice["years_of_practice"] == today.year - start.year - (
        (today.month, today.day) < (start.month, start.day)
    )
    assert practice["assiduity_tier"] == ""  # no assiduity computation in this world
    assert "setting" not in practice  # the physician describes it


def test_it_checks_team_based_care_for_a_gmf_physician_only(world: World):
    supports = activities.PRACTICE_PROFILE[2]

    assert activities.prefill("practice_profile", supports, world.physicians["M1"]) == {
        "factors": ["team_based_care"]
    }
    assert activities.prefill("practice_profile", supports, world.physicians["M7"]) == {}
    assert (
        activities.prefill("chart_review", activities.CHART_REVIEW[0], world.physicians["M1"]) == {}
    )


def test_it_has_no_vulnerable_share_without_a_panel(world: World):
    facts = activities.practice_facts(world.physicians["M7"], datetime.date(2026, 3, 1))

    assert facts.panel_size == 0
    assert facts.vulnerable_share is None
    assert facts.gmf == ""
    assert facts.rls == "Matane"
    assert facts.years_of_practice == 19


def test_it_writes_a_numeric_answer_the_readers_way():
    step = activities.PRACTICE_PROFILE[0]
    share = next(field for field in step.fields if field.key == "vulnerable_share")
    with translation.override("fr"):
        assert activities.display(share, 34.8) == "34,8"
    with translation.override("en"):
        assert activities.display(share, 34.8) == "34.8"
