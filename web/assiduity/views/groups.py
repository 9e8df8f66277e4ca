"""The assiduity seen by group: the GMFs' own rates in a computation, the distribution of
the physicians' rates per RLS, and the trends across years. Thin views: the reader's scope
first (``web.accounts.access``: 403 for a role the page is not for), then the computation
(404 outside the region), then what :mod:`web.assiduity.groups` reads.

* the GMFs: the DRMG every GMF, a CML their RLS's, a GMF manager their own (with its
  members' rows); a physician 403;
* the distribution and the trends: the DRMG every RLS and the whole region, a CML their
  RLS; the other roles 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from web.accounts import access
from web.assiduity import charts, groups
from web.assiduity.figures import TIERS
from web.assiduity.models import AssiduityRunStatus
from web.assiduity.views.runs import run_tabs


def _tier_labels(tiers: tuple[str, ...]) -> list[str]:
    return [str(TIERS[tier]) for tier in tiers]


@login_required
def run_gmfs(request: HttpRequest, pk: int) -> HttpResponse:
    """The GMFs of the reader with their own rate in computation ``pk`` (members,
    registered patients, counted and assiduous visits), and the members' rates."""
    gmf_scope = access.assiduity_gmf_scope(request.user)  # 403 for a physician
    scope = access.assiduity_scope(request.user)
    run = access.access_assiduity_run(request.user, pk)  # 404 outside the region
    done = run.status == AssiduityRunStatus.DONE
    gmfs = groups.gmf_table(run, gmf_scope, scope) if done else None
    reads_rls = _reads_rls(request)
    context: dict[str, Any] = {
        "run": run,
        "done": done,
        "gmfs": gmfs,
        # One GMF shown: its members open, not folded; the GMF manager's own.
        "one_gmf": gmfs is not None and len(gmfs) == 1,
        "own_gmf": not reads_rls,
        "reads_rls": reads_rls,
        "tabs": run_tabs(request.user, run, "gmfs") if done else [],
    }
    return render(request, "assiduity/groups/gmfs.html", context)


@login_required
def run_distribution(request: HttpRequest, pk: int) -> HttpResponse:
    """The distribution of the physicians' rates of computation ``pk`` per RLS of the
    reader: a chart and the count per tier."""
    rls_scope = access.assiduity_rls_scope(request.user)  # 403 but for the DRMG and a CML
    scope = access.assiduity_scope(request.user)
    run = access.access_assiduity_run(request.user, pk)
    done = run.status == AssiduityRunStatus.DONE
    context: dict[str, Any] = {
        "run": run,
        "done": done,
        "tier_labels": _tier_labels(groups.ALL_TIERS),
        "tabs": run_tabs(request.user, run, "distribution") if done else [],
    }
    if done:
        spread = groups.distribution(run, rls_scope, scope)
        context["spread"] = spread
        context["chart"] = charts.distribution_chart(
            spread.points,
            [figures.name for figures in spread.rls if figures.rated],
            _tier_labels(groups.RATED_TIERS),
            spread.target,
        )
    return render(request, "assiduity/groups/distribution.html", context)


@login_required
def trends(request: HttpRequest) -> HttpResponse:
    """The region's rates across years, per RLS of the reader (and the whole region for
    the DRMG): median, share per tier, committee's list; the latest finished computation
    of each year."""
    rls_scope = access.assiduity_rls_scope(request.user)  # 403 but for the DRMG and a CML
    region = access.access_region(request.user, access.Purpose.ASSIDUITY)
    found = groups.trends(region, rls_scope, access.assiduity_scope(request.user))
    chart = None
    if len(found.years) > 1:
        chart = charts.trends_chart(
            [
                {"year": row["year"], "group": row["figures"].name, "median": row["figures"].median}
                for row in found.rows
            ],
            [
                {"year": year["year"], "target": year["target"]}
                for year in found.years
                if year["target"] is not None
            ],
        )
    context = {
        "region": region,
        "trends": found,
        "chart": chart,
        "tier_labels": _tier_labels(groups.RATED_TIERS),
    }
    return render(request, "assiduity/groups/trends.html", context)


def _reads_rls(request: HttpRequest) -> bool:
    """Whether the reader also reads the distribution and the trends (the links)."""
    try:
        access.assiduity_rls_scope(request.user)
    except PermissionDenied:
        return False
    return True
