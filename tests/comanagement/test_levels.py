"""A GMF's level from its weighted patients, its entitled resources, and the table's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from panelcare.comanagement.errors import ComanagementError, LevelTableError
from panelcare.comanagement.levels import (
    Level,
    LevelTable,
    entitled_fte,
    level_for,
    level_table_from_mapping,
    load_level_table,
    weighted_patients,
)
from panelcare.errors import PanelcareError, SettingsError

WEIGHTS = {"standard": 1.0, "vulnerable": 2.0, "home_care": 12.0}


def table(
    *rows: tuple[int, float, dict[str, float]],
    weights: dict[str, float] = WEIGHTS,
    kinds: dict[str, frozenset[str]] | None = None,
) -> LevelTable:
    return LevelTable(
        version="test",
        levels=tuple(Level(level, minimum, fte) for level, minimum, fte in rows),
        weights=weights,
        kinds=kinds or {},
    )


THREE = table(
    (1, 6000, {"nurse_clinician": 1.0, "nursing_assistant": 0.5}),
    (2, 9000, {"nurse_clinician": 2.0, "nursing_assistant": 1.0}),
    (3, 12000, {"nurse_clinician": 3.0, "nursing_assistant": 1.0}),
    kinds={
        "gmf": frozenset({"nurse_clinician"}),
        "gmf_r": frozenset({"nurse_clinician", "nursing_assistant"}),
    },
)


def test_it_weighs_each_category():
    counts = {"standard": 5000, "vulnerable": 1000, "home_care": 10}
    assert weighted_patients(counts, WEIGHTS) == 5000 + 2000 + 120


def test_it_refuses_a_category_without_weight():
    with pytest.raises(LevelTableError, match="no weight for the category 'pregnancy'"):
        weighted_patients({"pregnancy": 3}, WEIGHTS)


def test_it_refuses_a_negative_count():
    with pytest.raises(LevelTableError, match="whole number >= 0"):
        weighted_patients({"standard": -1}, WEIGHTS)


@pytest.mark.parametrize(
    ("weighted", "level"),
    [
        (0, None),
        (5999.5, None),
        (6000, 1),  # a threshold belongs to its level
        (8999, 1),
        (9000, 2),
        (11999.99, 2),
        (12000, 3),
        (1_000_000, 3),  # the highest level has no upper bound
    ],
)
def test_it_finds_the_level_at_each_threshold(weighted, level):
    assert level_for(weighted, THREE) == level


def test_it_refuses_negative_weighted_patients():
    with pytest.raises(LevelTableError, match=">= 0"):
        level_for(-1, THREE)


def test_it_gives_the_level_s_fte():
    assert entitled_fte(2, THREE) == {"nurse_clinician": 2.0, "nursing_assistant": 1.0}


def test_it_gives_nothing_without_a_level():
    assert entitled_fte(None, THREE) == {"nurse_clinician": 0.0, "nursing_assistant": 0.0}


def test_it_gives_no_nursing_assistant_to_a_plain_gmf():
    assert entitled_fte(2, THREE, kind="gmf") == {"nurse_clinician": 2.0, "nursing_assistant": 0.0}
    assert entitled_fte(2, THREE, kind="gmf_r") == {
        "nurse_clinician": 2.0,
        "nursing_assistant": 1.0,
    }


def test_it_refuses_a_level_or_kind_not_in_the_table():
    with pytest.raises(LevelTableError, match="no level 4 \\(it has 1 to 3\\)"):
        entitled_fte(4, THREE)
    with pytest.raises(LevelTableError, match="no GMF kind 'gmf_u'"):
        entitled_fte(1, THREE, kind="gmf_u")


@pytest.mark.parametrize(
    ("rows", "key", "message"),
    [
        ((), "levels", "no level"),
        (((1, 6000, {"n": 1.0}), (2, 6000, {"n": 2.0})), "levels[1].min_weighted", "overlap"),
        (((1, 9000, {"n": 1.0}), (2, 6000, {"n": 2.0})), "levels[1].min_weighted", "overlap"),
        (((1, 6000, {"n": 1.0}), (3, 9000, {"n": 2.0})), "levels[1].level", "skipped"),
        (((1, 6000, {"n": 1.0}), (1, 9000, {"n": 2.0})), "levels[1].level", "repeated"),
        (((0, 6000, {"n": 1.0}),), "levels[0].level", "from 1"),
        (((1, -1, {"n": 1.0}),), "levels[0].min_weighted", ">= 0"),
        (((1, 6000, {"n": -0.5}),), "levels[0].fte.n", ">= 0"),
        (((1, 6000, {"n": 1.0}), (2, 9000, {"m": 1.0})), "levels[1].fte", "missing n"),
        (((1, 6000, {}),), "levels[0].fte", "no professional type"),
    ],
)
def test_it_refuses_an_ill_formed_table(rows, key, message):
    with pytest.raises(LevelTableError, match=message) as caught:
        table(*rows)
    assert caught.value.key == key


def test_it_refuses_a_negative_weight_and_a_kind_of_unknown_type():
    with pytest.raises(LevelTableError, match=">= 0") as caught:
        table((1, 6000, {"n": 1.0}), weights={"standard": -1.0})
    assert caught.value.key == "weights.standard"
    with pytest.raises(LevelTableError, match="unknown professional type 'x'"):
        table((1, 6000, {"n": 1.0}), kinds={"gmf": frozenset({"x"})})


def test_its_errors_are_the_project_s():
    assert issubclass(LevelTableError, ComanagementError)
    assert issubclass(LevelTableError, SettingsError)
    assert issubclass(ComanagementError, PanelcareError)


def test_it_ships_an_illustrative_demo_table():
    demo = load_level_table()
    assert demo.illustrative is True
    assert demo.source == "demo_levels.toml"
    assert [row.level for row in demo.levels] == list(range(1, 10))
    # Research notes A1: bands of 3,000 weighted registrations, level 1 from 6,000.
    assert [row.min_weighted for row in demo.levels] == [6000 + 3000 * i for i in range(9)]
    # Le Médecin du Québec 2015, Table II: 12 for home care with loss of autonomy, 2, 3.
    assert demo.weights["home_care_loss_of_autonomy"] == 12
    assert demo.weights["vulnerable"] == demo.weights["deprived"] == 2
    assert demo.weights["pregnancy"] == demo.weights["delivery"] == 3
    assert "nursing_assistant" not in demo.kinds["gmf"]
    assert "nursing_assistant" in demo.kinds["gmf_r"]


def test_it_takes_a_gmf_from_its_patients_to_its_resources_with_the_demo_table():
    demo = load_level_table()
    weighted = weighted_patients({"standard": 8000, "vulnerable": 1200}, demo.weights)
    assert weighted == 10_400
    assert level_for(weighted, demo) == 2
    fte = entitled_fte(2, demo, kind="gmf")
    assert fte["nurse_clinician"] > 0
    assert fte["nursing_assistant"] == 0


def test_it_reads_a_user_file_and_names_it_in_errors(tmp_path: Path):
    path = tmp_path / "levels.toml"
    path.write_text(
        'version = "2026"\n[weights]\nstandard = 1\n'
        "[[levels]]\nlevel = 1\nmin_weighted = 500\nfte = { nurse_clinician = 1 }\n"
        "[[levels]]\nlevel = 2\nmin_weighted = 400\nfte = { nurse_clinician = 2 }\n",
        encoding="utf-8",
    )
    with pytest.raises(LevelTableError) as caught:
        load_level_table(path)
    assert str(caught.value).startswith(f"{path}: levels[1].min_weighted: level 2 starts at 400")


def test_it_refuses_an_unknown_key_a_missing_key_and_bad_toml(tmp_path: Path):
    with pytest.raises(LevelTableError, match="unknown key") as caught:
        level_table_from_mapping({"version": "x", "weights": {}, "levels": [], "level": 1})
    assert caught.value.key == "level"
    with pytest.raises(LevelTableError, match="missing") as caught:
        level_table_from_mapping({"version": "x", "weights": {"standard": 1}})
    assert caught.value.key == "levels"
    path = tmp_path / "bad.toml"
    path.write_text("version = \n", encoding="utf-8")
    with pytest.raises(LevelTableError, match="not valid TOML"):
        load_level_table(path)
    with pytest.raises(LevelTableError, match="cannot read"):
        load_level_table(tmp_path / "absent.toml")


def test_it_builds_the_same_table_from_a_mapping_as_from_memory():
    built = level_table_from_mapping(
        {
            "version": "test",
            "weights": WEIGHTS,
            "levels": [{"level": 1, "min_weighted": 6000, "fte": {"n": 1}}],
        }
    )
    assert built == table((1, 6000.0, {"n": 1.0}))
