"""The writes on patients' registrations and the waiting list: one ``do_*`` function each.

Every function takes the acting user as a keyword argument and records it, with a short
reason, in the history of the row it changes (django-simple-history's ``history_user`` and
``history_change_reason``), so the question "who registered this patient, and when?" always
has an answer. Views call these functions; they never save these models themselves.

The functions check the domain rules (no overlapping registrations, one open waiting-list
entry per patient, allowed status changes) and raise a :class:`web.regions.errors.RegionsError`
subclass when one is broken. Whether the acting user may touch the patient at all is the
caller's business, through :mod:`web.accounts.access`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from web.regions.errors import (
    AlreadyOnWaitlist,
    RegistrationNotOpen,
    RegistrationOverlap,
    WaitlistStatusError,
)
from web.regions.models import (
    Patient,
    Physician,
    Registration,
    Rls,
    Site,
    WaitlistEntry,
    WaitlistStatus,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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

OPEN_WAITLIST_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.ASSIGNED)


def _record(instance, acting_user: User, reason: str) -> None:
    """Tell simple-history who makes the next save of ``instance``, and why."""
    instance._history_user = acting_user
    # The history's reason column holds 100 characters.
    instance._change_reason = reason[:100]


def do_register_patient(
    *,
    acting_user: User,
    patient: Patient,
    physician: Physician,
    site: Site,
    start_date: datetime.date,
) -> Registration:
    """Register ``patient`` with ``physician`` at ``site`` from ``start_date``, open-ended.

    Raises:
        RegistrationOverlap: the patient has a registration in force on ``start_date`` or
            later (a registration must be ended before a new one starts).
    """
    with transaction.atomic():
        # Lock the patient so that two simultaneous registrations cannot both pass the
        # overlap check (PostgreSQL; SQLite serialises writes anyway).
        Patient.objects.select_for_update().only("pk").get(pk=patient.pk)
        # The new registration is open-ended, so it overlaps any registration still in
        # force on start_date or starting after it.
        overlapping = patient.registrations.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=start_date)
        )
        if overlapping.exists():
            raise RegistrationOverlap(
                _("This patient is already registered on %(date)s or later.")
                % {"date": start_date.isoformat()}
            )
        registration = Registration(
            patient=patient, physician=physician, site=site, start_date=start_date
        )
        _record(registration, acting_user, "registered")
        registration.save()
    return registration


def do_end_registration(
    *, acting_user: User, registration: Registration, end_date: datetime.date
) -> Registration:
    """End an ongoing registration on ``end_date`` (the first day it is no longer in force).

    Raises:
        RegistrationNotOpen: the registration has already ended, or ``end_date`` is not
            after its start.
    """
    if registration.end_date is not None:
        raise RegistrationNotOpen(_("This registration has already ended."))
    if end_date <= registration.start_date:
        raise RegistrationNotOpen(_("A registration must end after the day it starts."))
    registration.end_date = end_date
    _record(registration, acting_user, "ended")
    registration.save(update_fields=["end_date"])
    return registration


def do_add_to_waitlist(
    *,
    acting_user: User,
    patient: Patient,
    priority: str,
    requested_on: datetime.date,
    rls: Rls | None = None,
    previous_physician: Physician | None = None,
) -> WaitlistEntry:
    """Put ``patient`` on the waiting list of ``rls`` (by default, the patient's RLS).

    Raises:
        AlreadyOnWaitlist: the patient has an entry that is still waiting or assigned.
    """
    with transaction.atomic():
        Patient.objects.select_for_update().only("pk").get(pk=patient.pk)
        if patient.waitlist_entries.filter(status__in=OPEN_WAITLIST_STATUSES).exists():
            raise AlreadyOnWaitlist(_("This patient is already on the waiting list."))
        entry = WaitlistEntry(
            patient=patient,
            rls=rls or patient.rls,
            priority=priority,
            requested_on=requested_on,
            previous_physician=previous_physician,
        )
        entry.full_clean()
        _record(entry, acting_user, "added")
        entry.save()
    return entry


def do_set_waitlist_status(
    *, acting_user: User, entry: WaitlistEntry, status: str, reason: str = ""
) -> WaitlistEntry:
    """Move a waiting-list entry to ``status``; ``reason`` goes into its history.

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
    entry.status = status
    _record(entry, acting_user, reason or f"status: {status}")
    entry.save(update_fields=["status"])
    return entry
