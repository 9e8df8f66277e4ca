"""The physicians' own declarations (issue 19; DSP-PR-30042, 3, 4, 5.3.6 and 7), their
review by the CML, and a physician's own progress after the plans.

==================  ========================================  ==============================
page                who                                       refused
==================  ========================================  ==============================
my-declaration      a physician (their own)                   every other role 403
my-progress         a physician (their own counts)            every other role 403
declaration-list    the CML (their RLS's), the DRMG (region,  other roles 403 (a physician
                    read-only)                                too)
declaration-detail  the same; the CML answers                 the same; another RLS's 404;
                                                              the DRMG answering 403
==================  ========================================  ==============================
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from web.accounts import access
from web.attribution import followup, journey
from web.attribution.declaration_forms import DeclarationForm, ReviewForm
from web.attribution.models import AttributionMode, DeclarationStatus, PhysicianDeclaration
from web.attribution.roster import decisions_in_force
from web.attribution.services_declarations import (
    DeclarationError,
    declared_workload,
    do_review_declaration,
    do_submit_declaration,
    total_hours,
)
from web.regions.models import Physician

# The answered declarations the review queue shows under the pending ones.
ANSWERED_SHOWN = 50


@login_required
@require_http_methods(["GET", "POST"])
def my_declaration(request: HttpRequest) -> HttpResponse:
    """The physician's declaration: the form (when none waits for an answer) with their
    units as the procedure counts them, the decision in force, and their declarations'
    history with the CML's answers. POST ``compute`` shows the units of the hours typed;
    POST ``submit`` records the declaration."""
    physician = access.access_own_physician(request.user)
    declarations = list(access.own_declarations(request.user))
    pending = any(item.status == DeclarationStatus.SUBMITTED for item in declarations)
    status = 200
    if request.method == "POST" and not pending:
        form = DeclarationForm(request.POST)
        if form.is_valid() and "submit" in request.POST:
            try:
                do_submit_declaration(physician, **form.cleaned_data, acting_user=request.user)
            except DeclarationError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Your declaration was sent to the CML."))
            return redirect("attribution:my-declaration")
        if not form.is_valid():
            status = 400
    elif request.method == "POST":
        messages.error(
            request, _("Your previous declaration is waiting for the CML's answer: wait for it.")
        )
        return redirect("attribution:my-declaration")
    else:
        form = DeclarationForm(initial=_initial(declarations))
    hours = form.total_hours() if form.is_bound and form.is_valid() else _initial_hours(form)
    return render(
        request,
        "attribution/declarations/mine.html",
        {
            "physician": physician,
            "form": None if pending else form,
            "pending": pending,
            "workload": declared_workload(physician, hours),
            "declarations": declarations,
            "decision": _decision(physician),
        },
        status=status,
    )


def _initial(declarations: list[PhysicianDeclaration]) -> dict[str, Any]:
    """The last declaration's values, to start from."""
    if not declarations:
        return {}
    last = declarations[0]
    return {
        name: getattr(last, name)
        for name in (
            "mode",
            "patients_offered",
            "hospital_hours",
            "emergency_hours",
            "teaching_hours",
            "justification",
        )
    }


def _initial_hours(form: DeclarationForm) -> Decimal:
    """The hours of an unbound or invalid form: its initial values' (0 when invalid)."""
    if form.is_bound:
        return Decimal(0)
    return sum(
        (
            Decimal(form.initial.get(name) or 0)
            for name in ("hospital_hours", "emergency_hours", "teaching_hours")
        ),
        Decimal(0),
    )


def _decision(physician: Physician) -> dict[str, Any] | None:
    """The CML's decision in force on ``physician`` with its mode's label (None: none)."""
    decision = decisions_in_force(physician.rls.region, [physician.rls.code]).get(physician.code)
    if decision is None:
        return None
    mode = AttributionMode(decision.mode).label if decision.mode else ""
    return {"decision": decision, "mode": mode}


@login_required
def my_progress(request: HttpRequest) -> HttpResponse:
    """The physician's patients of the approved plans in force that hold them: assigned,
    registered, returned, still expected, their monthly pace and where they stand (counts
    only, the CML's follow-up's figures: :func:`web.attribution.followup.follow_up`)."""
    physician = access.access_own_physician(request.user)
    items = []
    for run in (
        access.visible_own_runs(request.user)
        .select_related("rls", "region")
        .order_by("-approved_at", "-pk")[:12]
    ):
        try:
            report = followup.follow_up(run)
        except (OSError, ValueError):  # a plan folder gone: nothing to count
            continue
        own = journey.physician_journey(run, physician.code, report)
        if own.progress is None and not own.proposed:
            continue
        items.append({"run": run, "journey": own, "progress": own.progress, "report": report})
    return render(
        request,
        "attribution/declarations/my_progress.html",
        {"physician": physician, "items": items, "behind_ratio": followup.BEHIND_RATIO},
    )


@login_required
def declaration_list(request: HttpRequest) -> HttpResponse:
    """The declarations waiting for an answer (the CML's RLS, the DRMG's region), then the
    latest answered ones."""
    declarations = access.visible_declarations(request.user)
    pending = declarations.filter(status=DeclarationStatus.SUBMITTED).order_by("submitted_on", "pk")
    answered = declarations.exclude(status=DeclarationStatus.SUBMITTED).order_by(
        "-reviewed_on", "-pk"
    )[:ANSWERED_SHOWN]
    return render(
        request,
        "attribution/declarations/list.html",
        {
            "pending": [_row(item) for item in pending],
            "answered": [_row(item) for item in answered],
            "may_review": access.can_review_declarations(request.user),
        },
    )


def _row(declaration: PhysicianDeclaration) -> dict[str, Any]:
    return {"declaration": declaration, "hours": total_hours(declaration)}


@login_required
@require_http_methods(["GET", "POST"])
def declaration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One declaration, the physician's units as the procedure counts them, the decision
    in force and their other declarations; the CML answers a pending one (POST)."""
    declaration = access.access_declaration(request.user, pk, review=request.method == "POST")
    status = 200
    form = ReviewForm()
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                do_review_declaration(
                    declaration,
                    form.cleaned_data["status"],
                    form.cleaned_data["comment"],
                    acting_user=request.user,
                )
            except DeclarationError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Your answer was recorded."))
            return redirect("attribution:declaration-detail", declaration.pk)
        status = 400
    physician = declaration.physician
    others = (
        access.visible_declarations(request.user)
        .filter(physician=physician)
        .exclude(pk=declaration.pk)
        .order_by("-submitted_on", "-pk")
    )
    return render(
        request,
        "attribution/declarations/detail.html",
        {
            "declaration": declaration,
            "physician": physician,
            "hours": total_hours(declaration),
            "workload": declared_workload(physician, total_hours(declaration)),
            "decision": _decision(physician),
            "others": others,
            "form": form
            if declaration.status == DeclarationStatus.SUBMITTED
            and access.can_review_declarations(request.user)
            else None,
        },
        status=status,
    )
