"""The DRMG's page of the quality-improvement groups (docs/quality-plan.md §5): the
region's counts per 5-year cycle (:func:`web.quality.progress.counts_per_cycle`) —
physicians are counted, never named."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from web.accounts import access
from web.quality import progress


@login_required
def drmg_counts(request: HttpRequest) -> HttpResponse:
    # The DRMG only: a coach follows groups by name on the dashboard, not the region's counts.
    region = access.access_quality_region(request.user, drmg=True)
    today = timezone.localdate()
    return render(
        request,
        "quality/drmg/counts.html",
        {
            "region": region,
            "cycles": progress.counts_per_cycle(region, today),
            "labels": progress.COUNT_LABELS,
            "today": today,
        },
    )
