"""The writes on the territory's records that are not imported: one ``do_*`` function each.

Registrations and waiting-list entries are projections of the imported table versions
(:mod:`web.tables.projections`: nothing else writes their rows, see ``docs/decisions.md``,
"One copy of each fact"). What the database keeps of its own is the status of a
waiting-list entry (waiting, assigned, registered, withdrawn), carried across re-imports:
per-patient workflow state of the region, written here only, one patient at a time
(:func:`do_set_waitlist_status`) or for the patients of an approved plan
(:func:`do_mark_waitlist_assigned`).

Every function takes the acting user as a keyword argument and records, in the same
transaction, an entry of the audit trail (:func:`web.audit.services.record`: who, when,
what, on which row, and why). Views call these functions; they never save these models
themselves.

The functions check the domain rules (allowed status changes) and raise a
:class:`web.regions.errors.RegionsError` subclass when one is broken. Whether the acting
user may touch the entry at all is the caller's business, through
:mod:`web.accounts.access`: the objects received are already checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from web.audit.services import record
from web.regions.errors import WaitlistStatusError
from web.regions.models import Region, RegionsAction, WaitlistEntry, WaitlistStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["ALLOWED_WAITLIST_MOVES", "do_mark_waitlist_assigned", "do_set_waitlist_status"]

# The statuses an entry may move to from each status; registered and withdrawn are final
# (a patient who comes back gets a new entry, with a new request date).
ALLOWED_WAITLIST_MOVES: dict[str, frozenset[str]] = {
    WaitlistStatus.WAITING: frozenset(
        {WaitlistStatus.ASSIGNED, WaitlistStatus.REGISTERED, WaitlistStatus.WITHDRAWN}
    ),
    WaitlistStatus.ASSIGNED: frozenset(
        {WaitlistStatus.WAITING, WaitlistStatus.REGISTERED, WaitlistStatus.WITHDRAWN}
    ),
    WaitlistStatus.REGISTERED: frozenset(),
    WaitlistStatus.WITHDRAWN: frozenset(),
}


def do_set_waitlist_status(
    entry: WaitlistEntry, status: str, *, acting_user: User, reason: str = ""
) -> WaitlistEntry:
    """Move a waiting-list entry to ``status``; who, when, the change and ``reason`` go
    into the audit trail.

    Raises:
        WaitlistStatusError: the move is not in :data:`ALLOWED_WAITLIST_MOVES`.
    """
    if status not in ALLOWED_WAITLIST_MOVES.get(entry.status, frozenset()):
        raise WaitlistStatusError(
            _("A waiting-list entry cannot go from “%(old)s” to “%(new)s”.")
            % {
                "old": WaitlistStatus(entry.status).label,
                "new": WaitlistStatus(status).label if status in WaitlistStatus else status,
            }
        )
    with transaction.atomic():
        previous, entry.status = entry.status, status
        entry.save(update_fields=["status"])
        record(
            RegionsAction.WAITLIST_STATUS,
            region=entry.rls.region,
            acting_user=acting_user,
            subject=entry,
            rls_code=entry.rls.code,
            patient_code=entry.patient_code,
            changed={"status": [previous, status]},
            reason=reason or f"status: {status}",
        )
    return entry


def do_mark_waitlist_assigned(
    region: Region, patient_codes: Iterable[str], *, acting_user: User | None, run: Any = None
) -> int:
    """Mark the waiting-list entries of ``patient_codes`` (the patients an approved plan
    gives a physician) assigned, so that the waiting counts follow the approved plan;
    only entries still waiting change, and the status is kept across re-imports of the
    waiting list. Returns how many entries changed; records it in the audit trail, on
    ``run`` (the approved run) when given.

    Call it inside the approval's transaction.
    """
    codes = sorted(set(patient_codes))
    changed = 0
    with transaction.atomic():
        # In chunks: SQLite caps the parameters of one statement.
        for start in range(0, len(codes), 500):
            changed += WaitlistEntry.objects.filter(
                region=region,
                status=WaitlistStatus.WAITING,
                patient_code__in=codes[start : start + 500],
            ).update(status=WaitlistStatus.ASSIGNED)
        record(
            RegionsAction.WAITLIST_ASSIGNED,
            region=region,
            acting_user=acting_user,
            subject=run,
            rls_code=run.rls.code if run is not None and run.rls_id else "",
            patients=len(codes),
            assigned=changed,
        )
    return changed
