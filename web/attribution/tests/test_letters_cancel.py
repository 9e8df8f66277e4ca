"""Cancelling the writing of a run's letters: the worker stops at its next status write
and keeps nothing it wrote (the letters written before stay); a writing whose worker
died reads as stopped after the lease and can be asked for again; only who may write a
run's letters may cancel them."""

from __future__ import annotations

import datetime
import html
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from web import tasks_health
from web.attribution import letters, services, tasks
from web.attribution.errors import LetterError
from web.attribution.models import AttributionAction, Letter, Run
from web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    sink = io.BytesIO()
    writer.write(sink)
    return sink.getvalue()


BLANK = _blank_pdf()


@pytest.fixture
def fast_pdf(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[int], None]], list[int]]:
    """Letters rendered as a blank page (no WeasyPrint: fast), and every status written
    (no throttle). ``fast_pdf(on_letter)`` calls ``on_letter(n)`` as letter ``n`` (1-based)
    is rendered and returns the list of letters rendered."""
    monkeypatch.setattr(tasks, "LETTERS_PROGRESS_INTERVAL", -1.0)

    def install(on_letter: Callable[[int], None] = lambda n: None) -> list[int]:
        rendered: list[int] = []

        def render(template: Any, facts: Any) -> bytes:
            rendered.append(len(rendered) + 1)
            on_letter(len(rendered))
            return BLANK

        monkeypatch.setattr(letters, "render_pdf", render)
        return rendered

    return install


def _leftovers(run: Run) -> list[str]:
    return sorted(path.name for path in run.folder.iterdir() if path.name.startswith(".letters."))


def test_it_stops_the_writing_cancelled_midway_and_keeps_nothing(
    client, approved_run, cml, fast_pdf
):
    rendered = fast_pdf(
        lambda n: services.do_cancel_letters(approved_run, acting_user=cml) if n == 2 else None
    )
    client.force_login(cml)

    client.post(reverse("attribution:letters", args=[approved_run.pk]))

    assert rendered == [1, 2]  # stopped at the status write after the second letter
    assert not Letter.objects.filter(run=approved_run).exists()
    assert not (approved_run.folder / "letters").exists()
    assert _leftovers(approved_run) == []
    status = letters.letters_status(approved_run)
    assert status is not None and status["state"] == "cancelled"
    history = AuditEvent.objects.about(approved_run)
    cancelled = history.get(action=AttributionAction.LETTERS_CANCELLED)
    assert (cancelled.actor, cancelled.details["was"]) == (cml, "running")
    assert not history.filter(action=AttributionAction.LETTERS_WRITTEN).exists()
    page = client.get(reverse("attribution:letters", args=[approved_run.pk])).content.decode()
    assert 'data-testid="letters-cancelled"' in page
    assert 'http-equiv="refresh"' not in page


def test_it_keeps_the_letters_written_before_when_a_new_writing_is_cancelled(
    client, approved_run, drmg, fast_pdf
):
    fast_pdf()
    services.do_request_letters(approved_run, acting_user=drmg)
    before = sorted(Letter.objects.filter(run=approved_run).values_list("pk", flat=True))
    merged = letters.merged_path(approved_run).read_bytes()
    assert before and letters.letters_status(approved_run)["state"] == "done"

    fast_pdf(
        lambda n: services.do_cancel_letters(approved_run, acting_user=drmg) if n == 1 else None
    )
    services.do_request_letters(approved_run, acting_user=drmg)

    after = sorted(Letter.objects.filter(run=approved_run).values_list("pk", flat=True))
    assert after == before
    assert letters.merged_path(approved_run).read_bytes() == merged
    assert _leftovers(approved_run) == []
    client.force_login(drmg)
    page = client.get(reverse("attribution:letters", args=[approved_run.pk])).content.decode()
    assert "The letters written before are kept." in page
    assert 'data-testid="letters-merged"' in page


