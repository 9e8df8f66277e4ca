"""Views of the attribution workflow: home, physicians' table and decisions, runs (start,
progress, plan, explanations, adjustments, approval, comparison) and the history.

Thin views: access first, once (:mod:`web.accounts.access`, purpose ``ATTRIBUTION``: 403 for
a role without the right, 404 outside the territory), then one service call (:mod:`web.attribution.decisions`,
:mod:`web.attribution.runs`) per write, then a redirect with a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from panelcare.attribution import explain, store
from panelcare.attribution.model import MODES
from panelcare.errors import PanelcareError, SettingsError
from web.accounts import access
from web.accounts.access import Purpose
from web.attribution import charts
from web.attribution import physicians as roster
from web.attribution import runs as run_service
from web.attribution.decisions import DecisionForm, do_set_decision
from web.attribution.errors import AttributionError
from web.attribution.models import AttributionAction, Run, RunStatus
from web.audit.models import AuditEvent, subject_type_of
from web.audit.services import attach_subjects
from web.tables import kinds as table_kinds
from web.tables.models import Dataset

PATIENTS_PER_PAGE = 50
EVENTS_PER_PAGE = 50

# Reason codes of the engine (docs/attribution-rules.md, docs/attribution-cli.md), worded.
REASONS = {
    "group_1a": gettext_lazy("AMP requirement (group 1a)"),
    "group_1b": gettext_lazy("under 500 registrations (group 1b)"),
    "group_2": gettext_lazy("500 registrations or more (group 2)"),
    "not_participating": gettext_lazy("takes no patient in this run"),
    "declined": gettext_lazy("declined (mode none)"),
    "departing": gettext_lazy("leaving before 1 January"),
    "below_exclusion_threshold": gettext_lazy("excluded: too few patients"),
    "shortage_spared": gettext_lazy("spared: full workload in a shortage"),
    "under_full_workload": gettext_lazy("under 3 units: served first"),
    "full_workload_reached": gettext_lazy("3 units reached"),
    "target_set_by_cml": gettext_lazy("target set by the CML"),
    "target_reached": gettext_lazy("target already reached"),
    "shortage_capped": gettext_lazy("capped at the full workload (shortage)"),
    "yearly_cap": gettext_lazy("capped by the yearly cap"),
    "above_vulnerable_cap": gettext_lazy("above the vulnerable cap: no vulnerable patient"),
    "le304_eligible": gettext_lazy("LE 304 blocks only"),
    "le304_ineligible_assiduity": gettext_lazy("LE 304 refused: assiduity unknown or too low"),
    "need_filled": gettext_lazy("need filled"),
    "candidates_exhausted": gettext_lazy("fewer patients within reach than the need"),
    "no_candidate": gettext_lazy("no patient within reach"),
    "le304_block": gettext_lazy("received an LE 304 block"),
}

# What happened between a patient and a physician near them (explain.PATIENT_OUTCOMES).
OUTCOMES = {
    "assigned": gettext_lazy("The patient's physician in this plan."),
    "not_participating": gettext_lazy("Takes no patient in this run (declined, leaving...)."),
    "le304_only": gettext_lazy("Receives LE 304 blocks only, no individual patient."),
    "other_rls": gettext_lazy("Another RLS, and the run does not cross RLS borders."),
    "too_far": gettext_lazy("Beyond the run's maximum distance."),
    "full": gettext_lazy("Their capacity is used: no room left for this patient."),
    "vulnerable_cap": gettext_lazy(
        "The patient is vulnerable and the physician's vulnerable quota is used."
    ),
    "beyond_candidates": gettext_lazy("Nearer physicians with room were offered instead."),
    "group_order": gettext_lazy(
        "Had room, but the patient went to a physician with precedence (group, equity, "
        "distance) or the place went to a more urgent patient."
    ),
}

# What limited a physician (explain.LIMITS).
LIMITS = {
    "not_participating": gettext_lazy("Takes no patient in this run."),
    "le304_only": gettext_lazy("Receives LE 304 blocks only."),
    "need": gettext_lazy("Their need is filled (or there was none)."),
    "shortage": gettext_lazy("Their capacity was lowered by the shortage rule and is filled."),
    "yearly_cap": gettext_lazy("Their capacity was lowered by the yearly cap and is filled."),
    "vulnerable_cap": gettext_lazy(
        "Room left, but their vulnerable quota is used and the vulnerable patients within "
        "reach went elsewhere or stayed unassigned."
    ),
    "candidates": gettext_lazy(
        "Room left, but no more patients within reach (or they went to physicians with precedence)."
    ),
}

WARNINGS = {
    "vulnerable_cap": gettext_lazy("vulnerable share above the cap"),
    "max_distance": gettext_lazy("beyond the maximum distance"),
    "over_target": gettext_lazy("above the target"),
}


def _reasons(codes: list[str]) -> list[str]:
    return [str(REASONS.get(code, code)) for code in codes]


# --------------------------------------------------------------------------- home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's RLS with the current tables, and the way to everything else. A
    physician goes to their own letters."""
    if access.own_physician(request.user) is not None:
        return redirect("attribution:my-letters")
    region = access.access_region(request.user, Purpose.ATTRIBUTION)
    tables = [(kind, label, Dataset.current(region, kind)) for kind, label in table_kinds.choices()]
    context = {
        "region": region,
        "rls_list": access.visible_rls(request.user, Purpose.ATTRIBUTION),
        "tables": tables,
        "recent_runs": access.visible_runs(request.user).select_related("rls", "created_by")[:5],
        "can_run_region": access.can_work_on_region(request.user),
    }
    return render(request, "attribution/home.html", context)


