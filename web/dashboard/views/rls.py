"""One RLS: its figures and physicians, and its waiting list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from web.accounts import access
from web.dashboard import figures
from web.regions.models import ON_THE_LIST, Rls


@login_required
def rls_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One RLS: its registration figures and the physicians the user may see in it."""
    rls = access.access_rls(request.user, code)
    today = timezone.localdate()
    physicians = access.visible_physicians(request.user).filter(rls=rls)
    can_list_waitlist = access.can_list_waitlist(request.user)

    def content() -> str:
        registration = figures.registration_by_rls(Rls.objects.filter(pk=rls.pk), today)[0]
        return render_to_string(
            "dashboard/rls/_detail.html",
            {
                "rls": rls,
                "today": today,
                "registration": registration,
                "physicians": figures.physician_rows(physicians, today),
                "can_list_waitlist": can_list_waitlist,
            },
        )

    # Rendered once per data version: keyed by the physicians' query, which access
    # narrowed to those the user may see, and by what else the page shows of the user's
    # rights (the waiting list's link).
    html = figures.cached("rls_html", [physicians, rls.pk, today, can_list_waitlist], content)
    return render(request, "dashboard/rls/detail.html", {"rls": rls, "content": html})


@login_required
def rls_waitlist(request: HttpRequest, code: str) -> HttpResponse:
    """The waiting patients of one RLS (identities: DRMG and that RLS's CML only)."""
    rls, waitlist = access.access_waitlist(request.user, code)
    entries = (
        waitlist.filter(status__in=ON_THE_LIST)
        .select_related("patient", "previous_physician")
        .order_by("priority", "requested_on", "id")
    )
    number = request.GET.get("page")
    # Rendered once per data version: keyed by the entries' query, which access narrowed
    # to the reader's territory (a page is shared only by readers of the same list).
    waitlist_html = figures.cached(
        "rls_waitlist_html",
        [entries, rls.pk, number],
        lambda: render_to_string(
            "dashboard/rls/_waitlist.html",
            {"rls": rls, "page": Paginator(entries, 50).get_page(number)},
        ),
    )
    return render(
        request, "dashboard/rls/waitlist.html", {"rls": rls, "waitlist_html": waitlist_html}
    )
