"""The co-management's access helpers (web/accounts/access.py), one test per rule and
refusal; each page's own refusals are tested with the page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from web.accounts import access
from web.comanagement.models import (
    Absence,
    IntegrationItem,
    Placement,
    Post,
    Professional,
    Schedule,
)
from web.comanagement.tests.conftest import World


def _post(world: World, gmf_attr: str = "gmf") -> Post:
    return Post.objects.create(
        gmf=getattr(world, gmf_attr),
        professional_type="nurse_clinician",
        fte=Decimal("1.00"),
        opened_by="recognition",
        opened_on=datetime.date(2026, 1, 5),
    )


@pytest.mark.parametrize(("name", "side"), [("drmg", "drmg"), ("gmf", "gmf"), ("ciusss", "ciusss")])
def test_it_gives_each_role_its_side(world: World, name: str, side: str) -> None:
    assert access.comanagement_side(world.users[name]) == side


@pytest.mark.parametrize("name", ["cml", "physician", "coach", "gmf_no_gmf", "ciusss_no_est"])
def test_it_refuses_the_roles_without_a_side(world: World, name: str) -> None:
    with pytest.raises(PermissionDenied):
        access.comanagement_side(world.users[name])
    with pytest.raises(PermissionDenied):
        access.visible_comanagement_gmfs(world.users[name])


def test_it_refuses_a_user_without_a_profile(world: World) -> None:
    from django.contrib.auth.models import User

    with pytest.raises(PermissionDenied):
        access.comanagement_side(User.objects.create(username="nobody"))


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("drmg", ["G1", "G2"]),
        ("gmf", ["G1"]),
        ("gmf2", ["G2"]),
        ("ciusss", ["G1"]),
        ("ciusss2", ["G2"]),
        ("drmg9", ["G9"]),
    ],
)
def test_it_shows_each_side_its_gmfs(world: World, name: str, codes: list[str]) -> None:
    visible = access.visible_comanagement_gmfs(world.users[name])
    assert sorted(visible.values_list("code", flat=True)) == codes


@pytest.mark.parametrize("name", ["gmf2", "ciusss2", "drmg9", "gmf9", "ciusss9"])
def test_it_hides_g1_from_another_gmf_establishment_or_region(world: World, name: str) -> None:
    with pytest.raises(Http404):
        access.access_comanagement_gmf(world.users[name], "G1")
    with pytest.raises(Http404):
        access.access_comanagement_record(world.users[name], Placement, world.placement.pk)


def test_it_opens_a_record_to_both_sides_and_the_drmg(world: World) -> None:
    for name in ("drmg", "gmf", "ciusss"):
        record = access.access_comanagement_record(world.users[name], Placement, world.placement.pk)
        assert record == world.placement


def test_it_lets_only_the_ciusss_write_a_ciusss_action(world: World) -> None:
    post = _post(world)
    assert access.access_comanagement_record(world.users["ciusss"], Post, post.pk, write="ciusss")
    for name in ("gmf", "drmg"):
        with pytest.raises(PermissionDenied):
            access.access_comanagement_record(world.users[name], Post, post.pk, write="ciusss")


def test_it_lets_only_the_gmf_write_a_gmf_action(world: World) -> None:
    absence = Absence.objects.create(
        placement=world.placement,
        start=datetime.date(2026, 3, 2),
        foreseeable=False,
        reason="illness",
        reported_on=datetime.date(2026, 3, 2),
        recorded_by=world.users["gmf"],
    )
    assert access.access_comanagement_record(world.users["gmf"], Absence, absence.pk, write="gmf")
    for name in ("ciusss", "drmg"):
        with pytest.raises(PermissionDenied):
            access.access_comanagement_record(world.users[name], Absence, absence.pk, write="gmf")


def test_it_lets_either_side_but_not_the_drmg_write_a_joint_action(world: World) -> None:
    schedule = Schedule.objects.create(
        placement=world.placement,
        first_day=datetime.date(2026, 3, 2),
        weeks=1,
        proposed_on=datetime.date(2026, 2, 20),
        proposed_by=world.users["gmf"],
    )
    for name in ("gmf", "ciusss"):
        assert access.access_comanagement_record(
            world.users[name], Schedule, schedule.pk, write="both"
        )
    with pytest.raises(PermissionDenied):
        access.access_comanagement_record(world.users["drmg"], Schedule, schedule.pk, write="both")


def test_it_lets_an_integration_item_be_done_by_its_owner_only(world: World) -> None:
    emr = IntegrationItem.objects.get(placement=world.placement, item="emr_access")
    qhr = IntegrationItem.objects.get(placement=world.placement, item="qhr_key")
    assert access.access_comanagement_record(
        world.users["gmf"], IntegrationItem, emr.pk, write="owner"
    )
    assert access.access_comanagement_record(
        world.users["ciusss"], IntegrationItem, qhr.pk, write="owner"
    )
    with pytest.raises(PermissionDenied):
        access.access_comanagement_record(
            world.users["ciusss"], IntegrationItem, emr.pk, write="owner"
        )
    with pytest.raises(PermissionDenied):
        access.access_comanagement_record(
            world.users["gmf"], IntegrationItem, qhr.pk, write="owner"
        )


def test_it_reaches_records_through_their_gmf_path(world: World) -> None:
    g2 = _post(world, "gmf2")
    assert list(access.visible_comanagement(world.users["ciusss2"], Post)) == [g2]
    assert list(access.visible_comanagement(world.users["ciusss"], Post)) == []
    # A professional is seen through the GMFs they are placed in.
    assert list(access.visible_comanagement(world.users["gmf"], Professional)) == [
        world.professional
    ]
    assert list(access.visible_comanagement(world.users["gmf2"], Professional)) == []


def test_it_lets_only_the_drmg_publish_a_level_table(world: World) -> None:
    for name in ("drmg", "gmf", "ciusss"):
        assert access.access_level_tables(world.users[name]) == world.region
    assert access.access_level_tables(world.users["drmg"], edit=True) == world.region
    for name in ("gmf", "ciusss"):
        with pytest.raises(PermissionDenied):
            access.access_level_tables(world.users[name], edit=True)


def test_it_shows_agreement_rules_to_their_establishment_its_gmfs_and_the_drmg(
    world: World,
) -> None:
    for name in ("drmg", "gmf", "ciusss"):
        assert access.access_agreement_rules(world.users[name], "cisss_bsl") == world.establishment
    for name in ("gmf2", "ciusss2", "drmg9"):
        with pytest.raises(Http404):
            access.access_agreement_rules(world.users[name], "cisss_bsl")


def test_it_lets_only_the_establishments_manager_publish_its_rules(world: World) -> None:
    assert access.access_agreement_rules(world.users["ciusss"], "cisss_bsl", edit=True)
    for name in ("drmg", "gmf"):
        with pytest.raises(PermissionDenied):
            access.access_agreement_rules(world.users[name], "cisss_bsl", edit=True)


def test_it_limits_a_statistics_file_to_the_importers_gmfs(world: World) -> None:
    assert access.statistics_gmfs(world.users["ciusss"]) == {"G1"}
    assert access.statistics_gmfs(world.users["gmf2"]) == {"G2"}
    with pytest.raises(PermissionDenied):
        access.statistics_gmfs(world.users["drmg"])


def test_it_alerts_the_owners_of_an_obligation(world: World) -> None:
    def names(owner: str) -> list[str]:
        return list(
            access.comanagement_recipients(world.gmf, owner).values_list("username", flat=True)
        )

    assert names("gmf") == ["gmf"]
    assert names("ciusss") == ["ciusss"]
    assert names("both") == ["ciusss", "gmf"]


def test_it_shows_write_buttons_to_the_side_that_writes(world: World) -> None:
    assert access.can_write_comanagement(world.users["gmf"], "gmf")
    assert not access.can_write_comanagement(world.users["gmf"], "ciusss")
    assert access.can_write_comanagement(world.users["ciusss"], "both")
    assert not access.can_write_comanagement(world.users["drmg"], "both")
    assert not access.can_write_comanagement(world.users["cml"], "both")
