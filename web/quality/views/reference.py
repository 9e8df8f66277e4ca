"""The credits of the QI program (docs/quality-plan.md §5): everyone of the quality side
reads the version in force, its illustrative values marked; the DRMG publishes a new
version (a version is never edited)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from panelcare.quality import cycle
from web.accounts import access
from web.quality.errors import QualityError
from web.quality.forms.plans import CreditsForm
from web.quality.models import ActivityKind, CreditsVersion
from web.quality.services import reference as services


def _may_publish(request: HttpRequest) -> bool:
    try:
        access.access_quality_region(request.user, drmg=True)
    except PermissionDenied:
        return False
    return True


def _rows(table: cycle.CreditsTable) -> list[dict[str, object]]:
    """The table's values as the page lists them, each with its dotted key's mark."""
    rows: list[dict[str, object]] = [
        {"label": ActivityKind(code).label, "key": f"activities.{code}", "value": value}
        for code, value in table.activities.items()
    ]
    rows += [
        {
            "label": _("Accepted plan (each member)"),
            "key": "plan.accepted",
            "value": table.accepted_plan,
        },
        {
            "label": _("Each completed goal of the accepted plan"),
            "key": "plan.per_completed_goal",
            "value": table.per_completed_goal,
        },
    ]
    if table.max_goals_credited is not None:
        rows.append(
            {
                "label": _("Completed goals credited, at most"),
                "key": "plan.max_goals_credited",
                "value": table.max_goals_credited,
            }
        )
    for row in rows:
        row["illustrative"] = row["key"] in table.illustrative
    return rows


@login_required
def credits(request: HttpRequest) -> HttpResponse:
    region = access.access_quality_region(request.user)
    may_publish = _may_publish(request)
    in_force = services.credits_in_force(region)
    table = services.credits_table(in_force)
    form = None
    if may_publish:
        form = CreditsForm(
            request.POST or None,
            initial={"text": in_force.text if in_force else services.shipped_credits_text()},
        )
    if request.method == "POST":
        region = access.access_quality_region(request.user, drmg=True)  # 403 but for the DRMG
        assert form is not None
        if form.is_valid():
            try:
                version = services.do_publish_credits(
                    region, form.cleaned_data["text"], acting_user=request.user
                )
            except QualityError as error:
                form.add_error("text", str(error))
            else:
                messages.success(
                    request,
                    _("Version %(number)s of the credits is published.")
                    % {"number": version.number},
                )
                return redirect("quality:credits")
    return render(
        request,
        "quality/reference/credits.html",
        {
            "region": region,
            "in_force": in_force,
            "table": table,
            "rows": _rows(table),
            "maximum": services.most_credits(table),
            "versions": CreditsVersion.objects.filter(region=region).select_related("created_by"),
            "may_publish": may_publish,
            "form": form,
        },
    )
