"""The co-management obligations at their boundaries: the day before, the day of and the day
after each deadline; 28 vs 29 days of absence; foreseeable or not; leap years; 31st days."""

from __future__ import annotations

import inspect
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panelcare.comanagement import errors, levels, obligations
from panelcare.comanagement.errors import RecordError
from panelcare.comanagement.obligations import (
    KINDS,
    Absence,
    Alert,
    AttendanceRecord,
    IntegrationItem,
    MonthlyStatistic,
    Post,
    Replacement,
    Schedule,
    SupervisionPlan,
    SupervisionSession,
    Target,
    TrainingRequest,
    absence_not_replaced,
    add_months,
    attendance_not_approved,
    first_annual_review,
    hiring_deadline,
    hiring_deadline_passed,
    integration_item_overdue,
    last_complete_month,
    needs_replacement,
    next_supervision_due,
    replacement_required_from,
    schedule_not_validated,
    supervision_overdue,
    target_missed,
    training_request_pending,
    vacant_days_past_deadline,
)
from panelcare.errors import InputError

D = date.fromisoformat
DAY = timedelta(days=1)


# --- add_months ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-04-01", 3, "2026-07-01"),  # the annual review's deadline
        ("2026-03-31", 3, "2026-06-30"),  # a 31st into a month of 30 days
        ("2026-01-31", 1, "2026-02-28"),
        ("2028-01-31", 1, "2028-02-29"),  # leap year
        ("2026-12-31", 2, "2027-02-28"),  # across a year
        ("2026-11-15", 3, "2027-02-15"),
        ("2028-03-31", -1, "2028-02-29"),
        ("2026-01-31", -2, "2025-11-30"),
        ("2026-05-31", 0, "2026-05-31"),
    ],
)
def test_it_adds_calendar_months_clamped_to_the_month_s_end(day, months, expected):
    assert add_months(D(day), months) == D(expected)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(-60, 60))
def test_it_adds_months_as_dateutil_does(day, months):
    relativedelta = pytest.importorskip("dateutil.relativedelta").relativedelta
    assert add_months(day, months) == day + relativedelta(months=months)


# --- hiring_deadline_passed ----------------------------------------------------------------


def raised(on: str = "2026-04-01", filled: str | None = None) -> Post:
    return Post(
        "P1", "G1", "nurse_clinician", "annual_review", D(on), D(filled) if filled else None
    )


def new_gmf(recognized: str, filled: str | None = None) -> Post:
    return Post(
        "P2", "G2", "social_worker", "recognition", D(recognized), D(filled) if filled else None
    )


def test_it_gives_a_raised_level_until_30_june():
    # "within 3 months" of 1 April is [1 April, 1 July): its last day is 30 June.
    assert hiring_deadline(raised("2026-04-01")) == D("2026-06-30")


def test_it_gives_a_review_on_a_31st_until_the_day_before_the_30th_three_months_later():
    assert hiring_deadline(raised("2026-03-31")) == D("2026-06-29")


@pytest.mark.parametrize(
    ("on", "days_late"),
    [("2026-06-29", None), ("2026-06-30", None), ("2026-07-01", 1), ("2026-07-31", 31)],
)
def test_it_alerts_from_the_day_after_the_hiring_deadline(on, days_late):
    alerts = hiring_deadline_passed([raised()], D(on))
    if days_late is None:
        assert alerts == []
    else:
        assert alerts == [
            Alert("hiring_deadline_passed", "G1", "ciusss", "P1", D("2026-06-30"), days_late)
        ]


def test_it_does_not_alert_for_a_post_filled_on_its_deadline():
    assert hiring_deadline_passed([raised(filled="2026-06-30")], D("2026-06-30")) == []
    assert hiring_deadline_passed([raised(filled="2026-06-30")], D("2026-09-01")) == []


