"""QI groups services: the group's Practice Improvement Plan, its goals, their PDSA cycles
and manual measurements, its submission and its review (docs/quality-plan.md §2; the
rules: :mod:`panelcare.quality.plans` and :mod:`panelcare.quality.cycle`).

* **The plan's content** (areas, goals) is written while the plan is a draft or after the
  coach requested changes; submitted or accepted, it is read only.
* **Follow-up** (PDSA cycles, measurements, a goal's completion) goes on whatever the
  plan's status: the group tests its change ideas while the plan is under review and after
  its acceptance.
* **A PDSA cycle's ``phase``** is the next phase to fill (the core's
  :func:`~panelcare.quality.plans.next_phase`), ``closed`` once act is decided.
* **Acceptance** completes every member (founder and accepted invitees): a
  :class:`~web.quality.models.Completion` with the next due date (the core's
  :func:`~panelcare.quality.cycle.complete`: + 5 years, 29 February → 28 February) and the
  credits of the version in force (:func:`~panelcare.quality.cycle.credits_earned`); the
  member's open selection is marked completed. A goal completed after the acceptance adds
  its credits to the members' completions (same credits version).

Sides are never checked here: the views ask :mod:`web.accounts.access` first. Besides the
writes, the reads the pages share with them: :func:`members`, :func:`not_completed`,
:func:`content_problem`, :func:`change_ideas`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from panelcare.quality import cycle as core_cycle
from panelcare.quality import groups as core_groups
from panelcare.quality import plans as core
from panelcare.quality.errors import RuleRefused, SubmissionRefused
from web.audit.services import record
from web.quality import messages
from web.quality.errors import PlanRefused
from web.quality.models import (
    Activity,
    Completion,
    Goal,
    GoalKind,
    Group,
    InvitationStatus,
    ManualPoint,
    PdsaCycle,
    PdsaPhase,
    Plan,
    PlanStatus,
    QualityAction,
    Review,
    ReviewOutcome,
)
from web.quality.services import reference
from web.quality.services.selection import current_cycle, cycle_name, cycle_record, open_selection
from web.regions.models import Physician

__all__ = [
    "EDITABLE",
    "change_ideas",
    "content_problem",
    "do_complete_goal",
    "do_record_manual_point",
    "do_record_pdsa_phase",
    "do_review_plan",
    "do_save_goal",
    "do_save_plan",
    "do_start_pdsa_cycle",
    "do_submit_plan",
    "members",
    "not_completed",
]

# The statuses in which the group writes its plan's content (the core's ``submit`` takes
# the same two).
EDITABLE = (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED)


# -- reads -------------------------------------------------------------------------------


def members(group: Group) -> list[Physician]:
    """The group's members: its founder, then the accepted invitees by name."""
    invitees = Physician.objects.filter(
        qi_invitations__group=group, qi_invitations__status=InvitationStatus.ACCEPTED
    ).order_by("name")
    return [group.founder, *invitees]


def _completed_activities(group: Group, people: list[Physician]) -> dict[int, list[str]]:
    done: dict[int, list[str]] = {physician.pk: [] for physician in people}
    rows = Activity.objects.filter(group=group, completed_on__isnull=False).values_list(
        "physician_id", "kind"
    )
    for physician_id, kind in rows:
        if physician_id in done:
            done[physician_id].append(kind)
    return done


def not_completed(group: Group) -> list[Physician]:
    """The members who have not completed the four activities yet (the core's
    :func:`~panelcare.quality.plans.who_has_not_completed`), in :func:`members` order."""
    people = members(group)
    done = _completed_activities(group, people)
    missing = core.who_has_not_completed({str(pk): kinds for pk, kinds in done.items()})
    return [physician for physician in people if str(physician.pk) in missing]


def change_ideas(goal: Goal) -> tuple[str, ...]:
    """The goal's change ideas: one a line of ``change_ideas``."""
    return tuple(line.strip() for line in goal.change_ideas.splitlines() if line.strip())


def _core_cycle(pdsa: PdsaCycle) -> core.PdsaCycle:
    return core.PdsaCycle(
        change_idea=pdsa.change_idea,
        plan=pdsa.plan_text,
        prediction=pdsa.prediction,
        do=pdsa.do_text,
        study=pdsa.study_text,
        act=pdsa.act or None,
    )


def _core_goal(goal: Goal) -> core.Goal:
    return core.Goal(
        title=goal.title,
        kind=goal.kind,
        measure=core.Measure(indicator=goal.indicator or None, definition=goal.definition),
        baseline=float(goal.baseline),
        target=float(goal.target),
        target_date=goal.target_date,
        change_ideas=change_ideas(goal),
        pdsa_cycles=tuple(_core_cycle(pdsa) for pdsa in goal.cycles.all()),
        completed_on=goal.completed_on,
    )


