"""A file checked in batches (panelcare.attribution.tables.check_contract_file) finds what
checking it whole finds: the same problems, in file order, the same count, and the same
canonical rows. The batches here are tiny (7 rows) so that every rule straddles them;
bench/import_check_memory.py checks a gigabyte."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_attribution_io import PATIENT, patient_rows, physician_rows, write
from test_attribution_tables import REGISTRATION, registration_rows

from panelcare.attribution.io import ContractTable
from panelcare.attribution.tables import (
    REGISTRATION_COLUMNS,
    Problem,
    Restriction,
    Rows,
    TableProblems,
    check_contract_file,
    compare_tables,
    contract,
    read_contract_table,
)

BATCH = 7


def whole_problems(path: Path, kind: str, limit: int = 50):
    """The problems as the file checked whole in memory finds them (the ContractTable's
    own key checks, no batches): the reference."""
    table_contract = contract(kind)
    table = ContractTable.open(path, table_contract.columns)
    table_contract.check_cells(table)
    return [Problem.of(error) for error in table.problems(limit)], table.count_problems()


def streamed_problems(path: Path, kind: str, tmp_path: Path, **options) -> TableProblems:
    out = tmp_path / "checked.parquet"
    with pytest.raises(TableProblems) as caught:
        check_contract_file(path, kind, out, batch_rows=BATCH, work_dir=tmp_path, **options)
    assert not out.exists()  # a refused file leaves no checked rows
    return caught.value


def test_it_finds_the_same_problems_in_batches_as_whole(tmp_path):
    changes = [{} for _ in range(40)]
    changes[3] = {"latitude": "north"}
    changes[8] = {"patient_id": "0002"}  # the first occurrence is in the first batch
    changes[13] = {"priority": "Z", "requested_on": "2025-02-30"}
    changes[20] = {"rls_id": ""}
    changes[34] = {"patient_id": "0015", "vulnerable": "maybe"}
    path = write(tmp_path, "waitlist", patient_rows(*changes))
    expected, count = whole_problems(path, "waitlist")
    found = streamed_problems(path, "waitlist", tmp_path)
    assert found.problems == expected
    assert found.count == count == 7
    duplicate = next(problem for problem in found.problems if problem.row == 9)
    assert duplicate.message == "duplicate patient_id 0002: also on row 2"
    assert (duplicate.line, duplicate.code) == (10, "duplicate_key")
    assert duplicate.params == {"key": "patient_id", "value": "0002", "row": "2"}


def test_it_counts_every_problem_beyond_the_listed_ones(tmp_path):
    changes = [{"latitude": "north"} if i % 2 else {} for i in range(60)]
    changes[59] = {"patient_id": "0001"}  # a duplicate after the 50 listed
    path = write(tmp_path, "waitlist", patient_rows(*changes))
    found = streamed_problems(path, "waitlist", tmp_path, max_problems=5)
    expected, count = whole_problems(path, "waitlist", limit=5)
    assert found.problems == expected
    assert [problem.row for problem in found.problems] == [2, 4, 6, 8, 10]
    assert found.count == count == 30  # 29 latitudes, 1 duplicate


def test_it_lists_a_duplicate_before_later_cell_problems(tmp_path):
    # The problems of the later batches are cut at max_problems; a duplicate found
    # across the file still takes its place in file order.
    changes = [{} for _ in range(30)]
    changes[10] = {"patient_id": "0001"}
    for row in (20, 25, 28):
        changes[row] = {"longitude": "east"}
    path = write(tmp_path, "waitlist", patient_rows(*changes))
    found = streamed_problems(path, "waitlist", tmp_path, max_problems=2)
    assert [(problem.row, problem.column) for problem in found.problems] == [
        (11, "patient_id"),
        (21, "longitude"),
    ]
    assert found.count == 4


def test_it_names_a_registration_given_twice_across_batches(tmp_path):
    changes = [{} for _ in range(20)]
    changes[16] = {"patient_id": "0003"}  # as row 3: same physician and start
    changes[18] = {"patient_id": "0004", "start_date": "2024-06-01"}  # another start: fine
    path = write(tmp_path, "registrations", registration_rows(*changes), REGISTRATION_COLUMNS)
    found = streamed_problems(path, "registrations", tmp_path)
    expected, count = whole_problems(path, "registrations")
    assert found.problems == expected
    assert count == found.count == 1
    assert found.message == (
        "duplicate registration of patient_id 0003 with physician_id D001 from 2024-05-01: "
        "also on row 3"
    )
    assert REGISTRATION["physician_id"] == "D001"


def test_it_checks_restrictions_in_every_batch(tmp_path):
    changes = [{} for _ in range(20)]
    changes[2] = {"rls_id": "0999"}
    changes[15] = {"rls_id": "0998"}
    path = write(tmp_path, "waitlist", patient_rows(*changes))
    restriction = Restriction("rls_id", frozenset({PATIENT["rls_id"]}), "your RLS")
    found = streamed_problems(path, "waitlist", tmp_path, restrictions=[restriction])
    assert [(problem.row, problem.message) for problem in found.problems] == [
        (3, "rls_id 0999 is outside your RLS"),
        (16, "rls_id 0998 is outside your RLS"),
    ]
    assert found.count == 2


def test_it_writes_the_canonical_rows_it_checked(tmp_path):
    path = write(tmp_path, "physicians", physician_rows(*[{} for _ in range(23)]))
    out = tmp_path / "checked.parquet"
    checked = check_contract_file(path, "physicians", out, batch_rows=BATCH, work_dir=tmp_path)
    assert checked.rows == 23
    assert pq.read_table(out).equals(read_contract_table(path, "physicians"))
    assert [item.name for item in tmp_path.iterdir() if item.name.startswith(".check")] == []


def french_excel(path: Path, rows: list[dict[str, str]]) -> Path:
    """``rows`` as French Excel saves them: Windows-1252, semicolons, decimal commas."""
    columns = list(rows[0])
    lines = [";".join(columns)]
    for row in rows:
        lines.append(";".join(row[column].replace(".", ",") for column in columns))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_it_reads_a_french_excel_file_in_batches(tmp_path):
    # An accent on the last row of a batch and on the first of the next; decimal commas
    # in every row.
    changes = [{} for _ in range(21)]
    changes[6] = {"category": "Pédiatrie"}
    changes[7] = {"category": "Santé mentale", "previous_physician_id": "Dé01"}
    rows = patient_rows(*changes)
    path = french_excel(tmp_path / "gamf.csv", rows)
    out = tmp_path / "checked.parquet"
    checked = check_contract_file(path, "waitlist", out, batch_rows=BATCH, work_dir=tmp_path)
    assert checked.reading.as_dict() == {
        "format": "csv",
        "encoding": "Windows-1252",
        "delimiter": ";",
        "decimal": ",",
    }
    table = pq.read_table(out)
    assert table.equals(read_contract_table(write(tmp_path, "waitlist", rows), "waitlist"))
    assert table.column("category")[6].as_py() == "Pédiatrie"
    assert table.column("latitude")[0].as_py() == 48.45


def test_it_reads_again_as_windows_1252_when_an_accent_comes_late(tmp_path):
    # ASCII for the first 64 KiB (taken for UTF-8), then a Windows-1252 accent in a
    # later batch: the file is read again from its start, the earlier problems not
    # counted twice.
    changes = [{} for _ in range(1500)]
    changes[1] = {"latitude": "north"}
    changes[1490] = {"category": "Gériatrie"}
    rows = patient_rows(*changes)
    for row in rows:
        row["patient_id"] = row["patient_id"] + "-" + "x" * 40
    columns = list(rows[0])
    text = "\n".join([",".join(columns)] + [",".join(row[c] for c in columns) for row in rows])
    path = tmp_path / "waitlist.csv"
    path.write_bytes((text + "\n").encode("cp1252"))
    assert len(text.split("Gériatrie")[0]) > 64 * 1024
    found = streamed_problems(path, "waitlist", tmp_path)
    assert [(problem.row, problem.column) for problem in found.problems] == [(2, "latitude")]
    assert found.count == 1
    assert found.reading is not None and found.reading.encoding == "Windows-1252"


def test_it_compares_a_checked_file_on_disk_as_in_memory(tmp_path):
    old_rows = patient_rows(*[{} for _ in range(12)])
    new_rows = (
        patient_rows(*[{} for _ in range(12)])[2:] + patient_rows(*[{} for _ in range(14)])[12:]
    )
    new_rows[0] = {**new_rows[0], "priority": "A"}
    old = read_contract_table(write(tmp_path, "waitlist", old_rows), "waitlist")
    path = write(tmp_path, "waitlist", new_rows)
    out = tmp_path / "checked.parquet"
    check_contract_file(path, "waitlist", out, batch_rows=BATCH, work_dir=tmp_path)
    pq.write_table(old, tmp_path / "old.parquet")
    on_disk = compare_tables("waitlist", Rows(tmp_path / "old.parquet"), Rows(out))
    in_memory = compare_tables("waitlist", old, read_contract_table(path, "waitlist"))
    assert on_disk == in_memory
    assert (on_disk.added, on_disk.removed, on_disk.changed) == (2, 2, 1)
    assert on_disk.examples == {
        "added": ["0013", "0014"],
        "removed": ["0001", "0002"],
        "changed": ["0003"],
    }


# --------------------------------------------------------------------------- overlapping periods


def overlap_problems(path: Path, kind: str, tmp_path: Path, **options) -> tuple[TableProblems, ...]:
    """The problems of ``path`` checked in batches of 7, and checked whole as before
    (the contract's in-memory rule over the whole file): both refusals."""
    from dataclasses import replace

    from panelcare.contracts import CONTRACTS

    found = []
    for table_contract in (CONTRACTS[kind], replace(CONTRACTS[kind], whole_file=True)):
        out = tmp_path / "checked.parquet"
        with pytest.raises(TableProblems) as caught:
            check_contract_file(
                path, table_contract, out, batch_rows=BATCH, work_dir=tmp_path, **options
            )
        assert not out.exists()
        found.append(caught.value)
    return tuple(found)


def test_it_finds_overlapping_registrations_across_batches_as_whole(tmp_path):
    changes = [{} for _ in range(30)]
    # Row 10 (2nd batch) overlaps row 3 (1st batch), ongoing since 2024-05-01.
    changes[9] = {"patient_id": "0003", "physician_id": "D002", "start_date": "2024-08-01"}
    # Row 16 starts before row 7 but comes after it in the file: row 16 is named.
    changes[15] = {"patient_id": "0007", "start_date": "2023-01-01", "end_date": "2025-01-01"}
    # Row 23 overlaps rows 7 and 16: the first in file order is named.
    changes[22] = {
        "patient_id": "0007",
        "physician_id": "D003",
        "start_date": "2024-06-01",
        "end_date": "2024-07-01",
    }
    # Touching periods do not overlap (end_date is the first day out of force).
    changes[8] = {"end_date": "2024-06-01"}
    changes[26] = {"patient_id": "0009", "physician_id": "D004", "start_date": "2024-06-01"}
    path = write(tmp_path, "registrations", registration_rows(*changes), REGISTRATION_COLUMNS)
    streamed, whole = overlap_problems(path, "registrations", tmp_path)
    assert streamed.problems == whole.problems
    assert streamed.count == whole.count == 3
    assert [(p.row, p.column, p.params["other_row"]) for p in streamed.problems] == [
        (10, "start_date", "3"),
        (16, "start_date", "7"),
        (23, "start_date", "7"),
    ]
    second = streamed.problems[1]
    assert second.message == (
        "the registration of patient 0007 (from 2023-01-01 to 2025-01-01) overlaps the one "
        "on row 7 (from 2024-05-01, ongoing); a patient has at most one registration on a "
        "given day (end_date is the first day out of force)"
    )
    assert (second.line, second.code) == (17, "overlapping_registration")
    assert second.params == {
        "key": "0007",
        "other": "",
        "start": "2023-01-01",
        "end": "2025-01-01",
        "other_row": "7",
        "other_other": "",
        "other_start": "2024-05-01",
        "other_end": "",
    }


def test_it_lists_the_first_overlaps_and_counts_them_all_with_the_restrictions(tmp_path):
    # Every patient of rows 21-40 registered again with another physician: 20 overlaps,
    # 2 listed; a restriction's problems (which do not stop the comparison) in file order.
    changes = [{} for _ in range(20)]
    changes += [{"patient_id": f"{i:04d}", "physician_id": "D002"} for i in range(1, 21)]
    changes[4] = {"physician_id": "D999"}
    path = write(tmp_path, "registrations", registration_rows(*changes), REGISTRATION_COLUMNS)
    restriction = Restriction("physician_id", frozenset({"D001", "D002"}), "your RLS")
    streamed, whole = overlap_problems(
        path, "registrations", tmp_path, max_problems=3, restrictions=[restriction]
    )
    assert streamed.problems == whole.problems
    assert streamed.count == whole.count == 21
    assert [(p.row, p.code) for p in streamed.problems] == [
        (5, "outside_scope"),
        (21, "overlapping_registration"),
        (22, "overlapping_registration"),
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"start_date": "2024-13-01"},  # a wrong cell
        {"patient_id": "0001", "physician_id": "D001"},  # a duplicate key
    ],
)
def test_it_compares_periods_only_once_every_cell_and_key_is_right(tmp_path, change):
    changes = [{} for _ in range(20)]
    changes[10] = {"patient_id": "0002", "physician_id": "D002"}  # overlaps row 2
    changes[17] = change
    path = write(tmp_path, "registrations", registration_rows(*changes), REGISTRATION_COLUMNS)
    streamed, whole = overlap_problems(path, "registrations", tmp_path)
    assert streamed.problems == whole.problems
    assert streamed.count == whole.count == 1
    assert streamed.problems[0].row == 18
    assert streamed.problems[0].code != "overlapping_registration"


