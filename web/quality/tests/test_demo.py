"""The demo region's QI groups (web/quality/demo.py): one group at each stage the issue
asks for, written through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from web.audit.models import AuditEvent
from web.quality import indicators
from web.quality.models import (
    Activity,
    Completion,
    Group,
    Indicator,
    InvitationStatus,
    ManualPoint,
    PlanStatus,
)

pytestmark = pytest.mark.usefixtures("demo")


def _group(name: str) -> Group:
    return Group.objects.get(name=name)


def test_it_loads_a_group_at_each_stage():
    statuses = {
        group.name: getattr(getattr(group, "plan", None), "status", None)
        for group in Group.objects.all()
    }
    assert statuses == {
        "GMF — suivi des maladies chroniques": PlanStatus.ACCEPTED,
        "Accès adapté — RLS": PlanStatus.SUBMITTED,
        "Jeunes médecins": None,
        "Soins palliatifs à domicile": None,
    }
    inviting = _group("Soins palliatifs à domicile")
    assert inviting.coach is None
    assert [i.status for i in inviting.invitations.all()] == [InvitationStatus.PENDING] * 2
    half = Activity.objects.filter(group=_group("Jeunes médecins"))
    assert half.filter(completed_on__isnull=False).count() == 1
    assert half.filter(completed_on__isnull=True).count() == 2


def test_it_completes_every_member_of_the_accepted_plan_for_five_years():
    group = _group("GMF — suivi des maladies chroniques")
    completions = Completion.objects.filter(group=group)
    assert completions.count() == 3
    for completion in completions:
        assert completion.due.year == completion.accepted_on.year + 5
        assert completion.accepted_on < timezone.localdate()


def test_it_measures_the_accepted_plans_goals_with_the_platforms_figures():
    group = _group("GMF — suivi des maladies chroniques")
    goals = {goal.indicator: goal for goal in group.plan.goals.all()}
    assert set(goals) == {Indicator.ASSIDUITY_RATE, Indicator.PANEL_SIZE, ""}
    founder = group.founder
    panel = indicators.goal_series(
        goals[Indicator.PANEL_SIZE], physician=founder, on=timezone.localdate()
    )
    assert sum(point.value is not None for point in panel) >= 6
    manual = ManualPoint.objects.filter(goal=goals[""]).count()
    assert manual >= 6


def test_it_writes_as_each_physician_with_an_account_that_cannot_log_in():
    group = _group("Accès adapté — RLS")
    founder_user = User.objects.get(username=f"md.{group.founder.code.lower()}")
    assert not founder_user.has_usable_password()
    assert not hasattr(founder_user, "profile")
    created = AuditEvent.objects.get(action="qi_group_created", details__name=group.name)
    assert created.actor == founder_user
