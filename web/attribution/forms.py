"""The forms of the attribution workflow: the shape of what the pages post and the
field-level checks. Who may post them is checked by the views (``web.accounts.access``);
what only the data can tell is checked by the services.

==================  ===========================================================
form                posted by
==================  ===========================================================
RunForm             the new run's page (every parameter of the engine)
DecisionForm        the physicians' page (a decision on one physician)
AdjustmentForm      a run's page (move a patient, or change a target)
LetterTemplateForm  the letter templates' page (save, preview or reset a text)
==================  ===========================================================
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from panelcare.attribution.params import (
    Params,
    load_params,
    params_as_dict,
    params_from_mapping,
)
from panelcare.errors import SettingsError
from web.accounts import access
from web.accounts.access import Purpose, User
from web.attribution.models import AdjustmentKind, LetterKind, Run

__all__ = ["AdjustmentForm", "DecisionForm", "LetterTemplateForm", "RunForm"]


# --------------------------------------------------------------------------- runs


def _table_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 30}),
    )


def _param_fields() -> dict[str, forms.Field]:
    """One form field per parameter of the engine, in :class:`Params`' order."""
    return {
        "group1_threshold": forms.IntegerField(
            label=gettext_lazy("Group 1 threshold (registrations)")
        ),
        "exclude_below": forms.IntegerField(
            label=gettext_lazy("Exclude group 1b physicians below (patients)"),
            help_text=gettext_lazy("Empty: nobody is excluded. The procedure allows 25."),
            required=False,
        ),
        "stratum": forms.IntegerField(label=gettext_lazy("Registration stratum (patients)")),
        "group2_target": forms.IntegerField(label=gettext_lazy("Group 2 target (registrations)")),
        "vulnerable_cap": forms.FloatField(
            label=gettext_lazy("Vulnerable cap (share of the final panel)"),
            help_text=gettext_lazy("0.45 for 45 %."),
        ),
        "full_workload_units": forms.FloatField(label=gettext_lazy("Full workload (units)")),
        "patients_per_unit": forms.IntegerField(
            label=gettext_lazy("Registered patients worth one unit")
        ),
        "shortage": forms.BooleanField(
            label=gettext_lazy("Shortage: nobody above the full workload"), required=False
        ),
        "max_distance_km": forms.FloatField(label=gettext_lazy("Maximum distance (km)")),
        "cross_rls": forms.BooleanField(label=gettext_lazy("Cross RLS borders"), required=False),
        "period_months": forms.IntegerField(label=gettext_lazy("Period (months)")),
        "category_weights": _table_field(
            gettext_lazy("Category weights"),
            gettext_lazy("One per line: category = weight (1 or more), e.g. home_care = 2."),
        ),
        "include_later_departures": forms.BooleanField(
            label=gettext_lazy("Include unconfirmed departures and departures after 1 January"),
            required=False,
        ),
        "yearly_cap_after_4_years": forms.IntegerField(
            label=gettext_lazy("Yearly cap after 4 years of practice (patients)"),
            help_text=gettext_lazy("Empty: no cap."),
            required=False,
        ),
        "le304_min_block": forms.IntegerField(label=gettext_lazy("LE 304: smallest block")),
        "le304_min_assiduity": forms.FloatField(
            label=gettext_lazy("LE 304: previous-year assiduity at least"),
            help_text=gettext_lazy("0.75 for 75 %."),
        ),
        "candidates_per_patient": forms.IntegerField(
            label=gettext_lazy("Nearest physicians offered to each patient")
        ),
        "target_overrides": _table_field(
            gettext_lazy("Targets set by hand"),
            gettext_lazy("One per line: physician code = target. Usually left empty."),
        ),
    }


