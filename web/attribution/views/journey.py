"""The patient's journey after the plan (docs/attribution-journey.md): a patient's status
and history in a run's territory, and a physician's proposed patients in a run's follow-up,
where the CML records a contact attempt, a return to the list or a removal.

==================  =====================================  ================================
page                who                                    refused
==================  =====================================  ================================
run-journey         DRMG, CML of the run's RLS             other roles 403, other RLS 404,
                                                           a patient outside the run's 404
followup-physician  DRMG, CML of the run's RLS             the same
region-settings     the DRMG of the region                 other roles 403 (a superuser
                                                           too), another region 404
==================  =====================================  ================================

Physicians see counts of their own only ("Mes lettres": the same
:func:`web.attribution.journey.physician_journey` as followup-physician), never these pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from web.accounts import access
from web.attribution import followup, journey
from web.attribution.forms import ContactAttemptsForm, JourneyForm
from web.attribution.models import RunStatus
from web.regions import services as regions_services
from web.regions.errors import RegionsError
from web.regions.models import WaitlistEntry, WaitlistStatus


@login_required
@require_http_methods(["GET", "POST"])
def run_patient_journey(request: HttpRequest, pk: int, patient_code: str) -> HttpResponse:
    """A waiting-list patient of the run's territory: status, proposal in force, contact
    attempts and history; POST records a step (one service call) and comes back here, or
    to ``next`` (the physician's follow-up)."""
    run = access.access_run(request.user, pk)
    entry = access.access_run_patient(request.user, run, patient_code)
    if request.method == "POST":
        form = JourneyForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose what to record."))
        else:
            _record_step(request, entry, form.cleaned_data)
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
            return redirect(target)
        return redirect("attribution:run-journey", run.pk, entry.patient_code)
    return render(
        request,
        "attribution/journey/patient.html",
        {
            "run": run,
            "entry": entry,
            "attempts": regions_services.contact_attempts(entry),
            "required_attempts": entry.rls.region.contact_attempts,
            "events": journey.patient_journey(run.region, entry.patient_code),
            "return_reasons": journey.return_reason_choices(run.region),
            "proposed": entry.status == WaitlistStatus.ASSIGNED,
            "removable": entry.status not in (WaitlistStatus.REGISTERED, WaitlistStatus.WITHDRAWN),
        },
    )


def _record_step(request: HttpRequest, entry: WaitlistEntry, data: dict[str, str]) -> None:
    try:
        if data["action"] == "attempt":
            regions_services.do_record_contact_attempt(
                entry, data["note"], acting_user=request.user
            )
            messages.success(request, _("Contact attempt recorded."))
        elif data["action"] == "return":
            regions_services.do_return_waitlist_entry(
                entry, data["reason"], data["note"], acting_user=request.user
            )
            messages.success(request, _("The patient is back on the waiting list."))
        else:
            regions_services.do_remove_waitlist_entry(entry, data["note"], acting_user=request.user)
            messages.success(request, _("The patient is removed from the waiting list."))
    except RegionsError as error:
        messages.error(request, str(error))


@login_required
def followup_physician(request: HttpRequest, pk: int, physician_code: str) -> HttpResponse:
    """A physician's patients in an approved run's follow-up: those the plan proposed to
    them, with their status and contact attempts, and whether the physician is behind the
    pace; the CML records a step for each from here."""
    run = access.access_run(request.user, pk)
    if run.status != RunStatus.APPROVED:
        raise Http404
    own = journey.physician_journey(run, physician_code, followup.follow_up(run))
    if own.progress is None:
        raise Http404
    codes = set(journey.proposed_to(run, physician_code))
    entries = list(
        WaitlistEntry.objects.filter(region_id=run.region_id, patient_code__in=sorted(codes))
        .select_related("rls")
        .order_by("proposed_month", "priority", "requested_on")
    )
    rows = [
        {"entry": entry, "attempts": regions_services.contact_attempts(entry)} for entry in entries
    ]
    return render(
        request,
        "attribution/journey/physician.html",
        {
            "run": run,
            "progress": own.progress,
            "journey": own,
            "rows": rows,
            "return_reasons": journey.return_reason_choices(run.region),
            "here": reverse("attribution:followup-physician", args=[run.pk, physician_code]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def region_settings(request: HttpRequest, region_code: str) -> HttpResponse:
    """The region's settings of the patient's journey, set by its DRMG: the contact
    attempts before a proposed patient may be returned as unreachable."""
    region = access.access_region_settings(request.user, region_code)
    form = ContactAttemptsForm(
        request.POST if request.method == "POST" else None,
        initial={"attempts": region.contact_attempts},
    )
    if request.method == "POST" and form.is_valid():
        try:
            regions_services.do_set_contact_attempts(
                region, form.cleaned_data["attempts"], acting_user=request.user
            )
        except RegionsError as error:
            form.add_error("attempts", str(error))
        else:
            messages.success(request, _("The region's number of contact attempts is saved."))
            return redirect("attribution:region-settings", region.code)
    return render(
        request,
        "attribution/journey/settings.html",
        {"region": region, "form": form},
        status=400 if form.errors else 200,
    )
