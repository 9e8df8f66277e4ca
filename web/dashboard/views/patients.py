"""One patient: identity and registrations."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from web.accounts import access


@login_required
def patient_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One patient: identity (full number only where allowed) and registrations."""
    patient = access.access_patient(request.user, code)
    context = {
        "patient": patient,
        "hin": (
            patient.health_insurance_number
            if access.can_see_full_hin(request.user, patient)
            else patient.masked_hin
        ),
        "registrations": patient.registrations.select_related("physician", "site").order_by(
            "-start_date"
        ),
        "waitlist_entries": patient.waitlist_entries.order_by("-requested_on"),
    }
    return render(request, "dashboard/patients/detail.html", context)
