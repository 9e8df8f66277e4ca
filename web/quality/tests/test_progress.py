"""The read side of the coach's dashboard and of the DRMG's counts
(:mod:`web.quality.progress`): each member's progress, the late steps at their boundaries
(the delay's last day on time, the next day late), the sizes of the groups to take up, and
the region's counts per cycle on a hand-built set (the builders are the conftest's)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import translation

from web.quality import progress
from web.quality.models import Group, Plan, Review, Selection
from web.quality.tests.conftest import (
    EXPECTED_2026,
    do_activities,
    hand_built_counts,
    invite,
    join,
    make_group,
    select,
)

D = datetime.date
DAY = datetime.timedelta(days=1)


def kinds(row: progress.GroupProgress) -> list[tuple[str, int, str | None]]:
    """The late steps of ``row``: (kind, days late, physician's code)."""
    return [
        (step.kind, step.days_late, step.physician.code if step.physician else None)
        for step in row.overdue
    ]


# --------------------------------------------------------------------------- late steps


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (D(2026, 3, 31), []),  # day 30: on time
        (D(2026, 4, 1), [("invitation_unanswered", 1, "M2")]),  # day 31
        (D(2026, 4, 10), [("invitation_unanswered", 10, "M2")]),
    ],
)
def test_it_counts_an_invitation_unanswered_late_from_day_31(world, on, expected):
    group = make_group(world)
    invite(world, group, "M2", sent_on=D(2026, 3, 1))

    assert kinds(progress.group_progress(group, on)) == expected


def test_it_stops_counting_an_invitation_once_answered(world):
    group = make_group(world)
    invite(world, group, "M2", sent_on=D(2026, 3, 1), status="declined", answered_on=D(2026, 5, 1))

    assert kinds(progress.group_progress(group, D(2026, 6, 1))) == []


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (D(2026, 3, 10) + 60 * DAY, []),  # day 60 after the group formed: on time
        (D(2026, 3, 10) + 61 * DAY, [("no_activity_started", 1, "M1")]),
    ],
)
def test_it_counts_a_member_without_activity_late_from_day_61(world, on, expected):
    group = make_group(world, created_on=D(2026, 3, 1))
    join(world, group, "M2", D(2026, 3, 10))  # the group forms on 10 March
    do_activities(world, group, "M2", completed=0, started=1)  # started is enough

    row = progress.group_progress(group, on)

    assert row.formed_on == D(2026, 3, 10)
    assert kinds(row) == expected


def test_it_counts_no_activity_before_the_group_forms(world):
    group = make_group(world, created_on=D(2026, 3, 1))

    row = progress.group_progress(group, D(2026, 12, 1))

    assert row.formed_on is None
    assert kinds(row) == []


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (D(2026, 6, 1) + 60 * DAY, []),
        (D(2026, 6, 1) + 61 * DAY, [("no_activity_started", 1, "M3")]),
    ],
)
def test_it_counts_a_later_member_from_the_day_they_joined(world, on, expected):
    group = make_group(world, created_on=D(2026, 3, 1))
    join(world, group, "M2", D(2026, 3, 10))
    join(world, group, "M3", D(2026, 6, 1))
    do_activities(world, group, "M1", completed=1)
    do_activities(world, group, "M2", completed=1)

    assert kinds(progress.group_progress(group, on)) == expected


def _submitted_plan(world: Any) -> Plan:
    group = make_group(world, created_on=D(2026, 3, 1), coach="coach")
    join(world, group, "M2", D(2026, 3, 10))
    do_activities(world, group, "M1", completed=4)
    do_activities(world, group, "M2", completed=4)
    return Plan.objects.create(
        group=group, status="submitted", submitted_on=D(2026, 6, 1), submitted_by=world.users["m1"]
    )


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (D(2026, 7, 1), []),  # day 30 after the submission: on time
        (D(2026, 7, 2), [("plan_not_reviewed", 1, None)]),
    ],
)
def test_it_counts_a_plan_not_reviewed_late_from_day_31(world, on, expected):
    plan = _submitted_plan(world)

    row = progress.group_progress(plan.group, on)

    assert row.awaiting_review
    assert kinds(row) == expected


def test_it_stops_counting_a_plan_once_reviewed_after_its_submission(world):
    plan = _submitted_plan(world)
    # A review of an earlier submission does not answer this one; one after it does.
    Review.objects.create(
        plan=plan, reviewer=world.users["coach"], outcome="comments", reviewed_on=D(2026, 5, 1)
    )
    assert kinds(progress.group_progress(plan.group, D(2026, 8, 1))) == [
        ("plan_not_reviewed", 31, None)
    ]

    Review.objects.create(
        plan=plan, reviewer=world.users["coach"], outcome="comments", reviewed_on=D(2026, 6, 15)
    )
    assert kinds(progress.group_progress(plan.group, D(2026, 8, 1))) == []


@pytest.mark.parametrize(
    ("on", "status", "expected"),
    [
        (D(2030, 12, 31), "selected", []),  # the due date: on time
        (D(2031, 1, 1), "overdue", [("selection_overdue", 1, "M1")]),
    ],
)
def test_it_counts_the_requirement_overdue_the_day_after_the_due_date(world, on, status, expected):
    group = make_group(world)  # M1 is selected, due 31 December 2030

    row = progress.group_progress(group, on)

    assert row.members[0].cycle_status == status
    assert kinds(row) == expected


