"""One physician's assiduity explanation: their own page (``/assiduity/me/`` leads there),
which a CML (their RLS's physicians) and the DRMG (any physician) also open.

==========================  ===========================================  ==================
page                        who                                          refused
==========================  ===========================================  ==================
my_rate                     a physician: their latest computation;       -
                            any other role: the home page
physician_detail            DRMG (any physician; the notices proposed    CISSS manager and
  physician_visits          from vacant posts), CML (their RLS's),       QI coach 403;
  physician_visits_export   GMF manager (their GMF's members),           another physician,
                            the physician (themself)                     RLS, GMF or
                                                                         region 404
==========================  ===========================================  ==================

Thin views: access first (``access_assiduity_run``, ``access_assiduity_physician``), then
the reading of :mod:`web.assiduity.explanation`. Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from web.accounts import access
from web.assiduity import charts, explanation, figures, services
from web.assiduity.models import AssiduityRun, AssiduityRunStatus, DrmgNotice
from web.attribution import exports
from web.comanagement import queries
from web.comanagement.queries import VacantPost

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def my_rate(request: HttpRequest) -> HttpResponse:
    """A physician's own page in the latest finished computation of the most recent year
    that has their rate (a page saying so when none has); any other role goes to the
    assiduity's home page."""
    try:
        physician = access.own_physician(request.user)
    except PermissionDenied:  # no profile: the home page says what they may see
        physician = None
    if physician is None:
        return redirect("assiduity:home")
    runs = explanation.year_runs(
        access.visible_assiduity_runs(request.user).filter(status=AssiduityRunStatus.DONE),
        physician.code,
    )
    if not runs:
        return render(
            request, "assiduity/physician/none.html", {"physician": physician}, status=404
        )
    return redirect("assiduity:physician", runs[0].pk, physician.code)


def _checked(request: HttpRequest, pk: int, code: str) -> tuple[AssiduityRun, str]:
    """The DONE run ``pk`` and physician ``code`` if the user may read them (404
    otherwise, 403 for a role the assiduity is not open to)."""
    run = access.access_assiduity_run(request.user, pk)
    code = access.access_assiduity_physician(request.user, run, code)
    if run.status != AssiduityRunStatus.DONE:
        raise Http404
    return run, code


@login_required
def physician_detail(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """The physician's rate in the computation ``pk``: the tier and what it pays, the
    bands within reach, the visits that lowered it, the months, a page of the visits
    (``?reason=``, ``?kind=`` filter them, ``?page=``), the other years."""
    run, code = _checked(request, pk, code)
    own = getattr(access.own_physician(request.user), "code", None) == code
    page = explanation.physician_page(
        run,
        code,
        own=own,
        visit_filter=explanation.VisitFilter.of(request.GET),
        page=request.GET.get("page") or 1,
    )
    if page is None:  # the computation has no rate for them
        raise Http404
    context = {
        **_choices(),
        "run": run,
        "code": code,
        "page": page,
        "vacant_posts": _vacant_posts(request, run, code),
        "visits": page.visits,
        "own": own,
        "chart": charts.physician_monthly_chart(page.months, page.rate["target"]),
        "years": explanation.year_runs(
            access.visible_assiduity_runs(request.user).filter(status=AssiduityRunStatus.DONE),
            code,
        ),
    }
    return render(request, "assiduity/physician/detail.html", context)


def _vacant_posts(request: HttpRequest, run: AssiduityRun, code: str) -> list[VacantPost]:
    """For the DRMG: the posts of the physician's GMF of the year (their last membership,
    as the page names it) that the CISSS/CIUSSS left vacant past their hiring deadline
    that year, each a proposal of a notice (EP 40, 15.01 B); none when a notice is in
    force for the year, and none for any other reader."""
    if not access.can_record_drmg_notice(request.user):
        return []
    if (
        DrmgNotice.objects.active()
        .filter(region=run.region, physician_code=code, year=run.year)
        .exists()
    ):
        return []
    gmf_code, _name = figures.run_gmfs(run, code).get(code, ("", ""))
    return queries.vacant_posts_past_deadline(run.region, gmf_code, run.year)


def _choices() -> dict[str, Any]:
    """The visit filter's choices: reasons and kinds, worded."""
    return {
        "reasons": [(reason, str(label)) for reason, label in explanation.REASON_LABELS.items()],
        "kinds": [(kind, str(label)) for kind, (label, _reasons) in explanation.KINDS.items()],
    }


@login_required
def physician_visits(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """A page of the physician's visits (``?reason=``, ``?kind=``, ``?page=``): the list
    alone for htmx, else a page of its own (the filter works without JavaScript)."""
    run, code = _checked(request, pk, code)
    visit_filter = explanation.VisitFilter.of(request.GET)
    context = {
        **_choices(),
        "run": run,
        "code": code,
        "visits": explanation.visits_page(run, code, visit_filter, request.GET.get("page") or 1),
    }
    if request.headers.get("HX-Request"):
        return render(request, "assiduity/physician/_visits.html", context)
    name = explanation.physician_name(run, code)
    return render(request, "assiduity/physician/visits.html", {**context, "name": name})


@login_required
def physician_visits_export(request: HttpRequest, pk: int, code: str, fmt: str) -> HttpResponse:
    """The physician's visits kept by the list's filter, as CSV or XLSX."""
    run, code = _checked(request, pk, code)
    if fmt not in EXPORT_TYPES:
        raise Http404
    headers, rows = explanation.visits_export(run, code, explanation.VisitFilter.of(request.GET))
    content = exports.table_file({_("Visits"): (headers, rows)}, fmt)
    services.do_record_assiduity_export(
        run, "visits", fmt, acting_user=request.user, physician_code=code
    )
    return exports.download(
        content, EXPORT_TYPES[fmt], f"visites-assiduite-{code}-{run.year}-{run.pk}.{fmt}"
    )
