"""The LE 304 files' writes and downloads (issue 19): a file is prepared only when the
letter of agreement's conditions hold, each failing one named; its status follows RAMQ's
order; its patients.csv holds the transfer's patients exactly, for French Excel; its
agreement is a PDF; every write and download is recorded."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from panelcare.attribution import store
from web.attribution.models import AttributionAction, Le304File, Le304FileStatus, Run
from web.attribution.services_le304_files import (
    Le304FileRefused,
    do_prepare_le304_file,
    do_set_le304_file_status,
)
from web.attribution.tests.test_le304_files_pages import Block, make_blocks
from web.audit.models import AuditEvent
from web.regions.models import Patient, Physician

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(demo_user: Callable[[str], User]) -> User:
    return demo_user("agent.guichet")


def prepare(run: Run, block: Block, agent: User) -> Le304File:
    return do_prepare_le304_file(run, block.departing, block.receiving, acting_user=agent)


# --- preparing ------------------------------------------------------------------------------


def test_it_prepares_a_file_when_every_condition_holds(approved_run, agent):
    (block,) = make_blocks(approved_run, (50, 0.75))  # both minimums exactly
    file = prepare(approved_run, block, agent)
    assert (file.patients, file.status, file.prepared_on) == (
        50,
        Le304FileStatus.PREPARED,
        timezone.localdate(),
    )
    assert [check["code"] for check in file.conditions["checks"]] == [
        "block",
        "assiduity",
        "named",
        "departure",
    ]
    assert all(check["met"] for check in file.conditions["checks"])
    entry = AuditEvent.objects.get(action=AttributionAction.LE304_FILE_PREPARED)
    assert (entry.actor, entry.rls_code, entry.subject_id) == (agent, "0115", str(file.pk))
    assert entry.details["patients"] == 50


def test_it_refuses_a_block_under_50_with_the_reason(approved_run, agent):
    (block,) = make_blocks(approved_run, (49, 0.90))
    with pytest.raises(Le304FileRefused) as refused:
        prepare(approved_run, block, agent)
    assert "A block of at least 50 patients (49 patients transferred.)" in str(refused.value)
    assert "assiduity" not in str(refused.value)  # only the failing condition is named
    assert not Le304File.objects.exists()
    assert not AuditEvent.objects.filter(action=AttributionAction.LE304_FILE_PREPARED).exists()


def test_it_refuses_an_assiduity_under_75_percent(approved_run, agent):
    (block,) = make_blocks(approved_run, (60, 0.749))
    with pytest.raises(Le304FileRefused) as refused:
        prepare(approved_run, block, agent)
    message = str(refused.value)
    assert "assiduity of the previous year is at least 75 %" in message
    assert "The receiving physician's rate: 74.9 %." in message
    assert "A block of at least" not in message
    assert not Le304File.objects.exists()


def test_it_refuses_an_unknown_assiduity(approved_run, agent):
    (block,) = make_blocks(approved_run, (60, None))
    with pytest.raises(Le304FileRefused, match="rate is unknown"):
        prepare(approved_run, block, agent)


def test_it_names_the_source_of_the_rate(approved_run, agent):
    (block,) = make_blocks(approved_run, (50, 0.8))
    file = prepare(approved_run, block, agent)
    detail = next(c["detail"] for c in file.conditions["checks"] if c["code"] == "assiduity")
    assert detail.startswith("The receiving physician's rate: 80.0 %. Assiduity of ")


def test_it_refuses_a_transfer_the_plan_does_not_hold(approved_run, agent):
    full, other = make_blocks(approved_run, (50, 0.8), (50, 0.8))
    with pytest.raises(Le304FileRefused, match="no such LE 304 transfer"):
        do_prepare_le304_file(approved_run, full.departing, other.receiving, acting_user=agent)


def test_it_prepares_a_transfer_once(approved_run, agent):
    (block,) = make_blocks(approved_run, (50, 0.8))
    prepare(approved_run, block, agent)
    with pytest.raises(Le304FileRefused, match="prepared already"):
        prepare(approved_run, block, agent)
    assert Le304File.objects.count() == 1


def test_it_refuses_a_superseded_run(approved_run, agent):
    (block,) = make_blocks(approved_run, (50, 0.8))
    Run.objects.filter(pk=approved_run.pk).update(superseded_at=timezone.now())
    approved_run.refresh_from_db()
    with pytest.raises(Le304FileRefused, match="not an approved plan in force"):
        prepare(approved_run, block, agent)


# --- the status at RAMQ ---------------------------------------------------------------------


def test_it_follows_ramqs_order(approved_run, agent):
    (block,) = make_blocks(approved_run, (50, 0.8))
    file = prepare(approved_run, block, agent)
    today = timezone.localdate()
    with pytest.raises(Le304FileRefused, match="cannot become “Accepted by RAMQ”"):
        do_set_le304_file_status(file, Le304FileStatus.ACCEPTED, on=today, acting_user=agent)
    file.refresh_from_db()
    assert file.status == Le304FileStatus.PREPARED
    do_set_le304_file_status(file, Le304FileStatus.SENT, on=today, acting_user=agent)
    do_set_le304_file_status(file, Le304FileStatus.ACCEPTED, on=today, acting_user=agent)
    file.refresh_from_db()
    assert (file.status, file.sent_on, file.answered_on, file.updated_by) == (
        Le304FileStatus.ACCEPTED,
        today,
        today,
        agent,
    )
    with pytest.raises(Le304FileRefused):
        do_set_le304_file_status(file, Le304FileStatus.REFUSED, on=today, acting_user=agent)
    statuses = AuditEvent.objects.filter(action=AttributionAction.LE304_FILE_STATUS)
    assert [e.details["status"] for e in statuses.order_by("pk")] == ["sent", "accepted"]


def test_it_refuses_a_date_in_the_future_or_before_the_sending(approved_run, agent):
    (block,) = make_blocks(approved_run, (50, 0.8))
    file = prepare(approved_run, block, agent)
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    with pytest.raises(Le304FileRefused, match="future"):
        do_set_le304_file_status(file, Le304FileStatus.SENT, on=tomorrow, acting_user=agent)
    with pytest.raises(Le304FileRefused, match="before the previous step"):
        do_set_le304_file_status(
            file, Le304FileStatus.SENT, on=today - datetime.timedelta(days=1), acting_user=agent
        )


def test_it_records_the_status_from_the_page(client_as, approved_run, agent):
    (block,) = make_blocks(approved_run, (50, 0.8))
    file = prepare(approved_run, block, agent)
    client = client_as("agent.guichet")
    url = reverse("attribution:le304-file", args=[file.pk])
    today = timezone.localdate().isoformat()
    refused = client.post(url, {"status": "accepted", "on": today}, follow=True)
    assert "a file is sent to RAMQ once prepared" in refused.content.decode()
    client.post(url, {"status": "sent", "on": today})
    file.refresh_from_db()
    assert (file.status, file.sent_on) == (Le304FileStatus.SENT, timezone.localdate())
    page = client.get(url).content.decode()
    assert 'data-testid="le304-status">Sent to RAMQ<' in page
    assert '<option value="accepted">' in page and '<option value="sent">' not in page


# --- the downloads ---------------------------------------------------------------------------


def test_it_writes_the_transfers_patients_exactly_for_french_excel(client_as, approved_run, agent):
    block, _small = make_blocks(approved_run, (50, 0.8), (49, 0.9))
    file = prepare(approved_run, block, agent)
    response = client_as("agent.guichet").get(reverse("attribution:le304-patients", args=[file.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="le304-{file.pk}-patients.csv"'
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")  # the byte order mark French Excel reads
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Waiting-list code",
        "Health insurance number",
        "Last name",
        "First name",
        "Birth year",
    ]
    # The transfer's patients, each once, in waiting-list order; no other patient.
    order = store.read_plan_patients(approved_run.folder / "plan").column("patient_id")
    waiting = [code for code in order.to_pylist() if code in set(block.patients)]
    assert [row[0] for row in rows[1:]] == waiting
    assert len(waiting) == 50
    known = {p.code: p for p in Patient.objects.filter(code__in=block.patients)}
    assert known, "the demo's waiting patients are known to the region"
    for code, number, last, first, year in rows[1:]:
        if code in known:
            patient = known[code]
            assert number == patient.health_insurance_number  # the full number, for RAMQ
            assert (last, first, year) == (
                patient.last_name,
                patient.first_name,
                str(patient.birth_year),
            )
    entry = AuditEvent.objects.get(action=AttributionAction.EXPORTED)
    assert (entry.actor, entry.subject_id, entry.details["what"]) == (
        agent,
        str(file.pk),
        "le304_patients",
    )


def test_it_neutralises_a_formula_in_a_patients_name(client_as, approved_run, agent):
    (block,) = make_blocks(approved_run, (50, 0.8))
    assert Patient.objects.filter(code=block.patients[0]).update(last_name="=HYPERLINK(1)") == 1
    file = prepare(approved_run, block, agent)
    content = client_as("drmg").get(reverse("attribution:le304-patients", args=[file.pk])).content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    (row,) = [row for row in rows if row[0] == block.patients[0]]
    assert row[2] == "'=HYPERLINK(1)"


def test_it_writes_the_agreement_as_a_pdf(client_as, approved_run, agent):
    (block,) = make_blocks(approved_run, (50, 0.8))
    file = prepare(approved_run, block, agent)
    response = client_as("agent.guichet").get(
        reverse("attribution:le304-agreement", args=[file.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    departing = Physician.objects.get(code=block.departing)
    receiving = Physician.objects.get(code=block.receiving)
    for fact in (
        departing.name,
        receiving.name,
        departing.licence_number,
        receiving.licence_number,
        "block of 50 patients",
        f"Run #{approved_run.pk}",
        "Signature of the receiving physician",
    ):
        assert fact and fact in text, fact
    entry = AuditEvent.objects.get(action=AttributionAction.EXPORTED)
    assert entry.details["what"] == "le304_agreement"
