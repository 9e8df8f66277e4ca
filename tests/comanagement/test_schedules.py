"""Schedule validation against the collective agreement, at the boundaries of each rule:
exactly the weekly hours and a quarter hour more; 5 vs 6 days; rest days consecutive,
split within a week, or shared across two weeks; a meal break a minute short or a minute
late; work on a holiday (24 June on a Sunday); a leap year; the loader's errors.

The demo rules (agreements.toml): a social worker (APTS) works 35 h, with 2 consecutive rest
days a week; a nurse (FIQ) 36.25 h, with 2 consecutive rest days a week OR 4 in a row per
2 weeks in cisss_bsl (alternatives); weeks run Sunday to Saturday.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from panelcare.comanagement.schedules import (
    RULES,
    AgreementBook,
    AgreementRulesError,
    Break,
    LeaveDay,
    Refusal,
    RestDaysRule,
    Schedule,
    ScheduleError,
    ScheduleRules,
    WorkDay,
    load_agreements,
    vacation_entitlement,
    validate,
)

# Sunday 1 February 2026: a month with no holiday.
FEB = date(2026, 2, 1)
ON = date(2026, 1, 15)
MON, TUE, WED, THU, FRI, SAT = 1, 2, 3, 4, 5, 6
SUN = 0  # offsets from the Sunday that starts a week


@pytest.fixture(scope="module")
def book() -> AgreementBook:
    return load_agreements()


@pytest.fixture(scope="module")
def social_worker(book: AgreementBook) -> ScheduleRules:
    return book.rules_for(job_title="social_worker", agreement="apts", establishment="cisss_bsl")


@pytest.fixture(scope="module")
def nurse(book: AgreementBook) -> ScheduleRules:
    return book.rules_for(job_title="nurse", agreement="fiq", establishment="cisss_bsl")


def day(
    on: date, start: str = "08:00", end: str = "15:30", meal: str | None = "12:00-12:30", **kw
) -> WorkDay:
    """A work day; the default is 7 h of work (8:00-15:30 less a 30-minute meal)."""
    breaks: tuple[Break, ...] = ()
    if meal:
        begin, finish = meal.split("-")
        breaks = (Break(time.fromisoformat(begin), time.fromisoformat(finish)),)
    return WorkDay(on, time.fromisoformat(start), time.fromisoformat(end), breaks, **kw)


def weeks(first: date, *offsets_per_week: tuple[int, ...], **kw) -> Schedule:
    """A schedule of standard 7-hour days on the given weekday offsets, week by week."""
    days = tuple(
        day(first + timedelta(weeks=index, days=offset), **kw)
        for index, offsets in enumerate(offsets_per_week)
        for offset in offsets
    )
    return Schedule(first, len(offsets_per_week), days)


def rules_of(refusals: list[Refusal]) -> list[str]:
    return [refusal.rule for refusal in refusals]


MON_TO_FRI = (MON, TUE, WED, THU, FRI)


# ------------------------------------------------------------------ a valid schedule


def test_it_accepts_a_monday_to_friday_week_of_exactly_the_weekly_hours(social_worker):
    assert validate(weeks(FEB, MON_TO_FRI), social_worker, on=ON) == []


# ------------------------------------------------------------------ weekly hours


def test_it_refuses_a_week_over_the_job_titles_hours_and_says_by_how_much(social_worker):
    schedule = weeks(FEB, MON_TO_FRI)
    longer = day(FEB + timedelta(days=FRI), end="16:45")  # 8 h 15: 36.25 h in the week
    schedule = Schedule(FEB, 1, (*schedule.days[:4], longer))
    [refusal] = validate(schedule, social_worker, on=ON)
    assert refusal.rule == "weekly_hours_exceeded"
    assert refusal.params == {
        "planned_hours": Decimal("36.25"),
        "max_hours": Decimal("35"),
        "job_title": "social_worker",
    }
    assert refusal.week == FEB and refusal.day is None
    assert str(refusal) == (
        "weekly_hours_exceeded: 36.25 h planned > 35 h for the job title social_worker "
        "in the week of 2026-02-01"
    )


def test_it_refuses_one_minute_over_the_weekly_hours(social_worker):
    schedule = weeks(FEB, MON_TO_FRI)
    longer = day(FEB + timedelta(days=FRI), end="15:31")
    refusals = validate(Schedule(FEB, 1, (*schedule.days[:4], longer)), social_worker, on=ON)
    assert rules_of(refusals) == ["weekly_hours_exceeded"]
    assert refusals[0].params["planned_hours"] == Decimal("35.02")


def test_it_takes_the_hours_of_the_job_title(nurse):
    # 36.25 h: five days of 7 h 15 are exactly the nurse's week; a minute more a day is over.
    # (Friday to Monday off: 4 rest days in a row, one of the FIQ's alternatives in cisss_bsl.)
    pattern = ((SUN, MON, TUE, WED, THU), (TUE, WED, THU, FRI, SAT))
    assert validate(weeks(FEB, *pattern, end="15:45"), nurse, on=ON) == []
    refusals = validate(weeks(FEB, *pattern, end="15:46"), nurse, on=ON)
    assert rules_of(refusals) == ["weekly_hours_exceeded"] * 2
    assert refusals[0].params["max_hours"] == Decimal("36.25")
    assert refusals[0].params["planned_hours"] == Decimal("36.33")


def test_it_does_not_count_a_meal_break_but_counts_a_paid_rest_break(social_worker):
    friday = WorkDay(
        FEB + timedelta(days=FRI),
        time(8, 0),
        time(15, 30),
        (Break(time(10, 0), time(10, 15), meal=False), Break(time(12, 0), time(12, 30))),
    )
    assert friday.worked_minutes == 7 * 60
    schedule = weeks(FEB, MON_TO_FRI)
    assert validate(Schedule(FEB, 1, (*schedule.days[:4], friday)), social_worker, on=ON) == []


# ------------------------------------------------------------------ days per week


def test_it_accepts_five_days_and_refuses_six(social_worker):
    short = {"end": "13:00", "meal": None}  # 5 h: no meal break due, 30 h in six days
    five = weeks(FEB, MON_TO_FRI, **short)
    assert validate(five, social_worker, on=ON) == []
    six = weeks(FEB, (MON, TUE, WED, THU, FRI, SAT), **short)
    refusals = validate(six, social_worker, on=ON)
    assert "too_many_days" in rules_of(refusals)
    too_many = next(r for r in refusals if r.rule == "too_many_days")
    assert too_many.params == {"planned_days": 6, "max_days": 5}
    assert "weekly_hours_exceeded" not in rules_of(refusals)


# ------------------------------------------------------------------ rest days


def test_it_reads_saturday_and_sunday_as_consecutive_across_the_week_boundary(social_worker):
    # Weeks run Sunday-Saturday: a Monday-Friday week rests on its last and first days.
    # The schedule repeats, so its last Saturday joins its first Sunday.
    assert validate(weeks(FEB, MON_TO_FRI), social_worker, on=ON) == []
    assert validate(weeks(FEB, MON_TO_FRI, MON_TO_FRI), social_worker, on=ON) == []


def test_it_refuses_two_rest_days_split_within_a_week(social_worker):
    # Works Monday, Tuesday, Thursday, Friday, Saturday: rests Sunday and Wednesday.
    schedule = weeks(FEB, (MON, TUE, THU, FRI, SAT))
    [refusal] = validate(schedule, social_worker, on=ON)
    assert refusal.rule == "rest_days_not_consecutive"
    assert refusal.params == {
        "longest_rest": 1,
        "consecutive": 2,
        "per_weeks": 1,
        "alternative": 1,
        "alternatives": 1,
    }
    assert refusal.week == FEB


def test_it_does_not_let_one_weekend_serve_two_weeks(social_worker):
    # Week 1 rests Tuesday and Saturday, week 2 Sunday and Thursday: the only two days in a
    # row are Saturday-Sunday across the boundary. It counts for week 1 (where it begins);
    # week 2 has no two days of rest in a row of its own.
    schedule = weeks(FEB, (SUN, MON, WED, THU, FRI), (MON, TUE, WED, FRI, SAT))
    [refusal] = validate(schedule, social_worker, on=ON)
    assert refusal.rule == "rest_days_not_consecutive"
    assert refusal.week == FEB + timedelta(weeks=1)


def test_it_accepts_a_rest_run_that_begins_in_a_week_and_ends_in_the_next(social_worker):
    # Works Sunday to Thursday, rests Friday and Saturday; then Tuesday to Saturday,
    # resting Sunday and Monday: week 2's own run is inside it, week 1's begins on Friday.
    schedule = weeks(FEB, (SUN, MON, TUE, WED, THU), (TUE, WED, THU, FRI, SAT))
    assert validate(schedule, social_worker, on=ON) == []


def test_it_delimits_weeks_as_the_establishment_says(tmp_path: Path):
    # With weeks from Monday, a Tuesday-Saturday worker rests Sunday (the week's last
    # day) and Monday (its first): consecutive through the cycle.
    local = tmp_path / "local.toml"
    local.write_text('[establishments.cisss_bsl]\nweek_starts_on = "monday"\n')
    rules = load_agreements(local).rules_for(
        job_title="social_worker", agreement="apts", establishment="cisss_bsl"
    )
    monday = FEB + timedelta(days=1)
    schedule = Schedule(monday, 1, tuple(day(monday + timedelta(days=o)) for o in range(1, 6)))
    assert validate(schedule, rules, on=ON) == []
    with pytest.raises(ScheduleError, match="starts on a sunday; weeks start on monday"):
        validate(weeks(FEB, MON_TO_FRI), rules, on=ON)


NURSE_DAY = {"end": "15:45"}  # 7 h 15, five of them make the nurse's 36.25 h


def test_it_accepts_a_fiq_nurse_s_monday_to_friday_with_the_weekend_off(nurse):
    # The ordinary week (7 h a day, Saturday and Sunday off) meets the weekly alternative,
    # whatever the number of weeks proposed.
    for count in (1, 2, 3, 4):
        assert validate(weeks(FEB, *[MON_TO_FRI] * count), nurse, on=ON) == []
    assert validate(weeks(FEB, MON_TO_FRI, MON_TO_FRI, **NURSE_DAY), nurse, on=ON) == []


def test_it_accepts_four_days_in_a_row_in_two_weeks_without_two_in_the_second(nurse):
    # Week 1 rests Thursday to Saturday, week 2 Sunday and Wednesday: 4 in a row (Thursday
    # to Sunday) in the 2 weeks, though week 2 has no 2 in a row of its own.
    pattern = ((SUN, MON, TUE, WED), (MON, TUE, THU, FRI, SAT))
    assert validate(weeks(FEB, *pattern), nurse, on=ON) == []


def test_it_refuses_three_days_in_a_row_naming_both_alternatives_broken(nurse):
    # Week 1 rests Friday and Saturday, week 2 Sunday and Wednesday: 3 in a row (Friday to
    # Sunday), a day short of the 2-week alternative; week 2 breaks the weekly one.
    pattern = ((SUN, MON, TUE, WED, THU), (MON, TUE, THU, FRI, SAT))
    refusals = validate(weeks(FEB, *pattern, **NURSE_DAY), nurse, on=ON)
    assert [(r.rule, r.week, dict(r.params)) for r in refusals] == [
        (
            "rest_days_not_consecutive",
            FEB + timedelta(weeks=1),
            {
                "longest_rest": 1,
                "consecutive": 2,
                "per_weeks": 1,
                "alternative": 1,
                "alternatives": 2,
            },
        ),
        (
            "rest_days_not_consecutive",
            FEB,
            {
                "longest_rest": 3,
                "consecutive": 4,
                "per_weeks": 2,
                "alternative": 2,
                "alternatives": 2,
            },
        ),
    ]
    assert str(refusals[1]) == (
        "rest_days_not_consecutive: longest rest 3 days < 4 consecutive days of rest per "
        "2 week(s) (alternative 2 of 2, none met) in the week of 2026-02-01"
    )


def test_it_judges_a_one_week_schedule_by_the_weekly_alternative_alone(nurse):
    # One week cannot be a block of 2: the 2-week alternative does not judge it (a week
    # repeated that kept 4 in a row would keep 2 in a row anyway).
    assert validate(weeks(FEB, (MON, TUE, WED, FRI, SAT), **NURSE_DAY), nurse, on=ON) != []
    [refusal] = validate(weeks(FEB, (MON, TUE, WED, FRI, SAT), **NURSE_DAY), nurse, on=ON)
    assert (refusal.params["alternative"], refusal.params["per_weeks"]) == (1, 1)
    assert validate(weeks(FEB, (MON, TUE, WED, THU, FRI), **NURSE_DAY), nurse, on=ON) == []


def test_it_keeps_the_weekly_rule_alone_for_the_apts_in_the_same_establishment(social_worker):
    # Week 1 rests Thursday to Saturday, week 2 Sunday and Wednesday: the FIQ's 2-week
    # alternative would accept it, the APTS (one rule) refuses week 2.
    pattern = ((SUN, MON, TUE, WED), (MON, TUE, THU, FRI, SAT))
    [refusal] = validate(weeks(FEB, *pattern), social_worker, on=ON)
    assert (refusal.rule, refusal.week) == ("rest_days_not_consecutive", FEB + timedelta(weeks=1))


def only_alternatives(tmp_path: Path, rest_days: str) -> ScheduleRules:
    local = tmp_path / "local.toml"
    local.write_text(f"[establishments.cisss_bsl.agreements.fiq]\nrest_days = {rest_days}\n")
    return load_agreements(local).rules_for(
        job_title="nurse", agreement="fiq", establishment="cisss_bsl"
    )


def test_it_refuses_a_schedule_that_is_whole_blocks_of_no_alternative(tmp_path: Path):
    two_weeks = only_alternatives(tmp_path, "{ consecutive = 4, per_weeks = 2 }")
    with pytest.raises(ScheduleError, match="blocks of 2 weeks"):
        validate(weeks(FEB, MON_TO_FRI), two_weeks, on=ON)
    two_or_three = only_alternatives(
        tmp_path,
        "[{ consecutive = 4, per_weeks = 2 }, { consecutive = 6, per_weeks = 3 }]",
    )
    with pytest.raises(ScheduleError, match="blocks of 2 or 3 weeks"):
        validate(weeks(FEB, MON_TO_FRI), two_or_three, on=ON)
    # Three weeks are whole blocks of the second alternative only, which judges them.
    three = weeks(FEB, MON_TO_FRI, MON_TO_FRI, MON_TO_FRI, **NURSE_DAY)
    [refusal] = validate(three, two_or_three, on=ON)
    assert (refusal.params["alternative"], refusal.params["longest_rest"]) == (2, 2)


# ------------------------------------------------------------------ meal break


def test_it_refuses_a_meal_break_a_minute_short(social_worker):
    schedule = weeks(FEB, MON_TO_FRI)
    short = day(FEB + timedelta(days=WED), meal="12:00-12:29", end="15:29")
    refusals = validate(
        Schedule(FEB, 1, (*schedule.days[:2], short, *schedule.days[3:])), social_worker, on=ON
    )
    assert [(r.rule, r.day, dict(r.params)) for r in refusals] == [
        ("meal_break_too_short", short.day, {"planned_minutes": 29, "min_minutes": 30}),
    ]


def test_it_accepts_the_longest_meal_break_and_refuses_a_minute_more(social_worker):
    schedule = weeks(FEB, MON_TO_FRI)
    sixty = day(FEB + timedelta(days=WED), meal="12:00-13:00", end="16:00")
    assert (
        validate(
            Schedule(FEB, 1, (*schedule.days[:2], sixty, *schedule.days[3:])), social_worker, on=ON
        )
        == []
    )
    sixty_one = day(FEB + timedelta(days=WED), meal="12:00-13:01", end="16:01")
    refusals = validate(
        Schedule(FEB, 1, (*schedule.days[:2], sixty_one, *schedule.days[3:])), social_worker, on=ON
    )
    assert rules_of(refusals) == ["meal_break_too_long"]


def test_it_asks_a_meal_break_only_past_the_hours_that_call_for_one(social_worker):
    five_hours = weeks(FEB, MON_TO_FRI, end="13:00", meal=None)
    assert validate(five_hours, social_worker, on=ON) == []
    a_minute_more = weeks(FEB, MON_TO_FRI, end="13:01", meal=None)
    refusals = validate(a_minute_more, social_worker, on=ON)
    assert rules_of(refusals) == ["meal_break_missing"] * 5
    assert refusals[0].params == {"worked_hours": Decimal("5.02"), "after_hours": Decimal("5")}


def test_it_refuses_a_meal_break_that_comes_a_minute_late(social_worker):
    on_time = weeks(FEB, MON_TO_FRI, meal="13:00-13:30")
    assert validate(on_time, social_worker, on=ON) == []
    late = weeks(FEB, MON_TO_FRI, meal="13:01-13:31")
    refusals = validate(late, social_worker, on=ON)
    assert rules_of(refusals) == ["meal_break_too_late"] * 5
    assert refusals[0].params["hours_before_break"] == Decimal("5.02")


# ------------------------------------------------------------------ holidays

# Good Friday 2026 is 3 April; the week runs Sunday 29 March to Saturday 4 April.
EASTER_WEEK = date(2026, 3, 29)


def test_it_refuses_work_on_a_holiday_not_marked_as_worked(social_worker):
    [refusal] = validate(weeks(EASTER_WEEK, MON_TO_FRI), social_worker, on=ON)
    assert refusal.rule == "holiday_work_not_marked"
    assert refusal.day == date(2026, 4, 3)
    assert refusal.params == {"holiday": "good_friday"}


def test_it_accepts_work_on_a_holiday_marked_as_worked(social_worker):
    schedule = weeks(EASTER_WEEK, MON_TO_FRI, holiday_worked=True)
    assert validate(schedule, social_worker, on=ON) == []


def test_it_refuses_any_holiday_work_where_the_agreement_forbids_it(tmp_path: Path):
    local = tmp_path / "local.toml"
    local.write_text('[establishments.cisss_bsl.agreements.apts]\nholiday_work = "refuse"\n')
    rules = load_agreements(local).rules_for(
        job_title="social_worker", agreement="apts", establishment="cisss_bsl"
    )
    schedule = weeks(EASTER_WEEK, MON_TO_FRI, holiday_worked=True)
    assert rules_of(validate(schedule, rules, on=ON)) == ["holiday_work_not_allowed"]


def test_it_counts_a_holiday_off_as_a_regular_day_of_the_week(social_worker):
    good_friday = LeaveDay(date(2026, 4, 3), "holiday")
    four_days = weeks(EASTER_WEEK, (MON, TUE, WED, THU))
    assert (
        validate(Schedule(EASTER_WEEK, 1, (*four_days.days, good_friday)), social_worker, on=ON)
        == []
    )
    # Five days of work plus the holiday paid: 42 h in six days.
    five_days = weeks(EASTER_WEEK, (SUN, MON, TUE, WED, THU))
    refusals = validate(
        Schedule(EASTER_WEEK, 1, (*five_days.days, good_friday)), social_worker, on=ON
    )
    assert rules_of(refusals) == [
        "weekly_hours_exceeded",
        "too_many_days",
        "rest_days_not_consecutive",
    ]
    assert refusals[0].params["planned_hours"] == Decimal("42")


def test_it_keeps_24_june_on_a_sunday_as_the_holiday(social_worker):
    # 24 June 2029 is a Sunday and the week's first day; it does not move to the 25th.
    week = date(2029, 6, 24)
    assert validate(weeks(week, MON_TO_FRI), social_worker, on=ON) == []
    [refusal] = validate(weeks(week, (SUN, MON, TUE, WED, THU)), social_worker, on=ON)
    assert (refusal.rule, refusal.day, refusal.params) == (
        "holiday_work_not_marked",
        week,
        {"holiday": "fete_nationale"},
    )


def test_it_counts_29_february_as_a_day_of_its_week(social_worker):
    # Sunday 25 February 2024 to Saturday 2 March: Thursday 29 February is a work day.
    week = date(2024, 2, 25)
    schedule = weeks(week, MON_TO_FRI)
    assert date(2024, 2, 29) in {entry.day for entry in schedule.days}
    assert validate(schedule, social_worker, on=ON) == []
    six = weeks(week, (MON, TUE, WED, THU, FRI, SAT), end="13:00", meal=None)
    assert "too_many_days" in rules_of(validate(six, social_worker, on=ON))


def test_it_finds_the_holidays_of_the_year_a_schedule_crosses_into(social_worker):
    # Sunday 28 December 2025 to Saturday 3 January 2026: 1 and 2 January are holidays.
    week = date(2025, 12, 28)
    refusals = validate(weeks(week, MON_TO_FRI), social_worker, on=ON)
    assert [(r.rule, r.day) for r in refusals] == [
        ("holiday_work_not_marked", date(2025, 12, 31)),
        ("holiday_work_not_marked", date(2026, 1, 1)),
        ("holiday_work_not_marked", date(2026, 1, 2)),
    ]


# ------------------------------------------------------------------ vacation and notice


def test_it_gives_vacation_days_by_seniority_per_union(book):
    apts = book.rules_for(job_title="social_worker", agreement="apts", establishment="cisss_bsl")
    scfp = book.rules_for(
        job_title="medical_secretary", agreement="scfp", establishment="cisss_bsl"
    )
    assert vacation_entitlement(apts, years=0, months=6) == Decimal("10.00")
    assert [vacation_entitlement(apts, years=y) for y in (1, 14, 15, 18, 19, 30)] == [
        20,
        20,
        21,
        24,
        25,
        25,
    ]
    assert [vacation_entitlement(scfp, years=y) for y in (1, 16, 17, 18, 19, 24, 25)] == [
        20,
        20,
        21,
        21,
        22,
        24,
        25,
    ]
    with pytest.raises(ValueError):
        vacation_entitlement(apts, years=-1)


def test_it_refuses_more_vacation_days_than_available(social_worker):
    vacation = tuple(
        LeaveDay(FEB + timedelta(days=offset), "vacation") for offset in (MON, TUE, WED)
    )
    work = weeks(FEB, (THU, FRI)).days
    exact = Schedule(FEB, 1, (*vacation, *work), vacation_days_available=3)
    assert validate(exact, social_worker, on=ON) == []
    over = Schedule(FEB, 1, (*vacation, *work), vacation_days_available=2)
    [refusal] = validate(over, social_worker, on=ON)
    assert (refusal.rule, refusal.params) == (
        "vacation_days_exceeded",
        {"planned_days": 3, "available_days": Decimal(2)},
    )


def test_it_checks_the_notice_only_where_the_establishment_sets_one(social_worker, tmp_path: Path):
    schedule = weeks(FEB, MON_TO_FRI)
    assert validate(schedule, social_worker, on=FEB) == []  # demo: 0, not checked
    local = tmp_path / "local.toml"
    local.write_text("[establishments.cisss_bsl]\nschedule_notice_days = 14\n")
    rules = load_agreements(local).rules_for(
        job_title="social_worker", agreement="apts", establishment="cisss_bsl"
    )
    assert validate(schedule, rules, on=FEB - timedelta(days=14)) == []
    [refusal] = validate(schedule, rules, on=FEB - timedelta(days=13))
    assert (refusal.rule, refusal.params) == (
        "notice_too_short",
        {"notice_days": 13, "min_notice_days": 14},
    )


# ------------------------------------------------------------------ ill-formed schedules


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (Schedule(FEB + timedelta(days=1), 1, ()), "starts on a monday"),
        (Schedule(FEB, 0, ()), "covers no week"),
        (
            Schedule(FEB, 1, (day(FEB + timedelta(days=1)), day(FEB + timedelta(days=1)))),
            "two entries",
        ),
        (Schedule(FEB, 1, (day(FEB + timedelta(days=7)),)), "outside its weeks"),
        (Schedule(FEB, 1, (day(FEB, start="15:00", end="08:00", meal=None),)), "before it starts"),
        (Schedule(FEB, 1, (day(FEB, meal="16:00-16:30"),)), "outside the day"),
    ],
)
def test_it_raises_on_a_schedule_that_contradicts_itself(social_worker, schedule, message):
    with pytest.raises(ScheduleError, match=message):
        validate(schedule, social_worker, on=ON)


# ------------------------------------------------------------------ the rules file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "[agreements.apts.job_titles]\nsocial_worker = 0.5\n",
            "agreements.apts.job_titles.social_worker",
        ),
        ("[agreements.apts]\nmax_days_per_week = 8\n", "agreements.apts.max_days_per_week"),
        (
            "[establishments.cisss_bsl]\nmeal_break = { min_minutes = 30 }\n",
            "establishments.cisss_bsl.meal_break.after_hours",
        ),
        (
            "[agreements.apts]\nmeal_break = { min_minutes = 30, max_minutes = 20, after_hours = 5 }\n",
            "agreements.apts.meal_break.max_minutes",
        ),
        (
            "[agreements.apts]\nrest_days = { consecutive = 7, per_weeks = 1 }\n",
            "agreements.apts.rest_days.consecutive",
        ),
        (
            "[agreements.apts]\nrest_days = [{ consecutive = 2, per_weeks = 1 }, "
            "{ consecutive = 14, per_weeks = 2 }]\n",
            "agreements.apts.rest_days[1].consecutive",
        ),
        (
            "[agreements.apts]\nrest_days = [{ consecutive = 2, per_weeks = 1 }, "
            "{ consecutive = 2, per_weeks = 1 }]\n",
            "agreements.apts.rest_days[1]",
        ),
        ("[agreements.apts]\nrest_days = []\n", "agreements.apts.rest_days"),
        ("[agreements.apts]\nrest_days = 2\n", "agreements.apts.rest_days"),
        ('[agreements.apts]\nweek_starts_on = "dimanche"\n', "agreements.apts.week_starts_on"),
        ('[agreements.apts]\nholiday_work = "sometimes"\n', "agreements.apts.holiday_work"),
        (
            "[agreements.apts]\nvacation = [{ years = 5, days = 20 }, { years = 1, days = 25 }]\n",
            "agreements.apts.vacation",
        ),
        ("[agreements.apts]\nsalary = 1\n", "agreements.apts.salary"),
        (
            '[establishments.cisss_bsl]\nholidays = ["christmas"]\n',
            "establishments.cisss_bsl.holidays",
        ),
        (
            '[establishments.cisss_bsl.agreements.apts]\nholidays = ["christmas"]\n',
            "establishments.cisss_bsl.agreements.apts.holidays",
        ),
        (
            '[establishments.cisss_bsl.agreements.csn]\nholiday_work = "allow"\n',
            "establishments.cisss_bsl.agreements.csn",
        ),
        (
            '[holiday_rules]\nfete_nationale = { date = "06-24", if_sunday = "next_weekday" }\n',
            "holiday_rules.fete_nationale",
        ),
        ('[holiday_rules]\nchristmas = { date = "12-32" }\n', "holiday_rules.christmas.date"),
    ],
)
def test_it_names_the_key_of_a_wrong_rule(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(AgreementRulesError) as caught:
        load_agreements(path)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{path}: {key}: ")


def test_it_refuses_a_holiday_list_without_24_june(tmp_path):
    names = [
        "new_years_day",
        "day_after_new_years_day",
        "good_friday",
        "easter_monday",
        "patriots_day",
        "canada_day",
        "labour_day",
        "thanksgiving",
        "christmas_eve",
        "christmas",
        "boxing_day",
        "new_years_eve",
        "canada_day_moved",
    ]
    path = write(tmp_path, f"[establishments.cisss_bsl]\nholidays = {names!r}\n".replace("'", '"'))
    with pytest.raises(AgreementRulesError, match="must hold fete_nationale"):
        load_agreements(path)


def test_it_names_an_unreadable_file(tmp_path):
    with pytest.raises(AgreementRulesError, match="not valid TOML"):
        load_agreements(write(tmp_path, "[agreements\n"))
    with pytest.raises(AgreementRulesError, match="cannot read"):
        load_agreements(tmp_path / "missing.toml")


def test_it_refuses_a_job_title_agreement_or_establishment_it_does_not_know(book):
    with pytest.raises(AgreementRulesError) as caught:
        book.rules_for(job_title="nurse", agreement="apts", establishment="cisss_bsl")
    assert caught.value.key == "agreements.apts.job_titles"
    with pytest.raises(AgreementRulesError, match="unknown agreement 'csn'"):
        book.rules_for(job_title="nurse", agreement="csn", establishment="cisss_bsl")
    with pytest.raises(AgreementRulesError, match="unknown establishment"):
        book.rules_for(job_title="nurse", agreement="fiq", establishment="elsewhere")


def test_it_reads_an_establishments_override_over_the_agreements_default(book):
    fiq = book.rules_for(job_title="nurse", agreement="fiq", establishment="cisss_bsl")
    apts = book.rules_for(job_title="social_worker", agreement="apts", establishment="cisss_bsl")
    assert fiq.rest_days == (RestDaysRule(2, 1), RestDaysRule(4, 2))
    assert apts.rest_days == (RestDaysRule(2, 1),)
    # The establishment's holiday list (1 July moved off a Sunday) replaces the agreement's.
    assert "canada_day_moved" in {rule.name for rule in apts.holidays}
    assert apts.weekly_hours == Decimal("35") and fiq.weekly_hours == Decimal("36.25")


def test_it_exports_what_it_documents():
    from panelcare.comanagement import holidays, schedules

    for module in (schedules, holidays):
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name), name


def test_it_says_every_rule_in_an_english_sentence_with_its_day(social_worker, tmp_path: Path):
    local = tmp_path / "local.toml"
    local.write_text("[establishments.cisss_bsl]\nschedule_notice_days = 30\n")
    rules = load_agreements(local).rules_for(
        job_title="social_worker", agreement="apts", establishment="cisss_bsl"
    )
    # One schedule breaking many rules at once: Easter week, six long days, a short meal.
    easter_week = date(2026, 3, 29)
    days = (
        day(easter_week, end="18:00"),  # 9 h 30 of work
        day(easter_week + timedelta(days=MON), meal="12:00-12:20", end="15:20"),
        day(easter_week + timedelta(days=TUE), meal="12:00-14:00", end="17:00"),
        day(easter_week + timedelta(days=WED), meal="14:00-14:30"),
        day(easter_week + timedelta(days=THU), meal=None),
        day(easter_week + timedelta(days=FRI)),  # Good Friday, not marked
        LeaveDay(easter_week + timedelta(days=SAT), "vacation"),
    )
    refusals = validate(
        Schedule(easter_week, 1, days, vacation_days_available=0), rules, on=date(2026, 3, 20)
    )
    found = rules_of(refusals)
    assert set(found) == set(RULES) - {"holiday_work_not_allowed"}
    # The weeks first, then day by day, then the whole schedule (see validate()).
    assert found[:3] == ["weekly_hours_exceeded", "too_many_days", "rest_days_not_consecutive"]
    assert found[-2:] == ["vacation_days_exceeded", "notice_too_short"]
    middle = [r.day for r in refusals[3:-2] if r.day is not None]
    assert middle == sorted(middle) and len(middle) == len(refusals) - 5
    for refusal in refusals:
        assert str(refusal).startswith(f"{refusal.rule}: ")
        assert "{" not in str(refusal)
    short = next(r for r in refusals if r.rule == "meal_break_too_short")
    assert str(short) == "meal_break_too_short: meal break of 20 min < 30 min on 2026-03-30"
