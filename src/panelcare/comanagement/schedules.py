"""Validation of a professional's work schedule against the collective agreement (issue 17).

The GMF proposes the schedule of a CIUSSS professional placed in it; the CIUSSS validates it
against the rules of the professional's agreement (APTS, FIQ, SCFP ...), job title and
establishment, and refuses with the rule broken. This module holds the rules as data and
the check as a pure function:

* :func:`load_agreements` / :func:`parse_agreements` read ``agreements.toml`` (shipped
  beside this module; a user's file or the web app's data over it) into an
  :class:`AgreementBook`, checking every value (a wrong one raises
  :class:`AgreementRulesError` naming the file and the dotted key);
* :meth:`AgreementBook.rules_for` gives the :class:`ScheduleRules` of one job title under
  one agreement in one establishment;
* :func:`validate` checks a :class:`Schedule` and returns the :class:`Refusal` list
  (empty when the schedule is valid). Each refusal names its rule with a code and the
  values in play, so the web app says it in French or English.

How a week is delimited, and the other reading decisions, are in
``docs/comanagement-schedules.md``; in short: weeks start on ``week_starts_on`` (Sunday in
the demo), a schedule covers whole weeks and is read as a cycle that repeats (the day after
its last day is its first day), since the GMF proposes a pattern (horaire type).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from panelcare.comanagement.errors import RecordError, ReferenceDataError
from panelcare.comanagement.holidays import (
    WEEKDAYS,
    Holiday,
    HolidayRule,
    holiday_dates,
    parse_holiday_rule,
)
from panelcare.tomlfiles import layered

__all__ = [
    "DEFAULT_AGREEMENTS_FILE",
    "RULES",
    "Agreement",
    "AgreementBook",
    "AgreementRulesError",
    "Break",
    "Establishment",
    "LeaveDay",
    "LocalRules",
    "MealBreakRule",
    "Refusal",
    "RestDaysRule",
    "Schedule",
    "ScheduleError",
    "ScheduleRules",
    "VacationStep",
    "WorkDay",
    "load_agreements",
    "parse_agreements",
    "vacation_entitlement",
    "validate",
]

DEFAULT_AGREEMENTS_FILE = Path(__file__).with_name("agreements.toml")

# The codes of the rules a refusal names, in the order validate() checks them; the web app
# gives each a sentence in French and English (docs/comanagement-schedules.md lists the params).
RULES = (
    "weekly_hours_exceeded",
    "too_many_days",
    "rest_days_not_consecutive",
    "holiday_work_not_allowed",
    "holiday_work_not_marked",
    "meal_break_missing",
    "meal_break_too_short",
    "meal_break_too_long",
    "meal_break_too_late",
    "vacation_days_exceeded",
    "notice_too_short",
)

HolidayWork = Literal["refuse", "if_marked", "allow"]
_HOLIDAY_WORK: tuple[HolidayWork, ...] = ("refuse", "if_marked", "allow")
ParamValue = int | str | Decimal | date


class AgreementRulesError(ReferenceDataError):
    """The agreement rules (``agreements.toml`` or the web app's copy) are unreadable or a
    value is wrong, or a job title, agreement or establishment is not in them.

    ``file`` is the file (``None`` for data from memory), ``key`` the dotted key
    (``agreements.apts.meal_break.min_minutes``).
    """


class ScheduleError(RecordError):
    """A schedule contradicts itself (a day ending before it starts, two entries for one day,
    a day outside its weeks) or does not start on the first day of a week.

    Not a refusal: a refusal is a well-formed schedule the agreement does not allow.
    """


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class MealBreakRule:
    """A meal break (période de repas, unpaid) of ``min_minutes`` to ``max_minutes`` is due
    in a day of more than ``after_minutes`` of work, and it starts no later than
    ``after_minutes`` after the day starts. ``max_minutes`` ``None``: no maximum."""

    min_minutes: int
    max_minutes: int | None
    after_minutes: int


@dataclass(frozen=True)
class RestDaysRule:
    """``consecutive`` full days of rest in a row in every block of ``per_weeks`` weeks
    (2 per week, or 4 per 2 weeks by local agreement).

    The rest rule of :class:`LocalRules` and :class:`ScheduleRules` is a tuple of these,
    alternatives of which meeting one is enough (2 a week *or* 4 in a row per 2 weeks)."""

    consecutive: int
    per_weeks: int


@dataclass(frozen=True)
class VacationStep:
    """From ``years`` of service, ``days`` working days of vacation a reference year."""

    years: int
    days: int


@dataclass(frozen=True)
class LocalRules:
    """The keys local parties set (with a default on the agreement)."""

    week_starts_on: int  # 0 = Monday ... 6 = Sunday
    rest_days: tuple[RestDaysRule, ...]  # alternatives: meeting one is enough
    meal_break: MealBreakRule
    holiday_work: HolidayWork
    schedule_notice_days: int
    holidays: tuple[HolidayRule, ...]


@dataclass(frozen=True)
class Agreement:
    """One union's collective agreement (national provisions) and its local defaults."""

    code: str
    name: str
    in_force_from: date
    in_force_until: date
    max_days_per_week: int
    holiday_count: int
    fixed_holidays: frozenset[str]
    vacation_year_starts: tuple[int, int]
    vacation_days_per_month_first_year: Decimal
    vacation: tuple[VacationStep, ...]
    job_titles: Mapping[str, Decimal]  # regular weekly hours
    defaults: LocalRules


@dataclass(frozen=True)
class ScheduleRules:
    """Every rule a schedule is checked against, for one job title under one agreement in
    one establishment. Build it with :meth:`AgreementBook.rules_for`."""

    job_title: str
    agreement: str
    establishment: str
    weekly_hours: Decimal
    max_days_per_week: int
    week_starts_on: int
    rest_days: tuple[RestDaysRule, ...]  # alternatives: meeting one is enough
    meal_break: MealBreakRule
    holiday_work: HolidayWork
    schedule_notice_days: int
    holidays: tuple[HolidayRule, ...]
    vacation: tuple[VacationStep, ...]
    vacation_days_per_month_first_year: Decimal

    @property
    def weekly_minutes(self) -> Decimal:
        return self.weekly_hours * 60

    @property
    def regular_day_minutes(self) -> Decimal:
        """A paid day off (holiday, vacation) counts this much in its week: the regular week
        spread over its days (7 h for 35 h in 5 days)."""
        return self.weekly_minutes / self.max_days_per_week

    def holidays_in(self, year: int) -> list[Holiday]:
        """The establishment's holidays of ``year`` under this agreement."""
        return holiday_dates(self.holidays, year)

    def week_start(self, day: date) -> date:
        """The first day of the week that holds ``day``."""
        return day - timedelta(days=(day.weekday() - self.week_starts_on) % 7)


@dataclass(frozen=True)
class Establishment:
    """An establishment (CISSS/CIUSSS) and its local rules with each agreement, resolved:
    its own value of a local key, else the agreement's default."""

    code: str
    name: str
    by_agreement: Mapping[str, LocalRules]


@dataclass(frozen=True)
class AgreementBook:
    """The agreements, their job titles and the establishments' local arrangements."""

    agreements: Mapping[str, Agreement]
    establishments: Mapping[str, Establishment]
    holiday_rules: Mapping[str, HolidayRule]

    def rules_for(self, *, job_title: str, agreement: str, establishment: str) -> ScheduleRules:
        """The rules for ``job_title`` under ``agreement`` in ``establishment``.

        Raises :class:`AgreementRulesError` if the agreement or the establishment is not in
        the book, or the job title is not one of the agreement's.
        """
        if agreement not in self.agreements:
            raise AgreementRulesError(
                f"unknown agreement {agreement!r}; the agreements are "
                + ", ".join(sorted(self.agreements)),
                key="agreements",
            )
        if establishment not in self.establishments:
            raise AgreementRulesError(
                f"unknown establishment {establishment!r}; the establishments are "
                + ", ".join(sorted(self.establishments)),
                key="establishments",
            )
        terms = self.agreements[agreement]
        if job_title not in terms.job_titles:
            raise AgreementRulesError(
                f"job title {job_title!r} is not under this agreement; its titles are "
                + ", ".join(sorted(terms.job_titles)),
                key=f"agreements.{agreement}.job_titles",
            )
        local = self.establishments[establishment].by_agreement[agreement]
        return ScheduleRules(
            job_title=job_title,
            agreement=agreement,
            establishment=establishment,
            weekly_hours=terms.job_titles[job_title],
            max_days_per_week=terms.max_days_per_week,
            week_starts_on=local.week_starts_on,
            rest_days=local.rest_days,
            meal_break=local.meal_break,
            holiday_work=local.holiday_work,
            schedule_notice_days=local.schedule_notice_days,
            holidays=local.holidays,
            vacation=terms.vacation,
            vacation_days_per_month_first_year=terms.vacation_days_per_month_first_year,
        )


def vacation_entitlement(rules: ScheduleRules, *, years: int, months: int = 0) -> Decimal:
    """Working days of vacation for a reference year (APTS art. 23 in the demo).

    ``years`` is the seniority in whole years; under the first step (one year), ``months``
    of service earn the agreement's days per month (1 2/3 for the APTS), rounded to a
    hundredth [the rounding is not confirmed]. Raises :class:`ValueError` on a negative
    seniority.
    """
    if years < 0 or months < 0:
        raise ValueError("seniority cannot be negative")
    earned = [step.days for step in rules.vacation if years >= step.years]
    if earned:
        return Decimal(earned[-1])
    return (rules.vacation_days_per_month_first_year * months).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- loading

_LOCAL_KEYS = (
    "week_starts_on",
    "rest_days",
    "meal_break",
    "holiday_work",
    "schedule_notice_days",
    "holidays",
)
_AGREEMENT_KEYS = (
    "name",
    "in_force_from",
    "in_force_until",
    "max_days_per_week",
    "holiday_count",
    "fixed_holidays",
    "vacation_year_starts",
    "vacation_days_per_month_first_year",
    "vacation",
    "job_titles",
    *_LOCAL_KEYS,
)


def load_agreements(path: str | Path | None = None) -> AgreementBook:
    """Read the shipped ``agreements.toml``, then ``path`` over it (tables merged key by
    key, lists and values replaced), and check it.

    Raises :class:`AgreementRulesError` if a file cannot be read or parsed, or a key is
    unknown, missing or wrong (the message names the file and the key).
    """
    merged, source = layered(DEFAULT_AGREEMENTS_FILE, path, AgreementRulesError, "agreements file")
    return parse_agreements(merged, file=source)


def parse_agreements(raw: Mapping[str, Any], *, file: str | None = None) -> AgreementBook:
    """Check the agreement rules given as data (the parsed TOML, or the web app's copy).

    ``file`` names the source in error messages. Raises :class:`AgreementRulesError`
    naming the dotted key of the first wrong value.
    """
    reader = _Reader(file)
    reader.keys(raw, "", required=("holiday_rules", "agreements", "establishments"))
    rules_raw = reader.table(raw["holiday_rules"], "holiday_rules")
    holiday_rules: dict[str, HolidayRule] = {}
    for name, spec in rules_raw.items():
        try:
            holiday_rules[name] = parse_holiday_rule(
                name, spec, key=f"holiday_rules.{name}", file=file
            )
        except ReferenceDataError as error:
            raise AgreementRulesError(error.message, file=file, key=error.key) from None

    agreements: dict[str, Agreement] = {}
    for code, body in reader.table(raw["agreements"], "agreements", non_empty=True).items():
        agreements[code] = reader.agreement(code, body, holiday_rules)

    establishments: dict[str, Establishment] = {}
    for code, body in reader.table(raw["establishments"], "establishments", non_empty=True).items():
        key = f"establishments.{code}"
        reader.keys(body, key, required=("name",), optional=("agreements", *_LOCAL_KEYS))
        local = {name: body[name] for name in _LOCAL_KEYS if name in body}
        per_union = reader.table(body.get("agreements", {}), f"{key}.agreements")
        for union in per_union:
            if union not in agreements:
                raise reader.fail(f"{key}.agreements.{union}", "not an agreement of this file")
        by_agreement = {}
        for union, terms in agreements.items():
            override = per_union.get(union, {})
            union_key = f"{key}.agreements.{union}"
            reader.keys(override, union_key, optional=_LOCAL_KEYS)
            values: dict[str, tuple[Any, str]] = {
                name: (value, f"agreements.{union}.{name}")
                for name, value in _raw_locals(raw["agreements"][union]).items()
            }
            values.update({name: (value, f"{key}.{name}") for name, value in local.items()})
            values.update(
                {name: (value, f"{union_key}.{name}") for name, value in override.items()}
            )
            by_agreement[union] = reader.local(
                values, union, terms.holiday_count, terms.fixed_holidays, holiday_rules
            )
        establishments[code] = Establishment(
            code=code,
            name=reader.text(body["name"], f"{key}.name"),
            by_agreement=MappingProxyType(by_agreement),
        )
    return AgreementBook(
        agreements=MappingProxyType(agreements),
        establishments=MappingProxyType(establishments),
        holiday_rules=MappingProxyType(holiday_rules),
    )


def _raw_locals(body: Mapping[str, Any]) -> dict[str, Any]:
    return {name: body[name] for name in _LOCAL_KEYS}


class _Reader:
    """The checks of :func:`parse_agreements`, each raising with the key at fault."""

    def __init__(self, file: str | None) -> None:
        self.file = file

    def fail(self, key: str, message: str) -> AgreementRulesError:
        return AgreementRulesError(message, file=self.file, key=key or None)

    def keys(
        self,
        body: Any,
        key: str,
        *,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
    ) -> None:
        if not isinstance(body, Mapping):
            raise self.fail(key, "must be a table")
        known = (*required, *optional)
        prefix = f"{key}." if key else ""
        for name in body:
            if name not in known:
                raise self.fail(f"{prefix}{name}", f"unknown key; the keys are {', '.join(known)}")
        for name in required:
            if name not in body:
                raise self.fail(f"{prefix}{name}", "missing")

    def table(self, body: Any, key: str, *, non_empty: bool = False) -> Mapping[str, Any]:
        if not isinstance(body, Mapping) or (non_empty and not body):
            raise self.fail(key, "must be a table" + (" with at least one entry" * non_empty))
        return body

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string, got {value!r}")
        return value

    def whole(self, value: Any, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"must be a whole number from {low} to {high}, got {value!r}")
        return value

    def number(self, value: Any, key: str, low: Decimal, high: Decimal) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(key, f"must be a number, got {value!r}")
        try:
            # str() first: 36.25 read from TOML as a float becomes Decimal("36.25").
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(key, f"must be a number, got {value!r}") from None
        if not number.is_finite() or not low <= number <= high:
            raise self.fail(key, f"must be a number from {low} to {high}, got {value!r}")
        return number

    def day(self, value: Any, key: str) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(key, f"must be a date (YYYY-MM-DD), got {value!r}")

    def month_day(self, value: Any, key: str) -> tuple[int, int]:
        try:
            parsed = datetime.strptime(f"2024-{value}", "%Y-%m-%d")  # a leap year
        except (TypeError, ValueError):
            raise self.fail(key, f'must be a day of the year "MM-DD", got {value!r}') from None
        return parsed.month, parsed.day

    def agreement(
        self, code: str, body: Any, holiday_rules: Mapping[str, HolidayRule]
    ) -> Agreement:
        key = f"agreements.{code}"
        self.keys(body, key, required=_AGREEMENT_KEYS)
        start = self.day(body["in_force_from"], f"{key}.in_force_from")
        end = self.day(body["in_force_until"], f"{key}.in_force_until")
        if end < start:
            raise self.fail(f"{key}.in_force_until", "ends before in_force_from")
        fixed = body["fixed_holidays"]
        if not isinstance(fixed, list) or not all(isinstance(name, str) for name in fixed):
            raise self.fail(f"{key}.fixed_holidays", "must be a list of holiday names")
        for name in fixed:
            if name not in holiday_rules:
                raise self.fail(f"{key}.fixed_holidays", f"{name!r} is not in [holiday_rules]")
            if holiday_rules[name].moves:
                raise self.fail(
                    f"holiday_rules.{name}",
                    "a fixed holiday of an agreement does not move off a weekend",
                )
        steps_raw = body["vacation"]
        if not isinstance(steps_raw, list) or not steps_raw:
            raise self.fail(f"{key}.vacation", "must be a list of { years = ..., days = ... }")
        steps = []
        for index, step in enumerate(steps_raw):
            step_key = f"{key}.vacation[{index}]"
            self.keys(step, step_key, required=("years", "days"))
            steps.append(
                VacationStep(
                    years=self.whole(step["years"], f"{step_key}.years", 0, 60),
                    days=self.whole(step["days"], f"{step_key}.days", 0, 60),
                )
            )
        for before, after in pairwise(steps):
            if not (after.years > before.years and after.days >= before.days):
                raise self.fail(
                    f"{key}.vacation", "the steps go up in years, with as many days or more"
                )
        titles = self.table(body["job_titles"], f"{key}.job_titles", non_empty=True)
        hours = {
            title: self.number(value, f"{key}.job_titles.{title}", Decimal(1), Decimal(60))
            for title, value in titles.items()
        }
        holiday_count = self.whole(body["holiday_count"], f"{key}.holiday_count", 0, 366)
        values = {name: (value, f"{key}.{name}") for name, value in _raw_locals(body).items()}
        return Agreement(
            code=code,
            name=self.text(body["name"], f"{key}.name"),
            in_force_from=start,
            in_force_until=end,
            max_days_per_week=self.whole(
                body["max_days_per_week"], f"{key}.max_days_per_week", 1, 7
            ),
            holiday_count=holiday_count,
            fixed_holidays=frozenset(fixed),
            vacation_year_starts=self.month_day(
                body["vacation_year_starts"], f"{key}.vacation_year_starts"
            ),
            vacation_days_per_month_first_year=self.number(
                body["vacation_days_per_month_first_year"],
                f"{key}.vacation_days_per_month_first_year",
                Decimal(0),
                Decimal(31),
            ),
            vacation=tuple(steps),
            job_titles=MappingProxyType(hours),
            defaults=self.local(values, code, holiday_count, frozenset(fixed), holiday_rules),
        )

    def rest_days(self, value: Any, key: str) -> tuple[RestDaysRule, ...]:
        """One rule (a table) or alternatives (an array of tables, at least one; meeting
        one of them is enough). An alternative's key is ``key[index]``."""
        if isinstance(value, Mapping):
            items = [(value, key)]
        elif isinstance(value, list) and value:
            items = [(item, f"{key}[{index}]") for index, item in enumerate(value)]
        else:
            raise self.fail(
                key,
                "must be a table { consecutive = ..., per_weeks = ... } "
                "or a non-empty array of them (alternatives)",
            )
        rules = []
        for item, item_key in items:
            self.keys(item, item_key, required=("consecutive", "per_weeks"))
            per_weeks = self.whole(item["per_weeks"], f"{item_key}.per_weeks", 1, 4)
            consecutive = self.whole(
                item["consecutive"], f"{item_key}.consecutive", 1, 7 * per_weeks - 1
            )
            rule = RestDaysRule(consecutive=consecutive, per_weeks=per_weeks)
            if rule in rules:
                raise self.fail(item_key, "repeats an alternative")
            rules.append(rule)
        return tuple(rules)

    def local(
        self,
        values: Mapping[str, tuple[Any, str]],
        agreement: str,
        holiday_count: int,
        fixed_holidays: frozenset[str],
        holiday_rules: Mapping[str, HolidayRule],
    ) -> LocalRules:
        """The local keys, each with the key it came from (for the error message)."""
        week_value, week_key = values["week_starts_on"]
        if week_value not in WEEKDAYS:
            raise self.fail(week_key, f"must be a day name ({', '.join(WEEKDAYS)})")

        rest_value, rest_key = values["rest_days"]
        rest_days = self.rest_days(rest_value, rest_key)

        meal_value, meal_key = values["meal_break"]
        self.keys(
            meal_value, meal_key, required=("min_minutes", "after_hours"), optional=("max_minutes",)
        )
        low = self.whole(meal_value["min_minutes"], f"{meal_key}.min_minutes", 1, 240)
        high = None
        if "max_minutes" in meal_value:
            high = self.whole(meal_value["max_minutes"], f"{meal_key}.max_minutes", low, 240)
        after = self.number(
            meal_value["after_hours"], f"{meal_key}.after_hours", Decimal(1), Decimal(24)
        )
        if (after * 60) % 1:
            raise self.fail(f"{meal_key}.after_hours", "must be a whole number of minutes")

        work_value, work_key = values["holiday_work"]
        if work_value not in _HOLIDAY_WORK:
            raise self.fail(
                work_key, f"must be one of {', '.join(_HOLIDAY_WORK)}, got {work_value!r}"
            )

        notice_value, notice_key = values["schedule_notice_days"]
        notice = self.whole(notice_value, notice_key, 0, 365)

        names, list_key = values["holidays"]
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise self.fail(list_key, "must be a list of holiday names from [holiday_rules]")
        for name in names:
            if name not in holiday_rules:
                raise self.fail(list_key, f"{name!r} is not in [holiday_rules]")
        if len(set(names)) != len(names):
            raise self.fail(list_key, "names a holiday twice")
        if len(names) != holiday_count:
            raise self.fail(
                list_key, f"lists {len(names)} holidays; agreement {agreement} has {holiday_count}"
            )
        for name in sorted(fixed_holidays - set(names)):
            raise self.fail(list_key, f"must hold {name}, fixed by agreement {agreement}")
        return LocalRules(
            week_starts_on=WEEKDAYS.index(week_value),
            rest_days=rest_days,
            meal_break=MealBreakRule(
                min_minutes=low, max_minutes=high, after_minutes=int(after * 60)
            ),
            holiday_work=work_value,
            schedule_notice_days=notice,
            holidays=tuple(holiday_rules[name] for name in names),
        )


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class Break:
    """A break within a work day. A meal break (``meal=True``, période de repas) is unpaid
    and not counted as work; a rest break (pause, ``meal=False``) is paid and counted."""

    start: time
    end: time
    meal: bool = True


@dataclass(frozen=True)
class WorkDay:
    """A day of work from ``start`` to ``end`` (same day; no night shift in a GMF).

    ``holiday_worked`` marks a holiday the professional works (to be compensated by leave
    within 4 weeks, or paid, as the agreement says)."""

    day: date
    start: time
    end: time
    breaks: tuple[Break, ...] = ()
    holiday_worked: bool = False

    @property
    def worked_minutes(self) -> int:
        meals = sum(_minutes(b.end) - _minutes(b.start) for b in self.breaks if b.meal)
        return _minutes(self.end) - _minutes(self.start) - meals


@dataclass(frozen=True)
class LeaveDay:
    """A paid day off in place of a work day: ``holiday`` (a statutory holiday taken, on its
    date or transferred) or ``vacation``. It counts as a day of its week and as the regular
    day's hours (``weekly_hours / max_days_per_week``) unless ``hours`` says otherwise."""

    day: date
    kind: Literal["holiday", "vacation"]
    hours: Decimal | None = None


@dataclass(frozen=True)
class Schedule:
    """A professional's proposed schedule: ``weeks`` whole weeks from ``first_day`` (the
    first day of a week under the rules). A day with no entry is a day of rest.

    ``vacation_days_available`` (optional): the vacation days the professional still has in
    the reference year; the schedule may not plan more.
    """

    first_day: date
    weeks: int
    days: tuple[WorkDay | LeaveDay, ...]
    vacation_days_available: Decimal | int | None = None

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=7 * self.weeks - 1)


