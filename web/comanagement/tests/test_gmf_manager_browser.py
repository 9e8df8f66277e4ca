"""Co-management as a GMF manager does it, in a real browser and in French: the menu's
« Cogestion » leads to their GMF's page (entitlement against filled FTE, posts with their
hiring deadline); on a placement's page they mark a GMF item of the integration checklist
done, inform of an absence, propose a schedule on the week grid and submit an attendance
record; they request a training, propose a target and sign a follow-up meeting the
CISSS/CIUSSS recorded; they read their alerts; another GMF's page is 404 and a
CISSS/CIUSSS write 403.

One test per feature (each builds the test world of ``conftest.make_world``), so that one
page failing leaves the others tested. The last one reads the tiny demo region as its GMF
manager and takes the screenshots docs/screens/comanagement-gmf-manager-{gmf,placement,
alerts}.png."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from panelcare.comanagement import schedules as core
from web.comanagement import alerts, figures
from web.comanagement.models import (
    Absence,
    AttendanceRecord,
    FollowUpMeeting,
    IntegrationItem,
    Placement,
    Schedule,
    Target,
    TrainingRequest,
)
from web.comanagement.services import performance, presence, programme
from web.comanagement.tests.conftest import World, make_world
from web.regions.testing import load_tiny_demo, log_in, main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Codes of the records and of Python that must not reach a French reader. The world's
# users are renamed (``USERNAMES``) so that « gmf » or « ciusss » on a page is a code, not
# the signed-in user's name.
CODE_WORDS = re.compile(
    r"\b(none|None|True|False|nurse_clinician|social_worker|fiq|apts|annual_review|"
    r"recognition|proposed|validated|refused|illness|fmg_role|quality_standard|"
    r"patients_seen|gmf|ciusss|both|emr_access|role_information|work_space|"
    r"hiring_deadline_passed|integration_item_overdue|absence_not_replaced)\b"
)
USERNAMES = {"gmf": "gestion.fleuve", "gmf2": "gestion.matane", "ciusss": "gestion.cisss"}


def _world() -> World:
    """The test world, its users renamed, and G1's programme: the annual review of the
    last 1 April raised its level (2 → 3) and owes a nurse clinician post, still vacant."""
    world = make_world()
    for key, username in USERNAMES.items():
        user = world.users[key]
        user.username = username
        user.save(update_fields=["username"])
    ciusss = world.users["ciusss"]
    review_day = figures.programme_year_start(timezone.localdate())
    programme.do_record_annual_review(
        world.gmf,
        review_day.replace(year=review_day.year - 1),
        {"standard": 9500},
        acting_user=ciusss,
    )
    review = programme.do_record_annual_review(
        world.gmf, review_day, {"standard": 12500}, acting_user=ciusss
    )
    programme.do_open_post(
        world.gmf,
        "nurse_clinician",
        Decimal("1.00"),
        "annual_review",
        review_day,
        review,
        acting_user=ciusss,
    )
    return world


def _text(page: Any) -> str:
    """What the reader sees of the page's main part, checked for code words."""
    return main_text(page, CODE_WORDS)


def _clean_week(world: World) -> datetime.date:
    """The first day of a week to come without a statutory holiday, under the agreement
    rules in force (a schedule of Monday to Friday meets every rule that week)."""
    today = timezone.localdate()
    _version, rules = presence.schedule_rules(world.placement, today)
    start = rules.week_start(today) + datetime.timedelta(days=7)
    holidays = {
        holiday.day for year in (start.year, start.year + 1) for holiday in rules.holidays_in(year)
    }
    while any(start + datetime.timedelta(days=i) in holidays for i in range(7)):
        start += datetime.timedelta(days=7)
    return start


def _work_week(first_day: datetime.date) -> list[core.WorkDay]:
    """Monday to Friday of the week from ``first_day``, 8 h to 16 h with a 30-minute meal."""
    days = [first_day + datetime.timedelta(days=i) for i in range(7)]
    return [
        core.WorkDay(
            day,
            datetime.time(8),
            datetime.time(16),
            (core.Break(datetime.time(12), datetime.time(12, 30)),),
        )
        for day in days
        if day.weekday() < 5
    ]


