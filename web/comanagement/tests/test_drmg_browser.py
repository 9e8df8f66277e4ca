"""Co-management as the DRMG reads it, in a real browser and in French: the region's GMFs
with their stage in the programme, the alerts of every side, the responsibility matrix;
the DRMG publishes a new version of the level table, and from a post the CISSS/CIUSSS
left vacant past its hiring deadline follows « Proposer l'avis » to the notice form
(EP 40, 15.01 B) filled with the post, and records the notice. The DRMG writes no record
of the two sides: no write button on their pages.

One test per feature (each builds the test world of ``conftest.make_world``), so that one
page failing leaves the others tested. The last test reads the tiny demo region as its
DRMG and takes the screenshots docs/screens/comanagement-drmg-{matrix,notice-proposals,
notice-form}.png."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from panelcare.attribution.tables import canonical
from panelcare.comanagement import schedules as core
from panelcare.contracts import CONTRACTS
from web.assiduity.models import DrmgNotice
from web.comanagement import alerts, figures, queries
from web.comanagement.models import FollowUpMeeting, LevelTableVersion, Post
from web.comanagement.services import performance, presence, programme, training
from web.comanagement.tests.conftest import World, make_world
from web.regions.models import Gmf, Physician, Region
from web.regions.testing import load_tiny_demo, log_in, main_text, write_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Codes of the records and of Python that must not reach a French reader. The world's
# users are renamed (``USERNAMES``) so that « gmf » or « ciusss » on a page is a code, not
# a user's name.
CODE_WORDS = re.compile(
    r"\b(none|None|True|False|nurse_clinician|social_worker|fiq|apts|annual_review|"
    r"recognition|proposed|validated|refused|illness|fmg_role|quality_standard|"
    r"patients_seen|gmf|ciusss|drmg|both|new|raised|steady|emr_access|qhr_key|"
    r"hiring_deadline_passed|integration_item_overdue|training_request_pending|"
    r"schedule_not_validated)\b"
)
USERNAMES = {
    "gmf": "gestion.fleuve",
    "gmf2": "gestion.matane",
    "ciusss": "gestion.cisss",
    "drmg": "direction.medicale",
}
MEMBER = ("M100", "Dre Catherine Dubé")


def _week(first_day: datetime.date) -> list[core.WorkDay]:
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


def _world() -> tuple[World, Post]:
    """The test world, its users renamed, and in G1: the annual reviews of the two last
    1 April (level 2, then 3); the nurse clinician post the earlier one owed, still
    vacant (past its deadline of the 30 June before); a physician member of G1 since 2020
    (the GMF memberships imported); and a record of each side's (a proposed schedule, a
    training request, an attendance record, a target, a meeting)."""
    world = make_world()
    for key, username in USERNAMES.items():
        user = world.users[key]
        user.username = username
        user.save(update_fields=["username"])
    gmf_user, ciusss = world.users["gmf"], world.users["ciusss"]
    today = timezone.localdate()
    review_day = figures.programme_year_start(today)
    earlier = programme.do_record_annual_review(
        world.gmf,
        review_day.replace(year=review_day.year - 1),
        {"standard": 9500},
        acting_user=ciusss,
    )
    programme.do_record_annual_review(
        world.gmf, review_day, {"standard": 12500}, acting_user=ciusss
    )
    post = programme.do_open_post(
        world.gmf,
        "nurse_clinician",
        Decimal("1.00"),
        "annual_review",
        earlier.reviewed_on,
        earlier,
        acting_user=ciusss,
    )
    Physician.objects.create(
        code=MEMBER[0],
        licence_number="19001",
        name=MEMBER[1],
        birth_year=1978,
        practice_start=datetime.date(2008, 7, 1),
        attribution_mode="bloc",
        rls=world.rls,
        site=world.site,
    )
    rows = pa.table(
        {
            "physician_id": [MEMBER[0]],
            "gmf_id": [world.gmf.code],
            "start_date": [datetime.date(2020, 1, 1)],
            "end_date": pa.array([None], pa.date32()),
        }
    )
    write_version(world.region, "gmf_memberships", canonical(CONTRACTS["gmf_memberships"], rows))
    next_week = today + datetime.timedelta(days=14 - today.weekday() - 1)
    presence.do_propose_schedule(
        world.placement, next_week, 1, days=_week(next_week), acting_user=gmf_user
    )
    end = today.replace(day=1)
    presence.do_submit_attendance(
        world.placement,
        start=(end - datetime.timedelta(days=1)).replace(day=1),
        end=end,
        planned_days=Decimal("21"),
        worked_days=Decimal("20"),
        acting_user=gmf_user,
    )
    training.do_request_training(
        world.placement,
        title="Soins de plaies complexes",
        submitted_on=today - datetime.timedelta(days=45),
        external=True,
        in_ciusss_programme=False,
        cost=Decimal("250"),
        acting_user=gmf_user,
    )
    performance.do_propose_target(
        world.gmf,
        placement=world.placement,
        indicator="patients_seen",
        value=Decimal("60"),
        start=(today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1),
        side="gmf",
        acting_user=gmf_user,
    )
    performance.do_record_meeting(
        world.gmf,
        held_on=today - datetime.timedelta(days=3),
        topic="integration",
        attendees="Martine Côté, la gestionnaire du GMF",
        minutes="Accueil de Julie Bélanger.",
        side="ciusss",
        acting_user=ciusss,
    )
    return world, post


def _text(page: Any) -> str:
    """What the reader sees of the page's main part, checked for code words."""
    return main_text(page, CODE_WORDS)


