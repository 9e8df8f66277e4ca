"""One table at a time, as the web app imports it (panelcare.attribution.tables).

The rows come from the io tests' builders: every cell not about the rule under test is
valid, so the problems named are the ones the test planted.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from test_attribution_io import (
    PHYSICIAN,
    folder,
    patient_rows,
    physician_rows,
    write,
)

from panelcare.attribution import tables
from panelcare.attribution.io import AttributionInputError, read_inputs
from panelcare.attribution.tables import (
    REGISTRATION_COLUMNS,
    SCHEMAS,
    Problem,
    Restriction,
    TableProblems,
    compare_tables,
    in_scope,
    read_contract_table,
)

REGISTRATION = {
    "patient_id": "0001",
    "physician_id": "D001",
    "site_id": "S001",
    "start_date": "2024-05-01",
    "end_date": "",
}


def registration_rows(*changes: dict[str, str]) -> list[dict[str, str]]:
    """One valid registration per ``changes`` (patients 0001, 0002, ...)."""
    return [
        {**REGISTRATION, "patient_id": f"{i + 1:04d}", **change} for i, change in enumerate(changes)
    ]


def refused(path: Path, kind: str, **options) -> TableProblems:
    with pytest.raises(TableProblems) as caught:
        read_contract_table(path, kind, **options)
    return caught.value


def as_xlsx(csv_path: Path, *, convert=None) -> Path:
    """The CSV file's cells as a spreadsheet's first sheet (text, unless ``convert``
    turns a cell of a column into a number, a date, ...)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    with csv_path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split(",")
        sheet.append(header)
        for line in handle:
            cells = line.rstrip("\n").split(",")
            if convert:
                cells = [convert(name, cell) for name, cell in zip(header, cells, strict=True)]
            sheet.append(cells)
    path = csv_path.with_suffix(".xlsx")
    workbook.save(path)
    return path


# --------------------------------------------------------------------------- reading


def test_it_reads_each_kind_into_the_canonical_shape(tmp_path):
    folder(tmp_path, physician_rows({}, {"amp_target": "250"}), patient_rows({}, {}))
    write(
        tmp_path,
        "registrations",
        registration_rows({}, {"end_date": "2025-01-01"}),
        REGISTRATION_COLUMNS,
    )
    for kind in tables.KINDS:
        table = read_contract_table(tmp_path / f"{kind}.csv", kind)
        assert table.schema == SCHEMAS[kind], kind
        assert table.num_rows == 2
    physicians = read_contract_table(tmp_path / "physicians.csv", "physicians")
    assert physicians.column("rls_id").to_pylist() == ["0111", "0111"]  # leading zero kept
    assert physicians.column("amp_target").to_pylist() == [None, 250]
    assert physicians.column("departing_on").to_pylist() == [None, None]
    waitlist = read_contract_table(tmp_path / "waitlist.csv", "waitlist")
    assert waitlist.column("category").to_pylist() == [None, None]  # empty cell: null
    assert waitlist.column("requested_on")[0].as_py() == datetime.date(2025, 3, 1)
    registrations = read_contract_table(tmp_path / "registrations.csv", "registrations")
    assert registrations.column("end_date").to_pylist() == [None, datetime.date(2025, 1, 1)]


def test_its_schemas_give_each_contract_kind_its_arrow_type():
    expected = {
        "text": "string",
        "choice": "string",
        "float": "double",
        "int": "int64",
        "date": "date32[day]",
        "bool": "bool",
    }
    for kind, columns in tables.COLUMNS.items():
        assert SCHEMAS[kind].names == list(columns)
        for name, column in columns.items():
            assert str(SCHEMAS[kind].field(name).type) == expected[column.kind], (kind, name)


def test_it_drops_other_columns_and_reads_any_order(tmp_path):
    columns = ["gmf_id", *reversed(list(SCHEMAS["physicians"].names))]
    path = write(tmp_path, "physicians", [{**PHYSICIAN, "gmf_id": "G1"}], columns)
    table = read_contract_table(path, "physicians")
    assert table.column_names == SCHEMAS["physicians"].names