# --------------------------------------------------------------------------- physicians


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
        row.reason_labels = _reasons(row.reasons)  # type: ignore[attr-defined]
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
        "groups": ["1a", "1b", "2", "none"],
        "modes": MODES,
        "today": today,
        "here": request.get_full_path(),
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
    do_set_decision(
        rls.region, physician_code, rls.code, acting_user=request.user, **form.cleaned_data
    )
    messages.success(request, _("Decision on %(code)s recorded.") % {"code": physician_code})
    return redirect(back)


# --------------------------------------------------------------------------- runs


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    visible = access.visible_runs(request.user).select_related(
        "rls", "created_by", "approved_by", "physicians", "waitlist"
    )
    page = Paginator(visible, 30).get_page(request.GET.get("page"))
    return render(request, "attribution/runs/list.html", {"page": page})


@login_required
def run_new(request: HttpRequest) -> HttpResponse:
    """The run form; POST starts the run (a background task) and opens its page."""
    access.check_purpose(request.user, Purpose.ATTRIBUTION)
    initial = {}
    source = request.GET.get("from")
    if source and source.isdigit():
        previous = access.access_run(request.user, int(source))
        initial = {
            **{
                key: (
                    "\n".join(f"{k} = {v}" for k, v in value.items())
                    if isinstance(value, dict)
                    else value
                )
                for key, value in previous.params.items()
            },
            "rls": previous.rls.code if previous.rls else "",
            "title": previous.title,
        }
    if request.GET.get("rls"):
        initial["rls"] = request.GET["rls"]
    if request.method == "POST":
        rls = access.access_territory(request.user, request.POST.get("rls", ""))
        form = run_service.RunForm(request.user, request.POST)
        if form.is_valid():
            try:
                run = run_service.start_run(
                    request.user,
                    rls,
                    form.cleaned_data["params"],
                    form.cleaned_data["run_date"],
                    form.cleaned_data["title"],
                )
            except SettingsError as error:
                form.add_error(None, error.message)
            except AttributionError as error:
                form.add_error(None, str(error))
            else:
                return redirect("attribution:run-detail", run.pk)
    else:
        form = run_service.RunForm(request.user, initial=initial)
    param_fields = [form[name] for name in form.param_names()]
    return render(
        request, "attribution/runs/new.html", {"form": form, "param_fields": param_fields}
    )


# The phases a run reports (runs.execute_run and the engine's plan()), as users read them.
PHASES = {
    "inputs": gettext_lazy("Reading the tables"),
    "candidates": gettext_lazy("Finding each patient's nearest physicians"),
    "solving": gettext_lazy("Solving, network by network"),
    "writing": gettext_lazy("Writing the plan"),
}


def _progress_context(run: Run) -> dict[str, Any]:
    percent = int(100 * run.done / run.total) if run.total else 0
    return {
        "run": run,
        "percent": percent,
        "phase": PHASES.get(run.phase, run.phase),
        "in_progress": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
    }


