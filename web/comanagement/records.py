"""The co-management's rows as the core's records: the one module that builds the
dataclasses of :mod:`panelcare.comanagement.obligations` (docs/comanagement-plan.md, §1).

Every record the rules take carries the *subject id* of its row (:func:`subject_id`,
``"post:12"``), so that an :class:`~panelcare.comanagement.obligations.Alert` leads back to
its record (:func:`parse_subject`); a GMF is named by its code, a professional by their
placement's subject id. Each function takes a queryset (the caller chooses the rows: the
GMFs a user sees, the records still open on a day) and returns a list; none filters by
user or by day.

    alerts = obligations.hiring_deadline_passed(records.posts(Post.objects.filter(gmf=g)), on)
    model, pk = records.parse_subject(alerts[0].subject)  # (Post, 12)

Targets and statistics meet on a *measured* key (:func:`measured`): ``"G1/E100"`` for a
professional of GMF ``G1`` whose employee number is ``E100`` (the statistics' own keys),
``"G1"`` for the GMF as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, cast

from django.apps import apps
from django.db import models
from django.db.models import F, QuerySet

from panelcare.comanagement import obligations
from web.comanagement.models import (
    INDICATORS,
    Absence,
    AttendanceRecord,
    IntegrationItem,
    Placement,
    Post,
    Replacement,
    Schedule,
    SupervisionPlan,
    SupervisionSession,
    Target,
    TrainingRequest,
)
from web.comanagement.queries import core_reference_day
from web.regions.models import Region

__all__ = [
    "STATISTICS_KIND",
    "absences",
    "attendance",
    "integration_items",
    "measured",
    "obligation_schedules",
    "parse_subject",
    "posts",
    "replacements",
    "statistics",
    "subject_id",
    "supervision_plans",
    "supervision_sessions",
    "targets",
    "training_requests",
]

# The imported table of the professionals' monthly statistics (web/tables/kinds.py).
STATISTICS_KIND = "gmf_statistics"


# --- subjects: "post:12" <-> the Post of pk 12 -------------------------------------------


def subject_id(obj: models.Model) -> str:
    """The subject id of a co-management record: its model's name and its primary key,
    ``"post:12"``, ``"absence:3"``, ``"integrationitem:40"`` (what an alert's ``subject``
    holds, and :class:`~web.comanagement.models.AlertEmail` keeps)."""
    return f"{obj._meta.model_name}:{obj.pk}"


def parse_subject(text: str) -> tuple[type[models.Model], int]:
    """The model and primary key a subject id names (:func:`subject_id`).

    Raises:
        ValueError: ``text`` is not ``<model>:<pk>`` of a co-management model with a GMF.
    """
    name, _sep, pk = text.partition(":")
    try:
        model = apps.get_model("comanagement", name)
    except LookupError:
        raise ValueError(f"not a co-management subject: {text!r}") from None
    if getattr(model, "GMF_PATH", None) is None or not pk.isdigit():
        raise ValueError(f"not a co-management subject: {text!r}")
    return model, int(pk)


def measured(gmf_code: str, employee_number: str | None = None) -> str:
    """Whose figures a target or a statistic is about: ``"G1/E100"`` (a professional of
    the GMF ``G1``), or ``"G1"`` (the GMF as a whole). An employee number is unique in
    its establishment, and a GMF has one establishment: the pair is unique."""
    return gmf_code if employee_number is None else f"{gmf_code}/{employee_number}"


def _placement_id(placement_id: int) -> str:
    return f"{Placement._meta.model_name}:{placement_id}"


# --- the records of the eight rules -------------------------------------------------------


def posts(qs: QuerySet[Post]) -> list[obligations.Post]:
    """``hiring_deadline_passed``'s posts: opened by an annual review or a recognition, on
    ``opened_on``, filled on ``filled_on`` (by the CISSS/CIUSSS, or by an agreed direct
    hire, which the service records as the post's filling). The core's ``opened_on`` is
    :func:`web.comanagement.queries.core_reference_day`: the GMF's recognition for a post
    the recognition owes."""
    return [
        obligations.Post(
            id=subject_id(post),
            gmf=post.gmf.code,
            professional_type=post.professional_type,
            opened_by=cast(Any, post.opened_by),
            opened_on=core_reference_day(post),
            filled_on=post.filled_on,
        )
        for post in qs.select_related("gmf")
    ]


def absences(qs: QuerySet[Absence]) -> list[obligations.Absence]:
    """``absence_not_replaced``'s absences (``end``: the day back)."""
    return [
        obligations.Absence(
            id=subject_id(absence),
            gmf=absence.placement.gmf.code,
            professional=_placement_id(absence.placement_id),
            start=absence.start,
            end=absence.end,
            foreseeable=absence.foreseeable,
        )
        for absence in qs.select_related("placement__gmf")
    ]


def replacements(qs: QuerySet[Replacement]) -> list[obligations.Replacement]:
    """The replacements of the absences (each names its absence's subject id)."""
    return [
        obligations.Replacement(
            absence=f"{Absence._meta.model_name}:{replacement.absence_id}",
            start=replacement.start,
            end=replacement.end,
        )
        for replacement in qs
    ]


def supervision_plans(qs: QuerySet[SupervisionPlan]) -> list[obligations.SupervisionPlan]:
    """``supervision_overdue``'s plans: a session every ``every`` ``unit``."""
    return [
        obligations.SupervisionPlan(
            id=subject_id(plan),
            gmf=plan.placement.gmf.code,
            professional=_placement_id(plan.placement_id),
            start=plan.start,
            every=plan.every,
            unit=cast(Any, plan.unit),
            end=plan.end,
        )
        for plan in qs.select_related("placement__gmf")
    ]


def supervision_sessions(
    qs: QuerySet[SupervisionSession],
) -> list[obligations.SupervisionSession]:
    """The sessions held (each names its plan's subject id)."""
    return [
        obligations.SupervisionSession(
            plan=f"{SupervisionPlan._meta.model_name}:{session.plan_id}", held_on=session.held_on
        )
        for session in qs
    ]


def integration_items(qs: QuerySet[IntegrationItem]) -> list[obligations.IntegrationItem]:
    """``integration_item_overdue``'s items, each with its owner (``ITEM_OWNERS``)."""
    return [
        obligations.IntegrationItem(
            id=subject_id(item),
            gmf=item.placement.gmf.code,
            professional=_placement_id(item.placement_id),
            item=item.item,
            owner=cast(Any, item.owner),
            due=item.due_on,
            done_on=item.done_on,
        )
        for item in qs.select_related("placement__gmf")
    ]


def training_requests(qs: QuerySet[TrainingRequest]) -> list[obligations.TrainingRequest]:
    """``training_request_pending``'s requests: decided (approved or refused) on
    ``decided_on``."""
    return [
        obligations.TrainingRequest(
            id=subject_id(request),
            gmf=request.placement.gmf.code,
            professional=_placement_id(request.placement_id),
            submitted_on=request.submitted_on,
            decided_on=request.decided_on,
        )
        for request in qs.select_related("placement__gmf")
    ]


def attendance(qs: QuerySet[AttendanceRecord]) -> list[obligations.AttendanceRecord]:
    """``attendance_not_approved``'s records (``[start, end)``)."""
    return [
        obligations.AttendanceRecord(
            id=subject_id(record),
            gmf=record.placement.gmf.code,
            professional=_placement_id(record.placement_id),
            start=record.start,
            end=record.end,
            approved_on=record.approved_on,
        )
        for record in qs.select_related("placement__gmf")
    ]


def obligation_schedules(qs: QuerySet[Schedule]) -> list[obligations.Schedule]:
    """``schedule_not_validated``'s schedules: validated or refused on ``decided_on``.
    A withdrawn schedule, or one a later proposal replaced, is no longer waiting for a
    decision: it is left out (the core knows only validated and refused)."""
    rows = qs.select_related("placement__gmf").exclude(status="withdrawn")
    rows = rows.exclude(replaced_by__isnull=False)
    return [
        obligations.Schedule(
            id=subject_id(schedule),
            gmf=schedule.placement.gmf.code,
            professional=_placement_id(schedule.placement_id),
            proposed_on=schedule.proposed_on,
            starts_on=schedule.first_day,
            validated_on=schedule.decided_on if schedule.status == "validated" else None,
            refused_on=schedule.decided_on if schedule.status == "refused" else None,
        )
        for schedule in rows.distinct()
    ]


def targets(qs: QuerySet[Target]) -> list[obligations.Target]:
    """``target_missed``'s targets: only the agreed ones (signed by both sides), each
    measured on its professional (:func:`measured`) or, without a placement, on the GMF;
    ``better`` comes from :data:`~web.comanagement.models.INDICATORS`. A target superseded
    by another of the same month (``end`` on or before ``start``: never in force) is left
    out."""
    rows = qs.filter(gmf_signed_at__isnull=False, ciusss_signed_at__isnull=False).exclude(
        end__lte=F("start")
    )
    return [
        obligations.Target(
            id=subject_id(target),
            gmf=target.gmf.code,
            measured=measured(
                target.gmf.code,
                None if target.placement is None else target.placement.professional.employee_number,
            ),
            indicator=target.indicator,
            value=float(target.value),
            better=cast(Any, INDICATORS[target.indicator]["better"]),
            start=target.start,
            end=target.end,
        )
        for target in rows.select_related("gmf", "placement__professional")
    ]


def statistics(gmf_codes: Iterable[str], region: Region) -> list[obligations.MonthlyStatistic]:
    """The monthly statistics of the GMFs ``gmf_codes``, from the version in force of the
    region's imported table ``gmf_statistics`` (one copy of each fact): one record per
    professional, month and indicator given, plus, for the summable indicators
    (``INDICATORS[...]["summable"]``: patients seen, interventions), the GMF's month as
    the sum of its professionals' (measured on the GMF's code). [] before the first
    import, or where the table kind is not declared."""
    from web.tables.kinds import get_kind
    from web.tables.models import Dataset
    from web.tables.store import read_dataset

    try:
        get_kind(STATISTICS_KIND)
    except KeyError:
        return []
    dataset = Dataset.current(region, STATISTICS_KIND)
    if dataset is None:
        return []
    wanted = set(gmf_codes)
    indicators = list(INDICATORS)
    table = read_dataset(dataset, ["professional_id", "gmf_id", "month", *indicators])
    found: list[obligations.MonthlyStatistic] = []
    sums: dict[tuple[str, str, date], float] = {}
    for row in table.to_pylist():
        gmf = row["gmf_id"]
        if gmf not in wanted:
            continue
        month = row["month"]
        for indicator in indicators:
            value = row[indicator]
            if value is None:
                continue
            found.append(
                obligations.MonthlyStatistic(
                    measured(gmf, row["professional_id"]), indicator, month, float(value)
                )
            )
            if INDICATORS[indicator]["summable"]:
                key = (gmf, indicator, month)
                sums[key] = sums.get(key, 0.0) + float(value)
    found.extend(
        obligations.MonthlyStatistic(gmf, indicator, month, value)
        for (gmf, indicator, month), value in sorted(sums.items())
    )
    return found
