"""The GMF programme's services (web.comanagement.services.programme): annual reviews,
posts (the kinds of the level table), selection, filling, closing, direct hires."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from web.audit.models import AuditEvent
from web.comanagement.errors import RecordRefused
from web.comanagement.models import (
    AnnualReview,
    ComanagementAction,
    DirectHire,
    DirectHireReport,
    Post,
    SelectionStep,
)
from web.comanagement.services import programme

D = datetime.date
APRIL_1 = D(2026, 4, 1)


def _review(world, day=APRIL_1, standard=13000):
    return programme.do_record_annual_review(
        world.gmf, day, {"standard": standard}, acting_user=world.users["ciusss"]
    )


def _post(world, type_="nurse_clinician", fte="1.00", review=None):
    review = review or _review(world)
    return programme.do_open_post(
        world.gmf,
        type_,
        Decimal(fte),
        "annual_review",
        review.reviewed_on,
        review,
        acting_user=world.users["ciusss"],
    )


def _events(action):
    return AuditEvent.objects.filter(action=action)


def test_it_records_an_annual_review_with_its_level_table_and_audit(world):
    review = _review(world)
    assert review.level_table == world.level_table
    assert review.counts == {"standard": 13000}
    event = _events(ComanagementAction.REVIEW_RECORDED).get()
    assert event.details["level"] == 3
    assert event.rls_code == "0111"


def test_it_refuses_a_review_not_on_1_april(world):
    with pytest.raises(RecordRefused):
        _review(world, day=D(2026, 4, 2))
    assert not AnnualReview.objects.exists()
    assert not _events(ComanagementAction.REVIEW_RECORDED).exists()


def test_it_refuses_a_category_without_weight_and_a_second_review_of_the_day(world):
    with pytest.raises(RecordRefused):
        programme.do_record_annual_review(
            world.gmf, D(2026, 4, 1), {"unknown": 3}, acting_user=world.users["ciusss"]
        )
    _review(world)
    with pytest.raises(RecordRefused):
        _review(world)
    assert AnnualReview.objects.count() == 1


def test_it_opens_a_post_of_a_review(world):
    post = _post(world)
    assert post.opened_on == D(2026, 4, 1)
    assert _events(ComanagementAction.POST_OPENED).get().details["professional_type"] == (
        "nurse_clinician"
    )


def test_it_refuses_a_nursing_assistant_post_in_a_plain_gmf(world):
    # The level table's kinds: a nursing assistant only in GMF-R and GMF-U.
    review = _review(world)
    with pytest.raises(RecordRefused, match="GMF"):
        _post(world, "nursing_assistant", review=review)
    assert not Post.objects.exists()
    assert not _events(ComanagementAction.POST_OPENED).exists()


def test_it_opens_a_nursing_assistant_post_in_a_gmf_r(world):
    world.gmf.kind = "gmf_r"
    world.gmf.save()
    post = _post(world, "nursing_assistant")
    assert post.professional_type == "nursing_assistant"


def test_it_refuses_a_review_post_on_another_day_and_a_recognition_post_with_a_review(world):
    review = _review(world)
    with pytest.raises(RecordRefused):
        programme.do_open_post(
            world.gmf,
            "social_worker",
            Decimal("0.5"),
            "annual_review",
            D(2026, 5, 1),
            review,
            acting_user=world.users["ciusss"],
        )
    with pytest.raises(RecordRefused):
        programme.do_open_post(
            world.gmf,
            "social_worker",
            Decimal("0.5"),
            "recognition",
            D(2026, 5, 1),
            review,
            acting_user=world.users["ciusss"],
        )
    assert not Post.objects.exists()


def test_it_opens_a_recognition_post_without_review(world):
    post = programme.do_open_post(
        world.gmf,
        "social_worker",
        Decimal("0.5"),
        "recognition",
        D(2026, 5, 1),
        acting_user=world.users["ciusss"],
    )
    assert post.review is None


def test_it_records_selection_steps_and_refuses_the_gmf_outside_the_interview(world):
    post = _post(world)
    user = world.users["ciusss"]
    programme.do_record_selection_step(post, "interview", D(2026, 4, 20), True, acting_user=user)
    with pytest.raises(RecordRefused):
        programme.do_record_selection_step(post, "posting", D(2026, 4, 5), True, acting_user=user)
    with pytest.raises(RecordRefused):
        programme.do_record_selection_step(post, "interview", D(2026, 4, 21), acting_user=user)
    with pytest.raises(RecordRefused):
        programme.do_record_selection_step(post, "tests", D(2026, 3, 1), acting_user=user)
    assert SelectionStep.objects.count() == 1
    assert _events(ComanagementAction.SELECTION_STEP_RECORDED).count() == 1


def test_it_fills_a_post_with_a_placement_of_its_type(world):
    post = _post(world)
    programme.do_fill_post(post, world.placement, D(2026, 5, 4), acting_user=world.users["ciusss"])
    post.refresh_from_db()
    world.placement.refresh_from_db()
    assert (post.filled_on, post.filled_by, post.placement) == (
        D(2026, 5, 4),
        "ciusss",
        world.placement,
    )
    assert world.placement.post == post
    assert _events(ComanagementAction.POST_FILLED).count() == 1


def test_it_refuses_to_fill_with_another_type_or_twice(world):
    post = _post(world, "social_worker", "0.50")
    with pytest.raises(RecordRefused):
        programme.do_fill_post(
            post, world.placement, D(2026, 5, 4), acting_user=world.users["ciusss"]
        )
    nurse = _post(world, review=AnnualReview.objects.get())
    programme.do_fill_post(nurse, world.placement, D(2026, 5, 4), acting_user=world.users["ciusss"])
    with pytest.raises(RecordRefused):
        programme.do_fill_post(
            nurse, world.placement, D(2026, 5, 5), acting_user=world.users["ciusss"]
        )
    assert _events(ComanagementAction.POST_FILLED).count() == 1


def test_it_closes_a_post_once(world):
    post = _post(world)
    programme.do_close_post(post, D(2026, 9, 1), "level lowered", acting_user=world.users["ciusss"])
    with pytest.raises(RecordRefused):
        programme.do_close_post(post, D(2026, 9, 2), acting_user=world.users["ciusss"])
    post.refresh_from_db()
    assert post.closed_on == D(2026, 9, 1)
    assert _events(ComanagementAction.POST_CLOSED).count() == 1


def test_it_requires_a_derogation_for_a_direct_hire_of_another_type(world):
    post = _post(world)
    with pytest.raises(RecordRefused, match=r"derogation|dérogation"):
        programme.do_record_direct_hire(
            post, "social_worker", D(2026, 6, 1), acting_user=world.users["gmf"]
        )
    assert not DirectHire.objects.exists()
    hire = programme.do_record_direct_hire(
        post, "social_worker", D(2026, 6, 1), "C-1", "DER-7", acting_user=world.users["gmf"]
    )
    assert hire.derogation_ref == "DER-7"
    post.refresh_from_db()
    assert post.filled_on is None  # filled once agreed


def test_it_fills_the_post_when_the_ciusss_agrees_to_the_direct_hire(world):
    post = _post(world)
    hire = programme.do_record_direct_hire(
        post, "nurse_clinician", D(2026, 6, 1), acting_user=world.users["gmf"]
    )
    programme.do_agree_direct_hire(hire, acting_user=world.users["ciusss"])
    post.refresh_from_db()
    assert (post.filled_on, post.filled_by) == (D(2026, 6, 1), "gmf_direct_hire")
    with pytest.raises(RecordRefused):
        programme.do_agree_direct_hire(hire, acting_user=world.users["ciusss"])
    assert _events(ComanagementAction.DIRECT_HIRE_AGREED).count() == 1


def test_it_reports_on_an_agreed_direct_hire_only(world):
    post = _post(world)
    hire = programme.do_record_direct_hire(
        post, "nurse_clinician", D(2026, 6, 1), acting_user=world.users["gmf"]
    )
    with pytest.raises(RecordRefused):
        programme.do_report_direct_hire(
            hire, D(2026, 6, 1), D(2026, 9, 1), "ok", acting_user=world.users["gmf"]
        )
    programme.do_agree_direct_hire(hire, acting_user=world.users["ciusss"])
    with pytest.raises(RecordRefused):
        programme.do_report_direct_hire(
            hire, D(2026, 9, 1), D(2026, 6, 1), "ok", acting_user=world.users["gmf"]
        )
    report = programme.do_report_direct_hire(
        hire, D(2026, 6, 1), D(2026, 9, 1), "Trois mois", acting_user=world.users["gmf"]
    )
    assert DirectHireReport.objects.get() == report
    assert _events(ComanagementAction.DIRECT_HIRE_REPORTED).count() == 1
