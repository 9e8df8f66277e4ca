"""Letters that say only what is true (issue 15, 4): each test reads a rendered letter
(its HTML page, or the PDF's text) and would have caught what the demo region's letters
said wrongly: the 45 % rule, who gets a personal letter, why fewer patients, the figures
shared with the pages, plurals, and who signs."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from panelcare.attribution import store
from web.accounts.models import AccountAction
from web.attribution import letters, services
from web.attribution.figures import monthly_pace_text, territory_monthly_pace
from web.attribution.models import LetterKind, RunStatus
from web.audit.models import AuditEvent
from web.dashboard.templatetags.panelcare_format import grouped, pct

pytestmark = pytest.mark.django_db


def text_of(html: str) -> str:
    """The words of a letter's page, tags out, spaces made plain."""
    words = unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(words.split())


def item(**changes: Any) -> dict[str, Any]:
    """One personalised letter's facts (outputs.letters' shape), changed by ``changes``."""
    base = {
        "physician_id": "D00001",
        "name": "Dre Test",
        "rls_id": "0115",
        "group": "1b",
        "target": 500,
        "registered": 400,
        "expected": 30,
        "monthly_pace": 3,
        "mode": "bloc",
        "reasons": ["group_1b", "under_full_workload", "need_filled"],
        "months": {"first": 1, "last": 10},
        "vulnerable_share_after": 0.3889,
        "rls_vulnerable_share_mean": 0.41,
    }
    return {**base, **changes}


def personal(run, **changes: Any) -> str:
    facts = letters.personal_facts(run, item(**changes))
    return text_of(letters.render_html(letters.default_template(LetterKind.PERSONAL), facts))


def general(run, **keywords: Any) -> str:
    physician = {"physician_id": "D00001", "name": "Dre Test", "rls_id": run.rls.code}
    facts = letters.general_facts(run, physician, **keywords)
    return text_of(letters.render_html(letters.default_template(LetterKind.GENERAL), facts))


# --------------------------------------------------------------------------- the 45 % rule


def test_it_tells_a_physician_above_the_cap_that_they_received_no_vulnerable_patient(
    approved_run,
):
    body = personal(
        approved_run,
        reasons=["group_2", "above_vulnerable_cap", "need_filled"],
        vulnerable_share_before=0.531,
        vulnerable_share_after=0.516,
    )
    assert "aucun patient vulnérable ne vous est attribué" in body
    assert "votre part après l'attribution est de 51,6 %" in body
    assert "(53,1 %)" in body
    # What every letter said, false for this physician:
    assert "Aucun médecin participant ne dépasse" not in body


def test_it_tells_a_physician_under_the_cap_their_share_stays_under_it(approved_run):
    body = personal(approved_run, vulnerable_share_after=0.3889)
    assert "votre clientèle compte 38,9 % de patients vulnérables" in body
    assert "sans dépasser 45 %" in body


def test_it_says_in_the_general_letter_that_physicians_above_the_cap_stay_above(approved_run):
    body = general(approved_run, above_cap=2)
    assert "aucun médecin participant ne dépasse" not in body.lower()
    assert "sa part reste donc au-dessus de 45 %" in body
    assert "2 médecins participants dépassaient déjà 45 %" in body


# --------------------------------------------------------------------------- who gets a personal letter


def test_it_writes_a_personal_letter_to_those_given_patients_and_to_group_1_only():
    assert letters.gets_personal_letter(item(group="2", expected=4))
    assert letters.gets_personal_letter(item(group="1b", expected=0))
    assert letters.gets_personal_letter(item(group="1a", expected=0))
    assert not letters.gets_personal_letter(item(group="2", expected=0))


def test_it_tells_each_physician_in_the_general_letter_whether_a_personal_letter_follows(
    approved_run,
):
    without = general(approved_run, personal_letter=False)
    assert "vous ne recevez que cette lettre" in without
    assert "Vous recevez aussi une lettre personnalisée" not in without
    assert "Vous recevez aussi une lettre personnalisée" in general(
        approved_run, personal_letter=True
    )
    # The rule, as the letters are written, not "only those receiving patients":
    assert "chaque médecin des groupes 1a et 1b, même sans patient" in without


def test_it_never_invites_a_group_2_physician_to_a_target_when_none_is_assigned(approved_run):
    body = personal(
        approved_run,
        group="2",
        target=900,
        registered=850,
        expected=0,
        monthly_pace=0,
        months=None,
        reasons=["group_2", "no_candidate"],
    )
    assert "invité à atteindre" not in body
    assert "aucun ne vous est attribué" in body


# --------------------------------------------------------------------------- why fewer patients


def test_it_says_where_the_patients_within_reach_went_as_the_plan_recorded(approved_run):
    reach = {
        "candidates": 37,
        "went_elsewhere": 36,
        "to_earlier_tiers": 30,
        "unassigned": 1,
        "limited_by": "candidates",
        "vulnerable_quota": 10,
    }
    body = personal(
        approved_run,
        group="2",
        target=900,
        expected=0,
        months=None,
        reasons=["group_2", "no_candidate"],
        reach=reach,
    )
    assert "37 patients orphelins se trouvaient à moins de 50 km de votre lieu de pratique" in body
    assert "30 ont été attribués à des médecins servis avant vous" in body
    assert "6 à d'autres médecins" in body and "1 est resté sans médecin" in body
    # What the letters said to physicians whose patients went to priority physicians:
    assert "ne restait pour vous" not in body


def test_it_says_no_orphan_was_within_reach_only_when_none_was(approved_run):
    reach = {"candidates": 0, "went_elsewhere": 0, "to_earlier_tiers": 0, "unassigned": 0}
    body = personal(
        approved_run, expected=0, months=None, reasons=["group_1b", "no_candidate"], reach=reach
    )
    assert "Aucun patient orphelin de la liste d'attente ne se trouvait à moins de 50 km" in body


