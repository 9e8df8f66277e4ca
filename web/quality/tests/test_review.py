"""The coach's review of a submitted plan and what acceptance records: a completion per
member, the next due date and the credits (web/quality/services/plans.py,
web/quality/views/review.py)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from web.audit.models import AuditEvent
from web.quality.errors import PlanRefused
from web.quality.models import Completion, CreditsVersion, QualityAction, Review
from web.quality.services import plans as services
from web.quality.tests.conftest import World, complete_activities, make_formed_group, make_plan

ACCEPTED = datetime.date(2026, 9, 15)


def _submitted(world: World, **group_args):
    group = make_formed_group(world, **group_args)
    return make_plan(group, status="submitted")


def test_it_keeps_the_plan_under_review_with_comments(world: World, client_for) -> None:
    plan = _submitted(world)
    response = client_for("coach").post(
        reverse("quality:review", args=[plan.group.pk]),
        {"outcome": "comments", "comment": "Précisez la mesure du 2e objectif."},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "submitted"
    review = Review.objects.get(plan=plan)
    assert review.reviewer == world.users["coach"] and review.outcome == "comments"
    assert AuditEvent.objects.get(action=QualityAction.PLAN_REVIEWED).details["outcome"] == (
        "comments"
    )


def test_it_requires_a_comment_to_request_changes(world: World, client_for) -> None:
    plan = _submitted(world)
    response = client_for("coach").post(
        reverse("quality:review", args=[plan.group.pk]), {"outcome": "changes_requested"}
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    plan.refresh_from_db()
    assert plan.status == "submitted" and not Review.objects.exists()


def test_it_gives_the_plan_back_to_the_group_on_changes_requested(world: World) -> None:
    plan = _submitted(world)
    services.do_review_plan(
        plan, "changes_requested", "Un objectif de plus", acting_user=world.users["coach"]
    )
    plan.refresh_from_db()
    assert plan.status == "changes_requested"
    # The group changes it and submits it again.
    services.do_save_plan(
        plan.group, strengths="Forces", improvements="Accès", acting_user=world.users["m1"]
    )
    services.do_submit_plan(plan.group, acting_user=world.users["m1"])
    plan.refresh_from_db()
    assert plan.status == "submitted"


def test_it_refuses_to_review_a_draft(world: World) -> None:
    plan = make_plan(make_formed_group(world))
    with pytest.raises(PlanRefused):
        services.do_review_plan(plan, "accepted", acting_user=world.users["coach"])
    assert not Review.objects.exists()


def test_it_completes_every_member_on_acceptance(world: World, client_for) -> None:
    plan = _submitted(world, others=("M2", "M3"))
    goal = plan.goals.first()
    goal.completed_on = datetime.date(2026, 8, 1)
    goal.save(update_fields=["completed_on"])
    services.do_review_plan(plan, "accepted", on=ACCEPTED, acting_user=world.users["coach"])
    plan.refresh_from_db()
    assert plan.status == "accepted" and plan.accepted_on == ACCEPTED
    completions = {c.physician.code: c for c in Completion.objects.filter(group=plan.group)}
    assert sorted(completions) == ["M1", "M2", "M3"]
    for completion in completions.values():
        assert completion.due == datetime.date(2031, 9, 15)
        assert completion.credits_version == world.credits
        # credits.toml: activities 0 + 6 + 6 + 6, the plan 6, one completed goal 5.
        assert completion.credits["total"] == 29
        assert completion.credits["activities"]["practice_profile"] == 6
        assert (completion.credits["plan"], completion.credits["goals"]) == (6, 5)
    # M1 was selected for the 2026 cycle: their selection is completed; M2 and M3 were not.
    world.selection.refresh_from_db()
    assert world.selection.completed_on == ACCEPTED
    assert completions["M1"].selection == world.selection
    assert completions["M2"].selection is None
    event = AuditEvent.objects.get(action=QualityAction.PLAN_REVIEWED)
    assert len(event.details["completions"]) == 3


def test_it_moves_an_acceptance_of_29_february_to_28_february(world: World) -> None:
    plan = _submitted(world)
    services.do_review_plan(
        plan, "accepted", on=datetime.date(2028, 2, 29), acting_user=world.users["coach"]
    )
    dues = set(Completion.objects.values_list("due", flat=True))
    assert dues == {datetime.date(2033, 2, 28)}


def test_it_credits_with_the_version_in_force(world: World) -> None:
    text = world.credits.text.replace("accepted = 6", "accepted = 10")
    version = CreditsVersion.objects.create(
        region=world.region, number=2, text=text, created_by=world.users["drmg"]
    )
    plan = _submitted(world)
    services.do_review_plan(plan, "accepted", on=ACCEPTED, acting_user=world.users["coach"])
    completion = Completion.objects.get(physician=world.physicians["M2"])
    assert completion.credits_version == version
    assert completion.credits["total"] == 18 + 10


def test_it_counts_only_the_activities_each_member_completed(world: World) -> None:
    group = make_formed_group(world, complete=False)
    complete_activities(group, world, "M1")
    complete_activities(group, world, "M2")
    plan = make_plan(group, status="submitted")
    # A later activity record of another group does not count here.
    other = make_formed_group(world, founder="M5", others=("M6",), name="Autre groupe")
    complete_activities(other, world, "M2", ["qi_survey"])
    services.do_review_plan(plan, "accepted", on=ACCEPTED, acting_user=world.users["coach"])
    completion = Completion.objects.get(group=group, physician=world.physicians["M2"])
    assert sorted(completion.credits["activities"]) == sorted(
        ["qi_survey", "practice_profile", "chart_review", "data_driven_qi"]
    )


def test_it_adds_a_goal_completed_after_acceptance_to_the_credits(world: World) -> None:
    plan = _submitted(world)
    services.do_review_plan(plan, "accepted", on=ACCEPTED, acting_user=world.users["coach"])
    first, second = plan.goals.all()
    services.do_complete_goal(first, acting_user=world.users["m1"])
    services.do_complete_goal(second, acting_user=world.users["m2"])
    totals = set(Completion.objects.values_list("credits__total", flat=True))
    assert totals == {24 + 2 * 5}


def test_it_shows_the_review_page_to_the_coach(world: World, client_for) -> None:
    plan = _submitted(world)
    services.do_review_plan(plan, "comments", "Bien", acting_user=world.users["coach"])
    response = client_for("coach").get(reverse("quality:review", args=[plan.group.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="review-form"' in content and "Bien" in content


@pytest.mark.parametrize("user", ["m1", "coach2", "drmg"])
def test_it_refuses_the_review_to_who_is_not_the_groups_coach(
    world: World, client_for, user: str
) -> None:
    plan = _submitted(world)
    url = reverse("quality:review", args=[plan.group.pk])
    if user == "coach2":  # a coach of the region sees a group only without a coach
        plan.group.coach = None
        plan.group.save(update_fields=["coach"])
    assert client_for(user).get(url).status_code == 403
    response = client_for(user).post(url, {"outcome": "accepted"})
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "submitted" and not Completion.objects.exists()


@pytest.mark.parametrize("user", ["coach2", "coach9", "m5"])
def test_it_answers_404_to_the_review_outside_the_users_groups(
    world: World, client_for, user: str
) -> None:
    plan = _submitted(world)
    make_formed_group(world, founder="M5", others=("M6",), name="Autre groupe")
    response = client_for(user).post(
        reverse("quality:review", args=[plan.group.pk]), {"outcome": "accepted"}
    )
    assert response.status_code == 404
    assert not Completion.objects.exists()
