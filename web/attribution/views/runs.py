"""The runs: list, start, progress, plan, explanations, adjustments, approval, retry and
comparison (purpose ``ATTRIBUTION``: 403 for a role without the right, 404 outside the
territory; :mod:`web.accounts.access`). Thin views: access first, once, then a form and
one service call (:mod:`web.attribution.services`) per write, then a redirect with a
message; what a page shows is read by :mod:`web.attribution.figures`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from panelcare.attribution import explain, solve
from panelcare.errors import SettingsError
from web.accounts import access
from web.accounts.access import Purpose
from web.attribution import exports, figures, gmfs, journey, le304, services
from web.attribution.errors import AttributionError
from web.attribution.forms import AdjustmentForm, ApproveForm, RunForm, param_help_texts
from web.attribution.labels import LIMITS, OUTCOMES, PHASES, reason_labels
from web.attribution.models import AdjustmentKind, Run, RunStatus
from web.errors import DiskFull

RUNS_PER_PAGE = 30


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    visible = access.visible_runs(request.user).select_related(
        "rls", "created_by", "approved_by", "physicians", "waitlist"
    )
    page = Paginator(visible, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "attribution/runs/list.html", {"page": page})


@login_required
def run_new(request: HttpRequest) -> HttpResponse:
    """The run form (``?from=<run>`` fills it like that run); POST starts the run (a
    background task) and opens its page."""
    access.check_purpose(request.user, Purpose.ATTRIBUTION)
    initial: dict[str, Any] = {}
    source = request.GET.get("from")
    if source and source.isdigit():
        initial = RunForm.initial_of(access.access_run(request.user, int(source)))
    if request.GET.get("rls"):
        initial["rls"] = request.GET["rls"]
    if request.method == "POST":
        rls = access.access_territory(request.user, request.POST.get("rls", ""))
        form = RunForm(request.user, request.POST)
        if form.is_valid():
            try:
                run = services.do_start_run(
                    rls,
                    form.cleaned_data["params"],
                    form.cleaned_data["run_date"],
                    form.cleaned_data["title"],
                    acting_user=request.user,
                )
            except SettingsError as error:
                form.add_error(None, error.message)
            except AttributionError as error:
                form.add_error(None, str(error))
            else:
                return redirect("attribution:run-detail", run.pk)
    else:
        form = RunForm(request.user, initial=initial)
    param_fields = [form[name] for name in form.param_names()]
    return render(
        request, "attribution/runs/new.html", {"form": form, "param_fields": param_fields}
    )


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The rules of the attribution in words (docs/attribution-rules.md, shortened), what
    each parameter of the run form means, with its default, and where a run dated today
    would read the previous year's assiduity for LE 304 (:mod:`web.attribution.le304`)."""
    region = access.access_region(request.user, Purpose.ATTRIBUTION)
    defaults = RunForm(request.user)
    help_texts = param_help_texts()
    parameters = [
        {
            "label": field.label,
            "default": figures.param_value(name, field.initial),
            "help": help_texts[name],
        }
        for name in defaults.param_names()
        for field in [defaults.fields[name]]
    ]
    today = timezone.localdate()
    return render(
        request,
        "attribution/runs/rules.html",
        {
            "parameters": parameters,
            "assiduity": le304.source_for_date(region, today),
            "this_year": today.year,
        },
    )


def _alive(run: Run) -> Run:
    """``run``, failed first if it is RUNNING under a lost worker (no heartbeat within the
    lease: :func:`web.attribution.services.do_fail_stalled_runs`), so that the page stops
    polling and offers to run it again."""
    if run.status == RunStatus.RUNNING and services.do_fail_stalled_runs(
        Run.objects.filter(pk=run.pk)
    ):
        run.refresh_from_db()
    return run


def _progress_context(run: Run) -> dict[str, Any]:
    percent = int(100 * run.done / run.total) if run.total else 0
    return {
        "run": run,
        "percent": percent,
        "phase": PHASES.get(run.phase, run.phase),
        "in_progress": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        "can_cancel": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        "can_retry": run.status in (RunStatus.FAILED, RunStatus.CANCELLED),
    }


