"""The records of the physicians' quality-improvement groups (issue 18, seed 001;
``../shared/spec/quality-groups.md``; the plan: docs/quality-plan.md).

A physician selected for the 5-year cycle forms a group of 2 to 7 physicians; each member
completes four activities; the group writes one Practice Improvement Plan whose goals are
measured, where they can be, by the platform's own figures; a coach reviews it, and its
acceptance meets each member's requirement for five years. The rules are the core's
(:mod:`panelcare.quality`); nothing here computes. Nothing is deleted: an invitation is
declined or withdrawn, a plan reviewed, a completion kept.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from web.audit.actions import register_actions
from web.fields import user_link
from web.regions.models import Gmf, Physician, Region, Rls

# -- reference data ----------------------------------------------------------------------


class CreditsVersion(models.Model):
    """A version of the credits earned per activity, per accepted plan and per completed
    goal (TOML in the shape of ``panelcare/quality/credits.toml``), published by the DRMG."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("credits (TOML)"))
    illustrative = models.JSONField(_("illustrative keys"), default=list, blank=True)
    created_by = user_link("+", _("published by"))
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        ordering = ["region", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["region", "number"], name="quality_credits_number")
        ]
        verbose_name = _("credits version")
        verbose_name_plural = _("credits versions")

    def __str__(self) -> str:
        return f"{self.region} — {self.number}"


class SurveyVersion(models.Model):
    """A version of the QI Survey's questionnaire, edited by a coach: a list of questions
    ``{"key", "text", "kind": "text"|"choice"|"scale", "choices": [...]}``. An answered
    survey keeps the version it answered."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    number = models.PositiveIntegerField(_("version"))
    questions = models.JSONField(_("questions"), default=list)
    created_by = user_link("+", _("published by"))
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)

    class Meta:
        ordering = ["region", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["region", "number"], name="quality_survey_number")
        ]
        verbose_name = _("QI survey version")
        verbose_name_plural = _("QI survey versions")

    def __str__(self) -> str:
        return f"{self.region} — {self.number}"


# -- the cycle ---------------------------------------------------------------------------


class Selection(models.Model):
    """A physician selected for a 5-year cycle (``cycle``: its first year), with the day
    the requirement is due; a one-year deferral may be recorded; ``completed_on`` is the
    acceptance of a plan of one of their groups."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("region"))
    physician = models.ForeignKey(
        Physician, models.PROTECT, related_name="qi_selections", verbose_name=_("physician")
    )
    cycle = models.PositiveSmallIntegerField(_("cycle (first year)"))
    selected_on = models.DateField(_("selected on"))
    due = models.DateField(_("due on"))
    deferred_on = models.DateField(_("deferred on"), null=True, blank=True)
    deferred_by = user_link("+", _("deferred by"), null=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    selected_by = user_link("+", _("selected by"))

    class Meta:
        ordering = ["region", "-cycle", "physician__name"]
        constraints = [
            models.UniqueConstraint(fields=["physician", "cycle"], name="quality_selection_once")
        ]
        verbose_name = _("selection")
        verbose_name_plural = _("selections")

    def __str__(self) -> str:
        return f"{self.physician} — {self.cycle}"


# -- groups ------------------------------------------------------------------------------


class Group(models.Model):
    """A quality-improvement group: its founder (a selected physician), its composition
    bases (codes of :data:`panelcare.quality.groups.BASES`) and the coach following it."""

    region = models.ForeignKey(
        Region, models.PROTECT, related_name="qi_groups", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=200)
    founder = models.ForeignKey(
        Physician, models.PROTECT, related_name="founded_qi_groups", verbose_name=_("founder")
    )
    bases = models.JSONField(_("composition"), default=list)
    gmf = models.ForeignKey(
        Gmf, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("GMF")
    )
    rls = models.ForeignKey(
        Rls, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("RLS")
    )
    coach = user_link("coached_qi_groups", _("coach"), null=True)
    created_on = models.DateField(_("created on"))
    created_by = user_link("+", _("created by"))

    class Meta:
        ordering = ["region", "name"]
        verbose_name = _("QI group")
        verbose_name_plural = _("QI groups")

    def __str__(self) -> str:
        return self.name


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", pgettext_lazy("invitation", "Accepted")
    DECLINED = "declined", pgettext_lazy("invitation", "Declined")
    WITHDRAWN = "withdrawn", pgettext_lazy("invitation", "Withdrawn")


class Invitation(models.Model):
    """A physician invited to a group (the founder is a member without one)."""

    group = models.ForeignKey(
        Group, models.PROTECT, related_name="invitations", verbose_name=_("group")
    )
    physician = models.ForeignKey(
        Physician, models.PROTECT, related_name="qi_invitations", verbose_name=_("physician")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=InvitationStatus.choices, default="pending"
    )
    sent_on = models.DateField(_("sent on"))
    sent_by = user_link("+", _("sent by"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)

    class Meta:
        ordering = ["group", "sent_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "physician"], name="quality_invitation_once")
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.group} — {self.physician}"


# -- the four activities -----------------------------------------------------------------


class ActivityKind(models.TextChoices):
    QI_SURVEY = "qi_survey", _("QI Survey")
    PRACTICE_PROFILE = "practice_profile", _("Practice Profile")
    CHART_REVIEW = "chart_review", _("Self-Guided Chart Review")
    DATA_DRIVEN_QI = "data_driven_qi", _("Data-Driven QI")


class Activity(models.Model):
    """A member's activity in a group: a stepper whose answers are saved at each step.
    The chart review holds counts and reflections only (no patient identity). Other
    members read the answers only when the member shares them."""

    group = models.ForeignKey(
        Group, models.PROTECT, related_name="activities", verbose_name=_("group")
    )
    physician = models.ForeignKey(
        Physician, models.PROTECT, related_name="qi_activities", verbose_name=_("physician")
    )
    kind = models.CharField(_("activity"), max_length=24, choices=ActivityKind.choices)
    step = models.PositiveSmallIntegerField(_("step"), default=0)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    survey = models.ForeignKey(
        SurveyVersion,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("survey version"),
    )
    shared = models.BooleanField(_("shared with the group"), default=False)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["group", "physician", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "physician", "kind"], name="quality_activity_once"
            )
        ]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.physician} — {self.get_kind_display()}"