def test_it_alerts_on_the_day_after_the_deadline_for_a_post_filled_later():
    alerts = hiring_deadline_passed([raised(filled="2026-07-02")], D("2026-07-01"))
    assert [(alert.due, alert.days_late) for alert in alerts] == [(D("2026-06-30"), 1)]


def test_it_counts_a_post_filled_the_day_after_its_deadline_as_filled_late():
    # Vacant past the deadline from 1 July; filled that day, so no vacant day is counted
    # (the days before filled_on count), but it is no longer on time: on 30 June it was.
    late = raised(filled="2026-07-01")
    assert hiring_deadline(late) < late.filled_on  # type: ignore[operator]
    on_time = raised(filled="2026-06-30")
    assert hiring_deadline(on_time) == on_time.filled_on


def test_it_alerts_for_a_post_filled_after_the_day_evaluated():
    alerts = hiring_deadline_passed([raised(filled="2026-07-10")], D("2026-07-05"))
    assert [alert.days_late for alert in alerts] == [5]


@pytest.mark.parametrize(
    ("recognized", "review"),
    [
        ("2026-02-15", "2026-04-01"),
        ("2026-03-31", "2026-04-01"),  # recognised the day before: due that same day
        ("2026-04-01", "2027-04-01"),  # recognised on a review day: the next year's
        ("2026-12-31", "2027-04-01"),
    ],
)
def test_it_finds_a_new_gmf_s_first_annual_review(recognized, review):
    assert first_annual_review(D(recognized)) == D(review)
    assert hiring_deadline(new_gmf(recognized)) == D(review) - DAY


@pytest.mark.parametrize(
    ("on", "alerted"), [("2026-03-30", False), ("2026-03-31", False), ("2026-04-01", True)]
)
def test_it_wants_a_new_gmf_s_posts_filled_before_its_first_review(on, alerted):
    alerts = hiring_deadline_passed([new_gmf("2025-10-20")], D(on))
    assert bool(alerts) is alerted
    if alerted:
        assert (alerts[0].due, alerts[0].days_late) == (D("2026-03-31"), 1)


def test_it_refuses_a_post_opened_for_an_unknown_reason():
    post = Post("P3", "G1", "pharmacist", "departure", D("2026-04-01"))  # type: ignore[arg-type]
    with pytest.raises(RecordError, match="opened_by"):
        hiring_deadline_passed([post], D("2026-08-01"))


@pytest.mark.parametrize(
    ("filled", "start", "end", "days"),
    [
        (None, "2026-01-01", "2027-01-01", 184),  # 1 July to 31 December
        ("2026-06-30", "2026-01-01", "2027-01-01", 0),  # filled on the deadline
        ("2026-07-01", "2026-01-01", "2027-01-01", 0),  # filled the first day late
        ("2026-07-02", "2026-01-01", "2027-01-01", 1),
        (None, "2026-01-01", "2026-07-01", 0),  # the period ends on the deadline
        (None, "2026-01-01", "2026-07-02", 1),  # ... or the day after it
        (None, "2027-01-01", "2028-01-01", 365),  # still vacant the next year
        ("2027-03-01", "2027-01-01", "2028-01-01", 59),
    ],
)
def test_it_counts_the_days_a_post_was_vacant_past_its_deadline(filled, start, end, days):
    post = raised("2026-04-01", filled)
    assert vacant_days_past_deadline(post, D(start), D(end)) == days


# --- absence_not_replaced ------------------------------------------------------------------


def absence(start: str, days: int | None, foreseeable: bool, id: str = "A1") -> Absence:
    end = D(start) + timedelta(days=days) if days is not None else None
    return Absence(id, "G1", "N1", D(start), end, foreseeable)


def late(kind_due: str, days: int) -> list[tuple[date, int]]:
    return [(D(kind_due), days)]


def found(alerts: list[Alert]) -> list[tuple[date, int]]:
    assert all(a.kind == "absence_not_replaced" and a.owner == "ciusss" for a in alerts)
    return [(alert.due, alert.days_late) for alert in alerts]


