"""Issue 19 in a real browser and in French, as the roles do it on the tiny demo region:

* the GMF manager (``gestion.gmf``, GMF G0001 of Rimouski-Neigette) reaches their GMF's
  attribution page from the menu, reads its members and proposes a target; another GMF's
  page is 404;
* the CML of Rimouski-Neigette (``cml.rimouski``) sets another target than the GMF's
  proposal, then starts a run whose GMF table holds the GMF's members to it;
* a physician (``medecin``) sends their declaration from their own page; the CML accepts
  a declaration and the physicians' page shows the mode the next run reads;
* the CML raises « every physician above 3 units » to the DRMG from the attribution's home.

One test per feature (each loads the demo), so that one page failing leaves the others
tested. Takes the screenshots docs/screens/attribution-gmf-manager-gmf.png,
attribution-cml-gmf-target.png, attribution-run-gmf-table.png,
attribution-cml-declaration.png and attribution-cml-problem.png."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation

from web.attribution import services, services_declarations, services_gmfs
from web.attribution.gmfs import members_on
from web.attribution.models import (
    DeclarationStatus,
    GmfTarget,
    GmfTargetStatus,
    PhysicianDecision,
    PhysicianDeclaration,
    ProblemKind,
    ProblemReport,
    ProblemStatus,
    Run,
)
from web.attribution.roster import decisions_in_force
from web.dashboard.templatetags.panelcare_format import grouped, pct
from web.regions.models import Gmf, Region
from web.regions.testing import load_tiny_demo, log_in, main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What must never reach a French reader: the codes of the GMF targets' statuses, of the
# modes, of the declarations' and problems' statuses and kinds, Python's literals, and a
# word with an underscore inside (a key). « bloc » is French too (« Transfert en bloc »):
# the code is the word alone.
CODE_WORDS = re.compile(
    r"\b(proposed|agreed|changed|refused|le304|none|None|True|False|submitted|"
    r"accepted|more_requested|shortage|all_above_three_units|gmf_target_missed|other|"
    r"open|answered|closed)\b|(?<!en )(?<!par )(?<!de )\bbloc\b|\b[a-z]+_[a-z_]+\b"
)
# The demo's usernames, which the pages show (« par cml.rimouski »).
USERNAMES = ("gestion.gmf", "cml.rimouski", "medecin", "drmg")
GMF_CODE = "G0001"  # gestion.gmf's GMF, of Rimouski-Neigette (0115)
OTHER_GMF_CODE = "G0002"  # of La Mitis (0116)
RLS_CODE = "0115"
PHYSICIAN_CODE = "D00003"  # medecin, of Rimouski-Neigette, not participating in the roster


def _text(page: Any) -> str:
    """The main part's text without the demo's usernames, checked for code words."""
    return main_text(page, CODE_WORDS, without=USERNAMES)


def _screenshot(page: Any, path: Any, height: int = 2400) -> None:
    """The whole page, its top ``height`` pixels when it is longer."""
    full = page.evaluate("document.documentElement.scrollHeight")
    if full > height:
        page.screenshot(
            path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height}
        )
    else:
        page.screenshot(path=str(path), full_page=True)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _french(function: Any, *args: Any) -> str:
    """A value formatted as the French page formats it."""
    with translation.override("fr"):
        return str(function(*args))


# --- the GMF manager -------------------------------------------------------------------------


def test_it_lets_the_gmf_manager_read_their_gmf_and_propose_a_target(
    live_server, page, screenshot_dir
):
    load_tiny_demo()
    gmf = Gmf.objects.get(code=GMF_CODE)
    assert _user("gestion.gmf").profile.gmf == gmf
    # A decision of the CML on a member, which the GMF reads on its page.
    services.do_set_decision(
        Region.objects.get(), "D00004", RLS_CODE, acting_user=_user("cml.rimouski"), mode="le304"
    )
    url = live_server.url
    log_in(page, url, "gestion.gmf")

    # The menu's « Attribution » leads the GMF manager to their GMF's page.
    link = page.locator("[data-testid=nav-gmf-attribution]")
    assert link.inner_text().strip() == "Attribution"
    link.click()
    page.wait_for_selector("[data-testid=gmf-members]")
    assert page.url == url + reverse("attribution:gmf-detail", args=[GMF_CODE])
    assert gmf.name in page.inner_text("h1")
    _text(page)

    # Its members today, with their registrations, vulnerable share, group and decisions.
    members = members_on(gmf, timezone.localdate())
    assert len(members) == 5
    rows = page.locator("[data-testid=gmf-members] tbody tr[data-group]")
    assert rows.count() == len(members)
    nadeau = page.locator("[data-testid=member-D00004] td").all_inner_texts()
    assert nadeau[:3] == ["D00004", "Luc Nadeau", "43"], nadeau
    assert nadeau[3] == _french(pct, 12 / 43), nadeau  # 27,9 %
    assert page.locator("[data-testid=group-D00004]").inner_text().strip() == "1b"
    assert page.locator("[data-testid=group-D00001]").inner_text().strip() == "1a"
    assert page.locator("[data-testid=member-D00002]").get_attribute("data-group") == "none"
    assert page.locator("[data-testid=group-D00002]").inner_text().strip() == "hors répartition"
    decision = page.locator("[data-testid=decision-D00004]").inner_text()
    assert "Transfert en bloc (LE 304)" in decision, decision
    assert page.locator("[data-testid=decision-D00001] li").count() == 0

    # No target yet; the GMF proposes one with its justification.
    assert page.locator("[data-testid=target-in-force]").get_attribute("data-value") == ""
    page.click("[data-testid=propose-target]")
    page.wait_for_selector("[data-testid=gmf-target-form]")
    page.fill("input[name=proposed]", "400")
    page.fill("textarea[name=justification]", "Deux médecins se joignent au GMF en janvier.")
    page.click("[data-testid=gmf-target-submit]")
    page.wait_for_selector("[data-testid=gmf-members]")

    target = GmfTarget.objects.get(gmf=gmf)
    assert page.url == url + reverse("attribution:gmf-detail", args=[GMF_CODE])
    assert (target.status, target.proposed, target.value) == (GmfTargetStatus.PROPOSED, 400, None)
    assert target.proposed_by == _user("gestion.gmf")
    assert target.justification == "Deux médecins se joignent au GMF en janvier."
    text = _text(page)
    assert "Cible proposée : le CML de votre RLS en décidera." in text
    row = page.locator(f"[data-testid=proposal-{target.pk}]")
    assert row.get_attribute("data-status") == "proposed"
    assert "400" in row.inner_text() and "en janvier" in row.inner_text()
    assert "Proposée par le GMF" in row.inner_text()
    # Waiting for the CML: no target in force yet, and no decision for the GMF to make.
    assert page.locator("[data-testid=target-in-force]").get_attribute("data-value") == ""
    assert page.locator(f"[data-testid=decide-{target.pk}]").count() == 0
    _screenshot(page, screenshot_dir / "attribution-gmf-manager-gmf.png")


def test_it_refuses_the_gmf_manager_another_gmf(live_server, page):
    load_tiny_demo()
    other = Gmf.objects.get(code=OTHER_GMF_CODE)
    url = live_server.url
    log_in(page, url, "gestion.gmf")
    for route in ("attribution:gmf-detail", "attribution:gmf-target-new"):
        response = page.goto(url + reverse(route, args=[OTHER_GMF_CODE]))
        assert response is not None and response.status == 404, route
        assert page.locator("[data-testid=error-404]").count() == 1
        assert "Page introuvable" in page.inner_text("main")
        assert other.name not in page.inner_text("main")
    # The list of GMFs sends the GMF manager to their own.
    page.goto(url + reverse("attribution:gmf-list"))
    page.wait_for_selector("[data-testid=gmf-members]")
    assert page.url == url + reverse("attribution:gmf-detail", args=[GMF_CODE])
    assert GmfTarget.objects.count() == 0


# --- the CML and the GMF's target ------------------------------------------------------------


def _proposal() -> GmfTarget:
    """The GMF's proposal of 400 patients, waiting for the CML."""
    return services_gmfs.do_propose_gmf_target(
        Gmf.objects.get(code=GMF_CODE),
        400,
        "Deux médecins se joignent au GMF en janvier.",
        acting_user=_user("gestion.gmf"),
    )


