"""Co-management services: the alerts e-mailed to their owners (docs/comanagement-plan.md,
sections 2 and 4, "E-mail").

Each alert is e-mailed once to each of its owners: :class:`~web.comanagement.models.AlertEmail`
keeps every (kind, subject, due) sent and to whom, so that the daily job sends an alert
to the owners it has not reached yet (a new one, or one who has an address since). An
owner without an address is reported, never fails the run, and is tried again the next
day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from web.accounts import access
from web.audit.services import record
from web.comanagement.alerts import AlertRow
from web.comanagement.models import AlertEmail, ComanagementAction

__all__ = ["SendReport", "do_send_alert_emails"]


@dataclass
class SendReport:
    """What :func:`do_send_alert_emails` did.

    Attributes:
        sent: alerts e-mailed now (one e-mail each).
        already_sent: alerts e-mailed on an earlier run.
        no_recipient: alerts nobody could be sent (no owner, or no owner with an address).
        without_address: the usernames of the owners without an address, each once.
    """

    sent: int = 0
    already_sent: int = 0
    no_recipient: int = 0
    without_address: list[str] = field(default_factory=list)


def do_send_alert_emails(
    alerts: Iterable[AlertRow], on: date, *, acting_user: Any = None
) -> SendReport:
    """E-mail each alert of ``alerts`` not yet sent to its owners
    (:func:`web.accounts.access.comanagement_recipients` of its GMF and owner, those
    with an address), in French (templates ``comanagement/email/alert_subject.txt`` and
    ``alert.txt``, the link built on ``settings.PANELCARE_SITE_URL``), and record it:
    an :class:`AlertEmail` and the audit entry ``ALERT_EMAILED``, in one transaction per
    alert with its sending (an e-mail that fails to go keeps nothing: it is tried again).

    Args:
        alerts: the rows of :func:`web.comanagement.alerts.alerts` for ``on``.
        on: the day the alerts were computed for (in the e-mail and the audit entry).
        acting_user: who asked (None: the daily job).
    """
    report = SendReport()
    missing: set[str] = set()
    for alert in alerts:
        reached = AlertEmail.objects.filter(
            kind=alert.kind, subject=alert.subject, due=alert.due
        ).first()
        recipients = list(access.comanagement_recipients(alert.gmf, alert.owner))
        missing.update(user.get_username() for user in recipients if not user.email)
        done = set(reached.recipients) if reached is not None else set()
        with_address = [
            user for user in recipients if user.email and user.get_username() not in done
        ]
        if not with_address:
            if reached is not None:
                report.already_sent += 1
            else:
                report.no_recipient += 1
            continue
        try:
            _send(alert, on, with_address, acting_user, reached=reached)
        except IntegrityError:
            # Another run sent it in the meantime (the unique (kind, subject, due)).
            report.already_sent += 1
            continue
        report.sent += 1
    report.without_address = sorted(missing)
    return report


def _send(
    alert: AlertRow, on: date, users: list[Any], acting_user: Any, *, reached: AlertEmail | None
) -> None:
    usernames = [user.get_username() for user in users]
    with transaction.atomic():
        if reached is None:
            sent = AlertEmail.objects.create(
                region=alert.gmf.rls.region,
                kind=alert.kind,
                subject=alert.subject,
                due=alert.due,
                owner=alert.owner,
                gmf_code=alert.gmf.code,
                sent_at=timezone.now(),
                recipients=usernames,
            )
        else:
            # An owner it had not reached (no address then, or new): under the row's lock,
            # so that two runs do not both send to them.
            sent = AlertEmail.objects.select_for_update().get(pk=reached.pk)
            usernames = [name for name in usernames if name not in sent.recipients]
            if not usernames:
                raise IntegrityError("already sent to every owner")
            users = [user for user in users if user.get_username() in usernames]
            sent.recipients = [*sent.recipients, *usernames]
            sent.save(update_fields=["recipients"])
        record(
            ComanagementAction.ALERT_EMAILED,
            region=alert.gmf.rls.region,
            acting_user=acting_user,
            subject=sent,
            rls_code=alert.gmf.rls.code,
            kind=alert.kind,
            alert_subject=alert.subject,
            due=alert.due.isoformat(),
            on=on.isoformat(),
            recipients=usernames,
        )
        context = {
            "alert": alert,
            "on": on,
            "url": settings.PANELCARE_SITE_URL.rstrip("/") + alert.link,
            "alerts_url": settings.PANELCARE_SITE_URL.rstrip("/") + reverse("comanagement:alerts"),
        }
        # The e-mail is French, whatever language the caller runs in (the command).
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string("comanagement/email/alert_subject.txt", context)
            body = render_to_string("comanagement/email/alert.txt", context)
        EmailMessage(
            " ".join(subject.split()),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [user.email for user in users],
        ).send()
