"""The QI coach's dashboard (docs/quality-plan.md §5): the groups the coach follows, each
member's progress (activities done of four, the plan's status, the cycle's status) and the
steps that are late (:mod:`web.quality.progress`); below, the region's groups no coach
follows yet, to take up — their name and size, nothing of their members."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from web.accounts import access
from web.quality import progress


@login_required
def coach_dashboard(request: HttpRequest) -> HttpResponse:
    followed, unassigned = access.coach_groups(request.user)  # 403 but for a coach
    today = timezone.localdate()
    return render(
        request,
        "quality/coach/dashboard.html",
        {
            "followed": progress.groups_progress(followed, today),
            # Their size only: the coach does not follow these groups (yet).
            "unassigned": progress.group_sizes(unassigned),
            "today": today,
            "delays": progress.DELAYS,
        },
    )
