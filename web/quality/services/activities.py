"""QI groups services: the four individual activities and the QI Survey's questionnaire
(docs/quality-plan.md, section 2; the steps and their rules: :mod:`web.quality.activities`).

A member's activity is created by its first saved step and keeps its answers step by
step (``answers[step key]``), so that the stepper resumes where it was left. Only the
fields of a step are stored: a key of no field is refused, which is how the chart review
holds counts and reflections and never a patient's identity. A completed activity is
kept as it was completed (further saves are refused). The QI Survey answers the version
of the questionnaire in force when the member started it, whatever the coach publishes
afterwards.

Sides are never checked here: the views ask :mod:`web.accounts.access` first.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from web.audit.services import record
from web.quality import activities
from web.quality.errors import ActivityRefused
from web.quality.models import Activity, ActivityKind, Group, QualityAction, SurveyVersion
from web.regions.models import Physician, Region

__all__ = [
    "do_complete_activity",
    "do_publish_survey",
    "do_save_activity_step",
    "do_share_activity",
]


def _refuse_if_completed(activity: Activity) -> None:
    if activity.completed_on is not None:
        raise ActivityRefused(
            _("This activity was completed on %(day)s: its answers are kept as they were.")
            % {"day": date_format(activity.completed_on, "DATE_FORMAT")}
        )


def do_save_activity_step(
    group: Group,
    physician: Physician,
    kind: str,
    step_key: str,
    values: Mapping[str, Any],
    *,
    acting_user: Any,
) -> Activity:
    """Save ``values`` as ``physician``'s answers to step ``step_key`` of activity
    ``kind`` in ``group``, and move the activity's saved step past it (never back: going
    back to correct a step keeps the furthest step reached).

    The first save creates the activity; a QI Survey then keeps the version in force.
    Records ACTIVITY_SAVED (the step, never the answers) in the same transaction.

    Raises:
        ActivityRefused: an unknown kind or step; a QI Survey while none is published;
            ``values`` the step refuses (:func:`web.quality.activities.check_step`: a key
            of no field, a value out of its kind or bounds, counts above the charts
            reviewed); a completed activity.
    """
    if kind not in ActivityKind.values:
        raise ActivityRefused(_("This is not an activity of the program."))
    with transaction.atomic():
        # Lock the physician: two first saves at once are serialised, and the second
        # finds the activity the first created instead of hitting the unique constraint.
        Physician.objects.select_for_update().filter(pk=physician.pk).first()
        activity = (
            Activity.objects.select_for_update()
            .filter(group=group, physician=physician, kind=kind)
            .first()
        )
        if activity is None:
            survey = None
            if kind == ActivityKind.QI_SURVEY:
                survey = activities.survey_in_force(group.region_id)
                if survey is None:
                    raise ActivityRefused(
                        _("No QI survey is published yet: your coach publishes it first.")
                    )
            activity = Activity(group=group, physician=physician, kind=kind, survey=survey)
        _refuse_if_completed(activity)
        steps = activities.steps_of(kind, activity.survey)
        keys = [step.key for step in steps]
        if step_key not in keys:
            raise ActivityRefused(_("This is not a step of the activity."))
        step = steps[keys.index(step_key)]
        errors = activities.check_step(step, values, activity.answers)
        if errors:
            raise ActivityRefused(" ".join(errors))
        activity.answers = {**activity.answers, step_key: dict(values)}
        activity.step = max(activity.step, min(keys.index(step_key) + 1, len(steps) - 1))
        if activity.pk is None:
            activity.save()
        else:
            activity.save(update_fields=["answers", "step", "updated_at"])
        record(
            QualityAction.ACTIVITY_SAVED,
            region=group.region,
            acting_user=acting_user,
            subject=activity,
            group=group.pk,
            physician=physician.code,
            kind=kind,
            step=step_key,
        )
    return activity


def do_complete_activity(
    activity: Activity, *, on: datetime.date | None = None, acting_user: Any
) -> Activity:
    """Mark ``activity`` completed on ``on`` (today by default; the demo dates its
    records in the past).

    Records ACTIVITY_COMPLETED in the same transaction.

    Raises:
        ActivityRefused: a step not saved or with a required answer missing (the steps
            named); saved answers a step refuses now (a chart review whose counts exceed
            the charts reviewed after the criteria changed); already completed.
    """
    with transaction.atomic():
        activity.refresh_from_db(from_queryset=Activity.objects.select_for_update())
        _refuse_if_completed(activity)
        steps = activities.steps_of(activity.kind, activity.survey)
        missing = activities.missing_steps(steps, activity.answers)
        if missing:
            raise ActivityRefused(
                _("Complete every step first; still to complete: %(steps)s.")
                % {"steps": ", ".join(str(step.title) for step in missing)}
            )
        errors = [
            error
            for step in steps
            for error in activities.check_step(
                step, activity.answers.get(step.key, {}), activity.answers
            )
        ]
        if errors:
            raise ActivityRefused(" ".join(errors))
        activity.completed_on = on or timezone.localdate()
        activity.save(update_fields=["completed_on", "updated_at"])
        record(
            QualityAction.ACTIVITY_COMPLETED,
            region=activity.group.region,
            acting_user=acting_user,
            subject=activity,
            group=activity.group_id,
            physician=activity.physician.code,
            kind=activity.kind,
            completed_on=activity.completed_on.isoformat(),
        )
    return activity


def do_share_activity(activity: Activity, shared: bool, *, acting_user: Any) -> Activity:
    """Share ``activity``'s answers with the group's members and its coach, or stop
    sharing them. Nothing is written when it already is as asked.

    Records ACTIVITY_SHARED (``shared``: true or false) in the same transaction.
    """
    with transaction.atomic():
        activity.refresh_from_db(from_queryset=Activity.objects.select_for_update())
        if activity.shared == shared:
            return activity
        activity.shared = shared
        activity.save(update_fields=["shared", "updated_at"])
        record(
            QualityAction.ACTIVITY_SHARED,
            region=activity.group.region,
            acting_user=acting_user,
            subject=activity,
            group=activity.group_id,
            physician=activity.physician.code,
            kind=activity.kind,
            shared=shared,
        )
    return activity


def do_publish_survey(
    region: Region, questions: Sequence[Mapping[str, Any]], *, acting_user: Any
) -> SurveyVersion:
    """Publish ``questions`` (``key``, ``text``, ``kind``, ``choices``) as the region's
    next QI Survey version (its number: the latest + 1). Activities already started keep
    their version; those started from now on answer this one.

    Records SURVEY_PUBLISHED in the same transaction.

    Raises:
        ActivityRefused: questions :func:`web.quality.activities.check_questions`
            refuses (none, a key malformed or used twice, no text, no kind, a choice
            question with fewer than two choices).
    """
    errors = activities.check_questions(questions)
    if errors:
        raise ActivityRefused(" ".join(errors))
    cleaned = []
    for question in questions:
        row = {
            "key": str(question["key"]),
            "text": str(question["text"]).strip(),
            "kind": question["kind"],
        }
        if question["kind"] == "choice":
            # Each choice once, in the order written.
            choices = [str(choice).strip() for choice in question.get("choices") or ()]
            row["choices"] = list(dict.fromkeys(choice for choice in choices if choice))
        cleaned.append(row)
    with transaction.atomic():
        # Lock the region: two coaches publishing at once get numbers n+1 and n+2.
        Region.objects.select_for_update().filter(pk=region.pk).first()
        latest = SurveyVersion.objects.filter(region=region).aggregate(latest=Max("number"))
        survey = SurveyVersion.objects.create(
            region=region,
            number=(latest["latest"] or 0) + 1,
            questions=cleaned,
            created_by=acting_user,
        )
        record(
            QualityAction.SURVEY_PUBLISHED,
            region=region,
            acting_user=acting_user,
            subject=survey,
            number=survey.number,
            questions=[row["key"] for row in cleaned],
        )
    return survey
