"""Template filters saying an import's problems and how its file was read in the
interface's language (:mod:`web.tables.messages`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from web.tables.messages import problem_text, reading_text

register = template.Library()


@register.filter
def problem_message(problem: Mapping[str, Any]) -> str:
    """``{{ problem|problem_message }}``: a stored problem's message, translated."""
    return problem_text(problem)


@register.filter
def how_read(preview: Mapping[str, Any] | None) -> str:
    """``{{ job.preview|how_read }}``: how the file was read ("" when not a CSV)."""
    return reading_text((preview or {}).get("reading"))
