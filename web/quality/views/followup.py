"""A goal's follow-up (docs/quality-plan.md §4): its measure as a run chart, the signals
in words, the target and the PDSA cycles.

Whose figures: a goal measured by a platform indicator is read on the figures of the
member who opens the page (each member measures themselves); the group's coach picks a
member among those who share their Data-Driven QI with the group
(:func:`web.accounts.access.can_read_physician_figures`). A manual measure is the
group's: everyone reads the same points.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from web.accounts import access
from web.quality import charts
from web.quality.indicators import SHARE_INDICATORS
from web.quality.models import InvitationStatus
from web.regions.models import Physician


@login_required
def goal_chart(request: HttpRequest, pk: int) -> HttpResponse:
    side = access.quality_side(request.user)  # 403 for the other roles
    if side == "drmg":
        raise PermissionDenied  # the DRMG reads counts, not a group's goals
    goal = access.access_goal(request.user, pk)  # 404 outside the user's groups
    group = goal.plan.group
    if side == "physician" and not access.is_group_member(request.user, group):
        raise Http404  # invited, not a member: the plan is not theirs yet
    if side == "coach" and group.coach_id != request.user.pk:
        raise Http404  # a group without a coach is seen to be taken up, not followed

    readable: list[Physician] = []
    shown: Physician | None = None
    if goal.indicator:
        if side == "physician":
            shown = access.quality_physician(request.user)
        else:
            members = [
                group.founder,
                *Physician.objects.filter(
                    qi_invitations__group=group, qi_invitations__status=InvitationStatus.ACCEPTED
                ).order_by("name"),
            ]
            readable = [
                member
                for member in members
                if access.can_read_physician_figures(request.user, member, group)
            ]
            asked = request.GET.get("physician", "")
            shown = next((m for m in readable if str(m.pk) == asked), None) or (
                readable[0] if readable else None
            )

    today = timezone.localdate()
    follow_up = (
        charts.goal_follow_up(goal, on=today, physician=shown)
        if shown is not None or not goal.indicator
        else None
    )
    return render(
        request,
        "quality/followup/goal_chart.html",
        {
            "goal": goal,
            "group": group,
            "follow_up": follow_up,
            "shown": shown,
            "readable": readable,
            "is_share": goal.indicator in SHARE_INDICATORS,
            "cycles": goal.cycles.all(),
        },
    )
