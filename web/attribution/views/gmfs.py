"""The GMFs in the attribution (issue 19): a GMF's members, its target agreed with the CML,
its members' progress. The GMF manager reads their GMF and proposes its target, the CML
reads the GMFs of their RLS and decides, the DRMG reads the region's (access:
``web.accounts.access``, "issue 19: gmfs")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts import access
from web.accounts.access import Purpose
from web.attribution import gmfs as figures
from web.attribution import services_gmfs
from web.attribution.gmf_forms import GmfTargetDecisionForm, GmfTargetProposalForm
from web.attribution.models import AttributionMode, GmfTarget, GmfTargetStatus

MODE_LABELS = dict(AttributionMode.choices)


@login_required
def gmf_list(request: HttpRequest) -> HttpResponse:
    """The GMFs the user reads, with their target in force and the proposals waiting; a
    GMF manager goes straight to their GMF."""
    gmfs = access.visible_attribution_gmfs(request.user).order_by("rls__name", "name")
    own = access.own_attribution_gmf(request.user)
    if own is not None:
        return redirect("attribution:gmf-detail", own.code)
    today = timezone.localdate()
    rows = [
        {
            "gmf": gmf,
            "target": figures.target_in_force(gmf),
            "waiting": GmfTarget.objects.filter(gmf=gmf, status=GmfTargetStatus.PROPOSED).count(),
            "members": len(figures.members_on(gmf, today)),
        }
        for gmf in gmfs
    ]
    return render(request, "attribution/gmfs/list.html", {"rows": rows, "today": today})


@login_required
def gmf_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A GMF's members (figures, group, the CML's decision), its target in force and its
    history, its members' progress in the approved plans in force."""
    gmf = access.access_attribution_gmf(request.user, code)
    today = timezone.localdate()
    # A CML reads the members practising in their RLS only (a GMF's members may practise in
    # another RLS, whose physicians they do not see); the DRMG works on the whole region
    # (scope_codes: empty) and the GMF manager, who does not work on the attribution, reads
    # their GMF's every member.
    rls_codes = None
    if access.allows(request.user, Purpose.ATTRIBUTION):
        rls_codes = access.scope_codes(request.user) or None
    rows, missing = figures.member_rows(gmf, today, rls_codes=rls_codes)
    shown = {row.code for row in rows} | set(missing)
    elsewhere = len(set(figures.members_on(gmf, today)) - shown)
    for row in rows:
        if row.decision is not None and row.decision.mode:
            row.decision.mode_label = MODE_LABELS.get(  # type: ignore[attr-defined]
                row.decision.mode, row.decision.mode
            )
    history = GmfTarget.objects.filter(gmf=gmf).select_related("proposed_by", "decided_by")
    context = {
        "gmf": gmf,
        "today": today,
        "rows": rows,
        "missing": missing,
        "elsewhere": elsewhere,
        "target": figures.target_in_force(gmf),
        "history": history,
        "progress": figures.members_progress(gmf, [row.code for row in rows] + missing),
        "can_propose": access.can_propose_gmf_target(request.user, gmf),
        "can_decide": access.can_decide_gmf_targets(request.user),
    }
    return render(request, "attribution/gmfs/detail.html", context)


@login_required
def gmf_target_new(request: HttpRequest, code: str) -> HttpResponse:
    """The GMF manager proposes their GMF's target."""
    gmf = access.access_attribution_gmf(request.user, code, propose=True)
    form = GmfTargetProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_gmfs.do_propose_gmf_target(
                gmf,
                form.cleaned_data["proposed"],
                form.cleaned_data["justification"],
                acting_user=request.user,
            )
        except services_gmfs.GmfTargetRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Target proposed: the CML of your RLS decides it."))
            return redirect("attribution:gmf-detail", gmf.code)
    return render(
        request,
        "attribution/gmfs/target_new.html",
        {"gmf": gmf, "form": form, "target": figures.target_in_force(gmf)},
    )


@login_required
def gmf_target_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The CML of the GMF's RLS agrees with a proposal, changes it or refuses it."""
    target = access.access_gmf_target(request.user, pk, decide=True)
    form = GmfTargetDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_gmfs.do_decide_gmf_target(
                target,
                form.cleaned_data["decision"],
                value=form.cleaned_data["value"],
                comment=form.cleaned_data["comment"],
                acting_user=request.user,
            )
        except services_gmfs.GmfTargetRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Decision recorded: the GMF sees it on its page."))
            return redirect("attribution:gmf-detail", target.gmf.code)
    return render(
        request,
        "attribution/gmfs/decide.html",
        {
            "gmf": target.gmf,
            "proposal": target,
            "form": form,
            "target": figures.target_in_force(target.gmf),
            "decided": target.status != GmfTargetStatus.PROPOSED,
        },
    )
