"""The forms of the imports: input shape and field-level checks only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from panelcare.attribution.tables import FORMATS
from web.config.uploads import max_upload_bytes
from web.tables.kinds import TableKind
from web.tables.models import ImportMode

__all__ = ["ApplyForm", "ImportForm"]


class ImportForm(forms.Form):
    """The upload form: which table (of ``table_kinds``, those the user may import:
    ``access.importable_kinds``), its file, and whether it replaces the rows in force or
    (a kind that is ``appendable``: the visits) adds to them (``mode``; offered only when
    one of ``table_kinds`` is appendable, else always a replacement)."""

    kind = forms.ChoiceField(label=_("Table"))
    mode = forms.ChoiceField(
        label=_("What the file does"),
        choices=[
            (ImportMode.REPLACE, _("replaces the table in force")),
            (ImportMode.ADD, _("adds to the visits in force (a month, say)")),
        ],
        initial=ImportMode.REPLACE,
        required=False,
        widget=forms.RadioSelect(attrs={"data-testid": "import-mode"}),
    )
    file = forms.FileField(
        label=_("File (CSV, Parquet or XLSX)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(FORMATS), "data-testid": "import-file"}
        ),
    )

    def __init__(self, table_kinds: Iterable[TableKind], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table_kinds = list(table_kinds)
        self.fields["kind"].choices = [(kind.name, str(kind.label)) for kind in table_kinds]
        self.appendable = {kind.name for kind in table_kinds if kind.appendable}
        if not self.appendable:
            del self.fields["mode"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        mode = cleaned.get("mode") or ImportMode.REPLACE
        cleaned["mode"] = mode
        kind = cleaned.get("kind")
        if mode == ImportMode.ADD and kind and kind not in self.appendable:
            self.add_error(
                "mode",
                _("Only the visits can be added to the rows in force: this table is replaced."),
            )
        return cleaned

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _(
                    "The file is larger than %(limit)s MB, the largest accepted. Split it "
                    "into smaller files, or ask the administrator to raise the limit."
                ),
                params={"limit": settings.PANELCARE_MAX_UPLOAD_MB},
            )
        if Path(upload.name).suffix.lower() not in FORMATS:
            raise forms.ValidationError(_("Choose a CSV, Parquet or XLSX file."))
        return upload


class ApplyForm(forms.Form):
    """Apply an import: ``confirm_removal``, the box its importer ticks to confirm the rows
    it removes when that is every row of their scope or more than the region's share
    (``services.removal_to_confirm``); unticked, or absent, is no confirmation."""

    confirm_removal = forms.BooleanField(required=False)
