"""The form of the cycle's selection: a physician of the region and the day their
requirement is due. Input shape only; the rules (once a cycle, a due date after the
selection) are the services' (:mod:`web.quality.services.selection`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from web.forms import DateInput
from web.regions.models import Physician

__all__ = ["PhysicianChoiceField", "SelectForm"]


class PhysicianChoiceField(forms.ModelChoiceField):
    """A physician by name (the QI forms' choices)."""

    def label_from_instance(self, obj: Physician) -> str:
        return obj.name


class SelectForm(forms.Form):
    """A physician selected for the current cycle, and the day their requirement is due."""

    physician = PhysicianChoiceField(
        label=_("Physician"),
        queryset=Physician.objects.none(),
        widget=forms.Select(attrs={"data-testid": "select-physician"}),
    )
    due = forms.DateField(
        label=_("Requirement due on"), widget=DateInput(attrs={"data-testid": "select-due"})
    )

    def __init__(self, *args: Any, physicians: QuerySet[Physician], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["physician"].queryset = physicians
