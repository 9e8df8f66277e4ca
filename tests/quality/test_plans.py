"""The Practice Improvement Plan: two goals, at most one self-care goal, SMART goals, PDSA
order, submission only when every member completed the four activities, review."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from panelcare.quality.errors import PlanRuleError, SubmissionRefused
from panelcare.quality.plans import (
    ACTIVITIES,
    Goal,
    Measure,
    PdsaCycle,
    Plan,
    add_pdsa_cycle,
    check_goal,
    check_plan,
    goals_completed,
    next_phase,
    record_phase,
    review,
    submit,
    who_has_not_completed,
)

ASSIDUITY = Goal(
    title="Raise the assiduity rate from 72 % to 80 % by June 2027",
    measure=Measure(indicator="assiduity_rate"),
    baseline=72.0,
    target=80.0,
    target_date=date(2027, 6, 30),
    change_ideas=("open same-day slots", "call back no-shows"),
)
PANEL = replace(
    ASSIDUITY,
    title="Register 150 more patients by December 2027",
    measure=Measure(indicator="panel_size"),
    baseline=1350,
    target=1500,
)
SELF_CARE = Goal(
    title="One protected half-day a month",
    kind="self_care",
    measure=Measure(definition="half-days without clinical work per month, from my agenda"),
    baseline=0,
    target=1,
    target_date=date(2027, 6, 30),
    change_ideas=("block the agenda",),
)
PLAN = Plan(strengths="continuity", improvements="access", goals=(ASSIDUITY, PANEL))
EVERYONE = {"p-1": ACTIVITIES, "p-2": ACTIVITIES}


def _code(call) -> str:
    with pytest.raises(PlanRuleError) as refused:
        call()
    return refused.value.code


def test_it_accepts_two_goals_and_refuses_one():
    check_plan(PLAN)
    assert _code(lambda: check_plan(replace(PLAN, goals=(ASSIDUITY,)))) == "too_few_goals"


def test_it_allows_one_self_care_goal_and_refuses_two():
    check_plan(replace(PLAN, goals=(ASSIDUITY, SELF_CARE)))
    two = replace(SELF_CARE, title="Sleep seven hours")
    plan = replace(PLAN, goals=(ASSIDUITY, SELF_CARE, two))
    assert _code(lambda: check_plan(plan)) == "too_many_self_care_goals"
    # Two goals both self-care: refused too (one of them must be about the practice).
    assert _code(lambda: check_plan(replace(PLAN, goals=(SELF_CARE, two)))) == (
        "too_many_self_care_goals"
    )


def test_it_refuses_a_plan_without_strengths_or_improvements():
    assert _code(lambda: check_plan(replace(PLAN, strengths=" "))) == "missing_strengths"
    assert _code(lambda: check_plan(replace(PLAN, improvements=""))) == "missing_improvements"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"measure": None}, "missing_measure"),
        ({"measure": Measure(indicator="wait_time")}, "unknown_indicator"),
        ({"measure": Measure(definition="  ")}, "missing_definition"),
        ({"baseline": None}, "missing_baseline"),
        ({"target": None}, "missing_target"),
        ({"target": 72.0}, "target_equals_baseline"),
        ({"target_date": None}, "missing_target_date"),
        ({"change_ideas": ()}, "no_change_idea"),
    ],
)
def test_it_refuses_a_goal_that_is_not_smart(change, code):
    assert _code(lambda: check_goal(replace(ASSIDUITY, **change))) == code


def test_it_accepts_a_manual_measure_with_its_definition():
    check_goal(SELF_CARE)
    assert SELF_CARE.measure is not None and SELF_CARE.measure.indicator is None


def test_it_says_which_member_has_not_completed_which_activity():
    completed = {"p-1": ACTIVITIES, "p-2": ("qi_survey", "practice_profile", "data_driven_qi")}
    assert who_has_not_completed(completed) == {"p-2": ("chart_review",)}
    with pytest.raises(SubmissionRefused) as refused:
        submit(PLAN, completed=completed)
    assert refused.value.missing == {"p-2": ("chart_review",)}
    assert (refused.value.code, refused.value.params) == ("members_incomplete", {"members": "p-2"})


def test_it_submits_when_every_member_completed_the_four_activities():
    assert submit(PLAN, completed=EVERYONE).status == "submitted"
    assert _code(lambda: submit(PLAN, completed={})) == "no_members"


def test_it_refuses_to_submit_a_submitted_or_accepted_plan():
    submitted = submit(PLAN, completed=EVERYONE)
    assert _code(lambda: submit(submitted, completed=EVERYONE)) == "plan_not_editable"
    accepted = review(submitted, "accepted")
    assert _code(lambda: submit(accepted, completed=EVERYONE)) == "plan_not_editable"


def test_it_checks_the_content_only_after_the_members():
    # The page says who has not completed first; the goals' problems come after.
    plan = replace(PLAN, goals=(ASSIDUITY,))
    with pytest.raises(SubmissionRefused):
        submit(plan, completed={"p-1": ()})
    assert _code(lambda: submit(plan, completed=EVERYONE)) == "too_few_goals"


def test_it_reviews_with_comments_changes_requested_and_acceptance():
    submitted = submit(PLAN, completed=EVERYONE)
    commented = review(submitted, "comments", comment="Nice baseline.")
    assert (commented.status, commented.comments) == ("submitted", ("Nice baseline.",))
    sent_back = review(commented, "changes_requested", comment="Date the second goal.")
    assert sent_back.status == "changes_requested"
    assert sent_back.comments == ("Nice baseline.", "Date the second goal.")
    resubmitted = submit(sent_back, completed=EVERYONE)
    assert review(resubmitted, "accepted").status == "accepted"


def test_it_refuses_a_review_of_a_draft_and_a_request_without_comment():
    assert _code(lambda: review(PLAN, "accepted")) == "plan_not_submitted"
    submitted = submit(PLAN, completed=EVERYONE)
    assert _code(lambda: review(submitted, "changes_requested")) == "comment_required"
    assert _code(lambda: review(submitted, "comments", comment=" ")) == "comment_required"
    assert _code(lambda: review(submitted, "rejected")) == "unknown_outcome"  # type: ignore[arg-type]


def test_it_counts_completed_goals():
    plan = replace(PLAN, goals=(replace(ASSIDUITY, completed_on=date(2027, 7, 1)), PANEL))
    assert goals_completed(plan) == 1


def test_it_runs_a_pdsa_cycle_in_order():
    cycle = PdsaCycle("open same-day slots")
    assert next_phase(cycle) == "plan"
    cycle = record_phase(cycle, "plan", "two slots a day", prediction="assiduity +3 points")
    assert next_phase(cycle) == "do"
    cycle = record_phase(cycle, "do", "done for 4 weeks")
    cycle = record_phase(cycle, "study", "+2 points, less than predicted")
    assert next_phase(cycle) == "act"
    cycle = record_phase(cycle, "act", decision="adapt")
    assert (cycle.act, next_phase(cycle)) == ("adapt", None)
    check_goal(replace(ASSIDUITY, pdsa_cycles=(cycle,)))


def test_it_refuses_a_pdsa_phase_out_of_order():
    with pytest.raises(PlanRuleError) as refused:
        record_phase(PdsaCycle("open same-day slots"), "do", "done")
    assert (refused.value.code, refused.value.params) == (
        "pdsa_out_of_order",
        {"phase": "do", "expected": "plan"},
    )
    planned = record_phase(PdsaCycle("x"), "plan", "p", prediction="q")
    assert _code(lambda: record_phase(planned, "act", decision="adopt")) == "pdsa_out_of_order"


def test_it_refuses_a_plan_without_prediction_and_a_closed_cycle():
    assert _code(lambda: record_phase(PdsaCycle("x"), "plan", "p")) == "missing_prediction"
    closed = PdsaCycle("x", "p", "q", "d", "s", "abandon")
    assert _code(lambda: record_phase(closed, "study", "again")) == "pdsa_closed"
    open_cycle = replace(closed, act=None)
    assert _code(lambda: record_phase(open_cycle, "act", decision=None)) == "unknown_act"
    # Amending a filled phase before act is allowed.
    assert record_phase(open_cycle, "do", "redone").do == "redone"


def test_it_refuses_a_goal_whose_stored_cycle_breaks_the_order():
    study_without_do = PdsaCycle("open same-day slots", plan="p", prediction="q", study="s")
    goal = replace(ASSIDUITY, pdsa_cycles=(study_without_do,))
    assert _code(lambda: check_goal(goal)) == "pdsa_out_of_order"
    no_prediction = PdsaCycle("open same-day slots", plan="p", do="d")
    goal = replace(ASSIDUITY, pdsa_cycles=(no_prediction,))
    assert _code(lambda: check_goal(goal)) == "missing_prediction"
    other_idea = PdsaCycle("hire a nurse")
    goal = replace(ASSIDUITY, pdsa_cycles=(other_idea,))
    assert _code(lambda: check_goal(goal)) == "unknown_change_idea"


def test_it_starts_one_open_cycle_per_change_idea():
    goal = add_pdsa_cycle(ASSIDUITY, "open same-day slots")
    goal = add_pdsa_cycle(goal, "call back no-shows")  # another idea, in parallel
    assert len(goal.pdsa_cycles) == 2
    assert _code(lambda: add_pdsa_cycle(goal, "open same-day slots")) == "pdsa_previous_open"
    assert _code(lambda: add_pdsa_cycle(goal, "hire a nurse")) == "unknown_change_idea"
    closed = replace(goal.pdsa_cycles[0], plan="p", prediction="q", do="d", study="s", act="adapt")
    goal = replace(goal, pdsa_cycles=(closed, goal.pdsa_cycles[1]))
    assert len(add_pdsa_cycle(goal, "open same-day slots").pdsa_cycles) == 3
