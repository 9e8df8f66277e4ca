"""Clinical supervision pages of co-management (the seed's "Clinical supervision" line:
the CISSS/CIUSSS sets each professional's modalities and ensures supervision).

==============  ============================================  ============================
page            who                                           refused
==============  ============================================  ============================
plan_edit       the CISSS/CIUSSS: the plans, sessions, next   the GMF, DRMG 403; another
                session due, and a new plan                   establishment's 404
session_new     the CISSS/CIUSSS                              the same
==============  ============================================  ============================

Everybody else reads the supervision on the placement page (the partial
``comanagement/supervision/_placement_supervision.html``). Access is
:mod:`web.accounts.access`; the writes are :mod:`web.comanagement.services.supervision`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts import access
from web.comanagement.errors import ComanagementError
from web.comanagement.forms.supervision import SupervisionPlanForm, SupervisionSessionForm
from web.comanagement.models import Placement, SupervisionPlan
from web.comanagement.services import supervision
from web.comanagement.supervision import supervision_status


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A placement's supervision: the plan in force, its next session due, the plans and
    sessions, and a form for a new plan (the previous one ends the day it starts)."""
    placement = access.access_comanagement_record(request.user, Placement, pk, write="ciusss")
    status = supervision_status(placement, timezone.localdate())
    initial = {}
    if status.plan is not None:
        initial = {
            "every": status.plan.every,
            "unit": status.plan.unit,
            "form": status.plan.form,
            "length_minutes": status.plan.length_minutes,
            "site": status.plan.site,
            "supervisor_name": status.plan.supervisor_name,
        }
    form = SupervisionPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            supervision.do_set_supervision_plan(
                placement, **form.cleaned_data, acting_user=request.user
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Supervision plan set."))
            return redirect("comanagement:supervision-plan", placement.pk)
    context = {"placement": placement, "status": status, "form": form}
    return render(request, "comanagement/supervision/plan_edit.html", context)


@login_required
def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a session held under the plan ``pk``."""
    plan = access.access_comanagement_record(request.user, SupervisionPlan, pk, write="ciusss")
    form = SupervisionSessionForm(
        request.POST or None, initial={"length_minutes": plan.length_minutes}
    )
    if request.method == "POST" and form.is_valid():
        try:
            supervision.do_record_supervision_session(
                plan, **form.cleaned_data, acting_user=request.user
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Supervision session recorded."))
            return redirect("comanagement:supervision-plan", plan.placement_id)
    context = {"plan": plan, "placement": plan.placement, "form": form}
    return render(request, "comanagement/supervision/session_new.html", context)
