"""A full disk while a run's plan or letters are written: the French reason on the run or
the letters' job, no partial folder left, nothing recorded (issue 14, "Faults leave
nothing behind")."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from web.attribution import letters, services
from web.attribution.models import Letter, RunAdjustment, RunStatus
from web.errors import DiskFull

pytestmark = pytest.mark.django_db

FULL = "disk is full: nothing was written"


def full_write_plan(plan, folder, population):
    """store.write_plan on a full disk: a first file written, then ENOSPC."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / "summary.json").write_text("{")
    raise OSError(errno.ENOSPC, "No space left on device")


def test_it_fails_a_run_on_a_full_disk_with_the_french_reason(rimouski, cml, monkeypatch):
    monkeypatch.setattr(services.store, "write_plan", full_write_plan)
    with translation.override("fr"):
        run = services.do_start_run(rimouski, {}, timezone.localdate(), "", acting_user=cml)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Le disque du serveur est plein")
    assert "Errno" not in run.error
    assert not run.folder.exists()


def test_it_keeps_the_plan_when_the_disk_fills_during_an_adjustment(done_run, cml, monkeypatch):
    plan = done_run.folder / "plan"
    before = {path.name: path.read_bytes() for path in plan.iterdir() if path.is_file()}
    patient = services.store.read_plan(plan).orphans.patient_id[0]
    monkeypatch.setattr(services.store, "write_plan", full_write_plan)
    with pytest.raises(DiskFull):
        services.do_change_target(done_run, "D00004", 3, acting_user=cml)
    with pytest.raises(DiskFull):
        services.do_move_patient(done_run, str(patient), "D00004", acting_user=cml)
    after = {path.name: path.read_bytes() for path in plan.iterdir() if path.is_file()}
    assert after == before
    assert sorted(path.name for path in done_run.folder.iterdir()) == ["plan"]
    assert not RunAdjustment.objects.filter(run=done_run).exists()


def test_it_fails_the_letters_on_a_full_disk_with_the_french_reason(
    client, approved_run, drmg, monkeypatch
):
    real_write_bytes = Path.write_bytes

    def full_write_bytes(self, data):
        if self.parent.name.startswith(".letters."):
            real_write_bytes(self, data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_write_bytes)
    client.force_login(drmg)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.post(reverse("attribution:letters", args=[approved_run.pk]), follow=True)
    assert response.status_code == 200
    assert "Le disque du serveur est plein" in response.content.decode()
    status = letters.letters_status(approved_run)
    assert status["state"] == "failed"
    assert status["error"].startswith("Le disque du serveur est plein")
    assert not Letter.objects.filter(run=approved_run).exists()
    names = [path.name for path in approved_run.folder.iterdir()]
    assert not [name for name in names if name.startswith(".letters.") or name == "letters"]


def test_it_refuses_to_queue_letters_on_a_full_disk(client, approved_run, drmg, monkeypatch):
    def full_status(run, **fields):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(letters, "write_status", full_status)
    client.force_login(drmg)
    response = client.post(reverse("attribution:letters", args=[approved_run.pk]), follow=True)
    assert response.status_code == 200
    assert FULL in response.content.decode()
    assert letters.letters_status(approved_run) is None
