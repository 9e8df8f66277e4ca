"""The QI groups' pages (docs/quality-plan.md §5): forming a group, its page, inviting a
peer, answering or withdrawing an invitation, a coach taking a group up.

===================  ======================================  ============================
page                 who                                     refused
===================  ======================================  ============================
group_new            a physician (the service refuses one    other sides: 403
                     without a selection in force)
group_detail         its members and coach (members,          a group the user does not
                     invitations, each member's activities   see: 404 (another region's,
                     done of four); an invitee (members'     a physician's not theirs)
                     names, the answer); the DRMG and a
                     coach not following it (its name and
                     size; a coach takes it up)
invite               a member (POST)                         not a member: 403
invitation_answer    the invitee (POST)                      another user who sees the
                                                             group: 403
invitation_withdraw  a member (POST)                         not a member: 403
group_follow         a coach of the region, the group        a member, the DRMG, a
                     without a coach (POST)                  coach once it has one: 403
===================  ======================================  ============================

The writes are :mod:`web.quality.services.groups`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from panelcare.quality import groups as core
from web.accounts import access
from web.quality import progress
from web.quality.errors import GroupRefused
from web.quality.forms.groups import AnswerForm, GroupForm, InviteForm
from web.quality.messages import basis_label
from web.quality.models import (
    Activity,
    ActivityKind,
    Group,
    InvitationStatus,
    Plan,
    PlanStatus,
)
from web.quality.services import groups as services
from web.quality.services.selection import open_selection


@login_required
def group_new(request: HttpRequest) -> HttpResponse:
    """A selected physician forms a group, its first member."""
    physician = access.quality_physician(request.user)  # 403 but for a physician
    form = GroupForm(request.POST or None, region=physician.rls.region)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = services.do_create_group(
                physician,
                data["name"],
                data["bases"],
                gmf=data["gmf"],
                rls=data["rls"],
                on=timezone.localdate(),
                acting_user=request.user,
            )
        except GroupRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Group formed: invite your peers."))
            return redirect("quality:group-detail", group.pk)
    context = {"form": form, "selected": open_selection(physician) is not None}
    return render(request, "quality/groups/new.html", context)


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The group: its members and their progress for those who follow it, the invitee's
    answer, the name and size for the others."""
    group = access.access_group(request.user, pk)  # 404 outside the user's groups
    user = request.user
    member = access.is_group_member(user, group)
    coach = group.coach_id is not None and group.coach_id == user.pk
    follows = member or coach
    today = timezone.localdate()
    state = progress.group_progress(group, today)
    own_invitation = None
    if not follows and access.quality_side(user) == "physician":
        own_invitation = group.invitations.filter(
            physician=access.quality_physician(user), status=InvitationStatus.PENDING
        ).first()
    context: dict[str, object] = {
        "group": group,
        "bases": [basis_label(code) for code in group.bases],
        "progress": state,
        "follows": follows,
        "member": member,
        "own_invitation": own_invitation,
        "may_follow": access.can_follow_group(user, group),
        "activities_total": progress.ACTIVITIES_TOTAL,
    }
    if follows:
        context.update(_followed_context(request, group, state, member))
    return render(request, "quality/groups/detail.html", context)


def _followed_context(
    request: HttpRequest, group: Group, state: progress.GroupProgress, member: bool
) -> dict[str, object]:
    """What a member or the group's coach reads: invitations, shared activities, and for
    a member their own activities and the invitation form."""
    pending = group.invitations.filter(status=InvitationStatus.PENDING).select_related("physician")
    # The answers of an activity are read on its page, only when its physician shares it
    # (access.access_activity); here, only the link.
    shared: dict[int, list[Activity]] = {}
    for activity in group.activities.filter(shared=True).order_by("kind"):
        shared.setdefault(activity.physician_id, []).append(activity)
    context: dict[str, object] = {
        "pending": pending,
        "members": [
            {"progress": row, "shared": shared.get(row.physician.pk, [])} for row in state.members
        ],
    }
    if member:
        physician = access.quality_physician(request.user)
        done = set(
            group.activities.filter(physician=physician, completed_on__isnull=False).values_list(
                "kind", flat=True
            )
        )
        seats_left = core.MAX_MEMBERS - core.seats_taken(services.core_group(group))
        # Nobody joins once the plan is submitted or accepted (services.groups).
        closed = Plan.objects.filter(
            group=group, status__in=[PlanStatus.SUBMITTED, PlanStatus.ACCEPTED]
        ).exists()
        context.update(
            {
                "own_activities": [
                    {"kind": kind, "label": label, "done": kind in done}
                    for kind, label in ActivityKind.choices
                ],
                "seats_left": seats_left,
                "closed": closed,
                "invite_form": InviteForm(
                    physicians=access.invitable_physicians(request.user, group)
                )
                if seats_left and not closed
                else None,
            }
        )
    return context


@login_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    """A member invites a peer of the region."""
    group = access.access_group(request.user, pk, write="member")  # 403 but for a member
    form = InviteForm(request.POST, physicians=access.invitable_physicians(request.user, group))
    if not form.is_valid():
        messages.error(request, _("Choose a physician of the region not yet invited."))
        return redirect("quality:group-detail", group.pk)
    physician = form.cleaned_data["physician"]
    try:
        services.do_invite(group, physician, on=timezone.localdate(), acting_user=request.user)
    except GroupRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s is invited.") % {"name": physician.name})
    return redirect("quality:group-detail", group.pk)


@login_required
@require_POST
def invitation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The invitee accepts or declines."""
    invitation = access.access_invitation(request.user, pk, write="answer")  # the invitee
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Accept or decline the invitation."))
        return redirect("quality:home")
    try:
        services.do_answer_invitation(
            invitation, form.accepted, on=timezone.localdate(), acting_user=request.user
        )
    except GroupRefused as error:
        messages.error(request, str(error))
        return redirect("quality:home")
    if form.accepted:
        messages.success(
            request, _("You are a member of %(group)s.") % {"group": invitation.group.name}
        )
        return redirect("quality:group-detail", invitation.group_id)
    messages.success(
        request,
        _("You declined the invitation to %(group)s.") % {"group": invitation.group.name},
    )
    return redirect("quality:home")


@login_required
@require_POST
def invitation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """A member withdraws a pending invitation."""
    invitation = access.access_invitation(request.user, pk, write="withdraw")  # a member
    try:
        services.do_withdraw_invitation(invitation, acting_user=request.user)
    except GroupRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The invitation of %(name)s is withdrawn.") % {"name": invitation.physician.name},
        )
    return redirect("quality:group-detail", invitation.group_id)


@login_required
@require_POST
def group_follow(request: HttpRequest, pk: int) -> HttpResponse:
    """A coach of the region takes up a group no coach follows."""
    group = access.access_group(request.user, pk)  # 404 outside the user's groups
    if not access.can_follow_group(request.user, group):
        raise PermissionDenied
    try:
        services.do_follow_group(group, acting_user=request.user)
    except GroupRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You follow %(group)s.") % {"group": group.name})
    return redirect("quality:group-detail", group.pk)
