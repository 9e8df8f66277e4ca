"""The presence pages (absences, replacements, schedules, attendance): in French, the
refusals said as sentences, each side writing its own (the GMF proposes, the CISSS/CIUSSS
validates), and the refusals of every route (docs/comanagement-plan.md §3)."""

from __future__ import annotations

import datetime
import html
from datetime import time
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from panelcare.comanagement.schedules import Break, WorkDay
from web.comanagement.models import Absence, AttendanceRecord, Replacement, Schedule
from web.comanagement.services import presence

D = datetime.date
SUNDAY = D(2026, 1, 11)
MEAL = (Break(time(12), time(12, 30)),)
CODE_WORDS = ("illness", "nurse_clinician", "weekly_hours_exceeded", "fete_nationale", "proposed")


def monday_to_friday(end: time = time(16)) -> list[WorkDay]:
    return [
        WorkDay(SUNDAY + datetime.timedelta(days=offset), time(8), end, MEAL)
        for offset in range(1, 6)
    ]


@pytest.fixture
def records(world):
    """An absence, a proposed schedule 15 minutes over the week, an attendance record."""
    absence = presence.do_record_absence(
        world.placement,
        start=D(2026, 3, 2),
        end=None,
        foreseeable=False,
        reason="illness",
        acting_user=world.users["gmf"],
    )
    days = monday_to_friday()
    days[4] = WorkDay(days[4].day, time(8), time(16, 15), MEAL)
    schedule = presence.do_propose_schedule(
        world.placement, SUNDAY, 1, days=days, acting_user=world.users["gmf"]
    )
    attendance = presence.do_submit_attendance(
        world.placement,
        start=D(2026, 2, 1),
        end=D(2026, 3, 1),
        planned_days=Decimal(20),
        worked_days=Decimal(19),
        acting_user=world.users["gmf"],
    )
    return {"absence": absence, "schedule": schedule, "attendance": attendance}


def text_of(response) -> str:
    """The page's text with its entities read (an apostrophe is &#x27; in the HTML)."""
    return html.unescape(response.content.decode())


# --------------------------------------------------------------------------- refusals

# (route name, the record it takes, method, the side that writes; None: a page to read)
ROUTES = [
    ("absence-new", "placement", "get", "gmf"),
    ("absence-detail", "absence", "get", None),
    ("absence-detail", "absence", "post", "gmf"),
    ("replacement-new", "absence", "get", "ciusss"),
    ("schedule-new", "placement", "get", "gmf"),
    ("schedule-detail", "schedule", "get", None),
    ("schedule-validate", "schedule", "post", "ciusss"),
    ("schedule-refuse", "schedule", "post", "ciusss"),
    ("attendance-new", "placement", "get", "gmf"),
    ("attendance-approve", "attendance", "post", "ciusss"),
]
ROUTE_IDS = [f"{name}-{method}" for name, _record, method, _side in ROUTES]


def call(client_for, world, records, user, route):
    name, record, method, _side = route
    obj = world.placement if record == "placement" else records[record]
    url = reverse(f"comanagement:{name}", args=[obj.pk])
    client = client_for(user)
    return client.post(url, {}) if method == "post" else client.get(url)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("user", ["cml", "physician", "coach", "gmf_no_gmf", "ciusss_no_est"])
def test_it_refuses_other_roles_and_managers_without_a_territory(
    client_for, world, records, route, user
):
    assert call(client_for, world, records, user, route).status_code == 403


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("user", ["gmf2", "ciusss2", "gmf9", "ciusss9", "drmg9"])
def test_it_hides_the_records_of_another_gmf_establishment_or_region(
    client_for, world, records, route, user
):
    assert call(client_for, world, records, user, route).status_code == 404


WRITES = [route for route in ROUTES if route[3] is not None]
WRITE_IDS = [f"{name}-{method}" for name, _record, method, _side in WRITES]


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
def test_it_refuses_a_write_of_the_other_side_and_of_the_drmg(client_for, world, records, route):
    other = "ciusss" if route[3] == "gmf" else "gmf"
    assert call(client_for, world, records, other, route).status_code == 403
    assert call(client_for, world, records, "drmg", route).status_code == 403