@dataclass(frozen=True)
class Refusal:
    """One rule of the agreement the schedule breaks.

    ``rule`` is the code (``weekly_hours_exceeded``), ``params`` the values in play (hours
    as :class:`~decimal.Decimal`, days as :class:`~datetime.date`), for a sentence in the
    interface's language; ``week`` is the first day of the week (or block of weeks) at
    fault, ``day`` the day at fault, each ``None`` when it does not apply. ``str()`` gives
    an English sentence.
    """

    rule: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    week: date | None = None
    day: date | None = None

    def __str__(self) -> str:
        p = self.params
        where = f" on {self.day.isoformat()}" if self.day else ""
        if self.week and not self.day:
            where = f" in the week of {self.week.isoformat()}"
        sentences = {
            "weekly_hours_exceeded": lambda: (
                f"{p['planned_hours']} h planned > {p['max_hours']} h "
                f"for the job title {p['job_title']}"
            ),
            "too_many_days": lambda: f"{p['planned_days']} days planned > {p['max_days']} days",
            "rest_days_not_consecutive": lambda: (
                f"longest rest {p['longest_rest']} days < {p['consecutive']} consecutive "
                f"days of rest per {p['per_weeks']} week(s)"
                + (
                    f" (alternative {p['alternative']} of {p['alternatives']}, none met)"
                    if p.get("alternatives", 1) != 1
                    else ""
                )
            ),
            "meal_break_missing": lambda: (
                f"{p['worked_hours']} h of work with no meal break (due after {p['after_hours']} h)"
            ),
            "meal_break_too_short": lambda: (
                f"meal break of {p['planned_minutes']} min < {p['min_minutes']} min"
            ),
            "meal_break_too_long": lambda: (
                f"meal break of {p['planned_minutes']} min > {p['max_minutes']} min"
            ),
            "meal_break_too_late": lambda: (
                f"{p['hours_before_break']} h of work before the meal break > {p['after_hours']} h"
            ),
            "holiday_work_not_marked": lambda: (
                f"work on the holiday {p['holiday']} not marked as a holiday worked"
            ),
            "holiday_work_not_allowed": lambda: f"work on the holiday {p['holiday']} not allowed",
            "vacation_days_exceeded": lambda: (
                f"{p['planned_days']} vacation days planned > {p['available_days']} available"
            ),
            "notice_too_short": lambda: (
                f"proposed {p['notice_days']} days before it starts < {p['min_notice_days']} days"
            ),
        }
        text = sentences[self.rule]() if self.rule in sentences else repr(dict(p))
        return f"{self.rule}: {text}{where}"


