"""Reading and checking a data folder (panelcare.assiduity.io), writing CSV, the baseline.

Each test writes the few rows it needs as CSV (or Parquet) into ``tmp_path``; every row
not about the rule under test is valid, so the error named is the one the test planted.
"""

from __future__ import annotations

import datetime
import itertools
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from panelcare import synth
from panelcare.assiduity.io import (
    AssiduityInputError,
    baseline,
    connect,
    open_tables,
    write_csv_atomically,
)
from panelcare.assiduity.tables import SCHEMAS, schema
from panelcare.errors import InputError

VISIT = {
    "visit_id": "V1",
    "patient_id": "0111",
    "provider_id": "D1",
    "provider_kind": "physician",
    "visit_date": "2018-03-01",
    "site_id": "S1",
    "setting": "gmf",
    "billing_code": "00010",
    "er_triage": "",
    "er_admitted": "false",
    "er_repeat": "false",
    "er_referred": "false",
    "er_death": "false",
    "pregnancy_followup": "false",
}
REGISTRATION = {
    "patient_id": "0111",
    "physician_id": "D1",
    "site_id": "S1",
    "start_date": "2017-01-01",
    "end_date": "",
}


def write(folder: Path, name: str, rows: list[dict[str, str]], columns=None) -> Path:
    """``rows`` as ``folder/name.csv``, cells written as given (empty = null)."""
    columns = list(columns or SCHEMAS[name])
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    path = folder / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def visits(*changes: dict[str, str]) -> list[dict[str, str]]:
    """One valid visit per ``changes`` (V1, V2, ...), each changed as given."""
    return [{**VISIT, "visit_id": f"V{i + 1}", **change} for i, change in enumerate(changes)]


def folder(tmp_path: Path, visit_rows=None, registration_rows=None, **others) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    write(tmp_path, "visits", visits({}) if visit_rows is None else visit_rows)
    write(tmp_path, "registrations", registration_rows or [REGISTRATION])
    for name, rows in others.items():
        write(tmp_path, name, rows)
    return tmp_path


def refused(data_dir: Path, **options) -> AssiduityInputError:
    with pytest.raises(AssiduityInputError) as caught:
        open_tables(data_dir, **options)
    return caught.value


def to_parquet(data_dir: Path, name: str) -> None:
    """Replace ``name.csv`` by the same rows as Parquet with the contract's types."""
    csv_path = data_dir / f"{name}.csv"
    types = schema(name).to_pyarrow()
    table = pacsv.read_csv(
        csv_path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True)
    )
    pq.write_table(table.select(types.names).cast(types), data_dir / f"{name}.parquet")
    csv_path.unlink()


# --- reading ------------------------------------------------------------------------------


def test_it_reads_the_contract_tables_with_their_types(tmp_path):
    tables = open_tables(folder(tmp_path))
    assert tables.visits.schema() == schema("visits")
    assert tables.registrations.schema() == schema("registrations")
    row = tables.visits.to_pyarrow().to_pylist()[0]
    assert row["visit_date"] == datetime.date(2018, 3, 1)
    assert row["er_admitted"] is False
    assert row["er_triage"] is None


def test_it_keeps_the_leading_zeros_of_ids_and_codes(tmp_path):
    tables = open_tables(folder(tmp_path))
    row = tables.visits.to_pyarrow().to_pylist()[0]
    assert row["patient_id"] == "0111"
    assert row["billing_code"] == "00010"
    assert tables.registrations.to_pyarrow()["patient_id"].to_pylist() == ["0111"]


def test_it_gives_empty_tables_for_missing_optional_files(tmp_path):
    tables = open_tables(folder(tmp_path))
    for name in ("gmf_sites", "gmf_memberships", "drmg_notices", "gmf_r_coverage"):
        table = getattr(tables, name)
        assert table.schema() == schema(name)
        assert table.count().execute() == 0


def test_it_ignores_extra_columns_and_their_order(tmp_path):
    columns = ["comment", *reversed(SCHEMAS["visits"])]
    write(tmp_path, "visits", [{**VISIT, "comment": "x"}], columns=columns)
    write(tmp_path, "registrations", [REGISTRATION])
    tables = open_tables(tmp_path)
    assert tables.visits.columns == tuple(SCHEMAS["visits"])
    assert tables.visits.to_pyarrow().to_pylist()[0]["visit_id"] == "V1"


