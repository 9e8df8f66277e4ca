"""The four individual activities of a QI group member, as data: their steps, each step's
fields (required or not, French labels through the catalogue), the checks across a step's
fields, and the Practice Profile's facts the platform knows about the physician.

Source: research notes B4, "The four activities" (``../shared/research/comanagement-qi.md``):

* the **QI Survey** is a questionnaire on the practice (its questions: the coach's
  :class:`~web.quality.models.SurveyVersion` in force when the member started it);
* the **Practice Profile** is a self-assessment "against evidence-based risk and support
  factors"; the factors below cite their source where one was found, the others are
  marked illustrative (``Factor.illustrative``) until the program's own list replaces them;
* the **Self-Guided Chart Review** checks one's own charts against the CPSO *Medical
  Records Documentation* policy "with reflection and conversation with a trusted peer";
  its criteria are drawn from that policy's themes (illustrative) and its answers are
  **counts and reflections only**: no field can hold a patient's name, number or
  identifier, and the service refuses any key that is not a field below;
* the **Data-Driven QI** is the physician's reflection on their own figures beside their
  peers' distributions (the figures: ``web/quality/indicators.py``, P4).

An activity's ``answers`` are ``{step key: {field key: value}}``; values are JSON (str,
int, float, bool, list of codes). Besides the data, the read side of the stepper pages:
:func:`stepper` (where a member stands in an activity) and :func:`answer_rows` (the
answers as a page shows them).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from web.quality.models import Activity, ActivityKind, Group, Indicator, SurveyVersion
from web.regions.models import Physician, Registration

__all__ = [
    "CHART_CRITERIA",
    "FIELD_KINDS",
    "INTRODUCTIONS",
    "MAX_CHARTS",
    "RISK_FACTORS",
    "SUPPORT_FACTORS",
    "SURVEY_KINDS",
    "Field",
    "PracticeFacts",
    "Step",
    "Stepper",
    "answer_rows",
    "check_questions",
    "check_step",
    "display",
    "fields_for",
    "missing_steps",
    "practice_facts",
    "prefill",
    "stepper",
    "steps_of",
    "survey_in_force",
]

# text: one line; textarea: free text; int: a count (0 or more); number: a decimal;
# yes_no: a required yes/no; choice: one code; multi: codes (checkboxes); scale: 1 to 5.
FIELD_KINDS = ("text", "textarea", "int", "number", "yes_no", "choice", "multi", "scale")
# The kinds of a survey question (SurveyVersion.questions).
SURVEY_KINDS = ("text", "choice", "scale")
SURVEY_QUESTIONS_PER_STEP = 5  # a questionnaire of ~30 min, split into short pages
SCALE = (1, 5)  # the survey's scale questions: 1 to 5
MAX_TEXT = 5000  # characters of a free-text answer (a reflection, not a record)
MAX_LINE = 300  # characters of a one-line answer


@dataclass(frozen=True)
class Field:
    """A field of a step.

    Attributes:
        key: the answers' key (English, never shown).
        label: what the page says.
        kind: one of :data:`FIELD_KINDS`.
        required: completion is refused while it is empty.
        choices: (code, label) pairs for ``choice`` and ``multi``.
        help: a line under the field.
        criterion: for the chart review's findings, the criterion counted (the field is
            asked only when the criterion was reviewed).
        minimum, maximum: the bounds of an ``int`` or ``number`` (no maximum: None).
    """

    key: str
    label: str | Promise
    kind: str = "textarea"
    required: bool = False
    choices: tuple[tuple[str, Any], ...] = ()
    help: str | Promise = ""
    criterion: str = ""
    minimum: float = 0
    maximum: float | None = None


@dataclass(frozen=True)
class Step:
    """A step of an activity's stepper."""

    key: str
    title: str | Promise
    intro: str | Promise = ""
    fields: tuple[Field, ...] = ()
    illustrative: bool = False  # its choices are not from a confirmed source


@dataclass(frozen=True)
class Factor:
    """A risk or support factor of the Practice Profile, with its source or marked
    illustrative."""

    code: str
    label: str | Promise
    source: str = ""

    @property
    def illustrative(self) -> bool:
        return not self.source


# -- the Practice Profile ----------------------------------------------------------------

_CPSO_PROFILE = "CPSO, Practice Profile Resources (Solo Practice)"
_PEER_REVIEW_STUDY = (
    "Risk-based regulation in quality assurance, Journal of Medical Regulation 110(3) "
    "(CPSBC peer practice assessments: not having undertaken peer review OR 1.47)"
)