@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status and progress bar (htmx polls it every second while the run works); once
    the run has ended, an htmx request reloads the whole page."""
    run = access.access_run(request.user, pk)
    response = render(request, "attribution/runs/_progress.html", _progress_context(run))
    if request.headers.get("HX-Request") and run.status not in (
        RunStatus.QUEUED,
        RunStatus.RUNNING,
    ):
        response["HX-Refresh"] = "true"
    return response


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.access_run(request.user, pk)
    context: dict[str, Any] = {
        **_progress_context(run),
        "params": sorted(run.params.items()),
        "events": AuditEvent.objects.about(run)
        .select_related("actor")
        .order_by("created_at", "pk"),
        "can_approve": run.status == RunStatus.DONE,
        "frozen": run.is_frozen,
        "decisions": run.decisions,
    }
    pages = run.summary.get("pages") if run.summary else None
    if pages and run.status in (RunStatus.DONE, RunStatus.APPROVED):
        physician_rows = sorted(
            pages["physicians"], key=lambda row: (row["group"] == "none", row["group"], row["name"])
        )
        for row in physician_rows:
            row["reason_labels"] = _reasons(row["reasons"])
        names = {row["physician_id"]: row["name"] for row in physician_rows}
        physician_filter = request.GET.get("physician", "")
        unassigned = request.GET.get("unassigned") == "1"
        patients = run_service.PlanPatients(
            run.folder / "plan", physician=physician_filter, unassigned=unassigned
        )
        page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
        for row in page.object_list:
            row["physician_name"] = names.get(row["physician_id"] or "", "")
        cap = run.params.get("vulnerable_cap", 0.45)
        adjustments = []
        details = {
            event.details.get("adjustment"): event.details
            for event in AuditEvent.objects.about(run).filter(action=AttributionAction.ADJUSTED)
        }
        for adjustment in run.adjustments.select_related("made_by"):
            adjustments.append(
                {"adjustment": adjustment, "consequences": _worded(details.get(adjustment.pk))}
            )
        context.update(
            {
                "pages": pages,
                "physician_rows": physician_rows,
                "participating": [row for row in physician_rows if row["group"] != "none"],
                "patients": page,
                "physician_filter": physician_filter,
                "unassigned": unassigned,
                "adjustments": adjustments,
                "last_consequences": adjustments[-1]["consequences"] if adjustments else None,
                "totals": {
                    "orphans": run.summary.get("orphans"),
                    "assigned": run.summary.get("assigned"),
                    "unassigned": run.summary.get("unassigned"),
                    "assigned_le304": run.summary.get("assigned_le304"),
                },
                "by_priority": run.summary.get("by_priority", {}),
                "by_rls": run.summary.get("by_rls", {}),
                "charts": {
                    "need": charts.need_chart(pages["groups"]),
                    "vulnerable": charts.vulnerable_chart(pages["physicians"], cap),
                    "distance": charts.distance_chart(
                        pages["distances"], run.params.get("max_distance_km", 50.0)
                    ),
                    "map": charts.map_chart(pages["map"]),
                },
            }
        )
    return render(request, "attribution/runs/detail.html", context)


def _worded(consequences: dict[str, Any] | None) -> dict[str, Any] | None:
    """Consequences with their warnings worded for the page."""
    if not consequences:
        return None
    warnings = [
        {**warning, "text": str(WARNINGS.get(warning["code"], warning["code"]))}
        for warning in consequences.get("warnings", [])
    ]
    return {**consequences, "warnings": warnings}


def _plan(run: Run) -> Any:
    if run.status not in (RunStatus.DONE, RunStatus.APPROVED):
        raise Http404
    try:
        return store.read_plan(run.folder / "plan")
    except PanelcareError:
        raise Http404 from None


@login_required
def run_patient(request: HttpRequest, pk: int, patient_code: str) -> HttpResponse:
    """Why a patient of the plan goes where they go (the engine's explain_patient)."""
    run = access.access_run(request.user, pk)
    plan = _plan(run)
    try:
        explanation = explain.explain_patient(plan, patient_code)
    except explain.UnknownIdError:
        raise Http404 from None
    for row in explanation["considered"]:
        row["outcome_text"] = str(OUTCOMES.get(row["outcome"], row["outcome"]))
    template = "attribution/runs/patient.html"
    if request.headers.get("HX-Request"):
        template = "attribution/runs/_patient.html"
    return render(request, template, {"run": run, "explanation": explanation})


@login_required
def run_physician(request: HttpRequest, pk: int, physician_code: str) -> HttpResponse:
    """What a physician was asked and given, and what limited it (explain_physician)."""
    run = access.access_run(request.user, pk)
    plan = _plan(run)
    try:
        explanation = explain.explain_physician(plan, physician_code)
    except explain.UnknownIdError:
        raise Http404 from None
    explanation["reason_labels"] = _reasons(explanation["reasons"])
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
    kind = request.POST.get("kind")
    note = request.POST.get("note", "")[:1000]
    try:
        if kind == "move":
            patient = request.POST.get("patient", "").strip()
            physician = request.POST.get("physician", "").strip() or None
            run_service.adjust_move(request.user, run, patient, physician, note=note)
            messages.success(request, _("Patient %(code)s moved.") % {"code": patient})
        elif kind == "target":
            physician = request.POST.get("physician", "").strip()
            try:
                target = int(request.POST.get("target", ""))
            except ValueError:
                messages.error(request, _("A target is a whole number of patients, 0 or more."))
                return redirect("attribution:run-detail", run.pk)
            run_service.adjust_target(request.user, run, physician, target, note=note)
            messages.success(
                request,
                _("Target of %(code)s set to %(target)d; the plan was solved again.")
                % {"code": physician, "target": target},
            )
        else:
            messages.error(request, _("Unknown adjustment."))
    except AttributionError as error:
        messages.error(request, str(error))
    return redirect(reverse("attribution:run-detail", args=[run.pk]) + "#adjustments")


@login_required
@require_POST
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.access_run(request.user, pk)
    try:
        run_service.approve_run(request.user, run)
    except AttributionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Run approved: its plan is frozen."))
    return redirect("attribution:run-detail", run.pk)


@login_required
@require_POST
def run_retry(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.access_run(request.user, pk)
    try:
        run_service.retry_run(request.user, run)
    except AttributionError as error:
        messages.error(request, str(error))
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
        rows_a = {row["physician_id"]: row for row in _pages(a).get("physicians", [])}
        rows_b = {row["physician_id"]: row for row in _pages(b).get("physicians", [])}
        both = sorted(set(rows_a) & set(rows_b), key=lambda code: (rows_a[code]["name"], code))
        rows = []
        for code in both:
            left, right = rows_a[code], rows_b[code]
            rows.append(
                {
                    "code": code,
                    "name": left["name"],
                    "a": left,
                    "b": right,
                    "assigned_change": right["assigned"] - left["assigned"],
                }
            )
        context.update(
            {
                "a": a,
                "b": b,
                "rows": rows,
                "only_a": sorted(set(rows_a) - set(rows_b)),
                "only_b": sorted(set(rows_b) - set(rows_a)),
                "totals": [
                    (label, a.summary.get(key), b.summary.get(key))
                    for key, label in (
                        ("orphans", _("Orphans")),
                        ("assigned", _("Assigned")),
                        ("unassigned", _("Unassigned")),
                        ("assigned_le304", _("Of which LE 304 blocks")),
                    )
                ],
                "params_diff": [
                    (key, a.params.get(key), b.params.get(key))
                    for key in sorted(set(a.params) | set(b.params))
                    if a.params.get(key) != b.params.get(key)
                ],
            }
        )
    return render(request, "attribution/runs/compare.html", context)


def _pages(run: Run) -> dict[str, Any]:
    return (run.summary or {}).get("pages") or {}


# --------------------------------------------------------------------------- history


@login_required
def history(request: HttpRequest) -> HttpResponse:
    """Every recorded action of the user's scope (the DRMG: the region; a CML: their RLS
    and its runs; :func:`access.visible_audit_events`), newest first."""
    entries = access.visible_audit_events(request.user).select_related("actor")
    page = Paginator(entries, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = attach_subjects(page.object_list, Dataset)  # an import's version
    return render(
        request,
        "attribution/runs/history.html",
        {"page": page, "run_type": subject_type_of(Run)},
    )


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("physicians/<str:rls_code>/", physicians, name="physicians"),
    path("physicians/<str:rls_code>/<str:physician_code>/decision/", decision, name="decision"),
    path("runs/", runs, name="runs"),
    path("runs/new/", run_new, name="run-new"),
    path("runs/compare/", run_compare, name="run-compare"),
    path("runs/<int:pk>/", run_detail, name="run-detail"),
    path("runs/<int:pk>/progress/", run_progress, name="run-progress"),
    path("runs/<int:pk>/patients/<str:patient_code>/", run_patient, name="run-patient"),
    path("runs/<int:pk>/physicians/<str:physician_code>/", run_physician, name="run-physician"),
    path("runs/<int:pk>/adjust/", run_adjust, name="run-adjust"),
    path("runs/<int:pk>/approve/", run_approve, name="run-approve"),
    path("runs/<int:pk>/retry/", run_retry, name="run-retry"),
    path("history/", history, name="history"),
]
