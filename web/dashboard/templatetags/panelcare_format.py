"""Number formats shared by the pages: percentages in the reader's locale."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def pct(ratio: float | None, decimals: int = 1) -> str:
    """0.8734 -> "87,3 %" in French, "87.3 %" in English; empty for no value."""
    if ratio is None:
        return ""
    return f"{number_format(ratio * 100, decimal_pos=decimals)} %"