RISK_FACTORS: tuple[Factor, ...] = (
    Factor("solo_practice", _("Solo practice (few interactions with colleagues)"), _CPSO_PROFILE),
    Factor("no_peer_review", _("No peer review of my practice"), _PEER_REVIEW_STUDY),
    Factor("high_volume", _("A very high volume of visits")),
    Factor("scope_outside_training", _("Part of my practice is outside my training")),
    Factor("little_cpd", _("Little continuing professional development lately")),
    Factor("fatigue", _("Fatigue or workload affecting my practice")),
)
SUPPORT_FACTORS: tuple[Factor, ...] = (
    Factor("team_based_care", _("Team-based care (nurses, other professionals)")),
    Factor("emr_use", _("An electronic medical record used for reminders and follow-up")),
    Factor("peer_group", _("A peer group or regular case discussions"), _PEER_REVIEW_STUDY),
    Factor("regular_cpd", _("Regular continuing professional development")),
    Factor("mentoring", _("Mentoring (as mentor or mentee)")),
    Factor("test_follow_up", _("A system to follow up test results")),
)


def _factor_choices(factors: Sequence[Factor]) -> tuple[tuple[str, Any], ...]:
    return tuple((factor.code, factor.label) for factor in factors)


PRACTICE_PROFILE = (
    Step(
        "practice",
        _("Your practice"),
        _(
            "The figures below come from the platform (registrations in force today, the "
            "latest assiduity computation); correct them if they do not describe your practice."
        ),
        (
            Field("setting", _("Describe your practice setting"), required=True),
            Field("gmf", _("GMF"), "text"),
            Field("rls", _("RLS"), "text"),
            Field("years_of_practice", _("Years of practice"), "int"),
            Field("panel_size", _("Registered patients"), "int"),
            Field("vulnerable_share", _("Share of vulnerable patients (%)"), "number", maximum=100),
            Field("assiduity_tier", _("Latest assiduity tier"), "text"),
        ),
    ),
    Step(
        "risks",
        _("Risk factors"),
        _("Check the factors that apply to your practice today."),
        (
            Field("factors", _("Risk factors"), "multi", choices=_factor_choices(RISK_FACTORS)),
            Field("comment", _("What these factors mean for your practice"), required=True),
        ),
        illustrative=True,
    ),
    Step(
        "supports",
        _("Support factors"),
        _("Check the supports you have in your practice."),
        (
            Field(
                "factors", _("Support factors"), "multi", choices=_factor_choices(SUPPORT_FACTORS)
            ),
            Field("comment", _("What you could add or strengthen"), required=True),
        ),
        illustrative=True,
    ),
    Step(
        "reflection",
        _("Reflection"),
        "",
        (
            Field("strengths", _("Strengths of your practice"), required=True),
            Field("to_explore", _("What you would like to improve"), required=True),
        ),
    ),
)

# -- the Self-Guided Chart Review ----------------------------------------------------------

# Themes of the CPSO Medical Records Documentation policy (its principles of documenting
# the encounter and the cumulative patient profile), as a physician would check a chart;
# the list is illustrative until the program's own grid replaces it.
CHART_CRITERIA: tuple[tuple[str, Any], ...] = (
    ("legible", _("Legible and understandable (no ambiguous abbreviations)")),
    ("cpp", _("Cumulative patient profile up to date")),
    ("encounter", _("Encounter note: reason, history, examination, assessment, plan")),
    ("medications", _("Medications and allergies recorded")),
    ("results", _("Test results followed up")),
    ("referrals", _("Referrals and consultations followed up")),
    ("consent", _("Consent discussions documented")),
    ("unique_entry", _("Each entry specific to the encounter (no inappropriate copy-paste)")),
)
MAX_CHARTS = 200  # a self-guided review of one's charts, not an audit of the whole panel


def _finding_fields() -> tuple[Field, ...]:
    fields = []
    for code, label in CHART_CRITERIA:
        met = format_lazy("{}: {}", label, _("charts that meet it"))
        not_met = format_lazy("{}: {}", label, _("charts that do not"))
        fields.append(Field(f"{code}_met", met, "int", True, criterion=code, maximum=MAX_CHARTS))
        fields.append(
            Field(f"{code}_not_met", not_met, "int", True, criterion=code, maximum=MAX_CHARTS)
        )
    return tuple(fields)


