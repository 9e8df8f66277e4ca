"""The records of co-management: what the GMF and the CISSS/CIUSSS each hold about the
professionals the establishment places in the GMF (seed 000, ``../shared/spec/comanagement.md``).

Conventions (docs/comanagement-plan.md, §1):

* Periods are half-open: ``start`` included, ``end`` excluded, an empty ``end`` ongoing.
* ``GMF_PATH`` on every model is the lookup from the record to its GMF, which
  :mod:`web.accounts.access` filters on; ``OWNER`` (or the ``owner`` property) is the side
  that keeps it: ``gmf``, ``ciusss`` or ``both``.
* A record is never deleted: it is ended, withdrawn or superseded, so the alerts and the
  history can always be explained.
* The rules (deadlines, the 4-week rule, the schedule rules, the level table) are the
  core's (:mod:`panelcare.comanagement`); :mod:`web.comanagement.records` turns these rows
  into its dataclasses. Nothing here computes.
* The monthly performance statistics are not a model: they are the imported table of kind
  ``gmf_statistics`` (:mod:`web.tables`), one copy of each fact.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from web.audit.actions import register_actions
from web.fields import user_link
from web.regions.models import Establishment, Gmf, Region, Site


class Side(models.TextChoices):
    """Who keeps a record, signs it or is alerted: the GMF, the establishment, or both."""

    GMF = "gmf", _("GMF")
    CIUSSS = "ciusss", _("CISSS/CIUSSS")
    BOTH = "both", _("Both")


# The choices of a record one side or the other makes (not both).
TWO_SIDES = [("gmf", _("GMF")), ("ciusss", _("CISSS/CIUSSS"))]


def fte_field(verbose_name: str | None = None) -> models.DecimalField:
    return models.DecimalField(
        verbose_name or _("FTE"),
        max_digits=3,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1"))],
    )


def _fte_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(fte__gt=0) & Q(fte__lte=1), name=f"comanagement_{name}_fte_in_0_1"
    )


# -- reference data: versioned, never edited in place -------------------------------------


class LevelTableVersion(models.Model):
    """A version of the GMF programme's level table and registration weights (TOML read by
    :func:`panelcare.comanagement.levels.level_table_from_mapping`), kept by the DRMG. The
    version in force on a day is the highest number whose ``in_force_from`` is on or
    before it."""

    GMF_PATH = None
    OWNER = "drmg"

    region = models.ForeignKey(
        Region, models.PROTECT, related_name="level_tables", verbose_name=_("region")
    )
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("level table (TOML)"))
    illustrative = models.BooleanField(_("illustrative values"), default=False)
    in_force_from = models.DateField(_("in force from"))
    note = models.TextField(_("note"), blank=True)
    created_by = user_link("+", _("published by"))
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        ordering = ["region", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "number"], name="comanagement_level_table_number"
            )
        ]
        verbose_name = _("level table version")
        verbose_name_plural = _("level table versions")

    def __str__(self) -> str:
        return f"{self.region} — {self.number}"


class AgreementRulesVersion(models.Model):
    """A version of the collective agreements' rules an establishment applies to its
    professionals' schedules (TOML read by
    :func:`panelcare.comanagement.schedules.parse_agreements`), with the establishment's own
    delays, which no source fixes (docs/comanagement-plan.md §7, points 3 and 4)."""

    GMF_PATH = None
    OWNER = "ciusss"

    establishment = models.ForeignKey(
        Establishment,
        models.PROTECT,
        related_name="agreement_rules",
        verbose_name=_("establishment (CISSS/CIUSSS)"),
    )
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("agreement rules (TOML)"))
    training_decide_within_days = models.PositiveSmallIntegerField(
        _("days to decide a training request"), default=30
    )
    attendance_approve_within_days = models.PositiveSmallIntegerField(
        _("days to approve an attendance record"), default=14
    )
    integration_due_days = models.PositiveSmallIntegerField(
        _("days to complete an integration item"), default=30
    )
    illustrative = models.BooleanField(_("illustrative values"), default=False)
    in_force_from = models.DateField(_("in force from"))
    note = models.TextField(_("note"), blank=True)
    created_by = user_link("+", _("published by"))
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        ordering = ["establishment", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "number"], name="comanagement_agreement_rules_number"
            )
        ]
        verbose_name = _("agreement rules version")
        verbose_name_plural = _("agreement rules versions")

    def __str__(self) -> str:
        return f"{self.establishment} — {self.number}"


# -- the programme: reviews, posts, selection, direct hires -----------------------------


class AnnualReview(models.Model):
    """The GMF's annual review (1 April): its registered patients per weighting category,
    as the MSSS letter gives them. The weighted patients, the level and the entitlement are
    computed on read (:func:`web.comanagement.records.review_level`), never stored."""

    GMF_PATH = "gmf"
    OWNER = "ciusss"

    gmf = models.ForeignKey(
        Gmf, models.PROTECT, related_name="annual_reviews", verbose_name=_("GMF")
    )
    reviewed_on = models.DateField(_("reviewed on"))
    level_table = models.ForeignKey(
        LevelTableVersion, models.PROTECT, related_name="reviews", verbose_name=_("level table")
    )
    counts = models.JSONField(_("registered patients per category"), default=dict)
    recorded_by = user_link("+", _("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["gmf", "-reviewed_on"]
        constraints = [
            models.UniqueConstraint(fields=["gmf", "reviewed_on"], name="comanagement_review_day")
        ]
        verbose_name = _("annual review")
        verbose_name_plural = _("annual reviews")

    def __str__(self) -> str:
        return f"{self.gmf} — {self.reviewed_on}"


class PostOpenedBy(models.TextChoices):
    ANNUAL_REVIEW = "annual_review", _("Annual review")
    RECOGNITION = "recognition", _("Recognition")


class PostFilledBy(models.TextChoices):
    CIUSSS = "ciusss", _("The CISSS/CIUSSS")
    GMF_DIRECT_HIRE = "gmf_direct_hire", _("The GMF (direct hire)")


class Post(models.Model):
    """A professional post allocated to the GMF, open from ``opened_on`` until filled; its
    hiring deadline is the core's (:func:`panelcare.comanagement.obligations.hiring_deadline`)."""

    GMF_PATH = "gmf"
    OWNER = "ciusss"

    gmf = models.ForeignKey(Gmf, models.PROTECT, related_name="posts", verbose_name=_("GMF"))
    professional_type = models.CharField(_("professional type"), max_length=32)
    fte = fte_field()
    opened_by = models.CharField(_("opened by"), max_length=16, choices=PostOpenedBy.choices)
    opened_on = models.DateField(_("opened on"))
    review = models.ForeignKey(
        AnnualReview,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
        verbose_name=_("annual review"),
    )
    filled_on = models.DateField(_("filled on"), null=True, blank=True)
    filled_by = models.CharField(
        _("filled by"), max_length=16, choices=PostFilledBy.choices, blank=True
    )
    placement = models.ForeignKey(
        "Placement",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="filled_posts",
        verbose_name=_("placement"),
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["gmf", "opened_on", "pk"]
        constraints = [
            _fte_check("post"),
            models.CheckConstraint(
                condition=Q(filled_on__isnull=True) | Q(filled_on__gte=F("opened_on")),
                name="comanagement_post_filled_after_opened",
            ),
            models.CheckConstraint(
                condition=(Q(filled_on__isnull=True) & Q(filled_by=""))
                | (Q(filled_on__isnull=False) & ~Q(filled_by="")),
                name="comanagement_post_filled_by_with_date",
            ),
            models.CheckConstraint(
                condition=(Q(opened_by="annual_review") & Q(review__isnull=False))
                | (~Q(opened_by="annual_review") & Q(review__isnull=True)),
                name="comanagement_post_review_iff_annual_review",
            ),
        ]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return f"{self.gmf} — {self.professional_type} ({self.fte})"


class SelectionStepKind(models.TextChoices):
    POSTING = "posting", _("Posting")
    PRE_SELECTION = "pre_selection", _("Pre-selection")
    TESTS = "tests", _("Tests")
    INTERVIEW = "interview", _("Interview")


class SelectionStep(models.Model):
    """A step of the selection of a post's professional, held by the CISSS/CIUSSS; the GMF
    may take part in the interview."""

    GMF_PATH = "post__gmf"
    OWNER = "ciusss"

    post = models.ForeignKey(
        Post, models.PROTECT, related_name="selection_steps", verbose_name=_("post")
    )
    step = models.CharField(_("step"), max_length=16, choices=SelectionStepKind.choices)
    held_on = models.DateField(_("held on"))
    gmf_took_part = models.BooleanField(_("the GMF took part"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["post", "held_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "step"], name="comanagement_step_once"),
            models.CheckConstraint(
                condition=Q(gmf_took_part=False) | Q(step="interview"),
                name="comanagement_step_gmf_only_interview",
            ),
        ]
        verbose_name = _("selection step")
        verbose_name_plural = _("selection steps")

    def __str__(self) -> str:
        return f"{self.post} — {self.get_step_display()}"


class DirectHire(models.Model):
    """The GMF hires directly for a post the CISSS/CIUSSS could not fill, under an
    agreement; a professional of another type needs a derogation. The post counts as
    filled once the CISSS/CIUSSS agreed."""

    GMF_PATH = "post__gmf"
    OWNER = "both"

    post = models.OneToOneField(
        Post, models.PROTECT, related_name="direct_hire", verbose_name=_("post")
    )
    professional_type = models.CharField(_("professional type"), max_length=32)
    derogation_ref = models.CharField(_("derogation reference"), max_length=200, blank=True)
    contract_ref = models.CharField(_("agreement reference"), max_length=200, blank=True)
    hired_on = models.DateField(_("hired on"))
    recorded_by = user_link("+", _("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    agreed_by = user_link("+", _("agreed by"), null=True)
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("direct hire")
        verbose_name_plural = _("direct hires")

    def __str__(self) -> str:
        return f"{self.post} — {self.hired_on}"


class DirectHireReport(models.Model):
    """The GMF's report on a direct hire (« reddition de compte »)."""

    GMF_PATH = "direct_hire__post__gmf"
    OWNER = "gmf"

    direct_hire = models.ForeignKey(
        DirectHire, models.PROTECT, related_name="reports", verbose_name=_("direct hire")
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    reported_on = models.DateField(_("reported on"))
    text = models.TextField(_("report"))
    recorded_by = user_link("+", _("recorded by"))

    class Meta:
        ordering = ["direct_hire", "period_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")),
                name="comanagement_report_period",
            )
        ]
        verbose_name = _("direct hire report")
        verbose_name_plural = _("direct hire reports")

    def __str__(self) -> str:
        return f"{self.direct_hire} — {self.period_start}"


# -- professionals and their placements -------------------------------------------------


class Professional(models.Model):
    """An employee of the establishment; ``agreement`` and ``job_title`` are keys of the
    agreement rules in force (checked by the service)."""

    GMF_PATH = "placements__gmf"
    OWNER = "ciusss"

    establishment = models.ForeignKey(
        Establishment,
        models.PROTECT,
        related_name="professionals",
        verbose_name=_("establishment (CISSS/CIUSSS)"),
    )
    employee_number = models.CharField(_("employee number"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    professional_type = models.CharField(_("professional type"), max_length=32)
    agreement = models.CharField(_("collective agreement"), max_length=16)
    job_title = models.CharField(_("job title"), max_length=64)
    service_start = models.DateField(_("in the establishment's service since"))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "employee_number"],
                name="comanagement_employee_number",
            )
        ]
        verbose_name = _("professional")
        verbose_name_plural = _("professionals")

    def __str__(self) -> str:
        return self.name


class Placement(models.Model):
    """A professional working in a GMF for a period: every per-professional record
    (checklist, absences, schedules, attendance, training, supervision) hangs on it."""

    GMF_PATH = "gmf"
    OWNER = "ciusss"

    professional = models.ForeignKey(
        Professional, models.PROTECT, related_name="placements", verbose_name=_("professional")
    )
    gmf = models.ForeignKey(Gmf, models.PROTECT, related_name="placements", verbose_name=_("GMF"))
    site = models.ForeignKey(
        Site,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
        verbose_name=_("site"),
    )
    post = models.ForeignKey(
        Post,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
        verbose_name=_("post"),
    )
    fte = fte_field()
    supervisor_name = models.CharField(_("immediate supervisor"), max_length=200)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        ordering = ["gmf", "professional__name", "start"]
        constraints = [
            _fte_check("placement"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="comanagement_placement_period",
            ),
        ]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")

    def __str__(self) -> str:
        return f"{self.professional} — {self.gmf}"


class IntegrationItemKind(models.TextChoices):
    """The seed's integration checklist (spec/comanagement.md, "Integration")."""

    ROLE_INFORMATION = "role_information", _("Information on the role")
    REFERRAL_MECHANISM = "referral_mechanism", _("Referral mechanism in the GMF")
    TEAM_INTRODUCTION = "team_introduction", _("Introduction to the team")
    PAIRING = "pairing", _("Pairing with a colleague")
    WELCOME_PLAN = "welcome_plan", _("Welcome plan")
    WORK_SPACE = "work_space", _("Work space")
    EMR_ACCESS = "emr_access", _("Access to the EMR")
    WORK_MATERIALS = "work_materials", _("Work materials")
    CIUSSS_REFERRAL = "ciusss_referral", _("Referral to the CISSS/CIUSSS services")
    SUPERVISOR_LINK = "supervisor_link", _("Link with the immediate supervisor")
    SUPERVISION_MODALITIES = "supervision_modalities", _("Clinical supervision modalities")
    ROLE_TRAINING = "role_training", _("Training for the role")
    CIUSSS_SYSTEMS_ACCESS = "ciusss_systems_access", _("Access to the CISSS/CIUSSS systems")
    QHR_KEY = "qhr_key", _("QHR key")


# Who completes each integration item (the seed's table: the GMF welcomes and equips, the
# CISSS/CIUSSS supervises, trains and gives access to its own systems).
ITEM_OWNERS: dict[str, str] = {
    "role_information": "gmf",
    "referral_mechanism": "gmf",
    "team_introduction": "gmf",
    "pairing": "gmf",
    "welcome_plan": "gmf",
    "work_space": "gmf",
    "emr_access": "gmf",
    "work_materials": "gmf",
    "ciusss_referral": "ciusss",
    "supervisor_link": "ciusss",
    "supervision_modalities": "ciusss",
    "role_training": "ciusss",
    "ciusss_systems_access": "ciusss",
    "qhr_key": "ciusss",
}


class IntegrationItem(models.Model):
    """An item of a placement's integration checklist, created with the placement."""

    GMF_PATH = "placement__gmf"

    placement = models.ForeignKey(
        Placement, models.PROTECT, related_name="integration_items", verbose_name=_("placement")
    )
    item = models.CharField(_("item"), max_length=32, choices=IntegrationItemKind.choices)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = user_link("+", _("done by"), null=True)

    class Meta:
        ordering = ["placement", "due_on", "item"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "item"], name="comanagement_item_once")
        ]
        verbose_name = _("integration item")
        verbose_name_plural = _("integration items")

    def __str__(self) -> str:
        return f"{self.placement} — {self.get_item_display()}"

    @property
    def owner(self) -> str:
        return ITEM_OWNERS[self.item]