def validate(schedule: Schedule, rules: ScheduleRules, *, on: date) -> list[Refusal]:
    """The agreement's rules ``schedule`` breaks under ``rules``; ``[]`` when it is valid.

    ``on`` is the day of the decision: the notice rule (``schedule_notice_days``) counts
    the days from ``on`` to the schedule's first day. Refusals come in this order: each
    week's hours and days, each block's rest days, then day by day (holiday work, meal
    breaks), then the whole schedule's (vacation, notice).

    Raises :class:`ScheduleError` if the schedule contradicts itself or does not start on
    the first day of a week (``rules.week_starts_on``), or its weeks are whole blocks of
    none of the rest rule's alternatives (``per_weeks``).
    """
    _check_shape(schedule, rules)
    by_day: dict[date, WorkDay | LeaveDay] = {entry.day: entry for entry in schedule.days}
    refusals: list[Refusal] = []

    holidays: dict[date, Holiday] = {}
    # A year's holiday moved off a weekend may land in the year before or after.
    for year in range(schedule.first_day.year - 1, schedule.last_day.year + 2):
        holidays.update({holiday.day: holiday for holiday in rules.holidays_in(year)})

    for week in range(schedule.weeks):
        start = schedule.first_day + timedelta(weeks=week)
        entries = [
            by_day[day]
            for day in (start + timedelta(days=offset) for offset in range(7))
            if day in by_day
        ]
        planned = sum(
            (_entry_minutes(entry, rules) for entry in entries),
            start=Decimal(0),
        )
        if planned > rules.weekly_minutes:
            refusals.append(
                Refusal(
                    "weekly_hours_exceeded",
                    {
                        "planned_hours": _hours(planned),
                        "max_hours": _hours(rules.weekly_minutes),
                        "job_title": rules.job_title,
                    },
                    week=start,
                )
            )
        if len(entries) > rules.max_days_per_week:
            refusals.append(
                Refusal(
                    "too_many_days",
                    {"planned_days": len(entries), "max_days": rules.max_days_per_week},
                    week=start,
                )
            )
    refusals.extend(_rest_refusals(schedule, rules, by_day))

    for day in sorted(by_day):
        entry = by_day[day]
        if not isinstance(entry, WorkDay):
            continue
        if day in holidays and rules.holiday_work != "allow":
            name = holidays[day].name
            if rules.holiday_work == "refuse":
                refusals.append(Refusal("holiday_work_not_allowed", {"holiday": name}, day=day))
            elif not entry.holiday_worked:
                refusals.append(Refusal("holiday_work_not_marked", {"holiday": name}, day=day))
        refusals.extend(_meal_refusals(entry, rules.meal_break))

    vacation = sum(
        1 for entry in schedule.days if isinstance(entry, LeaveDay) and entry.kind == "vacation"
    )
    available = schedule.vacation_days_available
    if available is not None and vacation > available:
        refusals.append(
            Refusal(
                "vacation_days_exceeded",
                {"planned_days": vacation, "available_days": Decimal(available)},
            )
        )
    notice = (schedule.first_day - on).days
    if rules.schedule_notice_days and notice < rules.schedule_notice_days:
        refusals.append(
            Refusal(
                "notice_too_short",
                {"notice_days": notice, "min_notice_days": rules.schedule_notice_days},
            )
        )
    return refusals


