"""Letters of an approved run: who gets which letter, the PDF's content, the merged file,
the DRMG's templates, who may download what, and the history."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from panelcare.attribution import outputs, store
from panelcare.attribution.outputs import PLAN_REASONS
from web.accounts.models import Role
from web.attribution import letters, services
from web.attribution.errors import LetterError
from web.attribution.models import (
    AttributionAction,
    Letter,
    LetterKind,
    LetterTemplate,
    RunStatus,
)
from web.audit.models import AuditEvent
from web.regions.models import Physician
from web.regions.testing import make_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def user(name: str) -> User:
    return User.objects.get(username=name)


def pdf_text(path_or_bytes) -> str:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pages(path: Path) -> int:
    return len(PdfReader(str(path)).pages)


def targeted(run) -> list[dict]:
    plan = store.read_plan(run.folder / "plan")
    return [item for item in outputs.letters(plan) if item["rls_id"] == run.rls.code]


# --------------------------------------------------------------------------- writing


def test_it_refuses_letters_for_a_run_not_approved(make_run, client, rimouski, drmg, cml):
    run = make_run(rls=rimouski, status=RunStatus.DONE)
    with pytest.raises(LetterError, match="approved run only"):
        services.do_write_letters(run, acting_user=drmg)
    client.force_login(cml)
    response = client.post(reverse("attribution:letters", args=[run.pk]), follow=True)
    assert response.status_code == 200
    assert "approved run only" in response.content.decode()
    assert not Letter.objects.filter(run=run).exists()
    assert not (run.folder / "letters").exists()
    assert not AuditEvent.objects.filter(action=AttributionAction.LETTERS_WRITTEN).exists()


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_writes_a_general_letter_per_physician_and_a_personal_letter_per_target(
    approved_run, cml
):
    written = services.do_write_letters(approved_run, acting_user=cml)
    roster = set(Physician.objects.filter(rls=approved_run.rls).values_list("code", flat=True))
    general = {row.physician_code for row in written if row.kind == LetterKind.GENERAL}
    personal = {row.physician_code for row in written if row.kind == LetterKind.PERSONAL}
    assert general == roster
    assert personal == {
        item["physician_id"]
        for item in targeted(approved_run)
        if letters.gets_personal_letter(item)
    }
    assert 0 < len(personal) < len(general)
    assert Letter.objects.filter(run=approved_run).count() == len(general) + len(personal)
    for letter in written:
        assert letter.path.is_file()
        assert letter.path.read_bytes().startswith(b"%PDF")


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_merges_every_letter_in_one_file_with_as_many_pages_as_the_parts(approved_run, drmg):
    written = services.do_write_letters(approved_run, acting_user=drmg)
    merged = letters.merged_path(approved_run)
    assert merged.is_file()
    assert pages(merged) == sum(pages(letter.path) for letter in written)
    # No staging folder is left beside the letters.
    assert [p.name for p in approved_run.folder.iterdir() if p.name.startswith(".letters")] == []


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_writes_the_expected_number_of_the_plan_in_the_personal_letter(approved_run, drmg):
    services.do_write_letters(approved_run, acting_user=drmg)
    item = max(targeted(approved_run), key=lambda item: item["expected"])
    assert item["expected"] > 0
    letter = Letter.objects.get(
        run=approved_run, kind=LetterKind.PERSONAL, physician_code=item["physician_id"]
    )
    text = pdf_text(letter.path)
    assert re.search(rf"Nombre de patients attendus\s*{item['expected']}\b", text), text
    assert re.search(rf"Rythme mensuel \(patients par mois\)\s*{item['monthly_pace']}\b", text)
    assert item["name"] in text
    assert "Groupe " + item["group"] in text


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_explains_the_reasons_in_french(approved_run, drmg):
    services.do_write_letters(approved_run, acting_user=drmg)
    item = targeted(approved_run)[0]
    text = " ".join(
        pdf_text(
            Letter.objects.get(
                run=approved_run, kind="personal", physician_code=item["physician_id"]
            ).path
        ).split()
    )
    for code in item["reasons"]:
        if code in ("candidates_exhausted", "no_candidate"):
            # Said from the plan's record instead (test_letters_truth.py).
            assert "patients orphelins se trouvaient" in text or "ne se trouvait" in text
            continue
        sentence = letters.REASON_SENTENCES[code].split("{")[0].strip()
        assert " ".join(sentence.split()) in text
    assert not any(code in text for code in item["reasons"])


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_writes_the_general_letter_with_the_territory_figures(approved_run, drmg):
    services.do_write_letters(approved_run, acting_user=drmg)
    summary = approved_run.summary["by_rls"][approved_run.rls.code]
    letter = Letter.objects.filter(run=approved_run, kind=LetterKind.GENERAL).first()
    text = pdf_text(letter.path)
    assert re.search(rf"Patients orphelins à attribuer\s*{summary['orphans']}\b", text)
    assert re.search(rf"Patients attribués à un médecin\s*{summary['assigned']}\b", text)
    assert "45 %" in text.replace("\u00a0", " ")
    # How to reach the CML: by the name of their profile, never by login (issue 15, 4).
    words = " ".join(text.replace("\u00a0", " ").split())
    assert "Dr Marc Exemple" in words and "cml.rimouski" not in words


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_writes_the_general_letter_to_every_physician_of_the_region_for_a_region_run(
    make_run, demo, drmg
):
    run = make_run()
    written = services.do_write_letters(run, acting_user=drmg)
    general = {row.physician_code for row in written if row.kind == LetterKind.GENERAL}
    assert general == set(Physician.objects.values_list("code", flat=True))


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_replaces_the_previous_letters_when_written_again(approved_run, drmg):
    first = services.do_write_letters(approved_run, acting_user=drmg)
    second = services.do_write_letters(approved_run, acting_user=drmg)
    assert len(second) == len(first)
    assert Letter.objects.filter(run=approved_run).count() == len(second)
    assert all(letter.path.is_file() for letter in second)


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_writes_nothing_when_a_letter_fails(approved_run, monkeypatch, drmg):
    services.do_write_letters(approved_run, acting_user=drmg)
    before = sorted(p.name for p in (approved_run.folder / "letters").iterdir())
    calls = {"n": 0}
    real = letters.render_pdf

    def failing(template, facts):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(template, facts)

    monkeypatch.setattr(letters, "render_pdf", failing)
    with pytest.raises(RuntimeError):
        services.do_write_letters(approved_run, acting_user=drmg)
    assert sorted(p.name for p in (approved_run.folder / "letters").iterdir()) == before
    assert [p.name for p in approved_run.folder.iterdir() if p.name.startswith(".letters")] == []
    assert AuditEvent.objects.filter(action=AttributionAction.LETTERS_WRITTEN).count() == 1


def test_it_maps_every_reason_code_of_the_engine_to_french():
    source = (ROOT / "src/panelcare/attribution/groups.py").read_text(encoding="utf-8")
    block = source[source.index("reasons = np.select(") : source.index("return Targets(")]
    codes = set(re.findall(r'"([a-z0-9_]+)"', block)) | set(PLAN_REASONS)
    docs = (ROOT / "docs/attribution-rules.md").read_text(encoding="utf-8")
    # The physicians' table only: the next one is about waiting-list rows.
    table = docs[docs.index("## Reason codes") :].split("`Selection.reason`")[0]
    codes |= set(re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.MULTILINE))
    assert "group_1a" in codes and "need_filled" in codes
    assert codes <= set(letters.REASON_SENTENCES), codes - set(letters.REASON_SENTENCES)


# --------------------------------------------------------------------------- pages


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_lists_the_letters_with_stable_test_ids(client, approved_run, drmg, cml):
    services.do_write_letters(approved_run, acting_user=drmg)
    client.force_login(cml)
    body = client.get(reverse("attribution:letters", args=[approved_run.pk])).content.decode()
    item = targeted(approved_run)[0]
    assert 'data-testid="letters-generate"' in body
    assert 'data-testid="letters-merged"' in body
    assert f'data-testid="letter-{item["physician_id"]}-personal"' in body
    assert f'data-testid="letter-{item["physician_id"]}-general"' in body


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_writes_the_letters_from_the_page(client, approved_run, cml):
    client.force_login(cml)
    response = client.post(reverse("attribution:letters", args=[approved_run.pk]))
    assert response.status_code == 302
    assert Letter.objects.filter(run=approved_run).exists()
    response = client.get(reverse("attribution:letters-merged", args=[approved_run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_lets_a_physician_download_their_own_letter_and_not_a_colleagues(
    client, approved_run, drmg
):
    services.do_write_letters(approved_run, acting_user=drmg)
    own, colleague = targeted(approved_run)[:2]
    physician = Physician.objects.get(code=own["physician_id"])
    client.force_login(make_user(Role.PHYSICIAN, physician=physician))
    mine = Letter.objects.get(run=approved_run, kind="personal", physician_code=physician.code)
    response = client.get(reverse("attribution:letter-download", args=[mine.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert str(own["expected"]) in pdf_text(b"".join(response.streaming_content))
    theirs = Letter.objects.get(
        run=approved_run, kind="personal", physician_code=colleague["physician_id"]
    )
    assert client.get(reverse("attribution:letter-download", args=[theirs.pk])).status_code == 404
    # A physician does not see the run's list, nor the merged file.
    assert client.get(reverse("attribution:letters", args=[approved_run.pk])).status_code == 403
    assert (
        client.get(reverse("attribution:letters-merged", args=[approved_run.pk])).status_code == 403
    )


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_hides_the_letters_of_a_run_not_approved_from_its_physician(
    make_run, client, rimouski, drmg
):
    run = make_run(rls=rimouski)
    services.do_write_letters(run, acting_user=drmg)
    run.status = RunStatus.DONE  # as if un-approved: a physician only sees approved runs
    run.save(update_fields=["status"])
    item = targeted(run)[0]
    client.force_login(
        make_user(Role.PHYSICIAN, physician=Physician.objects.get(code=item["physician_id"]))
    )
    letter = Letter.objects.get(run=run, kind="personal", physician_code=item["physician_id"])
    assert client.get(reverse("attribution:letter-download", args=[letter.pk])).status_code == 404


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_answers_404_to_the_cml_of_another_rls(client, approved_run, drmg):
    services.do_write_letters(approved_run, acting_user=drmg)
    letter = Letter.objects.filter(run=approved_run).first()
    client.force_login(user("cml.kamouraska"))
    assert client.get(reverse("attribution:letters", args=[approved_run.pk])).status_code == 404
    assert client.post(reverse("attribution:letters", args=[approved_run.pk])).status_code == 404
    assert (
        client.get(reverse("attribution:letters-merged", args=[approved_run.pk])).status_code == 404
    )
    assert client.get(reverse("attribution:letter-download", args=[letter.pk])).status_code == 404


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_refuses_the_letters_to_roles_without_the_right(client, approved_run, drmg):
    services.do_write_letters(approved_run, acting_user=drmg)
    letter = Letter.objects.filter(run=approved_run).first()
    for name in ("gestion.gmf", "ciusss", "coach"):
        client.force_login(user(name))
        assert client.get(reverse("attribution:letters", args=[approved_run.pk])).status_code == 403
        assert (
            client.get(reverse("attribution:letters-merged", args=[approved_run.pk])).status_code
            == 403
        )
        assert (
            client.get(reverse("attribution:letter-download", args=[letter.pk])).status_code == 403
        )
        assert client.get(reverse("attribution:letter-templates")).status_code == 403
        assert client.get(reverse("attribution:my-letters")).status_code == 403


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_records_letters_written_and_downloaded(client, approved_run, drmg, cml):
    services.do_write_letters(approved_run, acting_user=cml)
    written = AuditEvent.objects.about(approved_run).get(action=AttributionAction.LETTERS_WRITTEN)
    assert written.actor == cml
    assert written.rls_code == approved_run.rls.code
    assert (
        written.details["general"]
        == Letter.objects.filter(run=approved_run, kind="general").count()
    )
    assert written.details["personal"] == len(targeted(approved_run))
    assert written.details["pages"] == pages(letters.merged_path(approved_run))
    client.force_login(drmg)
    letter = Letter.objects.filter(run=approved_run, kind="personal").first()
    client.get(reverse("attribution:letter-download", args=[letter.pk]))
    client.get(reverse("attribution:letters-merged", args=[approved_run.pk]))
    downloads = AuditEvent.objects.filter(action=AttributionAction.LETTER_DOWNLOADED).order_by("pk")
    assert [event.details for event in downloads] == [
        {"physician_code": letter.physician_code, "kind": "personal"},
        {"merged": True},
    ]
    assert all(event.actor == drmg for event in downloads)
    assert all(
        AuditEvent.objects.about(approved_run).filter(pk=event.pk).exists() for event in downloads
    )


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_shows_a_physician_their_letters_and_pace_without_patients(client, approved_run, drmg):
    services.do_write_letters(approved_run, acting_user=drmg)
    item = max(targeted(approved_run), key=lambda item: item["expected"])
    physician = Physician.objects.get(code=item["physician_id"])
    client.force_login(make_user(Role.PHYSICIAN, physician=physician))
    response = client.get(reverse("attribution:my-letters"))
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(rf'data-testid="my-expected">{item["expected"]}<', body)
    assert re.search(rf'data-testid="my-pace">{item["monthly_pace"]}<', body)
    assert f'data-testid="letter-{physician.code}-personal"' in body
    assert 'data-testid="my-progress"' in body
    assert not re.search(r"P\d{8}", body)  # no patient id
    for name in ("drmg", "cml.rimouski"):
        client.force_login(user(name))
        assert client.get(reverse("attribution:my-letters")).status_code == 403


# --------------------------------------------------------------------------- templates


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_uses_the_drmg_template_in_the_next_letters(client, approved_run, drmg):
    client.force_login(drmg)
    response = client.post(
        reverse("attribution:letter-templates"),
        {
            "kind": "personal",
            "action": "save",
            "subject": "Votre cible — {{ physician_name }}",
            "body": "<p>Texte revu par le DRMG : {{ expected }} patients attendus.</p>",
        },
    )
    assert response.status_code == 302
    saved = LetterTemplate.objects.get(kind="personal")
    assert saved.updated_by == drmg
    assert letters.template_for(approved_run.region, "personal").body.startswith("<p>Texte revu")
    assert letters.template_for(approved_run.region, "general").is_default
    services.do_write_letters(approved_run, acting_user=drmg)
    item = max(targeted(approved_run), key=lambda item: item["expected"])
    letter = Letter.objects.get(
        run=approved_run, kind="personal", physician_code=item["physician_id"]
    )
    text = pdf_text(letter.path)
    assert f"Texte revu par le DRMG : {item['expected']} patients attendus." in text
    assert "Votre cible — " + item["name"] in text
    event = AuditEvent.objects.about(saved).get(action=AttributionAction.TEMPLATE_EDITED)
    assert (event.actor, event.region, event.rls_code) == (drmg, approved_run.region, "")
    assert event.details == {
        "kind": "personal",
        "created": True,
        "text": {"subject": saved.subject, "body": saved.body},
    }


def test_it_refuses_template_edits_to_a_cml(client, cml):
    client.force_login(cml)
    response = client.post(
        reverse("attribution:letter-templates"),
        {"kind": "general", "action": "save", "subject": "x", "body": "<p>y</p>"},
    )
    assert response.status_code == 403
    assert client.get(reverse("attribution:letter-templates")).status_code == 403
    assert not LetterTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action=AttributionAction.TEMPLATE_EDITED).exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<p>{% if %}</p>", "does not compile"),
        ("<p>{% for x in %}</p>", "does not compile"),
        ("<p>{{ expectd }}</p>", "expectd"),
        ('<p>{% include "base.html" %}</p>', "does not render"),
        ("<p>{% debug %}</p>", "debug tag"),
        ("   ", "empty"),
    ],
)
def test_it_refuses_a_broken_template_and_saves_nothing(client, body, message, drmg):
    client.force_login(drmg)
    response = client.post(
        reverse("attribution:letter-templates"),
        {"kind": "personal", "action": "save", "subject": "Objet", "body": body},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'data-testid="template-personal-error"' in content
    assert message in content
    assert not LetterTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action=AttributionAction.TEMPLATE_EDITED).exists()


def test_it_previews_a_template_as_pdf_without_saving_it(client, drmg):
    client.force_login(drmg)
    response = client.post(
        reverse("attribution:letter-templates"),
        {
            "kind": "general",
            "action": "preview",
            "subject": "Aperçu",
            "body": "<p>Bonjour {{ physician_name }}, {{ orphans }} orphelins.</p>",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Bonjour Dr Jean Exemple, 2840 orphelins." in pdf_text(response.content)
    assert not LetterTemplate.objects.exists()


def test_it_goes_back_to_the_default_template(client, drmg, region):
    client.force_login(drmg)
    url = reverse("attribution:letter-templates")
    client.post(url, {"kind": "general", "action": "save", "subject": "S", "body": "<p>B</p>"})
    assert not letters.template_for(region, "general").is_default
    client.post(url, {"kind": "general", "action": "reset"})
    assert letters.template_for(region, "general").is_default
    assert AuditEvent.objects.filter(action=AttributionAction.TEMPLATE_EDITED).count() == 2
    assert 'data-testid="template-general-default"' in client.get(url).content.decode()


def test_it_checks_the_shipped_templates_on_sample_facts():
    for kind in LetterKind.values:
        text = letters.default_template(kind)
        letters.check_template(kind, text.subject, text.body)  # raises if broken
        html = letters.render_html(text, letters.sample_facts(kind))
        assert "Dr Jean Exemple" in html, kind
        assert "{{" not in html and "{%" not in html, kind


# --------------------------------------------------------------------------- background


def test_it_shows_on_the_page_that_the_writing_failed(client, approved_run, monkeypatch, drmg):
    def failing(template, facts):
        raise RuntimeError("no more paper")

    monkeypatch.setattr(letters, "render_pdf", failing)
    client.force_login(drmg)
    response = client.post(reverse("attribution:letters", args=[approved_run.pk]), follow=True)
    body = response.content.decode()
    assert 'data-testid="letters-failed"' in body
    assert "no more paper" in body
    assert not Letter.objects.filter(run=approved_run).exists()
    assert letters.letters_status(approved_run)["state"] == "failed"


def test_it_records_a_failed_writing_in_the_history(approved_run, monkeypatch, drmg):
    def failing(template, facts):
        raise RuntimeError("no more paper")

    monkeypatch.setattr(letters, "render_pdf", failing)
    services.do_request_letters(approved_run, acting_user=drmg)
    event = AuditEvent.objects.about(approved_run).get(action=AttributionAction.LETTERS_WRITTEN)
    assert (event.actor, event.rls_code) == (drmg, approved_run.rls.code)
    assert event.details["failed"] is True
    assert "no more paper" in event.details["error"]


def test_it_does_not_queue_the_letters_twice(client, approved_run, drmg):
    letters.write_status(approved_run, state="running", done=3, total=10, error="")
    with pytest.raises(LetterError, match="being written"):
        services.do_request_letters(approved_run, acting_user=drmg)
    client.force_login(drmg)
    body = client.get(reverse("attribution:letters", args=[approved_run.pk])).content.decode()
    assert 'data-testid="letters-progress"' in body
    assert 'http-equiv="refresh"' in body


def test_it_takes_a_writing_that_stopped_moving_as_failed(approved_run, monkeypatch):
    letters.write_status(approved_run, state="running", done=3, total=10, error="")
    later = timezone.now() + letters.STALE_AFTER + datetime.timedelta(seconds=1)
    monkeypatch.setattr(letters.timezone, "now", lambda: later)
    assert letters.letters_status(approved_run)["state"] == "failed"
    assert not letters.letters_in_progress(approved_run)


@pytest.mark.slow  # writes the run's letters as PDF files
def test_it_reports_the_progress_of_the_writing(approved_run, drmg):
    seen = []
    written = services.do_write_letters(
        approved_run, acting_user=drmg, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[0] == (0, len(written))
    assert seen[-1] == (len(written), len(written))
