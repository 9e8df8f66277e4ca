"""``panelcare assiduity compute|explain``, through Typer's runner: exit codes, files, errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from panelcare import synth
from panelcare.assiduity.compute import RATE_COLUMNS
from panelcare.assiduity.explain import EXPLANATION_COLUMNS
from panelcare.cli import app

runner = CliRunner()

VISITS = """\
visit_id,patient_id,provider_id,provider_kind,visit_date,site_id,setting,billing_code,er_triage,er_admitted,er_repeat,er_referred,er_death,pregnancy_followup
V1,0111,D1,physician,2018-03-01,S1,cabinet,00010,,false,false,false,false,false
V2,0111,D9,physician,2018-04-01,S1,cabinet,00010,,false,false,false,false,false
V3,0222,D2,physician,2018-05-01,S1,cabinet,00010,,false,false,false,false,false
"""
REGISTRATIONS = """\
patient_id,physician_id,site_id,start_date,end_date
0111,D1,S1,2017-01-01,
0222,D2,S1,2017-01-01,
0333,D3,S1,2017-01-01,
"""


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """Three non-member physicians: D1 (one visit of two by them), D2 (all theirs), D3 (a
    registered patient, no visit)."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "visits.csv").write_text(VISITS)
    (folder / "registrations.csv").write_text(REGISTRATIONS)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    synth.write_dataset(root / "csv", scale="tiny")
    synth.write_dataset(root / "parquet", scale="tiny", fmt="parquet")
    return {"csv": root / "csv", "parquet": root / "parquet"}


def compute(data_dir: Path, out: Path, *options: str, year: int = 2018):
    args = ["assiduity", "compute", str(data_dir), "--year", str(year), "--out", str(out)]
    return runner.invoke(app, [*args, *options])


def explain(data_dir: Path, out: Path, physician: str, *options: str, year: int = 2018):
    args = ["assiduity", "explain", str(data_dir), "--year", str(year), "--physician", physician]
    return runner.invoke(app, [*args, "--out", str(out), *options])


def test_it_lists_its_commands():
    result = runner.invoke(app, ["assiduity", "--help"])
    assert result.exit_code == 0
    assert "compute" in result.output and "explain" in result.output


def test_it_writes_the_rates_in_the_spec_columns(data_dir, tmp_path):
    out = tmp_path / "rates.csv"
    result = compute(data_dir, out)
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [
        ",".join(f'"{column}"' for column in RATE_COLUMNS),
        '"D1",2018,1,2,1,0.5,0.8,0,"none",false,false',
        '"D2",2018,1,1,1,1,0.8,100,"full",false,false',
        '"D3",2018,1,0,0,,0.8,,"no_visits",false,false',
    ]
    assert "3 physicians written" in result.stdout


@pytest.mark.slow  # the synthetic tiny region, written as CSV and Parquet
def test_it_gives_the_same_rates_from_parquet_as_from_csv(tiny, tmp_path):
    from_csv, from_parquet = tmp_path / "csv.csv", tmp_path / "parquet.csv"
    assert compute(tiny["csv"], from_csv, year=2025).exit_code == 0
    assert compute(tiny["parquet"], from_parquet, year=2025).exit_code == 0
    lines = from_csv.read_text().splitlines()
    assert lines[0] == ",".join(f'"{column}"' for column in RATE_COLUMNS)
    assert len(lines) > 5
    assert from_parquet.read_text() == from_csv.read_text()


def test_it_explains_a_physician_visit_by_visit(data_dir, tmp_path):
    out = tmp_path / "visits.csv"
    result = explain(data_dir, out, "D1")
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == ",".join(f'"{column}"' for column in EXPLANATION_COLUMNS)
    assert lines[1:] == [
        '"V1","0111","D1",true,true,"own_visit",2018-03-01,"S1","cabinet"',
        '"V2","0111","D9",true,false,"other_provider",2018-04-01,"S1","cabinet"',
    ]
    assert "own_visit" in result.stdout and "other_provider" in result.stdout
    assert "2 visits written" in result.stdout


@pytest.mark.slow  # the synthetic tiny region, written as CSV and Parquet
def test_it_explains_a_physician_of_the_synthetic_region(tiny, tmp_path):
    rates, visits = tmp_path / "rates.csv", tmp_path / "visits.csv"
    assert compute(tiny["parquet"], rates, year=2025).exit_code == 0
    first = rates.read_text().splitlines()[1].split(",")
    physician, counted = first[0].strip('"'), int(first[3])
    result = explain(tiny["parquet"], visits, physician, year=2025)
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in visits.read_text().splitlines()[1:]]
    assert sum(row[3] == "true" for row in rows) == counted


