"""The progression scale, the review flag, DRMG notices and the output's shape
(EP 40, 15.01 B, 15.03, 15.04, 15.05; spec "Progression scale" and "Output")."""

from __future__ import annotations

import pytest
from cases import YEAR, Case

from panelcare.assiduity import RATE_COLUMNS, AssiduityRulesError, load_rules


def with_rate(case: Case, physician: str, assiduous: int, counted: int, year: int = YEAR) -> None:
    """Give non-member ``physician`` ``assiduous`` own visits out of ``counted`` counted
    ones (the others by Z, at another clinic), on one patient registered at S1."""
    patient = f"{physician}-patient"
    case.register(patient, physician, site="S1", start=f"{year}-01-01")
    for number in range(counted):
        provider, site = (physician, "S1") if number < assiduous else ("Z", "X")
        case.visit(
            patient,
            provider,
            site=site,
            setting="cabinet",
            on=f"{year}-03-01",
            visit_id=f"{physician}-v{number}",
        )


def rate_row(assiduous: int, counted: int, year: int = YEAR, rules=None) -> dict:
    case = Case()
    with_rate(case, "D", assiduous, counted, year)
    return case.rate("D", year, rules) if rules else case.rate("D", year)


def bands(year: int, cases: list[tuple[int, int, str, int]]) -> None:
    """One physician per (assiduous, counted, tier, payment) row, all in one dataset."""
    case = Case()
    for number, (assiduous, counted, _, _) in enumerate(cases):
        with_rate(case, f"D{number}", assiduous, counted, year)
    rates = case.rates(year)
    for number, (assiduous, counted, tier, paid) in enumerate(cases):
        row = rates[f"D{number}"]
        assert row["rate"] == assiduous / counted
        assert (row["tier"], row["payment_pct"]) == (tier, paid), (assiduous, counted)


def test_it_pays_by_the_2018_band_of_the_exact_rate():
    bands(
        YEAR,
        [
            (4, 5, "full", 100),  # 0.80
            (7999, 10000, "three_quarters", 75),  # 0.7999
            (3, 4, "three_quarters", 75),  # 0.75
            (7499, 10000, "half", 50),  # 0.7499 is in the 70-74 % band
            (7, 10, "half", 50),  # 0.70
            (6999, 10000, "none", 0),  # 0.6999
            (0, 3, "none", 0),
        ],
    )
    assert rate_row(1, 1)["target"] == 0.80


def test_it_uses_the_2017_scale_for_2017():
    bands(
        2017,
        [
            (3, 4, "full", 100),  # 0.75
            (7, 10, "three_quarters", 75),  # 0.70
            (13, 20, "half", 50),  # 0.65
            (16, 25, "none", 0),  # 0.64
        ],
    )
    assert rate_row(1, 1, year=2017)["target"] == 0.75


def test_it_uses_the_2018_scale_for_a_later_year():
    row = rate_row(3, 4, year=2022)
    assert (row["year"], row["target"], row["tier"], row["payment_pct"]) == (
        2022,
        0.80,
        "three_quarters",
        75,
    )


def test_it_uses_a_year_added_by_a_user_rules_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[scale.2026]\nfull = 0.85\nthree_quarters = 0.80\nhalf = 0.75\n")
    rules = load_rules(path)
    row = rate_row(21, 25, year=2026, rules=rules)  # 0.84
    assert (row["target"], row["tier"], row["payment_pct"]) == (0.85, "three_quarters", 75)


def test_it_refuses_a_year_without_a_scale():
    with pytest.raises(AssiduityRulesError, match="2016"):
        Case().rates(year=2016)


def test_it_flags_a_rate_less_than_3_points_below_the_target():
    rates = [
        (771, 1000, True),  # 2.9 points below 80 %
        (799, 1000, True),
        (77, 100, False),  # exactly 3 points below
        (769, 1000, False),
        (4, 5, False),  # meets the target
    ]
    case = Case()
    for number, (assiduous, counted, _) in enumerate(rates):
        with_rate(case, f"D{number}", assiduous, counted)
    flags = {row["physician_id"]: row["review_flag"] for row in case.rate_rows()}
    assert flags == {f"D{number}": flagged for number, (_, _, flagged) in enumerate(rates)}


def test_it_deems_a_gmf_member_with_a_drmg_notice_to_meet_the_target():
    case = Case()
    with_rate(case, "D", 1, 2)
    case.member("D", "G", start=f"{YEAR}-11-01")  # a member at some time of the year
    case.site("S1", "G")
    case.drmg("D")
    row = case.rate("D")
    assert (row["drmg_deemed"], row["payment_pct"]) == (True, 100)
    assert (row["rate"], row["tier"], row["review_flag"]) == (0.5, "none", False)


def test_it_ignores_a_drmg_notice_for_a_physician_not_a_member_during_the_year():
    case = Case()
    memberships = {
        "never": None,
        "left_before": ("2016-01-01", f"{YEAR}-01-01"),
        "joins_after": (f"{YEAR + 1}-01-01", None),
    }
    for physician, membership in memberships.items():
        with_rate(case, physician, 1, 2)
        if membership:
            case.member(physician, "G", start=membership[0], end=membership[1])
        case.drmg(physician)
    rows = case.rates()
    assert {
        p: (rows[p]["drmg_deemed"], rows[p]["payment_pct"]) for p in memberships
    } == dict.fromkeys(memberships, (False, 0))


def test_it_ignores_a_drmg_notice_of_another_year():
    case = Case()
    with_rate(case, "D", 1, 2)
    case.member("D", "G")
    case.drmg("D", year=YEAR - 1)
    assert case.rate("D")["drmg_deemed"] is False


def test_it_gives_no_rate_to_a_physician_without_counted_visits():
    case = Case()
    case.register("p1", "D")
    case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P1")
    row = case.rate("D")
    assert row == {
        "physician_id": "D",
        "year": YEAR,
        "registered_patients": 1,
        "counted_visits": 0,
        "assiduous_visits": 0,
        "rate": None,
        "target": 0.80,
        "payment_pct": None,
        "tier": "no_visits",
        "review_flag": False,
        "drmg_deemed": False,
    }


def test_it_pays_a_drmg_deemed_physician_without_counted_visits():
    case = Case()
    case.register("p1", "D")
    case.member("D", "G")
    case.drmg("D")
    row = case.rate("D")
    assert (row["rate"], row["tier"], row["payment_pct"]) == (None, "no_visits", 100)


def test_it_lists_the_spec_columns_one_row_per_physician_in_order():
    case = Case()
    with_rate(case, "Y", 1, 1)
    with_rate(case, "B", 1, 2)
    case.register("lonely", "M")  # a registered patient, no visit: still listed
    rows = case.rate_rows()
    assert [row["physician_id"] for row in rows] == ["B", "M", "Y"]
    assert all(tuple(row) == RATE_COLUMNS for row in rows)


def test_it_does_not_list_a_physician_without_registrations_or_pregnancy_credit():
    case = Case()
    with_rate(case, "D", 1, 1)
    # Z made visits, and is registered with nobody's patient: Z is not listed.
    assert set(case.rates()) == {"D"}
