"""Test helpers: an approved run of the tiny demo, and logging a client in.

The letters, the follow-up and the quarterly tables read an approved run's plan folder;
their tests make one through the runs' services, as the pages do:

    load_tiny_demo()
    run = approved_run(rls=Rls.objects.get(code="0115"))
    plan = store.read_plan(run.folder / "plan")
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from web.attribution import runs
from web.attribution.models import Run, RunStatus
from web.regions.models import Region, Rls
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset

__all__ = ["approved_run", "login"]


def approved_run(
    *,
    region: Region | None = None,
    rls: Rls | None = None,
    status: str = RunStatus.APPROVED,
    run_date: datetime.date | None = None,
    approved_at: datetime.datetime | None = None,
    user: Any = None,
) -> Run:
    """A run of ``rls`` (the whole region when None) made by the services the pages use
    (``runs.start_run``, its task run at once, then ``runs.approve_run``) with the default
    parameters on the current versions; ``status`` APPROVED (by the DRMG) unless told
    otherwise (DONE: not approved), ``approved_at`` set afterwards when given."""
    region = region or (rls.region if rls else Region.objects.get())
    assert Dataset.current(region, DatasetKind.WAITLIST) is not None, "load_tiny_demo() first"
    user = user or User.objects.get(username="drmg")
    run = runs.start_run(user, rls, {}, run_date or timezone.localdate())
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    if status == RunStatus.APPROVED:
        run = runs.approve_run(user, run)
        if approved_at is not None:
            Run.objects.filter(pk=run.pk).update(approved_at=approved_at)
            run.refresh_from_db()
    elif status != RunStatus.DONE:
        Run.objects.filter(pk=run.pk).update(status=status)
        run.refresh_from_db()
    return run


def login(client: Any, username: str) -> User:
    """Log ``client`` in as the demo user ``username`` (no password check: fast)."""
    user = User.objects.get(username=username)
    client.force_login(user)
    return user