# -- the Practice Improvement Plan -------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("plan", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("plan", "Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    ACCEPTED = "accepted", pgettext_lazy("plan", "Accepted")


class Plan(models.Model):
    """The group's Practice Improvement Plan."""

    group = models.OneToOneField(
        Group, models.PROTECT, related_name="plan", verbose_name=_("group")
    )
    strengths = models.TextField(_("areas of strength"), blank=True)
    improvements = models.TextField(_("areas for improvement"), blank=True)
    status = models.CharField(
        _("status"), max_length=24, choices=PlanStatus.choices, default="draft"
    )
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    submitted_by = user_link("+", _("submitted by"), null=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)

    class Meta:
        verbose_name = _("Practice Improvement Plan")
        verbose_name_plural = _("Practice Improvement Plans")

    def __str__(self) -> str:
        return str(self.group)


class GoalKind(models.TextChoices):
    PRACTICE = "practice", _("Practice goal")
    SELF_CARE = "self_care", _("Physician health and self-care goal")


class Indicator(models.TextChoices):
    """The platform's figures a goal may be measured by (``PLATFORM_INDICATORS``)."""

    ASSIDUITY_RATE = "assiduity_rate", _("Assiduity rate")
    PANEL_SIZE = "panel_size", _("Panel size")
    VULNERABLE_SHARE = "vulnerable_share", _("Share of vulnerable patients")
    ATTRIBUTION_PROGRESS = "attribution_progress", _("Attribution progress")


class Goal(models.Model):
    """A SMART goal of the plan: measured by a platform indicator, or a manual measure
    with its definition; baseline, target, date, change ideas."""

    plan = models.ForeignKey(Plan, models.PROTECT, related_name="goals", verbose_name=_("plan"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("goal"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=GoalKind.choices)
    indicator = models.CharField(
        _("platform indicator"), max_length=32, choices=Indicator.choices, blank=True
    )
    definition = models.TextField(_("definition of the manual measure"), blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=10, decimal_places=2)
    target = models.DecimalField(_("target"), max_digits=10, decimal_places=2)
    target_date = models.DateField(_("target date"))
    change_ideas = models.TextField(_("change ideas"), blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(indicator="") | ~Q(definition=""),
                name="quality_goal_has_a_measure",
            )
        ]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return self.title


class ManualPoint(models.Model):
    """A monthly point of a goal's manual measure."""

    goal = models.ForeignKey(Goal, models.PROTECT, related_name="points", verbose_name=_("goal"))
    month = models.DateField(_("month"))
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2)
    recorded_by = user_link("+", _("recorded by"))

    class Meta:
        ordering = ["goal", "month"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "month"], name="quality_point_month")
        ]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self) -> str:
        return f"{self.goal} — {self.month}"


class PdsaPhase(models.TextChoices):
    PLAN = "plan", pgettext_lazy("PDSA", "Plan")
    DO = "do", pgettext_lazy("PDSA", "Do")
    STUDY = "study", pgettext_lazy("PDSA", "Study")
    ACT = "act", pgettext_lazy("PDSA", "Act")
    CLOSED = "closed", pgettext_lazy("PDSA", "Closed")


class ActDecision(models.TextChoices):
    ADAPT = "adapt", _("Adapt")
    ADOPT = "adopt", _("Adopt")
    ABANDON = "abandon", _("Abandon")