@pytest.mark.parametrize("user", ["drmg", "gmf", "ciusss"])
def test_it_shows_the_records_to_each_side_and_the_drmg(client_for, world, records, user):
    for route in ROUTES:
        if route[3] is None:
            assert call(client_for, world, records, user, route).status_code == 200


def test_it_refuses_a_ciusss_proposing_a_schedule(client_for, world):
    url = reverse("comanagement:schedule-new", args=[world.placement.pk])
    response = client_for("ciusss").post(url, {"first_day": "2026-01-11", "weeks": 1})
    assert response.status_code == 403
    assert not Schedule.objects.exists()


def test_it_refuses_a_gmf_validating_a_schedule(client_for, world, records):
    url = reverse("comanagement:schedule-validate", args=[records["schedule"].pk])
    assert client_for("gmf").post(url).status_code == 403
    records["schedule"].refresh_from_db()
    assert records["schedule"].status == "proposed"


# --------------------------------------------------------------------------- absences


def test_it_lets_the_gmf_inform_of_an_absence(client_for, world):
    url = reverse("comanagement:absence-new", args=[world.placement.pk])
    client = client_for("gmf")
    page = text_of(client.get(url))
    assert "Informer d'une absence" in page and "Premier jour d'absence" in page
    response = client.post(
        url, {"start": "2026-04-06", "end": "", "reason": "parental", "foreseeable": "on"}
    )
    absence = Absence.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("comanagement:absence-detail", args=[absence.pk])
    assert absence.foreseeable and absence.recorded_by == world.users["gmf"]


def test_it_says_the_service_refusal_on_the_absence_form(client_for, world):
    url = reverse("comanagement:absence-new", args=[world.placement.pk])
    response = client_for("gmf").post(url, {"start": "2025-06-02", "end": "", "reason": "other"})
    assert response.status_code == 200
    assert "précède le premier jour de l'affectation" in text_of(response)
    assert not Absence.objects.exists()


def test_it_shows_from_which_day_a_replacement_is_required(client_for, world, records):
    url = reverse("comanagement:absence-detail", args=[records["absence"].pk])
    page = text_of(client_for("ciusss").get(url))
    # Sudden, from 2 March 2026: its fifth week starts on 30 March.
    assert "un remplacement est requis à partir du 30 mars 2026" in page
    assert "Congé de maladie" in page and "illness" not in page
    assert reverse("comanagement:replacement-new", args=[records["absence"].pk]) in page


def test_it_lets_the_gmf_change_an_absence(client_for, world, records):
    url = reverse("comanagement:absence-detail", args=[records["absence"].pk])
    response = client_for("gmf").post(url, {"end": "2026-03-16"})
    assert response.status_code == 302
    records["absence"].refresh_from_db()
    assert records["absence"].end == D(2026, 3, 16) and not records["absence"].foreseeable


def test_it_lets_the_ciusss_record_a_replacement(client_for, world, records):
    url = reverse("comanagement:replacement-new", args=[records["absence"].pk])
    client = client_for("ciusss")
    assert "Inscrire un remplacement" in text_of(client.get(url))
    response = client.post(url, {"replaced_by_name": "Agence Santé", "start": "2026-03-30"})
    assert response.status_code == 302
    assert Replacement.objects.get().replaced_by_name == "Agence Santé"


# --------------------------------------------------------------------------- schedules


def grid(first: str = "2026-01-11", weeks: int = 1, **days: dict[str, str]) -> dict[str, str]:
    """The week grid's POST: every day at rest but those given (``d1=…``)."""
    data = {"first_day": first, "weeks": str(weeks)}
    for index in range(7 * weeks):
        data[f"d{index}_kind"] = "rest"
    for key, values in days.items():
        index = key[1:]
        data.update({f"d{index}_{field}": value for field, value in values.items()})
    return data


