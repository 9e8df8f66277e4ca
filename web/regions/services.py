"""The writes on the territory's records that are not imported: one ``do_*`` function each.

Registrations and waiting-list entries are projections of the imported table versions
(:mod:`web.tables.projections`: nothing else writes their rows, see ``docs/decisions.md``,
"One copy of each fact"). What the database keeps of its own is the patient's journey on
the waiting list (``docs/attribution-journey.md``): the status of each entry (waiting,
proposed to a physician, registered, returned to the list, removed) with the proposal in
force, carried across re-imports, and its history (:class:`WaitlistStatusEvent`: from,
to, when, who, run, physician, month, reason). Written here only:

* by an approved plan: :func:`do_propose_waitlist` (waiting or returned → proposed), and
  when it supersedes another, :func:`do_release_proposals` (proposed → waiting);
* by a registrations import: :func:`do_mark_waitlist_registered`;
* by the CML, one patient at a time: :func:`do_record_contact_attempt`,
  :func:`do_return_waitlist_entry`, :func:`do_remove_waitlist_entry`,
  :func:`do_set_waitlist_status`;
* by the DRMG, for the region: :func:`do_set_contact_attempts` (the contact attempts
  before a proposed patient may be returned as unreachable).

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

import datetime
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from web.audit.services import record
from web.regions.errors import RegionsError, WaitlistStatusError
from web.regions.models import (
    ON_THE_LIST,
    RETURN_REASONS,
    Region,
    RegionsAction,
    Registration,
    WaitlistEntry,
    WaitlistReason,
    WaitlistStatus,
    WaitlistStatusEvent,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "ALLOWED_WAITLIST_MOVES",
    "CONTACT_ATTEMPTS_RANGE",
    "OFFERED_STATUSES",
    "contact_attempts",
    "do_mark_waitlist_registered",
    "do_propose_waitlist",
    "do_record_contact_attempt",
    "do_release_proposals",
    "do_remove_waitlist_entry",
    "do_return_waitlist_entry",
    "do_set_contact_attempts",
    "do_set_waitlist_status",
    "withheld_patients",
]

# The statuses an entry may move to from each status; registered and removed are final
# (a patient who comes back gets a new entry, with a new request date). Returned is back
# on the list, with the entry's own priority and request date.
ALLOWED_WAITLIST_MOVES: dict[str, frozenset[str]] = {
    WaitlistStatus.WAITING: frozenset(
        {WaitlistStatus.ASSIGNED, WaitlistStatus.REGISTERED, WaitlistStatus.WITHDRAWN}
    ),
    WaitlistStatus.ASSIGNED: frozenset(
        {
            WaitlistStatus.WAITING,
            WaitlistStatus.RETURNED,
            WaitlistStatus.REGISTERED,
            WaitlistStatus.WITHDRAWN,
        }
    ),
    WaitlistStatus.RETURNED: frozenset(
        {WaitlistStatus.ASSIGNED, WaitlistStatus.REGISTERED, WaitlistStatus.WITHDRAWN}
    ),
    WaitlistStatus.REGISTERED: frozenset(),
    WaitlistStatus.WITHDRAWN: frozenset(),
}

# The statuses a run offers to a physician: on the list, never proposed or back from a
# proposal (proposed by a plan in force, registered and removed are not offered).
OFFERED_STATUSES = ON_THE_LIST

# SQLite caps the parameters of one statement.
_CHUNK = 500


def _refuse(entry: WaitlistEntry, status: str) -> None:
    if status not in ALLOWED_WAITLIST_MOVES.get(entry.status, frozenset()):
        raise WaitlistStatusError(
            _("A waiting-list entry cannot go from “%(old)s” to “%(new)s”.")
            % {
                "old": WaitlistStatus(entry.status).label,
                "new": WaitlistStatus(status).label if status in WaitlistStatus else status,
            }
        )


def _event(
    entry: WaitlistEntry,
    to_status: str,
    reason: str,
    *,
    acting_user: User | None,
    from_status: str | None = None,
    note: str = "",
    run_id: int | None = None,
    physician_code: str = "",
    month: int | None = None,
) -> WaitlistStatusEvent:
    return WaitlistStatusEvent(
        region_id=entry.region_id,
        patient_code=entry.patient_code,
        rls_code=entry.rls.code,
        from_status=entry.status if from_status is None else from_status,
        to_status=to_status,
        reason=reason,
        note=note,
        run_id=run_id,
        physician_code=physician_code,
        month=month,
        by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
    )


def contact_attempts(entry: WaitlistEntry) -> int:
    """Contact attempts recorded for ``entry``'s proposal in force (0 when not proposed)."""
    if entry.status != WaitlistStatus.ASSIGNED:
        return 0
    return WaitlistStatusEvent.objects.filter(
        region_id=entry.region_id,
        patient_code=entry.patient_code,
        reason=WaitlistReason.CONTACT_ATTEMPT,
        run_id=entry.proposed_run_id,
    ).count()