def _core_plan(plan: Plan) -> core.Plan:
    return core.Plan(
        strengths=plan.strengths,
        improvements=plan.improvements,
        goals=tuple(_core_goal(goal) for goal in plan.goals.prefetch_related("cycles")),
        status=plan.status,
    )


def content_problem(plan: Plan | None) -> str | None:
    """What the core's :func:`~panelcare.quality.plans.check_plan` finds wrong with the
    plan's content, as a sentence; ``None`` when it is ready to submit."""
    if plan is None:
        return str(_("The plan is not written yet."))
    try:
        core.check_plan(_core_plan(plan))
    except RuleRefused as error:
        return messages.refusal(error)
    return None


# -- writes ------------------------------------------------------------------------------


def _today(on: datetime.date | None) -> datetime.date:
    return on if on is not None else timezone.localdate()


def _lock(group: Group) -> None:
    """Lock the group's row: the writes on one plan are serialised (two members saving at
    once, a submission while a goal is saved)."""
    Group.objects.select_for_update().filter(pk=group.pk).first()


def _refused(error: RuleRefused, names: Mapping[str, str] | None = None) -> PlanRefused:
    return PlanRefused(messages.refusal(error, names=names))


def _check_editable(plan: Plan) -> None:
    if plan.status == PlanStatus.SUBMITTED:
        raise PlanRefused(
            _("The plan is under review: it is changed again only if the coach requests changes.")
        )
    if plan.status == PlanStatus.ACCEPTED:
        raise PlanRefused(_("The plan is accepted: its content is not changed any more."))


def _audit(action: str, plan: Plan, *, subject: Any, acting_user: Any, **details: Any) -> None:
    group = plan.group
    record(
        action,
        region=group.region,
        acting_user=acting_user,
        subject=subject,
        group=group.pk,
        plan=plan.pk,
        **details,
    )


def do_save_plan(group: Group, *, strengths: str, improvements: str, acting_user: Any) -> Plan:
    """Save the plan's areas of strength and for improvement; the first save creates the
    group's plan.

    Records PLAN_SAVED in the same transaction.

    Raises:
        PlanRefused: the plan is under review or accepted.
    """
    with transaction.atomic():
        _lock(group)
        plan, created = Plan.objects.get_or_create(group=group)
        _check_editable(plan)
        plan.strengths = strengths.strip()
        plan.improvements = improvements.strip()
        plan.save(update_fields=["strengths", "improvements"])
        _audit(
            QualityAction.PLAN_SAVED, plan, subject=plan, acting_user=acting_user, created=created
        )
    return plan


def do_save_goal(
    group: Group, values: Mapping[str, Any], *, goal: Goal | None = None, acting_user: Any
) -> Goal:
    """Save a new goal of the group's plan (``goal`` ``None``) or change ``goal``.

    Args:
        values: ``title``, ``kind``, ``indicator`` (a code or blank: a manual measure),
            ``definition``, ``baseline``, ``target`` (decimals), ``target_date``,
            ``change_ideas`` (one a line).

    Records GOAL_SAVED in the same transaction.

    Raises:
        PlanRefused: the plan is not editable; the goal is completed; the goal is not
            SMART (the core's :func:`~panelcare.quality.plans.check_goal`, a change idea
            removed while a PDSA cycle tests it included); a second self-care goal.
    """
    with transaction.atomic():
        _lock(group)
        plan, _created = Plan.objects.get_or_create(group=group)
        _check_editable(plan)
        if goal is not None:
            goal.refresh_from_db()
            if goal.completed_on is not None:
                raise PlanRefused(_("This goal is completed: it is not changed any more."))
        ideas = "\n".join(
            line.strip() for line in values["change_ideas"].splitlines() if line.strip()
        )
        candidate = core.Goal(
            title=values["title"],
            kind=values["kind"],
            measure=core.Measure(
                indicator=values["indicator"] or None, definition=values["definition"].strip()
            ),
            baseline=float(values["baseline"]),
            target=float(values["target"]),
            target_date=values["target_date"],
            change_ideas=tuple(ideas.splitlines()),
            pdsa_cycles=tuple(_core_cycle(c) for c in goal.cycles.all()) if goal else (),
        )
        try:
            core.check_goal(candidate)
        except RuleRefused as error:
            raise _refused(error) from error
        if values["kind"] == GoalKind.SELF_CARE:
            others = plan.goals.filter(kind=GoalKind.SELF_CARE)
            if goal is not None:
                others = others.exclude(pk=goal.pk)
            if others.count() + 1 > core.MAX_SELF_CARE_GOALS:
                sentence = messages.SENTENCES["too_many_self_care_goals"]
                raise PlanRefused(str(sentence) % {"max": core.MAX_SELF_CARE_GOALS})
        created = goal is None
        if goal is None:
            last = plan.goals.aggregate(last=Max("position"))["last"]
            goal = Goal(plan=plan, position=(last or 0) + 1)
        goal.title = values["title"].strip()
        goal.kind = values["kind"]
        goal.indicator = values["indicator"] or ""
        goal.definition = values["definition"].strip()
        goal.baseline = values["baseline"]
        goal.target = values["target"]
        goal.target_date = values["target_date"]
        goal.change_ideas = ideas
        if created:
            goal.save()
        else:
            goal.save(
                update_fields=[
                    "title",
                    "kind",
                    "indicator",
                    "definition",
                    "baseline",
                    "target",
                    "target_date",
                    "change_ideas",
                ]
            )
        _audit(
            QualityAction.GOAL_SAVED,
            plan,
            subject=goal,
            acting_user=acting_user,
            goal=goal.pk,
            created=created,
            kind=goal.kind,
            indicator=goal.indicator,
        )
    return goal