def membership_file(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["physician_id,gmf_id,start_date,end_date"] + [",".join(row) for row in rows]
    path = tmp_path / "gmf_memberships.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_it_finds_a_physician_in_two_gmfs_across_batches_as_whole(tmp_path):
    rows = [(f"D{i:03d}", "G01", "2024-01-01", "") for i in range(1, 21)]
    rows[9] = ("D002", "G01", "2024-06-01", "2024-09-01")  # the same GMF: merged, allowed
    rows[12] = ("D003", "G02", "2024-03-01", "")  # another GMF on row 3's days
    rows[18] = ("D003", "G03", "2023-01-01", "2024-01-01")  # ends as row 3 starts: fine
    path = membership_file(tmp_path, rows)
    streamed, whole = overlap_problems(path, "gmf_memberships", tmp_path)
    assert streamed.problems == whole.problems
    assert streamed.count == whole.count == 1
    (problem,) = streamed.problems
    assert (problem.row, problem.code) == (13, "overlapping_membership")
    assert problem.message == (
        "the membership of physician D003 in G02 (from 2024-03-01, ongoing) overlaps the one "
        "in G01 on row 3 (from 2024-01-01, ongoing); a physician holds at most one GMF "
        "membership on any day (end_date is the first day out of force)"
    )


def test_it_checks_registrations_without_overlaps_in_batches(tmp_path):
    # The file is no longer read whole: its checked rows are those checked whole.
    from panelcare.contracts import CONTRACTS

    changes = [{} for _ in range(20)]
    changes[3] = {"end_date": "2024-06-01"}
    changes[15] = {"patient_id": "0004", "start_date": "2024-06-01"}
    path = write(tmp_path, "registrations", registration_rows(*changes), REGISTRATION_COLUMNS)
    out = tmp_path / "checked.parquet"
    reads = []
    original = ContractTable.__init__

    def counting(self, *args, **kwargs):
        reads.append(args[2].num_rows)
        original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ContractTable, "__init__", counting)
        checked = check_contract_file(
            path, CONTRACTS["registrations"], out, batch_rows=BATCH, work_dir=tmp_path
        )
    assert checked.rows == 20
    assert max(reads) == BATCH  # no table of the whole file
    assert pq.read_table(out).num_rows == 20
