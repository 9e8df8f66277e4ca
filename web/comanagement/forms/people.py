"""The forms of the professionals' pages (a professional, a placement, its end, an
integration item done): input shape only; the choices (the agreement rules' agreements
and job titles, the GMF's sites and vacant posts, the establishment's professionals) are
given by the views, the rules checked by :mod:`web.comanagement.services.people`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from web.comanagement import reference
from web.forms import DateInput

__all__ = ["EndPlacementForm", "ItemDoneForm", "PlacementForm", "ProfessionalForm"]


class ProfessionalForm(forms.Form):
    employee_number = forms.CharField(label=_("Employee number"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=200)
    professional_type = forms.ChoiceField(
        label=_("Professional type"), choices=reference.PROFESSIONAL_TYPES
    )
    agreement = forms.ChoiceField(label=_("Collective agreement"), choices=())
    job_title = forms.ChoiceField(label=_("Job title"), choices=())
    service_start = forms.DateField(
        label=_("In the establishment's service since"), widget=DateInput()
    )

    def __init__(
        self,
        *args: Any,
        agreements: list[tuple[str, Any]],
        job_titles: list[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agreement"].choices = agreements
        self.fields["job_title"].choices = job_titles


class PlacementForm(forms.Form):
    professional = forms.ChoiceField(label=_("Professional"), choices=())
    site = forms.ChoiceField(label=_("Site"), required=False, choices=())
    post = forms.ChoiceField(
        label=_("Post filled"),
        required=False,
        choices=(),
        help_text=_("A vacant post of the GMF that this placement fills on its first day."),
    )
    fte = forms.DecimalField(
        label=_("FTE"),
        min_value=Decimal("0.01"),
        max_value=Decimal("1"),
        max_digits=3,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    supervisor_name = forms.CharField(label=_("Immediate supervisor"), max_length=200)
    start = forms.DateField(label=_("First day"), widget=DateInput())

    def __init__(
        self,
        *args: Any,
        professionals: list[tuple[str, Any]],
        sites: list[tuple[str, Any]],
        posts: list[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["professional"].choices = professionals
        self.fields["site"].choices = [("", "—"), *sites]
        self.fields["post"].choices = [("", "—"), *posts]


class EndPlacementForm(forms.Form):
    end = forms.DateField(
        label=_("Ends on"),
        widget=DateInput(),
        help_text=_("The first day the professional no longer works in the GMF."),
    )


class ItemDoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
