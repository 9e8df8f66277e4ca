"""``panelcare attribution plan|explain``, through Typer's runner: exit codes, files, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from panelcare.attribution.outputs import ASSIGNMENT_COLUMNS, PHYSICIAN_COLUMNS
from panelcare.cli import app

runner = CliRunner()

PHYSICIANS = """\
physician_id,name,rls_id,site_id,latitude,longitude,registered,vulnerable,practice_start,birth_year,amp_target,other_units,mode,previous_assiduity,departing_on
D001,Dre Ana Roy,0111,S001,48.449,-68.523,498,100,2015-01-01,1980,,0,bloc,,
D002,Dr Luc Côté,0111,S001,48.449,-68.523,600,100,2001-05-01,1970,,0.5,bloc,0.8,
D003,Dre Zoé Dion,0111,S002,48.5,-68.5,300,50,2010-01-01,1975,,0,none,,
"""
WAITLIST = """\
patient_id,rls_id,latitude,longitude,priority,vulnerable,requested_on,category,previous_physician_id
P001,0111,48.45,-68.52,A,false,2026-01-10,,
P002,0111,48.46,-68.53,B,true,2026-02-10,,
P003,0111,48.47,-68.54,C,false,2026-03-10,,
P004,0111,48.48,-68.55,E,false,2026-04-10,,
"""
RUN_DATE = "2026-11-15"


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """D001 (group 1b, need 2), D002 (group 2, need 150) share a site; D003 declined.
    Four orphans a few km away."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "physicians.csv").write_text(PHYSICIANS, encoding="utf-8")
    (folder / "waitlist.csv").write_text(WAITLIST, encoding="utf-8")
    return folder


def plan(data_dir: Path, out: Path, *options: str):
    args = ["attribution", "plan", str(data_dir), "--out", str(out), "--run-date", RUN_DATE]
    return runner.invoke(app, [*args, *options])


def explain(out: Path, *options: str):
    return runner.invoke(app, ["attribution", "explain", str(out), *options])


@pytest.fixture
def planned(data_dir, tmp_path) -> Path:
    out = tmp_path / "plan"
    result = plan(data_dir, out)
    assert result.exit_code == 0, result.output
    return out


def test_it_lists_its_commands():
    result = runner.invoke(app, ["attribution", "--help"])
    assert result.exit_code == 0
    assert "plan" in result.output and "explain" in result.output
    assert "attribution" in runner.invoke(app, ["--help"]).output


def test_it_plans_and_prints_a_one_line_summary(data_dir, tmp_path):
    result = plan(data_dir, tmp_path / "plan")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("4 orphans, 4 assigned, 0 unassigned; plan written to ")
    assert result.stdout.rstrip().endswith(" s")


def test_it_writes_the_contracts_tables(planned):
    assignments = (planned / "assignments.csv").read_text().splitlines()
    assert assignments[0] == ",".join(f'"{column}"' for column in ASSIGNMENT_COLUMNS)
    assert [line.split(",")[0] for line in assignments[1:]] == [
        '"P001"',
        '"P002"',
        '"P003"',
        '"P004"',
    ]
    physicians = (planned / "physicians.csv").read_text().splitlines()
    assert physicians[0] == ",".join(f'"{column}"' for column in PHYSICIAN_COLUMNS)
    # Group 1b's need of 2 comes first; group 2 takes the rest; D003 declined.
    assigned = [int(line.split(",")[5]) for line in physicians[1:]]
    assert assigned == [2, 2, 0]


def test_it_writes_the_summary_with_the_population_rates(data_dir, tmp_path):
    population = tmp_path / "population.csv"
    population.write_text("rls_id,population\n0111,2000\n")
    out = tmp_path / "plan"
    assert plan(data_dir, out, "--population", str(population)).exit_code == 0
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["run_date"] == RUN_DATE
    assert summary["by_rls"]["0111"]["registration_rate_after"] == round((1398 + 4) / 2000, 4)


