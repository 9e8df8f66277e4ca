"""The physicians' declarations' rules (issue 19): units counted as the procedure counts
them (3 units = 36 h a week; 500 registered patients = 1 unit) at the 3-unit boundary,
one declaration pending at a time, the CML's answers (a comment for more or a refusal,
no second answer), and acceptance writing the decision the runs' roster reads."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from panelcare.attribution.params import Params
from web.attribution.models import (
    AttributionAction,
    AttributionMode,
    DeclarationStatus,
    PhysicianDecision,
    PhysicianDeclaration,
)
from web.attribution.roster import applied_roster, current_roster, decisions_in_force
from web.attribution.services import do_set_decision
from web.attribution.services_declarations import (
    DeclarationError,
    declared_workload,
    do_review_declaration,
    do_submit_declaration,
    hours_in_units,
    units_of,
)
from web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def physician_user(demo_user) -> User:
    """The demo physician ``medecin`` (of Rimouski-Neigette)."""
    return demo_user("medecin")


@pytest.fixture
def physician(physician_user):
    return physician_user.profile.physician


def roster_row(physician, registered: int) -> pa.Table:
    """The physician's row of the current roster with ``registered`` patients, none of
    them vulnerable."""
    _dataset, roster = current_roster(physician.rls.region)
    row = roster.filter(pc.equal(roster.column("physician_id"), physician.code))
    for name, value in (("registered", registered), ("vulnerable", 0)):
        index = row.schema.get_field_index(name)
        field = row.schema.field(index)
        row = row.set_column(index, field, pa.array([value], type=field.type))
    return row


def submit(physician, user, **fields) -> PhysicianDeclaration:
    values = {"mode": AttributionMode.BLOC, **fields}
    return do_submit_declaration(physician, **values, acting_user=user)


def applied_row(physician) -> tuple[dict, dict]:
    """The physician's row of the roster a run would read today, and its decision's
    snapshot."""
    region = physician.rls.region
    _dataset, roster = current_roster(region)
    table, snapshot = applied_roster(roster, decisions_in_force(region).values(), TODAY)
    row = next(r for r in table.to_pylist() if r["physician_id"] == physician.code)
    entry = next(e for e in snapshot if e["physician_code"] == physician.code)
    return row, entry


# --------------------------------------------------------------------------- units


def test_it_counts_36_hours_a_week_as_the_full_workload():
    params = Params()
    assert hours_in_units(Decimal(36), params) == pytest.approx(3.0)
    assert hours_in_units(Decimal(12), params) == pytest.approx(1.0)
    assert hours_in_units(Decimal("35.9"), params) < 3.0


def test_it_reaches_3_units_at_36_hours_not_at_35_9(physician):
    params = Params()
    row = roster_row(physician, 0)
    assert units_of(row, hours_in_units(Decimal(36), params), params, TODAY) >= 3.0
    assert units_of(row, hours_in_units(Decimal("35.9"), params), params, TODAY) < 3.0


def test_it_adds_half_a_unit_for_each_250_registered_patients(physician):
    params = Params()
    row = roster_row(physician, 250)
    at_30 = units_of(row, hours_in_units(Decimal(30), params), params, TODAY)
    assert at_30 == pytest.approx(3.0)
    assert units_of(row, hours_in_units(Decimal("29.9"), params), params, TODAY) < 3.0


def test_it_tells_whether_the_declared_hours_reach_3_units(physician):
    workload = declared_workload(physician, Decimal(36), today=TODAY)
    assert workload.registered is not None
    assert workload.reaches
    assert workload.units == pytest.approx(3.0 + workload.registered / 500)
    nothing = declared_workload(physician, Decimal(0), today=TODAY)
    assert nothing.units == pytest.approx(nothing.registered / 500)
    assert nothing.reaches == (nothing.registered >= 1500)


# --------------------------------------------------------------------------- submitting


def test_it_keeps_one_declaration_pending_at_a_time(physician, physician_user, cml):
    first = submit(physician, physician_user, hospital_hours=Decimal(10), justification="CH")
    with pytest.raises(DeclarationError):
        submit(physician, physician_user)
    assert PhysicianDeclaration.objects.filter(physician=physician).count() == 1
    do_review_declaration(
        first, DeclarationStatus.MORE_REQUESTED, "Which hospital?", acting_user=cml
    )
    second = submit(physician, physician_user, hospital_hours=Decimal(10), justification="CHR")
    assert second.status == DeclarationStatus.SUBMITTED
    assert (
        AuditEvent.objects.filter(
            action=AttributionAction.DECLARATION_SUBMITTED, rls_code=physician.rls.code
        ).count()
        == 2
    )


# --------------------------------------------------------------------------- reviewing


@pytest.mark.parametrize("answer", [DeclarationStatus.MORE_REQUESTED, DeclarationStatus.REFUSED])
def test_it_requires_a_comment_to_ask_for_more_or_refuse(physician, physician_user, cml, answer):
    declaration = submit(physician, physician_user)
    with pytest.raises(DeclarationError):
        do_review_declaration(declaration, answer, "  ", acting_user=cml)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED
    do_review_declaration(declaration, answer, "Not enough.", acting_user=cml)
    declaration.refresh_from_db()
    assert declaration.status == answer
    assert declaration.review_comment == "Not enough."
    assert declaration.reviewed_by == cml
    assert not PhysicianDecision.objects.filter(physician_code=physician.code).exists()


def test_it_does_not_answer_a_declaration_twice(physician, physician_user, cml):
    declaration = submit(physician, physician_user)
    do_review_declaration(declaration, DeclarationStatus.REFUSED, "No.", acting_user=cml)
    with pytest.raises(DeclarationError):
        do_review_declaration(declaration, DeclarationStatus.ACCEPTED, acting_user=cml)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.REFUSED
    assert not PhysicianDecision.objects.filter(physician_code=physician.code).exists()


def test_it_writes_the_decision_the_runs_read_on_acceptance(physician, physician_user, cml):
    declaration = submit(
        physician,
        physician_user,
        mode=AttributionMode.LE304,
        hospital_hours=Decimal(20),
        emergency_hours=Decimal(12),
        teaching_hours=Decimal(4),
        justification="Hospital and emergency rota.",
    )
    do_review_declaration(declaration, DeclarationStatus.ACCEPTED, acting_user=cml)
    decision = PhysicianDecision.objects.get(physician_code=physician.code)
    assert decision.mode == "le304"
    assert decision.full_workload_demonstrated
    assert decision.rls_code == physician.rls.code
    row, entry = applied_row(physician)
    assert row["mode"] == "le304"
    assert entry["full_workload_demonstrated"]
    assert row["other_units"] + row["registered"] / 500 >= 3.0 - 1e-9
    review = AuditEvent.objects.get(action=AttributionAction.DECLARATION_REVIEWED)
    assert review.details["status"] == "accepted"
    assert review.details["full_workload"] is True
    assert AuditEvent.objects.filter(action=AttributionAction.DECISION).exists()


def test_it_does_not_spare_a_physician_below_3_units(physician, physician_user, cml):
    workload = declared_workload(physician, Decimal(0), today=timezone.localdate())
    assert not workload.reaches, "the demo physician is below 3 units on their patients alone"
    do_set_decision(
        physician.rls.region,
        physician.code,
        physician.rls.code,
        acting_user=cml,
        full_workload_demonstrated=True,
        amp_target_derogation=100,
    )
    declaration = submit(physician, physician_user, mode=AttributionMode.NONE)
    do_review_declaration(declaration, DeclarationStatus.ACCEPTED, acting_user=cml)
    decision = PhysicianDecision.objects.get(physician_code=physician.code)
    assert decision.mode == "none"
    assert not decision.full_workload_demonstrated
    assert decision.amp_target_derogation == 100  # the CML's other decisions are kept
    row, _entry = applied_row(physician)
    assert row["mode"] == "none"