# -- presence: absences, replacements, schedules, attendance ----------------------------


class AbsenceReason(models.TextChoices):
    # No medical detail: the GMF informs of the absence, not of its cause.
    VACATION = "vacation", _("Vacation")
    ILLNESS = "illness", _("Sick leave")
    PARENTAL = "parental", _("Parental leave")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class Absence(models.Model):
    """A professional's continuous absence, as the GMF informs the CISSS/CIUSSS of it;
    over 4 weeks it must be replaced (:func:`panelcare.comanagement.obligations.needs_replacement`)."""

    GMF_PATH = "placement__gmf"
    OWNER = "gmf"

    placement = models.ForeignKey(
        Placement, models.PROTECT, related_name="absences", verbose_name=_("placement")
    )
    start = models.DateField(_("first day absent"))
    end = models.DateField(_("day back"), null=True, blank=True)
    foreseeable = models.BooleanField(_("foreseeable"))
    reason = models.CharField(_("reason"), max_length=16, choices=AbsenceReason.choices)
    reported_on = models.DateField(_("reported on"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = user_link("+", _("recorded by"))

    class Meta:
        ordering = ["placement", "-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="comanagement_absence_period",
            )
        ]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")

    def __str__(self) -> str:
        return f"{self.placement} — {self.start}"


class Replacement(models.Model):
    """Who replaces an absent professional, and when (the CISSS/CIUSSS provides them)."""

    GMF_PATH = "absence__placement__gmf"
    OWNER = "ciusss"

    absence = models.ForeignKey(
        Absence, models.PROTECT, related_name="replacements", verbose_name=_("absence")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        Professional,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="replacements",
        verbose_name=_("replaced by"),
    )
    replaced_by_name = models.CharField(_("replaced by (name)"), max_length=200, blank=True)
    recorded_by = user_link("+", _("recorded by"))

    class Meta:
        ordering = ["absence", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="comanagement_replacement_period",
            )
        ]
        verbose_name = _("replacement")
        verbose_name_plural = _("replacements")

    def __str__(self) -> str:
        return f"{self.absence} — {self.start}"


