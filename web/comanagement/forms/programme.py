"""The forms of the GMF programme's pages (annual reviews, posts, selection, direct hires):
input shape and field-level checks only. Who may post them is the views' (through
:mod:`web.accounts.access`); the domain's rules are the services'
(:mod:`web.comanagement.services.programme`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from web.comanagement import reference
from web.comanagement.models import PostOpenedBy, SelectionStepKind
from web.forms import DateInput

__all__ = [
    "CloseForm",
    "DirectHireForm",
    "DirectHireReportForm",
    "FillForm",
    "PostForm",
    "ReviewForm",
    "StepForm",
]


def _fte_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0.01"),
        max_value=Decimal("1"),
        max_digits=3,
        decimal_places=2,
        help_text=_("In full-time equivalents: 1 for a full-time post, 0.5 for a half-time."),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )


class ReviewForm(forms.Form):
    """An annual review: its 1 April and the registered patients per weighting category
    of the level table in force (one field per category, given by the view)."""

    reviewed_on = forms.DateField(
        label=_("Annual review of"),
        widget=DateInput(),
        help_text=_("The 1 April of the review."),
    )

    def __init__(self, *args: Any, categories: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = categories
        for category in categories:
            self.fields[f"count_{category}"] = forms.IntegerField(
                label=reference.category_label(category), min_value=0, initial=0, required=False
            )

    def counts(self) -> dict[str, int]:
        return {
            category: self.cleaned_data.get(f"count_{category}") or 0
            for category in self.categories
        }


class PostForm(forms.Form):
    """Open a post: type, FTE, why it is owed (an annual review of the GMF, or its
    recognition) and from when."""

    professional_type = forms.ChoiceField(label=_("Professional type"), choices=())
    fte = _fte_field(_("FTE"))
    opened_by = forms.ChoiceField(label=_("Owed by"), choices=PostOpenedBy.choices)
    review = forms.ChoiceField(label=_("Annual review"), required=False, choices=())
    opened_on = forms.DateField(
        label=_("Opened on"),
        widget=DateInput(),
        required=False,
        help_text=_(
            "For a post owed by the recognition: the day of the recognition (the post is due "
            "the day before the first annual review). For a post owed by an annual review, "
            "the review's day is taken."
        ),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        types: list[tuple[str, Any]],
        reviews: list[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["professional_type"].choices = types
        self.fields["review"].choices = [("", "—"), *reviews]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("opened_by") == PostOpenedBy.ANNUAL_REVIEW and not data.get("review"):
            self.add_error("review", _("Choose the annual review that owes the post."))
        if data.get("opened_by") == PostOpenedBy.RECOGNITION and not data.get("opened_on"):
            self.add_error("opened_on", _("Give the day of the recognition."))
        return data


class StepForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"), choices=SelectionStepKind.choices)
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    gmf_took_part = forms.BooleanField(
        label=_("The GMF took part (interview only)"), required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FillForm(forms.Form):
    placement = forms.ChoiceField(label=_("Placement"), choices=())
    filled_on = forms.DateField(label=_("Filled on"), widget=DateInput())

    def __init__(self, *args: Any, placements: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["placement"].choices = placements


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("Closed on"), widget=DateInput())
    note = forms.CharField(label=_("Why"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DirectHireForm(forms.Form):
    professional_type = forms.ChoiceField(
        label=_("Professional type hired"), choices=reference.PROFESSIONAL_TYPES
    )
    hired_on = forms.DateField(label=_("Hired on"), widget=DateInput())
    contract_ref = forms.CharField(label=_("Agreement reference"), required=False, max_length=200)
    derogation_ref = forms.CharField(
        label=_("Derogation reference (technical committee)"),
        required=False,
        max_length=200,
        help_text=_("Required when the type hired differs from the post's."),
    )


class DirectHireReportForm(forms.Form):
    period_start = forms.DateField(label=_("From"), widget=DateInput())
    period_end = forms.DateField(label=_("To (excluded)"), widget=DateInput())
    text = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 6}))
