"""QI groups services: a group, its invitations and its coach (docs/quality-plan.md,
section 2; the rules: :mod:`panelcare.quality.groups`).

The founder is a member without an invitation (:class:`~web.quality.models.Invitation`);
the peers are members once they accept. The core decides from the group as stored: its
founder and its invitations, a withdrawn invitation read as a declined one (its seat is
free and the peer may be invited again). Each write locks the group's row first, so that
two invitations or answers at once are decided one after the other on what the first
wrote: the 7 seats are never overtaken.

Sides are never checked here: the views ask :mod:`web.accounts.access` first.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, Literal

from django.db import transaction
from django.utils.translation import gettext as _

from panelcare.quality import groups as core
from panelcare.quality.errors import GroupRuleError
from web.audit.services import record
from web.quality import messages
from web.quality.errors import GroupRefused
from web.quality.models import (
    Group,
    Invitation,
    InvitationStatus,
    Plan,
    PlanStatus,
    QualityAction,
)
from web.quality.services.selection import open_selection
from web.regions.models import Gmf, Physician, Rls

__all__ = [
    "core_group",
    "do_answer_invitation",
    "do_create_group",
    "do_follow_group",
    "do_invite",
    "do_withdraw_invitation",
]

# The core knows pending, accepted and declined; a withdrawn invitation frees its seat and
# may be sent again, as a declined one does.
_CORE_STATUS: dict[str, Literal["pending", "accepted", "declined"]] = {
    "pending": "pending",
    "accepted": "accepted",
    "declined": "declined",
    "withdrawn": "declined",
}


def core_group(group: Group) -> core.Group:
    """``group`` as stored, as the core's group (physicians named by their pk)."""
    invitations = tuple(
        core.Invitation(str(invitation.physician_id), _CORE_STATUS[invitation.status])
        for invitation in group.invitations.order_by("sent_on", "pk")
    )
    return core.Group(
        founder_id=str(group.founder_id), bases=frozenset(group.bases), invitations=invitations
    )


def _refused(error: GroupRuleError, *physicians: Physician) -> GroupRefused:
    names = {str(physician.pk): physician.name for physician in physicians}
    return GroupRefused(messages.refusal(error, names=names))


def _lock(group: Group) -> Group:
    """``group`` re-read under a lock, for the rest of the caller's transaction."""
    return Group.objects.select_for_update().get(pk=group.pk)


def do_create_group(
    founder: Physician,
    name: str,
    bases: Iterable[str],
    *,
    gmf: Gmf | None = None,
    rls: Rls | None = None,
    on: datetime.date,
    acting_user: Any,
) -> Group:
    """Create the group ``name`` formed by ``founder`` on ``on``, its first member.

    Args:
        bases: the composition bases (codes of :data:`panelcare.quality.groups.BASES`).
        gmf: the health team, with the basis ``health_team_gmf`` (and only with it).
        rls: the health team, with the basis ``health_team_rls`` (and only with it).

    Records GROUP_CREATED in the same transaction.

    Raises:
        GroupRefused: a founder without a selection in force (``founder_not_selected``),
            no basis or an unknown one, a health team missing, not of the founder's
            region or given without its basis; an empty name.
    """
    name = name.strip()
    if not name:
        raise GroupRefused(_("Give the group a name."))
    bases = sorted(set(bases))
    # Whole sentences per team: French gives a GMF and an RLS different genders.
    if "health_team_gmf" in bases and gmf is None:
        raise GroupRefused(_("Choose the GMF in which the group collaborates."))
    if "health_team_rls" in bases and rls is None:
        raise GroupRefused(_("Choose the RLS in which the group collaborates."))
    if gmf is not None and "health_team_gmf" not in bases:
        raise GroupRefused(_("A GMF is recorded only for a group formed within a GMF."))
    if rls is not None and "health_team_rls" not in bases:
        raise GroupRefused(_("An RLS is recorded only for a group formed within an RLS."))
    region_id = founder.rls.region_id
    if gmf is not None and gmf.rls.region_id != region_id:
        raise GroupRefused(_("This GMF is not in the region."))
    if rls is not None and rls.region_id != region_id:
        raise GroupRefused(_("This RLS is not in the region."))
    with transaction.atomic():
        selected = open_selection(founder) is not None
        try:
            core.start_group(str(founder.pk), selected=selected, bases=bases)
        except GroupRuleError as error:
            raise _refused(error, founder) from error
        group = Group.objects.create(
            region_id=region_id,
            name=name,
            founder=founder,
            bases=bases,
            gmf=gmf,
            rls=rls,
            created_on=on,
            created_by=acting_user,
        )
        record(
            QualityAction.GROUP_CREATED,
            region=group.region,
            acting_user=acting_user,
            subject=group,
            name=name,
            founder=founder.code,
            bases=bases,
            gmf=gmf.code if gmf is not None else "",
            rls=rls.code if rls is not None else "",
        )
    return group


