"""A placed professional's attendance records: the GMF submits the days worked in a
period against those planned, the CISSS/CIUSSS approves them.

==================  =============  ==================================================
page                who writes     refused
==================  =============  ==================================================
new (placement)     GMF            CISSS/CIUSSS, DRMG 403; a placement not theirs 404
approve (POST)      CISSS/CIUSSS   GMF manager, DRMG 403; a record not theirs 404
==================  =============  ==================================================
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.comanagement import presence as reading
from web.comanagement.errors import ComanagementError
from web.comanagement.forms.presence import AttendanceForm
from web.comanagement.models import AttendanceRecord, Placement
from web.comanagement.services import presence


@login_required
def attendance_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The GMF submits an attendance record; the page shows the planned and actual days
    of the placement's months, as the schedules and absences give them."""
    placement = access.access_comanagement_record(request.user, Placement, pk, write="gmf")
    form = AttendanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            presence.do_submit_attendance(
                placement,
                start=data["start"],
                end=data["end"],
                planned_days=data["planned_days"],
                worked_days=data["worked_days"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Attendance submitted: the CISSS/CIUSSS approves it."))
            return redirect("comanagement:placement-detail", placement.pk)
    months = reading.presence_by_month(placement, until=timezone.localdate())
    context = {"form": form, "placement": placement, "months": months[-6:]}
    return render(request, "comanagement/attendance/new.html", context)


@login_required
@require_POST
def attendance_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """The CISSS/CIUSSS approves an attendance record."""
    record = access.access_comanagement_record(request.user, AttendanceRecord, pk, write="ciusss")
    try:
        presence.do_approve_attendance(record, acting_user=request.user)
    except ComanagementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Attendance approved."))
    return redirect("comanagement:placement-detail", record.placement_id)