def test_it_says_the_cml_moved_a_patient_away_not_the_distance(done_run, cml, drmg):
    plan = store.read_plan(done_run.folder / "plan")
    codes = plan.physicians.physician_id
    targeted = {row["physician_id"] for row in letters.letter_items(done_run, plan)}
    # A patient of a targeted physician, moved by the CML to another one.
    i = next(
        i
        for i in range(len(plan.orphans))
        if plan.physician_of[i] >= 0 and str(codes[plan.physician_of[i]]) in targeted
    )
    origin = str(codes[plan.physician_of[i]])
    other = next(code for code in sorted(targeted) if code != origin)
    services.do_move_patient(
        done_run, str(plan.orphans.patient_id[i]), other, "closer to home", acting_user=cml
    )
    run = services.do_approve_run(done_run, acting_user=drmg)
    items = {
        row["physician_id"]: row
        for row in letters.letter_items(run, store.read_plan(run.folder / "plan"))
    }
    assert items[origin]["moves"] == {"away": 1}
    facts = letters.personal_facts(run, items[origin])
    body = text_of(letters.render_html(letters.default_template(LetterKind.PERSONAL), facts))
    assert (
        "le coordonnateur médical local (CML) a confié à un autre médecin 1 patient qui vous était attribué"
        in body
    )
    to = letters.personal_facts(run, items[other])
    assert any("vous a confié 1 patient." in reason for reason in to["reasons"])


# --------------------------------------------------------------------------- one figure, one value


def test_it_writes_the_territory_pace_as_the_run_page_shows_it(approved_run):
    summary = {
        "params": {},
        "orphans": 1011,
        "assigned": 1000,
        "by_rls": {
            approved_run.rls.code: {"orphans": 1011, "assigned": 1000, "monthly_pace": 84.25}
        },
    }
    body = general(approved_run, summary=summary)
    with translation.override("fr"):
        shared = monthly_pace_text(territory_monthly_pace(summary, approved_run.rls.code))
    assert shared == "84,3"
    # Before: rounded up to 85 in the letter while the page read 84,25.
    assert "sur 12 mois) 84,3" in body
    assert "85" not in body.split("Rythme visé")[1][:40]


def test_it_rounds_a_share_the_same_on_the_page_and_in_the_letter(approved_run):
    with translation.override("fr"):
        page = pct(0.3889)
    assert page == "38,9\u00a0%" or page == "38,9 %"
    assert "38,9 %" in personal(approved_run, vulnerable_share_after=0.3889)


def test_it_never_writes_a_negative_zero():
    with translation.override("fr"):
        assert grouped(-0.04, 1) == "0,0"
        assert pct(-0.0001) == "0,0 %"


def test_it_writes_one_patient_in_the_singular(approved_run):
    body = personal(approved_run, expected=1, monthly_pace=1, months={"first": 1, "last": 1})
    assert "vous dirigera 1 patient, environ 1 patient par mois" in body
    assert "1 patients" not in body


# --------------------------------------------------------------------------- who signs


def test_it_signs_with_the_profile_not_the_login(approved_run):
    body = personal(approved_run)
    assert "Dre Hélène Exemple" in body  # the demo DRMG's name as signed (approved the run)
    assert "Cheffe du Département régional de médecine générale" in body
    assert "Dr Marc Exemple, coordonnateur médical local" in body  # the CML to reach
    assert "cml.rimouski" not in body


def test_it_lets_a_cml_edit_their_signature_and_records_it(client, cml):
    client.force_login(cml)
    response = client.post(
        reverse("accounts:profile"),
        {
            "signatory_name": "Dr Paul Nouveau",
            "signatory_title": "Coordonnateur médical local",
            "signature_block": "Rimouski\n418 555-0199",
        },
    )
    assert response.status_code == 302
    cml.profile.refresh_from_db()
    assert cml.profile.signatory_name == "Dr Paul Nouveau"
    event = AuditEvent.objects.get(action=AccountAction.SIGNATORY_EDITED)
    assert event.actor == cml and event.details["signatory_name"] == "Dr Paul Nouveau"
    assert (
        "Dr Paul Nouveau"
        in letters.cml_contacts(cml.profile.region)[cml.profile.rls.get().code][0]["name"]
    )


def test_it_refuses_the_signature_page_to_other_roles(client, demo_user):
    client.force_login(demo_user("medecin"))
    assert client.get(reverse("accounts:profile")).status_code == 403
    client.logout()
    assert client.get(reverse("accounts:profile")).status_code == 302  # to the login


# --------------------------------------------------------------------------- the written PDFs


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_writes_the_truths_in_the_pdfs(approved_run, drmg):
    written = services.do_write_letters(approved_run, acting_user=drmg)
    plan = store.read_plan(approved_run.folder / "plan")
    items = {row["physician_id"]: row for row in letters.letter_items(approved_run, plan)}
    personal_codes = {row.physician_code for row in written if row.kind == LetterKind.PERSONAL}
    assert personal_codes == set(items)
    for row in written:
        text = " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(row.path.read_bytes())).pages
        )
        text = " ".join(text.replace("\u00a0", " ").split())
        assert "Dre Hélène Exemple" in text
        assert not re.search(r"(?<!\d)(?<!\d )1 patients", text) and "-0,0" not in text
        if row.kind == LetterKind.GENERAL:
            assert ("Vous recevez aussi une lettre personnalisée" in text) == (
                row.physician_code in items
            )
        else:
            assert "invité à atteindre" not in text or items[row.physician_code]["expected"] > 0
    assert approved_run.status == RunStatus.APPROVED