def test_it_shows_the_drmg_the_regions_gmfs_and_their_stages(live_server, page):
    world, _post = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["drmg"])
    page.click("[data-testid=nav-comanagement]")
    page.wait_for_selector("[data-testid=gmf-table]")
    assert page.url == url + reverse("comanagement:home")
    text = _text(page)
    # The region's two GMFs, of both establishments; not the other region's.
    rows = page.locator("[data-testid=gmf-table] tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.testid)"
    )
    assert sorted(rows) == ["gmf-G1", "gmf-G2"], rows
    assert world.gmf9.name not in text
    stage = page.locator("[data-testid=gmf-G1] [data-testid=stage]").inner_text().strip()
    assert stage == "Niveau rehaussé"
    assert page.locator("[data-testid=gmf-G2] [data-testid=stage]").inner_text().strip()
    # G1's open alerts are counted, and lead to the alerts page.
    alerts = page.locator("[data-testid=gmf-G1] [data-testid=alerts]").inner_text().strip()
    assert int(alerts) > 0


def test_it_shows_the_drmg_the_alerts_of_every_side(live_server, page):
    _, post = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["drmg"])
    page.goto(url + reverse("comanagement:home"))
    page.click("[data-testid=gmf-G1] [data-testid=alerts] a")
    page.wait_for_selector("[data-testid=alerts-table]")
    text = _text(page)
    # No « my side »: the DRMG reads every side's.
    assert page.locator("[data-testid=alert-filters]").count() == 0
    kinds = set(
        page.locator("[data-testid=alerts-table] tbody tr[data-subject]").evaluate_all(
            "rows => rows.map(row => row.dataset.testid)"
        )
    )
    assert {
        "alert-hiring_deadline_passed",
        "alert-integration_item_overdue",
        "alert-training_request_pending",
    } <= kinds, kinds
    owners = set(
        page.locator("[data-testid=alerts-table] tbody tr td:last-child").all_inner_texts()
    )
    assert owners == {"GMF", "CISSS/CIUSSS"}, owners
    late = page.locator(f"[data-testid=alerts-table] tr[data-subject='post:{post.pk}']")
    assert "Échéance d'embauche dépassée" in late.inner_text()
    assert "Poste — Infirmière clinicienne (1 ETC)" in late.inner_text()
    assert "Julie Bélanger" in text


