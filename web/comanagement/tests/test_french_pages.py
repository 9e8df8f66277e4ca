"""Co-management in French, whole: every page of ``/comanagement/`` as the DRMG, a GMF
manager and a CISSS/CIUSSS manager read it, with a record of every kind on it, says
everything in French: no English sentence left, no code word (a model's choice, a
professional type, a job title, an agreement, an indicator, an alert kind, Python's
``None``), dates and numbers written the French way. So are the alert's e-mail and the
daily command's text.

The routes are read from ``web/comanagement/urls.py``: a new route is visited as soon as
it is added (its ``<pk>`` taken from :data:`RECORD_OF`, which must then name it)."""

from __future__ import annotations

import csv
import datetime
import functools
import html
import io
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import translation

from panelcare.comanagement import schedules
from panelcare.comanagement.schedules import Break, LeaveDay, WorkDay
from web.comanagement import alerts, reference
from web.comanagement import models as comanagement_models
from web.comanagement import urls as comanagement_urls
from web.comanagement.models import INDICATORS, ITEM_OWNERS, IntegrationItem
from web.comanagement.services import alerts as alert_services
from web.comanagement.services import (
    people,
    performance,
    presence,
    programme,
    supervision,
    training,
)
from web.comanagement.tests.conftest import AGREEMENTS_TEXT
from web.regions.models import Gmf
from web.regions.testing import visible_text, write_version

pytestmark = pytest.mark.django_db

D = datetime.date
SIDES = ("drmg", "gmf", "ciusss")
MEAL = (Break(time(12), time(12, 30)),)

# The users' names as the pages show them (usernames): real-looking, so that the user
# ``gmf`` of the test world is not taken for the code word ``gmf``.
USERNAMES = {"drmg": "d.lavoie", "gmf": "g.fortin", "ciusss": "c.dubois"}


# --------------------------------------------------------------------------- the checks

# English a French page must not show: the words of a sentence (articles, prepositions,
# pronouns, auxiliaries) and of the interface's buttons and headings, English month and
# day names. Case-sensitive, whole words; none is a French word (``on``, ``an``, ``or``,
# ``Plan``, ``Table``, ``Version``, ``Session``, ``Placement``, ``Import``, ``due`` are,
# and are left out) nor a name of the test world.
ENGLISH = re.compile(
    r"\b(the|The|of|and|to|is|are|was|for|with|from|by|at|this|This|that|your|Your|"
    r"yet|not|has|have|been|be|none|per|each|Each|every|Every|which|who|when|"
    r"Record|record|recorded|Save|Submit|Add|Back|Edit|Cancel|New|Open|opened|Close|closed|"
    r"Fill|filled|Sign|signed|Approve|approved|Refuse|refused|Validate|validated|Decide|"
    r"decided|Pending|Done|done|Yes|Start|End|until|Until|late|Late|days|day|Day|"
    r"weeks|week|Week|months|month|Month|hours|Hours|imported|Upload|Apply|Alerts|"
    r"Show|View|Print|Download|Search|Filter|Name|Level|Levels|"
    r"Schedule|Schedules|Training|Attendance|Meeting|Meetings|Target|Targets|Strategy|"
    r"Strategies|Decisions|Post|Posts|Hire|hire|Report|Replacement|Supervisor|"
    r"Home|Professionals|Integration|Item|Items|Agreement|Agreements|Rules|Statistics|"
    r"Matrix|Notice|Notices|Proposal|Proposals|Reason|Status|Worked|Planned|Leave|"
    r"Holiday|Holidays|Vacation|Sick|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
    r"April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec|a\.m|p\.m)\b"
    # "No" in English ("No absence"), not the French abbreviation of numéro ("No d'employé").
    r"|\bNo\b(?! ?(de |d['’]|du ))"
)

# Words a French page may show that the lists below would take for a code: French words
# spelt like a choice or a key.
FRENCH_HOMOGRAPHS = {"performance", "programme", "tests", "standard", "interventions", "parental"}

# The statistics file's columns: named as they are on the statistics pages (the file's
# contract, which the import page documents).
STATISTICS_COLUMNS = {
    "professional_id",
    "gmf_id",
    "month",
    "patients_seen",
    "interventions",
    "access_delay_days",
}