class ScheduleStatus(models.TextChoices):
    # A schedule (« horaire ») is masculine in French; the attribution's "Proposed" is a
    # plural of patients.
    PROPOSED = "proposed", pgettext_lazy("schedule", "Proposed")
    VALIDATED = "validated", pgettext_lazy("schedule", "Validated")
    REFUSED = "refused", pgettext_lazy("schedule", "Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("schedule", "Withdrawn")


class Schedule(models.Model):
    """A professional's work schedule over whole weeks: the GMF proposes it, the
    CISSS/CIUSSS validates it against the agreement rules in force or refuses it with the
    rules broken. A change is a new proposal that replaces the earlier one."""

    GMF_PATH = "placement__gmf"
    OWNER = "gmf"

    placement = models.ForeignKey(
        Placement, models.PROTECT, related_name="schedules", verbose_name=_("placement")
    )
    first_day = models.DateField(_("first day"))
    weeks = models.PositiveSmallIntegerField(_("weeks"), validators=[MinValueValidator(1)])
    vacation_days_available = models.DecimalField(
        _("vacation days available"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    proposed_on = models.DateField(_("proposed on"))
    proposed_by = user_link("+", _("proposed by"))
    status = models.CharField(
        _("status"), max_length=16, choices=ScheduleStatus.choices, default="proposed"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = user_link("+", _("decided by"), null=True)
    rules_version = models.ForeignKey(
        AgreementRulesVersion,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("agreement rules version"),
    )
    # The core's refusals as data (rule, params as text, week, day), so that the page says
    # them in the reader's language.
    refusals = models.JSONField(_("rules broken"), default=list, blank=True)
    refusal_note = models.TextField(_("note on the refusal"), blank=True)
    replaces = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )

    class Meta:
        ordering = ["placement", "-first_day", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weeks__gte=1), name="comanagement_schedule_weeks")
        ]
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")

    def __str__(self) -> str:
        return f"{self.placement} — {self.first_day}"


class ScheduleDayKind(models.TextChoices):
    WORK = "work", _("Work")
    HOLIDAY = "holiday", _("Statutory holiday")
    VACATION = "vacation", _("Vacation")


class ScheduleDay(models.Model):
    """A day of a schedule: worked (with its hours and breaks) or on leave; a day not
    listed is a rest day. Written once, with its schedule."""

    GMF_PATH = "schedule__placement__gmf"
    OWNER = "gmf"

    schedule = models.ForeignKey(
        Schedule, models.CASCADE, related_name="days", verbose_name=_("schedule")
    )
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=16, choices=ScheduleDayKind.choices)
    start = models.TimeField(_("start"), null=True, blank=True)
    end = models.TimeField(_("end"), null=True, blank=True)
    holiday_worked = models.BooleanField(_("statutory holiday worked"), default=False)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["schedule", "day"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "day"], name="comanagement_schedule_day")
        ]
        verbose_name = _("schedule day")
        verbose_name_plural = _("schedule days")

    def __str__(self) -> str:
        return f"{self.schedule} — {self.day}"