def do_set_waitlist_status(
    entry: WaitlistEntry, status: str, *, acting_user: User, reason: str = ""
) -> WaitlistEntry:
    """Move a waiting-list entry to ``status``; who, when, the change and ``reason`` go
    into the audit trail.

    Raises:
        WaitlistStatusError: the move is not in :data:`ALLOWED_WAITLIST_MOVES`.
    """
    _refuse(entry, status)
    with transaction.atomic():
        _event(entry, status, WaitlistReason.MANUAL, acting_user=acting_user, note=reason).save()
        previous, entry.status = entry.status, status
        _clear_proposal(entry)
        entry.save(update_fields=["status", *_PROPOSAL_FIELDS])
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


_PROPOSAL_FIELDS = ("proposed_run_id", "proposed_physician_code", "proposed_month")


def _clear_proposal(entry: WaitlistEntry) -> None:
    if entry.status != WaitlistStatus.ASSIGNED:
        entry.proposed_run_id, entry.proposed_physician_code, entry.proposed_month = None, "", None


def _entries(region: Region, codes: Iterable[str], statuses: Iterable[str]) -> list[WaitlistEntry]:
    codes = sorted(set(codes))
    found: list[WaitlistEntry] = []
    for start in range(0, len(codes), _CHUNK):
        found.extend(
            WaitlistEntry.objects.select_related("rls").filter(
                region=region,
                status__in=list(statuses),
                patient_code__in=codes[start : start + _CHUNK],
            )
        )
    return found


def do_propose_waitlist(
    region: Region,
    proposals: Mapping[str, tuple[str, int]],
    *,
    acting_user: User | None,
    run: Any,
    superseded: Iterable[int] = (),
) -> int:
    """Mark proposed the waiting-list entries of an approved plan: ``proposals`` maps a
    patient's code to (physician's code, month of the plan). Entries waiting or returned
    become proposed (event PLAN_APPROVED); an entry already proposed by a plan this one
    supersedes (``superseded``: their ids) moves to this plan's proposal (event from
    proposed to proposed). Registered and removed entries, and patients proposed by another
    plan, do not change. Returns how many entries changed; records it in the
    audit trail on ``run``.

    Call it inside the approval's transaction.
    """
    changed = 0
    statuses = (*OFFERED_STATUSES, WaitlistStatus.ASSIGNED)
    replaced = set(superseded)
    with transaction.atomic():
        entries = _entries(region, proposals, statuses)
        events = []
        for entry in entries:
            physician, month = proposals[entry.patient_code]
            if entry.status == WaitlistStatus.ASSIGNED and entry.proposed_run_id not in replaced:
                continue
            events.append(
                _event(
                    entry,
                    WaitlistStatus.ASSIGNED,
                    WaitlistReason.PLAN_APPROVED,
                    acting_user=acting_user,
                    run_id=run.pk,
                    physician_code=physician,
                    month=month,
                )
            )
            entry.status = WaitlistStatus.ASSIGNED
            entry.proposed_run_id, entry.proposed_physician_code = run.pk, physician
            entry.proposed_month = month
            changed += 1
        WaitlistEntry.objects.bulk_update(
            [entry for entry in entries if entry.proposed_run_id == run.pk],
            ["status", *_PROPOSAL_FIELDS],
            batch_size=_CHUNK,
        )
        WaitlistStatusEvent.objects.bulk_create(events, batch_size=_CHUNK)
        record(
            RegionsAction.WAITLIST_ASSIGNED,
            region=region,
            acting_user=acting_user,
            subject=run,
            rls_code=run.rls.code if run.rls_id else "",
            run=run.pk,
            patients=len(proposals),
            proposed=changed,
        )
    return changed