def _code_words() -> set[str]:
    """Every code the co-management keeps in its records or reads in its reference data."""
    codes: set[str] = {"none", "None", "True", "False", "nan", "NaN"}
    for value in vars(comanagement_models).values():
        if (
            isinstance(value, type)
            and issubclass(value, models.TextChoices)
            and value.__module__ == comanagement_models.__name__
        ):
            codes.update(str(choice) for choice in value.values if choice)
    codes.update(code for code, _label in comanagement_models.TWO_SIDES)
    codes.update(ITEM_OWNERS, INDICATORS, alerts.KIND_LABELS, alerts.SIDE_FILTERS)
    codes.update(reference.PROFESSIONAL_TYPE_LABELS, reference.JOB_TITLE_LABELS)
    codes.update(reference.CATEGORY_LABELS, reference.HOLIDAY_LABELS)
    shipped = tomllib.loads(AGREEMENTS_TEXT)
    shipped.pop("illustrative", None)
    book = schedules.parse_agreements(shipped)
    for code, agreement in book.agreements.items():  # fiq, apts, their job titles
        codes.add(code)
        codes.update(agreement.job_titles)
    codes.update(book.holiday_rules)
    codes.update(("weeks", "months", "gmf_r", "gmf_u", "drmg", "ciusss"))
    return codes - FRENCH_HOMOGRAPHS


CODE_WORDS = _code_words()


@functools.cache
def english_labels() -> tuple[str, ...]:
    """The English of every label the co-management shows for a code (the models'
    choices, the audit actions, the types, job titles, categories, holidays, alert kinds)
    that French says otherwise: one left on a French page is a label not translated."""
    labels: list[Any] = list(dict(comanagement_models.TWO_SIDES).values())
    for value in vars(comanagement_models).values():
        if (
            isinstance(value, type)
            and issubclass(value, models.TextChoices)
            and value.__module__ == comanagement_models.__name__
        ):
            labels.extend(value.labels)
    for mapping in (
        alerts.KIND_LABELS,
        reference.PROFESSIONAL_TYPE_LABELS,
        reference.JOB_TITLE_LABELS,
        reference.CATEGORY_LABELS,
        reference.HOLIDAY_LABELS,
    ):
        labels.extend(mapping.values())
    english = set()
    for label in labels:
        with translation.override("en"):
            words = str(label)
        with translation.override("fr"):
            if str(label) != words:
                english.add(words)
    return tuple(sorted(english, key=len, reverse=True))


def untranslated_labels(text: str) -> list[str]:
    return sorted(
        label
        for label in english_labels()
        if re.search(r"(?<!\w)" + re.escape(label) + r"(?!\w)", text)
    )


# A key: a word with an underscore inside (``nurse_clinician``, ``access_delay_days``),
# an empty dict or list, a Python literal.
CODE_SHAPES = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|\{\}|\[\]|\bNone\b")
# A number written the English way: a decimal point between digits (``1.00``, ``2.5``),
# a comma before three digits (``13,000``); English month names are in ENGLISH.
ENGLISH_NUMBER = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])|\b\d{1,3},\d{3}\b")
# A day written as a machine writes it (fine in a CSV, not on a page).
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# References, not numbers nor codes: EP 40's paragraph « 15.01 B », a table of the
# agreement rules' TOML that the publishing page names (« [establishments.cisss_bsl] »),
# an imported row's key as the file writes it (« E100 / G1 / 2026-11-01 »).
REFERENCES = re.compile(r"\b15\.01 B\b|\[[a-z_]+\.[a-z0-9_]+\]|\b\w+ / \w+ / \d{4}-\d{2}-\d{2}\b")


def page_text(page: str) -> str:
    """What a reader reads of the HTML ``page``, less the text being edited in a
    ``<textarea>`` (a level table's or agreement rules' TOML: a file, not the interface)."""
    page = re.sub(r"<textarea\b.*?</textarea>", " ", page, flags=re.S)
    # What the reader sees of the tags too: tooltips, placeholders, labels read aloud.
    shown = re.findall(r'\s(?:title|placeholder|aria-label|alt)="([^"]*)"', page)
    return visible_text(page) + "\n" + html.unescape("\n".join(shown))