@pytest.mark.parametrize("foreseeable", [True, False])
def test_it_never_requires_replacing_an_absence_of_exactly_4_weeks(foreseeable):
    four_weeks = absence("2026-03-01", 28, foreseeable)  # back on 29 March
    assert not needs_replacement(four_weeks, D("2026-03-28"))
    for offset in range(-1, 30):
        assert (
            absence_not_replaced([four_weeks], [], D("2026-03-01") + timedelta(days=offset)) == []
        )


def test_it_requires_a_foreseeable_absence_of_29_days_replaced_from_its_first_day():
    over = absence("2026-03-01", 29, foreseeable=True)
    assert needs_replacement(over, D("2026-02-01"))
    assert absence_not_replaced([over], [], D("2026-02-28")) == []
    assert found(absence_not_replaced([over], [], D("2026-03-01"))) == late("2026-03-01", 1)
    assert found(absence_not_replaced([over], [], D("2026-03-29"))) == late("2026-03-01", 29)
    assert absence_not_replaced([over], [], D("2026-03-30")) == []  # back


def test_it_requires_an_unforeseeable_absence_replaced_from_the_first_day_of_its_fifth_week():
    over = absence("2026-03-01", 29, foreseeable=False)
    assert replacement_required_from(over) == D("2026-03-29")  # start + 28 days
    assert absence_not_replaced([over], [], D("2026-03-28")) == []
    assert found(absence_not_replaced([over], [], D("2026-03-29"))) == late("2026-03-29", 1)
    assert absence_not_replaced([over], [], D("2026-03-30")) == []  # back


def test_it_counts_an_open_ended_absence_as_over_4_weeks_from_its_29th_day():
    sudden = absence("2026-03-01", None, foreseeable=False)
    assert not needs_replacement(sudden, D("2026-03-28"))
    assert absence_not_replaced([sudden], [], D("2026-03-28")) == []
    assert found(absence_not_replaced([sudden], [], D("2026-03-29"))) == late("2026-03-29", 1)


def test_it_wants_an_open_ended_foreseeable_absence_covered_from_its_start_once_over_4_weeks():
    planned = absence("2026-03-01", None, foreseeable=True)
    assert absence_not_replaced([planned], [], D("2026-03-28")) == []
    assert found(absence_not_replaced([planned], [], D("2026-03-29"))) == late("2026-03-01", 29)


def test_it_alerts_until_a_late_replacement_starts():
    over = absence("2026-03-01", 60, foreseeable=True)
    replaced_late = [Replacement("A1", D("2026-03-05"))]
    assert found(absence_not_replaced([over], replaced_late, D("2026-03-04"))) == late(
        "2026-03-01", 4
    )
    assert absence_not_replaced([over], replaced_late, D("2026-03-05")) == []


def test_it_does_not_alert_when_the_replacement_starts_on_the_required_day():
    over = absence("2026-03-01", 60, foreseeable=False)
    on_time = [Replacement("A1", D("2026-03-29"))]
    for day in ("2026-03-29", "2026-04-15", "2026-04-29"):
        assert absence_not_replaced([over], on_time, D(day)) == []


def test_it_alerts_in_a_gap_between_replacements_from_the_gap_s_first_day():
    over = absence("2026-03-01", 60, foreseeable=True)
    cover = [
        Replacement("A1", D("2026-03-01"), D("2026-03-10")),
        Replacement("A1", D("2026-03-15")),
    ]
    assert absence_not_replaced([over], cover, D("2026-03-09")) == []
    assert found(absence_not_replaced([over], cover, D("2026-03-10"))) == late("2026-03-10", 1)
    assert found(absence_not_replaced([over], cover, D("2026-03-12"))) == late("2026-03-10", 3)
    assert absence_not_replaced([over], cover, D("2026-03-15")) == []