def test_it_replaces_a_previous_plan(data_dir, planned):
    result = plan(data_dir, planned)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in planned.parent.iterdir()) == ["data", "plan"]


# --- errors: exit status 2, a message naming the place, nothing written ---------------------


def assert_nothing_written(tmp_path: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "population.csv") == ["data"]


def test_it_names_the_file_row_line_and_column_of_a_bad_cell(data_dir, tmp_path):
    waitlist = data_dir / "waitlist.csv"
    waitlist.write_text(WAITLIST.replace("48.47,-68.54,C", "48.47,-68.54,Z"))
    result = plan(data_dir, tmp_path / "plan")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: waitlist.csv, row 3 (line 4), column priority: "
        "expected one of A, B, C, D or E, got 'Z'\n"
    )
    assert_nothing_written(tmp_path)


def test_it_reports_a_bad_parameters_file(data_dir, tmp_path):
    params = tmp_path / "data" / "run.toml"
    params.write_text("max_distance_km = -5\n")
    result = plan(data_dir, tmp_path / "plan", "--params", str(params))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {params}: max_distance_km: ")
    assert_nothing_written(tmp_path)


def test_it_reports_a_bad_population_row(data_dir, tmp_path):
    population = tmp_path / "population.csv"
    population.write_text("rls_id,population\n0111,2000\n0112,many\n")
    result = plan(data_dir, tmp_path / "plan", "--population", str(population))
    assert result.exit_code == 2
    assert result.stderr == (
        "error: population.csv, row 2 (line 3), column population: "
        "expected a whole number of 0 or more, got 'many'\n"
    )
    assert_nothing_written(tmp_path)


def test_it_refuses_a_bad_run_date(data_dir, tmp_path):
    args = ["attribution", "plan", str(data_dir), "--out", str(tmp_path / "plan")]
    result = runner.invoke(app, [*args, "--run-date", "2026-02-30"])
    assert result.exit_code == 2
    assert "is not a date YYYY-MM-DD" in result.output
    assert_nothing_written(tmp_path)


def test_it_refuses_a_folder_that_is_not_a_plan(data_dir, tmp_path):
    result = plan(data_dir, data_dir)
    assert result.exit_code == 2
    assert "holds other files than a plan" in result.stderr
    assert sorted(p.name for p in data_dir.iterdir()) == ["physicians.csv", "waitlist.csv"]


# --- explain --------------------------------------------------------------------------------


def test_it_explains_a_patient_as_tables(planned):
    result = explain(planned, "--patient", "P001")
    assert result.exit_code == 0, result.output
    assert "Patient P001" in result.stdout
    assert "assigned" in result.stdout
    assert "D003" in result.stdout and "not_participating" in result.stdout