def problems_of(
    text: str, *, allowed: set[str] | frozenset[str] = frozenset(), page: bool = True
) -> dict[str, list[str]]:
    """What in ``text`` is not French: English words, code words (but ``allowed``),
    numbers with a decimal point, and on a page (not in a CSV file) ISO days."""
    text = REFERENCES.sub(" ", text)
    if allowed:
        text = re.sub(r"\b(" + "|".join(sorted(allowed)) + r")\b", " ", text)
    codes = {m.group(0) for m in CODE_SHAPES.finditer(text)}
    codes.update(word for word in re.findall(r"\w+", text) if word in CODE_WORDS)
    found = {
        "english": sorted({m.group(0) for m in ENGLISH.finditer(text)}),
        "labels": untranslated_labels(text),
        "codes": sorted(codes),
        "numbers": sorted({m.group(0) for m in ENGLISH_NUMBER.finditer(text)}),
        "days": sorted({m.group(0) for m in ISO_DAY.finditer(text)}) if page else [],
    }
    return {key: words for key, words in found.items() if words}


def test_it_tells_english_and_code_words_from_french():
    assert problems_of("Aucune absence consignée le 5 janvier 2026 (1,00 ETC).") == {}
    assert problems_of("No d'employé : E100 ; le plan et la table en vigueur.") == {}
    assert problems_of("No absence recorded on Jan. 5, 2026 (1.00 FTE).") == {
        "english": ["Jan", "No", "recorded"],
        "numbers": ["1.00"],
    }
    assert problems_of("Type : nurse_clinician, fiq, weeks, None, parental") == {
        "english": ["weeks"],
        "labels": ["weeks"],
        "codes": ["None", "fiq", "nurse_clinician", "weeks"],
    }
    assert problems_of("Du 2026-11-01 au 13,000") == {"days": ["2026-11-01"], "numbers": ["13,000"]}
    assert problems_of("Du 2026-11-01", page=False) == {}
    assert {"fiq", "apts", "nurse_clinician", "fete_nationale"} <= CODE_WORDS
    assert len(english_labels()) > 80
    assert problems_of("Statut : Both ; Nurse clinician ; Les deux") == {
        "labels": ["Both", "Nurse", "Nurse clinician"]
    }


# --------------------------------------------------------------------------- the records


@dataclass
class Records:
    """The pks of the records each kind of route opens, several when a page differs by
    state (a post open, filled or directly hired; a schedule proposed, validated,
    refused)."""

    pks: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, obj: Any) -> Any:
        self.pks.setdefault(kind, []).append(obj.pk)
        return obj


def monday_to_friday(sunday: datetime.date) -> list[WorkDay]:
    return [
        WorkDay(sunday + datetime.timedelta(days=offset), time(8), time(16), MEAL)
        for offset in range(1, 6)
    ]


def statistics_table() -> pa.Table:
    """Eleven months of 2026 for Julie Bélanger (E100) and Marc-André Tremblay (E101)."""
    months = [D(2026, month, 1) for month in range(1, 12)]
    return pa.table(
        {
            "professional_id": ["E100"] * 11 + ["E101"] * 11,
            "gmf_id": ["G1"] * 22,
            "month": pa.array(months * 2, pa.date32()),
            "patients_seen": pa.array([30 + m for m in range(11)] * 2, pa.int64()),
            "interventions": pa.array([40 + m for m in range(11)] * 2, pa.int64()),
            "access_delay_days": pa.array([2.5 + m / 10 for m in range(11)] * 2, pa.float64()),
        }
    )


def statistics_upload() -> SimpleUploadedFile:
    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(
        [
            "professional_id",
            "gmf_id",
            "month",
            "patients_seen",
            "interventions",
            "access_delay_days",
        ]
    )
    writer.writerow(["E100", "G1", "2026-11-01", "48", "60", "2.5"])
    return SimpleUploadedFile("statistiques.csv", sink.getvalue().encode(), "text/csv")