def test_it_does_not_count_another_absence_s_replacement():
    over = absence("2026-03-01", 60, foreseeable=True)
    other = [Replacement("A2", D("2026-03-01"))]
    assert found(absence_not_replaced([over], other, D("2026-03-02"))) == late("2026-03-01", 2)


def test_it_counts_the_fifth_week_across_a_leap_day():
    assert replacement_required_from(absence("2028-02-01", 40, False)) == D("2028-02-29")
    assert replacement_required_from(absence("2027-02-01", 40, False)) == D("2027-03-01")


def test_it_refuses_an_absence_that_ends_before_it_starts():
    backwards = Absence("A9", "G1", "N1", D("2026-03-10"), D("2026-03-01"), True)
    with pytest.raises(RecordError, match="absence A9: ends") as caught:
        absence_not_replaced([backwards], [], D("2026-03-05"))
    assert isinstance(caught.value, InputError)


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    foreseeable=st.booleans(),
    days=st.one_of(st.none(), st.integers(1, 400)),
)
def test_it_never_requires_a_replacement_before_the_absence_starts(start, foreseeable, days):
    one = absence(start.isoformat(), days, foreseeable)
    required = replacement_required_from(one)
    assert required >= start
    assert (required == start) is foreseeable
    assert (required - start).days in (0, 28)


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    foreseeable=st.booleans(),
    days=st.integers(1, 120),
    offset=st.integers(-5, 130),
)
def test_it_alerts_only_for_absences_over_4_weeks_on_a_day_of_their_required_period(
    start, foreseeable, days, offset
):
    one = absence(start.isoformat(), days, foreseeable)
    on = start + timedelta(days=offset)
    alerts = absence_not_replaced([one], [], on)
    required = replacement_required_from(one)
    assert bool(alerts) == (days > 28 and required <= on < start + timedelta(days=days))
    for alert in alerts:
        assert alert.due == required
        assert alert.days_late == (on - required).days + 1
    # Replaced from the required day, the same absence never alerts.
    assert absence_not_replaced([one], [Replacement("A1", required)], on) == []


# --- supervision_overdue -------------------------------------------------------------------


def plan(start: str, every: int, unit: str, end: str | None = None) -> SupervisionPlan:
    return SupervisionPlan("S1", "G1", "N1", D(start), every, unit, D(end) if end else None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("on", "days_late"), [("2026-03-28", None), ("2026-03-29", None), ("2026-03-30", 1)]
)
def test_it_counts_the_first_supervision_from_the_plan_s_start(on, days_late):
    every_4_weeks = plan("2026-03-01", 4, "weeks")
    assert next_supervision_due(every_4_weeks, [], D(on)) == D("2026-03-29")
    alerts = supervision_overdue([every_4_weeks], [], D(on))
    expected = (
        []
        if days_late is None
        else [Alert("supervision_overdue", "G1", "ciusss", "S1", D("2026-03-29"), days_late)]
    )
    assert alerts == expected


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    weeks=st.integers(1, 8),
    held=st.lists(st.integers(-10, 120), max_size=6),
    offset=st.integers(-10, 120),
)
def test_it_finds_supervision_overdue_exactly_when_the_window_ending_on_the_day_is_empty(
    start, weeks, held, offset
):
    every = SupervisionPlan("S1", "G1", "N1", start, weeks, "weeks")
    sessions = [SupervisionSession("S1", start + timedelta(days=days)) for days in held]
    on = start + timedelta(days=offset)
    window_start = on - timedelta(weeks=weeks)
    counted = [s.held_on for s in sessions if start <= s.held_on <= on]
    expected = on >= start and window_start > start and not any(d >= window_start for d in counted)
    assert bool(supervision_overdue([every], sessions, on)) is expected


