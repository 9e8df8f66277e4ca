"""Co-management as a CISSS/CIUSSS manager does it, in a real browser and in French: they
record the annual review that raises a GMF's level, open the post it owes, record the
interview the GMF took part in, record a professional and place them filling the post
(the integration checklist appears); validate the schedule the GMF proposed and refuse one
that breaks the agreement (the rule said in French); approve an attendance record, decide
a training request, set a supervision plan and record a session, replace an absent
professional (the alert goes), sign the GMF's target, and publish a new version of their
establishment's agreement rules.

One test per feature (each builds the test world of ``conftest.make_world``), so that one
page failing leaves the others tested; the schedule's refusal is screenshot there
(docs/screens/comanagement-ciusss-schedule-refused.png). The last test reads the tiny demo
region as its CISSS and takes docs/screens/comanagement-ciusss-{posts,alerts}.png."""

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
    AgreementRulesVersion,
    AnnualReview,
    AttendanceRecord,
    Placement,
    Post,
    Replacement,
    SelectionStep,
    SupervisionPlan,
    Target,
    TrainingRequest,
)
from web.comanagement.services import performance, presence, programme, training
from web.comanagement.tests.conftest import World, make_world
from web.regions.models import Gmf
from web.regions.testing import load_tiny_demo, log_in, main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Codes of the records and of Python that must not reach a French reader. The world's
# users are renamed (``USERNAMES``) so that « gmf » or « ciusss » on a page is a code, not
# a user's name.
CODE_WORDS = re.compile(
    r"\b(none|None|True|False|nurse_clinician|social_worker|fiq|apts|annual_review|"
    r"recognition|proposed|validated|refused|approved|illness|interview|fmg_role|"
    r"quality_standard|patients_seen|individual|weeks|gmf|ciusss|both|emr_access|qhr_key|"
    r"too_many_days|weekly_hours_exceeded|rest_days_not_consecutive|"
    r"absence_not_replaced|hiring_deadline_passed|integration_item_overdue)\b"
)
USERNAMES = {"gmf": "gestion.fleuve", "gmf2": "gestion.matane", "ciusss": "gestion.cisss"}


def _world() -> World:
    """The test world, its users renamed, and the annual review of the year before the
    last 1 April (level 2)."""
    world = make_world()
    for key, username in USERNAMES.items():
        user = world.users[key]
        user.username = username
        user.save(update_fields=["username"])
    review_day = figures.programme_year_start(timezone.localdate())
    programme.do_record_annual_review(
        world.gmf,
        review_day.replace(year=review_day.year - 1),
        {"standard": 9500},
        acting_user=world.users["ciusss"],
    )
    return world


def _text(page: Any) -> str:
    """What the reader sees of the page's main part, checked for code words."""
    return main_text(page, CODE_WORDS)


def _clean_week(world: World, after: datetime.date | None = None) -> datetime.date:
    """The first day of a week to come (after ``after``'s week) without a statutory
    holiday, under the agreement rules in force."""
    today = timezone.localdate()
    _version, rules = presence.schedule_rules(world.placement, today)
    start = rules.week_start(after or today) + datetime.timedelta(days=7)
    holidays = {
        holiday.day for year in (start.year, start.year + 1) for holiday in rules.holidays_in(year)
    }
    while any(start + datetime.timedelta(days=i) in holidays for i in range(7)):
        start += datetime.timedelta(days=7)
    return start


def _week(first_day: datetime.date, weekdays: set[int]) -> list[core.WorkDay]:
    """The days of the week from ``first_day`` whose ``weekday()`` is in ``weekdays``:
    8 h to 16 h with a 30-minute meal (7,5 h)."""
    days = [first_day + datetime.timedelta(days=i) for i in range(7)]
    return [
        core.WorkDay(
            day,
            datetime.time(8),
            datetime.time(16),
            (core.Break(datetime.time(12), datetime.time(12, 30)),),
        )
        for day in days
        if day.weekday() in weekdays
    ]