def make_records(world: Any) -> Records:
    """A record of every kind in G1, written through the services, each page's states."""
    records = Records()
    gmf_user, ciusss = world.users["gmf"], world.users["ciusss"]
    g1, placement = world.gmf, world.placement

    # The programme: the annual review, a post still open past its hiring deadline (with
    # its selection), one filled by the CISSS/CIUSSS, one hired directly and reported on,
    # one hired directly of another type (derogation) not yet agreed, one closed.
    review = programme.do_record_annual_review(
        g1, D(2026, 4, 1), {"standard": 13000, "vulnerable": 450}, acting_user=ciusss
    )
    records.add("review", review)

    def post(type_: str, fte: str, opened_by: str = "annual_review") -> Any:
        return programme.do_open_post(
            g1,
            type_,
            Decimal(fte),
            opened_by,
            D(2026, 4, 1),
            review if opened_by == "annual_review" else None,
            "Poste ouvert à la revue annuelle.",
            acting_user=ciusss,
        )

    late = records.add("post", post("social_worker", "1.00"))
    programme.do_record_selection_step(
        late, "posting", D(2026, 4, 15), note="Affichage interne.", acting_user=ciusss
    )
    programme.do_record_selection_step(
        late, "interview", D(2026, 5, 20), True, "Entrevue avec le GMF.", acting_user=ciusss
    )
    filled = records.add("post", post("nurse_clinician", "1.00"))
    programme.do_fill_post(filled, placement, D(2026, 4, 1), acting_user=ciusss)
    hired = records.add("post", post("pharmacist", "0.50", "recognition"))
    hire = programme.do_record_direct_hire(
        hired, "pharmacist", D(2026, 5, 4), "Entente E-2026-04", acting_user=gmf_user
    )
    programme.do_agree_direct_hire(hire, acting_user=ciusss)
    programme.do_report_direct_hire(
        hire,
        D(2026, 5, 4),
        D(2026, 8, 4),
        "La pharmacienne voit les patients polymédicamentés.",
        D(2026, 8, 10),
        acting_user=gmf_user,
    )
    other_type = records.add("post", post("psychologist", "0.20"))
    programme.do_record_direct_hire(
        other_type,
        "kinesiologist",
        D(2026, 6, 1),
        "Entente E-2026-06",
        "Dérogation CT-2026-3",
        acting_user=gmf_user,
    )
    closed = records.add("post", post("nutritionist", "0.20"))
    programme.do_close_post(closed, D(2026, 9, 1), "Le GMF renonce au poste.", acting_user=ciusss)

    # People: a second professional placed in G1 (APTS), a third placed then gone.
    marc = people.do_record_professional(
        world.establishment,
        "E101",
        "Marc-André Tremblay",
        "social_worker",
        "apts",
        "social_worker",
        D(2019, 9, 3),
        acting_user=ciusss,
    )
    second = people.do_place_professional(
        marc,
        g1,
        start=D(2026, 3, 2),
        fte=Decimal("0.80"),
        supervisor_name="Martine Côté",
        site=world.site,
        acting_user=ciusss,
    )
    sophie = people.do_record_professional(
        world.establishment,
        "E102",
        "Sophie Gagnon",
        "nutritionist",
        "apts",
        "nutritionist",
        D(2021, 1, 11),
        acting_user=ciusss,
    )
    gone = people.do_place_professional(
        sophie,
        g1,
        start=D(2026, 2, 2),
        fte=Decimal("0.40"),
        supervisor_name="Martine Côté",
        acting_user=ciusss,
    )
    people.do_end_placement(gone, D(2026, 6, 30), acting_user=ciusss)
    for placement_ in (placement, second, gone):
        records.add("placement", placement_)
    for item, owner in ITEM_OWNERS.items():
        if item in ("role_information", "ciusss_referral"):
            done = IntegrationItem.objects.get(placement=placement, item=item)
            user = gmf_user if owner == "gmf" else ciusss
            people.do_complete_integration_item(done, D(2026, 1, 20), acting_user=user)
    records.add("item", IntegrationItem.objects.filter(placement=placement, done_on=None)[0])

    # Presence: an unforeseeable absence without replacement (over four weeks: an alert),
    # a vacation replaced; a schedule validated, one refused by the rules, one proposed
    # (late: an alert); attendance approved and one waiting past its delay.
    records.add(
        "absence",
        presence.do_record_absence(
            placement,
            start=D(2026, 10, 5),
            end=None,
            foreseeable=False,
            reason="illness",
            note="Absence annoncée par téléphone.",
            reported_on=D(2026, 10, 5),
            acting_user=gmf_user,
        ),
    )
    vacation = records.add(
        "absence",
        presence.do_record_absence(
            placement,
            start=D(2026, 7, 6),
            end=D(2026, 8, 17),
            foreseeable=True,
            reason="vacation",
            reported_on=D(2026, 5, 1),
            acting_user=gmf_user,
        ),
    )
    presence.do_record_replacement(
        vacation,
        start=D(2026, 7, 6),
        end=D(2026, 8, 17),
        replaced_by_name="Lucie Morin",
        acting_user=ciusss,
    )
    valid = presence.do_propose_schedule(
        placement,
        D(2026, 1, 11),
        1,
        days=monday_to_friday(D(2026, 1, 11)),
        proposed_on=D(2026, 1, 5),
        acting_user=gmf_user,
    )
    presence.do_validate_schedule(valid, D(2026, 1, 8), acting_user=ciusss)
    seven_days = [
        WorkDay(D(2026, 2, 1) + datetime.timedelta(days=offset), time(7), time(19), ())
        for offset in range(7)
    ]
    refused = presence.do_propose_schedule(
        placement,
        D(2026, 2, 1),
        1,
        days=seven_days,
        proposed_on=D(2026, 1, 20),
        acting_user=gmf_user,
    )
    presence.do_refuse_schedule(
        refused, "Aucun jour de repos.", on=D(2026, 1, 25), acting_user=ciusss
    )
    with_leave = [
        *monday_to_friday(D(2026, 11, 29))[:3],
        LeaveDay(D(2026, 12, 3), "vacation"),
        LeaveDay(D(2026, 12, 4), "vacation"),
    ]
    proposed = presence.do_propose_schedule(
        placement,
        D(2026, 11, 29),
        1,
        days=with_leave,
        vacation_days_available=Decimal("12.50"),
        replaces=valid,
        proposed_on=D(2026, 11, 20),
        acting_user=gmf_user,
    )
    for schedule in (proposed, valid, refused):
        records.add("schedule", schedule)
    approved = presence.do_submit_attendance(
        placement,
        start=D(2026, 9, 1),
        end=D(2026, 10, 1),
        planned_days=Decimal("21"),
        worked_days=Decimal("20.5"),
        submitted_on=D(2026, 10, 2),
        acting_user=gmf_user,
    )
    presence.do_approve_attendance(approved, on=D(2026, 10, 6), acting_user=ciusss)
    waiting = presence.do_submit_attendance(
        placement,
        start=D(2026, 10, 1),
        end=D(2026, 11, 1),
        planned_days=Decimal("22"),
        worked_days=Decimal("3"),
        submitted_on=D(2026, 11, 2),
        acting_user=gmf_user,
    )
    records.add("attendance", waiting)
    records.add("attendance", approved)

    # Training: a need of each side, a request approved and attended, one never decided.
    need = training.do_record_training_need(
        g1,
        identified_by="gmf",
        basis="fmg_role",
        description="Suivi des maladies chroniques",
        identified_on=D(2026, 5, 4),
        placement=placement,
        acting_user=gmf_user,
    )
    training.do_record_training_need(
        g1,
        identified_by="ciusss",
        basis="quality_standard",
        description="Prévention des infections",
        identified_on=D(2026, 6, 1),
        acting_user=ciusss,
    )
    asked = training.do_request_training(
        placement,
        title="Formation en santé mentale",
        submitted_on=D(2026, 5, 11),
        external=True,
        in_ciusss_programme=True,
        cost=Decimal("350.00"),
        provider="Ordre des infirmières",
        starts_on=D(2026, 6, 15),
        need=need,
        acting_user=gmf_user,
    )
    training.do_decide_training(asked, True, "Budget accordé.", D(2026, 5, 20), acting_user=ciusss)
    training.do_record_training_attendance(
        asked, attended_on=D(2026, 6, 15), hours=Decimal("7.5"), acting_user=ciusss
    )
    pending = training.do_request_training(
        second,
        title="Intervention familiale",
        submitted_on=D(2026, 8, 3),
        external=False,
        in_ciusss_programme=False,
        cost=Decimal("1200.00"),
        acting_user=gmf_user,
    )
    records.add("training", pending)
    records.add("training", asked)

    # Supervision: a plan every 4 weeks with a session long ago (overdue), one monthly.
    plan = supervision.do_set_supervision_plan(
        placement,
        start=D(2026, 1, 5),
        every=4,
        unit="weeks",
        form="individual",
        length_minutes=60,
        supervisor_name="Hélène Gagnon",
        site="Clinique du Fleuve",
        acting_user=ciusss,
    )
    supervision.do_record_supervision_session(
        plan, held_on=D(2026, 2, 2), length_minutes=60, note="Cas complexes.", acting_user=ciusss
    )
    monthly = supervision.do_set_supervision_plan(
        second,
        start=D(2026, 3, 2),
        every=2,
        unit="months",
        form="group",
        length_minutes=90,
        supervisor_name="Hélène Gagnon",
        acting_user=ciusss,
    )
    records.add("plan", plan)
    records.add("plan", monthly)

    # Performance: a GMF-wide target agreed (missed: an alert), a professional's target
    # proposed, a strategy, a meeting with a decision signed by one side, the statistics.
    agreed = performance.do_propose_target(
        g1,
        placement=None,
        indicator="patients_seen",
        value=Decimal("90"),
        start=D(2026, 1, 1),
        side="ciusss",
        acting_user=ciusss,
    )
    performance.do_sign_target(agreed, "gmf", acting_user=gmf_user)
    proposed_target = performance.do_propose_target(
        g1,
        placement=placement,
        indicator="access_delay_days",
        value=Decimal("2.5"),
        start=D(2026, 12, 1),
        side="gmf",
        acting_user=gmf_user,
    )
    records.add("target", proposed_target)
    records.add("target", agreed)
    performance.do_record_strategy(
        g1,
        target=agreed,
        description="Plages de consultation sans rendez-vous le mardi.",
        carried_by="both",
        start=D(2026, 2, 1),
        status="under_way",
        acting_user=gmf_user,
    )
    meeting = performance.do_record_meeting(
        g1,
        held_on=D(2026, 3, 10),
        topic="performance",
        attendees="Geneviève Fortin, Claude Dubois",
        minutes="Revue des cibles du trimestre.",
        side="gmf",
        acting_user=gmf_user,
    )
    performance.do_record_meeting_decision(
        meeting,
        text="Ajouter une plage le jeudi.",
        carried_by="ciusss",
        due_on=D(2026, 4, 30),
        acting_user=ciusss,
    )
    records.add("meeting", meeting)
    signed = performance.do_record_meeting(
        g1,
        held_on=D(2026, 6, 9),
        topic="integration",
        attendees="Geneviève Fortin, Claude Dubois",
        minutes="Intégration de la pharmacienne.",
        side="ciusss",
        acting_user=ciusss,
    )
    performance.do_sign_meeting(signed, "gmf", acting_user=gmf_user)
    records.add("meeting", signed)
    write_version(world.region, "gmf_statistics", statistics_table())
    job = performance.do_start_statistics_import(
        statistics_upload(), region=world.region, acting_user=ciusss
    )
    records.add("job", job)
    records.add("level", world.level_table)
    records.add("rules", world.rules)
    return records


