"""QI groups: forming a group (a selected founder), the 7 seats counting the pending
invitations, answers, withdrawals, a coach taking a group up; their audit entries; the
group's pages and the refusals of every route."""

from __future__ import annotations

import datetime

import pytest

from web.audit.models import AuditEvent
from web.quality import progress
from web.quality.errors import GroupRefused
from web.quality.models import (
    Activity,
    Group,
    Invitation,
    InvitationStatus,
    QualityAction,
)
from web.quality.services import groups as services
from web.quality.tests.conftest import World

ON = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The messages' ids (English), in the services and on the pages."""


def _group(world: World, founder: str = "M1", **kwargs) -> Group:
    return services.do_create_group(
        world.physicians[founder],
        kwargs.pop("name", "Soins palliatifs du Fleuve"),
        kwargs.pop("bases", ["area_of_practice"]),
        on=ON,
        acting_user=world.users[founder.lower()],
        **kwargs,
    )


def _invite(world: World, group: Group, code: str) -> Invitation:
    return services.do_invite(group, world.physicians[code], on=ON, acting_user=world.users["m1"])


def _answer(world: World, invitation: Invitation, accept: bool = True) -> Invitation:
    code = invitation.physician.code.lower()
    return services.do_answer_invitation(
        invitation, accept, on=ON + datetime.timedelta(days=3), acting_user=world.users[code]
    )


def _members(group: Group) -> list[str]:
    return [row.physician.code for row in progress.group_progress(group, ON).members]


@pytest.fixture
def group(world: World) -> Group:
    return _group(world)


# --------------------------------------------------------------------------- forming


def test_it_makes_the_founder_the_first_member_and_records_the_creation(world, group) -> None:
    assert group.region == world.region
    assert group.founder == world.physicians["M1"]
    assert group.bases == ["area_of_practice"]
    assert _members(group) == ["M1"]
    # The founder is a member without an invitation (models.Invitation).
    assert not group.invitations.exists()
    entry = AuditEvent.objects.about(group).get()
    assert entry.action == QualityAction.GROUP_CREATED
    assert entry.region == world.region
    assert entry.actor == world.users["m1"]
    assert entry.details["founder"] == "M1"


def test_it_refuses_a_founder_not_selected(world) -> None:
    with pytest.raises(GroupRefused, match="selected for the quality improvement cycle"):
        _group(world, "M2")
    assert not Group.objects.exists()
    assert not AuditEvent.objects.filter(action=QualityAction.GROUP_CREATED).exists()


def test_it_refuses_a_founder_whose_requirement_is_met(world) -> None:
    world.selection.completed_on = datetime.date(2026, 2, 1)
    world.selection.save(update_fields=["completed_on"])
    with pytest.raises(GroupRefused):
        _group(world)


def test_it_refuses_a_group_without_a_basis(world) -> None:
    with pytest.raises(GroupRefused, match="at least one basis"):
        _group(world, bases=[])


def test_it_records_the_gmf_of_a_health_team_and_refuses_it_missing(world) -> None:
    with pytest.raises(GroupRefused, match="GMF"):
        _group(world, bases=["health_team_gmf"])
    with pytest.raises(GroupRefused, match="only for a group formed within a GMF"):
        _group(world, bases=["area_of_practice"], gmf=world.gmf)
    group = _group(world, bases=["health_team_gmf", "practice_setting"], gmf=world.gmf)
    assert group.gmf == world.gmf
    assert group.bases == ["health_team_gmf", "practice_setting"]


# --------------------------------------------------------------------------- seats


def test_it_is_formed_at_two_members(world, group) -> None:
    invitation = _invite(world, group, "M2")
    assert progress.group_progress(group, ON).formed_on is None
    _answer(world, invitation)
    state = progress.group_progress(group, ON + datetime.timedelta(days=3))
    assert state.size == 2
    assert state.formed_on == ON + datetime.timedelta(days=3)