def do_start_pdsa_cycle(
    goal: Goal,
    *,
    change_idea: str,
    plan_text: str,
    prediction: str,
    on: datetime.date | None = None,
    acting_user: Any,
) -> PdsaCycle:
    """Start a PDSA cycle testing one of the goal's change ideas, its plan phase (with
    its prediction) filled (the core's ``add_pdsa_cycle`` and ``record_phase``).

    Records PDSA_RECORDED in the same transaction.

    Raises:
        PlanRefused: the goal is completed; an unknown change idea; a cycle on the same
            idea still open; an empty plan or prediction.
    """
    plan = goal.plan
    with transaction.atomic():
        _lock(plan.group)
        goal.refresh_from_db()
        if goal.completed_on is not None:
            raise PlanRefused(_("This goal is completed: no new PDSA cycle is started."))
        try:
            tested = core.add_pdsa_cycle(_core_goal(goal), change_idea)
            filled = core.record_phase(
                tested.pdsa_cycles[-1], "plan", plan_text, prediction=prediction
            )
        except RuleRefused as error:
            raise _refused(error) from error
        pdsa = PdsaCycle.objects.create(
            goal=goal,
            change_idea=filled.change_idea,
            plan_text=filled.plan,
            prediction=filled.prediction,
            phase=core.next_phase(filled) or PdsaPhase.CLOSED,
            started_on=_today(on),
        )
        _audit(
            QualityAction.PDSA_RECORDED,
            plan,
            subject=pdsa,
            acting_user=acting_user,
            goal=goal.pk,
            cycle=pdsa.pk,
            phase="plan",
        )
    return pdsa


def do_record_pdsa_phase(
    pdsa: PdsaCycle,
    phase: str,
    *,
    text: str = "",
    prediction: str = "",
    decision: str = "",
    on: datetime.date | None = None,
    acting_user: Any,
) -> PdsaCycle:
    """Fill (or amend) ``phase`` of a PDSA cycle: ``plan`` takes ``text`` and
    ``prediction``, ``do`` and ``study`` take ``text``, ``act`` takes ``decision``
    (adapt, adopt or abandon) and closes the cycle on ``on``; phases in order (the core's
    :func:`~panelcare.quality.plans.record_phase`).

    Records PDSA_RECORDED in the same transaction.

    Raises:
        PlanRefused: ``pdsa_out_of_order``, ``pdsa_closed``, ``missing_prediction``,
            ``empty_phase``, ``unknown_act``.
    """
    plan = pdsa.goal.plan
    with transaction.atomic():
        _lock(plan.group)
        pdsa.refresh_from_db()
        if phase not in core.PDSA_PHASES:
            raise PlanRefused(_("A PDSA cycle has four phases: plan, do, study and act."))
        try:
            filled = core.record_phase(
                _core_cycle(pdsa),
                phase,
                text,
                prediction=prediction,
                decision=decision or None,
            )
        except RuleRefused as error:
            raise _refused(error) from error
        pdsa.plan_text = filled.plan
        pdsa.prediction = filled.prediction
        pdsa.do_text = filled.do
        pdsa.study_text = filled.study
        pdsa.act = filled.act or ""
        pdsa.phase = core.next_phase(filled) or PdsaPhase.CLOSED
        if filled.act is not None:
            pdsa.closed_on = _today(on)
        pdsa.save(
            update_fields=[
                "plan_text",
                "prediction",
                "do_text",
                "study_text",
                "act",
                "phase",
                "closed_on",
            ]
        )
        _audit(
            QualityAction.PDSA_RECORDED,
            plan,
            subject=pdsa,
            acting_user=acting_user,
            goal=pdsa.goal_id,
            cycle=pdsa.pk,
            phase=phase,
            decision=pdsa.act,
        )
    return pdsa