def do_release_proposals(
    region: Region, run_ids: Iterable[int], keep: Iterable[str], *, acting_user: User, run: Any
) -> int:
    """Put back on the list (waiting, with their own priority and request date) the
    patients still proposed by the superseded runs ``run_ids`` whom the superseding
    ``run`` does not place (``keep``: the patients it places, and those it did not offer,
    which stay proposed as they were). Event PLAN_SUPERSEDED per patient, one audit entry
    on ``run``. Returns how many went back.

    Call it inside the approval's transaction, before :func:`do_propose_waitlist`.
    """
    kept = set(keep)
    released = []
    with transaction.atomic():
        entries = WaitlistEntry.objects.select_related("rls").filter(
            region=region, status=WaitlistStatus.ASSIGNED, proposed_run_id__in=list(run_ids)
        )
        events = []
        for entry in entries:
            if entry.patient_code in kept:
                continue
            events.append(
                _event(
                    entry,
                    WaitlistStatus.WAITING,
                    WaitlistReason.PLAN_SUPERSEDED,
                    acting_user=acting_user,
                    run_id=entry.proposed_run_id,
                    physician_code=entry.proposed_physician_code,
                    # The superseding run (stored as data, not as a sentence).
                    note=f"#{run.pk}",
                )
            )
            entry.status = WaitlistStatus.WAITING
            _clear_proposal(entry)
            released.append(entry)
        WaitlistEntry.objects.bulk_update(
            released, ["status", *_PROPOSAL_FIELDS], batch_size=_CHUNK
        )
        WaitlistStatusEvent.objects.bulk_create(events, batch_size=_CHUNK)
        record(
            RegionsAction.WAITLIST_RELEASED,
            region=region,
            acting_user=acting_user,
            subject=run,
            rls_code=run.rls.code if run.rls_id else "",
            superseded_runs=sorted(run_ids),
            released=len(released),
        )
    return len(released)


def do_mark_waitlist_registered(
    region: Region, *, acting_user: User | None, day: datetime.date | None = None
) -> int:
    """Mark registered the entries (waiting, proposed or returned) whose patient holds a
    registration in force on ``day`` (today) that started on or after their request: seen
    in the registrations just imported (called by the registrations' projection, in the
    import's transaction). Each gets an event REGISTERED_IMPORT naming the physician they
    registered with; one audit entry for the import. Returns how many changed."""
    day = day or timezone.localdate()
    statuses = (*OFFERED_STATUSES, WaitlistStatus.ASSIGNED)
    open_entries = {
        entry.patient_code: entry
        for entry in WaitlistEntry.objects.select_related("rls").filter(
            region=region, status__in=statuses
        )
    }
    if not open_entries:
        return 0
    registered: dict[str, tuple[str, datetime.date]] = {}
    codes = sorted(open_entries)
    for start in range(0, len(codes), _CHUNK):
        rows = (
            Registration.objects.active_on(day)
            .filter(region=region, patient_code__in=codes[start : start + _CHUNK])
            .values_list("patient_code", "physician_code", "start_date")
        )
        for code, physician, started in rows:
            if started >= open_entries[code].requested_on:
                registered[code] = (physician, started)
    changed = []
    events = []
    with transaction.atomic():
        for code, (physician, started) in sorted(registered.items()):
            entry = open_entries[code]
            events.append(
                _event(
                    entry,
                    WaitlistStatus.REGISTERED,
                    WaitlistReason.REGISTERED_IMPORT,
                    acting_user=acting_user,
                    run_id=entry.proposed_run_id,
                    physician_code=physician,
                    note=started.isoformat(),  # the registration's start
                )
            )
            entry.status = WaitlistStatus.REGISTERED
            changed.append(entry)
        WaitlistEntry.objects.bulk_update(changed, ["status"], batch_size=_CHUNK)
        WaitlistStatusEvent.objects.bulk_create(events, batch_size=_CHUNK)
        if changed:
            record(
                RegionsAction.WAITLIST_REGISTERED,
                region=region,
                acting_user=acting_user,
                registered=len(changed),
                proposed=sum(1 for event in events if event.from_status == WaitlistStatus.ASSIGNED),
            )
    return len(changed)


