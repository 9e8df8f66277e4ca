"""The accounts' forms."""

from __future__ import annotations

from django import forms

from web.accounts.models import Profile
from web.accounts.services import SIGNATORY_FIELDS


class SignatoryForm(forms.ModelForm):
    """How a CML or a DRMG signs the letters of the attribution."""

    class Meta:
        model = Profile
        fields = list(SIGNATORY_FIELDS)
        widgets = {"signature_block": forms.Textarea(attrs={"rows": 4})}