def do_record_manual_point(
    goal: Goal,
    *,
    month: datetime.date,
    value: Any,
    on: datetime.date | None = None,
    acting_user: Any,
) -> ManualPoint:
    """Record the value of the goal's manual measure for the month of ``month`` (its
    first day is kept); one point a month, none for a month to come.

    Records POINT_RECORDED in the same transaction.

    Raises:
        PlanRefused: the goal is measured by a platform indicator (the platform computes
            its points); a month to come; a month already recorded.
    """
    plan = goal.plan
    first = month.replace(day=1)
    with transaction.atomic():
        _lock(plan.group)
        if goal.indicator:
            raise PlanRefused(
                _(
                    "This goal is measured by a figure of the platform: its points are "
                    "computed, not typed."
                )
            )
        if first > _today(on).replace(day=1):
            raise PlanRefused(_("A measurement is recorded once its month has begun."))
        if goal.points.filter(month=first).exists():
            raise PlanRefused(
                _("The measurement of %(month)s is already recorded for this goal.")
                % {"month": date_format(first, "YEAR_MONTH_FORMAT")}
            )
        point = ManualPoint.objects.create(
            goal=goal, month=first, value=value, recorded_by=acting_user
        )
        _audit(
            QualityAction.POINT_RECORDED,
            plan,
            subject=point,
            acting_user=acting_user,
            goal=goal.pk,
            month=first.isoformat(),
            value=str(value),
        )
    return point


def _credits(
    table: core_cycle.CreditsTable, activities: list[str], goals_completed: int
) -> dict[str, Any]:
    """A member's credits once the plan is accepted (the core's ``credits_earned``), as
    :attr:`Completion.credits` keeps them."""
    earned = core_cycle.credits_earned(
        table,
        activities_completed=activities,
        plan_accepted=True,
        goals_completed=goals_completed,
    )
    return {
        "activities": dict(earned.activities),
        "plan": earned.plan,
        "goals": earned.goals,
        "goals_completed": goals_completed,
        "total": earned.total,
    }


def do_complete_goal(goal: Goal, *, on: datetime.date | None = None, acting_user: Any) -> Goal:
    """Declare ``goal`` completed on ``on``. Once the plan is accepted, the members'
    completions count its credits (their credits version's per completed goal, up to its
    cap).

    Records GOAL_COMPLETED in the same transaction.

    Raises:
        PlanRefused: the goal is already completed.
    """
    plan = goal.plan
    day = _today(on)
    with transaction.atomic():
        _lock(plan.group)
        goal.refresh_from_db()
        if goal.completed_on is not None:
            raise PlanRefused(
                _("This goal was completed on %(day)s.")
                % {"day": date_format(goal.completed_on, "DATE_FORMAT")}
            )
        goal.completed_on = day
        goal.save(update_fields=["completed_on"])
        completions = list(plan.group.completions.select_related("credits_version"))
        if completions:
            goals_done = plan.goals.filter(completed_on__isnull=False).count()
            for completion in completions:
                table = reference.credits_table(completion.credits_version)
                activities = list(completion.credits.get("activities", {}))
                completion.credits = _credits(table, activities, goals_done)
                completion.save(update_fields=["credits"])
        _audit(
            QualityAction.GOAL_COMPLETED,
            plan,
            subject=goal,
            acting_user=acting_user,
            goal=goal.pk,
            completed_on=day.isoformat(),
            completions_updated=len(completions),
        )
    return goal


