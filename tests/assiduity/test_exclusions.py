"""Exclusions (infolettre 1.4.1; spec "Exclusions"): one test per reason code, and their order.

Unless a test says otherwise, patient p1 is registered with D (not a GMF member) at site
S1, and the visit is made by Z, a physician with no tie to D, at a clinic X: an ordinary
counted visit (``other_provider``) that only the rule under test can exclude.
"""

from __future__ import annotations

import pytest
from cases import YEAR, Case

from panelcare.assiduity import load_rules


def case_with_d() -> Case:
    case = Case()
    case.register("p1", "D", site="S1")
    return case


def reason_of(case: Case, visit: str, physician: str | None = "D") -> str:
    return case.reasons(physician)[visit]


def ordinary(**changes) -> dict:
    visit = {"site": "X", "setting": "cabinet"}
    visit.update(changes)
    return visit


def test_it_counts_an_ordinary_visit_by_another_physician():
    # The baseline the exclusion tests change one field of.
    case = case_with_d()
    visit = case.visit("p1", "Z", **ordinary())
    assert reason_of(case, visit) == "other_provider"


def test_it_excludes_a_patient_registered_with_nobody():
    case = case_with_d()
    visit = case.visit("p2", "D", **ordinary(site="S1"))
    assert case.outcomes()[0]["physician_id"] is None
    assert reason_of(case, visit, physician=None) == "not_registered"
    assert case.rate("D")["counted_visits"] == 0


def test_it_excludes_a_provider_who_is_neither_physician_nor_ips():
    case = case_with_d()
    visits = [case.visit("p1", "Z", kind=kind, **ordinary()) for kind in ("other", "nurse", None)]
    assert case.reasons("D") == dict.fromkeys(visits, "ineligible_provider")


def test_it_excludes_a_setting_outside_the_list():
    case = case_with_d()
    visits = [case.visit("p1", "Z", **ordinary(setting=s)) for s in ("other", "chsld", None)]
    assert case.reasons("D") == dict.fromkeys(visits, "ineligible_setting")


def test_it_counts_every_eligible_setting():
    case = case_with_d()
    settings = ("cabinet", "domicile", "clsc", "umf", "gmf", "gmf_r", "gmf_u", "clinique_reseau")
    visits = [case.visit("p1", "Z", **ordinary(setting=setting)) for setting in settings]
    assert case.reasons("D") == dict.fromkeys(visits, "other_provider")


def test_it_excludes_the_listed_billing_codes():
    case = case_with_d()
    codes = (
        "09900",
        "09901",
        "09800",
        "09801",
        "00013",
        "00014",
        "15264",
        "98000",
        "98006",
        "98012",
    )
    visits = [case.visit("p1", "Z", **ordinary(code=code)) for code in codes]
    assert case.reasons("D") == dict.fromkeys(visits, "excluded_billing_code")


def test_it_counts_a_code_next_to_the_list_or_no_code():
    case = case_with_d()
    codes = ("97999", "98013", "00010", "980005", "0990", None)
    visits = [case.visit("p1", "Z", **ordinary(code=code)) for code in codes]
    assert case.reasons("D") == dict.fromkeys(visits, "other_provider")


def test_it_reads_a_billing_code_that_lost_its_leading_zero_as_five_digits():
    case = case_with_d()
    visit = case.visit("p1", "Z", **ordinary(code="9900"))
    assert reason_of(case, visit) == "excluded_billing_code"


def test_it_reads_codes_that_lost_several_leading_zeros_inside_ranges_too():
    case = case_with_d()
    codes = ("13", "013", "0014", "9801")
    visits = [case.visit("p1", "Z", **ordinary(code=code)) for code in codes]
    assert case.reasons("D") == dict.fromkeys(visits, "excluded_billing_code")
    assert case.rate("D")["counted_visits"] == 0


def test_it_excludes_the_codes_of_a_wide_range_written_with_or_without_zeros(tmp_path):
    # A range of more than a hundred codes is compared as a range, not listed.
    path = tmp_path / "rules.toml"
    path.write_text('excluded_billing_ranges = [["00500", "01999"]]\n')
    rules = load_rules(path)
    case = case_with_d()
    inside = [case.visit("p1", "Z", **ordinary(code=code)) for code in ("00500", "1999", "750")]
    outside = [case.visit("p1", "Z", **ordinary(code=code)) for code in ("02000", "499", "001999")]
    reasons = {row["visit_id"]: row["reason"] for row in case.outcomes(rules=rules)}
    assert [reasons[visit] for visit in inside] == ["excluded_billing_code"] * 3
    assert [reasons[visit] for visit in outside] == ["other_provider"] * 3
    assert case.rate("D", rules=rules)["counted_visits"] == 3


