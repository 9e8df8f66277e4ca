"""The rules file: shipped values, a user's overrides and new years, and clear errors."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

import panelcare.assiduity as assiduity
from panelcare.assiduity import AssiduityRulesError, Scale, load_rules
from panelcare.errors import PanelcareError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my_rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_it_ships_the_values_of_the_infolettre():
    rules = load_rules()
    assert rules.eligible_settings == {
        "cabinet",
        "domicile",
        "clsc",
        "umf",
        "gmf",
        "gmf_r",
        "gmf_u",
        "clinique_reseau",
        "urgence_ch",
        "urgence_clsc",
    }
    assert rules.eligible_provider_kinds == {"physician", "ips"}
    assert rules.er_settings == {"urgence_ch", "urgence_clsc"}
    assert rules.er_excluded_triage == {"P1", "P2", "P3"}
    assert rules.excluded_billing_codes == {
        "09900",
        "09901",
        "09800",
        "09801",
        "00013",
        "00014",
        "15264",
    }
    assert rules.excluded_billing_ranges == (("98000", "98012"),)
    assert rules.gmf_r_threshold == 18_000
    assert rules.review_margin == 0.03
    assert rules.scales == {2017: Scale(0.75, 0.70, 0.65), 2018: Scale(0.80, 0.75, 0.70)}


def test_it_uses_the_latest_earlier_scale_for_a_later_year():
    rules = load_rules()
    assert rules.scale_for(2017) == Scale(0.75, 0.70, 0.65)
    assert rules.scale_for(2018) == Scale(0.80, 0.75, 0.70)
    assert rules.scale_for(2031) == Scale(0.80, 0.75, 0.70)


def test_it_refuses_a_year_before_the_first_scale():
    with pytest.raises(AssiduityRulesError, match="no progression scale for 2016"):
        load_rules().scale_for(2016)


def test_it_adds_a_year_from_a_user_file(tmp_path):
    path = write(tmp_path, "[scale.2026]\nfull = 0.85\nthree_quarters = 0.80\nhalf = 0.75\n")
    rules = load_rules(path)
    assert rules.scale_for(2026) == Scale(0.85, 0.80, 0.75)
    assert rules.scale_for(2030) == Scale(0.85, 0.80, 0.75)
    assert rules.scale_for(2025) == Scale(0.80, 0.75, 0.70)
    assert rules.gmf_r_threshold == 18_000


def test_it_overrides_one_key_and_keeps_the_others(tmp_path):
    rules = load_rules(write(tmp_path, "gmf_r_threshold = 20000\n"))
    assert rules.gmf_r_threshold == 20_000
    assert rules.excluded_billing_codes == load_rules().excluded_billing_codes


def test_it_overrides_one_band_of_a_shipped_year(tmp_path):
    rules = load_rules(write(tmp_path, "[scale.2018]\nfull = 0.82\n"))
    assert rules.scale_for(2018) == Scale(0.82, 0.75, 0.70)


def test_it_replaces_a_list_rather_than_extending_it(tmp_path):
    rules = load_rules(write(tmp_path, 'excluded_billing_codes = ["12345"]\n'))
    assert rules.excluded_billing_codes == {"12345"}


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (
            "[scale.2026]\nfull = 1.5\nthree_quarters = 0.8\nhalf = 0.7\n",
            "scale.2026.full",
            "(0, 1]",
        ),
        ("[scale.2026]\nfull = 0\nthree_quarters = 0\nhalf = 0\n", "scale.2026.full", "(0, 1]"),
        ("[scale.2026]\nfull = 0.7\nthree_quarters = 0.8\nhalf = 0.6\n", "scale.2026", ">="),
        ("[scale.2026]\nfull = 0.9\nthree_quarters = 0.8\n", "scale.2026.half", "missing"),
        (
            "[scale.2026]\nfull = 0.9\nthree_quarters = 0.8\nhalf = 0.7\nquarter = 0.6\n",
            "scale.2026.quarter",
            "unknown",
        ),
        ("[scale.26]\nfull = 0.9\nthree_quarters = 0.8\nhalf = 0.7\n", "scale.26", "4 digits"),
        (
            "[scale.2026]\nfull = '0.9'\nthree_quarters = 0.8\nhalf = 0.7\n",
            "scale.2026.full",
            "rate",
        ),
        ('excluded_billing_codes = ["9900"]\n', "excluded_billing_codes", "5 digits"),
        ("excluded_billing_codes = [9900]\n", "excluded_billing_codes", "5 digits"),
        ('excluded_billing_ranges = [["98012", "98000"]]\n', "excluded_billing_ranges", "before"),
        ('excluded_billing_ranges = [["98000"]]\n', "excluded_billing_ranges", "low"),
        ("gmf_r_threshold = -1\n", "gmf_r_threshold", "whole number"),
        ('gmf_r_threshold = "18000"\n', "gmf_r_threshold", "whole number"),
        ("review_margin = 1.5\n", "review_margin", "[0, 1)"),
        ("eligible_settings = []\n", "eligible_settings", "non-empty"),
        ("er_settings = [1]\n", "er_settings", "strings"),
        ("gmf_r_treshold = 18000\n", "gmf_r_treshold", "unknown key"),
    ],
)
def test_it_names_the_file_and_the_key_of_a_wrong_value(tmp_path, text, key, message):
    path = write(tmp_path, text)
    with pytest.raises(AssiduityRulesError) as raised:
        load_rules(path)
    assert raised.value.file == str(path)
    assert raised.value.key == key
    assert message in raised.value.message
    assert str(raised.value).startswith(f"{path}: {key}: ")


def test_it_reports_a_file_that_is_not_toml(tmp_path):
    path = write(tmp_path, "gmf_r_threshold = \n")
    with pytest.raises(AssiduityRulesError, match="not valid TOML") as raised:
        load_rules(path)
    assert raised.value.file == str(path)


def test_it_reports_a_missing_file(tmp_path):
    with pytest.raises(AssiduityRulesError, match="cannot read"):
        load_rules(tmp_path / "nowhere.toml")


def test_it_raises_a_panelcare_error():
    assert issubclass(AssiduityRulesError, PanelcareError)


def test_it_exports_the_public_api():
    # The package's surface is what __all__ says, and everything in it exists.
    public = {
        name
        for name, value in vars(assiduity).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert set(assiduity.__all__) == public
