"""Where the synthetic people live: regions, RLS and the postal codes of each RLS.

Two geographies are built from the packaged postal-code table (:mod:`panelcare.geo`):

* the demo region, Bas-Saint-Laurent (region 01), with its 8 real RLS, their seat towns
  at approximate real coordinates and populations roughly proportional to reality;
* the province: about 90 RLS whose seats are the Québec towns with the most postal codes
  in the table, each attached to the administrative region of the nearest known town.

RLS borders are approximated by the nearest RLS seat: a postal code belongs to the RLS
whose seat is closest (great-circle distance). See ``docs/data-contract.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from panelcare.geo import PostalCodes, haversine_km, load_postal_codes, nearest_seat

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# An RLS with fewer distinct code locations than this is "thin": the table holds few codes
# there (many share a city-level centroid), so homes are spread around the seat instead.
THIN_RLS_LOCATIONS = 20
# Homes are moved by up to this distance from their postal code's centroid, so that
# residents sharing a code do not sit on one point (deterministic, from the seed).
JITTER_KM = 3.0
# In a thin RLS, homes are spread this far around the seat, towards the land side.
THIN_SPREAD_KM = 12.0
# Province: postal codes farther than this from every seat are left out (far north).
PROVINCE_MAX_CODE_DISTANCE_KM = 100.0


@dataclass(frozen=True)
class RegionSpec:
    """An administrative region (région sociosanitaire)."""

    region_id: str
    name: str
    registration_goal: float = 0.85


@dataclass(frozen=True)
class RlsSpec:
    """A local services network (RLS) and its seat town."""

    rls_id: str
    region_id: str
    name: str
    seat: str
    latitude: float
    longitude: float
    population: int


@dataclass(frozen=True)
class Geography:
    """Regions, RLS and, per RLS, the postal codes its residents are placed on.

    ``code_offsets``/``code_index`` are a CSR list: the postal codes of RLS ``r`` are rows
    ``code_index[code_offsets[r]:code_offsets[r + 1]]`` of ``codes``. Every RLS has at least
    one code. ``thin[r]`` is true when homes of RLS ``r`` are spread around its seat
    (``spread_bearing`` gives the centre of the half-disk they are spread over, in radians;
    towards the land side for the south shore of the St. Lawrence).
    """

    regions: tuple[RegionSpec, ...]
    rls: tuple[RlsSpec, ...]
    codes: PostalCodes
    code_offsets: IntArray
    code_index: IntArray
    thin: npt.NDArray[np.bool_]
    spread_bearing: float

    @property
    def population(self) -> int:
        """Residents of all RLS."""
        return sum(r.population for r in self.rls)

    def rls_array(self, attribute: str) -> npt.NDArray[np.float64]:
        """One numeric attribute of every RLS (latitude, longitude, population) as an array."""
        return np.array([getattr(r, attribute) for r in self.rls], dtype=np.float64)


BAS_SAINT_LAURENT = RegionSpec("01", "Bas-Saint-Laurent", 0.85)

# Seats at approximate real coordinates; populations about those of 2021, scaled below so
# that the region totals 200,000 residents. Codes are stable (west to east), not official.
_BSL_RLS: tuple[tuple[str, str, str, float, float, int], ...] = (
    ("0111", "Kamouraska", "La Pocatière", 47.3656, -70.0327, 20_000),
    ("0112", "Rivière-du-Loup", "Rivière-du-Loup", 47.8303, -69.5361, 35_000),
    ("0113", "Témiscouata", "Témiscouata-sur-le-Lac", 47.6806, -68.8797, 19_000),
    ("0114", "Les Basques", "Trois-Pistoles", 48.1203, -69.1786, 8_500),
    ("0115", "Rimouski-Neigette", "Rimouski", 48.4490, -68.5230, 57_000),
    ("0116", "La Mitis", "Mont-Joli", 48.5839, -68.1917, 18_000),
    ("0117", "La Matanie", "Matane", 48.8497, -67.5328, 21_000),
    ("0118", "La Matapédia", "Amqui", 48.4636, -67.4305, 17_000),
)

# The Bas-Saint-Laurent lies on the south shore of the St. Lawrence; the bounding box also
# catches the north shore (Charlevoix, Haute-Côte-Nord), which must be left out. Two
# rules, either is enough: a known north-shore town, or a point north-west of the river's
# axis (a polyline through the middle of the estuary, longitude -> latitude).
_BSL_BOX = (47.2, 49.2, -70.3, -66.9)  # lat min, lat max, lon min, lon max
_NORTH_SHORE_TOWNS = frozenset(
    {
        "Baie-Sainte-Catherine",
        "Betsiamites",
        "Clermont",
        "Colombier",
        "Essipit",
        "Forestville",
        "La Malbaie",
        "Les Bergeronnes",
        "Les Buissons",
        "Les Escoumins",
        "Longue-Rive",
        "Portneuf-sur-Mer",
        "Ragueneau",
        "Saint-Simeon",
        "Sacre-Coeur",
        "Tadoussac",
    }
)
_RIVER_AXIS_LON = np.array([-70.6, -70.3, -69.6, -68.9, -68.3, -67.5, -66.8])
_RIVER_AXIS_LAT = np.array([47.25, 47.45, 48.0, 48.45, 48.85, 49.1, 49.25])
# The river runs south-west to north-east; the land of the south shore is to the
# south-east, bearing 135 degrees.
_SOUTH_SHORE_BEARING = np.radians(135.0)


def _south_shore_codes(codes: PostalCodes) -> IntArray:
    """Rows of the postal-code table in the Bas-Saint-Laurent: in the box, south of the river."""
    lat_min, lat_max, lon_min, lon_max = _BSL_BOX
    in_box = (
        (codes.latitude >= lat_min)
        & (codes.latitude <= lat_max)
        & (codes.longitude >= lon_min)
        & (codes.longitude <= lon_max)
    )
    axis = np.interp(codes.longitude, _RIVER_AXIS_LON, _RIVER_AXIS_LAT)
    north_town = np.isin(codes.city, list(_NORTH_SHORE_TOWNS))
    return np.flatnonzero(in_box & (codes.latitude < axis) & ~north_town)


def _scaled_populations(raw: list[int], total: int) -> list[int]:
    """Populations scaled to ``total`` exactly (largest remainder)."""
    return [int(v) for v in apportion(total, np.asarray(raw, dtype=np.float64))]


def apportion(total: int, weights: npt.ArrayLike, minimum: int = 0) -> IntArray:
    """Split the integer ``total`` in proportion to ``weights`` (largest remainder method).

    Each share is at least ``minimum``; ties in the remainders go to the lower index, so
    the split is deterministic. The shares always sum to ``total``.

    Raises:
        ValueError: when ``total`` cannot give every share its minimum.
    """
    w = np.asarray(weights, dtype=np.float64)
    n = w.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    free = total - minimum * n
    if free < 0:
        raise ValueError(f"cannot split {total} into {n} shares of at least {minimum}")
    w = np.where(w > 0, w, 0.0)
    w = w / w.sum() if w.sum() > 0 else np.full(n, 1.0 / n)
    raw = w * free
    base = np.floor(raw).astype(np.int64)
    left = int(free - base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:left]] += 1
    return base + minimum


def _assign_codes(
    codes: PostalCodes,
    candidates: IntArray,
    rls: tuple[RlsSpec, ...],
    max_distance_km: float | None,
) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
    """Give each candidate code to the RLS of the nearest seat; CSR lists per RLS."""
    seat_lat = np.array([r.latitude for r in rls])
    seat_lon = np.array([r.longitude for r in rls])
    owner, distance = nearest_seat(
        codes.latitude[candidates], codes.longitude[candidates], seat_lat, seat_lon
    )
    keep = np.ones(candidates.size, dtype=bool)
    if max_distance_km is not None:
        keep = distance <= max_distance_km
    owner, kept = owner[keep], candidates[keep]
    lists: list[IntArray] = []
    thin = np.zeros(len(rls), dtype=bool)
    for r, spec in enumerate(rls):
        mine = kept[owner == r]
        locations = np.unique(np.stack([codes.latitude[mine], codes.longitude[mine]]), axis=1)
        thin[r] = locations.shape[1] < THIN_RLS_LOCATIONS
        # The seat's nearest code is always a candidate: it is the fallback of an RLS that
        # received no code, and it anchors the homes spread around the seat of a thin one.
        # (Among the candidates: the north shore must not come back through this door.)
        d = haversine_km(
            spec.latitude, spec.longitude, codes.latitude[candidates], codes.longitude[candidates]
        )
        seat_code = candidates[[int(np.argmin(d))]]
        lists.append(np.unique(np.concatenate([mine, seat_code])) if thin[r] else mine)
    offsets = np.zeros(len(rls) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(x) for x in lists])
    return offsets, np.concatenate(lists).astype(np.int64), thin


def bas_saint_laurent(
    total_population: int = 200_000, rls_ids: tuple[str, ...] | None = None
) -> Geography:
    """The Bas-Saint-Laurent with ``total_population`` residents.

    ``rls_ids`` keeps only some RLS (the tiny scale uses two); their populations keep their
    real proportions and are scaled to ``total_population``.
    """
    rows = [row for row in _BSL_RLS if rls_ids is None or row[0] in rls_ids]
    populations = _scaled_populations([row[5] for row in rows], total_population)
    rls = tuple(
        RlsSpec(rls_id, BAS_SAINT_LAURENT.region_id, name, seat, lat, lon, population)
        for (rls_id, name, seat, lat, lon, _raw), population in zip(rows, populations, strict=True)
    )
    codes = load_postal_codes()
    offsets, index, thin = _assign_codes(codes, _south_shore_codes(codes), rls, None)
    return Geography((BAS_SAINT_LAURENT,), rls, codes, offsets, index, thin, _SOUTH_SHORE_BEARING)


# The province: regions with their approximate 2024 population and a few known towns each
# (approximate coordinates). An RLS seat belongs to the region of its nearest known town.
# Nunavik and Terres-Cries-de-la-Baie-James are left out: the table has no seat there.
_PROVINCE_REGIONS: tuple[tuple[str, str, int, tuple[tuple[float, float], ...]], ...] = (
    ("01", "Bas-Saint-Laurent", 200_000,
     ((48.449, -68.523), (47.830, -69.536), (48.850, -67.533), (48.464, -67.431),
      (47.550, -68.650), (47.366, -70.033))),
    ("02", "Saguenay–Lac-Saint-Jean", 280_000,
     ((48.428, -71.068), (48.417, -71.250), (48.333, -70.883), (48.550, -71.650),
      (48.517, -72.233), (48.883, -72.233))),
    ("03", "Capitale-Nationale", 770_000,
     ((46.813, -71.208), (47.650, -70.150), (47.440, -70.500), (46.680, -71.730),
      (47.040, -70.900))),
    ("04", "Mauricie et Centre-du-Québec", 540_000,
     ((46.343, -72.543), (46.567, -72.750), (45.883, -72.483), (46.050, -71.967),
      (47.433, -72.783), (46.333, -72.433), (46.217, -71.767), (46.250, -72.617))),
    ("05", "Estrie", 500_000,
     ((45.404, -71.893), (45.267, -72.150), (45.133, -71.800), (45.767, -71.933),
      (45.583, -70.883), (45.483, -71.667))),
    ("06", "Montréal", 2_100_000,
     ((45.508, -73.587), (45.605, -73.560), (45.454, -73.569), (45.433, -73.683),
      (45.490, -73.850), (45.600, -73.630), (45.517, -73.607), (45.483, -73.600),
      (45.660, -73.515))),
    ("07", "Outaouais", 410_000,
     ((45.477, -75.701), (46.383, -75.967), (45.583, -75.417), (45.600, -76.483))),
    ("08", "Abitibi-Témiscamingue", 150_000,
     ((48.236, -79.023), (48.100, -77.783), (48.567, -78.117), (48.800, -79.200),
      (47.333, -79.433))),
    ("09", "Côte-Nord", 90_000,
     ((49.217, -68.150), (50.200, -66.383), (48.740, -69.080), (50.233, -63.600))),
    ("10", "Nord-du-Québec", 15_000, ((49.913, -74.366), (49.750, -77.633))),
    ("11", "Gaspésie–Îles-de-la-Madeleine", 93_000,
     ((48.831, -64.481), (49.117, -66.483), (48.350, -64.683), (48.100, -66.133),
      (47.383, -61.867))),
    ("12", "Chaudière-Appalaches", 440_000,
     ((46.800, -71.180), (46.117, -70.667), (46.100, -71.300), (46.980, -70.557),
      (46.450, -71.033), (46.217, -70.783))),
    ("13", "Laval", 450_000,
     ((45.570, -73.690), (45.550, -73.780), (45.600, -73.730), (45.660, -73.600))),
    ("14", "Lanaudière", 540_000,
     ((46.033, -73.440), (45.700, -73.633), (45.742, -73.467), (46.083, -73.183),
      (45.767, -73.533), (45.850, -73.283))),
    ("15", "Laurentides", 650_000,
     ((45.780, -74.000), (46.117, -74.600), (46.550, -75.500), (45.567, -73.900),
      (45.650, -74.333), (46.050, -74.283), (45.670, -73.880), (45.630, -73.820))),
    ("16", "Montérégie", 1_450_000,
     ((45.531, -73.518), (45.307, -73.262), (45.630, -72.957), (45.250, -74.133),
      (46.033, -73.117), (45.383, -73.750), (45.567, -73.200), (45.400, -74.033),
      (45.283, -72.983), (45.200, -72.750), (45.400, -72.733), (45.450, -73.467),
      (45.583, -73.333), (45.417, -73.483), (45.333, -73.517), (45.680, -73.430))),
)  # fmt: skip
# Seats of the province: the towns with the most postal codes in the table.
PROVINCE_SEATS = 90


def province(total_population: int = 8_700_000) -> Geography:
    """About 90 RLS over Québec with ``total_population`` residents.

    Seats are the :data:`PROVINCE_SEATS` towns with the most postal codes in the table (ties
    by name), placed at the median of their codes; an RLS's population is its region's
    population times the RLS's share of the region's codes, scaled to the total.
    """
    codes = load_postal_codes()
    towns, inverse, counts = np.unique(codes.city, return_inverse=True, return_counts=True)
    # Most codes first, then by name; np.unique already sorted the names.
    chosen = np.lexsort((np.arange(towns.size), -counts))[:PROVINCE_SEATS]
    chosen = np.sort(chosen)  # back to alphabetical order: stable, readable RLS codes
    seat_lat = np.array([np.median(codes.latitude[inverse == t]) for t in chosen])
    seat_lon = np.array([np.median(codes.longitude[inverse == t]) for t in chosen])

    anchor_lat = np.array([a[0] for reg in _PROVINCE_REGIONS for a in reg[3]])
    anchor_lon = np.array([a[1] for reg in _PROVINCE_REGIONS for a in reg[3]])
    anchor_region = np.array([i for i, reg in enumerate(_PROVINCE_REGIONS) for _ in reg[3]])
    nearest_anchor, _ = nearest_seat(seat_lat, seat_lon, anchor_lat, anchor_lon)
    seat_region = anchor_region[nearest_anchor]

    # Codes per seat decide each RLS's share of its region's population.
    owner, distance = nearest_seat(codes.latitude, codes.longitude, seat_lat, seat_lon)
    owner = np.where(distance <= PROVINCE_MAX_CODE_DISTANCE_KM, owner, -1)
    codes_per_seat = np.bincount(owner[owner >= 0], minlength=chosen.size).astype(np.float64)

    present = sorted(set(seat_region.tolist()))
    regions = tuple(RegionSpec(_PROVINCE_REGIONS[i][0], _PROVINCE_REGIONS[i][1]) for i in present)
    region_population = np.array([_PROVINCE_REGIONS[i][2] for i in seat_region], dtype=float)
    region_codes = np.array([codes_per_seat[seat_region == g].sum() for g in seat_region])
    weights = region_population * codes_per_seat / region_codes
    populations = apportion(total_population, weights)

    specs: list[RlsSpec] = []
    for g in present:
        region_id = _PROVINCE_REGIONS[g][0]
        for k, s in enumerate(np.flatnonzero(seat_region == g)):
            town = str(towns[chosen[s]])
            specs.append(
                RlsSpec(
                    f"{region_id}{k + 1:02d}",
                    region_id,
                    f"RLS de {town}",
                    town,
                    round(float(seat_lat[s]), 6),
                    round(float(seat_lon[s]), 6),
                    int(populations[s]),
                )
            )
    rls = tuple(specs)
    offsets, index, thin = _assign_codes(
        codes, np.arange(len(codes), dtype=np.int64), rls, PROVINCE_MAX_CODE_DISTANCE_KM
    )
    # Homes of a thin RLS spread over a full disk in the province (bearing ignored).
    return Geography(regions, rls, codes, offsets, index, thin, float("nan"))
