"""The distance to the next bands (:mod:`panelcare.assiduity.bands`): the visits it gives
reach the band as the engine tiers it, one fewer does not."""

from __future__ import annotations

import dataclasses
import itertools

import ibis
import pytest
from cases import RULES, YEAR, Case
from hypothesis import given, settings
from hypothesis import strategies as st

from panelcare.assiduity.bands import (
    BANDS,
    BandGap,
    band_gaps,
    reaches,
    tier,
    visits_to_reach,
)
from panelcare.assiduity.rules import Scale

SCALE_2018 = RULES.scale_for(YEAR)
# A scale whose half band is not a double: 0.55 * 100 is 55.00000000000001, whose
# ceiling (56) is one visit more than the engine needs (55 / 100 >= 0.55).
ODD_SCALE = Scale(full=0.8, three_quarters=0.7, half=0.55)


def with_rate(case: Case, physician: str, assiduous: int, counted: int) -> None:
    """Non-member ``physician`` with ``assiduous`` own visits out of ``counted`` counted
    ones (the others by Z, at another clinic: counted, not assiduous)."""
    patient = f"{physician}-patient"
    case.register(patient, physician, site="S1", start=f"{YEAR}-01-01")
    for number in range(counted):
        provider, site = (physician, "S1") if number < assiduous else ("Z", "X")
        case.visit(
            patient, provider, site=site, setting="cabinet", visit_id=f"{physician}-{number}"
        )


# --------------------------------------------------------------------------- by hand


def test_it_gives_the_visits_to_each_higher_band_nearest_first():
    assert band_gaps(100, 72, SCALE_2018) == (
        BandGap("three_quarters", 0.75, 75, 3),
        BandGap("full", 0.80, 100, 8),
    )


def test_it_gives_every_band_to_a_physician_below_the_scale():
    gaps = band_gaps(10, 0, SCALE_2018)
    assert [(gap.band, gap.visits) for gap in gaps] == [
        ("half", 7),
        ("three_quarters", 8),
        ("full", 8),
    ]


def test_it_gives_no_band_to_a_physician_in_the_full_band():
    assert band_gaps(5, 4, SCALE_2018) == ()
    assert band_gaps(1, 1, SCALE_2018) == ()


def test_it_gives_no_band_without_a_counted_visit():
    assert band_gaps(0, 0, SCALE_2018) == ()
    assert visits_to_reach(0, 0, 0.8) is None
    assert tier(0, 0, SCALE_2018) == "no_visits"


def test_it_counts_the_exact_quotient_not_the_arithmetic_estimate():
    assert visits_to_reach(100, 50, 0.55) == 5  # not 6, from ceil(55.00000000000001)
    assert visits_to_reach(10000, 7999, 0.8) == 1  # 0.7999 is not 80 %


def test_it_answers_none_for_a_band_out_of_reach():
    assert visits_to_reach(10, 3, 1.01) is None
    assert band_gaps(10, 3, Scale(full=1.01, three_quarters=0.75, half=0.7)) == (
        BandGap("half", 0.7, 50, 4),
        BandGap("three_quarters", 0.75, 75, 5),
    )


def test_it_answers_0_for_a_band_already_reached():
    assert visits_to_reach(10, 8, 0.8) == 0


@pytest.mark.parametrize(("counted", "assiduous"), [(-1, 0), (3, -1), (3, 4)])
def test_it_refuses_impossible_counts(counted, assiduous):
    with pytest.raises(ValueError, match="0 <= assiduous <= counted"):
        visits_to_reach(counted, assiduous, 0.8)


# --------------------------------------------------------------------------- invariants

scales = st.lists(
    st.floats(min_value=0.01, max_value=1.0, allow_nan=False), min_size=3, max_size=3
).map(lambda values: Scale(*sorted(values, reverse=True)))


@st.composite
def counts(draw) -> tuple[int, int]:
    counted = draw(st.integers(min_value=0, max_value=50_000))
    return counted, draw(st.integers(min_value=0, max_value=counted))