def test_it_excludes_the_codes_of_a_user_rules_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('excluded_billing_ranges = [["98000", "98012"], ["12340", "12349"]]\n')
    case = case_with_d()
    visit = case.visit("p1", "Z", **ordinary(code="12345"))
    rows = case.outcomes(rules=load_rules(path))
    assert [row["reason"] for row in rows if row["visit_id"] == visit] == ["excluded_billing_code"]


def test_it_excludes_er_priority_1_to_3():
    case = case_with_d()
    visits = [
        case.visit("p1", "Z", site="ER", setting=setting, triage=triage)
        for setting in ("urgence_ch", "urgence_clsc")
        for triage in ("P1", "P2", "P3")
    ]
    assert case.reasons("D") == dict.fromkeys(visits, "er_priority_1_3")


def test_it_counts_an_er_visit_of_priority_4_or_5():
    case = case_with_d()
    p4 = case.visit("p1", "Z", site="ER", setting="urgence_clsc", triage="P4")
    p5 = case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P5")
    assert case.reasons("D") == {p4: "other_provider", p5: "other_provider"}


def test_it_excludes_flagged_er_visits_of_priority_4_or_5():
    case = case_with_d()
    expected = {}
    for triage in ("P4", "P5"):
        for flag in ("admitted", "repeat", "referred"):
            visit = case.visit(
                "p1", "Z", site="ER", setting="urgence_ch", triage=triage, **{flag: True}
            )
            expected[visit] = f"er_{flag}"
    assert case.reasons("D") == expected


def test_it_excludes_a_flagged_er_visit_without_triage():
    # Our reading: the P4/P5 flags apply to any ER visit that priority does not exclude.
    case = case_with_d()
    visit = case.visit("p1", "Z", site="ER", setting="urgence_ch", triage=None, admitted=True)
    assert reason_of(case, visit) == "er_admitted"


def test_it_ignores_the_er_flags_outside_the_er():
    case = case_with_d()
    visit = case.visit(
        "p1", "Z", **ordinary(triage="P1", admitted=True, repeat=True, referred=True, death=True)
    )
    assert reason_of(case, visit) == "other_provider"


def test_it_excludes_an_er_visit_for_death_certification():
    case = case_with_d()
    visits = [
        case.visit("p1", "Z", site="ER", setting="urgence_clsc", triage=triage, death=True)
        for triage in ("P4", "P5", None)
    ]
    assert case.reasons("D") == dict.fromkeys(visits, "er_death")


def test_it_excludes_a_member_s_own_visit_outside_the_gmf_s_sites():
    case = case_with_d()
    case.site("S1", "G")
    case.member("D", "G")
    at_gmf = case.visit("p1", "D", site="S1", setting="gmf")
    elsewhere = case.visit("p1", "D", site="X", setting="cabinet")
    at_home = case.visit("p1", "D", site=None, setting="domicile")
    assert case.reasons("D") == {
        at_gmf: "own_visit",
        elsewhere: "own_visit_elsewhere",
        at_home: "own_visit_elsewhere",
    }


def test_it_excludes_a_non_member_s_own_visit_away_from_the_registration_site():
    case = case_with_d()
    at_registration_site = case.visit("p1", "D", site="S1", setting="cabinet")
    elsewhere = case.visit("p1", "D", site="S2", setting="cabinet")
    assert case.reasons("D") == {
        at_registration_site: "own_visit",
        elsewhere: "own_visit_elsewhere",
    }


def gmf_d_with_partner(partner_kind: str) -> Case:
    """D is a member of GMF G (site S1); E is a member of H, whose site SH is of
    ``partner_kind``; G and H have a service agreement (written H -> G)."""
    case = case_with_d()
    case.site("S1", "G")
    case.site("SH", "H", kind=partner_kind)
    case.member("D", "G")
    case.member("E", "H")
    case.agreement("H", "G")
    return case


