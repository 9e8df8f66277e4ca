"""Co-management services: training (docs/comanagement-plan.md, section 2).

The seed's "Training" line: the GMF identifies the needs tied to its roles, asks for
trainings and pays those outside the CISSS/CIUSSS programme; the CISSS/CIUSSS identifies
the needs tied to its quality standards, approves external training (free or paid) and
records attendance in the employee's file.

Sides are never checked here: the views ask :mod:`web.accounts.access` first.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from web.comanagement.errors import RecordRefused
from web.comanagement.models import (
    ComanagementAction,
    Placement,
    TrainingAttendance,
    TrainingBasis,
    TrainingDecision,
    TrainingNeed,
    TrainingRequest,
)
from web.comanagement.services._common import audit, format_day, not_after_today
from web.regions.models import Gmf

__all__ = [
    "do_decide_training",
    "do_record_training_attendance",
    "do_record_training_need",
    "do_request_training",
]

# The most hours a TrainingAttendance holds (Decimal(4, 1)).
MAX_HOURS = Decimal("999.9")


def _placement_open_on(placement: Placement, day: date) -> None:
    """A record of a placement belongs to its period: a placement ended on ``day`` (or
    not started yet) takes none."""
    if day < placement.start:
        raise RecordRefused(
            _("%(professional)s is placed in this GMF from %(start)s: not yet on %(day)s.")
            % {
                "professional": placement.professional.name,
                "start": format_day(placement.start),
                "day": format_day(day),
            }
        )
    if placement.end is not None and day >= placement.end:
        raise RecordRefused(
            _(
                "The placement of %(professional)s ended on %(end)s: nothing is recorded on it after."
            )
            % {"professional": placement.professional.name, "end": format_day(placement.end)}
        )


def do_record_training_need(
    gmf: Gmf,
    *,
    identified_by: str,
    basis: str,
    description: str,
    identified_on: date,
    placement: Placement | None = None,
    acting_user: Any,
) -> TrainingNeed:
    """Record a training need of ``gmf``'s team, or of one professional (``placement``).

    Args:
        identified_by: the side recording it, ``"gmf"`` or ``"ciusss"`` (the view passes
            :func:`web.accounts.access.comanagement_side`); the need is that side's record.
        basis: a :class:`~web.comanagement.models.TrainingBasis` (the GMF's roles, the
            CISSS/CIUSSS quality standards).

    Records TRAINING_NEED_RECORDED in the same transaction.

    Raises:
        RecordRefused: an empty description, a day to come, a placement of another GMF or
            outside its period.
    """
    if identified_by not in ("gmf", "ciusss"):
        raise ValueError(f"identified_by is gmf or ciusss, got {identified_by!r}")
    if basis not in TrainingBasis.values:
        raise ValueError(f"unknown training basis {basis!r}")
    description = description.strip()
    if not description:
        raise RecordRefused(_("Describe the training need."))
    not_after_today(identified_on, _("A need is recorded once identified, not on a day to come."))
    if placement is not None:
        if placement.gmf_id != gmf.pk:
            raise RecordRefused(_("This professional is not placed in this GMF."))
        _placement_open_on(placement, identified_on)
    with transaction.atomic():
        need = TrainingNeed.objects.create(
            gmf=gmf,
            placement=placement,
            identified_by=identified_by,
            basis=basis,
            description=description,
            identified_on=identified_on,
            recorded_by=acting_user,
        )
        audit(
            ComanagementAction.TRAINING_NEED_RECORDED,
            gmf,
            subject=need,
            acting_user=acting_user,
            placement=placement.pk if placement else None,
            identified_by=identified_by,
            basis=basis,
            identified_on=identified_on.isoformat(),
        )
    return need


def do_request_training(
    placement: Placement,
    *,
    title: str,
    submitted_on: date,
    external: bool,
    in_ciusss_programme: bool,
    cost: Decimal | None = None,
    provider: str = "",
    starts_on: date | None = None,
    need: TrainingNeed | None = None,
    acting_user: Any,
) -> TrainingRequest:
    """The GMF asks for a training of the professional of ``placement``; the CISSS/CIUSSS
    decides it (:func:`do_decide_training`).

    The payer follows the seed: the GMF pays a training outside the CISSS/CIUSSS
    programme (``payer = "gmf"``), the CISSS/CIUSSS one of its programme.

    Args:
        external: a training given outside the establishment (the seed: the CISSS/CIUSSS
            approves external training, free or paid).
        cost: in dollars; None when unknown, 0 when free.
        need: the need it answers, of the same GMF (and professional, when the need is a
            professional's).

    Records TRAINING_REQUESTED in the same transaction.

    Raises:
        RecordRefused: an empty title, a negative cost, a day to come, a placement not in
            force on ``submitted_on``, a need of another GMF or professional.
    """
    title = title.strip()
    if not title:
        raise RecordRefused(_("Give the training's title."))
    if cost is not None and cost < 0:
        raise RecordRefused(_("A cost is 0 (a free training) or more."))
    not_after_today(
        submitted_on, _("A request is submitted today or before, not on a day to come.")
    )
    _placement_open_on(placement, submitted_on)
    if need is not None and (
        need.gmf_id != placement.gmf_id
        or (need.placement_id is not None and need.placement_id != placement.pk)
    ):
        raise RecordRefused(_("This need is not one of this professional or of their GMF."))
    payer = "ciusss" if in_ciusss_programme else "gmf"
    gmf = placement.gmf
    with transaction.atomic():
        request = TrainingRequest.objects.create(
            placement=placement,
            need=need,
            title=title,
            provider=provider.strip(),
            starts_on=starts_on,
            external=external,
            in_ciusss_programme=in_ciusss_programme,
            cost=cost,
            payer=payer,
            submitted_on=submitted_on,
            submitted_by=acting_user,
        )
        audit(
            ComanagementAction.TRAINING_REQUESTED,
            gmf,
            subject=request,
            acting_user=acting_user,
            placement=placement.pk,
            need=need.pk if need else None,
            external=external,
            in_ciusss_programme=in_ciusss_programme,
            cost=str(cost) if cost is not None else None,
            payer=payer,
            submitted_on=submitted_on.isoformat(),
        )
    return request


def do_decide_training(
    request: TrainingRequest,
    approved: bool,
    note: str,
    on: date,
    *,
    acting_user: Any,
) -> TrainingRequest:
    """The CISSS/CIUSSS approves or refuses ``request`` on ``on``, once: a decided request
    is never decided again (a new request is made instead).

    Records TRAINING_DECIDED in the same transaction.

    Raises:
        RecordRefused: the request is already decided, ``on`` is before it was submitted
            or a day to come.
    """
    if on < request.submitted_on:
        raise RecordRefused(
            _("The request was submitted on %(submitted)s: it cannot be decided before.")
            % {"submitted": format_day(request.submitted_on)}
        )
    not_after_today(on, _("A decision is dated today or before, not on a day to come."))
    decision = TrainingDecision.APPROVED if approved else TrainingDecision.REFUSED
    gmf = request.placement.gmf
    with transaction.atomic():
        # Conditional on the request being still pending, so that two managers deciding
        # at once give one decision and one refusal, never two decisions.
        changed = TrainingRequest.objects.filter(
            pk=request.pk, decision=TrainingDecision.PENDING
        ).update(
            decision=decision,
            decided_on=on,
            decided_by=acting_user,
            decision_note=note.strip(),
        )
        if not changed:
            raise RecordRefused(
                _("This request is already decided: make a new request to change it.")
            )
        request.refresh_from_db(fields=["decision", "decided_on", "decided_by", "decision_note"])
        audit(
            ComanagementAction.TRAINING_DECIDED,
            gmf,
            subject=request,
            acting_user=acting_user,
            placement=request.placement_id,
            decision=str(decision),
            decided_on=on.isoformat(),
        )
    return request


def do_record_training_attendance(
    request: TrainingRequest,
    *,
    attended_on: date,
    hours: Decimal,
    acting_user: Any,
) -> TrainingAttendance:
    """The CISSS/CIUSSS records in the employee's file that the training of ``request``
    (an approved one) was attended on ``attended_on`` for ``hours``.

    Records TRAINING_ATTENDED in the same transaction.

    Raises:
        RecordRefused: the request is not approved, ``hours`` is not above 0 (or above
            999.9), ``attended_on`` is before the request or a day to come.
    """
    if request.decision != TrainingDecision.APPROVED:
        raise RecordRefused(
            _("Only an approved training is recorded as attended: decide the request first.")
        )
    if hours <= 0 or hours > MAX_HOURS:
        raise RecordRefused(_("The hours attended are above 0 and at most 999.9."))
    if attended_on < request.submitted_on:
        raise RecordRefused(
            _(
                "The request was submitted on %(submitted)s: a training attended before it "
                "is not this request's."
            )
            % {"submitted": format_day(request.submitted_on)}
        )
    not_after_today(
        attended_on, _("A training is recorded as attended once attended, not on a day to come.")
    )
    gmf = request.placement.gmf
    with transaction.atomic():
        attendance = TrainingAttendance.objects.create(
            request=request, attended_on=attended_on, hours=hours, recorded_by=acting_user
        )
        audit(
            ComanagementAction.TRAINING_ATTENDED,
            gmf,
            subject=attendance,
            acting_user=acting_user,
            placement=request.placement_id,
            request=request.pk,
            attended_on=attended_on.isoformat(),
            hours=str(hours),
        )
    return attendance
