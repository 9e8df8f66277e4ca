"""What the co-management services share: the audit entry of a write on a GMF's
records, a day as a refusal writes it, and the refusal of a day to come.

Private to :mod:`web.comanagement.services`: its modules' ``do_*`` functions are the API.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from web.audit.services import record
from web.comanagement.errors import RecordRefused
from web.regions.models import Gmf

__all__ = ["audit", "format_day", "not_after_today"]


def audit(
    action: str,
    gmf: Gmf,
    *,
    subject: Any,
    acting_user: Any,
    **details: Any,
) -> None:
    """Record ``action`` (a :class:`~web.comanagement.models.ComanagementAction`) on
    ``subject``, a record of ``gmf``, in the caller's transaction: in the GMF's region
    and RLS, so that whoever reads that RLS's trail reads the entry.

    Every entry names its GMF first (``details["gmf"]``), so that a GMF's writes can be
    read from the trail alone.

    Args:
        details: what was done, JSON-serialisable (:func:`web.audit.services.record`).
    """
    details = {"gmf": gmf.code, **details}
    record(
        action,
        region=gmf.rls.region,
        acting_user=acting_user,
        subject=subject,
        rls_code=gmf.rls.code,
        **details,
    )


def format_day(day: datetime.date) -> str:
    """A day as the user's language writes it (« 5 janvier 2026 »)."""
    return date_format(day, "DATE_FORMAT")


def not_after_today(day: datetime.date, message: str) -> None:
    """Refuse with ``message`` a ``day`` to come: a thing is recorded once it happened.

    Raises:
        RecordRefused: ``day`` is after today.
    """
    if day > timezone.localdate():
        raise RecordRefused(message)