def test_it_does_not_swap_in_letters_cancelled_after_the_last_one(approved_run, drmg, fast_pdf):
    fast_pdf()
    job = letters.new_job()
    letters.write_status(approved_run, state="queued", done=0, total=0, error="", job=job)

    def cancel_at_the_end(done: int, total: int) -> None:
        letters.report_status(approved_run, job, state="running", done=done, total=total)
        if done == total:
            services.do_cancel_letters(approved_run, acting_user=drmg)

    with pytest.raises(letters.LettersStopped):
        services.do_write_letters(
            approved_run,
            acting_user=drmg,
            progress=cancel_at_the_end,
            finishing=lambda: letters.finishing(approved_run, job),
        )
    assert not Letter.objects.filter(run=approved_run).exists()
    assert not (approved_run.folder / "letters").exists()
    assert _leftovers(approved_run) == []


def test_it_refuses_to_cancel_letters_not_being_written(client, approved_run, drmg):
    with pytest.raises(LetterError, match="No letters of this run are being written"):
        services.do_cancel_letters(approved_run, acting_user=drmg)
    letters.write_status(approved_run, state="done", done=3, total=3, error="")
    client.force_login(drmg)
    response = client.post(
        reverse("attribution:letters-cancel", args=[approved_run.pk]), follow=True
    )
    assert "No letters of this run are being written." in response.content.decode()
    assert letters.letters_status(approved_run)["state"] == "done"
    assert not AuditEvent.objects.filter(action=AttributionAction.LETTERS_CANCELLED).exists()


@pytest.mark.parametrize(
    ("username", "status"), [("cml.kamouraska", 404), ("medecin", 403), ("gestion.gmf", 403)]
)
def test_it_refuses_the_cancel_to_who_may_not_write_the_letters(
    client_as, approved_run, username, status
):
    letters.write_status(approved_run, state="running", done=3, total=10, error="", job="j")
    url = reverse("attribution:letters-cancel", args=[approved_run.pk])
    assert client_as(username).post(url).status_code == status
    assert letters.letters_status(approved_run)["state"] == "running"
    assert not AuditEvent.objects.filter(action=AttributionAction.LETTERS_CANCELLED).exists()


def test_it_cancels_only_by_post(client, approved_run, cml):
    letters.write_status(approved_run, state="running", done=3, total=10, error="", job="j")
    client.force_login(cml)
    url = reverse("attribution:letters-cancel", args=[approved_run.pk])
    assert client.get(url).status_code == 405
    page = client.get(reverse("attribution:letters", args=[approved_run.pk])).content.decode()
    assert f'action="{url}"' in page and 'data-testid="letters-cancel"' in page
    client.post(url)
    assert letters.letters_status(approved_run)["state"] == "cancelled"


# --------------------------------------------------------------------------- a dead worker


def test_it_takes_a_writing_without_heartbeat_for_the_lease_as_stopped(
    approved_run, drmg, monkeypatch, settings
):
    settings.PANELCARE_TASK_LEASE_SECONDS = 60
    letters.write_status(approved_run, state="running", done=3, total=10, error="", job="dead")
    soon = timezone.now() + datetime.timedelta(seconds=59)
    monkeypatch.setattr(letters.timezone, "now", lambda: soon)
    assert letters.letters_in_progress(approved_run)

    later = soon + datetime.timedelta(seconds=2)
    monkeypatch.setattr(letters.timezone, "now", lambda: later)

    status = letters.letters_status(approved_run)
    assert status["state"] == "failed"
    assert status["error"] == str(tasks_health.STOPPED_MESSAGE)
    assert not letters.letters_in_progress(approved_run)
    with pytest.raises(LetterError):  # nothing left to cancel
        services.do_cancel_letters(approved_run, acting_user=drmg)
    # The worker, if only slow, stops at its next status write.
    with pytest.raises(letters.LettersStopped):
        letters.report_status(approved_run, "dead", state="running", done=4, total=10)


def test_it_writes_again_letters_whose_worker_died(approved_run, drmg, monkeypatch, fast_pdf):
    fast_pdf()
    letters.write_status(approved_run, state="running", done=3, total=10, error="", job="dead")
    later = timezone.now() + datetime.timedelta(seconds=tasks_health.lease_seconds() + 1)
    monkeypatch.setattr(letters.timezone, "now", lambda: later)

    status = services.do_request_letters(approved_run, acting_user=drmg)

    assert status["state"] == "done" and status["job"] != "dead"
    assert Letter.objects.filter(run=approved_run).count() == status["total"] > 0
    with pytest.raises(letters.LettersStopped):
        letters.report_status(approved_run, "dead", state="running", done=4, total=10)


