"""Co-management services: people (docs/comanagement-plan.md, section 2).

The CISSS/CIUSSS records its professionals (employees of the establishment, under a
collective agreement and a job title its agreement rules know), places them in a GMF
(which creates the 14 items of the integration checklist, and may fill a post), and
ends a placement; each side completes its own integration items
(:data:`~web.comanagement.models.ITEM_OWNERS`).

Sides are not checked here: the views call :mod:`web.accounts.access` first.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from panelcare.comanagement.schedules import AgreementRulesError
from web.audit.services import record
from web.comanagement.errors import RecordRefused
from web.comanagement.models import (
    ITEM_OWNERS,
    ComanagementAction,
    IntegrationItem,
    Placement,
    Post,
    Professional,
)
from web.comanagement.services._common import audit, format_day, not_after_today
from web.regions.models import Establishment, Gmf, Site

__all__ = [
    "do_complete_integration_item",
    "do_end_placement",
    "do_place_professional",
    "do_record_professional",
]


def _rules_in_force(establishment: Establishment, on: datetime.date) -> Any:
    from web.comanagement import reference

    version = reference.rules_in_force(establishment, on)
    if version is None:
        raise RecordRefused(
            _(
                "%(establishment)s has no agreement rules in force on %(day)s: its "
                "CISSS/CIUSSS manager publishes them first."
            )
            % {"establishment": establishment.name, "day": format_day(on)}
        )
    return version


def do_record_professional(
    establishment: Establishment,
    employee_number: str,
    name: str,
    professional_type: str,
    agreement: str,
    job_title: str,
    service_start: datetime.date,
    *,
    on: datetime.date | None = None,
    acting_user: Any,
) -> Professional:
    """Record an employee of ``establishment`` who may be placed in its GMFs. The
    ``agreement`` and ``job_title`` are checked against the establishment's agreement
    rules in force ``on`` (today by default): the agreement's job titles
    (:meth:`~panelcare.comanagement.schedules.AgreementBook.rules_for`).

    Raises:
        RecordRefused: no agreement rules in force, an agreement or job title they do not
            know, an unknown professional type, an empty name or number, an employee
            number already recorded in the establishment.
    """
    from django.utils import timezone

    from web.comanagement import reference

    employee_number, name = employee_number.strip(), name.strip()
    if not employee_number or not name:
        raise RecordRefused(_("Give the professional's name and employee number."))
    if professional_type not in dict(reference.PROFESSIONAL_TYPES):
        raise RecordRefused(_("Unknown professional type."))
    version = _rules_in_force(establishment, on or timezone.localdate())
    book = reference.agreement_book(version)
    try:
        book.rules_for(job_title=job_title, agreement=agreement, establishment=establishment.code)
    except AgreementRulesError as error:
        raise RecordRefused(
            _(
                "The agreement rules in force (version %(version)s) do not have the job "
                "title %(title)s under the agreement %(agreement)s."
            )
            % {"version": version.number, "title": job_title, "agreement": agreement}
        ) from error
    with transaction.atomic():
        if Professional.objects.filter(
            establishment=establishment, employee_number=employee_number
        ).exists():
            raise RecordRefused(
                _("The employee number %(number)s is already recorded.")
                % {"number": employee_number}
            )
        professional = Professional.objects.create(
            establishment=establishment,
            employee_number=employee_number,
            name=name,
            professional_type=professional_type,
            agreement=agreement,
            job_title=job_title,
            service_start=service_start,
        )
        # A professional has no GMF yet: the entry is the establishment's region's.
        record(
            ComanagementAction.PROFESSIONAL_RECORDED,
            region=establishment.region,
            acting_user=acting_user,
            subject=professional,
            establishment=establishment.code,
            employee_number=employee_number,
            professional_type=professional_type,
            agreement=agreement,
            job_title=job_title,
            rules_version=version.number,
        )
    return professional


def do_place_professional(
    professional: Professional,
    gmf: Gmf,
    *,
    start: datetime.date,
    fte: Decimal,
    supervisor_name: str,
    site: Site | None = None,
    post: Post | None = None,
    acting_user: Any,
) -> Placement:
    """Place ``professional`` in ``gmf`` from ``start`` (``fte``, at ``site``, under
    ``supervisor_name``). Creates the 14 items of the integration checklist, each due on
    ``start`` + the establishment's ``integration_due_days`` (its agreement rules in force
    on ``start``). With ``post``, the placement fills it on ``start``
    (:func:`web.comanagement.services.programme.do_fill_post`, its own audit entry).

    Raises:
        RecordRefused: a GMF of another establishment than the professional's, a site of
            another GMF, an FTE outside (0, 1], an empty supervisor, the professional
            already placed in the GMF on ``start``, no agreement rules in force, or the
            post refused by ``do_fill_post``.
    """
    from web.comanagement.services import programme

    if gmf.rls.establishment_id != professional.establishment_id:
        raise RecordRefused(
            _("%(gmf)s is not a GMF of the professional's establishment.") % {"gmf": gmf.name}
        )
    if site is not None and site.gmf_id != gmf.pk:
        raise RecordRefused(_("The site is not one of the GMF's."))
    if not Decimal("0") < fte <= Decimal("1"):
        raise RecordRefused(_("A placement's FTE is above 0 and at most 1."))
    supervisor_name = supervisor_name.strip()
    if not supervisor_name:
        raise RecordRefused(_("Name the immediate supervisor."))
    version = _rules_in_force(professional.establishment, start)
    due_on = start + datetime.timedelta(days=version.integration_due_days)
    with transaction.atomic():
        ongoing = Placement.objects.filter(professional=professional, gmf=gmf, start__lte=start)
        if ongoing.filter(end__isnull=True).exists() or ongoing.filter(end__gt=start).exists():
            raise RecordRefused(
                _("%(name)s is already placed in this GMF on %(day)s.")
                % {"name": professional.name, "day": format_day(start)}
            )
        placement = Placement.objects.create(
            professional=professional,
            gmf=gmf,
            site=site,
            fte=fte,
            supervisor_name=supervisor_name,
            start=start,
        )
        IntegrationItem.objects.bulk_create(
            IntegrationItem(placement=placement, item=item, due_on=due_on) for item in ITEM_OWNERS
        )
        audit(
            ComanagementAction.PLACEMENT_STARTED,
            gmf,
            subject=placement,
            acting_user=acting_user,
            professional=professional.pk,
            start=start.isoformat(),
            fte=str(fte),
            post=post.pk if post else None,
            integration_due_on=due_on.isoformat(),
        )
        if post is not None:
            programme.do_fill_post(post, placement, start, acting_user=acting_user)
            placement.refresh_from_db()
    return placement


def do_end_placement(placement: Placement, end: datetime.date, *, acting_user: Any) -> Placement:
    """End ``placement`` on ``end`` (excluded: the first day the professional no longer
    works in the GMF). Its records are kept.

    Raises:
        RecordRefused: already ended, ``end`` not after the start.
    """
    with transaction.atomic():
        # Re-read under lock, then check: another request may have ended it meanwhile.
        placement.refresh_from_db(from_queryset=Placement.objects.select_for_update())
        if placement.end is not None:
            raise RecordRefused(
                _("This placement already ended on %(day)s.") % {"day": format_day(placement.end)}
            )
        if end <= placement.start:
            raise RecordRefused(
                _("A placement ends after it starts (%(day)s).")
                % {"day": format_day(placement.start)}
            )
        placement.end = end
        placement.save(update_fields=["end"])
        audit(
            ComanagementAction.PLACEMENT_ENDED,
            placement.gmf,
            subject=placement,
            acting_user=acting_user,
            placement=placement.pk,
            end=end.isoformat(),
        )
    return placement


def do_complete_integration_item(
    item: IntegrationItem, done_on: datetime.date, *, acting_user: Any
) -> IntegrationItem:
    """Mark an item of the integration checklist done on ``done_on`` (by its owner's
    side: :data:`~web.comanagement.models.ITEM_OWNERS`, checked by the view).

    Raises:
        RecordRefused: already done, ``done_on`` before the placement started or in the
            future, or on or after the placement's end.
    """
    with transaction.atomic():
        # Re-read under lock, then check: a double submit marks the item done once.
        item.refresh_from_db(from_queryset=IntegrationItem.objects.select_for_update())
        placement = item.placement
        if item.done_on is not None:
            raise RecordRefused(
                _("This item was done on %(day)s.") % {"day": format_day(item.done_on)}
            )
        if done_on < placement.start:
            raise RecordRefused(
                _("The item is done on or after the placement's start (%(day)s).")
                % {"day": format_day(placement.start)}
            )
        not_after_today(done_on, _("An item is done today or on a past day."))
        if placement.end is not None and done_on >= placement.end:
            raise RecordRefused(
                _("The placement ended on %(day)s.") % {"day": format_day(placement.end)}
            )
        item.done_on = done_on
        item.done_by = acting_user
        item.save(update_fields=["done_on", "done_by"])
        audit(
            ComanagementAction.INTEGRATION_ITEM_DONE,
            placement.gmf,
            subject=item,
            acting_user=acting_user,
            placement=placement.pk,
            item=item.item,
            owner=item.owner,
            done_on=done_on.isoformat(),
            due_on=item.due_on.isoformat(),
        )
    return item
