"""The reference data: publishing versions (levels, agreement rules), the version in force,
the read side (web.comanagement.reference) and the reference pages with their refusals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from web.audit.models import AuditEvent
from web.comanagement import reference
from web.comanagement.errors import ReferenceRefused
from web.comanagement.models import (
    AgreementRulesVersion,
    AnnualReview,
    ComanagementAction,
    LevelTableVersion,
)
from web.comanagement.services import reference as services
from web.comanagement.tests.conftest import AGREEMENTS_TEXT, LEVELS_TEXT

DAY = datetime.date(2026, 4, 1)


def _publish_levels(world, text=LEVELS_TEXT, on=DAY, note=""):
    return services.do_publish_level_table(
        world.region, text, on, note, acting_user=world.users["drmg"]
    )


def _publish_rules(world, text=AGREEMENTS_TEXT, on=DAY, establishment=None):
    return services.do_publish_agreement_rules(
        establishment or world.establishment,
        text,
        on,
        "",
        21,
        10,
        45,
        acting_user=world.users["ciusss"],
    )


# --------------------------------------------------------------------------- publishing


def test_it_publishes_the_next_level_table_version_with_its_audit_entry(world):
    version = _publish_levels(world, note="Nouvelle annexe")

    assert version.number == 2
    assert version.illustrative is True
    assert version.created_by == world.users["drmg"]
    entry = AuditEvent.objects.get(action=ComanagementAction.LEVEL_TABLE_PUBLISHED)
    assert entry.region == world.region
    assert entry.details["number"] == 2
    assert entry.details["in_force_from"] == "2026-04-01"
    assert _publish_levels(world).number == 3


def test_it_reads_illustrative_from_the_level_table_text(world):
    text = LEVELS_TEXT.replace("illustrative = true", "illustrative = false")

    assert _publish_levels(world, text).illustrative is False


def test_it_numbers_each_region_on_its_own(world):
    other = services.do_publish_level_table(
        world.other_region, LEVELS_TEXT, DAY, acting_user=world.users["drmg9"]
    )

    assert other.number == 2
    assert _publish_levels(world).number == 2


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        # Level 2 starting below level 1: the levels overlap.
        ("min_weighted = 9000", "min_weighted = 5000", "levels[1].min_weighted"),
        ("vulnerable = 2", "vulnerable = -2", "weights.vulnerable"),
        ('version = "demo-2017-illustrative"', 'version = ""', "version"),
    ],
)
def test_it_refuses_a_level_table_naming_the_key_and_writes_nothing(world, old, new, key):
    text = LEVELS_TEXT.replace(old, new)

    with pytest.raises(ReferenceRefused) as refused:
        _publish_levels(world, text)

    assert refused.value.key == key
    assert key in str(refused.value)
    assert LevelTableVersion.objects.filter(region=world.region).count() == 1
    assert not AuditEvent.objects.filter(action=ComanagementAction.LEVEL_TABLE_PUBLISHED).exists()


def test_it_refuses_a_level_table_that_is_not_toml(world):
    with pytest.raises(ReferenceRefused) as refused:
        _publish_levels(world, "version = \n")

    assert refused.value.key is None
    assert LevelTableVersion.objects.filter(region=world.region).count() == 1


def test_it_publishes_agreement_rules_with_their_delays_and_audit_entry(world):
    version = _publish_rules(world)

    assert version.number == 2
    assert (
        version.training_decide_within_days,
        version.attendance_approve_within_days,
        version.integration_due_days,
    ) == (21, 10, 45)
    # The shipped text marks its unconfirmed values ILLUSTRATIVE in comments.
    assert version.illustrative is True
    entry = AuditEvent.objects.get(action=ComanagementAction.AGREEMENT_RULES_PUBLISHED)
    assert entry.details["establishment"] == "cisss_bsl"
    assert entry.details["number"] == 2


def test_it_reads_illustrative_from_the_rules_key_before_the_comments(world):
    text = "illustrative = false\n" + AGREEMENTS_TEXT

    version = _publish_rules(world, text)

    assert version.illustrative is False
    # The key is the web app's: the stored text still parses for the read side.
    assert "cisss_bsl" in reference.agreement_book(version).establishments


def test_it_reads_rules_without_marks_as_not_illustrative(world):
    text = "\n".join(
        line.split("#")[0] if "ILLUSTRATIVE" in line else line
        for line in AGREEMENTS_TEXT.splitlines()
    )

    assert _publish_rules(world, text).illustrative is False


def test_it_refuses_rules_the_core_refuses_naming_the_key(world):
    text = AGREEMENTS_TEXT.replace("max_days_per_week = 5", "max_days_per_week = 9", 1)

    with pytest.raises(ReferenceRefused) as refused:
        _publish_rules(world, text)

    assert refused.value.key == "agreements.apts.max_days_per_week"
    assert "agreements.apts.max_days_per_week" in str(refused.value)
    assert AgreementRulesVersion.objects.count() == 1
    assert not AuditEvent.objects.filter(
        action=ComanagementAction.AGREEMENT_RULES_PUBLISHED
    ).exists()


def test_it_refuses_rules_without_the_establishments_own_table(world):
    with pytest.raises(ReferenceRefused) as refused:
        _publish_rules(world, establishment=world.establishment2)

    assert refused.value.key == "establishments.cisss_two"
    assert "[establishments.cisss_two]" in str(refused.value)
    assert not AgreementRulesVersion.objects.filter(establishment=world.establishment2).exists()


def test_it_refuses_an_illustrative_key_that_is_not_a_boolean(world):
    with pytest.raises(ReferenceRefused) as refused:
        _publish_rules(world, 'illustrative = "yes"\n' + AGREEMENTS_TEXT)

    assert refused.value.key == "illustrative"


# --------------------------------------------------------------------------- in force


def test_it_takes_the_version_in_force_from_its_first_day(world):
    version = _publish_levels(world, on=DAY)

    assert reference.level_table_in_force(world.region, DAY) == version
    assert reference.level_table_in_force(world.region, DAY - datetime.timedelta(days=1)) == (
        world.level_table
    )
    assert reference.level_table_in_force(world.region, datetime.date(2017, 3, 31)) is None


def test_it_takes_the_highest_number_in_force(world):
    # Version 3 is in force from before version 2: from its day, it is the one.
    _publish_levels(world, on=datetime.date(2026, 6, 1))
    third = _publish_levels(world, on=datetime.date(2026, 1, 1))

    assert reference.level_table_in_force(world.region, datetime.date(2026, 7, 1)) == third


def test_it_takes_the_rules_in_force_from_their_first_day(world):
    version = _publish_rules(world, on=DAY)

    assert reference.rules_in_force(world.establishment, DAY) == version
    assert reference.rules_in_force(world.establishment, DAY - datetime.timedelta(days=1)) == (
        world.rules
    )
    assert reference.rules_in_force(world.establishment2, DAY) is None


def test_it_caches_a_parsed_table_per_version(world):
    assert reference.level_table(world.level_table) is reference.level_table(world.level_table)
    assert reference.agreement_book(world.rules) is reference.agreement_book(world.rules)


# --------------------------------------------------------------------------- read side


def test_it_computes_the_level_and_entitlement_of_the_latest_review(world):
    AnnualReview.objects.create(
        gmf=world.gmf,
        reviewed_on=datetime.date(2025, 4, 1),
        level_table=world.level_table,
        counts={"standard": 6000},
        recorded_by=world.users["ciusss"],
    )
    review = AnnualReview.objects.create(
        gmf=world.gmf,
        reviewed_on=DAY,
        level_table=world.level_table,
        counts={"standard": 8000, "vulnerable": 1200},
        recorded_by=world.users["ciusss"],
    )

    assert reference.review_level(review) == (10400.0, 2)
    before = reference.entitlement(world.gmf, DAY - datetime.timedelta(days=1))
    assert before["nurse_clinician"] == Decimal("1.00")
    after = reference.entitlement(world.gmf, DAY)
    assert after["nurse_clinician"] == Decimal("1.50")
    assert after["nutritionist"] == Decimal("0.20")
    # G1 is of kind "gmf": no nursing assistant in it.
    assert after["nursing_assistant"] == Decimal("0.00")
    assert reference.entitlement(world.gmf2, DAY) == {}


def test_it_labels_the_professional_types_and_shows_an_unknown_code():
    assert reference.type_label("nurse_clinician") != "nurse_clinician"
    assert reference.type_label("midwife") == "midwife"
    assert [code for code, _label in reference.PROFESSIONAL_TYPES][:2] == [
        "nurse_clinician",
        "nursing_assistant",
    ]


def test_it_needs_the_banner_for_an_illustrative_version_only(world):
    confirmed = _publish_levels(
        world, LEVELS_TEXT.replace("illustrative = true", "illustrative = false")
    )

    assert reference.illustrative_banner_needed(world.level_table)
    assert not reference.illustrative_banner_needed(confirmed, None)


def test_it_lists_the_holidays_of_the_year_of_the_establishment(world):
    page = reference.agreement_rules_page(world.rules, 2026)

    days = {day["day"]: day for group in page["holidays"] for day in group["days"]}
    assert datetime.date(2026, 6, 24) in days
    assert len(page["holidays"]) == 1  # the same holidays under every agreement
    # 1 July 2029 is a Sunday: cisss_bsl moves Canada Day to 2 July.
    moved = reference.agreement_rules_page(world.rules, 2029)["holidays"][0]["days"]
    assert any(day["moved"] and day["day"] == datetime.date(2029, 7, 2) for day in moved)


# --------------------------------------------------------------------------- pages


def test_it_shows_the_level_list_in_french_with_the_banner(client_for, world):
    response = client_for("gmf").get(reverse("comanagement:levels"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Valeurs illustratives" in text
    assert 'data-testid="level-in-force"' in text
    assert 'data-testid="level-new"' not in text


def test_it_offers_the_drmg_to_publish_a_level_table(client_for, world):
    response = client_for("drmg").get(reverse("comanagement:levels"))

    assert 'data-testid="level-new"' in response.content.decode()


def test_it_says_when_a_region_has_no_level_table(client_for, world):
    LevelTableVersion.objects.filter(region=world.other_region).delete()

    response = client_for("gmf9").get(reverse("comanagement:levels"))

    assert response.status_code == 200
    assert 'data-testid="no-level-table"' in response.content.decode()


def test_it_shows_a_level_table_as_tables_with_labels_not_codes(client_for, world):
    response = client_for("ciusss").get(
        reverse("comanagement:level-detail", args=[world.level_table.pk])
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "Infirmière clinicienne" in text
    assert "Travailleuse sociale" in text
    assert "Niveau" in text
    assert "Valeurs illustratives" in text
    for code in ("nurse_clinician", "social_worker", "home_care_loss_of_autonomy", "gmf_r"):
        assert code not in text
    assert text.count('data-level="') == 9


def test_it_shows_no_banner_on_a_confirmed_version(client_for, world):
    confirmed = _publish_levels(
        world, LEVELS_TEXT.replace("illustrative = true", "illustrative = false")
    )

    response = client_for("drmg").get(reverse("comanagement:level-detail", args=[confirmed.pk]))

    assert "illustrative-banner" not in response.content.decode()


def test_it_publishes_a_level_table_from_the_page(client_for, world):
    response = client_for("drmg").post(
        reverse("comanagement:level-new"),
        {"text": LEVELS_TEXT, "in_force_from": "2026-04-01", "note": "Annexe 2026"},
    )

    version = LevelTableVersion.objects.get(region=world.region, number=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("comanagement:level-detail", args=[version.pk])


def test_it_shows_the_refused_key_on_the_level_form(client_for, world):
    response = client_for("drmg").post(
        reverse("comanagement:level-new"),
        {
            "text": LEVELS_TEXT.replace("vulnerable = 2", "vulnerable = -2"),
            "in_force_from": "2026-04-01",
        },
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "weights.vulnerable" in text
    assert 'data-testid="errors-text"' in text
    assert LevelTableVersion.objects.filter(region=world.region).count() == 1


def test_it_prefills_the_level_form_with_the_version_in_force(client_for, world):
    response = client_for("drmg").get(reverse("comanagement:level-new"))

    assert response.status_code == 200
    assert "demo-2017-illustrative" in response.content.decode()


def test_it_shows_agreement_rules_in_french_with_the_banner(client_for, world):
    response = client_for("gmf").get(
        reverse("comanagement:agreement-detail", args=["cisss_bsl", world.rules.pk])
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "Valeurs illustratives" in text
    assert "Fête nationale du Québec" in text
    assert "Infirmière clinicienne" in text
    assert "FIQ — convention collective 2024-2028" in text
    assert "fete_nationale" not in text
    assert 'data-testid="delays-table"' in text


def test_it_lists_the_establishments_rules(client_for, world):
    response = client_for("ciusss").get(reverse("comanagement:agreements", args=["cisss_bsl"]))

    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="rules-in-force"' in text
    assert 'data-testid="agreement-new"' in text


def test_it_says_when_an_establishment_has_no_rules(client_for, world):
    response = client_for("ciusss2").get(reverse("comanagement:agreements", args=["cisss_two"]))

    assert response.status_code == 200
    assert 'data-testid="no-rules"' in response.content.decode()


def test_it_publishes_agreement_rules_from_the_page(client_for, world):
    response = client_for("ciusss").post(
        reverse("comanagement:agreement-new", args=["cisss_bsl"]),
        {
            "text": AGREEMENTS_TEXT,
            "in_force_from": "2026-04-01",
            "training_decide_within_days": "20",
            "attendance_approve_within_days": "7",
            "integration_due_days": "30",
        },
    )

    version = AgreementRulesVersion.objects.get(establishment=world.establishment, number=2)
    assert response.status_code == 302
    assert version.training_decide_within_days == 20


def test_it_shows_the_missing_establishment_on_the_rules_form(client_for, world):
    response = client_for("ciusss2").post(
        reverse("comanagement:agreement-new", args=["cisss_two"]),
        {
            "text": AGREEMENTS_TEXT,
            "in_force_from": "2026-04-01",
            "training_decide_within_days": "20",
            "attendance_approve_within_days": "7",
            "integration_due_days": "30",
        },
    )

    assert response.status_code == 200
    assert "[establishments.cisss_two]" in response.content.decode()
    assert not AgreementRulesVersion.objects.filter(establishment=world.establishment2).exists()


def test_it_prefills_the_rules_form_with_the_shipped_file_when_there_is_none(client_for, world):
    response = client_for("ciusss2").get(reverse("comanagement:agreement-new", args=["cisss_two"]))

    assert response.status_code == 200
    assert "[establishments.cisss_bsl]" in response.content.decode()


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("name", ["gmf", "ciusss"])
def test_it_refuses_the_level_form_to_other_sides(client_for, world, name):
    client = client_for(name)

    assert client.get(reverse("comanagement:level-new")).status_code == 403
    response = client.post(
        reverse("comanagement:level-new"), {"text": LEVELS_TEXT, "in_force_from": "2026-04-01"}
    )
    assert response.status_code == 403
    assert LevelTableVersion.objects.filter(region=world.region).count() == 1


@pytest.mark.parametrize("name", ["drmg", "gmf"])
def test_it_refuses_the_rules_form_to_other_sides(client_for, world, name):
    client = client_for(name)

    assert client.get(reverse("comanagement:agreement-new", args=["cisss_bsl"])).status_code == 403
    response = client.post(
        reverse("comanagement:agreement-new", args=["cisss_bsl"]),
        {"text": AGREEMENTS_TEXT, "in_force_from": "2026-04-01"},
    )
    assert response.status_code == 403


def test_it_hides_another_establishments_rules_from_a_ciusss_manager(client_for, world):
    client = client_for("ciusss")

    assert client.get(reverse("comanagement:agreements", args=["cisss_two"])).status_code == 404
    assert client.get(reverse("comanagement:agreement-new", args=["cisss_two"])).status_code == 404
    assert (
        client_for("ciusss2")
        .get(reverse("comanagement:agreement-detail", args=["cisss_bsl", world.rules.pk]))
        .status_code
        == 404
    )


def test_it_hides_a_version_under_another_establishments_code(client_for, world):
    # The DRMG reads both establishments, but a version is read under its own.
    response = client_for("drmg").get(
        reverse("comanagement:agreement-detail", args=["cisss_two", world.rules.pk])
    )

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["cml", "physician", "coach", "gmf_no_gmf", "ciusss_no_est"])
def test_it_refuses_the_reference_pages_to_other_roles(client_for, world, name):
    client = client_for(name)
    urls = [
        reverse("comanagement:levels"),
        reverse("comanagement:level-new"),
        reverse("comanagement:level-detail", args=[world.level_table.pk]),
        reverse("comanagement:agreements", args=["cisss_bsl"]),
        reverse("comanagement:agreement-new", args=["cisss_bsl"]),
        reverse("comanagement:agreement-detail", args=["cisss_bsl", world.rules.pk]),
    ]

    assert [client.get(url).status_code for url in urls] == [403] * len(urls)


@pytest.mark.parametrize("name", ["drmg9", "gmf9", "ciusss9"])
def test_it_hides_another_regions_reference_data(client_for, world, name):
    client = client_for(name)

    assert (
        client.get(reverse("comanagement:level-detail", args=[world.level_table.pk])).status_code
        == 404
    )
    assert client.get(reverse("comanagement:agreements", args=["cisss_bsl"])).status_code == 404
    assert (
        client.get(
            reverse("comanagement:agreement-detail", args=["cisss_bsl", world.rules.pk])
        ).status_code
        == 404
    )


def test_it_sends_an_anonymous_visitor_to_log_in(world):
    from django.test import Client

    response = Client().get(reverse("comanagement:levels"))

    assert response.status_code == 302


def test_it_exports_only_names_it_defines():
    assert all(hasattr(reference, name) for name in reference.__all__)
    assert all(hasattr(services, name) for name in services.__all__)