@pytest.mark.parametrize("partner_kind", ["gmf", "gmf_u"])
def test_it_excludes_a_visit_by_a_physician_of_a_partner_gmf_wherever_it_happens(partner_kind):
    case = gmf_d_with_partner(partner_kind)
    at_partner = case.visit("p1", "E", site="SH", setting=partner_kind)
    at_d_s_gmf = case.visit("p1", "E", site="S1", setting="gmf")
    elsewhere = case.visit("p1", "E", site="X", setting="cabinet")
    assert case.reasons("D") == {
        at_partner: "service_agreement",
        at_d_s_gmf: "service_agreement",
        elsewhere: "service_agreement",
    }


def test_it_counts_a_partner_gmf_s_visit_when_no_agreement_is_in_force():
    case = gmf_d_with_partner("gmf")
    case.rows["service_agreements"].clear()
    case.agreement("G", "H", start="2017-01-01", end=f"{YEAR}-03-01")
    before_end = case.visit("p1", "E", site="SH", on=f"{YEAR}-02-28")
    on_end = case.visit("p1", "E", site="SH", on=f"{YEAR}-03-01")
    assert case.reasons("D") == {before_end: "service_agreement", on_end: "other_provider"}


def test_it_does_not_apply_the_agreements_to_a_non_member():
    case = gmf_d_with_partner("gmf")
    case.rows["gmf_memberships"] = [
        r for r in case.rows["gmf_memberships"] if r["physician_id"] != "D"
    ]
    visit = case.visit("p1", "E", site="SH")
    assert reason_of(case, visit) == "other_provider"


def gmf_r_case(covered_patients: int) -> Case:
    """D is a member of G (site S1); F is a member of the GMF-R R; G and R have an
    agreement; M, a member of G, has ``covered_patients`` patients on 31 December."""
    case = case_with_d()
    case.site("S1", "G")
    case.site("SR", "R", kind="gmf_r")
    case.member("D", "G")
    case.member("F", "R")
    case.member("M", "G")
    case.agreement("G", "R")
    case.patients("M", covered_patients - 1)  # D's p1 is the last one
    return case


def test_it_excludes_a_visit_at_the_gmf_by_a_physician_of_a_small_gmf_r():
    case = gmf_r_case(17_999)
    visit = case.visit("p1", "F", site="S1", setting="gmf")
    assert reason_of(case, visit) == "gmf_r_small_agreements"


def test_it_counts_a_visit_by_a_physician_of_a_gmf_r_of_18000_patients():
    case = gmf_r_case(18_000)
    visit = case.visit("p1", "F", site="S1", setting="gmf")
    assert reason_of(case, visit) == "other_provider"


def test_it_counts_a_small_gmf_r_s_visit_away_from_the_gmf():
    # Our reading: the GMF-R rule is about visits made at D's GMF.
    case = gmf_r_case(17_999)
    visit = case.visit("p1", "F", site="SR", setting="gmf_r")
    assert reason_of(case, visit) == "other_provider"


@pytest.mark.parametrize(
    ("covered", "reason"), [(17_999, "gmf_r_small_agreements"), (18_000, "other_provider")]
)
def test_it_takes_the_coverage_table_over_the_computed_figure(covered, reason):
    case = gmf_r_case(2)  # computed: 2 patients, small
    case.coverage("R", covered)
    case.coverage("R", 1, year=YEAR - 1)  # another year's row is ignored
    visit = case.visit("p1", "F", site="S1", setting="gmf")
    assert reason_of(case, visit) == reason


def small_threshold(tmp_path, threshold: int):
    path = tmp_path / "rules.toml"
    path.write_text(f"gmf_r_threshold = {threshold}\n")
    return load_rules(path)


def test_it_counts_the_gmf_r_coverage_on_31_december(tmp_path):
    # With a threshold of 3: M's two patients on 31 December plus D's p1 make 3, not small;
    # a registration ended on 31 December, the GMF-R's own patients and the patients of a
    # GMF whose agreement ended before 31 December do not count.
    rules = small_threshold(tmp_path, 3)
    case = gmf_r_case(3)
    case.register("gone", "M", end=f"{YEAR}-12-31")
    case.patients("F", 5)
    case.site("SK", "K")
    case.member("KK", "K")
    case.agreement("K", "R", end=f"{YEAR}-12-31")
    case.patients("KK", 5)
    visit = case.visit("p1", "F", site="S1", setting="gmf")
    reasons = {
        r["visit_id"]: r["reason"] for r in case.outcomes(rules=rules) if r["physician_id"] == "D"
    }
    assert reasons[visit] == "other_provider"
    case.rows["registrations"] = [
        r for r in case.rows["registrations"] if r["patient_id"] != "M-p0"
    ]
    reasons = {
        r["visit_id"]: r["reason"] for r in case.outcomes(rules=rules) if r["physician_id"] == "D"
    }
    assert reasons[visit] == "gmf_r_small_agreements"


