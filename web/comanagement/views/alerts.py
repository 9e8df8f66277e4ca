"""The co-management's alerts page and its export (docs/comanagement-plan.md §4,
"Alerts"): the obligations that slipped in the GMFs the user sees, their side's by
default (``?side=other`` the other side's, ``?side=all`` every one); the DRMG reads all
of them. Each row links to its record."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from web.accounts import access
from web.attribution import exports
from web.comanagement import alerts


def _rows(request: HttpRequest) -> tuple[str, str, list[alerts.AlertRow]]:
    """The user's side, the filter asked (``mine`` unless ``?side=`` names another) and
    the rows it keeps."""
    side = access.comanagement_side(request.user)  # 403 outside the three roles
    gmfs = access.visible_comanagement_gmfs(request.user)
    if request.GET.get("gmf"):  # one GMF's alerts (its page links here); 404 outside
        gmfs = gmfs.filter(pk=access.access_comanagement_gmf(request.user, request.GET["gmf"]).pk)
    which = request.GET.get("side", "mine")
    if which not in alerts.SIDE_FILTERS or side == "drmg":
        which = "all" if side == "drmg" else "mine"
    rows = alerts.for_side(alerts.alerts(gmfs, timezone.localdate()), side, which)
    return side, which, rows


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    side, which, rows = _rows(request)
    filters = [
        ("mine", pgettext("comanagement alerts", "My side's")),
        ("other", pgettext("comanagement alerts", "The other side's")),
        ("all", pgettext("comanagement alerts", "All")),
    ]
    return render(
        request,
        "comanagement/alerts/list.html",
        {
            "rows": rows,
            "side": side,
            "which": which,
            "filters": [] if side == "drmg" else filters,
            "today": timezone.localdate(),
        },
    )


@login_required
def alert_export(request: HttpRequest) -> HttpResponse:
    """The page's rows as the CSV French Excel opens (``;``, a byte order mark)."""
    _side, _which, rows = _rows(request)
    headers = [
        pgettext("comanagement alerts", "Alert"),
        pgettext("comanagement alerts", "GMF code"),
        _("GMF"),
        pgettext("comanagement alerts", "To act"),
        pgettext("comanagement alerts", "About"),
        pgettext("comanagement alerts", "Due"),
        pgettext("comanagement alerts", "Days late"),
    ]
    table = [
        [
            row.kind_label,
            row.gmf.code,
            row.gmf.name,
            row.owner_label,
            row.subject_label,
            row.due,
            row.days_late,
        ]
        for row in rows
    ]
    content = exports.table_file(
        {pgettext("comanagement alerts", "Alerts"): (headers, table)}, "csv"
    )
    return exports.download(
        content, "text/csv; charset=utf-8", f"alertes-cogestion-{timezone.localdate()}.csv"
    )
