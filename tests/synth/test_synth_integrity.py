"""Rules every generated dataset keeps (tiny and region): the contracts' columns, counts
that agree with the registrations, no overlap, and references that exist."""

from __future__ import annotations

import collections
import datetime
import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from synth_support import AS_OF, in_force

from panelcare import synth

# The columns of the specs, typed here from spec/attribution.md and spec/assiduity.md.
CONTRACT_COLUMNS = {
    "physicians": [
        "physician_id", "name", "rls_id", "site_id", "latitude", "longitude", "registered",
        "vulnerable", "practice_start", "birth_year", "amp_target", "other_units", "mode",
        "previous_assiduity", "departing_on",
    ],
    "waitlist": [
        "patient_id", "rls_id", "latitude", "longitude", "priority", "vulnerable",
        "requested_on", "category", "previous_physician_id",
    ],
    "visits": [
        "visit_id", "patient_id", "provider_id", "provider_kind", "visit_date", "site_id",
        "setting", "billing_code", "er_triage", "er_admitted", "er_repeat", "er_referred",
        "er_death", "pregnancy_followup",
    ],
    "registrations": ["patient_id", "physician_id", "site_id", "start_date", "end_date"],
    "gmf_sites": ["site_id", "gmf_id", "kind"],
    "gmf_memberships": ["physician_id", "gmf_id", "start_date", "end_date"],
    "practice_groups": ["physician_id", "group_id", "start_date", "end_date"],
    "ips_partnerships": ["ips_id", "physician_id", "start_date", "end_date"],
    "service_agreements": ["gmf_id", "partner_gmf_id", "start_date", "end_date"],
    "drmg_notices": ["physician_id", "year"],
}  # fmt: skip
NEXT_JANUARY = datetime.date(AS_OF.year + 1, 1, 1)


def ids(table: pa.Table, name: str) -> list:
    return table.column(name).to_pylist()


def test_it_writes_exactly_the_contract_columns_in_order(dataset):
    for name, columns in CONTRACT_COLUMNS.items():
        if name == "physicians":
            # Our two extra columns come after the contract's.
            assert dataset[name].column_names == [*columns, "licence_number", "gmf_id"]
        else:
            assert dataset[name].column_names == columns, name


def test_it_writes_every_table_of_the_schemas(dataset):
    assert list(dataset) == list(synth.TABLES)
    for name, table in dataset.items():
        assert table.schema == synth.SCHEMAS[name], name


def test_it_counts_registered_and_vulnerable_patients_from_the_registrations(dataset):
    active = in_force(dataset["registrations"], AS_OF)
    vulnerable = dict(
        zip(
            ids(dataset["patients"], "patient_id"),
            ids(dataset["patients"], "vulnerable"),
            strict=True,
        )
    )
    registered = collections.Counter(ids(active, "physician_id"))
    vulnerable_count = collections.Counter(
        d
        for p, d in zip(ids(active, "patient_id"), ids(active, "physician_id"), strict=True)
        if vulnerable[p]
    )
    for row in dataset["physicians"].to_pylist():
        assert row["registered"] == registered[row["physician_id"]], row["physician_id"]
        assert row["vulnerable"] == vulnerable_count[row["physician_id"]], row["physician_id"]


def test_it_never_gives_a_patient_overlapping_registrations(dataset):
    reg = dataset["registrations"]
    patient = np.array(ids(reg, "patient_id"))
    start = reg.column("start_date").cast(pa.int32()).to_numpy()
    end = reg.column("end_date").cast(pa.int32()).fill_null(np.iinfo(np.int32).max).to_numpy()
    order = np.lexsort((start, patient))
    patient, start, end = patient[order], start[order], end[order]
    same = patient[1:] == patient[:-1]
    assert same.any()  # some patients changed physician
    assert (start[1:][same] > end[:-1][same]).all()
    assert (start <= end).all()


def test_it_registers_with_physicians_and_sites_that_exist(dataset):
    reg = dataset["registrations"]
    assert set(ids(reg, "physician_id")) <= set(ids(dataset["physicians"], "physician_id"))
    assert set(ids(reg, "site_id")) <= set(ids(dataset["sites"], "site_id"))
    assert set(ids(reg, "patient_id")) <= set(ids(dataset["patients"], "patient_id"))
    # The site of an ongoing registration is the physician's site.
    site_of = dict(
        zip(
            ids(dataset["physicians"], "physician_id"),
            ids(dataset["physicians"], "site_id"),
            strict=True,
        )
    )
    for row in reg.filter(pc.is_null(reg["end_date"])).to_pylist():
        assert row["site_id"] == site_of[row["physician_id"]]


def test_it_lists_waiting_patients_without_a_registration(dataset):
    waitlist = dataset["waitlist"]
    assert set(ids(waitlist, "patient_id")) <= set(ids(dataset["patients"], "patient_id"))
    assert len(set(ids(waitlist, "patient_id"))) == waitlist.num_rows
    active = dict(
        zip(
            ids(in_force(dataset["registrations"], AS_OF), "patient_id"),
            ids(in_force(dataset["registrations"], AS_OF), "physician_id"),
            strict=True,
        )
    )
    departing = {
        r["physician_id"]: r["departing_on"]
        for r in dataset["physicians"].to_pylist()
        if r["departing_on"]
    }
    previous = collections.Counter()
    for row in waitlist.to_pylist():
        if row["previous_physician_id"] is None:
            assert row["patient_id"] not in active
        else:
            # A departing physician's patient is still registered with them until they leave.
            assert active[row["patient_id"]] == row["previous_physician_id"]
            assert departing[row["previous_physician_id"]] < NEXT_JANUARY
            previous[row["previous_physician_id"]] += 1
    leaving_soon = [d for d, day in departing.items() if day < NEXT_JANUARY]
    assert leaving_soon
    for physician in leaving_soon:
        assert previous[physician] == collections.Counter(active.values())[physician]


