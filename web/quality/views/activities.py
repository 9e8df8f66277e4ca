"""The four individual activities of a QI group member, and the QI Survey's editor
(docs/quality-plan.md §5).

==============  ===============================================  ===========================
page            who                                              refused
==============  ===============================================  ===========================
activity        a member: their own stepper (save a step,        outside the group 404; not
                complete)                                        a member (a coach) 403
activity_share  the activity's physician: share or stop          anyone else 404
activity_read   its physician; another member or the group's     unshared, or outside the
                coach once shared                                group, 404
survey_edit     a QI coach or the DRMG: publish a new version    a physician 403
==============  ===============================================  ===========================

Access is :mod:`web.accounts.access`; the writes :mod:`web.quality.services.activities`;
the steps and what a page shows of them :mod:`web.quality.activities`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.quality import activities
from web.quality.errors import ActivityRefused
from web.quality.forms.activities import (
    StepForm,
    SurveyQuestionFormSet,
    questions_of,
    survey_initial,
)
from web.quality.indicators import data_driven_figures
from web.quality.models import Activity, ActivityKind, SurveyVersion
from web.quality.services import activities as services


def _stepper_url(activity: Activity, step_key: str | None = None) -> str:
    url = reverse("quality:activity", args=[activity.group_id, activity.kind])
    return f"{url}?step={step_key}" if step_key else url


@login_required
def activity(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A member's stepper of activity ``kind`` in group ``pk``: the steps with their done
    marks, the current step's form (``?step=<key>``; default: where it was left), "save
    and continue", back, and completion; once completed, the answers as saved."""
    group = access.access_group(request.user, pk, write="member")  # 404 outside, 403 else
    physician = access.quality_physician(request.user)
    try:
        where = activities.stepper(group, physician, kind, request.GET.get("step"))
    except LookupError:
        raise Http404 from None
    if request.method == "POST" and request.POST.get("action") == "complete":
        if where.activity is None:
            raise Http404  # nothing saved yet: the page offers no completion
        try:
            services.do_complete_activity(where.activity, acting_user=request.user)
        except ActivityRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Activity completed."))
        return redirect(_stepper_url(where.activity))
    form = None
    if where.current is not None and not where.completed:
        saved = where.answers.get(where.current.key)
        initial = saved if saved is not None else activities.prefill(kind, where.current, physician)
        form = StepForm(where.fields, request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                saved_activity = services.do_save_activity_step(
                    group,
                    physician,
                    kind,
                    where.current.key,
                    form.values(),
                    acting_user=request.user,
                )
            except ActivityRefused as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Step saved."))
                shown = where.following or where.current
                return redirect(_stepper_url(saved_activity, shown.key))
    context = {
        "group": group,
        "kind_label": ActivityKind(kind).label,
        "introduction": activities.INTRODUCTIONS[kind],
        "where": where,
        "form": form,
        "answered": activities.answer_rows(where.steps, where.answers) if where.completed else (),
        # The Data-Driven QI's steps are a reflection on these figures.
        "figures": (
            data_driven_figures(physician, on=timezone.localdate())
            if kind == ActivityKind.DATA_DRIVEN_QI
            else None
        ),
    }
    return render(request, "quality/activities/activity.html", context)


@login_required
@require_POST
def activity_share(request: HttpRequest, pk: int) -> HttpResponse:
    """The activity's physician shares its answers with the group, or stops."""
    shared_activity = access.access_activity(request.user, pk, write=True)  # 404 but its own
    shared = request.POST.get("shared") == "1"
    services.do_share_activity(shared_activity, shared, acting_user=request.user)
    if shared:
        messages.success(request, _("Your answers are shared with your group and its coach."))
    else:
        messages.success(request, _("Your answers are no longer shared."))
    return redirect(_stepper_url(shared_activity))


@login_required
def activity_read(request: HttpRequest, pk: int) -> HttpResponse:
    """An activity read by its physician, or by another member or the group's coach once
    shared: its completion, and its answers when shared (or one's own)."""
    read = access.access_activity(request.user, pk)  # 404 unless its own or shared
    own = read.physician_id == request.user.profile.physician_id
    show_answers = own or read.shared
    steps = activities.steps_of(read.kind, read.survey)
    context = {
        "activity": read,
        "group": read.group,
        "own": own,
        "introduction": activities.INTRODUCTIONS[read.kind],
        "answered": activities.answer_rows(steps, read.answers) if show_answers else (),
        "steps_total": len(steps),
        "steps_missing": len(activities.missing_steps(steps, read.answers)),
        "figures": (
            data_driven_figures(read.physician, on=timezone.localdate())
            if show_answers and read.kind == ActivityKind.DATA_DRIVEN_QI
            else None
        ),
    }
    return render(request, "quality/activities/read.html", context)


@login_required
def survey_edit(request: HttpRequest) -> HttpResponse:
    """The QI Survey's questions in force, as rows to edit (key, text, kind, choices);
    publishing makes a new version. The versions published, latest first."""
    region = access.access_quality_region(request.user, select=True)  # a coach, the DRMG
    survey = activities.survey_in_force(region.pk)
    initial = survey_initial(survey.questions) if survey is not None else []
    formset = SurveyQuestionFormSet(request.POST or None, initial=initial)
    refusal = ""
    if request.method == "POST" and formset.is_valid():
        try:
            published = services.do_publish_survey(
                region, questions_of(formset), acting_user=request.user
            )
        except ActivityRefused as error:
            refusal = str(error)
        else:
            messages.success(
                request,
                _("Version %(number)s of the QI survey published.") % {"number": published.number},
            )
            return redirect("quality:survey-edit")
    context = {
        "region": region,
        "survey": survey,
        "formset": formset,
        "refusal": refusal,
        "versions": SurveyVersion.objects.filter(region=region).select_related("created_by"),
    }
    return render(request, "quality/activities/survey_edit.html", context)