WORK = {
    "kind": "work",
    "start": "08:00",
    "end": "16:00",
    "meal_start": "12:00",
    "meal_end": "12:30",
}


def test_it_draws_the_week_grid_in_french(client_for, world):
    url = reverse("comanagement:schedule-new", args=[world.placement.pk])
    client = client_for("gmf")
    assert "Afficher la grille" in text_of(client.get(url))
    page = text_of(client.get(url, {"first_day": "2026-01-11", "weeks": "1"}))
    assert "lundi 12 janvier" in page and "Proposer l'horaire" in page


def test_it_lets_the_gmf_propose_a_schedule_from_the_grid(client_for, world):
    url = reverse("comanagement:schedule-new", args=[world.placement.pk])
    data = grid(d1=WORK, d2=WORK, d3=WORK, d4=WORK, d5=WORK)
    response = client_for("gmf").post(url, data)
    schedule = Schedule.objects.get()
    assert response.status_code == 302
    assert presence.core_schedule(schedule).days == tuple(monday_to_friday())


def test_it_refuses_a_work_day_without_hours_in_the_grid(client_for, world):
    url = reverse("comanagement:schedule-new", args=[world.placement.pk])
    response = client_for("gmf").post(url, grid(d1={"kind": "work"}))
    assert response.status_code == 200
    assert "Une journée de travail a un début et une fin." in text_of(response)
    assert not Schedule.objects.exists()


def test_it_refuses_a_grid_not_starting_a_week(client_for, world):
    url = reverse("comanagement:schedule-new", args=[world.placement.pk])
    response = client_for("gmf").post(url, grid(first="2026-01-12", d0=WORK))
    assert "une semaine commence un dimanche" in text_of(response)
    assert not Schedule.objects.exists()


def test_it_fills_the_grid_of_a_change_with_the_earlier_days(client_for, world, records):
    url = reverse("comanagement:schedule-new", args=[world.placement.pk])
    page = text_of(
        client_for("gmf").get(
            url, {"first_day": "2026-02-01", "weeks": "1", "replaces": records["schedule"].pk}
        )
    )
    assert 'value="16:15"' in page and "Cette proposition modifie l'horaire" in page


def test_it_shows_the_ciusss_the_rules_a_proposal_breaks(client_for, world, records):
    url = reverse("comanagement:schedule-detail", args=[records["schedule"].pk])
    page = text_of(client_for("ciusss").get(url))
    assert "Semaine du 11 janvier : 37,75 h, au-delà des 37,5 h de la semaine régulière" in page
    assert "Valider l'horaire" in page and "Refuser l'horaire" in page
    for word in CODE_WORDS:
        assert word not in page


def test_it_says_the_rules_broken_when_the_ciusss_validates(client_for, world, records):
    schedule = records["schedule"]
    client = client_for("ciusss")
    response = client.post(reverse("comanagement:schedule-validate", args=[schedule.pk]))
    assert response.status_code == 302
    page = text_of(client.get(response["Location"]))
    assert "L'horaire enfreint la convention collective" in page
    assert "37,75 h, au-delà des 37,5 h" in page
    schedule.refresh_from_db()
    assert schedule.status == "proposed"


