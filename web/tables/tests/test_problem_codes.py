"""Every problem an import can find is said in the interface's language, with its file,
row and column: each has a ``code`` (and ``params``) at its source in the core or the
import's checks, and a French sentence in :mod:`web.tables.messages`.

* One bad file per code, through the web import, read in French: the page names the
  file, row and column and holds no English message.
* The sources build no problem without a code (a scan of the modules an import reads a
  file with), and name no code without a French sentence.
"""

from __future__ import annotations

import ast
import html
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from web.regions.models import Region
from web.tables.kinds import DatasetKind
from web.tables.messages import PROBLEM_CODES, problem_text
from web.tables.models import Dataset, ImportStatus
from web.tables.tests.conftest import login
from web.tables.tests.test_imports import last_job, text_rows, with_cell

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def xlsx_bytes(table: pa.Table) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(table.column_names)
    for row in table.to_pylist():
        sheet.append(list(row.values()))
    sink = io.BytesIO()
    workbook.save(sink)
    return sink.getvalue()


def added(table: pa.Table, **cells: str | None) -> pa.Table:
    """``table`` (text cells) with one more row: ``cells``, the others empty."""
    more = pa.table({name: pa.array([cells.get(name)], pa.string()) for name in table.column_names})
    return pa.concat_tables([table, more])


def repeated(table: pa.Table, row: int = 0) -> pa.Table:
    return pa.concat_tables([table, table.slice(row, 1)])


@dataclass(frozen=True)
class Case:
    """A bad file: who imports it, as which kind and name, and its bytes."""

    code: str
    kind: str
    name: str
    content: Callable[[Region], bytes]
    user: str = "drmg"
    settings: tuple[tuple[str, Any], ...] = ()


def _uneven(region: Region) -> bytes:
    lines = csv_bytes(text_rows(region, DatasetKind.PHYSICIANS)).split(b"\n")
    lines[2] += b',"one cell too many"'
    return b"\n".join(lines)


def _numeric_ids(region: Region) -> bytes:
    table = text_rows(region, DatasetKind.WAITLIST)
    ids = pa.array(range(1, table.num_rows + 1), pa.int64())
    return parquet_bytes(table.set_column(0, "patient_id", ids))


def _zip_bomb(region: Region) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<row/>" * 400_000)  # 2.3 MiB
    return sink.getvalue()


def rls_of(username: str) -> str:
    return User.objects.get(username=username).profile.rls.get().code


def _key_taken(region: Region) -> bytes:
    # A copy of a Rimouski patient under Kamouraska, by the CML of Kamouraska.
    own, other = rls_of("cml.rimouski"), rls_of("cml.kamouraska")
    theirs = text_rows(region, DatasetKind.WAITLIST, rls=other)
    copy = with_cell(
        text_rows(region, DatasetKind.WAITLIST, rls=own).slice(0, 1), 0, "rls_id", other
    )
    return csv_bytes(pa.concat_tables([theirs, copy]))


def _membership(**cells: str | None) -> dict[str, str | None]:
    return {"end_date": None, **cells}


WAITLIST, PHYSICIANS, REGISTRATIONS = (
    DatasetKind.WAITLIST,
    DatasetKind.PHYSICIANS,
    DatasetKind.REGISTRATIONS,
)