class ScheduleBreak(models.Model):
    """A break of a worked day (a meal break or not)."""

    GMF_PATH = "day__schedule__placement__gmf"
    OWNER = "gmf"

    day = models.ForeignKey(
        ScheduleDay, models.CASCADE, related_name="breaks", verbose_name=_("day")
    )
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    meal = models.BooleanField(_("meal break"), default=True)

    class Meta:
        ordering = ["day", "start"]
        verbose_name = _("break")
        verbose_name_plural = _("breaks")

    def __str__(self) -> str:
        return f"{self.day} — {self.start}"


class AttendanceRecord(models.Model):
    """The days a professional worked in a period against those planned: the GMF submits,
    the CISSS/CIUSSS approves."""

    GMF_PATH = "placement__gmf"
    OWNER = "both"

    placement = models.ForeignKey(
        Placement, models.PROTECT, related_name="attendance_records", verbose_name=_("placement")
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to (excluded)"))
    planned_days = models.DecimalField(_("days planned"), max_digits=4, decimal_places=1)
    worked_days = models.DecimalField(_("days worked"), max_digits=4, decimal_places=1)
    submitted_on = models.DateField(_("submitted on"))
    submitted_by = user_link("+", _("submitted by"))
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    approved_by = user_link("+", _("approved by"), null=True)

    class Meta:
        ordering = ["placement", "-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "start"], name="comanagement_attendance_start"
            ),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="comanagement_attendance_period"
            ),
        ]
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")

    def __str__(self) -> str:
        return f"{self.placement} — {self.start}"


