"""The structure of a synthetic territory: GMFs, sites, physicians and their links.

Everything here is small (at most a few thousand sites and 10,000 physicians at the
province scale) and built once, from its own random stream, before any patient exists.
Panel sizes are fixed here too, so the number of patients of each physician, and the
offset of their ids, are known before the patients are generated chunk by chunk: that is
what lets the chunks be generated independently of each other and of the chunk size.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from panelcare.geo import haversine_km, offset_km
from panelcare.synth.arrays import (
    BoolArray,
    FloatArray,
    Groups,
    IntArray,
    date_array,
    day_number,
)
from panelcare.synth.geography import Geography, apportion
from panelcare.synth.people import FEMALE_NAMES, LAST_NAMES, MALE_NAMES
from panelcare.synth.scales import Scale

# Seeds of the independent random streams: numpy.random.default_rng([seed, stream, ...]).
STREAM_WORLD = 0
STREAM_PANEL = 1
STREAM_PANEL_VISITS = 2
STREAM_RESIDENTS = 3
STREAM_RESIDENT_VISITS = 4

GMF_KINDS = ("gmf", "gmf_r", "gmf_u")
SITE_KINDS = ("gmf", "gmf_r", "gmf_u", "cabinet", "clsc")
KIND_GMF, KIND_GMF_R, KIND_GMF_U, KIND_CABINET, KIND_CLSC = range(5)
MODES = ("bloc", "le304", "none")

# Shares of an RLS's physicians by practice setting; the rest are GMF members.
CLSC_SHARE = 0.08
CABINET_SHARE = 0.10
MEMBERS_PER_GMF = 11
CABINET_PHYSICIANS_PER_SITE = 3
# New physicians subject to the AMP requirement (group 1a): practice start within the year.
NEW_PHYSICIAN_SHARE = 0.05
# Announced departures before 1 January of the next year, and after it.
DEPARTING_BEFORE_SHARE = 0.012
DEPARTING_AFTER_SHARE = 0.008
VULNERABLE_SHARE = 0.42
# The assiduity rates a demo scale steers physicians to (Scale.steered_rates), in each
# RLS, for its GMF members ranked 2nd, 3rd and 4th by panel (_STEERED_ORDERS): under the 80 % target
# (EP 40, 15.03) by less than 3 points (three-quarters of the supplements, on the paritary
# committee's list, 15.04), in the 70-75 % band (half) and under 70 % (none). The largest
# panel of each RLS is left alone. The levels are set in the middle of their bands: the
# visits the generator does not steer move a rate by a few tenths of a point.
STEERED_RATES = (0.785, 0.725, 0.66)
# Which level goes to the 2nd, 3rd and 4th panel, RLS by RLS in turn (a Latin square): an
# RLS with only one or two physicians to steer (the tiny scale's) still gets different
# levels from its neighbour's.
_STEERED_ORDERS = ((1, 0, 2), (0, 2, 1), (2, 1, 0))
# Health insurance numbers carry a 7-digit serial: the residents must fit.
MAX_RESIDENTS = 10_000_000
# Registrations as we generate them start no earlier than this day.
REGISTRATION_EPOCH = datetime.date(2003, 1, 1)

_GMF_LABELS = (
    "du Fleuve", "des Pionniers", "de la Cité", "du Parc", "des Berges", "du Littoral",
    "de l'Estuaire", "des Monts", "du Vieux-Quai", "de la Rivière", "du Plateau",
    "des Érables", "de la Colline", "du Phare", "des Seigneuries", "des Deux-Rives",
)  # fmt: skip
_CABINET_LABELS = (
    "Saint-Germain", "Lafontaine", "des Chênes", "du Centre", "Sainte-Anne", "Belvédère",
    "des Bouleaux", "de l'Anse", "Saint-Louis", "du Boisé",
)  # fmt: skip
_STREETS = (
    "rue Saint-Germain", "boulevard René-Lepage", "avenue de la Cathédrale", "rue de l'Évêché",
    "rue des Pionniers", "rue Principale", "boulevard Jessop", "avenue du Phare",
    "rue Lafontaine", "rue Saint-Jean-Baptiste", "boulevard Taché", "rue du Parc",
    "rue de la Gare", "route 132", "rue Notre-Dame", "rue Saint-Pierre", "avenue Sirois",
    "rue Fraser", "boulevard de la Rivière", "rue du Couvent",
)  # fmt: skip


@dataclass(frozen=True)
class Calendar:
    """The days (``date32`` numbers) the generator works with.

    ``visits_start``/``visits_end`` bound the visit dates (both included): the calendar
    year before ``as_of`` and, at the region scale, ``as_of``'s year up to ``as_of``.
    """

    as_of: int
    year: int
    visits_start: int
    visits_end: int
    next_january: int
    registration_epoch: int

    @classmethod
    def build(cls, as_of: datetime.date, previous_year_only: bool) -> Calendar:
        start = datetime.date(as_of.year - 1, 1, 1)
        end = datetime.date(as_of.year - 1, 12, 31) if previous_year_only else as_of
        return cls(
            as_of=day_number(as_of),
            year=as_of.year,
            visits_start=day_number(start),
            visits_end=day_number(end),
            next_january=day_number(datetime.date(as_of.year + 1, 1, 1)),
            registration_epoch=day_number(REGISTRATION_EPOCH),
        )


@dataclass
class World:
    """The territory and its physicians, as arrays indexed by row number.

    Physicians are numbered in RLS order; ``patient_offset[i]`` is the global index of
    physician ``i``'s first registered patient (the panel holds ``panel[i]`` patients).
    Residents without a registration on ``as_of`` come after all panels, RLS by RLS:
    ``resident_offset[r]`` is the first of RLS ``r``'s ``unregistered[r]`` residents, of
    whom the first ``waiting[r]`` are on the waiting list.
    """

    geography: Geography
    calendar: Calendar
    seed: int
    # RLS
    rls_ids: list[str]
    rls_region: list[str]
    registered: IntArray
    unregistered: IntArray
    waiting: IntArray
    resident_offset: IntArray
    # sites (GMF sites, private offices, CLSCs) then hospitals, in one numbering for visits
    site_ids: list[str]
    site_rls: IntArray
    site_gmf: IntArray
    site_kind: IntArray
    site_lat: FloatArray
    site_lon: FloatArray
    hospital_ids: list[str]
    rls_clsc_site: IntArray
    rls_hospital: IntArray
    # GMFs
    gmf_ids: list[str]
    gmf_kind: IntArray
    # physicians
    physician_ids: list[str]
    physician_names: list[str]
    licence_numbers: list[str]
    physician_rls: IntArray
    physician_site: IntArray
    physician_gmf: IntArray
    physician_group: IntArray
    practice_start: IntArray
    birth_year: IntArray
    amp_target: IntArray
    other_units: FloatArray
    mode: IntArray
    previous_assiduity: FloatArray
    departing_on: IntArray
    established: BoolArray
    panel: IntArray
    vulnerable_share: FloatArray
    patient_offset: IntArray
    # the rate each physician's visits are steered to (NaN: not steered; STEERED_RATES)
    steered_rate: FloatArray
    # IPS-SPL
    ips_ids: list[str]
    ips_site: IntArray
    # pools for visits: random members of a group
    gmf_members: Groups
    gmf_sites: Groups
    gmf_ips: Groups
    gmf_partners: Groups
    group_members: Groups
    physician_ips: Groups
    site_physicians: Groups
    rls_clinic_sites: Groups
    rls_physicians: Groups
    all_physicians: Groups
    specialists: int
    visits_per_registered_year: float
    visits_per_unregistered_year: float
    # reference and link tables, ready to write
    tables: dict[str, pa.Table]

    @property
    def physicians(self) -> int:
        return len(self.physician_ids)

    @property
    def residents(self) -> int:
        return int(self.registered.sum() + self.unregistered.sum())

    @property
    def departing_before_january(self) -> BoolArray:
        """Physicians whose announced departure falls before 1 January of the next year."""
        return (self.departing_on >= 0) & (self.departing_on < self.calendar.next_january)

    @functools.cached_property
    def strangers(self) -> IntArray:
        """For each steered physician (:attr:`steered_rate`), a physician a walk-in visit
        to whom is counted and not assiduous for them (EP 40, 15.06): practising before
        the visit period, not in their GMF, practice group or a GMF bound to theirs by a
        service agreement, of their RLS if one is (the nearest number), else of any;
        -1 for the others (and when none is)."""
        n = self.physicians
        found = np.full(n, -1, dtype=np.int64)
        partners = self.gmf_partners
        for i in np.flatnonzero(~np.isnan(self.steered_rate)):  # a few per RLS
            gmf = int(self.physician_gmf[i])
            linked = {gmf}
            if gmf >= 0:
                linked |= set(partners.members[partners.offsets[gmf] : partners.offsets[gmf + 1]])
            group = int(self.physician_group[i])
            ok = (
                self.established
                & ~np.isin(self.physician_gmf, [g for g in linked if g >= 0])
                & ((self.physician_group != group) | (group < 0))
            )
            ok[i] = False
            options = np.flatnonzero(ok)
            if options.size == 0:
                continue
            same_rls = options[self.physician_rls[options] == self.physician_rls[i]]
            pool = same_rls if same_rls.size else options
            found[i] = pool[np.argmin(np.abs(pool - i))]
        return found

    @functools.cached_property
    def postal_code_array(self) -> pa.Array:
        """The postal codes of the code table, for ``take`` by row."""
        return pa.array(self.geography.codes.postal_code, pa.string())

    @functools.cached_property
    def provider_id_array(self) -> pa.Array:
        """Ids of every visit provider: physicians, then IPS-SPL, then other professionals
        (``X00001``...: specialists and others, provider kind ``other``)."""
        others = [f"X{k + 1:05d}" for k in range(self.specialists)]
        return pa.array(self.physician_ids + self.ips_ids + others, pa.string())

    @functools.cached_property
    def visit_site_id_array(self) -> pa.Array:
        """Ids of every place of a visit: sites, then hospitals."""
        return pa.array(self.site_ids + self.hospital_ids, pa.string())

    def patient_numbers(self, index: IntArray) -> IntArray:
        """The public number (1..residents) of patients given by global index.

        A fixed affine permutation modulo the number of residents: ids do not reveal
        whether a patient is registered (registered patients have the lowest indexes).
        """
        n = self.residents
        return (index * _multiplier(n) + 7919) % n + 1


def _multiplier(n: int) -> int:
    """An odd multiplier coprime with ``n``, near the golden ratio of ``n``."""
    a = max(3, int(n * 0.6180339887) | 1)
    while math.gcd(a, n) != 1:
        a += 2
    return a


def _names(rng: np.random.Generator, count: int) -> list[str]:
    female = rng.random(count) < 0.5
    first_f = rng.integers(0, len(FEMALE_NAMES), count)
    first_m = rng.integers(0, len(MALE_NAMES), count)
    last = rng.integers(0, len(LAST_NAMES), count)
    return [
        f"{FEMALE_NAMES[ff] if f else MALE_NAMES[fm]} {LAST_NAMES[ln]}"
        for f, ff, fm, ln in zip(female, first_f, first_m, last, strict=True)
    ]


def _random_days(
    rng: np.random.Generator, lo: IntArray | int, hi: IntArray | int, size: int
) -> IntArray:
    """Uniform day numbers in [lo, hi] (both included, hi >= lo)."""
    lo_a = np.broadcast_to(np.asarray(lo, dtype=np.int64), (size,))
    hi_a = np.broadcast_to(np.asarray(hi, dtype=np.int64), (size,))
    return lo_a + (rng.random(size) * (np.maximum(hi_a - lo_a, 0) + 1)).astype(np.int64)


def build_world(geography: Geography, scale: Scale, seed: int, as_of: datetime.date) -> World:
    """Build the territory, its GMFs, sites, physicians and their links for ``scale``."""
    rng = np.random.default_rng([seed, STREAM_WORLD])
    cal = Calendar.build(as_of, scale.visits_previous_year_only)
    rls = geography.rls
    n_rls = len(rls)
    population = np.array([r.population for r in rls], dtype=np.int64)
    if population.sum() >= MAX_RESIDENTS:
        raise ValueError(f"at most {MAX_RESIDENTS - 1:,} residents (7 serial digits per NAM)")

    # Registration rates vary a little between RLS around the scale's overall rate.
    rate_noise = 1.0 + 0.02 * rng.standard_normal(n_rls)
    registered = np.minimum(apportion(scale.registered, population * rate_noise), population)
    physicians_per_rls = apportion(scale.physicians, registered, minimum=1)
    rank_in_region = _rank_in_region(geography)

    # --- GMFs, sites and the practice setting of each physician, RLS by RLS ----------------
    gmf_rls: list[int] = []
    gmf_kind: list[int] = []
    gmf_names: list[str] = []
    site_rls: list[int] = []
    site_gmf: list[int] = []
    site_kind: list[int] = []
    site_names: list[str] = []
    rls_clsc_site = np.zeros(n_rls, dtype=np.int64)
    phys_rls: list[int] = []
    phys_gmf: list[int] = []
    phys_site: list[int] = []
    phys_setting: list[int] = []  # KIND_GMF for members, KIND_CABINET, KIND_CLSC
    for r, spec in enumerate(rls):
        n = int(physicians_per_rls[r])
        n_clsc = round(CLSC_SHARE * n)
        n_cabinet = round(CABINET_SHARE * n)
        n_members = n - n_clsc - n_cabinet
        n_gmf = max(1, round(n_members / MEMBERS_PER_GMF)) if n_members > 0 else 0
        kinds = [KIND_GMF] * n_gmf
        # University GMFs sit in the largest RLS of a region; a network GMF (GMF-R, the
        # former "super-clinique") in RLS large enough to need one.
        if rank_in_region[r] < 2 and n_gmf >= 2:
            kinds[0] = KIND_GMF_U
        if n_gmf >= 4:
            kinds[-1] = KIND_GMF_R
        first_gmf = len(gmf_rls)
        for k, kind in enumerate(kinds):
            gmf_rls.append(r)
            gmf_kind.append(kind)
            if kind == KIND_GMF_U:
                gmf_names.append(f"GMF-U de {spec.seat}")
            elif kind == KIND_GMF_R:
                gmf_names.append(f"GMF-R {spec.seat}")
            else:
                label = _GMF_LABELS[k % len(_GMF_LABELS)]
                suffix = "" if k < len(_GMF_LABELS) else f" {k // len(_GMF_LABELS) + 1}"
                gmf_names.append(f"GMF {label}{suffix} de {spec.seat}")
        # Members spread over the GMFs; a GMF-R is larger, every GMF has at least one.
        weights = np.array([1.4 if k == KIND_GMF_R else 1.0 for k in kinds]) * rng.uniform(
            0.7, 1.3, n_gmf
        )
        sizes = apportion(n_members, weights, minimum=1) if n_gmf else np.zeros(0, np.int64)
        for k in range(n_gmf):
            g = first_gmf + k
            main = len(site_rls)
            site_rls.append(r)
            site_gmf.append(g)
            site_kind.append(kinds[k])
            site_names.append(gmf_names[g])
            sites_of_g = [main]
            if sizes[k] >= 6 and rng.random() < 0.35:
                site_rls.append(r)
                site_gmf.append(g)
                site_kind.append(kinds[k])
                site_names.append(f"{gmf_names[g]} – point de service {rng.choice(_STREETS)}")
                sites_of_g.append(main + 1)
            for _ in range(int(sizes[k])):
                phys_rls.append(r)
                phys_gmf.append(g)
                # Most members practise at the main site, some at the satellite.
                on_satellite = len(sites_of_g) > 1 and rng.random() < 0.2
                phys_site.append(sites_of_g[1] if on_satellite else main)
                phys_setting.append(KIND_GMF)
        n_cabinet_sites = math.ceil(n_cabinet / CABINET_PHYSICIANS_PER_SITE)
        first_cabinet = len(site_rls)
        for k in range(n_cabinet_sites):
            site_rls.append(r)
            site_gmf.append(-1)
            site_kind.append(KIND_CABINET)
            site_names.append(
                f"Clinique médicale {_CABINET_LABELS[k % len(_CABINET_LABELS)]} de {spec.seat}"
            )
        for k in range(n_cabinet):
            phys_rls.append(r)
            phys_gmf.append(-1)
            phys_site.append(first_cabinet + k % n_cabinet_sites)
            phys_setting.append(KIND_CABINET)
        rls_clsc_site[r] = len(site_rls)
        site_rls.append(r)
        site_gmf.append(-1)
        site_kind.append(KIND_CLSC)
        site_names.append(f"CLSC de {spec.seat}")
        for _ in range(n_clsc):
            phys_rls.append(r)
            phys_gmf.append(-1)
            phys_site.append(int(rls_clsc_site[r]))
            phys_setting.append(KIND_CLSC)

    n_sites = len(site_rls)
    site_rls_a = np.array(site_rls, dtype=np.int64)
    site_gmf_a = np.array(site_gmf, dtype=np.int64)
    site_kind_a = np.array(site_kind, dtype=np.int64)
    n_gmf_total = len(gmf_rls)
    gmf_rls_a = np.array(gmf_rls, dtype=np.int64)
    gmf_kind_a = np.array(gmf_kind, dtype=np.int64)
    site_ids = [f"S{i + 1:05d}" for i in range(n_sites)]
    gmf_ids = [f"G{i + 1:04d}" for i in range(n_gmf_total)]
    hospital_ids = [f"H{i + 1:04d}" for i in range(n_rls)]

    # --- Places: sites and hospitals near their seat, on the RLS's postal codes -----------
    site_code, site_lat, site_lon = _places(rng, geography, site_rls_a)
    hospital_code, hospital_lat, hospital_lon = _places(rng, geography, np.arange(n_rls))

    # --- Physicians --------------------------------------------------------------------
    n_phys = len(phys_rls)
    phys_rls_a = np.array(phys_rls, dtype=np.int64)
    phys_gmf_a = np.array(phys_gmf, dtype=np.int64)
    phys_site_a = np.array(phys_site, dtype=np.int64)
    setting = np.array(phys_setting, dtype=np.int64)

    n_new = round(NEW_PHYSICIAN_SHARE * n_phys) if n_phys >= 20 else min(1, n_phys)
    new = np.zeros(n_phys, dtype=bool)
    new[rng.choice(n_phys, size=n_new, replace=False)] = True
    # Established physicians started over two years ago, so before the first visit day;
    # new ones within the last year.
    years = rng.triangular(2.1, 14.0, 42.0, n_phys)
    start = cal.as_of - (years * 365.25).astype(np.int64)
    start = np.where(new, cal.as_of - rng.integers(20, 340, n_phys), start)
    start_year = start.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    birth_year = start_year - rng.integers(26, 34, n_phys)
    established = start < cal.visits_start

    amp_target = np.where(new, np.where(rng.random(n_phys) < 0.7, 500, 250), -1)
    other_units = np.where(rng.random(n_phys) < 0.35, 0.0, rng.integers(1, 9, n_phys) * 0.25)
    mode = np.searchsorted(np.array([0.80, 0.90]), rng.random(n_phys), side="right")
    previous_assiduity = np.where(
        setting == KIND_GMF, rng.uniform(0.70, 0.95, n_phys), rng.uniform(0.60, 0.90, n_phys)
    ).round(3)
    previous_assiduity = np.where(new | (rng.random(n_phys) < 0.10), np.nan, previous_assiduity)

    # Departures: announced by older established physicians, some before 1 January of the
    # next year (their patients go to the waiting list), a couple after it.
    age = cal.year - birth_year
    departing_on = np.full(n_phys, -1, dtype=np.int64)
    weight = np.where(established, np.clip(age - 50.0, 1.0, None) ** 2, 0.0)
    n_before = max(1, round(DEPARTING_BEFORE_SHARE * n_phys))
    n_after = max(1, round(DEPARTING_AFTER_SHARE * n_phys))
    if cal.next_january - cal.as_of <= 1:
        n_before = 0  # as_of is 31 December: no day left before 1 January
    n_leaving = min(n_before + n_after, int((weight > 0).sum()))
    leaving = (
        rng.choice(n_phys, size=n_leaving, replace=False, p=weight / weight.sum())
        if n_leaving
        else np.zeros(0, dtype=np.int64)
    )
    before, after = leaving[:n_before], leaving[n_before:]
    departing_on[before] = _random_days(rng, cal.as_of + 1, cal.next_january - 1, before.size)
    departing_on[after] = _random_days(
        rng, cal.next_january + 15, cal.next_january + 150, after.size
    )
    mode[leaving] = MODES.index("none")

    # Panels: new physicians are still filling theirs; the others share the RLS's
    # registered patients with lognormal weights (a few part-timers, bigger panels for the
    # older ones), so every registration stratum from 0-249 to 1,500+ is represented.
    panel = np.zeros(n_phys, dtype=np.int64)
    new_panel = (np.maximum(amp_target, 0) * rng.uniform(0.05, 0.45, n_phys)).astype(np.int64)
    w = np.exp(0.6 * rng.standard_normal(n_phys))
    w = np.where(rng.random(n_phys) < 0.05, 0.25 * w, w)
    w = np.where(age >= 60, 1.2 * w, w)
    for r in range(n_rls):
        mine = np.flatnonzero(phys_rls_a == r)
        is_new = new[mine]
        fixed = np.minimum(new_panel[mine], registered[r] // max(1, mine.size))
        panel[mine[is_new]] = fixed[is_new]
        rest = int(registered[r] - fixed[is_new].sum())
        if (~is_new).any():
            panel[mine[~is_new]] = apportion(rest, w[mine[~is_new]])
        else:
            panel[mine] += apportion(rest, np.ones(mine.size))
    patient_offset = np.concatenate([[0], np.cumsum(panel)[:-1]]).astype(np.int64)

    # Vulnerable share of each panel around the regional mean, rescaled so that the
    # registered patients' overall share is VULNERABLE_SHARE; some exceed the 45 % cap.
    share = np.clip(rng.normal(VULNERABLE_SHARE, 0.08, n_phys), 0.12, 0.72)
    for _ in range(3):
        mean = float((share * panel).sum() / max(panel.sum(), 1))
        share = np.clip(share * VULNERABLE_SHARE / mean, 0.05, 0.85)

    physician_ids = [f"D{i + 1:05d}" for i in range(n_phys)]
    physician_names = _names(rng, n_phys)
    # Synthetic billing numbers in the RAMQ layout (1-99999-9); the multiplier is coprime
    # with 90,000, so numbers are unique.
    licence_numbers = []
    for number in range(n_phys):
        body = 10_000 + (number * 7919) % 90_000
        check = sum(int(c) for c in str(body)) % 10
        licence_numbers.append(f"1-{body:05d}-{check}")

    # --- Practice groups (non-members sharing an office or a CLSC) --------------------------
    phys_group = np.full(n_phys, -1, dtype=np.int64)
    group_rows: list[tuple[int, int, int]] = []
    n_groups = 0
    for s in range(n_sites):
        if site_gmf_a[s] >= 0:
            continue
        members = np.flatnonzero(phys_site_a == s)
        if members.size < 2:
            continue
        group_start = int(
            _random_days(
                rng,
                day_number(datetime.date(2008, 1, 1)),
                day_number(datetime.date(2020, 12, 31)),
                1,
            )[0]
        )
        for i in members:
            phys_group[i] = n_groups
            group_rows.append((int(i), n_groups, max(int(start[i]), group_start)))
        n_groups += 1

    # --- GMF recognition dates and memberships -----------------------------------------------
    recognized = _random_days(
        rng,
        day_number(datetime.date(2003, 1, 1)),
        day_number(datetime.date(2021, 12, 31)),
        n_gmf_total,
    )
    recognized = np.where(
        gmf_kind_a == KIND_GMF_R,
        _random_days(
            rng,
            day_number(datetime.date(2016, 1, 1)),
            day_number(datetime.date(2019, 12, 31)),
            n_gmf_total,
        ),
        recognized,
    )
    recognized = np.minimum(recognized, cal.visits_start - 30)
    membership_rows: list[tuple[int, int, int, int]] = []
    for i in np.flatnonzero(phys_gmf_a >= 0):
        g = phys_gmf_a[i]
        membership_rows.append((int(i), int(g), max(int(start[i]), int(recognized[g])), -1))
    # Some office physicians left a GMF of their RLS in the past: a closed membership.
    for i in np.flatnonzero(setting == KIND_CABINET):
        if rng.random() >= 0.3:
            continue
        options = np.flatnonzero(gmf_rls_a == phys_rls_a[i])
        if options.size == 0:
            continue
        g = int(rng.choice(options))
        first = max(int(start[i]), int(recognized[g]))
        last = cal.visits_start - 30
        if last - first < 400:
            continue
        end = int(_random_days(rng, first + 365, last, 1)[0])
        membership_rows.append((int(i), g, first, end))
    membership_rows.sort(key=lambda row: (row[0], row[2]))

    # --- IPS-SPL and their partnerships -------------------------------------------------------
    ips_site: list[int] = []
    ips_gmf: list[int] = []
    partnership_rows: list[tuple[int, int, int]] = []
    ips_start_lo = day_number(datetime.date(2017, 1, 1))
    for g in range(n_gmf_total):
        members = np.flatnonzero(phys_gmf_a == g)
        main = int(np.flatnonzero(site_gmf_a == g)[0])
        for _ in range(max(1, round(members.size / 7))):
            j = len(ips_site)
            ips_site.append(main)
            ips_gmf.append(g)
            first = int(_random_days(rng, ips_start_lo, cal.as_of - 30, 1)[0])
            k = min(members.size, int(rng.integers(2, 5)))
            for i in np.sort(rng.choice(members, size=k, replace=False)):
                partnership_rows.append((j, int(i), max(first, int(start[i]))))
    for r in range(n_rls):
        clsc_physicians = np.flatnonzero(phys_site_a == rls_clsc_site[r])
        if clsc_physicians.size == 0:
            continue
        j = len(ips_site)
        ips_site.append(int(rls_clsc_site[r]))
        ips_gmf.append(-1)
        first = int(_random_days(rng, ips_start_lo, cal.visits_start, 1)[0])
        for i in clsc_physicians:
            partnership_rows.append((j, int(i), max(first, int(start[i]))))
    n_ips = len(ips_site)
    ips_ids = [f"I{i + 1:05d}" for i in range(n_ips)]
    ips_names = _names(rng, n_ips)

    # --- Service agreements (one row per pair, symmetric) -----------------------------------
    agreement_rows: list[tuple[int, int, int, int]] = []
    agreement_lo = day_number(datetime.date(2017, 1, 1))
    agreement_hi = day_number(datetime.date(2022, 12, 31))
    ended_one = False
    for r in range(n_rls):
        gmfs_here = np.flatnonzero(gmf_rls_a == r)
        network = [int(g) for g in gmfs_here if gmf_kind_a[g] == KIND_GMF_R]
        others = [int(g) for g in gmfs_here if gmf_kind_a[g] != KIND_GMF_R]
        for g_r in network:
            for g in others:
                first = int(
                    _random_days(rng, max(agreement_lo, int(recognized[g_r])), agreement_hi, 1)[0]
                )
                agreement_rows.append((min(g, g_r), max(g, g_r), first, -1))
        for a, b in itertools.pairwise(others):
            if rng.random() < 0.3:
                first = int(_random_days(rng, agreement_lo, agreement_hi, 1)[0])
                # One agreement ends during the visits' first year, to exercise the dates.
                end = cal.visits_start + 180 if not ended_one else -1
                ended_one = True
                agreement_rows.append((a, b, first, end))
    agreement_rows.sort()

    # --- DRMG notices (EP 40, 15.01 B): a few GMF members deemed to meet the target -------
    candidates = np.flatnonzero((phys_gmf_a >= 0) & established)
    n_notices = min(candidates.size, max(1, round(0.01 * candidates.size)))
    noticed = np.sort(rng.choice(candidates, size=n_notices, replace=False))

    # --- Residents without a registration, and the waiting list ------------------------------
    unregistered = population - registered
    departing_before = (departing_on >= 0) & (departing_on < cal.next_january)
    departing_patients = int(panel[departing_before].sum())
    waiting_total = max(scale.waitlist - departing_patients, scale.waitlist // 2)
    waiting = np.minimum(apportion(waiting_total, unregistered), unregistered)
    resident_offset = int(panel.sum()) + np.concatenate([[0], np.cumsum(unregistered)[:-1]])

    # --- Pools of the visit generator --------------------------------------------------------
    gmf_members = Groups.build(np.where(established, phys_gmf_a, -1), n_gmf_total)
    group_members = Groups.build(np.where(established, phys_group, -1), n_groups)
    site_physicians = Groups.build(np.where(established, phys_site_a, -1), n_sites)
    rls_physicians = Groups.build(np.where(established, phys_rls_a, -1), n_rls)
    clinic = (site_kind_a != KIND_CLSC) & (site_physicians.size(np.arange(n_sites)) > 0)
    rls_clinic_sites = Groups.build(np.where(clinic, site_rls_a, -1), n_rls)
    gmf_sites = Groups.build(site_gmf_a, n_gmf_total)
    gmf_ips = Groups.build(np.array(ips_gmf, dtype=np.int64), n_gmf_total)
    pairs = np.array([(a, b) for a, b, _, _ in agreement_rows], dtype=np.int64).reshape(-1, 2)
    both = np.concatenate([pairs, pairs[:, ::-1]])
    gmf_partners = Groups.build(both[:, 0], n_gmf_total, member=both[:, 1])
    p_rows = np.array([(j, i) for j, i, _ in partnership_rows], dtype=np.int64).reshape(-1, 2)
    physician_ips = Groups.build(p_rows[:, 1], n_phys, member=p_rows[:, 0])

    codes = geography.codes
    rls_ids = [r.rls_id for r in rls]

    def _d(values: list[int]) -> pa.Array:
        a = np.array(values, dtype=np.int64)
        return date_array(a, null=a < 0)

    annual_review = [_next_anniversary(int(d), as_of) for d in recognized]
    tables: dict[str, pa.Table] = {
        "regions": pa.table(
            {
                "region_id": [g.region_id for g in geography.regions],
                "name": [g.name for g in geography.regions],
                "registration_goal": pa.array(
                    [g.registration_goal for g in geography.regions], pa.float64()
                ),
            }
        ),
        "rls": pa.table(
            {
                "rls_id": rls_ids,
                "region_id": [r.region_id for r in rls],
                "name": [r.name for r in rls],
                "seat": [r.seat for r in rls],
                "latitude": pa.array([r.latitude for r in rls], pa.float64()),
                "longitude": pa.array([r.longitude for r in rls], pa.float64()),
                "population": pa.array(population, pa.int32()),
            }
        ),
        "gmfs": pa.table(
            {
                "gmf_id": gmf_ids,
                "name": gmf_names,
                "rls_id": [rls_ids[r] for r in gmf_rls],
                "kind": [GMF_KINDS[k] for k in gmf_kind],
                "recognized_on": date_array(recognized),
                "annual_review_on": date_array(np.array(annual_review, dtype=np.int64)),
            }
        ),
        "sites": pa.table(
            {
                "site_id": site_ids,
                "name": site_names,
                "rls_id": [rls_ids[r] for r in site_rls],
                "gmf_id": pa.array([gmf_ids[g] if g >= 0 else None for g in site_gmf], pa.string()),
                "kind": [SITE_KINDS[k] for k in site_kind],
                "address": _addresses(rng, n_sites),
                "postal_code": [str(codes.postal_code[c]) for c in site_code],
                "city": [rls[r].seat for r in site_rls],
                "latitude": pa.array(site_lat, pa.float64()),
                "longitude": pa.array(site_lon, pa.float64()),
            }
        ),
        "hospitals": pa.table(
            {
                "hospital_id": hospital_ids,
                "name": [f"Hôpital de {r.seat}" for r in rls],
                "rls_id": rls_ids,
                "postal_code": [str(codes.postal_code[c]) for c in hospital_code],
                "city": [r.seat for r in rls],
                "latitude": pa.array(hospital_lat, pa.float64()),
                "longitude": pa.array(hospital_lon, pa.float64()),
            }
        ),
        "ips": pa.table(
            {
                "ips_id": ips_ids,
                "name": ips_names,
                "site_id": [site_ids[s] for s in ips_site],
            }
        ),
        "gmf_sites": pa.table(
            {
                "site_id": [site_ids[s] for s in range(n_sites) if site_gmf[s] >= 0],
                "gmf_id": [gmf_ids[site_gmf[s]] for s in range(n_sites) if site_gmf[s] >= 0],
                "kind": [SITE_KINDS[site_kind[s]] for s in range(n_sites) if site_gmf[s] >= 0],
            }
        ),
        "gmf_memberships": pa.table(
            {
                "physician_id": [physician_ids[i] for i, _, _, _ in membership_rows],
                "gmf_id": [gmf_ids[g] for _, g, _, _ in membership_rows],
                "start_date": _d([s for _, _, s, _ in membership_rows]),
                "end_date": _d([e for _, _, _, e in membership_rows]),
            }
        ),
        "practice_groups": pa.table(
            {
                "physician_id": [physician_ids[i] for i, _, _ in group_rows],
                "group_id": [f"PG{g + 1:04d}" for _, g, _ in group_rows],
                "start_date": _d([s for _, _, s in group_rows]),
                "end_date": _d([-1] * len(group_rows)),
            }
        ),
        "ips_partnerships": pa.table(
            {
                "ips_id": [ips_ids[j] for j, _, _ in partnership_rows],
                "physician_id": [physician_ids[i] for _, i, _ in partnership_rows],
                "start_date": _d([s for _, _, s in partnership_rows]),
                "end_date": _d([-1] * len(partnership_rows)),
            }
        ),
        "service_agreements": pa.table(
            {
                "gmf_id": [gmf_ids[a] for a, _, _, _ in agreement_rows],
                "partner_gmf_id": [gmf_ids[b] for _, b, _, _ in agreement_rows],
                "start_date": _d([s for _, _, s, _ in agreement_rows]),
                "end_date": _d([e for _, _, _, e in agreement_rows]),
            }
        ),
        "drmg_notices": pa.table(
            {
                "physician_id": pa.array([physician_ids[i] for i in noticed], pa.string()),
                "year": pa.array([cal.year - 1] * n_notices, pa.int32()),
            }
        ),
    }

    return World(
        geography=geography,
        calendar=cal,
        seed=seed,
        rls_ids=rls_ids,
        rls_region=[r.region_id for r in rls],
        registered=registered,
        unregistered=unregistered,
        waiting=waiting,
        resident_offset=resident_offset.astype(np.int64),
        site_ids=site_ids,
        site_rls=site_rls_a,
        site_gmf=site_gmf_a,
        site_kind=site_kind_a,
        site_lat=site_lat,
        site_lon=site_lon,
        hospital_ids=hospital_ids,
        rls_clsc_site=rls_clsc_site,
        rls_hospital=np.arange(n_rls, dtype=np.int64),
        gmf_ids=gmf_ids,
        gmf_kind=gmf_kind_a,
        physician_ids=physician_ids,
        physician_names=physician_names,
        licence_numbers=licence_numbers,
        physician_rls=phys_rls_a,
        physician_site=phys_site_a,
        physician_gmf=phys_gmf_a,
        physician_group=phys_group,
        practice_start=start.astype(np.int64),
        birth_year=birth_year.astype(np.int64),
        amp_target=amp_target.astype(np.int64),
        other_units=other_units.astype(np.float64),
        mode=mode.astype(np.int64),
        previous_assiduity=previous_assiduity,
        departing_on=departing_on,
        established=established,
        panel=panel,
        vulnerable_share=share,
        patient_offset=patient_offset,
        steered_rate=(
            _steered_rates(phys_rls_a, phys_gmf_a, gmf_kind_a, established, departing_on, panel)
            if scale.steered_rates
            else np.full(n_phys, np.nan)
        ),
        ips_ids=ips_ids,
        ips_site=np.array(ips_site, dtype=np.int64),
        gmf_members=gmf_members,
        gmf_sites=gmf_sites,
        gmf_ips=gmf_ips,
        gmf_partners=gmf_partners,
        group_members=group_members,
        physician_ips=physician_ips,
        site_physicians=site_physicians,
        rls_clinic_sites=rls_clinic_sites,
        rls_physicians=rls_physicians,
        all_physicians=Groups.build(np.where(established, 0, -1), 1),
        specialists=max(5, n_phys // 25),
        visits_per_registered_year=scale.visits_per_registered_year,
        visits_per_unregistered_year=scale.visits_per_unregistered_year,
        tables=tables,
    )


def _steered_rates(
    physician_rls: IntArray,
    physician_gmf: IntArray,
    gmf_kind: IntArray,
    established: BoolArray,
    departing_on: IntArray,
    panel: IntArray,
) -> FloatArray:
    """The rate each physician's visits are steered to (:data:`STEERED_RATES`), NaN for
    those left alone: in each RLS, the members of a plain GMF practising before the visit
    period and not leaving, ranked by panel (largest first, ties by number), 2nd to 4th.
    Drawn from no random stream: the other tables do not change."""
    rates = np.full(physician_rls.size, np.nan)
    member = physician_gmf >= 0
    eligible = (
        member
        & (gmf_kind[np.maximum(physician_gmf, 0)] == KIND_GMF)
        & established
        & (departing_on < 0)
    )
    for r in np.unique(physician_rls):  # a loop over RLS, not over people
        mine = np.flatnonzero(eligible & (physician_rls == r))
        ranked = mine[np.lexsort((mine, -panel[mine]))]
        order = _STEERED_ORDERS[int(r) % len(_STEERED_ORDERS)]
        for level, i in zip(order, ranked[1:], strict=False):
            rates[i] = STEERED_RATES[level]
    return rates


def _rank_in_region(geography: Geography) -> IntArray:
    """Each RLS's rank by population within its region (0 = largest; ties by order)."""
    rank = np.zeros(len(geography.rls), dtype=np.int64)
    for region in geography.regions:
        mine = [i for i, r in enumerate(geography.rls) if r.region_id == region.region_id]
        ordered = sorted(mine, key=lambda i: (-geography.rls[i].population, i))
        for k, i in enumerate(ordered):
            rank[i] = k
    return rank