def test_it_lets_the_cml_change_the_gmf_target(live_server, page, screenshot_dir):
    load_tiny_demo()
    proposal = _proposal()
    url = live_server.url
    log_in(page, url, "cml.rimouski")

    # From the attribution's home, the GMFs of the RLS with the proposal waiting.
    page.goto(url + reverse("attribution:home"))
    page.click("[data-testid=link-gmfs]")
    page.wait_for_selector("[data-testid=gmf-list]")
    row = page.locator(f"[data-testid=gmf-{GMF_CODE}]")
    assert row.locator("td").nth(4).inner_text().strip() == "1"  # one proposal waiting
    assert page.locator(f"[data-testid=gmf-{OTHER_GMF_CODE}]").count() == 0  # La Mitis's
    _text(page)
    row.locator("a").first.click()
    page.wait_for_selector("[data-testid=gmf-members]")
    assert page.url == url + reverse("attribution:gmf-detail", args=[GMF_CODE])
    # The CML decides; they propose nothing.
    assert page.locator("[data-testid=propose-target]").count() == 0
    page.click(f"[data-testid=decide-{proposal.pk}]")
    page.wait_for_selector("[data-testid=gmf-decision-form]")
    assert "400" in page.locator("[data-testid=proposal]").inner_text()
    assert "en janvier" in page.locator("[data-testid=proposal]").inner_text()
    _text(page)

    page.check("input[name=decision][value=change]")
    page.fill("input[name=value]", "150")
    page.fill(
        "textarea[name=comment]", "150 patients : les deux médecins arrivent en cours d'année."
    )
    page.click("[data-testid=gmf-decision-submit]")
    page.wait_for_selector("[data-testid=gmf-members]")

    proposal.refresh_from_db()
    assert page.url == url + reverse("attribution:gmf-detail", args=[GMF_CODE])
    assert (proposal.status, proposal.proposed, proposal.value) == (
        GmfTargetStatus.CHANGED,
        400,
        150,
    )
    assert proposal.decided_by == _user("cml.rimouski")
    assert proposal.decided_on == timezone.localdate()
    text = _text(page)
    assert "Décision enregistrée : le GMF la voit sur sa page." in text
    # The target in force is the CML's; the history keeps the GMF's proposal too.
    in_force = page.locator("[data-testid=target-in-force]")
    assert in_force.get_attribute("data-value") == "150"
    assert "150 patients" in in_force.inner_text()
    history = page.locator(f"[data-testid=proposal-{proposal.pk}]")
    assert history.get_attribute("data-status") == "changed"
    cells = history.locator("td").all_inner_texts()
    assert cells[1].strip() == "400" and cells[4].strip() == "150", cells
    assert "en janvier" in cells[2] and "en cours d'année" in cells[5], cells
    assert "Modifiée par le CML" in cells[3], cells
    assert page.locator(f"[data-testid=decide-{proposal.pk}]").count() == 0
    _screenshot(page, screenshot_dir / "attribution-cml-gmf-target.png")

    # The list shows the target in force, nothing waiting.
    page.goto(url + reverse("attribution:gmf-list"))
    cells = page.locator(f"[data-testid=gmf-{GMF_CODE}] td").all_inner_texts()
    assert cells[3].strip() == "150" and cells[4].strip() == "—", cells