def test_it_leads_the_gmf_manager_from_the_menu_to_their_gmf_page(live_server, page):
    world = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["gmf"])

    # The menu's « Cogestion »: a GMF manager lands on their GMF's page.
    link = page.locator("[data-testid=nav-comanagement]")
    assert link.inner_text().strip() == "Cogestion"
    link.click()
    page.wait_for_selector("[data-testid=gmf-programme]")
    assert page.url == url + reverse("comanagement:gmf-detail", args=[world.gmf.code])
    assert world.gmf.name in page.inner_text("h1")
    text = _text(page)
    assert page.locator("[data-testid=gmf-stage]").inner_text().strip() == "Niveau rehaussé"
    assert "niveau 3" in page.locator("[data-testid=gmf-programme]").inner_text()

    # Entitlement against filled: level 3 entitles 2 FTE of nurse clinicians, 1 is
    # allocated (the post opened), none filled (Julie Bélanger fills no post).
    row = page.locator("[data-testid=fte-nurse_clinician] td").all_inner_texts()
    assert row[0] == "Infirmière clinicienne", row
    assert [cell.strip() for cell in row[1:]] == ["2,00", "1,00", "0,00"], row
    assert "Ressources par type de professionnel (ETC)" in text

    # The post: its hiring deadline (the review's 1 April + 3 months − 1 day).
    review_day = figures.programme_year_start(timezone.localdate())
    deadline = datetime.date(review_day.year, 6, 30)
    posts = page.locator("[data-testid=posts-table]").inner_text()
    assert "Échéance d'embauche" in posts
    assert f"30 juin {deadline.year}" in posts
    assert "Vacant" in posts
    if timezone.localdate() > deadline:
        assert page.locator("[data-testid=posts-table] [data-testid=post-late]").count() == 1
    # No CISSS/CIUSSS write on the GMF manager's page.
    assert page.locator("[data-testid=review-new-link]").count() == 0
    assert page.locator("[data-testid=post-new-link]").count() == 0


def test_it_lets_the_gmf_manager_mark_a_gmf_item_of_the_checklist_done(live_server, page):
    world = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["gmf"])
    page.goto(url + reverse("comanagement:gmf-detail", args=[world.gmf.code]))
    page.click(f"[data-testid=gmf-placements] a:has-text('{world.professional.name}')")
    page.wait_for_selector("[data-testid=integration-checklist]")
    assert page.url == url + reverse("comanagement:placement-detail", args=[world.placement.pk])

    # Only the GMF's items have a « done » button; the CISSS/CIUSSS's have none.
    assert page.locator("[data-testid=item-done-emr_access]").count() == 1
    assert page.locator("[data-testid=item-done-qhr_key]").count() == 0
    assert page.locator("[data-testid=item-emr_access] [data-testid=item-late]").count() == 1
    page.click("[data-testid=item-done-emr_access]")
    page.wait_for_selector("[data-testid=item-emr_access] .ok")
    today = timezone.localdate()
    item = IntegrationItem.objects.get(placement=world.placement, item="emr_access")
    assert item.done_on == today and item.done_by == world.users["gmf"]
    done = page.locator("[data-testid=item-emr_access]").inner_text()
    assert "Fait le" in done
    assert page.locator("[data-testid=item-done-emr_access]").count() == 0
    assert "fait." in page.inner_text("main")  # the message « … » fait.
    _text(page)


def test_it_lets_the_gmf_manager_inform_of_an_absence(live_server, page):
    world = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["gmf"])
    page.goto(url + reverse("comanagement:placement-detail", args=[world.placement.pk]))
    page.click("[data-testid=absence-new-link]")
    page.wait_for_selector("[data-testid=absence-form]")
    start = timezone.localdate() - datetime.timedelta(days=10)
    page.fill("[data-testid=absence-form] input[name=start]", start.isoformat())
    page.select_option("[data-testid=absence-form] select[name=reason]", "illness")
    page.click("[data-testid=absence-submit]")
    page.wait_for_selector("[data-testid=absence-facts]")

    absence = Absence.objects.get(placement=world.placement)
    assert page.url == url + reverse("comanagement:absence-detail", args=[absence.pk])
    assert absence.start == start and absence.end is None and not absence.foreseeable
    text = _text(page)
    assert "Absence inscrite : le CISSS/CIUSSS en est informé." in text
    facts = page.locator("[data-testid=absence-facts]").inner_text()
    assert "Congé de maladie" in facts
    assert "pas encore connu" in facts
    # The 4-week rule: an unforeseeable absence is replaced from its fifth week.
    fifth_week = start + datetime.timedelta(days=28)
    assert str(fifth_week.day) in page.locator("[data-testid=replacement-rule]").inner_text()
    # The CISSS/CIUSSS records the replacement, not the GMF.
    assert page.locator("[data-testid=replacement-new-link]").count() == 0


