"""The group's Practice Improvement Plan (plan d'amélioration de la pratique): its goals,
each SMART and followed by PDSA cycles, its submission and its review.

Sources: research notes B4 ("PIP content": strengths, areas for improvement, "≥ 2 goals,
one of which may be a physician health/self-care goal"; "Groups": one group PIP after the
four individual activities) and B6 (Model for Improvement: a measure with an operational
definition, baseline, target and date; PDSA: plan with predictions, do, study against
the predictions, act: adapt / adopt / abandon).

    plan = Plan(strengths="...", improvements="...", goals=(goal_a, goal_b))
    who_has_not_completed({"p-1": ACTIVITIES, "p-2": ACTIVITIES[:3]})
    # {"p-2": ("data_driven_qi",)}
    plan = submit(plan, completed={"p-1": ACTIVITIES, "p-2": ACTIVITIES})
    plan = review(plan, "accepted")

Decisions (``docs/quality-rules.md``):

* "At least two goals, one of which **may** be a physician health and self-care goal":
  **at most one** self-care goal, so with two goals or more at least one is about the
  practice.
* A goal is SMART when it has a measure (a platform indicator code of
  :data:`PLATFORM_INDICATORS`, or a manual measure with its definition), a baseline, a
  target different from the baseline, a target date and at least one change idea. A
  self-care goal follows the same rule.
* PDSA phases are filled in order, plan → do → study → act; the plan states a
  prediction; study compares with it; act decides adapt, adopt or abandon and closes the
  cycle. One open cycle per change idea at a time.
* A plan may be submitted when it is a draft or changes were requested; review applies
  to a submitted plan only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from panelcare.quality.errors import PlanRuleError, SubmissionRefused

__all__ = [
    "ACTIVITIES",
    "ACT_DECISIONS",
    "GOAL_KINDS",
    "MAX_SELF_CARE_GOALS",
    "MIN_GOALS",
    "PDSA_PHASES",
    "PLAN_STATUSES",
    "PLATFORM_INDICATORS",
    "REVIEW_OUTCOMES",
    "Goal",
    "Measure",
    "PdsaCycle",
    "Plan",
    "add_pdsa_cycle",
    "check_goal",
    "check_plan",
    "goals_completed",
    "next_phase",
    "record_phase",
    "review",
    "submit",
    "who_has_not_completed",
]

# The four individual activities, in the program's order (B4, "The four activities").
ACTIVITIES = ("qi_survey", "practice_profile", "chart_review", "data_driven_qi")

# The figures the platform computes for a physician, a goal's measure may be tied to
# (issue 18: assiduity rate, panel size and vulnerable share, attribution progress).
PLATFORM_INDICATORS = (
    "assiduity_rate",
    "panel_size",
    "vulnerable_share",
    "attribution_progress",
)

MIN_GOALS = 2  # "at least two goals"
MAX_SELF_CARE_GOALS = 1  # "one of which may be a physician health / self-care goal"

GoalKind = Literal["practice", "self_care"]
GOAL_KINDS: tuple[GoalKind, ...] = ("practice", "self_care")

Phase = Literal["plan", "do", "study", "act"]
PDSA_PHASES: tuple[Phase, ...] = ("plan", "do", "study", "act")
ActDecision = Literal["adapt", "adopt", "abandon"]
ACT_DECISIONS: tuple[ActDecision, ...] = ("adapt", "adopt", "abandon")

PlanStatus = Literal["draft", "submitted", "changes_requested", "accepted"]
PLAN_STATUSES: tuple[PlanStatus, ...] = ("draft", "submitted", "changes_requested", "accepted")
ReviewOutcome = Literal["comments", "changes_requested", "accepted"]
REVIEW_OUTCOMES: tuple[ReviewOutcome, ...] = ("comments", "changes_requested", "accepted")


@dataclass(frozen=True)
class Measure:
    """How a goal is measured.

    Attributes:
        indicator: a code of :data:`PLATFORM_INDICATORS` (the platform plots it without
            anyone typing numbers), or ``None`` for a manual measure.
        definition: the operational definition (numerator, denominator, source); required
            for a manual measure.
    """

    indicator: str | None = None
    definition: str = ""


@dataclass(frozen=True)
class PdsaCycle:
    """A Plan-Do-Study-Act cycle testing one change idea.

    Attributes:
        change_idea: the change idea tested (one of the goal's).
        plan: the objective and steps; prediction: what is expected (part of Plan).
        do: what was done and observed; study: the results against the prediction.
        act: ``adapt``, ``adopt`` or ``abandon``; ``None`` while the cycle is open.
    """

    change_idea: str
    plan: str = ""
    prediction: str = ""
    do: str = ""
    study: str = ""
    act: ActDecision | None = None


@dataclass(frozen=True)
class Goal:
    """A goal of the plan (SMART).

    Attributes:
        title: the aim ("raise the assiduity rate from 72 % to 80 % by June").
        kind: ``practice`` or ``self_care`` (physician health and self-care).
        measure: how it is measured.
        baseline, target: the measure's value now and the value aimed at.
        target_date: when the target should be reached.
        change_ideas: the changes to test.
        pdsa_cycles: the cycles, in the order started.
        completed_on: the day the goal was declared completed (for the credits).
    """

    title: str
    kind: GoalKind = "practice"
    measure: Measure | None = None
    baseline: float | None = None
    target: float | None = None
    target_date: date | None = None
    change_ideas: tuple[str, ...] = ()
    pdsa_cycles: tuple[PdsaCycle, ...] = ()
    completed_on: date | None = None


@dataclass(frozen=True)
class Plan:
    """The group's Practice Improvement Plan.

    Attributes:
        strengths: areas of strength; improvements: areas for improvement.
        goals: the goals.
        status: ``draft``, ``submitted``, ``changes_requested`` or ``accepted``.
        comments: the reviewers' comments, oldest first.
    """

    strengths: str
    improvements: str
    goals: tuple[Goal, ...]
    status: PlanStatus = "draft"
    comments: tuple[str, ...] = field(default=())


def _refuse(message: str, code: str, column: str | None = None, **params: str) -> PlanRuleError:
    return PlanRuleError(message, code=code, params=params, column=column)


def check_goal(goal: Goal) -> None:
    """Check that ``goal`` is SMART.

    Raises:
        PlanRuleError: the first problem found, with ``column`` the field:
            ``unknown_goal_kind``, ``missing_measure``, ``unknown_indicator``
            (``indicator``), ``missing_definition`` (manual measure),
            ``missing_baseline``, ``missing_target``, ``target_equals_baseline``,
            ``missing_target_date``, ``no_change_idea``; and any PDSA cycle's problem
            (see :func:`record_phase`): ``unknown_change_idea``, ``pdsa_out_of_order``,
            ``missing_prediction``.
    """
    if goal.kind not in GOAL_KINDS:
        raise _refuse(f"unknown goal kind {goal.kind!r}", "unknown_goal_kind", "kind")
    if goal.measure is None:
        raise _refuse(f"goal {goal.title!r} has no measure", "missing_measure", "measure")
    indicator = goal.measure.indicator
    if indicator is not None and indicator not in PLATFORM_INDICATORS:
        raise _refuse(
            f"unknown platform indicator {indicator!r}",
            "unknown_indicator",
            "measure",
            indicator=indicator,
        )
    if indicator is None and not goal.measure.definition.strip():
        raise _refuse(
            f"goal {goal.title!r}: a manual measure needs its definition",
            "missing_definition",
            "measure",
        )
    if goal.baseline is None:
        raise _refuse(f"goal {goal.title!r} has no baseline", "missing_baseline", "baseline")
    if goal.target is None:
        raise _refuse(f"goal {goal.title!r} has no target", "missing_target", "target")
    if goal.target == goal.baseline:
        raise _refuse(
            f"goal {goal.title!r}: the target equals the baseline",
            "target_equals_baseline",
            "target",
        )
    if goal.target_date is None:
        raise _refuse(
            f"goal {goal.title!r} has no target date", "missing_target_date", "target_date"
        )
    if not any(idea.strip() for idea in goal.change_ideas):
        raise _refuse(f"goal {goal.title!r} has no change idea", "no_change_idea", "change_ideas")
    for cycle in goal.pdsa_cycles:
        _check_cycle(goal, cycle)


def check_plan(plan: Plan) -> None:
    """Check the plan's content (not its members' activities: see :func:`submit`).

    Raises:
        PlanRuleError: ``missing_strengths``, ``missing_improvements``,
            ``too_few_goals`` (``min``), ``too_many_self_care_goals`` (``max``), or the
            first goal's problem (:func:`check_goal`).
    """
    if not plan.strengths.strip():
        raise _refuse("the plan names no area of strength", "missing_strengths", "strengths")
    if not plan.improvements.strip():
        raise _refuse(
            "the plan names no area for improvement", "missing_improvements", "improvements"
        )
    if len(plan.goals) < MIN_GOALS:
        raise _refuse(
            f"a plan has at least {MIN_GOALS} goals, got {len(plan.goals)}",
            "too_few_goals",
            "goals",
            min=str(MIN_GOALS),
        )
    self_care = sum(1 for goal in plan.goals if goal.kind == "self_care")
    if self_care > MAX_SELF_CARE_GOALS:
        raise _refuse(
            f"at most {MAX_SELF_CARE_GOALS} goal may be a physician health / self-care goal",
            "too_many_self_care_goals",
            "goals",
            max=str(MAX_SELF_CARE_GOALS),
        )
    for goal in plan.goals:
        check_goal(goal)


def who_has_not_completed(
    completed: Mapping[str, Iterable[str]],
) -> dict[str, tuple[str, ...]]:
    """The members who have not completed the four activities, each with the activities
    missing in :data:`ACTIVITIES` order; empty when everyone has.

    Args:
        completed: each member's completed activities (every member must be a key).
    """
    missing: dict[str, tuple[str, ...]] = {}
    for member, done in completed.items():
        done_set = set(done)
        left = tuple(code for code in ACTIVITIES if code not in done_set)
        if left:
            missing[member] = left
    return missing


def submit(plan: Plan, *, completed: Mapping[str, Iterable[str]]) -> Plan:
    """The plan submitted for review.

    Args:
        plan: a draft, or a plan whose review requested changes.
        completed: each member's completed activities (every member is a key).

    Raises:
        PlanRuleError: ``plan_not_editable`` (``status``) when the plan is submitted or
            accepted; ``no_members`` when ``completed`` is empty; any problem of
            :func:`check_plan`.
        SubmissionRefused: ``members_incomplete``, with ``missing`` (who, which).
    """
    if plan.status not in ("draft", "changes_requested"):
        raise _refuse(
            f"a {plan.status} plan cannot be submitted", "plan_not_editable", status=plan.status
        )
    if not completed:
        raise _refuse("the plan's group has no member", "no_members")
    missing = who_has_not_completed(completed)
    if missing:
        raise SubmissionRefused(
            "every member completes the four activities before the plan is submitted; "
            f"not yet: {', '.join(sorted(missing))}",
            missing=missing,
        )
    check_plan(plan)
    return replace(plan, status="submitted")


def review(plan: Plan, outcome: ReviewOutcome, *, comment: str = "") -> Plan:
    """The plan after a review by a coach or medical advisor.

    ``comments`` adds a comment and leaves the plan submitted; ``changes_requested``
    sends it back to the group (a comment says which changes); ``accepted`` accepts it
    (then :func:`panelcare.quality.cycle.complete` each member). A non-empty ``comment``
    is kept in every case.

    Raises:
        PlanRuleError: ``plan_not_submitted`` (``status``); ``unknown_outcome``;
            ``comment_required`` for ``comments`` or ``changes_requested`` without one.
    """
    if outcome not in REVIEW_OUTCOMES:
        raise _refuse(f"unknown review outcome {outcome!r}", "unknown_outcome", "outcome")
    if plan.status != "submitted":
        raise _refuse(
            f"only a submitted plan is reviewed, this one is {plan.status}",
            "plan_not_submitted",
            status=plan.status,
        )
    if outcome != "accepted" and not comment.strip():
        raise _refuse(f"a review with {outcome} needs a comment", "comment_required", "comment")
    comments = (*plan.comments, comment) if comment.strip() else plan.comments
    new_status: PlanStatus = "submitted"  # comments leave the plan under review
    if outcome == "changes_requested":
        new_status = "changes_requested"
    elif outcome == "accepted":
        new_status = "accepted"
    return replace(plan, status=new_status, comments=comments)


def goals_completed(plan: Plan) -> int:
    """The number of the plan's goals declared completed (for the credits)."""
    return sum(1 for goal in plan.goals if goal.completed_on is not None)