def test_it_validates_a_schedule_meeting_the_rules(client_for, world):
    schedule = presence.do_propose_schedule(
        world.placement, SUNDAY, 1, days=monday_to_friday(), acting_user=world.users["gmf"]
    )
    client = client_for("ciusss")
    response = client.post(reverse("comanagement:schedule-validate", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.status == "validated"
    assert "Horaire validé." in text_of(client.get(response["Location"]))


def test_it_shows_the_gmf_the_refusal_as_sentences(client_for, world, records):
    schedule = records["schedule"]
    client_for("ciusss").post(
        reverse("comanagement:schedule-refuse", args=[schedule.pk]),
        {"note": "Vendredi trop long."},
    )
    schedule.refresh_from_db()
    assert schedule.status == "refused"
    page = text_of(
        client_for("gmf").get(reverse("comanagement:schedule-detail", args=[schedule.pk]))
    )
    assert "Refusé : les règles de la convention collective qu'il enfreint" in page
    assert "Semaine du 11 janvier : 37,75 h, au-delà des 37,5 h de la semaine régulière" in page
    assert "Vendredi trop long." in page and "Proposer une modification" in page
    assert "Valider l'horaire" not in page


# --------------------------------------------------------------------------- attendance


def test_it_lets_the_gmf_submit_attendance(client_for, world):
    url = reverse("comanagement:attendance-new", args=[world.placement.pk])
    client = client_for("gmf")
    assert "Soumettre la présence" in text_of(client.get(url))
    response = client.post(
        url,
        {"start": "2026-01-05", "end": "2026-02-01", "planned_days": "19", "worked_days": "18.5"},
    )
    assert response.status_code == 302
    assert AttendanceRecord.objects.get().worked_days == Decimal("18.5")


def test_it_lets_the_ciusss_approve_attendance(client_for, world, records):
    record = records["attendance"]
    response = client_for("ciusss").post(
        reverse("comanagement:attendance-approve", args=[record.pk])
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.approved_by == world.users["ciusss"]


# --------------------------------------------------------------------------- partials


@pytest.mark.parametrize(
    ("template", "expected", "link"),
    [
        ("comanagement/absences/_placement_absences.html", "Congé de maladie", "absence-new"),
        ("comanagement/schedules/_placement_schedules.html", "Proposé", "schedule-new"),
        (
            "comanagement/attendance/_placement_attendance.html",
            "Jours travaillés",
            "attendance-new",
        ),
    ],
)
def test_it_renders_the_placement_partials_for_each_side(world, records, template, expected, link):
    context = {"placement": world.placement, "can_write_gmf": True, "can_write_ciusss": False}
    page = render_to_string(template, context)
    assert expected in page
    assert reverse(f"comanagement:{link}", args=[world.placement.pk]) in page
    page = render_to_string(template, {**context, "can_write_gmf": False})
    assert reverse(f"comanagement:{link}", args=[world.placement.pk]) not in page


def test_it_offers_the_ciusss_the_approval_in_the_attendance_partial(world, records):
    page = render_to_string(
        "comanagement/attendance/_placement_attendance.html",
        {"placement": world.placement, "can_write_gmf": False, "can_write_ciusss": True},
    )
    assert reverse("comanagement:attendance-approve", args=[records["attendance"].pk]) in page


def test_it_renders_the_presence_partial_with_its_chart(world):
    from web.comanagement import presence as reading

    rows = reading.presence_by_month(world.placement, until=D(2026, 2, 28))
    page = render_to_string(
        "comanagement/attendance/_placement_presence.html",
        {"presence_rows": rows, "presence_chart": reading.presence_chart(rows)},
    )
    assert 'id="chart-presence"' in page and 'id="spec-presence"' in page
    assert "Jours de présence réelle" in page and "février 2026" in page


def test_it_warns_of_weeks_above_the_placement_fte(client_for, world):
    world.placement.fte = Decimal("0.5")
    world.placement.save(update_fields=["fte"])
    schedule = presence.do_propose_schedule(
        world.placement, SUNDAY, 1, days=monday_to_friday(), acting_user=world.users["gmf"]
    )
    url = reverse("comanagement:schedule-detail", args=[schedule.pk])
    page = text_of(client_for("ciusss").get(url))
    assert "plus que les 0,50 ETC" in page and "(18,75 h)" in page
    assert "respecte toutes les règles" in page  # a warning, not a refusal


def test_it_shows_the_presence_sections_on_the_placement_page(client_for, world, records):
    url = reverse("comanagement:placement-detail", args=[world.placement.pk])
    page = text_of(client_for("gmf").get(url))
    assert "Absences" in page and "Horaires de travail" in page and "Présence" in page
    assert reverse("comanagement:schedule-detail", args=[records["schedule"].pk]) in page