# -- training ----------------------------------------------------------------------------


class TrainingBasis(models.TextChoices):
    FMG_ROLE = "fmg_role", _("The role in the GMF")
    QUALITY_STANDARD = "quality_standard", _("The CISSS/CIUSSS quality standards")


class TrainingNeed(models.Model):
    """A training need identified by either side, for a professional or the GMF's team."""

    GMF_PATH = "gmf"

    gmf = models.ForeignKey(
        Gmf, models.PROTECT, related_name="training_needs", verbose_name=_("GMF")
    )
    placement = models.ForeignKey(
        Placement,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="training_needs",
        verbose_name=_("placement"),
    )
    identified_by = models.CharField(
        _("identified by"),
        max_length=8,
        choices=TWO_SIDES,
    )
    basis = models.CharField(_("basis"), max_length=16, choices=TrainingBasis.choices)
    description = models.TextField(_("description"))
    identified_on = models.DateField(_("identified on"))
    recorded_by = user_link("+", _("recorded by"))

    class Meta:
        ordering = ["gmf", "-identified_on"]
        verbose_name = _("training need")
        verbose_name_plural = _("training needs")

    def __str__(self) -> str:
        return f"{self.gmf} — {self.identified_on}"

    @property
    def owner(self) -> str:
        return self.identified_by


