"""The physicians' table of one RLS and the decisions on them (purpose ``ATTRIBUTION``:
403 for a role without the right, 404 outside the territory)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from panelcare.attribution.model import MODES
from web.accounts import access
from web.accounts.access import Purpose
from web.attribution import le304, services
from web.attribution import physicians as roster
from web.attribution.forms import DecisionForm
from web.attribution.labels import reason_labels
from web.attribution.models import AttributionMode

# The modes' labels: the page shows no code (« bloc », « none »).
MODE_LABELS = dict(AttributionMode.choices)


@login_required
def physicians(request: HttpRequest, rls_code: str) -> HttpResponse:
    """The physicians of one RLS with the decisions in force, sortable and filterable."""
    rls = access.access_rls(request.user, rls_code, Purpose.ATTRIBUTION)
    today = timezone.localdate()
    rows, figures = roster.rls_physicians(rls.region, rls.code, today)
    group = request.GET.get("group", "")
    mode = request.GET.get("mode", "")
    q = request.GET.get("q", "")
    shown = roster.filter_rows(rows, group=group, mode=mode, q=q)
    shown, sort = roster.sort_rows(shown, request.GET.get("sort", "name"))
    for row in shown:
        row.reason_labels = reason_labels(row.reasons)  # type: ignore[attr-defined]
        row.mode_label = MODE_LABELS.get(row.mode, row.mode)  # type: ignore[attr-defined]
        row.mode_roster_label = MODE_LABELS.get(  # type: ignore[attr-defined]
            row.mode_roster, row.mode_roster
        )
        if row.decision is not None and row.decision.mode:
            row.decision.mode_label = MODE_LABELS.get(  # type: ignore[attr-defined]
                row.decision.mode, row.decision.mode
            )
        row.form = DecisionForm(  # type: ignore[attr-defined]
            initial=(
                {name: getattr(row.decision, name) for name in DecisionForm.base_fields}
                if row.decision
                else {}
            ),
            auto_id=f"id_{row.code}_%s",
        )
    filters = {"group": group, "mode": mode, "q": q}
    columns = [
        ("code", _("Code")),
        ("name", _("Name")),
        ("registered", _("Registered")),
        ("vulnerable_share", _("Vulnerable")),
        ("units", _("Units")),
        ("group", _("Group")),
        ("target", _("Target")),
        ("amp_target", _("AMP requirement")),
        ("mode", _("Mode")),
        ("previous_assiduity", _("Assiduity")),
        ("age", _("Age")),
        ("years_of_practice", _("Years of practice")),
    ]
    headers = []
    for key, label in columns:
        next_sort = f"-{key}" if sort == key else key
        headers.append(
            {
                "key": key,
                "label": label,
                "query": roster.query_string({**filters, "sort": next_sort}),
                "arrow": "▲" if sort == key else "▼" if sort == f"-{key}" else "",
            }
        )
    context = {
        "rls": rls,
        "rows": shown,
        "total": len(rows),
        "figures": figures,
        "headers": headers,
        "filters": filters,
        "sort": sort,
        "groups": [
            ("1a", "1a"),
            ("1b", "1b"),
            ("2", "2"),
            ("none", pgettext("attribution group", "out")),
        ],
        "modes": [(mode, MODE_LABELS.get(mode, mode)) for mode in MODES],
        "today": today,
        "here": request.get_full_path(),
        "assiduity": le304.describe(
            figures.assiduity_run, today.year - 1, missing=figures.assiduity_missing
        ),
    }
    return render(request, "attribution/physicians/list.html", context)


@login_required
@require_POST
def decision(request: HttpRequest, rls_code: str, physician_code: str) -> HttpResponse:
    """Record the decision on one physician (the form of the physicians' page)."""
    rls = access.access_rls(request.user, rls_code, Purpose.ATTRIBUTION)
    form = DecisionForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("attribution:physicians", args=[rls.code])
    if not form.is_valid():
        messages.error(request, _("The decision was not recorded: check the values."))
        return redirect(back)
    services.do_set_decision(
        rls.region, physician_code, rls.code, acting_user=request.user, **form.cleaned_data
    )
    messages.success(request, _("Decision on %(code)s recorded.") % {"code": physician_code})
    return redirect(back)
