"""Training pages of co-management (the seed's "Training" line).

==================  =====================================  ==============================
page                who writes                             refused
==================  =====================================  ==============================
training_list       — (reads: the three sides)             other roles 403; a GMF not
                                                           the user's 404
need_new            either side (the need is its side's)   the DRMG 403
request_new         the GMF                                the CISSS/CIUSSS, DRMG 403
request_decide      the CISSS/CIUSSS                       the GMF, DRMG 403
attendance_new      the CISSS/CIUSSS (approved requests)   the GMF, DRMG 403
==================  =====================================  ==============================

Access is :mod:`web.accounts.access`; the writes are
:mod:`web.comanagement.services.training`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts import access
from web.comanagement.errors import ComanagementError
from web.comanagement.forms.training import (
    TrainingAttendanceForm,
    TrainingDecisionForm,
    TrainingNeedForm,
    TrainingRequestForm,
)
from web.comanagement.models import Placement, TrainingNeed, TrainingRequest
from web.comanagement.services import training
from web.regions.models import Gmf


def _placements_in_force(gmf: Gmf) -> QuerySet[Placement]:
    today = timezone.localdate()
    return (
        Placement.objects.filter(gmf=gmf, start__lte=today)
        .filter(Q(end__isnull=True) | Q(end__gt=today))
        .select_related("professional")
        .order_by("professional__name", "start")
    )


def _initial_placement(request: HttpRequest) -> dict[str, str]:
    """``?placement=<pk>`` (the placement page's links) chooses the professional."""
    pk = request.GET.get("placement", "")
    return {"placement": pk} if pk.isdigit() else {}


@login_required
def training_list(request: HttpRequest, code: str) -> HttpResponse:
    """The GMF's training needs, requests (decision, who pays) and trainings attended."""
    gmf = access.access_comanagement_gmf(request.user, code)
    needs = TrainingNeed.objects.filter(gmf=gmf).select_related("placement__professional")
    requests = (
        TrainingRequest.objects.filter(placement__gmf=gmf)
        .select_related("placement__professional", "need")
        .prefetch_related("attendances")
        .order_by("-submitted_on", "-pk")
    )
    context = {
        "gmf": gmf,
        "needs": needs,
        "requests": requests,
        "can_write_gmf": access.can_write_comanagement(request.user, "gmf"),
        "can_write_ciusss": access.can_write_comanagement(request.user, "ciusss"),
    }
    return render(request, "comanagement/training/list.html", context)


@login_required
def need_new(request: HttpRequest, code: str) -> HttpResponse:
    """Record a training need (either side; the need is the recording side's)."""
    gmf = access.access_comanagement_gmf(request.user, code)
    side = access.check_comanagement_write(request.user, "both")
    form = TrainingNeedForm(
        request.POST or None,
        placements=_placements_in_force(gmf),
        side=side,
        initial=_initial_placement(request),
    )
    if request.method == "POST" and form.is_valid():
        try:
            training.do_record_training_need(
                gmf,
                identified_by=side,
                basis=form.cleaned_data["basis"],
                description=form.cleaned_data["description"],
                identified_on=form.cleaned_data["identified_on"],
                placement=form.cleaned_data["placement"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Training need recorded."))
            return redirect("comanagement:training-list", gmf.code)
    return render(request, "comanagement/training/need_new.html", {"gmf": gmf, "form": form})


@login_required
def request_new(request: HttpRequest, code: str) -> HttpResponse:
    """The GMF asks for a professional's training."""
    gmf = access.access_comanagement_gmf(request.user, code)
    access.check_comanagement_write(request.user, "gmf")
    form = TrainingRequestForm(
        request.POST or None,
        placements=_placements_in_force(gmf),
        needs=TrainingNeed.objects.filter(gmf=gmf).order_by("-identified_on", "-pk"),
        initial=_initial_placement(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            training.do_request_training(
                data["placement"],
                title=data["title"],
                submitted_on=data["submitted_on"],
                external=data["external"],
                in_ciusss_programme=data["in_ciusss_programme"],
                cost=data["cost"],
                provider=data["provider"],
                starts_on=data["starts_on"],
                need=data["need"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Training requested: the CISSS/CIUSSS decides it."))
            return redirect("comanagement:training-list", gmf.code)
    return render(request, "comanagement/training/request_new.html", {"gmf": gmf, "form": form})


@login_required
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The CISSS/CIUSSS approves or refuses a request."""
    training_request = access.access_comanagement_record(
        request.user, TrainingRequest, pk, write="ciusss"
    )
    gmf = training_request.placement.gmf
    form = TrainingDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            training.do_decide_training(
                training_request,
                form.cleaned_data["decision"] == "approved",
                form.cleaned_data["note"],
                form.cleaned_data["on"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("comanagement:training-list", gmf.code)
    context = {"gmf": gmf, "training_request": training_request, "form": form}
    return render(request, "comanagement/training/decide.html", context)


@login_required
def attendance_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The CISSS/CIUSSS records an approved training attended, in the employee's file."""
    training_request = access.access_comanagement_record(
        request.user, TrainingRequest, pk, write="ciusss"
    )
    gmf = training_request.placement.gmf
    form = TrainingAttendanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            training.do_record_training_attendance(
                training_request,
                attended_on=form.cleaned_data["attended_on"],
                hours=form.cleaned_data["hours"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Training attended recorded in the employee's file."))
            return redirect("comanagement:training-list", gmf.code)
    context = {"gmf": gmf, "training_request": training_request, "form": form}
    return render(request, "comanagement/training/attendance_new.html", context)
