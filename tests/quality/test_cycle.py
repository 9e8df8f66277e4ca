"""The five-year cycle at its boundaries (29 February, the due day and the day after, one
deferral) and the credits earned from the CPSO figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from panelcare.errors import SettingsError
from panelcare.quality.cycle import (
    CreditsTable,
    CycleRecord,
    add_years,
    complete,
    credits_earned,
    credits_table_from_mapping,
    defer,
    load_credits_table,
    next_due,
    select,
    status,
)
from panelcare.quality.errors import CreditsTableError, CycleRuleError
from panelcare.quality.plans import ACTIVITIES

D = date.fromisoformat


@pytest.mark.parametrize(
    ("completed_on", "due"),
    [
        ("2028-02-29", "2033-02-28"),  # leap day into a common year: 28 February
        ("2024-02-29", "2029-02-28"),
        ("2027-02-28", "2032-02-28"),
        ("2027-03-01", "2032-03-01"),
        ("2026-12-31", "2031-12-31"),
    ],
)
def test_it_sets_the_next_due_date_five_years_after_acceptance(completed_on, due):
    assert next_due(D(completed_on)) == D(due)


def test_it_keeps_29_february_when_the_target_year_is_a_leap_year():
    assert add_years(D("2024-02-29"), 4) == D("2028-02-29")
    assert add_years(D("2024-02-29"), 1) == D("2025-02-28")


def test_it_is_met_up_to_the_due_day_and_overdue_the_day_after():
    record = complete(
        select("p-1", cycle="2026-2030", on=D("2026-01-15"), due=D("2026-12-31")),
        accepted_on=D("2028-02-29"),
    )
    assert record.due == D("2033-02-28")
    assert status(record, on=D("2033-02-28")) == "met"
    assert status(record, on=D("2033-03-01")) == "overdue"


def test_it_is_overdue_the_day_after_the_selection_deadline_without_completion():
    record = select("p-1", cycle="2026-2030", on=D("2026-01-15"), due=D("2026-12-31"))
    assert status(record, on=D("2026-12-31")) == "selected"
    assert status(record, on=D("2027-01-01")) == "overdue"
    assert status(CycleRecord("p-9", "2026-2030"), on=D("2027-01-01")) == "not_selected"


def test_it_moves_the_due_date_one_year_on_deferral():
    record = select("p-1", cycle="2026-2030", on=D("2026-01-15"), due=D("2028-02-29"))
    deferred = defer(record, on=D("2028-02-29"))  # on the due day: still in time
    assert deferred.due == D("2029-02-28")
    assert deferred.deferred_on == D("2028-02-29")
    assert status(deferred, on=D("2029-02-01")) == "deferred"
    assert status(deferred, on=D("2029-03-01")) == "overdue"


def test_it_refuses_a_second_deferral_a_late_one_and_one_without_selection():
    record = select("p-1", cycle="2026-2030", on=D("2026-01-15"), due=D("2026-12-31"))
    with pytest.raises(CycleRuleError) as refused:
        defer(defer(record, on=D("2026-06-01")), on=D("2027-06-01"))
    assert refused.value.code == "already_deferred"
    with pytest.raises(CycleRuleError) as refused:
        defer(record, on=D("2027-01-01"))
    assert (refused.value.code, refused.value.params) == (
        "deferral_too_late",
        {"due": "2026-12-31"},
    )
    with pytest.raises(CycleRuleError) as refused:
        defer(CycleRecord("p-9", "2026-2030"), on=D("2026-06-01"))
    assert refused.value.code == "not_selected"
    with pytest.raises(CycleRuleError) as refused:
        defer(complete(record, accepted_on=D("2026-05-01")), on=D("2026-06-01"))
    assert refused.value.code == "already_completed"


def test_it_completes_a_peer_who_was_not_selected():
    # A peer "not yet selected" joins a group and meets the requirement with it.
    record = complete(CycleRecord("p-2", "2026-2030"), accepted_on=D("2027-03-01"))
    assert status(record, on=D("2030-01-01")) == "met"
    with pytest.raises(CycleRuleError) as refused:
        complete(record, accepted_on=D("2027-04-01"))
    assert refused.value.code == "already_completed"


def test_it_refuses_a_due_date_before_the_selection():
    with pytest.raises(CycleRuleError) as refused:
        select("p-1", cycle="2026-2030", on=D("2026-02-01"), due=D("2026-01-31"))
    assert refused.value.code == "due_before_selection"


def test_it_ships_the_cpso_credits_and_marks_the_unsourced_keys():
    table = load_credits_table()
    assert dict(table.activities) == {
        "qi_survey": 0,
        "practice_profile": 6,
        "chart_review": 6,
        "data_driven_qi": 6,
    }
    assert (table.accepted_plan, table.per_completed_goal) == (6, 5)
    assert table.illustrative == {"activities.qi_survey", "plan.max_goals_credited"}


def test_it_reaches_the_cpso_maximum_of_34_credits_and_no_more():
    table = load_credits_table()
    # 18 (three tools) + 6 (plan) + 2 x 5 (goals) = 34, the CPSO's "up to 34".
    full = credits_earned(
        table, activities_completed=ACTIVITIES, plan_accepted=True, goals_completed=2
    )
    assert (full.plan, full.goals, full.total) == (6, 10, 34)
    three = credits_earned(
        table, activities_completed=ACTIVITIES, plan_accepted=True, goals_completed=3
    )
    assert three.total == 34  # max_goals_credited = 2


def test_it_credits_the_activities_before_the_plan_is_accepted_but_not_the_goals():
    earned = credits_earned(
        load_credits_table(),
        activities_completed=["practice_profile", "chart_review"],
        plan_accepted=False,
        goals_completed=2,
    )
    assert dict(earned.activities) == {"practice_profile": 6, "chart_review": 6}
    assert (earned.plan, earned.goals, earned.total) == (0, 0, 12)


def test_it_credits_every_goal_without_a_cap():
    table = credits_table_from_mapping(
        {
            "activities": dict.fromkeys(ACTIVITIES, 1),
            "plan": {"accepted": 2, "per_completed_goal": 3},
        }
    )
    earned = credits_earned(table, activities_completed=(), plan_accepted=True, goals_completed=4)
    assert earned.total == 2 + 4 * 3


def test_it_refuses_an_unknown_activity_or_negative_goals():
    table = load_credits_table()
    with pytest.raises(CycleRuleError) as refused:
        credits_earned(
            table, activities_completed=["survey"], plan_accepted=False, goals_completed=0
        )
    assert refused.value.code == "unknown_activity"
    with pytest.raises(CycleRuleError) as refused:
        credits_earned(table, activities_completed=(), plan_accepted=True, goals_completed=-1)
    assert refused.value.code == "negative_goals"


@pytest.mark.parametrize(
    ("activities", "plan", "key"),
    [
        (
            {"qi_survey": 0, "practice_profile": 6, "chart_review": 6},
            {},
            "activities.data_driven_qi",
        ),
        (dict.fromkeys((*ACTIVITIES, "peer_review"), 1), {}, "activities.peer_review"),
        (dict.fromkeys(ACTIVITIES, 1), {"accepted": -1}, "plan.accepted"),
        (dict.fromkeys(ACTIVITIES, 1), {"per_completed_goal": True}, "plan.per_completed_goal"),
    ],
)
def test_it_refuses_an_ill_formed_credits_table(activities, plan, key):
    with pytest.raises(CreditsTableError) as refused:
        CreditsTable(
            "t",
            activities,
            accepted_plan=plan.get("accepted", 6),
            per_completed_goal=plan.get("per_completed_goal", 5),
        )
    assert refused.value.key == key
    assert isinstance(refused.value, SettingsError)


def test_it_names_the_file_of_a_bad_credits_table(tmp_path: Path):
    broken = tmp_path / "credits.toml"
    broken.write_text("[activities]\nqi_survey = 0\n", encoding="utf-8")
    with pytest.raises(CreditsTableError) as refused:
        load_credits_table(broken)
    assert (refused.value.file, refused.value.key) == (str(broken), "plan")
    broken.write_text("not = = toml", encoding="utf-8")
    with pytest.raises(CreditsTableError, match="not valid TOML"):
        load_credits_table(broken)
    with pytest.raises(CreditsTableError, match="cannot read"):
        load_credits_table(tmp_path / "missing.toml")