def _check_shape(schedule: Schedule, rules: ScheduleRules) -> None:
    def fail(message: str, day: date | None = None) -> ScheduleError:
        prefix = f"schedule from {schedule.first_day.isoformat()}"
        return ScheduleError(f"{prefix}: {message}", column="day" if day else None)

    if schedule.weeks < 1:
        raise fail("covers no week")
    if schedule.first_day.weekday() != rules.week_starts_on:
        raise fail(
            f"starts on a {WEEKDAYS[schedule.first_day.weekday()]}; weeks start on "
            f"{WEEKDAYS[rules.week_starts_on]} under these rules"
        )
    if not _rest_alternatives(schedule, rules):
        blocks = " or ".join(str(rule.per_weeks) for rule in rules.rest_days)
        raise fail(f"covers {schedule.weeks} weeks; the rest rule counts blocks of {blocks} weeks")
    seen: set[date] = set()
    for entry in schedule.days:
        where = entry.day.isoformat()
        if entry.day in seen:
            raise fail(f"two entries for {where}", entry.day)
        seen.add(entry.day)
        if not schedule.first_day <= entry.day <= schedule.last_day:
            raise fail(f"{where} is outside its weeks", entry.day)
        if isinstance(entry, LeaveDay):
            if entry.hours is not None and not 0 <= entry.hours <= 24:
                raise fail(f"{where}: a day off of {entry.hours} h", entry.day)
            continue
        if entry.end <= entry.start:
            raise fail(f"{where} ends at {entry.end} before it starts at {entry.start}", entry.day)
        previous_end = entry.start
        for pause in sorted(entry.breaks, key=lambda b: b.start):
            if pause.end <= pause.start:
                raise fail(f"{where}: a break ends before it starts", entry.day)
            if pause.start < previous_end or pause.end > entry.end:
                raise fail(f"{where}: breaks overlap or fall outside the day", entry.day)
            previous_end = pause.end


