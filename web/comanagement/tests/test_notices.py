"""The posts vacant past their hiring deadline (``web.comanagement.queries``), at the
deadline's boundary and across a year's end, and the DRMG's notice proposals of a post
(``comanagement:notice-proposals``) with every refusal.

G1's review of 1 April 2025 has its hiring deadline on 30 June 2025 (the core's: review
+ 3 months − 1 day); the days vacant past it are the core's too (from 1 July until the
day before the post is filled).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from web.comanagement import queries
from web.comanagement.models import AnnualReview, Post
from web.regions.models import Gmf, GmfMembership, Physician
from web.regions.testing import visible_text

D = datetime.date.fromisoformat
DEADLINE = D("2025-06-30")


def _review(world, gmf: Gmf) -> AnnualReview:
    review, _created = AnnualReview.objects.get_or_create(
        gmf=gmf,
        reviewed_on=D("2025-04-01"),
        defaults={
            "level_table": world.level_table,
            "counts": {"standard": 9000},
            "recorded_by": world.users["ciusss"],
        },
    )
    return review


def _post(world, filled_on: str | None = None, *, gmf: Gmf | None = None, **fields) -> Post:
    gmf = gmf or world.gmf
    review = _review(world, gmf)
    return Post.objects.create(
        gmf=gmf,
        professional_type="nurse_clinician",
        fte=Decimal("1.00"),
        opened_by="annual_review",
        opened_on=review.reviewed_on,
        review=review,
        filled_on=D(filled_on) if filled_on else None,
        filled_by="ciusss" if filled_on else "",
        **fields,
    )


def _days(items: list[queries.VacantPost]) -> dict[int, int]:
    return {item.post.pk: item.days_vacant for item in items}


# --------------------------------------------------------------------------- the queries


def test_it_takes_the_deadline_from_the_core(world):
    assert queries.hiring_deadline(_post(world)) == DEADLINE


def test_it_lists_no_post_filled_on_its_deadline(world):
    _post(world, "2025-06-30")
    assert queries.vacant_posts_past_deadline(world.region, "G1", 2025) == []


@pytest.mark.parametrize(
    ("filled_on", "days"),
    [
        ("2025-07-01", None),  # the day after the deadline: filled that day, no day vacant
        ("2025-07-10", 9),  # 10 days after: vacant 1 to 9 July (the day filled is not)
        ("2025-07-11", 10),  # vacant 1 to 10 July
    ],
)
def test_it_counts_the_days_vacant_after_the_deadline(world, filled_on, days):
    post = _post(world, filled_on)
    found = queries.vacant_posts_past_deadline(world.region, "G1", 2025)
    assert _days(found) == ({} if days is None else {post.pk: days})
    if found:
        assert found[0].deadline == DEADLINE and found[0].year == 2025


def test_it_counts_a_post_vacant_across_the_year_end_in_each_year(world):
    post = _post(world, "2026-03-01")
    assert _days(queries.vacant_posts_past_deadline(world.region, "G1", 2025)) == {post.pk: 184}
    assert _days(queries.vacant_posts_past_deadline(world.region, "G1", 2026)) == {post.pk: 59}
    assert queries.vacant_posts_past_deadline(world.region, "G1", 2024) == []
    assert queries.vacant_posts_past_deadline(world.region, "G1", 2027) == []
    assert [(item.year, item.days_vacant) for item in queries.post_vacancies(post)] == [
        (2025, 184),
        (2026, 59),
    ]


def test_it_counts_a_year_under_way_to_date_and_a_closed_post_until_closed(world):
    vacant = _post(world)
    closed = _post(world, closed_on=D("2025-08-01"))
    in_july = queries.vacant_posts_past_deadline(world.region, "G1", 2025, as_of=D("2025-07-10"))
    assert _days(in_july) == {vacant.pk: 10, closed.pk: 10}  # 1 to 10 July, today included
    whole = queries.vacant_posts_past_deadline(world.region, "G1", 2025, as_of=D("2026-12-07"))
    assert _days(whole) == {vacant.pk: 184, closed.pk: 31}  # closed on 1 August


def test_it_lists_only_the_posts_of_the_gmf_asked(world):
    mine = _post(world, "2025-08-01")
    _post(world, "2025-08-01", gmf=world.gmf2)
    assert _days(queries.vacant_posts_past_deadline(world.region, "G1", 2025)) == {mine.pk: 31}
    # G9 is of another region: not found through region 01.
    _post(world, gmf=world.gmf9)
    assert queries.vacant_posts_past_deadline(world.region, "G9", 2025) == []
    assert queries.vacant_posts_past_deadline(world.region, "", 2025) == []


def test_it_groups_the_region_s_posts_by_gmf_in_one_query(world, django_assert_num_queries):
    first = _post(world, "2025-08-01")
    second = _post(world, gmf=world.gmf2)
    _post(world, "2025-06-30")  # on time
    _post(world, gmf=world.gmf9)  # another region
    with django_assert_num_queries(1):
        by_gmf = queries.vacant_posts_by_gmf(world.region, 2025)
    assert {code: _days(items) for code, items in by_gmf.items()} == {
        "G1": {first.pk: 31},
        "G2": {second.pk: 184},
    }


# --------------------------------------------------------------------------- the page


@pytest.fixture
def members(world) -> list[Physician]:
    """Two members of G1: Anne Roy all of 2025 and 2026, Marc Gagnon who left at the end of
    2025 (a membership ending on 1 January 2026 is not of 2026); Paul Ouellet of G2."""
    doctors = []
    for code, name, gmf, end in [
        ("D1", "Anne Roy", world.gmf, None),
        ("D2", "Marc Gagnon", world.gmf, D("2026-01-01")),
        ("D3", "Paul Ouellet", world.gmf2, None),
    ]:
        doctor = Physician.objects.create(
            code=code,
            name=name,
            rls=gmf.rls,
            site=world.site,
            birth_year=1975,
            practice_start=D("2005-07-01"),
        )
        GmfMembership.objects.create(
            region=world.region,
            physician_code=code,
            gmf_code=gmf.code,
            physician=doctor,
            gmf=gmf,
            start_date=D("2020-01-01"),
            end_date=end,
        )
        doctors.append(doctor)
    return doctors


def test_it_proposes_a_notice_for_each_member_of_each_year_vacant(world, client_for, members):
    post = _post(world, "2026-03-01")
    response = client_for("drmg").get(reverse("comanagement:notice-proposals", args=[post.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    new = reverse("assiduity:notice-new")
    assert f'{new}?physician=D1&amp;year=2025&amp;post={post.pk}"' in page
    assert f'{new}?physician=D2&amp;year=2025&amp;post={post.pk}"' in page
    assert f'{new}?physician=D1&amp;year=2026&amp;post={post.pk}"' in page
    assert "physician=D2&amp;year=2026" not in page  # left G1 before 2026
    assert "physician=D3" not in page  # G2's
    text = visible_text(page)
    assert "184" in text and "59" in text and "Anne Roy" in text


def test_it_says_so_for_a_post_filled_on_time_with_labels_not_codes(world, client_for, members):
    post = _post(world, "2025-06-30")
    client = client_for("drmg")
    client.cookies["django_language"] = "fr"
    page = client.get(reverse("comanagement:notice-proposals", args=[post.pk])).content.decode()
    assert 'data-testid="no-vacancy"' in page and "propose-notice" not in page
    text = visible_text(page)
    # The label (French once the catalogue is compiled), never the code.
    assert "Infirmière clinicienne" in text or "Nurse clinician" in text
    assert "nurse_clinician" not in text and "annual_review" not in text


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("gmf", 403),  # the GMF's own manager: the DRMG's page
        ("ciusss", 403),
        ("gmf2", 403),
        ("ciusss2", 403),
        ("cml", 403),
        ("physician", 403),
        ("coach", 403),
        ("gmf_no_gmf", 403),
        ("ciusss_no_est", 403),
        ("drmg9", 404),  # another region's DRMG
    ],
)
def test_it_refuses_the_proposals_to_anybody_but_the_region_s_drmg(world, client_for, name, status):
    post = _post(world)
    url = reverse("comanagement:notice-proposals", args=[post.pk])
    assert client_for(name).get(url).status_code == status
