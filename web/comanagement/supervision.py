"""What a placement's clinical supervision looks like on a day (read side): the plan in
force, the sessions held, the last day for the next session and whether it is late.

The rule is the core's (:func:`panelcare.comanagement.obligations.next_supervision_due`,
:func:`~panelcare.comanagement.obligations.supervision_overdue`), fed by
:mod:`web.comanagement.records`, so that the placement page and the alerts never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from panelcare.comanagement import obligations
from web.comanagement import records
from web.comanagement.models import Placement, SupervisionPlan, SupervisionSession

__all__ = ["SupervisionStatus", "supervision_status"]


@dataclass(frozen=True)
class SupervisionStatus:
    """A placement's supervision on ``on``.

    Attributes:
        plan: the plan in force on ``on`` (None: no plan, or not started yet).
        plans: every plan of the placement, the latest first.
        sessions: every session held, under any plan, the latest first.
        next_due: the last day for the next session under ``plan`` (None without one).
        days_late: 0 on time, else the days past ``next_due`` (« En retard »).
    """

    on: date
    plan: SupervisionPlan | None
    plans: list[SupervisionPlan]
    sessions: list[SupervisionSession]
    next_due: date | None
    days_late: int

    @property
    def late(self) -> bool:
        return self.days_late > 0


def supervision_status(placement: Placement, on: date) -> SupervisionStatus:
    """The supervision of ``placement`` as known on ``on`` (the caller passes today)."""
    plans = list(SupervisionPlan.objects.filter(placement=placement).order_by("-start", "-pk"))
    sessions = list(
        SupervisionSession.objects.filter(plan__placement=placement)
        .select_related("plan")
        .order_by("-held_on", "-pk")
    )
    in_force = [plan for plan in plans if plan.start <= on and (plan.end is None or on < plan.end)]
    plan = in_force[0] if in_force else None
    if plan is None:
        return SupervisionStatus(on, None, plans, sessions, None, 0)
    core_plans = records.supervision_plans(SupervisionPlan.objects.filter(pk=plan.pk))
    core_sessions = records.supervision_sessions(SupervisionSession.objects.filter(Q(plan=plan)))
    next_due = obligations.next_supervision_due(core_plans[0], core_sessions, on)
    alerts = obligations.supervision_overdue(core_plans, core_sessions, on)
    return SupervisionStatus(
        on, plan, plans, sessions, next_due, alerts[0].days_late if alerts else 0
    )
