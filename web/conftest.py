"""Fixtures shared by the tests of every web app: the demo region and its cast of users.

* ``demo`` — the tiny demo region (2 RLS, version 1 of every table, the demo accounts),
  loaded once per test module and rolled back at the module's end; each test runs inside
  it in a savepoint of its own, with a copy of the demo's table files in its data folder.
* ``own_rls`` / ``other_rls`` — the RLS of ``cml.rimouski`` and of ``cml.kamouraska``.
* ``demo_user("cml.rimouski")`` — a fresh instance of a demo account (the profile is
  cached on the user object, so a test that changes it asks again).
* ``client_as("drmg")`` — a new test client logged in as a demo account, carrying the
  cookies of the ``client`` fixture (an app's conftest may choose English there);
  ``drmg_client``, ``cml_client`` (cml.rimouski), ``other_cml_client`` (cml.kamouraska),
  ``gmf_manager_client``, ``ciusss_client``, ``physician_client``, ``coach_client`` name one.
* ``english`` — English messages for the test and its clients (an app's conftest makes it
  autouse when its tests read the message ids).

For the tests that need a few rows, not a region:

* ``territory`` — one region, one RLS, one site, two physicians and one patient
  (:func:`web.regions.testing.make_territory`); ``territory_cml``, the CML of its RLS
  (username ``cml``); ``waiting_entry``, its patient waiting, as the projection writes it.
* ``superuser_client`` — logged in as the regional system administrator (``admin``: the
  demo's when a test asks for ``demo`` too, else a superuser without a profile).

Tests that need a database committed for another thread (``live_server``, browser tests)
load the demo themselves with :func:`web.regions.testing.load_tiny_demo`.
"""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import translation