CHART_REVIEW = (
    Step(
        "criteria",
        _("Criteria reviewed"),
        _(
            "Choose the criteria you check and how many of your charts you review. Record no "
            "patient's name or number here: the review keeps counts and reflections only."
        ),
        (
            Field("criteria", _("Criteria reviewed"), "multi", True, CHART_CRITERIA),
            Field(
                "charts", _("Number of charts reviewed"), "int", True, minimum=1, maximum=MAX_CHARTS
            ),
        ),
        illustrative=True,
    ),
    Step(
        "findings",
        _("Findings"),
        _("For each criterion, the number of charts that meet it and that do not."),
        _finding_fields(),
    ),
    Step(
        "reflection",
        _("Reflection"),
        "",
        (
            Field("learned", _("What the review taught you"), required=True),
            Field("changes", _("What you will change in your record keeping"), required=True),
        ),
    ),
    Step(
        "peer",
        _("Conversation with a trusted peer"),
        _("No name is needed: say whether you discussed the review and what came of it."),
        (
            Field(
                "peer_conversation",
                _("I discussed this review with a trusted peer"),
                "yes_no",
                True,
            ),
            Field("peer_learning", _("What came of the conversation")),
        ),
    ),
)

# -- the Data-Driven QI ------------------------------------------------------------------

DATA_DRIVEN_QI = (
    Step(
        "figures",
        _("Your figures among your peers'"),
        _(
            "Your figures over time beside the distribution of the region's and your RLS's "
            "physicians (never a colleague's name)."
        ),
        (Field("where_you_stand", _("Where you stand and why"), required=True),),
    ),
    Step(
        "opportunities",
        _("Opportunities for improvement"),
        "",
        (
            Field(
                "indicator",
                _("The figure you would most like to improve"),
                "choice",
                choices=tuple(Indicator.choices),
            ),
            Field("opportunities", _("Opportunities you see"), required=True),
        ),
    ),
)

# What each activity is, said at the top of its page.
INTRODUCTIONS: dict[str, Promise] = {
    ActivityKind.QI_SURVEY: _(
        "A questionnaire on your practice and on your experience of quality improvement."
    ),
    ActivityKind.PRACTICE_PROFILE: _(
        "A self-assessment of your practice against risk and support factors, pre-filled "
        "with what the platform knows of it."
    ),
    ActivityKind.CHART_REVIEW: _(
        "A review of some of your own charts against good record-keeping criteria, with "
        "reflection and a conversation with a trusted peer: counts and reflections only, "
        "never a patient's identity."
    ),
    ActivityKind.DATA_DRIVEN_QI: _(
        "Your figures over time beside your peers' distribution: where you stand among "
        "them, never a colleague's name."
    ),
}

_FINDINGS = CHART_REVIEW[1]
_QUESTION_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")

_STEPS: dict[str, tuple[Step, ...]] = {
    ActivityKind.PRACTICE_PROFILE: PRACTICE_PROFILE,
    ActivityKind.CHART_REVIEW: CHART_REVIEW,
    ActivityKind.DATA_DRIVEN_QI: DATA_DRIVEN_QI,
}


# -- the QI Survey -----------------------------------------------------------------------


def survey_in_force(region_id: int) -> SurveyVersion | None:
    """The region's QI Survey version in force: the highest number; None before any."""
    return SurveyVersion.objects.filter(region_id=region_id).order_by("-number").first()


def _question_field(question: Mapping[str, Any]) -> Field:
    kind = question["kind"]
    choices: tuple[tuple[str, Any], ...] = ()
    if kind == "choice":
        choices = tuple((str(choice), str(choice)) for choice in question.get("choices", ()))
    return Field(
        str(question["key"]),
        str(question["text"]),
        {"text": "textarea"}.get(kind, kind),
        bool(question.get("required", True)),
        choices,
    )


def _survey_steps(survey: SurveyVersion | None) -> tuple[Step, ...]:
    questions = list(survey.questions) if survey is not None else []
    chunks = [
        questions[start : start + SURVEY_QUESTIONS_PER_STEP]
        for start in range(0, len(questions), SURVEY_QUESTIONS_PER_STEP)
    ]
    return tuple(
        Step(
            f"questions_{number}",
            # Built when a page asks, so in the reader's language.
            gettext("Questions, page %(page)s of %(pages)s")
            % {"page": number, "pages": len(chunks)}
            if len(chunks) > 1
            else gettext("Questions"),
            "",
            tuple(_question_field(question) for question in chunk),
        )
        for number, chunk in enumerate(chunks, start=1)
    )