@pytest.fixture(autouse=True)
def _usernames(world: Any) -> None:
    for name, username in USERNAMES.items():
        user = world.users[name]
        user.username = username
        user.save(update_fields=["username"])


@pytest.fixture
def records(world: Any) -> Records:
    return make_records(world)


# --------------------------------------------------------------------------- the routes

# The record whose pk fills ``<int:pk>`` of a route, by the route's first words.
RECORD_OF = {
    "posts/": "post",
    "placements/": "placement",
    "integration/": "item",
    "absences/": "absence",
    "schedules/": "schedule",
    "attendance/": "attendance",
    "training/": "training",
    "supervision/": "plan",
    "targets/": "target",
    "meetings/": "meeting",
    "statistics/imports/": "job",
    "reference/levels/": "level",
    "reference/agreements/": "rules",
}

# Pages whose query string shows another page: the alerts of the other side, all.
QUERIES = {"alerts": ["", "?side=other", "?side=all"]}


def routes() -> list[URLPattern]:
    return [p for p in comanagement_urls.urlpatterns if isinstance(p, URLPattern)]


def urls_of(pattern: URLPattern, gmf: Gmf, records: Records) -> list[str]:
    """Every URL of ``pattern`` to read for ``gmf``: one per record of the kind its
    ``<pk>`` names (none when ``records`` has none of that kind)."""
    route = str(pattern.pattern)
    converters = pattern.pattern.converters
    kwargs: dict[str, Any] = {}
    if "code" in converters:
        establishment = gmf.rls.establishment
        kwargs["code"] = establishment.code if route.startswith("reference/") else gmf.code
    name = f"comanagement:{pattern.name}"
    if "pk" not in converters:
        return [reverse(name, kwargs=kwargs) + query for query in QUERIES.get(pattern.name, [""])]
    kind = next((kind for start, kind in RECORD_OF.items() if route.startswith(start)), None)
    assert kind is not None, f"RECORD_OF names no record for the route {route!r}"
    return [reverse(name, kwargs={**kwargs, "pk": pk}) for pk in records.pks.get(kind, [])]


