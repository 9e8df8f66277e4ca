"""Who earns the numerator (infolettre 1.4, 1.4.2, 1.4.3; spec "Who earns the numerator"),
and the registrations and memberships "on the visit date" (half-open periods)."""

from __future__ import annotations

from cases import YEAR, Case


def gmf_case() -> Case:
    """D and C are members of GMF G, whose sites are S1 and S2; p1 is D's patient."""
    case = Case()
    case.site("S1", "G")
    case.site("S2", "G")
    case.member("D", "G")
    case.member("C", "G")
    case.register("p1", "D", site="S1")
    return case


def test_it_credits_a_member_s_own_visit_at_any_site_of_the_gmf():
    case = gmf_case()
    at_s1 = case.visit("p1", "D", site="S1")
    at_s2 = case.visit("p1", "D", site="S2")
    assert case.reasons("D") == {at_s1: "own_visit", at_s2: "own_visit"}


def test_it_credits_a_colleague_of_the_same_gmf_at_a_site_of_the_gmf():
    case = gmf_case()
    visit = case.visit("p1", "C", site="S2")
    assert case.reasons("D") == {visit: "group_member"}
    assert (case.rate("D")["counted_visits"], case.rate("D")["assiduous_visits"]) == (1, 1)


def test_it_counts_a_colleague_s_visit_at_another_clinic_without_crediting_it():
    case = gmf_case()
    visit = case.visit("p1", "C", site="X", setting="cabinet")
    assert case.reasons("D") == {visit: "other_provider"}
    assert (case.rate("D")["counted_visits"], case.rate("D")["assiduous_visits"]) == (1, 0)


def test_it_takes_the_colleague_s_membership_on_the_visit_date():
    case = Case()
    case.site("S1", "G")
    case.member("D", "G")
    case.member("C", "G", start=f"{YEAR}-04-01", end=f"{YEAR}-09-01")
    case.register("p1", "D", site="S1")
    before = case.visit("p1", "C", on=f"{YEAR}-03-31")
    first_day = case.visit("p1", "C", on=f"{YEAR}-04-01")
    last_day = case.visit("p1", "C", on=f"{YEAR}-08-31")
    end_day = case.visit("p1", "C", on=f"{YEAR}-09-01")
    assert case.reasons("D") == {
        before: "other_provider",
        first_day: "group_member",
        last_day: "group_member",
        end_day: "other_provider",
    }


def test_it_does_not_credit_a_member_of_another_gmf_at_its_own_site():
    case = gmf_case()
    case.site("SH", "H")
    case.member("E", "H")
    visit = case.visit("p1", "E", site="SH")
    assert case.reasons("D") == {visit: "other_provider"}


def test_it_credits_an_ips_partnered_with_one_member_for_every_member_at_a_gmf_site():
    # N is partnered with C only; the visits of C's and D's patients at G's sites count.
    case = gmf_case()
    case.register("p2", "C", site="S2")
    case.partner("N", "C")
    for_d = case.visit("p1", "N", kind="ips", site="S2")
    for_c = case.visit("p2", "N", kind="ips", site="S1")
    elsewhere = case.visit("p1", "N", kind="ips", site="X", setting="clsc")
    assert case.reasons("D") == {for_d: "ips_partner", elsewhere: "other_provider"}
    assert case.reasons("C") == {for_c: "ips_partner"}


def test_it_needs_the_partnership_and_the_partner_s_membership_on_the_visit_date():
    case = Case()
    case.site("S1", "G")
    case.member("D", "G")
    case.member("C", "G", end=f"{YEAR}-06-01")  # C leaves G on 1 June
    case.partner("N", "C", start=f"{YEAR}-02-01")  # partnered from 1 February
    case.register("p1", "D", site="S1")
    before_partnership = case.visit("p1", "N", kind="ips", on=f"{YEAR}-01-31")
    both = case.visit("p1", "N", kind="ips", on=f"{YEAR}-05-31")
    partner_gone = case.visit("p1", "N", kind="ips", on=f"{YEAR}-06-01")
    assert case.reasons("D") == {
        before_partnership: "other_provider",
        both: "ips_partner",
        partner_gone: "other_provider",
    }


def test_it_does_not_credit_an_ips_partnered_with_a_physician_outside_the_gmf():
    case = gmf_case()
    case.partner("N", "Z")
    visit = case.visit("p1", "N", kind="ips", site="S1")
    assert case.reasons("D") == {visit: "other_provider"}


def non_member_case() -> Case:
    """D is not a GMF member; K is in D's practice group; p1 is registered at S1."""
    case = Case()
    case.group("D", "grp")
    case.group("K", "grp")
    case.register("p1", "D", site="S1")
    return case


def test_it_credits_a_non_member_s_own_visit_at_the_registration_site():
    case = non_member_case()
    visit = case.visit("p1", "D", site="S1", setting="cabinet")
    assert case.reasons("D") == {visit: "own_visit"}