def test_it_reads_parquet_as_it_reads_csv(tmp_path):
    rows = visits({}, {"er_triage": "P4", "setting": "urgence_ch", "er_repeat": "true"})
    registrations = [REGISTRATION, {**REGISTRATION, "patient_id": "0222", "end_date": "2018-05-01"}]
    sites = [{"site_id": "S1", "gmf_id": "G1", "kind": "gmf"}]
    csv_dir = folder(tmp_path / "csv", rows, registrations, gmf_sites=sites)
    pq_dir = folder(tmp_path / "pq", rows, registrations, gmf_sites=sites)
    for name in ("visits", "registrations", "gmf_sites"):
        to_parquet(pq_dir, name)
    from_csv, from_parquet = open_tables(csv_dir), open_tables(pq_dir)
    for name in ("visits", "registrations", "gmf_sites", "drmg_notices"):
        expected = getattr(from_csv, name).to_pyarrow()
        assert getattr(from_parquet, name).to_pyarrow().equals(expected), name


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    """The synthetic tiny region, as CSV and as Parquet."""
    root = tmp_path_factory.mktemp("tiny")
    synth.write_dataset(root / "csv", scale="tiny")
    synth.write_dataset(root / "parquet", scale="tiny", fmt="parquet")
    return {"csv": root / "csv", "parquet": root / "parquet"}


def test_it_accepts_the_synthetic_dataset_in_both_formats(tiny):
    from_csv, from_parquet = open_tables(tiny["csv"]), open_tables(tiny["parquet"])
    assert from_csv.visits.count().execute() > 5_000
    for name in SCHEMAS:
        assert (
            getattr(from_parquet, name).to_pyarrow().equals(getattr(from_csv, name).to_pyarrow())
        ), name


def test_it_reads_on_a_given_connection_and_keeps_earlier_tables(tmp_path):
    con = connect("512MB", threads=1)
    first = open_tables(folder(tmp_path / "a"), con)
    open_tables(folder(tmp_path / "b", visits({}, {})), con)
    assert first.visits.count().execute() == 1


# --- the folder ---------------------------------------------------------------------------


def test_it_requires_visits_and_registrations(tmp_path):
    write(tmp_path, "visits", visits({}))
    error = refused(tmp_path)
    assert "registrations table is required" in error.message


def test_it_refuses_a_table_in_both_csv_and_parquet(tmp_path):
    data_dir = folder(tmp_path)
    pq.write_table(pa.table({"physician_id": ["D1"], "year": [2018]}), tmp_path / "x.parquet")
    (tmp_path / "x.parquet").rename(tmp_path / "registrations.parquet")
    error = refused(data_dir)
    assert error.file == "registrations.csv"
    assert "registrations.parquet" in error.message and error.row is None


def test_it_names_a_missing_column(tmp_path):
    columns = [c for c in SCHEMAS["visits"] if c != "setting"]
    write(tmp_path, "visits", visits({}), columns=columns)
    write(tmp_path, "registrations", [REGISTRATION])
    error = refused(tmp_path)
    assert (error.file, error.row, error.column) == ("visits.csv", None, "setting")


def test_it_refuses_an_empty_file(tmp_path):
    data_dir = folder(tmp_path)
    (data_dir / "drmg_notices.csv").write_text("")
    assert refused(data_dir).file == "drmg_notices.csv"


def test_it_refuses_a_csv_row_with_missing_cells(tmp_path):
    path = write(tmp_path, "visits", visits({}, {}))
    path.write_text(path.read_text() + "V3,0111,D1\n")
    write(tmp_path, "registrations", [REGISTRATION])
    error = refused(tmp_path)
    assert (error.file, error.row, error.line) == ("visits.csv", 3, 4)


# --- the cells ----------------------------------------------------------------------------


def test_it_names_a_bad_date_by_file_row_line_and_column(tmp_path):
    error = refused(folder(tmp_path, visits({}, {}, {"visit_date": "2018/03/01"})))
    assert (error.file, error.row, error.line, error.column) == ("visits.csv", 3, 4, "visit_date")
    assert "yyyy-mm-dd" in error.message and "'2018/03/01'" in error.message
    assert isinstance(error, InputError)
    assert str(error).startswith("visits.csv, row 3 (line 4), column visit_date: expected")


@pytest.mark.parametrize(
    "value", ["2018-3-1", "2018-02-30", "01/03/2018", "2018-03-01T10:00", " 2018-03-01", ""]
)
def test_it_accepts_only_iso_dates(tmp_path, value):
    error = refused(folder(tmp_path, visits({"visit_date": value})))
    assert (error.row, error.column) == (1, "visit_date")


