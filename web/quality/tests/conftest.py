"""The QI groups' fixtures: a small world built by hand (not the demo), named.

Region 01 (RLS 0111 with GMF ``G1`` and its site; RLS 0112) has nine physicians M1…M9,
each with a physician user ``m1``…``m9``; region 02 has M20 (user ``m20``). Other users:
``coach`` and ``coach2`` (QI coaches of region 01), ``coach9`` (region 02), ``drmg``,
``drmg9``, ``cml``, ``gmf`` (GMF manager of G1), ``ciusss``, and ``doc_no_record`` (a
physician user without a physician record). M1 is selected for the 2026 cycle (due
2030-12-31). Version 1 of the region's credits (the shipped ``credits.toml``) and of the QI
survey (three questions) exist.

The builders below make groups, invitations, activities, selections, plans and
registrations with the models directly (the services are what the tests check); the
``group`` fixture is M1's group of the activity tests.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from panelcare.quality import cycle
from panelcare.quality.plans import ACTIVITIES
from web.quality.models import (
    Activity,
    ActivityKind,
    CreditsVersion,
    Goal,
    Group,
    Invitation,
    Plan,
    Selection,
    SurveyVersion,
)
from web.regions.models import Gmf, Patient, Physician, Region, Registration, Rls, Site
from web.regions.testing import make_user

D = datetime.date

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
def client_for(world: World) -> Callable[..., Client]:
    """A client logged in as the world's user ``name``, reading the pages in ``language``
    when given (the language switch's cookie)."""

    def make(name: str, language: str | None = None) -> Client:
        client = Client()
        client.force_login(world.users[name])
        if language is not None:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return make


@pytest.fixture
def english_client_for(client_for: Callable[..., Client]) -> Callable[[str], Client]:
    """The world's clients reading the pages in English (the message ids)."""

    def make(name: str) -> Client:
        return client_for(name, language="en")

    return make


@pytest.fixture
def group(world: World) -> Group:
    """M1's group, M2 accepted, M3 invited (pending); followed by ``coach``."""
    group = make_formed_group(world, complete=False)
    invite(world, group, "M3", sent_on=D(2026, 2, 1))
    return group


# --------------------------------------------------------------------------- groups

# The bare builders' defaults: a group created on 1 March 2026, activities completed on
# 1 April, a selection like the world's M1's.
CREATED_ON = D(2026, 3, 1)
COMPLETED_ON = D(2026, 4, 1)
SELECTED_ON = D(2026, 1, 15)
DUE = D(2030, 12, 31)
KINDS = list(ActivityKind.values)


def make_group(
    world: World,
    founder: str = "M1",
    *,
    name: str = "Groupe du Fleuve",
    created_on: datetime.date = CREATED_ON,
    coach: str | None = None,
    region: Region | None = None,
) -> Group:
    """A group founded by the world's physician ``founder``, followed by ``coach``."""
    return Group.objects.create(
        region=region or world.region,
        name=name,
        founder=world.physicians[founder],
        bases=["practice_setting"],
        coach=world.users[coach] if coach else None,
        created_on=created_on,
        created_by=world.users[founder.lower()],
    )


def invite(
    world: World,
    group: Group,
    code: str,
    *,
    sent_on: datetime.date,
    status: str = "pending",
    answered_on: datetime.date | None = None,
) -> Invitation:
    return Invitation.objects.create(
        group=group,
        physician=world.physicians[code],
        status=status,
        sent_on=sent_on,
        sent_by=world.users[group.founder.code.lower()],
        answered_on=answered_on,
    )


def join(world: World, group: Group, code: str, on: datetime.date) -> Invitation:
    """``code`` invited and accepted on ``on``."""
    return invite(world, group, code, sent_on=on, status="accepted", answered_on=on)


def do_activities(
    world: World,
    group: Group,
    code: str,
    *,
    completed: int,
    started: int = 0,
    on: datetime.date = COMPLETED_ON,
) -> None:
    """``completed`` activities completed on ``on``, then ``started`` more in progress."""
    for index, kind in enumerate(KINDS[: completed + started]):
        Activity.objects.create(
            group=group,
            physician=world.physicians[code],
            kind=kind,
            step=1,
            completed_on=on if index < completed else None,
        )


def select(
    world: World,
    code: str,
    *,
    cycle: int = 2026,
    selected_on: datetime.date = SELECTED_ON,
    due: datetime.date = DUE,
    region: Region | None = None,
    **fields: Any,
) -> Selection:
    return Selection.objects.create(
        region=region or world.region,
        physician=world.physicians[code],
        cycle=cycle,
        selected_on=selected_on,
        due=due,
        selected_by=world.users["coach"],
        **fields,
    )


def complete_activities(
    group: Group, world: World, code: str, kinds: Iterable[str] = ACTIVITIES
) -> None:
    for kind in kinds:
        Activity.objects.create(
            group=group,
            physician=world.physicians[code],
            kind=kind,
            completed_on=D(2026, 2, 20),
        )


def make_formed_group(
    world: World,
    founder: str = "M1",
    others: Iterable[str] = ("M2",),
    *,
    coach: str | None = "coach",
    complete: bool = True,
    name: str = "Groupe du Fleuve",
) -> Group:
    """A group formed on 1 February 2026: ``founder`` and the accepted ``others``; every
    member completed the four activities when ``complete``."""
    others = tuple(others)
    group = make_group(world, founder, name=name, created_on=D(2026, 2, 1), coach=coach)
    for code in others:
        invite(
            world, group, code, sent_on=D(2026, 2, 1), status="accepted", answered_on=D(2026, 2, 3)
        )
    if complete:
        for code in (founder, *others):
            complete_activities(group, world, code)
    return group


# --------------------------------------------------------------------------- plans


def make_goal(plan: Plan, title: str, *, kind: str = "practice", manual: bool = False) -> Goal:
    return Goal.objects.create(
        plan=plan,
        position=plan.goals.count() + 1,
        title=title,
        kind=kind,
        indicator="" if manual else "assiduity_rate",
        definition="Minutes de pause par jour, relevé personnel" if manual else "",
        baseline=Decimal("72"),
        target=Decimal("80"),
        target_date=D(2026, 12, 31),
        change_ideas="Plages de consultation sans rendez-vous\nRappel téléphonique",
    )


def make_plan(group: Group, *, goals: int = 2, status: str = "draft") -> Plan:
    plan = Plan.objects.create(
        group=group,
        strengths="Suivi des patients diabétiques",
        improvements="Accès adapté aux rendez-vous",
        status=status,
    )
    for number in range(goals):
        make_goal(plan, f"Objectif {number + 1}")
    return plan


# --------------------------------------------------------------------------- counts


def hand_built_counts(world: World) -> None:
    """Region 01, cycle 2026, on 1 June 2027: M1 met (plan accepted), M2 deferred and in
    the group, M3 overdue with a group of one, M4 selected and in no group; M5 a member not
    selected. Cycle 2031: M9 selected early. Region 02: M20 selected (not counted)."""
    world.selection.completed_on = D(2027, 3, 1)
    world.selection.save(update_fields=["completed_on"])
    select(world, "M2", due=D(2027, 12, 31), deferred_on=D(2026, 6, 1))
    select(world, "M3", due=D(2026, 12, 31))
    select(world, "M4")
    select(world, "M9", cycle=2031, selected_on=D(2027, 5, 1), due=D(2035, 12, 31))
    select(world, "M20", region=world.other_region)

    group = make_group(world, created_on=D(2026, 3, 1), coach="coach")
    join(world, group, "M2", D(2026, 3, 10))
    join(world, group, "M5", D(2026, 3, 12))
    invite(world, group, "M6", sent_on=D(2026, 3, 1))
    do_activities(world, group, "M1", completed=4)
    do_activities(world, group, "M2", completed=3, started=1)
    do_activities(world, group, "M5", completed=4)
    Plan.objects.create(
        group=group,
        status="accepted",
        submitted_on=D(2027, 2, 1),
        submitted_by=world.users["m1"],
        accepted_on=D(2027, 3, 1),
    )
    alone = make_group(world, "M3", name="Groupe de Matane", created_on=D(2026, 5, 1))
    invite(world, alone, "M7", sent_on=D(2026, 5, 1), status="declined", answered_on=D(2026, 5, 2))
    Plan.objects.create(group=alone)  # a draft: not submitted
    make_group(world, "M20", name="Groupe du Saguenay", region=world.other_region)


# The counts of cycle 2026 in region 01 of :func:`hand_built_counts`.
EXPECTED_2026 = {
    "selected": 4,
    "deferred": 1,
    "in_group": 3,  # M1, M2 and M3 (alone in his); M5 is not selected
    "groups_formed": 1,
    "activities_completed": 1,  # M1 (M5 is not selected)
    "plans_submitted": 1,
    "plans_accepted": 1,
    "met": 1,
    "overdue": 1,  # M3
}


# --------------------------------------------------------------------------- registrations


def make_patient(world: World, code: str, *, vulnerable: bool = False) -> Patient:
    """A patient ``code`` living in the world's RLS 0111."""
    return Patient.objects.create(
        code=code,
        health_insurance_number=f"HIN{code}",
        first_name="P",
        last_name=code,
        birth_year=1960,
        sex="F",
        latitude=48.4,
        longitude=-68.5,
        rls=world.rls,
        vulnerable=vulnerable,
    )


def register(
    world: World,
    physician: Physician,
    patient_code: str,
    start: datetime.date,
    end: datetime.date | None = None,
    *,
    vulnerable: bool = False,
) -> Registration:
    """A new patient ``patient_code`` registered with ``physician`` from ``start`` to
    ``end`` (open when ``None``)."""
    patient = make_patient(world, patient_code, vulnerable=vulnerable)
    return Registration.objects.create(
        region=world.region,
        patient_code=patient.code,
        physician_code=physician.code,
        site_code="S1",
        patient=patient,
        physician=physician,
        start_date=start,
        end_date=end,
    )