def test_it_shows_the_drmg_the_responsibility_matrix(live_server, page):
    world, _post = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["drmg"])
    page.goto(url + reverse("comanagement:home"))
    page.click("nav.tabs a[href$='/matrix/']")
    page.wait_for_selector("[data-testid=matrix-table]")
    assert "Matrice des responsabilités" in page.inner_text("h1")
    _text(page)
    # The region has two GMFs: the DRMG chooses one to see its records and alerts.
    page.select_option("[data-testid=matrix-gmf-form] select[name=gmf]", world.gmf.code)
    with page.expect_navigation():
        page.click("[data-testid=matrix-gmf-form] button[type=submit]")
    page.wait_for_selector("[data-testid=matrix-table]")
    assert world.gmf.name in page.inner_text("h1")
    lines = page.locator("[data-testid=matrix-table] tbody tr")
    assert lines.count() >= 10
    alerts = page.locator("[data-testid^=matrix-alerts-]").all_inner_texts()
    assert sum(int(count) for count in alerts) > 0, alerts
    text = _text(page)
    assert "GMF" in text and "CISSS/CIUSSS" in text


def test_it_lets_the_drmg_publish_a_level_table_version(live_server, page):
    world, _post = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["drmg"])
    page.goto(url + reverse("comanagement:home"))
    page.click("nav.tabs a[href$='/reference/levels/']")
    page.wait_for_load_state()
    assert page.url == url + reverse("comanagement:levels")
    _text(page)
    page.click(f"a[href='{reverse('comanagement:level-new')}']")
    page.wait_for_selector("[data-testid=reference-form]")
    text = page.input_value("textarea[name=text]")
    assert "[weights]" in text
    # Deprived patients weigh 3 from now on.
    page.fill("textarea[name=text]", text.replace("deprived = 2", "deprived = 3"))
    # The day it is in force from, typed in (the form opens without it: see the
    # CISSS/CIUSSS's test of the agreement rules form).
    page.fill("[data-testid=reference-in-force-from]", timezone.localdate().isoformat())
    page.fill("textarea[name=note]", "Pondération des patients défavorisés révisée.")
    with page.expect_navigation():
        page.click("[data-testid=reference-submit]")
    version = LevelTableVersion.objects.get(region=world.region, number=2)
    assert "deprived = 3" in version.text and version.created_by == world.users["drmg"]
    assert page.url == url + reverse("comanagement:level-detail", args=[version.pk])
    assert "La version 2 de la table des niveaux est publiée." in _text(page)


