"""A GMF's attribution target (issue 19): the GMF manager proposes, the CML of its RLS
agrees, changes (with a comment) or refuses (with a comment); only a proposal waiting is
decided; the target in force is the latest agreed or changed; the page shows the
history and the members."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from web.attribution import gmfs
from web.attribution.models import AttributionAction, GmfTarget, GmfTargetStatus
from web.attribution.services_gmfs import (
    GmfTargetRefused,
    do_decide_gmf_target,
    do_propose_gmf_target,
)
from web.audit.models import AuditEvent
from web.regions.models import Gmf, Physician

DAY = datetime.date(2026, 9, 1)


@pytest.fixture
def gmf(demo: object) -> Gmf:
    """G0001, of Rimouski-Neigette, gestion.gmf's."""
    return Gmf.objects.select_related("rls__region").get(code="G0001")


@pytest.fixture
def manager(demo_user: Callable[[str], User]) -> User:
    return demo_user("gestion.gmf")


@pytest.fixture
def cml(demo_user: Callable[[str], User]) -> User:
    return demo_user("cml.rimouski")


def propose(gmf: Gmf, manager: User, proposed: int, day: datetime.date = DAY) -> GmfTarget:
    return do_propose_gmf_target(
        gmf, proposed, "Two members arriving", acting_user=manager, today=day
    )


def test_it_records_a_proposal_waiting_without_changing_the_target(gmf: Gmf, manager: User) -> None:
    target = propose(gmf, manager, 300)
    assert target.status == GmfTargetStatus.PROPOSED
    assert target.value is None
    assert gmfs.target_in_force(gmf) is None
    event = AuditEvent.objects.get(action=AttributionAction.GMF_TARGET_PROPOSED)
    assert event.rls_code == gmf.rls.code
    assert event.details["proposed"] == 300


def test_it_puts_an_agreed_proposal_in_force(gmf: Gmf, manager: User, cml: User) -> None:
    target = do_decide_gmf_target(propose(gmf, manager, 300), "agree", acting_user=cml)
    assert (target.status, target.value, target.decided_by) == (GmfTargetStatus.AGREED, 300, cml)
    assert gmfs.target_in_force(gmf) == target
    assert gmfs.targets_in_force(gmf.rls.region) == {"G0001": 300}
    event = AuditEvent.objects.get(action=AttributionAction.GMF_TARGET_DECIDED)
    assert event.details["decision"] == "agree"


def test_it_puts_the_cmls_number_in_force_on_a_change(gmf: Gmf, manager: User, cml: User) -> None:
    target = do_decide_gmf_target(
        propose(gmf, manager, 300), "change", value=220, comment="Shortage", acting_user=cml
    )
    assert (target.status, target.value, target.comment) == (
        GmfTargetStatus.CHANGED,
        220,
        "Shortage",
    )
    assert gmfs.target_in_force(gmf).value == 220


def test_it_refuses_a_change_without_a_comment(gmf: Gmf, manager: User, cml: User) -> None:
    target = propose(gmf, manager, 300)
    with pytest.raises(GmfTargetRefused):
        do_decide_gmf_target(target, "change", value=220, comment="  ", acting_user=cml)
    target.refresh_from_db()
    assert target.status == GmfTargetStatus.PROPOSED


def test_it_refuses_a_change_without_a_number(gmf: Gmf, manager: User, cml: User) -> None:
    with pytest.raises(GmfTargetRefused):
        do_decide_gmf_target(propose(gmf, manager, 300), "change", comment="x", acting_user=cml)


def test_it_refuses_a_refusal_without_a_comment(gmf: Gmf, manager: User, cml: User) -> None:
    with pytest.raises(GmfTargetRefused):
        do_decide_gmf_target(propose(gmf, manager, 300), "refuse", acting_user=cml)


def test_it_refuses_to_decide_twice(gmf: Gmf, manager: User, cml: User) -> None:
    target = propose(gmf, manager, 300)
    do_decide_gmf_target(target, "agree", acting_user=cml)
    with pytest.raises(GmfTargetRefused, match="decided already"):
        do_decide_gmf_target(target, "refuse", comment="Too late", acting_user=cml)
    target.refresh_from_db()
    assert target.status == GmfTargetStatus.AGREED


def test_it_keeps_the_previous_target_in_force_after_a_refusal(
    gmf: Gmf, manager: User, cml: User
) -> None:
    first = do_decide_gmf_target(propose(gmf, manager, 300), "agree", acting_user=cml)
    refused = do_decide_gmf_target(
        propose(gmf, manager, 500, DAY + datetime.timedelta(days=30)),
        "refuse",
        comment="Too many for the GMF's members",
        acting_user=cml,
    )
    assert refused.status == GmfTargetStatus.REFUSED and refused.value is None
    assert gmfs.target_in_force(gmf) == first


