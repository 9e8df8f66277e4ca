"""Run parameters (panelcare.attribution.params): the packaged defaults, a user's file or a
mapping over them, every value checked with the file and key named, and the dump read back
equal."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from panelcare.attribution import params as params_module
from panelcare.attribution.params import (
    MAPPING_SOURCE,
    AttributionParamsError,
    Params,
    dump_params,
    load_params,
    params_as_dict,
    params_from_mapping,
)
from panelcare.errors import PanelcareError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> AttributionParamsError:
    with pytest.raises(AttributionParamsError) as caught:
        load_params(write(tmp_path, text))
    return caught.value


def test_it_reads_the_spec_defaults_without_a_file():
    assert load_params() == Params()


def test_it_ships_a_defaults_file_naming_every_field_but_the_optional_ones():
    # The packaged file is the documentation users copy: every key is there, the two that
    # are off by default as comments.
    text = (Path(params_module.__file__).parent / "default_params.toml").read_text("utf-8")
    written = set(tomllib.loads(text))
    names = {spec.name for spec in dataclasses.fields(Params)}
    assert written == names - {"exclude_below", "yearly_cap_after_4_years"}
    assert "# exclude_below = 25" in text
    assert "# yearly_cap_after_4_years =" in text


def test_it_checks_every_field_of_params():
    assert list(params_module._CHECKERS) == [spec.name for spec in dataclasses.fields(Params)]


def test_it_keeps_the_defaults_a_file_does_not_set(tmp_path):
    loaded = load_params(write(tmp_path, "shortage = true\ngroup2_target = 1000\n"))
    assert loaded.shortage is True
    assert loaded.group2_target == 1000
    assert dataclasses.replace(loaded, shortage=False, group2_target=750) == Params()


def test_it_reads_the_optional_thresholds_when_set(tmp_path):
    loaded = load_params(write(tmp_path, "exclude_below = 25\nyearly_cap_after_4_years = 300\n"))
    assert loaded.exclude_below == 25
    assert loaded.yearly_cap_after_4_years == 300
    assert load_params().exclude_below is None


def test_it_reads_category_weights_as_a_table(tmp_path):
    loaded = load_params(write(tmp_path, "[category_weights]\nhome_care = 2\ndetention = 1.5\n"))
    assert dict(loaded.category_weights) == {"home_care": 2.0, "detention": 1.5}
    assert isinstance(loaded.category_weights["home_care"], float)


def test_it_reads_a_whole_number_for_a_float_parameter(tmp_path):
    loaded = load_params(write(tmp_path, "max_distance_km = 30\n"))
    assert loaded.max_distance_km == 30.0
    assert isinstance(loaded.max_distance_km, float)


def test_it_refuses_an_unknown_key_naming_file_and_key(tmp_path):
    error = refused(tmp_path, "group2_targets = 1000\n")
    assert isinstance(error, PanelcareError)
    assert error.file == str(tmp_path / "run.toml")
    assert error.key == "group2_targets"
    assert "unknown key" in str(error)
    assert "group2_target," in str(error)  # the known keys are listed
    assert str(error).startswith(f"{tmp_path / 'run.toml'}: group2_targets: ")


@pytest.mark.parametrize(
    ("line", "key", "message"),
    [
        ("group1_threshold = 0", "group1_threshold", "a positive whole number, got 0"),
        ('group1_threshold = "500"', "group1_threshold", "a positive whole number, got '500'"),
        ("group1_threshold = 500.0", "group1_threshold", "a positive whole number"),
        ("stratum = true", "stratum", "a positive whole number, got True"),
        ("exclude_below = -25", "exclude_below", "a positive whole number, got -25"),
        ("vulnerable_cap = 1.0", "vulnerable_cap", "a number in (0, 1), got 1.0"),
        ("vulnerable_cap = 0", "vulnerable_cap", "a number in (0, 1), got 0"),
        ("full_workload_units = 0", "full_workload_units", "a number above 0"),
        ("patients_per_unit = 0", "patients_per_unit", "a positive whole number"),
        ("shortage = 1", "shortage", "true or false, got 1"),
        ("cross_rls = 'no'", "cross_rls", "true or false"),
        ("max_distance_km = 0", "max_distance_km", "a number above 0, got 0"),
        ("max_distance_km = nan", "max_distance_km", "a number above 0, got nan"),
        ("max_distance_km = inf", "max_distance_km", "a number above 0, got inf"),
        ("period_months = 0", "period_months", "a whole number from 1 to 60, got 0"),
        ("period_months = 61", "period_months", "a whole number from 1 to 60, got 61"),
        ("include_later_departures = 'yes'", "include_later_departures", "true or false"),
        ("yearly_cap_after_4_years = 0", "yearly_cap_after_4_years", "a positive whole number"),
        ("le304_min_block = 0", "le304_min_block", "a positive whole number"),
        ("le304_min_assiduity = 1.5", "le304_min_assiduity", "a number in [0, 1], got 1.5"),
        ("le304_min_assiduity = -0.1", "le304_min_assiduity", "a number in [0, 1]"),
        ("candidates_per_patient = 101", "candidates_per_patient", "from 1 to 100, got 101"),
        ("candidates_per_patient = 0", "candidates_per_patient", "from 1 to 100, got 0"),
        ("category_weights = 2", "category_weights", "a table of category = weight"),
        (
            "category_weights = { home_care = 0.5 }",
            "category_weights.home_care",
            "a number >= 1, got 0.5",
        ),
        (
            'category_weights = { "soins à domicile" = "2" }',
            'category_weights."soins à domicile"',
            "a number >= 1, got '2'",
        ),
    ],
)
def test_it_refuses_a_wrong_value_naming_file_and_key(tmp_path, line, key, message):
    error = refused(tmp_path, line + "\n")
    assert error.key == key
    assert error.file == str(tmp_path / "run.toml")
    assert message in str(error)


def test_it_refuses_a_group2_target_off_the_strata(tmp_path):
    error = refused(tmp_path, "group2_target = 800\n")
    assert error.key == "group2_target"
    assert "must be a multiple of stratum (250), got 800" in str(error)


def test_it_checks_the_default_group2_target_against_a_new_stratum(tmp_path):
    error = refused(tmp_path, "stratum = 300\n")
    assert error.key == "group2_target"
    assert "multiple of stratum (300), got 750" in str(error)


def test_it_refuses_a_group2_target_not_above_the_group1_threshold(tmp_path):
    error = refused(tmp_path, "group1_threshold = 750\n")
    assert error.key == "group2_target"
    assert "above group1_threshold (750), got 750" in str(error)


def test_it_refuses_an_exclusion_threshold_that_would_empty_group_1b(tmp_path):
    error = refused(tmp_path, "exclude_below = 500\n")
    assert error.key == "exclude_below"
    assert "below group1_threshold (500), got 500" in str(error)
    assert load_params(write(tmp_path, "exclude_below = 499\n")).exclude_below == 499


def test_it_names_a_file_that_is_not_toml(tmp_path):
    error = refused(tmp_path, "shortage = \n")
    assert error.file == str(tmp_path / "run.toml")
    assert error.key is None
    assert "not valid TOML" in str(error)


def test_it_names_a_file_it_cannot_read(tmp_path):
    missing = tmp_path / "absent.toml"
    with pytest.raises(AttributionParamsError) as caught:
        load_params(missing)
    assert caught.value.file == str(missing)
    assert "cannot read the parameters file" in str(caught.value)


def test_it_dumps_parameters_that_read_back_equal(tmp_path):
    params = Params(
        exclude_below=25,
        group2_target=1000,
        vulnerable_cap=0.4,
        shortage=True,
        max_distance_km=32.5,
        category_weights={"home_care": 2.0, 'soins "lourds" à domicile': 1.5},
        period_months=6,
    )
    text = dump_params(params)
    assert load_params(write(tmp_path, text)) == params
    assert "exclude_below = 25\n" in text
    assert "# yearly_cap_after_4_years: off\n" in text
    assert "vulnerable_cap = 0.4\n" in text
    assert "shortage = true\n" in text


def test_it_dumps_every_field():
    text = dump_params(Params())
    for spec in dataclasses.fields(Params):
        assert spec.name in text
    assert tomllib.loads(text)["category_weights"] == {}


# --------------------------------------------------------------------------- in memory


def test_it_reads_a_mapping_over_the_defaults():
    loaded = params_from_mapping({"shortage": True, "group2_target": 1000})
    assert (loaded.shortage, loaded.group2_target) == (True, 1000)
    assert dataclasses.replace(loaded, shortage=False, group2_target=750) == Params()
    assert params_from_mapping({}) == load_params()


def test_it_keeps_the_default_of_a_key_set_to_none():
    loaded = params_from_mapping({"exclude_below": None, "group1_threshold": None})
    assert loaded.exclude_below is None and loaded.group1_threshold == 500


def test_it_reads_tables_from_any_mapping():
    loaded = params_from_mapping(
        {"category_weights": {"home_care": 2}, "target_overrides": {"D0042": 400}}
    )
    assert dict(loaded.category_weights) == {"home_care": 2.0}
    assert isinstance(loaded.category_weights["home_care"], float)
    assert dict(loaded.target_overrides) == {"D0042": 400}


@pytest.mark.parametrize(
    ("line", "values"),
    [
        ("group2_targets = 1000", {"group2_targets": 1000}),
        ('group1_threshold = "500"', {"group1_threshold": "500"}),
        ("group2_target = 800", {"group2_target": 800}),
        ("vulnerable_cap = 1.0", {"vulnerable_cap": 1.0}),
        ("shortage = 1", {"shortage": 1}),
        ("category_weights = 2", {"category_weights": 2}),
        (
            'category_weights = { "soins à domicile" = "2" }',
            {"category_weights": {"soins à domicile": "2"}},
        ),
        ("target_overrides = { D0042 = -1 }", {"target_overrides": {"D0042": -1}}),
        ("exclude_below = 500", {"exclude_below": 500}),
    ],
)
def test_it_refuses_a_mapping_as_it_refuses_the_same_file(tmp_path, line, values):
    from_file = refused(tmp_path, line + "\n")
    with pytest.raises(AttributionParamsError) as caught:
        params_from_mapping(values)
    assert caught.value.file == MAPPING_SOURCE == "parameters"
    assert (caught.value.key, caught.value.message) == (from_file.key, from_file.message)


def test_it_names_the_source_it_is_given():
    with pytest.raises(AttributionParamsError) as caught:
        params_from_mapping({"stratum": 0}, source="run 42")
    assert str(caught.value).startswith("run 42: stratum: must be a positive whole number")


def test_it_refuses_a_table_key_that_is_not_text():
    with pytest.raises(AttributionParamsError) as caught:
        params_from_mapping({"target_overrides": {42: 400}})
    assert caught.value.key == "target_overrides.42"


def test_it_refuses_values_that_are_not_a_mapping():
    with pytest.raises(AttributionParamsError, match="expected a mapping"):
        params_from_mapping([("stratum", 250)])  # type: ignore[arg-type]


def test_it_turns_parameters_into_json_ready_data_and_back():
    params = Params(exclude_below=25, category_weights={"home_care": 2.0}, shortage=True)
    values = params_as_dict(params)
    assert list(values) == [spec.name for spec in dataclasses.fields(Params)]
    assert values["yearly_cap_after_4_years"] is None
    assert type(values["category_weights"]) is dict
    assert params_from_mapping(values) == params
