"""The responsibility matrix (docs/comanagement-plan.md §4): the seed's processes, what the
GMF, both sides and the CISSS/CIUSSS hold; with ``?gmf=CODE`` (a GMF the user sees, 404
otherwise), each line links to that GMF's records with their counts and open alerts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from web.accounts import access
from web.comanagement import alerts
from web.comanagement.matrix import matrix_lines


@login_required
def matrix(request: HttpRequest) -> HttpResponse:
    access.comanagement_side(request.user)  # 403 outside the three roles
    gmfs = access.visible_comanagement_gmfs(request.user).order_by("name")
    code = request.GET.get("gmf", "")
    gmf = None
    if code:
        gmf = access.access_comanagement_gmf(request.user, code)  # 404 outside
    elif gmfs.count() == 1:
        gmf = gmfs.first()
    rows = alerts.alerts([gmf], timezone.localdate()) if gmf is not None else []
    return render(
        request,
        "comanagement/matrix/matrix.html",
        {"lines": matrix_lines(gmf, rows), "gmf": gmf, "gmfs": gmfs},
    )
