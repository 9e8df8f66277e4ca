"""The forms of the assiduity: input shape and field-level checks only. Who may post them
is checked by the views (``web.accounts.access``); what only the data can tell (a year
the visits cover, a year the rules have a scale for) by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["FIRST_YEAR", "StartRunForm"]

# The assiduity rate exists from 2017 (EP 40, amendment 154: the rules' first scale).
FIRST_YEAR = 2017


class StartRunForm(forms.Form):
    """Start a computation of the region's rates for a year (the current one: to date)."""

    year = forms.IntegerField(
        label=_("Year"),
        min_value=FIRST_YEAR,
        widget=forms.NumberInput(attrs={"data-testid": "start-year"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Up to the current year, read at each request (not at import).
        this_year = timezone.localdate().year
        field = self.fields["year"]
        field.validators.append(MaxValueValidator(this_year))
        field.widget.attrs["max"] = str(this_year)
        if not self.is_bound:
            self.initial.setdefault("year", this_year)
