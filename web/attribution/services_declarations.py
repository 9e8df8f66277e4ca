"""The physicians' own declarations (issue 19; DSP-PR-30042, sections 3, 4, 5.3.6 and 7):
a physician states their mode, the patients they offer to take and, to be spared, their
weekly hours outside the office; the CML of their RLS accepts the declaration, asks for
more, or refuses it. Accepting writes the CML's decision on the physician
(:func:`web.attribution.services.do_set_decision`), which the next run's roster reads
(:func:`web.attribution.roster.applied_roster`).

    workload = declared_workload(physician, Decimal("36"))     # Workload; .reaches
    declaration = do_submit_declaration(physician, mode="bloc", ..., acting_user=user)
    do_review_declaration(declaration, DeclarationStatus.ACCEPTED, acting_user=cml)

Units (5.3.3): 3 units are 36 hours a week, 42 weeks a year; the hours declared become
the physician's ``other_units`` (hours × 3 / 36) and the engine counts the rest as it
counts every physician (``other_units + registered / patients_per_unit``:
:func:`panelcare.attribution.groups.targets`, ``units_before``), from the current roster's
registered patients. The caller has checked the user's access (``web.accounts.access``):
these functions trust what they get.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from panelcare.attribution import groups, io
from panelcare.attribution.params import Params, load_params
from web.accounts.access import User
from web.attribution.errors import AttributionError
from web.attribution.models import (
    DECISION_FIELDS,
    AttributionAction,
    AttributionMode,
    DeclarationStatus,
    PhysicianDecision,
    PhysicianDeclaration,
)
from web.attribution.roster import current_roster
from web.attribution.services import do_set_decision
from web.audit.services import record
from web.regions.models import Physician

__all__ = [
    "ANSWERS",
    "FULL_WORKLOAD_HOURS",
    "DeclarationError",
    "Workload",
    "declared_workload",
    "do_review_declaration",
    "do_submit_declaration",
    "hours_in_units",
    "total_hours",
    "units_of",
]

# 3 units = 36 hours a week, 42 weeks a year (5.3.3): the hours of a full workload.
FULL_WORKLOAD_HOURS = Decimal(36)
# The CML's answers to a declaration; a comment is required for all but acceptance.
ANSWERS = (DeclarationStatus.ACCEPTED, DeclarationStatus.MORE_REQUESTED, DeclarationStatus.REFUSED)
# The tolerance groups.targets compares the units to the full workload with.
_EPSILON = 1e-9


class DeclarationError(AttributionError):
    """A declaration that cannot be submitted or reviewed (one pending already, answered
    already, a comment missing); the message is meant for the user."""


@dataclass(frozen=True)
class Workload:
    """A physician's units with the hours they declare, as the procedure counts them."""

    hours: Decimal  # weekly hours outside the office
    other_units: float  # the hours in units
    registered: int | None  # registered patients today; None: not in the current roster
    units: float  # other_units + registered / patients_per_unit, by the engine
    full_units: float

    @property
    def reaches(self) -> bool:
        """At or above the full workload (3 units)."""
        return self.units >= self.full_units - _EPSILON


def hours_in_units(hours: Decimal, params: Params) -> float:
    """Weekly hours outside the office in units: 36 hours are the full workload."""
    return float(Decimal(hours) / FULL_WORKLOAD_HOURS) * params.full_workload_units


def units_of(
    roster_row: pa.Table, other_units: float, params: Params, today: datetime.date
) -> float:
    """The units of the physician of ``roster_row`` (one row of the current roster) with
    ``other_units`` instead of the roster's, computed by the engine as a run computes them
    (``groups.targets``' ``units_before``), never by a formula of our own."""
    index = roster_row.schema.get_field_index("other_units")
    field = roster_row.schema.field(index)
    row = roster_row.set_column(index, field, pa.array([other_units], type=field.type))
    return float(groups.targets(io.physicians_from_arrow(row), params, today).units_before[0])


def declared_workload(
    physician: Physician,
    hours: Decimal,
    *,
    today: datetime.date | None = None,
    params: Params | None = None,
) -> Workload:
    """The workload of ``physician`` declaring ``hours`` a week outside the office, with
    their registered patients of today in the current roster (the packaged parameters
    when ``params`` is None). A physician absent from the roster counts the hours only."""
    params = params or load_params()
    today = today or timezone.localdate()
    hours = Decimal(hours)
    other = hours_in_units(hours, params)
    _dataset, roster = current_roster(physician.rls.region)
    row = None
    if roster is not None:
        row = roster.filter(pc.equal(roster.column("physician_id"), physician.code)).slice(0, 1)
    if row is None or row.num_rows == 0:
        return Workload(hours, other, None, other, params.full_workload_units)
    return Workload(
        hours=hours,
        other_units=other,
        registered=int(row.column("registered")[0].as_py() or 0),
        units=units_of(row, other, params, today),
        full_units=params.full_workload_units,
    )


def total_hours(declaration: PhysicianDeclaration) -> Decimal:
    """The weekly hours outside the office a declaration states."""
    return (
        Decimal(declaration.hospital_hours)
        + Decimal(declaration.emergency_hours)
        + Decimal(declaration.teaching_hours)
    )


# --------------------------------------------------------------------------- writes


