"""The quality core's codes said in the reader's language.

The core (:mod:`panelcare.quality`) refuses with a ``code`` and ``params`` (strings) and an
English message for logs; a page says :func:`refusal` instead: one whole translated
sentence per code, its params made readable (a plan status, a PDSA phase, an indicator by
their labels; a physician by name when the caller gives the names). Every part of the
quality pages uses it (groups, cycle, plans, run charts); ``tests/test_messages.py``
checks that every code the core raises has its sentence here.

The core's other codes a page shows are labelled here too: the composition bases
(:data:`BASIS_LABELS`) and the cycle statuses (:data:`STATUS_LABELS`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from panelcare.quality.errors import CreditsTableError, RuleRefused
from web.quality.models import ActivityKind, Indicator, PdsaPhase, PlanStatus

__all__ = ["BASIS_LABELS", "SENTENCES", "STATUS_LABELS", "basis_label", "refusal", "status_label"]

# The composition bases of a group (panelcare.quality.groups.BASES), as the form and the
# group page say them.
BASIS_LABELS: dict[str, Promise] = {
    "practice_setting": _("Same practice setting or community"),
    "area_of_practice": _("Same area of practice (e.g. palliative care)"),
    "problem_based_learning": _("Problem-based learning group"),
    "health_team_gmf": _("Health team: the same GMF"),
    "health_team_rls": _("Health team: the same RLS"),
}

# A physician's place in the cycle (panelcare.quality.cycle.STATUSES).
STATUS_LABELS: dict[str, Promise] = {
    "not_selected": _("Not selected"),
    "selected": pgettext_lazy("quality cycle", "Selected"),
    "deferred": pgettext_lazy("quality cycle", "Deferred"),
    "met": _("Requirement met"),
    "overdue": pgettext_lazy("quality cycle", "Overdue"),
}

# One sentence per code of panelcare.quality (groups, cycle, plans, runcharts); the named
# placeholders are the code's params, made readable by :func:`refusal`.
SENTENCES: dict[str, Promise] = {
    # groups
    "founder_not_selected": _(
        "Only a physician selected for the quality improvement cycle can form a group."
    ),
    "no_basis": _("Choose at least one basis on which the group is formed."),
    "unknown_basis": _("“%(basis)s” is not a basis on which a group is formed."),
    "group_full": _(
        "A group has at most %(max)s members, counting the pending invitations: this one is full."
    ),
    "already_invited": _("%(physician)s is already invited to this group or a member of it."),
    "self_invitation": _("The founder is already a member of the group."),
    "no_pending_invitation": _("%(physician)s has no pending invitation to this group."),
    # cycle
    "due_before_selection": _("The due date (%(due)s) is before the selection (%(selected_on)s)."),
    "not_selected": _("This physician is not selected for the cycle."),
    "already_completed": _("This physician has already met the requirement of this cycle."),
    "already_deferred": _(
        "A deferral was already recorded on %(deferred_on)s: a cycle is deferred once only."
    ),
    "deferral_too_late": _(
        "A deferral is recorded on or before the due date (%(due)s), not after it."
    ),
    "unknown_activity": _("“%(activity)s” is not an activity of the program."),
    "negative_goals": _("The number of completed goals cannot be negative."),
    # plans: goals
    "unknown_goal_kind": _("A goal is a practice goal or a physician health and self-care goal."),
    "missing_measure": _(
        "Each goal is measured: choose a platform indicator or define a manual measure."
    ),
    "unknown_indicator": _("“%(indicator)s” is not an indicator of the platform."),
    "missing_definition": _("A manual measure needs its definition."),
    "missing_baseline": _("Each goal needs its baseline."),
    "missing_target": _("Each goal needs its target."),
    "target_equals_baseline": _("The target equals the baseline: a goal aims at a change."),
    "missing_target_date": _("Each goal needs its target date."),
    "no_change_idea": _("Each goal needs at least one change idea."),
    # plans: the plan
    "missing_strengths": _("The plan names at least one area of strength."),
    "missing_improvements": _("The plan names at least one area for improvement."),
    "too_few_goals": _("The plan has at least %(min)s goals."),
    "too_many_self_care_goals": _(
        "At most %(max)s goal of the plan may be a physician health and self-care goal."
    ),
    "plan_not_editable": _("A plan that is %(status)s cannot be submitted."),
    "no_members": _("The group has no member."),
    "members_incomplete": _(
        "Every member completes the four activities before the plan is submitted; not yet: "
        "%(members)s."
    ),
    "unknown_outcome": _("A review makes comments, requests changes or accepts the plan."),
    "plan_not_submitted": _("Only a submitted plan is reviewed; this one is %(status)s."),
    "comment_required": _("Write a comment: it tells the group what to change."),
    # plans: PDSA cycles
    "unknown_change_idea": _("“%(change_idea)s” is not a change idea of this goal."),
    "pdsa_out_of_order": _(
        "The phases of a PDSA cycle are filled in order: %(expected)s before %(phase)s."
    ),
    "missing_prediction": _("The plan of a PDSA cycle states its prediction."),
    "unknown_act": _("Act decides to adapt, adopt or abandon the change."),
    "pdsa_closed": _("This PDSA cycle is closed: its act decision was recorded."),
    "empty_phase": _("Describe the %(phase)s phase."),
    "pdsa_previous_open": _(
        "A PDSA cycle on “%(change_idea)s” is still open: close it before starting another."
    ),
    # run charts
    "no_points": _("A run chart needs at least one point."),
    "not_a_number": _("Point %(index)s of the series is not a number."),
    "baseline_out_of_range": _(
        "The baseline (%(baseline)s points) is longer than the series (%(points)s points)."
    ),
}

# Whatever code a newer core raises before its sentence is written here.
_FALLBACK = _("The rules of the quality improvement program refuse this action.")


class _Values(dict[str, Any]):
    """A sentence's values: a param the core did not send reads as nothing, never a
    KeyError in front of the user."""

    def __missing__(self, key: str) -> str:
        return ""


def _label(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _day(iso: str) -> str:
    try:
        return str(date_format(datetime.date.fromisoformat(iso), "DATE_FORMAT"))
    except ValueError:
        return iso


def refusal(error: Exception, *, names: Mapping[str, str] | None = None) -> str:
    """The French (the reader's language) sentence of a quality core error.

    Args:
        error: a :class:`~panelcare.quality.errors.RuleRefused` (its ``code`` and
            ``params``) or a :class:`~panelcare.quality.errors.CreditsTableError`.
        names: physicians' names by the ids the core was given (``{"12": "Dre Anne
            Gagnon"}``), for the ``physician`` and ``members`` params; an id without a
            name is shown as it is.

    Returns:
        One whole sentence.
    """
    if isinstance(error, CreditsTableError):
        return str(
            _("The credits table is ill-formed (%(key)s): %(problem)s")
            % {"key": error.key or "—", "problem": error.message}
        )
    if not isinstance(error, RuleRefused):
        return str(_FALLBACK)
    names = names or {}
    params = _Values(error.params or {})
    if "physician" in params:
        params["physician"] = names.get(params["physician"], params["physician"])
    if error.code == "members_incomplete":
        missing = getattr(error, "missing", None) or {}
        ids = sorted(missing) if missing else params.get("members", "").split(", ")
        params["members"] = ", ".join(names.get(member, member) for member in ids if member)
    if "status" in params:
        params["status"] = _label(PlanStatus, params["status"]).lower()
    for key in ("phase", "expected"):
        if key in params:
            params[key] = _label(PdsaPhase, params[key])
    for key in ("due", "selected_on", "deferred_on"):
        if key in params:
            params[key] = _day(params[key])
    if "indicator" in params:
        params["indicator"] = _label(Indicator, params["indicator"])
    if "activity" in params:
        params["activity"] = _label(ActivityKind, params["activity"])
    if "basis" in params and params["basis"] in BASIS_LABELS:
        params["basis"] = str(BASIS_LABELS[params["basis"]])
    sentence = SENTENCES.get(error.code, _FALLBACK)
    return str(sentence) % params


def basis_label(code: str) -> str:
    """A composition basis as the pages say it (its code when unknown)."""
    return str(BASIS_LABELS.get(code, code))


def status_label(code: str) -> str:
    """A cycle status as the pages say it."""
    return str(STATUS_LABELS.get(code, code))
