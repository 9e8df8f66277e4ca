"""Results kept per physician (``panelcare.assiduity.results``): written once, read one
physician at a time, equal to what the engine computes on the spot.

Two datasets: the golden scenarios of ``cases.py`` combined into one (fast: paging,
filters, errors, all or nothing), and the synthetic tiny region written as Parquet and
read by ``open_tables`` as the CLI reads it (``slow``: the parity with physician_rates,
explain_physician and reason_summary, and the input's row order). Both are written with
small buckets and row groups, so that a physician's rows span several row groups and a
pregnancy follow-up's maker is in another bucket than the registering physician.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from cases import GOLDEN, RULES, YEAR, Case, combine

from panelcare import synth
from panelcare.assiduity import (
    EXPLANATION_COLUMNS,
    RATE_COLUMNS,
    AssiduityTables,
    explain_physician,
    physician_rates,
    reason_summary,
)
from panelcare.assiduity import results as results_module
from panelcare.assiduity.explain import SUMMARY_COLUMNS
from panelcare.assiduity.io import connect, open_tables
from panelcare.assiduity.results import (
    MONTHLY_COLUMNS,
    RESULT_FILES,
    ResultsError,
    count_physician_visits,
    read_monthly,
    read_physician_visits,
    read_rates,
    read_summaries,
    read_summary,
    write_results,
)
from panelcare.errors import PanelcareError

TINY_YEAR = 2025  # the synthetic region's last complete year
# Registered with a patient who has no visit: listed in the rates, without visits.
NO_VISITS = "D09999"


@pytest.fixture
def small_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Buckets of two physicians and row groups of four rows."""
    _small_layout(monkeypatch)


