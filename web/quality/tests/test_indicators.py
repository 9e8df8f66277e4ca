"""The physician's platform figures month by month (web.quality.indicators), on hand-built
rows: registrations opening and closing mid-month, an assiduity computation's monthly
rows written by hand, an approved attribution run whose follow-up is given."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.attribution import followup
from web.attribution.models import Run, RunStatus
from web.quality import indicators
from web.quality.indicators import Point
from web.quality.models import Goal, Indicator, ManualPoint, Plan
from web.quality.tests.conftest import make_group, register
from web.tables.models import Dataset

D = datetime.date


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The labels in English (the message ids)."""


def _values(points):
    return [(point.month, point.value) for point in points]


# --------------------------------------------------------------------------- registrations


@pytest.fixture
def panel(world):
    """M1's registrations: one from 1 Dec 2025 still open; a vulnerable one from 15 Jan to
    10 Mar 2026; one from 1 Mar to 1 Apr 2026 (the 1st: in force on 1 Mar, not on 1 Apr);
    and a colleague's, never M1's."""
    m1 = world.physicians["M1"]
    register(world, m1, "P1", D(2025, 12, 1))
    register(world, m1, "P2", D(2026, 1, 15), D(2026, 3, 10), vulnerable=True)
    register(world, m1, "P3", D(2026, 3, 1), D(2026, 4, 1))
    register(world, world.physicians["M2"], "P4", D(2025, 1, 1), vulnerable=True)
    return m1


def test_it_counts_the_registrations_in_force_on_each_months_first_day(world, panel):
    series = indicators.monthly_series(
        panel, Indicator.PANEL_SIZE, first=D(2025, 11, 20), last=D(2026, 4, 3)
    )
    assert _values(series) == [
        (D(2025, 11, 1), None),  # nothing in force: no figure, not 0
        (D(2025, 12, 1), 1.0),
        (D(2026, 1, 1), 1.0),  # P2 opens on the 15th: not yet
        (D(2026, 2, 1), 2.0),
        (D(2026, 3, 1), 3.0),  # P2 closes on the 10th: still in force on the 1st
        (D(2026, 4, 1), 1.0),  # P3 ended on the 1st, P2 on 10 March
    ]


def test_it_gives_the_vulnerable_share_of_the_registrations_in_force(world, panel):
    series = indicators.monthly_series(
        panel, Indicator.VULNERABLE_SHARE, first=D(2026, 1, 1), last=D(2026, 4, 1)
    )
    assert [point.value for point in series] == [0.0, 50.0, 33.3, 0.0]


# --------------------------------------------------------------------------- assiduity


def _assiduity_run(world, year, finished, rows, *, status=AssiduityRunStatus.DONE):
    """A computation of ``year`` whose monthly results are ``rows``: code -> {month:
    (counted, assiduous)} (the months not given: no visit, as the engine writes them)."""
    run = AssiduityRun.objects.create(
        region=world.region,
        year=year,
        status=status,
        created_by=world.users["drmg"],
        finished_at=finished,
    )
    table = [
        (code, month, *months.get(month, (0, 0)))
        for code, months in sorted(rows.items())
        for month in range(1, 13)
    ]
    run.results_folder.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "physician_id": pa.array([row[0] for row in table], pa.string()),
                "month": pa.array([row[1] for row in table], pa.int32()),
                "counted_visits": pa.array([row[2] for row in table], pa.int64()),
                "assiduous_visits": pa.array([row[3] for row in table], pa.int64()),
            }
        ),
        run.results_folder / "monthly.parquet",
    )
    return run


def _at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 12, tzinfo=datetime.UTC)


def test_it_reads_the_months_own_rate_of_the_latest_done_computation(world):
    _assiduity_run(world, 2025, _at(D(2025, 11, 5)), {"M1": {11: (10, 5), 12: (10, 5)}})
    _assiduity_run(world, 2025, _at(D(2026, 1, 20)), {"M1": {11: (20, 16), 12: (8, 6)}})
    # Later but failed, and an earlier one of the next year that did not count December's
    # visits: neither changes 2025.
    _assiduity_run(
        world,
        2025,
        _at(D(2026, 2, 1)),
        {"M1": {11: (1, 0)}},
        status=AssiduityRunStatus.FAILED,
    )
    _assiduity_run(world, 2026, _at(D(2026, 2, 2)), {"M1": {1: (4, 3)}})
    series = indicators.monthly_series(
        world.physicians["M1"], Indicator.ASSIDUITY_RATE, first=D(2024, 12, 1), last=D(2026, 2, 1)
    )
    values = dict(_values(series))
    assert values[D(2024, 12, 1)] is None  # no computation of 2024
    assert values[D(2025, 10, 1)] is None  # no counted visit that month
    assert values[D(2025, 11, 1)] == 80.0  # the latest computation wins
    assert values[D(2025, 12, 1)] == 75.0
    assert values[D(2026, 1, 1)] == 75.0
    assert values[D(2026, 2, 1)] is None  # not computed yet: 0 visits