def test_it_explains_from_the_results_compute_kept_as_from_the_data(data_dir, tmp_path):
    results = tmp_path / "results"
    kept, plain = tmp_path / "kept.csv", tmp_path / "plain.csv"
    result = compute(data_dir, kept, "--results", str(results))
    assert result.exit_code == 0, result.output
    assert compute(data_dir, plain).exit_code == 0
    # The rates are the same with the results kept or not.
    assert kept.read_text() == plain.read_text()
    for physician in ("D1", "D2", "D3"):
        from_data, from_results = tmp_path / "data.csv", tmp_path / "results.csv"
        by_data = explain(data_dir, from_data, physician)
        by_results = explain(data_dir, from_results, physician, "--results", str(results))
        assert by_results.exit_code == 0, by_results.output
        assert from_results.read_text() == from_data.read_text()
        # The same summary table on the terminal (the phases' times aside).
        assert by_results.stdout.splitlines()[:-1] == by_data.stdout.splitlines()[:-1]


def test_it_refuses_results_of_another_year(data_dir, tmp_path):
    results = tmp_path / "results"
    assert compute(data_dir, tmp_path / "rates.csv", "--results", str(results)).exit_code == 0
    out = tmp_path / "visits.csv"
    result = explain(data_dir, out, "D1", "--results", str(results), year=2019)
    assert result.exit_code == 2
    assert "holds the results of 2018, not of 2019" in result.stderr
    assert not out.exists()


