"""The co-management's statistics as a kind of table (``gmf_statistics``,
docs/comanagement-plan.md §4): declared for the co-management's pages, its files checked
as every kind's are (``web.tables.checks.check_file``: what an upload does), a good file
and a French Excel one read alike, a wrong row refused with its row and column, and a
month's file added to the statistics in force.

The access part (who imports, for which GMFs) and a month in the future are the
co-management's import service's: the contract has no user and no clock."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from panelcare.attribution.tables import Problem, canonical
from panelcare.comanagement import contract
from panelcare.contracts import CONTRACTS, KEYS
from web.config.tests.test_translations import PO_FILE, read_po
from web.regions.models import Region
from web.regions.testing import write_version
from web.tables import checks, kinds
from web.tables.kinds import DatasetKind

pytestmark = pytest.mark.django_db

KIND = DatasetKind.GMF_STATISTICS
HEADER = list(contract.COLUMNS)

# Two professionals of one GMF, and one of another GMF giving only an access delay.
GOOD = [
    ["E1001", "G0001", "2026-03-01", "48", "60", "2.5"],
    ["E1002", "G0001", "2026-03-01", "31", "", ""],
    ["E2001", "G0002", "2026-03-01", "", "", "12.25"],
]


def utf8_csv(rows: list[list[str]]) -> bytes:
    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerows([HEADER, *rows])
    return sink.getvalue().encode()


def excel_csv(rows: list[list[str]]) -> bytes:
    """``rows`` as French Excel saves them: ``;``, CRLF, decimal commas, Windows-1252,
    with the professional's name in a column more (not the contract's: dropped)."""
    sink = io.StringIO()
    writer = csv.writer(sink, delimiter=";", lineterminator="\r\n")
    writer.writerow([*HEADER, "nom"])
    for row in rows:
        decimal_comma = [cell.replace(".", ",") if i == 5 else cell for i, cell in enumerate(row)]
        writer.writerow([*decimal_comma, "Hélène Côté"])
    return sink.getvalue().encode("cp1252")


def check(
    region: Region, tmp_path: Path, content: bytes, name: str = "stats.csv", mode: str = "replace"
) -> checks.Checked:
    path = tmp_path / name
    path.write_bytes(content)
    return checks.check_file(region, KIND, [], path, source_name=name, mode=mode)


def problems(checked: checks.Checked) -> list[tuple[int | None, str | None, str | None]]:
    return [(p.row, p.column, p.code) for p in checked.problems]


def test_it_declares_the_statistics_for_the_comanagement_pages():
    kind = kinds.get_kind(KIND)
    assert kind is kinds.GMF_STATISTICS
    # The region's table, read as a version (no projection), added to month by month.
    assert (kind.scope_column, kind.scope_through, kind.project) == (None, None, None)
    assert kind.appendable and kind.imported_on == "comanagement"
    assert kind.contract is CONTRACTS[KIND]
    assert kind.keys == KEYS[KIND] == ("professional_id", "gmf_id", "month")
    assert kind.schema == pa.schema(
        [
            ("professional_id", pa.string()),
            ("gmf_id", pa.string()),
            ("month", pa.date32()),
            ("patients_seen", pa.int64()),
            ("interventions", pa.int64()),
            ("access_delay_days", pa.float64()),
        ]
    )
    # Every other kind is imported on /tables/.
    others = {k.name: k.imported_on for k in kinds.all_kinds() if k.name != KIND}
    assert others and set(others.values()) == {"tables"}


def test_it_names_the_statistics_in_french():
    entries = [
        entry
        for entry in read_po(PO_FILE)
        if entry.fields.get("msgctxt") == "table"
        and entry.fields["msgid"] == str(kinds.GMF_STATISTICS.label)
    ]
    assert [entry.fields["msgstr"] for entry in entries] == [
        "Statistiques des professionnels en GMF"
    ]


def test_it_accepts_a_good_csv_file(region, tmp_path):
    checked = check(region, tmp_path, utf8_csv(GOOD))
    assert checked.problems == []
    assert checked.table is not None and checked.rows == 3
    assert checked.table.to_pylist() == [
        {
            "professional_id": "E1001",
            "gmf_id": "G0001",
            "month": date(2026, 3, 1),
            "patients_seen": 48,
            "interventions": 60,
            "access_delay_days": 2.5,
        },
        {
            "professional_id": "E1002",
            "gmf_id": "G0001",
            "month": date(2026, 3, 1),
            "patients_seen": 31,
            "interventions": None,
            "access_delay_days": None,
        },
        {
            "professional_id": "E2001",
            "gmf_id": "G0002",
            "month": date(2026, 3, 1),
            "patients_seen": None,
            "interventions": None,
            "access_delay_days": 12.25,
        },
    ]
    # Nothing in force yet: every row is new.
    assert checked.changes is not None and checked.changes.added == 3


def test_it_reads_a_french_excel_csv_as_the_same_rows(region, tmp_path):
    content = excel_csv(GOOD)
    assert b";" in content and b"2,5" in content and "é".encode("cp1252") in content
    checked = check(region, tmp_path, content)
    assert checked.problems == []
    assert checked.reading["delimiter"] == ";"
    assert checked.reading["encoding"] == "Windows-1252" and checked.reading["decimal"] == ","
    good = check(region, tmp_path, utf8_csv(GOOD), name="good.csv")
    assert checked.table == good.table


def with_row(cells: list[str]) -> list[list[str]]:
    """The good rows and ``cells`` as the fourth row."""
    return [*GOOD, cells]


@pytest.mark.parametrize(
    ("row", "column", "code", "words"),
    [
        (
            ["E1003", "G0001", "2026-03-01", "", "", ""],
            "patients_seen",
            "no_indicator",
            "no indicator: expected a value in at least one of patients_seen, interventions",
        ),
        (
            ["E1003", "G0001", "2026-03-15", "12", "", ""],
            "month",
            "month_not_first_day",
            "expected the first day of a month (yyyy-mm-01), got 2026-03-15",
        ),
        (
            ["E1003", "G0001", "2026-03-01", "-1", "", ""],
            "patients_seen",
            "wrong_value",
            "expected a whole number of 0 or more",
        ),
        (
            ["E1003", "G0001", "2026-03-01", "", "4", "-0.5"],
            "access_delay_days",
            "wrong_value",
            "expected a number of 0 or more",
        ),
        (
            ["E1001", "G0001", "2026-03-01", "50", "", ""],
            "professional_id",
            "duplicate_key",
            "also on row 1",
        ),
        (
            ["", "G0001", "2026-03-01", "50", "", ""],
            "professional_id",
            "empty_cell",
            "empty cell",
        ),
    ],
)
def test_it_refuses_a_wrong_row_naming_its_row_and_column(
    region, tmp_path, row, column, code, words
):
    checked = check(region, tmp_path, utf8_csv(with_row(row)))
    assert checked.refused and checked.table is None
    assert problems(checked) == [(4, column, code)]
    assert words in checked.problems[0].message
    assert checked.problems[0].line == 5  # the header is line 1


def test_it_refuses_the_same_rows_of_a_french_excel_csv(region, tmp_path):
    rows = with_row(["E1003", "G0001", "2026-03-31", "", "", ""])
    checked = check(region, tmp_path, excel_csv(rows))
    # Both rules of the row: the month and the missing indicator, each in its column.
    assert problems(checked) == [
        (4, "month", "month_not_first_day"),
        (4, "patients_seen", "no_indicator"),
    ]


def test_it_does_not_call_a_wrong_indicator_no_indicator(region, tmp_path):
    checked = check(
        region, tmp_path, utf8_csv(with_row(["E1003", "G0001", "2026-03-01", "", "-2", ""]))
    )
    assert problems(checked) == [(4, "interventions", "wrong_value")]


def test_it_keeps_one_professional_s_rows_in_two_gmfs_and_two_months_apart(region, tmp_path):
    rows = with_row(["E1001", "G0002", "2026-03-01", "5", "", ""])
    rows.append(["E1001", "G0001", "2026-04-01", "40", "", ""])
    assert check(region, tmp_path, utf8_csv(rows)).problems == []


def test_it_adds_a_month_to_the_statistics_in_force(region, tmp_path):
    february = [[*row[:2], "2026-02-01", *row[3:]] for row in GOOD]
    first = check(region, tmp_path, utf8_csv([*february, *GOOD]), name="v1.csv")
    assert first.table is not None
    write_version(region, KIND, canonical(CONTRACTS[KIND], first.table))
    # April's rows, and March's row of E1002 corrected: the file adds to the version.
    april = [[*row[:2], "2026-04-01", *row[3:]] for row in GOOD]
    corrected = ["E1002", "G0001", "2026-03-01", "33", "", ""]
    checked = check(region, tmp_path, utf8_csv([*april, corrected]), name="april.csv", mode="add")
    assert checked.problems == [], [Problem(*p) for p in checked.problems]
    assert checked.changes is not None
    assert (checked.changes.added, checked.changes.changed, checked.changes.removed) == (3, 1, 0)
    assert checked.kept == 5
    assert checked.period == ("2026-03-01", "2026-04-01")
