"""Targets set by the CML (``target_overrides``): read and checked from the run's TOML,
written back, applied by ``groups.targets``, and reproduced from a plan's folder."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from builders import orphans, physicians

from panelcare.attribution.groups import targets
from panelcare.attribution.params import AttributionParamsError, Params, dump_params, load_params
from panelcare.attribution.solve import plan
from panelcare.attribution.store import read_plan, write_plan

RUN = datetime.date(2026, 3, 1)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_it_has_no_override_by_default():
    assert load_params().target_overrides == {}


def test_it_reads_target_overrides_as_a_table(tmp_path):
    loaded = load_params(write(tmp_path, '[target_overrides]\nD001 = 450\n"0042" = 0\n'))
    assert dict(loaded.target_overrides) == {"D001": 450, "0042": 0}
    assert isinstance(loaded.target_overrides["D001"], int)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("target_overrides = 3\n", "target_overrides", "a table of physician_id = target"),
        ("[target_overrides]\nD001 = -1\n", "target_overrides.D001", "at least 0, got -1"),
        ("[target_overrides]\nD001 = 400.0\n", "target_overrides.D001", "got 400.0"),
        ("[target_overrides]\nD001 = true\n", "target_overrides.D001", "got True"),
        ('[target_overrides]\nD001 = "400"\n', "target_overrides.D001", "got '400'"),
        ('[target_overrides]\n" " = 400\n', 'target_overrides." "', "must not be empty"),
    ],
)
def test_it_refuses_a_wrong_override_naming_file_and_key(tmp_path, text, key, message):
    with pytest.raises(AttributionParamsError) as caught:
        load_params(write(tmp_path, text))
    assert caught.value.file == str(tmp_path / "run.toml")
    assert caught.value.key == key
    assert message in str(caught.value)


def test_it_dumps_overrides_that_read_back_equal(tmp_path):
    params = Params(
        category_weights={"home_care": 2.0},
        target_overrides={"D001": 450, "0042": 0, "Dr Côté": 300},
    )
    text = dump_params(params)
    assert "[target_overrides]\n" in text
    assert '"Dr Côté" = 300\n' in text
    assert load_params(write(tmp_path, text)) == params


def test_it_replaces_the_target_and_recomputes_the_need():
    doctors = physicians(
        {"registered": 300},  # group 1b, target 500 by the rule
        {"registered": 300},
        {"registered": 600},  # group 2, target 750 by the rule
    )
    params = Params(target_overrides={"D001": 380, "D003": 600})
    goals = targets(doctors, params, RUN)
    assert goals.target.tolist() == [380, 500, 600]
    assert goals.need.tolist() == [80, 200, 0]
    assert goals.capacity.tolist() == [80, 200, 0]
    assert goals.group.tolist() == ["1b", "1b", "2"]  # the group stays the rule's
    assert "target_set_by_cml" in goals.reasons[0].split(";")
    assert "target_set_by_cml" not in goals.reasons[1].split(";")
    assert goals.reasons[2] == "group_2;target_set_by_cml;target_reached"


def test_it_leaves_a_physician_who_does_not_take_part_out():
    doctors = physicians({"registered": 300, "mode": "none"}, {"registered": 300})
    goals = targets(doctors, Params(target_overrides={"D001": 450, "D999": 10}), RUN)
    assert goals.target.tolist() == [0, 500]
    assert goals.group.tolist() == ["none", "1b"]
    assert "target_set_by_cml" not in goals.reasons[0]


def test_it_still_caps_an_override_in_a_shortage():
    doctors = physicians({"registered": 400, "other_units": 2.0})  # room for 100 at 3 units
    goals = targets(doctors, Params(shortage=True, target_overrides={"D001": 700}), RUN)
    assert goals.target.tolist() == [700]
    assert goals.need.tolist() == [300]
    assert goals.capacity.tolist() == [100]
    assert goals.reasons[0].split(";")[-2:] == ["target_set_by_cml", "shortage_capped"]


def test_it_plans_with_the_override_and_reads_it_back_from_the_folder(tmp_path):
    doctors = physicians({"registered": 495}, {"registered": 495})
    waiting = orphans(*({} for _ in range(8)))
    before = plan(doctors, waiting, Params(), RUN, workers=1)
    assert before.assigned_count().tolist() == [4, 4]  # equity: as equal as possible
    adjusted = plan(doctors, waiting, Params(target_overrides={"D002": 497}), RUN, workers=1)
    assert adjusted.assigned_count().tolist() == [5, 2]
    assert adjusted.targets.target.tolist() == [500, 497]

    write_plan(adjusted, tmp_path / "plan")
    read = read_plan(tmp_path / "plan")
    assert read.params.target_overrides == {"D002": 497}
    assert read.targets.target.tolist() == [500, 497]
    assert read.targets.reasons.tolist() == adjusted.targets.reasons.tolist()
    assert read.physician_of.tolist() == adjusted.physician_of.tolist()
