"""The links between the co-management's pages: the GMF page's alerts link keeps to that
GMF, the matrix's meetings link to one topic, and the menu's « Cogestion » entry shows
only to who has a side."""

from __future__ import annotations

import datetime
from decimal import Decimal

from web.comanagement.models import FollowUpMeeting, Post
from web.comanagement.tests.conftest import World


def _late_post(world: World, gmf_attr: str) -> Post:
    # A new GMF's post opened in 2025 and never filled: its deadline is long past.
    return Post.objects.create(
        gmf=getattr(world, gmf_attr),
        professional_type="nurse_clinician",
        fte=Decimal("1.00"),
        opened_by="recognition",
        opened_on=datetime.date(2016, 1, 5),
    )


def test_it_lists_one_gmfs_alerts_with_gmf_in_the_address(world: World, client_for) -> None:
    _late_post(world, "gmf")
    _late_post(world, "gmf2")
    drmg = client_for("drmg")
    every = drmg.get("/comanagement/alerts/").context["rows"]
    assert {row.gmf.code for row in every} >= {"G1", "G2"}
    only = drmg.get("/comanagement/alerts/?gmf=G2").context["rows"]
    assert only and {row.gmf.code for row in only} == {"G2"}


def test_it_refuses_another_gmfs_alerts_by_address(world: World, client_for) -> None:
    assert client_for("gmf").get("/comanagement/alerts/?gmf=G2").status_code == 404
    assert client_for("ciusss").get("/comanagement/alerts/?gmf=G2").status_code == 404


def _meeting(world: World, topic: str) -> FollowUpMeeting:
    return FollowUpMeeting.objects.create(
        gmf=world.gmf,
        held_on=datetime.date(2026, 5, 4),
        topic=topic,
        attendees="Julie Bélanger, Martine Côté",
        recorded_by=world.users["gmf"],
    )


def test_it_shows_the_meetings_of_one_topic(world: World, client_for) -> None:
    hr = _meeting(world, "human_resources")
    integration = _meeting(world, "integration")
    client = client_for("ciusss")
    everything = list(client.get("/comanagement/gmfs/G1/performance/").context["meetings"])
    assert set(everything) == {hr, integration}
    one = client.get("/comanagement/gmfs/G1/performance/?topic=human_resources")
    assert list(one.context["meetings"]) == [hr]
    # An unknown topic is no filter rather than an empty list.
    other = client.get("/comanagement/gmfs/G1/performance/?topic=zzz")
    assert set(other.context["meetings"]) == {hr, integration}


def test_it_shows_the_menu_entry_only_to_who_has_a_side(world: World, client_for) -> None:
    for name in ("drmg", "gmf", "ciusss"):
        assert client_for(name).get("/").context["may_comanage"]()
    for name in ("gmf_no_gmf", "ciusss_no_est", "cml", "physician", "coach"):
        assert not client_for(name).get("/").context["may_comanage"](), name