def test_it_refuses_a_results_folder_that_holds_none(data_dir, tmp_path):
    (tmp_path / "empty").mkdir()
    result = explain(data_dir, tmp_path / "v.csv", "D1", "--results", str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert "no index.parquet" in result.stderr


def test_it_warns_when_no_visit_touches_the_physician(data_dir, tmp_path):
    out = tmp_path / "visits.csv"
    result = explain(data_dir, out, "D404")
    assert result.exit_code == 0
    assert "warning: no visit of 2018 touched physician D404" in result.stderr
    assert out.read_text().splitlines() == [",".join(f'"{c}"' for c in EXPLANATION_COLUMNS)]


def test_it_accepts_a_rules_file(data_dir, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[scale.2018]\nfull = 0.5\nthree_quarters = 0.4\nhalf = 0.3\n")
    out = tmp_path / "rates.csv"
    assert compute(data_dir, out, "--rules", str(rules)).exit_code == 0
    assert out.read_text().splitlines()[1] == '"D1",2018,1,2,1,0.5,0.5,100,"full",false,false'


# --- errors: exit status 2, a message naming the place, no output file ---------------------


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _missing_column(folder: Path) -> None:
    _replace(folder / "visits.csv", ",setting,", ",place,")


def _bad_date(folder: Path) -> None:
    _replace(folder / "visits.csv", "2018-04-01", "2018-04-31")


def _bad_boolean(folder: Path) -> None:
    # V2's er_admitted (V2's row is the one before V3's).
    _replace(
        folder / "visits.csv",
        ",,false,false,false,false,false\nV3",
        ",,no,false,false,false,false\nV3",
    )


def _unknown_setting(folder: Path) -> None:
    _replace(folder / "visits.csv", "2018-05-01,S1,cabinet", "2018-05-01,S1,hospital")


def _bad_triage(folder: Path) -> None:
    _replace(
        folder / "visits.csv", "2018-04-01,S1,cabinet,00010,,", "2018-04-01,S1,cabinet,00010,P7,"
    )


def _overlapping_registrations(folder: Path) -> None:
    with (folder / "registrations.csv").open("a") as handle:
        handle.write("0222,D3,S1,2018-01-01,2018-02-01\n")


def _no_registrations(folder: Path) -> None:
    (folder / "registrations.csv").unlink()


def _both_csv_and_parquet(folder: Path) -> None:
    pq.write_table(pa.table({"patient_id": ["0111"]}), folder / "registrations.parquet")


@pytest.mark.parametrize(
    ("spoil", "message", "reader"),
    [
        (
            _missing_column,
            "error: visits.csv, column setting: the file has no column setting",
            "D1",
        ),
        (_bad_date, "error: visits.csv, row 2 (line 3), column visit_date: expected a date", "D1"),
        (
            _bad_boolean,
            "error: visits.csv, row 2 (line 3), column er_admitted: expected true",
            "D1",
        ),
        # V3 is a visit of D2's patient: D2's explanation reads it (D1's does not).
        (
            _unknown_setting,
            "error: visits.csv, row 3 (line 4), column setting: expected one of",
            "D2",
        ),
        (
            _bad_triage,
            "error: visits.csv, row 2 (line 3), column er_triage: expected one of P1",
            "D1",
        ),
        (
            _overlapping_registrations,
            "error: registrations.csv, row 4 (line 5), column start_date: the registration of "
            "patient 0222",
            "D2",
        ),
        (
            _no_registrations,
            "error: the registrations table is required: no registrations",
            "D1",
        ),
        (_both_csv_and_parquet, "error: registrations.csv: both registrations.csv and", "D1"),
    ],
)
@pytest.mark.parametrize("command", ["compute", "explain"])
def test_it_names_the_bad_input_and_writes_nothing(
    data_dir, tmp_path, spoil, message, reader, command
):
    """compute reads every row; explain the rows that can touch the physician (``reader``
    is one whose explanation reads the bad row)."""
    spoil(data_dir)
    out = tmp_path / "out.csv"
    result = compute(data_dir, out) if command == "compute" else explain(data_dir, out, reader)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message), result.stderr
    assert not out.exists()
    assert list(tmp_path.glob("*.tmp")) == [] and list(tmp_path.glob(".out.csv*")) == []


@pytest.mark.parametrize("spoil", [_unknown_setting, _overlapping_registrations])
def test_it_explains_past_a_bad_row_the_explanation_does_not_read(data_dir, tmp_path, spoil):
    # V3 and patient 0222's registrations are D2's and D3's business, not D1's
    # (docs/decisions.md, "explain checks the rows it reads").
    clean = tmp_path / "clean.csv"
    assert explain(data_dir, clean, "D1").exit_code == 0
    spoil(data_dir)
    out = tmp_path / "visits.csv"
    result = explain(data_dir, out, "D1")
    assert result.exit_code == 0, result.output
    assert out.read_text() == clean.read_text()
    assert compute(data_dir, tmp_path / "rates.csv").exit_code == 2


def test_it_keeps_an_earlier_output_file_on_error(data_dir, tmp_path):
    out = tmp_path / "rates.csv"
    out.write_text("earlier\n")
    _bad_date(data_dir)
    assert compute(data_dir, out).exit_code == 2
    assert out.read_text() == "earlier\n"


def test_it_names_a_bad_rules_file(data_dir, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("review_margin = 2\n")
    out = tmp_path / "rates.csv"
    result = compute(data_dir, out, "--rules", str(rules))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {rules}: review_margin:")
    assert not out.exists()


def test_it_refuses_a_year_the_rules_have_no_scale_for(data_dir, tmp_path):
    result = compute(data_dir, tmp_path / "rates.csv", year=2016)
    assert result.exit_code == 2
    assert "no progression scale for 2016" in result.stderr


def test_it_refuses_a_missing_data_folder(tmp_path):
    result = compute(tmp_path / "nowhere", tmp_path / "rates.csv")
    assert result.exit_code == 2
    assert "is not a folder" in result.stderr


def test_it_refuses_an_output_folder_that_does_not_exist(data_dir, tmp_path):
    result = compute(data_dir, tmp_path / "missing" / "rates.csv")
    assert result.exit_code == 2
    assert not (tmp_path / "missing").exists()


def test_it_refuses_a_memory_limit_that_is_not_a_size(data_dir, tmp_path):
    result = compute(data_dir, tmp_path / "rates.csv", "--memory-limit", "lots")
    assert result.exit_code == 2
    assert not (tmp_path / "rates.csv").exists()


# --- --out on an input (issue 14) -------------------------------------------------------------


@pytest.mark.parametrize("command", ["compute", "explain"])
@pytest.mark.parametrize("name", ["visits.csv", "registrations.csv", "visits.parquet"])
def test_it_refuses_to_write_over_one_of_its_input_files(data_dir, name, command):
    out = data_dir / name
    before = {path.name: path.read_bytes() for path in data_dir.iterdir()}
    result = compute(data_dir, out) if command == "compute" else explain(data_dir, out, "D1")
    assert result.exit_code == 2
    assert "an input of this command" in result.output
    assert "choose another file" in result.output
    # Nothing touched: visits.parquet beside visits.csv would make the folder unreadable.
    assert {path.name: path.read_bytes() for path in data_dir.iterdir()} == before


def test_it_refuses_to_write_over_its_rules_file(data_dir, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("")
    result = compute(data_dir, rules, "--rules", str(rules))
    assert result.exit_code == 2
    assert "the rules file" in result.output
    assert rules.read_text() == ""


def test_it_refuses_a_link_to_an_input_file(data_dir, tmp_path):
    link = tmp_path / "rates.csv"
    link.symlink_to(data_dir / "visits.csv")
    result = compute(data_dir, link)
    assert result.exit_code == 2
    assert "the visits table's file" in result.output
    assert (data_dir / "visits.csv").read_text() == VISITS


def test_it_writes_the_rates_beside_its_inputs(data_dir):
    result = compute(data_dir, data_dir / "rates.csv")
    assert result.exit_code == 0, result.output
    assert (data_dir / "rates.csv").read_text().startswith('"physician_id"')