class TrainingDecision(models.TextChoices):
    PENDING = "", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class TrainingRequest(models.Model):
    """A request for a professional's training: the GMF asks, the CISSS/CIUSSS decides
    (external training: free or paid); the GMF pays a training outside the programme."""

    GMF_PATH = "placement__gmf"
    OWNER = "both"

    placement = models.ForeignKey(
        Placement, models.PROTECT, related_name="training_requests", verbose_name=_("placement")
    )
    need = models.ForeignKey(
        TrainingNeed,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("need"),
    )
    title = models.CharField(_("title"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    external = models.BooleanField(_("external training"), default=False)
    in_ciusss_programme = models.BooleanField(_("in the CISSS/CIUSSS programme"), default=True)
    cost = models.DecimalField(_("cost ($)"), max_digits=8, decimal_places=2, null=True, blank=True)
    payer = models.CharField(
        _("paid by"),
        max_length=8,
        choices=TWO_SIDES,
    )
    submitted_on = models.DateField(_("submitted on"))
    submitted_by = user_link("+", _("submitted by"))
    decision = models.CharField(
        _("decision"), max_length=16, choices=TrainingDecision.choices, blank=True
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = user_link("+", _("decided by"), null=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)

    class Meta:
        ordering = ["placement", "-submitted_on"]
        verbose_name = _("training request")
        verbose_name_plural = _("training requests")

    def __str__(self) -> str:
        return f"{self.placement} — {self.title}"


class TrainingAttendance(models.Model):
    """A training attended, as recorded in the employee's file by the CISSS/CIUSSS."""

    GMF_PATH = "request__placement__gmf"
    OWNER = "ciusss"

    request = models.ForeignKey(
        TrainingRequest, models.PROTECT, related_name="attendances", verbose_name=_("request")
    )
    attended_on = models.DateField(_("attended on"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    recorded_by = user_link("+", _("recorded by"))

    class Meta:
        ordering = ["request", "attended_on"]
        verbose_name = _("training attended")
        verbose_name_plural = _("trainings attended")

    def __str__(self) -> str:
        return f"{self.request} — {self.attended_on}"


# -- clinical supervision ----------------------------------------------------------------


class SupervisionUnit(models.TextChoices):
    WEEKS = "weeks", _("weeks")
    MONTHS = "months", _("months")


class SupervisionForm(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    GROUP = "group", _("Group")


class SupervisionPlan(models.Model):
    """The clinical supervision plan of a placement: a session every ``every`` ``unit``."""

    GMF_PATH = "placement__gmf"
    OWNER = "ciusss"

    placement = models.ForeignKey(
        Placement, models.PROTECT, related_name="supervision_plans", verbose_name=_("placement")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    every = models.PositiveSmallIntegerField(_("every"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=8, choices=SupervisionUnit.choices)
    site = models.CharField(_("site"), max_length=200, blank=True)
    form = models.CharField(_("form"), max_length=16, choices=SupervisionForm.choices)
    length_minutes = models.PositiveSmallIntegerField(_("length (minutes)"))
    supervisor_name = models.CharField(_("clinical supervisor"), max_length=200)
    recorded_by = user_link("+", _("recorded by"))

    class Meta:
        ordering = ["placement", "-start"]
        constraints = [
            models.CheckConstraint(condition=Q(every__gte=1), name="comanagement_plan_every"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="comanagement_plan_period",
            ),
        ]
        verbose_name = _("supervision plan")
        verbose_name_plural = _("supervision plans")

    def __str__(self) -> str:
        return f"{self.placement} — {self.start}"


class SupervisionSession(models.Model):
    """A clinical supervision session held."""

    GMF_PATH = "plan__placement__gmf"
    OWNER = "ciusss"

    plan = models.ForeignKey(
        SupervisionPlan, models.PROTECT, related_name="sessions", verbose_name=_("plan")
    )
    held_on = models.DateField(_("held on"))
    length_minutes = models.PositiveSmallIntegerField(_("length (minutes)"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = user_link("+", _("recorded by"))

    class Meta:
        ordering = ["plan", "-held_on"]
        verbose_name = _("supervision session")
        verbose_name_plural = _("supervision sessions")

    def __str__(self) -> str:
        return f"{self.plan} — {self.held_on}"


# -- performance: targets, strategies, joint follow-up ----------------------------------


class Indicator(models.TextChoices):
    PATIENTS_SEEN = "patients_seen", _("Patients seen")
    INTERVENTIONS = "interventions", _("Interventions")
    ACCESS_DELAY_DAYS = "access_delay_days", _("Delay of access (days)")


# Which way is better for each indicator (the core's ``Target.better``), and whether the
# GMF-wide value is the sum of its professionals' (a mean delay is not summable).
INDICATORS: dict[str, dict[str, object]] = {
    "patients_seen": {"better": "higher", "summable": True},
    "interventions": {"better": "higher", "summable": True},
    "access_delay_days": {"better": "lower", "summable": False},
}


class Target(models.Model):
    """A monthly target of an indicator, for a professional or the GMF, agreed when both
    sides have signed it. A changed target is a new target; the old one is ended."""

    GMF_PATH = "gmf"
    OWNER = "both"

    gmf = models.ForeignKey(Gmf, models.PROTECT, related_name="targets", verbose_name=_("GMF"))
    placement = models.ForeignKey(
        Placement,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("placement"),
    )
    indicator = models.CharField(_("indicator"), max_length=32, choices=Indicator.choices)
    value = models.DecimalField(_("target"), max_digits=8, decimal_places=2)
    start = models.DateField(_("from (a first of the month)"))
    end = models.DateField(_("until (excluded)"), null=True, blank=True)
    proposed_by_side = models.CharField(
        _("proposed by"),
        max_length=8,
        choices=TWO_SIDES,
    )
    gmf_signed_by = user_link("+", _("signed for the GMF by"), null=True)
    gmf_signed_at = models.DateTimeField(_("signed for the GMF at"), null=True, blank=True)
    ciusss_signed_by = user_link("+", _("signed for the CISSS/CIUSSS by"), null=True)
    ciusss_signed_at = models.DateTimeField(
        _("signed for the CISSS/CIUSSS at"), null=True, blank=True
    )

    class Meta:
        ordering = ["gmf", "indicator", "-start"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return f"{self.gmf} — {self.get_indicator_display()} {self.value}"

    @property
    def agreed(self) -> bool:
        return self.gmf_signed_at is not None and self.ciusss_signed_at is not None


class StrategyStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    UNDER_WAY = "under_way", _("Under way")
    DONE = "done", _("Done")
    ABANDONED = "abandoned", _("Abandoned")


class Strategy(models.Model):
    """A strategy to reach a target, or the GMF's performance in general."""

    GMF_PATH = "gmf"
    OWNER = "both"

    gmf = models.ForeignKey(Gmf, models.PROTECT, related_name="strategies", verbose_name=_("GMF"))
    target = models.ForeignKey(
        Target,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="strategies",
        verbose_name=_("target"),
    )
    description = models.TextField(_("description"))
    carried_by = models.CharField(_("carried by"), max_length=8, choices=Side.choices)
    start = models.DateField(_("start"))
    status = models.CharField(
        _("status"), max_length=16, choices=StrategyStatus.choices, default="planned"
    )
    recorded_by = user_link("+", _("recorded by"))

    class Meta:
        ordering = ["gmf", "-start"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")

    def __str__(self) -> str:
        return f"{self.gmf} — {self.start}"


class MeetingTopic(models.TextChoices):
    INTEGRATION = "integration", _("Integration")
    PERFORMANCE = "performance", _("Performance")
    PROGRAMME = "programme", _("GMF programme")
    HUMAN_RESOURCES = "human_resources", _("Human resources")
    QUALITY = "quality", _("Quality of services")


class FollowUpMeeting(models.Model):
    """A joint follow-up meeting of the GMF and the CISSS/CIUSSS; its minutes and decisions
    are frozen once both sides have signed."""

    GMF_PATH = "gmf"
    OWNER = "both"

    gmf = models.ForeignKey(
        Gmf, models.PROTECT, related_name="follow_up_meetings", verbose_name=_("GMF")
    )
    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=16, choices=MeetingTopic.choices)
    attendees = models.TextField(_("attendees"))
    minutes = models.TextField(_("minutes"), blank=True)
    recorded_by = user_link("+", _("recorded by"))
    gmf_signed_by = user_link("+", _("signed for the GMF by"), null=True)
    gmf_signed_at = models.DateTimeField(_("signed for the GMF at"), null=True, blank=True)
    ciusss_signed_by = user_link("+", _("signed for the CISSS/CIUSSS by"), null=True)
    ciusss_signed_at = models.DateTimeField(
        _("signed for the CISSS/CIUSSS at"), null=True, blank=True
    )

    class Meta:
        ordering = ["gmf", "-held_on"]
        verbose_name = _("follow-up meeting")
        verbose_name_plural = _("follow-up meetings")

    def __str__(self) -> str:
        return f"{self.gmf} — {self.held_on}"

    @property
    def signed_by_both(self) -> bool:
        return self.gmf_signed_at is not None and self.ciusss_signed_at is not None


class MeetingDecision(models.Model):
    """A decision of a follow-up meeting, with who carries it and by when."""

    GMF_PATH = "meeting__gmf"
    OWNER = "both"

    meeting = models.ForeignKey(
        FollowUpMeeting, models.PROTECT, related_name="decisions", verbose_name=_("meeting")
    )
    text = models.TextField(_("decision"))
    carried_by = models.CharField(_("carried by"), max_length=8, choices=Side.choices)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.meeting} — {self.pk}"


# -- alerts ------------------------------------------------------------------------------


class AlertEmail(models.Model):
    """An alert e-mailed to its owners: the daily job sends each alert once."""

    GMF_PATH = None
    OWNER = "system"

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    kind = models.CharField(_("kind"), max_length=32)
    subject = models.CharField(_("subject"), max_length=64)
    due = models.DateField(_("due on"))
    owner = models.CharField(_("owner"), max_length=8, choices=Side.choices)
    gmf_code = models.CharField(_("GMF"), max_length=32)
    sent_at = models.DateTimeField(_("sent at"))
    recipients = models.JSONField(_("recipients"), default=list)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject", "due"], name="comanagement_alert_once"
            )
        ]
        verbose_name = _("alert e-mailed")
        verbose_name_plural = _("alerts e-mailed")

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.due}"


@register_actions
class ComanagementAction(models.TextChoices):
    """What co-management records in the audit trail (:mod:`web.audit`)."""

    LEVEL_TABLE_PUBLISHED = "comgmt_level_table_published", _("Level table published")
    AGREEMENT_RULES_PUBLISHED = (
        "comgmt_agreement_rules_published",
        _("Agreement rules published"),
    )
    REVIEW_RECORDED = "comgmt_review_recorded", _("Annual review recorded")
    POST_OPENED = "comgmt_post_opened", _("Post opened")
    SELECTION_STEP_RECORDED = "comgmt_selection_step_recorded", _("Selection step recorded")
    POST_FILLED = "comgmt_post_filled", _("Post filled")
    POST_CLOSED = "comgmt_post_closed", _("Post closed")
    DIRECT_HIRE_RECORDED = "comgmt_direct_hire_recorded", _("Direct hire recorded")
    DIRECT_HIRE_AGREED = "comgmt_direct_hire_agreed", _("Direct hire agreed")
    DIRECT_HIRE_REPORTED = "comgmt_direct_hire_reported", _("Direct hire reported on")
    PROFESSIONAL_RECORDED = "comgmt_professional_recorded", _("Professional recorded")
    PLACEMENT_STARTED = "comgmt_placement_started", _("Placement started")
    PLACEMENT_ENDED = "comgmt_placement_ended", _("Placement ended")
    INTEGRATION_ITEM_DONE = "comgmt_integration_item_done", _("Integration item done")
    ABSENCE_RECORDED = "comgmt_absence_recorded", _("Absence recorded")
    ABSENCE_CHANGED = "comgmt_absence_changed", _("Absence changed")
    REPLACEMENT_RECORDED = "comgmt_replacement_recorded", _("Replacement recorded")
    SCHEDULE_PROPOSED = "comgmt_schedule_proposed", _("Schedule proposed")
    SCHEDULE_VALIDATED = "comgmt_schedule_validated", _("Schedule validated")
    SCHEDULE_REFUSED = "comgmt_schedule_refused", _("Schedule refused")
    ATTENDANCE_SUBMITTED = "comgmt_attendance_submitted", _("Attendance submitted")
    ATTENDANCE_APPROVED = "comgmt_attendance_approved", _("Attendance approved")
    TRAINING_NEED_RECORDED = "comgmt_training_need_recorded", _("Training need recorded")
    TRAINING_REQUESTED = "comgmt_training_requested", _("Training requested")
    TRAINING_DECIDED = "comgmt_training_decided", _("Training request decided")
    TRAINING_ATTENDED = "comgmt_training_attended", _("Training attendance recorded")
    SUPERVISION_PLAN_SET = "comgmt_supervision_plan_set", _("Supervision plan set")
    SUPERVISION_SESSION_RECORDED = (
        "comgmt_supervision_session_recorded",
        _("Supervision session recorded"),
    )
    TARGET_PROPOSED = "comgmt_target_proposed", _("Target proposed")
    TARGET_SIGNED = "comgmt_target_signed", _("Target signed")
    STRATEGY_RECORDED = "comgmt_strategy_recorded", _("Strategy recorded")
    MEETING_RECORDED = "comgmt_meeting_recorded", _("Follow-up meeting recorded")
    DECISION_RECORDED = "comgmt_decision_recorded", _("Meeting decision recorded")
    MEETING_SIGNED = "comgmt_meeting_signed", _("Follow-up meeting signed")
    STATISTICS_IMPORTED = "comgmt_statistics_imported", _("Statistics imported")
    ALERT_EMAILED = "comgmt_alert_emailed", _("Alert e-mailed")
