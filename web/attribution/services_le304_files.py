"""The LE 304 files the guichet's administrative agent prepares for RAMQ (issue 19; seed
002, sections 4 and 7): one file per block transfer of an approved run in force, prepared
only when the letter of agreement's conditions hold (:func:`web.attribution.le304_files.
conditions`), then followed through RAMQ: prepared → sent → accepted or refused.

    file = do_prepare_le304_file(run, "D0003", "D0017", acting_user=agent)
    do_set_le304_file_status(file, Le304FileStatus.SENT, on=today, acting_user=agent)
    do_record_le304_download(file, "patients", acting_user=agent)

The caller has checked the user's access (``web.accounts.access``, the "issue 19: le304
files" block): these functions trust what they get. Each write is recorded in the audit
trail, and so is each download of a file's patients or agreement.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts.access import User
from web.attribution import le304_files
from web.attribution.errors import AttributionError
from web.attribution.models import (
    AttributionAction,
    Le304File,
    Le304FileStatus,
    Run,
)
from web.audit.services import record

__all__ = [
    "DOWNLOADS",
    "NEXT_STATUSES",
    "Le304FileRefused",
    "do_prepare_le304_file",
    "do_record_le304_download",
    "do_set_le304_file_status",
]

# The statuses a file may take next, in RAMQ's order: sent once prepared, answered once sent.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    Le304FileStatus.PREPARED: (Le304FileStatus.SENT,),
    Le304FileStatus.SENT: (Le304FileStatus.ACCEPTED, Le304FileStatus.REFUSED),
    Le304FileStatus.ACCEPTED: (),
    Le304FileStatus.REFUSED: (),
}
# What a file offers to download (the audit entry's ``what``).
DOWNLOADS = ("patients", "agreement")


class Le304FileRefused(AttributionError):
    """A file that cannot be prepared (a condition of the letter of agreement fails, the
    run is no longer in force, the transfer is gone or has its file already) or a status
    out of order; the message says which. Nothing was written."""


def _record(action: str, file: Le304File, *, acting_user: User, **details: object) -> None:
    run = file.run
    record(
        action,
        region=run.region,
        acting_user=acting_user,
        subject=file,
        rls_code=run.rls.code if run.rls is not None else "",
        run=run.pk,
        departing=file.departing_code,
        receiving=file.receiving_code,
        **details,
    )


def do_prepare_le304_file(
    run: Run, departing_code: str, receiving_code: str, *, acting_user: User
) -> Le304File:
    """Prepare the file of ``run``'s transfer from ``departing_code`` to
    ``receiving_code``: the conditions are checked on the plan as it stands and kept with
    the file (LE304_FILE_PREPARED).

    Raises:
        Le304FileRefused: the run is not in force, the plan has no such transfer (or
            cannot be read), the transfer has a file already, or a condition fails (each
            failing condition named).
    """
    with transaction.atomic():
        # of=("self",): PostgreSQL locks no row of a LEFT JOIN's nullable side (Run.rls).
        run = (
            Run.objects.select_for_update(of=("self",))
            .select_related("region", "rls")
            .get(pk=run.pk)
        )
        if not run.is_in_force:
            raise Le304FileRefused(
                _("Run no. %(number)s is not an approved plan in force: no file is prepared.")
                % {"number": run.pk}
            )
        try:
            transfer = le304_files.transfer_of(run, departing_code, receiving_code)
        except le304_files.PlanUnreadable:
            raise Le304FileRefused(
                _("The run's plan cannot be read: no file is prepared.")
            ) from None
        if transfer is None:
            raise Le304FileRefused(_("The run's plan has no such LE 304 transfer."))
        if Le304File.objects.filter(
            run=run, departing_code=departing_code, receiving_code=receiving_code
        ).exists():
            raise Le304FileRefused(_("This transfer's file is prepared already."))
        checks = le304_files.conditions(run, transfer)
        missing = le304_files.failed(checks)
        if missing:
            reasons = "; ".join(f"{check.label} ({check.detail})" for check in missing)
            raise Le304FileRefused(
                _("The file cannot be prepared, a condition of LE 304 is not met: %(reasons)s")
                % {"reasons": reasons}
            )
        file = Le304File.objects.create(
            run=run,
            departing_code=departing_code,
            receiving_code=receiving_code,
            patients=transfer.patients,
            conditions={"checks": [check.as_record() for check in checks]},
            prepared_by=acting_user,
            prepared_on=timezone.localdate(),
        )
        _record(
            AttributionAction.LE304_FILE_PREPARED,
            file,
            acting_user=acting_user,
            patients=transfer.patients,
        )
    return file


def do_set_le304_file_status(
    file: Le304File, status: str, *, on: datetime.date | None = None, acting_user: User
) -> Le304File:
    """Move ``file`` to ``status`` on ``on`` (today by default), in RAMQ's order only
    (:data:`NEXT_STATUSES`): ``sent_on`` for a sent file, ``answered_on`` for RAMQ's
    answer (LE304_FILE_STATUS).

    Raises:
        Le304FileRefused: ``status`` does not follow the file's status, or ``on`` is in the
            future or before the previous step's date.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        file = (
            Le304File.objects.select_for_update(of=("self",))
            .select_related("run__region", "run__rls")
            .get(pk=file.pk)
        )
        if status not in NEXT_STATUSES.get(file.status, ()):
            raise Le304FileRefused(
                _(
                    "The file is “%(current)s”: it cannot become “%(status)s” (a file is "
                    "sent to RAMQ once prepared, then accepted or refused by RAMQ)."
                )
                % {"current": Le304FileStatus(file.status).label, "status": _status_label(status)}
            )
        if on > timezone.localdate():
            raise Le304FileRefused(_("The date cannot be in the future."))
        before = file.sent_on if status != Le304FileStatus.SENT else file.prepared_on
        if before is not None and on < before:
            raise Le304FileRefused(
                _("The date cannot be before the previous step's (%(date)s).")
                % {"date": before.isoformat()}
            )
        previous = file.status
        file.status = status
        if status == Le304FileStatus.SENT:
            file.sent_on = on
        else:
            file.answered_on = on
        file.updated_by = acting_user
        file.save(update_fields=["status", "sent_on", "answered_on", "updated_by"])
        _record(
            AttributionAction.LE304_FILE_STATUS,
            file,
            acting_user=acting_user,
            previous=previous,
            status=status,
            on=on.isoformat(),
        )
    return file


def do_record_le304_download(file: Le304File, what: str, *, acting_user: User) -> None:
    """Record that ``acting_user`` downloaded ``file``'s patients (``what`` "patients",
    the CSV with their full numbers) or agreement ("agreement", the PDF): EXPORTED, as a
    plan's download."""
    if what not in DOWNLOADS:
        raise ValueError(f"unknown download {what!r}")
    _record(
        AttributionAction.EXPORTED,
        file,
        acting_user=acting_user,
        what=f"le304_{what}",
        patients=file.patients,
    )


def _status_label(status: str) -> str:
    try:
        return str(Le304FileStatus(status).label)
    except ValueError:
        return status
