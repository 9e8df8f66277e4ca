"""Headline figures of the demo region (Bas-Saint-Laurent), against the targets.

Tolerances: residents 200,000 ± 5 %; physicians 245 ± 10; registration rate 87 % ± 1
point; vulnerable share of registered patients 42 % ± 2 points; waiting list 3,000 to
9,000; visits 3 ± 0.5 per registered patient per year.
"""

from __future__ import annotations

import collections
import datetime

import numpy as np
import pyarrow.compute as pc
import pytest

from panelcare.geo import haversine_km

# The whole region (200,000 residents) is generated once for these: about 4 s.
pytestmark = pytest.mark.slow

AS_OF = datetime.date(2026, 11, 1)
NEXT_JANUARY = datetime.date(2027, 1, 1)


def test_it_has_about_200000_residents(region):
    assert abs(region["patients"].num_rows - 200_000) <= 10_000


def test_it_has_the_eight_rls_of_the_bas_saint_laurent(region):
    rls = region["rls"].to_pylist()
    assert {r["name"] for r in rls} == {
        "Kamouraska",
        "Rivière-du-Loup",
        "Témiscouata",
        "Les Basques",
        "Rimouski-Neigette",
        "La Mitis",
        "La Matanie",
        "La Matapédia",
    }
    assert region["regions"].to_pylist() == [
        {"region_id": "01", "name": "Bas-Saint-Laurent", "registration_goal": 0.85}
    ]
    by_name = {r["name"]: r["population"] for r in rls}
    assert by_name["Rimouski-Neigette"] > by_name["Rivière-du-Loup"] > by_name["Les Basques"]
    assert sum(by_name.values()) == region["patients"].num_rows


def test_it_has_about_245_physicians_in_about_20_gmfs_of_every_kind(region):
    assert abs(region["physicians"].num_rows - 245) <= 10
    kinds = collections.Counter(region["gmfs"].column("kind").to_pylist())
    assert 15 <= sum(kinds.values()) <= 25
    assert kinds["gmf_r"] >= 1 and kinds["gmf_u"] >= 1
    site_kinds = set(region["sites"].column("kind").to_pylist())
    assert {"cabinet", "clsc"} <= site_kinds


def test_it_registers_87_percent_of_residents(region, region_registered):
    rate = region_registered.num_rows / region["patients"].num_rows
    assert abs(rate - 0.87) <= 0.01


def test_it_gives_registered_patients_a_42_percent_vulnerable_share(region, region_registered):
    vulnerable = dict(
        zip(
            region["patients"].column("patient_id").to_pylist(),
            region["patients"].column("vulnerable").to_pylist(),
            strict=True,
        )
    )
    flags = [vulnerable[p] for p in region_registered.column("patient_id").to_pylist()]
    assert abs(np.mean(flags) - 0.42) <= 0.02


def test_it_has_a_waiting_list_of_several_thousand_mostly_c_to_e(region):
    waitlist = region["waitlist"]
    assert 3_000 <= waitlist.num_rows <= 9_000
    priorities = collections.Counter(waitlist.column("priority").to_pylist())
    assert set(priorities) == {"A", "B", "C", "D", "E"}
    assert priorities["A"] == min(priorities.values())
    assert priorities["C"] + priorities["D"] + priorities["E"] > 0.6 * waitlist.num_rows


def test_it_spreads_requests_over_the_past_three_years(region):
    requested = region["waitlist"].column("requested_on").to_pylist()
    assert max(requested) <= AS_OF
    assert min(requested) >= AS_OF - datetime.timedelta(days=3 * 366)
    assert min(requested) <= AS_OF - datetime.timedelta(days=2 * 365)


def test_it_has_physicians_in_every_registration_stratum(region):
    registered = np.array(region["physicians"].column("registered").to_pylist())
    strata = np.histogram(registered, [0, 250, 500, 750, 1000, 1500, 10**9])[0]
    assert (strata > 0).all(), strata


def test_it_has_new_physicians_with_an_amp_target(region):
    rows = [r for r in region["physicians"].to_pylist() if r["amp_target"] is not None]
    assert rows
    assert {r["amp_target"] for r in rows} == {250, 500}
    for r in rows:
        assert AS_OF - datetime.timedelta(days=365) <= r["practice_start"] <= AS_OF
        assert r["registered"] < r["amp_target"]


