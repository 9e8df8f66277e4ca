"""The problems a CML raises to the DRMG (issue 19; seed 002, section 4 and 5.3.5): the
list (the CML's RLS, the DRMG's region), the CML's form, a problem's page where the DRMG
answers and closes it. Purpose ``ATTRIBUTION``: other roles 403; another territory 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from web.accounts import access
from web.accounts.access import User
from web.attribution import gmfs as gmf_figures
from web.attribution import services_problems as services
from web.attribution.models import ProblemKind, ProblemStatus, Run, RunStatus
from web.attribution.problem_forms import (
    AnswerForm,
    ProblemForm,
    every_physician_above_full_workload,
)
from web.attribution.services_problems import ProblemRefused
from web.regions.models import Gmf, Physician, Rls

PROBLEMS_PER_PAGE = 50
# The latest problems the DRMG's dashboard lists.
DASHBOARD_PROBLEMS = 5


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    """The problems of the user's RLS (a CML) or region (the DRMG), newest first,
    filtered by ``?status=``."""
    problems = access.visible_problems(request.user).select_related("rls", "gmf", "raised_by")
    status = request.GET.get("status", "")
    if status in ProblemStatus.values:
        problems = problems.filter(status=status)
    else:
        status = ""
    page = Paginator(problems, PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": ProblemStatus.choices,
        # The CMLs raise the problems; the DRMG, to whom they are raised, does not.
        "can_raise": not access.can_answer_problems(request.user),
    }
    return render(request, "attribution/problems/list.html", context)


@login_required
def problem_new(request: HttpRequest) -> HttpResponse:
    """The CML's form (``?rls=`` chooses the RLS; the problem of 5.3.5 is suggested when
    the latest run covering the RLS, its own or the region's, shows it); POST raises the
    problem to the DRMG."""
    rls_choices = access.problem_raising_rls(request.user)
    suggestion = None
    if request.method == "POST":
        form = ProblemForm(request.POST, rls_choices=rls_choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                problem = services.do_raise_problem(
                    data["rls"],
                    data["kind"],
                    data["description"],
                    gmf=data["gmf"],
                    acting_user=request.user,
                )
            except ProblemRefused as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The problem is raised to the DRMG."))
                return redirect("attribution:problem-detail", problem.pk)
    else:
        rls = rls_choices.filter(code=request.GET.get("rls", "")).first() or rls_choices.first()
        suggestion = _suggestion(rls)
        initial: dict[str, Any] = {"rls": rls}
        if suggestion and suggestion["above"]:
            initial["kind"] = ProblemKind.ALL_ABOVE_THREE_UNITS
        elif suggestion:
            initial["kind"] = ProblemKind.GMF_TARGET_MISSED
            initial["gmf"] = suggestion["gmfs"][0]["gmf"]
        form = ProblemForm(initial=initial, rls_choices=rls_choices)
    return render(
        request, "attribution/problems/new.html", {"form": form, "suggestion": suggestion}
    )


def _suggestion(rls: Rls | None) -> dict[str, Any] | None:
    """What the latest run covering ``rls`` (one the user raises problems for, checked by
    ``access.problem_raising_rls``), computed or approved, says of it, when it says a
    problem: ``above``, every physician of the RLS above the full workload it read
    (5.3.5, ``units``); ``gmfs``, the GMFs of the RLS whose members received less than
    their target (``gmf``, ``target``, ``received_weighted``: the run page's figures; from
    a run of the RLS, only the GMFs whose members all practise in it).
    None when it says neither, or without such a run.

    A run of the whole region covers the RLS as one of its own does: a region run by the
    DRMG, later than the RLS's, holds the RLS's latest figures. The CML does not open a
    region run, but reads here only what it says of their RLS's physicians and GMFs."""
    if rls is None:
        return None
    run = (
        Run.objects.filter(region_id=rls.region_id, status__in=[RunStatus.DONE, RunStatus.APPROVED])
        .overlapping(rls.pk)
        .select_related("rls")
        .order_by("-run_date", "-pk")
        .first()
    )
    if run is None:
        return None
    above = every_physician_above_full_workload(run, rls)
    gmfs_of_rls = {gmf.code: gmf for gmf in Gmf.objects.filter(rls=rls)}
    if run.rls is not None:
        # A run of the RLS holds a GMF's whole target over its members of that RLS only:
        # a GMF with members practising elsewhere looks short there without being short.
        members = gmf_figures.run_gmf_of(run)
        elsewhere = set(
            Physician.objects.filter(
                rls__region_id=rls.region_id,
                code__in=[code for code, gmf in members.items() if gmf in gmfs_of_rls],
            )
            .exclude(rls=rls)
            .values_list("code", flat=True)
        )
        for code in elsewhere:
            gmfs_of_rls.pop(members[code], None)
    # Under the target by more than a rounding (weighted patients are fractions).
    short = [
        {"gmf": gmfs_of_rls[row.code], "target": row.target, "received": row.received_weighted}
        for row in gmf_figures.run_gmf_rows(run)
        if row.code in gmfs_of_rls
        and row.target is not None
        and row.received_weighted < row.target - 1e-6
    ]
    if not above and not short:
        return None
    return {
        "run": run,
        "rls": rls,
        "units": run.params.get("full_workload_units", 3.0),
        "above": above,
        "gmfs": short,
    }


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A problem with the DRMG's answer; POST ``action=answer`` (with the answer) or
    ``action=close``, by the DRMG only (a CML: 403)."""
    problem = access.access_problem(request.user, pk, answer=request.method == "POST")
    form = AnswerForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "answer":
            form = AnswerForm(request.POST)
        try:
            if action == "answer" and form.is_valid():
                services.do_answer_problem(
                    problem, form.cleaned_data["answer"], acting_user=request.user
                )
                messages.success(request, _("Answer recorded: the CML reads it here."))
                return redirect("attribution:problem-detail", problem.pk)
            if action == "close":
                services.do_close_problem(problem, acting_user=request.user)
                messages.success(request, _("Problem closed."))
                return redirect("attribution:problem-detail", problem.pk)
        except ProblemRefused as error:
            messages.error(request, str(error))
            return redirect("attribution:problem-detail", problem.pk)
        if action not in ("answer", "close"):
            messages.error(request, _("Nothing was done: choose to answer or to close."))
            return redirect("attribution:problem-detail", problem.pk)
    context = {
        "problem": problem,
        "form": form,
        "can_answer": access.can_answer_problems(request.user),
        "is_open": problem.status == ProblemStatus.OPEN,
        "is_answered": problem.status == ProblemStatus.ANSWERED,
    }
    return render(request, "attribution/problems/detail.html", context)


def dashboard_panel(user: User) -> dict[str, Any] | None:
    """What the DRMG's dashboard shows of the problems raised to them: how many wait for
    an answer, how many for closing, and the latest not closed; None for anybody else."""
    if not access.can_answer_problems(user):
        return None
    # One query, counted here: the problems not closed are few (a region's CMLs raise
    # them by hand), and the dashboard's counting queries are its cached figures'.
    pending = list(
        access.visible_problems(user)
        .exclude(status=ProblemStatus.CLOSED)
        .select_related("rls", "gmf")
    )
    return {
        "open_count": sum(1 for problem in pending if problem.status == ProblemStatus.OPEN),
        "answered_count": sum(1 for problem in pending if problem.status == ProblemStatus.ANSWERED),
        "latest": pending[:DASHBOARD_PROBLEMS],
    }
