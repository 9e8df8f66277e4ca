"""The co-management's fixtures: a small world built by hand (not the demo), named.

Region 01 has two establishments. ``cisss_bsl`` staffs RLS 0111 with GMF ``G1`` (kind
gmf, site ``S1``); ``cisss_two`` staffs RLS 0112 with GMF ``G2``. Region 02 has its own
establishment and GMF ``G9``. Users (``world.users[name]``), each with the demo password:

=================  ==========================================================
name               profile
=================  ==========================================================
drmg               DRMG of region 01
gmf                GMF manager of G1
gmf2               GMF manager of G2
ciusss             CISSS manager of cisss_bsl (G1's)
ciusss2            CISSS manager of cisss_two (G2's)
drmg9, gmf9,       the same roles in region 02
ciusss9
cml, physician,    other roles of region 01 (no co-management)
coach
gmf_no_gmf,        a GMF manager without a GMF, a CISSS manager without an
ciusss_no_est      establishment
=================  ==========================================================

Reference data: version 1 of the region's level table (the shipped illustrative
``demo_levels.toml``) and of each establishment's agreement rules (the shipped
``agreements.toml``, whose establishment is ``cisss_bsl``). A professional, Julie
Bélanger (nurse clinician, FIQ), is placed in G1 at S1 from 2026-01-05.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from panelcare.comanagement import levels, schedules
from web.comanagement.models import (
    ITEM_OWNERS,
    AgreementRulesVersion,
    IntegrationItem,
    LevelTableVersion,
    Placement,
    Professional,
)
from web.regions.models import Establishment, Gmf, Region, Rls, Site
from web.regions.testing import make_user

LEVELS_TEXT = (Path(levels.__file__).with_name(levels.DEMO_LEVEL_FILE)).read_text("utf-8")
AGREEMENTS_TEXT = schedules.DEFAULT_AGREEMENTS_FILE.read_text("utf-8")


@dataclass
class World:
    region: Region
    other_region: Region
    establishment: Establishment
    establishment2: Establishment
    rls: Rls
    rls2: Rls
    gmf: Gmf
    gmf2: Gmf
    gmf9: Gmf
    site: Site
    level_table: LevelTableVersion
    rules: AgreementRulesVersion
    professional: Professional
    placement: Placement
    users: dict[str, User] = field(default_factory=dict)


def _rls(code: str, region: Region, establishment: Establishment, name: str) -> Rls:
    return Rls.objects.create(
        code=code,
        region=region,
        name=name,
        latitude=48.4,
        longitude=-68.5,
        establishment=establishment,
    )


def _gmf(code: str, rls: Rls, name: str) -> Gmf:
    return Gmf.objects.create(
        code=code,
        name=name,
        rls=rls,
        kind="gmf",
        recognized_on=datetime.date(2018, 4, 1),
        annual_review_on=datetime.date(2026, 4, 1),
    )


def make_world() -> World:
    region = Region.objects.create(code="01", name="Bas-Saint-Laurent")
    other_region = Region.objects.create(code="02", name="Saguenay–Lac-Saint-Jean")
    est = Establishment.objects.create(
        code="cisss_bsl", name="CISSS du Bas-Saint-Laurent", region=region
    )
    est2 = Establishment.objects.create(code="cisss_two", name="CISSS deux", region=region)
    est9 = Establishment.objects.create(
        code="ciusss_sag", name="CIUSSS Saguenay", region=other_region
    )
    rls = _rls("0111", region, est, "Rimouski-Neigette")
    rls2 = _rls("0112", region, est2, "Matane")
    rls9 = _rls("0211", other_region, est9, "Chicoutimi")
    gmf = _gmf("G1", rls, "GMF du Fleuve")
    gmf2 = _gmf("G2", rls2, "GMF de Matane")
    gmf9 = _gmf("G9", rls9, "GMF du Saguenay")
    site = Site.objects.create(
        code="S1",
        name="Clinique du Fleuve",
        rls=rls,
        gmf=gmf,
        kind="gmf",
        latitude=48.4,
        longitude=-68.5,
    )
    users = {
        "drmg": make_user("drmg", username="drmg", region=region),
        "gmf": make_user("gmf_manager", username="gmf", gmf=gmf),
        "gmf2": make_user("gmf_manager", username="gmf2", gmf=gmf2),
        "ciusss": make_user("ciusss_manager", username="ciusss", establishment=est),
        "ciusss2": make_user("ciusss_manager", username="ciusss2", establishment=est2),
        "drmg9": make_user("drmg", username="drmg9", region=other_region),
        "gmf9": make_user("gmf_manager", username="gmf9", gmf=gmf9),
        "ciusss9": make_user("ciusss_manager", username="ciusss9", establishment=est9),
        "cml": make_user("cml", username="cml", rls=rls),
        "physician": make_user("physician", username="physician", region=region),
        "coach": make_user("qi_coach", username="coach", region=region),
        "gmf_no_gmf": make_user("gmf_manager", username="gmf_no_gmf", region=region),
        "ciusss_no_est": make_user("ciusss_manager", username="ciusss_no_est", region=region),
    }
    for user in users.values():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    level_table = LevelTableVersion.objects.create(
        region=region,
        number=1,
        text=LEVELS_TEXT,
        illustrative=True,
        in_force_from=datetime.date(2017, 4, 1),
        created_by=users["drmg"],
    )
    for region_ in (other_region,):
        LevelTableVersion.objects.create(
            region=region_,
            number=1,
            text=LEVELS_TEXT,
            illustrative=True,
            in_force_from=datetime.date(2017, 4, 1),
            created_by=users["drmg9"],
        )
    rules = AgreementRulesVersion.objects.create(
        establishment=est,
        number=1,
        text=AGREEMENTS_TEXT,
        illustrative=True,
        in_force_from=datetime.date(2023, 4, 1),
        created_by=users["ciusss"],
    )
    professional = Professional.objects.create(
        establishment=est,
        employee_number="E100",
        name="Julie Bélanger",
        professional_type="nurse_clinician",
        agreement="fiq",
        job_title="nurse_clinician",
        service_start=datetime.date(2015, 6, 1),
    )
    placement = Placement.objects.create(
        professional=professional,
        gmf=gmf,
        site=site,
        fte=Decimal("1.00"),
        supervisor_name="Martine Côté",
        start=datetime.date(2026, 1, 5),
    )
    for item in ITEM_OWNERS:
        IntegrationItem.objects.create(
            placement=placement, item=item, due_on=datetime.date(2026, 2, 4)
        )
    return World(
        region=region,
        other_region=other_region,
        establishment=est,
        establishment2=est2,
        rls=rls,
        rls2=rls2,
        gmf=gmf,
        gmf2=gmf2,
        gmf9=gmf9,
        site=site,
        level_table=level_table,
        rules=rules,
        professional=professional,
        placement=placement,
        users=users,
    )


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture
def client_for(world: World) -> Callable[[str], Client]:
    """A client logged in as the world's user ``name``."""

    def make(name: str) -> Client:
        client = Client()
        client.force_login(world.users[name])
        return client

    return make
