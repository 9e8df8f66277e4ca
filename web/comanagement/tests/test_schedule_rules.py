"""The collective agreement's schedule rules at their boundaries, through the services: the
GMF proposes (do_propose_schedule), the CISSS/CIUSSS validates (do_validate_schedule).

The world's professional is a nurse clinician under the FIQ in cisss_bsl (the shipped
illustrative rules): 37.5 h a week, at most 5 days, weeks from Sunday, 2 rest days in a
row a week or 4 in a row per 2 weeks, a meal break of 30 to 60 minutes due after 5 h,
work on a holiday allowed when marked, 24 June a fixed holiday.
"""

from __future__ import annotations

import datetime
from datetime import time
from decimal import Decimal

import pytest

from panelcare.comanagement.schedules import Break, LeaveDay, WorkDay
from web.audit.models import AuditEvent
from web.comanagement.errors import RecordRefused, ScheduleRefusedByRules
from web.comanagement.models import ComanagementAction, Schedule
from web.comanagement.services import presence

SUNDAY = datetime.date(2026, 1, 11)  # a week of the placement (from 2026-01-05)
DECIDED = datetime.date(2026, 1, 8)
MEAL = (Break(time(12), time(12, 30)),)


def day(first: datetime.date, offset: int, end: time = time(16), **kwargs: object) -> WorkDay:
    """A work day from 8:00 to ``end`` with a 30-minute meal break at noon (7.5 h to 16:00)."""
    return WorkDay(
        first + datetime.timedelta(days=offset),
        time(8),
        end,
        kwargs.pop("breaks", MEAL),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def week(first: datetime.date = SUNDAY) -> list[WorkDay | LeaveDay]:
    """Monday to Friday, 7.5 h a day: exactly the 37.5 h week."""
    return [day(first, offset) for offset in range(1, 6)]


def decide(world, days, *, first=SUNDAY, weeks=1, available=None):
    """Propose as the GMF, then validate as the CISSS/CIUSSS; the rule codes broken
    (empty when validated)."""
    schedule = presence.do_propose_schedule(
        world.placement,
        first,
        weeks,
        days=days,
        vacation_days_available=available,
        acting_user=world.users["gmf"],
    )
    try:
        presence.do_validate_schedule(schedule, DECIDED, acting_user=world.users["ciusss"])
    except ScheduleRefusedByRules as refused:
        schedule.refresh_from_db()
        assert schedule.status == "proposed"  # nothing written on a refusal
        return [refusal.rule for refusal in refused.refusals]
    schedule.refresh_from_db()
    assert schedule.status == "validated"
    assert schedule.rules_version == world.rules
    return []


def test_it_accepts_exactly_the_weekly_hours(world):
    assert decide(world, week()) == []


def test_it_refuses_15_minutes_over_the_weekly_hours(world):
    days = week()
    days[4] = day(SUNDAY, 5, end=time(16, 15))
    assert decide(world, days) == ["weekly_hours_exceeded"]


def test_it_says_the_hours_over_in_french(world):
    days = week()
    days[4] = day(SUNDAY, 5, end=time(16, 15))
    schedule = presence.do_propose_schedule(
        world.placement, SUNDAY, 1, days=days, acting_user=world.users["gmf"]
    )
    with pytest.raises(ScheduleRefusedByRules) as refused:
        presence.do_validate_schedule(schedule, DECIDED, acting_user=world.users["ciusss"])
    (refusal,) = refused.value.refusals
    assert refusal.params["planned_hours"] == Decimal("37.75")


def test_it_accepts_5_days_and_refuses_6(world):
    six = [day(SUNDAY, offset, end=time(14, 45)) for offset in range(1, 7)]  # 6 x 6.25 h
    assert "too_many_days" in decide(world, six)


def test_it_accepts_2_consecutive_rest_days(world):
    # Sunday to Thursday: Friday and Saturday off.
    days = [day(SUNDAY, offset) for offset in range(0, 5)]
    assert decide(world, days) == []


def test_it_refuses_2_rest_days_apart(world):
    # Wednesday and Saturday off: never 2 in a row, even read as a repeating cycle.
    days = [day(SUNDAY, offset) for offset in (0, 1, 2, 4, 5)]
    assert decide(world, days) == ["rest_days_not_consecutive"]


def test_it_accepts_4_rest_days_in_a_row_per_2_weeks_for_the_fiq(world):
    # cisss_bsl agrees the FIQ's alternative: week 1 Sunday-Wednesday off (4 in a row),
    # week 2 only Wednesday off; 10 days of 7.5 h.
    days = [day(SUNDAY, offset) for offset in (4, 5, 6)]
    days += [day(SUNDAY, offset) for offset in (7, 8, 9, 11, 12, 13)]
    days += [day(SUNDAY, 10, end=time(12), breaks=())]  # a 4-hour Wednesday
    assert "rest_days_not_consecutive" not in decide(world, days, weeks=2)


def test_it_accepts_a_meal_break_of_exactly_the_minimum(world):
    assert decide(world, week()) == []  # 30 minutes at noon


def test_it_refuses_a_meal_break_one_minute_short(world):
    days = week()
    # 8:00-15:59 with 29 minutes: still 7.5 h, so only the break is at fault.
    days[2] = day(SUNDAY, 3, end=time(15, 59), breaks=(Break(time(12), time(12, 29)),))
    assert decide(world, days) == ["meal_break_too_short"]


def test_it_refuses_a_long_day_without_a_meal_break(world):
    days = week()
    days[2] = day(SUNDAY, 3, end=time(15, 30), breaks=())
    assert decide(world, days) == ["meal_break_missing"]


FETE_NATIONALE_WEEK = datetime.date(2026, 6, 21)  # 24 June 2026 is a Wednesday


def test_it_accepts_24_june_taken_as_a_holiday(world):
    days = week(FETE_NATIONALE_WEEK)
    days[2] = LeaveDay(datetime.date(2026, 6, 24), "holiday")
    assert decide(world, days, first=FETE_NATIONALE_WEEK) == []


def test_it_refuses_24_june_worked_without_saying_so(world):
    assert decide(world, week(FETE_NATIONALE_WEEK), first=FETE_NATIONALE_WEEK) == [
        "holiday_work_not_marked"
    ]


def test_it_accepts_24_june_marked_as_a_holiday_worked(world):
    days = week(FETE_NATIONALE_WEEK)
    days[2] = day(FETE_NATIONALE_WEEK, 3, holiday_worked=True)
    assert decide(world, days, first=FETE_NATIONALE_WEEK) == []


def test_it_accepts_the_vacation_days_available(world):
    days = week()
    days[0] = LeaveDay(SUNDAY + datetime.timedelta(days=1), "vacation")
    days[1] = LeaveDay(SUNDAY + datetime.timedelta(days=2), "vacation")
    assert decide(world, days, available=Decimal(2)) == []


def test_it_refuses_vacation_days_beyond_those_available(world):
    days = week()
    days[0] = LeaveDay(SUNDAY + datetime.timedelta(days=1), "vacation")
    days[1] = LeaveDay(SUNDAY + datetime.timedelta(days=2), "vacation")
    assert decide(world, days, available=Decimal(1)) == ["vacation_days_exceeded"]


def test_it_writes_nothing_when_the_rules_refuse(world):
    days = week()
    days[4] = day(SUNDAY, 5, end=time(17))
    schedule = presence.do_propose_schedule(
        world.placement, SUNDAY, 1, days=days, acting_user=world.users["gmf"]
    )
    with pytest.raises(ScheduleRefusedByRules):
        presence.do_validate_schedule(schedule, DECIDED, acting_user=world.users["ciusss"])
    schedule.refresh_from_db()
    assert (schedule.status, schedule.decided_on, schedule.rules_version) == (
        "proposed",
        None,
        None,
    )
    assert not AuditEvent.objects.filter(action=ComanagementAction.SCHEDULE_VALIDATED).exists()


def test_it_refuses_a_schedule_not_starting_on_the_first_day_of_the_week(world):
    with pytest.raises(RecordRefused):
        presence.do_propose_schedule(
            world.placement,
            SUNDAY + datetime.timedelta(days=1),
            1,
            days=[],
            acting_user=world.users["gmf"],
        )
    assert not Schedule.objects.exists()


def test_it_refuses_a_day_ending_after_midnight(world):
    days = week()
    days[0] = WorkDay(SUNDAY + datetime.timedelta(days=1), time(16), time(0, 30))
    with pytest.raises(RecordRefused, match=r"midnight|minuit"):
        presence.do_propose_schedule(
            world.placement, SUNDAY, 1, days=days, acting_user=world.users["gmf"]
        )