def test_it_counts_the_next_supervision_from_the_last_session_held():
    every_4_weeks = plan("2026-03-01", 4, "weeks")
    held = [SupervisionSession("S1", D("2026-03-20")), SupervisionSession("S1", D("2026-03-10"))]
    assert supervision_overdue([every_4_weeks], held, D("2026-04-17")) == []
    assert [a.due for a in supervision_overdue([every_4_weeks], held, D("2026-04-18"))] == [
        D("2026-04-17")
    ]


def test_it_clamps_a_monthly_supervision_from_a_31st():
    assert next_supervision_due(plan("2026-01-31", 1, "months"), [], D("2026-02-01")) == D(
        "2026-02-28"
    )
    assert next_supervision_due(plan("2028-01-31", 1, "months"), [], D("2028-02-01")) == D(
        "2028-02-29"
    )
    assert next_supervision_due(plan("2026-03-31", 3, "months"), [], D("2026-04-01")) == D(
        "2026-06-30"
    )


def test_it_ignores_sessions_before_the_plan_after_the_day_or_of_another_plan():
    every_2_weeks = plan("2026-03-01", 2, "weeks")
    ignored = [
        SupervisionSession("S1", D("2026-02-28")),  # before the plan
        SupervisionSession("S1", D("2026-03-20")),  # after the day evaluated
        SupervisionSession("S2", D("2026-03-14")),  # another plan
    ]
    alerts = supervision_overdue([every_2_weeks], ignored, D("2026-03-16"))
    assert [(a.due, a.days_late) for a in alerts] == [(D("2026-03-15"), 1)]


def test_it_does_not_alert_before_a_plan_starts_or_after_it_ends():
    assert supervision_overdue([plan("2026-05-01", 1, "weeks")], [], D("2026-04-30")) == []
    ended = plan("2026-01-01", 1, "weeks", end="2026-03-01")
    assert supervision_overdue([ended], [], D("2026-02-28")) != []
    assert supervision_overdue([ended], [], D("2026-03-01")) == []


@pytest.mark.parametrize(("every", "unit", "column"), [(0, "weeks", "every"), (2, "days", "unit")])
def test_it_refuses_a_plan_without_a_frequency(every, unit, column):
    with pytest.raises(RecordError) as caught:
        supervision_overdue([plan("2026-01-01", every, unit)], [], D("2026-03-01"))
    assert caught.value.column == column


# --- integration_item_overdue --------------------------------------------------------------


def item(owner: Any, done: str | None = None) -> IntegrationItem:
    due = D("2026-03-15")
    return IntegrationItem("I1", "G1", "N1", "emr_access", owner, due, D(done) if done else None)


@pytest.mark.parametrize(
    ("on", "days_late"), [("2026-03-14", None), ("2026-03-15", None), ("2026-03-16", 1)]
)
def test_it_alerts_the_item_s_owner_from_the_day_after_its_due_day(on, days_late):
    alerts = integration_item_overdue([item("gmf")], D(on))
    expected = (
        []
        if days_late is None
        else [Alert("integration_item_overdue", "G1", "gmf", "I1", D("2026-03-15"), days_late)]
    )
    assert alerts == expected


def test_it_does_not_alert_for_an_item_done_and_alerts_for_one_done_later():
    assert integration_item_overdue([item("ciusss", done="2026-03-15")], D("2026-04-01")) == []
    assert [
        a.owner
        for a in integration_item_overdue([item("ciusss", done="2026-04-02")], D("2026-04-01"))
    ] == ["ciusss"]


# --- training_request_pending --------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "alerted"), [("2026-03-10", False), ("2026-03-11", False), ("2026-03-12", True)]
)
def test_it_alerts_for_a_training_request_undecided_after_n_days(on, alerted):
    request = TrainingRequest("T1", "G1", "N1", D("2026-03-01"))
    alerts = training_request_pending([request], D(on), decide_within_days=10)
    assert bool(alerts) is alerted
    if alerted:
        assert alerts == [
            Alert("training_request_pending", "G1", "ciusss", "T1", D("2026-03-11"), 1)
        ]


