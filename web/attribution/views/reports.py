"""The follow-up of a run and the quarterly tables.

==========  =========================================  ===================================
page        who                                        refused
==========  =========================================  ===================================
followup    DRMG, CML of the run's RLS                 other roles 403, other RLS 404
  export    the same (CSV, XLSX; recorded)             the same
quarterly   DRMG (region or any RLS), CML (their RLS)  other roles 403, another RLS 404
==========  =========================================  ===================================

Both show counts only: no patient's identity.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts import access
from web.accounts.access import Purpose
from web.attribution import charts, exports, figures, followup, quarterly, services

FORMATS = ("html", "csv", "xlsx", "pdf")


@login_required
def followup_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's follow-up: registrations against each physician's pace, the RLS's list."""
    run = access.access_run(request.user, pk)
    context: dict[str, Any] = {"run": run, "behind_percent": round(followup.BEHIND_RATIO * 100)}
    if run.status in followup.FOLLOWED_STATUSES:
        report = followup.follow_up(run)
        # The territory's monthly pace and each RLS's: the figures of the run's page and
        # of the general letter (one function, one value).
        pace = figures.run_monthly_pace(run)
        pace_text = figures.monthly_pace_text(pace)
        summary = run.summary or {}
        context.update(
            {
                "report": report,
                "territory": run.rls.name if run.rls is not None else run.region.name,
                "territory_pace": pace_text,
                "rls_rows": [
                    {
                        "row": row,
                        "pace": figures.monthly_pace_text(
                            figures.territory_monthly_pace(summary, row.code)
                        ),
                    }
                    for row in report.rls
                ],
                "chart": charts.followup_chart(report, pace, pace_text),
            }
        )
    return render(request, "attribution/reports/followup.html", context)


_EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def followup_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A run's follow-up as CSV (the physicians' table) or XLSX (the physicians' and the
    RLS's tables); recorded (EXPORTED). Counts only: no patient."""
    run = access.access_run(request.user, pk)
    if fmt not in _EXPORT_TYPES or run.status not in followup.FOLLOWED_STATUSES:
        raise Http404
    tables = figures.followup_export(followup.follow_up(run))
    content = exports.table_file(
        {
            _("Physicians"): tables["physicians"],
            _("RLS"): tables["rls"],
        },
        fmt,
    )
    services.do_record_export(run, "followup", fmt, acting_user=request.user)
    return exports.download(content, _EXPORT_TYPES[fmt], f"suivi-{run.pk}.{fmt}")


@login_required
def quarterly_view(request: HttpRequest) -> HttpResponse:
    """The quarterly tables of the region (DRMG) or of an RLS, as a page, CSV, XLSX or PDF."""
    region = access.access_region(request.user, Purpose.ATTRIBUTION)
    fmt = request.GET.get("format", "html")
    if fmt not in FORMATS:
        raise Http404
    code = request.GET.get("rls", "")
    if code:
        codes: list[str] | None = [access.access_rls(request.user, code, Purpose.ATTRIBUTION).code]
    else:
        # The whole region for the DRMG (an empty list), a CML's RLS (403 without any).
        codes = access.scope_codes(request.user) or None
    report = quarterly.quarterly(region, codes, today=timezone.localdate())
    stem = f"tableaux-trimestriels-{report.quarter.isoformat()}" + (f"-{code}" if code else "")

    if fmt == "csv":
        table_name = request.GET.get("table", "")
        if table_name:
            if table_name not in report.tables:
                raise Http404
            return _download(
                quarterly.to_csv(report.tables[table_name]),
                "text/csv; charset=utf-8",
                f"{stem}-{table_name}.csv",
            )
        return _download(quarterly.to_csv_zip(report), "application/zip", f"{stem}.zip")
    if fmt == "xlsx":
        return _download(
            quarterly.to_xlsx(report),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{stem}.xlsx",
        )
    context = {
        "report": report,
        "rls_code": code,
        "rls_choices": list(access.visible_rls(request.user, Purpose.ATTRIBUTION).order_by("name")),
        "can_see_region": access.can_work_on_region(request.user),
        "tables": list(report.tables.values()),
        "strata_totals": quarterly.strata_totals(report),
    }
    if fmt == "pdf":
        import weasyprint

        html = render_to_string(
            "attribution/reports/quarterly_pdf.html",
            {**context, "charts": quarterly.svg_charts(report), "today": timezone.localdate()},
            request=request,
        )
        return _download(
            weasyprint.HTML(string=html, base_url=None).write_pdf(),
            "application/pdf",
            f"{stem}.pdf",
        )
    context["charts"] = {
        name: charts.localised(spec) for name, spec in quarterly.vega_charts(report).items()
    }
    return render(request, "attribution/reports/quarterly.html", context)


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