def test_it_accepts_the_seventh_member_and_refuses_the_eighth(world, group) -> None:
    for code in ("M2", "M3", "M4", "M5", "M6", "M7"):
        _answer(world, _invite(world, group, code))
    assert len(_members(group)) == 7
    with pytest.raises(GroupRefused, match="at most 7 members"):
        _invite(world, group, "M8")
    assert not Invitation.objects.filter(physician=world.physicians["M8"]).exists()


def test_it_counts_the_pending_invitations_as_seats(world, group) -> None:
    for code in ("M2", "M3", "M4", "M5", "M6", "M7"):
        _invite(world, group, code)
    assert _members(group) == ["M1"]
    with pytest.raises(GroupRefused, match="at most 7 members"):
        _invite(world, group, "M8")


def test_it_frees_the_seat_of_a_declined_invitation(world, group) -> None:
    invitations = [_invite(world, group, code) for code in ("M2", "M3", "M4", "M5", "M6", "M7")]
    declined = _answer(world, invitations[0], accept=False)
    assert declined.status == InvitationStatus.DECLINED
    assert declined.answered_on == ON + datetime.timedelta(days=3)

    _invite(world, group, "M8")

    assert group.invitations.filter(status=InvitationStatus.PENDING).count() == 6
    with pytest.raises(GroupRefused, match="at most 7 members"):
        _invite(world, group, "M2")  # declined, may be invited again, but no seat is free


def test_it_invites_a_peer_who_declined_again_on_the_same_record(world, group) -> None:
    first = _answer(world, _invite(world, group, "M2"), accept=False)
    again = services.do_invite(
        group,
        world.physicians["M2"],
        on=ON + datetime.timedelta(days=9),
        acting_user=world.users["m1"],
    )
    assert again.pk == first.pk
    assert again.status == InvitationStatus.PENDING
    assert again.answered_on is None
    assert again.sent_on == ON + datetime.timedelta(days=9)


def test_it_refuses_to_invite_twice_a_member_or_the_founder(world, group) -> None:
    _invite(world, group, "M2")
    with pytest.raises(GroupRefused, match="Dr Benoît Roy is already invited"):
        _invite(world, group, "M2")
    with pytest.raises(GroupRefused, match="founder is already a member"):
        _invite(world, group, "M1")


def test_it_refuses_a_physician_of_another_region(world, group) -> None:
    with pytest.raises(GroupRefused, match="does not practise in the group's region"):
        _invite(world, group, "M20")
    assert not group.invitations.exists()


def test_it_refuses_to_answer_an_invitation_answered_already(world, group) -> None:
    invitation = _answer(world, _invite(world, group, "M2"))
    with pytest.raises(GroupRefused, match="Dr Benoît Roy has no pending invitation"):
        _answer(world, invitation, accept=False)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED


# --------------------------------------------------------------------------- withdrawing


def test_it_withdraws_a_pending_invitation_and_frees_its_seat(world, group) -> None:
    invitations = [_invite(world, group, code) for code in ("M2", "M3", "M4", "M5", "M6", "M7")]
    withdrawn = services.do_withdraw_invitation(invitations[0], acting_user=world.users["m1"])
    assert withdrawn.status == InvitationStatus.WITHDRAWN
    _invite(world, group, "M8")  # the seat is free
    with pytest.raises(GroupRefused, match="has no pending invitation"):
        _answer(world, withdrawn)  # the invitee answers too late


def test_it_refuses_to_withdraw_an_accepted_invitation(world, group) -> None:
    invitation = _answer(world, _invite(world, group, "M2"))
    with pytest.raises(GroupRefused, match="Only a pending invitation can be withdrawn"):
        services.do_withdraw_invitation(invitation, acting_user=world.users["m1"])
    assert _members(group) == ["M1", "M2"]


# --------------------------------------------------------------------------- coach