def _places(
    rng: np.random.Generator, geography: Geography, rls_of: IntArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """A postal code and a point near the seat for each place (site, hospital) of an RLS.

    Places are in the seat town: one of the RLS's 15 codes nearest the seat, moved by up
    to 800 m so that two sites on one code do not overlap on the map.
    """
    codes = geography.codes
    code = np.empty(rls_of.size, dtype=np.int64)
    for r in np.unique(rls_of):
        spec = geography.rls[r]
        mine = geography.code_index[geography.code_offsets[r] : geography.code_offsets[r + 1]]
        d = haversine_km(spec.latitude, spec.longitude, codes.latitude[mine], codes.longitude[mine])
        near = mine[np.argsort(d, kind="stable")[:15]]
        where = np.flatnonzero(rls_of == r)
        code[where] = near[rng.integers(0, near.size, where.size)]
    lat, lon = codes.latitude[code], codes.longitude[code]
    # A thin RLS's codes can be far from the seat: its places stand at the seat itself.
    thin = geography.thin[rls_of]
    seat_lat = np.array([geography.rls[r].latitude for r in rls_of])
    seat_lon = np.array([geography.rls[r].longitude for r in rls_of])
    lat = np.where(thin, seat_lat, lat)
    lon = np.where(thin, seat_lon, lon)
    lat, lon = offset_km(
        lat, lon, rng.uniform(0, 2 * np.pi, rls_of.size), rng.uniform(0, 0.8, rls_of.size)
    )
    return code, lat.round(6), lon.round(6)


def _addresses(rng: np.random.Generator, count: int) -> list[str]:
    numbers = rng.integers(10, 2500, count)
    streets = rng.integers(0, len(_STREETS), count)
    return [f"{n}, {_STREETS[s]}" for n, s in zip(numbers, streets, strict=True)]


def _next_anniversary(recognized_day: int, as_of: datetime.date) -> int:
    """The first anniversary of a GMF's recognition after ``as_of`` (its annual review)."""
    recognized = datetime.date(1970, 1, 1) + datetime.timedelta(days=recognized_day)
    for year in (as_of.year, as_of.year + 1):
        day = recognized.day if (recognized.month, recognized.day) != (2, 29) else 28
        candidate = datetime.date(year, recognized.month, day)
        if candidate > as_of:
            return day_number(candidate)
    raise AssertionError("unreachable: next year's anniversary is after as_of")
