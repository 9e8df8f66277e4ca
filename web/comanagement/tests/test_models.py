"""The database constraints of the co-management records (docs/comanagement-plan.md §1):
what the tables refuse whatever code writes them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from web.comanagement.models import (
    AgreementRulesVersion,
    AnnualReview,
    IntegrationItem,
    LevelTableVersion,
    Placement,
    Post,
    Professional,
    SelectionStep,
)

DAY = datetime.date(2026, 4, 1)


def _refused(create, **fields) -> bool:
    """Whether the database refuses the row (in its own savepoint, so the test goes on)."""
    try:
        with transaction.atomic():
            create(**fields)
    except IntegrityError:
        return True
    return False


def _review(world, reviewed_on=DAY):
    return AnnualReview.objects.create(
        gmf=world.gmf,
        reviewed_on=reviewed_on,
        level_table=world.level_table,
        counts={"standard": 8000},
        recorded_by=world.users["ciusss"],
    )


def _post(world, **fields):
    values = {
        "gmf": world.gmf,
        "professional_type": "social_worker",
        "fte": Decimal("0.50"),
        "opened_by": "recognition",
        "opened_on": DAY,
    }
    values.update(fields)
    return Post.objects.create(**values)


def _placement(world, **fields):
    values = {
        "professional": world.professional,
        "gmf": world.gmf,
        "fte": Decimal("0.50"),
        "supervisor_name": "Martine Côté",
        "start": DAY,
    }
    values.update(fields)
    return Placement.objects.create(**values)


@pytest.mark.parametrize(("fte", "refused"), [("0", True), ("0.01", False), ("1", False)])
def test_it_keeps_a_posts_fte_in_0_excluded_to_1(world, fte, refused):
    assert _refused(lambda **f: _post(world, **f), fte=Decimal(fte)) is refused


def test_it_refuses_a_post_of_more_than_one_fte(world):
    # Decimal(3, 2) holds 1.01: only the check refuses it.
    assert _refused(lambda **f: _post(world, **f), fte=Decimal("1.01"))


@pytest.mark.parametrize(("fte", "refused"), [("0", True), ("1.01", True), ("0.40", False)])
def test_it_keeps_a_placements_fte_in_0_excluded_to_1(world, fte, refused):
    assert _refused(lambda **f: _placement(world, **f), fte=Decimal(fte)) is refused


def test_it_requires_the_review_of_a_post_opened_by_the_annual_review(world):
    create = lambda **f: _post(world, **f)  # noqa: E731

    assert _refused(create, opened_by="annual_review")
    assert not _refused(create, opened_by="annual_review", review=_review(world))
    # A post opened by recognition has no review.
    assert _refused(create, opened_by="recognition", review=_review(world, DAY.replace(year=2025)))


def test_it_fills_a_post_with_both_who_and_when(world):
    create = lambda **f: _post(world, **f)  # noqa: E731

    assert _refused(create, filled_on=DAY)
    assert _refused(create, filled_by="ciusss")
    assert not _refused(create, filled_on=DAY, filled_by="ciusss")


def test_it_refuses_a_post_filled_before_it_opened(world):
    assert _refused(
        lambda **f: _post(world, **f),
        filled_on=DAY - datetime.timedelta(days=1),
        filled_by="ciusss",
    )


@pytest.mark.parametrize(
    ("end", "refused"), [(DAY, True), (DAY - datetime.timedelta(days=1), True), (None, False)]
)
def test_it_refuses_a_placement_ending_on_or_before_its_start(world, end, refused):
    assert _refused(lambda **f: _placement(world, **f), end=end) is refused


def test_it_accepts_a_placement_of_one_day(world):
    assert not _refused(lambda **f: _placement(world, **f), end=DAY + datetime.timedelta(days=1))


def test_it_numbers_the_level_tables_once_per_region(world):
    create = LevelTableVersion.objects.create
    fields = {
        "text": "x",
        "in_force_from": DAY,
        "created_by": world.users["drmg"],
    }

    assert _refused(create, region=world.region, number=1, **fields)
    assert not _refused(create, region=world.region, number=2, **fields)


def test_it_numbers_the_agreement_rules_once_per_establishment(world):
    create = AgreementRulesVersion.objects.create
    fields = {"number": 1, "text": "x", "in_force_from": DAY, "created_by": world.users["ciusss"]}

    assert _refused(create, establishment=world.establishment, **fields)
    assert not _refused(create, establishment=world.establishment2, **fields)


def test_it_records_one_review_per_gmf_and_day(world):
    _review(world)

    assert _refused(lambda **f: _review(world, **f), reviewed_on=DAY)
    assert not _refused(lambda **f: _review(world, **f), reviewed_on=DAY.replace(year=2027))


def test_it_numbers_an_employee_once_per_establishment(world):
    create = Professional.objects.create
    fields = {
        "employee_number": "E100",
        "name": "Autre",
        "professional_type": "social_worker",
        "agreement": "apts",
        "job_title": "social_worker",
        "service_start": DAY,
    }

    assert _refused(create, establishment=world.establishment, **fields)
    assert not _refused(create, establishment=world.establishment2, **fields)


def test_it_keeps_one_integration_item_of_a_kind_per_placement(world):
    assert _refused(
        IntegrationItem.objects.create, placement=world.placement, item="pairing", due_on=DAY
    )


def test_it_holds_each_selection_step_once_and_the_gmf_only_at_the_interview(world):
    post = _post(world)
    create = SelectionStep.objects.create

    assert not _refused(create, post=post, step="posting", held_on=DAY)
    assert _refused(create, post=post, step="posting", held_on=DAY)
    assert _refused(create, post=post, step="tests", held_on=DAY, gmf_took_part=True)
    assert not _refused(create, post=post, step="interview", held_on=DAY, gmf_took_part=True)
