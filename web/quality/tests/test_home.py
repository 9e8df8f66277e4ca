"""The QI groups' home by side (a physician's cycle, groups and invitations; a coach's and
the DRMG's links), the menu entry, and the roles refused."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from web.quality.models import InvitationStatus
from web.quality.services import groups
from web.quality.tests.conftest import World

ON = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The messages' ids (English), in the services and on the pages."""


def _group_inviting(world: World, code: str):
    group = groups.do_create_group(
        world.physicians["M1"],
        "Groupe du Fleuve",
        ["practice_setting"],
        on=ON,
        acting_user=world.users["m1"],
    )
    invitation = groups.do_invite(
        group, world.physicians[code], on=ON, acting_user=world.users["m1"]
    )
    return group, invitation


def test_it_shows_a_selected_physician_their_cycle_and_the_group_button(
    world, english_client_for
) -> None:
    response = english_client_for("m1").get("/quality/")
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["side"] == "physician"
    assert response.context["status"] == "selected"
    assert response.context["due"] == datetime.date(2030, 12, 31)
    assert 'data-testid="cycle-status">Selected<' in page
    assert "2026-2030 cycle" in page
    assert 'data-testid="group-new-link"' in page
    assert 'data-testid="no-group"' in page


def test_it_shows_no_group_button_to_a_physician_not_selected(world, english_client_for) -> None:
    response = english_client_for("m2").get("/quality/")
    assert response.context["status"] == "not_selected"
    assert 'data-testid="cycle-status">Not selected<' in response.content.decode()
    assert 'data-testid="group-new-link"' not in response.content.decode()


def test_it_shows_the_deferral_and_the_due_date_it_moved(world, english_client_for) -> None:
    world.selection.deferred_on = datetime.date(2026, 6, 1)
    world.selection.due = datetime.date(2031, 12, 31)
    world.selection.save(update_fields=["deferred_on", "due"])
    response = english_client_for("m1").get("/quality/")
    assert response.context["status"] == "deferred"
    assert response.context["due"] == datetime.date(2031, 12, 31)


def test_it_lists_a_pending_invitation_with_its_answer_buttons(world, english_client_for) -> None:
    group, invitation = _group_inviting(world, "M2")
    client = english_client_for("m2")
    page = client.get("/quality/").content.decode()
    assert f'data-testid="accept-{invitation.pk}"' in page
    assert f'data-testid="decline-{invitation.pk}"' in page
    # The group is the invitee's to answer, not theirs yet.
    assert f'data-testid="group-{group.pk}"' not in page

    client.post(f"/quality/invitations/{invitation.pk}/answer/", {"answer": "accept"})

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    response = client.get("/quality/")
    assert list(response.context["invitations"]) == []
    [row] = response.context["groups"]
    assert row["progress"].group == group
    assert row["own"].physician == world.physicians["M2"]


def test_it_lists_the_founders_group(world, english_client_for) -> None:
    group, _ = _group_inviting(world, "M2")
    page = english_client_for("m1").get("/quality/").content.decode()
    assert f'data-testid="group-{group.pk}"' in page
    assert "(+1 invited)" in page


def test_it_shows_a_coach_the_dashboard_and_selection_links(world, english_client_for) -> None:
    response = english_client_for("coach").get("/quality/")
    page = response.content.decode()
    assert response.context["side"] == "coach"
    assert 'href="/quality/coach/"' in page
    assert 'href="/quality/selection/"' in page
    assert 'href="/quality/counts/"' not in page


def test_it_shows_the_drmg_the_counts_and_selection_links(world, english_client_for) -> None:
    response = english_client_for("drmg").get("/quality/")
    page = response.content.decode()
    assert response.context["side"] == "drmg"
    assert 'href="/quality/counts/"' in page
    assert 'href="/quality/selection/"' in page
    assert 'href="/quality/coach/"' not in page


@pytest.mark.parametrize("name", ["cml", "gmf", "ciusss", "doc_no_record"])
def test_it_refuses_the_other_roles(world, english_client_for, name) -> None:
    assert english_client_for(name).get("/quality/").status_code == 403


def test_it_sends_an_anonymous_visitor_to_log_in(world) -> None:
    response = Client().get("/quality/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


@pytest.mark.parametrize("name", ["m1", "coach", "drmg"])
def test_it_puts_the_entry_in_the_menu_of_each_side(world, english_client_for, name) -> None:
    page = english_client_for(name).get("/quality/").content.decode()
    assert 'data-testid="nav-quality"' in page


@pytest.mark.parametrize("name", ["cml", "gmf", "ciusss", "doc_no_record"])
def test_it_leaves_the_entry_out_of_the_other_roles_menu(world, english_client_for, name) -> None:
    response = english_client_for(name).get("/")
    assert not response.context["may_improve"]()
    assert 'data-testid="nav-quality"' not in response.content.decode()