def _entry_minutes(entry: WorkDay | LeaveDay, rules: ScheduleRules) -> Decimal:
    if isinstance(entry, WorkDay):
        return Decimal(entry.worked_minutes)
    if entry.hours is not None:
        return entry.hours * 60
    return rules.regular_day_minutes


def _rest_alternatives(schedule: Schedule, rules: ScheduleRules) -> list[tuple[int, RestDaysRule]]:
    """The alternatives of the rest rule that can judge ``schedule`` (its weeks are whole
    blocks of theirs), each with its 1-based number among all the alternatives."""
    return [
        (number, rule)
        for number, rule in enumerate(rules.rest_days, start=1)
        if schedule.weeks % rule.per_weeks == 0
    ]


def _rest_refusals(
    schedule: Schedule, rules: ScheduleRules, by_day: Mapping[date, object]
) -> list[Refusal]:
    """The rest rule holds when the schedule meets **one** of its alternatives in every
    block of that alternative's ``per_weeks`` weeks; then nothing is refused. Otherwise
    each alternative that could judge it (see :func:`_rest_alternatives`) gives its
    refusals, one per block it finds short, naming the alternative in the params
    (``consecutive``, ``per_weeks``, ``alternative`` its number, ``alternatives`` how many
    the rule has).
    """
    per_alternative = [
        _rest_refusals_of(schedule, rule, number, len(rules.rest_days), by_day)
        for number, rule in _rest_alternatives(schedule, rules)
    ]
    if any(not refusals for refusals in per_alternative):
        return []
    return [refusal for refusals in per_alternative for refusal in refusals]


