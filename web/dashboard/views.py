"""The first page after login: the user's territory at a glance."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from web.accounts import access
from web.dashboard import charts, figures
from web.regions.models import Rls, WaitlistEntry


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    profile = access.profile_for(user)
    today = timezone.localdate()
    rls_qs = access.visible_rls(user)
    registration_rows = figures.registration_by_rls(rls_qs, today)
    waitlist_rows = figures.waitlist_by_rls_and_priority(rls_qs)
    strata = figures.physicians_by_stratum(access.visible_physicians(user), today)
    residents = sum(row.residents for row in registration_rows)
    registered = sum(row.registered for row in registration_rows)
    context = {
        "profile": profile,
        "scope": access.scope_label(user),
        "today": today,
        "registration_rows": registration_rows,
        "residents": residents,
        "registered": registered,
        "overall_rate": registered / residents if residents else None,
        "goal": registration_rows[0].goal if registration_rows else None,
        "priorities": figures.PRIORITIES,
        "waitlist_rows": waitlist_rows,
        "waitlist_totals": {
            p: sum(row.by_priority[p] for row in waitlist_rows) for p in figures.PRIORITIES
        },
        "waitlist_total": sum(row.total for row in waitlist_rows),
        "strata": strata,
        "physicians_total": sum(strata.values()),
        "charts": {
            "registration": charts.registration_rate_chart(registration_rows),
            "waitlist": charts.waitlist_chart(waitlist_rows),
            "strata": charts.strata_chart(strata),
        },
    }
    return render(request, "dashboard/dashboard.html", context)


@login_required
def rls_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One RLS: its registration figures and the physicians the user may see in it."""
    rls = access.access_rls(request.user, code)
    today = timezone.localdate()
    physicians = figures.physician_rows(
        access.visible_physicians(request.user).filter(rls=rls), today
    )
    context = {
        "rls": rls,
        "today": today,
        "registration": figures.registration_by_rls(Rls.objects.filter(pk=rls.pk), today)[0],
        "physicians": physicians,
        "can_list_waitlist": access.can_list_waitlist(request.user),
    }
    return render(request, "dashboard/rls_detail.html", context)


@login_required
def rls_waitlist(request: HttpRequest, code: str) -> HttpResponse:
    """The waiting patients of one RLS (identities: DRMG and that RLS's CML only)."""
    rls, waitlist = access.access_waitlist(request.user, code)
    entries = (
        waitlist.filter(status=WaitlistEntry.Status.WAITING)
        .select_related("patient", "previous_physician")
        .order_by("priority", "requested_on", "id")
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "dashboard/rls_waitlist.html", {"rls": rls, "page": page})


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
    return render(request, "dashboard/patient_detail.html", context)