def steps_of(kind: str, survey: SurveyVersion | None = None) -> tuple[Step, ...]:
    """The steps of activity ``kind``; the QI Survey's from ``survey`` (the version the
    activity answers, or the one in force for an activity not started).

    Raises:
        KeyError: an unknown kind.
    """
    if kind == ActivityKind.QI_SURVEY:
        return _survey_steps(survey)
    return _STEPS[kind]


def fields_for(step: Step, answers: Mapping[str, Any]) -> tuple[Field, ...]:
    """The fields of ``step`` asked given the activity's ``answers``: the chart review's
    findings only for the criteria reviewed."""
    reviewed = set(answers.get("criteria", {}).get("criteria", []) or [])
    return tuple(f for f in step.fields if not f.criterion or f.criterion in reviewed)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _bounds(field: Field, value: float) -> str:
    low, high = SCALE if field.kind == "scale" else (field.minimum, field.maximum)
    if value < low or (high is not None and value > high):
        if high is None:
            return gettext("%(field)s: %(low)s or more.") % {"field": field.label, "low": low}
        return gettext("%(field)s: from %(low)s to %(high)s.") % {
            "field": field.label,
            "low": low,
            "high": high,
        }
    return ""


def _value_error(field: Field, value: Any) -> str:
    """What is wrong with ``value`` as an answer to ``field`` (empty: nothing). An empty
    value is accepted here: completion asks for the required ones."""
    if _empty(value):
        return ""
    codes = {code for code, _label in field.choices}
    if field.kind in ("text", "textarea"):
        longest = MAX_LINE if field.kind == "text" else MAX_TEXT
        if not isinstance(value, str):
            return gettext("%(field)s: a text is expected.") % {"field": field.label}
        if len(value) > longest:
            return gettext("%(field)s: %(max)s characters at most.") % {
                "field": field.label,
                "max": longest,
            }
        return ""
    if field.kind in ("int", "scale"):
        if isinstance(value, bool) or not isinstance(value, int):
            return gettext("%(field)s: a whole number is expected.") % {"field": field.label}
        return _bounds(field, value)
    if field.kind == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            return gettext("%(field)s: a number is expected.") % {"field": field.label}
        return _bounds(field, value)
    if field.kind == "yes_no":
        if not isinstance(value, bool):
            return gettext("%(field)s: answer yes or no.") % {"field": field.label}
        return ""
    chosen = value if field.kind == "multi" and isinstance(value, list) else [value]
    if not all(isinstance(code, str) and code in codes for code in chosen):
        return gettext("%(field)s: choose among the answers offered.") % {"field": field.label}
    return ""


