"""panelcare.geo: the postal-code table, distances and nearest seats."""

from __future__ import annotations

import numpy as np
import pytest

from panelcare.geo import haversine_km, load_postal_codes, nearest_seat, offset_km


def test_it_loads_the_quebec_postal_codes_with_a_position():
    codes = load_postal_codes()
    assert len(codes) == 36_868 - 12  # 12 codes sit at (0, 0) in the source
    assert codes.postal_code[0] == "G0A 0A1"
    assert codes.latitude.min() > 44.9 and codes.latitude.max() < 63
    assert codes.longitude.min() > -80 and codes.longitude.max() < -57


def test_it_measures_one_degree_of_latitude_as_111_km():
    assert haversine_km(48.0, -68.0, 49.0, -68.0) == pytest.approx(111.2, abs=0.1)


def test_it_measures_rimouski_to_matane_as_about_90_km():
    # Rimouski (48.449, -68.523) to Matane (48.850, -67.533): about 86 km as the crow flies.
    assert haversine_km(48.449, -68.523, 48.850, -67.533) == pytest.approx(86, abs=3)


def test_it_broadcasts_to_a_distance_matrix():
    lat = np.array([48.0, 49.0])
    d = haversine_km(lat[:, None], -68.0, lat[None, :], -68.0)
    assert d.shape == (2, 2)
    assert d[0, 0] == 0 and d[0, 1] == pytest.approx(d[1, 0])


def test_it_finds_the_nearest_seat_and_breaks_ties_by_index():
    seats_lat, seats_lon = np.array([48.0, 48.0, 49.0]), np.array([-68.0, -68.0, -68.0])
    index, distance = nearest_seat([48.1, 48.9], [-68.0, -68.0], seats_lat, seats_lon, block=1)
    assert index.tolist() == [0, 2]
    assert distance == pytest.approx([11.1, 11.1], abs=0.1)


def test_it_refuses_to_look_for_the_nearest_of_no_seat():
    with pytest.raises(ValueError):
        nearest_seat([48.0], [-68.0], [], [])


def test_it_moves_a_point_by_the_distance_asked():
    lat, lon = offset_km(48.45, -68.52, np.radians([0.0, 90.0, 225.0]), [3.0, 3.0, 3.0])
    assert haversine_km(48.45, -68.52, lat, lon) == pytest.approx([3.0, 3.0, 3.0], rel=1e-3)
    assert lat[0] > 48.45 and lon[1] > -68.52
