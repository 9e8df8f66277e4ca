"""The GMF's own rate (docs/decisions.md, "The GMF's own rate"): its members' counted and
assiduous visits added up over the days they were members, with its members and their
registered patients."""

from __future__ import annotations

from typing import Any

import pytest
from cases import RULES, YEAR, Case, golden_gmf

from panelcare.assiduity import AssiduityRulesError
from panelcare.assiduity.gmf import GMF_RATE_COLUMNS, gmf_rates


def _gmfs(case: Case, year: int = YEAR) -> dict[str, dict[str, Any]]:
    return {row["gmf_id"]: row for row in case.run(gmf_rates, year=year)}


def _counts(row: dict[str, Any]) -> tuple[int, int]:
    return row["counted_visits"], row["assiduous_visits"]


def gmf_case() -> Case:
    """D and C are members of GMF G (sites S1, S2) all year; p1 is D's patient, p2 C's."""
    case = Case()
    case.site("S1", "G")
    case.site("S2", "G")
    case.member("D", "G")
    case.member("C", "G")
    case.register("p1", "D")
    case.register("p2", "C")
    return case


def test_it_gives_the_columns_in_order():
    case = gmf_case()
    assert tuple(case.run(gmf_rates)[0]) == GMF_RATE_COLUMNS


def test_it_credits_a_visit_by_another_member_of_the_same_gmf():
    case = gmf_case()
    case.visit("p1", "C", site="S2")  # D's patient seen by C at G: group_member
    case.visit("p2", "C", site="S1")  # C's own patient: own_visit
    case.visit("p1", "Z", site="X", setting="cabinet")  # an outsider: other_provider
    gmf = _gmfs(case)["G"]
    assert _counts(gmf) == (3, 2)
    assert gmf["rate"] == pytest.approx(2 / 3)
    assert (gmf["members"], gmf["registered_patients"]) == (2, 2)


def test_it_adds_up_its_members_rates_when_they_are_members_all_year():
    case = golden_gmf()
    rates = case.rates()
    gmf = _gmfs(case)["G"]
    assert gmf["counted_visits"] == rates["D"]["counted_visits"] + rates["C"]["counted_visits"]
    assert gmf["assiduous_visits"] == (
        rates["D"]["assiduous_visits"] + rates["C"]["assiduous_visits"]
    )
    # The DRMG notice of D changes D's payment, not the visits.
    assert gmf["rate"] == pytest.approx(gmf["assiduous_visits"] / gmf["counted_visits"])


def test_it_counts_a_member_who_left_mid_year_only_while_a_member():
    case = gmf_case()
    case.member("L", "G", end=f"{YEAR}-07-01")
    case.register("p3", "L")
    case.visit("p3", "L", site="S1", on=f"{YEAR}-03-01")  # a member then: own_visit for G
    case.visit("p3", "C", site="S1", on=f"{YEAR}-06-30")  # last day: group_member for G
    after = case.visit("p3", "C", site="S1", on=f"{YEAR}-07-01")  # L has left: not G's
    gmf = _gmfs(case)["G"]
    assert _counts(gmf) == (2, 2)
    assert (gmf["members"], gmf["registered_patients"]) == (3, 3)
    # The visit after leaving still counts for L, as a non-member's.
    assert case.reasons("L")[after] == "other_provider"


def test_it_leaves_out_a_non_member_s_patients():
    case = gmf_case()
    case.register("p9", "N")  # N is a member of no GMF
    case.visit("p9", "C", site="S1")
    case.visit("p9", "N", site="S1")
    case.visit("p1", "D", site="S1")
    gmf = _gmfs(case)["G"]
    assert _counts(gmf) == (1, 1)
    assert gmf["registered_patients"] == 2
    assert set(_gmfs(case)) == {"G"}


def test_it_does_not_count_a_patient_before_their_physician_joined():
    case = Case()
    case.site("S1", "G")
    case.member("J", "G", start=f"{YEAR}-09-01")
    case.register("p1", "J", end=f"{YEAR}-05-01")  # left J before J joined G
    case.register("p2", "J")
    case.visit("p1", "J", site="S1", on=f"{YEAR}-03-01")
    case.visit("p2", "J", site="S1", on=f"{YEAR}-03-01")  # J not a member yet
    case.visit("p2", "J", site="S1", on=f"{YEAR}-10-01")
    gmf = _gmfs(case)["G"]
    assert (gmf["registered_patients"], _counts(gmf)) == (1, (1, 1))


def test_it_counts_for_each_gmf_in_turn_a_physician_who_moved():
    case = Case()
    case.site("S1", "G")
    case.site("SH", "H")
    case.member("M", "G", end=f"{YEAR}-06-01")
    case.member("M", "H", start=f"{YEAR}-06-01")
    case.register("p1", "M")
    case.visit("p1", "M", site="S1", on=f"{YEAR}-02-01")  # G's site, member of G
    case.visit("p1", "M", site="S1", on=f"{YEAR}-08-01")  # G's site, member of H: excluded
    case.visit("p1", "M", site="SH", on=f"{YEAR}-09-01")  # H's site, member of H
    gmfs = _gmfs(case)
    assert (_counts(gmfs["G"]), _counts(gmfs["H"])) == ((1, 1), (1, 1))
    assert gmfs["G"]["registered_patients"] == gmfs["H"]["registered_patients"] == 1


def test_it_credits_a_pregnancy_follow_up_to_the_gmf_of_the_physician_who_made_it():
    case = gmf_case()
    case.register("p9", "N")  # a non-member's patient
    case.visit("p9", "C", site="Y", setting="cabinet", pregnancy=True)  # counts for C
    case.visit("p1", "B", site="Y", setting="cabinet", pregnancy=True)  # for B, not G
    gmf = _gmfs(case)["G"]
    assert _counts(gmf) == (1, 1)


def test_it_gives_no_rate_to_a_gmf_without_a_counted_visit():
    case = gmf_case()
    case.visit("p1", "D", site="S1", setting="other")  # ineligible_setting
    gmf = _gmfs(case)["G"]
    assert _counts(gmf) == (0, 0)
    assert gmf["rate"] is None


def test_it_lists_only_the_gmfs_with_a_member_during_the_year():
    case = gmf_case()
    case.member("O", "OLD", end=f"{YEAR - 1}-12-31")
    assert set(_gmfs(case)) == {"G"}


def test_it_refuses_a_year_without_a_scale():
    with pytest.raises(AssiduityRulesError, match="2016"):
        gmf_rates(gmf_case().tables(), 2016, RULES)
