"""Explanations for one physician: the visits one by one, and the summary by reason."""

from __future__ import annotations

import datetime

from cases import GOLDEN, RULES, YEAR, Case, combine, golden_gmf

from panelcare.assiduity import (
    EXPLANATION_COLUMNS,
    AssiduityTables,
    explain_physician,
    reason_summary,
)
from panelcare.assiduity.explain import explain_now
from panelcare.assiduity.io import connect


def test_it_lists_the_physician_s_visits_by_date_with_the_spec_columns():
    case = Case()
    case.register("p1", "D", site="S1")
    case.register("p2", "E", site="S1")
    late = case.visit("p1", "D", site="S1", setting="cabinet", on=f"{YEAR}-09-01")
    early = case.visit("p1", "Z", site="ER", setting="urgence_ch", triage="P1", on=f"{YEAR}-02-01")
    case.visit("p2", "D", site="S1", setting="cabinet")  # E's patient: not D's row
    rows = case.explain("D")
    assert [row["visit_id"] for row in rows] == [early, late]
    assert all(tuple(row) == EXPLANATION_COLUMNS for row in rows)
    assert rows[0] == {
        "visit_id": early,
        "patient_id": "p1",
        "provider_id": "Z",
        "counted": False,
        "assiduous": False,
        "reason": "er_priority_1_3",
        "visit_date": datetime.date(YEAR, 2, 1),
        "site_id": "ER",
        "setting": "urgence_ch",
    }


def test_it_orders_visits_of_the_same_day_by_id():
    case = Case()
    case.register("p1", "D", site="S1")
    for visit_id in ("b", "c", "a"):
        case.visit("p1", "D", site="S1", setting="cabinet", visit_id=visit_id)
    assert [row["visit_id"] for row in case.explain("D")] == ["a", "b", "c"]


def test_it_shows_the_pregnancy_follow_ups_the_physician_made_for_others():
    case = Case()
    case.register("p1", "A")
    visit = case.visit("p1", "B", site="SB", setting="cabinet", pregnancy=True)
    assert [(r["visit_id"], r["reason"]) for r in case.explain("B")] == [(visit, "pregnancy_own")]
    assert [(r["visit_id"], r["reason"]) for r in case.explain("A")] == [
        (visit, "pregnancy_other_physician")
    ]


def test_it_leaves_out_a_visit_made_while_the_patient_was_someone_else_s():
    case = Case()
    case.register("p1", "A", end=f"{YEAR}-06-01")
    case.register("p1", "D", start=f"{YEAR}-06-01")
    case.visit("p1", "A", setting="cabinet", on=f"{YEAR}-05-01")
    mine = case.visit("p1", "D", setting="cabinet", on=f"{YEAR}-07-01")
    assert [row["visit_id"] for row in case.explain("D")] == [mine]


def test_it_matches_the_rates_of_the_golden_case():
    case = golden_gmf()
    rows = case.explain("D")
    row = case.rate("D")
    assert sum(r["counted"] for r in rows) == row["counted_visits"] == 5
    assert sum(r["assiduous"] for r in rows) == row["assiduous_visits"] == 3


def summary_of(case: Case, physician: str = "D") -> dict[tuple[str, str | None], int]:
    return {(r["reason"], r["provider_category"]): r["visits"] for r in case.summary(physician)}


def test_it_sorts_other_providers_into_er_other_gmf_ips_and_other_clinic():
    # D is a member of G (site S1), IPS N is partnered with D, E is a member of GMF H
    # (no agreement), IPS M is partnered with nobody, Z practises outside any GMF.
    case = Case()
    case.site("S1", "G")
    case.site("SH", "H")
    case.member("D", "G")
    case.member("E", "H")
    case.partner("N", "D")
    case.register("p1", "D", site="S1")
    case.visit("p1", "Z", site="ER", setting="urgence_clsc", triage="P5")
    case.visit("p1", "E", site="SH")
    case.visit("p1", "E", site="ER", setting="urgence_ch", triage="P4")  # the ER first
    case.visit("p1", "M", kind="ips", site="X", setting="clsc")
    case.visit("p1", "N", kind="ips", site="X", setting="clsc")  # partnered, elsewhere
    case.visit("p1", "Z", site="X", setting="cabinet")
    case.visit("p1", "D", site="S1")
    assert summary_of(case) == {
        ("own_visit", None): 1,
        ("other_provider", "er"): 2,
        ("other_provider", "other_gmf"): 1,
        ("other_provider", "ips_outside_group"): 1,
        ("other_provider", "other_clinic"): 2,
    }


def test_it_counts_any_gmf_as_another_gmf_for_a_non_member():
    case = Case()
    case.member("E", "H")
    case.partner("N", "D")
    case.register("p1", "D", site="S1")
    case.visit("p1", "E", site="SH", setting="gmf")
    case.visit("p1", "N", kind="ips", site="X", setting="clsc")  # D's partner, elsewhere
    case.visit("p1", "M", kind="ips", site="S1", setting="cabinet")
    assert summary_of(case) == {
        ("other_provider", "other_gmf"): 1,
        ("other_provider", "other_clinic"): 1,
        ("other_provider", "ips_outside_group"): 1,
    }


def test_it_orders_the_summary_credited_counted_then_excluded():
    rows = golden_gmf().summary("D")
    assert [(r["reason"], r["provider_category"]) for r in rows] == [
        ("own_visit", None),
        ("group_member", None),
        ("ips_partner", None),
        ("other_provider", "er"),
        ("other_provider", "other_clinic"),
        ("er_priority_1_3", None),
        ("er_admitted", None),
        ("er_repeat", None),
        ("er_referred", None),
        ("er_death", None),
        ("own_visit_elsewhere", None),
        ("service_agreement", None),
        ("gmf_r_small_agreements", None),
    ]
    assert [(r["counted"], r["assiduous"]) for r in rows][:5] == [(True, True)] * 3 + [
        (True, False)
    ] * 2
    assert all(not r["counted"] for r in rows[5:])


def test_it_explains_at_once_as_the_lazy_expressions_do():
    """explain_now (what the CLI runs: the physician's visits first, classified once)
    gives explain_physician's rows and reason_summary's, for a member with every
    exclusion, a non-member with pregnancy follow-ups (their own and another's), the
    maker of a follow-up of another's patient, and an unknown physician."""
    con = connect()
    tables = AssiduityTables.from_mapping(combine(factory() for factory in GOLDEN))
    for physician in ("c0.D", "c1.D", "c1.B", "nobody"):
        visits, summary = explain_now(tables, YEAR, physician, RULES, con)
        expected = con.to_pyarrow(explain_physician(tables, YEAR, physician, RULES))
        assert visits.equals(expected), physician
        assert (visits.num_rows > 0) == (physician != "nobody")
        assert summary.equals(con.to_pyarrow(reason_summary(tables, YEAR, physician, RULES)))