CASES = [
    Case("not_a_table", PHYSICIANS, "medecins.csv", lambda r: b"\x89PNG\r\n\x1a\n\x00\x00" * 10),
    Case("file_unreadable", PHYSICIANS, "medecins.parquet", lambda r: b"not a parquet file" * 9),
    Case("file_unreadable", PHYSICIANS, "medecins.xlsx", lambda r: b"PK\x03\x04 broken" * 9),
    Case("empty_file", PHYSICIANS, "medecins.csv", lambda r: b"\n"),
    Case("duplicate_column", PHYSICIANS, "medecins.csv", lambda r: b"physician_id,physician_id\n"),
    Case("missing_column", PHYSICIANS, "medecins.csv", lambda r: b"physician_id\nD1\n"),
    Case("uneven_row", PHYSICIANS, "medecins.csv", _uneven),
    Case("wrong_column_type", WAITLIST, "gamf.parquet", _numeric_ids),
    Case(
        "empty_cell",
        WAITLIST,
        "gamf.csv",
        lambda r: csv_bytes(with_cell(text_rows(r, WAITLIST), 1, "rls_id", "")),
    ),
    Case(
        "wrong_value",
        WAITLIST,
        "gamf.csv",
        lambda r: csv_bytes(with_cell(text_rows(r, WAITLIST), 1, "priority", "Z")),
    ),
    Case("duplicate_key", WAITLIST, "gamf.csv", lambda r: csv_bytes(repeated(text_rows(r)))),
    Case(
        "duplicate_key",
        REGISTRATIONS,
        "inscriptions.csv",
        lambda r: csv_bytes(repeated(text_rows(r, REGISTRATIONS))),
    ),
    Case(
        "duplicate_key",
        "gmf_memberships",
        "adhesions.csv",
        lambda r: csv_bytes(repeated(text_rows(r, "gmf_memberships"))),
    ),
    Case(
        "vulnerable_above_registered",
        PHYSICIANS,
        "medecins.csv",
        lambda r: csv_bytes(with_cell(text_rows(r, PHYSICIANS), 0, "vulnerable", "99999")),
    ),
    Case(
        "end_before_start",
        REGISTRATIONS,
        "inscriptions.csv",
        lambda r: csv_bytes(with_cell(text_rows(r, REGISTRATIONS), 0, "end_date", "1990-01-01")),
    ),
    Case(
        "end_before_start",
        "gmf_memberships",
        "adhesions.csv",
        lambda r: csv_bytes(
            with_cell(text_rows(r, "gmf_memberships"), 0, "end_date", "1990-01-01")
        ),
    ),
    Case(
        "overlapping_registration",
        REGISTRATIONS,
        "inscriptions.csv",
        lambda r: csv_bytes(
            added(
                text_rows(r, REGISTRATIONS),
                **{
                    **text_rows(r, REGISTRATIONS).slice(0, 1).to_pylist()[0],
                    "physician_id": "D00009",
                },
            )
        ),
    ),
    Case(
        "overlapping_membership",
        "gmf_memberships",
        "adhesions.csv",
        # D00001 is a member of G0001 from 2026-04-02, ongoing: not of G0002 as well.
        lambda r: csv_bytes(
            added(
                text_rows(r, "gmf_memberships"),
                **_membership(physician_id="D00001", gmf_id="G0002", start_date="2026-06-01"),
            )
        ),
    ),
    Case(
        "outside_scope",
        WAITLIST,
        "gamf.csv",
        lambda r: csv_bytes(text_rows(r, WAITLIST)),  # Kamouraska's rows too
        user="cml.rimouski",
    ),
    Case(
        "outside_scope",
        WAITLIST,
        "gamf.csv",
        lambda r: csv_bytes(with_cell(text_rows(r, WAITLIST), 0, "rls_id", "9999")),
    ),
    Case(
        "outside_scope",
        REGISTRATIONS,
        "inscriptions.csv",
        lambda r: csv_bytes(text_rows(r, REGISTRATIONS)),  # Kamouraska's physicians too
        user="cml.rimouski",
    ),
    Case("key_taken", WAITLIST, "gamf.csv", _key_taken, user="cml.kamouraska"),
    Case(
        "xlsx_too_big",
        PHYSICIANS,
        "medecins.xlsx",
        _zip_bomb,
        settings=(("PANELCARE_IMPORT_XLSX_MAX_MB", 1),),
    ),
    Case(
        "xlsx_too_many_rows",
        PHYSICIANS,
        "medecins.xlsx",
        lambda r: xlsx_bytes(text_rows(r, PHYSICIANS)),
        settings=(("PANELCARE_IMPORT_XLSX_MAX_ROWS", 2),),
    ),
]

# What an English message holds and a French sentence does not.
ENGLISH = re.compile(
    r"\b(expected|cannot|duplicate|overlaps|already|outside|the (file|row|header|table)|"
    r"is not|empty cell|got|must|this (file|spreadsheet|column))\b"
)


# The codes of the GMFs' statistics, imported on the co-management's pages, not here:
# web/comanagement/tests/test_statistics.py uploads a bad file for each.
STATISTICS_CODES = frozenset({"month_not_first_day", "no_indicator"})