def test_it_takes_the_drmg_from_a_late_post_to_a_recorded_notice(live_server, page):
    world, post = _world()
    url = live_server.url
    year = figures.programme_year_start(timezone.localdate()).year - 1
    log_in(page, url, USERNAMES["drmg"])
    page.goto(url + reverse("comanagement:gmf-detail", args=[world.gmf.code]))
    page.click(f"[data-testid=post-{post.pk}] a")
    page.wait_for_selector("[data-testid=post-vacancies]")
    assert page.locator("[data-testid=post-deadline]").inner_text().strip() == f"30 juin {year}"
    assert page.locator("[data-testid=post-late]").count() == 1
    _text(page)

    # The post's proposals: the GMF's members in each year it was vacant past its deadline.
    page.click("[data-testid=notice-proposals-link]")
    page.wait_for_selector(f"[data-testid=year-{year}]")
    assert page.url == url + reverse("comanagement:notice-proposals", args=[post.pk])
    section = page.locator(f"[data-testid=year-{year}]")
    # Vacant from 1 July to 31 December of that year.
    assert "184 jours" in section.inner_text(), section.inner_text()
    member = section.locator(f"tr[data-physician={MEMBER[0]}]")
    assert MEMBER[1] in member.inner_text()
    _text(page)

    # « Proposer l'avis »: the notice form, filled with the physician, the year and the
    # post's sentence.
    member.locator("[data-testid=propose-notice]").click()
    page.wait_for_selector("[data-testid=notice-form]")
    assert page.locator("[data-testid=notice-physician]").input_value() == MEMBER[0]
    assert page.locator("[data-testid=notice-year]").input_value() == str(year)
    justification = page.locator("[data-testid=notice-justification]").input_value()
    assert world.gmf.name in justification and "184" in justification, justification
    assert "30 juin" in page.locator("[data-testid=notice-post]").inner_text()
    _text(page)

    # The DRMG records it: the notice keeps the post as its evidence.
    page.click("[data-testid=notice-submit]")
    page.wait_for_selector("[data-testid=notice-facts]")
    notice = DrmgNotice.objects.get()
    assert (notice.physician_code, notice.year, notice.post) == (MEMBER[0], year, post)
    assert page.url == url + reverse("assiduity:notice", args=[notice.pk])
    assert "30 juin" in page.locator("[data-testid=notice-post]").inner_text()
    # Back on the proposals, the member's notice is in force.
    page.goto(url + reverse("comanagement:notice-proposals", args=[post.pk]))
    member = page.locator(f"[data-testid=year-{year}] tr[data-physician={MEMBER[0]}]")
    assert member.locator("[data-testid=propose-notice]").count() == 0
    assert "Avis en vigueur" in member.inner_text()


def test_it_shows_the_drmg_no_write_button_on_the_records(live_server, page):
    world, post = _world()
    url = live_server.url
    log_in(page, url, USERNAMES["drmg"])
    writes = [
        "review-new-link",
        "post-new-link",
        "placement-new-link",
        "professional-new-link",
        "step-new-link",
        "post-fill-link",
        "post-close-link",
        "hire-new-link",
        "hire-agree",
        "placement-end-link",
        "absence-new-link",
        "schedule-new-link",
        "schedule-validate",
        "schedule-refuse",
        "schedule-change-link",
        "attendance-new-link",
        "attendance-approve",
        "placement-request-new",
        "placement-need-new",
        "need-new-link",
        "request-new-link",
        "supervision-plan-link",
        "supervision-session-link",
        "target-new",
        "target-sign",
        "meeting-sign",
        "decision-new",
        "agreement-new",
    ]
    schedule = world.placement.schedules.get()
    meeting = FollowUpMeeting.objects.get(gmf=world.gmf)
    pages = [
        reverse("comanagement:gmf-detail", args=[world.gmf.code]),
        reverse("comanagement:post-list", args=[world.gmf.code]),
        reverse("comanagement:post-detail", args=[post.pk]),
        reverse("comanagement:professional-list", args=[world.gmf.code]),
        reverse("comanagement:placement-detail", args=[world.placement.pk]),
        reverse("comanagement:schedule-detail", args=[schedule.pk]),
        reverse("comanagement:training-list", args=[world.gmf.code]),
        reverse("comanagement:performance", args=[world.gmf.code]),
        reverse("comanagement:agreements", args=[world.establishment.code]),
    ]
    pages.append(reverse("comanagement:meeting-detail", args=[meeting.pk]))
    for path in pages:
        response = page.goto(url + path)
        assert response is not None and response.status == 200, path
        shown = [
            testid
            for testid in page.locator("[data-testid]").evaluate_all(
                "nodes => nodes.map(node => node.dataset.testid)"
            )
            if testid in writes or testid.startswith("item-done-") or testid.startswith("decide-")
        ]
        assert shown == [], (path, shown)
        # Nor a form that posts anything (the language switch aside).
        forms = page.locator("main form[method=post]").count()
        assert forms == 0, path
        _text(page)
    # The placement page shows the checklist, read only.
    page.goto(url + reverse("comanagement:placement-detail", args=[world.placement.pk]))
    assert page.locator("[data-testid=integration-checklist] tbody tr").count() == 14

    # A write asked for all the same: 403.
    response = page.goto(url + reverse("comanagement:post-new", args=[world.gmf.code]))
    assert response is not None and response.status == 403
    assert page.locator("[data-testid=error-403]").count() == 1


