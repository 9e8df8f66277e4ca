"""The writes on the territory's records that are not imported: one ``do_*`` function each.

Registrations and waiting-list entries are projections of the imported table versions
(:mod:`web.tables.projections`: nothing else writes their rows, see ``docs/decisions.md``,
"One copy of each fact"). What the database keeps of its own is the status of a
waiting-list entry (waiting, assigned, registered, withdrawn), carried across re-imports.

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

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from web.audit.services import record
from web.regions.errors import WaitlistStatusError
from web.regions.models import RegionsAction, WaitlistEntry, WaitlistStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["ALLOWED_WAITLIST_MOVES", "do_set_waitlist_status"]

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
    *, acting_user: User, entry: WaitlistEntry, status: str, reason: str = ""
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