def test_it_does_not_alert_for_a_decided_training_request():
    decided = TrainingRequest("T1", "G1", "N1", D("2026-03-01"), decided_on=D("2026-03-20"))
    assert training_request_pending([decided], D("2026-03-20"), decide_within_days=10) == []
    assert training_request_pending([decided], D("2026-03-19"), decide_within_days=10) != []


def test_it_refuses_a_negative_delay():
    with pytest.raises(RecordError, match="decide_within_days"):
        training_request_pending([], D("2026-03-01"), decide_within_days=-1)


# --- attendance_not_approved ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "alerted"), [("2026-03-20", False), ("2026-03-21", False), ("2026-03-22", True)]
)
def test_it_alerts_for_attendance_unapproved_n_days_after_the_period_s_last_day(on, alerted):
    fortnight = AttendanceRecord("R1", "G1", "N1", D("2026-03-01"), D("2026-03-15"))  # 1-14 March
    alerts = attendance_not_approved([fortnight], D(on), approve_within_days=7)
    assert bool(alerts) is alerted
    if alerted:
        assert alerts == [
            Alert("attendance_not_approved", "G1", "ciusss", "R1", D("2026-03-21"), 1)
        ]


def test_it_counts_a_31_day_month_s_attendance_from_the_31st():
    march = AttendanceRecord("R2", "G1", "N1", D("2026-03-01"), D("2026-04-01"))
    assert attendance_not_approved([march], D("2026-04-05"), approve_within_days=5) == []
    alerts = attendance_not_approved([march], D("2026-04-06"), approve_within_days=5)
    assert [(a.due, a.days_late) for a in alerts] == [(D("2026-04-05"), 1)]
    approved = AttendanceRecord("R2", "G1", "N1", D("2026-03-01"), D("2026-04-01"), D("2026-04-06"))
    assert attendance_not_approved([approved], D("2026-04-06"), approve_within_days=5) == []


# --- schedule_not_validated ----------------------------------------------------------------


def schedule(**decided: date) -> Schedule:
    return Schedule("H1", "G1", "N1", D("2026-02-20"), D("2026-03-02"), **decided)


@pytest.mark.parametrize(
    ("on", "days_late"), [("2026-02-28", None), ("2026-03-01", None), ("2026-03-02", 1)]
)
def test_it_wants_a_schedule_validated_before_its_start(on, days_late):
    alerts = schedule_not_validated([schedule()], D(on))
    expected = (
        []
        if days_late is None
        else [Alert("schedule_not_validated", "G1", "ciusss", "H1", D("2026-03-01"), days_late)]
    )
    assert alerts == expected


def test_it_stops_alerting_once_a_schedule_is_validated_or_refused():
    assert schedule_not_validated([schedule(validated_on=D("2026-03-02"))], D("2026-03-03")) == []
    assert schedule_not_validated([schedule(refused_on=D("2026-03-02"))], D("2026-03-03")) == []
    assert schedule_not_validated([schedule(validated_on=D("2026-03-04"))], D("2026-03-03")) != []


def test_it_ignores_a_schedule_proposed_after_the_day():
    future = Schedule("H2", "G1", "N1", D("2026-03-10"), D("2026-03-02"))
    assert schedule_not_validated([future], D("2026-03-05")) == []


@pytest.mark.parametrize(("on", "days_late"), [("2026-03-10", None), ("2026-03-11", 1)])
def test_it_counts_a_schedule_proposed_after_its_start_from_the_day_it_was_proposed(on, days_late):
    # Proposed on 10 March for weeks starting on 2 March: the CIUSSS had nothing to
    # validate before the 10th; it is late from the 11th, not by the days before.
    late = Schedule("H3", "G1", "N1", D("2026-03-10"), D("2026-03-02"))
    expected = (
        []
        if days_late is None
        else [Alert("schedule_not_validated", "G1", "ciusss", "H3", D("2026-03-10"), days_late)]
    )
    assert schedule_not_validated([late], D(on)) == expected


