"""The people's services (web.comanagement.services.people): professionals checked
against the agreement rules in force, placements with their integration checklist,
their end, integration items done."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from web.audit.models import AuditEvent
from web.comanagement.errors import RecordRefused
from web.comanagement.models import (
    ITEM_OWNERS,
    ComanagementAction,
    IntegrationItem,
    Placement,
    Professional,
)
from web.comanagement.services import people, programme

D = datetime.date


def _professional(world, number="E200", agreement="apts", job_title="social_worker"):
    return people.do_record_professional(
        world.establishment,
        number,
        "Marc Pelletier",
        "social_worker",
        agreement,
        job_title,
        D(2020, 1, 6),
        on=D(2026, 6, 1),
        acting_user=world.users["ciusss"],
    )


def test_it_records_a_professional_whose_title_the_agreement_knows(world):
    professional = _professional(world)
    assert professional.establishment == world.establishment
    event = AuditEvent.objects.get(action=ComanagementAction.PROFESSIONAL_RECORDED)
    assert event.details["rules_version"] == 1


def test_it_refuses_a_job_title_the_agreement_does_not_know(world):
    with pytest.raises(RecordRefused):
        _professional(world, agreement="apts", job_title="nurse_clinician")
    with pytest.raises(RecordRefused):
        _professional(world, agreement="nope")
    assert Professional.objects.count() == 1  # the world's
    assert not AuditEvent.objects.filter(action=ComanagementAction.PROFESSIONAL_RECORDED).exists()


def test_it_refuses_an_establishment_without_rules_and_a_repeated_number(world):
    with pytest.raises(RecordRefused):
        people.do_record_professional(
            world.establishment2,
            "E1",
            "Anne Roy",
            "social_worker",
            "apts",
            "social_worker",
            D(2020, 1, 6),
            acting_user=world.users["ciusss2"],
        )
    with pytest.raises(RecordRefused):
        _professional(world, number="E100")  # Julie Bélanger's


def test_it_places_a_professional_with_the_14_items_due_after_the_rules_delay(world):
    world.rules.integration_due_days = 20
    world.rules.save()
    professional = _professional(world)
    placement = people.do_place_professional(
        professional,
        world.gmf,
        start=D(2026, 6, 1),
        fte=Decimal("0.80"),
        supervisor_name="Martine Côté",
        site=world.site,
        acting_user=world.users["ciusss"],
    )
    items = IntegrationItem.objects.filter(placement=placement)
    assert sorted(items.values_list("item", flat=True)) == sorted(ITEM_OWNERS)
    assert set(items.values_list("due_on", flat=True)) == {D(2026, 6, 21)}
    assert AuditEvent.objects.filter(action=ComanagementAction.PLACEMENT_STARTED).count() == 1


def test_it_fills_the_post_given_with_the_placement(world):
    review = programme.do_record_annual_review(
        world.gmf, D(2026, 4, 1), {"standard": 13000}, acting_user=world.users["ciusss"]
    )
    post = programme.do_open_post(
        world.gmf,
        "social_worker",
        Decimal("1"),
        "annual_review",
        review.reviewed_on,
        review,
        acting_user=world.users["ciusss"],
    )
    placement = people.do_place_professional(
        _professional(world),
        world.gmf,
        start=D(2026, 6, 1),
        fte=Decimal("1"),
        supervisor_name="Martine Côté",
        post=post,
        acting_user=world.users["ciusss"],
    )
    post.refresh_from_db()
    assert (post.filled_on, post.placement, placement.post) == (D(2026, 6, 1), placement, post)


def test_it_refuses_a_gmf_of_another_establishment_and_writes_nothing(world):
    with pytest.raises(RecordRefused):
        people.do_place_professional(
            world.professional,
            world.gmf2,
            start=D(2026, 6, 1),
            fte=Decimal("1"),
            supervisor_name="X",
            acting_user=world.users["ciusss"],
        )
    assert Placement.objects.count() == 1
    assert not AuditEvent.objects.filter(action=ComanagementAction.PLACEMENT_STARTED).exists()


def test_it_refuses_a_second_placement_in_the_same_gmf_while_the_first_runs(world):
    with pytest.raises(RecordRefused):
        people.do_place_professional(
            world.professional,
            world.gmf,
            start=D(2026, 6, 1),
            fte=Decimal("1"),
            supervisor_name="X",
            acting_user=world.users["ciusss"],
        )


def test_it_ends_a_placement_once_and_after_its_start(world):
    user = world.users["ciusss"]
    with pytest.raises(RecordRefused):
        people.do_end_placement(world.placement, D(2026, 1, 5), acting_user=user)
    people.do_end_placement(world.placement, D(2026, 7, 1), acting_user=user)
    with pytest.raises(RecordRefused):
        people.do_end_placement(world.placement, D(2026, 8, 1), acting_user=user)
    world.placement.refresh_from_db()
    assert world.placement.end == D(2026, 7, 1)
    assert AuditEvent.objects.filter(action=ComanagementAction.PLACEMENT_ENDED).count() == 1


def test_it_completes_an_item_once_and_not_before_the_placement(world):
    item = world.placement.integration_items.get(item="emr_access")
    with pytest.raises(RecordRefused):
        people.do_complete_integration_item(item, D(2025, 12, 1), acting_user=world.users["gmf"])
    people.do_complete_integration_item(item, D(2026, 1, 20), acting_user=world.users["gmf"])
    item.refresh_from_db()
    assert (item.done_on, item.done_by) == (D(2026, 1, 20), world.users["gmf"])
    with pytest.raises(RecordRefused):
        people.do_complete_integration_item(item, D(2026, 1, 21), acting_user=world.users["gmf"])
    event = AuditEvent.objects.get(action=ComanagementAction.INTEGRATION_ITEM_DONE)
    assert event.details["owner"] == "gmf"
