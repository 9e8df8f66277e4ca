"""A placed professional's absences (the GMF informs the CISSS/CIUSSS) and their
replacements (the CISSS/CIUSSS provides them; the 4-week rule is the core's,
:mod:`panelcare.comanagement.obligations`).

==================  =============  ==================================================
page                who writes     refused
==================  =============  ==================================================
new (placement)     GMF            CISSS/CIUSSS, DRMG 403; a placement not theirs 404
absence (change     GMF (POST)     read: other roles 403, an absence not theirs 404;
by POST)                           POST by the CISSS/CIUSSS or the DRMG 403
replacement new     CISSS/CIUSSS   GMF manager, DRMG 403; an absence not theirs 404
==================  =============  ==================================================
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts import access
from web.comanagement import presence as reading
from web.comanagement.errors import ComanagementError
from web.comanagement.forms.presence import AbsenceChangeForm, AbsenceForm, ReplacementForm
from web.comanagement.models import Absence, Placement, Professional
from web.comanagement.services import presence


@login_required
def absence_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The GMF informs of an absence of the placed professional."""
    placement = access.access_comanagement_record(request.user, Placement, pk, write="gmf")
    form = AbsenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            absence = presence.do_record_absence(
                placement,
                start=data["start"],
                end=data["end"],
                foreseeable=data["foreseeable"],
                reason=data["reason"],
                note=data["note"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Absence recorded: the CISSS/CIUSSS is informed."))
            return redirect("comanagement:absence-detail", absence.pk)
    return render(request, "comanagement/absences/new.html", {"form": form, "placement": placement})


@login_required
def absence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An absence: its period, reason, whether and from which day a replacement is
    required, the replacements; the GMF changes its day back and whether it was
    foreseeable (POST)."""
    write = "gmf" if request.method == "POST" else None
    absence = access.access_comanagement_record(request.user, Absence, pk, write=write)
    can_write_gmf = access.can_write_comanagement(request.user, "gmf")
    form = None
    if can_write_gmf:
        form = AbsenceChangeForm(
            request.POST or None,
            initial={"end": absence.end, "foreseeable": absence.foreseeable},
        )
        if request.method == "POST" and form.is_valid():
            try:
                presence.do_change_absence(
                    absence,
                    end=form.cleaned_data["end"],
                    foreseeable=form.cleaned_data["foreseeable"],
                    acting_user=request.user,
                )
            except ComanagementError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Absence changed."))
                return redirect("comanagement:absence-detail", absence.pk)
    today = timezone.localdate()
    context = {
        "absence": absence,
        "placement": absence.placement,
        "replacements": absence.replacements.select_related("replaced_by"),
        "status": reading.replacement_status(absence, today),
        "today": today,
        "form": form,
        "can_write_gmf": can_write_gmf,
        "can_write_ciusss": access.can_write_comanagement(request.user, "ciusss"),
    }
    return render(request, "comanagement/absences/detail.html", context)


@login_required
def replacement_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The CISSS/CIUSSS records who replaces the absent professional."""
    absence = access.access_comanagement_record(request.user, Absence, pk, write="ciusss")
    establishment = absence.placement.professional.establishment
    professionals = Professional.objects.filter(establishment=establishment).exclude(
        pk=absence.placement.professional_id
    )
    status = reading.replacement_status(absence, timezone.localdate())
    form = ReplacementForm(
        request.POST or None,
        professionals=professionals,
        initial={"start": max(status.required_from, absence.start)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            presence.do_record_replacement(
                absence,
                start=data["start"],
                end=data["end"],
                replaced_by=data["replaced_by"],
                replaced_by_name=data["replaced_by_name"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Replacement recorded."))
            return redirect("comanagement:absence-detail", absence.pk)
    context = {"form": form, "absence": absence, "placement": absence.placement}
    return render(request, "comanagement/absences/replacement_new.html", context)