def test_it_lets_the_gmf_manager_propose_a_schedule_on_the_week_grid(live_server, page):
    world = _world()
    url = live_server.url
    first_day = _clean_week(world)
    log_in(page, url, USERNAMES["gmf"])
    page.goto(url + reverse("comanagement:placement-detail", args=[world.placement.pk]))
    page.click("[data-testid=schedule-new-link]")
    page.wait_for_selector("[data-testid=schedule-period-form]")
    page.fill("[data-testid=schedule-period-form] input[name=first_day]", first_day.isoformat())
    page.fill("[data-testid=schedule-period-form] input[name=weeks]", "1")
    page.click("[data-testid=schedule-period-submit]")
    page.wait_for_selector("[data-testid=schedule-grid]")
    rows = page.locator("[data-testid=schedule-grid] tbody tr")
    assert rows.count() == 7
    # Monday to Friday, 8 h to 16 h with a 30-minute meal: 37,5 h, the nurse's week.
    for index in range(7):
        day = first_day + datetime.timedelta(days=index)
        if day.weekday() >= 5:
            continue
        page.select_option(f"select[name=d{index}_kind]", "work")
        page.fill(f"input[name=d{index}_start]", "08:00")
        page.fill(f"input[name=d{index}_end]", "16:00")
        page.fill(f"input[name=d{index}_meal_start]", "12:00")
        page.fill(f"input[name=d{index}_meal_end]", "12:30")
    page.click("[data-testid=schedule-submit]")
    page.wait_for_selector("[data-testid=schedule-facts]")

    schedule = Schedule.objects.get(placement=world.placement)
    assert page.url == url + reverse("comanagement:schedule-detail", args=[schedule.pk])
    assert schedule.status == "proposed" and schedule.days.count() == 5
    text = _text(page)
    assert "Horaire proposé : le CISSS/CIUSSS le valide ou le refuse." in text
    assert "37,5" in page.locator("[data-testid=schedule-weeks]").inner_text()
    # The CISSS/CIUSSS decides: the GMF manager has no decision buttons.
    assert page.locator("[data-testid=schedule-validate]").count() == 0
    assert page.locator("[data-testid=schedule-check-ok]").count() == 1


def test_it_lets_the_gmf_manager_submit_an_attendance_record(live_server, page):
    world = _world()
    url = live_server.url
    today = timezone.localdate()
    end = today.replace(day=1)
    start = (end - datetime.timedelta(days=1)).replace(day=1)
    log_in(page, url, USERNAMES["gmf"])
    page.goto(url + reverse("comanagement:placement-detail", args=[world.placement.pk]))
    page.click("[data-testid=attendance-new-link]")
    page.wait_for_selector("[data-testid=attendance-form]")
    page.fill("[data-testid=attendance-form] input[name=start]", start.isoformat())
    page.fill("[data-testid=attendance-form] input[name=end]", end.isoformat())
    page.fill("[data-testid=attendance-form] input[name=planned_days]", "21")
    page.fill("[data-testid=attendance-form] input[name=worked_days]", "19.5")
    page.click("[data-testid=attendance-submit]")
    page.wait_for_selector("[data-testid=placement-attendance] table")

    record = AttendanceRecord.objects.get(placement=world.placement)
    assert page.url == url + reverse("comanagement:placement-detail", args=[world.placement.pk])
    assert (record.start, record.end, record.worked_days) == (start, end, Decimal("19.5"))
    text = _text(page)
    assert "Présence soumise : le CISSS/CIUSSS l'approuve." in text
    attendance = page.locator("[data-testid=placement-attendance]").inner_text()
    assert "19,5" in attendance
    assert "pas encore approuv" in attendance
    assert page.locator("[data-testid=attendance-approve]").count() == 0


def test_it_lets_the_gmf_manager_request_a_training(live_server, page):
    world = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["gmf"])
    page.goto(url + reverse("comanagement:placement-detail", args=[world.placement.pk]))
    page.click("[data-testid=placement-request-new]")
    page.wait_for_selector("[data-testid=request-form]")
    # The placement page's link chose the professional.
    assert page.locator("[data-testid=request-placement]").input_value() == str(world.placement.pk)
    page.fill("[data-testid=request-title]", "Soins de plaies complexes")
    page.fill("[data-testid=request-provider]", "Ordre des infirmières")
    page.check("[data-testid=request-external]")
    page.uncheck("[data-testid=request-in-programme]")
    page.fill("[data-testid=request-cost]", "250")
    page.click("[data-testid=request-submit]")
    page.wait_for_selector("[data-testid=training-requests]")

    request = TrainingRequest.objects.get(placement=world.placement)
    assert page.url == url + reverse("comanagement:training-list", args=[world.gmf.code])
    # Outside the CISSS/CIUSSS programme: the GMF pays.
    assert request.payer == "gmf" and request.decision == ""
    text = _text(page)
    assert "Formation demandée : le CISSS/CIUSSS la décide." in text
    row = page.locator(f"[data-testid=request-{request.pk}]").inner_text()
    assert "Soins de plaies complexes" in row
    assert "En attente de la décision du CISSS/CIUSSS" in row
    assert page.locator(f"[data-testid=decide-{request.pk}]").count() == 0


