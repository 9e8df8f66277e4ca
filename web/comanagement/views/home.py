"""The co-management's home: a GMF manager goes to their GMF's page; the DRMG and the
CISSS/CIUSSS managers see the GMFs they follow, with each one's stage, level and FTE.

=========  ==========================================  ================================
page       who                                          refused
=========  ==========================================  ================================
home       DRMG, GMF manager (redirected), CISSS/       other roles, a GMF manager
           CIUSSS manager                               without a GMF, a CISSS/CIUSSS
                                                        manager without an
                                                        establishment: 403
=========  ==========================================  ================================
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from web.accounts import access
from web.comanagement import alerts, figures


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The list of the visible GMFs (stage, level, FTE entitled/allocated/filled, late
    posts, open alerts of every side), or the GMF manager's own GMF."""
    side = access.comanagement_side(request.user)  # 403 outside the three roles
    gmfs = access.visible_comanagement_gmfs(request.user).order_by("name")
    if side == "gmf":
        return redirect("comanagement:gmf-detail", gmfs.get().code)
    today = timezone.localdate()
    rows = figures.gmf_rows(gmfs, today)
    counts = alerts.counts_by_gmf(alerts.alerts(gmfs, today))
    for row in rows:
        row.open_alerts = sum(counts.get(row.gmf.code, {}).values())
    context = {
        "side": side,
        "today": today,
        "rows": rows,
        # The agreement rules each reader may open: their establishment's (the DRMG: each
        # of the region's).
        "establishments": access.visible_establishments(request.user),
    }
    return render(request, "comanagement/home/home.html", context)
