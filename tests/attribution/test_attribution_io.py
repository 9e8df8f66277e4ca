"""Reading and checking the attribution's data folder (panelcare.attribution.io).

Each test writes the few rows it needs as CSV (or Parquet) into ``tmp_path``; every cell
not about the rule under test is valid, so the error named is the one the test planted.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from panelcare.attribution.io import (
    PHYSICIAN_COLUMNS,
    WAITLIST_COLUMNS,
    AttributionInputError,
    inputs_from_arrow,
    orphans_from_arrow,
    physicians_from_arrow,
    read_inputs,
)
from panelcare.errors import InputError

PHYSICIAN = {
    "physician_id": "D001",
    "name": "Dre Anne Caron",
    "rls_id": "0111",
    "site_id": "S001",
    "latitude": "48.449",
    "longitude": "-68.523",
    "registered": "400",
    "vulnerable": "120",
    "practice_start": "2015-09-01",
    "birth_year": "1980",
    "amp_target": "",
    "other_units": "0.5",
    "mode": "bloc",
    "previous_assiduity": "0.8",
    "departing_on": "",
}
PATIENT = {
    "patient_id": "0001",
    "rls_id": "0111",
    "latitude": "48.45",
    "longitude": "-68.52",
    "priority": "C",
    "vulnerable": "false",
    "requested_on": "2025-03-01",
    "category": "",
    "previous_physician_id": "",
}


def write(folder: Path, name: str, rows: list[dict[str, str]], columns=None) -> Path:
    """``rows`` as ``folder/name.csv``, cells written as given (empty = an empty cell)."""
    columns = list(columns or (PHYSICIAN_COLUMNS if name == "physicians" else WAITLIST_COLUMNS))
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    path = folder / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def physician_rows(*changes: dict[str, str]) -> list[dict[str, str]]:
    """One valid physician per ``changes`` (D001, D002, ...), each changed as given."""
    return [{**PHYSICIAN, "physician_id": f"D{i + 1:03d}", **c} for i, c in enumerate(changes)]


def patient_rows(*changes: dict[str, str]) -> list[dict[str, str]]:
    """One valid waiting patient per ``changes`` (0001, 0002, ...), each changed as given."""
    return [{**PATIENT, "patient_id": f"{i + 1:04d}", **c} for i, c in enumerate(changes)]


def folder(tmp_path: Path, physicians=None, waitlist=None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    write(tmp_path, "physicians", physician_rows({}) if physicians is None else physicians)
    write(tmp_path, "waitlist", patient_rows({}) if waitlist is None else waitlist)
    return tmp_path


def refused(data_dir: Path) -> AttributionInputError:
    with pytest.raises(AttributionInputError) as caught:
        read_inputs(data_dir)
    return caught.value


# --------------------------------------------------------------------------- reading


def test_it_reads_csv_into_the_model_arrays(tmp_path):
    doctors, waiting = read_inputs(
        folder(
            tmp_path,
            physician_rows(
                {},
                {
                    "amp_target": "250",
                    "previous_assiduity": "",
                    "departing_on": "2026-12-15",
                    "mode": "le304",
                },
            ),
            patient_rows(
                {},
                {
                    "priority": "A",
                    "vulnerable": "true",
                    "category": "home_care",
                    "previous_physician_id": "D001",
                },
            ),
        )
    )
    assert doctors.physician_id.tolist() == ["D001", "D002"]
    assert doctors.rls_id.dtype == object and doctors.rls_id[0] == "0111"  # leading zero
    assert type(doctors.rls_id[0]) is str
    assert doctors.registered.dtype == np.int64 and doctors.registered.tolist() == [400, 400]
    assert doctors.amp_target.tolist() == [-1, 250]
    assert doctors.other_units.tolist() == [0.5, 0.5]
    assert doctors.mode.tolist() == ["bloc", "le304"]
    assert doctors.previous_assiduity[0] == 0.8 and np.isnan(doctors.previous_assiduity[1])
    assert doctors.practice_start.dtype == np.dtype("datetime64[D]")
    assert doctors.practice_start[0] == np.datetime64("2015-09-01")
    assert np.isnat(doctors.departing_on[0])
    assert doctors.departing_on[1] == np.datetime64("2026-12-15")
    assert waiting.patient_id.tolist() == ["0001", "0002"]
    assert waiting.priority.dtype == np.int8 and waiting.priority.tolist() == [2, 0]
    assert waiting.vulnerable.dtype == bool and waiting.vulnerable.tolist() == [False, True]
    assert waiting.requested_on[0] == np.datetime64("2025-03-01")
    assert waiting.category.tolist() == ["", "home_care"]
    assert waiting.previous_physician_id.tolist() == ["", "D001"]


def test_it_ignores_columns_outside_the_contract(tmp_path):
    columns = [*PHYSICIAN_COLUMNS, "licence_number", "gmf_id"]
    row = {**PHYSICIAN, "licence_number": "1-23456-7", "gmf_id": "not checked"}
    write(tmp_path, "physicians", [row], columns)
    write(tmp_path, "waitlist", patient_rows({}))
    doctors, _ = read_inputs(tmp_path)
    assert doctors.physician_id.tolist() == ["D001"]


def test_it_reads_columns_in_any_order(tmp_path):
    write(tmp_path, "physicians", physician_rows({}), list(reversed(PHYSICIAN_COLUMNS)))
    write(tmp_path, "waitlist", patient_rows({}))
    doctors, _ = read_inputs(tmp_path)
    assert doctors.registered.tolist() == [400]


def test_it_reads_parquet_with_the_contract_types(tmp_path):
    csv_dir = folder(
        tmp_path / "csv",
        physician_rows({}, {"amp_target": "500", "departing_on": "2026-11-30"}),
        patient_rows({}, {"vulnerable": "true", "previous_physician_id": "D002"}),
    )
    from_csv = read_inputs(csv_dir)
    parquet_dir = tmp_path / "parquet"
    parquet_dir.mkdir()
    pq.write_table(
        pa.table(
            {
                "physician_id": ["D001", "D002"],
                "name": ["Dre Anne Caron"] * 2,
                "rls_id": ["0111"] * 2,
                "site_id": ["S001"] * 2,
                "latitude": [48.449] * 2,
                "longitude": [-68.523] * 2,
                "registered": pa.array([400, 400], pa.int32()),
                "vulnerable": pa.array([120, 120], pa.int32()),
                "practice_start": pa.array([from_csv[0].practice_start[0].item()] * 2),
                "birth_year": pa.array([1980, 1980], pa.int32()),
                "amp_target": pa.array([None, 500], pa.int32()),
                "other_units": [0.5, 0.5],
                "mode": ["bloc", "bloc"],
                "previous_assiduity": [0.8, 0.8],
                "departing_on": pa.array([None, from_csv[0].departing_on[1].item()]),
            }
        ),
        parquet_dir / "physicians.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "patient_id": ["0001", "0002"],
                "rls_id": ["0111", "0111"],
                "latitude": [48.45, 48.45],
                "longitude": [-68.52, -68.52],
                "priority": ["C", "C"],
                "vulnerable": [False, True],
                "requested_on": pa.array([from_csv[1].requested_on[0].item()] * 2),
                "category": pa.array([None, None], pa.string()),
                "previous_physician_id": [None, "D002"],
            }
        ),
        parquet_dir / "waitlist.parquet",
    )
    from_parquet = read_inputs(parquet_dir)
    for csv_table, parquet_table in zip(from_csv, from_parquet, strict=True):
        for name, values in vars(csv_table).items():
            assert values.dtype == getattr(parquet_table, name).dtype, name
            np.testing.assert_array_equal(values, getattr(parquet_table, name), err_msg=name)


def test_it_reads_parquet_with_text_columns(tmp_path):
    folder(tmp_path)
    for name in ("physicians", "waitlist"):
        csv_path = tmp_path / f"{name}.csv"
        table = pacsv.read_csv(
            csv_path,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(PHYSICIAN_COLUMNS | WAITLIST_COLUMNS, pa.string()),
                strings_can_be_null=True,
            ),
        )
        pq.write_table(table, tmp_path / f"{name}.parquet")
        csv_path.unlink()
    doctors, waiting = read_inputs(tmp_path)
    assert doctors.amp_target.tolist() == [-1]
    assert doctors.practice_start[0] == np.datetime64("2015-09-01")
    assert waiting.vulnerable.tolist() == [False]


def test_it_accepts_whole_floats_for_whole_numbers_in_parquet(tmp_path):
    # pandas writes an integer column with empty cells as float64.
    folder(tmp_path)
    table = pacsv.read_csv(
        tmp_path / "physicians.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={
                **dict.fromkeys(PHYSICIAN_COLUMNS, pa.string()),
                "amp_target": pa.float64(),
            }
        ),
    )
    table = table.set_column(
        table.column_names.index("amp_target"), "amp_target", pa.array([250.0])
    )
    pq.write_table(table, tmp_path / "physicians.parquet")
    (tmp_path / "physicians.csv").unlink()
    doctors, _ = read_inputs(tmp_path)
    assert doctors.amp_target.tolist() == [250]

    table = table.set_column(
        table.column_names.index("amp_target"), "amp_target", pa.array([250.5])
    )
    pq.write_table(table, tmp_path / "physicians.parquet")
    error = refused(tmp_path)
    assert (error.file, error.row, error.column, error.line) == (
        "physicians.parquet",
        1,
        "amp_target",
        None,
    )
    assert "expected a whole number of 0 or more or an empty cell, got 250.5" in str(error)


def test_it_accepts_waiting_patients_of_an_unknown_rls_or_physician(tmp_path):
    _, waiting = read_inputs(
        folder(tmp_path, waitlist=patient_rows({"rls_id": "9999", "previous_physician_id": "D999"}))
    )
    assert waiting.rls_id.tolist() == ["9999"]
    assert waiting.previous_physician_id.tolist() == ["D999"]


def test_it_reads_tables_with_no_rows(tmp_path):
    doctors, waiting = read_inputs(folder(tmp_path, [], []))
    assert len(doctors) == 0 and len(waiting) == 0
    assert waiting.priority.dtype == np.int8


# --------------------------------------------------------------------------- files


def test_it_is_an_input_error():
    assert issubclass(AttributionInputError, InputError)


def test_it_requires_both_tables(tmp_path):
    write(tmp_path, "physicians", physician_rows({}))
    error = refused(tmp_path)
    assert "the waitlist table is required" in str(error)


def test_it_refuses_a_table_given_twice(tmp_path):
    folder(tmp_path)
    (tmp_path / "physicians.parquet").write_bytes(b"")
    error = refused(tmp_path)
    assert error.file == "physicians.csv"
    assert "both physicians.csv and physicians.parquet" in str(error)


def test_it_refuses_a_folder_that_does_not_exist(tmp_path):
    assert "is not a folder" in str(refused(tmp_path / "absent"))


def test_it_names_a_missing_column(tmp_path):
    columns = [c for c in WAITLIST_COLUMNS if c != "requested_on"]
    write(tmp_path, "physicians", physician_rows({}))
    write(tmp_path, "waitlist", patient_rows({}), columns)
    error = refused(tmp_path)
    assert (error.file, error.row, error.column) == ("waitlist.csv", None, "requested_on")
    assert "the file has no column requested_on" in str(error)


def test_it_refuses_an_empty_file(tmp_path):
    folder(tmp_path)
    (tmp_path / "waitlist.csv").write_text("", encoding="utf-8")
    error = refused(tmp_path)
    assert error.file == "waitlist.csv"
    assert "the file is empty" in str(error)


def test_it_refuses_a_header_naming_a_column_twice(tmp_path):
    folder(tmp_path)
    write(tmp_path, "waitlist", patient_rows({}), [*WAITLIST_COLUMNS, "rls_id"])
    error = refused(tmp_path)
    assert (error.file, error.line) == ("waitlist.csv", 1)
    assert "names column rls_id twice" in str(error)


def test_it_names_the_row_of_a_ragged_csv_line(tmp_path):
    path = write(tmp_path, "physicians", physician_rows({}, {}, {}))
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].rsplit(",", 2)[0]  # the third physician loses two cells
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write(tmp_path, "waitlist", patient_rows({}))
    error = refused(tmp_path)
    assert (error.file, error.row, error.line) == ("physicians.csv", 3, 4)
    assert "the row has 13 cells, the header 15" in str(error)


def test_it_refuses_numeric_ids_in_parquet(tmp_path):
    folder(tmp_path)
    table = pacsv.read_csv(
        tmp_path / "waitlist.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={**dict.fromkeys(WAITLIST_COLUMNS, pa.string()), "patient_id": pa.int64()}
        ),
    )
    pq.write_table(table, tmp_path / "waitlist.parquet")
    (tmp_path / "waitlist.csv").unlink()
    error = refused(tmp_path)
    assert (error.file, error.column) == ("waitlist.parquet", "patient_id")
    assert "a column of type int64: expected text" in str(error)


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("physician_id", "", "empty cell: expected a value"),
        ("name", "", "empty cell: expected a value"),
        ("latitude", "91", "expected a number from -90 to 90, got '91'"),
        ("latitude", "nan", "expected a number from -90 to 90, got 'nan'"),
        ("longitude", "-68,5", None),  # an extra cell: the row is ragged
        ("longitude", "west", "expected a number from -180 to 180, got 'west'"),
        ("registered", "-1", "expected a whole number of 0 or more, got '-1'"),
        ("registered", "12.5", "expected a whole number of 0 or more, got '12.5'"),
        ("registered", "", "empty cell: expected a whole number of 0 or more"),
        ("practice_start", "2025-02-30", "expected a date yyyy-mm-dd, got '2025-02-30'"),
        ("practice_start", "2025/01/05", "expected a date yyyy-mm-dd, got '2025/01/05'"),
        ("practice_start", "2025-1-05", "expected a date yyyy-mm-dd, got '2025-1-05'"),
        ("birth_year", "1980.0", "expected a whole number, got '1980.0'"),
        ("amp_target", "x", "expected a whole number of 0 or more or an empty cell, got 'x'"),
        ("amp_target", "-250", "of 0 or more or an empty cell, got '-250'"),
        ("other_units", "-0.5", "expected a number of 0 or more, got '-0.5'"),
        ("mode", "blocs", "expected one of bloc, le304 or none, got 'blocs'"),
        ("mode", "", "empty cell: expected one of bloc, le304 or none"),
        ("previous_assiduity", "1.2", "expected a number from 0 to 1 or an empty cell, got '1.2'"),
        ("departing_on", "soon", "expected a date yyyy-mm-dd or an empty cell, got 'soon'"),
    ],
)
def test_it_names_file_row_and_column_of_a_wrong_physician_cell(tmp_path, column, cell, message):
    if message is None:
        cell = '"-68,5"'  # quoted: one cell holding a comma, not a number
        message = "expected a number from -180 to 180, got '-68,5'"
    error = refused(folder(tmp_path, physician_rows({}, {column: cell})))
    assert (error.file, error.row, error.column, error.line) == ("physicians.csv", 2, column, 3)
    assert message in str(error)
    assert str(error).startswith(f"physicians.csv, row 2 (line 3), column {column}: ")


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("patient_id", "", "empty cell: expected a value"),
        ("rls_id", "", "empty cell: expected a value"),
        ("latitude", "", "empty cell: expected a number from -90 to 90"),
        ("longitude", "181", "expected a number from -180 to 180, got '181'"),
        ("priority", "F", "expected one of A, B, C, D or E, got 'F'"),
        ("priority", "a", "expected one of A, B, C, D or E, got 'a'"),
        ("vulnerable", "yes", "expected true or false, got 'yes'"),
        ("vulnerable", "", "empty cell: expected true or false"),
        ("requested_on", "2024-13-01", "expected a date yyyy-mm-dd, got '2024-13-01'"),
        ("requested_on", "", "empty cell: expected a date yyyy-mm-dd"),
    ],
)
def test_it_names_file_row_and_column_of_a_wrong_waitlist_cell(tmp_path, column, cell, message):
    error = refused(folder(tmp_path, waitlist=patient_rows({}, {}, {column: cell})))
    assert (error.file, error.row, error.column, error.line) == ("waitlist.csv", 3, column, 4)
    assert message in str(error)


def test_it_refuses_more_vulnerable_patients_than_registered(tmp_path):
    error = refused(folder(tmp_path, physician_rows({"registered": "10", "vulnerable": "11"})))
    assert (error.row, error.column) == (1, "vulnerable")
    assert "11 vulnerable patients but 10 registered" in str(error)


def test_it_accepts_leap_days_and_empty_optional_cells(tmp_path):
    doctors, _ = read_inputs(
        folder(tmp_path, physician_rows({"practice_start": "2024-02-29", "departing_on": ""}))
    )
    assert doctors.practice_start[0] == np.datetime64("2024-02-29")


def test_it_names_both_rows_of_a_duplicate_physician_id(tmp_path):
    error = refused(folder(tmp_path, physician_rows({}, {}, {"physician_id": "D001"})))
    assert (error.row, error.column) == (3, "physician_id")
    assert "duplicate physician_id D001: also on row 1" in str(error)


def test_it_names_both_rows_of_a_duplicate_patient_id(tmp_path):
    error = refused(folder(tmp_path, waitlist=patient_rows({}, {}, {"patient_id": "0002"})))
    assert (error.file, error.row, error.column) == ("waitlist.csv", 3, "patient_id")
    assert "duplicate patient_id 0002: also on row 2" in str(error)


def test_it_reports_the_earliest_row_first(tmp_path):
    # Row 2's problem is in a column to the right of row 3's: the row decides.
    error = refused(
        folder(tmp_path, physician_rows({}, {"departing_on": "x"}, {"physician_id": ""}))
    )
    assert (error.row, error.column) == (2, "departing_on")


def test_it_reports_the_leftmost_column_of_a_row_first(tmp_path):
    error = refused(folder(tmp_path, physician_rows({"mode": "x", "latitude": "x"})))
    assert (error.row, error.column) == (1, "latitude")


def test_it_reports_the_leftmost_column_of_the_file_not_of_the_contract(tmp_path):
    columns = list(reversed(PHYSICIAN_COLUMNS))  # departing_on first
    write(
        tmp_path, "physicians", physician_rows({"physician_id": "", "departing_on": "x"}), columns
    )
    write(tmp_path, "waitlist", patient_rows({}))
    assert refused(tmp_path).column == "departing_on"


def test_it_checks_the_physicians_before_the_waitlist(tmp_path):
    error = refused(
        folder(tmp_path, physician_rows({"mode": "x"}), patient_rows({"priority": "x"}))
    )
    assert error.file == "physicians.csv"


def test_it_names_a_parquet_row_without_a_line(tmp_path):
    folder(tmp_path)
    table = pa.table({name: ["x"] for name in WAITLIST_COLUMNS})
    table = table.set_column(0, "patient_id", pa.array(["0001"]))
    pq.write_table(table, tmp_path / "waitlist.parquet")
    (tmp_path / "waitlist.csv").unlink()
    error = refused(tmp_path)
    assert (error.file, error.row, error.column, error.line) == (
        "waitlist.parquet",
        1,
        "latitude",
        None,
    )
    assert str(error) == "waitlist.parquet, row 1, column latitude: " + (
        "expected a number from -90 to 90, got 'x'"
    )


# --------------------------------------------------------------------------- scale


@pytest.mark.slow
def test_it_reads_a_province_and_finds_a_duplicate_in_its_last_row(tmp_path):
    n_physicians, n_patients = 10_000, 1_000_000
    rng = np.random.default_rng(5)
    physician_ids = [f"D{i:05d}" for i in range(n_physicians)]
    pq.write_table(
        pa.table(
            {
                "physician_id": physician_ids,
                "name": ["Dre Test"] * n_physicians,
                "rls_id": [f"{i % 90:04d}" for i in range(n_physicians)],
                "site_id": [f"S{i // 5:05d}" for i in range(n_physicians)],
                "latitude": rng.uniform(45, 50, n_physicians),
                "longitude": rng.uniform(-75, -65, n_physicians),
                "registered": pa.array(rng.integers(100, 1500, n_physicians), pa.int32()),
                "vulnerable": pa.array(rng.integers(0, 100, n_physicians), pa.int32()),
                "practice_start": pa.array(
                    np.datetime64("2000-01-01") + rng.integers(0, 9000, n_physicians)
                ).cast(pa.date32()),
                "birth_year": pa.array(rng.integers(1955, 1995, n_physicians), pa.int32()),
                "amp_target": pa.array([None] * n_physicians, pa.int32()),
                "other_units": rng.uniform(0, 2, n_physicians),
                "mode": ["bloc"] * n_physicians,
                "previous_assiduity": rng.uniform(0.6, 0.95, n_physicians),
                "departing_on": pa.array([None] * n_physicians, pa.date32()),
            }
        ),
        tmp_path / "physicians.parquet",
    )
    patient_ids = [f"P{i:08d}" for i in range(n_patients)]
    waitlist = pa.table(
        {
            "patient_id": patient_ids,
            "rls_id": pa.array([f"{i % 90:04d}" for i in range(n_patients)]),
            "latitude": rng.uniform(45, 50, n_patients),
            "longitude": rng.uniform(-75, -65, n_patients),
            "priority": pa.array(rng.choice(list("ABCDE"), n_patients)),
            "vulnerable": rng.random(n_patients) < 0.3,
            "requested_on": pa.array(
                np.datetime64("2023-01-01") + rng.integers(0, 1000, n_patients)
            ).cast(pa.date32()),
            "category": pa.array([None] * n_patients, pa.string()),
            "previous_physician_id": pa.array([None] * n_patients, pa.string()),
        }
    )
    pq.write_table(waitlist, tmp_path / "waitlist.parquet")

    doctors, waiting = read_inputs(tmp_path)
    assert len(doctors) == n_physicians and len(waiting) == n_patients
    assert waiting.patient_id[-1] == "P00999999"
    assert waiting.rls_id[5] == "0005"

    duplicated = waitlist.set_column(0, "patient_id", pa.array([*patient_ids[:-1], "P00000007"]))
    pq.write_table(duplicated, tmp_path / "waitlist.parquet")
    error = refused(tmp_path)
    assert (error.row, error.column) == (n_patients, "patient_id")
    assert "duplicate patient_id P00000007: also on row 8" in str(error)


# --------------------------------------------------------------------------- in memory


def text_table(rows: list[dict[str, str]], columns) -> pa.Table:
    """``rows`` as an Arrow table of text cells, as a CSV file would hold them."""
    return pa.table(
        {column: pa.array([row[column] for row in rows], pa.string()) for column in columns}
    )


def test_it_reads_tables_in_memory_as_it_reads_the_same_files(tmp_path):
    doctors = physician_rows({}, {"amp_target": "250", "departing_on": "2026-12-15"})
    patients = patient_rows({}, {"priority": "A", "previous_physician_id": "D001"})
    from_files = read_inputs(folder(tmp_path, doctors, patients))
    from_memory = inputs_from_arrow(
        text_table(doctors, PHYSICIAN_COLUMNS), text_table(patients, WAITLIST_COLUMNS)
    )
    for file_table, memory_table in zip(from_files, from_memory, strict=True):
        for name, values in vars(file_table).items():
            assert values.dtype == getattr(memory_table, name).dtype, name
            np.testing.assert_array_equal(values, getattr(memory_table, name), err_msg=name)
    assert from_memory[0].amp_target.tolist() == [-1, 250]


def test_it_reads_a_roster_with_the_contract_types_in_memory():
    roster = pa.table(
        {
            "gmf_id": ["G1"],  # outside the contract: ignored
            "physician_id": ["D001"],
            "name": ["Dre Anne Caron"],
            "rls_id": ["0111"],
            "site_id": ["S001"],
            "latitude": [48.449],
            "longitude": [-68.523],
            "registered": pa.array([400], pa.int64()),
            "vulnerable": pa.array([120], pa.int64()),
            "practice_start": pa.array([datetime.date(2015, 9, 1)], pa.date32()),
            "birth_year": pa.array([1980], pa.int64()),
            "amp_target": pa.array([None], pa.int64()),
            "other_units": [0.5],
            "mode": ["le304"],
            "previous_assiduity": pa.array([None], pa.float64()),
            "departing_on": pa.array([None], pa.date32()),
        }
    )
    doctors = physicians_from_arrow(roster)
    assert doctors.physician_id.tolist() == ["D001"] and doctors.mode.tolist() == ["le304"]
    assert doctors.amp_target.tolist() == [-1] and np.isnan(doctors.previous_assiduity[0])
    assert doctors.practice_start[0] == np.datetime64("2015-09-01")


def test_it_names_the_table_row_and_column_of_a_wrong_cell_in_memory():
    rows = patient_rows({}, {}, {"priority": "Z"})
    with pytest.raises(AttributionInputError) as caught:
        orphans_from_arrow(text_table(rows, WAITLIST_COLUMNS))
    error = caught.value
    assert (error.file, error.row, error.column, error.line) == ("waitlist", 3, "priority", None)
    assert error.message == "expected one of A, B, C, D or E, got 'Z'"


def test_it_refuses_a_duplicate_physician_in_memory_with_the_files_message(tmp_path):
    rows = physician_rows({}, {"physician_id": "D001"})
    with pytest.raises(AttributionInputError) as in_memory:
        physicians_from_arrow(text_table(rows, PHYSICIAN_COLUMNS), name="roster v3")
    from_file = refused(folder(tmp_path, rows))
    assert (
        in_memory.value.message == from_file.message == "duplicate physician_id D001: also on row 1"
    )
    assert str(in_memory.value).startswith("roster v3, row 2, column physician_id: ")


def test_it_names_a_column_missing_from_a_table_in_memory():
    table = text_table(physician_rows({}), [c for c in PHYSICIAN_COLUMNS if c != "mode"])
    with pytest.raises(AttributionInputError) as caught:
        physicians_from_arrow(table)
    assert caught.value.column == "mode" and caught.value.file == "physicians"
    assert caught.value.message.startswith("the table has no column mode (its columns: ")


def test_it_refuses_numeric_ids_in_memory():
    table = text_table(patient_rows({}), WAITLIST_COLUMNS)
    table = table.set_column(0, "patient_id", pa.array([1], pa.int64()))
    with pytest.raises(AttributionInputError) as caught:
        orphans_from_arrow(table)
    assert caught.value.column == "patient_id"
    assert "a column of type int64: expected text" in caught.value.message


def test_it_reads_a_table_in_several_chunks_as_one():
    rows = patient_rows({}, {"priority": "A"}, {"vulnerable": "true"})
    whole = orphans_from_arrow(text_table(rows, WAITLIST_COLUMNS))
    chunked = pa.concat_tables(
        [text_table(rows[:1], WAITLIST_COLUMNS), text_table(rows[1:], WAITLIST_COLUMNS)]
    )
    assert chunked.column("priority").num_chunks == 2
    pieces = orphans_from_arrow(chunked)
    for name, values in vars(whole).items():
        np.testing.assert_array_equal(values, getattr(pieces, name), err_msg=name)
    assert pieces.priority.tolist() == [2, 0, 2]
