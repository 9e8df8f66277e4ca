"""Form pieces shared by the apps' forms.

:class:`DateInput` is the one date widget: the browser's date picker, whose value must be
ISO (``2026-12-07``): a date rendered in the page's locale (« 07/12/2026 ») is dropped by
the browser and a required field then looks empty.
"""

from __future__ import annotations

from typing import Any

from django import forms

__all__ = ["DateInput"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
