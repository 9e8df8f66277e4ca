"""Helpers for the tests of every app: the tiny demo region, a hand-written territory and
users with a role. The fixtures of ``web/conftest.py`` call them; a test asks for a fixture.

report = load_tiny_demo()                 # 2 RLS, the demo accounts (DEMO_PASSWORD)
t = make_territory()                      # 1 region, 1 RLS, 1 site, 2 physicians, 1 patient
patient = make_patient(t.rls, "P2")       # another patient of an RLS
user = make_user(Role.CML, rls=some_rls)  # a user with a profile, region derived
write_version(region, "gmf_memberships", rows)  # an imported table's next version
log_in(page, live_server.url, "drmg")     # a browser test's page logged in as a user
text = main_text(page, CODE_WORDS)        # its main part as read, checked for code words
"""

from __future__ import annotations

import datetime
import html
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from django.contrib.auth.models import User
from django.urls import reverse

from panelcare.attribution.tables import compare_tables
from web.accounts.models import Profile, Role
from web.regions.demo import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    LoadReport,
    demo_password_hash,
    load_demo,
)
from web.regions.models import Establishment, Gmf, Patient, Physician, Region, Rls, Site
from web.tables.checks import base_versions
from web.tables.kinds import get_kind
from web.tables.models import Dataset
from web.tables.services import do_write_version
from web.tables.store import read_dataset

__all__ = [
    "DEMO_ASSIDUITY_YEAR",
    "DEMO_PASSWORD",
    "Territory",
    "load_tiny_demo",
    "log_in",
    "main_text",
    "make_patient",
    "make_territory",
    "make_user",
    "visible_text",
    "write_version",
]

_numbers = itertools.count(1)

# The year of the demo's assiduity computation in tests (web/conftest.py,
# ``_demo_assiduity_run``): the demo's visits cover it whole.
DEMO_ASSIDUITY_YEAR = 2025


def load_tiny_demo(seed: int = DEFAULT_SEED) -> LoadReport:
    """Load the tiny demo region (2 RLS) and its demo accounts; see :func:`load_demo`."""
    return load_demo("tiny", seed)


def make_user(
    role: str,
    *,
    username: str | None = None,
    region: Region | None = None,
    rls: Rls | Iterable[Rls] | None = None,
    gmf: Gmf | None = None,
    physician: Physician | None = None,
    establishment: Establishment | None = None,
) -> User:
    """A user with a profile of ``role`` on the given territory.

    The region defaults to the one of the RLS, GMF or physician given. The password is
    :data:`DEMO_PASSWORD`; the username defaults to the role and a number.
    """
    rls_list = [rls] if isinstance(rls, Rls) else list(rls or [])
    if region is None:
        if rls_list:
            region = rls_list[0].region
        elif gmf is not None:
            region = gmf.rls.region
        elif physician is not None:
            region = physician.rls.region
        elif establishment is not None:
            region = establishment.region
        else:
            raise ValueError("make_user needs a region, or an RLS, GMF or physician")
    # The demo hash is computed once: hashing a password per test user would take seconds.
    user = User.objects.create(
        username=username or f"{Role(role).value}.{next(_numbers)}",
        password=demo_password_hash(),
    )
    profile = Profile.objects.create(
        user=user,
        role=role,
        region=region,
        gmf=gmf,
        physician=physician,
        establishment=establishment,
    )
    if rls_list:
        profile.rls.set(rls_list)
    return user


@dataclass
class Territory:
    """The rows of :func:`make_territory`, by name."""

    region: Region
    rls: Rls
    site: Site
    physician: Physician
    other_physician: Physician
    patient: Patient


def make_territory() -> Territory:
    """One region, one RLS, one site, two physicians and one patient."""
    region = Region.objects.create(code="01", name="Bas-Saint-Laurent")
    rls = Rls.objects.create(
        code="0111", region=region, name="Rimouski-Neigette", latitude=48.4, longitude=-68.5
    )
    site = Site.objects.create(
        code="S1", name="Clinique du Havre", rls=rls, kind="cabinet", latitude=48.4, longitude=-68.5
    )
    physicians = [
        Physician.objects.create(
            code=f"M{i}",
            licence_number=f"1000{i}",
            name=f"Dre {name}",
            birth_year=1975,
            practice_start=datetime.date(2005, 7, 1),
            attribution_mode="bloc",
            rls=rls,
            site=site,
        )
        for i, name in enumerate(["Gagnon", "Roy"])
    ]
    patient = make_patient(rls, "P1")
    return Territory(region, rls, site, physicians[0], physicians[1], patient)


