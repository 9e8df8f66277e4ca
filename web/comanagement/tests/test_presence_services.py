"""The presence services (absences, replacements, schedules, attendance): the domain's
checks, the audit entry of each write, nothing written on a refusal; the presence read
module (planned against actual days) and the refusals' sentences."""

from __future__ import annotations

import datetime
from datetime import time
from decimal import Decimal

import pytest
from django.utils import translation

from panelcare.comanagement.schedules import RULES, Break, LeaveDay, Refusal, WorkDay
from web.audit.models import AuditEvent
from web.comanagement import presence as reading
from web.comanagement import refusals
from web.comanagement.errors import RecordRefused, ScheduleRefusedByRules
from web.comanagement.models import (
    Absence,
    AttendanceRecord,
    ComanagementAction,
    Placement,
    Professional,
    Replacement,
    Schedule,
    ScheduleBreak,
)
from web.comanagement.services import presence

D = datetime.date
SUNDAY = D(2026, 1, 11)
MEAL = (Break(time(12), time(12, 30)),)


def monday_to_friday(first: datetime.date = SUNDAY, end: time = time(16)) -> list[WorkDay]:
    return [
        WorkDay(first + datetime.timedelta(days=offset), time(8), end, MEAL)
        for offset in range(1, 6)
    ]


