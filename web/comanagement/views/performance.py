"""Performance pages of co-management: a GMF's indicators against their agreed targets,
the targets and their signatures, the strategies, the joint follow-up meetings and their
decisions (docs/comanagement-plan.md §4). Each view checks access once, at the top,
through :mod:`web.accounts.access`; the writes go through
:mod:`web.comanagement.services.performance`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.comanagement import charts
from web.comanagement import performance as reading
from web.comanagement.errors import ComanagementError
from web.comanagement.forms.performance import (
    DecisionForm,
    MeetingForm,
    StrategyForm,
    TargetForm,
)
from web.comanagement.models import FollowUpMeeting, MeetingTopic, Strategy, Target
from web.comanagement.services import performance as services


def _signatures(obj: Any, side: str, can_write: bool) -> dict[str, Any]:
    """Who signed ``obj`` (a target or a meeting), and whether the user's side may sign."""
    mine = getattr(obj, f"{side}_signed_at", None) if side in ("gmf", "ciusss") else None
    return {
        "obj": obj,
        "can_sign": can_write and side in ("gmf", "ciusss") and mine is None,
    }


@login_required
def performance(request: HttpRequest, code: str) -> HttpResponse:
    """The GMF's indicators against their agreed targets over the last 12 months (a chart
    per GMF-wide indicator, a table per professional), its targets, strategies and
    follow-up meetings."""
    gmf = access.access_comanagement_gmf(request.user, code)
    side = access.comanagement_side(request.user)
    can_write = access.can_write_comanagement(request.user, "both")
    topic = request.GET.get("topic", "")
    page = reading.gmf_performance(gmf, timezone.localdate())
    gmf_wide = [series for series in page.series if series.placement is None]
    professionals = [series for series in page.series if series.placement is not None]
    targets = Target.objects.filter(gmf=gmf).select_related(
        "placement__professional", "gmf_signed_by", "ciusss_signed_by"
    )
    context = {
        "gmf": gmf,
        "side": side,
        "can_write": can_write,
        "page": page,
        "charts": [
            {
                "series": series,
                "name": f"indicator-{index}",
                "spec_id": f"spec-indicator-{index}",
                "spec": charts.series_chart(series),
            }
            for index, series in enumerate(gmf_wide)
        ],
        "professionals": professionals,
        "targets": [_signatures(target, side, can_write) for target in targets],
        "strategies": Strategy.objects.filter(gmf=gmf).select_related(
            "target__placement__professional"
        ),
        # ?topic= (the responsibility matrix's links): the meetings of one topic.
        "meetings": FollowUpMeeting.objects.filter(
            gmf=gmf, **({"topic": topic} if topic in MeetingTopic.values else {})
        ),
        "topic_label": MeetingTopic(topic).label if topic in MeetingTopic.values else "",
    }
    return render(request, "comanagement/performance/performance.html", context)


@login_required
def target_new(request: HttpRequest, code: str) -> HttpResponse:
    gmf = access.access_comanagement_gmf(request.user, code)
    side = access.check_comanagement_write(request.user, "both")
    form = TargetForm(gmf, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_propose_target(
                gmf,
                placement=form.cleaned_data["placement"],
                indicator=form.cleaned_data["indicator"],
                value=form.cleaned_data["value"],
                start=form.cleaned_data["start"],
                side=side,
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The target is proposed and signed by your side; the other side signs it."),
            )
            return redirect("comanagement:performance", code=gmf.code)
    return render(
        request,
        "comanagement/performance/form.html",
        {"gmf": gmf, "form": form, "title": _("Propose a target")},
    )


@login_required
@require_POST
def target_sign(request: HttpRequest, pk: int) -> HttpResponse:
    target = access.access_comanagement_record(request.user, Target, pk, write="both")
    side = access.comanagement_side(request.user)
    try:
        target = services.do_sign_target(target, side, acting_user=request.user)
    except ComanagementError as error:
        messages.error(request, str(error))
    else:
        if target.agreed:
            messages.success(request, _("Both sides have signed: the target is agreed."))
        else:
            messages.success(request, _("Your side has signed the target."))
    return redirect("comanagement:performance", code=target.gmf.code)


@login_required
def strategy_new(request: HttpRequest, code: str) -> HttpResponse:
    gmf = access.access_comanagement_gmf(request.user, code)
    access.check_comanagement_write(request.user, "both")
    form = StrategyForm(gmf, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_record_strategy(gmf, **form.cleaned_data, acting_user=request.user)
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The strategy is recorded."))
            return redirect("comanagement:performance", code=gmf.code)
    return render(
        request,
        "comanagement/performance/form.html",
        {"gmf": gmf, "form": form, "title": _("Record a strategy")},
    )


@login_required
def meeting_new(request: HttpRequest, code: str) -> HttpResponse:
    gmf = access.access_comanagement_gmf(request.user, code)
    side = access.check_comanagement_write(request.user, "both")
    form = MeetingForm(request.POST or None, initial={"topic": request.GET.get("topic")})
    if request.method == "POST" and form.is_valid():
        meeting = services.do_record_meeting(
            gmf, **form.cleaned_data, side=side, acting_user=request.user
        )
        messages.success(
            request, _("The meeting is recorded and signed by your side; the other side signs it.")
        )
        return redirect("comanagement:meeting-detail", pk=meeting.pk)
    return render(
        request,
        "comanagement/performance/form.html",
        {"gmf": gmf, "form": form, "title": _("Record a follow-up meeting")},
    )


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting's minutes and decisions, its signatures; frozen once both have signed."""
    meeting = access.access_comanagement_record(request.user, FollowUpMeeting, pk)
    side = access.comanagement_side(request.user)
    can_write = access.can_write_comanagement(request.user, "both")
    context = {
        "gmf": meeting.gmf,
        "meeting": meeting,
        "decisions": meeting.decisions.all(),
        "can_write": can_write and not meeting.signed_by_both,
        **_signatures(meeting, side, can_write),
    }
    return render(request, "comanagement/performance/meeting.html", context)


@login_required
@require_POST
def meeting_sign(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = access.access_comanagement_record(request.user, FollowUpMeeting, pk, write="both")
    side = access.comanagement_side(request.user)
    try:
        meeting = services.do_sign_meeting(meeting, side, acting_user=request.user)
    except ComanagementError as error:
        messages.error(request, str(error))
    else:
        if meeting.signed_by_both:
            messages.success(
                request, _("Both sides have signed: the minutes and decisions are frozen.")
            )
        else:
            messages.success(request, _("Your side has signed the meeting."))
    return redirect("comanagement:meeting-detail", pk=meeting.pk)


@login_required
def decision_new(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = access.access_comanagement_record(request.user, FollowUpMeeting, pk, write="both")
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.do_record_meeting_decision(
                meeting, **form.cleaned_data, acting_user=request.user
            )
        except ComanagementError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The decision is recorded."))
            if decision.cleared_signatures:
                messages.warning(
                    request,
                    _("The signatures were withdrawn: the added decision must be signed."),
                )
        return redirect("comanagement:meeting-detail", pk=meeting.pk)
    return render(
        request,
        "comanagement/performance/form.html",
        {"gmf": meeting.gmf, "form": form, "title": _("Record a decision"), "meeting": meeting},
    )
