"""A placed professional's work schedules: the GMF proposes one (a week grid), the
CISSS/CIUSSS validates it against the collective agreement in force or refuses it; the
rules broken are said in French (:mod:`web.comanagement.refusals`).

==================  =============  ==================================================
page                who writes     refused
==================  =============  ==================================================
new (placement)     GMF            CISSS/CIUSSS, DRMG 403; a placement not theirs 404
schedule            — (readers)    other roles 403; a schedule not theirs 404
validate, refuse    CISSS/CIUSSS   GMF manager, DRMG 403; a schedule not theirs 404
(POST)
==================  =============  ==================================================
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.comanagement import presence as reading
from web.comanagement import refusals
from web.comanagement.errors import ComanagementError, RecordRefused, ScheduleRefusedByRules
from web.comanagement.forms.presence import RefuseScheduleForm, ScheduleForm, SchedulePeriodForm
from web.comanagement.models import Placement, Schedule
from web.comanagement.services import presence


def _next_week_start(placement: Placement, today: datetime.date) -> datetime.date:
    """The first day of next week under the rules in force (a Sunday without rules)."""
    try:
        _version, rules = presence.schedule_rules(placement, today)
        start = rules.week_start(today)
    except RecordRefused:
        start = today - datetime.timedelta(days=(today.weekday() + 1) % 7)
    return start + datetime.timedelta(days=7)


@login_required
def schedule_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The GMF proposes a schedule: first the weeks it covers (``?first_day=&weeks=``),
    then a grid of their days. ``?replaces=<pk>`` changes an earlier schedule of the
    placement: its days fill the grid, and the new proposal replaces it."""
    placement = access.access_comanagement_record(request.user, Placement, pk, write="gmf")
    today = timezone.localdate()
    source = request.POST if request.method == "POST" else request.GET
    replaces = None
    replaces_pk = source.get("replaces", "")
    if replaces_pk.isdigit():
        # Through the checked placement: a schedule of another placement is 404.
        replaces = get_object_or_404(placement.schedules, pk=int(replaces_pk))
    initial = {"first_day": _next_week_start(placement, today), "weeks": 1}
    if replaces is not None:
        initial["weeks"] = replaces.weeks
    period = SchedulePeriodForm(source if "first_day" in source else None, initial=initial)
    form = None
    if period.is_bound and period.is_valid():
        form = ScheduleForm(
            request.POST if request.method == "POST" else None,
            first_day=period.cleaned_data["first_day"],
            weeks=period.cleaned_data["weeks"],
            replaces=replaces,
        )
        if request.method == "POST" and form.is_valid():
            try:
                schedule = presence.do_propose_schedule(
                    placement,
                    form.cleaned_data["first_day"],
                    form.cleaned_data["weeks"],
                    days=form.entries(),
                    vacation_days_available=form.cleaned_data["vacation_days_available"],
                    replaces=replaces,
                    acting_user=request.user,
                )
            except ComanagementError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("Schedule proposed: the CISSS/CIUSSS validates it or refuses it.")
                )
                return redirect("comanagement:schedule-detail", schedule.pk)
    context = {"placement": placement, "period": period, "form": form, "replaces": replaces}
    return render(request, "comanagement/schedules/new.html", context)


@login_required
def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A schedule: its days and weeks, its status; refused, the rules it broke as
    sentences and the note; proposed, what the rules in force say of it (for the
    CISSS/CIUSSS's decision) and the buttons of each side."""
    schedule = access.access_comanagement_record(request.user, Schedule, pk)
    today = timezone.localdate()
    days = list(schedule.days.prefetch_related("breaks").order_by("day"))
    check = reading.schedule_check(schedule, today) if schedule.status == "proposed" else None
    can_write_gmf = access.can_write_comanagement(request.user, "gmf")
    can_write_ciusss = access.can_write_comanagement(request.user, "ciusss")
    context = {
        "schedule": schedule,
        "placement": schedule.placement,
        "days": days,
        "weeks": reading.schedule_weeks(presence.core_schedule(schedule)),
        "check": check,
        "refusal_sentences": refusals.sentences(schedule.refusals or []),
        "can_write_gmf": can_write_gmf,
        "can_write_ciusss": can_write_ciusss,
        "can_change": can_write_gmf and schedule.status in ("proposed", "validated", "refused"),
        "refuse_form": RefuseScheduleForm() if can_write_ciusss else None,
    }
    return render(request, "comanagement/schedules/detail.html", context)


@login_required
@require_POST
def schedule_validate(request: HttpRequest, pk: int) -> HttpResponse:
    """The CISSS/CIUSSS validates a proposed schedule against the rules in force today."""
    schedule = access.access_comanagement_record(request.user, Schedule, pk, write="ciusss")
    try:
        presence.do_validate_schedule(schedule, timezone.localdate(), acting_user=request.user)
    except ScheduleRefusedByRules as refused:
        messages.error(
            request,
            _(
                "The schedule breaks the collective agreement; refuse it so that the GMF changes it."
            ),
        )
        for sentence in refusals.sentences(refused.refusals):
            messages.error(request, sentence)
    except ComanagementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Schedule validated."))
    return redirect("comanagement:schedule-detail", schedule.pk)


@login_required
@require_POST
def schedule_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """The CISSS/CIUSSS refuses a proposed schedule, keeping the rules it breaks and a note."""
    schedule = access.access_comanagement_record(request.user, Schedule, pk, write="ciusss")
    form = RefuseScheduleForm(request.POST)
    if form.is_valid():
        try:
            presence.do_refuse_schedule(
                schedule, form.cleaned_data["note"], acting_user=request.user
            )
        except ComanagementError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Schedule refused: the GMF sees the rules it breaks."))
    return redirect("comanagement:schedule-detail", schedule.pk)
