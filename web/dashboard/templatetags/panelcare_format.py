"""Number and date formats shared by the pages, in the reader's locale: percentages,
grouped numbers, dates in words."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language

register = template.Library()


@register.filter
def pct(ratio: float | None, decimals: int = 1) -> str:
    """0.8734 -> "87,3 %" in French, "87.3 %" in English; empty for no value."""
    if ratio is None:
        return ""
    return f"{number_format(half_up(ratio * 100, decimals), decimal_pos=decimals)} %"


@register.filter
def grouped(value: float | int | None, decimals: int | None = None) -> str:
    """A number with the reader's thousands separator: 12500 -> "12 500" in French (the
    same no-break space as the charts' axes), "12,500" in English; empty for no value."""
    if value is None or value == "":
        return ""
    if decimals is None:
        return number_format(value, force_grouping=True)
    return number_format(half_up(value, decimals), decimal_pos=decimals, force_grouping=True)


def half_up(value: float | int, decimals: int) -> Decimal:
    """``value`` rounded half up to ``decimals`` (number_format cuts a float's decimals:
    38.89 % read "38,8" on a page and "38,9" in a letter), never a negative zero
    ("-0,0 years")."""
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


@register.filter
def long_date(value: datetime.date | None) -> str:
    """A date in words in the reader's language, the first of a month as the French
    write it: "1er octobre 2026" (Django's French format gives "1 octobre 2026")."""
    if not value:
        return ""
    text = date_format(value, "DATE_FORMAT")
    if value.day == 1 and (get_language() or "").startswith("fr") and text.startswith("1 "):
        text = "1er" + text[1:]
    return text
