"""The pace (panelcare.attribution.pace, DSP-PR-30042, 7): monthly paces and each assigned
orphan's month."""

from __future__ import annotations

import numpy as np
import pytest
from builders import orphans
from hypothesis import given, settings
from hypothesis import strategies as st

from panelcare.attribution.pace import (
    assign_months,
    monthly_pace,
    rls_monthly_pace,
    waitlist_order,
)


def test_it_rounds_a_physician_s_monthly_pace_up():
    assert monthly_pace(np.array([0, 1, 12, 13, 100]), 12).tolist() == [0, 1, 1, 2, 9]
    assert monthly_pace(np.array([7]), 1).tolist() == [7]


def test_it_divides_an_rls_s_orphans_by_the_months_without_rounding():
    assert rls_monthly_pace({"0111": 30, "0112": 0}, 12) == {"0111": 2.5, "0112": 0.0}


def test_it_sends_the_highest_priority_first():
    waiting = orphans({"priority": "E"}, {"priority": "A"}, {"priority": "C"})
    # One patient a month (3 patients over 3 months).
    assert assign_months(waiting, np.array([0, 0, 0]), 1, 3).tolist() == [3, 1, 2]


def test_it_sends_the_oldest_request_then_the_lowest_patient_id_first_within_a_priority():
    waiting = orphans(
        {"patient_id": "P9", "requested_on": "2025-05-01"},
        {"patient_id": "P2", "requested_on": "2025-05-01"},
        {"patient_id": "P5", "requested_on": "2024-01-01"},
    )
    assert assign_months(waiting, np.array([0, 0, 0]), 1, 3).tolist() == [3, 2, 1]
    assert waitlist_order(waiting).tolist() == [2, 1, 0]


def test_it_fills_every_month_at_the_pace_and_ends_within_the_period():
    waiting = orphans(*[{} for _ in range(25)])
    month = assign_months(waiting, np.zeros(25, dtype=np.int64), 1, 12)
    # pace ceil(25 / 12) = 3: eight full months, one patient in the ninth.
    assert np.bincount(month).tolist() == [0, 3, 3, 3, 3, 3, 3, 3, 3, 1]


def test_it_gives_month_0_to_an_unassigned_orphan():
    waiting = orphans({}, {})
    assert assign_months(waiting, np.array([-1, 0]), 1, 12).tolist() == [0, 1]


def test_it_paces_each_physician_on_their_own_patients():
    waiting = orphans(*[{"priority": p} for p in "AABBCC"])
    physician_of = np.array([1, 0, 1, 0, 1, 1])
    # Physician 1: 4 patients over 2 months (pace 2); physician 0: 2 patients (pace 1).
    assert assign_months(waiting, physician_of, 2, 2).tolist() == [1, 1, 1, 2, 2, 2]


def test_it_refuses_a_period_under_one_month():
    with pytest.raises(ValueError, match="period_months must be 1 or more"):
        monthly_pace(np.array([1]), 0)


def test_it_refuses_an_assignment_of_another_length_or_physician():
    waiting = orphans({}, {})
    with pytest.raises(ValueError, match="1 entries for 2 orphans"):
        assign_months(waiting, np.array([0]), 1, 12)
    with pytest.raises(ValueError, match=r"outside -1\.\.0"):
        assign_months(waiting, np.array([0, 1]), 1, 12)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from("ABCDE"), st.integers(0, 30), st.integers(-1, 3)),
        max_size=60,
    ),
    period=st.integers(1, 14),
)
def test_it_keeps_each_physician_within_pace_and_period_in_priority_order(rows, period):
    waiting = orphans(
        *[{"priority": p, "requested_on": np.datetime64("2025-01-01") + day} for p, day, _ in rows]
    )
    physician_of = np.array([physician for *_, physician in rows], dtype=np.int64)
    month = assign_months(waiting, physician_of, 4, period)
    assert ((month == 0) == (physician_of < 0)).all()
    assert month.max(initial=0) <= period
    assigned = np.bincount(physician_of[physician_of >= 0], minlength=4)
    pace = monthly_pace(assigned, period)
    for physician in range(4):
        mine = waitlist_order(waiting, np.flatnonzero(physician_of == physician))
        # In waiting-list order the months never go back, and no month exceeds the pace.
        assert (np.diff(month[mine]) >= 0).all()
        if mine.size:
            assert np.bincount(month[mine]).max() <= pace[physician]
