"""The attribution workflow's records: the CML's decisions on physicians, runs with their
adjustments and approval, letters, and the actions they record in the audit trail
(:mod:`web.audit`).

The tables a run reads (physicians' roster, waiting list) are versions of the region's
tables (:class:`web.tables.models.Dataset`): a run records the versions it read. A run's
plan is a plan folder of the engine (:func:`panelcare.attribution.store.write_plan`)
beside them, under ``settings.PANELCARE_DATA_DIR``.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from web.audit.actions import register_actions
from web.fields import user_link
from web.regions.models import Gmf, Physician, Region, Rls
from web.tables.models import Dataset, data_dir


class PhysicianDecision(models.Model):
    """What the CML decided for one physician, as the procedure lets them (DSP-PR-30042,
    5.1 to 5.3 and 7), applied to the roster of every later run.

    * ``excluded``: left out of the run (a physician of group 1b under 25 patients);
    * ``amp_target_derogation``: the AMP requirement lowered by a derogation;
    * ``mode``: the mode the physician chose (empty: the roster's);
    * ``full_workload_demonstrated``: the physician demonstrated 3 work units;
    * ``include_departure``: the patients of this (unconfirmed) departure are distributed;
    * ``patients_offered``: the new patients the physician offers to take in a run's period
      (their accepted declaration, or the CML's entry): their target becomes their
      registered patients plus this (``web.attribution.roster``).
    """

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    physician_code = models.CharField(_("physician"), max_length=32)
    rls_code = models.CharField(_("RLS"), max_length=32)
    excluded = models.BooleanField(_("excluded from the run"), default=False)
    amp_target_derogation = models.PositiveIntegerField(
        _("AMP requirement after derogation"), null=True, blank=True
    )
    mode = models.CharField(_("mode chosen"), max_length=8, blank=True)
    full_workload_demonstrated = models.BooleanField(_("demonstrated 3 work units"), default=False)
    include_departure = models.BooleanField(_("include this departure"), default=False)
    patients_offered = models.PositiveIntegerField(_("new patients offered"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["physician_code"]
        verbose_name = _("decision on a physician")
        verbose_name_plural = _("decisions on physicians")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "physician_code"], name="decision_one_per_physician"
            )
        ]

    def __str__(self) -> str:
        return self.physician_code


# The fields a decision sets (the model's), in the form's order.
DECISION_FIELDS = (
    "excluded",
    "amp_target_derogation",
    "mode",
    "full_workload_demonstrated",
    "include_departure",
    "patients_offered",
    "note",
)


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready for review")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    APPROVED = "approved", _("Approved")


class RunQuerySet(models.QuerySet):
    def in_force(self) -> RunQuerySet:
        """Approved runs not superseded: at most one per territory (RLS or region)."""
        return self.filter(status=RunStatus.APPROVED, superseded_at__isnull=True)

    def overlapping(self, rls_id: int | None) -> RunQuerySet:
        """Runs whose territory overlaps an RLS (``rls_id``) or the whole region (None):
        the same RLS or a region run, or any run when ``rls_id`` is None."""
        if rls_id is None:
            return self
        return self.filter(models.Q(rls_id=rls_id) | models.Q(rls__isnull=True))


class Run(models.Model):
    """One attribution run of an RLS (or of the whole region, by the DRMG).

    Records what it read (``physicians``, ``waitlist`` and ``registrations`` versions, the
    ``decisions`` in force, as a snapshot, and the ``assiduity_run`` whose rates LE 304
    reads), its ``params`` (the TOML keys of the engine) and ``run_date``.
    Once ``APPROVED`` it is frozen: no adjustment, no new computation.
    """

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    rls = models.ForeignKey(
        Rls,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("RLS"),
        help_text=_("Empty for a run of the whole region."),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    run_date = models.DateField(_("run date"))
    params = models.JSONField(_("parameters"), default=dict)
    physicians = models.ForeignKey(
        Dataset, models.PROTECT, related_name="+", verbose_name=_("physicians' roster")
    )
    waitlist = models.ForeignKey(
        Dataset, models.PROTECT, related_name="+", verbose_name=_("waiting list")
    )
    # The physicians' registered and vulnerable counts come from this version, on the day
    # the run was started (web.tables.queries.with_registered_counts); empty: the
    # roster's own columns.
    registrations = models.ForeignKey(
        Dataset,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrations"),
    )
    decisions = models.JSONField(_("decisions applied"), default=list, blank=True)
    # The assiduity computation of the year before run_date whose rates replace the
    # roster's previous_assiduity for LE 304, chosen when the run starts
    # (web.attribution.le304.computation_for); empty: the roster's column.
    assiduity_run = models.ForeignKey(
        "assiduity.AssiduityRun",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous year's assiduity computation"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    phase = models.CharField(_("phase"), max_length=32, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    # Written with the progress while the worker computes: a RUNNING run whose heartbeat
    # is older than the lease is failed (web.tasks_health).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # The waiting-list patients of the version not offered to this run, fixed at its
    # start so that a new target is solved on the same orphans: proposed by a plan in
    # force, registered or removed (docs/attribution-journey.md).
    withheld_patients = models.JSONField(_("patients not offered"), default=list, blank=True)
    # An approved run replaced by a later approved run of an overlapping territory
    # (docs/decisions.md, "One approved plan per territory"): who is the superseding
    # run's approver; its plan and letters are no longer in force.
    superseded_by = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_runs",
        verbose_name=_("superseded by"),
    )
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_reason = models.TextField(_("reason for superseding"), blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("attribution run")
        verbose_name_plural = _("attribution runs")

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    @property
    def folder(self) -> Path:
        """The run's folder: ``inputs/`` (the tables it read, decisions applied) and
        ``plan/`` (the engine's plan folder), ``letters/`` once written."""
        return data_dir() / self.region.code / "runs" / f"{self.pk:06d}"

    @property
    def is_frozen(self) -> bool:
        return self.status == RunStatus.APPROVED

    @property
    def is_superseded(self) -> bool:
        return self.superseded_at is not None

    @property
    def is_in_force(self) -> bool:
        """Approved and not superseded: its plan and letters are the territory's."""
        return self.status == RunStatus.APPROVED and self.superseded_at is None

    def get_status_display(self) -> str:
        # Overrides Django's generated method so that every page listing runs by status
        # says "superseded" for an approved run no longer in force.
        if self.is_superseded:
            return str(_("Approved, superseded"))
        return str(RunStatus(self.status).label)


class AdjustmentKind(models.TextChoices):
    MOVE = "move", _("Patient moved")
    TARGET = "target", _("Target changed")


class RunAdjustment(models.Model):
    """A change the CML made to a run's plan before approving it."""

    run = models.ForeignKey(Run, models.CASCADE, related_name="adjustments", verbose_name=_("run"))
    kind = models.CharField(_("kind"), max_length=8, choices=AdjustmentKind.choices)
    patient_code = models.CharField(_("patient"), max_length=32, blank=True)
    physician_code = models.CharField(_("physician"), max_length=32, blank=True)
    target = models.PositiveIntegerField(_("target"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    made_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["made_at", "pk"]
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.patient_code or self.physician_code}"


class LetterKind(models.TextChoices):
    GENERAL = "general", _("General letter")
    PERSONAL = "personal", _("Personalised letter")


class LetterTemplate(models.Model):
    """The text of a region's letters, editable by the DRMG: a Django template (French by
    default) rendered with the facts of the run and, for a personalised letter, of the
    physician. The shipped defaults are used until the DRMG saves one."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    kind = models.CharField(_("kind"), max_length=8, choices=LetterKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        constraints = [
            models.UniqueConstraint(fields=["region", "kind"], name="letter_template_one_per_kind")
        ]

    def __str__(self) -> str:
        return self.subject


class Letter(models.Model):
    """A letter written from an approved run: the general letter to a physician of the
    region or a targeted physician's personalised letter, as a PDF in the run's folder."""

    run = models.ForeignKey(Run, models.CASCADE, related_name="letters", verbose_name=_("run"))
    kind = models.CharField(_("kind"), max_length=8, choices=LetterKind.choices)
    physician_code = models.CharField(_("physician"), max_length=32)
    physician_name = models.CharField(_("name"), max_length=200)
    file_name = models.CharField(_("file"), max_length=200)
    generated_at = models.DateTimeField(_("generated at"), auto_now_add=True)

    class Meta:
        ordering = ["physician_name", "kind"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "kind", "physician_code"], name="letter_one_per_physician"
            )
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def path(self) -> Path:
        return self.run.folder / "letters" / self.file_name


@register_actions
class AttributionAction(models.TextChoices):
    """What the attribution records in the audit trail (:mod:`web.audit`)."""

    DECISION = "decision", _("Decision on a physician")
    RUN_STARTED = "run_started", _("Run started")
    RUN_FINISHED = "run_finished", _("Run finished")
    RUN_FAILED = "run_failed", _("Run failed")
    RUN_CANCELLED = "run_cancelled", _("Run cancelled")
    ADJUSTED = "adjusted", _("Plan adjusted")
    APPROVED = "approved", _("Run approved")
    SUPERSEDED = "superseded", _("Approved plan superseded")
    LETTERS_WRITTEN = "letters_written", _("Letters written")
    LETTERS_CANCELLED = "letters_cancelled", _("Writing of the letters cancelled")
    LETTER_DOWNLOADED = "letter_downloaded", _("Letter downloaded")
    EXPORTED = "exported", _("Plan or follow-up downloaded")
    TEMPLATE_EDITED = "template_edited", _("Letter template edited")
    GMF_TARGET_PROPOSED = "gmf_target_proposed", _("GMF attribution target proposed")
    GMF_TARGET_DECIDED = "gmf_target_decided", _("GMF attribution target decided")
    DECLARATION_SUBMITTED = "declaration_submitted", _("Physician's declaration submitted")
    DECLARATION_REVIEWED = "declaration_reviewed", _("Physician's declaration reviewed")
    PROBLEM_RAISED = "problem_raised", _("Problem raised to the DRMG")
    PROBLEM_ANSWERED = "problem_answered", _("Problem answered by the DRMG")
    PROBLEM_CLOSED = "problem_closed", _("Problem closed")
    LE304_FILE_PREPARED = "le304_file_prepared", _("LE 304 file prepared for RAMQ")
    LE304_FILE_STATUS = "le304_file_status", _("LE 304 file status changed")


# --------------------------------------------------------------------------- issue 19
# The GMFs and the physicians in the loop (seed 002, section 4): a GMF's target agreed
# with the CML, a physician's own declaration reviewed by the CML, the problems a CML
# raises to the DRMG, the LE 304 files the guichet's administrative agent sends to RAMQ.
# Nothing is deleted: a new proposal, a new declaration, an answer or a status is a row
# or a field written once by its service (web/attribution/services_*.py).


class GmfTargetStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed by the GMF")
    AGREED = "agreed", _("Agreed by the CML")
    CHANGED = "changed", _("Changed by the CML")
    REFUSED = "refused", pgettext_lazy("GMF target", "Refused by the CML")


class GmfTarget(models.Model):
    """A GMF's attribution target (patients its members together receive), proposed by
    the GMF and decided by the CML of its RLS: agreed as proposed, changed (``value`` the
    CML's), or refused. The target in force is the latest agreed or changed one; every
    proposal stays as the history."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    gmf = models.ForeignKey(
        Gmf, models.PROTECT, related_name="attribution_targets", verbose_name=_("GMF")
    )
    proposed = models.PositiveIntegerField(_("target proposed (patients)"))
    justification = models.TextField(_("justification"), blank=True)
    proposed_by = user_link("+", _("proposed by"))
    proposed_on = models.DateField(_("proposed on"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=GmfTargetStatus.choices,
        default=GmfTargetStatus.PROPOSED,
    )
    value = models.PositiveIntegerField(
        _("target agreed (patients)"),
        null=True,
        blank=True,
        help_text=_("The proposal when agreed, the CML's figure when changed."),
    )
    decided_by = user_link("+", _("decided by"), null=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    comment = models.TextField(_("CML's comment"), blank=True)

    class Meta:
        ordering = ["gmf", "-proposed_on", "-pk"]
        verbose_name = _("GMF attribution target")
        verbose_name_plural = _("GMF attribution targets")

    def __str__(self) -> str:
        return f"{self.gmf} {self.proposed_on}"


class AttributionMode(models.TextChoices):
    """The modes a physician chooses (DSP-PR-30042, 7), as the roster's ``mode``."""

    BLOC = "bloc", _("Particular attribution in blocks")
    LE304 = "le304", _("LE 304 block transfer")
    NONE = "none", _("Not participating")


class DeclarationStatus(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("declaration", "Submitted")
    ACCEPTED = "accepted", pgettext_lazy("declaration", "Accepted")
    MORE_REQUESTED = "more_requested", _("More information requested")
    REFUSED = "refused", pgettext_lazy("declaration", "Refused")


class PhysicianDeclaration(models.Model):
    """What a physician declares for the attribution (sections 3, 4, 5.3.6, 7): their
    participation (the patients they offer to take), their mode, and, to be spared, their
    weekly hours outside the office (hospital, emergency, teaching) with a justification
    (3 units = 36 h a week). The CML accepts it (the decision on the physician follows:
    :class:`PhysicianDecision`), asks for more, or refuses it."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    physician = models.ForeignKey(
        Physician,
        models.PROTECT,
        related_name="attribution_declarations",
        verbose_name=_("physician"),
    )
    mode = models.CharField(_("mode"), max_length=8, choices=AttributionMode.choices)
    patients_offered = models.PositiveIntegerField(
        _("patients offered"),
        null=True,
        blank=True,
        help_text=_(
            "The patients the physician offers to take in the period; empty: the procedure's target."
        ),
    )
    hospital_hours = models.DecimalField(
        _("hospital hours a week"), max_digits=5, decimal_places=1, default=0
    )
    emergency_hours = models.DecimalField(
        _("emergency hours a week"), max_digits=5, decimal_places=1, default=0
    )
    teaching_hours = models.DecimalField(
        _("teaching hours a week"), max_digits=5, decimal_places=1, default=0
    )
    justification = models.TextField(_("justification"), blank=True)
    submitted_by = user_link("+", _("submitted by"))
    submitted_on = models.DateField(_("submitted on"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeclarationStatus.choices,
        default=DeclarationStatus.SUBMITTED,
    )
    reviewed_by = user_link("+", _("reviewed by"), null=True)
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    review_comment = models.TextField(_("CML's comment"), blank=True)

    class Meta:
        ordering = ["physician", "-submitted_on", "-pk"]
        verbose_name = _("physician's declaration")
        verbose_name_plural = _("physicians' declarations")

    def __str__(self) -> str:
        return f"{self.physician} {self.submitted_on}"


class ProblemKind(models.TextChoices):
    SHORTAGE = "shortage", _("Shortage of physicians in the RLS")
    ALL_ABOVE_THREE_UNITS = "all_above_three_units", _("Every physician above 3 units (5.3.5)")
    GMF_TARGET_MISSED = "gmf_target_missed", _("A GMF not meeting its target")
    OTHER = "other", _("Other situation")


class ProblemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem", "Open")
    ANSWERED = "answered", pgettext_lazy("problem", "Answered")
    CLOSED = "closed", pgettext_lazy("problem", "Closed")


class ProblemReport(models.Model):
    """A problematic situation a CML informs the DRMG of (section 4), with the DRMG's
    answer; closed by the DRMG."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    rls = models.ForeignKey(Rls, models.PROTECT, related_name="+", verbose_name=_("RLS"))
    kind = models.CharField(_("kind"), max_length=24, choices=ProblemKind.choices)
    gmf = models.ForeignKey(
        Gmf, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("GMF")
    )
    description = models.TextField(_("description"))
    raised_by = user_link("+", _("raised by"))
    raised_on = models.DateField(_("raised on"))
    status = models.CharField(
        _("status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    answer = models.TextField(_("DRMG's answer"), blank=True)
    answered_by = user_link("+", _("answered by"), null=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    closed_by = user_link("+", _("closed by"), null=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_on", "-pk"]
        verbose_name = _("problem raised to the DRMG")
        verbose_name_plural = _("problems raised to the DRMG")

    def __str__(self) -> str:
        return f"{self.rls} {self.raised_on}"


class Le304FileStatus(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    SENT = "sent", _("Sent to RAMQ")
    ACCEPTED = "accepted", _("Accepted by RAMQ")
    REFUSED = "refused", _("Refused by RAMQ")


class Le304File(models.Model):
    """The documents for RAMQ of one LE 304 block transfer of an approved run (section 4):
    the departing and the receiving physician, the patients transferred (read from the
    run's plan), the conditions checked when it was prepared, and its status."""

    run = models.ForeignKey(Run, models.PROTECT, related_name="le304_files", verbose_name=_("run"))
    departing_code = models.CharField(_("departing physician"), max_length=32)
    receiving_code = models.CharField(_("receiving physician"), max_length=32)
    patients = models.PositiveIntegerField(_("patients transferred"))
    conditions = models.JSONField(_("conditions checked"), default=dict)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Le304FileStatus.choices,
        default=Le304FileStatus.PREPARED,
    )
    prepared_by = user_link("+", _("prepared by"))
    prepared_on = models.DateField(_("prepared on"))
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    answered_on = models.DateField(_("RAMQ's answer on"), null=True, blank=True)
    updated_by = user_link("+", _("updated by"), null=True)

    class Meta:
        ordering = ["run", "receiving_code", "departing_code"]
        verbose_name = _("LE 304 file")
        verbose_name_plural = _("LE 304 files")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "departing_code", "receiving_code"],
                name="le304_file_one_per_transfer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.departing_code} → {self.receiving_code}"
