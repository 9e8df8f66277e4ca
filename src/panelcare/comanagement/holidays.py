"""Statutory holidays (jours fériés) of a collective agreement, as dates of a given year.

A holiday is a rule, not a date: a fixed day of the year (1 July), a day relative to Easter
(Good Friday = Easter - 2, Easter Monday = Easter + 1), the n-th weekday of a month (Labour
Day = first Monday of September, Thanksgiving = second Monday of October) or the last
weekday before a day (Journée nationale des patriotes = the Monday before 25 May).

Which holidays an establishment observes is configuration (``agreements.toml``): in the
health network 13 holidays a year, of which 24 June is fixed and the other 12 set locally
(FSSS-CSN, https://sttccsmtl.ca/?p=603). A fixed-date holiday may say what happens when it
falls on a Saturday or a Sunday (``if_saturday`` / ``if_sunday``: stay, or move to the
previous or next weekday that is not already a holiday); the default is to stay, and 24 June
always stays.

Easter is the Western (Gregorian) Easter of :func:`dateutil.easter.easter`, the library
pandas and ibis already bring in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from dateutil.easter import easter

from panelcare.comanagement.errors import ReferenceDataError

__all__ = ["Holiday", "HolidayRule", "holiday_dates", "parse_holiday_rule"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Move = Literal["stay", "previous_weekday", "next_weekday"]
_MOVES: tuple[Move, ...] = ("stay", "previous_weekday", "next_weekday")
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")


@dataclass(frozen=True)
class HolidayRule:
    """How to find one holiday in a year. Exactly one of the three forms is set:

    * ``month_day`` (fixed date, e.g. ``(7, 1)``), with ``if_saturday`` / ``if_sunday``;
    * ``easter_offset`` (days from Easter Sunday: -2 Good Friday, +1 Easter Monday);
    * ``weekday`` (0 = Monday) with either ``month`` and ``nth`` (1 = first; -1 = last) or
      ``before`` (the last such weekday strictly before this (month, day)); ``nth`` is 1 to
      4, or -1 for the last.
    """

    name: str
    month_day: tuple[int, int] | None = None
    easter_offset: int | None = None
    weekday: int | None = None
    month: int | None = None
    nth: int | None = None
    before: tuple[int, int] | None = None
    if_saturday: Move = "stay"
    if_sunday: Move = "stay"

    def nominal(self, year: int) -> date:
        """The holiday's date in ``year`` before any weekend move."""
        if self.month_day is not None:
            return date(year, *self.month_day)
        if self.easter_offset is not None:
            return easter(year) + timedelta(days=self.easter_offset)
        assert self.weekday is not None
        if self.before is not None:
            limit = date(year, *self.before) - timedelta(days=1)
            return limit - timedelta(days=(limit.weekday() - self.weekday) % 7)
        assert self.month is not None and self.nth is not None
        if self.nth > 0:
            first = date(year, self.month, 1)
            first_match = first + timedelta(days=(self.weekday - first.weekday()) % 7)
            return first_match + timedelta(weeks=self.nth - 1)
        following = date(year + self.month // 12, self.month % 12 + 1, 1)
        last = following - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - self.weekday) % 7)

    @property
    def moves(self) -> bool:
        return self.if_saturday != "stay" or self.if_sunday != "stay"


@dataclass(frozen=True)
class Holiday:
    """One holiday of one year: ``day`` is when it is observed, ``nominal`` its own date
    (they differ only when a weekend rule moved it)."""

    name: str
    day: date
    nominal: date


def holiday_dates(rules: Iterable[HolidayRule], year: int) -> list[Holiday]:
    """The holidays of ``year``, sorted by the day they are observed.

    Holidays that do not move are placed first; then each moving one, in date order, goes
    to the nearest weekday in its direction that is not already taken (so 25 and 26
    December both on a weekend become 27 and 28 December when both move forward).
    Raises :class:`ReferenceDataError` if two holidays that do not move fall on the same
    day (a list naming the same holiday twice under two names).
    """
    rules = list(rules)
    taken: dict[date, str] = {}
    result = []
    for rule in rules:
        if rule.moves:
            continue
        day = rule.nominal(year)
        if day in taken:
            raise ReferenceDataError(
                f"{rule.name} and {taken[day]} both fall on {day.isoformat()} in {year}",
                key="holidays",
            )
        taken[day] = rule.name
        result.append(Holiday(rule.name, day, day))
    for rule in sorted((r for r in rules if r.moves), key=lambda r: r.nominal(year)):
        nominal = rule.nominal(year)
        move = {5: rule.if_saturday, 6: rule.if_sunday}.get(nominal.weekday(), "stay")
        day = nominal
        if move != "stay":
            step = timedelta(days=1 if move == "next_weekday" else -1)
            day = nominal + step
            while day.weekday() >= 5 or day in taken:
                day += step
        elif day in taken:
            raise ReferenceDataError(
                f"{rule.name} and {taken[day]} both fall on {day.isoformat()} in {year}",
                key="holidays",
            )
        taken[day] = rule.name
        result.append(Holiday(rule.name, day, nominal))
    return sorted(result, key=lambda holiday: holiday.day)


