"""The worker's upkeep, run by its supervisor (:mod:`web.ops.worker`) before the first
worker process and then every ``PANELCARE_WORKER_CHECK_SECONDS``: fail the jobs a lost
worker left running (:func:`web.tasks_health.fail_stalled`), and at start then every
``PANELCARE_WORKER_CLEAN_SECONDS`` remove the files a crash left under the data folder
(:mod:`web.ops.orphans`, only those older than an hour and of no job in progress).

Run in a short-lived process of its own (``manage.py worker_upkeep``), so that the
supervisor stays small: the services it calls import the engines.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from web import tasks_health
from web.ops.orphans import Orphan, find_orphans, remove_orphans

__all__ = ["ORPHAN_AGE", "Upkeep", "upkeep"]

logger = logging.getLogger(__name__)

# What a crash left is removed once it has not been written for this long (a younger file
# may belong to a write in progress); as `manage.py clean_orphans`.
ORPHAN_AGE = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Upkeep:
    """What one pass did: ``stalled`` jobs failed, ``orphans`` removed (or put back)."""

    stalled: int
    orphans: list[Orphan] = field(default_factory=list)


def upkeep(*, clean_orphans: bool) -> Upkeep:
    """Fail the stalled jobs, and with ``clean_orphans`` remove the orphan files (after
    failing: a job just failed no longer protects its staged file, which waits for the
    next pass if it is younger than :data:`ORPHAN_AGE`)."""
    stalled = tasks_health.fail_stalled()
    orphans: list[Orphan] = []
    if clean_orphans:
        orphans = find_orphans(ORPHAN_AGE)
        remove_orphans(orphans)
        for orphan in orphans:
            logger.warning("removed what a crash left: %s (%s)", orphan.path, orphan.reason)
    return Upkeep(stalled=stalled, orphans=orphans)
