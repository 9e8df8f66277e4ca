"""What a plan's pages draw (panelcare.attribution.figures), on plans made by hand: the
figures per physician and per group, the distance bins and the map."""

from __future__ import annotations

import pytest
from attribution_plans import make_plan, north_of
from builders import RIMOUSKI, orphans, physicians

from panelcare.attribution.figures import (
    distance_bins,
    group_figures,
    map_points,
    physician_figures,
    plan_figures,
)
from panelcare.attribution.outputs import summary

SEVEN_KM_NORTH = north_of(RIMOUSKI, 7.0)
TWELVE_KM_NORTH = north_of(RIMOUSKI, 12.0)


def doctors():
    """D001 (group 1b, 400 registered, a quarter vulnerable) at Rimouski; D002 (an empty
    panel) 12 km north, at another site; D003 declined, at D001's site."""
    return physicians(
        {"registered": 400, "vulnerable": 100, "other_units": 0.2},
        {"registered": 0, "site_id": "S002", "latitude": TWELVE_KM_NORTH[0]},
        {"registered": 600, "vulnerable": 60, "mode": "none"},
    )


def waiting():
    """P001 at D001's site, P002 7 km north (between the sites), P003 left unassigned."""
    return orphans(
        {"priority": "A", "vulnerable": True},
        {"latitude": SEVEN_KM_NORTH[0]},
        {},
    )


@pytest.fixture
def plan():
    return make_plan(doctors(), waiting(), [0, 0, -1])


def test_it_gives_each_physician_the_figures_before_and_after(plan):
    rows = physician_figures(plan)
    assert [row["physician_id"] for row in rows] == ["D001", "D002", "D003"]
    first = rows[0]
    assert (first["group"], first["tier"], first["target"], first["need"]) == (
        "1b",
        "1b_under_full_workload",
        500,
        100,
    )
    assert (first["assigned"], first["assigned_vulnerable"]) == (2, 1)
    assert first["vulnerable_share_before"] == 0.25
    assert first["vulnerable_share_after"] == round(101 / 402, 4)
    assert first["units_before"] == 1.0  # 0.2 + 400 / 500
    assert first["units_after"] == round(0.2 + 402 / 500, 3)
    assert first["mean_distance_km"] == 3.5
    assert first["monthly_pace"] == 1
    assert first["reasons"][-1] == "candidates_exhausted"
    assert (first["site_id"], first["latitude"]) == ("S001", round(RIMOUSKI[0], 5))


def test_it_gives_no_share_for_an_empty_panel_and_none_for_a_physician_who_declined(plan):
    empty, declined = physician_figures(plan)[1:]
    assert empty["vulnerable_share_before"] is None
    assert empty["vulnerable_share_after"] is None
    assert empty["mean_distance_km"] is None and empty["assigned"] == 0
    assert (declined["group"], declined["tier"], declined["need"]) == ("none", "none", 0)
    assert declined["vulnerable_share_before"] == 0.1


def test_it_sums_need_capacity_and_assigned_per_group_leaving_out_the_others(plan):
    groups = group_figures(physician_figures(plan))
    assert [group["group"] for group in groups] == ["1a", "1b", "2"]
    assert groups[0] == {"group": "1a", "physicians": 0, "need": 0, "capacity": 0, "assigned": 0}
    assert groups[1] == {
        "group": "1b",
        "physicians": 2,
        "need": 600,
        "capacity": 600,
        "assigned": 2,
    }
    assert groups[2]["physicians"] == 0  # D003 declined: in no group


def test_it_counts_assigned_patients_in_bins_of_5_km(plan):
    assert distance_bins(plan) == [
        {"from": 0, "to": 5, "patients": 1},
        {"from": 5, "to": 10, "patients": 1},
    ]
    assert distance_bins(plan, width_km=10) == [{"from": 0, "to": 10, "patients": 2}]


def test_it_draws_no_bin_when_nobody_is_assigned():
    assert distance_bins(make_plan(doctors(), waiting(), [-1, -1, -1])) == []


def test_it_maps_every_patient_and_each_site_with_its_physicians(plan):
    points = map_points(plan)
    assert points["patients_total"] == 3
    assert points["patients"] == [
        [round(RIMOUSKI[0], 3), round(RIMOUSKI[1], 3), True],
        [round(SEVEN_KM_NORTH[0], 3), round(RIMOUSKI[1], 3), True],
        [round(RIMOUSKI[0], 3), round(RIMOUSKI[1], 3), False],
    ]
    sites = {site["site_id"]: site for site in points["sites"]}
    assert list(sites) == ["S001", "S002"]
    assert (sites["S001"]["physicians"], sites["S001"]["assigned"]) == (2, 2)
    assert (sites["S002"]["physicians"], sites["S002"]["assigned"]) == (1, 0)


def test_it_samples_the_map_the_same_way_every_time(plan):
    points = map_points(plan, limit=2)
    assert len(points["patients"]) == 2 and points["patients_total"] == 3
    assert points == map_points(plan, limit=2)
    assert all(point in map_points(plan)["patients"] for point in points["patients"])


def test_it_adds_the_pages_figures_to_the_engines_summary(plan):
    figures = plan_figures(plan, {"0111": 1000})
    pages = figures.pop("pages")
    assert figures == summary(plan, {"0111": 1000})
    assert pages["physicians"] == physician_figures(plan)
    assert pages["distances"] == distance_bins(plan)
    assert pages["map"] == map_points(plan)
    assert sum(group["assigned"] for group in pages["groups"]) == figures["assigned"] == 2
