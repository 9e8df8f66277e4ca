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
from web.regions.models import RETURN_REASONS
from web.regions.services import CONTACT_ATTEMPTS_RANGE

__all__ = [
    "CATEGORY_LABELS",
    "AdjustmentForm",
    "DecisionForm",
    "LetterTemplateForm",
    "RunForm",
    "param_help_texts",
    "param_labels",
]


# --------------------------------------------------------------------------- runs


def _table_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 30}),
    )


# The categories of the waiting list the procedure weighs (5.3.2), as the pages word them.
CATEGORY_LABELS = {
    "home_care": gettext_lazy("home care"),
    "detention": gettext_lazy("detention"),
    "addiction": gettext_lazy("addiction"),
    "palliative": gettext_lazy("palliative care"),
    "mental_health": gettext_lazy("mental health"),
}


def _share_field(label: str, help_text: str) -> forms.FloatField:
    """A share typed as a decimal in the reader's language ("0,45" in French)."""
    return forms.FloatField(label=label, help_text=help_text, localize=True)


def _param_fields() -> dict[str, forms.Field]:
    """One form field per parameter of the engine, in :class:`Params`' order, labelled and
    explained in words (docs/attribution-rules.md, "Run parameters"); decimals are read and
    shown in the reader's language (``localize``: "0,45" in French)."""
    return {
        "group1_threshold": forms.IntegerField(
            label=gettext_lazy("Group 1 threshold (registrations)"),
            help_text=gettext_lazy(
                "Below it (without an AMP requirement) a physician is in group 1b and is "
                "asked to reach it (5.1)."
            ),
        ),
        "exclude_below": forms.IntegerField(
            label=gettext_lazy("Exclude group 1b physicians below (patients)"),
            help_text=gettext_lazy("Empty: nobody is excluded. The procedure allows 25."),
            required=False,
        ),
        "stratum": forms.IntegerField(
            label=gettext_lazy("Registration stratum (patients)"),
            help_text=gettext_lazy("Group 2's targets are multiples of it."),
        ),
        "group2_target": forms.IntegerField(
            label=gettext_lazy("Group 2 target (registrations)"),
            help_text=gettext_lazy(
                "A multiple of the stratum, above the group 1 threshold (5.1, 5.3.5)."
            ),
        ),
        "vulnerable_cap": _share_field(
            gettext_lazy("Vulnerable cap (share of the final panel)"),
            gettext_lazy("A share: 0.45 for 45 %."),
        ),
        "full_workload_units": forms.FloatField(
            label=gettext_lazy("Full workload (units)"),
            help_text=gettext_lazy("3 by default (5.3.3)."),
            localize=True,
        ),
        "patients_per_unit": forms.IntegerField(
            label=gettext_lazy("Registered patients worth one unit")
        ),
        "shortage": forms.BooleanField(
            label=gettext_lazy("Shortage: nobody above the full workload"), required=False
        ),
        "max_distance_km": forms.FloatField(
            label=gettext_lazy("Maximum distance (km)"),
            help_text=gettext_lazy("From the physician's site to the patient's home."),
            localize=True,
        ),
        "cross_rls": forms.BooleanField(
            label=gettext_lazy("Cross RLS borders"),
            help_text=gettext_lazy("A patient may go to a physician of another RLS."),
            required=False,
        ),
        "period_months": forms.IntegerField(
            label=gettext_lazy("Period (months)"),
            help_text=gettext_lazy("The months over which the patients are spread (7)."),
        ),
        "category_weights": _table_field(
            gettext_lazy("Category weights"),
            gettext_lazy("One per line: category = weight (1 or more), e.g. home care = 2."),
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
        "le304_min_block": forms.IntegerField(
            label=gettext_lazy("LE 304: smallest block"),
            help_text=gettext_lazy("Patients a departing physician's colleague takes at once (7)."),
        ),
        "le304_min_assiduity": _share_field(
            gettext_lazy("LE 304: previous-year assiduity at least"),
            gettext_lazy("A share: 0.75 for 75 %."),
        ),
        "candidates_per_patient": forms.IntegerField(
            label=gettext_lazy("Nearest physicians offered to each patient"),
            help_text=gettext_lazy("Between 1 and 100."),
        ),
        "target_overrides": _table_field(
            gettext_lazy("Targets set by hand"),
            gettext_lazy("One per line: physician code = target. Usually left empty."),
        ),
    }


# Parameters the run reads from records, never typed on the form: the GMF targets agreed
# with the CML (services.do_start_run records those in force).
NOT_TYPED = {
    "gmf_targets": gettext_lazy("GMF targets agreed with the CML (at most, per GMF)"),
    "offered_targets": gettext_lazy("Targets from the physicians' offers accepted by the CML"),
}


def param_labels() -> dict[str, str]:
    """Each parameter's label, as the run form and the run's page word it."""
    labels = {name: str(field.label) for name, field in _param_fields().items()}
    return {**labels, **{name: str(label) for name, label in NOT_TYPED.items()}}


def param_help_texts() -> dict[str, str]:
    """Each parameter's explanation (empty when it has none), for the rules page."""
    return {name: str(field.help_text or "") for name, field in _param_fields().items()}


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
        return [spec.name for spec in dataclasses.fields(Params) if spec.name not in NOT_TYPED]

    def clean_category_weights(self) -> dict[str, float]:
        """The weights by category code; a category may be typed by its name in the
        reader's language ("soins à domicile = 2" is ``home_care``)."""
        codes = {str(label).casefold(): code for code, label in CATEGORY_LABELS.items()}
        table = _parse_table(self.cleaned_data["category_weights"], float)
        return {codes.get(name.casefold(), name): weight for name, weight in table.items()}

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
        # A decimal typed the French way ("1,5") reads as one.
        value = value.strip().replace(",", ".") if number is float else value.strip()
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
    patients_offered = forms.IntegerField(
        label=gettext_lazy("New patients offered in the period"),
        required=False,
        min_value=0,
        help_text=gettext_lazy(
            "The runs set the physician's target to their registered patients plus this "
            "number. Empty: the procedure's target."
        ),
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


# --------------------------------------------------------------------------- approval


class ApproveForm(forms.Form):
    """The approval's confirmation: ``confirm`` (the confirmation page's button) and the
    reason for superseding the plans in force, typed by the approver (required by the
    service when a plan is superseded)."""

    confirm = forms.BooleanField(required=False)
    reason = forms.CharField(required=False, max_length=2000)


# --------------------------------------------------------------------------- the journey


class JourneyForm(forms.Form):
    """A step the CML records for a proposed patient (docs/attribution-journey.md): a
    contact attempt, a return to the list (why: ``reason``), or a removal (why: ``note``,
    required by the service)."""

    ACTIONS = (("attempt", "attempt"), ("return", "return"), ("remove", "remove"))

    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.ChoiceField(
        choices=[(str(reason), reason.label) for reason in RETURN_REASONS], required=False
    )
    note = forms.CharField(required=False, max_length=2000)


class ContactAttemptsForm(forms.Form):
    """The region's number of contact attempts before a proposed patient may be returned
    as unreachable, set by the DRMG: a whole number here (the range is the service's rule,
    :data:`web.regions.services.CONTACT_ATTEMPTS_RANGE`, shown to the browser too)."""

    attempts = forms.IntegerField(
        label=gettext_lazy("Contact attempts before a patient is returned as unreachable"),
        widget=forms.NumberInput(
            attrs={
                "min": CONTACT_ATTEMPTS_RANGE[0],
                "max": CONTACT_ATTEMPTS_RANGE[-1],
                "step": 1,
            }
        ),
    )