class PdsaCycle(models.Model):
    """A Plan-Do-Study-Act cycle testing a change idea of a goal, phases filled in order:
    plan (with its prediction), do, study (against the prediction), act (adapt, adopt or
    abandon)."""

    goal = models.ForeignKey(Goal, models.PROTECT, related_name="cycles", verbose_name=_("goal"))
    change_idea = models.CharField(_("change idea"), max_length=300)
    plan_text = models.TextField(_("plan"), blank=True)
    prediction = models.TextField(_("prediction"), blank=True)
    do_text = models.TextField(_("do"), blank=True)
    study_text = models.TextField(_("study"), blank=True)
    act = models.CharField(_("decision"), max_length=8, choices=ActDecision.choices, blank=True)
    act_text = models.TextField(_("act"), blank=True)
    phase = models.CharField(_("phase"), max_length=8, choices=PdsaPhase.choices, default="plan")
    started_on = models.DateField(_("started on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = ["goal", "started_on", "pk"]
        verbose_name = _("PDSA cycle")
        verbose_name_plural = _("PDSA cycles")

    def __str__(self) -> str:
        return self.change_idea


class ReviewOutcome(models.TextChoices):
    COMMENTS = "comments", _("Comments")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    ACCEPTED = "accepted", pgettext_lazy("plan", "Accepted")


class Review(models.Model):
    """A coach's or medical advisor's review of a submitted plan."""

    plan = models.ForeignKey(Plan, models.PROTECT, related_name="reviews", verbose_name=_("plan"))
    reviewer = user_link("+", _("reviewer"))
    outcome = models.CharField(_("outcome"), max_length=24, choices=ReviewOutcome.choices)
    comment = models.TextField(_("comment"), blank=True)
    reviewed_on = models.DateField(_("reviewed on"))

    class Meta:
        ordering = ["plan", "-reviewed_on", "-pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.plan} — {self.reviewed_on}"


class Completion(models.Model):
    """A member's requirement met by the acceptance of the group's plan: next due date
    (accepted + 5 years) and the credits earned; the certificate reads it."""

    physician = models.ForeignKey(
        Physician, models.PROTECT, related_name="qi_completions", verbose_name=_("physician")
    )
    group = models.ForeignKey(
        Group, models.PROTECT, related_name="completions", verbose_name=_("group")
    )
    selection = models.ForeignKey(
        Selection,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="completions",
        verbose_name=_("selection"),
    )
    accepted_on = models.DateField(_("accepted on"))
    due = models.DateField(_("next due on"))
    credits = models.JSONField(_("credits"), default=dict)
    credits_version = models.ForeignKey(
        CreditsVersion,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("credits version"),
    )

    class Meta:
        ordering = ["-accepted_on"]
        constraints = [
            models.UniqueConstraint(fields=["physician", "group"], name="quality_completion_once")
        ]
        verbose_name = _("completion")
        verbose_name_plural = _("completions")

    def __str__(self) -> str:
        return f"{self.physician} — {self.accepted_on}"


@register_actions
class QualityAction(models.TextChoices):
    """What the quality-improvement groups record in the audit trail (:mod:`web.audit`)."""

    CREDITS_PUBLISHED = "qi_credits_published", _("Credits published")
    SURVEY_PUBLISHED = "qi_survey_published", _("QI survey published")
    PHYSICIAN_SELECTED = "qi_physician_selected", _("Physician selected for the QI cycle")
    SELECTION_DEFERRED = "qi_selection_deferred", _("QI selection deferred")
    GROUP_CREATED = "qi_group_created", _("QI group created")
    GROUP_FOLLOWED = "qi_group_followed", _("QI group followed by a coach")
    PHYSICIAN_INVITED = "qi_physician_invited", _("Physician invited to a QI group")
    INVITATION_ANSWERED = "qi_invitation_answered", _("QI invitation answered")
    INVITATION_WITHDRAWN = "qi_invitation_withdrawn", _("QI invitation withdrawn")
    ACTIVITY_SAVED = "qi_activity_saved", _("QI activity saved")
    ACTIVITY_COMPLETED = "qi_activity_completed", _("QI activity completed")
    ACTIVITY_SHARED = "qi_activity_shared", _("QI activity shared")
    PLAN_SAVED = "qi_plan_saved", _("Improvement plan saved")
    GOAL_SAVED = "qi_goal_saved", _("Improvement goal saved")
    GOAL_COMPLETED = "qi_goal_completed", _("Improvement goal completed")
    PDSA_RECORDED = "qi_pdsa_recorded", _("PDSA phase recorded")
    POINT_RECORDED = "qi_point_recorded", _("Measurement recorded")
    PLAN_SUBMITTED = "qi_plan_submitted", _("Improvement plan submitted")
    PLAN_REVIEWED = "qi_plan_reviewed", _("Improvement plan reviewed")