# --- The demo region, as its DRMG reads it (the documentation's screenshots) ------------------

DEMO_USERNAMES = ("gestion.gmf", "ciusss", "drmg")


def _demo_text(page: Any) -> str:
    """The main part's text, without the demo's usernames, checked for code words."""
    return main_text(page, CODE_WORDS, without=DEMO_USERNAMES)


def test_it_shows_the_demo_region_to_the_drmg(live_server, page, screenshot_dir):
    load_tiny_demo()
    region = Region.objects.get()
    today = timezone.localdate()
    url = live_server.url
    log_in(page, url, "drmg")

    # The region's GMFs at their stage.
    page.click("[data-testid=nav-comanagement]")
    page.wait_for_selector("[data-testid=gmf-table]")
    gmfs = list(Gmf.objects.filter(rls__region=region))
    assert page.locator("[data-testid=gmf-table] tbody tr").count() == len(gmfs)
    stages = set(page.locator("[data-testid=stage]").all_inner_texts())
    assert {"Niveau rehaussé", "Nouveau GMF"} <= stages, stages
    _demo_text(page)

    # Every alert of the region: the demo shows one of each of the eight kinds.
    page.goto(url + reverse("comanagement:alerts"))
    page.wait_for_selector("[data-testid=alerts-table]")
    kinds = set(
        page.locator("[data-testid=alerts-table] tbody tr[data-subject]").evaluate_all(
            "rows => rows.map(row => row.dataset.testid)"
        )
    )
    assert kinds == {f"alert-{row.kind}" for row in alerts.alerts(gmfs, today)}
    assert len(kinds) == 8, kinds
    _demo_text(page)

    # The matrix of the manager's GMF: its records and open alerts per process.
    rose = User.objects.get(username="gestion.gmf").profile.gmf
    assert rose is not None
    page.goto(url + reverse("comanagement:matrix") + f"?gmf={rose.code}")
    page.wait_for_selector("[data-testid=matrix-table]")
    assert rose.name in page.inner_text("h1")
    counts = page.locator("[data-testid^=matrix-alerts-]").all_inner_texts()
    assert sum(int(count) for count in counts) > 0, counts
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "comanagement-drmg-matrix.png"), full_page=True)

    # The post of last year's review that the CISSS filled late: its notice proposals.
    late = [
        vacancy
        for post in Post.objects.filter(gmf__rls__region=region)
        for vacancy in queries.post_vacancies(post)
        if vacancy.year < today.year
    ]
    assert late, "the demo has a post vacant past its deadline in an earlier year"
    vacancy = late[0]
    page.goto(url + reverse("comanagement:post-detail", args=[vacancy.post.pk]))
    page.click("[data-testid=notice-proposals-link]")
    section = page.locator(f"[data-testid=year-{vacancy.year}]")
    section.wait_for()
    assert f"{vacancy.days_vacant} jours" in section.inner_text()
    assert section.locator("[data-testid=propose-notice]").count() >= 1
    _demo_text(page)
    page.screenshot(
        path=str(screenshot_dir / "comanagement-drmg-notice-proposals.png"), full_page=True
    )

    # « Proposer l'avis »: the form, filled with the physician, the year and the post.
    link = section.locator("[data-testid=propose-notice]").first
    code = link.locator("xpath=ancestor::tr").get_attribute("data-physician")
    link.click()
    page.wait_for_selector("[data-testid=notice-post]")
    assert page.locator("[data-testid=notice-physician]").input_value() == code
    assert page.locator("[data-testid=notice-year]").input_value() == str(vacancy.year)
    justification = page.locator("[data-testid=notice-justification]").input_value()
    assert str(vacancy.days_vacant) in justification
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "comanagement-drmg-notice-form.png"), full_page=True)