def _rows(page: Any, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("rows => rows.map(row => row.dataset.testid)")


def test_it_lets_the_ciusss_manager_raise_a_level_open_a_post_and_fill_it(live_server, page):
    world = _world()
    url = live_server.url
    review_day = figures.programme_year_start(timezone.localdate())
    log_in(page, url, USERNAMES["ciusss"])
    page.click("[data-testid=nav-comanagement]")
    page.wait_for_selector("[data-testid=gmf-table]")
    # Their establishment's GMF only (G2 is cisss_two's).
    assert _rows(page, "[data-testid=gmf-table] tbody tr") == [f"gmf-{world.gmf.code}"]
    page.click(f"[data-testid=gmf-{world.gmf.code}] a")
    page.wait_for_selector("[data-testid=gmf-programme]")

    # 1. The annual review of the last 1 April, which raises the level (2 → 3).
    page.click("[data-testid=review-new-link]")
    page.wait_for_selector("[data-testid=comanagement-form]")
    assert page.input_value("input[name=reviewed_on]") == review_day.isoformat()
    page.fill("input[name=count_standard]", "12500")
    page.click("[data-testid=form-submit]")
    page.wait_for_selector("[data-testid=gmf-programme]")
    review = AnnualReview.objects.get(gmf=world.gmf, reviewed_on=review_day)
    assert review.counts["standard"] == 12500
    text = _text(page)
    assert "Révision annuelle inscrite." in text
    assert page.locator("[data-testid=gmf-stage]").inner_text().strip() == "Niveau rehaussé"
    assert "niveau 3" in page.locator("[data-testid=gmf-programme]").inner_text()

    # 2. The post it owes: a nurse clinician, due 3 months after the review, less a day.
    page.click("[data-testid=gmf-posts] [data-testid=post-new-link]")
    page.wait_for_selector("[data-testid=comanagement-form]")
    page.select_option("select[name=professional_type]", "nurse_clinician")
    page.fill("input[name=fte]", "1.00")
    page.select_option("select[name=opened_by]", "annual_review")
    page.select_option("select[name=review]", str(review.pk))
    page.click("[data-testid=form-submit]")
    page.wait_for_selector("[data-testid=post-facts]")
    post = Post.objects.get(gmf=world.gmf)
    assert page.url == url + reverse("comanagement:post-detail", args=[post.pk])
    assert "Poste ouvert." in _text(page)
    deadline = page.locator("[data-testid=post-deadline]").inner_text()
    assert deadline.strip() == f"30 juin {review_day.year}"

    # 3. The interview, the GMF taking part.
    page.click("[data-testid=step-new-link]")
    page.wait_for_selector("[data-testid=comanagement-form]")
    page.select_option("select[name=step]", "interview")
    page.check("input[name=gmf_took_part]")
    page.click("[data-testid=form-submit]")
    page.wait_for_selector("[data-testid=post-steps]")
    step = SelectionStep.objects.get(post=post)
    assert step.step == "interview" and step.gmf_took_part
    steps = page.locator("[data-testid=post-steps] tbody").inner_text()
    assert "Entrevue" in steps and "Oui" in steps
    assert "Étape de sélection inscrite." in _text(page)

    # 4. The professional hired, recorded, then placed in the GMF filling the post.
    page.goto(url + reverse("comanagement:professional-list", args=[world.gmf.code]))
    page.click("[data-testid=professional-new-link]")
    page.wait_for_selector("[data-testid=comanagement-form]")
    page.fill("input[name=employee_number]", "E200")
    page.fill("input[name=name]", "Marc Pelletier")
    page.select_option("select[name=professional_type]", "nurse_clinician")
    page.select_option("select[name=agreement]", "fiq")
    page.select_option("select[name=job_title]", "nurse_clinician")
    page.fill("input[name=service_start]", "2019-08-19")
    page.click("[data-testid=form-submit]")
    page.wait_for_selector("[data-testid=comanagement-form]")
    assert "Professionnel inscrit : affectez-le au GMF." in _text(page)
    assert page.url.startswith(url + reverse("comanagement:placement-new", args=[world.gmf.code]))
    page.select_option("select[name=site]", str(world.site.pk))
    page.select_option("select[name=post]", str(post.pk))
    page.fill("input[name=supervisor_name]", "Martine Côté")
    page.click("[data-testid=form-submit]")
    page.wait_for_selector("[data-testid=integration-checklist]")
    placement = Placement.objects.get(professional__employee_number="E200")
    assert page.url == url + reverse("comanagement:placement-detail", args=[placement.pk])
    text = _text(page)
    assert "Affectation commencée : sa liste d'intégration est créée." in text
    assert page.locator("[data-testid=integration-checklist] tbody tr").count() == 14
    # The CISSS/CIUSSS's items have their button, the GMF's none.
    assert page.locator("[data-testid=item-done-qhr_key]").count() == 1
    assert page.locator("[data-testid=item-done-emr_access]").count() == 0
    assert "Poste pourvu" in page.locator("[data-testid=placement-facts]").inner_text()

    # The post is filled by the CISSS/CIUSSS, from the placement's first day.
    post.refresh_from_db()
    assert post.placement == placement and post.filled_on == placement.start
    page.goto(url + reverse("comanagement:post-list", args=[world.gmf.code]))
    page.wait_for_selector("[data-testid=posts-table]")
    row = page.locator(f"[data-testid=post-{post.pk}]").inner_text()
    assert "Pourvu le" in row and f"30 juin {review_day.year}" in row
    _text(page)


def test_it_lets_the_ciusss_manager_validate_a_schedule_and_refuse_one_breaking_a_rule(
    live_server, page, screenshot_dir
):
    world = _world()
    url = live_server.url
    gmf_user = world.users["gmf"]
    good_week = _clean_week(world)
    bad_week = _clean_week(world, after=good_week)
    good = presence.do_propose_schedule(
        world.placement, good_week, 1, days=_week(good_week, {0, 1, 2, 3, 4}), acting_user=gmf_user
    )
    # Six days of 7,5 h: over the 5 days and the 37,5 h of the nurse's regular week.
    bad = presence.do_propose_schedule(
        world.placement,
        bad_week,
        1,
        days=_week(bad_week, {6, 0, 1, 2, 3, 4}),
        acting_user=gmf_user,
    )
    log_in(page, url, USERNAMES["ciusss"])
    page.goto(url + reverse("comanagement:placement-detail", args=[world.placement.pk]))
    page.wait_for_selector("[data-testid=placement-schedules]")

    # 1. The schedule that meets the agreement: validated.
    page.click(
        f"[data-testid=placement-schedules] a[href='{reverse('comanagement:schedule-detail', args=[good.pk])}']"
    )
    page.wait_for_selector("[data-testid=schedule-check-ok]")
    with page.expect_navigation():
        page.click("[data-testid=schedule-validate]")
    page.wait_for_selector("[data-testid=schedule-facts]")
    good.refresh_from_db()
    assert good.status == "validated" and good.decided_by == world.users["ciusss"]
    text = _text(page)
    assert "Horaire validé." in text
    assert page.locator("[data-testid=schedule-status]").inner_text().strip() == "Validé"
    assert page.locator("[data-testid=schedule-decision]").count() == 0

    # 2. The one that breaks it: validating it is refused with the rules in French.
    page.goto(url + reverse("comanagement:schedule-detail", args=[bad.pk]))
    check = page.locator("[data-testid=schedule-check-refusals]").inner_text()
    assert "au-delà des 5 jours permis" in check, check
    with page.expect_navigation():
        page.click("[data-testid=schedule-validate]")
    page.wait_for_selector("[data-testid=schedule-facts]")
    bad.refresh_from_db()
    assert bad.status == "proposed"
    said = page.locator("main ul.messages").inner_text()
    assert "L'horaire enfreint la convention collective" in said, said
    assert "au-delà des 5 jours permis" in said, said
    _text(page)

    # Refused, with a note: the page keeps the rules broken, as sentences.
    page.fill("[data-testid=schedule-refuse-form] textarea[name=note]", "Retirer le dimanche.")
    page.click("[data-testid=schedule-refuse]")
    page.wait_for_selector("[data-testid=schedule-refusals]")
    bad.refresh_from_db()
    assert bad.status == "refused" and bad.refusals
    assert {refusal["rule"] for refusal in bad.refusals} >= {"too_many_days"}
    text = _text(page)
    assert "Horaire refusé : le GMF voit les règles qu'il enfreint." in text
    refusals = page.locator("[data-testid=schedule-refusals]").inner_text()
    day = bad_week.day
    assert f"Semaine du {day} " in refusals, refusals
    assert "6 jours de travail ou de congé payé, au-delà des 5 jours permis" in refusals
    assert "45 h, au-delà des 37,5 h de la semaine régulière" in refusals
    assert "Retirer le dimanche." in refusals
    page.screenshot(
        path=str(screenshot_dir / "comanagement-ciusss-schedule-refused.png"), full_page=True
    )


def test_it_lets_the_ciusss_manager_approve_an_attendance_record(live_server, page):
    world = _world()
    url = live_server.url
    end = timezone.localdate().replace(day=1)
    start = (end - datetime.timedelta(days=1)).replace(day=1)
    record = presence.do_submit_attendance(
        world.placement,
        start=start,
        end=end,
        planned_days=Decimal("21"),
        worked_days=Decimal("20"),
        acting_user=world.users["gmf"],
    )
    log_in(page, url, USERNAMES["ciusss"])
    page.goto(url + reverse("comanagement:placement-detail", args=[world.placement.pk]))
    assert page.locator("[data-testid=attendance-new-link]").count() == 0
    with page.expect_navigation():
        page.click("[data-testid=attendance-approve]")
    page.wait_for_selector("[data-testid=placement-attendance]")
    record = AttendanceRecord.objects.get(pk=record.pk)
    assert record.approved_on == timezone.localdate()
    assert record.approved_by == world.users["ciusss"]
    assert "Présence approuvée." in _text(page)
    assert page.locator("[data-testid=attendance-approve]").count() == 0
    assert (
        "pas encore approuv" not in page.locator("[data-testid=placement-attendance]").inner_text()
    )


def test_it_lets_the_ciusss_manager_decide_a_training_request(live_server, page):
    world = _world()
    url = live_server.url
    request = training.do_request_training(
        world.placement,
        title="Soins de plaies complexes",
        submitted_on=timezone.localdate() - datetime.timedelta(days=5),
        external=True,
        in_ciusss_programme=False,
        cost=Decimal("250"),
        provider="Ordre des infirmières",
        acting_user=world.users["gmf"],
    )
    log_in(page, url, USERNAMES["ciusss"])
    page.goto(url + reverse("comanagement:training-list", args=[world.gmf.code]))
    assert page.locator("[data-testid=request-new-link]").count() == 0
    page.click(f"[data-testid=decide-{request.pk}]")
    page.wait_for_selector("[data-testid=decision-form]")
    assert page.locator("[data-testid=request-payer]").inner_text().strip() == "GMF"
    page.check("[data-testid=decision-form] input[value=approved]")
    page.fill("[data-testid=decision-note]", "Approuvée : le GMF assume les frais.")
    page.click("[data-testid=decision-submit]")
    page.wait_for_selector("[data-testid=training-requests]")
    request = TrainingRequest.objects.get(pk=request.pk)
    assert request.decision == "approved" and request.decided_by == world.users["ciusss"]
    text = _text(page)
    assert "Décision consignée." in text
    row = page.locator(f"[data-testid=request-{request.pk}]").inner_text()
    assert "Approuvée le" in row
    # Approved: its attendance is the CISSS/CIUSSS's to record next.
    assert page.locator(f"[data-testid=attendance-{request.pk}]").count() == 1


def test_it_lets_the_ciusss_manager_set_a_supervision_plan_and_record_a_session(live_server, page):
    world = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["ciusss"])
    page.goto(url + reverse("comanagement:placement-detail", args=[world.placement.pk]))
    assert page.locator("[data-testid=supervision-no-plan]").count() == 1
    page.click("[data-testid=supervision-plan-link]")
    page.wait_for_selector("[data-testid=plan-form]")
    page.fill("[data-testid=plan-every]", "4")
    page.select_option("[data-testid=plan-unit]", "weeks")
    page.select_option("select[data-testid=plan-form]", "individual")
    page.fill("[data-testid=plan-length]", "60")
    page.fill("[data-testid=plan-site]", "Clinique du Fleuve")
    page.fill("[data-testid=plan-supervisor]", "Annie Lavoie")
    page.click("[data-testid=plan-submit]")
    page.wait_for_selector("[data-testid=supervision-plan]")
    plan = SupervisionPlan.objects.get(placement=world.placement)
    assert (plan.every, plan.unit, plan.supervisor_name) == (4, "weeks", "Annie Lavoie")
    text = _text(page)
    assert "Plan de supervision établi." in text
    assert (
        "Une séance toutes les 4 semaines"
        in page.locator("[data-testid=supervision-plan]").inner_text()
    )

    page.click("[data-testid=session-new-link]")
    page.wait_for_selector("[data-testid=session-form]")
    page.fill("[data-testid=session-length]", "50")
    page.fill("[data-testid=session-note]", "Revue des suivis de plaies.")
    page.click("[data-testid=session-submit]")
    page.wait_for_selector("[data-testid=all-sessions]")
    session = plan.sessions.get()
    assert session.held_on == timezone.localdate() and session.length_minutes == 50
    assert "Séance de supervision consignée." in _text(page)
    assert "Revue des suivis de plaies." in page.locator("[data-testid=all-sessions]").inner_text()
    # The next session is due 4 weeks after this one.
    due = page.locator("[data-testid=supervision-next-due]").inner_text()
    assert page.locator("[data-testid=supervision-late]").count() == 0, due