def _rest_refusals_of(
    schedule: Schedule,
    rule: RestDaysRule,
    number: int,
    count: int,
    by_day: Mapping[date, object],
) -> list[Refusal]:
    """One alternative: a block of ``per_weeks`` weeks keeps its rest when it holds
    ``consecutive`` rest days in a row, or when such a run of rest days *begins* in it and
    ends in the next block.

    The schedule is read as a cycle, so a Monday-to-Friday week with weeks from Sunday
    keeps Saturday + Sunday. A run that straddles two blocks counts for the block where it
    begins only, so one weekend does not serve two weeks.
    """
    total = 7 * schedule.weeks
    rest = [schedule.first_day + timedelta(days=i) not in by_day for i in range(total)]
    if all(rest):
        return []
    # The length of the run of rest days that begins at each index (0 if none begins there),
    # read cyclically from a worked day.
    run_from = [0] * total
    first_work = rest.index(False)
    i = first_work
    for _ in range(total):
        i = (i + 1) % total
        if rest[i] and not rest[(i - 1) % total]:
            length = 0
            while rest[(i + length) % total]:
                length += 1
            run_from[i] = length
    size = 7 * rule.per_weeks
    refusals = []
    for block in range(0, total, size):
        inside = longest = 0
        for j in range(block, block + size):
            inside = inside + 1 if rest[j] else 0
            longest = max(longest, inside)
        begins = max(run_from[block : block + size])
        if longest < rule.consecutive and begins < rule.consecutive:
            refusals.append(
                Refusal(
                    "rest_days_not_consecutive",
                    {
                        "longest_rest": longest,
                        "consecutive": rule.consecutive,
                        "per_weeks": rule.per_weeks,
                        "alternative": number,
                        "alternatives": count,
                    },
                    week=schedule.first_day + timedelta(days=block),
                )
            )
    return refusals


