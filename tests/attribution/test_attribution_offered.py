"""Targets the physicians' own offers set (``offered_targets``, issue 19): read and checked
from the run's TOML, written back, applied by ``groups.targets`` under the CML's
``target_overrides``, and reproduced from a plan's folder."""

from __future__ import annotations

import pytest
from builders import orphans, physicians
from test_attribution_overrides import RUN, write

from panelcare.attribution.groups import targets
from panelcare.attribution.params import AttributionParamsError, Params, dump_params, load_params
from panelcare.attribution.solve import plan
from panelcare.attribution.store import read_plan, write_plan


def test_it_has_no_offer_by_default():
    assert load_params().offered_targets == {}


def test_it_dumps_offers_and_overrides_that_read_back_equal(tmp_path):
    params = Params(target_overrides={"D001": 450}, offered_targets={"D001": 300, "D002": 520})
    text = dump_params(params)
    assert "[offered_targets]\nD001 = 300\nD002 = 520\n" in text
    assert load_params(write(tmp_path, text)) == params


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("offered_targets = 3\n", "offered_targets", "a table of physician_id = target"),
        ("[offered_targets]\nD001 = -1\n", "offered_targets.D001", "at least 0, got -1"),
        ("[offered_targets]\nD001 = 1.5\n", "offered_targets.D001", "got 1.5"),
    ],
)
def test_it_refuses_a_wrong_offer_naming_file_and_key(tmp_path, text, key, message):
    with pytest.raises(AttributionParamsError) as caught:
        load_params(write(tmp_path, text))
    assert caught.value.key == key
    assert message in str(caught.value)


def test_it_sets_the_target_from_the_offer_down_or_up():
    doctors = physicians({"registered": 300}, {"registered": 300}, {"registered": 600})
    goals = targets(doctors, Params(offered_targets={"D001": 320, "D003": 900}), RUN)
    assert goals.target.tolist() == [320, 500, 900]
    assert goals.need.tolist() == [20, 200, 300]
    assert goals.group.tolist() == ["1b", "1b", "2"]  # the group stays the rule's
    assert goals.reasons[0].split(";")[-1] == "target_offered"
    assert "target_offered" not in goals.reasons[1]
    assert goals.reasons[2] == "group_2;target_offered"


def test_it_lets_the_cmls_override_win_over_the_offer():
    doctors = physicians({"registered": 300})
    params = Params(offered_targets={"D001": 320}, target_overrides={"D001": 450})
    goals = targets(doctors, params, RUN)
    assert goals.target.tolist() == [450]
    reasons = goals.reasons[0].split(";")
    assert "target_set_by_cml" in reasons and "target_offered" not in reasons


def test_it_leaves_a_physician_who_does_not_take_part_out_whatever_they_offered():
    doctors = physicians({"registered": 300, "mode": "none"})
    goals = targets(doctors, Params(offered_targets={"D001": 450}), RUN)
    assert goals.target.tolist() == [0]
    assert "target_offered" not in goals.reasons[0]


def test_it_plans_with_the_offer_and_reads_it_back_from_the_folder(tmp_path):
    doctors = physicians({"registered": 495}, {"registered": 495})
    waiting = orphans(*({} for _ in range(8)))
    offered = plan(doctors, waiting, Params(offered_targets={"D002": 497}), RUN, workers=1)
    assert offered.assigned_count().tolist() == [5, 2]
    write_plan(offered, tmp_path / "plan")
    read = read_plan(tmp_path / "plan")
    assert read.params.offered_targets == {"D002": 497}
    assert read.targets.reasons.tolist() == offered.targets.reasons.tolist()
    assert read.physician_of.tolist() == offered.physician_of.tolist()