def test_it_lets_the_ciusss_manager_replace_an_absence_and_its_alert_goes(live_server, page):
    world = _world()
    url = live_server.url
    start = timezone.localdate() - datetime.timedelta(days=40)
    absence = presence.do_record_absence(
        world.placement,
        start=start,
        end=None,
        foreseeable=False,
        reason="illness",
        acting_user=world.users["gmf"],
    )
    log_in(page, url, USERNAMES["ciusss"])
    page.goto(url + reverse("comanagement:alerts"))
    page.wait_for_selector("[data-testid=alerts-table]")
    # Their side's alerts: the absence not replaced (from its fifth week) and their
    # overdue integration items; not the GMF's items.
    subject = f"absence:{absence.pk}"
    row = page.locator(f"[data-testid=alert-absence_not_replaced][data-subject='{subject}']")
    assert row.count() == 1
    assert "Absence non remplacée" in row.inner_text()
    assert "Julie Bélanger" in row.inner_text()
    owners = page.locator("[data-testid=alerts-table] tbody tr td:last-child").all_inner_texts()
    assert owners and set(owners) == {"CISSS/CIUSSS"}, owners
    _text(page)

    # The alert leads to the absence, where they record the replacement.
    row.locator("a").last.click()
    page.wait_for_selector("[data-testid=replacement-rule]")
    assert page.url == url + reverse("comanagement:absence-detail", args=[absence.pk])
    assert page.locator("[data-testid=replacement-late]").count() == 1
    page.click("[data-testid=replacement-new-link]")
    page.wait_for_selector("[data-testid=replacement-form]")
    page.fill("input[name=replaced_by_name]", "Sophie Gagnon")
    page.click("[data-testid=replacement-submit]")
    page.wait_for_selector("[data-testid=replacements]")
    replacement = Replacement.objects.get(absence=absence)
    assert replacement.replaced_by_name == "Sophie Gagnon"
    assert replacement.start == start + datetime.timedelta(days=28)
    assert "Remplacement inscrit." in _text(page)
    assert page.locator("[data-testid=replacement-late]").count() == 0

    # The alert is gone; the others stay.
    page.goto(url + reverse("comanagement:alerts"))
    page.wait_for_selector("[data-testid=alerts-table]")
    assert page.locator("[data-testid=alert-absence_not_replaced]").count() == 0
    assert page.locator("[data-testid=alert-integration_item_overdue]").count() > 0


