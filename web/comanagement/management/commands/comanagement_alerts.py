"""``manage.py comanagement_alerts``: the co-management's alerts of a day, for the daily
job (docs/deployment.md) and for whoever wants them as a file.

    manage.py comanagement_alerts                      # today's, one French line each
    manage.py comanagement_alerts --on 2026-07-02 --format csv --region 01
    manage.py comanagement_alerts --send               # and e-mail the new ones

The CSV is a file for machines: commas, codes for the kinds and the sides
(``kind,gmf,gmf_name,owner,subject,subject_label,due,days_late``). A bad ``--on`` or an
unknown ``--region`` exits with status 2.
"""

from __future__ import annotations

import csv
import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from web.comanagement import alerts
from web.comanagement.services import alerts as alert_services
from web.regions.models import Gmf, Region

CSV_COLUMNS = ["kind", "gmf", "gmf_name", "owner", "subject", "subject_label", "due", "days_late"]


class Command(BaseCommand):
    help = "Print the co-management's alerts of a day (text or CSV); --send e-mails the new ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", help="the day (YYYY-MM-DD); today by default")
        parser.add_argument("--format", choices=["text", "csv"], default="text")
        parser.add_argument(
            "--send", action="store_true", help="e-mail each new alert to its owners"
        )
        parser.add_argument("--region", help="a region's code; every region by default")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        on = _day(options["on"])
        gmfs = Gmf.objects.select_related("rls__region").order_by("code")
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(
                    _("Unknown region: %(code)s.") % {"code": options["region"]}, returncode=2
                )
            gmfs = gmfs.filter(rls__region=region)
        rows = alerts.alerts(gmfs, on)
        if options["format"] == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            for row in rows:
                writer.writerow(
                    [
                        row.kind,
                        row.gmf.code,
                        row.gmf.name,
                        row.owner,
                        row.subject,
                        row.subject_label,
                        row.due.isoformat(),
                        row.days_late,
                    ]
                )
        else:
            for row in rows:
                self.stdout.write(_line(row))
            if not rows:
                self.stdout.write(_("No alert on %(day)s.") % {"day": date_format(on)})
        if options["send"]:
            report = alert_services.do_send_alert_emails(rows, on)
            # With --format csv, the summary goes to stderr: stdout stays a CSV file.
            out = self.stderr if options["format"] == "csv" else self.stdout
            out.write(
                _(
                    "E-mails: %(sent)s sent, %(already)s already sent, "
                    "%(none)s without recipient or address."
                )
                % {
                    "sent": report.sent,
                    "already": report.already_sent,
                    "none": report.no_recipient,
                }
            )
            if report.without_address:
                out.write(
                    _("Users without an e-mail address: %(users)s.")
                    % {"users": ", ".join(report.without_address)}
                )


def _day(text: str | None) -> datetime.date:
    if not text:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("--on expects a day as YYYY-MM-DD, got « %(text)s ».") % {"text": text},
            returncode=2,
        ) from None


def _line(row: alerts.AlertRow) -> str:
    return ngettext(
        "%(gmf)s (%(code)s) — %(kind)s — %(subject)s — due %(due)s, "
        "%(days)s day late — to act: %(owner)s",
        "%(gmf)s (%(code)s) — %(kind)s — %(subject)s — due %(due)s, "
        "%(days)s days late — to act: %(owner)s",
        row.days_late,
    ) % {
        "gmf": row.gmf.name,
        "code": row.gmf.code,
        "kind": row.kind_label,
        "subject": row.subject_label,
        "due": date_format(row.due, "SHORT_DATE_FORMAT"),
        "days": row.days_late,
        "owner": row.owner_label,
    }