def test_it_names_a_bad_end_date_in_a_registration(tmp_path):
    rows = [REGISTRATION, {**REGISTRATION, "patient_id": "0222", "end_date": "2018-13-01"}]
    error = refused(folder(tmp_path, registration_rows=rows))
    assert (error.file, error.row, error.column) == ("registrations.csv", 2, "end_date")


def test_it_refuses_an_end_date_before_the_start_date(tmp_path):
    rows = [{**REGISTRATION, "end_date": "2016-12-31"}]
    error = refused(folder(tmp_path, registration_rows=rows))
    assert (error.row, error.column) == (1, "end_date")


def test_it_names_a_bad_boolean(tmp_path):
    error = refused(folder(tmp_path, visits({}, {"er_referred": "yes"})))
    assert (error.row, error.column) == (2, "er_referred")
    assert "'yes'" in error.message


def test_it_accepts_empty_booleans_as_null(tmp_path):
    tables = open_tables(folder(tmp_path, visits({"er_death": ""})))
    assert tables.visits.to_pyarrow()["er_death"].to_pylist() == [None]


def test_it_accepts_booleans_in_any_case(tmp_path):
    tables = open_tables(folder(tmp_path, visits({"er_death": "TRUE", "er_repeat": "False"})))
    row = tables.visits.to_pyarrow().to_pylist()[0]
    assert (row["er_death"], row["er_repeat"]) == (True, False)


def test_it_names_an_unknown_setting(tmp_path):
    error = refused(folder(tmp_path, visits({}, {"setting": "hospital"})))
    assert (error.row, error.column) == (2, "setting")
    assert "other" in error.message and "'hospital'" in error.message


def test_it_accepts_the_setting_other(tmp_path):
    tables = open_tables(folder(tmp_path, visits({"setting": "other"})))
    assert tables.visits.to_pyarrow()["setting"].to_pylist() == ["other"]


def test_it_accepts_a_setting_the_caller_adds(tmp_path):
    data_dir = folder(tmp_path, visits({"setting": "telemedicine"}))
    assert refused(data_dir).column == "setting"
    tables = open_tables(data_dir, settings=["gmf", "other", "telemedicine"])
    assert tables.visits.to_pyarrow()["setting"].to_pylist() == ["telemedicine"]


def test_it_names_an_unknown_provider_kind(tmp_path):
    error = refused(folder(tmp_path, visits({"provider_kind": "nurse"})))
    assert (error.row, error.column) == (1, "provider_kind")


@pytest.mark.parametrize("value", ["P6", "p4", "4"])
def test_it_names_a_triage_that_is_not_p1_to_p5(tmp_path, value):
    error = refused(folder(tmp_path, visits({}, {"er_triage": value, "setting": "urgence_ch"})))
    assert (error.row, error.column) == (2, "er_triage")


def test_it_requires_a_visit_id(tmp_path):
    error = refused(folder(tmp_path, visits({}, {"visit_id": ""})))
    assert (error.row, error.column) == (2, "visit_id")
    assert "empty" in error.message


def test_it_names_a_year_that_is_not_a_number(tmp_path):
    notices = [{"physician_id": "D1", "year": "2018"}, {"physician_id": "D2", "year": "20l8"}]
    error = refused(folder(tmp_path, drmg_notices=notices))
    assert (error.file, error.row, error.column) == ("drmg_notices.csv", 2, "year")


def test_it_names_an_unknown_gmf_kind(tmp_path):
    sites = [{"site_id": "S1", "gmf_id": "G1", "kind": "clinic"}]
    error = refused(folder(tmp_path, gmf_sites=sites))
    assert (error.file, error.row, error.column) == ("gmf_sites.csv", 1, "kind")


def test_it_reports_the_first_bad_row_in_file_order(tmp_path):
    # Row 2's problem is in a later column than row 3's: row 2 is still the one named.
    rows = visits({}, {"pregnancy_followup": "maybe"}, {"visit_date": "yesterday"})
    error = refused(folder(tmp_path, rows))
    assert (error.row, error.column) == (2, "pregnancy_followup")


def test_it_checks_every_row_and_not_only_the_first_ones(tmp_path):
    rows = visits(*[{} for _ in range(3_000)], {"setting": "hospital"})
    assert refused(folder(tmp_path, rows)).row == 3_001


def test_it_can_skip_the_row_checks(tmp_path):
    tables = open_tables(folder(tmp_path, visits({"setting": "hospital"})), validate=False)
    assert tables.visits.to_pyarrow()["setting"].to_pylist() == ["hospital"]


# --- Parquet ------------------------------------------------------------------------------