def test_it_counts_a_patient_registered_part_of_the_year_once_on_31_december(tmp_path):
    # Threshold 3: M's patient and D's p1 are registered all year; "back" left M in March
    # and came back in October, so is M's on 31 December once: 3 patients, not small.
    rules = small_threshold(tmp_path, 3)
    case = gmf_r_case(2)
    case.register("back", "M", start="2016-01-01", end=f"{YEAR}-03-01")
    case.register("back", "M", start=f"{YEAR}-10-01")
    visit = case.visit("p1", "F", site="S1", setting="gmf")
    reasons = {
        r["visit_id"]: r["reason"] for r in case.outcomes(rules=rules) if r["physician_id"] == "D"
    }
    assert reasons[visit] == "other_provider"
    assert case.rate("M", rules=rules)["registered_patients"] == 2


ORDER = [
    # (a visit to which two or more exclusions apply, the first in the rules' order)
    ({"kind": "other", "setting": "other"}, "ineligible_provider"),
    ({"setting": "other", "code": "09900"}, "ineligible_setting"),
    (
        {"site": "ER", "setting": "urgence_ch", "triage": "P1", "code": "09900"},
        "excluded_billing_code",
    ),
    ({"site": "ER", "setting": "urgence_ch", "triage": "P2", "death": True}, "er_priority_1_3"),
    (
        {"site": "ER", "setting": "urgence_ch", "triage": "P4", "admitted": True, "repeat": True},
        "er_admitted",
    ),
    (
        {"site": "ER", "setting": "urgence_ch", "triage": "P4", "repeat": True, "referred": True},
        "er_repeat",
    ),
    (
        {"site": "ER", "setting": "urgence_ch", "triage": "P5", "referred": True, "death": True},
        "er_referred",
    ),
    ({"site": "ER", "setting": "urgence_ch", "triage": "P3", "pregnancy": True}, "er_priority_1_3"),
    (
        {"site": "X", "setting": "cabinet", "code": "09901", "pregnancy": True},
        "excluded_billing_code",
    ),
]


def test_it_gives_a_visit_the_first_exclusion_that_applies():
    case = case_with_d()
    expected = {case.visit("p1", "Z", **visit): reason for visit, reason in ORDER}
    assert case.reasons("D") == expected


def test_it_puts_pregnancy_before_the_place_and_agreement_rules():
    # B is a member of H, partner of D's GMF G: the pregnancy rule comes first.
    case = gmf_d_with_partner("gmf")
    case.member("B", "H", start="2017-01-01")
    visit = case.visit("p1", "B", site="SH", pregnancy=True)
    assert reason_of(case, visit) == "pregnancy_other_physician"
    assert reason_of(case, visit, physician="B") == "pregnancy_own"


def test_it_excludes_a_visit_from_both_sides_of_the_rate():
    case = case_with_d()
    case.visit("p1", "D", site="S1", setting="cabinet")
    case.visit("p1", "D", site="S1", setting="cabinet", code="15264")
    row = case.rate("D")
    assert (row["counted_visits"], row["assiduous_visits"]) == (1, 1)


def test_it_tests_the_shorter_complement_of_a_checked_vocabulary():
    # After the input checks, "one of the ten eligible settings" is "not other": the same
    # answer for every word of the vocabulary, and a null stays null.
    import ibis

    from panelcare.assiduity.compute import _one_of
    from panelcare.assiduity.io import SETTINGS

    eligible = frozenset(SETTINGS) - {"other"}
    table = ibis.memtable({"setting": [*SETTINGS, None]})
    short = _one_of(table.setting, eligible, SETTINGS)
    long = _one_of(table.setting, eligible)
    assert "other" in str(ibis.to_sql(table.select(short=short))) and "cabinet" not in str(
        ibis.to_sql(table.select(short=short))
    )
    answers = table.select(short=short, long=long).to_pyarrow().to_pylist()
    assert all(row["short"] == row["long"] for row in answers)
    assert answers[-1] == {"short": None, "long": None}