def do_submit_declaration(
    physician: Physician,
    *,
    mode: str,
    patients_offered: int | None = None,
    hospital_hours: Decimal = Decimal(0),
    emergency_hours: Decimal = Decimal(0),
    teaching_hours: Decimal = Decimal(0),
    justification: str = "",
    acting_user: User,
) -> PhysicianDeclaration:
    """Record the declaration of ``physician`` (the acting physician themself) and its
    audit entry DECLARATION_SUBMITTED.

    Raises:
        DeclarationError: a declaration of theirs waits for the CML's answer (one pending
            at a time).
        ValueError: an unknown mode.
    """
    if mode not in AttributionMode.values:
        raise ValueError(f"unknown mode {mode!r}")
    region = physician.rls.region
    with transaction.atomic():
        # The physician's row is the lock: two submissions at once cannot both find
        # nothing pending.
        Physician.objects.select_for_update().get(pk=physician.pk)
        pending = PhysicianDeclaration.objects.filter(
            physician=physician, status=DeclarationStatus.SUBMITTED
        )
        if pending.exists():
            raise DeclarationError(
                _("Your previous declaration is waiting for the CML's answer: wait for it.")
            )
        declaration = PhysicianDeclaration.objects.create(
            region=region,
            physician=physician,
            mode=mode,
            patients_offered=patients_offered,
            hospital_hours=hospital_hours,
            emergency_hours=emergency_hours,
            teaching_hours=teaching_hours,
            justification=justification.strip(),
            submitted_by=acting_user,
            submitted_on=timezone.localdate(),
        )
        record(
            AttributionAction.DECLARATION_SUBMITTED,
            region=region,
            acting_user=acting_user,
            subject=declaration,
            rls_code=physician.rls.code,
            physician_code=physician.code,
            mode=mode,
            patients_offered=patients_offered,
            hours={
                "hospital": str(hospital_hours),
                "emergency": str(emergency_hours),
                "teaching": str(teaching_hours),
            },
        )
    return declaration


def do_review_declaration(
    declaration: PhysicianDeclaration,
    status: str,
    comment: str = "",
    *,
    acting_user: User,
) -> PhysicianDeclaration:
    """The CML's answer to a pending declaration (``status``: one of :data:`ANSWERS`),
    with its audit entry DECLARATION_REVIEWED. Accepting it writes the decision on the
    physician (:func:`do_set_decision`, its own audit entry DECISION, the decision's other
    fields kept): the declared mode, and ``full_workload_demonstrated`` set to whether
    the declared units reach the full workload today — the accepted declaration is the
    physician's workload from now on, so a physician whose hours went down is no longer
    spared.

    Raises:
        DeclarationError: the declaration is answered already, a comment is missing (asking
            for more or refusing), or the physician is not in their RLS in the current
            roster (no decision can be recorded).
        ValueError: an unknown status.
    """
    if status not in ANSWERS:
        raise ValueError(f"unknown answer {status!r}")
    comment = comment.strip()
    if status != DeclarationStatus.ACCEPTED and not comment:
        raise DeclarationError(_("Say in a comment what is missing or why it is refused."))
    with transaction.atomic():
        locked = (
            PhysicianDeclaration.objects.select_for_update(of=("self",))
            .select_related("physician", "physician__rls", "region")
            .get(pk=declaration.pk)
        )
        if locked.status != DeclarationStatus.SUBMITTED:
            raise DeclarationError(_("This declaration has been answered already."))
        physician = locked.physician
        details: dict[str, Any] = {}
        if status == DeclarationStatus.ACCEPTED:
            workload = declared_workload(physician, total_hours(locked))
            _decide(locked, workload, acting_user)
            details = {"units": round(workload.units, 3), "full_workload": workload.reaches}
        locked.status = status
        locked.reviewed_by = acting_user
        locked.reviewed_on = timezone.localdate()
        locked.review_comment = comment
        locked.save(update_fields=["status", "reviewed_by", "reviewed_on", "review_comment"])
        record(
            AttributionAction.DECLARATION_REVIEWED,
            region=locked.region,
            acting_user=acting_user,
            subject=locked,
            rls_code=physician.rls.code,
            physician_code=physician.code,
            status=status,
            comment=comment,
            **details,
        )
    return locked


def _decide(declaration: PhysicianDeclaration, workload: Workload, acting_user: User) -> None:
    """Write the accepted declaration into the decision on its physician, keeping what the
    CML decided otherwise (exclusion, derogation, departure, note)."""
    physician = declaration.physician
    existing = PhysicianDecision.objects.filter(
        region=declaration.region, physician_code=physician.code
    ).first()
    fields = {name: getattr(existing, name) for name in DECISION_FIELDS} if existing else {}
    fields["mode"] = declaration.mode
    fields["full_workload_demonstrated"] = workload.reaches
    # The participation declared is the one in force: an empty offer takes the procedure's
    # target again.
    fields["patients_offered"] = declaration.patients_offered
    try:
        do_set_decision(
            declaration.region,
            physician.code,
            physician.rls.code,
            acting_user=acting_user,
            **fields,
        )
    except Http404 as error:
        raise DeclarationError(
            _(
                "The physician is not in their RLS in the current physicians' roster: "
                "no decision can be recorded for them."
            )
        ) from error
