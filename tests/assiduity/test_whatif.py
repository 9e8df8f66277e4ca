"""What-if: a physician's rate before and after a change of organisation."""

from __future__ import annotations

import datetime

import ibis
from cases import RULES, YEAR, Case

from panelcare.assiduity import (
    AddIpsPartnership,
    JoinGmf,
    RateRow,
    RedirectErVisits,
    what_if,
)

JAN_1 = datetime.date(YEAR, 1, 1)


def gmf_d() -> Case:
    """D is a member of GMF G (site S1) with two patients: one own visit at S1 and one
    visit by colleague X (a member of GMF H until now) at S1."""
    case = Case()
    case.site("S1", "G", kind="gmf_u")
    case.member("D", "G")
    case.member("X", "H")
    case.register("p1", "D", site="S1")
    case.register("p2", "D", site="S1")
    case.visit("p1", "D", site="S1", setting="gmf_u")
    case.visit("p2", "X", site="S1", setting="gmf_u", on=f"{YEAR}-06-15")
    return case


def test_it_credits_the_visits_of_a_colleague_who_joins_the_gmf():
    result = what_if(gmf_d().tables(), YEAR, "D", [JoinGmf("X", "G", JAN_1)], RULES)
    assert result.before == RateRow(
        rate=0.5, counted_visits=2, assiduous_visits=1, payment_pct=0, tier="none"
    )
    assert result.after == RateRow(
        rate=1.0, counted_visits=2, assiduous_visits=2, payment_pct=100, tier="full"
    )


def test_it_ends_the_colleague_s_other_membership_when_they_join():
    # X leaves H for G on 1 July: the June visit still was by a member of H.
    changes = [JoinGmf("X", "G", datetime.date(YEAR, 7, 1))]
    result = what_if(gmf_d().tables(), YEAR, "D", changes, RULES)
    assert result.after == result.before


def test_it_credits_the_visits_of_a_newly_partnered_ips():
    case = gmf_d()
    case.visit("p1", "N", kind="ips", site="S1", setting="gmf_u")
    changes = [AddIpsPartnership("N", "D", JAN_1)]
    result = what_if(case.tables(), YEAR, "D", changes, RULES)
    assert (result.before.counted_visits, result.before.assiduous_visits) == (3, 1)
    assert (result.after.counted_visits, result.after.assiduous_visits) == (3, 2)


def test_it_moves_low_priority_er_visits_to_the_physician_s_clinic():
    case = gmf_d()
    case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P4")
    case.visit("p2", "Z", site="ER", setting="urgence_clsc", triage="P5", referred=True)
    case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P2")  # stays excluded
    case.register("q1", "E", site="S1")
    case.visit("q1", "Z", site="ER", setting="urgence_ch", triage="P4")  # not D's patient
    # p3 is registered at S9, no GMF's site: her visit moves to a "cabinet" there, which
    # D's own-visit rule (a member: G's sites only) then excludes.
    case.register("p3", "D", site="S9")
    case.visit("p3", "Z", site="ER", setting="urgence_ch", triage="P5")
    result = what_if(case.tables(), YEAR, "D", [RedirectErVisits()], RULES)
    # Before: D's own visit, X's, the P4 and p3's P5 visits count (the referred P5 does not).
    assert (result.before.counted_visits, result.before.assiduous_visits) == (4, 1)
    # After: the P4 and referred P5 visits are D's own at S1 (a GMF-U site); p3's is D's
    # own visit away from G; the P2 one stays out.
    assert (result.after.counted_visits, result.after.assiduous_visits) == (4, 3)


def test_it_redirects_only_the_given_triage_categories_to_a_cabinet():
    case = Case()
    case.register("p1", "D", site="S9")
    case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P5")
    case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P4")
    result = what_if(case.tables(), YEAR, "D", [RedirectErVisits(triage=("P5",))], RULES)
    assert (result.before.rate, result.after.rate) == (0.0, 0.5)


def test_it_applies_the_changes_in_order_and_recomputes_on_the_given_backend():
    case = gmf_d()
    case.visit("p1", "N", kind="ips", site="S1", setting="gmf_u")
    changes = [JoinGmf("X", "G", JAN_1), AddIpsPartnership("N", "X", JAN_1)]
    result = what_if(case.tables(), YEAR, "D", changes, RULES, backend=ibis.duckdb.connect())
    assert (result.after.counted_visits, result.after.assiduous_visits) == (3, 3)


def test_it_reports_no_visits_for_a_physician_the_year_does_not_list():
    result = what_if(gmf_d().tables(), YEAR, "nobody", [RedirectErVisits()], RULES)
    empty = RateRow(
        rate=None, counted_visits=0, assiduous_visits=0, payment_pct=None, tier="no_visits"
    )
    assert result.before == result.after == empty
