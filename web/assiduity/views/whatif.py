"""A what-if on one physician's rate of a computation: the form, and (with its
parameters, GET or POST) the rate, tier and share of the supplements paid before and
after. Nothing is written: the what-if reads the versions the computation read
(:mod:`web.assiduity.whatifs`). Readers: those of the physician's page (the physician
themself, their RLS's CML, the DRMG, their GMF's manager), through
``access.access_assiduity_run`` and ``access.access_assiduity_physician``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from web.accounts import access
from web.assiduity import figures, whatifs
from web.assiduity.forms import WhatIfForm
from web.assiduity.models import AssiduityRunStatus


@login_required
@require_http_methods(["GET", "POST"])
def physician_whatif(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """The what-if form of physician ``code`` in computation ``pk``; submitted (any of its
    fields in the query or the body), the rate before and after. 404 for a computation
    not finished or a physician it has no rate for."""
    run = access.access_assiduity_run(request.user, pk)
    code = access.access_assiduity_physician(request.user, run, code)
    if run.status != AssiduityRunStatus.DONE:
        raise Http404
    stored = figures.rate_row(run, code)
    if stored is None:
        raise Http404
    choices = whatifs.whatif_choices(run, code)
    data = request.POST if request.method == "POST" else request.GET
    submitted = any(name in data for name in WhatIfForm.base_fields)
    form = WhatIfForm(
        data if submitted else None,
        year=run.year,
        gmfs=choices.gmfs,
        joiners=choices.joiners,
        ips=choices.ips,
    )
    context: dict[str, Any] = {
        "run": run,
        "code": code,
        "name": choices.physician[1],
        "stored": stored,
        "stored_tier": figures.tier_label(stored["tier"]),
        "stored_payment": None if stored["payment_pct"] is None else stored["payment_pct"] / 100,
        "form": form,
        "outcome": None,
        "asked": {},
    }
    if submitted and form.is_valid():
        cleaned = form.cleaned_data
        scenario = whatifs.Scenario(
            gmf=cleaned["gmf"] or "",
            joiner=cleaned["joiner"] or code,
            gmf_start=cleaned["gmf_start"],
            ips=cleaned["ips"] or "",
            ips_start=cleaned["ips_start"],
            er_share=cleaned["er_share"],
        )
        outcome = whatifs.physician_whatif(run, code, scenario)
        context["outcome"] = outcome
        context["sentences"] = whatifs.outcome_sentences(outcome, run.year)
        context["asked"] = _asked(scenario, choices, code, run.year)
    return render(request, "assiduity/whatif/physician.html", context)


def _asked(
    scenario: whatifs.Scenario, choices: whatifs.Choices, code: str, year: int
) -> dict[str, Any]:
    """The changes asked, named for the page (names of the choices, days)."""
    first = datetime.date(year, 1, 1)
    asked: dict[str, Any] = {}
    if scenario.gmf:
        asked["gmf"] = {
            "gmf": choices.names.get(scenario.gmf, scenario.gmf),
            "joiner": choices.names.get(scenario.joiner, scenario.joiner),
            "self": scenario.joiner == code,
            "start": scenario.gmf_start or first,
        }
    if scenario.ips:
        asked["ips"] = {
            "ips": choices.names.get(scenario.ips, scenario.ips),
            "start": scenario.ips_start or first,
        }
    if scenario.er_share is not None:
        asked["er_share"] = scenario.er_share
    return asked