# --- target_missed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "month"),
    [
        ("2026-03-31", "2026-02-01"),  # March is not complete on its last day
        ("2026-04-01", "2026-03-01"),
        ("2026-01-15", "2025-12-01"),
    ],
)
def test_it_judges_the_last_complete_month(on, month):
    assert last_complete_month(D(on)) == D(month)


def seen(target: float, better: str = "higher", start: str = "2026-01-01") -> Target:
    return Target("K1", "G1", "N1", "patients_seen", target, better, D(start))  # type: ignore[arg-type]


def stat(
    value: float, month: str = "2026-02-01", indicator: str = "patients_seen"
) -> MonthlyStatistic:
    return MonthlyStatistic("N1", indicator, D(month), value)


@pytest.mark.parametrize(("value", "missed"), [(99, True), (100, False), (101, False)])
def test_it_misses_a_higher_is_better_target_below_it(value, missed):
    alerts = target_missed([seen(100)], [stat(value)], D("2026-03-05"))
    assert bool(alerts) is missed
    if missed:
        assert alerts == [Alert("target_missed", "G1", "both", "K1", D("2026-02-28"), 5)]


@pytest.mark.parametrize(("value", "missed"), [(13, False), (14, False), (15, True)])
def test_it_misses_a_lower_is_better_target_above_it(value, missed):
    delay = Target("K2", "G1", "N1", "access_delay_days", 14, "lower", D("2026-01-01"))
    alerts = target_missed([delay], [stat(value, indicator="access_delay_days")], D("2026-03-05"))
    assert bool(alerts) is missed


def test_it_ends_february_on_the_29th_in_a_leap_year():
    alerts = target_missed(
        [seen(100, start="2028-01-01")], [stat(50, "2028-02-01")], D("2028-03-01")
    )
    assert [(a.due, a.days_late) for a in alerts] == [(D("2028-02-29"), 1)]


def test_it_does_not_judge_another_month_a_missing_statistic_or_a_target_not_in_force():
    assert target_missed([seen(100)], [stat(50, "2026-01-01")], D("2026-03-05")) == []
    assert target_missed([seen(100)], [], D("2026-03-05")) == []
    assert target_missed([seen(100, start="2026-02-15")], [stat(50)], D("2026-03-05")) == []


def test_it_refuses_two_statistics_for_the_same_month():
    with pytest.raises(RecordError, match="two statistics"):
        target_missed([seen(100)], [stat(1), stat(2)], D("2026-03-05"))


# --- the package ---------------------------------------------------------------------------


def test_it_sorts_alerts_by_gmf_then_subject():
    posts = [
        Post("P9", "G2", "nurse_clinician", "annual_review", D("2026-04-01")),
        Post("P2", "G1", "nurse_clinician", "annual_review", D("2026-04-01")),
        Post("P1", "G2", "nurse_clinician", "annual_review", D("2026-04-01")),
    ]
    alerts = hiring_deadline_passed(posts, D("2026-08-01"))
    assert [(a.gmf, a.subject) for a in alerts] == [("G1", "P2"), ("G2", "P1"), ("G2", "P9")]


def test_it_names_every_rule_as_a_kind():
    assert set(KINDS) == {
        name
        for name, value in vars(obligations).items()
        if inspect.isfunction(value) and name in KINDS
    }
    assert len(KINDS) == 8


@pytest.mark.parametrize("module", [errors, levels, obligations])
def test_it_exports_exactly_its_public_names(module: ModuleType):
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", module.__name__) == module.__name__
        and (inspect.isclass(value) or inspect.isfunction(value) or name.isupper())
    }
    assert set(module.__all__) == public
    assert all(hasattr(module, name) for name in module.__all__)