def test_it_credits_a_practice_group_colleague_at_the_registration_site_only():
    case = non_member_case()
    at_site = case.visit("p1", "K", site="S1", setting="cabinet")
    elsewhere = case.visit("p1", "K", site="S2", setting="cabinet")
    assert case.reasons("D") == {at_site: "group_member", elsewhere: "other_provider"}


def test_it_takes_the_practice_group_on_the_visit_date():
    case = Case()
    case.group("D", "grp")
    case.group("K", "grp", start=f"{YEAR}-06-01")  # K joins D's group on 1 June
    case.register("p1", "D", site="S1")
    before = case.visit("p1", "K", site="S1", setting="cabinet", on=f"{YEAR}-05-31")
    after = case.visit("p1", "K", site="S1", setting="cabinet", on=f"{YEAR}-06-01")
    assert case.reasons("D") == {before: "other_provider", after: "group_member"}


def test_it_credits_an_ips_partnered_with_the_non_member_at_the_registration_site():
    case = non_member_case()
    case.partner("N", "D")
    case.partner("M", "K")  # partnered with D's colleague, not with D
    own_partner = case.visit("p1", "N", kind="ips", site="S1", setting="cabinet")
    elsewhere = case.visit("p1", "N", kind="ips", site="S2", setting="cabinet")
    colleague_s_partner = case.visit("p1", "M", kind="ips", site="S1", setting="cabinet")
    assert case.reasons("D") == {
        own_partner: "ips_partner",
        elsewhere: "other_provider",
        colleague_s_partner: "other_provider",
    }


def test_it_applies_the_rules_of_the_day_to_a_physician_who_joins_a_gmf():
    # D joins G on 1 July: before, the non-member rules (registration site S9); after,
    # the member rules (G's site S1).
    case = Case()
    case.site("S1", "G")
    case.member("D", "G", start=f"{YEAR}-07-01")
    case.register("p1", "D", site="S9")
    early_s9 = case.visit("p1", "D", site="S9", setting="cabinet", on=f"{YEAR}-02-01")
    early_s1 = case.visit("p1", "D", site="S1", on=f"{YEAR}-02-01")
    late_s9 = case.visit("p1", "D", site="S9", setting="cabinet", on=f"{YEAR}-08-01")
    late_s1 = case.visit("p1", "D", site="S1", on=f"{YEAR}-08-01")
    assert case.reasons("D") == {
        early_s9: "own_visit",
        early_s1: "own_visit_elsewhere",
        late_s9: "own_visit_elsewhere",
        late_s1: "own_visit",
    }


def test_it_ignores_the_practice_group_of_a_gmf_member():
    # Practice groups are for non-members: K is in D's group, but D is a GMF member.
    case = gmf_case()
    case.group("D", "grp")
    case.group("K", "grp")
    visit = case.visit("p1", "K", site="S1")
    assert case.reasons("D") == {visit: "other_provider"}


def test_it_takes_the_registration_in_force_on_the_visit_date():
    # p1 moves from A to B on 1 July; a registration ending that day no longer covers it.
    case = Case()
    case.register("p1", "A", site="SA", end=f"{YEAR}-07-01")
    case.register("p1", "B", site="SB", start=f"{YEAR}-07-01")
    june = case.visit("p1", "A", site="SA", setting="cabinet", on=f"{YEAR}-06-30")
    july = case.visit("p1", "A", site="SA", setting="cabinet", on=f"{YEAR}-07-01")
    assert case.reasons("A") == {june: "own_visit"}
    assert case.reasons("B") == {july: "other_provider"}


def test_it_counts_the_patients_whose_registration_overlaps_the_year():
    case = Case()
    case.register("ended_before", "D", start="2016-01-01", end=f"{YEAR}-01-01")
    case.register("ended_first_day", "D", start="2016-01-01", end=f"{YEAR}-01-02")
    case.register("starts_last_day", "D", start=f"{YEAR}-12-31")
    case.register("starts_after", "D", start=f"{YEAR + 1}-01-01")
    case.register("twice", "D", start="2016-01-01", end=f"{YEAR}-03-01")
    case.register("twice", "D", start=f"{YEAR}-06-01")
    case.register("elsewhere", "E")
    # In force all year: counted by physician alone, next to the distinct others.
    case.register("all_year", "D", start="2016-01-01")
    case.register("all_year_too", "D", start=f"{YEAR}-01-01", end=f"{YEAR + 1}-01-01")
    assert case.rate("D")["registered_patients"] == 5


def test_it_counts_visits_of_the_year_only():
    case = non_member_case()
    case.visit("p1", "D", site="S1", setting="cabinet", on=f"{YEAR - 1}-12-31")
    inside = case.visit("p1", "D", site="S1", setting="cabinet", on=f"{YEAR}-12-31")
    case.visit("p1", "D", site="S1", setting="cabinet", on=f"{YEAR + 1}-01-01")
    assert case.reasons("D") == {inside: "own_visit"}
    assert case.rate("D")["counted_visits"] == 1
