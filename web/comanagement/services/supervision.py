"""Co-management services: supervision (docs/comanagement-plan.md, section 2).

The seed's "Clinical supervision" line: the CISSS/CIUSSS sets the supervision modalities
of each professional (frequency, site, form, length) and ensures supervision. A plan is
never edited: a new plan starts, and the previous one ends the day it does, so that
:func:`panelcare.comanagement.obligations.supervision_overdue` always reads the plan in
force on a day.

Sides are never checked here: the views ask :mod:`web.accounts.access` first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from web.comanagement.errors import RecordRefused
from web.comanagement.models import (
    ComanagementAction,
    Placement,
    SupervisionForm,
    SupervisionPlan,
    SupervisionSession,
    SupervisionUnit,
)
from web.comanagement.services._common import audit, format_day, not_after_today

__all__ = ["do_record_supervision_session", "do_set_supervision_plan"]


def do_set_supervision_plan(
    placement: Placement,
    *,
    start: date,
    every: int,
    unit: str,
    form: str,
    length_minutes: int,
    supervisor_name: str,
    site: str = "",
    acting_user: Any,
) -> SupervisionPlan:
    """Set the clinical supervision plan of ``placement`` from ``start``: a session every
    ``every`` ``unit`` (weeks or months), of ``form`` (individual or group), lasting
    ``length_minutes``, at ``site``, with ``supervisor_name``.

    The plan in force on ``start`` ends that day (its ``end`` is ``start``: periods are
    half-open), so that one plan is in force on each day.

    Records SUPERVISION_PLAN_SET (with the plan it ended) in the same transaction.

    Raises:
        RecordRefused: ``start`` outside the placement's period, a plan that starts on or
            after ``start`` (it would be ended before it starts), ``every`` or the length
            not 1 or more, no supervisor.
    """
    if unit not in SupervisionUnit.values:
        raise ValueError(f"unknown supervision unit {unit!r}")
    if form not in SupervisionForm.values:
        raise ValueError(f"unknown supervision form {form!r}")
    if every < 1:
        raise RecordRefused(_("A session is held every 1 week or month, or more."))
    if length_minutes < 1:
        raise RecordRefused(_("A session lasts 1 minute or more."))
    supervisor_name = supervisor_name.strip()
    if not supervisor_name:
        raise RecordRefused(_("Name the clinical supervisor."))
    with transaction.atomic():
        # Lock the placement row, then check: two first plans (no plan row to lock yet)
        # are serialised, and an ending of the placement meanwhile is seen.
        placement.refresh_from_db(from_queryset=Placement.objects.select_for_update())
        if start < placement.start or (placement.end is not None and start >= placement.end):
            raise RecordRefused(
                _("A plan starts during the placement: %(start)s is outside it.")
                % {"start": format_day(start)}
            )
        gmf = placement.gmf
        # The plans still in force on ``start`` (ongoing, or ending after it).
        in_force = list(
            SupervisionPlan.objects.select_for_update()
            .filter(placement=placement)
            .filter(Q(end__isnull=True) | Q(end__gt=start))
            .order_by("start")
        )
        later = [plan for plan in in_force if plan.start >= start]
        if later:
            raise RecordRefused(
                _(
                    "A plan of this professional starts on %(other)s: a new plan starts "
                    "after the latest one."
                )
                % {"other": format_day(later[-1].start)}
            )
        for previous in in_force:
            previous.end = start
            previous.save(update_fields=["end"])
        plan = SupervisionPlan.objects.create(
            placement=placement,
            start=start,
            every=every,
            unit=unit,
            site=site.strip(),
            form=form,
            length_minutes=length_minutes,
            supervisor_name=supervisor_name,
            recorded_by=acting_user,
        )
        audit(
            ComanagementAction.SUPERVISION_PLAN_SET,
            gmf,
            subject=plan,
            acting_user=acting_user,
            placement=placement.pk,
            start=start.isoformat(),
            every=every,
            unit=unit,
            form=form,
            length_minutes=length_minutes,
            ended_plans=[previous.pk for previous in in_force],
        )
    return plan


def do_record_supervision_session(
    plan: SupervisionPlan,
    *,
    held_on: date,
    length_minutes: int,
    note: str = "",
    acting_user: Any,
) -> SupervisionSession:
    """Record a supervision session held on ``held_on`` under ``plan``.

    Records SUPERVISION_SESSION_RECORDED in the same transaction.

    Raises:
        RecordRefused: ``held_on`` outside the plan's period (a session before it counts
            for no plan, obligations.supervision_overdue) or a day to come, a length not
            1 minute or more.
    """
    if length_minutes < 1:
        raise RecordRefused(_("A session lasts 1 minute or more."))
    not_after_today(held_on, _("A session is recorded once held, not on a day to come."))
    gmf = plan.placement.gmf
    with transaction.atomic():
        # The plan's end as stored now: a new plan may have ended it since it was read.
        plan.refresh_from_db(fields=["end"])
        if held_on < plan.start:
            raise RecordRefused(
                _("This plan starts on %(start)s: a session held on %(day)s is not under it.")
                % {"start": format_day(plan.start), "day": format_day(held_on)}
            )
        if plan.end is not None and held_on >= plan.end:
            raise RecordRefused(
                _(
                    "This plan ended on %(end)s: record a session held on %(day)s under the "
                    "plan in force that day."
                )
                % {"end": format_day(plan.end), "day": format_day(held_on)}
            )
        session = SupervisionSession.objects.create(
            plan=plan,
            held_on=held_on,
            length_minutes=length_minutes,
            note=note.strip(),
            recorded_by=acting_user,
        )
        audit(
            ComanagementAction.SUPERVISION_SESSION_RECORDED,
            gmf,
            subject=session,
            acting_user=acting_user,
            placement=plan.placement_id,
            plan=plan.pk,
            held_on=held_on.isoformat(),
            length_minutes=length_minutes,
        )
    return session