def test_it_explains_a_patient_as_json(planned):
    result = explain(planned, "--patient", "P004", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["patient_id"] == "P004" and data["priority"] == "E"
    assert data["assignment"]["physician_id"] in ("D001", "D002")
    outcomes = {row["physician_id"]: row["outcome"] for row in data["considered"]}
    assert outcomes["D003"] == "not_participating"
    assert outcomes[data["assignment"]["physician_id"]] == "assigned"


def test_it_explains_a_physician(planned):
    result = explain(planned, "--physician", "D001", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["group"], data["need"], data["assigned"]) == ("1b", 2, 2)
    assert data["why"]["limited_by"] == "need"
    table = explain(planned, "--physician", "D001")
    assert "Physician D001" in table.stdout and "need_filled" in table.stdout


def test_it_refuses_an_unknown_patient(planned):
    result = explain(planned, "--patient", "P404")
    assert result.exit_code == 2
    assert result.stderr == "error: no patient 'P404' among the plan's 4 orphans " + (
        "(a waiting-list patient the run left out is not in the plan)\n"
    )


def test_it_wants_a_patient_or_a_physician(planned):
    assert explain(planned).exit_code == 2
    assert explain(planned, "--patient", "P001", "--physician", "D001").exit_code == 2


def test_it_refuses_to_explain_a_folder_without_a_plan(data_dir):
    result = explain(data_dir, "--patient", "P001")
    assert result.exit_code == 2
    assert "not a plan folder" in result.stderr


# --- empty tables (issue 14) ------------------------------------------------------------------


def _header_only(text: str) -> str:
    return text.splitlines()[0] + "\n"


def test_it_refuses_a_roster_without_a_physician_naming_the_file(data_dir, tmp_path):
    (data_dir / "physicians.csv").write_text(_header_only(PHYSICIANS), encoding="utf-8")
    # A waiting-list row naming a previous physician: an IndexError in select_orphans before.
    (data_dir / "waitlist.csv").write_text(
        WAITLIST.replace("2026-01-10,,", "2026-01-10,,D001"), encoding="utf-8"
    )
    result = plan(data_dir, tmp_path / "plan")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: physicians.csv: the roster has no physician")
    assert "nobody to assign the orphans to" in result.stderr
    assert "Traceback" not in result.output
    assert_nothing_written(tmp_path)


def test_it_plans_nobody_from_an_empty_waiting_list_and_says_so(data_dir, tmp_path):
    (data_dir / "waitlist.csv").write_text(_header_only(WAITLIST), encoding="utf-8")
    result = plan(data_dir, tmp_path / "plan")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("0 orphans, 0 assigned, 0 unassigned; plan written to ")
    assert result.stderr == "warning: waitlist.csv has no patient: the plan assigns nobody\n"
    assignments = (tmp_path / "plan" / "assignments.csv").read_text().splitlines()
    assert len(assignments) == 1  # the header alone


def test_it_says_why_a_waiting_list_without_orphans_plans_nobody(data_dir, tmp_path):
    # Every patient is registered with D002, who is not leaving: none is an orphan.
    rows = WAITLIST.splitlines()
    (data_dir / "waitlist.csv").write_text(
        "\n".join([rows[0], *(row + "D002" for row in rows[1:])]) + "\n", encoding="utf-8"
    )
    result = plan(data_dir, tmp_path / "plan")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("0 orphans, 0 assigned")
    assert "no orphan among the 4 patients of waitlist.csv" in result.stderr


def test_it_writes_each_levels_proof_in_the_summary(planned):
    summary = json.loads((planned / "summary.json").read_text(encoding="utf-8"))
    assert summary["proven_optimal"] is True
    levels = {row["level"]: row for row in summary["optimality"]}
    in_flow = summary["assigned"] - summary["assigned_le304"]
    assert levels["placed ABCDE"]["value"] == levels["placed ABCDE"]["bound"] == in_flow == 4
    assert {row["gap"] for row in summary["optimality"]} == {0}


def test_it_says_when_a_time_limit_left_the_plan_unproven(data_dir, tmp_path, monkeypatch):
    # --milp-seconds reaches the engine; a solve it stopped leaves a gap, which the
    # command says on stderr and the summary records.
    import dataclasses

    from panelcare.attribution import solve

    seen: list[float | None] = []
    engine = solve.plan

    def stopped(*args, **kwargs):
        seen.append(kwargs.get("milp_seconds"))
        result = engine(*args, **kwargs)
        gap = solve.LevelBound("equity", 120.0, 100.0, maximize=False)
        return dataclasses.replace(result, bounds=(*result.bounds[:-2], gap, result.bounds[-1]))

    monkeypatch.setattr(solve, "plan", stopped)
    out = tmp_path / "plan"
    result = plan(data_dir, out, "--milp-seconds", "0.5")
    assert result.exit_code == 0, result.output
    assert seen == [0.5]
    assert "not proven optimal" in result.output
    assert "equity 120 (bound 100)" in result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["proven_optimal"] is False