def test_it_gives_no_assiduity_figure_to_a_physician_the_results_do_not_list(world):
    _assiduity_run(world, 2025, _at(D(2025, 12, 31)), {"M1": {3: (10, 9)}})
    series = indicators.monthly_series(
        world.physicians["M2"], Indicator.ASSIDUITY_RATE, first=D(2025, 3, 1), last=D(2025, 3, 1)
    )
    assert series == [Point(D(2025, 3, 1), None)]


# --------------------------------------------------------------------------- attribution


@pytest.fixture
def approved_run(world, monkeypatch):
    """A run approved on 10 January 2026 whose follow-up gives M1 30 patients assigned at
    5 a month, registered 1, 4, 6 and 3 in January to April."""
    dataset = Dataset.objects.create(
        region=world.region,
        kind="physicians",
        version=1,
        digest="0" * 64,
        rows=0,
        imported_by=world.users["drmg"],
    )
    run = Run.objects.create(
        region=world.region,
        rls=world.rls,
        run_date=D(2026, 1, 5),
        physicians=dataset,
        waitlist=dataset,
        status=RunStatus.APPROVED,
        approved_at=datetime.datetime(2026, 1, 10, 15, tzinfo=datetime.UTC),
        created_by=world.users["drmg"],
    )
    months = [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)]

    def fake(followed, *, today=None):
        assert followed.pk == run.pk
        row = followup.PhysicianProgress(
            code="M1",
            name="",
            rls_code="0111",
            group="1a",
            assigned=30,
            monthly_pace=5,
            registered=14,
            by_month=[1, 4, 6, 3],
            expected_to_date=15,
        )
        return followup.FollowUp(
            run=followed,
            start=D(2026, 1, 10),
            today=today,
            months=months,
            months_elapsed=3,
            period_months=12,
            registrations=None,
            waitlist=None,
            physicians=[row],
        )

    monkeypatch.setattr(followup, "follow_up", fake)
    return run


def test_it_measures_attribution_progress_against_the_expected_registrations(
    world, approved_run, monkeypatch
):
    series = indicators.monthly_series(
        world.physicians["M1"],
        Indicator.ATTRIBUTION_PROGRESS,
        first=D(2025, 12, 1),
        last=D(2026, 4, 20),
    )
    assert _values(series) == [
        (D(2025, 12, 1), None),  # before the approval
        (D(2026, 1, 1), None),  # nothing expected in the first month
        (D(2026, 2, 1), 100.0),  # 5 of 5 by 28 February
        (D(2026, 3, 1), 110.0),  # 11 of 10
        (D(2026, 4, 1), 93.3),  # 14 of 15 on 20 April
    ]


def test_it_leaves_out_a_run_superseded_before_the_month_began(world, approved_run):
    Run.objects.filter(pk=approved_run.pk).update(
        superseded_at=datetime.datetime(2026, 3, 15, 15, tzinfo=datetime.UTC)
    )
    series = indicators.monthly_series(
        world.physicians["M1"],
        Indicator.ATTRIBUTION_PROGRESS,
        first=D(2026, 2, 1),
        last=D(2026, 4, 20),
    )
    assert [point.value for point in series] == [100.0, 110.0, None]


# --------------------------------------------------------------------------- peers


def _panels(world, sizes: dict[str, int]) -> None:
    for code, size in sizes.items():
        for number in range(size):
            register(world, world.physicians[code], f"{code}-{number}", D(2025, 1, 1))


def test_it_hides_the_distribution_below_five_physicians(world):
    _panels(world, {"M1": 1, "M2": 2, "M3": 3, "M4": 4})
    register(world, world.physicians["M20"], "other-region", D(2025, 1, 1))  # not a peer
    assert (
        indicators.peer_distribution(Indicator.PANEL_SIZE, D(2026, 1, 1), region=world.region)
        is None
    )


