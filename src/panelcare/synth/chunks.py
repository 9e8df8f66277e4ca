"""One step of the generator: the patients, registrations, waiting list and visits of a
chunk of physicians, or of a block of residents without a family physician.

Random streams are keyed by what they describe, never by the step that draws them: each
physician has two (their panel, their panel's visits), each block of
:data:`RESIDENT_BLOCK` residents of an RLS has two. A chunk concatenates the draws of its
physicians and then works on whole arrays, so the output is the same whatever the number
of physicians per chunk, and no Python loop runs over patients or visits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from panelcare.geo import nearest_seat, offset_km
from panelcare.synth import people
from panelcare.synth.arrays import (
    BoolArray,
    FloatArray,
    Groups,
    IntArray,
    choose,
    cumulative,
    date_array,
    format_ids,
    take,
)
from panelcare.synth.geography import JITTER_KM, THIN_SPREAD_KM
from panelcare.synth.world import (
    KIND_GMF_R,
    MODES,
    SITE_KINDS,
    STREAM_PANEL,
    STREAM_PANEL_VISITS,
    STREAM_RESIDENT_VISITS,
    STREAM_RESIDENTS,
    World,
)

# Residents without a registration are drawn by blocks of this many per RLS (a block is
# one random stream, and one step of the generator).
RESIDENT_BLOCK = 50_000

# Uniform variates per person, by column.
_SEX, _VULNERABLE, _AGE, _CATEGORY, _CODE, _BEARING, _RADIUS, _FIRST, _LAST = range(9)
_START, _SWITCH, _PREVIOUS, _PREVIOUS_START, _PREGNANT, _FRAILTY_A, _FRAILTY_B = range(9, 16)
_PRIORITY, _REQUESTED, _PREVIOUS_END = range(16, 19)
_PERSON_UNIFORMS = 19

# Uniform variates per visit, by column.
_V_DATE, _V_KIND, _V_PROVIDER, _V_SITE, _V_PLACE, _V_TRIAGE = range(6)
_V_ADMITTED, _V_REPEAT, _V_REFERRED, _V_DEATH, _V_BILLING, _V_PREGNANCY = range(6, 12)
_VISIT_UNIFORMS = 12

# Who sees a patient, and where. With a registering physician on the day:
OWN, OWN_ELSEWHERE, COLLEAGUE, IPS, AGREEMENT, CLINIC, ER, OTHER_SETTING, OTHER_PROVIDER = range(9)
_KIND_CUMULATIVE_REGISTERED = cumulative([0.60, 0.02, 0.10, 0.05, 0.03, 0.08, 0.09, 0.02, 0.01])
# Without one, people go to walk-in clinics and emergency departments.
_KIND_CUMULATIVE_UNREGISTERED = cumulative([0, 0, 0, 0, 0, 0.55, 0.38, 0.04, 0.03])

SETTINGS = (
    "cabinet", "domicile", "clsc", "umf", "gmf", "gmf_r", "gmf_u", "clinique_reseau",
    "urgence_ch", "urgence_clsc", "other",
)  # fmt: skip
# A visit at a site takes the site's kind as its setting (the same names in both lists).
_SETTING_OF_SITE_KIND = np.array([SETTINGS.index(kind) for kind in SITE_KINDS], dtype=np.int64)
_DOMICILE, _URGENCE_CH, _URGENCE_CLSC, _OTHER = (
    SETTINGS.index("domicile"),
    SETTINGS.index("urgence_ch"),
    SETTINGS.index("urgence_clsc"),
    SETTINGS.index("other"),
)

TRIAGE = ("P1", "P2", "P3", "P4", "P5")
_TRIAGE_CUMULATIVE = cumulative([0.02, 0.10, 0.35, 0.38, 0.15])
# Ordinary visit codes (synthetic), then the codes the assiduity rules exclude (EP 40).
BILLING_CODES = (
    "00010", "00030", "00035", "00040", "00045", "08870", "08871", "15101", "15102",
    "15103", "15105", "15120",
)  # fmt: skip
EXCLUDED_BILLING_CODES = (
    "09900", "09901", "09800", "09801", "00013", "00014", "15264",
    *(f"{code:05d}" for code in range(98000, 98013)),
)  # fmt: skip
_EXCLUDED_SHARE = 0.03
_ALL_CODES = BILLING_CODES + EXCLUDED_BILLING_CODES

# Mean visits of a vulnerable patient, and of another, relative to the scale's mean (the
# average over a 42 % vulnerable panel is 1).
_VULNERABLE_VISITS = 1.5
_OTHER_VISITS = 0.64
_PREGNANCY_RATE = 0.06
_SWITCHER_SHARE = 0.35
_LOST_REGISTRATION_SHARE = 0.08
_HOME_CARE = people.CATEGORIES.index("home_care")


@dataclass
class Step:
    """The rows one step produced, per table, and how many visits it numbered."""

    tables: dict[str, pa.Table]
    visits: int


@dataclass
class _People:
    """Per-person arrays shared by the two kinds of step."""

    index: IntArray  # global patient index
    rls: IntArray
    female: BoolArray
    vulnerable: BoolArray
    age: IntArray
    born: IntArray  # 1 January of the birth year: nothing happens to anyone before it
    category: IntArray
    code: IntArray  # row of the postal-code table
    lat: FloatArray
    lon: FloatArray
    # registrations: current (ongoing) and previous (ended); -1 when none
    current: IntArray
    current_site: IntArray
    current_start: IntArray
    previous: IntArray
    previous_site: IntArray
    previous_start: IntArray
    previous_end: IntArray
    pregnant: BoolArray
    frailty: FloatArray


def _homes(world: World, rls: IntArray, u: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """A postal code (row of the code table) and a home point for each person.

    Homes are a random code of the RLS moved by up to :data:`JITTER_KM`; in a thin RLS (few
    code locations in the table) they are spread up to :data:`THIN_SPREAD_KM` around the
    seat, towards the land, and take the RLS's code nearest to them.
    """
    geo = world.geography
    codes = geo.codes
    by_rls = Groups(geo.code_offsets, geo.code_index)
    code, _ = by_rls.pick(rls, u[:, _CODE])
    lat = codes.latitude[code]
    lon = codes.longitude[code]
    radius = np.sqrt(u[:, _RADIUS])  # sqrt: uniform over the disk's area
    lat, lon = offset_km(lat, lon, 2 * np.pi * u[:, _BEARING], JITTER_KM * radius)
    thin = geo.thin[rls]
    if thin.any():
        rows = np.flatnonzero(thin)
        seat_lat = geo.rls_array("latitude")[rls[rows]]
        seat_lon = geo.rls_array("longitude")[rls[rows]]
        if np.isnan(geo.spread_bearing):
            bearing = 2 * np.pi * u[rows, _BEARING]
        else:
            bearing = geo.spread_bearing + np.pi * (u[rows, _BEARING] - 0.5)
        t_lat, t_lon = offset_km(seat_lat, seat_lon, bearing, THIN_SPREAD_KM * radius[rows])
        lat[rows], lon[rows] = t_lat, t_lon
        for r in np.unique(rls[rows]):  # a loop over thin RLS, not over people
            mine = rows[rls[rows] == r]
            options = geo.code_index[geo.code_offsets[r] : geo.code_offsets[r + 1]]
            nearest, _ = nearest_seat(
                lat[mine], lon[mine], codes.latitude[options], codes.longitude[options]
            )
            code[mine] = options[nearest]
    return code, lat.round(6), lon.round(6)


def _january_first(year: IntArray) -> IntArray:
    """Day numbers of 1 January of each year."""
    return (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def _frailty(u: FloatArray) -> FloatArray:
    """Gamma(2, 1/2) multipliers (mean 1): some people consult much more than others."""
    return -(np.log1p(-u[:, _FRAILTY_A]) + np.log1p(-u[:, _FRAILTY_B])) / 2.0


def _patients_table(world: World, p: _People, u: FloatArray) -> tuple[pa.Table, pa.Array]:
    """The ``patients`` rows of ``p`` and their ids."""
    number = world.patient_numbers(p.index)
    patient_id = format_ids("P", number, 8)
    first = people.first_names(u[:, _FIRST], p.female)
    last = people.last_names(u[:, _LAST])
    table = pa.table(
        {
            "patient_id": patient_id,
            "health_insurance_number": people.health_insurance_numbers(last, first, number),
            "first_name": take(people.FIRST_NAMES, first),
            "last_name": take(people.LAST_NAMES, last),
            "birth_year": pa.array(world.calendar.year - p.age, pa.int32()),
            "sex": take(("F", "M"), np.where(p.female, 0, 1)),
            "postal_code": take(world.postal_code_array, p.code),
            "latitude": pa.array(p.lat),
            "longitude": pa.array(p.lon),
            "rls_id": take(world.rls_ids, p.rls),
            "vulnerable": pa.array(p.vulnerable),
            "category": people.category_array(p.category),
        }
    )
    return table, patient_id


def _registrations_table(world: World, p: _People, patient_id: pa.Array) -> pa.Table:
    """Current registrations (ongoing) and previous ones (ended), by patient then date."""
    has_current = np.flatnonzero(p.current >= 0)
    has_previous = np.flatnonzero(p.previous >= 0)
    person = np.concatenate([has_previous, has_current])
    start = np.concatenate([p.previous_start[has_previous], p.current_start[has_current]])
    physician = np.concatenate([p.previous[has_previous], p.current[has_current]])
    site = np.concatenate([p.previous_site[has_previous], p.current_site[has_current]])
    end = np.concatenate([p.previous_end[has_previous], np.full(has_current.size, -1)])
    order = np.lexsort((start, person))
    person, start, physician, site, end = (a[order] for a in (person, start, physician, site, end))
    return pa.table(
        {
            "patient_id": patient_id.take(pa.array(person)),
            "physician_id": take(world.physician_ids, physician),
            "site_id": take(world.site_ids, site),
            "start_date": date_array(start),
            "end_date": date_array(end, null=end < 0),
        }
    )


def _waitlist_table(
    world: World,
    p: _People,
    patient_id: pa.Array,
    rows: IntArray,
    priority: IntArray,
    requested_on: IntArray,
    previous_physician: IntArray,
) -> pa.Table:
    """Waiting-list rows for the people at ``rows``."""
    return pa.table(
        {
            "patient_id": patient_id.take(pa.array(rows)),
            "rls_id": take(world.rls_ids, p.rls[rows]),
            "latitude": pa.array(p.lat[rows]),
            "longitude": pa.array(p.lon[rows]),
            "priority": take(people.PRIORITIES, priority),
            "vulnerable": pa.array(p.vulnerable[rows]),
            "requested_on": date_array(requested_on),
            "category": people.category_array(p.category[rows]),
            "previous_physician_id": take(
                world.physician_ids, previous_physician, null=previous_physician < 0
            ),
        }
    )


def _physicians_table(world: World, first: int, stop: int, vulnerable: IntArray) -> pa.Table:
    """Rows ``first:stop`` of ``physicians``, with their counts on ``as_of``."""
    i = np.arange(first, stop)
    site = world.physician_site[i]
    gmf = world.physician_gmf[i]
    amp = world.amp_target[i]
    assiduity = world.previous_assiduity[i]
    departing = world.departing_on[i]
    return pa.table(
        {
            "physician_id": pa.array(world.physician_ids[first:stop], pa.string()),
            "name": pa.array(world.physician_names[first:stop], pa.string()),
            "rls_id": take(world.rls_ids, world.physician_rls[i]),
            "site_id": take(world.site_ids, site),
            "latitude": pa.array(world.site_lat[site]),
            "longitude": pa.array(world.site_lon[site]),
            "registered": pa.array(world.panel[i], pa.int32()),
            "vulnerable": pa.array(vulnerable, pa.int32()),
            "practice_start": date_array(world.practice_start[i]),
            "birth_year": pa.array(world.birth_year[i], pa.int32()),
            "amp_target": pa.array(amp, pa.int32(), mask=amp < 0),
            "other_units": pa.array(world.other_units[i]),
            "mode": take(MODES, world.mode[i]),
            "previous_assiduity": pa.array(assiduity, mask=np.isnan(assiduity)),
            "departing_on": date_array(departing, null=departing < 0),
            "licence_number": pa.array(world.licence_numbers[first:stop], pa.string()),
            "gmf_id": take(world.gmf_ids, gmf, null=gmf < 0),
        }
    )


def physician_chunk(
    world: World, first: int, stop: int, visit_offset: int, with_visits: bool
) -> Step:
    """Physicians ``first:stop``: their rows, their patients, registrations and visits.

    The patients of a physician leaving before 1 January of the next year also go to the
    waiting list, with ``previous_physician_id`` set (DSP-PR-30042 5.2).
    """
    cal = world.calendar
    sizes = world.panel[first:stop]
    owners = np.arange(first, stop)
    draws = [
        np.random.default_rng([world.seed, STREAM_PANEL, int(i)]).random((int(n), _PERSON_UNIFORMS))
        for i, n in zip(owners, sizes, strict=True)
    ]
    u = np.concatenate(draws) if draws else np.zeros((0, _PERSON_UNIFORMS))
    owner = np.repeat(owners, sizes)
    n = owner.size
    local_start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    index = np.repeat(world.patient_offset[first:stop], sizes) + np.arange(n) - local_start

    female = u[:, _SEX] < 0.5
    vulnerable = u[:, _VULNERABLE] < world.vulnerable_share[owner]
    age = people.ages(u[:, _AGE], vulnerable, registered=True)
    born = _january_first(cal.year - age)
    rls = world.physician_rls[owner]

    # Current registration: began between the physician's start (or the epoch of
    # registration, or the patient's birth) and as_of. Some recent ones follow a
    # registration with a colleague of the RLS that ended the day before (a change of
    # physician, no overlap).
    lo = np.maximum(np.maximum(world.practice_start[owner], cal.registration_epoch), born)
    start = lo + (u[:, _START] * (cal.as_of - lo + 1)).astype(np.int64)
    previous, found = world.rls_physicians.pick(rls, u[:, _PREVIOUS], exclude=owner)
    previous_end = start - 1
    previous_lo = np.maximum(
        np.maximum(world.practice_start[np.maximum(previous, 0)], cal.registration_epoch), born
    )
    switch = (
        (start >= cal.visits_start)
        & (u[:, _SWITCH] < _SWITCHER_SHARE)
        & found
        & (previous_end - 30 >= previous_lo)
    )
    previous_start = previous_lo + (
        u[:, _PREVIOUS_START] * (previous_end - 30 - previous_lo + 1)
    ).astype(np.int64)
    previous = np.where(switch, previous, -1)

    p = _People(
        index=index,
        rls=rls,
        female=female,
        vulnerable=vulnerable,
        age=age,
        born=born,
        category=people.categories(u[:, _CATEGORY], vulnerable),
        code=np.empty(0, dtype=np.int64),
        lat=np.empty(0),
        lon=np.empty(0),
        current=owner,
        current_site=world.physician_site[owner],
        current_start=start,
        previous=previous,
        previous_site=np.where(switch, world.physician_site[np.maximum(previous, 0)], -1),
        previous_start=np.where(switch, previous_start, -1),
        previous_end=np.where(switch, previous_end, -1),
        pregnant=female & (age >= 18) & (age <= 42) & (u[:, _PREGNANT] < _PREGNANCY_RATE),
        frailty=_frailty(u),
    )
    p.code, p.lat, p.lon = _homes(world, rls, u)
    patients, patient_id = _patients_table(world, p, u)

    leaving = np.flatnonzero(world.departing_before_january[owner])
    # The departure was announced within the last two months: that is when they asked.
    requested = cal.as_of - (u[leaving, _REQUESTED] * 60).astype(np.int64)
    waitlist = _waitlist_table(
        world,
        p,
        patient_id,
        leaving,
        people.priorities(u[leaving, _PRIORITY], vulnerable[leaving]),
        requested,
        owner[leaving],
    )
    counts = np.bincount(owner - first, weights=vulnerable, minlength=stop - first)
    tables = {
        "physicians": _physicians_table(world, first, stop, counts.astype(np.int64)),
        "patients": patients,
        "registrations": _registrations_table(world, p, patient_id),
        "waitlist": waitlist,
    }
    visits = 0
    if with_visits:
        streams = [np.random.default_rng([world.seed, STREAM_PANEL_VISITS, int(i)]) for i in owners]
        tables["visits"], visits = _visits(
            world, p, patient_id, streams, sizes, world.visits_per_registered_year, visit_offset
        )
    return Step(tables, visits)


def resident_block(
    world: World, rls: int, block: int, visit_offset: int, with_visits: bool
) -> Step:
    """Block ``block`` of RLS ``rls``'s residents who hold no registration on ``as_of``.

    The RLS's first ``waiting[rls]`` such residents are on the waiting list. A few lost a
    registration during the visit period (ended, not renewed).
    """
    cal = world.calendar
    first = block * RESIDENT_BLOCK
    stop = min(int(world.unregistered[rls]), first + RESIDENT_BLOCK)
    n = stop - first
    u = np.random.default_rng([world.seed, STREAM_RESIDENTS, rls, block]).random(
        (n, _PERSON_UNIFORMS)
    )
    position = first + np.arange(n)
    waiting = position < world.waiting[rls]
    vulnerable = u[:, _VULNERABLE] < np.where(waiting, 0.38, 0.15)
    age = people.ages(u[:, _AGE], vulnerable, registered=False)
    born = _january_first(cal.year - age)
    female = u[:, _SEX] < 0.5
    rls_of = np.full(n, rls, dtype=np.int64)

    previous, found = world.rls_physicians.pick(rls_of, u[:, _PREVIOUS])
    previous_end = cal.visits_start + (u[:, _PREVIOUS_END] * (cal.as_of - cal.visits_start)).astype(
        np.int64
    )
    previous_lo = np.maximum(
        np.maximum(world.practice_start[np.maximum(previous, 0)], cal.registration_epoch), born
    )
    lost = found & (u[:, _SWITCH] < _LOST_REGISTRATION_SHARE) & (previous_end - 30 >= previous_lo)
    previous_start = previous_lo + (
        u[:, _PREVIOUS_START] * (previous_end - 30 - previous_lo + 1)
    ).astype(np.int64)

    p = _People(
        index=world.resident_offset[rls] + position,
        rls=rls_of,
        female=female,
        vulnerable=vulnerable,
        age=age,
        born=born,
        category=people.categories(u[:, _CATEGORY], vulnerable),
        code=np.empty(0, dtype=np.int64),
        lat=np.empty(0),
        lon=np.empty(0),
        current=np.full(n, -1, dtype=np.int64),
        current_site=np.full(n, -1, dtype=np.int64),
        current_start=np.full(n, -1, dtype=np.int64),
        previous=np.where(lost, previous, -1),
        previous_site=np.where(lost, world.physician_site[np.maximum(previous, 0)], -1),
        previous_start=np.where(lost, previous_start, -1),
        previous_end=np.where(lost, previous_end, -1),
        pregnant=female & (age >= 18) & (age <= 42) & (u[:, _PREGNANT] < _PREGNANCY_RATE),
        frailty=_frailty(u),
    )
    p.code, p.lat, p.lon = _homes(world, rls_of, u)
    patients, patient_id = _patients_table(world, p, u)

    rows = np.flatnonzero(waiting)
    # Requests over the last three years, more of them recent; after a lost registration,
    # the request follows its end.
    requested = cal.as_of - (1095 * u[rows, _REQUESTED] ** 1.4).astype(np.int64)
    after_loss = lost[rows]
    gap = cal.as_of - previous_end[rows]
    requested = np.where(
        after_loss,
        previous_end[rows] + 1 + (u[rows, _REQUESTED] * np.maximum(gap, 1)).astype(np.int64),
        requested,
    )
    requested = np.minimum(requested, cal.as_of)
    waitlist = _waitlist_table(
        world,
        p,
        patient_id,
        rows,
        people.priorities(u[rows, _PRIORITY], vulnerable[rows]),
        requested,
        np.full(rows.size, -1, dtype=np.int64),
    )
    tables = {
        "patients": patients,
        "registrations": _registrations_table(world, p, patient_id),
        "waitlist": waitlist,
    }
    visits = 0
    if with_visits:
        stream = np.random.default_rng([world.seed, STREAM_RESIDENT_VISITS, rls, block])
        tables["visits"], visits = _visits(
            world,
            p,
            patient_id,
            [stream],
            np.array([n]),
            world.visits_per_unregistered_year,
            visit_offset,
        )
    return Step(tables, visits)


def _visits(
    world: World,
    p: _People,
    patient_id: pa.Array,
    streams: list[np.random.Generator],
    sizes: IntArray,
    rate: float,
    visit_offset: int,
) -> tuple[pa.Table, int]:
    """The visits of ``p`` over the visit period; ``streams[k]`` draws those of the
    ``sizes[k]`` consecutive people of owner ``k``.

    Visit ids continue from ``visit_offset``; visits are ordered by patient, then date.
    """
    cal = world.calendar
    # Each person's window: the visit period, from their birth if they were born in it.
    first_day = np.maximum(cal.visits_start, p.born)
    days = np.maximum(cal.visits_end - first_day + 1, 0)
    mean = (
        rate * days / 365.25 * p.frailty * np.where(p.vulnerable, _VULNERABLE_VISITS, _OTHER_VISITS)
    )
    counts_parts = []
    uniform_parts = []
    start = 0
    for stream, size in zip(streams, sizes, strict=True):  # one per physician or block
        c = stream.poisson(mean[start : start + int(size)])
        counts_parts.append(c)
        uniform_parts.append(stream.random((int(c.sum()), _VISIT_UNIFORMS)))
        start += int(size)
    counts = np.concatenate(counts_parts)
    v = np.concatenate(uniform_parts)
    m = v.shape[0]
    person = np.repeat(np.arange(counts.size), counts)
    date = first_day[person] + (v[:, _V_DATE] * days[person]).astype(np.int64)
    date = date[np.lexsort((date, person))]  # person is sorted: dates sort within each person

    # The physician the patient is registered with on the visit's day, if any.
    in_current = (p.current[person] >= 0) & (date >= p.current_start[person])
    in_previous = (
        (p.previous[person] >= 0)
        & (date >= p.previous_start[person])
        & (date <= p.previous_end[person])
    )
    holder = np.where(in_current, p.current[person], np.where(in_previous, p.previous[person], -1))
    registration_site = np.where(
        in_current, p.current_site[person], np.where(in_previous, p.previous_site[person], -1)
    )
    registered = holder >= 0
    kind = np.where(
        registered,
        choose(_KIND_CUMULATIVE_REGISTERED, v[:, _V_KIND]),
        choose(_KIND_CUMULATIVE_UNREGISTERED, v[:, _V_KIND]),
    )
    rls = p.rls[person]
    n_phys = world.physicians
    n_sites = len(world.site_ids)
    provider = np.full(m, -1, dtype=np.int64)
    site = np.full(m, -1, dtype=np.int64)  # sites, then hospitals at n_sites + h
    setting = np.full(m, -1, dtype=np.int64)
    h_gmf = np.where(registered, world.physician_gmf[np.maximum(holder, 0)], -1)

    # A colleague: a member of the same GMF at one of its sites, or a physician of the same
    # practice group at the registration site.
    rows = np.flatnonzero(kind == COLLEAGUE)
    member = h_gmf[rows] >= 0
    by_gmf, ok_gmf = world.gmf_members.pick(h_gmf[rows], v[rows, _V_PROVIDER], exclude=holder[rows])
    gmf_site, ok_site = world.gmf_sites.pick(h_gmf[rows], v[rows, _V_SITE])
    group = world.physician_group[holder[rows]]
    by_group, ok_group = world.group_members.pick(group, v[rows, _V_PROVIDER], exclude=holder[rows])
    provider[rows] = np.where(member, by_gmf, by_group)
    site[rows] = np.where(member, gmf_site, registration_site[rows])
    kind[rows[~np.where(member, ok_gmf & ok_site, ok_group)]] = CLINIC

    # An IPS-SPL: one of the GMF's, at its site; outside a GMF, a partner of the physician
    # at the registration site.
    rows = np.flatnonzero(kind == IPS)
    member = h_gmf[rows] >= 0
    gmf_ips, ok_gmf = world.gmf_ips.pick(h_gmf[rows], v[rows, _V_PROVIDER])
    partner, ok_partner = world.physician_ips.pick(holder[rows], v[rows, _V_PROVIDER])
    ips = np.where(member, gmf_ips, partner)
    ok = np.where(member, ok_gmf, ok_partner)
    provider[rows] = np.where(ok, n_phys + ips, -1)
    site[rows] = np.where(member, world.ips_site[np.maximum(ips, 0)], registration_site[rows])
    kind[rows[~ok]] = CLINIC

    # A physician of a GMF linked by a service agreement: at their own GMF's site, or, for
    # a GMF-R, at a site of the patient's physician's GMF.
    rows = np.flatnonzero(kind == AGREEMENT)
    partner_gmf, ok_partner = world.gmf_partners.pick(h_gmf[rows], v[rows, _V_SITE])
    by_partner, ok_member = world.gmf_members.pick(partner_gmf, v[rows, _V_PROVIDER])
    network = world.gmf_kind[np.maximum(partner_gmf, 0)] == KIND_GMF_R
    where_gmf = np.where(network, h_gmf[rows], partner_gmf)
    place, ok_place = world.gmf_sites.pick(where_gmf, v[rows, _V_PLACE])
    ok = ok_partner & ok_member & ok_place
    provider[rows] = by_partner
    site[rows] = place
    kind[rows[~ok]] = CLINIC

    # The patient's own physician somewhere else than the registration site (the CLSC).
    rows = np.flatnonzero(kind == OWN_ELSEWHERE)
    clsc = world.rls_clsc_site[rls[rows]]
    other, ok_other = world.rls_clinic_sites.pick(
        rls[rows], v[rows, _V_SITE], exclude=registration_site[rows]
    )
    elsewhere = np.where(clsc != registration_site[rows], clsc, other)
    ok = (clsc != registration_site[rows]) | ok_other
    provider[rows] = holder[rows]
    site[rows] = np.where(ok, elsewhere, registration_site[rows])

    # A specialist or another professional (provider kind "other") at a clinic of the RLS.
    rows = np.flatnonzero(kind == OTHER_PROVIDER)
    provider[rows] = (
        n_phys + len(world.ips_ids) + (v[rows, _V_PROVIDER] * world.specialists).astype(np.int64)
    )
    clinic_site, ok_site = world.rls_clinic_sites.pick(rls[rows], v[rows, _V_SITE])
    site[rows] = np.where(ok_site, clinic_site, world.rls_clsc_site[rls[rows]])

    # A walk-in visit at another clinic of the RLS (or its CLSC when there is none).
    rows = np.flatnonzero(kind == CLINIC)
    clinic_site, ok_site = world.rls_clinic_sites.pick(
        rls[rows], v[rows, _V_SITE], exclude=registration_site[rows]
    )
    clinic_site = np.where(ok_site, clinic_site, world.rls_clsc_site[rls[rows]])
    at_site, ok_at = world.site_physicians.pick(clinic_site, v[rows, _V_PROVIDER])
    in_rls, _ = world.rls_physicians.pick(rls[rows], v[rows, _V_PROVIDER])
    provider[rows] = np.where(ok_at, at_site, in_rls)
    site[rows] = clinic_site

    # The patient's own physician at the registration site; at home for home care.
    rows = np.flatnonzero(kind == OWN)
    provider[rows] = holder[rows]
    site[rows] = registration_site[rows]
    at_home = (p.category[person[rows]] == _HOME_CARE) & (v[rows, _V_PLACE] < 0.5)
    setting[rows[at_home]] = _DOMICILE

    # Emergency: the hospital's (urgence_ch) or the CLSC's (urgence_clsc); and hospital
    # wards (setting "other"), seen by a physician of the RLS.
    rows = np.flatnonzero((kind == ER) | (kind == OTHER_SETTING))
    on_call, _ = world.rls_physicians.pick(rls[rows], v[rows, _V_PROVIDER])
    provider[rows] = on_call
    in_clsc = (kind[rows] == ER) & (v[rows, _V_PLACE] >= 0.8)
    site[rows] = np.where(
        in_clsc, world.rls_clsc_site[rls[rows]], n_sites + world.rls_hospital[rls[rows]]
    )
    setting[rows] = np.where(
        kind[rows] == OTHER_SETTING, _OTHER, np.where(in_clsc, _URGENCE_CLSC, _URGENCE_CH)
    )

    # Last resort (an RLS without an established physician): any established physician.
    missing = np.flatnonzero(provider < 0)
    if missing.size:
        anyone, _ = world.all_physicians.pick(
            np.zeros(missing.size, dtype=np.int64), v[missing, _V_PROVIDER]
        )
        provider[missing] = anyone
    unset = setting < 0
    setting[unset] = _SETTING_OF_SITE_KIND[world.site_kind[site[unset]]]
    _steer_rates(
        world,
        np.repeat(np.arange(len(sizes)), sizes)[person],
        holder,
        h_gmf,
        p.pregnant[person],
        date,
        v,
        (kind, provider, site, setting),
    )

    er = (setting == _URGENCE_CH) | (setting == _URGENCE_CLSC)
    triage = choose(_TRIAGE_CUMULATIVE, v[:, _V_TRIAGE])
    admitted = er & (v[:, _V_ADMITTED] < np.where(triage <= 2, 0.30, 0.04))
    physician_made = provider < n_phys
    is_ips = (provider >= n_phys) & (provider < n_phys + len(world.ips_ids))
    excluded = v[:, _V_BILLING] < _EXCLUDED_SHARE
    # The ordinary code reuses the billing variate above the excluded share, rescaled.
    ordinary_code = (
        ((v[:, _V_BILLING] - _EXCLUDED_SHARE) / (1 - _EXCLUDED_SHARE) * len(BILLING_CODES))
        .astype(np.int64)
        .clip(0, len(BILLING_CODES) - 1)
    )
    excluded_code = len(BILLING_CODES) + (
        v[:, _V_BILLING] / _EXCLUDED_SHARE * len(EXCLUDED_BILLING_CODES)
    ).astype(np.int64).clip(0, len(EXCLUDED_BILLING_CODES) - 1)
    code = np.where(excluded & physician_made, excluded_code, ordinary_code)
    pregnancy = (
        p.pregnant[person]
        & np.isin(kind, (OWN, COLLEAGUE, CLINIC, IPS))
        & (setting != _DOMICILE)
        & (v[:, _V_PREGNANCY] < 0.6)
    )

    table = pa.table(
        {
            "visit_id": format_ids("V", visit_offset + 1 + np.arange(m), 9),
            "patient_id": patient_id.take(pa.array(person)),
            "provider_id": take(world.provider_id_array, provider),
            "provider_kind": take(
                ("physician", "ips", "other"), np.where(physician_made, 0, np.where(is_ips, 1, 2))
            ),
            "visit_date": date_array(date),
            "site_id": take(world.visit_site_id_array, site),
            "setting": take(SETTINGS, setting),
            "billing_code": take(_ALL_CODES, code, null=is_ips),
            "er_triage": take(TRIAGE, triage, null=~er),
            "er_admitted": pa.array(admitted),
            "er_repeat": pa.array(er & (v[:, _V_REPEAT] < 0.06)),
            "er_referred": pa.array(er & (v[:, _V_REFERRED] < 0.05)),
            "er_death": pa.array(er & (v[:, _V_DEATH] < 0.003)),
            "pregnancy_followup": pa.array(pregnancy),
        }
    )
    return table, m


def _steer_rates(
    world: World,
    owner: IntArray,
    holder: IntArray,
    holder_gmf: IntArray,
    pregnant: BoolArray,
    date: IntArray,
    v: FloatArray,
    visits: tuple[IntArray, IntArray, IntArray, IntArray],
) -> None:
    """Turn some visits of steered physicians' patients from their own physician's at the
    GMF (OWN) into walk-in visits to a physician of no link with them (:attr:`World.
    strangers`), so that each steered physician's rate, year by year, is about
    ``world.steered_rate`` (the scale's ``steered_rates``; nothing changes otherwise).
    ``visits`` (kind, provider, site, setting) are changed in place.

    ``holder`` is the physician the patient is registered with on the visit's day (-1
    for none), ``owner`` the random stream the patient was drawn from (a physician's panel
    or a block of residents). The visits of each (owner, holder, year) are steered on
    their own: they are all in one step of the generator, so the output does not depend on
    the chunk size, and a rate made of parts each near the level is near it. The rate is estimated
    from the visits as the assiduity rules read them (EP 40, 15.06; spec/assiduity.md): not
    counted, emergency visits of priority P1-P3 or admitted, repeated, referred or ending in
    death, other settings and providers, the excluded billing codes, the physician's own
    visits outside their GMF's sites, service-agreement visits; assiduous, the physician's
    own visits at the GMF (or at home), a GMF colleague's at its sites, an IPS-SPL's of the
    GMF. A visit turned stays counted and stops being assiduous. The ones turned are those
    whose kind was drawn nearest to the walk-in share (the highest kind variates), as if
    the physician's OWN share were lowered.
    """
    kind, provider, site, setting = visits
    steered = world.steered_rate[np.maximum(holder, 0)]
    rows = np.flatnonzero((holder >= 0) & ~np.isnan(steered))
    if rows.size == 0:
        return
    n_phys, n_sites = world.physicians, len(world.site_ids)
    k, who, where, place, u = kind[rows], provider[rows], site[rows], setting[rows], v[rows]
    h, h_gmf = holder[rows], holder_gmf[rows]
    physician = who < n_phys
    site_gmf = np.where(where < n_sites, world.site_gmf[np.minimum(where, n_sites - 1)], -1)
    at_gmf = (site_gmf == h_gmf) | (place == _DOMICILE)
    triage = choose(_TRIAGE_CUMULATIVE, u[:, _V_TRIAGE])
    er = (place == _URGENCE_CH) | (place == _URGENCE_CLSC)
    er_counts = ~er | (
        (triage > TRIAGE.index("P3"))
        & (u[:, _V_ADMITTED] >= 0.04)
        & (u[:, _V_REPEAT] >= 0.06)
        & (u[:, _V_REFERRED] >= 0.05)
        & (u[:, _V_DEATH] >= 0.003)
    )
    own = physician & (who == h)
    counted = (
        (place != _OTHER)
        & (who < n_phys + len(world.ips_ids))
        & (~physician | (u[:, _V_BILLING] >= _EXCLUDED_SHARE))
        & er_counts
        & ~(own & ~at_gmf)
        & (k != AGREEMENT)
    )
    colleague = physician & ~own & (world.physician_gmf[np.minimum(who, n_phys - 1)] == h_gmf)
    assiduous = counted & ((own & at_gmf) | (colleague & at_gmf) | (k == IPS))
    turnable = assiduous & (k == OWN) & own & (place != _DOMICILE) & ~pregnant[rows]
    stranger = world.strangers[h]
    year = date[rows].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    group = (owner[rows] * (n_phys + 1) + h) * 10_000 + year
    turned_parts = []
    for key in np.unique(group):  # a loop over steered physicians and years, not visits
        mine = group == key
        excess = int(assiduous[mine].sum()) - round(
            float(steered[rows[mine][0]]) * int(counted[mine].sum())
        )
        candidates = np.flatnonzero(mine & turnable & (stranger >= 0))
        if excess > 0 and candidates.size:
            order = np.argsort(-u[candidates, _V_KIND], kind="stable")
            turned_parts.append(candidates[order[:excess]])
    if not turned_parts:
        return
    turned = np.concatenate(turned_parts)
    away = stranger[turned]
    target = rows[turned]
    kind[target] = CLINIC
    provider[target] = away
    site[target] = world.physician_site[away]
    setting[target] = _SETTING_OF_SITE_KIND[world.site_kind[world.physician_site[away]]]