@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status and progress bar (htmx polls it every second while the run works); once
    the run has ended, an htmx request reloads the whole page."""
    run = _alive(access.access_run(request.user, pk))
    response = render(request, "attribution/runs/_progress.html", _progress_context(run))
    if request.headers.get("HX-Request") and run.status not in (
        RunStatus.QUEUED,
        RunStatus.RUNNING,
    ):
        response["HX-Refresh"] = "true"
    return response


def _tabs() -> list[tuple[str, str]]:
    labels = {
        "summary": _("Summary"),
        "physicians": _("Physicians"),
        "patients": _("Patients"),
        "charts": _("Charts"),
        "history": _("Record and history"),
    }
    return [(name, labels[name]) for name in figures.RUN_TABS]


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run, one tab at a time (``?tab=``: :data:`web.attribution.figures.RUN_TABS`):
    the summary (progress, totals, adjustments, approval, exports), its physicians and
    patients (a page each), its charts, its record (parameters in words, targets not from
    the rules, decisions, history). The plan's parts are cached per data version
    (:func:`~web.attribution.figures.run_figures`), the forms (with the reader's token)
    not."""
    run = _alive(access.access_run(request.user, pk))
    tab = request.GET.get("tab", "")
    if tab not in figures.RUN_TABS:
        tab = figures.RUN_TABS[0]
    record = figures.run_record(run)
    context: dict[str, Any] = {
        **_progress_context(run),
        "tab": tab,
        "tabs": _tabs(),
        "params": figures.param_rows(run),
        "target_changes": figures.target_changes(run, record["adjustments"]),
        "record": record,
        "events": record["events"],
        "adjustments": record["adjustments"],
        "last_consequences": record["last_consequences"],
        "can_approve": run.status == RunStatus.DONE,
        "frozen": run.is_frozen,
        "decisions": figures.decision_rows(run),
        "assiduity": le304.run_source(run),
        # The GMF targets the run read against what the members received (issue 19).
        "gmf_rows": gmfs.run_gmf_rows(run) if tab == "summary" else [],
        **figures.run_figures(
            run,
            tab=tab,
            physician=request.GET.get("physician", ""),
            unassigned=request.GET.get("unassigned") == "1",
            page=request.GET.get("page"),
        ),
    }
    move = request.GET.get("move", "")
    if tab == "patients" and move and run.status == RunStatus.DONE:
        choices = figures.move_candidates(run, move)
        if choices["patient"] is not None:
            context["move_choices"] = choices
    return render(request, "attribution/runs/detail.html", context)


def _movable(request: HttpRequest, pk: int) -> tuple[Run, dict[str, Any]]:
    """The run ``pk`` (the user's, not frozen, with a plan) and the physicians its patient
    ``?patient=`` may be moved to, matching ``?q=``.

    Raises:
        Http404: not the user's run, no plan to adjust, or no such patient in it.
    """
    run = access.access_run(request.user, pk)
    if run.status != RunStatus.DONE:
        raise Http404
    choices = figures.move_candidates(
        run, request.GET.get("patient", ""), request.GET.get("q", "")[:100]
    )
    if choices["patient"] is None:
        raise Http404
    return run, choices


@login_required
def run_move(request: HttpRequest, pk: int) -> HttpResponse:
    """The move picker of one patient (htmx: the form alone; otherwise the patients' tab
    with the picker open)."""
    run, choices = _movable(request, pk)
    if not request.headers.get("HX-Request"):
        return redirect(
            reverse("attribution:run-detail", args=[run.pk])
            + "?"
            + urlencode({"tab": "patients", "move": choices["patient"]["patient_id"]})
        )
    return render(request, "attribution/runs/_move.html", {"run": run, "choices": choices})


@login_required
def run_move_physicians(request: HttpRequest, pk: int) -> HttpResponse:
    """The move picker's choices as it is typed in: the eligible physicians whose name or
    number holds ``?q=`` (name, number, site, room left, distance), as ``<option>``s."""
    run, choices = _movable(request, pk)
    return render(request, "attribution/runs/_move_options.html", {"run": run, "choices": choices})


_EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def run_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The approved plan (patient -> physician, month) as CSV or XLSX, in the GAMF's terms
    (:func:`web.attribution.figures.plan_export`); recorded (PLAN_EXPORTED)."""
    run = access.access_run(request.user, pk)
    if fmt not in _EXPORT_TYPES or run.status != RunStatus.APPROVED:
        raise Http404
    headers, rows = figures.plan_export(run)
    content = exports.table_file({_("Plan"): (headers, rows)}, fmt)
    services.do_record_export(run, "plan", fmt, acting_user=request.user)
    return exports.download(content, _EXPORT_TYPES[fmt], f"repartition-{run.pk}.{fmt}")


def _explained(
    request: HttpRequest,
    pk: int,
    explain_one: Callable[[solve.Plan, str], dict[str, Any]],
    code: str,
) -> tuple[Run, dict[str, Any]]:
    """The run ``pk`` (if the user may open it) and the engine's explanation of one
    patient or physician ``code`` of its plan.

    Raises:
        Http404: the run is not the user's, has no plan yet, or its plan no such ``code``.
    """
    run = access.access_run(request.user, pk)
    plan = figures.plan_of(run)
    if plan is None:
        raise Http404
    try:
        return run, explain_one(plan, code)
    except explain.UnknownIdError:
        raise Http404 from None


@login_required
def run_patient(request: HttpRequest, pk: int, patient_code: str) -> HttpResponse:
    """Why a patient of the plan goes where they go (the engine's explain_patient)."""
    run, explanation = _explained(request, pk, explain.explain_patient, patient_code)
    for row in explanation["considered"]:
        row["outcome_text"] = str(OUTCOMES.get(row["outcome"], row["outcome"]))
    template = "attribution/runs/patient.html"
    if request.headers.get("HX-Request"):
        template = "attribution/runs/_patient.html"
    return render(request, template, {"run": run, "explanation": explanation})


@login_required
def run_physician(request: HttpRequest, pk: int, physician_code: str) -> HttpResponse:
    """What a physician was asked and given, and what limited it (explain_physician)."""
    run, explanation = _explained(request, pk, explain.explain_physician, physician_code)
    explanation["reason_labels"] = reason_labels(explanation["reasons"])
    explanation["mode_text"] = str(
        figures.MODE_LABELS.get(explanation["mode"], explanation["mode"])
    )
    explanation["group_text"] = (
        pgettext("attribution group", "out")
        if explanation["group"] == "none"
        else explanation["group"]
    )
    explanation["limit_text"] = str(
        LIMITS.get(explanation["why"]["limited_by"], explanation["why"]["limited_by"])
    )
    return render(
        request, "attribution/runs/physician.html", {"run": run, "explanation": explanation}
    )


@login_required
@require_POST
def run_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a patient (``kind=move``) or change a target (``kind=target``)."""
    run = access.access_run(request.user, pk)
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        if "kind" in form.errors:
            messages.error(request, _("Unknown adjustment."))
        else:
            messages.error(request, _("A target is a whole number of patients, 0 or more."))
            return redirect("attribution:run-detail", run.pk)
        return redirect(reverse("attribution:run-detail", args=[run.pk]) + "#adjustments")
    data = form.cleaned_data
    try:
        if data["kind"] == AdjustmentKind.MOVE:
            services.do_move_patient(
                run,
                data["patient"],
                data["physician"] or None,
                note=data["note"],
                acting_user=request.user,
            )
            messages.success(request, _("Patient %(code)s moved.") % {"code": data["patient"]})
        else:
            services.do_change_target(
                run, data["physician"], data["target"], note=data["note"], acting_user=request.user
            )
            messages.success(
                request,
                _("Target of %(code)s set to %(target)d; the plan was solved again.")
                % {"code": data["physician"], "target": data["target"]},
            )
    except (AttributionError, DiskFull) as error:
        messages.error(request, str(error))
    return redirect(reverse("attribution:run-detail", args=[run.pk]) + "#adjustments")


@login_required
@require_http_methods(["GET", "POST"])
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """The approval's confirmation page (GET, or the run page's button), naming the plans
    in force it would supersede and how many of their patients change; approving (POST
    with ``confirm``, and the reason when it supersedes) calls the service."""
    run = access.access_run(request.user, pk)
    form = ApproveForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid() and form.cleaned_data["confirm"]:
        try:
            services.do_approve_run(
                run, acting_user=request.user, supersede_reason=form.cleaned_data["reason"]
            )
        except AttributionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Run approved: its plan is frozen."))
            return redirect("attribution:run-detail", run.pk)
    if run.status != RunStatus.DONE:
        return redirect("attribution:run-detail", run.pk)
    preview = journey.approval_preview(run, request.user)
    return render(
        request,
        "attribution/runs/approve.html",
        {"run": run, "preview": preview, "form": form},
        status=409 if preview.refusal else 200,
    )


@login_required
@require_POST
def run_retry(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.access_run(request.user, pk)
    try:
        services.do_retry_run(run, acting_user=request.user)
    except AttributionError as error:
        messages.error(request, str(error))
    return redirect("attribution:run-detail", run.pk)


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.access_run(request.user, pk)
    try:
        services.do_cancel_run(run, acting_user=request.user)
    except AttributionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Run cancelled: no plan was written."))
    return redirect("attribution:run-detail", run.pk)


@login_required
def run_compare(request: HttpRequest) -> HttpResponse:
    """Two runs side by side: per physician in both, and the totals."""
    choices = (
        access.visible_runs(request.user)
        .filter(status__in=[RunStatus.DONE, RunStatus.APPROVED])
        .select_related("rls")
    )
    a_pk, b_pk = request.GET.get("a", ""), request.GET.get("b", "")
    context: dict[str, Any] = {"choices": choices, "a_pk": a_pk, "b_pk": b_pk}
    if a_pk.isdigit() and b_pk.isdigit():
        a = access.access_run(request.user, int(a_pk))
        b = access.access_run(request.user, int(b_pk))
        context.update(figures.comparison(a, b))
    return render(request, "attribution/runs/compare.html", context)
