"""One RLS: its figures and physicians, and its waiting list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from web.accounts import access
from web.dashboard import figures
from web.regions.models import Rls, WaitlistEntry


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
    return render(request, "dashboard/rls/detail.html", context)


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
    return render(request, "dashboard/rls/waitlist.html", {"rls": rls, "page": page})