def _refuse_if_plan_under_review(group: Group) -> None:
    """Nobody joins a group whose plan is submitted or accepted: its members are the ones
    who completed the activities the submission checked, and acceptance completes each
    member's requirement."""
    if Plan.objects.filter(
        group=group, status__in=[PlanStatus.SUBMITTED, PlanStatus.ACCEPTED]
    ).exists():
        raise GroupRefused(
            _("The group's plan is submitted or accepted: nobody joins the group any more.")
        )


def do_invite(
    group: Group, physician: Physician, *, on: datetime.date, acting_user: Any
) -> Invitation:
    """Invite ``physician`` to ``group`` on ``on``; a peer who declined (or whose
    invitation was withdrawn) is invited again on the same record.

    Records PHYSICIAN_INVITED in the same transaction.

    Raises:
        GroupRefused: a physician of another region; the founder; a peer already invited
            (pending) or a member (``already_invited``); a group whose members and
            pending invitations already fill its 7 seats (``group_full``); a group whose
            plan is submitted or accepted.
    """
    if physician.rls.region_id != group.region_id:
        raise GroupRefused(
            _("%(name)s does not practise in the group's region.") % {"name": physician.name}
        )
    with transaction.atomic():
        group = _lock(group)
        _refuse_if_plan_under_review(group)
        try:
            core.invite(core_group(group), str(physician.pk))
        except GroupRuleError as error:
            raise _refused(error, physician) from error
        invitation = Invitation.objects.filter(group=group, physician=physician).first()
        again = invitation is not None
        if invitation is None:
            invitation = Invitation.objects.create(
                group=group, physician=physician, sent_on=on, sent_by=acting_user
            )
        else:
            invitation.status = InvitationStatus.PENDING
            invitation.sent_on = on
            invitation.sent_by = acting_user
            invitation.answered_on = None
            invitation.save(update_fields=["status", "sent_on", "sent_by", "answered_on"])
        record(
            QualityAction.PHYSICIAN_INVITED,
            region=group.region,
            acting_user=acting_user,
            subject=invitation,
            group=group.pk,
            physician=physician.code,
            sent_on=on.isoformat(),
            again=again,
        )
    return invitation


def do_answer_invitation(
    invitation: Invitation, accept: bool, *, on: datetime.date, acting_user: Any
) -> Invitation:
    """The invitee accepts (a member from now on) or declines ``invitation`` on ``on``.

    Records INVITATION_ANSWERED in the same transaction.

    Raises:
        GroupRefused: the invitation is no longer pending (``no_pending_invitation``:
            answered, or withdrawn in the meantime); ``group_full``; an acceptance once
            the group's plan is submitted or accepted.
    """
    with transaction.atomic():
        group = _lock(invitation.group)
        invitation.refresh_from_db(from_queryset=Invitation.objects.select_for_update())
        if accept:
            _refuse_if_plan_under_review(group)
        try:
            core.respond(core_group(group), str(invitation.physician_id), accept=accept)
        except GroupRuleError as error:
            raise _refused(error, invitation.physician) from error
        invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
        invitation.answered_on = on
        invitation.save(update_fields=["status", "answered_on"])
        record(
            QualityAction.INVITATION_ANSWERED,
            region=group.region,
            acting_user=acting_user,
            subject=invitation,
            group=group.pk,
            physician=invitation.physician.code,
            status=invitation.status,
            answered_on=on.isoformat(),
        )
    return invitation


def do_withdraw_invitation(invitation: Invitation, *, acting_user: Any) -> Invitation:
    """A member withdraws the pending ``invitation``: its seat is free, and the peer may
    be invited again.

    Records INVITATION_WITHDRAWN in the same transaction.

    Raises:
        GroupRefused: the invitation is no longer pending.
    """
    with transaction.atomic():
        group = _lock(invitation.group)
        invitation.refresh_from_db(from_queryset=Invitation.objects.select_for_update())
        if invitation.status != InvitationStatus.PENDING:
            raise GroupRefused(
                _(
                    "Only a pending invitation can be withdrawn; the invitation of %(name)s is %(status)s."
                )
                % {
                    "name": invitation.physician.name,
                    "status": str(invitation.get_status_display()).lower(),
                }
            )
        invitation.status = InvitationStatus.WITHDRAWN
        invitation.save(update_fields=["status"])
        record(
            QualityAction.INVITATION_WITHDRAWN,
            region=group.region,
            acting_user=acting_user,
            subject=invitation,
            group=group.pk,
            physician=invitation.physician.code,
        )
    return invitation


def do_follow_group(group: Group, *, acting_user: Any) -> Group:
    """``acting_user``, a QI coach of the group's region, follows ``group`` from now on.

    Records GROUP_FOLLOWED in the same transaction.

    Raises:
        GroupRefused: another coach took the group up in the meantime (or this one
            already follows it).
    """
    with transaction.atomic():
        locked = _lock(group)
        if locked.coach_id is not None:
            raise GroupRefused(_("A coach already follows this group."))
        locked.coach = acting_user
        locked.save(update_fields=["coach"])
        record(
            QualityAction.GROUP_FOLLOWED,
            region=locked.region,
            acting_user=acting_user,
            subject=locked,
            coach=acting_user.get_username(),
        )
    return locked