def test_it_lets_a_coach_follow_a_group_once(world, group) -> None:
    services.do_follow_group(group, acting_user=world.users["coach"])
    group.refresh_from_db()
    assert group.coach == world.users["coach"]
    with pytest.raises(GroupRefused, match="already follows"):
        services.do_follow_group(group, acting_user=world.users["coach2"])
    group.refresh_from_db()
    assert group.coach == world.users["coach"]


def test_it_records_each_write_in_the_groups_region(world, group) -> None:
    invitation = _invite(world, group, "M2")
    _answer(world, invitation)
    withdrawn = services.do_withdraw_invitation(
        _invite(world, group, "M3"), acting_user=world.users["m2"]
    )
    services.do_follow_group(group, acting_user=world.users["coach"])

    entries = AuditEvent.objects.filter(action__startswith="qi_").order_by("pk")
    assert [entry.action for entry in entries] == [
        QualityAction.GROUP_CREATED,
        QualityAction.PHYSICIAN_INVITED,
        QualityAction.INVITATION_ANSWERED,
        QualityAction.PHYSICIAN_INVITED,
        QualityAction.INVITATION_WITHDRAWN,
        QualityAction.GROUP_FOLLOWED,
    ]
    assert {entry.region_id for entry in entries} == {world.region.pk}
    answered = AuditEvent.objects.about(invitation).get(action=QualityAction.INVITATION_ANSWERED)
    assert answered.details["status"] == "accepted"
    assert answered.actor == world.users["m2"]
    assert (
        AuditEvent.objects.about(withdrawn)
        .get(action=QualityAction.INVITATION_WITHDRAWN)
        .details["physician"]
        == "M3"
    )


# --------------------------------------------------------------------------- pages


def _url(name: str, pk: int) -> str:
    return {
        "detail": f"/quality/groups/{pk}/",
        "invite": f"/quality/groups/{pk}/invite/",
        "follow": f"/quality/groups/{pk}/follow/",
        "answer": f"/quality/invitations/{pk}/answer/",
        "withdraw": f"/quality/invitations/{pk}/withdraw/",
    }[name]


def test_it_forms_a_group_from_the_page(world, english_client_for) -> None:
    response = english_client_for("m1").post(
        "/quality/groups/new/",
        {"name": "Groupe du Fleuve", "bases": ["health_team_rls"], "rls": world.rls.pk},
    )
    group = Group.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("detail", group.pk)
    assert group.rls == world.rls
    assert group.founder == world.physicians["M1"]


def test_it_refuses_a_founder_not_selected_on_the_page(world, english_client_for) -> None:
    client = english_client_for("m2")
    assert b"not-selected" in client.get("/quality/groups/new/").content
    response = client.post("/quality/groups/new/", {"name": "G", "bases": ["area_of_practice"]})
    assert response.status_code == 200
    assert "selected for the quality improvement cycle" in str(response.context["form"].errors)
    assert not Group.objects.exists()


def test_it_asks_for_the_team_of_a_health_team_basis(world, english_client_for) -> None:
    response = english_client_for("m1").post(
        "/quality/groups/new/", {"name": "G", "bases": ["health_team_gmf"]}
    )
    assert response.status_code == 200
    assert "gmf" in response.context["form"].errors
    assert not Group.objects.exists()


@pytest.mark.parametrize("name", ["coach", "drmg", "cml", "gmf", "ciusss", "doc_no_record"])
def test_it_refuses_the_group_form_but_to_a_physician(world, english_client_for, name) -> None:
    assert english_client_for(name).get("/quality/groups/new/").status_code == 403