def test_it_names_a_bad_parquet_row_without_a_line(tmp_path):
    data_dir = folder(tmp_path, visits({}, {}, {"setting": "hospital"}))
    to_parquet(data_dir, "visits")
    error = refused(data_dir)
    assert (error.file, error.row, error.line, error.column) == (
        "visits.parquet",
        3,
        None,
        "setting",
    )
    assert str(error).startswith("visits.parquet, row 3, column setting:")


def test_it_names_the_first_wrong_parquet_row_of_any_vocabulary_column(tmp_path):
    data_dir = folder(tmp_path, visits({}, {"er_triage": "P7"}, {"setting": "hospital"}))
    to_parquet(data_dir, "visits")
    error = refused(data_dir)
    assert (error.row, error.column) == (2, "er_triage")


def test_it_numbers_parquet_rows_across_row_groups(tmp_path):
    rows = visits(*[{} for _ in range(250)], {"er_triage": "P9"})
    data_dir = folder(tmp_path, rows)
    types = schema("visits").to_pyarrow()
    table = pacsv.read_csv(
        data_dir / "visits.csv",
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    pq.write_table(table.cast(types), data_dir / "visits.parquet", row_group_size=100)
    (data_dir / "visits.csv").unlink()
    assert refused(data_dir).row == 251


def test_it_finds_a_null_in_a_parquet_column_that_must_have_values(tmp_path):
    data_dir = folder(tmp_path, visits({}, {"patient_id": ""}))
    to_parquet(data_dir, "visits")
    error = refused(data_dir)
    assert (error.row, error.column) == (2, "patient_id")


def test_it_refuses_ids_stored_as_numbers_in_parquet(tmp_path):
    data_dir = folder(tmp_path)
    pq.write_table(
        pa.table(
            {
                "patient_id": pa.array([111], pa.int64()),
                "physician_id": ["D1"],
                "site_id": ["S1"],
                "start_date": [datetime.date(2017, 1, 1)],
                "end_date": pa.array([None], pa.date32()),
            }
        ),
        data_dir / "registrations.parquet",
    )
    (data_dir / "registrations.csv").unlink()
    error = refused(data_dir)
    assert (error.file, error.row, error.column) == ("registrations.parquet", None, "patient_id")


# --- overlapping periods -----------------------------------------------------------------


def registration(patient: str, start: str, end: str = "", physician: str = "D1") -> dict:
    return {
        **REGISTRATION,
        "patient_id": patient,
        "physician_id": physician,
        "start_date": start,
        "end_date": end,
    }


def test_it_names_the_later_of_two_overlapping_registrations(tmp_path):
    rows = [
        registration("0111", "2017-01-01", "2018-06-01"),
        registration("0222", "2017-01-01"),
        registration("0111", "2018-05-01", physician="D2"),
    ]
    error = refused(folder(tmp_path, registration_rows=rows))
    assert (error.file, error.row, error.column) == ("registrations.csv", 3, "start_date")
    assert "0111" in error.message and "row 1" in error.message


def test_it_names_the_later_row_in_the_file_even_when_it_starts_first(tmp_path):
    rows = [registration("0111", "2018-05-01"), registration("0111", "2017-01-01", "2018-06-01")]
    error = refused(folder(tmp_path, registration_rows=rows))
    assert error.row == 2 and "row 1" in error.message


def test_it_accepts_a_registration_starting_the_day_the_previous_one_ends(tmp_path):
    # Half-open periods: the first is out of force on 2018-06-01, the second starts then.
    rows = [registration("0111", "2017-01-01", "2018-06-01"), registration("0111", "2018-06-01")]
    tables = open_tables(folder(tmp_path, registration_rows=rows))
    starts = tables.registrations.to_pyarrow()["start_date"].to_pylist()
    assert starts == [datetime.date(2017, 1, 1), datetime.date(2018, 6, 1)]


def test_it_names_the_row_where_the_first_overlap_appears(tmp_path):
    # Rows 1 and 2 do not overlap each other; row 3 spans both, so row 3 is named, against
    # the earliest row it overlaps. Sorted by start, row 3 comes first: the check must not
    # depend on the file being sorted.
    rows = [
        registration("0111", "2017-03-01", "2017-04-01"),
        registration("0111", "2018-01-01", "2018-02-01"),
        registration("0111", "2017-01-01", "2019-01-01"),
    ]
    error = refused(folder(tmp_path, registration_rows=rows))
    assert error.row == 3 and "row 1" in error.message


def test_it_accepts_a_patient_with_many_registrations_in_a_row(tmp_path):
    starts = [f"{year}-0{month}-01" for year in range(2010, 2018) for month in (1, 5)]
    rows = [registration("0111", start, end) for start, end in itertools.pairwise(starts)]
    tables = open_tables(folder(tmp_path, registration_rows=list(reversed(rows))))
    assert tables.registrations.count().execute() == len(starts) - 1 == 15


def test_it_refuses_two_gmf_memberships_on_one_day(tmp_path):
    memberships = [
        {"physician_id": "D1", "gmf_id": "G1", "start_date": "2017-01-01", "end_date": ""},
        {"physician_id": "D1", "gmf_id": "G2", "start_date": "2018-01-01", "end_date": ""},
    ]
    error = refused(folder(tmp_path, gmf_memberships=memberships))
    assert (error.file, error.row) == ("gmf_memberships.csv", 2)
    assert "G1" in error.message and "G2" in error.message


def test_it_accepts_a_membership_written_twice(tmp_path):
    membership = {"physician_id": "D1", "gmf_id": "G1", "start_date": "2017-01-01"}
    tables = open_tables(folder(tmp_path, gmf_memberships=[membership, membership]))
    assert tables.gmf_memberships.to_pyarrow()["gmf_id"].to_pylist() == ["G1", "G1"]


def test_it_finds_overlapping_registrations_in_parquet(tmp_path):
    rows = [registration("0111", "2017-01-01"), registration("0111", "2018-01-01")]
    data_dir = folder(tmp_path, registration_rows=rows)
    to_parquet(data_dir, "registrations")
    error = refused(data_dir)
    assert (error.file, error.row, error.line) == ("registrations.parquet", 2, None)


# --- writing ------------------------------------------------------------------------------


def test_it_writes_the_contract_csv(tmp_path):
    table = pa.table(
        {
            "physician_id": ["0042", "D2"],
            "rate": [0.5, None],
            "payment_pct": pa.array([0, None], pa.int32()),
            "review_flag": [True, False],
        }
    )
    out = tmp_path / "rates.csv"
    write_csv_atomically(table, out)
    assert out.read_text().splitlines() == [
        '"physician_id","rate","payment_pct","review_flag"',
        '"0042",0.5,0,true',
        '"D2",,,false',
    ]


def test_it_leaves_no_file_when_writing_fails(tmp_path):
    unwritable = pa.table({"nested": pa.array([[1, 2]], pa.list_(pa.int64()))})
    with pytest.raises(pa.ArrowException):
        write_csv_atomically(unwritable, tmp_path / "rates.csv")
    assert list(tmp_path.iterdir()) == []


def test_it_replaces_an_earlier_file_only_when_complete(tmp_path):
    out = tmp_path / "rates.csv"
    out.write_text("earlier\n")
    with pytest.raises(pa.ArrowException):
        write_csv_atomically(pa.table({"x": pa.array([[1]])}), out)
    assert out.read_text() == "earlier\n"
    write_csv_atomically(pa.table({"x": [1]}), out)
    assert out.read_text() == '"x"\n1\n'


# --- baseline -----------------------------------------------------------------------------


def test_it_counts_the_baseline_per_registering_physician(tmp_path):
    rows = visits(
        {"patient_id": "0111", "provider_id": "D1"},
        {"patient_id": "0111", "provider_id": "D9"},
        {"patient_id": "0222", "provider_id": "D2", "visit_date": "2018-05-31"},
        # On the registration's end date the patient is D3's (half-open periods).
        {"patient_id": "0222", "provider_id": "D2", "visit_date": "2018-06-01"},
        {"patient_id": "0333", "provider_id": "D1"},  # registered with nobody
        {"patient_id": "0111", "provider_id": "D1", "visit_date": "2017-12-31"},  # not 2018
    )
    registrations = [
        registration("0111", "2017-01-01"),
        registration("0222", "2017-01-01", "2018-06-01", physician="D2"),
        registration("0222", "2018-06-01", physician="D3"),
    ]
    result = baseline(folder(tmp_path, rows, registrations), 2018).to_pylist()
    assert result == [
        {"physician_id": "D1", "visits": 2, "own_visits": 1, "rate": 0.5},
        {"physician_id": "D2", "visits": 1, "own_visits": 1, "rate": 1.0},
        {"physician_id": "D3", "visits": 1, "own_visits": 0, "rate": 0.0},
    ]


def test_it_gives_one_baseline_row_per_physician(tiny):
    result = baseline(tiny["parquet"], 2025)
    physicians = result["physician_id"].to_pylist()
    assert len(physicians) == len(set(physicians)) > 0
    assert result.equals(baseline(tiny["csv"], 2025))