def test_it_lets_the_ciusss_manager_sign_the_gmfs_target(live_server, page):
    world = _world()
    url = live_server.url
    today = timezone.localdate()
    start = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    target = performance.do_propose_target(
        world.gmf,
        placement=world.placement,
        indicator="patients_seen",
        value=Decimal("60"),
        start=start,
        side="gmf",
        acting_user=world.users["gmf"],
    )
    log_in(page, url, USERNAMES["ciusss"])
    page.goto(url + reverse("comanagement:performance", args=[world.gmf.code]))
    page.wait_for_selector("[data-testid=targets]")
    assert page.locator("[data-testid=target]").get_attribute("data-agreed") == "0"
    with page.expect_navigation():
        page.click("[data-testid=target-sign]")
    page.wait_for_selector("[data-testid=targets]")
    target = Target.objects.get(pk=target.pk)
    assert target.agreed and target.ciusss_signed_by == world.users["ciusss"]
    text = _text(page)
    assert "Les deux parties ont signé : la cible est convenue." in text
    row = page.locator("[data-testid=target]")
    assert row.get_attribute("data-agreed") == "1"
    assert "Convenue" in row.inner_text()
    assert page.locator("[data-testid=target-sign]").count() == 0


def test_it_lets_the_ciusss_manager_publish_agreement_rules(live_server, page):
    world = _world()
    url = live_server.url
    code = world.establishment.code
    log_in(page, url, USERNAMES["ciusss"])
    # No page links to the establishment's agreement rules yet: opened by its address.
    page.goto(url + reverse("comanagement:agreements", args=[code]))
    page.wait_for_selector("[data-testid=agreement-versions]")
    assert "version 1" in page.locator("[data-testid=rules-in-force]").inner_text()
    page.click("[data-testid=agreement-new]")
    page.wait_for_selector("[data-testid=reference-form]")
    # The form starts from the version in force.
    assert "[establishments.cisss_bsl]" in page.input_value("textarea[name=text]")
    page.fill("input[name=training_decide_within_days]", "21")
    page.fill("textarea[name=note]", "Délai de décision des formations ramené à 21 jours.")
    # The day it is in force from: today (typed in: see the test below).
    page.fill("[data-testid=reference-in-force-from]", timezone.localdate().isoformat())
    with page.expect_navigation():
        page.click("[data-testid=reference-submit]")
    version = AgreementRulesVersion.objects.get(establishment=world.establishment, number=2)
    assert version.training_decide_within_days == 21
    assert version.created_by == world.users["ciusss"]
    assert page.url == url + reverse("comanagement:agreement-detail", args=[code, version.pk])
    text = _text(page)
    assert "La version 2 des règles des conventions est publiée." in text


