"""The group-size rule at its boundaries: 7 seats, pending invitations holding a seat, a
group formed at 2 members; and the composition bases."""

from __future__ import annotations

import pytest

from panelcare.errors import InputError
from panelcare.quality.errors import GroupRuleError
from panelcare.quality.groups import (
    BASES,
    MAX_MEMBERS,
    Group,
    Invitation,
    invite,
    is_formed,
    members,
    pending,
    respond,
    seats_taken,
    start_group,
)


def _group_with(accepted: int, pending_count: int = 0) -> Group:
    """A group whose founder ``p-0`` has ``accepted`` peers and ``pending_count`` pending."""
    group = start_group("p-0", selected=True, bases={"practice_setting"})
    for number in range(1, accepted + pending_count + 1):
        group = invite(group, f"p-{number}")
        if number <= accepted:
            group = respond(group, f"p-{number}", accept=True)
    return group


def test_it_counts_the_founder_as_a_member_and_forms_at_two():
    group = start_group("p-0", selected=True, bases={"area_of_practice"})
    assert members(group) == ("p-0",)
    assert not is_formed(group)
    group = invite(group, "p-1")
    assert not is_formed(group)  # a pending invitation is not a member
    group = respond(group, "p-1", accept=True)
    assert members(group) == ("p-0", "p-1")
    assert is_formed(group)


def test_it_refuses_an_eighth_member_when_seven_have_accepted():
    group = _group_with(accepted=6)
    assert len(members(group)) == MAX_MEMBERS == 7
    with pytest.raises(GroupRuleError) as refused:
        invite(group, "p-7")
    assert refused.value.code == "group_full"
    assert refused.value.params == {"max": "7"}


def test_it_allows_the_seventh_seat_and_refuses_the_eighth_when_invitations_are_pending():
    group = _group_with(accepted=4, pending_count=1)  # 5 members + 1 pending = 6 seats
    group = invite(group, "p-6")  # the 7th seat
    assert seats_taken(group) == 7
    with pytest.raises(GroupRuleError, match="at most 7"):
        invite(group, "p-7")


def test_it_frees_a_seat_when_an_invitation_is_declined():
    group = _group_with(accepted=5, pending_count=1)  # 7 seats
    group = respond(group, "p-6", accept=False)
    assert seats_taken(group) == 6
    group = invite(group, "p-7")
    assert pending(group) == ("p-7",)


def test_it_lets_a_peer_who_declined_be_invited_again():
    group = invite(_group_with(accepted=1), "p-2")
    group = respond(group, "p-2", accept=False)
    group = invite(group, "p-2")
    assert group.invitations[-1] == Invitation("p-2", "pending")
    assert len(group.invitations) == 2  # the same invitation, pending again


def test_it_refuses_a_second_invitation_to_a_pending_or_accepted_peer():
    group = invite(_group_with(accepted=1), "p-2")
    for peer in ("p-1", "p-2"):
        with pytest.raises(GroupRuleError) as refused:
            invite(group, peer)
        assert refused.value.code == "already_invited"
    with pytest.raises(GroupRuleError) as refused:
        invite(group, "p-0")
    assert refused.value.code == "self_invitation"


def test_it_refuses_a_reply_without_a_pending_invitation():
    group = _group_with(accepted=1)
    for peer in ("p-1", "p-9"):  # already accepted; never invited
        with pytest.raises(GroupRuleError) as refused:
            respond(group, peer, accept=True)
        assert refused.value.code == "no_pending_invitation"


def test_it_refuses_an_acceptance_into_a_full_group_read_back_from_records():
    # Records that broke the rule (8 seats) must not produce an 8th member.
    invitations = tuple(Invitation(f"p-{n}", "accepted") for n in range(1, 7))
    group = Group("p-0", frozenset({"health_team_gmf"}), (*invitations, Invitation("p-7")))
    with pytest.raises(GroupRuleError) as refused:
        respond(group, "p-7", accept=True)
    assert refused.value.code == "group_full"
    assert members(respond(group, "p-7", accept=False)) == members(group)


def test_it_refuses_a_founder_who_is_not_selected():
    with pytest.raises(GroupRuleError) as refused:
        start_group("p-0", selected=False, bases={"practice_setting"})
    assert refused.value.code == "founder_not_selected"
    assert isinstance(refused.value, InputError)  # the web app's form-error path


def test_it_records_any_of_the_composition_bases_and_refuses_others():
    group = start_group("p-0", selected=True, bases=["health_team_gmf", "health_team_rls"])
    assert group.bases == {"health_team_gmf", "health_team_rls"}
    assert set(BASES) >= group.bases
    with pytest.raises(GroupRuleError) as refused:
        start_group("p-0", selected=True, bases=["ontario_health_team"])
    assert (refused.value.code, refused.value.params) == (
        "unknown_basis",
        {"basis": "ontario_health_team"},
    )
    with pytest.raises(GroupRuleError) as refused:
        start_group("p-0", selected=True, bases=[])
    assert refused.value.code == "no_basis"