def test_it_sorts_the_late_steps_the_longest_late_first(world):
    group = make_group(world)
    invite(world, group, "M2", sent_on=D(2030, 12, 1))
    invite(world, group, "M3", sent_on=D(2030, 11, 1))

    row = progress.group_progress(group, D(2031, 1, 5))

    assert kinds(row) == [
        ("invitation_unanswered", 35, "M3"),
        ("invitation_unanswered", 5, "M2"),
        ("selection_overdue", 5, "M1"),
    ]


def test_it_says_a_late_step_with_its_delay_and_a_written_date(world):
    invitation = progress.OverdueStep("invitation_unanswered", D(2026, 3, 31), 2)
    overdue = progress.OverdueStep("selection_overdue", D(2030, 12, 31), 1)

    with translation.override("fr"):
        assert str(progress.INVITATION_ANSWER_DAYS) in invitation.label
        assert "31 décembre 2030" in overdue.label
        assert "2030-12-31" not in overdue.label


# --------------------------------------------------------------------------- progress


def test_it_reports_each_members_activities_and_cycle_status(world):
    group = make_group(world, coach="coach")
    join(world, group, "M3", D(2026, 3, 10))  # Claire Côté
    join(world, group, "M2", D(2026, 3, 12))  # Benoît Roy: before Côté by name
    do_activities(world, group, "M1", completed=3, started=1)
    do_activities(world, group, "M2", completed=4)
    select(world, "M2", deferred_on=D(2026, 6, 1), due=D(2031, 12, 31))
    invite(world, group, "M4", sent_on=D(2026, 3, 1))  # pending: not a member

    row = progress.group_progress(group, D(2026, 7, 1))

    assert [m.physician.code for m in row.members] == ["M1", "M2", "M3"]  # the founder first
    assert [(m.activities_done, m.activities_started) for m in row.members] == [
        (3, 4),
        (4, 4),
        (0, 0),
    ]
    assert [(m.cycle_status, m.due) for m in row.members] == [
        ("selected", D(2030, 12, 31)),
        ("deferred", D(2031, 12, 31)),
        ("not_selected", None),
    ]
    assert row.size == 3
    assert row.pending_invitations == 1
    assert row.plan_status is None


def test_it_gives_the_next_due_date_after_the_requirement_is_met(world):
    group = make_group(world)
    world.selection.completed_on = D(2027, 3, 1)
    world.selection.save(update_fields=["completed_on"])

    member = progress.group_progress(group, D(2028, 1, 1)).members[0]

    assert (member.cycle_status, member.due) == ("met", D(2032, 3, 1))


def test_it_reads_the_latest_cycle_of_a_member(world):
    group = make_group(world)
    world.selection.completed_on = D(2027, 3, 1)
    world.selection.save(update_fields=["completed_on"])
    select(world, "M1", cycle=2031, selected_on=D(2031, 1, 10), due=D(2035, 12, 31))

    member = progress.group_progress(group, D(2031, 2, 1)).members[0]

    assert (member.cycle_status, member.due) == ("selected", D(2035, 12, 31))


def test_it_keeps_the_groups_in_their_order_in_a_fixed_number_of_queries(
    world, django_assert_max_num_queries
):
    for index, founder in enumerate(["M1", "M2", "M3"]):
        group = make_group(world, founder, name=f"Groupe {index}")
        join(world, group, "M4" if index else "M5", D(2026, 3, 10))
        do_activities(world, group, founder, completed=2)

    with django_assert_max_num_queries(6):
        rows = progress.groups_progress(Group.objects.order_by("-name"), D(2026, 4, 1))

    assert [row.group.name for row in rows] == ["Groupe 2", "Groupe 1", "Groupe 0"]


def test_it_counts_the_founder_and_the_accepted_only_in_a_groups_size(world):
    group = make_group(world)
    join(world, group, "M2", D(2026, 3, 10))
    invite(world, group, "M3", sent_on=D(2026, 3, 1))
    invite(world, group, "M4", sent_on=D(2026, 3, 1), status="declined", answered_on=D(2026, 3, 2))
    invite(world, group, "M5", sent_on=D(2026, 3, 1), status="withdrawn")
    make_group(world, "M6", name="Groupe seul")

    sizes = {group.name: size for group, size in progress.group_sizes(Group.objects.all())}

    assert sizes == {"Groupe du Fleuve": 2, "Groupe seul": 1}


# --------------------------------------------------------------------------- counts


def test_it_counts_a_hand_built_cycle(world):
    hand_built_counts(world)

    counts = progress.counts_per_cycle(world.region, D(2027, 6, 1))

    assert [c.cycle for c in counts] == [2031, 2026]  # the latest first
    assert {key: count for key, _label, count in counts[1].values()} == EXPECTED_2026
    assert {key: count for key, _label, count in counts[0].values()} == {
        key: 1 if key == "selected" else 0 for key in EXPECTED_2026
    }
    assert counts[1].label == "2026-2030"


def test_it_counts_the_other_region_apart(world):
    hand_built_counts(world)

    (counts,) = progress.counts_per_cycle(world.other_region, D(2027, 6, 1))

    # M20, alone in their region's group; nothing of region 01.
    assert (counts.cycle, counts.selected, counts.in_group, counts.groups_formed) == (
        2026,
        1,
        1,
        0,
    )


def test_it_counts_no_cycle_before_any_selection(world):
    Selection.objects.all().delete()

    assert progress.counts_per_cycle(world.region, D(2027, 6, 1)) == []