def test_it_copies_the_patient_into_the_waitlist_row(dataset):
    patients = {r["patient_id"]: r for r in dataset["patients"].to_pylist()}
    for row in dataset["waitlist"].to_pylist():
        patient = patients[row["patient_id"]]
        for key in ("rls_id", "latitude", "longitude", "vulnerable", "category"):
            assert row[key] == patient[key], key


def test_it_gives_unique_ids_and_health_insurance_numbers(dataset):
    patients = dataset["patients"]
    for name in ("patient_id", "health_insurance_number"):
        assert len(set(ids(patients, name))) == patients.num_rows
    for table, name in (
        ("physicians", "physician_id"),
        ("physicians", "licence_number"),
        ("sites", "site_id"),
        ("gmfs", "gmf_id"),
        ("ips", "ips_id"),
    ):
        assert len(set(ids(dataset[table], name))) == dataset[table].num_rows
    assert len(set(ids(dataset["visits"], "visit_id"))) == dataset["visits"].num_rows


def test_it_writes_synthetic_health_insurance_numbers(dataset):
    for number in ids(dataset["patients"], "health_insurance_number")[:1000]:
        letters, first4, last4 = number.split(" ")
        assert len(letters) == 4 and letters.isalpha() and letters.isupper()
        assert first4.isdigit() and last4.isdigit() and len(first4) == len(last4) == 4
        assert first4[2] == "9"  # no real number has a 9 where the month's tens digit goes


def test_it_refers_visits_to_people_and_places_that_exist(dataset):
    visits = dataset["visits"]
    assert set(ids(visits, "patient_id")) <= set(ids(dataset["patients"], "patient_id"))
    sites = set(ids(dataset["sites"], "site_id")) | set(ids(dataset["hospitals"], "hospital_id"))
    assert set(ids(visits, "site_id")) <= sites
    by_kind = collections.defaultdict(set)
    for provider, kind in zip(
        ids(visits, "provider_id"), ids(visits, "provider_kind"), strict=True
    ):
        by_kind[kind].add(provider)
    assert by_kind["physician"] <= set(ids(dataset["physicians"], "physician_id"))
    assert by_kind["ips"] <= set(ids(dataset["ips"], "ips_id"))
    assert all(p.startswith("X") for p in by_kind["other"])


def test_it_keeps_emergency_fields_to_emergency_visits(dataset):
    visits = dataset["visits"]
    setting = np.array(ids(visits, "setting"))
    er = (setting == "urgence_ch") | (setting == "urgence_clsc")
    assert (visits.column("er_triage").is_valid().to_numpy(zero_copy_only=False) == er).all()
    for flag in ("er_admitted", "er_repeat", "er_referred", "er_death"):
        assert not visits.column(flag).to_numpy(zero_copy_only=False)[~er].any(), flag
    no_code = visits.column("billing_code").is_null().to_numpy(zero_copy_only=False)
    assert (no_code == (np.array(ids(visits, "provider_kind")) == "ips")).all()


def test_it_holds_at_most_one_gmf_membership_a_day(dataset):
    by_physician = collections.defaultdict(list)
    for row in dataset["gmf_memberships"].to_pylist():
        by_physician[row["physician_id"]].append(
            (row["start_date"], row["end_date"] or datetime.date.max)
        )
    for periods in by_physician.values():
        periods.sort()
        for (_, end), (start, _) in itertools.pairwise(periods):
            assert start > end


def test_it_names_the_gmf_of_the_membership_in_force(dataset):
    current = {
        r["physician_id"]: r["gmf_id"]
        for r in in_force(dataset["gmf_memberships"], AS_OF).to_pylist()
    }
    for row in dataset["physicians"].to_pylist():
        assert row["gmf_id"] == current.get(row["physician_id"])


def test_it_links_gmf_sites_to_their_gmf(dataset):
    gmf_of = {r["site_id"]: r["gmf_id"] for r in dataset["sites"].to_pylist()}
    kind_of = {r["gmf_id"]: r["kind"] for r in dataset["gmfs"].to_pylist()}
    for row in dataset["gmf_sites"].to_pylist():
        assert gmf_of[row["site_id"]] == row["gmf_id"]
        assert kind_of[row["gmf_id"]] == row["kind"]


@pytest.mark.parametrize("name", ["visits", "registrations", "waitlist"])
def test_it_dates_nothing_after_as_of(dataset, name):
    for column in dataset[name].schema:
        if column.type == pa.date32():
            latest = pc.max(dataset[name].column(column.name)).as_py()
            assert latest is None or latest <= AS_OF, column.name


@pytest.mark.parametrize(
    ("name", "column"), [("registrations", "start_date"), ("visits", "visit_date")]
)
def test_it_starts_nothing_before_the_patient_is_born(dataset, name, column):
    joined = (
        dataset[name]
        .select(["patient_id", column])
        .join(dataset["patients"].select(["patient_id", "birth_year"]), "patient_id")
    )
    years = pc.year(joined[column])
    assert joined.num_rows == dataset[name].num_rows
    assert pc.all(pc.greater_equal(years, joined["birth_year"])).as_py()