def _small_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results_module, "_PHYSICIANS_PER_BUCKET", 2)
    monkeypatch.setattr(results_module, "VISITS_ROW_GROUP_ROWS", 4)


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The golden scenarios in one dataset, their results written once (with the steps
    reported to ``progress``)."""
    con = connect()
    tables = AssiduityTables.from_mapping(combine(factory() for factory in GOLDEN))
    out = tmp_path_factory.mktemp("golden") / "results"
    steps: list[tuple[str, int, int]] = []
    with pytest.MonkeyPatch.context() as monkeypatch:
        _small_layout(monkeypatch)
        info = write_results(
            tables, YEAR, RULES, con, out, progress=lambda *step: steps.append(step)
        )
    return {"con": con, "tables": tables, "out": out, "info": info, "steps": steps}


# Physicians of the golden scenarios: c0.D (a GMF member with every exclusion), c1.D (a
# non-member with a pregnancy follow-up of their own and one by B), c1.B (B's follow-up
# of c1.D's patient), c2.T (a visit a month, January to April), c2.U (one excluded visit).
GOLDEN_PHYSICIANS = ("c0.D", "c0.C", "c1.D", "c1.B", "c2.T", "c2.U")


def engine(con: Any, expr: Any) -> pa.Table:
    return con.to_pyarrow(expr)


# --------------------------------------------------------------------------- golden


# Each physician costs two compilations of the engine's query (about 1.5 s each).
@pytest.mark.parametrize("physician", ["c0.D", "c1.D", "c1.B"])
def test_it_keeps_each_physician_s_explanation_and_summary(golden, physician):
    con, tables = golden["con"], golden["tables"]
    expected = engine(con, explain_physician(tables, YEAR, physician, RULES))
    assert expected.num_rows > 0
    assert read_physician_visits(golden["out"], physician).equals(expected)
    summary = engine(con, reason_summary(tables, YEAR, physician, RULES))
    assert read_summary(golden["out"], physician).equals(summary)


def test_it_reads_several_physicians_summaries_at_once_as_one_by_one(golden):
    several = read_summaries(golden["out"], ["c2.T", "c0.D", "c1.B", "nobody"])
    for physician in ("c0.D", "c1.B", "c2.T"):
        rows = several.filter(pc.equal(several["physician_id"], physician)).drop(["physician_id"])
        assert rows.equals(read_summary(golden["out"], physician))
    assert set(several["physician_id"].to_pylist()) == {"c0.D", "c1.B", "c2.T"}
    assert read_summaries(golden["out"], []).num_rows == 0


def test_it_keeps_the_rates_of_every_physician(golden):
    expected = engine(golden["con"], physician_rates(golden["tables"], YEAR, RULES))
    rates = read_rates(golden["out"])
    assert tuple(rates.column_names) == RATE_COLUMNS
    assert rates.equals(expected)
    assert golden["info"].physicians == rates.num_rows
    assert golden["info"].year == YEAR


def test_it_gives_a_pregnancy_follow_up_to_both_physicians(golden):
    # B's follow-up of c1.D's patient: B's row (counted) and c1.D's (excluded).
    made_by_b = read_physician_visits(golden["out"], "c1.B")
    assert made_by_b["reason"].to_pylist() == ["pregnancy_own"]
    visit = made_by_b["visit_id"][0].as_py()
    of_d = read_physician_visits(golden["out"], "c1.D")
    reasons = dict(zip(of_d["visit_id"].to_pylist(), of_d["reason"].to_pylist(), strict=True))
    assert reasons[visit] == "pregnancy_other_physician"


def test_it_counts_the_visits_of_each_month(golden):
    rates = {row["physician_id"]: row for row in read_rates(golden["out"]).to_pylist()}
    for physician in GOLDEN_PHYSICIANS:
        monthly = read_monthly(golden["out"], physician)
        assert tuple(monthly.column_names) == MONTHLY_COLUMNS
        assert monthly["month"].to_pylist() == list(range(1, 13))
        assert pc.sum(monthly["counted_visits"]).as_py() == rates[physician]["counted_visits"]
        assert pc.sum(monthly["assiduous_visits"]).as_py() == rates[physician]["assiduous_visits"]
    # golden_scale's T: one visit in each of January to April, three of them T's own.
    t = read_monthly(golden["out"], "c2.T").to_pylist()
    assert [row["counted_visits"] for row in t[:5]] == [1, 1, 1, 1, 0]
    assert [row["assiduous_visits"] for row in t[:5]] == [1, 1, 1, 0, 0]


def test_it_gives_empty_tables_for_a_physician_it_does_not_list(golden):
    out = golden["out"]
    assert read_physician_visits(out, "nobody").num_rows == 0
    assert read_physician_visits(out, "nobody").column_names == list(EXPLANATION_COLUMNS)
    assert read_summary(out, "nobody").column_names == list(SUMMARY_COLUMNS)
    assert read_summary(out, "nobody").num_rows == 0
    assert read_monthly(out, "nobody").num_rows == 0
    assert count_physician_visits(out, "nobody") == 0
    assert count_physician_visits(out, "nobody", reasons=["own_visit"]) == 0


def test_it_pages_through_a_physician_s_visits(golden):
    out = golden["out"]
    everything = read_physician_visits(out, "c0.D")
    assert everything.num_rows == count_physician_visits(out, "c0.D") > 10
    pages = [read_physician_visits(out, "c0.D", offset=at, limit=4) for at in range(0, 20, 4)]
    assert [page.num_rows for page in pages] == [4, 4, 4, everything.num_rows - 12, 0]
    assert pa.concat_tables(pages).equals(everything)
    assert read_physician_visits(out, "c0.D", offset=3).equals(everything.slice(3))
    assert read_physician_visits(out, "c0.D", limit=0).num_rows == 0
    assert read_physician_visits(out, "c0.D", offset=100).num_rows == 0


def test_it_filters_a_physician_s_visits_by_reason(golden):
    out = golden["out"]
    everything = read_physician_visits(out, "c0.D").to_pylist()
    er = {"er_priority_1_3", "er_admitted", "er_repeat", "er_referred", "er_death"}
    expected = [row for row in everything if row["reason"] in er]
    assert len(expected) == 5
    assert read_physician_visits(out, "c0.D", reasons=er).to_pylist() == expected
    paged = read_physician_visits(out, "c0.D", reasons=er, offset=1, limit=3)
    assert paged.to_pylist() == expected[1:4]
    assert count_physician_visits(out, "c0.D", reasons=er) == 5
    assert count_physician_visits(out, "c0.D", reasons=["own_visit", "no_such_reason"]) == 1
    assert read_physician_visits(out, "c0.D", reasons=[]).num_rows == 0


def test_it_refuses_a_negative_offset_or_limit(golden):
    with pytest.raises(ValueError):
        read_physician_visits(golden["out"], "c0.D", offset=-1)
    with pytest.raises(ValueError):
        read_physician_visits(golden["out"], "c0.D", limit=-1)


@pytest.fixture
def row_groups_read(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The row groups each ParquetFile.read_row_groups call reads."""
    calls: list[list[int]] = []
    original = pq.ParquetFile.read_row_groups

    def spy(self: pq.ParquetFile, row_groups: list[int], *args: Any, **kwargs: Any) -> pa.Table:
        calls.append(list(row_groups))
        return original(self, row_groups, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    return calls


def test_it_reads_only_the_row_groups_that_hold_the_physician_s_rows(golden, row_groups_read):
    out = golden["out"]
    visits = pq.ParquetFile(out / "visits.parquet")
    owners = [
        set(visits.read_row_group(group, columns=["physician_id"])["physician_id"].to_pylist())
        for group in range(visits.metadata.num_row_groups)
    ]
    assert len(owners) > 10  # row groups of four rows
    row_groups_read.clear()

    read_physician_visits(out, "c0.D")
    assert row_groups_read[-1] == [group for group, ids in enumerate(owners) if "c0.D" in ids]
    # The first page of two rows: the one row group that holds them.
    read_physician_visits(out, "c0.D", limit=2)
    assert len(row_groups_read[-1]) == 1
    assert "c0.D" in owners[row_groups_read[-1][0]]
    # Row groups are cut between physicians: after c2.T's four rows (a full group), c2.U's
    # single row is a group of its own.
    read_physician_visits(out, "c2.U")
    assert [owners[group] for group in row_groups_read[-1]] == [{"c2.U"}]


def test_it_counts_a_physician_s_visits_without_reading_them(golden, row_groups_read):
    assert count_physician_visits(golden["out"], "c0.D") > 0
    assert count_physician_visits(golden["out"], "c0.D", reasons=["own_visit"]) == 1
    assert row_groups_read == []


def test_it_reports_each_step_to_progress(golden):
    assert golden["steps"] == [
        ("rates", 0, 5),
        ("visits", 1, 5),
        ("summaries", 2, 5),
        ("monthly", 3, 5),
        ("index", 4, 5),
        ("done", 5, 5),
    ]


def test_it_writes_the_five_files_and_nothing_else(golden):
    assert sorted(path.name for path in golden["out"].iterdir()) == sorted(RESULT_FILES)
    # No staging folder is left beside the results.
    assert [path.name for path in golden["out"].parent.iterdir()] == ["results"]


# --------------------------------------------------------------------------- writing


def golden_d() -> AssiduityTables:
    return AssiduityTables.from_mapping(combine([GOLDEN[0]()]))


def test_it_writes_nothing_when_the_last_file_fails(tmp_path, monkeypatch):
    original = results_module._write_table

    def failing(table: pa.Table, path: Path) -> None:
        if path.name == "index.parquet":
            raise OSError(28, "No space left on device")
        original(table, path)

    monkeypatch.setattr(results_module, "_write_table", failing)
    out = tmp_path / "results"
    with pytest.raises(ResultsError, match="No space left on device"):
        write_results(golden_d(), YEAR, RULES, connect(), out)
    assert list(tmp_path.iterdir()) == []  # neither the results nor the staging folder


def test_it_leaves_an_empty_folder_empty_when_writing_fails(tmp_path, monkeypatch):
    def failing(*args: Any) -> None:
        raise RuntimeError("interrupted")

    monkeypatch.setattr(results_module, "_write_visits", failing)
    out = tmp_path / "results"
    out.mkdir()
    with pytest.raises(RuntimeError, match="interrupted"):
        write_results(golden_d(), YEAR, RULES, connect(), out)
    assert [path.name for path in tmp_path.iterdir()] == ["results"]
    assert list(out.iterdir()) == []


def test_it_writes_into_an_empty_folder(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    info = write_results(golden_d(), YEAR, RULES, connect(), out)
    assert sorted(path.name for path in out.iterdir()) == sorted(RESULT_FILES)
    assert info.visits == sum(count_physician_visits(out, p) for p in ("c0.D", "c0.C"))


def test_it_refuses_a_folder_that_is_not_empty(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ResultsError, match="not an empty folder"):
        write_results(golden_d(), YEAR, RULES, connect(), out)
    assert [path.name for path in out.iterdir()] == ["notes.txt"]
    assert [path.name for path in tmp_path.iterdir()] == ["results"]


def test_it_refuses_a_folder_whose_parent_does_not_exist(tmp_path):
    with pytest.raises(ResultsError, match="parent folder does not exist"):
        write_results(golden_d(), YEAR, RULES, connect(), tmp_path / "missing" / "results")


def test_it_writes_the_results_of_a_physician_without_visits(tmp_path):
    case = Case()
    case.register("p1", "D")
    out = tmp_path / "results"
    info = write_results(case.tables(), YEAR, RULES, connect(), out)
    assert (info.physicians, info.visits) == (1, 0)
    assert read_rates(out).to_pylist()[0]["registered_patients"] == 1
    assert read_physician_visits(out, "D").num_rows == 0
    assert read_summary(out, "D").num_rows == 0
    assert read_monthly(out, "D")["counted_visits"].to_pylist() == [0] * 12


def test_it_raises_its_own_errors_as_panelcare_errors():
    assert issubclass(ResultsError, PanelcareError)


def test_it_refuses_a_folder_without_results(tmp_path):
    for read in (read_rates, lambda out: read_summary(out, "D")):
        with pytest.raises(ResultsError, match="no assiduity results"):
            read(tmp_path)


def test_it_refuses_results_of_another_layout(golden, tmp_path):
    out = tmp_path / "old"
    out.mkdir()
    for name in RESULT_FILES:
        (out / name).write_bytes((golden["out"] / name).read_bytes())
    index = pq.read_table(out / "index.parquet")
    layout = {b"panelcare.assiduity.results.layout": b"0"}
    pq.write_table(index.replace_schema_metadata(layout), out / "index.parquet")
    with pytest.raises(ResultsError, match="another layout"):
        read_physician_visits(out, "c0.D")


def test_it_names_its_public_api():
    assert all(hasattr(results_module, name) for name in results_module.__all__)


# --------------------------------------------------------------------------- tiny region


def _tiny_folder(root: Path, *, shuffled: bool = False) -> Path:
    """The synthetic tiny region as Parquet, plus NO_VISITS registered with a patient who
    has no visit; ``shuffled``: the visits and registrations in another row order."""
    folder = root / ("shuffled" if shuffled else "tiny")
    synth.write_dataset(folder, scale="tiny", fmt="parquet")
    registrations = pq.read_table(folder / "registrations.parquet")
    extra = pa.Table.from_pylist(
        [
            {
                "patient_id": "P-NO-VISIT",
                "physician_id": NO_VISITS,
                "site_id": registrations["site_id"][0].as_py(),
                "start_date": datetime.date(TINY_YEAR - 1, 1, 1),
                "end_date": None,
            }
        ],
        schema=registrations.schema,
    )
    registrations = pa.concat_tables([registrations, extra])
    pq.write_table(registrations, folder / "registrations.parquet")
    if shuffled:
        for name in ("visits", "registrations"):
            table = pq.read_table(folder / f"{name}.parquet")
            # Reversed within every other block of 97 rows, then the blocks in reverse.
            order = [
                row
                for block in reversed(range(0, table.num_rows, 97))
                for row in (
                    reversed(range(block, min(block + 97, table.num_rows)))
                    if block % 2
                    else range(block, min(block + 97, table.num_rows))
                )
            ]
            pq.write_table(table.take(order), folder / f"{name}.parquet")
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("tiny")
    con = connect()
    tables = open_tables(_tiny_folder(root), con)
    out = root / "results"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(results_module, "_PHYSICIANS_PER_BUCKET", 3)
        monkeypatch.setattr(results_module, "VISITS_ROW_GROUP_ROWS", 256)
        write_results(tables, TINY_YEAR, RULES, con, out)
    yield {"con": con, "tables": tables, "out": out, "root": root}


def _pregnancy_physicians(out: Path) -> tuple[str, str]:
    """A physician with a pregnancy follow-up made by another, and that other."""
    visits = pq.read_table(out / "visits.parquet")
    other = visits.filter(pc.equal(visits["reason"], "pregnancy_other_physician"))
    return other["physician_id"][0].as_py(), other["provider_id"][0].as_py()


@pytest.mark.slow  # the synthetic tiny region: about 30 s
def test_it_keeps_the_rates_of_physician_rates_on_the_tiny_region(tiny):
    expected = engine(tiny["con"], physician_rates(tiny["tables"], TINY_YEAR, RULES))
    rates = read_rates(tiny["out"])
    assert rates.equals(expected)
    assert NO_VISITS in rates["physician_id"].to_pylist()


@pytest.mark.slow
def test_it_keeps_the_explanations_of_the_tiny_region(tiny):
    registering, maker = _pregnancy_physicians(tiny["out"])
    rates = read_rates(tiny["out"])
    # In different buckets of three physicians: the maker's row comes from the other's.
    rated = sorted(rates["physician_id"].to_pylist())
    assert rated.index(registering) // 3 != rated.index(maker) // 3
    largest = rates.sort_by([("counted_visits", "descending")])["physician_id"][0].as_py()
    for physician in (registering, maker, largest, NO_VISITS, "D00404"):
        expected = engine(
            tiny["con"], explain_physician(tiny["tables"], TINY_YEAR, physician, RULES)
        )
        assert read_physician_visits(tiny["out"], physician).equals(expected), physician
        summary = engine(tiny["con"], reason_summary(tiny["tables"], TINY_YEAR, physician, RULES))
        assert read_summary(tiny["out"], physician).equals(summary), physician
    assert count_physician_visits(tiny["out"], NO_VISITS) == 0
    assert read_monthly(tiny["out"], NO_VISITS)["assiduous_visits"].to_pylist() == [0] * 12


@pytest.mark.slow
def test_it_writes_the_same_results_whatever_the_input_row_order(tiny):
    con = connect()
    tables = open_tables(_tiny_folder(tiny["root"], shuffled=True), con)
    first = pq.read_table(tiny["root"] / "shuffled" / "visits.parquet")["visit_id"][0]
    original = pq.read_table(tiny["root"] / "tiny" / "visits.parquet")["visit_id"][0]
    assert first != original
    out = tiny["root"] / "shuffled-results"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(results_module, "_PHYSICIANS_PER_BUCKET", 3)
        monkeypatch.setattr(results_module, "VISITS_ROW_GROUP_ROWS", 256)
        write_results(tables, TINY_YEAR, RULES, con, out)
    for name in RESULT_FILES:
        assert pq.read_table(out / name).equals(pq.read_table(tiny["out"] / name)), name
    # The rates, counted from the classified rows, are physician_rates' on these files.
    assert read_rates(out).equals(engine(con, physician_rates(tables, TINY_YEAR, RULES)))