def do_record_contact_attempt(
    entry: WaitlistEntry, note: str = "", *, acting_user: User
) -> WaitlistStatusEvent:
    """Record one attempt to reach a proposed patient (a call by the clinic): an event
    CONTACT_ATTEMPT on the proposal in force, and the audit entry. Returns the event.

    Raises:
        WaitlistStatusError: the patient is not proposed to a physician.
    """
    if entry.status != WaitlistStatus.ASSIGNED:
        raise WaitlistStatusError(
            _("Contact attempts are recorded for a patient proposed to a physician only.")
        )
    with transaction.atomic():
        event = _event(
            entry,
            WaitlistStatus.ASSIGNED,
            WaitlistReason.CONTACT_ATTEMPT,
            acting_user=acting_user,
            note=note,
            run_id=entry.proposed_run_id,
            physician_code=entry.proposed_physician_code,
            month=entry.proposed_month,
        )
        event.save()
        record(
            RegionsAction.WAITLIST_ATTEMPT,
            region=entry.rls.region,
            acting_user=acting_user,
            subject=entry,
            rls_code=entry.rls.code,
            patient_code=entry.patient_code,
            run=entry.proposed_run_id,
            attempts=contact_attempts(entry),
            note=note,
        )
    return event


def do_return_waitlist_entry(
    entry: WaitlistEntry, reason: str, note: str = "", *, acting_user: User
) -> WaitlistEntry:
    """Return a proposed patient to the list (status returned: offered again by the next
    run, with their own priority and request date), because the physician refused them,
    they refused, or they stayed unreachable after the region's contact attempts
    (:attr:`Region.contact_attempts`). Event with the reason, audit entry.

    Raises:
        WaitlistStatusError: the patient is not proposed, the reason is not a return's,
            or unreachable before the attempts the region sets.
    """
    _refuse(entry, WaitlistStatus.RETURNED)
    if reason not in RETURN_REASONS:
        raise WaitlistStatusError(_("Choose why the patient is returned to the list."))
    region = entry.rls.region
    attempts = contact_attempts(entry)
    if reason == WaitlistReason.UNREACHABLE and attempts < region.contact_attempts:
        raise WaitlistStatusError(
            ngettext(
                "%(attempts)s contact attempt recorded: the region sets %(required)s "
                "before a patient is returned as unreachable.",
                "%(attempts)s contact attempts recorded: the region sets %(required)s "
                "before a patient is returned as unreachable.",
                attempts,
            )
            % {"attempts": attempts, "required": region.contact_attempts}
        )
    with transaction.atomic():
        _event(
            entry,
            WaitlistStatus.RETURNED,
            reason,
            acting_user=acting_user,
            note=note,
            run_id=entry.proposed_run_id,
            physician_code=entry.proposed_physician_code,
            month=entry.proposed_month,
        ).save()
        run_id, physician = entry.proposed_run_id, entry.proposed_physician_code
        entry.status = WaitlistStatus.RETURNED
        _clear_proposal(entry)
        entry.save(update_fields=["status", *_PROPOSAL_FIELDS])
        record(
            RegionsAction.WAITLIST_RETURNED,
            region=region,
            acting_user=acting_user,
            subject=entry,
            rls_code=entry.rls.code,
            patient_code=entry.patient_code,
            run=run_id,
            physician_code=physician,
            reason=str(reason),
            attempts=attempts,
            note=note,
        )
    return entry


