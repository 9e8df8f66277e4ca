"""Files as people here save them (panelcare.attribution.tables, io): French Excel's CSV
(Windows-1252, semicolons, decimal commas, CRLF), its "CSV UTF-8" with a byte-order mark,
tab-separated text, other column orders and spaced headers; files that are not tables; and
spreadsheets too big to parse.

Each French file holds the same rows as a contract file (UTF-8, commas, decimal points):
it must read to the same table.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_attribution_io import PHYSICIAN_COLUMNS, physician_rows, write

from panelcare.attribution.io import AttributionInputError, Reading, XlsxLimits, read_inputs
from panelcare.attribution.tables import TableProblems, read_contract_file, read_contract_table

NAMES = ("Dre Émilie Gagné", "Dr François Bélanger")
ROWS = physician_rows(
    {"name": NAMES[0], "latitude": "48.4512", "other_units": "0.5"},
    {"name": NAMES[1], "longitude": "-68.5", "previous_assiduity": "0.85"},
)


def refusal(path: Path, **options) -> TableProblems:
    with pytest.raises(TableProblems) as caught:
        read_contract_table(path, "physicians", **options)
    return caught.value


FLOATS = [name for name, column in PHYSICIAN_COLUMNS.items() if column.kind == "float"]


def excel_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    encoding: str = "cp1252",
    delimiter: str = ";",
    decimal: str = ",",
    columns: list[str] | None = None,
) -> Path:
    """``rows`` as French Excel saves them: CRLF, ``delimiter``, ``decimal`` in the float
    columns, in ``encoding`` (``utf-8-sig``: "CSV UTF-8", with a byte-order mark)."""
    columns = columns or list(PHYSICIAN_COLUMNS)

    def cell(column: str, value: str) -> str:
        return value.replace(".", decimal) if column in FLOATS else value

    lines = [delimiter.join(columns)]
    lines += [delimiter.join(cell(c, row.get(c, "")) for c in columns) for row in rows]
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


@pytest.fixture
def contract_file(tmp_path: Path) -> Path:
    """The rows as the contract writes them: UTF-8, commas, decimal points."""
    return write(tmp_path, "physicians", ROWS)


def test_it_reads_french_excel_csv_as_the_contract_file(tmp_path, contract_file):
    path = excel_csv(tmp_path / "effectif.csv", ROWS)
    assert b"\xc9milie" in path.read_bytes()  # É in Windows-1252, not UTF-8
    table, reading = read_contract_file(path, "physicians")
    assert table.equals(read_contract_table(contract_file, "physicians"))
    assert table.column("name").to_pylist() == list(NAMES)
    assert table.column("other_units").to_pylist() == [0.5, 0.5]
    assert table.column("previous_assiduity").to_pylist() == [0.8, 0.85]
    assert reading == Reading("csv", "Windows-1252", ";", ",")


def test_it_reads_csv_utf8_with_a_byte_order_mark(tmp_path, contract_file):
    path = excel_csv(tmp_path / "effectif.csv", ROWS, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table, reading = read_contract_file(path, "physicians")
    assert table.equals(read_contract_table(contract_file, "physicians"))
    assert reading == Reading("csv", "UTF-8", ";", ",")


def test_it_reads_tab_separated_text(tmp_path, contract_file):
    path = excel_csv(tmp_path / "effectif.csv", ROWS, delimiter="\t")
    table, reading = read_contract_file(path, "physicians")
    assert table.equals(read_contract_table(contract_file, "physicians"))
    assert reading == Reading("csv", "Windows-1252", "\t", ",")


def test_it_says_a_contract_file_was_read_with_commas_and_points(contract_file):
    _, reading = read_contract_file(contract_file, "physicians")
    assert reading == Reading("csv", "UTF-8", ",", ".")


def test_it_reads_points_in_a_semicolon_file(tmp_path, contract_file):
    path = excel_csv(tmp_path / "effectif.csv", ROWS, decimal=".")
    table, reading = read_contract_file(path, "physicians")
    assert table.equals(read_contract_table(contract_file, "physicians"))
    assert reading.decimal == "."


def test_it_does_not_read_a_quoted_decimal_comma_in_a_comma_file(tmp_path):
    rows = physician_rows({"other_units": '"1,5"'})
    error = refusal(write(tmp_path, "physicians", rows))
    assert (error.row, error.column) == (1, "other_units")
    assert "got '1,5'" in error.message


def test_it_reads_an_unquoted_decimal_comma_in_a_comma_file_as_two_cells(tmp_path):
    rows = physician_rows({"other_units": "1,5"})
    with pytest.raises(TableProblems) as caught:
        read_contract_table(write(tmp_path, "physicians", rows), "physicians")
    assert caught.value.row == 1
    assert "the row has 16 cells, the header 15" in caught.value.message


def test_it_refuses_a_decimal_comma_in_a_whole_number_column(tmp_path):
    path = excel_csv(tmp_path / "effectif.csv", physician_rows({"registered": "400,5"}))
    error = refusal(path)
    assert (error.row, error.column) == (1, "registered")
    assert "got '400,5'" in error.message


def test_it_reads_columns_in_another_order_and_spaced_header_names(tmp_path, contract_file):
    columns = list(reversed(PHYSICIAN_COLUMNS))
    path = excel_csv(tmp_path / "effectif.csv", ROWS, columns=columns)
    text = path.read_bytes().decode("cp1252").split("\r\n", 1)
    spaced = ";".join(f" {name}  " for name in columns)
    path.write_bytes(f"{spaced}\r\n{text[1]}".encode("cp1252"))
    table = read_contract_table(path, "physicians")
    assert table.equals(read_contract_table(contract_file, "physicians"))


def test_it_ignores_blank_columns_a_spreadsheet_adds(tmp_path, contract_file):
    path = excel_csv(tmp_path / "effectif.csv", ROWS)
    lines = path.read_bytes().decode("cp1252").rstrip("\r\n").split("\r\n")
    path.write_bytes(("\r\n".join(line + ";;" for line in lines) + "\r\n").encode("cp1252"))
    table = read_contract_table(path, "physicians")
    assert table.equals(read_contract_table(contract_file, "physicians"))


def test_it_reads_windows_1252_whose_first_accent_is_far_down(tmp_path):
    rows = physician_rows(*[{} for _ in range(1000)], {"name": NAMES[0]})
    path = excel_csv(tmp_path / "effectif.csv", rows)
    assert path.read_bytes()[: 64 * 1024].isascii()
    table, reading = read_contract_file(path, "physicians")
    assert table.column("name")[1000].as_py() == NAMES[0]
    assert reading.encoding == "Windows-1252"


def test_read_inputs_reads_french_excel_files_too(tmp_path):
    excel_csv(tmp_path / "physicians.csv", ROWS)
    write(tmp_path, "waitlist", [])
    physicians, _ = read_inputs(tmp_path)
    assert list(physicians.name) == list(NAMES)
    assert list(physicians.other_units) == [0.5, 0.5]


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 8,  # an XLSX named .csv
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "physician_id;name\r\n".encode("utf-16"),
        b"physician_id;name\r\nD001;\x81\x8d\r\n",  # bytes no encoding of ours has
    ],
)
def test_it_refuses_a_file_that_is_not_a_table_naming_it_and_what_to_do(tmp_path, content):
    path = tmp_path / "0f3a.csv"
    path.write_bytes(content)
    error = refusal(path, name="effectif.csv")
    assert error.file == "effectif.csv"
    assert error.code == "not_a_table"
    assert "Save it from the spreadsheet as CSV" in error.message


# --------------------------------------------------------------------------- spreadsheets


def spreadsheet(path: Path, rows: int, *, columns: int = 15) -> Path:
    """A spreadsheet of the physicians' header and ``rows`` rows of repeated cells."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(PHYSICIAN_COLUMNS)[:columns])
    for _ in range(rows):
        sheet.append(["x" * 20] * columns)
    workbook.save(path)
    return path