def make_patient(rls: Rls, code: str, health_insurance_number: str = "TREM 8001 1234") -> Patient:
    """A patient ``code`` living in ``rls`` (Marie Tremblay, born in 1980)."""
    return Patient.objects.create(
        code=code,
        health_insurance_number=health_insurance_number,
        first_name="Marie",
        last_name="Tremblay",
        birth_year=1980,
        sex="F",
        latitude=48.45,
        longitude=-68.52,
        rls=rls,
    )


def write_version(region: Region, kind: str, table: pa.Table) -> Dataset:
    """``table`` (canonical rows) written as the next version of ``kind`` for the whole
    region, as an import's Apply writes it: the version, its database projection and the
    audit entry. A test changes an imported table this way, never by saving the rows of
    its projection (which the next import would overwrite)."""
    current = Dataset.current(region, kind)
    before = read_dataset(current) if current is not None else None
    return do_write_version(
        region,
        kind,
        [],
        table,
        base=base_versions(region, kind),
        changes=compare_tables(get_kind(kind).contract, before, table),
        source_name="test",
        acting_user=None,
    )


def import_roster_with_names(client: Any, region: Region, names: list[str]) -> list[str]:
    """Import through the web, as the user ``client`` is logged in as, the roster in force
    with its first physicians renamed ``names`` (a CSV upload, then Apply), and return
    those physicians' ids in the order of ``names``. For tests of what a name as given
    (a formula, a control character) becomes in the pages and the exports."""
    import io

    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    from django.core.files.uploadedfile import SimpleUploadedFile

    from web.tables.models import ImportJob, ImportStatus

    current = read_dataset(Dataset.current(region, "physicians"))
    rows = pa.table(
        {name: pc.cast(current.column(name), pa.string()) for name in current.column_names}
    )
    renamed = rows.column("name").to_pylist()
    renamed[: len(names)] = names
    rows = rows.set_column(rows.column_names.index("name"), "name", pa.array(renamed))
    sink = io.BytesIO()
    pacsv.write_csv(rows, sink)
    upload = SimpleUploadedFile("roster.csv", sink.getvalue())
    client.post(reverse("tables:imports"), {"kind": "physicians", "file": upload})
    job = ImportJob.objects.order_by("-pk").first()
    assert job is not None and job.status == ImportStatus.READY, job and job.errors[:2]
    client.post(reverse("tables:import-apply", args=[job.pk]))
    return [str(code) for code in rows.column("physician_id").to_pylist()[: len(names)]]


def visible_text(page: str) -> str:
    """What a reader sees of the HTML ``page``: no script, style, tag or attribute."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def log_in(page: Any, url: str, username: str) -> None:
    """Log the browser test's Playwright ``page`` in at the live server ``url`` as
    ``username`` (password :data:`DEMO_PASSWORD`) through the login form. The cookies of
    a previous user are cleared first, so that a test can change users."""
    page.context.clear_cookies()
    page.goto(url + reverse("accounts:login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_load_state()


def main_text(page: Any, *patterns: re.Pattern[str], without: Iterable[str] = ()) -> str:
    """The main part of the browser test's Playwright ``page`` as a reader sees it, with
    the strings ``without`` removed first (the demo's usernames, « par cml.rimouski »,
    which would otherwise read as codes), asserted free of every match of ``patterns``
    (the code words that must not reach a French reader). A failure lists the matches.
    Each test file keeps its own patterns: each app has its own codes."""
    text = page.inner_text("main")
    for word in without:
        text = text.replace(word, "")
    found = [match.group(0) for pattern in patterns for match in pattern.finditer(text)]
    assert not found, found
    return text
