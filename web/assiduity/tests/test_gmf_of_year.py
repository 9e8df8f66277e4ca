"""A physician's GMF of a year, as every page reads it (figures.year_gmf_memberships): the
last membership in force on a day of the year, ties on the start broken the same way
everywhere."""

from __future__ import annotations

import datetime
from typing import Any

import pyarrow as pa
import pytest

from web.assiduity import figures
from web.assiduity.tests.conftest import YEAR

D = datetime.date


def _memberships(monkeypatch: pytest.MonkeyPatch, rows: list[tuple[Any, ...]]) -> Any:
    """A memberships version holding ``rows`` (physician, GMF, start, end), as read."""
    table = pa.table(
        {
            "physician_id": pa.array([row[0] for row in rows], pa.string()),
            "gmf_id": pa.array([row[1] for row in rows], pa.string()),
            "start_date": pa.array([row[2] for row in rows], pa.date32()),
            "end_date": pa.array([row[3] for row in rows], pa.date32()),
        }
    )
    monkeypatch.setattr(figures, "read_dataset", lambda _dataset, columns: table.select(columns))
    return object()


@pytest.mark.parametrize("order", [1, -1])
def test_it_breaks_a_tie_on_the_start_by_the_later_end_then_the_higher_gmf_code(monkeypatch, order):
    rows = [
        ("D1", "G2", D(YEAR, 3, 1), D(YEAR, 6, 1)),
        ("D1", "G1", D(YEAR, 3, 1), None),  # open: ends last
        ("D2", "G1", D(YEAR, 3, 1), D(YEAR, 9, 1)),
        ("D2", "G3", D(YEAR, 3, 1), D(YEAR, 9, 1)),  # same end: the higher code
        ("D3", "G9", D(YEAR, 1, 1), None),
        ("D3", "G4", D(YEAR, 5, 1), D(YEAR, 7, 1)),  # the latest start wins, even closed
    ][::order]
    dataset = _memberships(monkeypatch, rows)
    found = figures.year_gmf_memberships(dataset, YEAR)
    assert found == {"D1": "G1", "D2": "G3", "D3": "G4"}
    assert figures.year_gmf_memberships(dataset, YEAR, "D2") == {"D2": "G3"}


def test_it_keeps_the_memberships_of_the_year_only_half_open(monkeypatch):
    dataset = _memberships(
        monkeypatch,
        [
            ("D1", "G1", D(YEAR - 1, 1, 1), D(YEAR, 1, 1)),  # ends on 1 January: not of it
            ("D2", "G1", D(YEAR + 1, 1, 1), None),  # starts after it
            ("D3", "G1", D(YEAR, 4, 1), D(YEAR, 4, 1)),  # empty
            ("D4", "G1", D(YEAR - 1, 6, 1), D(YEAR, 1, 2)),  # one day of it
        ],
    )
    assert figures.year_gmf_memberships(dataset, YEAR) == {"D4": "G1"}