def test_it_reads_parquet_and_xlsx_as_the_csv(tmp_path):
    csv_path = write(tmp_path, "waitlist", patient_rows({}, {"vulnerable": "true"}))
    from_csv = read_contract_table(csv_path, "waitlist")
    pq.write_table(from_csv, tmp_path / "waitlist.parquet")
    assert read_contract_table(tmp_path / "waitlist.parquet", "waitlist").equals(from_csv)
    assert read_contract_table(as_xlsx(csv_path), "waitlist").equals(from_csv)


def test_it_takes_spreadsheet_cells_as_a_csv_would_hold_them(tmp_path):
    csv_path = write(tmp_path, "physicians", physician_rows({}, {"amp_target": "250"}))

    def typed(column: str, cell: str):
        # What Excel keeps: numbers as floats, dates as date-times.
        if column in ("latitude", "longitude", "registered", "vulnerable", "other_units"):
            return float(cell)
        if column in ("birth_year", "amp_target") and cell:
            return int(cell)
        if column == "practice_start":
            return datetime.datetime.fromisoformat(cell)
        return cell

    table = read_contract_table(as_xlsx(csv_path, convert=typed), "physicians")
    assert table.equals(read_contract_table(csv_path, "physicians"))
    assert table.column("registered").to_pylist() == [400, 400]
    assert table.column("practice_start")[0].as_py() == datetime.date(2015, 9, 1)


def test_it_names_the_sheet_row_of_a_wrong_spreadsheet_cell(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(SCHEMAS["waitlist"].names))
    rows = patient_rows({}, {"priority": "F"})
    sheet.append([rows[0][c] for c in SCHEMAS["waitlist"].names])
    sheet.append([None] * len(rows[0]))  # an empty row is skipped, as a CSV's empty line
    sheet.append([rows[1][c] for c in SCHEMAS["waitlist"].names])
    path = tmp_path / "gamf.xlsx"
    workbook.save(path)
    error = refused(path, "waitlist")
    assert (error.file, error.row, error.column, error.line) == ("gamf.xlsx", 2, "priority", 4)


def test_it_refuses_a_spreadsheet_that_is_not_one(tmp_path):
    path = tmp_path / "gamf.xlsx"
    path.write_bytes(b"not a zip")
    error = refused(path, "waitlist")
    assert error.file == "gamf.xlsx" and "cannot read this spreadsheet" in error.message


def test_it_refuses_an_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match="unknown table"):
        read_contract_table(tmp_path / "x.csv", "patients")


# --------------------------------------------------------------------------- problems


@pytest.mark.parametrize(
    ("physicians", "waitlist"),
    [
        (physician_rows({}, {"mode": "x", "latitude": "x"}), None),
        (physician_rows({"registered": "10", "vulnerable": "11"}), None),
        (physician_rows({}, {}, {"physician_id": "D001"}), None),
        (None, patient_rows({}, {"requested_on": "2024-13-01"}, {"patient_id": "0001"})),
        (None, patient_rows({}, {"patient_id": "0001"})),
    ],
)
def test_its_first_problem_is_the_one_read_inputs_raises(tmp_path, physicians, waitlist):
    folder(tmp_path, physicians, waitlist)
    with pytest.raises(AttributionInputError) as caught:
        read_inputs(tmp_path)
    expected = caught.value
    kind = expected.file.removesuffix(".csv")
    error = refused(tmp_path / expected.file, kind)
    assert error.problems[0] == Problem.of(expected)
    assert str(error) == str(expected)
    assert isinstance(error, AttributionInputError)


def test_it_lists_every_problem_in_file_order(tmp_path):
    path = write(
        tmp_path,
        "waitlist",
        patient_rows({"priority": "F", "latitude": "x"}, {}, {"vulnerable": "oui"}),
    )
    error = refused(path, "waitlist")
    assert [(p.row, p.column, p.line) for p in error.problems] == [
        (1, "latitude", 2),
        (1, "priority", 2),
        (3, "vulnerable", 4),
    ]
    assert error.count == 3
    assert error.problems[2].message == "expected true or false, got 'oui'"