def next_phase(cycle: PdsaCycle) -> Phase | None:
    """The next PDSA phase to fill, ``None`` once ``act`` is decided (the cycle is
    closed). Plan counts as filled when both its text and its prediction are."""
    if not (cycle.plan.strip() and cycle.prediction.strip()):
        return "plan"
    if not cycle.do.strip():
        return "do"
    if not cycle.study.strip():
        return "study"
    if cycle.act is None:
        return "act"
    return None


def _check_cycle(goal: Goal, cycle: PdsaCycle) -> None:
    if cycle.change_idea not in goal.change_ideas:
        raise _refuse(
            f"PDSA cycle on {cycle.change_idea!r}, not a change idea of the goal",
            "unknown_change_idea",
            "change_idea",
            change_idea=cycle.change_idea,
        )
    filled = [
        bool(cycle.plan.strip()),
        bool(cycle.do.strip()),
        bool(cycle.study.strip()),
        cycle.act is not None,
    ]
    # A filled phase after an empty one: the order plan -> do -> study -> act is broken.
    for index in range(1, len(filled)):
        if filled[index] and not filled[index - 1]:
            raise _refuse(
                f"PDSA phase {PDSA_PHASES[index]} is filled before {PDSA_PHASES[index - 1]}",
                "pdsa_out_of_order",
                PDSA_PHASES[index],
                phase=PDSA_PHASES[index],
                expected=PDSA_PHASES[index - 1],
            )
    if filled[1] and not cycle.prediction.strip():
        raise _refuse(
            "the plan of a PDSA cycle states its prediction before do",
            "missing_prediction",
            "prediction",
        )
    if cycle.act is not None and cycle.act not in ACT_DECISIONS:
        raise _refuse(f"unknown act decision {cycle.act!r}", "unknown_act", "act")


