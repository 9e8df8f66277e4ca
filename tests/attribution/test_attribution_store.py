"""A plan's folder (panelcare.attribution.store): written all or nothing, replaced by a
re-run, read back as the same plan."""

from __future__ import annotations

import json

import numpy as np
import pytest
from attribution_plans import RUN, make_plan
from builders import orphans, physicians

from panelcare import synth
from panelcare.attribution import store
from panelcare.attribution.io import read_inputs
from panelcare.attribution.params import Params
from panelcare.attribution.solve import plan as solve_plan
from panelcare.attribution.store import PLAN_FILES, read_plan, read_plan_patients, write_plan
from panelcare.errors import PanelcareError


def awkward_plan(run_date=RUN):
    """Every empty value the contract allows, ids with leading zeros, a plan with an LE 304
    placement, an unassigned orphan and a lowered vulnerable quota."""
    doctors = physicians(
        {"physician_id": "0042", "name": "Dre Hélène Côté", "amp_target": 250, "registered": 10},
        {"physician_id": "0043", "previous_assiduity": 0.8, "departing_on": "2027-03-01"},
        {"physician_id": "0044", "mode": "le304", "previous_assiduity": 0.9},
    )
    waiting = orphans(
        {"patient_id": "007", "category": "home_care", "vulnerable": True},
        {"patient_id": "008", "previous_physician_id": "0043", "priority": "A"},
        {"patient_id": "009", "requested_on": "2024-02-29"},
    )
    return make_plan(
        doctors,
        waiting,
        [0, 2, -1],
        params=Params(category_weights={"home_care": 2.0}, cross_rls=True),
        run_date=run_date,
        le304=[False, True, False],
        vulnerable_quota=[3, 0, 7],
    )


def assert_same_plan(read, written):
    for name in ("physicians", "orphans"):
        a, b = getattr(read, name), getattr(written, name)
        for field in a.__dataclass_fields__:
            left, right = getattr(a, field), getattr(b, field)
            assert left.dtype == right.dtype or left.dtype.kind == right.dtype.kind, field
            if left.dtype.kind == "f":
                np.testing.assert_array_equal(left, right, err_msg=field)  # nan == nan here
            else:
                assert left.tolist() == right.tolist(), field
    for field in ("physician_of", "le304", "month", "vulnerable_quota", "monthly_pace"):
        assert getattr(read, field).tolist() == getattr(written, field).tolist(), field
    np.testing.assert_array_equal(read.distance_km, written.distance_km)
    assert read.params == written.params
    assert read.run_date == written.run_date
    assert read.targets.reasons.tolist() == written.targets.reasons.tolist()
    assert read.candidates.start.tolist() == written.candidates.start.tolist()
    assert read.candidates.place.tolist() == written.candidates.place.tolist()


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """A real plan: the tiny synthetic region, solved."""
    data = tmp_path_factory.mktemp("tiny") / "data"
    synth.write_dataset(data, scale="tiny")
    doctors, waiting = read_inputs(data)
    return solve_plan(doctors, waiting, Params(), synth.DEFAULT_AS_OF)


def test_it_writes_every_file_of_a_plan(tmp_path):
    out = tmp_path / "plan"
    write_plan(awkward_plan(), out)
    assert all((out / name).is_file() for name in PLAN_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]  # nothing else left


def test_it_writes_json_indented_and_unescaped(tmp_path):
    out = tmp_path / "plan"
    write_plan(awkward_plan(), out)
    text = (out / "letters.json").read_text("utf-8")
    assert "Dre Hélène Côté" in text
    assert text.startswith('[\n  {\n    "physician_id": "0042"')


def test_it_reads_back_the_plan_it_wrote(tmp_path):
    written = awkward_plan()
    write_plan(written, tmp_path / "plan")
    assert_same_plan(read_plan(tmp_path / "plan"), written)


def test_it_reads_back_a_solved_plan(solved, tmp_path):
    write_plan(solved, tmp_path / "plan")
    assert_same_plan(read_plan(tmp_path / "plan"), solved)


