"""The paritary committee's list of a computation (EP 40, 15.04): the physicians under the
target by less than 3 points, with what lowered their rate, as a page and a file.

===========  ===========================================  ================================
page         who                                          refused
===========  ===========================================  ================================
list         DRMG (the region's physicians, and for a     GMF manager, physician, other
             member of a GMF with a post vacant past      roles 403; another region's
             its deadline in the year, the notice         computation 404
             proposed), CML (their RLS's)
export       the same (CSV, XLSX)                         the same; a computation not done
                                                          or another format 404
===========  ===========================================  ================================
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from web.accounts import access
from web.assiduity import figures, services
from web.assiduity.models import AssiduityRunStatus
from web.assiduity.views.runs import EXPORT_TYPES, run_tabs
from web.attribution import exports
from web.comanagement import queries


@login_required
def committee_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee's list of a computation for the physicians the user reads."""
    run = access.access_committee_run(request.user, pk)  # 403 for a GMF manager, a physician
    context: dict[str, Any] = {
        "run": run,
        "rows": None,
        "tabs": [],
        "can_record": access.can_record_drmg_notice(request.user),
    }
    if run.status == AssiduityRunStatus.DONE:
        scope = access.assiduity_scope(request.user)
        rows = figures.committee_rows(run, scope)
        if context["can_record"]:
            # EP 40, 15.01 B: a member of a GMF whose post the CISSS/CIUSSS left vacant
            # past its hiring deadline that year; the DRMG is proposed the notice.
            vacant = queries.vacant_posts_by_gmf(run.region, run.year)
            for row in rows:
                row["vacant_posts"] = vacant.get(row["gmf_code"], [])
        context.update(
            rows=rows,
            tabs=run_tabs(request.user, run, "committee"),
            notice_changes=figures.notice_changes(run, scope),
            can_compute=access.can_compute_assiduity(request.user),
        )
    return render(request, "assiduity/committee/list.html", context)


@login_required
def committee_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The committee's list as CSV or XLSX (a French interface: the CSV of French Excel)."""
    run = access.access_committee_run(request.user, pk)
    if fmt not in EXPORT_TYPES or run.status != AssiduityRunStatus.DONE:
        raise Http404
    rows = figures.committee_rows(run, access.assiduity_scope(request.user))
    content = exports.table_file({_("Paritary committee"): figures.committee_export(rows)}, fmt)
    services.do_record_assiduity_export(run, "committee", fmt, acting_user=request.user)
    return exports.download(
        content, EXPORT_TYPES[fmt], f"comite-paritaire-{run.year}-{run.pk}.{fmt}"
    )