def test_it_fails_the_task_result_of_letters_whose_worker_died(approved_run, drmg, monkeypatch):
    # The worker's upkeep (web/ops/upkeep.py) finds the letters' task still RUNNING under
    # a dead worker once their status, their heartbeat, is older than the lease.
    from django_tasks_db.models import DBTaskResult

    from web.ops.upkeep import upkeep

    assert tasks.write_letters.module_path == tasks_health.LETTERS_TASK
    letters.write_status(approved_run, state="running", done=3, total=10, error="", job="dead")
    now = timezone.now()
    held = {
        "task_path": tasks.write_letters.module_path,
        "worker_ids": ["dead-worker"],
        "backend_name": "default",
        "run_after": now,
        "started_at": now,
    }
    result = DBTaskResult.objects.create(
        status="RUNNING", args_kwargs={"args": [approved_run.pk, drmg.pk, "dead"]}, **held
    )
    queued = DBTaskResult.objects.create(
        status="READY", args_kwargs={"args": [approved_run.pk, drmg.pk, "next"]}, **held
    )

    assert upkeep(clean_orphans=False).stalled == 0  # a fresh heartbeat: still writing
    result.refresh_from_db()
    assert result.status == "RUNNING"

    later = now + datetime.timedelta(seconds=tasks_health.lease_seconds() + 1)
    monkeypatch.setattr(letters.timezone, "now", lambda: later)
    assert upkeep(clean_orphans=False).stalled == 1

    result.refresh_from_db()
    queued.refresh_from_db()
    assert result.status == "FAILED" and "dead-worker" in result.traceback
    assert str(tasks_health.STOPPED_MESSAGE) in result.traceback
    assert queued.status == "READY"  # only the task a worker held
    assert upkeep(clean_orphans=False).stalled == 0


def test_it_leaves_the_task_result_of_letters_just_written(approved_run, drmg):
    # A worker writes the final status just before its task returns: not a dead one.
    from django_tasks_db.models import DBTaskResult

    letters.write_status(approved_run, state="done", done=10, total=10, error="", job="j1")
    now = timezone.now()
    result = DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [approved_run.pk, drmg.pk, "j1"]},
        task_path=tasks.write_letters.module_path,
        worker_ids=["live-worker"],
        backend_name="default",
        run_after=now,
        started_at=now,
    )

    assert services.fail_stalled_letters() == []
    result.refresh_from_db()
    assert result.status == "RUNNING"


# --------------------------------------------------------------------------- in French


@pytest.fixture
def french(client, cml):
    client.force_login(cml)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


def test_it_says_in_french_that_the_writing_was_cancelled(french, approved_run):
    letters.write_status(approved_run, state="running", done=3, total=10, error="", job="j")
    page = french.get(reverse("attribution:letters", args=[approved_run.pk])).content.decode()
    assert "Annuler la rédaction" in page

    response = french.post(
        reverse("attribution:letters-cancel", args=[approved_run.pk]), follow=True
    )

    body = response.content.decode()
    assert body.count("Rédaction des lettres annulée.") == 2  # the message and the status
    again = french.post(reverse("attribution:letters-cancel", args=[approved_run.pk]), follow=True)
    assert "Aucune lettre de cette répartition n'est en cours de rédaction." in html.unescape(
        again.content.decode()
    )


def test_it_says_in_french_that_a_writing_stopped(french, approved_run, monkeypatch):
    letters.write_status(approved_run, state="running", done=3, total=10, error="", job="j")
    later = timezone.now() + datetime.timedelta(seconds=tasks_health.lease_seconds() + 1)
    monkeypatch.setattr(letters.timezone, "now", lambda: later)
    page = french.get(reverse("attribution:letters", args=[approved_run.pk])).content.decode()
    assert 'data-testid="letters-failed"' in page
    assert "Le traitement s'est arrêté" in html.unescape(page)
