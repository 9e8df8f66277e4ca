"""The forms of the Practice Improvement Plan, its review and the credits reference: input
shape only. The rules (SMART goals, PDSA order, submission, the credits text) are the
core's, checked in :mod:`web.quality.services.plans` and
:mod:`web.quality.services.reference`, whose refusals the views show on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from web.forms import DateInput
from web.quality.models import ActDecision, GoalKind, Indicator, PdsaPhase, ReviewOutcome

__all__ = [
    "CreditsForm",
    "GoalForm",
    "PdsaPhaseForm",
    "PdsaStartForm",
    "PlanForm",
    "PointForm",
    "ReviewForm",
]


def _area(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 80})


class PlanForm(forms.Form):
    strengths = forms.CharField(
        label=_("Areas of strength"), required=False, widget=_area(), max_length=5000
    )
    improvements = forms.CharField(
        label=_("Areas for improvement"), required=False, widget=_area(), max_length=5000
    )


class GoalForm(forms.Form):
    """A SMART goal: a measure (a platform indicator, or a manual measure defined), its
    baseline and target, a target date and the change ideas, one a line."""

    title = forms.CharField(label=_("Goal"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind of goal"), choices=GoalKind.choices)
    indicator = forms.ChoiceField(
        label=_("Measure"),
        required=False,
        choices=[("", _("A manual measure, defined below")), *Indicator.choices],
        help_text=_("A figure of the platform is plotted without anyone typing numbers."),
    )
    definition = forms.CharField(
        label=_("Definition of the manual measure"),
        required=False,
        widget=_area(3),
        help_text=_("What is counted, out of what, and where the numbers come from."),
    )
    baseline = forms.DecimalField(label=_("Baseline"), max_digits=10, decimal_places=2)
    target = forms.DecimalField(label=_("Target"), max_digits=10, decimal_places=2)
    target_date = forms.DateField(label=_("Target date"), widget=DateInput())
    change_ideas = forms.CharField(
        label=_("Change ideas"),
        widget=_area(4),
        help_text=_("One change idea a line; each is tested by PDSA cycles."),
    )


class PdsaStartForm(forms.Form):
    """A new PDSA cycle: the change idea it tests and its plan, with the prediction."""

    change_idea = forms.ChoiceField(label=_("Change idea tested"))
    plan_text = forms.CharField(
        label=pgettext_lazy("PDSA", "Plan"),
        widget=_area(),
        help_text=_("The objective of the test, who does what, when and where."),
    )
    prediction = forms.CharField(
        label=_("Prediction"), widget=_area(3), help_text=_("What you expect to happen.")
    )

    def __init__(self, *args: Any, ideas: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["change_idea"].choices = [(idea, idea) for idea in ideas]


class PdsaPhaseForm(forms.Form):
    """One phase of a PDSA cycle: its text (plan, do, study) or its decision (act). The
    phases offered are those filled and the next one: a filled phase may be amended until
    act is decided."""

    phase = forms.ChoiceField(label=_("Phase"), choices=PdsaPhase.choices[:4])
    text = forms.CharField(
        label=_("What was planned, done or studied"), required=False, widget=_area()
    )
    prediction = forms.CharField(
        label=_("Prediction (for the plan)"), required=False, widget=_area(3)
    )
    decision = forms.ChoiceField(
        label=_("Decision (for act)"),
        required=False,
        choices=[("", "—"), *ActDecision.choices],
    )


class PointForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        widget=DateInput(),
        help_text=_("Any day of the month: the month is recorded."),
    )
    value = forms.DecimalField(label=_("Value"), max_digits=10, decimal_places=2)


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=ReviewOutcome.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=_area(5),
        help_text=_("Required for comments and for a request for changes."),
    )


class CreditsForm(forms.Form):
    """A new credits version, as TOML in the shape of the shipped ``credits.toml``."""

    text = forms.CharField(
        label=_("Credits (TOML)"),
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 24, "cols": 90, "spellcheck": "false", "data-testid": "credits-text"}
        ),
        help_text=_(
            "The version in force is shown; change it and publish it as a new version. "
            "List in “illustrative” the keys whose values are not sourced."
        ),
    )