def test_it_lets_the_gmf_manager_propose_a_target_and_sign_a_meeting(live_server, page):
    world = _world()
    url = live_server.url
    today = timezone.localdate()
    meeting = performance.do_record_meeting(
        world.gmf,
        held_on=today - datetime.timedelta(days=3),
        topic="integration",
        attendees="Martine Côté (CISSS), la gestionnaire du GMF",
        minutes="Accueil de Julie Bélanger : accès au DMÉ à régler.",
        side="ciusss",
        acting_user=world.users["ciusss"],
    )
    log_in(page, url, USERNAMES["gmf"])
    page.goto(url + reverse("comanagement:performance", args=[world.gmf.code]))
    page.click("[data-testid=target-new]")
    page.wait_for_selector("[data-testid=performance-form]")
    start = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    page.select_option("select[name=placement]", str(world.placement.pk))
    page.select_option("select[name=indicator]", "patients_seen")
    page.fill("input[name=value]", "60")
    page.fill("input[name=start]", start.isoformat())
    page.click("[data-testid=performance-form] button[type=submit]")
    page.wait_for_selector("[data-testid=targets]")

    target = Target.objects.get(gmf=world.gmf)
    assert page.url == url + reverse("comanagement:performance", args=[world.gmf.code])
    assert target.gmf_signed_at is not None and target.ciusss_signed_at is None
    row = page.locator("[data-testid=target]").inner_text()
    assert "Patients vus" in row and "60" in row
    assert "En attente de la signature de l'autre partie" in row
    # Proposed by the GMF, signed by it: no second signature of the same side.
    assert page.locator("[data-testid=target-sign]").count() == 0
    _text(page)

    # The meeting the CISSS/CIUSSS recorded and signed: the GMF signs it, it is frozen.
    page.click(
        f"[data-testid=meetings] a[href='{reverse('comanagement:meeting-detail', args=[meeting.pk])}']"
    )
    page.wait_for_selector("[data-testid=meeting-sign]")
    page.click("[data-testid=meeting-sign]")
    page.wait_for_selector("[data-testid=frozen]")
    meeting = FollowUpMeeting.objects.get(pk=meeting.pk)
    assert meeting.signed_by_both and meeting.gmf_signed_by == world.users["gmf"]
    text = _text(page)
    assert "Les deux parties ont signé : le compte rendu et les décisions sont figés." in text
    assert page.locator("[data-testid=decision-new]").count() == 0


def test_it_shows_the_gmf_manager_their_alerts(live_server, page):
    world = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["gmf"])
    page.goto(url + reverse("comanagement:gmf-detail", args=[world.gmf.code]))
    page.click("[data-testid=gmf-tabs] a[href*='alerts']")
    page.wait_for_selector("[data-testid=alerts-table]")
    _text(page)
    assert "Alertes de la cogestion" in page.inner_text("h1")

    # Their side's by default: the GMF's overdue integration items (the world's items were
    # due on 4 February 2026), not the CISSS/CIUSSS's late post.
    rows = page.locator("[data-testid=alerts-table] tbody tr[data-subject]")
    kinds = set(rows.evaluate_all("rows => rows.map(row => row.dataset.testid)"))
    assert kinds == {"alert-integration_item_overdue"}, kinds
    assert rows.count() == 8  # the GMF's 8 items of the checklist
    first = rows.first.inner_text()
    assert "Élément d'intégration en retard" in first and world.gmf.name in first
    assert "GMF" in first

    # The other side's: the CISSS/CIUSSS's late post and its overdue items.
    with page.expect_navigation():
        page.click("[data-testid=alert-filter-other]")
    page.wait_for_selector("[data-testid=alerts-table]")
    other = set(
        page.locator("[data-testid=alerts-table] tbody tr[data-subject]").evaluate_all(
            "rows => rows.map(row => row.dataset.testid)"
        )
    )
    assert "alert-integration_item_overdue" in other
    review_day = figures.programme_year_start(timezone.localdate())
    if timezone.localdate() > datetime.date(review_day.year, 6, 30):
        assert "alert-hiring_deadline_passed" in other
    _text(page)