def test_it_lists_at_most_max_problems_and_counts_them_all(tmp_path):
    path = write(tmp_path, "waitlist", patient_rows(*[{"priority": "Z"}] * 8))
    error = refused(path, "waitlist", max_problems=3)
    assert [p.row for p in error.problems] == [1, 2, 3]
    assert error.count == 8


def test_it_names_the_uploaded_file_not_the_staged_copy(tmp_path):
    path = write(tmp_path, "waitlist", patient_rows({"priority": "F"}))
    staged = path.rename(tmp_path / "0f3a.csv")
    error = refused(staged, "waitlist", name="gamf-mars.csv")
    assert error.problems[0].file == "gamf-mars.csv"
    assert str(error).startswith("gamf-mars.csv, row 1 (line 2), column priority:")


def test_it_reports_a_missing_column_as_one_problem(tmp_path):
    columns = [c for c in SCHEMAS["waitlist"].names if c != "priority"]
    error = refused(write(tmp_path, "waitlist", patient_rows({}), columns), "waitlist")
    contract = ", ".join(SCHEMAS["waitlist"].names)
    assert error.problems == [
        Problem(
            "waitlist.csv",
            None,
            "priority",
            None,
            error.problems[0].message,
            "missing_column",
            {"column": "priority", "columns": contract},
        )
    ]
    assert "the file has no column priority" in error.message


def test_it_refuses_rows_outside_a_restriction(tmp_path):
    path = write(tmp_path, "waitlist", patient_rows({}, {"rls_id": "0112"}, {"rls_id": ""}))
    rule = Restriction("rls_id", frozenset({"0111"}), "your RLS (0111)")
    error = refused(path, "waitlist", restrictions=[rule])
    assert [(p.row, p.column) for p in error.problems] == [(2, "rls_id"), (3, "rls_id")]
    assert error.problems[0].message == "rls_id 0112 is outside your RLS (0111)"
    assert error.problems[1].message == "empty cell: expected a value"  # not both


# --------------------------------------------------------------------------- registrations


def test_it_refuses_a_registration_ending_before_it_starts(tmp_path):
    path = write(
        tmp_path,
        "registrations",
        registration_rows({"end_date": "2024-05-01"}, {"end_date": "2024-04-30"}),
        REGISTRATION_COLUMNS,
    )
    error = refused(path, "registrations")
    assert [(p.row, p.column) for p in error.problems] == [(2, "end_date")]
    assert "end_date 2024-04-30 is before start_date 2024-05-01" in error.message


def test_it_refuses_a_registration_given_twice(tmp_path):
    path = write(
        tmp_path,
        "registrations",
        registration_rows(
            {},
            {"patient_id": "0001", "start_date": "2024-06-01"},  # another start: fine
            {"patient_id": "0001", "physician_id": "D002"},  # another physician: fine
            {"patient_id": "0001", "site_id": "S009"},  # same key as row 1
        ),
        REGISTRATION_COLUMNS,
    )
    error = refused(path, "registrations")
    assert [(p.row, p.column) for p in error.problems] == [(4, "patient_id")]
    assert error.message == (
        "duplicate registration of patient_id 0001 with physician_id D001 from 2024-05-01: "
        "also on row 1"
    )


# --------------------------------------------------------------------------- comparing


def canonical_waitlist(tmp_path: Path, rows) -> pa.Table:
    return read_contract_table(write(tmp_path, "waitlist", rows), "waitlist")


def test_it_counts_rows_added_removed_changed_and_unchanged(tmp_path):
    old = canonical_waitlist(tmp_path, patient_rows({}, {}, {}, {}))
    new = canonical_waitlist(
        tmp_path,
        [
            *patient_rows({}, {"priority": "A"}, {"category": "home_care"}),  # 0001-0003
            {**patient_rows({})[0], "patient_id": "0009"},
        ],
    )
    changes = compare_tables("waitlist", old, new)
    assert (changes.added, changes.removed, changes.changed, changes.unchanged) == (1, 1, 2, 1)
    assert changes.examples == {"added": ["0009"], "removed": ["0004"], "changed": ["0002", "0003"]}
    assert changes.changed_columns == {"priority": 1, "category": 1}
    assert changes.any