def french_client(client_for: Callable[[str], Client], name: str) -> Client:
    client = client_for(name)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


def not_french(response: Any, url: str) -> dict[str, list[str]]:
    """What of ``response`` (a page or a CSV file) is not French."""
    content = response.content.decode("utf-8-sig")
    if not response["Content-Type"].startswith("text/html"):
        return problems_of(content, page=False)
    assert '<html lang="fr"' in content, url
    allowed = STATISTICS_COLUMNS if url.startswith("/comanagement/statistics/") else set()
    return problems_of(page_text(content), allowed=allowed)


@dataclass
class Reading:
    """One user's reading of every route: the routes read (200), the others by status."""

    read: list[str] = field(default_factory=list)
    other: dict[str, set[int]] = field(default_factory=dict)
    stubs: list[str] = field(default_factory=list)
    problems: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def read_every_page(client: Client, gmf: Gmf, records: Records) -> Reading:
    reading = Reading()
    for pattern in routes():
        for url in urls_of(pattern, gmf, records):
            try:
                response = client.get(url)
            except Exception as error:  # a page that fails is reported with the others
                reading.problems[url] = {"error": [f"{type(error).__name__}: {error}"]}
                continue
            if response.status_code == 501:
                reading.stubs.append(pattern.name)
                break
            if response.status_code != 200:
                reading.other.setdefault(pattern.name, set()).add(response.status_code)
                # A refusal (403, 404) says why in French too; a 405 has no page.
                if response.status_code in (403, 404):
                    found = not_french(response, url)
                    if found:
                        reading.problems[url] = found
                continue
            if pattern.name not in reading.read:
                reading.read.append(pattern.name)
            found = not_french(response, url)
            if found:
                reading.problems[url] = found
    return reading


