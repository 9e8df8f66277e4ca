"""Pregnancy follow-up (infolettre 1.5; spec "Pregnancy")."""

from __future__ import annotations

from cases import Case


def seed_example() -> Case:
    """The infolettre's example: a patient registered with A is followed for her pregnancy
    by B (B has no registered patient of her own)."""
    case = Case()
    case.register("p1", "A", site="SA")
    return case


def test_it_counts_the_follow_up_for_the_physician_who_made_it_and_excludes_it_for_a():
    case = seed_example()
    visit = case.visit("p1", "B", site="SB", setting="cabinet", pregnancy=True)
    rows = [(r["physician_id"], r["reason"], r["counted"], r["assiduous"]) for r in case.outcomes()]
    assert rows == [
        ("A", "pregnancy_other_physician", False, False),
        ("B", "pregnancy_own", True, True),
    ]
    assert all(r["visit_id"] == visit for r in case.outcomes())
    rates = case.rates()
    assert (rates["A"]["counted_visits"], rates["A"]["rate"]) == (0, None)
    assert (rates["B"]["registered_patients"], rates["B"]["counted_visits"]) == (0, 1)
    assert (rates["B"]["assiduous_visits"], rates["B"]["rate"]) == (1, 1.0)


def test_it_adds_the_follow_ups_to_the_maker_s_own_patients():
    case = seed_example()
    case.register("q1", "B", site="SB")
    case.visit("q1", "B", site="SB", setting="cabinet")
    case.visit("q1", "Z", site="X", setting="cabinet")
    case.visit("p1", "B", site="SB", setting="cabinet", pregnancy=True)
    row = case.rate("B")
    assert (row["registered_patients"], row["counted_visits"], row["assiduous_visits"]) == (1, 3, 2)


def test_it_keeps_a_single_row_when_the_registering_physician_makes_it():
    case = seed_example()
    visit = case.visit("p1", "A", site="SA", setting="cabinet", pregnancy=True)
    assert [(r["physician_id"], r["reason"]) for r in case.outcomes()] == [("A", "pregnancy_own")]
    assert case.reasons("A") == {visit: "pregnancy_own"}


def test_it_ignores_the_place_rules_for_a_pregnancy_follow_up():
    # A is a GMF member; her own follow-up away from the GMF still counts, and B's away from
    # anywhere B practises too.
    case = seed_example()
    case.site("SA", "G")
    case.member("A", "G")
    case.member("B", "H")
    own = case.visit("p1", "A", site="X", setting="cabinet", pregnancy=True)
    other = case.visit("p1", "B", site="Y", setting="domicile", pregnancy=True)
    assert case.reasons("A") == {own: "pregnancy_own", other: "pregnancy_other_physician"}
    assert case.reasons("B") == {other: "pregnancy_own"}


def test_it_counts_nowhere_when_the_patient_is_registered_with_nobody():
    case = Case()
    visit = case.visit("p9", "B", site="SB", setting="cabinet", pregnancy=True)
    assert [(r["physician_id"], r["reason"]) for r in case.outcomes()] == [(None, "not_registered")]
    assert case.rates() == {}
    assert visit == "v1"


def test_it_treats_a_pregnancy_follow_up_by_an_ips_as_an_ordinary_visit():
    case = seed_example()
    case.partner("N", "A")
    partnered = case.visit("p1", "N", kind="ips", site="SA", setting="cabinet", pregnancy=True)
    other = case.visit("p1", "M", kind="ips", site="SA", setting="cabinet", pregnancy=True)
    assert case.reasons("A") == {partnered: "ips_partner", other: "other_provider"}
    assert {r["physician_id"] for r in case.outcomes()} == {"A"}


def test_it_applies_the_setting_exclusion_to_both_rows_and_lists_nobody_for_it():
    case = seed_example()
    visit = case.visit("p1", "B", site="SB", setting="other", pregnancy=True)
    assert case.reasons("A") == {visit: "ineligible_setting"}
    assert case.reasons("B") == {visit: "ineligible_setting"}
    assert set(case.rates()) == {"A"}


def test_it_applies_the_billing_code_exclusion_to_the_maker_s_row():
    case = seed_example()
    visit = case.visit("p1", "B", site="SB", setting="cabinet", code="09900", pregnancy=True)
    assert case.reasons("B") == {visit: "excluded_billing_code"}
    assert "B" not in case.rates()


def test_it_applies_the_emergency_exclusions_to_the_maker_s_row():
    # Our reading: the emergency exclusions are setting exclusions (docs/assiduity.md).
    case = seed_example()
    visit = case.visit("p1", "B", site="ER", setting="urgence_ch", triage="P2", pregnancy=True)
    assert case.reasons("A") == {visit: "er_priority_1_3"}
    assert case.reasons("B") == {visit: "er_priority_1_3"}


def test_it_credits_the_follow_up_to_the_maker_on_the_visit_date_registration():
    # The patient moves from A to C: each follow-up by B is excluded for whoever she is
    # registered with that day.
    case = Case()
    case.register("p1", "A", end="2018-05-01")
    case.register("p1", "C", start="2018-05-01")
    april = case.visit("p1", "B", site="SB", setting="cabinet", on="2018-04-30", pregnancy=True)
    may = case.visit("p1", "B", site="SB", setting="cabinet", on="2018-05-01", pregnancy=True)
    assert case.reasons("A") == {april: "pregnancy_other_physician"}
    assert case.reasons("C") == {may: "pregnancy_other_physician"}
    assert case.reasons("B") == {april: "pregnancy_own", may: "pregnancy_own"}
    assert case.rate("B")["counted_visits"] == 2
