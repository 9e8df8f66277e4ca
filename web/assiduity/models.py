"""The assiduity computations of a region and the actions they record in the audit trail
(:mod:`web.audit`).

A computation (:class:`AssiduityRun`) reads versions of the region's imported tables
(:class:`web.tables.models.Dataset`: visits, registrations, GMF sites and memberships,
practice groups, IPS-SPL partnerships, service agreements, and the physicians' roster for
the names) and records which; its results are the engine's files
(:func:`panelcare.assiduity.results.write_results`) in its folder under
``settings.PANELCARE_DATA_DIR``.

A DRMG notice (:class:`DrmgNotice`, EP 40, 15.01 B) is a decision the DRMG records in the
web, not an imported table: a computation reads the region's active notices of its year
and says which (``summary["notices"]``).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from web.audit.actions import register_actions
from web.regions.models import Region
from web.tables.models import Dataset, data_dir


class AssiduityRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Computing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    # A computation (« calcul ») is masculine in French; the attribution's runs are not.
    CANCELLED = "cancelled", pgettext_lazy("computation", "Cancelled")


# The statuses of a run still at work (its page polls its progress).
IN_PROGRESS = (AssiduityRunStatus.QUEUED, AssiduityRunStatus.RUNNING)

# The order of a year's DONE computations, the latest first: the last finished, then the
# highest number. Everywhere a computation of a year is chosen (the trends, a DRMG
# notice's reading, the attribution's LE 304) it is the first in this order. A DONE run
# has its end time; one without (written by hand) comes last, on every database.
LATEST_FIRST = (models.F("finished_at").desc(nulls_last=True), "-pk")


class AssiduityRun(models.Model):
    """One computation of every physician's assiduity rate of a region for a ``year``
    (the year to date for the current one), on the table versions in force when it was
    started (``versions``: kind -> :class:`~web.tables.models.Dataset` id, the record of
    what it read; the versions are immutable, so a run is reproducible).

    ``summary`` (once DONE): ``physicians`` and ``visits`` counted, ``seconds`` of the
    computation, ``versions`` read (kind -> version number, rows and import date) and
    ``timings`` per phase.
    """

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AssiduityRunStatus.choices,
        default=AssiduityRunStatus.QUEUED,
    )
    versions = models.JSONField(_("table versions read"), default=dict)
    phase = models.CharField(_("phase"), max_length=32, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # Written with the progress while the worker computes: a RUNNING run whose heartbeat
    # is older than the lease is failed (web.tasks_health).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("assiduity computation")
        verbose_name_plural = _("assiduity computations")

    def __str__(self) -> str:
        return f"{self.year} #{self.pk}"

    @property
    def folder(self) -> Path:
        """The run's folder: ``results/``, the engine's results once DONE."""
        return data_dir() / self.region.code / "assiduity" / f"{self.pk:06d}"

    @property
    def results_folder(self) -> Path:
        """Where the engine wrote the results (rates, visits, summaries, monthly)."""
        return self.folder / "results"

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    def kinds_read(self) -> list[str]:
        """The kinds of the versions read, in the order the kinds are declared
        (:mod:`web.tables.kinds`; a JSON object's keys keep no order in every database)."""
        from web.tables.kinds import all_kinds

        order = {kind.name: position for position, kind in enumerate(all_kinds())}
        return sorted(self.versions, key=lambda kind: (order.get(kind, len(order)), kind))

    def datasets(self) -> dict[str, Dataset]:
        """The versions the run read, by kind (:meth:`kinds_read`'s order)."""
        found = Dataset.objects.in_bulk(list(self.versions.values()))
        return {
            kind: found[self.versions[kind]]
            for kind in self.kinds_read()
            if self.versions[kind] in found
        }


@register_actions
class AssiduityAction(models.TextChoices):
    """What the assiduity records in the audit trail (:mod:`web.audit`)."""

    RUN_STARTED = "assiduity_run_started", _("Assiduity computation started")
    RUN_FINISHED = "assiduity_run_finished", _("Assiduity computation finished")
    RUN_FAILED = "assiduity_run_failed", _("Assiduity computation failed")
    RUN_CANCELLED = "assiduity_run_cancelled", _("Assiduity computation cancelled")
    NOTICE_RECORDED = "drmg_notice_recorded", _("DRMG notice recorded")
    NOTICE_WITHDRAWN = "drmg_notice_withdrawn", _("DRMG notice withdrawn")
    # A download of results (the rates, a physician's visits, the committee's list): who
    # took which rows out of the platform, as the attribution's exports.
    EXPORTED = "assiduity_exported", _("Assiduity results exported")


class DrmgNoticeQuerySet(models.QuerySet["DrmgNotice"]):
    def active(self) -> DrmgNoticeQuerySet:
        """The notices in force: not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)


class DrmgNotice(models.Model):
    """A DRMG notice (« avis de la DRMG », EP 40, paragraph 15.01 B): for a physician who
    was a GMF member during ``year``, the DRMG attributes the shortfall of their assiduity
    rate to staff the CISSS/CIUSSS did not assign; the physician is then deemed to meet the
    target for that year (100 % of the volume supplements paid, flagged ``drmg_deemed`` by
    the engine).

    ``gmf_code`` is the GMF the physician was a member of during the year (their last
    membership of the year in the region's GMF memberships version in force when the notice
    was recorded). A notice is never deleted: it is withdrawn (``withdrawn_*``), and a
    region has at most one active notice per physician and year.
    """

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    physician_code = models.CharField(_("physician"), max_length=32)
    gmf_code = models.CharField(_("GMF"), max_length=32)
    year = models.PositiveSmallIntegerField(_("year"))
    justification = models.TextField(_("justification"))
    # The vacant post that justifies the notice (EP 40, 15.01 B), when the DRMG recorded it
    # from the co-management's proposal: the evidence stays with the notice.
    post = models.ForeignKey(
        "comanagement.Post",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="drmg_notices",
        verbose_name=_("vacant post"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("withdrawn by"),
    )
    withdrawal_reason = models.TextField(_("reason of the withdrawal"), blank=True)

    objects = DrmgNoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-recorded_at", "-pk"]
        verbose_name = _("DRMG notice")
        verbose_name_plural = _("DRMG notices")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "physician_code", "year"],
                condition=Q(withdrawn_at__isnull=True),
                name="assiduity_one_active_drmg_notice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.physician_code} {self.year} #{self.pk}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