def test_it_opens_the_agreement_rules_form_in_force_from_today(live_server, page):
    world = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["ciusss"])
    page.goto(url + reverse("comanagement:agreement-new", args=[world.establishment.code]))
    page.wait_for_selector("[data-testid=reference-form]")
    day = page.input_value("[data-testid=reference-in-force-from]")
    assert day == timezone.localdate().isoformat()


# --- The demo region, as its CISSS reads it (the documentation's screenshots) -----------------

DEMO_USERNAMES = ("gestion.gmf", "ciusss", "drmg")


def _demo_text(page: Any) -> str:
    """The main part's text, without the demo's usernames (« par ciusss »), checked for
    code words."""
    return main_text(page, CODE_WORDS, without=DEMO_USERNAMES)


def test_it_shows_the_demo_gmfs_posts_and_alerts_to_the_cisss(live_server, page, screenshot_dir):
    load_tiny_demo()
    rose = User.objects.get(username="gestion.gmf").profile.gmf
    assert rose is not None
    gmfs = list(Gmf.objects.filter(rls__establishment__code="cisss_bsl").order_by("code"))
    url = live_server.url
    log_in(page, url, "ciusss")
    page.click("[data-testid=nav-comanagement]")
    page.wait_for_selector("[data-testid=gmf-table]")
    # The CISSS's GMFs at their stage: the manager's GMF (level raised), a new one.
    rows = page.locator("[data-testid=gmf-table] tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.testid)"
    )
    assert sorted(rows) == sorted(f"gmf-{gmf.code}" for gmf in gmfs)
    stages = set(page.locator("[data-testid=stage]").all_inner_texts())
    assert {"Niveau rehaussé", "Nouveau GMF"} <= stages, stages
    _demo_text(page)

    # The posts of the manager's GMF, one vacant past its deadline.
    page.click(f"[data-testid=gmf-{rose.code}] a")
    page.wait_for_selector("[data-testid=gmf-tabs]")
    page.click("[data-testid=gmf-tabs] a[href$='/posts/']")
    page.wait_for_selector("[data-testid=posts-table]")
    assert page.url == url + reverse("comanagement:post-list", args=[rose.code])
    assert page.locator("[data-testid=posts-table] [data-testid=post-late]").count() >= 1
    assert page.locator("[data-testid=post-new-link]").count() == 1
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "comanagement-ciusss-posts.png"), full_page=True)

    # Their side's alerts (the CISSS's and the shared ones), in every GMF of theirs.
    page.goto(url + reverse("comanagement:alerts"))
    page.wait_for_selector("[data-testid=alerts-table]")
    expected = {
        f"alert-{row.kind}"
        for row in alerts.for_side(alerts.alerts(gmfs, timezone.localdate()), "ciusss", "mine")
    }
    shown = set(
        page.locator("[data-testid=alerts-table] tbody tr[data-subject]").evaluate_all(
            "rows => rows.map(row => row.dataset.testid)"
        )
    )
    assert shown == expected and len(shown) >= 6, (shown, expected)
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "comanagement-ciusss-alerts.png"), full_page=True)