def test_it_has_a_bad_file_for_every_problem_code():
    assert {case.code for case in CASES} == PROBLEM_CODES - STATISTICS_CODES


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{case.code}-{case.kind}-{case.name}-{case.user}" for case in CASES]
)
def test_it_says_every_problem_in_french_with_file_row_and_column(client, region, case, settings):
    for name, value in case.settings:
        setattr(settings, name, value)
    login(client, case.user)
    versions = Dataset.objects.count()
    upload = SimpleUploadedFile(case.name, case.content(region))
    response = client.post(reverse("tables:imports"), {"kind": case.kind, "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = last_job()
    assert job.status == ImportStatus.REFUSED, job.errors
    assert Dataset.objects.count() == versions

    problems = job.errors
    assert problems and all(problem["code"] for problem in problems), problems
    assert case.code in {problem["code"] for problem in problems}
    assert {problem["code"] for problem in problems} <= PROBLEM_CODES
    assert all(problem["file"] == case.name for problem in problems)

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    table = html.unescape(page.split('data-testid="import-errors"', 1)[1].split("</table>", 1)[0])
    rows = re.findall(r'<tr data-testid="import-error"[^>]*>(.*?)</tr>', table, re.S)
    assert len(rows) == len(problems)
    for problem, row in zip(problems, rows, strict=True):
        cells = [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        file, number, column, text = cells
        assert file == case.name
        if problem["row"] is not None:
            assert number.startswith(str(problem["row"]))
        assert column == (problem["column"] or "")
        with translation.override("fr"):
            assert text == problem_text(problem)
        assert text != problem["message"]
        assert not ENGLISH.search(text.replace(problem.get("column") or "\x00", "")), text


def test_it_says_the_new_problems_in_french():
    cases = [
        (
            {"code": "uneven_row", "params": {"cells": "16", "width": "15"}},
            "Cette ligne compte 16 cellules, l'en-tête 15 : chaque ligne doit avoir autant de "
            "cellules que l'en-tête (vérifiez les séparateurs et les guillemets).",
        ),
        (
            {
                "code": "overlapping_registration",
                "params": {
                    "key": "P0001",
                    "start": "2026-01-01",
                    "end": "",
                    "other_row": "3",
                    "other_start": "2025-01-01",
                    "other_end": "2026-06-01",
                },
            },
            "L'inscription du patient P0001 (depuis le 2026-01-01, en cours) chevauche celle de "
            "la ligne 3 (du 2025-01-01 au 2026-06-01) : un patient a au plus une inscription un "
            "jour donné (end_date est le premier jour hors vigueur).",
        ),
        (
            {
                "code": "duplicate_key",
                "params": {
                    "key": "patient_id, physician_id, start_date",
                    "value": "P1 / D1 / 2025-01-01",
                    "row": "2",
                },
            },
            "La ligne de patient_id, physician_id, start_date P1 / D1 / 2025-01-01 figure déjà "
            "à la ligne 2 : chacune n'apparaît qu'une fois.",
        ),
        (
            {"code": "key_taken", "params": {"key": "patient_id", "value": "P1", "rls": "0115"}},
            "patient_id P1 appartient déjà au RLS 0115.",
        ),
        (
            {
                "code": "outside_scope",
                "params": {"scope": "rls", "codes": "0115", "column": "rls_id", "value": "0114"},
            },
            "rls_id 0114 est hors des RLS de cet import (0115).",
        ),
    ]
    with translation.override("fr"):
        for problem, french in cases:
            assert problem_text(problem) == french


# --------------------------------------------------------------------------- sources

# The modules an import reads and checks a file with: every problem they build has a code.
SOURCES = [
    "src/panelcare/csvfiles.py",
    "src/panelcare/attribution/io.py",
    "src/panelcare/attribution/tables.py",
    "src/panelcare/contracts.py",
    "web/tables/checks.py",
]
# Not problems of an import: read_inputs' folder of files (the command line's), and a
# Problem said in English (its __str__ builds an error only to format it).
WITHOUT_CODE = {
    ("src/panelcare/attribution/io.py", "read_inputs"),
    ("src/panelcare/attribution/io.py", "_find"),
    ("src/panelcare/attribution/tables.py", "__str__"),
}
ERRORS = {"AttributionInputError", "InputError", "error"}


def _calls(path: str) -> list[tuple[str, ast.Call]]:
    """Each call in ``path`` with the function it is in."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found: list[tuple[str, ast.Call]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef) else function
            if isinstance(child, ast.Call):
                found.append((function, child))
            visit(child, name)

    visit(tree, "")
    return found


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _keywords(call: ast.Call) -> set[str]:
    return {keyword.arg for keyword in call.keywords if keyword.arg}


def _missing_code(path: str, function: str, call: ast.Call) -> bool:
    """Whether ``call`` builds a problem (an error of the core, a Problem, a flagged
    cell, a duplicate key) without naming its code."""
    name, keywords = _name(call), _keywords(call)
    if (path, function) in WITHOUT_CODE or "code" in keywords:
        return False
    if name in ERRORS:  # AttributionInputError(...), sniff_csv's error(...), self.error(...)
        return bool(call.args)
    if name == "Problem":
        return len(call.args) < 6
    if name == "flag":
        return len(call.args) < 4
    if name == "unique_rows":  # its value names the key for the duplicate_key code
        return len(call.args) < 4 and "value" not in keywords
    return False


def test_it_builds_no_problem_without_a_code():
    missing = [
        f"{path}:{call.lineno} {_name(call)}(...) in {function}()"
        for path in SOURCES
        for function, call in _calls(path)
        if _missing_code(path, function, call)
    ]
    assert missing == []


def _codes(call: ast.Call) -> set[str]:
    """The codes ``call`` names: its ``code=``, a flag's fourth argument, a Problem's
    sixth."""
    values = [keyword.value for keyword in call.keywords if keyword.arg == "code"]
    position = {"flag": 3, "Problem": 5}.get(_name(call))
    if position is not None and len(call.args) > position:
        values.append(call.args[position])
    return {
        value.value
        for value in values
        if isinstance(value, ast.Constant) and isinstance(value.value, str)
    }


def test_it_names_no_code_without_a_french_sentence():
    named = {"duplicate_key"}  # ContractTable.unique_rows' own
    for path in [*SOURCES, "src/panelcare/assiduity/contract.py"]:
        for _function, call in _calls(path):
            named |= _codes(call)
    assert named - PROBLEM_CODES == set()
    assert {"overlapping_registration", "outside_scope", "uneven_row"} <= named