def check_step(step: Step, values: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``values`` as the answers to ``step``, as whole translated
    sentences (empty: nothing):

    * only the fields asked are answered: a key of no field (a patient identifier, say)
      is refused, which is how the chart review keeps counts and reflections only;
    * each value is of its field's kind and within its bounds (counts 0 or more, a scale
      1 to 5, a choice among those offered);
    * a chart review's counts of a criterion add up to at most the charts reviewed.

    ``answers`` are the activity's saved answers (the chart review's findings read its
    criteria step).
    """
    asked = {f.key: f for f in fields_for(step, answers)}
    if set(values) - set(asked):
        return [gettext("These answers are not fields of this step; nothing was saved.")]
    errors = [error for key, f in asked.items() if (error := _value_error(f, values.get(key)))]
    if step is _FINDINGS and not errors:
        charts = answers.get("criteria", {}).get("charts")
        for code, label in CHART_CRITERIA:
            counted = (values.get(f"{code}_met") or 0) + (values.get(f"{code}_not_met") or 0)
            if charts is not None and counted > charts:
                errors.append(
                    gettext(
                        "%(criterion)s: %(counted)s charts counted, more than the %(charts)s "
                        "charts reviewed."
                    )
                    % {"criterion": label, "counted": counted, "charts": charts}
                )
    return errors


def missing_steps(steps: Sequence[Step], answers: Mapping[str, Any]) -> list[Step]:
    """The steps not saved yet or with a required field left empty (completion is refused
    while any)."""
    missing = []
    for step in steps:
        saved = answers.get(step.key)
        if saved is None or any(
            f.required and _empty(saved.get(f.key)) for f in fields_for(step, answers)
        ):
            missing.append(step)
    return missing


def check_questions(questions: Sequence[Mapping[str, Any]]) -> list[str]:
    """What is wrong with a QI Survey's ``questions`` (``key``, ``text``, ``kind``,
    ``choices``), as whole translated sentences (empty: nothing): one question at least;
    each key made of lowercase letters, digits and ``_`` and used once; a text; a kind of
    :data:`SURVEY_KINDS`; a choice question offers two choices or more."""
    if not questions:
        return [gettext("The survey asks one question at least.")]
    errors = []
    seen: set[str] = set()
    for number, question in enumerate(questions, start=1):
        key = str(question.get("key", ""))
        where = {"number": number, "key": key}
        if not _QUESTION_KEY.fullmatch(key):
            errors.append(
                gettext(
                    "Question %(number)s: its key is made of lowercase letters, digits and "
                    "underscores, and starts with a letter."
                )
                % where
            )
        elif key in seen:
            errors.append(
                gettext("Question %(number)s: the key “%(key)s” is used by another question.")
                % where
            )
        seen.add(key)
        if not str(question.get("text", "")).strip():
            errors.append(gettext("Question %(number)s: write its text.") % where)
        kind = question.get("kind")
        if kind not in SURVEY_KINDS:
            errors.append(gettext("Question %(number)s: choose its kind.") % where)
        choices = {str(choice).strip() for choice in question.get("choices") or ()} - {""}
        if kind == "choice" and len(choices) < 2:
            errors.append(
                gettext("Question %(number)s: a choice question offers two choices or more.")
                % where
            )
    return errors


def display(field: Field, value: Any) -> Any:
    """``value`` as a page shows it: a choice by its label, yes or no in words, a dash
    for an empty answer; a number the reader's way (« 34,8 »); a text as it is."""
    if _empty(value):
        return "—"
    labels = dict(field.choices)
    if field.kind == "yes_no":
        return gettext("Yes") if value else gettext("No")
    if field.kind == "choice":
        return labels.get(value, value)
    if field.kind == "multi":
        return ", ".join(str(labels.get(code, code)) for code in value)
    if field.kind in ("int", "number", "scale"):
        return number_format(value)
    return value


@dataclass(frozen=True)
class AnsweredStep:
    """A step's answers as a page shows them: ``rows`` of (label, value)."""

    step: Step
    rows: tuple[tuple[Any, Any], ...]


def answer_rows(steps: Sequence[Step], answers: Mapping[str, Any]) -> list[AnsweredStep]:
    """The answers of each of ``steps`` (the fields asked only), for reading."""
    return [
        AnsweredStep(
            step,
            tuple(
                (f.label, display(f, answers.get(step.key, {}).get(f.key)))
                for f in fields_for(step, answers)
            ),
        )
        for step in steps
    ]


# -- where a member stands in an activity ----------------------------------------------


@dataclass(frozen=True)
class StepMark:
    """A step in the stepper's list: its number (from 1), done (saved, nothing required
    missing), the one shown."""

    step: Step
    number: int
    done: bool
    current: bool


@dataclass(frozen=True)
class Stepper:
    """Where ``physician`` stands in an activity of a group (:func:`stepper`).

    Attributes:
        kind: the activity's kind.
        activity: the saved activity, None before the first save.
        steps: its steps (the QI Survey's: of the version it answers, or of the one in
            force before the first save; none while no survey is published).
        current: the step shown (None without steps).
        number: its number, from 1 (0 without steps).
        fields: the current step's fields asked.
        marks: the step list with its done marks.
        previous, following: the steps around the current one (None at the ends).
        missing: the steps completion still waits for.
    """

    kind: str
    activity: Activity | None
    steps: tuple[Step, ...]
    current: Step | None
    number: int
    fields: tuple[Field, ...]
    marks: tuple[StepMark, ...]
    previous: Step | None
    following: Step | None
    missing: tuple[Step, ...]

    @property
    def answers(self) -> dict[str, Any]:
        return self.activity.answers if self.activity is not None else {}

    @property
    def completed(self) -> bool:
        return self.activity is not None and self.activity.completed_on is not None