def test_it_has_departing_physicians_before_and_after_january(region):
    departing = [d for d in region["physicians"].column("departing_on").to_pylist() if d]
    assert any(AS_OF < d < NEXT_JANUARY for d in departing)
    assert sum(d >= NEXT_JANUARY for d in departing) >= 2


def test_it_gives_physicians_mostly_the_bloc_mode(region):
    modes = collections.Counter(region["physicians"].column("mode").to_pylist())
    assert set(modes) == {"bloc", "le304", "none"}
    assert modes["bloc"] > modes["le304"] + modes["none"]


def test_it_gives_most_physicians_a_previous_assiduity_between_60_and_95_percent(region):
    values = region["physicians"].column("previous_assiduity").to_pylist()
    known = [v for v in values if v is not None]
    assert len(known) < len(values)  # some are empty
    assert all(0.6 <= v <= 0.95 for v in known)


def test_it_has_about_three_visits_per_registered_patient_per_year(region, region_registered):
    years = ((AS_OF - datetime.date(2025, 1, 1)).days + 1) / 365.25
    per_year = region["visits"].num_rows / region_registered.num_rows / years
    assert 2.5 <= per_year <= 3.5


def test_it_covers_last_year_and_this_year_up_to_as_of(region):
    dates = pc.min_max(region["visits"].column("visit_date")).as_py()
    assert dates == {"min": datetime.date(2025, 1, 1), "max": AS_OF}


def test_it_mixes_settings_providers_and_emergency_flags(region):
    visits = region["visits"]
    settings = collections.Counter(visits.column("setting").to_pylist())
    assert settings.most_common(1)[0][0] == "gmf"
    for setting in (
        "cabinet",
        "clsc",
        "gmf_r",
        "gmf_u",
        "domicile",
        "urgence_ch",
        "urgence_clsc",
        "other",
    ):
        assert settings[setting] > 0, setting
    kinds = collections.Counter(visits.column("provider_kind").to_pylist())
    assert kinds["physician"] > kinds["ips"] > kinds["other"] > 0
    triage = collections.Counter(visits.column("er_triage").to_pylist())
    assert set(triage) == {None, "P1", "P2", "P3", "P4", "P5"}
    for flag in ("er_admitted", "er_repeat", "er_referred", "er_death", "pregnancy_followup"):
        assert any(visits.column(flag).to_pylist()), flag
    codes = set(visits.column("billing_code").to_pylist())
    assert {"09900", "15264", "98000"} & codes
    assert None in codes  # IPS-SPL visits carry no billing code


def test_it_sees_most_registered_patients_at_their_registration_site(region):
    visits = region["visits"]
    registrations = region["registrations"].filter(pc.is_null(region["registrations"]["end_date"]))
    own = {
        (p, d, s)
        for p, d, s in zip(
            registrations.column("patient_id").to_pylist(),
            registrations.column("physician_id").to_pylist(),
            registrations.column("site_id").to_pylist(),
            strict=True,
        )
    }
    made = list(
        zip(
            visits.column("patient_id").to_pylist(),
            visits.column("provider_id").to_pylist(),
            visits.column("site_id").to_pylist(),
            strict=True,
        )
    )
    assert 0.5 <= np.mean([m in own for m in made]) <= 0.75


def test_it_places_residents_near_their_rls_seat(region):
    rls = {r["rls_id"]: r for r in region["rls"].to_pylist()}
    patients = region["patients"]
    ids = patients.column("rls_id").to_pylist()
    seat_lat = np.array([rls[i]["latitude"] for i in ids])
    seat_lon = np.array([rls[i]["longitude"] for i in ids])
    distance = haversine_km(
        seat_lat,
        seat_lon,
        patients.column("latitude").to_numpy(),
        patients.column("longitude").to_numpy(),
    )
    assert distance.max() < 80
    # Homes sit on real Bas-Saint-Laurent codes, none of the north shore (G5A: La Malbaie).
    codes = set(patients.column("postal_code").to_pylist())
    assert not any(code.startswith(("G5A", "G4A", "G0T")) for code in codes)
    assert all(code[0] == "G" for code in codes)
