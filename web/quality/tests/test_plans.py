"""The Practice Improvement Plan: its editor, goals, PDSA cycles, measurements and
submission (web/quality/services/plans.py, web/quality/views/plans.py), on groups and
plans made by the builders of the conftest."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from panelcare.quality.plans import ACTIVITIES
from web.audit.models import AuditEvent
from web.quality.errors import PlanRefused
from web.quality.models import (
    Goal,
    Invitation,
    ManualPoint,
    PdsaCycle,
    Plan,
    QualityAction,
)
from web.quality.services import plans as services
from web.quality.tests.conftest import (
    World,
    complete_activities,
    make_formed_group,
    make_goal,
    make_plan,
)

DAY = datetime.date(2026, 3, 2)


GOAL_POST = {
    "title": "Hausser le taux d'assiduité à 80 %",
    "kind": "practice",
    "indicator": "assiduity_rate",
    "definition": "",
    "baseline": "72",
    "target": "80",
    "target_date": "2026-12-31",
    "change_ideas": "Plages sans rendez-vous\nRappels",
}


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# -- the plan's areas --------------------------------------------------------------------


def test_it_creates_the_plan_on_first_save_and_audits_it(world: World) -> None:
    group = make_formed_group(world)
    plan = services.do_save_plan(
        group, strengths=" Forces ", improvements="Accès", acting_user=world.users["m1"]
    )
    assert plan.group == group and plan.strengths == "Forces" and plan.status == "draft"
    event = AuditEvent.objects.get(action=QualityAction.PLAN_SAVED)
    assert event.details["created"] is True and event.actor == world.users["m1"]


def test_it_says_why_the_page_does_not_save_a_submitted_plan(world: World, client_for) -> None:
    plan = make_plan(make_formed_group(world), status="submitted")
    response = client_for("m1").post(
        reverse("quality:plan", args=[plan.group.pk]), {"strengths": "x", "improvements": "y"}
    )
    assert response.status_code == 302 and len(_messages(response)) == 1
    plan.refresh_from_db()
    assert plan.strengths == "Suivi des patients diabétiques"


def test_it_refuses_to_change_a_submitted_plan(world: World) -> None:
    plan = make_plan(make_formed_group(world), status="submitted")
    with pytest.raises(PlanRefused):
        services.do_save_plan(
            plan.group, strengths="Autre", improvements="Autre", acting_user=world.users["m1"]
        )
    plan.refresh_from_db()
    assert plan.strengths == "Suivi des patients diabétiques"


def test_it_lets_the_group_change_the_plan_after_changes_were_requested(world: World) -> None:
    plan = make_plan(make_formed_group(world), status="changes_requested")
    services.do_save_plan(
        plan.group, strengths="Autre", improvements="Autre", acting_user=world.users["m2"]
    )
    plan.refresh_from_db()
    assert plan.strengths == "Autre"


def test_it_saves_the_areas_through_the_page(world: World, client_for) -> None:
    group = make_formed_group(world)
    response = client_for("m2").post(
        reverse("quality:plan", args=[group.pk]),
        {"strengths": "Forces", "improvements": "Améliorations"},
    )
    assert response.status_code == 302
    assert Plan.objects.get(group=group).improvements == "Améliorations"


# -- goals -------------------------------------------------------------------------------


def test_it_saves_a_smart_goal_through_the_page(world: World, client_for) -> None:
    group = make_formed_group(world)
    response = client_for("m1").post(reverse("quality:goal-new", args=[group.pk]), GOAL_POST)
    assert response.status_code == 302
    goal = Goal.objects.get(plan__group=group)
    assert goal.indicator == "assiduity_rate" and goal.target == Decimal("80")
    assert services.change_ideas(goal) == ("Plages sans rendez-vous", "Rappels")
    assert AuditEvent.objects.filter(action=QualityAction.GOAL_SAVED).count() == 1


def test_it_refuses_a_goal_whose_target_is_its_baseline(world: World, client_for) -> None:
    group = make_formed_group(world)
    response = client_for("m1").post(
        reverse("quality:goal-new", args=[group.pk]), {**GOAL_POST, "target": "72"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Goal.objects.exists()


def test_it_refuses_a_manual_measure_without_its_definition(world: World) -> None:
    group = make_formed_group(world)
    values = {**GOAL_POST, "indicator": "", "definition": " "}
    values.update(baseline=Decimal("1"), target=Decimal("2"), target_date=datetime.date(2026, 9, 1))
    with pytest.raises(PlanRefused):
        services.do_save_goal(group, values, acting_user=world.users["m1"])
    assert not Goal.objects.exists()


def test_it_refuses_a_second_self_care_goal(world: World) -> None:
    plan = make_plan(make_formed_group(world), goals=1)
    make_goal(plan, "Prendre ses pauses", kind="self_care", manual=True)
    values = {
        **GOAL_POST,
        "kind": "self_care",
        "baseline": Decimal("1"),
        "target": Decimal("3"),
        "target_date": datetime.date(2026, 9, 1),
    }
    with pytest.raises(PlanRefused):
        services.do_save_goal(plan.group, values, acting_user=world.users["m1"])
    assert plan.goals.filter(kind="self_care").count() == 1
    # Changing the one self-care goal itself is not a second one.
    own = plan.goals.get(kind="self_care")
    services.do_save_goal(plan.group, values, goal=own, acting_user=world.users["m1"])
    own.refresh_from_db()
    assert own.indicator == "assiduity_rate"


def test_it_refuses_to_change_a_goal_of_an_accepted_plan(world: World, client_for) -> None:
    plan = make_plan(make_formed_group(world), status="accepted")
    goal = plan.goals.first()
    response = client_for("m1").post(reverse("quality:goal-edit", args=[goal.pk]), GOAL_POST)
    assert response.status_code == 200
    goal.refresh_from_db()
    assert goal.title == "Objectif 1"


# -- PDSA cycles -------------------------------------------------------------------------


def _start(goal: Goal, world: World) -> PdsaCycle:
    return services.do_start_pdsa_cycle(
        goal,
        change_idea="Rappel téléphonique",
        plan_text="Appeler la veille",
        prediction="Moins de rendez-vous manqués",
        on=DAY,
        acting_user=world.users["m1"],
    )


def test_it_starts_a_pdsa_cycle_with_its_plan_and_prediction(world: World, client_for) -> None:
    goal = make_plan(make_formed_group(world)).goals.first()
    response = client_for("m1").post(
        reverse("quality:pdsa-new", args=[goal.pk]),
        {"change_idea": "Rappel téléphonique", "plan_text": "Appeler", "prediction": "Mieux"},
    )
    pdsa = PdsaCycle.objects.get(goal=goal)
    assert response.status_code == 302 and pdsa.phase == "do" and pdsa.prediction == "Mieux"


def test_it_refuses_a_plan_without_prediction(world: World) -> None:
    goal = make_plan(make_formed_group(world)).goals.first()
    with pytest.raises(PlanRefused):
        services.do_start_pdsa_cycle(
            goal,
            change_idea="Rappel téléphonique",
            plan_text="Appeler",
            prediction="",
            acting_user=world.users["m1"],
        )
    assert not PdsaCycle.objects.exists()


def test_it_refuses_a_pdsa_phase_out_of_order(world: World, client_for) -> None:
    pdsa = _start(make_plan(make_formed_group(world)).goals.first(), world)
    response = client_for("m1").post(
        reverse("quality:pdsa-phase", args=[pdsa.pk]), {"phase": "study", "text": "Résultats"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    pdsa.refresh_from_db()
    assert pdsa.study_text == "" and pdsa.phase == "do"


def test_it_fills_the_phases_in_order_and_closes_the_cycle_on_act(world: World) -> None:
    pdsa = _start(make_plan(make_formed_group(world)).goals.first(), world)
    user = world.users["m2"]
    services.do_record_pdsa_phase(pdsa, "do", text="Fait", acting_user=user)
    services.do_record_pdsa_phase(pdsa, "study", text="Comme prévu", acting_user=user)
    assert pdsa.phase == "act" and pdsa.closed_on is None
    services.do_record_pdsa_phase(pdsa, "act", decision="adopt", on=DAY, acting_user=user)
    pdsa.refresh_from_db()
    assert (pdsa.phase, pdsa.act, pdsa.closed_on) == ("closed", "adopt", DAY)
    with pytest.raises(PlanRefused):
        services.do_record_pdsa_phase(pdsa, "do", text="Encore", acting_user=user)
    assert AuditEvent.objects.filter(action=QualityAction.PDSA_RECORDED).count() == 4


def test_it_refuses_a_second_open_cycle_on_the_same_idea(world: World) -> None:
    goal = make_plan(make_formed_group(world)).goals.first()
    _start(goal, world)
    with pytest.raises(PlanRefused):
        _start(goal, world)
    assert goal.cycles.count() == 1


# -- manual measurements -----------------------------------------------------------------


def test_it_records_one_manual_point_a_month(world: World) -> None:
    plan = make_plan(make_formed_group(world), goals=1)
    goal = make_goal(plan, "Pauses", kind="self_care", manual=True)
    user = world.users["m1"]
    services.do_record_manual_point(
        goal, month=datetime.date(2026, 2, 17), value=Decimal("10"), on=DAY, acting_user=user
    )
    assert ManualPoint.objects.get(goal=goal).month == datetime.date(2026, 2, 1)
    with pytest.raises(PlanRefused):
        services.do_record_manual_point(
            goal, month=datetime.date(2026, 2, 3), value=Decimal("12"), on=DAY, acting_user=user
        )
    with pytest.raises(PlanRefused):  # a month to come
        services.do_record_manual_point(
            goal, month=datetime.date(2026, 4, 1), value=Decimal("12"), on=DAY, acting_user=user
        )
    assert goal.points.count() == 1
    assert AuditEvent.objects.filter(action=QualityAction.POINT_RECORDED).count() == 1


def test_it_refuses_a_typed_point_for_a_platform_indicator(world: World, client_for) -> None:
    goal = make_plan(make_formed_group(world)).goals.first()
    response = client_for("m1").post(
        reverse("quality:point-new", args=[goal.pk]), {"month": "2026-01-01", "value": "75"}
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not ManualPoint.objects.exists()


def test_it_completes_a_goal_once(world: World, client_for) -> None:
    goal = make_plan(make_formed_group(world)).goals.first()
    url = reverse("quality:goal-complete", args=[goal.pk])
    assert client_for("m1").post(url).status_code == 302
    goal.refresh_from_db()
    assert goal.completed_on is not None
    client_for("m1").post(url)
    assert AuditEvent.objects.filter(action=QualityAction.GOAL_COMPLETED).count() == 1


# -- submission --------------------------------------------------------------------------


def test_it_refuses_the_submission_naming_the_member_missing_an_activity(
    world: World, client_for
) -> None:
    group = make_formed_group(world, others=("M2", "M3"), complete=False)
    complete_activities(group, world, "M1")
    complete_activities(group, world, "M3")
    complete_activities(group, world, "M2", ACTIVITIES[:3])  # no Data-Driven QI
    plan = make_plan(group)
    page = client_for("m1").get(reverse("quality:plan", args=[group.pk]))
    assert page.context["not_yet"] and "Dr Benoît Roy" in page.context["not_yet"]
    assert "Dre Claire Côté" not in page.context["not_yet"]
    assert 'data-testid="plan-submit" disabled' in page.content.decode()

    response = client_for("m1").post(reverse("quality:plan-submit", args=[group.pk]))
    assert response.status_code == 302
    (message,) = _messages(response)
    assert "Dr Benoît Roy" in message and "Dre Claire Côté" not in message
    plan.refresh_from_db()
    assert plan.status == "draft"
    with pytest.raises(PlanRefused) as refused:
        services.do_submit_plan(group, acting_user=world.users["m1"])
    assert refused.value.missing == {"Dr Benoît Roy": ("data_driven_qi",)}


def test_it_submits_when_every_member_completed_the_activities(world: World, client_for) -> None:
    group = make_formed_group(world, others=("M2", "M3"))
    plan = make_plan(group)
    page = client_for("m1").get(reverse("quality:plan", args=[group.pk]))
    assert page.context["not_yet"] == "" and page.context["problem"] is None
    client_for("m3").post(reverse("quality:plan-submit", args=[group.pk]))
    plan.refresh_from_db()
    assert plan.status == "submitted" and plan.submitted_by == world.users["m3"]
    assert AuditEvent.objects.filter(action=QualityAction.PLAN_SUBMITTED).count() == 1


def test_it_refuses_a_plan_with_one_goal_and_submits_it_with_two(world: World) -> None:
    group = make_formed_group(world)
    plan = make_plan(group, goals=1)
    with pytest.raises(PlanRefused):
        services.do_submit_plan(group, acting_user=world.users["m1"])
    make_goal(plan, "Objectif 2")
    services.do_submit_plan(group, on=DAY, acting_user=world.users["m1"])
    plan.refresh_from_db()
    assert plan.status == "submitted" and plan.submitted_on == DAY


def test_it_refuses_a_plan_with_two_self_care_goals(world: World) -> None:
    group = make_formed_group(world)
    plan = make_plan(group, goals=1)
    make_goal(plan, "Pauses", kind="self_care", manual=True)
    make_goal(plan, "Sommeil", kind="self_care", manual=True)
    with pytest.raises(PlanRefused):
        services.do_submit_plan(group, acting_user=world.users["m1"])
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_it_refuses_to_submit_a_plan_under_review(world: World) -> None:
    group = make_formed_group(world)
    make_plan(group, status="submitted")
    with pytest.raises(PlanRefused):
        services.do_submit_plan(group, acting_user=world.users["m1"])


# -- pages and access --------------------------------------------------------------------


def test_it_shows_the_goals_with_their_chart_links(world: World, client_for) -> None:
    group = make_formed_group(world)
    plan = make_plan(group)
    _start(plan.goals.first(), world)
    response = client_for("m1").get(reverse("quality:plan", args=[group.pk]))
    content = response.content.decode()
    for goal in plan.goals.all():
        assert reverse("quality:goal-chart", args=[goal.pk]) in content
    assert "Rappel téléphonique" in content and 'data-testid="goal-new"' in content


def test_it_lets_the_coach_read_the_plan_without_editing(world: World, client_for) -> None:
    group = make_formed_group(world)
    make_plan(group)
    response = client_for("coach").get(reverse("quality:plan", args=[group.pk]))
    assert response.status_code == 200
    assert 'data-testid="plan-form"' not in response.content.decode()
    post = client_for("coach").post(
        reverse("quality:plan", args=[group.pk]), {"strengths": "x", "improvements": "y"}
    )
    assert post.status_code == 403


@pytest.mark.parametrize("user", ["coach2", "drmg", "m4"])
def test_it_refuses_the_plan_to_who_sees_the_group_without_a_part(
    world: World, client_for, user: str
) -> None:
    group = make_formed_group(world, coach=None if user == "coach2" else "coach")
    if user == "m4":  # invited, not answered yet
        Invitation.objects.create(
            group=group,
            physician=world.physicians["M4"],
            sent_on=datetime.date(2026, 2, 1),
            sent_by=world.users["m1"],
        )
    make_plan(group)
    assert client_for(user).get(reverse("quality:plan", args=[group.pk])).status_code == 403


@pytest.mark.parametrize("user", ["m5", "coach9", "drmg9"])
def test_it_answers_404_outside_the_users_groups(world: World, client_for, user: str) -> None:
    group = make_formed_group(world)
    make_formed_group(world, founder="M5", others=("M6",), name="Autre groupe")
    goal = make_plan(group).goals.first()
    pdsa = _start(goal, world)
    client = client_for(user)
    assert client.get(reverse("quality:plan", args=[group.pk])).status_code == 404
    assert client.post(reverse("quality:goal-new", args=[group.pk]), GOAL_POST).status_code == 404
    assert client.get(reverse("quality:goal-edit", args=[goal.pk])).status_code == 404
    assert client.get(reverse("quality:pdsa-phase", args=[pdsa.pk])).status_code == 404
    assert client.post(reverse("quality:goal-complete", args=[goal.pk])).status_code == 404
    assert client.post(reverse("quality:plan-submit", args=[group.pk])).status_code == 404
    goal.refresh_from_db()
    assert goal.completed_on is None


def test_it_refuses_the_goals_writes_to_the_coach(world: World, client_for) -> None:
    group = make_formed_group(world)
    goal = make_plan(group).goals.first()
    client = client_for("coach")
    assert client.post(reverse("quality:goal-new", args=[group.pk]), GOAL_POST).status_code == 403
    assert client.post(reverse("quality:goal-complete", args=[goal.pk])).status_code == 403
    assert client.post(reverse("quality:plan-submit", args=[group.pk])).status_code == 403
    assert client.get(reverse("quality:point-new", args=[goal.pk])).status_code == 403
    pdsa = _start(goal, world)
    response = client.post(
        reverse("quality:pdsa-phase", args=[pdsa.pk]), {"phase": "do", "text": "x"}
    )
    assert response.status_code == 403
    assert client.get(reverse("quality:pdsa-phase", args=[pdsa.pk])).status_code == 200
    pdsa.refresh_from_db()
    assert pdsa.do_text == ""


@pytest.mark.parametrize("user", ["cml", "gmf", "ciusss", "doc_no_record"])
def test_it_refuses_the_plan_to_other_roles(world: World, client_for, user: str) -> None:
    group = make_formed_group(world)
    assert client_for(user).get(reverse("quality:plan", args=[group.pk])).status_code == 403


def test_it_shows_the_forms_of_goals_cycles_and_measurements(world: World, client_for) -> None:
    plan = make_plan(make_formed_group(world), goals=1)
    goal = make_goal(plan, "Pauses", kind="self_care", manual=True)
    client = client_for("m2")
    edit = client.get(reverse("quality:goal-edit", args=[goal.pk]))
    assert edit.context["form"].initial["definition"] == goal.definition
    start = client.get(reverse("quality:pdsa-new", args=[goal.pk]))
    assert dict(start.context["form"].fields["change_idea"].choices) == {
        "Plages de consultation sans rendez-vous": "Plages de consultation sans rendez-vous",
        "Rappel téléphonique": "Rappel téléphonique",
    }
    for url in (
        reverse("quality:goal-new", args=[plan.group.pk]),
        reverse("quality:point-new", args=[goal.pk]),
    ):
        assert client.get(url).status_code == 200
