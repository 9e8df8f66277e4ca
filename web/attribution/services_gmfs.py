"""The writes of a GMF's attribution target (issue 19): the GMF proposes, the CML of its
RLS decides; each records its entry of the audit trail in the same transaction.

    target = do_propose_gmf_target(gmf, 300, "Two new members", acting_user=manager)
    do_decide_gmf_target(target, "agree", acting_user=cml)
    do_decide_gmf_target(target, "change", value=250, comment="...", acting_user=cml)
    do_decide_gmf_target(target, "refuse", comment="...", acting_user=cml)

The caller has checked the user's access to the GMF or the proposal
(``web.accounts.access.access_attribution_gmf``, ``access_gmf_target``).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts.access import User
from web.attribution.errors import AttributionError
from web.attribution.models import AttributionAction, GmfTarget, GmfTargetStatus
from web.audit.services import record
from web.regions.models import Gmf

__all__ = ["DECISIONS", "GmfTargetRefused", "do_decide_gmf_target", "do_propose_gmf_target"]

# What the CML may decide on a proposal, and the status each leaves it in.
DECISIONS = {
    "agree": GmfTargetStatus.AGREED,
    "change": GmfTargetStatus.CHANGED,
    "refuse": GmfTargetStatus.REFUSED,
}


class GmfTargetRefused(AttributionError):
    """A GMF target's proposal or decision that the rules refuse (decided already, a
    change or a refusal without a comment, a changed target without a number)."""


def do_propose_gmf_target(
    gmf: Gmf,
    proposed: int,
    justification: str = "",
    *,
    acting_user: User,
    today: datetime.date | None = None,
) -> GmfTarget:
    """Record ``gmf``'s proposed attribution target (patients its members together
    receive), waiting for the CML's decision; the target in force does not change until
    then."""
    if proposed < 0:
        raise GmfTargetRefused(_("A target is a number of patients, 0 or more."))
    with transaction.atomic():
        # One proposal waits at a time: the target in force is the latest decided, and
        # two decided on one day would leave it to the order of their ids.
        Gmf.objects.select_for_update().filter(pk=gmf.pk).first()
        if GmfTarget.objects.filter(gmf=gmf, status=GmfTargetStatus.PROPOSED).exists():
            raise GmfTargetRefused(
                _(
                    "A proposal of this GMF waits for the CML's decision: propose again once it is decided."
                )
            )
        target = GmfTarget.objects.create(
            region=gmf.rls.region,
            gmf=gmf,
            proposed=proposed,
            justification=justification.strip(),
            proposed_by=acting_user,
            proposed_on=today or timezone.localdate(),
        )
        record(
            AttributionAction.GMF_TARGET_PROPOSED,
            region=gmf.rls.region,
            acting_user=acting_user,
            subject=target,
            rls_code=gmf.rls.code,
            gmf=gmf.code,
            proposed=proposed,
        )
    return target


def do_decide_gmf_target(
    target: GmfTarget,
    decision: str,
    *,
    value: int | None = None,
    comment: str = "",
    acting_user: User,
    today: datetime.date | None = None,
) -> GmfTarget:
    """Decide a proposal still waiting: ``"agree"`` (the target is the proposal),
    ``"change"`` (the target is ``value``, with a ``comment``) or ``"refuse"`` (with a
    ``comment``; the previous target stays in force).

    Raises:
        GmfTargetRefused: the proposal is decided already, a change without a number or a
            comment, a refusal without a comment.
        ValueError: an unknown ``decision`` (the form offers the three only).
    """
    if decision not in DECISIONS:
        raise ValueError(f"unknown GMF target decision {decision!r}")
    comment = comment.strip()
    if decision == "change" and (value is None or value < 0):
        raise GmfTargetRefused(_("Give the target the CML sets, a number of patients."))
    if decision in ("change", "refuse") and not comment:
        raise GmfTargetRefused(_("Say why in a comment: the GMF reads it."))
    with transaction.atomic():
        locked = (
            GmfTarget.objects.select_for_update(of=("self",))
            .select_related("gmf__rls")
            .get(pk=target.pk)
        )
        if locked.status != GmfTargetStatus.PROPOSED:
            raise GmfTargetRefused(_("This proposal was decided already."))
        locked.status = DECISIONS[decision]
        locked.value = {"agree": locked.proposed, "change": value, "refuse": None}[decision]
        locked.comment = comment
        locked.decided_by = acting_user
        locked.decided_on = today or timezone.localdate()
        locked.save(update_fields=["status", "value", "comment", "decided_by", "decided_on"])
        record(
            AttributionAction.GMF_TARGET_DECIDED,
            region=locked.region,
            acting_user=acting_user,
            subject=locked,
            rls_code=locked.gmf.rls.code,
            gmf=locked.gmf.code,
            decision=decision,
            proposed=locked.proposed,
            value=locked.value,
        )
    return locked