def test_it_shows_each_members_completion_without_their_answers(
    world, group, english_client_for
) -> None:
    _answer(world, _invite(world, group, "M2"))
    Activity.objects.create(
        group=group,
        physician=world.physicians["M1"],
        kind="qi_survey",
        answers={"setting": "Réponse confidentielle de la docteure"},
        completed_on=ON,
    )
    for name in ("m2", "m1"):
        response = english_client_for(name).get(_url("detail", group.pk))
        assert response.status_code == 200
        page = response.content.decode()
        rows = {row["progress"].physician.code: row for row in response.context["members"]}
        assert rows["M1"]["progress"].activities_done == 1
        assert rows["M2"]["progress"].activities_done == 0
        assert "1 of 4" in page
        assert "Réponse confidentielle" not in page
        # Not shared: no link to read it.
        assert rows["M1"]["shared"] == []
    assert f"/quality/groups/{group.pk}/activities/qi_survey/" in page
    assert f"/quality/groups/{group.pk}/plan/" in page


def test_it_links_a_shared_activity_for_the_other_members(world, group, english_client_for) -> None:
    _answer(world, _invite(world, group, "M2"))
    activity = Activity.objects.create(
        group=group, physician=world.physicians["M1"], kind="practice_profile", shared=True
    )
    page = english_client_for("m2").get(_url("detail", group.pk)).content.decode()
    assert f"/quality/activities/{activity.pk}/" in page


def test_it_hides_a_group_from_a_physician_of_another_region(
    world, group, english_client_for
) -> None:
    assert english_client_for("m20").get(_url("detail", group.pk)).status_code == 404


def test_it_hides_a_group_from_a_physician_not_invited(world, group, english_client_for) -> None:
    assert english_client_for("m9").get(_url("detail", group.pk)).status_code == 404


def test_it_hides_a_group_followed_by_another_coach(world, group, english_client_for) -> None:
    services.do_follow_group(group, acting_user=world.users["coach"])
    assert english_client_for("coach2").get(_url("detail", group.pk)).status_code == 404
    assert english_client_for("coach2").post(_url("follow", group.pk)).status_code == 404


def test_it_shows_an_invitee_the_members_and_the_answer(world, group, english_client_for) -> None:
    invitation = _invite(world, group, "M2")
    response = english_client_for("m2").get(_url("detail", group.pk))
    assert response.status_code == 200
    assert response.context["own_invitation"] == invitation
    assert not response.context["follows"]
    assert "invite-form" not in response.content.decode()