def test_it_holds_a_run_to_the_gmf_target_the_cml_set(live_server, page, screenshot_dir):
    load_tiny_demo()
    services_gmfs.do_decide_gmf_target(
        _proposal(),
        "change",
        value=150,
        comment="150 patients : les deux médecins arrivent en cours d'année.",
        acting_user=_user("cml.rimouski"),
    )
    url = live_server.url
    log_in(page, url, "cml.rimouski")

    # The CML starts a run of their RLS (the tests' task backend computes it at once).
    page.goto(url + reverse("attribution:run-new") + f"?rls={RLS_CODE}")
    page.click("[data-testid=run-submit]")
    page.wait_for_selector("[data-testid=run-status][data-status=done]", timeout=60_000)
    run = Run.objects.get()
    assert run.rls is not None and run.rls.code == RLS_CODE
    assert run.params["gmf_targets"] == {GMF_CODE: 150}

    # The GMF table: the target the run read against what the members received.
    table = page.locator("[data-testid=run-gmfs]")
    table.wait_for()
    row = page.locator(f"[data-testid=run-gmf-{GMF_CODE}]")
    assert row.get_attribute("data-target") == "150"
    # Without the target, the plan gives the GMF's members 176 patients (its 1a and 1b
    # members' targets allow more): the target holds them to 150.
    # Every category weighs 1 here: the weighted count is the plain one, and the target
    # binds, so the members receive exactly 150.
    received = int(row.get_attribute("data-received") or "-1")
    assert received == 150, received
    assert row.get_attribute("data-members") == "5"
    assert (row.get_attribute("data-reached"), row.get_attribute("data-above")) == ("1", "0")
    cells = row.locator("td").all_inner_texts()
    assert cells[1].strip() == "150", cells
    assert cells[2].strip() == "150 — cible atteinte", cells
    assert cells[3].strip() == _french(grouped, received), cells
    assert page.locator(f"[data-testid=run-gmf-{OTHER_GMF_CODE}]").count() == 0
    assert "GMF" in table.locator("h2").inner_text()
    _text(page)
    # The run's page is long: from its top to the GMF table.
    box = table.bounding_box()
    assert box is not None
    scroll_y = page.evaluate("window.scrollY")
    bottom = int(box["y"] + scroll_y + box["height"]) + 16
    page.screenshot(
        path=str(screenshot_dir / "attribution-run-gmf-table.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": bottom},
    )


