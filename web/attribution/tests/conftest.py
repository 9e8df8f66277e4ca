"""The attribution's fixtures, on top of ``web/conftest.py`` (``demo``, ``own_rls``,
``other_rls``, ``demo_user``, ``client_as`` and the clients per role).

* ``region`` — the demo region; ``rimouski`` — its RLS 0115 Rimouski-Neigette (``own_rls``);
* ``drmg``, ``cml`` (cml.rimouski) — demo accounts;
* ``done_run`` — a run of Rimouski-Neigette by its CML with the default parameters, computed
  (status DONE), not approved;
* ``approved_run`` — a run of Rimouski-Neigette approved by the DRMG;
* ``make_run(...)`` — a run made by the services the pages use, for other territories,
  dates or statuses.

The attribution's tests read the English messages (the ids): the French catalogue is
checked whole by web/config/tests/test_translations.py, and the browser tests, which run
in French, check the pages a CML sees.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from web.attribution import services
from web.attribution.models import Run, RunStatus
from web.regions.demo import LoadReport
from web.regions.models import Region, Rls
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset

# The date of the runs made by the fixtures (the tiny demo's tables are of 2026).
RUN_DATE = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """English messages, for the test and its clients (``web/conftest.py``)."""


@pytest.fixture
def region(demo: LoadReport) -> Region:
    """The demo region."""
    return Region.objects.get()


@pytest.fixture
def rimouski(own_rls: Rls) -> Rls:
    """The RLS 0115 Rimouski-Neigette, the demo CML ``cml.rimouski``'s."""
    assert own_rls.code == "0115"
    return own_rls


@pytest.fixture
def drmg(demo_user: Callable[[str], User]) -> User:
    return demo_user("drmg")


@pytest.fixture
def cml(demo_user: Callable[[str], User]) -> User:
    """The CML of Rimouski-Neigette."""
    return demo_user("cml.rimouski")


@pytest.fixture
def make_run(demo: LoadReport) -> Callable[..., Run]:
    """Make a run through the services the pages use (``do_start_run``, its task run at
    once, then ``do_approve_run``), with the default parameters on the current versions:

        make_run(rls=None, user=drmg, status=RunStatus.APPROVED, run_date=RUN_DATE,
                 approved_at=None, title="")

    ``rls`` None runs the whole region; ``user`` (the DRMG by default) starts and approves
    it; ``status`` APPROVED, or DONE (not approved), or any other status written over;
    ``approved_at`` set afterwards when given; an approval supersedes the plans in force
    of the territory with ``supersede_reason``."""

    def make(
        *,
        rls: Rls | None = None,
        user: User | None = None,
        status: str = RunStatus.APPROVED,
        run_date: datetime.date | None = None,
        approved_at: datetime.datetime | None = None,
        title: str = "",
        supersede_reason: str = "A later plan of the same territory (test).",
    ) -> Run:
        region = rls.region if rls else Region.objects.get()
        assert Dataset.current(region, DatasetKind.WAITLIST) is not None
        user = user or User.objects.get(username="drmg")
        run = services.do_start_run(
            rls, {}, run_date or timezone.localdate(), title, acting_user=user
        )
        run.refresh_from_db()
        assert run.status == RunStatus.DONE, run.error
        if status == RunStatus.APPROVED:
            run = services.do_approve_run(run, acting_user=user, supersede_reason=supersede_reason)
            if approved_at is not None:
                Run.objects.filter(pk=run.pk).update(approved_at=approved_at)
                run.refresh_from_db()
        elif status != RunStatus.DONE:
            Run.objects.filter(pk=run.pk).update(status=status)
            run.refresh_from_db()
        return run

    return make


@pytest.fixture
def done_run(make_run: Callable[..., Run], cml: User, rimouski: Rls) -> Run:
    """A run of Rimouski-Neigette by its CML on :data:`RUN_DATE`, titled T4, computed and
    not approved."""
    return make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE, title="T4")


@pytest.fixture
def approved_run(make_run: Callable[..., Run], rimouski: Rls) -> Run:
    """A run of Rimouski-Neigette approved by the DRMG, run today."""
    return make_run(rls=rimouski)
