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


# --------------------------------------------------------------------------- what-if (issue 16)

__all__ += ["WhatIfForm"]


class WhatIfForm(forms.Form):
    """A what-if on one physician's rate of a computation (``web.assiduity.whatifs``): any
    of joining a GMF, an IPS-SPL partnership and a share of the P4/P5 emergency visits
    made at the clinic instead; at least one. The choices (the region's GMFs, who may
    join, the IPS-SPL) come from the computation, given by the view; the days are of the
    computation's ``year``."""

    er_share = forms.IntegerField(
        label=_("Share of the P4/P5 emergency visits made at the clinic instead (%)"),
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"data-testid": "whatif-er-share", "step": "5"}),
    )
    gmf = forms.ChoiceField(
        label=_("GMF to join"),
        required=False,
        widget=forms.Select(attrs={"data-testid": "whatif-gmf"}),
    )
    joiner = forms.ChoiceField(
        label=_("Who joins it"),
        required=False,
        widget=forms.Select(attrs={"data-testid": "whatif-joiner"}),
    )
    gmf_start = forms.DateField(
        label=_("Member from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "data-testid": "whatif-gmf-start"}),
    )
    ips = forms.ChoiceField(
        label=_("IPS-SPL to partner with"),
        required=False,
        widget=forms.Select(attrs={"data-testid": "whatif-ips"}),
    )
    ips_start = forms.DateField(
        label=_("Partnered from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "data-testid": "whatif-ips-start"}),
    )

    def __init__(
        self,
        *args: Any,
        year: int,
        gmfs: list[tuple[str, str]],
        joiners: list[tuple[str, str]],
        ips: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.year = year
        none = [("", "—")]
        self.fields["gmf"].choices = none + list(gmfs)
        self.fields["joiner"].choices = list(joiners)
        self.fields["ips"].choices = none + list(ips)
        for name in ("gmf_start", "ips_start"):
            widget = self.fields[name].widget
            widget.attrs["min"] = f"{year:04d}-01-01"
            widget.attrs["max"] = f"{year:04d}-12-31"
        if not self.is_bound:
            self.initial.setdefault("gmf_start", f"{year:04d}-01-01")
            self.initial.setdefault("ips_start", f"{year:04d}-01-01")
            if joiners:
                self.initial.setdefault("joiner", joiners[0][0])

    def _day_of_the_year(self, name: str) -> Any:
        day = self.cleaned_data.get(name)
        if day is not None and day.year != self.year:
            raise forms.ValidationError(
                _("Choose a day of %(year)s, the year of the computation."),
                code="year",
                params={"year": self.year},
            )
        return day

    def clean_gmf_start(self) -> Any:
        return self._day_of_the_year("gmf_start")

    def clean_ips_start(self) -> Any:
        return self._day_of_the_year("ips_start")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        gmf, joiner, ips = cleaned.get("gmf"), cleaned.get("joiner"), cleaned.get("ips")
        joiners = [value for value, _label in self.fields["joiner"].choices]
        if not gmf and joiner and joiners and joiner != joiners[0] and "gmf" not in self.errors:
            self.add_error("gmf", _("Choose the GMF the colleague joins."))
        if not gmf and not ips and cleaned.get("er_share") is None and not self.errors:
            raise forms.ValidationError(
                _(
                    "Choose at least one change: a GMF to join, an IPS-SPL partnership or a "
                    "share of the emergency visits."
                ),
                code="empty",
            )
        return cleaned


# --------------------------------------------------------------------------- DRMG notices (issue 16)

__all__ += ["NoticeForm", "NoticeWithdrawForm"]


class NoticeForm(forms.Form):
    """A DRMG notice (EP 40, 15.01 B): the physician (among the region's, given by the
    view), the year (2017 to this year) and the justification. Whether the physician was a
    GMF member that year, and whether a notice exists, is the service's to say."""

    physician = forms.ChoiceField(
        label=_("Physician"), widget=forms.Select(attrs={"data-testid": "notice-physician"})
    )
    year = forms.IntegerField(
        label=_("Year"),
        min_value=FIRST_YEAR,
        widget=forms.NumberInput(attrs={"data-testid": "notice-year"}),
    )
    justification = forms.CharField(
        label=_("Justification"),
        help_text=_(
            "Why the shortfall results from staff the CISSS/CIUSSS did not assign: the "
            "paritary committee reads it."
        ),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "data-testid": "notice-justification"}),
    )

    def __init__(self, *args: Any, physicians: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["physician"].choices = [("", "—"), *physicians]
        this_year = timezone.localdate().year
        field = self.fields["year"]
        field.validators.append(MaxValueValidator(this_year))
        field.widget.attrs["max"] = str(this_year)
        if not self.is_bound:
            # The year a notice is usually for: the one just ended.
            self.initial.setdefault("year", this_year - 1)


class NoticeWithdrawForm(forms.Form):
    """Withdraw a DRMG notice: the reason, required."""

    reason = forms.CharField(
        label=_("Reason of the withdrawal"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "data-testid": "withdraw-reason"}),
    )
