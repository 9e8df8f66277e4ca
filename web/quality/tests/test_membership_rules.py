"""Who the accepted plan completes: only a formed group submits, nobody joins once the plan
is submitted or accepted, and a peer never selected who completes with the group reads
their requirement met until its due date (review of issue 18's web app)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from panelcare.quality import cycle
from web.quality import progress
from web.quality.errors import GroupRefused, PlanRefused
from web.quality.models import Activity, Completion, Invitation, PlanStatus
from web.quality.services import groups as group_services
from web.quality.services import plans as plan_services
from web.quality.tests.conftest import (
    complete_activities,
    make_formed_group,
    make_group,
    make_plan,
)

D = datetime.date
ON = D(2026, 9, 15)


def test_it_refuses_to_submit_the_plan_of_a_founder_alone(world):
    group = make_group(world, "M1", coach="coach")
    complete_activities(group, world, "M1")
    make_plan(group)
    with pytest.raises(PlanRefused, match="deux membres"):
        plan_services.do_submit_plan(group, on=ON, acting_user=world.users["m1"])


def test_it_submits_the_plan_of_two_members(world):
    group = make_formed_group(world, "M1", ("M2",))
    make_plan(group)
    plan = plan_services.do_submit_plan(group, on=ON, acting_user=world.users["m1"])
    assert plan.status == PlanStatus.SUBMITTED


@pytest.mark.parametrize("status", ["submitted", "accepted"])
def test_it_lets_nobody_join_once_the_plan_is_submitted_or_accepted(world, status):
    group = make_formed_group(world, "M1", ("M2",))
    make_plan(group, status=status)
    with pytest.raises(GroupRefused, match="personne ne se joint"):
        group_services.do_invite(
            group, world.physicians["M3"], on=ON, acting_user=world.users["m1"]
        )
    pending = Invitation.objects.create(
        group=group,
        physician=world.physicians["M4"],
        sent_on=D(2026, 2, 1),
        sent_by=world.users["m1"],
    )
    with pytest.raises(GroupRefused, match="personne ne se joint"):
        group_services.do_answer_invitation(pending, True, on=ON, acting_user=world.users["m4"])
    # Declining is still an answer.
    declined = group_services.do_answer_invitation(
        pending, False, on=ON, acting_user=world.users["m4"]
    )
    assert declined.status == "declined"


def test_it_lets_a_peer_join_while_changes_are_requested(world):
    group = make_formed_group(world, "M1", ("M2",))
    make_plan(group, status="changes_requested")
    invitation = group_services.do_invite(
        group, world.physicians["M3"], on=ON, acting_user=world.users["m1"]
    )
    assert invitation.status == "pending"


def test_it_refuses_to_accept_while_a_member_has_not_completed_the_activities(world):
    group = make_formed_group(world, "M1", ("M2",))
    plan = make_plan(group, status="submitted")
    # A member whose activities are gone from the count (e.g. joined by an earlier path).
    Activity.objects.filter(group=group, physician=world.physicians["M2"]).first().delete()
    with pytest.raises(PlanRefused, match=world.physicians["M2"].name):
        plan_services.do_review_plan(plan, "accepted", on=ON, acting_user=world.users["coach"])
    assert not Completion.objects.exists()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_it_shows_a_peer_never_selected_their_requirement_met_until_its_due_date(world):
    # M1 is selected (the world's), M2 is not.
    group = make_formed_group(world, "M1", ("M2",))
    plan = make_plan(group, status="submitted")
    plan_services.do_review_plan(plan, "accepted", on=ON, acting_user=world.users["coach"])
    rows = {
        member.physician.code: member
        for member in progress.group_progress(group, ON + datetime.timedelta(days=1)).members
    }
    due = cycle.next_due(ON)
    assert (rows["M2"].cycle_status, rows["M2"].due) == ("met", due)
    assert (rows["M1"].cycle_status, rows["M1"].due) == ("met", due)
    after = progress.group_progress(group, due + datetime.timedelta(days=1)).members
    assert {member.cycle_status for member in after} == {"overdue"}


def test_it_gives_the_peer_never_selected_their_next_due_date_on_their_home(world, client_for):
    group = make_formed_group(world, "M1", ("M2",))
    plan = make_plan(group, status="submitted")
    plan_services.do_review_plan(plan, "accepted", on=ON, acting_user=world.users["coach"])
    page = client_for("m2", language="fr").get(reverse("quality:home")).content.decode()
    assert "Exigence remplie" in page
    assert "15 septembre 2031" in page


def test_it_offers_no_invitation_once_the_plan_is_submitted(world, client_for):
    group = make_formed_group(world, "M1", ("M2",))
    make_plan(group, status="submitted")
    page = client_for("m1").get(reverse("quality:group-detail", args=[group.pk])).content.decode()
    assert 'data-testid="group-closed"' in page
    assert 'data-testid="invite-form"' not in page
