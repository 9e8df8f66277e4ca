"""Co-management services: performance (docs/comanagement-plan.md, section 2): targets
agreed by both sides, strategies, joint follow-up meetings and their decisions, and the
import of the monthly statistics (a ``gmf_statistics`` table of :mod:`web.tables`).

Sides are never checked here: the views pass the side :mod:`web.accounts.access` gave
them (``comanagement_side``) and the GMFs a statistics file may hold
(``statistics_gmfs``)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from web.audit.services import record
from web.comanagement.errors import RecordRefused, SignOffRefused
from web.comanagement.models import (
    INDICATORS,
    ComanagementAction,
    FollowUpMeeting,
    MeetingDecision,
    Strategy,
    Target,
)
from web.comanagement.services._common import audit
from web.regions.models import Gmf, Region
from web.tables import services as table_services
from web.tables.models import ImportJob, ImportMode, ImportStatus

# The table kind of the statistics (web.tables.kinds.GMF_STATISTICS).
STATISTICS_KIND = "gmf_statistics"

SIDES = ("gmf", "ciusss")


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r}")


def _sign(obj: Any, side: str, acting_user: Any) -> None:
    """Sign ``obj`` (a target or a meeting) for ``side``, now."""
    setattr(obj, f"{side}_signed_by", acting_user)
    setattr(obj, f"{side}_signed_at", timezone.now())


# --------------------------------------------------------------------------- targets


def do_propose_target(
    gmf: Gmf,
    *,
    placement: Any,
    indicator: str,
    value: Decimal,
    start: datetime.date,
    side: str,
    acting_user: Any,
) -> Target:
    """Propose a monthly target of ``indicator`` for ``placement`` (a professional placed
    in ``gmf``) or, with ``placement`` None, for the whole GMF, from ``start`` (a first of
    the month); the proposing ``side`` signs it. It is agreed once the other side signs
    (:func:`do_sign_target`).

    Raises:
        RecordRefused: an unknown indicator, a GMF-wide target of an indicator that is
            not summable (the delay of access), a start that is not a first of the
            month, a negative value, or a placement of another GMF.
    """
    _check_side(side)
    if indicator not in INDICATORS:
        raise RecordRefused(_("Choose an indicator."))
    if placement is None and not INDICATORS[indicator]["summable"]:
        raise RecordRefused(
            _(
                "A target for the whole GMF is only possible for the patients seen and the "
                "interventions: the delay of access is a professional's."
            )
        )
    if start.day != 1:
        raise RecordRefused(_("A target starts on the first day of a month."))
    if value < 0:
        raise RecordRefused(_("A target cannot be negative."))
    if placement is not None and placement.gmf_id != gmf.pk:
        raise RecordRefused(_("This professional is not placed in this GMF."))
    with transaction.atomic():
        target = Target(
            gmf=gmf,
            placement=placement,
            indicator=indicator,
            value=value,
            start=start,
            proposed_by_side=side,
        )
        _sign(target, side, acting_user)
        target.save()
        audit(
            ComanagementAction.TARGET_PROPOSED,
            gmf,
            subject=target,
            acting_user=acting_user,
            indicator=indicator,
            value=str(value),
            start=start.isoformat(),
            placement=placement.pk if placement is not None else None,
            side=side,
        )
    return target


def do_sign_target(target: Target, side: str, *, acting_user: Any) -> Target:
    """Sign ``target`` for ``side``. When both sides have signed, the target is agreed,
    and the agreed targets of the same GMF, professional and indicator are adjusted so
    that exactly one is in force each month (a changed target is a new target), whatever
    the order of the agreements:

    * one starting earlier and still in force on its start ends on its start;
    * one starting the same month is superseded: it ends on its own start (never in
      force; :func:`web.comanagement.records.targets` leaves it out);
    * if one starts later, this one ends on the start of the first of them.

    The audit entry lists the targets ended (``ended``) and this one's end (``end``).

    Raises:
        SignOffRefused: ``side`` has signed it already.
    """
    _check_side(side)
    with transaction.atomic():
        target = (
            Target.objects.select_for_update().select_related("gmf__rls__region").get(pk=target.pk)
        )
        if getattr(target, f"{side}_signed_at") is not None:
            raise SignOffRefused(_("Your side has already signed this target."))
        _sign(target, side, acting_user)
        target.save()
        ended: list[int] = []
        if target.agreed:
            # The other agreed targets of the same measure, superseded ones left out.
            others = (
                Target.objects.select_for_update()
                .filter(
                    gmf=target.gmf,
                    placement=target.placement,
                    indicator=target.indicator,
                    gmf_signed_at__isnull=False,
                    ciusss_signed_at__isnull=False,
                )
                .exclude(pk=target.pk)
                .exclude(end__lte=F("start"))
                .order_by("start", "pk")
            )
            later_starts = []
            for other in others:
                if other.start > target.start:
                    later_starts.append(other.start)
                    continue
                # Earlier (in force past this start) or the same month (superseded).
                if other.end is None or other.end > target.start:
                    other.end = target.start if other.start < target.start else other.start
                    other.save(update_fields=["end"])
                    ended.append(other.pk)
            if later_starts:
                target.end = min(later_starts)
                target.save(update_fields=["end"])
        audit(
            ComanagementAction.TARGET_SIGNED,
            target.gmf,
            subject=target,
            acting_user=acting_user,
            side=side,
            agreed=target.agreed,
            ended=ended,
            end=target.end.isoformat() if target.end else None,
        )
    return target


# --------------------------------------------------------------------------- strategies


def do_record_strategy(
    gmf: Gmf,
    *,
    target: Target | None,
    description: str,
    carried_by: str,
    start: datetime.date,
    status: str = "planned",
    acting_user: Any,
) -> Strategy:
    """Record a strategy of ``gmf`` to reach ``target`` (or its performance in general).

    Raises:
        RecordRefused: a target of another GMF, or an empty description.
    """
    if target is not None and target.gmf_id != gmf.pk:
        raise RecordRefused(_("This target is not one of this GMF."))
    if not description.strip():
        raise RecordRefused(_("Describe the strategy."))
    with transaction.atomic():
        strategy = Strategy.objects.create(
            gmf=gmf,
            target=target,
            description=description,
            carried_by=carried_by,
            start=start,
            status=status,
            recorded_by=acting_user,
        )
        audit(
            ComanagementAction.STRATEGY_RECORDED,
            gmf,
            subject=strategy,
            acting_user=acting_user,
            target=target.pk if target is not None else None,
            carried_by=carried_by,
            status=status,
        )
    return strategy


# --------------------------------------------------------------------------- meetings


def do_record_meeting(
    gmf: Gmf,
    *,
    held_on: datetime.date,
    topic: str,
    attendees: str,
    minutes: str,
    side: str,
    acting_user: Any,
) -> FollowUpMeeting:
    """Record a joint follow-up meeting of ``gmf``; the recording ``side`` signs it."""
    _check_side(side)
    with transaction.atomic():
        meeting = FollowUpMeeting(
            gmf=gmf,
            held_on=held_on,
            topic=topic,
            attendees=attendees,
            minutes=minutes,
            recorded_by=acting_user,
        )
        _sign(meeting, side, acting_user)
        meeting.save()
        audit(
            ComanagementAction.MEETING_RECORDED,
            gmf,
            subject=meeting,
            acting_user=acting_user,
            held_on=held_on.isoformat(),
            topic=topic,
            side=side,
        )
    return meeting


def do_record_meeting_decision(
    meeting: FollowUpMeeting,
    *,
    text: str,
    carried_by: str,
    due_on: datetime.date | None = None,
    acting_user: Any,
) -> MeetingDecision:
    """Record a decision of ``meeting``. A side that already signed the meeting did not
    sign this decision: its signature is cleared, so that both sides sign the minutes
    with their decisions (the sides cleared are in the audit entry and in the returned
    decision's ``cleared_signatures``, for the page's message).

    Raises:
        SignOffRefused: both sides have signed the meeting: its decisions are frozen.
    """
    with transaction.atomic():
        meeting = (
            FollowUpMeeting.objects.select_for_update()
            .select_related("gmf__rls__region")
            .get(pk=meeting.pk)
        )
        if meeting.signed_by_both:
            raise SignOffRefused(
                _("Both sides have signed this meeting: its decisions can no longer change.")
            )
        decision = MeetingDecision.objects.create(
            meeting=meeting, text=text, carried_by=carried_by, due_on=due_on
        )
        cleared = [side for side in SIDES if getattr(meeting, f"{side}_signed_at") is not None]
        if cleared:
            for side in cleared:
                setattr(meeting, f"{side}_signed_by", None)
                setattr(meeting, f"{side}_signed_at", None)
            meeting.save(
                update_fields=[f"{side}_signed_{what}" for side in cleared for what in ("by", "at")]
            )
        audit(
            ComanagementAction.DECISION_RECORDED,
            meeting.gmf,
            subject=decision,
            acting_user=acting_user,
            meeting=meeting.pk,
            carried_by=carried_by,
            due_on=due_on.isoformat() if due_on else None,
            cleared_signatures=cleared,
        )
    decision.cleared_signatures = cleared  # type: ignore[attr-defined]  # for the page
    return decision


def do_sign_meeting(meeting: FollowUpMeeting, side: str, *, acting_user: Any) -> FollowUpMeeting:
    """Sign the minutes and decisions of ``meeting`` for ``side``; after both signatures
    they are frozen.

    Raises:
        SignOffRefused: ``side`` has signed it already.
    """
    _check_side(side)
    with transaction.atomic():
        meeting = (
            FollowUpMeeting.objects.select_for_update()
            .select_related("gmf__rls__region")
            .get(pk=meeting.pk)
        )
        if getattr(meeting, f"{side}_signed_at") is not None:
            raise SignOffRefused(_("Your side has already signed this meeting."))
        _sign(meeting, side, acting_user)
        meeting.save()
        audit(
            ComanagementAction.MEETING_SIGNED,
            meeting.gmf,
            subject=meeting,
            acting_user=acting_user,
            side=side,
            signed_by_both=meeting.signed_by_both,
        )
    return meeting


# --------------------------------------------------------------------------- statistics


def do_start_statistics_import(upload: Any, *, region: Region, acting_user: Any) -> ImportJob:
    """Stage a statistics file and queue its check, exactly as on ``/tables/``
    (:func:`web.tables.services.do_stage_upload`): a month's file is added to the
    statistics in force (rows keyed by professional, GMF and month), so one
    establishment's file never replaces another's rows. Its GMFs are checked on Apply
    (:func:`do_apply_statistics_import`).

    Raises:
        UploadRefused: a file that is not CSV, Parquet or XLSX.
        DiskFull: the disk is full; nothing was kept.
    """
    return table_services.do_stage_upload(
        STATISTICS_KIND,
        upload,
        region=region,
        scope=[],
        acting_user=acting_user,
        mode=ImportMode.ADD,
    )


def statistics_problems(job: ImportJob, allowed_gmfs: Iterable[str]) -> tuple[list[str], bool]:
    """What a READY statistics import holds that its importer may not send: the codes of
    the GMFs outside ``allowed_gmfs`` (sorted), and whether a month is in the future."""
    codes, future = _file_facts(job)
    return sorted(codes - set(allowed_gmfs)), future


def _file_facts(job: ImportJob) -> tuple[set[str], bool]:
    """The GMF codes of a READY statistics import's checked rows, and whether one of its
    months is after the current month."""
    if job.status != ImportStatus.READY:
        return set(), False
    path = table_services.checked_path(job)
    if not path.exists():
        return set(), False
    rows = pq.read_table(path, columns=["gmf_id", "month"])
    codes = {str(code) for code in pc.unique(rows.column("gmf_id")).to_pylist()}
    months = [month for month in rows.column("month").to_pylist() if month is not None]
    today = timezone.localdate()
    return codes, any(month > today.replace(day=1) for month in months)


def do_apply_statistics_import(
    job: ImportJob, allowed_gmfs: Iterable[str], *, acting_user: Any
) -> ImportJob:
    """Apply a READY statistics import (:func:`web.tables.services.do_apply_import`: the
    rows are added to the version in force) once every row is of a GMF of
    ``allowed_gmfs`` (:func:`web.accounts.access.statistics_gmfs`) and no month is in the
    future.

    Raises:
        RecordRefused: rows of other GMFs (named) or of a month to come; nothing changed.
        ImportNotReady: the import is not ready.
    """
    codes, future = _file_facts(job)
    foreign = sorted(codes - set(allowed_gmfs))
    if foreign:
        raise RecordRefused(
            _(
                "This file holds rows of GMFs whose statistics you cannot import: "
                "%(codes)s. Nothing was written."
            )
            % {"codes": ", ".join(foreign)}
        )
    if future:
        raise RecordRefused(
            _("This file holds statistics of a month to come. Nothing was written.")
        )
    with transaction.atomic():
        job = table_services.do_apply_import(job, acting_user=acting_user)
        record(
            ComanagementAction.STATISTICS_IMPORTED,
            region=job.region,
            acting_user=acting_user,
            subject=job,
            import_id=job.pk,
            source_name=job.source_name,
            rows=(job.preview or {}).get("rows", 0),
            gmfs=sorted(codes),
        )
    return job
