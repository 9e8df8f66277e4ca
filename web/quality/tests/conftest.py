"""The QI groups' fixtures: a small world built by hand (not the demo), named.

Region 01 (RLS 0111 with GMF ``G1`` and its site; RLS 0112) has nine physicians M1…M9,
each with a physician user ``m1``…``m9``; region 02 has M20 (user ``m20``). Other users:
``coach`` and ``coach2`` (QI coaches of region 01), ``coach9`` (region 02), ``drmg``,
``drmg9``, ``cml``, ``gmf`` (GMF manager of G1), ``ciusss``, and ``doc_no_record`` (a
physician user without a physician record). M1 is selected for the 2026 cycle (due
2030-12-31). Version 1 of the region's credits (the shipped ``credits.toml``) and of the QI
survey (three questions) exist.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

import pytest
from django.contrib.auth.models import User
from django.test import Client

from panelcare.quality import cycle
from web.quality.models import CreditsVersion, Selection, SurveyVersion
from web.regions.models import Gmf, Physician, Region, Rls, Site
from web.regions.testing import make_user

SURVEY_QUESTIONS = [
    {"key": "setting", "text": "Décrivez votre milieu de pratique.", "kind": "text"},
    {
        "key": "emr",
        "text": "Utilisez-vous un dossier médical électronique?",
        "kind": "choice",
        "choices": ["Oui", "Non"],
    },
    {
        "key": "confidence",
        "text": "Votre aisance avec l'amélioration continue (1 à 5)",
        "kind": "scale",
    },
]


@dataclass
class World:
    region: Region
    other_region: Region
    rls: Rls
    rls2: Rls
    gmf: Gmf
    site: Site
    physicians: dict[str, Physician]
    selection: Selection
    credits: CreditsVersion
    survey: SurveyVersion
    users: dict[str, User] = field(default_factory=dict)


def _physician(code: str, name: str, rls: Rls, site: Site) -> Physician:
    return Physician.objects.create(
        code=code,
        licence_number=f"9{code[1:]:0>4}",
        name=name,
        birth_year=1978,
        practice_start=datetime.date(2006, 7, 1),
        attribution_mode="bloc",
        rls=rls,
        site=site,
    )


NAMES = [
    "Dre Anne Gagnon",
    "Dr Benoît Roy",
    "Dre Claire Côté",
    "Dr Denis Bouchard",
    "Dre Élise Gauthier",
    "Dr François Morin",
    "Dre Geneviève Lavoie",
    "Dr Hugo Fortin",
    "Dre Isabelle Gagné",
]


def make_world() -> World:
    region = Region.objects.create(code="01", name="Bas-Saint-Laurent")
    other_region = Region.objects.create(code="02", name="Saguenay–Lac-Saint-Jean")
    rls = Rls.objects.create(
        code="0111", region=region, name="Rimouski-Neigette", latitude=48.4, longitude=-68.5
    )
    rls2 = Rls.objects.create(
        code="0112", region=region, name="Matane", latitude=48.8, longitude=-67.5
    )
    rls9 = Rls.objects.create(
        code="0211", region=other_region, name="Chicoutimi", latitude=48.4, longitude=-71.1
    )
    gmf = Gmf.objects.create(
        code="G1",
        name="GMF du Fleuve",
        rls=rls,
        kind="gmf",
        recognized_on=datetime.date(2018, 4, 1),
    )
    site = Site.objects.create(
        code="S1",
        name="Clinique du Fleuve",
        rls=rls,
        gmf=gmf,
        kind="gmf",
        latitude=48.4,
        longitude=-68.5,
    )
    site2 = Site.objects.create(
        code="S2",
        name="Clinique de Matane",
        rls=rls2,
        kind="cabinet",
        latitude=48.8,
        longitude=-67.5,
    )
    site9 = Site.objects.create(
        code="S9",
        name="Clinique du Saguenay",
        rls=rls9,
        kind="cabinet",
        latitude=48.4,
        longitude=-71.1,
    )
    physicians = {
        f"M{i}": _physician(f"M{i}", name, rls if i <= 6 else rls2, site if i <= 6 else site2)
        for i, name in enumerate(NAMES, start=1)
    }
    physicians["M20"] = _physician("M20", "Dr Zacharie Tremblay", rls9, site9)
    users = {
        code.lower(): make_user("physician", username=code.lower(), physician=physician)
        for code, physician in physicians.items()
    }
    users.update(
        {
            "coach": make_user("qi_coach", username="coach", region=region),
            "coach2": make_user("qi_coach", username="coach2", region=region),
            "coach9": make_user("qi_coach", username="coach9", region=other_region),
            "drmg": make_user("drmg", username="drmg", region=region),
            "drmg9": make_user("drmg", username="drmg9", region=other_region),
            "cml": make_user("cml", username="cml", rls=rls),
            "gmf": make_user("gmf_manager", username="gmf", gmf=gmf),
            "ciusss": make_user("ciusss_manager", username="ciusss", region=region),
            "doc_no_record": make_user("physician", username="doc_no_record", region=region),
        }
    )
    selection = Selection.objects.create(
        region=region,
        physician=physicians["M1"],
        cycle=2026,
        selected_on=datetime.date(2026, 1, 15),
        due=datetime.date(2030, 12, 31),
        selected_by=users["coach"],
    )
    credits = CreditsVersion.objects.create(
        region=region,
        number=1,
        text=resources.files("panelcare.quality").joinpath(cycle.CREDITS_FILE).read_text("utf-8"),
        illustrative=list(cycle.load_credits_table().illustrative),
        created_by=users["drmg"],
    )
    survey = SurveyVersion.objects.create(
        region=region, number=1, questions=SURVEY_QUESTIONS, created_by=users["coach"]
    )
    return World(
        region=region,
        other_region=other_region,
        rls=rls,
        rls2=rls2,
        gmf=gmf,
        site=site,
        physicians=physicians,
        selection=selection,
        credits=credits,
        survey=survey,
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