# --- declarations ----------------------------------------------------------------------------


def test_it_lets_a_physician_send_their_declaration(live_server, page):
    load_tiny_demo()
    url = live_server.url
    log_in(page, url, "medecin")
    page.click("[data-testid=nav-my-declaration]")
    page.wait_for_selector("[data-testid=declaration-form]")
    assert page.url == url + reverse("attribution:my-declaration")
    assert page.locator("[data-testid=declaration-none]").count() == 1
    _text(page)

    page.check("input[name=mode][value=bloc]")
    page.fill("input[name=patients_offered]", "120")
    page.fill("input[name=hospital_hours]", "8")
    page.fill("textarea[name=justification]", "Garde à l'hôpital régional le mardi.")
    # Their units with the hours typed, before sending.
    page.click("[data-testid=declaration-compute]")
    page.wait_for_selector("[data-testid=workload]")
    assert page.locator("[data-testid=workload-hours]").inner_text().strip() == "8,0"
    assert page.locator("[data-testid=workload-registered]").inner_text().strip() == "264"
    page.click("[data-testid=declaration-submit]")
    page.wait_for_selector("[data-testid=declaration-pending]")

    declaration = PhysicianDeclaration.objects.get()
    assert declaration.physician.code == PHYSICIAN_CODE
    assert (declaration.mode, declaration.patients_offered, declaration.hospital_hours) == (
        "bloc",
        120,
        Decimal("8.0"),
    )
    assert declaration.status == DeclarationStatus.SUBMITTED
    text = _text(page)
    assert "Votre déclaration a été envoyée au CML." in text
    history = page.locator(
        f"[data-testid=declaration-history] tr[data-declaration='{declaration.pk}']"
    )
    assert history.get_attribute("data-status") == "submitted"
    assert "Attribution particulière en bloc" in history.inner_text()
    assert page.locator("[data-testid=declaration-form]").count() == 0