from web.accounts.models import Role
from web.regions.demo import LoadReport
from web.regions.models import Rls, WaitlistEntry
from web.regions.testing import (
    DEMO_ASSIDUITY_YEAR,
    Territory,
    load_tiny_demo,
    make_territory,
    make_user,
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In each test module, run the tests without ``demo`` first: once loaded, the module's
    demo stays in the database until the module's end, where they would see it."""
    by_module: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::")[0], []).append(item)
    items[:] = [
        item
        for module_items in by_module.values()
        for item in sorted(
            module_items, key=lambda item: "demo" in getattr(item, "fixturenames", ())
        )
    ]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: the pages' cache keys hold the data version
    (primary-key maxima), which a rolled-back test can give the next one again."""
    cache.clear()


@pytest.fixture(scope="module")
def _demo_loaded(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LoadReport, Path]]:
    """The tiny demo, loaded once for a test module and rolled back at its end, with the
    folder its table versions were written to."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    before = settings.PANELCARE_DATA_DIR
    with django_db_blocker.unblock(), transaction.atomic():
        settings.PANELCARE_DATA_DIR = data_dir
        try:
            report = load_tiny_demo()
        finally:
            settings.PANELCARE_DATA_DIR = before
        yield report, data_dir
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def _demo_assiduity_run(
    _demo_loaded: tuple[LoadReport, Path], django_db_blocker: Any
) -> Iterator[int]:
    """The id of the demo region's assiduity computation of :data:`DEMO_ASSIDUITY_YEAR` by
    the DRMG, DONE, made once for the module in its demo (rolled back with it); its results
    are written with the demo's tables, which ``demo`` copies into each test's data folder.
    The assiduity's tests and the attribution's LE 304 tests read it."""
    from web.assiduity import services as assiduity_services
    from web.assiduity.models import AssiduityRunStatus
    from web.regions.models import Region

    _report, data_dir = _demo_loaded
    before = settings.PANELCARE_DATA_DIR
    with django_db_blocker.unblock():
        settings.PANELCARE_DATA_DIR = data_dir
        try:
            run = assiduity_services.do_start_assiduity_run(
                Region.objects.get(),
                DEMO_ASSIDUITY_YEAR,
                acting_user=User.objects.get(username="drmg"),
            )
        finally:
            settings.PANELCARE_DATA_DIR = before
    assert run.status == AssiduityRunStatus.DONE, run.error
    yield run.pk


@pytest.fixture
def demo(
    request: pytest.FixtureRequest,
    _demo_loaded: tuple[LoadReport, Path],
    _panelcare_data_dir: None,
    db: None,
) -> LoadReport:
    """The tiny demo region (see the module docstring); the load's report."""
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        pytest.fail("`demo` lives in a transaction: a live server test loads its own demo")
    report, data_dir = _demo_loaded
    shutil.copytree(data_dir, settings.PANELCARE_DATA_DIR, dirs_exist_ok=True)
    return report


@pytest.fixture
def own_rls(demo: LoadReport) -> Rls:
    """The RLS of the demo CML ``cml.rimouski`` (the first RLS by code)."""
    return User.objects.get(username="cml.rimouski").profile.rls.get()


@pytest.fixture
def other_rls(demo: LoadReport) -> Rls:
    """The RLS of the demo CML ``cml.kamouraska`` (the second RLS by code)."""
    return User.objects.get(username="cml.kamouraska").profile.rls.get()


@pytest.fixture
def demo_user(demo: LoadReport) -> Callable[[str], User]:
    """A fresh instance of the demo account ``username``."""

    def get(username: str) -> User:
        return User.objects.get(username=username)

    return get


@pytest.fixture
def french(client: Client) -> Iterator[None]:
    """French messages for the test and the pages of ``client``: for a module of an app
    whose conftest asks for ``english`` that reads French pages (it overrides the app's
    autouse fixture: ``def _english(french: None) -> None``)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    with translation.override("fr"):
        yield


@pytest.fixture
def english(client: Client) -> Iterator[None]:
    """English messages (the ids) for the test and for the pages of ``client`` (and so of
    ``client_as``), chosen through the language switch's cookie. An app whose tests read
    the ids asks for it in an autouse fixture of its conftest; the French catalogue is
    checked whole by web/config/tests/test_translations.py."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def client_as(client: Client, demo_user: Callable[[str], User]) -> Callable[[str], Client]:
    """A new test client logged in as the demo account ``username`` (no password check)."""

    def log_in(username: str) -> Client:
        new = Client()
        new.cookies.update(client.cookies)
        new.force_login(demo_user(username))
        return new

    return log_in


@pytest.fixture
def drmg_client(client_as: Callable[[str], Client]) -> Client:
    return client_as("drmg")


@pytest.fixture
def cml_client(client_as: Callable[[str], Client]) -> Client:
    """The CML of ``own_rls``."""
    return client_as("cml.rimouski")


@pytest.fixture
def other_cml_client(client_as: Callable[[str], Client]) -> Client:
    """The CML of ``other_rls``."""
    return client_as("cml.kamouraska")


@pytest.fixture
def gmf_manager_client(client_as: Callable[[str], Client]) -> Client:
    return client_as("gestion.gmf")


@pytest.fixture
def ciusss_client(client_as: Callable[[str], Client]) -> Client:
    return client_as("ciusss")


@pytest.fixture
def physician_client(client_as: Callable[[str], Client]) -> Client:
    return client_as("medecin")


@pytest.fixture
def coach_client(client_as: Callable[[str], Client]) -> Client:
    return client_as("coach")


@pytest.fixture
def territory(db: None) -> Territory:
    """A hand-written territory (see the module docstring), without the demo."""
    return make_territory()


@pytest.fixture
def territory_cml(territory: Territory) -> User:
    """The CML of the territory's RLS."""
    return make_user(Role.CML, rls=territory.rls, username="cml")


@pytest.fixture
def waiting_entry(territory: Territory) -> WaitlistEntry:
    """The territory's patient on the waiting list (status waiting)."""
    return WaitlistEntry.objects.create(
        region=territory.region,
        patient_code=territory.patient.code,
        patient=territory.patient,
        rls=territory.rls,
        priority="B",
        requested_on=datetime.date(2025, 2, 1),
    )


@pytest.fixture
def superuser_client(client: Client, db: None) -> Client:
    """The test client logged in as ``admin``, a superuser without a profile."""
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        # No password: hashing one on purpose slowly would cost every admin test 0.3 s.
        admin = User(username="admin", is_staff=True, is_superuser=True)
        admin.set_unusable_password()
        admin.save()
    client.force_login(admin)
    return client
