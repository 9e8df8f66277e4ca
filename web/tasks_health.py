"""Background work that survives a crash: heartbeats and the lease.

A job row being worked on (an attribution or assiduity run RUNNING, an import CHECKING or
APPLYING) carries ``heartbeat_at``, written by the worker with the job's progress
(:func:`beat`, at most every :data:`HEARTBEAT_SECONDS`; :class:`ProgressWriter`). A job
whose heartbeat is older than the lease (setting ``PANELCARE_TASK_LEASE_SECONDS``) has lost
its worker (killed, server restarted): each app's ``do_fail_stalled_*`` marks it failed with
:data:`STOPPED_MESSAGE` and an audit entry, and marks its ``django_tasks`` result failed
(:func:`fail_task_results`) so that it no longer shows RUNNING under a dead worker. The
letters' heartbeat is their status file (:func:`web.attribution.letters.letters_status`,
read as stopped after the lease): the result of a writing whose worker is gone is marked
failed too (:func:`web.attribution.services.fail_stalled_letters`). The
check runs when the worker starts and every minute (``manage.py db_worker``'s upkeep,
:func:`fail_stalled`, setting ``PANELCARE_WORKER_CHECK_SECONDS``) and when a page polls a
job's progress. A worker that was only slow finds its job no longer running
at its next progress write and stops without writing anything (its result is the one the
check recorded).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

__all__ = [
    "HEARTBEAT_SECONDS",
    "LETTERS_TASK",
    "STOPPED_MESSAGE",
    "ProgressWriter",
    "any_stalled",
    "beat",
    "fail_stalled",
    "fail_task_result",
    "fail_task_results",
    "lease_seconds",
    "running_letters",
    "stalled",
]

logger = logging.getLogger(__name__)

# A job's heartbeat is written at most this often (seconds), with its progress.
HEARTBEAT_SECONDS = 5.0

# The letters' task (web.attribution.tasks.write_letters), named here so that the upkeep's
# question does not import it (and the services and engines it imports).
LETTERS_TASK = "web.attribution.tasks.write_letters"

STOPPED_MESSAGE = gettext_lazy(
    "The work stopped (the server was restarted or the worker stopped); start it again."
)


def lease_seconds() -> float:
    """How long a job may go without a heartbeat before it is taken for stopped."""
    return float(getattr(settings, "PANELCARE_TASK_LEASE_SECONDS", 120))


def beat(last: float, now: float) -> bool:
    """Whether a heartbeat is due, the previous one written at ``last`` (monotonic
    seconds; 0: never)."""
    return not last or now - last >= HEARTBEAT_SECONDS


def stalled(queryset: models.QuerySet[Any], statuses: Iterable[str]) -> models.QuerySet[Any]:
    """The jobs of ``queryset`` in one of ``statuses`` whose heartbeat is older than the
    lease (a job not started yet has none: its task is still queued, not lost)."""
    limit = timezone.now() - datetime.timedelta(seconds=lease_seconds())
    return queryset.filter(status__in=list(statuses), heartbeat_at__lt=limit)


class ProgressWriter:
    """A worker's progress callback ``(phase, done, total)``: writes them on the job's row
    (``model`` ``pk``) with ``heartbeat_at``, at most every ``interval`` seconds within a
    phase and always at a new phase or a phase's end, on the condition that the row is
    still in ``status``; when it no longer is (cancelled, failed as stalled) it raises
    ``stopped(pk)``, which stops the worker at its next report. ``finish()`` gives the
    seconds of each phase. The attribution and assiduity runs report through it."""

    def __init__(
        self,
        model: type[models.Model],
        pk: int,
        status: str,
        stopped: Callable[[int], Exception],
        interval: float = 0.25,
    ) -> None:
        self.model, self.pk, self.status = model, pk, status
        self.stopped, self.interval = stopped, interval
        self.phase = ""
        self.last = 0.0
        self.writes = 0
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        new_phase = phase != self.phase
        if new_phase:
            if self.phase:
                self.seconds[self.phase] = round(now - self.started[self.phase], 3)
            self.started.setdefault(phase, now)
            self.phase = phase
        if not new_phase and done < total and now - self.last < self.interval:
            return
        self.last = now
        self.writes += 1
        rows = self.model._default_manager.filter(pk=self.pk, status=self.status)
        if not rows.update(phase=phase, done=done, total=total, heartbeat_at=timezone.now()):
            raise self.stopped(self.pk)

    def finish(self) -> dict[str, float]:
        """The seconds of each phase reported, the last one ending now."""
        if self.phase:
            self.seconds[self.phase] = round(time.monotonic() - self.started[self.phase], 3)
        return self.seconds


def fail_task_results(task_path: str, job_id: int, message: str) -> int:
    """Mark failed the ``django_tasks`` database results of ``task_path`` still RUNNING
    for the job ``job_id`` (its first argument); 0 with another backend."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is installed
        return 0
    failed = 0
    for result in DBTaskResult.objects.filter(task_path=task_path, status="RUNNING"):
        args = (result.args_kwargs or {}).get("args") or []
        if not args or args[0] != job_id:
            continue
        failed += fail_task_result(result, message)
    return failed


def fail_task_result(result: Any, message: str) -> int:
    """Mark failed the ``django_tasks`` database result ``result`` (a ``DBTaskResult``)
    if it is still RUNNING, naming its workers; 1 if it was, else 0."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return int(
        DBTaskResult.objects.filter(pk=result.pk, status="RUNNING").update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path="web.tasks_health.Stalled",
            traceback=f"{message} (worker {', '.join(result.worker_ids) or '?'})",
        )
    )


def running_letters() -> bool:
    """Whether a ``django_tasks`` database result of the letters' task is RUNNING (its
    worker alive or not: the letters' status file says, read by the services)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is installed
        return False
    return DBTaskResult.objects.filter(task_path=LETTERS_TASK, status="RUNNING").exists()


def any_stalled() -> bool:
    """Whether a job of any app is stalled; from the models alone, without importing the
    services (and the engines they import): the worker's upkeep asks every minute. A
    letters' task RUNNING counts (whether its worker is alive is in its status file, read
    by :func:`web.attribution.services.fail_stalled_letters`)."""
    from web.assiduity.models import AssiduityRun, AssiduityRunStatus
    from web.attribution.models import Run, RunStatus
    from web.tables.models import ImportJob, ImportStatus

    running_imports = [str(ImportStatus.CHECKING), str(ImportStatus.APPLYING)]
    return (
        stalled(Run.objects.all(), [str(RunStatus.RUNNING)]).exists()
        or stalled(ImportJob.objects.all(), running_imports).exists()
        or stalled(AssiduityRun.objects.all(), [str(AssiduityRunStatus.RUNNING)]).exists()
        or running_letters()
    )


def fail_stalled() -> int:
    """Fail every stalled job of every app (the worker's upkeep, :mod:`web.ops.upkeep`);
    the number failed."""
    if not any_stalled():
        return 0
    from web.assiduity.services import do_fail_stalled_assiduity_runs
    from web.attribution.services import do_fail_stalled_runs, fail_stalled_letters
    from web.tables.services import do_fail_stalled_imports

    failed = (
        len(do_fail_stalled_runs())
        + len(do_fail_stalled_imports())
        + len(fail_stalled_letters())
        + len(do_fail_stalled_assiduity_runs())
    )
    if failed:
        logger.warning("%s stalled job(s) failed", failed)
    return failed