def do_submit_plan(group: Group, *, on: datetime.date | None = None, acting_user: Any) -> Plan:
    """Submit the group's plan for review (the core's :func:`~panelcare.quality.plans.submit`):
    every member has completed the four activities, the plan names its areas and has at
    least two SMART goals, one self-care goal at most.

    Records PLAN_SUBMITTED in the same transaction.

    Raises:
        PlanRefused: the plan is not written, under review or accepted; a group of one;
            members have not
            completed their activities (named; ``missing``: name → activity codes); the
            content's first problem.
    """
    with transaction.atomic():
        _lock(group)
        plan = Plan.objects.filter(group=group).first()
        if plan is None:
            raise PlanRefused(_("The plan is not written yet."))
        people = members(group)
        if len(people) < core_groups.MIN_MEMBERS:
            # A founder alone is not a group: the requirement is met by a group's plan.
            raise PlanRefused(
                _("The group is not formed yet: a plan is submitted by two members or more.")
            )
        names = {str(physician.pk): physician.name for physician in people}
        done = _completed_activities(group, people)
        try:
            core.submit(_core_plan(plan), completed={str(pk): k for pk, k in done.items()})
        except SubmissionRefused as error:
            missing = {names[pk]: kinds for pk, kinds in error.missing.items()}
            raise PlanRefused(messages.refusal(error, names=names), missing=missing) from error
        except RuleRefused as error:
            raise _refused(error, names) from error
        plan.status = PlanStatus.SUBMITTED
        plan.submitted_on = _today(on)
        plan.submitted_by = acting_user
        plan.save(update_fields=["status", "submitted_on", "submitted_by"])
        _audit(
            QualityAction.PLAN_SUBMITTED,
            plan,
            subject=plan,
            acting_user=acting_user,
            submitted_on=plan.submitted_on.isoformat(),
            goals=plan.goals.count(),
        )
    return plan


def _complete_members(plan: Plan, day: datetime.date) -> list[Completion]:
    """A completion for every member of the accepted plan's group; their open selection
    marked completed."""
    group = plan.group
    version = reference.credits_in_force(group.region)
    table = reference.credits_table(version)
    people = members(group)
    done = _completed_activities(group, people)
    goals_done = core.goals_completed(_core_plan(plan))
    completions = []
    for physician in people:
        selection = open_selection(physician)
        if selection is not None:
            before = cycle_record(selection)
        else:  # a peer not selected joins and completes too (the core's complete)
            name = cycle_name(current_cycle(day))
            before = core_cycle.CycleRecord(str(physician.pk), name)
        try:
            after = core_cycle.complete(before, accepted_on=day)
        except RuleRefused as error:
            raise _refused(error) from error
        assert after.due is not None  # a completed record has its next due date
        completions.append(
            Completion.objects.create(
                physician=physician,
                group=group,
                selection=selection,
                accepted_on=day,
                due=after.due,
                credits=_credits(table, done[physician.pk], goals_done),
                credits_version=version,
            )
        )
        if selection is not None:
            selection.completed_on = day
            selection.save(update_fields=["completed_on"])
    return completions


def do_review_plan(
    plan: Plan,
    outcome: str,
    comment: str = "",
    *,
    on: datetime.date | None = None,
    acting_user: Any,
) -> Review:
    """Review the submitted plan (the group's coach; the view checks it): ``comments``
    leaves it under review, ``changes_requested`` gives it back to the group,
    ``accepted`` accepts it and completes every member (see the module docstring).

    Records PLAN_REVIEWED in the same transaction.

    Raises:
        PlanRefused: the plan is not submitted; an unknown outcome; no comment for
            comments or changes requested; an acceptance while a member has not completed
            the four activities.
    """
    day = _today(on)
    with transaction.atomic():
        _lock(plan.group)
        plan.refresh_from_db()
        try:
            reviewed = core.review(
                _core_plan(plan),
                outcome,
                comment=comment,
            )
        except RuleRefused as error:
            raise _refused(error) from error
        review = Review.objects.create(
            plan=plan,
            reviewer=acting_user,
            outcome=outcome,
            comment=comment.strip(),
            reviewed_on=day,
        )
        plan.status = reviewed.status
        fields = ["status"]
        completions: list[Completion] = []
        if outcome == ReviewOutcome.ACCEPTED:
            # Whoever is a member on the day of acceptance is completed: each of them
            # must have done the four activities (the submission checked those of then).
            missing = not_completed(plan.group)
            if missing:
                raise PlanRefused(
                    _(
                        "The plan cannot be accepted: %(names)s did not complete the four activities."
                    )
                    % {"names": ", ".join(physician.name for physician in missing)}
                )
            plan.accepted_on = day
            fields.append("accepted_on")
            completions = _complete_members(plan, day)
        plan.save(update_fields=fields)
        _audit(
            QualityAction.PLAN_REVIEWED,
            plan,
            subject=review,
            acting_user=acting_user,
            outcome=outcome,
            reviewed_on=day.isoformat(),
            completions=[
                {
                    "physician": c.physician.code,
                    "due": c.due.isoformat(),
                    "credits": c.credits["total"],
                }
                for c in completions
            ],
        )
    return review
