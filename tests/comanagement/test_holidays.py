"""Holiday dates of the agreements, checked against published dates: Easter-relative days
for several years (including the earliest and latest Easters of the century), the Monday
before 25 May when 25 May is itself a Monday, 24 June on a Sunday, weekend moves that
collide, a leap year."""

from __future__ import annotations

from datetime import date

import pytest

from panelcare.comanagement.errors import ReferenceDataError
from panelcare.comanagement.holidays import HolidayRule, holiday_dates, parse_holiday_rule
from panelcare.comanagement.schedules import load_agreements


def rule(name: str, **spec: object) -> HolidayRule:
    return parse_holiday_rule(name, spec, key=f"holiday_rules.{name}")


def dates_of(year: int, *rules: HolidayRule) -> dict[str, date]:
    return {holiday.name: holiday.day for holiday in holiday_dates(rules, year)}


GOOD_FRIDAY = rule("good_friday", easter=-2)
EASTER_MONDAY = rule("easter_monday", easter=1)
PATRIOTS = rule("patriots_day", weekday="monday", before="05-25")


# Western Easter Sundays as published: 2008-03-23 (earliest in decades), 2011-04-24,
# 2019-04-21, 2024-03-31, 2025-04-20, 2026-04-05, 2038-04-25 (latest possible).
@pytest.mark.parametrize(
    ("year", "good_friday", "easter_monday"),
    [
        (2008, date(2008, 3, 21), date(2008, 3, 24)),
        (2011, date(2011, 4, 22), date(2011, 4, 25)),
        (2019, date(2019, 4, 19), date(2019, 4, 22)),
        (2024, date(2024, 3, 29), date(2024, 4, 1)),
        (2025, date(2025, 4, 18), date(2025, 4, 21)),
        (2026, date(2026, 4, 3), date(2026, 4, 6)),
        (2038, date(2038, 4, 23), date(2038, 4, 26)),
    ],
)
def test_it_places_good_friday_and_easter_monday_from_easter(year, good_friday, easter_monday):
    dates = dates_of(year, GOOD_FRIDAY, EASTER_MONDAY)
    assert dates == {"good_friday": good_friday, "easter_monday": easter_monday}


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2024, date(2024, 5, 20)),  # 25 May is a Saturday
        (2025, date(2025, 5, 19)),  # a Sunday
        (2021, date(2021, 5, 24)),  # a Tuesday: the day before
        (2020, date(2020, 5, 18)),  # a Monday: the Monday before, not 25 May itself
        (2026, date(2026, 5, 18)),  # a Monday again
    ],
)
def test_it_puts_the_patriots_day_on_the_monday_strictly_before_25_may(year, expected):
    assert dates_of(year, PATRIOTS)["patriots_day"] == expected


def test_it_finds_labour_day_and_thanksgiving_by_their_monday():
    labour = rule("labour_day", weekday="monday", month=9, nth=1)
    thanksgiving = rule("thanksgiving", weekday="monday", month=10, nth=2)
    assert dates_of(2025, labour, thanksgiving) == {
        "labour_day": date(2025, 9, 1),  # 1 September is itself a Monday
        "thanksgiving": date(2025, 10, 13),
    }
    assert dates_of(2024, labour, thanksgiving) == {
        "labour_day": date(2024, 9, 2),
        "thanksgiving": date(2024, 10, 14),
    }


def test_it_finds_the_last_weekday_of_a_month_in_a_leap_year():
    last_monday = rule("last_monday_of_february", weekday="monday", month=2, nth=-1)
    assert dates_of(2024, last_monday)["last_monday_of_february"] == date(2024, 2, 26)
    # 29 February 2028 is a Tuesday: the last Monday is the 28th.
    assert dates_of(2028, last_monday)["last_monday_of_february"] == date(2028, 2, 28)


def test_it_keeps_24_june_on_a_sunday_in_the_demo_agreements():
    book = load_agreements()
    rules = book.rules_for(job_title="nurse", agreement="fiq", establishment="cisss_bsl")
    assert date(2029, 6, 24).weekday() == 6
    by_name = {holiday.name: holiday.day for holiday in rules.holidays_in(2029)}
    assert by_name["fete_nationale"] == date(2029, 6, 24)
    assert date(2029, 6, 25) not in set(by_name.values())


