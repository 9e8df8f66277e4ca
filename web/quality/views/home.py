"""The home of the quality-improvement groups, by side (docs/quality-plan.md §5).

=========  ==============================================  ==========================
page       who                                              refused
=========  ==============================================  ==========================
home       a physician: their cycle (status, due date),     other roles, a physician
           their groups, their pending invitations (accept  user without a physician
           or decline), "form a group" once selected; a     record: 403
           coach: the dashboard and the selection; the
           DRMG: the counts and the selection
=========  ==============================================  ==========================
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from panelcare.quality import cycle
from web.accounts import access
from web.quality import messages, progress
from web.quality.models import Completion, Invitation, InvitationStatus, Selection
from web.quality.services.selection import cycle_name, open_selection, requirement_record


@login_required
def home(request: HttpRequest) -> HttpResponse:
    side = access.quality_side(request.user)  # 403 outside the physicians, coaches, DRMG
    context: dict[str, object] = {"side": side}
    if side == "physician":
        context.update(_physician_context(request))
    return render(request, "quality/home/home.html", context)


def _physician_context(request: HttpRequest) -> dict[str, object]:
    physician = access.quality_physician(request.user)
    today = timezone.localdate()
    groups = access.visible_groups(request.user)
    invitations = (
        Invitation.objects.filter(
            group__in=groups, physician=physician, status=InvitationStatus.PENDING
        )
        .select_related("group__founder")
        .order_by("sent_on", "pk")
    )
    # The groups the physician sees are theirs or those they are invited to.
    member_groups = groups.exclude(pk__in=[invitation.group_id for invitation in invitations])
    rows = []
    for row in progress.groups_progress(member_groups.order_by("name"), today):
        own = next(member for member in row.members if member.physician.pk == physician.pk)
        rows.append({"progress": row, "own": own})
    latest = Selection.objects.filter(physician=physician).order_by("-cycle").first()
    completion = Completion.objects.filter(physician=physician).order_by("-accepted_on").first()
    status = "not_selected"
    due = None
    record = requirement_record(physician.pk, latest, completion)
    if record is not None:
        status = cycle.status(record, on=today)
        due = record.due
    return {
        "physician": physician,
        "selection": latest,
        "cycle_label": cycle_name(latest.cycle) if latest is not None else "",
        "status": status,
        "status_label": messages.status_label(status),
        "due": due,
        "may_form_group": open_selection(physician) is not None,
        "groups": rows,
        "invitations": invitations,
    }