def _meal_refusals(entry: WorkDay, rule: MealBreakRule) -> list[Refusal]:
    meals = sorted((b for b in entry.breaks if b.meal), key=lambda b: b.start)
    worked = entry.worked_minutes
    after = Decimal(rule.after_minutes)
    if not meals:
        if worked > rule.after_minutes:
            return [
                Refusal(
                    "meal_break_missing",
                    {"worked_hours": _hours(Decimal(worked)), "after_hours": _hours(after)},
                    day=entry.day,
                )
            ]
        return []
    refusals = []
    for meal in meals:
        length = _minutes(meal.end) - _minutes(meal.start)
        if length < rule.min_minutes:
            refusals.append(
                Refusal(
                    "meal_break_too_short",
                    {"planned_minutes": length, "min_minutes": rule.min_minutes},
                    day=entry.day,
                )
            )
        elif rule.max_minutes is not None and length > rule.max_minutes:
            refusals.append(
                Refusal(
                    "meal_break_too_long",
                    {"planned_minutes": length, "max_minutes": rule.max_minutes},
                    day=entry.day,
                )
            )
    before = _minutes(meals[0].start) - _minutes(entry.start)
    if before > rule.after_minutes:
        refusals.append(
            Refusal(
                "meal_break_too_late",
                {"hours_before_break": _hours(Decimal(before)), "after_hours": _hours(after)},
                day=entry.day,
            )
        )
    return refusals


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _hours(minutes: Decimal) -> Decimal:
    """Hours to the hundredth, without trailing zeros (35, 36.25, 35.33)."""
    value = (minutes / 60).quantize(Decimal("0.01"))
    return value.to_integral_value() if value == value.to_integral_value() else value.normalize()