def test_it_moves_a_fixed_holiday_off_a_sunday_only_when_its_rule_says():
    moved = rule("canada_day_moved", date="07-01", if_sunday="next_weekday")
    stays = rule("canada_day", date="07-01")
    # 1 July 2029 is a Sunday, 1 July 2028 a Saturday (no Saturday move given).
    assert holiday_dates([moved], 2029)[0].day == date(2029, 7, 2)
    assert holiday_dates([moved], 2029)[0].nominal == date(2029, 7, 1)
    assert holiday_dates([moved], 2028)[0].day == date(2028, 7, 1)
    assert holiday_dates([stays], 2029)[0].day == date(2029, 7, 1)


def test_it_moves_colliding_weekend_holidays_to_distinct_weekdays():
    christmas = rule(
        "christmas", date="12-25", if_saturday="next_weekday", if_sunday="next_weekday"
    )
    boxing = rule("boxing_day", date="12-26", if_saturday="next_weekday", if_sunday="next_weekday")
    # 25 December 2021 is a Saturday, the 26th a Sunday.
    assert dates_of(2021, christmas, boxing) == {
        "christmas": date(2021, 12, 27),
        "boxing_day": date(2021, 12, 28),
    }


def test_it_moves_back_to_the_previous_weekday_not_already_a_holiday():
    # 1 January 2022 is a Saturday: moved back, it is observed on Friday 31 December 2021.
    new_year = rule("new_years_day", date="01-01", if_saturday="previous_weekday")
    assert holiday_dates([new_year], 2022)[0].day == date(2021, 12, 31)
    # 31 December 2022 is a Saturday and Friday the 30th is already a holiday: Thursday.
    friday = rule("friday_30", date="12-30")
    eve = rule("new_years_eve", date="12-31", if_saturday="previous_weekday")
    assert dates_of(2022, friday, eve) == {
        "friday_30": date(2022, 12, 30),
        "new_years_eve": date(2022, 12, 29),
    }


def test_it_gives_thirteen_distinct_holidays_every_year_in_the_demo():
    book = load_agreements()
    for agreement, title in (
        ("apts", "social_worker"),
        ("fiq", "nurse"),
        ("scfp", "medical_secretary"),
    ):
        rules = book.rules_for(job_title=title, agreement=agreement, establishment="cisss_bsl")
        for year in range(2024, 2033):
            days = [holiday.day for holiday in rules.holidays_in(year)]
            assert len(set(days)) == 13, (agreement, year)
            assert all(day.year == year for day in days)


def test_it_refuses_29_february_as_a_fixed_holiday():
    with pytest.raises(ReferenceDataError) as caught:
        rule("leap", date="02-29")
    assert caught.value.key == "holiday_rules.leap.date"


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"date": "13-01"}, "holiday_rules.bad.date"),
        ({"date": "7-1"}, "holiday_rules.bad.date"),
        ({"easter": -2, "date": "01-01"}, "holiday_rules.bad"),
        ({}, "holiday_rules.bad"),
        ({"easter": 1, "if_sunday": "next_weekday"}, "holiday_rules.bad.if_sunday"),
        ({"date": "01-01", "if_sunday": "tomorrow"}, "holiday_rules.bad.if_sunday"),
        ({"weekday": "lundi", "month": 9, "nth": 1}, "holiday_rules.bad.weekday"),
        ({"weekday": "monday", "month": 9, "nth": 0}, "holiday_rules.bad.nth"),
        ({"weekday": "monday", "month": 9}, "holiday_rules.bad.nth"),
        ({"weekday": "monday", "before": "05-25", "month": 5}, "holiday_rules.bad.month"),
        ({"date": "01-01", "colour": "red"}, "holiday_rules.bad.colour"),
    ],
)
def test_it_names_the_key_of_a_wrong_holiday_rule(spec, key):
    with pytest.raises(ReferenceDataError) as caught:
        parse_holiday_rule("bad", spec, key="holiday_rules.bad", file="x.toml")
    assert caught.value.key == key
    assert str(caught.value).startswith(f"x.toml: {key}: ")


def test_it_refuses_two_unmoved_holidays_on_one_day():
    with pytest.raises(ReferenceDataError, match="both fall on 2026-07-01"):
        holiday_dates([rule("a", date="07-01"), rule("b", date="07-01")], 2026)
