"""The web import's contracts of the assiduity tables (panelcare.contracts) check what the
engine's reader (panelcare.assiduity.io.open_tables) checks: the same file is refused by
both at the same row and column, or accepted by both."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from panelcare.assiduity.contract import SCHEMAS
from panelcare.assiduity.io import AssiduityInputError, open_tables
from panelcare.attribution.tables import TableProblems, read_contract_table
from panelcare.contracts import ASSIDUITY_TABLES, CONTRACTS, KEYS, columns_of

VISIT = {
    "visit_id": "V1",
    "patient_id": "P1",
    "provider_id": "D1",
    "provider_kind": "physician",
    "visit_date": "2025-03-01",
    "site_id": "S1",
    "setting": "gmf",
    "billing_code": "",
    "er_triage": "",
    "er_admitted": "false",
    "er_repeat": "false",
    "er_referred": "false",
    "er_death": "false",
    "pregnancy_followup": "false",
}

# A good file of each table (rows of text cells), then one wrong variant per case.
GOOD = {
    "visits": [VISIT, {**VISIT, "visit_id": "V2", "er_triage": "P3", "setting": "urgence_ch"}],
    "registrations": [
        {
            "patient_id": "P1",
            "physician_id": "D1",
            "site_id": "S1",
            "start_date": "2024-01-01",
            "end_date": "2025-01-01",
        },
        {
            "patient_id": "P1",
            "physician_id": "D2",
            "site_id": "S1",
            "start_date": "2025-01-01",
            "end_date": "",
        },
    ],
    "gmf_sites": [{"site_id": "S1", "gmf_id": "G1", "kind": "gmf"}],
    "gmf_memberships": [
        {"physician_id": "D1", "gmf_id": "G1", "start_date": "2020-01-01", "end_date": ""},
        # The same GMF twice over a period: the computation merges them.
        {"physician_id": "D1", "gmf_id": "G1", "start_date": "2021-01-01", "end_date": ""},
        {
            "physician_id": "D2",
            "gmf_id": "G1",
            "start_date": "2020-01-01",
            "end_date": "2022-01-01",
        },
        {"physician_id": "D2", "gmf_id": "G2", "start_date": "2022-01-01", "end_date": ""},
    ],
    "practice_groups": [
        {"physician_id": "D3", "group_id": "PG1", "start_date": "2020-01-01", "end_date": ""}
    ],
    "ips_partnerships": [
        {"ips_id": "I1", "physician_id": "D1", "start_date": "2020-01-01", "end_date": ""}
    ],
    "service_agreements": [
        {"gmf_id": "G1", "partner_gmf_id": "G2", "start_date": "2020-01-01", "end_date": ""}
    ],
    "gmf_r_coverage": [
        {"gmf_id": "R1", "year": "2024", "covered_patients": "17500"},
        {"gmf_id": "R1", "year": "2025", "covered_patients": "18200"},
    ],
}

BAD = {
    "visit setting": ("visits", 1, "setting", "hopital"),
    "visit kind": ("visits", 0, "provider_kind", "nurse"),
    "visit triage": ("visits", 1, "er_triage", "P9"),
    "visit date": ("visits", 0, "visit_date", "2025-02-30"),
    "visit id": ("visits", 1, "visit_id", ""),
    "visit boolean": ("visits", 1, "er_death", "oui"),
    "registration overlap": ("registrations", 1, "start_date", "2024-06-01"),
    "registration order": ("registrations", 0, "end_date", "2023-12-31"),
    "site kind": ("gmf_sites", 0, "kind", "cabinet"),
    "membership overlap": ("gmf_memberships", 3, "start_date", "2021-06-01"),
    "membership gmf": ("gmf_memberships", 0, "gmf_id", ""),
    "group date": ("practice_groups", 0, "start_date", "01/01/2020"),
    "partnership order": ("ips_partnerships", 0, "end_date", "2019-01-01"),
    "agreement partner": ("service_agreements", 0, "partner_gmf_id", ""),
    "coverage year": ("gmf_r_coverage", 1, "year", "2025.5"),
    "coverage patients": ("gmf_r_coverage", 0, "covered_patients", ""),
}


def write(folder: Path, name: str, rows: list[dict[str, str]]) -> Path:
    columns = list(SCHEMAS[name])
    table = pa.table({c: pa.array([row[c] or None for row in rows], pa.string()) for c in columns})
    path = folder / f"{name}.csv"
    pacsv.write_csv(table, path)
    return path


def engine_problem(folder: Path, name: str, rows: list[dict[str, str]]) -> tuple | None:
    for required in ("visits", "registrations"):
        write(folder, required, GOOD[required] if required == name else [])
    write(folder, name, rows)
    try:
        open_tables(folder)
    except AssiduityInputError as error:
        return (error.row, error.column)
    return None


def import_problem(folder: Path, name: str, rows: list[dict[str, str]]) -> tuple | None:
    try:
        read_contract_table(write(folder, name, rows), CONTRACTS[name])
    except TableProblems as error:
        return (error.row, error.column)
    return None


@pytest.mark.parametrize("name", ASSIDUITY_TABLES)
def test_it_accepts_what_the_engine_accepts(tmp_path, name):
    assert engine_problem(tmp_path, name, GOOD[name]) is None
    table = read_contract_table(write(tmp_path, name, GOOD[name]), CONTRACTS[name])
    assert table.num_rows == len(GOOD[name])
    assert table.column_names == list(SCHEMAS[name])


@pytest.mark.parametrize("case", BAD)
def test_it_refuses_at_the_row_and_column_the_engine_refuses(tmp_path, case):
    name, row, column, value = BAD[case]
    rows = [dict(r) for r in GOOD[name]]
    rows[row][column] = value
    expected = engine_problem(tmp_path, name, rows)
    assert expected is not None
    assert import_problem(tmp_path, name, rows) == expected


def test_it_refuses_a_key_twice_which_the_engine_would_merge(tmp_path):
    rows = [*GOOD["gmf_memberships"], dict(GOOD["gmf_memberships"][0])]
    assert engine_problem(tmp_path, "gmf_memberships", rows) is None
    assert import_problem(tmp_path, "gmf_memberships", rows) == (len(rows), "physician_id")


def test_it_refuses_a_gmf_r_coverage_given_twice_for_a_year(tmp_path):
    rows = [*GOOD["gmf_r_coverage"], {"gmf_id": "R1", "year": "2025", "covered_patients": "1"}]
    assert engine_problem(tmp_path, "gmf_r_coverage", rows) is None  # the engine takes the max
    with pytest.raises(TableProblems) as refused:
        read_contract_table(write(tmp_path, "gmf_r_coverage", rows), CONTRACTS["gmf_r_coverage"])
    problem = refused.value.problems[0]
    assert (problem.row, problem.column) == (3, "gmf_id")
    assert "gmf_id R1, year 2025" in problem.message
    assert problem.params["value"] == "R1 / 2025"


def test_it_takes_the_columns_and_vocabularies_from_the_assiduity_contract():
    for name in ASSIDUITY_TABLES:
        assert list(columns_of(name)) == list(SCHEMAS[name])
        assert set(KEYS[name]) <= set(SCHEMAS[name])
    assert columns_of("gmf_sites")["kind"].choices == ("gmf", "gmf_r", "gmf_u")
    assert columns_of("visits")["er_triage"].optional
    assert not columns_of("visits")["setting"].optional