def record_phase(
    cycle: PdsaCycle,
    phase: Phase,
    text: str = "",
    *,
    prediction: str = "",
    decision: ActDecision | None = None,
) -> PdsaCycle:
    """The cycle with ``phase`` filled.

    ``plan`` takes ``text`` and ``prediction`` (both required); ``do`` and ``study`` take
    ``text``; ``act`` takes ``decision``. A filled phase may be amended until ``act`` is
    decided.

    Raises:
        PlanRuleError: ``pdsa_closed`` once act is decided; ``pdsa_out_of_order``
            (``phase``, ``expected``) when an earlier phase is empty; ``missing_prediction``
            for a plan without prediction; ``empty_phase`` for an empty text;
            ``unknown_act`` for a decision not in :data:`ACT_DECISIONS`.
    """
    expected = next_phase(cycle)
    if expected is None:
        raise _refuse("the PDSA cycle is closed (act decided)", "pdsa_closed", phase)
    if PDSA_PHASES.index(phase) > PDSA_PHASES.index(expected):
        raise _refuse(
            f"PDSA phase {phase} comes after {expected}",
            "pdsa_out_of_order",
            phase,
            phase=phase,
            expected=expected,
        )
    if phase == "act":
        if decision not in ACT_DECISIONS:
            raise _refuse(f"unknown act decision {decision!r}", "unknown_act", "act")
        return replace(cycle, act=decision)
    if not text.strip():
        raise _refuse(f"the {phase} phase is empty", "empty_phase", phase, phase=phase)
    if phase == "plan":
        if not prediction.strip():
            raise _refuse(
                "the plan of a PDSA cycle states its prediction",
                "missing_prediction",
                "prediction",
            )
        return replace(cycle, plan=text, prediction=prediction)
    if phase == "do":
        return replace(cycle, do=text)
    return replace(cycle, study=text)


def add_pdsa_cycle(goal: Goal, change_idea: str) -> Goal:
    """The goal with a new, empty PDSA cycle on ``change_idea``.

    Raises:
        PlanRuleError: ``unknown_change_idea`` when it is not one of the goal's;
            ``pdsa_previous_open`` when a cycle on the same idea is not closed yet.
    """
    if change_idea not in goal.change_ideas:
        raise _refuse(
            f"{change_idea!r} is not a change idea of the goal",
            "unknown_change_idea",
            "change_idea",
            change_idea=change_idea,
        )
    for cycle in goal.pdsa_cycles:
        if cycle.change_idea == change_idea and cycle.act is None:
            raise _refuse(
                f"a PDSA cycle on {change_idea!r} is still open",
                "pdsa_previous_open",
                "change_idea",
                change_idea=change_idea,
            )
    return replace(goal, pdsa_cycles=(*goal.pdsa_cycles, PdsaCycle(change_idea)))