def do_remove_waitlist_entry(
    entry: WaitlistEntry, note: str, *, acting_user: User
) -> WaitlistEntry:
    """Remove a patient from the list for good (moved away, registered elsewhere...), with
    the reason typed in ``note``. Event REMOVED, audit entry.

    Raises:
        WaitlistStatusError: no reason given, or the patient is registered or removed.
    """
    _refuse(entry, WaitlistStatus.WITHDRAWN)
    if not note.strip():
        raise WaitlistStatusError(_("Say why the patient is removed from the list."))
    with transaction.atomic():
        _event(
            entry,
            WaitlistStatus.WITHDRAWN,
            WaitlistReason.REMOVED,
            acting_user=acting_user,
            note=note.strip(),
            run_id=entry.proposed_run_id,
            physician_code=entry.proposed_physician_code,
        ).save()
        previous = entry.status
        entry.status = WaitlistStatus.WITHDRAWN
        _clear_proposal(entry)
        entry.save(update_fields=["status", *_PROPOSAL_FIELDS])
        record(
            RegionsAction.WAITLIST_REMOVED,
            region=entry.rls.region,
            acting_user=acting_user,
            subject=entry,
            rls_code=entry.rls.code,
            patient_code=entry.patient_code,
            changed={"status": [previous, WaitlistStatus.WITHDRAWN.value]},
            reason=note.strip(),
        )
    return entry


def withheld_patients(region: Region, rls_codes: Iterable[str] | None) -> list[str]:
    """The waiting-list patients of ``rls_codes`` (the whole region when None) a run does
    not offer: proposed by a plan in force, registered or removed (sorted codes)."""
    entries = WaitlistEntry.objects.filter(region=region).exclude(status__in=OFFERED_STATUSES)
    if rls_codes is not None:
        entries = entries.filter(rls__code__in=list(rls_codes))
    return sorted(entries.values_list("patient_code", flat=True))


# The contact attempts a region may set before a proposed patient is returned as
# unreachable: at least one call; the upper bound keeps a slip of the keyboard (20, 100)
# from holding a patient proposed indefinitely.
CONTACT_ATTEMPTS_RANGE = range(1, 11)


def do_set_contact_attempts(region: Region, attempts: int, *, acting_user: User) -> Region:
    """Set how many contact attempts ``region``'s clinics make before a proposed patient
    may be returned as unreachable (:attr:`Region.contact_attempts`; read by
    :func:`do_return_waitlist_entry` from then on, for every proposal in force). The only
    writer of the field; the audit entry keeps the number before and after.

    Raises:
        RegionsError: ``attempts`` is not an integer of :data:`CONTACT_ATTEMPTS_RANGE`.
    """
    if (
        isinstance(attempts, bool)
        or not isinstance(attempts, int)
        or attempts not in CONTACT_ATTEMPTS_RANGE
    ):
        raise RegionsError(
            _("The number of contact attempts is a whole number from %(low)s to %(high)s.")
            % {"low": CONTACT_ATTEMPTS_RANGE[0], "high": CONTACT_ATTEMPTS_RANGE[-1]}
        )
    with transaction.atomic():
        locked = Region.objects.select_for_update().get(pk=region.pk)
        previous = locked.contact_attempts
        region.contact_attempts = attempts
        region.save(update_fields=["contact_attempts"])
        record(
            RegionsAction.CONTACT_ATTEMPTS_SET,
            region=region,
            acting_user=acting_user,
            subject=region,
            changed={"contact_attempts": [previous, attempts]},
        )
    return region