def test_it_puts_the_latest_decided_target_in_force(gmf: Gmf, manager: User, cml: User) -> None:
    first = propose(gmf, manager, 300, DAY)
    do_decide_gmf_target(first, "agree", acting_user=cml, today=DAY + datetime.timedelta(days=5))
    second = propose(gmf, manager, 400, DAY + datetime.timedelta(days=10))
    do_decide_gmf_target(second, "agree", acting_user=cml, today=DAY + datetime.timedelta(days=20))
    assert gmfs.target_in_force(gmf).pk == second.pk
    assert gmfs.targets_in_force(gmf.rls.region, gmf.rls) == {"G0001": 400}


def test_it_waits_for_the_decision_before_another_proposal(
    gmf: Gmf, manager: User, cml: User
) -> None:
    waiting = propose(gmf, manager, 300, DAY)
    with pytest.raises(GmfTargetRefused, match="waits"):
        propose(gmf, manager, 400, DAY + datetime.timedelta(days=1))
    do_decide_gmf_target(waiting, "refuse", comment="Trop haut", acting_user=cml, today=DAY)
    again = propose(gmf, manager, 250, DAY + datetime.timedelta(days=2))
    assert again.status == "proposed"


def test_it_proposes_through_the_page(gmf: Gmf, gmf_manager_client: Client) -> None:
    url = reverse("attribution:gmf-target-new", args=[gmf.code])
    response = gmf_manager_client.post(url, {"proposed": "280", "justification": "Capacity"})
    assert response.status_code == 302
    target = GmfTarget.objects.get(gmf=gmf)
    assert (target.proposed, target.justification) == (280, "Capacity")


def test_it_refuses_a_page_proposal_without_a_justification(
    gmf: Gmf, gmf_manager_client: Client
) -> None:
    url = reverse("attribution:gmf-target-new", args=[gmf.code])
    response = gmf_manager_client.post(url, {"proposed": "280", "justification": ""})
    assert response.status_code == 200
    assert not GmfTarget.objects.exists()


def test_it_decides_through_the_page(gmf: Gmf, manager: User, cml_client: Client) -> None:
    target = propose(gmf, manager, 300)
    url = reverse("attribution:gmf-target-decide", args=[target.pk])
    response = cml_client.post(url, {"decision": "change", "value": "250", "comment": ""})
    assert response.status_code == 200  # the form asks for the comment
    assert b"Say why in a comment" in response.content
    target.refresh_from_db()
    assert target.status == GmfTargetStatus.PROPOSED
    response = cml_client.post(url, {"decision": "change", "value": "250", "comment": "Less"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.status, target.value) == (GmfTargetStatus.CHANGED, 250)
    # Decided: the page says so and offers no form; a second post is refused.
    page = cml_client.get(url).content.decode()
    assert 'data-testid="already-decided"' in page
    assert 'data-testid="gmf-decision-form"' not in page
    response = cml_client.post(url, {"decision": "agree"})
    assert b"decided already" in response.content
    target.refresh_from_db()
    assert target.value == 250


def test_it_shows_the_history_and_the_target_in_force(
    gmf: Gmf, manager: User, cml: User, gmf_manager_client: Client
) -> None:
    agreed = do_decide_gmf_target(propose(gmf, manager, 300), "agree", acting_user=cml)
    refused = do_decide_gmf_target(
        propose(gmf, manager, 500, DAY + datetime.timedelta(days=3)),
        "refuse",
        comment="Not with two departures",
        acting_user=cml,
    )
    waiting = propose(gmf, manager, 350, DAY + datetime.timedelta(days=5))
    page = gmf_manager_client.get(
        reverse("attribution:gmf-detail", args=[gmf.code])
    ).content.decode()
    assert 'data-testid="target-in-force" data-value="300"' in page
    for target, status in ((agreed, "agreed"), (refused, "refused"), (waiting, "proposed")):
        assert f'data-testid="proposal-{target.pk}" data-status="{status}"' in page
    assert "Not with two departures" in page
    assert "Refused by the CML" in page  # the status's label, not its code


def test_it_lists_the_gmfs_members_with_their_group(gmf: Gmf, gmf_manager_client: Client) -> None:
    today_members = gmfs.members_on(gmf, timezone.localdate())
    assert today_members
    page = gmf_manager_client.get(
        reverse("attribution:gmf-detail", args=[gmf.code])
    ).content.decode()
    rows, missing = gmfs.member_rows(gmf, timezone.localdate())
    assert sorted([row.code for row in rows] + missing) == today_members
    for row in rows:
        assert f'data-testid="member-{row.code}" data-group="{row.group}"' in page
    # Only the GMF's members: a physician of the RLS outside the GMF is not listed.
    outsider = Physician.objects.filter(rls=gmf.rls).exclude(code__in=today_members).first()
    assert outsider is not None
    assert f'data-testid="member-{outsider.code}"' not in page