def report(readings: dict[str, Reading]) -> dict[str, dict[str, list[str]]]:
    """Print what each user read, what was not read and why; the problems by page."""
    problems = {
        f"{name} {url}": found
        for name, reading in readings.items()
        for url, found in reading.problems.items()
    }
    for name, reading in readings.items():
        print(f"\n[{name}] {len(reading.read)} routes read in French: {', '.join(reading.read)}")
        others = {route: sorted(statuses) for route, statuses in reading.other.items()}
        print(f"[{name}] not read (status): {others}")
        if reading.stubs:
            print(f"[{name}] STILL 501 (not built): {', '.join(reading.stubs)}")
    for where, found in sorted(problems.items()):
        print(f"NOT FRENCH {where}: {found}")
    return problems


def test_it_says_every_page_in_french_to_each_side(world, records, client_for, capsys):
    readings = {
        side: read_every_page(french_client(client_for, side), world.gmf, records) for side in SIDES
    }
    with capsys.disabled():
        problems = report(readings)
    assert problems == {}
    stubs = sorted({name for reading in readings.values() for name in reading.stubs})
    assert stubs == [], f"routes still answering 501: {stubs}"
    # Every route is a page someone reads, but the buttons' POSTs (405 to a GET).
    read = {name for reading in readings.values() for name in reading.read}
    unread = {
        pattern.name
        for pattern in routes()
        if pattern.name not in read
        and any(readings[side].other.get(pattern.name) != {405} for side in SIDES)
    }
    assert unread == set()


def test_it_writes_days_and_numbers_the_french_way(world, records, client_for):
    client = french_client(client_for, "ciusss")

    def text(name: str, *args: Any) -> str:
        return page_text(client.get(reverse(f"comanagement:{name}", args=args)).content.decode())

    placement = text("placement-detail", world.placement.pk)
    assert "5 janvier 2026" in placement and "20,5" in placement  # the start, days worked
    assert "350,00 $" in text("training-list", world.gmf.code)
    assert "37,5" in text("schedule-detail", records.pks["schedule"][1])  # weekly hours
    assert "(0,50 ETC)" in text("post-detail", records.pks["post"][2])


def test_it_says_the_empty_pages_in_french(world, client_for, capsys):
    """G2 has no record: each page's « nothing yet » sentences, as G2's managers and the
    DRMG read them."""
    readings = {
        name: read_every_page(french_client(client_for, name), world.gmf2, Records())
        for name in ("drmg", "gmf2", "ciusss2")
    }
    with capsys.disabled():
        problems = report(readings)
    assert problems == {}
    assert all(len(reading.read) > 10 for reading in readings.values())


FORM = re.compile(r"<form\b[^>]*>", re.S)


def posts_to_itself(page: str, url: str) -> bool:
    """Whether ``page`` holds a form posted to its own URL (a form page)."""
    for tag in FORM.findall(page):
        if 'method="post"' not in tag:
            continue
        action = re.search(r'action="([^"]*)"', tag)
        if action is None or action.group(1) in ("", url):
            return True
    return False