def test_it_finds_nothing_changed_in_the_same_rows_in_another_order(tmp_path):
    rows = patient_rows({}, {"category": "home_care"}, {})
    old = canonical_waitlist(tmp_path, rows)
    new = canonical_waitlist(tmp_path, list(reversed(rows)))
    # A version written elsewhere may hold "" for an empty text cell: still the same.
    old = old.set_column(7, "category", pa.array(["", "home_care", ""]))
    changes = compare_tables("waitlist", old, new)
    assert not changes.any and changes.unchanged == 3


def test_it_compares_with_nothing_before_the_first_version(tmp_path):
    new = canonical_waitlist(tmp_path, patient_rows({}, {}))
    changes = compare_tables("waitlist", None, new, examples=1)
    assert (changes.added, changes.unchanged) == (2, 0)
    assert changes.examples["added"] == ["0001"]


def test_it_matches_registrations_on_patient_physician_and_start(tmp_path):
    path = write(tmp_path, "registrations", registration_rows({}, {}), REGISTRATION_COLUMNS)
    old = read_contract_table(path, "registrations")
    path = write(
        tmp_path,
        "registrations",
        registration_rows({"end_date": "2025-01-01"}, {"start_date": "2024-05-02"}),
        REGISTRATION_COLUMNS,
    )
    changes = compare_tables("registrations", old, read_contract_table(path, "registrations"))
    assert (changes.added, changes.removed, changes.changed) == (1, 1, 1)
    assert changes.examples["changed"] == ["0001 / D001 / 2024-05-01"]


def test_it_selects_the_rows_of_a_scope(tmp_path):
    waitlist = canonical_waitlist(tmp_path, patient_rows({}, {"rls_id": "0112"}))
    assert in_scope("waitlist", waitlist, ["0112"]).to_pylist() == [False, True]
    assert in_scope("waitlist", waitlist, []).to_pylist() == [True, True]
    path = write(
        tmp_path,
        "registrations",
        registration_rows({}, {"physician_id": "D002"}),
        REGISTRATION_COLUMNS,
    )
    registrations = read_contract_table(path, "registrations")
    assert in_scope("registrations", registrations, ["0112"], {"D002"}).to_pylist() == [
        False,
        True,
    ]


def test_it_reports_its_progress(tmp_path):
    calls = []
    read_contract_table(
        write(tmp_path, "waitlist", patient_rows({}, {}, {}, {})),
        "waitlist",
        progress=lambda *call: calls.append(call),
    )
    assert calls[0] == ("reading", 0, 0)
    assert calls[1] == ("checking", 0, 4)
    assert calls[-1] == ("checking", 4, 4)
    done = [done for phase, done, _ in calls if phase == "checking"]
    assert done == sorted(done)


# --------------------------------------------------------------------------- scale


@pytest.mark.slow
def test_it_reads_and_checks_a_province_waiting_list_in_seconds(tmp_path):
    n = 1_000_000
    rng = np.random.default_rng(3)
    table = pa.table(
        {
            "patient_id": [f"P{i:08d}" for i in range(n)],
            "rls_id": np.array(["0111", "0112", "0113"])[rng.integers(0, 3, n)],
            "latitude": np.round(rng.uniform(45, 49, n), 6),
            "longitude": np.round(rng.uniform(-75, -66, n), 6),
            "priority": np.array(list("ABCDE"))[rng.integers(0, 5, n)],
            "vulnerable": rng.random(n) < 0.3,
            "requested_on": pa.array(
                (np.datetime64("2020-01-01") + rng.integers(0, 2000, n)).astype("datetime64[D]")
            ),
            "category": pa.nulls(n, pa.string()),
            "previous_physician_id": pa.nulls(n, pa.string()),
        }
    )
    path = tmp_path / "waitlist.csv"
    pacsv.write_csv(table, path)
    started = time.perf_counter()
    read = read_contract_table(path, "waitlist")
    seconds = time.perf_counter() - started
    assert read.num_rows == n
    assert compare_tables("waitlist", read, read).unchanged == n
    assert seconds < 10, f"{seconds:.1f} s"
