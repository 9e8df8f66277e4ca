"""The assiduity's home page: the region's computations, and the form to start one (the
DRMG and the CMLs; ``access.can_compute_assiduity``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from web.accounts import access
from web.accounts.access import Purpose
from web.assiduity import figures
from web.assiduity.forms import StartRunForm

# The runs listed (newest first): a region computes a few a month.
RUNS_LISTED = 30


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The region's computations (the finished ones for a GMF manager or a physician),
    and the form to start one for those who compute."""
    runs = access.visible_assiduity_runs(request.user).select_related("created_by")
    can_compute = access.can_compute_assiduity(request.user)
    context = {
        "region": access.access_region(request.user, Purpose.ASSIDUITY),
        "runs": figures.run_rows(runs[:RUNS_LISTED]),
        "can_compute": can_compute,
        # The links to the region's other pages: the trends (those who compute: the DRMG
        # and the CMLs) and the DRMG's notices.
        "reads_notices": access.can_read_drmg_notices(request.user),
        "form": StartRunForm() if can_compute else None,
    }
    return render(request, "assiduity/home.html", context)