class RunForm(forms.Form):
    """A new run: what, for whom, and every parameter of the engine with its default."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)
    rls = forms.ChoiceField(label=gettext_lazy("RLS"), required=False)
    run_date = forms.DateField(
        label=gettext_lazy("Run date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (rls.code, rls.name)
            for rls in access.visible_rls(user, Purpose.ATTRIBUTION).order_by("name")
        ]
        if access.can_work_on_region(user):
            choices.insert(0, ("", _("The whole region")))
        self.fields["rls"].choices = choices
        self.fields["run_date"].initial = timezone.localdate()
        defaults = params_as_dict(load_params())
        for name, field in _param_fields().items():
            value = defaults[name]
            if isinstance(value, dict):
                value = "\n".join(f"{k} = {v}" for k, v in value.items())
            field.initial = value
            self.fields[name] = field

    @staticmethod
    def initial_of(run: Run) -> dict[str, Any]:
        """The form's initial values for a run like ``run`` (its parameters, RLS, title)."""
        return {
            **{
                key: (
                    "\n".join(f"{k} = {v}" for k, v in value.items())
                    if isinstance(value, dict)
                    else value
                )
                for key, value in run.params.items()
            },
            "rls": run.rls.code if run.rls else "",
            "title": run.title,
        }

    def param_names(self) -> list[str]:
        return [spec.name for spec in dataclasses.fields(Params)]

    def clean_category_weights(self) -> dict[str, float]:
        return _parse_table(self.cleaned_data["category_weights"], float)

    def clean_target_overrides(self) -> dict[str, Any]:
        return _parse_table(self.cleaned_data["target_overrides"], int)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        names = self.param_names()
        if any(name in self.errors for name in names):
            return cleaned
        values = {name: cleaned.get(name) for name in names}
        try:
            # Checked by the engine itself (None: the default, or off).
            params = params_from_mapping(values)
        except SettingsError as error:
            field = (error.key or "").split(".")[0]
            self.add_error(field if field in self.fields else None, error.message)
            return cleaned
        cleaned["params"] = params_as_dict(params)
        return cleaned


def _parse_table(text: str, number: type) -> dict[str, Any]:
    """``name = value`` lines as a dict; a value that is not a ``number`` is kept as text
    (or a float) so that the engine refuses it with the key named."""
    table: dict[str, Any] = {}
    for line_number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise ValidationError(
                _("Line %(line)d: write name = value."), params={"line": line_number}
            )
        value = value.strip()
        try:
            table[name.strip()] = number(value)
        except ValueError:
            try:
                table[name.strip()] = float(value)
            except ValueError:
                table[name.strip()] = value
    return table


# --------------------------------------------------------------------------- decisions


_MODE_CHOICES = [
    ("", gettext_lazy("As in the roster")),
    ("bloc", gettext_lazy("Block from the waiting list (bloc)")),
    ("le304", gettext_lazy("Letter of agreement 304 (LE 304)")),
    ("none", gettext_lazy("Not participating")),
]


class DecisionForm(forms.Form):
    """A decision on one physician, as the physicians' page posts it."""

    excluded = forms.BooleanField(
        label=gettext_lazy("Exclude from the run (fewer than 25 patients)"), required=False
    )
    amp_target_derogation = forms.IntegerField(
        label=gettext_lazy("AMP requirement after derogation"), required=False, min_value=0
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode chosen"), choices=_MODE_CHOICES, required=False
    )
    full_workload_demonstrated = forms.BooleanField(
        label=gettext_lazy("Demonstrated 3 work units"), required=False
    )
    include_departure = forms.BooleanField(
        label=gettext_lazy("Include this departure"), required=False
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# --------------------------------------------------------------------------- adjustments


class AdjustmentForm(forms.Form):
    """An adjustment of a run's plan: move a patient (``kind=move``; ``physician`` empty
    leaves them unassigned) or change a physician's target (``kind=target``). The note is
    cut at 1000 characters."""

    kind = forms.ChoiceField(choices=AdjustmentKind.choices)
    patient = forms.CharField(required=False)
    physician = forms.CharField(required=False)
    target = forms.CharField(required=False)
    note = forms.CharField(required=False, strip=False)

    def clean_note(self) -> str:
        return self.cleaned_data["note"][:1000]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == AdjustmentKind.TARGET:
            try:
                cleaned["target"] = int(self.data.get("target", ""))
            except ValueError:
                self.add_error("target", _("A target is a whole number of patients, 0 or more."))
        else:
            cleaned["target"] = None
        return cleaned


# --------------------------------------------------------------------------- letters


class LetterTemplateForm(forms.Form):
    """The subject and body of one kind of letter, and what to do with them: save them,
    preview them as a PDF, or go back to the shipped default. The texts are checked by
    :func:`web.attribution.letters.check_template` (in the services): kept as typed here."""

    kind = forms.ChoiceField(choices=LetterKind.choices)
    action = forms.CharField(required=False)
    subject = forms.CharField(required=False, strip=False)
    body = forms.CharField(required=False, strip=False)

    def clean_action(self) -> str:
        """``preview``, ``reset``, or ``save`` (anything else, as the page's main button)."""
        action = self.cleaned_data["action"]
        return action if action in ("preview", "reset") else "save"
