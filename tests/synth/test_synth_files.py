"""Files: the same seed writes the same bytes, the chunk size changes nothing, CSV format."""

from __future__ import annotations

import collections
import csv
import datetime
import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from synth_support import AS_OF, in_force

from panelcare import synth


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_it_writes_byte_identical_csv_for_the_same_seed(tmp_path):
    synth.write_dataset(tmp_path / "a", "tiny", seed=7, fmt="csv", as_of=AS_OF)
    synth.write_dataset(tmp_path / "b", "tiny", seed=7, fmt="csv", as_of=AS_OF)
    a = digests(tmp_path / "a")
    assert sorted(a) == sorted(f"{name}.csv" for name in synth.TABLES)
    assert a == digests(tmp_path / "b")


def test_it_writes_other_data_for_another_seed(tmp_path):
    synth.write_dataset(tmp_path / "a", "tiny", seed=7, fmt="csv", as_of=AS_OF)
    synth.write_dataset(tmp_path / "b", "tiny", seed=8, fmt="csv", as_of=AS_OF)
    a, b = digests(tmp_path / "a"), digests(tmp_path / "b")
    for name in ("patients.csv", "physicians.csv", "registrations.csv", "visits.csv"):
        assert a[name] != b[name], name


def test_it_writes_the_same_files_whatever_the_chunk_size(tmp_path):
    one_chunk = synth.write_dataset(tmp_path / "a", "tiny", fmt="csv", as_of=AS_OF)
    # 10 physicians by 3: four chunks, the last of one physician.
    chunked = synth.write_dataset(
        tmp_path / "b", "tiny", fmt="csv", as_of=AS_OF, physicians_per_chunk=3
    )
    assert chunked == one_chunk
    assert chunked["physicians"] == 10
    assert chunked["patients"] == 2_000
    assert digests(tmp_path / "a") == digests(tmp_path / "b")


def test_it_reports_progress_step_by_step(tmp_path):
    calls: list[tuple[int, int]] = []
    synth.write_dataset(
        tmp_path,
        "tiny",
        as_of=AS_OF,
        physicians_per_chunk=3,
        progress=lambda done, total: calls.append((done, total)),
    )
    # The world, 4 chunks of physicians, 2 blocks of residents (one per RLS).
    assert calls == [(k, 7) for k in range(1, 8)]


def test_it_writes_exactly_the_tables_held_in_memory(tmp_path, tiny):
    synth.write_dataset(tmp_path, "tiny", fmt="parquet", as_of=AS_OF)
    for name, table in tiny.items():
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(table), name


def test_it_writes_csv_with_iso_dates_booleans_and_empty_nulls(tmp_path):
    synth.write_dataset(tmp_path, "tiny", fmt="csv", as_of=AS_OF)
    with open(tmp_path / "physicians.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10
    for row in rows:
        datetime.date.fromisoformat(row["practice_start"])
        assert row["amp_target"] == "" or int(row["amp_target"]) in (250, 500)
        assert row["departing_on"] == "" or datetime.date.fromisoformat(row["departing_on"])
    with open(tmp_path / "waitlist.csv", newline="", encoding="utf-8") as f:
        waitlist = list(csv.DictReader(f))
    assert {row["vulnerable"] for row in waitlist} == {"true", "false"}
    assert "" in {row["previous_physician_id"] for row in waitlist}


def test_it_writes_a_header_for_an_empty_table(tmp_path):
    rows = synth.write_dataset(tmp_path, "tiny", fmt="csv", as_of=AS_OF, with_visits=False)
    assert rows["visits"] == 0
    header = (tmp_path / "visits.csv").read_text(encoding="utf-8").strip()
    assert header.replace('"', "").split(",") == synth.SCHEMAS["visits"].names


def test_it_leaves_the_other_tables_alone_without_visits():
    with_visits = synth.tiny_region_tables(as_of=AS_OF)
    without = synth.tiny_region_tables(as_of=AS_OF, with_visits=False)
    assert without["visits"].num_rows == 0
    for name in synth.TABLES:
        if name != "visits":
            assert without[name].equals(with_visits[name]), name


def test_it_follows_as_of(tmp_path):
    tables = synth.tiny_region_tables(as_of=datetime.date(2025, 6, 30))
    dates = tables["visits"].column("visit_date").to_pylist()
    assert min(dates) == datetime.date(2024, 1, 1) and max(dates) <= datetime.date(2025, 6, 30)


@pytest.mark.parametrize(
    ("scale", "fmt"), [("continent", "csv"), ("tiny", "xlsx")], ids=["scale", "format"]
)
def test_it_rejects_an_unknown_scale_or_format(tmp_path, scale, fmt):
    with pytest.raises(ValueError):
        synth.write_dataset(tmp_path, scale, fmt=fmt)


def test_it_keeps_the_province_out_of_memory():
    with pytest.raises(ValueError, match="region"):
        synth.region_tables(scale="province")


@pytest.mark.parametrize(
    "as_of",
    [datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), datetime.date(2028, 2, 29)],
    ids=str,
)
def test_it_keeps_its_counts_on_any_as_of(as_of):
    tables = synth.tiny_region_tables(seed=11, as_of=as_of)
    active = in_force(tables["registrations"], as_of)
    counts = collections.Counter(active.column("physician_id").to_pylist())
    for row in tables["physicians"].to_pylist():
        assert row["registered"] == counts[row["physician_id"]]
        assert row["departing_on"] is None or row["departing_on"] > as_of
    registered = set(active.column("patient_id").to_pylist())
    for row in tables["waitlist"].to_pylist():
        assert (row["patient_id"] in registered) == (row["previous_physician_id"] is not None)
    dates = tables["visits"].column("visit_date").to_pylist()
    assert min(dates) >= datetime.date(as_of.year - 1, 1, 1) and max(dates) <= as_of


def test_it_exposes_a_small_public_api():
    assert sorted(synth.__all__) == [
        "CONTRACT_TABLES",
        "DEFAULT_AS_OF",
        "DEFAULT_SEED",
        "FORMATS",
        "FileSink",
        "MemorySink",
        "Progress",
        "REFERENCE_TABLES",
        "SCALES",
        "SCHEMAS",
        "Scale",
        "TABLES",
        "generate",
        "region_tables",
        "steered_rates",
        "tiny_region_tables",
        "write_dataset",
    ]
    assert all(hasattr(synth, name) for name in synth.__all__)