def test_it_shows_an_unfollowed_group_to_a_coach_by_its_size_only(
    world, group, english_client_for
) -> None:
    _answer(world, _invite(world, group, "M2"))
    response = english_client_for("coach").get(_url("detail", group.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["may_follow"]
    assert 'data-testid="follow"' in page
    assert "2 members" in page
    assert "Dr Benoît Roy" not in page


def test_it_lets_a_coach_follow_from_the_page(world, group, english_client_for) -> None:
    response = english_client_for("coach").post(_url("follow", group.pk))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.coach == world.users["coach"]
    page = english_client_for("coach").get(_url("detail", group.pk)).content.decode()
    assert 'data-testid="members"' in page
    assert 'data-testid="follow"' not in page


@pytest.mark.parametrize(("name", "status"), [("m1", 403), ("drmg", 403), ("coach9", 404)])
def test_it_refuses_to_follow_but_to_a_coach_of_the_region(
    world, group, english_client_for, name, status
) -> None:
    assert english_client_for(name).post(_url("follow", group.pk)).status_code == status
    group.refresh_from_db()
    assert group.coach is None


def test_it_refuses_a_second_coach_on_a_followed_group(world, group, english_client_for) -> None:
    client = english_client_for("coach")
    client.post(_url("follow", group.pk))
    assert client.post(_url("follow", group.pk)).status_code == 403  # it has a coach now


def test_it_invites_from_the_page(world, group, english_client_for) -> None:
    response = english_client_for("m1").post(
        _url("invite", group.pk), {"physician": world.physicians["M3"].pk}
    )
    assert response.status_code == 302
    invitation = group.invitations.get()
    assert invitation.physician == world.physicians["M3"]
    assert invitation.sent_by == world.users["m1"]


def test_it_refuses_to_invite_a_physician_of_another_region_from_the_page(
    world, group, english_client_for
) -> None:
    client = english_client_for("m1")
    response = client.post(
        _url("invite", group.pk), {"physician": world.physicians["M20"].pk}, follow=True
    )
    assert "not yet invited" in response.content.decode()
    assert not group.invitations.exists()


@pytest.mark.parametrize(
    ("name", "status"), [("m2", 403), ("coach", 403), ("drmg", 403), ("m9", 404)]
)
def test_it_refuses_to_invite_but_to_a_member(
    world, group, english_client_for, name, status
) -> None:
    _invite(world, group, "M2")  # m2 sees the group as an invitee, not a member
    response = english_client_for(name).post(
        _url("invite", group.pk), {"physician": world.physicians["M4"].pk}
    )
    assert response.status_code == status
    assert not group.invitations.filter(physician=world.physicians["M4"]).exists()


def test_it_refuses_the_get_of_a_write(world, group, english_client_for) -> None:
    assert english_client_for("m1").get(_url("invite", group.pk)).status_code == 405


def test_it_lets_the_invitee_accept_from_the_page(world, group, english_client_for) -> None:
    invitation = _invite(world, group, "M2")
    response = english_client_for("m2").post(_url("answer", invitation.pk), {"answer": "accept"})
    assert response.status_code == 302
    assert response["Location"] == _url("detail", group.pk)
    assert _members(group) == ["M1", "M2"]


def test_it_lets_the_invitee_decline_from_the_page(world, group, english_client_for) -> None:
    invitation = _invite(world, group, "M2")
    response = english_client_for("m2").post(_url("answer", invitation.pk), {"answer": "decline"})
    assert response["Location"] == "/quality/"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    # Declined: the group is no longer theirs to see.
    assert english_client_for("m2").get(_url("detail", group.pk)).status_code == 404


@pytest.mark.parametrize(
    ("name", "status"), [("m1", 403), ("coach", 403), ("m9", 404), ("m20", 404)]
)
def test_it_refuses_an_answer_but_from_the_invitee(
    world, group, english_client_for, name, status
) -> None:
    invitation = _invite(world, group, "M2")
    response = english_client_for(name).post(_url("answer", invitation.pk), {"answer": "accept"})
    assert response.status_code == status
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_it_lets_a_member_withdraw_from_the_page(world, group, english_client_for) -> None:
    _answer(world, _invite(world, group, "M2"))
    invitation = _invite(world, group, "M3")
    response = english_client_for("m2").post(_url("withdraw", invitation.pk))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.WITHDRAWN


@pytest.mark.parametrize(("name", "status"), [("m3", 403), ("coach", 403), ("m9", 404)])
def test_it_refuses_to_withdraw_but_to_a_member(
    world, group, english_client_for, name, status
) -> None:
    invitation = _invite(world, group, "M3")
    assert english_client_for(name).post(_url("withdraw", invitation.pk)).status_code == status
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_it_hides_the_invite_form_of_a_full_group(world, group, english_client_for) -> None:
    for code in ("M2", "M3", "M4", "M5", "M6", "M7"):
        _invite(world, group, code)
    response = english_client_for("m1").get(_url("detail", group.pk))
    assert response.context["seats_left"] == 0
    assert 'data-testid="group-full"' in response.content.decode()


def test_it_shows_the_drmg_a_group_by_its_size_only(world, group, english_client_for) -> None:
    _answer(world, _invite(world, group, "M2"))
    response = english_client_for("drmg").get(_url("detail", group.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert not response.context["follows"]
    assert not response.context["may_follow"]
    assert "2 members" in page
    assert "Dr Benoît Roy" not in page
    assert english_client_for("drmg9").get(_url("detail", group.pk)).status_code == 404


@pytest.mark.parametrize("name", ["cml", "gmf", "ciusss", "doc_no_record"])
def test_it_refuses_a_group_to_the_other_roles(world, group, english_client_for, name) -> None:
    assert english_client_for(name).get(_url("detail", group.pk)).status_code == 403