def test_it_refuses_the_gmf_manager_another_gmf_and_a_ciusss_write(live_server, page):
    world = _world()
    url = live_server.url
    first_day = _clean_week(world)
    schedule = presence.do_propose_schedule(
        world.placement,
        first_day,
        1,
        days=_work_week(first_day),
        acting_user=world.users["gmf"],
    )
    log_in(page, url, USERNAMES["gmf"])

    # Another GMF's page: 404, in French.
    response = page.goto(url + reverse("comanagement:gmf-detail", args=[world.gmf2.code]))
    assert response is not None and response.status == 404
    assert page.locator("[data-testid=error-404]").count() == 1
    assert "Page introuvable" in page.inner_text("main")
    assert world.gmf2.name not in page.inner_text("main")

    # A CISSS/CIUSSS page (opening a post): 403, in French.
    response = page.goto(url + reverse("comanagement:post-new", args=[world.gmf.code]))
    assert response is not None and response.status == 403
    assert page.locator("[data-testid=error-403]").count() == 1
    assert "Accès refusé" in page.inner_text("main")

    # Validating the GMF's own schedule is the CISSS/CIUSSS's: the POST, with the
    # session's CSRF token (a refusal for the role, not for the form), is 403.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        url + reverse("comanagement:schedule-validate", args=[schedule.pk]),
        headers={"X-CSRFToken": token, "Referer": url + "/"},
        max_redirects=0,
    )
    assert response.status == 403
    assert 'data-testid="csrf-failure"' not in response.text()
    assert Schedule.objects.get(pk=schedule.pk).status == "proposed"


# --- The demo region, as its GMF manager reads it (the documentation's screenshots) -----------

DEMO_USERNAMES = ("gestion.gmf", "ciusss", "drmg")


def _demo_text(page: Any) -> str:
    """The main part's text, without the demo's usernames (« par gestion.gmf »), checked
    for code words."""
    return main_text(page, CODE_WORDS, without=DEMO_USERNAMES)


def test_it_shows_the_demo_gmf_to_its_manager(live_server, page, screenshot_dir):
    load_tiny_demo()
    gmf = User.objects.get(username="gestion.gmf").profile.gmf
    assert gmf is not None
    url = live_server.url
    log_in(page, url, "gestion.gmf")
    page.click("[data-testid=nav-comanagement]")
    page.wait_for_selector("[data-testid=gmf-programme]")
    assert page.url == url + reverse("comanagement:gmf-detail", args=[gmf.code])
    _demo_text(page)
    # The demo's GMF of the manager: its level rose at the last 1 April, and a post it
    # owes is still vacant past its deadline.
    assert page.locator("[data-testid=gmf-stage]").inner_text().strip() == "Niveau rehaussé"
    assert page.locator("[data-testid=posts-table] [data-testid=post-late]").count() >= 1
    assert page.locator("[data-testid=fte-table] tbody tr").count() >= 3
    page.screenshot(path=str(screenshot_dir / "comanagement-gmf-manager-gmf.png"), full_page=True)

    # A professional's page: the checklist and the other parts' sections.
    placement = Placement.objects.filter(gmf=gmf, end__isnull=True).order_by("start", "pk").first()
    assert placement is not None
    page.click(
        f"[data-testid=gmf-placements] a[href='{reverse('comanagement:placement-detail', args=[placement.pk])}']"
    )
    page.wait_for_selector("[data-testid=integration-checklist]")
    for section in ("placement-absences", "placement-schedules", "placement-training"):
        assert page.locator(f"[data-testid={section}]").count() == 1, section
    _demo_text(page)
    # The page is long (presence, training, supervision, indicators): its top part.
    page.screenshot(
        path=str(screenshot_dir / "comanagement-gmf-manager-placement.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 2000},
    )

    # Every side's alerts of the GMF, as the alerts page lists them.
    page.goto(url + reverse("comanagement:alerts") + "?side=all")
    page.wait_for_selector("[data-testid=alerts-table]")
    expected = {f"alert-{row.kind}" for row in alerts.alerts([gmf], timezone.localdate())}
    shown = set(
        page.locator("[data-testid=alerts-table] tbody tr[data-subject]").evaluate_all(
            "rows => rows.map(row => row.dataset.testid)"
        )
    )
    assert shown == expected and len(shown) >= 5, (shown, expected)
    _demo_text(page)
    page.screenshot(
        path=str(screenshot_dir / "comanagement-gmf-manager-alerts.png"), full_page=True
    )