def parse_holiday_rule(name: str, raw: Any, *, key: str, file: str | None = None) -> HolidayRule:
    """A :class:`HolidayRule` from its TOML table, e.g. ``{ date = "07-01" }``,
    ``{ easter = -2 }``, ``{ weekday = "monday", month = 9, nth = 1 }`` or
    ``{ weekday = "monday", before = "05-25" }``.

    Raises :class:`ReferenceDataError` naming ``key`` (the dotted key of the table) when the
    table is not one of these forms or a value is wrong.
    """

    def fail(message: str, subkey: str | None = None) -> ReferenceDataError:
        return ReferenceDataError(message, file=file, key=f"{key}.{subkey}" if subkey else key)

    if not isinstance(raw, Mapping):
        raise fail('must be a table, e.g. { date = "07-01" }')
    allowed = {"date", "easter", "weekday", "month", "nth", "before", "if_saturday", "if_sunday"}
    for extra in sorted(set(raw) - allowed):
        raise fail(f"unknown key; the keys are {', '.join(sorted(allowed))}", extra)
    forms = [form for form in ("date", "easter", "weekday") if form in raw]
    if len(forms) != 1:
        raise fail("give exactly one of date, easter or weekday")

    def month_day(subkey: str) -> tuple[int, int]:
        value = raw[subkey]
        match = _MONTH_DAY.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise fail(f'a day of the year is written "MM-DD", got {value!r}', subkey)
        month, day = int(match[1]), int(match[2])
        try:
            date(2024, month, day)  # 2024 is a leap year: 02-29 is accepted
        except ValueError:
            raise fail(f"no such day of the year: {value!r}", subkey) from None
        return month, day

    def moves() -> tuple[Move, Move]:
        result: list[Move] = []
        for subkey in ("if_saturday", "if_sunday"):
            value = raw.get(subkey, "stay")
            if subkey in raw and forms != ["date"]:
                raise fail("only a fixed-date holiday moves off a weekend", subkey)
            if value not in _MOVES:
                raise fail(f"must be one of {', '.join(_MOVES)}, got {value!r}", subkey)
            result.append(value)
        return result[0], result[1]

    def whole(subkey: str, low: int, high: int) -> int:
        value = raw[subkey]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise fail(f"must be a whole number from {low} to {high}, got {value!r}", subkey)
        return value

    if forms == ["date"]:
        for subkey in ("month", "nth", "before"):
            if subkey in raw:
                raise fail("goes with weekday, not with date", subkey)
        fixed = month_day("date")
        if fixed == (2, 29):
            raise fail("29 February is not in every year", "date")
        if_saturday, if_sunday = moves()
        return HolidayRule(name, month_day=fixed, if_saturday=if_saturday, if_sunday=if_sunday)
    if forms == ["easter"]:
        for subkey in ("month", "nth", "before"):
            if subkey in raw:
                raise fail("goes with weekday, not with easter", subkey)
        moves()
        return HolidayRule(name, easter_offset=whole("easter", -70, 70))
    moves()
    weekday = raw["weekday"]
    if weekday not in WEEKDAYS:
        raise fail(f"must be a day name ({', '.join(WEEKDAYS)}), got {weekday!r}", "weekday")
    if "before" in raw:
        for subkey in ("month", "nth"):
            if subkey in raw:
                raise fail("give either before or month and nth", subkey)
        return HolidayRule(name, weekday=WEEKDAYS.index(weekday), before=month_day("before"))
    for subkey in ("month", "nth"):
        if subkey not in raw:
            raise fail("missing (a weekday holiday needs month and nth, or before)", subkey)
    nth = whole("nth", -1, 4)
    if nth == 0:
        raise fail("must be 1 to 4 (first to fourth) or -1 (last), not 0", "nth")
    return HolidayRule(name, weekday=WEEKDAYS.index(weekday), month=whole("month", 1, 12), nth=nth)