def bomb(path: Path, megabytes: int) -> Path:
    """A valid spreadsheet whose sheet is ``megabytes`` MiB of repeated rows, deflated to
    a few hundred KiB: what a zip bomb looks like to the reader."""
    small = io.BytesIO()
    spreadsheet(small, 1)  # type: ignore[arg-type]
    row = '<row><c t="inlineStr"><is><t>xxxxxxxxxxxxxxxxxxxx</t></is></c></row>'
    rows = row * (megabytes * 2**20 // len(row))
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            data = source.read(member)
            if member.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                data = text.replace("</sheetData>", rows + "</sheetData>").encode()
            out.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_it_refuses_a_zip_bomb_before_parsing_it(tmp_path):
    path = bomb(tmp_path / "effectif.xlsx", 64)
    assert path.stat().st_size < 2 * 2**20
    started = time.perf_counter()
    error = refusal(path, xlsx_limits=XlsxLimits(max_bytes=32 * 2**20))
    assert time.perf_counter() - started < 1
    assert error.file == "effectif.xlsx" and error.code == "xlsx_too_big"
    assert "expands to 64 MiB, over the limit of 32 MiB" in error.message


def test_it_refuses_a_spreadsheet_declaring_more_rows_than_the_limit(tmp_path):
    workbook = openpyxl.Workbook()  # writes its dimension: A1:O6
    for _ in range(6):
        workbook.active.append(["x"] * 15)
    workbook.save(tmp_path / "effectif.xlsx")
    limits = XlsxLimits(max_rows=4)
    with pytest.raises(TableProblems) as caught:
        read_contract_table(tmp_path / "effectif.xlsx", "physicians", xlsx_limits=limits)
    assert caught.value.code == "xlsx_too_many_rows"
    assert "more than 4 rows" in caught.value.message


def test_it_stops_reading_a_spreadsheet_at_the_row_limit(tmp_path):
    path = spreadsheet(tmp_path / "effectif.xlsx", 6)  # write-only: no dimension declared
    with pytest.raises(AttributionInputError) as caught:
        read_contract_table(path, "physicians", xlsx_limits=XlsxLimits(max_rows=5))
    assert caught.value.code == "xlsx_too_many_rows"


def test_it_reads_a_spreadsheet_within_the_limits(tmp_path):
    path = spreadsheet(tmp_path / "effectif.xlsx", 5)
    with pytest.raises(TableProblems) as caught:  # read: its cells are wrong, not its size
        read_contract_table(path, "physicians", xlsx_limits=XlsxLimits(max_rows=5))
    assert caught.value.code != "xlsx_too_many_rows" and caught.value.row == 1


# --------------------------------------------------------------------------- codes


def test_its_common_problems_carry_a_code_and_their_values(tmp_path):
    rows = physician_rows(
        {"practice_start": "2025-02-30"},
        {"mode": "Bloc", "registered": ""},
        {"physician_id": "D001"},
    )
    error = refusal(write(tmp_path, "physicians", rows))
    found = {(p.row, p.column): (p.code, p.params) for p in error.problems}
    assert found[(1, "practice_start")] == (
        "wrong_value",
        {
            "kind": "date",
            "low": "",
            "high": "",
            "choices": "",
            "optional": "",
            "value": "2025-02-30",
        },
    )
    assert found[(2, "mode")][0] == "wrong_value"
    assert found[(2, "mode")][1]["value"] == "Bloc" and found[(2, "mode")][1]["kind"] == "choice"
    assert found[(2, "registered")] == (
        "empty_cell",
        {"kind": "int", "low": "0", "high": "", "choices": "", "optional": ""},
    )
    assert found[(3, "physician_id")] == (
        "duplicate_key",
        {"key": "physician_id", "value": "D001", "row": "1"},
    )
