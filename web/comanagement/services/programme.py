"""Co-management services: the GMF programme (docs/comanagement-plan.md, section 2).

The CISSS/CIUSSS records the annual reviews, opens the posts the GMF is owed, holds the
selection and fills the posts, or closes them; the GMF records a direct hire (under an
agreement, with a derogation for another type), which the CISSS/CIUSSS agrees to, and
reports on it (« reddition de compte »).

Sides are not checked here: the views call :mod:`web.accounts.access` first. Every
service runs in one transaction, refuses with :class:`~web.comanagement.errors.RecordRefused`
(nothing written), and records its audit entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from panelcare.comanagement import levels
from web.comanagement.errors import RecordRefused
from web.comanagement.models import (
    AnnualReview,
    ComanagementAction,
    DirectHire,
    DirectHireReport,
    LevelTableVersion,
    Placement,
    Post,
    PostFilledBy,
    PostOpenedBy,
    SelectionStep,
    SelectionStepKind,
)
from web.comanagement.services._common import audit, format_day
from web.regions.models import Gmf

__all__ = [
    "do_agree_direct_hire",
    "do_close_post",
    "do_fill_post",
    "do_open_post",
    "do_record_annual_review",
    "do_record_direct_hire",
    "do_record_selection_step",
    "do_report_direct_hire",
]


def _label(code: str) -> str:
    from web.comanagement import reference

    return str(reference.type_label(code))


def _level_table_in_force(gmf: Gmf, on: datetime.date) -> LevelTableVersion:
    """The version of the level table in force on ``on`` in ``gmf``'s region.

    Raises:
        RecordRefused: the region has none in force that day.
    """
    from web.comanagement import reference

    version = reference.level_table_in_force(gmf.rls.region, on)
    if version is None:
        raise RecordRefused(
            _("The region has no level table in force on %(day)s: the DRMG publishes it first.")
            % {"day": format_day(on)}
        )
    return version


def _open(post: Post) -> None:
    """Refuse a write on a post that is closed or already filled."""
    if post.closed_on is not None:
        raise RecordRefused(
            _("This post was closed on %(day)s: nothing more is recorded on it.")
            % {"day": format_day(post.closed_on)}
        )
    if post.filled_on is not None:
        raise RecordRefused(
            _("This post was filled on %(day)s.") % {"day": format_day(post.filled_on)}
        )


def do_record_annual_review(
    gmf: Gmf,
    reviewed_on: datetime.date,
    counts: Mapping[str, int],
    *,
    acting_user: Any,
) -> AnnualReview:
    """Record the GMF's annual review of ``reviewed_on`` (a 1 April): its registered
    patients per weighting category, as the MSSS letter gives them. The level table is
    the region's version in force on ``reviewed_on``; the weighted patients and the level
    are computed on read (:func:`web.comanagement.reference.review_level`).

    Raises:
        RecordRefused: not a 1 April, no level table in force, a category without a
            weight, a negative count, a review of that day already recorded.
    """
    from web.comanagement import reference

    if (reviewed_on.month, reviewed_on.day) != (4, 1):
        raise RecordRefused(_("An annual review is held on 1 April."))
    version = _level_table_in_force(gmf, reviewed_on)
    table = reference.level_table(version)
    clean = {category: count for category, count in counts.items() if count}
    try:
        weighted = levels.weighted_patients(clean, table.weights)
    except levels.LevelTableError as error:
        raise RecordRefused(
            _(
                "The counts are refused: every category is one of the level table's, every count a whole number ≥ 0 (%(key)s)."
            )
            % {"key": error.key or ""}
        ) from error
    level = levels.level_for(weighted, table)
    with transaction.atomic():
        if AnnualReview.objects.filter(gmf=gmf, reviewed_on=reviewed_on).exists():
            raise RecordRefused(
                _("The annual review of %(day)s is already recorded.")
                % {"day": format_day(reviewed_on)}
            )
        review = AnnualReview.objects.create(
            gmf=gmf,
            reviewed_on=reviewed_on,
            level_table=version,
            counts=clean,
            recorded_by=acting_user,
        )
        audit(
            ComanagementAction.REVIEW_RECORDED,
            gmf,
            subject=review,
            acting_user=acting_user,
            reviewed_on=reviewed_on.isoformat(),
            level_table=version.number,
            weighted=weighted,
            level=level,
        )
    return review


def do_open_post(
    gmf: Gmf,
    professional_type: str,
    fte: Decimal,
    opened_by: str,
    opened_on: datetime.date,
    review: AnnualReview | None = None,
    note: str = "",
    *,
    acting_user: Any,
) -> Post:
    """Open a post of ``professional_type`` (``fte``) for the GMF, owed by its annual
    ``review`` (``opened_by`` "annual_review", ``opened_on`` the review's day) or by its
    recognition (``opened_by`` "recognition", no review). Its hiring deadline is the
    core's :func:`~panelcare.comanagement.obligations.hiring_deadline`.

    Raises:
        RecordRefused: a type the level table does not know, or that the GMF's kind may
            not receive (the table's ``kinds``: a nursing assistant only in GMF-R and
            GMF-U), an FTE outside (0, 1], a review of another GMF or of another day, a
            review missing or given where it does not belong, no level table in force.
    """
    from web.comanagement import reference

    if opened_by not in PostOpenedBy.values:
        raise RecordRefused(_("A post is opened by an annual review or by a recognition."))
    if not Decimal("0") < fte <= Decimal("1"):
        raise RecordRefused(_("A post's FTE is above 0 and at most 1."))
    if opened_by == PostOpenedBy.ANNUAL_REVIEW:
        if review is None or review.gmf_id != gmf.pk:
            raise RecordRefused(_("A post opened by an annual review names that review."))
        if review.reviewed_on != opened_on:
            raise RecordRefused(
                _("A post opened by an annual review opens on the review's day (%(day)s).")
                % {"day": format_day(review.reviewed_on)}
            )
        version = review.level_table
    else:
        if review is not None:
            raise RecordRefused(_("A post opened by the recognition names no annual review."))
        # Its deadline follows the recognition, not the day it is typed in (the core is
        # given the recognition's day); a post cannot be owed before the recognition.
        if opened_on < gmf.recognized_on:
            raise RecordRefused(
                _(
                    "A post opened by the recognition opens on or after the GMF's recognition "
                    "(%(day)s)."
                )
                % {"day": format_day(gmf.recognized_on)}
            )
        version = _level_table_in_force(gmf, opened_on)
    table = reference.level_table(version)
    if professional_type not in table.professional_types:
        raise RecordRefused(
            _("The level table has no professional type %(type)s.") % {"type": professional_type}
        )
    allowed = table.kinds.get(gmf.kind) if table.kinds else None
    if table.kinds and (allowed is None or professional_type not in allowed):
        raise RecordRefused(
            _("A %(kind)s may not receive a post of %(type)s (level table, version %(version)s).")
            % {
                "kind": gmf.get_kind_display(),
                "type": _label(professional_type),
                "version": version.number,
            }
        )
    with transaction.atomic():
        post = Post.objects.create(
            gmf=gmf,
            professional_type=professional_type,
            fte=fte,
            opened_by=opened_by,
            opened_on=opened_on,
            review=review,
            note=note,
        )
        audit(
            ComanagementAction.POST_OPENED,
            gmf,
            subject=post,
            acting_user=acting_user,
            professional_type=professional_type,
            fte=str(fte),
            opened_by=opened_by,
            opened_on=opened_on.isoformat(),
            review=review.pk if review else None,
        )
    return post


def do_record_selection_step(
    post: Post,
    step: str,
    held_on: datetime.date,
    gmf_took_part: bool = False,
    note: str = "",
    *,
    acting_user: Any,
) -> SelectionStep:
    """Record a step of the selection for ``post`` (posting, pre-selection, tests,
    interview), held by the CISSS/CIUSSS; the GMF takes part in the interview only.

    Raises:
        RecordRefused: an unknown step, a step already recorded, the GMF taking part in
            another step than the interview, a day before the post opened, a closed post.
    """
    if step not in SelectionStepKind.values:
        raise RecordRefused(_("Unknown selection step."))
    if post.closed_on is not None:
        raise RecordRefused(
            _("This post was closed on %(day)s: nothing more is recorded on it.")
            % {"day": format_day(post.closed_on)}
        )
    if gmf_took_part and step != SelectionStepKind.INTERVIEW:
        raise RecordRefused(_("The GMF takes part in the interview only."))
    if held_on < post.opened_on:
        raise RecordRefused(
            _("The step is held on or after the day the post opened (%(day)s).")
            % {"day": format_day(post.opened_on)}
        )
    with transaction.atomic():
        if SelectionStep.objects.filter(post=post, step=step).exists():
            raise RecordRefused(
                _("The step « %(step)s » is already recorded for this post.")
                % {"step": SelectionStepKind(step).label}
            )
        selection_step = SelectionStep.objects.create(
            post=post, step=step, held_on=held_on, gmf_took_part=gmf_took_part, note=note
        )
        audit(
            ComanagementAction.SELECTION_STEP_RECORDED,
            post.gmf,
            subject=selection_step,
            acting_user=acting_user,
            post=post.pk,
            step=step,
            held_on=held_on.isoformat(),
            gmf_took_part=gmf_took_part,
        )
    return selection_step


def do_fill_post(
    post: Post, placement: Placement, filled_on: datetime.date, *, acting_user: Any
) -> Post:
    """The CISSS/CIUSSS fills ``post`` with ``placement`` on ``filled_on`` (the post is
    then no longer vacant; the placement names the post).

    Raises:
        RecordRefused: the post is closed or already filled, the placement is of another
            GMF or of a professional of another type, already fills a post, or
            ``filled_on`` is before the post opened or outside the placement.
    """
    _open(post)
    if placement.gmf_id != post.gmf_id:
        raise RecordRefused(_("The placement is in another GMF than the post."))
    if placement.professional.professional_type != post.professional_type:
        raise RecordRefused(
            _("The professional is a %(type)s; the post is of %(post_type)s.")
            % {
                "type": _label(placement.professional.professional_type),
                "post_type": _label(post.professional_type),
            }
        )
    if filled_on < post.opened_on:
        raise RecordRefused(
            _("A post is filled on or after the day it opened (%(day)s).")
            % {"day": format_day(post.opened_on)}
        )
    if filled_on < placement.start or (placement.end is not None and filled_on >= placement.end):
        raise RecordRefused(_("The post is filled on a day of the placement."))
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.filled_on is not None or locked.closed_on is not None:
            _open(locked)
        if Post.objects.filter(placement=placement, closed_on__isnull=True).exists():
            raise RecordRefused(_("This placement already fills a post."))
        post.filled_on = filled_on
        post.filled_by = PostFilledBy.CIUSSS
        post.placement = placement
        post.save(update_fields=["filled_on", "filled_by", "placement"])
        if placement.post_id is None:
            placement.post = post
            placement.save(update_fields=["post"])
        audit(
            ComanagementAction.POST_FILLED,
            post.gmf,
            subject=post,
            acting_user=acting_user,
            post=post.pk,
            placement=placement.pk,
            filled_on=filled_on.isoformat(),
            filled_by=PostFilledBy.CIUSSS.value,
        )
    return post


def do_close_post(
    post: Post, closed_on: datetime.date, note: str = "", *, acting_user: Any
) -> Post:
    """Close ``post`` (no longer owed: the GMF's level went down, the post was merged…).
    A closed post is neither vacant nor late from then on; it is never deleted.

    Raises:
        RecordRefused: already closed, ``closed_on`` before the post opened.
    """
    with transaction.atomic():
        # Re-read under lock, then check: a closing or filling meanwhile is seen.
        post.refresh_from_db(from_queryset=Post.objects.select_for_update())
        if post.closed_on is not None:
            raise RecordRefused(
                _("This post was closed on %(day)s.") % {"day": format_day(post.closed_on)}
            )
        if closed_on < post.opened_on:
            raise RecordRefused(
                _("A post is closed on or after the day it opened (%(day)s).")
                % {"day": format_day(post.opened_on)}
            )
        post.closed_on = closed_on
        fields = ["closed_on"]
        if note.strip():
            post.note = (post.note + "\n" + note.strip()).strip()
            fields.append("note")
        post.save(update_fields=fields)
        audit(
            ComanagementAction.POST_CLOSED,
            post.gmf,
            subject=post,
            acting_user=acting_user,
            post=post.pk,
            closed_on=closed_on.isoformat(),
        )
    return post


def do_record_direct_hire(
    post: Post,
    professional_type: str,
    hired_on: datetime.date,
    contract_ref: str = "",
    derogation_ref: str = "",
    *,
    acting_user: Any,
) -> DirectHire:
    """The GMF records that it hired directly for ``post`` (which the CISSS/CIUSSS could
    not fill) on ``hired_on``; a professional of another type than the post's needs the
    technical committee's derogation (``derogation_ref``). The post counts as filled once
    the CISSS/CIUSSS agreed (:func:`do_agree_direct_hire`).

    Raises:
        RecordRefused: the post is closed, filled or already has a direct hire; another
            type without a derogation; ``hired_on`` before the post opened; an unknown type.
    """
    from web.comanagement import reference

    _open(post)
    if professional_type not in dict(reference.PROFESSIONAL_TYPES):
        raise RecordRefused(_("Unknown professional type."))
    derogation_ref = derogation_ref.strip()
    if professional_type != post.professional_type and not derogation_ref:
        raise RecordRefused(
            _(
                "The post is of %(post_type)s: hiring a %(type)s needs the technical "
                "committee's derogation; give its reference."
            )
            % {"post_type": _label(post.professional_type), "type": _label(professional_type)}
        )
    if hired_on < post.opened_on:
        raise RecordRefused(
            _("The hire is on or after the day the post opened (%(day)s).")
            % {"day": format_day(post.opened_on)}
        )
    try:
        with transaction.atomic():
            hire = DirectHire.objects.create(
                post=post,
                professional_type=professional_type,
                derogation_ref=derogation_ref,
                contract_ref=contract_ref.strip(),
                hired_on=hired_on,
                recorded_by=acting_user,
            )
            audit(
                ComanagementAction.DIRECT_HIRE_RECORDED,
                post.gmf,
                subject=hire,
                acting_user=acting_user,
                post=post.pk,
                professional_type=professional_type,
                derogation=bool(derogation_ref),
                hired_on=hired_on.isoformat(),
            )
    except IntegrityError as error:  # the one-to-one: a second direct hire of the post
        raise RecordRefused(_("A direct hire is already recorded for this post.")) from error
    return hire


def do_agree_direct_hire(hire: DirectHire, *, acting_user: Any) -> DirectHire:
    """The CISSS/CIUSSS agrees to the GMF's direct hire: the post is filled
    (``gmf_direct_hire``) on the day of the hire.

    Raises:
        RecordRefused: already agreed, or the post was closed or filled meanwhile.
    """
    with transaction.atomic():
        # Re-read the hire and its post under lock, then check: the caller's copies may
        # predate a filling, a closing or another agreement (a double submit).
        hire.refresh_from_db(from_queryset=DirectHire.objects.select_for_update())
        post = hire.post
        post.refresh_from_db(from_queryset=Post.objects.select_for_update())
        if hire.agreed_at is not None:
            raise RecordRefused(_("This direct hire is already agreed."))
        _open(post)
        hire.agreed_by = acting_user
        hire.agreed_at = timezone.now()
        hire.save(update_fields=["agreed_by", "agreed_at"])
        post.filled_on = hire.hired_on
        post.filled_by = PostFilledBy.GMF_DIRECT_HIRE
        post.save(update_fields=["filled_on", "filled_by"])
        audit(
            ComanagementAction.DIRECT_HIRE_AGREED,
            post.gmf,
            subject=hire,
            acting_user=acting_user,
            post=post.pk,
            filled_on=hire.hired_on.isoformat(),
            filled_by=PostFilledBy.GMF_DIRECT_HIRE.value,
        )
    return hire


def do_report_direct_hire(
    hire: DirectHire,
    period_start: datetime.date,
    period_end: datetime.date,
    text: str,
    reported_on: datetime.date | None = None,
    *,
    acting_user: Any,
) -> DirectHireReport:
    """The GMF's report on its direct hire for ``[period_start, period_end)``
    (« reddition de compte »).

    Raises:
        RecordRefused: the hire is not agreed yet, an empty text, a period that does not
            end after it starts or starts before the hire.
    """
    text = text.strip()
    if hire.agreed_at is None:
        raise RecordRefused(_("The CISSS/CIUSSS has not agreed to this direct hire yet."))
    if not text:
        raise RecordRefused(_("Write the report."))
    if period_end <= period_start:
        raise RecordRefused(_("The period ends after it starts."))
    if period_start < hire.hired_on:
        raise RecordRefused(
            _("The period starts on or after the hire (%(day)s).")
            % {"day": format_day(hire.hired_on)}
        )
    reported_on = reported_on or timezone.localdate()
    with transaction.atomic():
        report = DirectHireReport.objects.create(
            direct_hire=hire,
            period_start=period_start,
            period_end=period_end,
            reported_on=reported_on,
            text=text,
            recorded_by=acting_user,
        )
        audit(
            ComanagementAction.DIRECT_HIRE_REPORTED,
            hire.post.gmf,
            subject=report,
            acting_user=acting_user,
            post=hire.post_id,
            period_start=period_start.isoformat(),
            period_end=period_end.isoformat(),
        )
    return report
