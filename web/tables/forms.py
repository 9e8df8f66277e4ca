"""The forms of the imports: input shape and field-level checks only."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from panelcare.attribution.tables import FORMATS
from web.tables import kinds

__all__ = ["ImportForm"]


class ImportForm(forms.Form):
    """The upload form: which table, and its file."""

    kind = forms.ChoiceField(label=_("Table"), choices=kinds.choices)
    file = forms.FileField(
        label=_("File (CSV, Parquet or XLSX)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(FORMATS), "data-testid": "import-file"}
        ),
    )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in FORMATS:
            raise forms.ValidationError(_("Choose a CSV, Parquet or XLSX file."))
        return upload