def test_it_puts_the_population_rates_in_the_summary(tmp_path):
    write_plan(awkward_plan(), tmp_path / "plan", population={"0111": 1000})
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text("utf-8"))
    assert summary["by_rls"]["0111"]["population"] == 1000
    assert summary["by_rls"]["0111"]["registration_rate_before"] is not None


def test_it_leaves_no_folder_when_writing_fails(tmp_path, monkeypatch):
    def broken(plan):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store.outputs, "letters", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_plan(awkward_plan(), tmp_path / "plan")
    assert list(tmp_path.iterdir()) == []


def test_it_keeps_the_previous_plan_when_writing_fails(tmp_path, monkeypatch):
    out = tmp_path / "plan"
    write_plan(awkward_plan(), out)
    before = (out / "summary.json").read_text("utf-8")

    def broken(plan, population=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.outputs, "summary", broken)
    with pytest.raises(PanelcareError, match="No space left on device"):
        write_plan(awkward_plan(run_date=RUN.replace(day=20)), out)
    assert (out / "summary.json").read_text("utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_it_replaces_a_previous_plan(tmp_path):
    out = tmp_path / "plan"
    write_plan(awkward_plan(), out)
    (out / "stale.txt").write_text("from the first run")
    write_plan(awkward_plan(run_date=RUN.replace(day=20)), out)
    assert json.loads((out / "summary.json").read_text("utf-8"))["run_date"] == "2026-11-20"
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_it_fills_an_empty_folder(tmp_path):
    out = tmp_path / "plan"
    out.mkdir()
    write_plan(awkward_plan(), out)
    assert (out / "summary.json").is_file()


def test_it_gives_the_folder_the_mode_of_a_new_folder(tmp_path):
    (tmp_path / "probe").mkdir()
    write_plan(awkward_plan(), tmp_path / "plan")
    assert (tmp_path / "plan").stat().st_mode == (tmp_path / "probe").stat().st_mode


def test_it_refuses_a_folder_holding_other_files(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    with pytest.raises(PanelcareError, match="holds other files than a plan"):
        write_plan(awkward_plan(), out)
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_it_refuses_a_missing_parent_folder(tmp_path):
    with pytest.raises(PanelcareError, match="does not exist"):
        write_plan(awkward_plan(), tmp_path / "nowhere" / "plan")


def test_it_refuses_to_read_a_folder_without_a_plan(tmp_path):
    with pytest.raises(PanelcareError, match="not a plan folder"):
        read_plan(tmp_path)


def test_it_refuses_to_read_a_plan_whose_files_disagree(tmp_path):
    out = tmp_path / "plan"
    write_plan(awkward_plan(), out)
    assignments = out / "assignments.csv"
    assignments.write_text(assignments.read_text().replace('"008"', '"018"'))
    with pytest.raises(PanelcareError, match="does not match the saved inputs"):
        read_plan(out)


# --------------------------------------------------------------------------- patients


def test_it_reads_the_plans_patients_in_waiting_list_order(tmp_path):
    # 008 is priority A; 007 and 009 are C, 009 asked first (2024 before 2025).
    write_plan(awkward_plan(), tmp_path / "plan")
    table = read_plan_patients(tmp_path / "plan")
    assert table.column("patient_id").to_pylist() == ["008", "009", "007"]
    assert table.column("priority").to_pylist() == ["A", "C", "C"]
    assert table.column("physician_id").to_pylist() == ["0044", None, "0042"]
    assert table.column("le304").to_pylist() == [True, False, False]
    assert table.column("month").to_pylist()[1] is None


def test_it_reads_one_physicians_patients_or_the_unassigned_ones(tmp_path):
    write_plan(awkward_plan(), tmp_path / "plan")
    mine = read_plan_patients(tmp_path / "plan", physician_id="0042")
    assert mine.column("patient_id").to_pylist() == ["007"]
    unassigned = read_plan_patients(tmp_path / "plan", unassigned=True)
    assert unassigned.column("patient_id").to_pylist() == ["009"]


def test_it_names_a_plan_folder_without_its_patients(tmp_path):
    with pytest.raises(PanelcareError, match=r"orphans\.parquet: cannot read it"):
        read_plan_patients(tmp_path)
