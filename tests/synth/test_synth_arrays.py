"""Properties of the generator's building blocks: fair splits, random members, ids."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panelcare.synth.arrays import Groups, format_ids
from panelcare.synth.geography import apportion


@given(
    total=st.integers(0, 10_000),
    weights=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=30),
)
def test_it_splits_a_total_exactly_and_in_proportion(total, weights):
    shares = apportion(total, weights)
    assert shares.sum() == total
    exact = total * np.array(weights) / sum(weights)
    assert (np.abs(shares - exact) < 1 + 1e-9).all()


def test_it_gives_every_share_its_minimum():
    assert apportion(10, [100.0, 1.0, 1.0], minimum=2).tolist() == [6, 2, 2]
    with pytest.raises(ValueError):
        apportion(3, [1.0, 1.0], minimum=2)


@settings(max_examples=50)
@given(
    group_of=st.lists(st.integers(-1, 4), min_size=1, max_size=40),
    draws=st.lists(st.tuples(st.integers(-1, 4), st.floats(0, 0.999999)), min_size=1, max_size=40),
)
def test_it_picks_a_member_of_the_group_other_than_the_excluded(group_of, draws):
    groups = Groups.build(group_of, 5)
    group = np.array([g for g, _ in draws])
    u = np.array([x for _, x in draws])
    exclude = np.zeros(group.size, dtype=np.int64)  # item 0 must never come back
    picked, ok = groups.pick(group, u, exclude=exclude)
    members = np.array(group_of)
    for g, p, found in zip(group, picked, ok, strict=True):
        others = [i for i in np.flatnonzero(members == g) if i != 0] if g >= 0 else []
        assert found == bool(others)
        if found:
            assert p in others
        else:
            assert p == -1


def test_it_formats_fixed_width_ids():
    assert format_ids("P", np.array([1, 42, 99_999_999]), 8).to_pylist() == [
        "P00000001",
        "P00000042",
        "P99999999",
    ]