def test_it_says_the_forms_refusals_in_french(world, records, client_for, capsys):
    """Each form page sent empty: the fields' and the services' refusals in French."""
    readings: dict[str, Reading] = {}
    refused = 0
    for side in SIDES:
        client = french_client(client_for, side)
        reading = readings[side] = Reading()
        for pattern in routes():
            for url in urls_of(pattern, world.gmf, records):
                response = client.get(url)
                if response.status_code != 200 or not posts_to_itself(
                    response.content.decode(), url
                ):
                    continue
                # Not ``{}``: an empty POST is false, and ``Form(request.POST or None)``
                # would stay unbound, with no error to read.
                response = client.post(url, {"sent": ""}, follow=True)
                if response.status_code != 200:
                    reading.other.setdefault(pattern.name, set()).add(response.status_code)
                    continue
                if pattern.name not in reading.read:
                    reading.read.append(pattern.name)
                refused += "Ce champ est obligatoire." in response.content.decode()
                found = not_french(response, url)
                if found:
                    reading.problems[url] = found
    with capsys.disabled():
        problems = report(readings)
    assert problems == {}
    assert len(readings["ciusss"].read) > 10 and len(readings["gmf"].read) > 10
    assert refused > 20  # the forms were bound: their refusals were read


def test_it_says_the_buttons_results_in_french(world, records, client_for, capsys):
    """The buttons' POSTs (sign, approve, validate, agree, done, apply, refuse), each
    pressed twice by each side: the page they lead to, with its message (done, or refused:
    already done, not your side's), is French."""
    probe = french_client(client_for, "ciusss")
    buttons = [
        pattern
        for pattern in routes()
        if any(probe.get(url).status_code == 405 for url in urls_of(pattern, world.gmf, records))
    ]
    assert len(buttons) >= 8
    readings: dict[str, Reading] = {}
    for side in ("ciusss", "gmf"):
        client = french_client(client_for, side)
        reading = readings[side] = Reading()
        for _twice in range(2):
            for pattern in buttons:
                for url in urls_of(pattern, world.gmf, records):
                    try:
                        response = client.post(url, {}, follow=True)
                    except Exception as error:  # reported with the others
                        reading.problems[url] = {"error": [f"{type(error).__name__}: {error}"]}
                        continue
                    if response.status_code != 200:
                        reading.other.setdefault(pattern.name, set()).add(response.status_code)
                        continue
                    if pattern.name not in reading.read:
                        reading.read.append(pattern.name)
                    found = not_french(response, url)
                    if found:
                        reading.problems[url] = found
    with capsys.disabled():
        problems = report(readings)
    assert problems == {}
    assert len(readings["ciusss"].read) >= 5


# --------------------------------------------------------------------------- e-mail, command

ON = D(2026, 12, 7)


def test_it_raises_every_kind_of_alert_from_the_records(world, records):
    """The records make every alert (so that the next two tests read each kind's words)."""
    rows = alerts.alerts(Gmf.objects.filter(code="G1"), ON)
    assert {row.kind for row in rows} == set(alerts.KIND_LABELS)


def test_it_writes_the_alerts_emails_in_french(world, records):
    rows = alerts.alerts(Gmf.objects.filter(code="G1"), ON)
    with translation.override("en"):  # the daily job's language must not matter
        report = alert_services.do_send_alert_emails(rows, ON)
    assert report.sent == len(rows) and len(mail.outbox) == len(rows)
    kinds = {row.kind for row in rows}
    problems = {}
    for message in mail.outbox:
        # The links are the site's addresses, not words.
        text = re.sub(r"https?://\S+", " ", f"{message.subject}\n{message.body}")
        found = problems_of(text)
        if found:
            problems[message.subject] = found
    assert problems == {}
    assert {str(alerts.KIND_LABELS[kind]) for kind in kinds} <= {
        message.subject.split("] ", 1)[1].split(" — ")[0] for message in mail.outbox
    }


def test_it_prints_the_alerts_command_in_french(world, records):
    out = io.StringIO()
    with translation.override("en"):  # the daily job's language must not matter
        call_command(
            "comanagement_alerts", "--on", ON.isoformat(), "--region", "01", "--send", stdout=out
        )
        call_command("comanagement_alerts", "--on", ON.isoformat(), "--region", "02", stdout=out)
    text = out.getvalue()
    assert problems_of(text) == {}
    assert "Aucune alerte le 7 décembre 2026." in text
    assert "échéance 30/06/2026, 160 jours de retard" in text
    assert len(text.splitlines()) >= len(alerts.KIND_LABELS)
