"""Geography: Québec postal codes, great-circle distances and nearest-seat assignment.

The postal-code table ships with the package (``geodata/postal_codes_qc.csv.gz``; see
``geodata/NOTICE.md`` for its source, licence and limits). Everything here works on numpy
arrays so that millions of distances cost one vectorised expression, not a Python loop.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

__all__ = [
    "EARTH_RADIUS_KM",
    "PostalCodes",
    "chord_of_km",
    "haversine_km",
    "km_of_chord",
    "load_postal_codes",
    "nearest_seat",
    "offset_km",
    "unit_vectors",
]

# Mean Earth radius (IUGG); the error against the ellipsoid is under 0.5 %, far below the
# precision of a postal-code centroid.
EARTH_RADIUS_KM = 6371.0088

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PostalCodes:
    """The Québec postal-code table, one row per code, as parallel numpy arrays.

    ``postal_code`` and ``city`` are arrays of Python strings ("G5L 1A1", "Rimouski");
    ``latitude`` and ``longitude`` are degrees (WGS 84). Rows keep the file's order
    (sorted by postal code), so an index into these arrays is stable.
    """

    postal_code: npt.NDArray[np.object_]
    city: npt.NDArray[np.object_]
    latitude: FloatArray
    longitude: FloatArray

    def __len__(self) -> int:
        return len(self.postal_code)


@functools.cache
def load_postal_codes() -> PostalCodes:
    """Read the packaged table of Québec postal codes (cached after the first call).

    The file holds 36,868 codes; the 12 whose position is missing (0, 0) are dropped.
    """
    source = resources.files("panelcare") / "geodata" / "postal_codes_qc.csv.gz"
    with resources.as_file(source) as path:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={
                    "postal_code": pa.string(),
                    "city": pa.string(),
                    "latitude": pa.float64(),
                    "longitude": pa.float64(),
                }
            ),
        )
    latitude = table.column("latitude").to_numpy()
    longitude = table.column("longitude").to_numpy()
    # 12 rows of the source sit at (0, 0): their position is missing, they are left out.
    known = (latitude != 0.0) | (longitude != 0.0)
    return PostalCodes(
        postal_code=np.asarray(table.column("postal_code").to_pylist(), dtype=object)[known],
        city=np.asarray(table.column("city").to_pylist(), dtype=object)[known],
        latitude=latitude[known],
        longitude=longitude[known],
    )


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in km between points given in degrees.

    The four arguments broadcast against each other like any numpy expression: pass column
    vectors for one side and row vectors for the other to get a full distance matrix.
    """
    phi1 = np.radians(lat1)
    phi2 = np.radians(lat2)
    dphi = phi2 - phi1
    dlam = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2.0) ** 2
    # clip: rounding can push `a` a hair above 1 for antipodal points, and arcsin would NaN.
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def nearest_seat(
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    seat_lat: npt.ArrayLike,
    seat_lon: npt.ArrayLike,
    *,
    block: int = 65536,
) -> tuple[IntArray, FloatArray]:
    """For each point, the index of the nearest seat and the distance to it in km.

    Ties go to the lower seat index (``argmin``), so the result is deterministic. Points
    are processed ``block`` at a time to bound the distance matrix held in memory.

    Raises:
        ValueError: when there is no seat.
    """
    lat_a = np.asarray(lat, dtype=np.float64).ravel()
    lon_a = np.asarray(lon, dtype=np.float64).ravel()
    s_lat = np.asarray(seat_lat, dtype=np.float64).ravel()
    s_lon = np.asarray(seat_lon, dtype=np.float64).ravel()
    if s_lat.size == 0:
        raise ValueError("nearest_seat needs at least one seat")
    index = np.empty(lat_a.size, dtype=np.int64)
    distance = np.empty(lat_a.size, dtype=np.float64)
    for start in range(0, lat_a.size, block):
        stop = start + block
        d = haversine_km(
            lat_a[start:stop, None], lon_a[start:stop, None], s_lat[None, :], s_lon[None, :]
        )
        best = np.argmin(d, axis=1)
        index[start:stop] = best
        distance[start:stop] = d[np.arange(best.size), best]
    return index, distance


def offset_km(
    lat: npt.ArrayLike, lon: npt.ArrayLike, bearing_rad: npt.ArrayLike, distance_km: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Move points by ``distance_km`` along ``bearing_rad`` (0 = north, pi/2 = east).

    A local flat-Earth step, accurate to a few metres for the few kilometres it is used for
    (jittering synthetic homes around a postal-code centroid).
    """
    lat_a = np.asarray(lat, dtype=np.float64)
    km_per_degree = np.pi * EARTH_RADIUS_KM / 180.0
    d = np.asarray(distance_km, dtype=np.float64)
    b = np.asarray(bearing_rad, dtype=np.float64)
    new_lat = lat_a + d * np.cos(b) / km_per_degree
    new_lon = np.asarray(lon, dtype=np.float64) + d * np.sin(b) / (
        km_per_degree * np.cos(np.radians(lat_a))
    )
    return np.asarray(new_lat), np.asarray(new_lon)


# k-d trees search points of the unit sphere: the straight-line (chord) distance between two
# of them grows with the great-circle distance, so "nearest" is the same, and these turn
# one into the other.


def unit_vectors(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """Points of the unit sphere (x, y, z), one row per (latitude, longitude) in degrees."""
    phi, lam = (
        np.radians(np.asarray(lat, dtype=np.float64)),
        np.radians(np.asarray(lon, dtype=np.float64)),
    )
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def chord_of_km(km: float) -> float:
    """The chord of the unit sphere for a great-circle distance of ``km``, a hair longer so
    that a search bounded by it never drops a point exactly at ``km`` to rounding (test the
    distance in km afterwards)."""
    return float(2 * np.sin(min(km / EARTH_RADIUS_KM, np.pi) / 2) * (1 + 1e-9))


def km_of_chord(chords: npt.ArrayLike) -> FloatArray:
    """Great-circle km of chords of the unit sphere (``inf``, a k-d tree's "none", stays)."""
    c = np.asarray(chords, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(c / 2, 1.0))
    return np.where(np.isfinite(c), km, np.inf)
