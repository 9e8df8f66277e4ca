"""The region's tables: each imported version of an extract table (physicians' roster,
waiting list, registrations, ...) is one Parquet file in the contract's shape under
``settings.PANELCARE_DATA_DIR``, described by a :class:`Dataset` row; an :class:`ImportJob`
is a file on its way to becoming one. The kinds of table are declared in
:mod:`web.tables.kinds`; the versions are the record (``docs/decisions.md``, "One copy of
each fact"), and the database rows some pages query are their projection.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from web.audit.actions import register_actions
from web.regions.models import Region


def data_dir() -> Path:
    """The folder of every region's tables, plans and letters."""
    return Path(settings.PANELCARE_DATA_DIR)


def _kind_label(kind: str) -> str:
    from web.tables.kinds import get_kind

    try:
        return str(get_kind(kind).label)
    except KeyError:
        return kind


class Dataset(models.Model):
    """One version of one of a region's tables, stored as a Parquet file.

    Versions are numbered from 1 per region and kind; the highest is the current one. A
    version is never changed once written: a run records the versions it read.
    ``scope`` lists the RLS codes whose rows the import replaced (empty: the whole
    region); ``changes`` counts the rows added, removed and changed against the previous
    version.
    """

    region = models.ForeignKey(
        Region, models.PROTECT, related_name="datasets", verbose_name=_("region")
    )
    # One of the kinds of web.tables.kinds (not choices here: a kind is declared there).
    kind = models.CharField(_("table"), max_length=32)
    version = models.PositiveIntegerField(_("version"))
    digest = models.CharField(_("SHA-256 of the file"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    source_name = models.CharField(_("imported file"), max_length=255, blank=True)
    scope = models.JSONField(_("RLS replaced"), default=list, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["region", "kind", "-version"]
        verbose_name = _("imported table version")
        verbose_name_plural = _("imported table versions")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "version"], name="dataset_one_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    def get_kind_display(self) -> str:
        """The kind's label (« Liste d'attente du GAMF »)."""
        return _kind_label(self.kind)

    @property
    def path(self) -> Path:
        """The version's Parquet file."""
        return (
            data_dir()
            / self.region.code
            / "tables"
            / self.kind
            / f"v{self.version:04d}-{self.digest[:12]}.parquet"
        )

    @classmethod
    def current(cls, region: Region, kind: str) -> Dataset | None:
        """The newest version of ``kind`` in ``region``, or None before the first import."""
        return cls.objects.filter(region=region, kind=kind).order_by("-version").first()


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("Checking")
    REFUSED = "refused", _("Refused")
    READY = "ready", _("Ready to apply")
    UNCHANGED = "unchanged", _("Nothing to change")
    APPLYING = "applying", _("Applying")
    APPLIED = "applied", _("Applied")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class ImportMode(models.TextChoices):
    """What an import does with the version in force: its rows of the import's scope are
    replaced by the file's, or (a kind that is ``appendable``: the visits) the file's rows
    are added to them, a row of the same key replaced."""

    REPLACE = "replace", _("Replace the rows in force")
    ADD = "add", _("Add to the rows in force")


class ImportJob(models.Model):
    """An uploaded file on its way to becoming a :class:`Dataset`: checked (in the
    background for large files), previewed, then applied or cancelled.

    ``errors`` lists the problems found (file, row, column, message); ``preview`` the
    counts and examples of what would change. Progress is ``done`` out of ``total`` in
    ``phase``. ``mode``: the file replaces the rows of its scope, or is added to them
    (:class:`ImportMode`).
    """

    region = models.ForeignKey(
        Region, models.PROTECT, related_name="import_jobs", verbose_name=_("region")
    )
    kind = models.CharField(_("table"), max_length=32)
    scope = models.JSONField(_("RLS replaced"), default=list, blank=True)
    mode = models.CharField(
        _("mode"), max_length=8, choices=ImportMode.choices, default=ImportMode.REPLACE
    )
    source_name = models.CharField(_("file name"), max_length=255)
    staged_file = models.CharField(_("staged file"), max_length=500)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    phase = models.CharField(_("phase"), max_length=32, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # Written with the progress while the worker checks or applies: a job in RUNNING
    # whose heartbeat is older than the lease is failed (web.tasks_health).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    dataset = models.ForeignKey(
        Dataset,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version written"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.source_name}"

    def get_kind_display(self) -> str:
        """The kind's label (« Liste d'attente du GAMF »)."""
        return _kind_label(self.kind)


@register_actions
class TableAction(models.TextChoices):
    """What the imports and exports record in the audit trail (:mod:`web.audit`)."""

    IMPORT_APPLIED = "import_applied", _("Table imported")
    IMPORT_REFUSED = "import_refused", _("Import refused")
    IMPORT_CANCELLED = "import_cancelled", _("Import cancelled")
    TABLE_EXPORTED = "table_exported", _("Table exported")