def test_it_lets_the_cml_accept_a_declaration_the_next_run_reads(live_server, page, screenshot_dir):
    load_tiny_demo()
    medecin = _user("medecin")
    physician = medecin.profile.physician
    assert physician is not None and physician.code == PHYSICIAN_CODE
    declaration = services_declarations.do_submit_declaration(
        physician,
        mode="bloc",
        patients_offered=120,
        hospital_hours=Decimal("8"),
        justification="Garde à l'hôpital régional le mardi.",
        acting_user=medecin,
    )
    url = live_server.url
    log_in(page, url, "cml.rimouski")

    page.goto(url + reverse("attribution:home"))
    page.click("[data-testid=link-declarations]")
    page.wait_for_selector("[data-testid=declarations-pending]")
    assert page.locator("[data-testid=declarations-answered-none]").count() == 1
    pending = page.locator(
        f"[data-testid=declarations-pending] tr[data-declaration='{declaration.pk}']"
    )
    assert "Mélanie Lagacé" in pending.inner_text()
    assert "Attribution particulière en bloc" in pending.inner_text()
    _text(page)
    pending.locator("a").click()
    page.wait_for_selector("[data-testid=review-form]")
    assert page.url == url + reverse("attribution:declaration-detail", args=[declaration.pk])
    assert (
        page.locator("[data-testid=declaration-mode]").inner_text().strip()
        == "Attribution particulière en bloc"
    )
    # 8 hours a week and 264 registered patients: below the full workload of 3 units.
    assert page.locator("[data-testid=workload-verdict]").get_attribute("data-reaches") == "no"
    _text(page)
    page.check("input[name=status][value=accepted]")
    _screenshot(page, screenshot_dir / "attribution-cml-declaration.png")
    page.click("[data-testid=review-submit]")
    page.wait_for_selector("[data-testid=declaration-status]")

    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.ACCEPTED
    assert declaration.reviewed_by == _user("cml.rimouski")
    decision = PhysicianDecision.objects.get(physician_code=PHYSICIAN_CODE)
    assert (decision.mode, decision.full_workload_demonstrated) == ("bloc", False)
    assert decision.patients_offered == 120
    # The decision the next run's roster reads.
    in_force = decisions_in_force(Region.objects.get(), [RLS_CODE])[PHYSICIAN_CODE]
    assert in_force.mode == "bloc"
    # The next run's target: the 264 registered patients plus the 120 offered.
    run = services.do_start_run(
        physician.rls, {}, timezone.localdate(), "", acting_user=_user("cml.rimouski")
    )
    assert run.params["offered_targets"] == {PHYSICIAN_CODE: 264 + 120}
    text = _text(page)
    assert "Votre réponse a été enregistrée." in text
    assert page.locator("[data-testid=declaration]").get_attribute("data-status") == "accepted"
    assert "Acceptée" in page.locator("[data-testid=declaration-status]").inner_text()
    assert (
        "Attribution particulière en bloc"
        in page.locator("[data-testid=decision-in-force]").inner_text()
    )
    assert page.locator("[data-testid=review-form]").count() == 0

    # The physicians' page of the RLS: the mode the CML's decision gives, the roster's
    # beside it.
    page.goto(url + reverse("attribution:physicians", args=[RLS_CODE]))
    page.wait_for_selector("[data-testid=physicians-table]")
    # Participating now: in group 1b (fewer than 500 registered), no longer out.
    row = page.locator(f"[data-testid=physician-{PHYSICIAN_CODE}]")
    assert row.get_attribute("data-group") == "1b"
    mode = page.locator(f"[data-testid=mode-{PHYSICIAN_CODE}]")
    assert mode.get_attribute("data-mode") == "bloc"
    assert "changed" in (mode.get_attribute("class") or "")
    assert mode.inner_text().strip() == "Attribution particulière en bloc (Ne participe pas)"
    assert (
        "Attribution particulière en bloc"
        in page.locator(f"[data-testid=decision-{PHYSICIAN_CODE}]").inner_text()
    )
    _text(page)


# --- problems --------------------------------------------------------------------------------


def test_it_lets_the_cml_raise_a_problem_to_the_drmg(live_server, page, screenshot_dir):
    load_tiny_demo()
    url = live_server.url
    log_in(page, url, "cml.rimouski")
    page.goto(url + reverse("attribution:home"))
    page.click(f"[data-testid=link-problem-new-{RLS_CODE}]")
    page.wait_for_selector("[data-testid=problem-form]")
    assert page.locator("select[name=rls]").input_value() == RLS_CODE
    _text(page)
    page.check(f"input[name=kind][value={ProblemKind.ALL_ABOVE_THREE_UNITS}]")
    page.fill(
        "textarea[name=description]",
        "Les sept médecins de Rimouski-Neigette déclarent plus de 3 unités : "
        "personne ne peut prendre de patients orphelins.",
    )
    _screenshot(page, screenshot_dir / "attribution-cml-problem.png")
    page.click("[data-testid=problem-form] button[type=submit]")
    page.wait_for_selector("[data-testid=problem]")

    problem = ProblemReport.objects.get()
    assert page.url == url + reverse("attribution:problem-detail", args=[problem.pk])
    assert (problem.kind, problem.rls.code, problem.status, problem.gmf) == (
        ProblemKind.ALL_ABOVE_THREE_UNITS,
        RLS_CODE,
        ProblemStatus.OPEN,
        None,
    )
    assert problem.raised_by == _user("cml.rimouski")
    assert "personne ne peut prendre" in problem.description
    text = _text(page)
    assert "La situation problématique est signalée au DRMG." in text
    assert "Tous les médecins au-delà de 3 unités" in page.inner_text("h1")
    assert page.locator("[data-testid=problem-status]").inner_text().strip() == "Ouverte"
    assert (
        "personne ne peut prendre" in page.locator("[data-testid=problem-description]").inner_text()
    )
    # The DRMG answers and closes it; the CML has no form for either.
    assert page.locator("[data-testid=answer-form]").count() == 0
    assert page.locator("[data-testid=close-form]").count() == 0

    # The list of the RLS's problems.
    page.goto(url + reverse("attribution:problem-list"))
    row = page.locator(f"[data-testid=problem-{problem.pk}]")
    assert row.get_attribute("data-status") == "open"
    assert "Rimouski-Neigette" in row.inner_text()
    _text(page)