@settings(max_examples=500, deadline=None)
@given(counts(), scales)
def test_it_gives_the_smallest_number_that_reaches_each_band(pair, scale):
    counted, assiduous = pair
    gaps = band_gaps(counted, assiduous, scale)
    for gap in gaps:
        assert 0 < gap.visits <= counted - assiduous
        assert reaches(assiduous + gap.visits, counted, gap.rate)
        assert not reaches(assiduous + gap.visits - 1, counted, gap.rate)
        # Moving those visits tiers the physician at least in that band.
        moved = tier(counted, assiduous + gap.visits, scale)
        assert BANDS.index(moved) <= BANDS.index(gap.band)
    # Exactly the bands above the current tier (every band reachable when a visit counts).
    current = tier(counted, assiduous, scale)
    if current in ("full", "no_visits"):
        above: list[str] = []
    elif current == "none":
        above = list(BANDS)
    else:
        above = list(BANDS[: BANDS.index(current)])
    assert sorted(gap.band for gap in gaps) == sorted(above)
    assert [gap.visits for gap in gaps] == sorted(gap.visits for gap in gaps)


# --------------------------------------------------------------------------- the engine


def test_it_compares_as_the_engines_doubles_do():
    """``reaches`` against the engine's expression (compute.rates_of: the quotient of two
    doubles compared with the band as a double literal), run by DuckDB, on every count of
    a few sizes and odd bands."""
    rows = [
        {"assiduous": assiduous, "counted": counted, "band": band}
        for counted in (1, 3, 7, 10, 99, 100, 180, 333, 1000)
        for assiduous in range(0, counted + 1, max(1, counted // 120))
        for band in (0.55, 0.65, 0.7, 0.75, 0.8, 0.57, 1 / 3)
    ]
    table = ibis.memtable(rows)
    rate = table.assiduous.cast("float64") / table.counted.nullif(0).cast("float64")
    expr = table.mutate(reached=(rate >= table.band.cast("float64")).fill_null(False))
    got = ibis.duckdb.connect().to_pyarrow(expr).to_pylist()
    mismatches = [
        row
        for row in got
        if row["reached"] != reaches(row["assiduous"], row["counted"], row["band"])
    ]
    assert len(got) == len(rows) and mismatches == []


@pytest.mark.parametrize("scale", [SCALE_2018, ODD_SCALE], ids=["2018", "odd"])
def test_it_reaches_the_band_the_engine_tiers_and_one_visit_fewer_does_not(scale):
    rules = dataclasses.replace(RULES, scales={YEAR: scale})
    starts = [(10, 0), (20, 13), (100, 50), (100, 72), (37, 25), (180, 98), (7, 5)]
    case = Case()
    expected = {}
    for number, (counted, assiduous) in enumerate(starts):
        for gap in band_gaps(counted, assiduous, scale):
            for moved, reached in ((gap.visits, True), (gap.visits - 1, False)):
                physician = f"D{number}-{gap.band}-{moved}"
                with_rate(case, physician, assiduous + moved, counted)
                expected[physician] = (gap.band, reached)
    assert len(expected) >= 20
    rates = case.rates(YEAR, rules)
    for physician, (band, reached) in expected.items():
        engine_tier = rates[physician]["tier"]
        in_band = engine_tier in BANDS and BANDS.index(engine_tier) <= BANDS.index(band)
        assert in_band is reached, (physician, engine_tier)
        row = rates[physician]
        assert tier(row["counted_visits"], row["assiduous_visits"], scale) == engine_tier


def test_it_tiers_as_the_engine_on_the_2018_scale():
    pairs = list(itertools.product((1, 4, 10, 20), range(0, 21)))
    pairs = [(counted, assiduous) for counted, assiduous in pairs if assiduous <= counted]
    case = Case()
    for counted, assiduous in pairs:
        with_rate(case, f"D{counted}-{assiduous}", assiduous, counted)
    rates = case.rates(YEAR)
    for counted, assiduous in pairs:
        assert rates[f"D{counted}-{assiduous}"]["tier"] == tier(counted, assiduous, SCALE_2018)