def test_it_gives_the_quantiles_and_the_physicians_rank_without_a_name(world):
    _panels(world, {"M1": 1, "M2": 2, "M3": 3, "M4": 4, "M5": 5})
    found = indicators.peer_distribution(
        Indicator.PANEL_SIZE,
        D(2026, 1, 15),
        region=world.region,
        physician=world.physicians["M5"],
    )
    assert found is not None
    # Five values: the median only (linear quartiles and deciles would give them back).
    assert (found.count, found.median) == (5, 3.0)
    assert (found.p10, found.p25, found.p75, found.p90) == (None, None, None, None)
    assert found.rank == 90.0  # 4 below, itself counted half
    assert str(found.standing) == "In the top quarter"
    text = repr(dataclasses.asdict(found))
    for physician in world.physicians.values():
        assert physician.name not in text and physician.code not in text


def test_it_gives_an_rls_its_own_distribution(world):
    _panels(world, {"M1": 1, "M2": 2, "M3": 3, "M4": 4, "M5": 5, "M7": 9})
    region = indicators.peer_distribution(Indicator.PANEL_SIZE, D(2026, 1, 1), region=world.region)
    rls = indicators.peer_distribution(
        Indicator.PANEL_SIZE, D(2026, 1, 1), region=world.region, rls=world.rls
    )
    matane = indicators.peer_distribution(
        Indicator.PANEL_SIZE, D(2026, 1, 1), region=world.region, rls=world.rls2
    )
    assert region is not None and region.count == 6
    assert rls is not None and rls.count == 5 and rls.rank is None
    assert matane is None  # one physician


# --------------------------------------------------------------------------- goals


@pytest.fixture
def plan(world):
    return Plan.objects.create(group=make_group(world, created_on=D(2026, 1, 20)))


def _goal(plan, **fields):
    values = {
        "title": "Objectif",
        "kind": "practice",
        "baseline": Decimal(1),
        "target": Decimal(2),
        "target_date": D(2026, 12, 31),
    }
    return Goal.objects.create(plan=plan, **(values | fields))


def test_it_reads_a_manual_measure_from_its_points(world, plan):
    goal = _goal(plan, definition="Rappels envoyés")
    for month, value in ((D(2025, 12, 1), "4"), (D(2026, 2, 1), "7.5")):
        ManualPoint.objects.create(
            goal=goal, month=month, value=Decimal(value), recorded_by=world.users["m1"]
        )
    series = indicators.goal_series(goal, on=D(2026, 3, 2))
    assert _values(series) == [
        (D(2025, 12, 1), 4.0),  # a baseline point before the plan's start
        (D(2026, 1, 1), None),
        (D(2026, 2, 1), 7.5),
        (D(2026, 3, 1), None),
    ]


def test_it_reads_a_platform_goal_on_the_figures_of_the_physician_asked(world, plan, panel):
    goal = _goal(plan, indicator=Indicator.PANEL_SIZE)
    series = indicators.goal_series(goal, on=D(2026, 3, 1), physician=panel)
    assert _values(series) == [(D(2026, 1, 1), 1.0), (D(2026, 2, 1), 2.0), (D(2026, 3, 1), 3.0)]
    with pytest.raises(ValueError):
        indicators.goal_series(goal, on=D(2026, 3, 1))


def test_it_gives_the_data_driven_figures_of_every_indicator(world):
    _panels(world, {"M1": 1, "M2": 2, "M3": 3, "M4": 4, "M5": 5})
    figures = indicators.data_driven_figures(world.physicians["M1"], on=D(2026, 3, 15))
    assert [figure.indicator for figure in figures] == [code for code, _ in Indicator.choices]
    panel = figures[1]
    assert str(panel.label) == "Panel size"
    assert len(panel.series) == 12 and panel.series[-1].month == D(2026, 3, 1)
    assert panel.latest == Point(D(2026, 3, 1), 1.0)
    assert panel.region is not None and panel.region.rank == 10.0
    assert str(panel.region.standing) == "In the bottom quarter"
    assert panel.chart is not None
    assiduity = figures[0]
    assert assiduity.latest is None and assiduity.region is None and assiduity.chart is None


@pytest.mark.parametrize(
    ("count", "quartiles", "deciles"),
    [(9, False, False), (10, True, False), (19, True, False), (20, True, True)],
)
def test_it_shows_a_quantile_only_where_it_gives_back_no_peers_figure(count, quartiles, deciles):
    values = [float(value) for value in range(1, count + 1)]
    found = indicators._distribution(values, None)
    assert found is not None
    assert (found.p25 is not None, found.p75 is not None) == (quartiles, quartiles)
    assert (found.p10 is not None, found.p90 is not None) == (deciles, deciles)
    # No quantile shown but the median is one of the peers' values.
    shown = [q for q in (found.p10, found.p25, found.p75, found.p90) if q is not None]
    assert not set(shown) & set(values)


def test_it_hides_a_distribution_of_fewer_than_five():
    assert indicators._distribution([1.0, 2.0, 3.0, 4.0], 2.0) is None