def audits(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def propose(world, days=None, **kwargs) -> Schedule:
    return presence.do_propose_schedule(
        world.placement,
        kwargs.pop("first", SUNDAY),
        kwargs.pop("weeks", 1),
        days=monday_to_friday() if days is None else days,
        acting_user=world.users["gmf"],
        **kwargs,
    )


# --------------------------------------------------------------------------- absences


def test_it_records_an_absence_with_its_audit_entry(world):
    absence = presence.do_record_absence(
        world.placement,
        start=D(2026, 3, 2),
        end=None,
        foreseeable=False,
        reason="illness",
        acting_user=world.users["gmf"],
    )
    assert absence.reported_on is not None and absence.end is None
    (event,) = audits(ComanagementAction.ABSENCE_RECORDED)
    assert event.region == world.region and event.rls_code == "0111"
    assert event.details["reason"] == "illness" and event.subject_id == str(absence.pk)


def test_it_refuses_an_absence_ending_before_it_starts(world):
    with pytest.raises(RecordRefused):
        presence.do_record_absence(
            world.placement,
            start=D(2026, 3, 2),
            end=D(2026, 3, 2),
            foreseeable=True,
            reason="vacation",
            acting_user=world.users["gmf"],
        )
    assert not Absence.objects.exists() and not audits(ComanagementAction.ABSENCE_RECORDED)


def test_it_refuses_an_absence_before_the_placement(world):
    with pytest.raises(RecordRefused):
        presence.do_record_absence(
            world.placement,
            start=D(2025, 12, 1),
            end=None,
            foreseeable=True,
            reason="vacation",
            acting_user=world.users["gmf"],
        )


def test_it_refuses_an_absence_overlapping_another(world):
    kwargs = {"foreseeable": True, "reason": "vacation", "acting_user": world.users["gmf"]}
    presence.do_record_absence(world.placement, start=D(2026, 3, 2), end=D(2026, 3, 9), **kwargs)
    with pytest.raises(RecordRefused):
        presence.do_record_absence(world.placement, start=D(2026, 2, 23), end=None, **kwargs)
    assert Absence.objects.count() == 1


def test_it_changes_an_absence_and_keeps_the_values_before(world):
    absence = presence.do_record_absence(
        world.placement,
        start=D(2026, 3, 2),
        end=None,
        foreseeable=False,
        reason="illness",
        acting_user=world.users["gmf"],
    )
    presence.do_change_absence(
        absence, end=D(2026, 4, 20), foreseeable=True, acting_user=world.users["gmf"]
    )
    absence.refresh_from_db()
    assert (absence.end, absence.foreseeable) == (D(2026, 4, 20), True)
    (event,) = audits(ComanagementAction.ABSENCE_CHANGED)
    assert event.details["before"] == {"end": None, "foreseeable": False}


# --------------------------------------------------------------------------- replacements


@pytest.fixture
def absence(world) -> Absence:
    return presence.do_record_absence(
        world.placement,
        start=D(2026, 3, 2),
        end=None,
        foreseeable=False,
        reason="illness",
        acting_user=world.users["gmf"],
    )


def test_it_records_a_replacement_by_a_professional_of_the_establishment(world, absence):
    colleague = Professional.objects.create(
        establishment=world.establishment,
        employee_number="E200",
        name="Marc Gagnon",
        professional_type="nurse_clinician",
        agreement="fiq",
        job_title="nurse_clinician",
        service_start=D(2019, 1, 1),
    )
    replacement = presence.do_record_replacement(
        absence, start=D(2026, 3, 30), replaced_by=colleague, acting_user=world.users["ciusss"]
    )
    assert replacement.replaced_by == colleague
    (event,) = audits(ComanagementAction.REPLACEMENT_RECORDED)
    assert event.details["absence"] == absence.pk


def test_it_refuses_a_replacement_of_another_establishment(world, absence):
    stranger = Professional.objects.create(
        establishment=world.establishment2,
        employee_number="E300",
        name="Luc Roy",
        professional_type="nurse_clinician",
        agreement="fiq",
        job_title="nurse_clinician",
        service_start=D(2019, 1, 1),
    )
    with pytest.raises(RecordRefused):
        presence.do_record_replacement(
            absence, start=D(2026, 3, 30), replaced_by=stranger, acting_user=world.users["ciusss"]
        )
    assert not Replacement.objects.exists()


def test_it_refuses_a_replacement_without_anybody_named(world, absence):
    with pytest.raises(RecordRefused):
        presence.do_record_replacement(
            absence, start=D(2026, 3, 30), acting_user=world.users["ciusss"]
        )


def test_it_refuses_a_replacement_before_the_absence(world, absence):
    with pytest.raises(RecordRefused):
        presence.do_record_replacement(
            absence,
            start=D(2026, 3, 1),
            replaced_by_name="Agence",
            acting_user=world.users["ciusss"],
        )


def test_it_says_from_which_day_a_sudden_absence_is_replaced(world, absence):
    status = reading.replacement_status(absence, D(2026, 3, 29))
    assert status.required_from == D(2026, 3, 30)  # its fifth week
    assert not status.required  # 28 days as known on 29 March
    status = reading.replacement_status(absence, D(2026, 3, 30))
    assert status.required and status.late


def test_it_no_longer_says_late_once_replaced(world, absence):
    presence.do_record_replacement(
        absence, start=D(2026, 3, 30), replaced_by_name="Agence", acting_user=world.users["ciusss"]
    )
    absence = Absence.objects.get(pk=absence.pk)
    status = reading.replacement_status(absence, D(2026, 4, 2))
    assert status.required and status.replaced and not status.late


# --------------------------------------------------------------------------- schedules


def test_it_writes_a_proposal_with_its_days_and_breaks(world):
    days = monday_to_friday()
    days[0] = LeaveDay(days[0].day, "vacation")
    schedule = propose(world, days, vacation_days_available=Decimal("3"))
    assert schedule.status == "proposed"
    assert schedule.days.count() == 5 and schedule.days.filter(kind="vacation").count() == 1
    assert ScheduleBreak.objects.filter(day__schedule=schedule).count() == 4
    (event,) = audits(ComanagementAction.SCHEDULE_PROPOSED)
    assert event.details["weeks"] == 1
    assert presence.core_schedule(schedule).days == tuple(days)


def test_it_withdraws_the_proposal_a_change_replaces(world):
    first = propose(world)
    second = propose(world, replaces=first)
    first.refresh_from_db()
    assert first.status == "withdrawn" and second.replaces == first


def test_it_keeps_a_validated_schedule_until_its_change_is_validated(world):
    first = propose(world)
    presence.do_validate_schedule(first, D(2026, 1, 8), acting_user=world.users["ciusss"])
    second = propose(world, monday_to_friday(D(2026, 2, 1)), first=D(2026, 2, 1), replaces=first)
    first.refresh_from_db()
    assert first.status == "validated"
    presence.do_validate_schedule(second, D(2026, 1, 20), acting_user=world.users["ciusss"])
    first.refresh_from_db()
    assert first.status == "withdrawn"


def test_it_refuses_to_replace_a_schedule_of_another_placement(world):
    other = Placement.objects.create(
        professional=world.professional,
        gmf=world.gmf,
        fte=Decimal("0.5"),
        supervisor_name="X",
        start=D(2026, 1, 5),
    )
    earlier = presence.do_propose_schedule(
        other, SUNDAY, 1, days=monday_to_friday(), acting_user=world.users["gmf"]
    )
    with pytest.raises(RecordRefused):
        propose(world, replaces=earlier)


def test_it_validates_with_the_rules_version_in_force(world):
    schedule = propose(world)
    presence.do_validate_schedule(schedule, D(2026, 1, 8), acting_user=world.users["ciusss"])
    schedule.refresh_from_db()
    assert schedule.status == "validated" and schedule.rules_version == world.rules
    assert schedule.decided_by == world.users["ciusss"]
    (event,) = audits(ComanagementAction.SCHEDULE_VALIDATED)
    assert event.details["rules_version"] == 1


def test_it_refuses_to_decide_a_schedule_twice(world):
    schedule = propose(world)
    presence.do_validate_schedule(schedule, D(2026, 1, 8), acting_user=world.users["ciusss"])
    with pytest.raises(RecordRefused):
        presence.do_validate_schedule(schedule, D(2026, 1, 8), acting_user=world.users["ciusss"])
    with pytest.raises(RecordRefused):
        presence.do_refuse_schedule(schedule, "non", acting_user=world.users["ciusss"])


def test_it_refuses_to_validate_without_rules_in_force(world):
    schedule = propose(world)
    world.rules.in_force_from = D(2027, 1, 1)
    world.rules.save(update_fields=["in_force_from"])
    with pytest.raises(RecordRefused):
        presence.do_validate_schedule(schedule, D(2026, 1, 8), acting_user=world.users["ciusss"])
    schedule.refresh_from_db()
    assert schedule.status == "proposed"


def test_it_stores_the_refusals_as_text_with_the_note(world):
    days = monday_to_friday()
    days[4] = WorkDay(days[4].day, time(8), time(16, 15), MEAL)
    schedule = propose(world, days)
    presence.do_refuse_schedule(
        schedule, "Voir la semaine.", on=D(2026, 1, 8), acting_user=world.users["ciusss"]
    )
    schedule.refresh_from_db()
    assert schedule.status == "refused" and schedule.refusal_note == "Voir la semaine."
    assert schedule.refusals == [
        {
            "rule": "weekly_hours_exceeded",
            "params": {
                "planned_hours": "37.75",
                "max_hours": "37.5",
                "job_title": "nurse_clinician",
            },
            "week": "2026-01-11",
            "day": None,
        }
    ]
    (event,) = audits(ComanagementAction.SCHEDULE_REFUSED)
    assert event.details["rules"] == ["weekly_hours_exceeded"]


def test_it_refuses_a_valid_schedule_only_with_a_note(world):
    schedule = propose(world)
    with pytest.raises(RecordRefused):
        presence.do_refuse_schedule(schedule, "  ", acting_user=world.users["ciusss"])
    schedule.refresh_from_db()
    assert schedule.status == "proposed"
    presence.do_refuse_schedule(schedule, "Horaire du site", acting_user=world.users["ciusss"])
    schedule.refresh_from_db()
    assert schedule.status == "refused" and schedule.refusals == []


def test_it_carries_the_core_refusals_in_the_error(world):
    days = monday_to_friday(end=time(17))
    schedule = propose(world, days)
    with pytest.raises(ScheduleRefusedByRules) as refused:
        presence.do_validate_schedule(schedule, D(2026, 1, 8), acting_user=world.users["ciusss"])
    assert all(isinstance(r, Refusal) for r in refused.value.refusals)


# --------------------------------------------------------------------------- attendance


def test_it_submits_and_approves_attendance(world):
    record = presence.do_submit_attendance(
        world.placement,
        start=D(2026, 2, 1),
        end=D(2026, 3, 1),
        planned_days=Decimal("20"),
        worked_days=Decimal("18.5"),
        acting_user=world.users["gmf"],
    )
    presence.do_approve_attendance(record, on=D(2026, 3, 5), acting_user=world.users["ciusss"])
    record.refresh_from_db()
    assert record.approved_on == D(2026, 3, 5) and record.approved_by == world.users["ciusss"]
    assert len(audits(ComanagementAction.ATTENDANCE_SUBMITTED)) == 1
    assert len(audits(ComanagementAction.ATTENDANCE_APPROVED)) == 1
    with pytest.raises(RecordRefused):
        presence.do_approve_attendance(record, acting_user=world.users["ciusss"])


def test_it_refuses_attendance_overlapping_a_record(world):
    kwargs = {
        "planned_days": Decimal(20),
        "worked_days": Decimal(20),
        "acting_user": world.users["gmf"],
    }
    presence.do_submit_attendance(world.placement, start=D(2026, 2, 1), end=D(2026, 3, 1), **kwargs)
    with pytest.raises(RecordRefused):
        presence.do_submit_attendance(
            world.placement, start=D(2026, 2, 15), end=D(2026, 3, 15), **kwargs
        )
    assert AttendanceRecord.objects.count() == 1


def test_it_refuses_attendance_ending_before_it_starts(world):
    with pytest.raises(RecordRefused):
        presence.do_submit_attendance(
            world.placement,
            start=D(2026, 2, 1),
            end=D(2026, 2, 1),
            planned_days=Decimal(0),
            worked_days=Decimal(0),
            acting_user=world.users["gmf"],
        )


# --------------------------------------------------------------------------- presence


def test_it_counts_planned_and_actual_days_per_month(world):
    # Monday to Friday from 11 January 2026, validated; an absence from 2 to 6 February.
    schedule = propose(world)
    presence.do_validate_schedule(schedule, D(2026, 1, 8), acting_user=world.users["ciusss"])
    presence.do_record_absence(
        world.placement,
        start=D(2026, 2, 2),
        end=D(2026, 2, 7),
        foreseeable=True,
        reason="vacation",
        acting_user=world.users["gmf"],
    )
    january, february = reading.presence_by_month(world.placement, until=D(2026, 2, 28))
    # January: 5 to 10 has no schedule (6 days); 12 to 30 holds 15 weekdays.
    assert (january.planned_days, january.unscheduled_days) == (15, 6)
    assert january.actual_days == Decimal(15)
    assert (february.planned_days, february.absent_days) == (20, 5)
    assert february.actual_days == Decimal(15) and not february.approved


def test_it_counts_an_approved_attendance_record_instead(world):
    schedule = propose(world)
    presence.do_validate_schedule(schedule, D(2026, 1, 8), acting_user=world.users["ciusss"])
    record = presence.do_submit_attendance(
        world.placement,
        start=D(2026, 2, 1),
        end=D(2026, 3, 1),
        planned_days=Decimal(20),
        worked_days=Decimal(18),
        acting_user=world.users["gmf"],
    )
    (february,) = reading.presence_by_month(world.placement, until=D(2026, 2, 28))[1:]
    assert february.actual_days == Decimal(20)  # not approved: the schedule's count
    presence.do_approve_attendance(record, acting_user=world.users["ciusss"])
    (february,) = reading.presence_by_month(world.placement, until=D(2026, 2, 28))[1:]
    assert february.actual_days == Decimal(18) and february.approved


def test_it_draws_the_presence_chart(world):
    rows = reading.presence_by_month(world.placement, until=D(2026, 2, 28))
    spec = reading.presence_chart(rows)
    assert "$schema" not in spec and len(spec["datasets"]["presence"]) == 2 * len(rows)


# --------------------------------------------------------------------------- sentences


def test_it_has_a_sentence_for_every_rule_of_the_core():
    assert set(refusals.SENTENCES) == set(RULES)


def test_it_says_the_weekly_hours_the_french_way():
    refusal = Refusal(
        "weekly_hours_exceeded",
        {"planned_hours": Decimal("38.5"), "max_hours": Decimal("37.5"), "job_title": "nurse"},
        week=D(2026, 1, 4),
    )
    with translation.override("fr"):
        text = refusals.sentence(refusal)
        assert text == refusals.sentence(refusals.as_data(refusal))
    assert text == "Semaine du 4 janvier : 38,5 h, au-delà des 37,5 h de la semaine régulière"


def test_it_names_a_holiday_by_its_label_not_its_code():
    refusal = Refusal("holiday_work_not_marked", {"holiday": "fete_nationale"}, day=D(2026, 6, 24))
    with translation.override("fr"):
        text = refusals.sentence(refusal)
    assert "fete_nationale" not in text and "24 juin" in text
