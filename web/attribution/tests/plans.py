"""A test helper: an approved run of the tiny demo, made without the runs' service.

The letters, the follow-up and the quarterly tables read an approved run's plan folder;
their tests build one here, straight from the engine, so they do not depend on the runs'
pages and tasks:

    load_tiny_demo()
    run = approved_run(rls=Rls.objects.get(code="0111"))
    plan = store.read_plan(run.folder / "plan")
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.contrib.auth.models import User
from django.utils import timezone

from panelcare.attribution import io, outputs, solve, store
from panelcare.attribution.params import load_params
from web.attribution.datasets import read_dataset
from web.attribution.models import Dataset, DatasetKind, Run, RunStatus
from web.regions.models import Region, Rls

__all__ = ["approved_run"]


def approved_run(
    *,
    region: Region | None = None,
    rls: Rls | None = None,
    status: str = RunStatus.APPROVED,
    run_date: datetime.date | None = None,
    approved_at: datetime.datetime | None = None,
    user: Any = None,
) -> Run:
    """A run of ``rls`` (the whole region when None) on the current physicians and
    waiting-list versions, planned with the default parameters, its plan folder written
    at ``run.folder / "plan"`` and its summary filled; ``status`` APPROVED (by the DRMG)
    unless told otherwise."""
    region = region or (rls.region if rls else Region.objects.get())
    physicians = Dataset.current(region, DatasetKind.PHYSICIANS)
    waitlist = Dataset.current(region, DatasetKind.WAITLIST)
    assert physicians is not None and waitlist is not None, "load_tiny_demo() first"
    user = user or User.objects.get(username="drmg")
    run_date = run_date or timezone.localdate()
    run = Run.objects.create(
        region=region,
        rls=rls,
        title=f"Test run {rls.code if rls else region.code}",
        run_date=run_date,
        physicians=physicians,
        waitlist=waitlist,
        status=RunStatus.RUNNING,
        created_by=user,
    )
    # The test database rolls back, the data folder does not: a pk may come back.
    shutil.rmtree(run.folder, ignore_errors=True)
    run.folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder)
        for kind, dataset in ((DatasetKind.PHYSICIANS, physicians), ("waitlist", waitlist)):
            table = read_dataset(dataset)
            if rls is not None:
                table = table.filter(pc.equal(table.column("rls_id"), rls.code))
            pq.write_table(table, inputs / f"{kind}.parquet")
        doctors, orphans = io.read_inputs(inputs)
    plan = solve.plan(doctors, orphans, load_params(None), run_date, workers=1)
    store.write_plan(plan, run.folder / "plan")
    run.summary = outputs.summary(plan)
    run.status = status
    run.finished_at = timezone.now()
    if status == RunStatus.APPROVED:
        run.approved_by = user
        run.approved_at = approved_at or timezone.now()
    run.save()
    return run


def login(client: Any, username: str) -> User:
    """Log ``client`` in as the demo user ``username`` (no password check: fast)."""
    user = User.objects.get(username=username)
    client.force_login(user)
    return user
