"""The rules a schedule breaks, said in the reader's language.

The core (:func:`panelcare.comanagement.schedules.validate`) names each rule broken with a
code (``schedules.RULES``) and the values in play; a refused schedule keeps them as data
(``Schedule.refusals``: ``rule``, ``params`` as text, ``week``, ``day``, ISO dates). This
module turns either form into one whole translated sentence, with the numbers and dates
the reader's way: « Semaine du 5 janvier : 38,5 h, au-delà des 37,5 h de la semaine
régulière ».
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from panelcare.comanagement.schedules import Refusal
from web.comanagement.reference import holiday_label

__all__ = [
    "SENTENCES",
    "as_data",
    "sentence",
    "sentences",
]


def as_data(refusal: Refusal) -> dict[str, Any]:
    """A core refusal as JSON data, as ``Schedule.refusals`` keeps it: params as text
    (Decimal and int as their digits, dates ISO), week and day ISO or None."""

    def text(value: object) -> str:
        return value.isoformat() if isinstance(value, datetime.date) else str(value)

    return {
        "rule": refusal.rule,
        "params": {key: text(value) for key, value in refusal.params.items()},
        "week": refusal.week.isoformat() if refusal.week else None,
        "day": refusal.day.isoformat() if refusal.day else None,
    }


def _number(value: object) -> str:
    """A number of the params (Decimal, int or its text) the reader's way: 38,5 / 35."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    else:
        number = number.normalize()
    return number_format(number, use_l10n=True)


def _day(value: object) -> str:
    """A day the reader's way, without the year (« 5 janvier »): a schedule is a few weeks."""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return date_format(value, "j F") if isinstance(value, datetime.date) else ""


def _weekly_hours(p: Mapping[str, str], where: str) -> str:
    return _("%(where)s: %(planned)s h, over the %(max)s h of the regular week") % {
        "where": where,
        "planned": _number(p["planned_hours"]),
        "max": _number(p["max_hours"]),
    }


def _too_many_days(p: Mapping[str, str], where: str) -> str:
    return _("%(where)s: %(planned)s days of work or paid leave, over the %(max)s days allowed") % {
        "where": where,
        "planned": _number(p["planned_days"]),
        "max": _number(p["max_days"]),
    }


def _rest(p: Mapping[str, str], where: str) -> str:
    per_weeks = int(p["per_weeks"])
    longest = int(p["longest_rest"])
    rest = ngettext(
        "%(where)s: the longest rest is %(longest)s day in a row",
        "%(where)s: the longest rest is %(longest)s days in a row",
        longest,
    ) % {"where": where, "longest": _number(p["longest_rest"])}
    if per_weeks == 1:
        rule = _("the agreement requires %(consecutive)s consecutive rest days a week")
    else:
        rule = ngettext(
            "the agreement requires %(consecutive)s consecutive rest days per %(per_weeks)s week",
            "the agreement requires %(consecutive)s consecutive rest days per %(per_weeks)s weeks",
            per_weeks,
        )
    sentence_ = (
        rest + "; " + rule % {"consecutive": _number(p["consecutive"]), "per_weeks": per_weeks}
    )
    alternatives = int(p.get("alternatives", "1") or 1)
    if alternatives > 1:
        sentence_ += " " + _("(rule %(number)s of %(count)s; the schedule meets none of them)") % {
            "number": p.get("alternative", ""),
            "count": alternatives,
        }
    return sentence_


def _holiday_not_allowed(p: Mapping[str, str], where: str) -> str:
    return _("%(where)s: work on a statutory holiday (%(holiday)s) is not allowed") % {
        "where": where,
        "holiday": holiday_label(p["holiday"]),
    }


def _holiday_not_marked(p: Mapping[str, str], where: str) -> str:
    return _(
        "%(where)s: work on a statutory holiday (%(holiday)s) not marked as a holiday worked"
    ) % {"where": where, "holiday": holiday_label(p["holiday"])}


def _meal_missing(p: Mapping[str, str], where: str) -> str:
    return _(
        "%(where)s: %(worked)s h of work without a meal break (one is due after %(after)s h)"
    ) % {"where": where, "worked": _number(p["worked_hours"]), "after": _number(p["after_hours"])}


def _meal_short(p: Mapping[str, str], where: str) -> str:
    return _("%(where)s: a meal break of %(planned)s min, under the %(min)s min minimum") % {
        "where": where,
        "planned": _number(p["planned_minutes"]),
        "min": _number(p["min_minutes"]),
    }


def _meal_long(p: Mapping[str, str], where: str) -> str:
    return _("%(where)s: a meal break of %(planned)s min, over the %(max)s min maximum") % {
        "where": where,
        "planned": _number(p["planned_minutes"]),
        "max": _number(p["max_minutes"]),
    }


def _meal_late(p: Mapping[str, str], where: str) -> str:
    return _("%(where)s: %(before)s h of work before the meal break, over %(after)s h") % {
        "where": where,
        "before": _number(p["hours_before_break"]),
        "after": _number(p["after_hours"]),
    }


def _vacation(p: Mapping[str, str], where: str) -> str:
    return _("%(planned)s vacation days planned, over the %(available)s days available") % {
        "planned": _number(p["planned_days"]),
        "available": _number(p["available_days"]),
    }


def _notice(p: Mapping[str, str], where: str) -> str:
    return _(
        "Proposed %(notice)s days before it starts, under the %(min)s days of notice required"
    ) % {"notice": _number(p["notice_days"]), "min": _number(p["min_notice_days"])}


# One sentence per rule code of the core (schedules.RULES; a test checks none is missing;
# an unknown code gets a generic sentence rather than breaking the page).
SENTENCES: dict[str, Callable[[Mapping[str, str], str], str]] = {
    "weekly_hours_exceeded": _weekly_hours,
    "too_many_days": _too_many_days,
    "rest_days_not_consecutive": _rest,
    "holiday_work_not_allowed": _holiday_not_allowed,
    "holiday_work_not_marked": _holiday_not_marked,
    "meal_break_missing": _meal_missing,
    "meal_break_too_short": _meal_short,
    "meal_break_too_long": _meal_long,
    "meal_break_too_late": _meal_late,
    "vacation_days_exceeded": _vacation,
    "notice_too_short": _notice,
}


def _where(rule: str, params: Mapping[str, str], week: str | None, day: str | None) -> str:
    if day:
        return _day(day)
    if week:
        per_weeks = int(params.get("per_weeks", "1") or 1)
        if rule == "rest_days_not_consecutive" and per_weeks > 1:
            return _("Weeks from %(week)s") % {"week": _day(week)}
        return _("Week of %(week)s") % {"week": _day(week)}
    return ""


def sentence(refusal: Refusal | Mapping[str, Any]) -> str:
    """One refusal (the core's :class:`Refusal` or its data from ``Schedule.refusals``) as
    a whole sentence in the active language. A code this module does not know (a rule
    added to the core later) is said generically, without its code."""
    data = as_data(refusal) if isinstance(refusal, Refusal) else refusal
    rule = str(data.get("rule", ""))
    params = {key: str(value) for key, value in (data.get("params") or {}).items()}
    where = _where(rule, params, data.get("week"), data.get("day"))
    say = SENTENCES.get(rule)
    if say is None:
        return _("A rule of the collective agreement is not met.")
    text = say(params, where)
    return text[:1].upper() + text[1:]


def sentences(refusals: Iterable[Refusal | Mapping[str, Any]]) -> list[str]:
    """Each refusal as a sentence, in the core's order."""
    return [sentence(refusal) for refusal in refusals]
