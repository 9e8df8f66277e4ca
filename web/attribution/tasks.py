"""The background work of the attribution workflow (``django_tasks``): computing a run's
plan and writing a run's letters. Each task calls the services; with the immediate
backend (the tests', a one-process demo) it runs at once, in the request.
"""

from __future__ import annotations

import logging
import time

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django_tasks import task

from web.attribution import letters, services
from web.attribution.errors import LetterError
from web.attribution.models import Run
from web.errors import DiskFull

__all__ = ["execute_run", "write_letters"]

logger = logging.getLogger(__name__)

# The letters' status file is written at most this often (seconds), and at the ends.
LETTERS_PROGRESS_INTERVAL = 0.5


@task()
def execute_run(run_id: int) -> None:
    """Compute the plan of the queued run ``run_id``
    (:func:`web.attribution.services.do_compute_run`)."""
    services.do_compute_run(run_id)


@task()
def write_letters(run_id: int, user_id: int, job: str = "") -> None:
    """Write the letters of run ``run_id`` for user ``user_id``
    (:func:`web.attribution.services.do_write_letters`), the writing ``job`` (its token in
    the status file; "" for a task queued before the tokens), keeping the status file
    (:func:`web.attribution.letters.letters_status`) up to date: it is the writing's
    heartbeat. A failure is written there and in the history
    (:func:`web.attribution.services.do_record_letters_failure`), not raised.

    The writing stops at its next status write when it is no longer wanted (cancelled,
    asked for again, or taken for stopped after the lease):
    :class:`~web.attribution.letters.LettersStopped`, nothing kept, no error logged."""
    run = Run.objects.select_related("region", "rls").get(pk=run_id)
    user = get_user_model().objects.get(pk=user_id)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        # A few writes a second at most.
        now = time.monotonic()
        if done in (0, total) or now - last[0] > LETTERS_PROGRESS_INTERVAL:
            last[0] = now
            letters.report_status(run, job, state="running", done=done, total=total, error="")

    try:
        services.do_write_letters(
            run,
            acting_user=user,
            progress=progress,
            finishing=lambda: letters.finishing(run, job),
        )
    except letters.LettersStopped:
        # do_write_letters removed its staging folder: the previous letters stay.
        logger.info("letters of run %s were stopped (cancelled or stalled): none kept", run_id)
    except Exception as error:
        logger.exception("letters of run %s failed", run_id)
        message = (
            str(error)
            if isinstance(error, (LetterError, DiskFull))
            else _("The letters could not be written: %(error)s")
            % {"error": str(error) or type(error).__name__}
        )
        if not letters.end_status(run, job, state="failed", done=0, total=0, error=message):
            return  # cancelled meanwhile: its status stays
        try:
            services.do_record_letters_failure(run, message, acting_user=user)
        except Exception:  # the database may be why it failed: the status file says it
            logger.exception("recording the failed letters of run %s failed", run_id)
