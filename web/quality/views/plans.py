"""The group's Practice Improvement Plan (docs/quality-plan.md §5): the editor (its
members write; the group's coach reads), its goals, their PDSA cycles and measurements,
and its submission. A goal or a PDSA cycle is reached through its group's access
(:func:`web.accounts.access.access_group`): 404 outside the user's groups, 403 for who
sees the group without being a member."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from web.accounts import access
from web.quality.errors import QualityError
from web.quality.forms.plans import (
    GoalForm,
    PdsaPhaseForm,
    PdsaStartForm,
    PlanForm,
    PointForm,
)
from web.quality.models import Goal, Group, PdsaCycle, PdsaPhase, Plan
from web.quality.services import plans as services


def access_plan_reader(request: HttpRequest, pk: int) -> tuple[Group, bool]:
    """The group ``pk`` and whether the user writes its plan: its members write, its
    coach reads; 403 for anyone else who sees the group, 404 outside."""
    group = access.access_group(request.user, pk)
    if access.is_group_member(request.user, group):
        return group, True
    return access.access_group(request.user, pk, write="coach"), False


def _member_goal(request: HttpRequest, pk: int) -> Goal:
    return access.access_goal(request.user, pk, write="member")  # 404 outside, 403 else


def plan_context(group: Group, plan: Plan | None) -> dict[str, Any]:
    """What the editor and the review page show of a plan."""
    goals = []
    if plan is not None:
        goals = list(
            plan.goals.prefetch_related(
                Prefetch("cycles", queryset=PdsaCycle.objects.order_by("started_on", "pk")),
                "points",
            )
        )
    return {
        "group": group,
        "plan": plan,
        "goals": goals,
        "reviews": list(plan.reviews.select_related("reviewer")) if plan is not None else [],
        "members": services.members(group),
    }


@login_required
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    group, may_edit = access_plan_reader(request, pk)
    current = Plan.objects.filter(group=group).first()
    editable = may_edit and (current is None or current.status in services.EDITABLE)
    form = PlanForm(
        initial={
            "strengths": current.strengths if current else "",
            "improvements": current.improvements if current else "",
        }
    )
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                services.do_save_plan(group, **form.cleaned_data, acting_user=request.user)
            except QualityError as error:
                # Refused for the plan's status: the page no longer shows the form.
                messages.error(request, str(error))
            else:
                messages.success(request, _("The plan is saved."))
            return redirect("quality:plan", group.pk)
    missing = services.not_completed(group)
    names = ", ".join(physician.name for physician in missing)
    not_yet = ngettext(
        "Not yet: %(names)s has not completed the four activities.",
        "Not yet: %(names)s have not completed the four activities.",
        len(missing),
    ) % {"names": names}
    own = access.own_physician(request.user)
    completions = []
    if current is not None:
        completions = [
            completion
            for completion in group.completions.select_related("physician")
            if not may_edit or (own is not None and completion.physician_id == own.pk)
        ]
    context = {
        **plan_context(group, current),
        "may_edit": may_edit,
        "editable": editable,
        "form": form,
        "not_yet": not_yet if missing else "",
        "problem": services.content_problem(current) if editable else None,
        "completions": completions,
        "is_coach": not may_edit,
    }
    return render(request, "quality/plans/plan.html", context)


def _goal_page(
    request: HttpRequest, group: Group, goal: Goal | None, form: GoalForm
) -> HttpResponse:
    return render(
        request, "quality/plans/goal_form.html", {"group": group, "goal": goal, "form": form}
    )


@login_required
def goal_new(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.access_group(request.user, pk, write="member")
    form = GoalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_goal(group, form.cleaned_data, acting_user=request.user)
        except QualityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The goal is saved."))
            return redirect("quality:plan", group.pk)
    return _goal_page(request, group, None, form)


@login_required
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _member_goal(request, pk)
    group = goal.plan.group
    if request.method == "POST":
        form = GoalForm(request.POST)
        if form.is_valid():
            try:
                services.do_save_goal(group, form.cleaned_data, goal=goal, acting_user=request.user)
            except QualityError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The goal is saved."))
                return redirect("quality:plan", group.pk)
    else:
        form = GoalForm(initial={name: getattr(goal, name) for name in GoalForm.base_fields})
    return _goal_page(request, group, goal, form)


@login_required
def pdsa_new(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _member_goal(request, pk)
    ideas = services.change_ideas(goal)
    form = PdsaStartForm(request.POST or None, ideas=ideas)
    if request.method == "POST" and form.is_valid():
        try:
            pdsa = services.do_start_pdsa_cycle(goal, **form.cleaned_data, acting_user=request.user)
        except QualityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The PDSA cycle is started: its plan is recorded."))
            return redirect("quality:pdsa-phase", pdsa.pk)
    return render(
        request,
        "quality/plans/pdsa_new.html",
        {"group": goal.plan.group, "goal": goal, "form": form},
    )


@login_required
def pdsa_phase(request: HttpRequest, pk: int) -> HttpResponse:
    pdsa = access.access_pdsa(request.user, pk)  # 404 outside the user's groups
    group, may_edit = access_plan_reader(request, pdsa.goal.plan.group_id)
    open_cycle = pdsa.phase != PdsaPhase.CLOSED
    form = PdsaPhaseForm(initial={"phase": pdsa.phase}) if open_cycle else None
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        form = PdsaPhaseForm(request.POST)
        if form.is_valid():
            try:
                services.do_record_pdsa_phase(pdsa, **form.cleaned_data, acting_user=request.user)
            except QualityError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The PDSA phase is recorded."))
                return redirect("quality:pdsa-phase", pdsa.pk)
    return render(
        request,
        "quality/plans/pdsa.html",
        {
            "group": group,
            "goal": pdsa.goal,
            "pdsa": pdsa,
            "form": form if may_edit else None,
        },
    )


@login_required
def point_new(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _member_goal(request, pk)
    form = PointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_record_manual_point(goal, **form.cleaned_data, acting_user=request.user)
        except QualityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The measurement is recorded."))
            return redirect("quality:plan", goal.plan.group_id)
    return render(
        request,
        "quality/plans/point_new.html",
        {"group": goal.plan.group, "goal": goal, "form": form, "points": goal.points.all()},
    )


@login_required
@require_POST
def goal_complete(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _member_goal(request, pk)
    try:
        services.do_complete_goal(goal, acting_user=request.user)
    except QualityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The goal is completed."))
    return redirect("quality:plan", goal.plan.group_id)


@login_required
@require_POST
def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.access_group(request.user, pk, write="member")
    try:
        services.do_submit_plan(group, acting_user=request.user)
    except QualityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The plan is submitted: the coach reviews it."))
    return redirect("quality:plan", group.pk)
