"""The posts pages show a post whose placement ended as vacant since the departure
(finding 6 of the issue 17 review)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse

from web.comanagement.services import people, programme


def test_it_shows_a_post_vacant_since_its_professional_left(world, client_for):
    post = programme.do_open_post(
        world.gmf,
        "nurse_clinician",
        Decimal("1.00"),
        "recognition",
        datetime.date(2018, 4, 1),
        acting_user=world.users["ciusss"],
    )
    programme.do_fill_post(
        post, world.placement, datetime.date(2026, 1, 5), acting_user=world.users["ciusss"]
    )
    people.do_end_placement(
        world.placement, datetime.date(2026, 1, 6), acting_user=world.users["ciusss"]
    )
    client = client_for("ciusss")
    for url in (
        reverse("comanagement:post-list", args=[world.gmf.code]),
        reverse("comanagement:post-detail", args=[post.pk]),
        reverse("comanagement:gmf-detail", args=[world.gmf.code]),
    ):
        page = client.get(url).content.decode()
        assert "Vacant depuis le 6 janvier 2026 (départ)" in page, url