def stepper(group: Group, physician: Physician, kind: str, step_key: str | None = None) -> Stepper:
    """Where ``physician`` (a member, checked by the caller) stands in activity ``kind`` of
    ``group``, showing step ``step_key`` (default: the saved step).

    Raises:
        LookupError: an unknown kind or step.
    """
    if kind not in ActivityKind.values:
        raise LookupError(kind)
    activity = (
        Activity.objects.select_related("survey")
        .filter(group=group, physician=physician, kind=kind)
        .first()
    )
    if activity is not None:
        survey = activity.survey
    else:
        survey = survey_in_force(group.region_id) if kind == ActivityKind.QI_SURVEY else None
    steps = steps_of(kind, survey)
    answers = activity.answers if activity is not None else {}
    missing = tuple(missing_steps(steps, answers))
    index = min(activity.step if activity is not None else 0, len(steps) - 1)
    if step_key is not None:
        keys = [step.key for step in steps]
        if step_key not in keys:
            raise LookupError(step_key)
        index = keys.index(step_key)
    current = steps[index] if steps else None
    return Stepper(
        kind=kind,
        activity=activity,
        steps=steps,
        current=current,
        number=index + 1 if current is not None else 0,
        fields=fields_for(current, answers) if current is not None else (),
        marks=tuple(
            StepMark(step, number, step not in missing, step is current)
            for number, step in enumerate(steps, start=1)
        ),
        previous=steps[index - 1] if steps and index > 0 else None,
        following=steps[index + 1] if index + 1 < len(steps) else None,
        missing=missing,
    )


# -- the Practice Profile's facts ----------------------------------------------------------


@dataclass(frozen=True)
class PracticeFacts:
    """What the platform knows of a physician's practice today (the Practice Profile's
    first step is prefilled with it).

    Attributes:
        panel_size: patients registered with them today (registrations in force).
        vulnerable_share: the share of those who are vulnerable, in % (None without any).
        gmf, rls: the names of their main site's GMF (empty outside one) and their RLS.
        years_of_practice: full years since their practice start.
        assiduity_tier: the words of their tier in the latest DONE assiduity computation
            of the latest year they have a rate in; empty without one.
        assiduity_year: that year (None without one).
    """

    panel_size: int
    vulnerable_share: float | None
    gmf: str
    rls: str
    years_of_practice: int
    assiduity_tier: str = ""
    assiduity_year: int | None = None


def _assiduity(physician: Physician) -> tuple[str, int | None]:
    # Read as the assiduity pages read a physician's rate: the latest DONE computation of
    # each year holding a row for them (explanation.year_runs), its rates file's row.
    from web.assiduity.explanation import year_runs
    from web.assiduity.figures import rate_row, tier_label
    from web.assiduity.models import AssiduityRun, AssiduityRunStatus

    runs = AssiduityRun.objects.filter(
        region_id=physician.rls.region_id, status=AssiduityRunStatus.DONE
    )
    found = year_runs(runs, physician.code)
    if not found:
        return "", None
    row = rate_row(found[0], physician.code) or {}
    return tier_label(row.get("tier")), found[0].year


def practice_facts(physician: Physician, today: datetime.date | None = None) -> PracticeFacts:
    """The platform's facts about ``physician`` on ``today`` (default: today)."""
    today = today or timezone.localdate()
    panel = Registration.objects.active_on(today).filter(physician=physician)
    size = panel.count()
    vulnerable = panel.filter(Q(patient__vulnerable=True)).count()
    gmf = physician.site.gmf if physician.site.gmf_id else None
    start = physician.practice_start
    years = today.year - start.year - ((today.month, today.day) < (start.month, start.day))
    tier, year = _assiduity(physician)
    return PracticeFacts(
        panel_size=size,
        vulnerable_share=round(100 * vulnerable / size, 1) if size else None,
        gmf=gmf.name if gmf is not None else "",
        rls=physician.rls.name,
        years_of_practice=max(years, 0),
        assiduity_tier=tier,
        assiduity_year=year,
    )


def prefill(kind: str, step: Step, physician: Physician) -> dict[str, Any]:
    """The initial values of ``step`` not saved yet: the Practice Profile's facts (and
    team-based care checked for a physician of a GMF, a team by definition); else none."""
    if kind != ActivityKind.PRACTICE_PROFILE:
        return {}
    if step.key == "supports":
        return {"factors": ["team_based_care"]} if physician.site.gmf_id else {}
    if step.key != "practice":
        return {}
    facts = practice_facts(physician)
    return {
        "gmf": facts.gmf,
        "rls": facts.rls,
        "years_of_practice": facts.years_of_practice,
        "panel_size": facts.panel_size,
        "vulnerable_share": facts.vulnerable_share,
        "assiduity_tier": facts.assiduity_tier,
    }
