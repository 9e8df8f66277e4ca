"""Issue 19 in a real browser, in French, as the roles it brings into the attribution do
it on the tiny demo: the physician (``medecin``) declares their mode and hours and follows
their patients, the DRMG answers and closes a problem a CML raised, the guichet's
administrative agent prepares an LE 304 file for RAMQ. Takes the screenshots of
docs/screens/attribution-physician-*.png, attribution-drmg-problem.png and
attribution-agent-le304-*.png.

The labels are asserted as the French catalogue gives them (:func:`fr`), so that a page
showing a code or another label fails whatever the catalogue's words."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation

from web.attribution import followup, services
from web.attribution.journey import placed_patients
from web.attribution.models import (
    AttributionMode,
    DeclarationStatus,
    Le304File,
    Le304FileStatus,
    PhysicianDeclaration,
    ProblemKind,
    ProblemReport,
    ProblemStatus,
    Run,
)
from web.attribution.services_declarations import declared_workload, do_review_declaration
from web.attribution.services_problems import do_raise_problem
from web.attribution.tests.test_declarations_progress import register
from web.attribution.tests.test_le304_files_pages import make_blocks
from web.regions.models import Physician, Rls
from web.regions.testing import load_tiny_demo, log_in, main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What must never reach a French reader: the modes' codes, Python's literals, a key with
# an underscore (``more_requested``, ``all_above_three_units``). The statuses' codes are
# English words too (« sent », « accepted »): one is a code when it stands alone in a cell
# or on a line (STATUS_CODES); the cells that show a status or a mode are also compared
# with its French label. ``bloc`` is a French word (« un bloc de 50 patients »): a code
# only alone in a cell, as the statuses.
CODE_WORDS = re.compile(r"\b(none|None|True|False|le304)\b|\b[a-z]+_[a-z_]+\b")
STATUS_CODES = re.compile(
    r"(?m)(?:^|\t)[ ]*(bloc|submitted|accepted|refused|open|answered|closed|prepared|sent|"
    r"shortage|other)[ ]*(?=\t|$)"
)


def fr(text: Any) -> str:
    """``text`` (a lazy label or a message id) as the French catalogue gives it."""
    with translation.override("fr"):
        return str(translation.gettext(text) if isinstance(text, str) else text)


def french_text(page: Any) -> str:
    """The page's main part as read, checked to be French and free of code words."""
    assert page.locator("html").get_attribute("lang") == "fr"
    return main_text(page, CODE_WORDS, STATUS_CODES)


def approved_plan(rls: Rls, *, days_ago: int = 0) -> Run:
    """A plan of ``rls`` run today by its CML and approved by the DRMG ``days_ago`` days
    ago, through the services the pages use (the attribution conftest's ``make_run``)."""
    cml = User.objects.get(username="cml.rimouski")
    run = services.do_start_run(rls, {}, timezone.localdate(), "", acting_user=cml)
    run.refresh_from_db()
    assert run.status == "done", run.error
    run = services.do_approve_run(run, acting_user=User.objects.get(username="drmg"))
    if days_ago:
        Run.objects.filter(pk=run.pk).update(
            approved_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
        run.refresh_from_db()
    return run


def screenshot(page: Any, path: Any, *, height: int = 2400) -> None:
    """A full-page screenshot, cut at ``height`` pixels when the page is longer."""
    full = page.evaluate("document.documentElement.scrollHeight")
    if full > height:
        page.screenshot(
            path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height}
        )
    else:
        page.screenshot(path=str(path), full_page=True)


def test_it_lets_a_physician_declare_and_follow_their_patients(live_server, page, screenshot_dir):
    load_tiny_demo()
    url = live_server.url
    user = User.objects.get(username="medecin")
    physician = user.profile.physician
    rls = physician.rls
    log_in(page, url, "medecin")
    page.click("[data-testid=nav-my-declaration]")
    page.wait_for_selector("[data-testid=declaration-form]")
    assert page.locator("[data-testid=nav-my-declaration]").inner_text() == fr("My declaration")
    assert page.locator("[data-testid=declaration-none]").count() == 1

    # The declaration: blocks, 40 patients offered, 24 hours a week outside the office.
    page.check(f"input[name=mode][value={AttributionMode.BLOC}]")
    page.fill("input[name=patients_offered]", "40")
    page.fill("input[name=hospital_hours]", "12")
    page.fill("input[name=emergency_hours]", "8")
    page.fill("input[name=teaching_hours]", "4")
    page.fill(
        "textarea[name=justification]",
        "Hospitalisation à l'Hôpital régional de Rimouski (12 h), urgence (8 h), "
        "enseignement aux résidents (4 h), depuis septembre.",
    )
    page.click("[data-testid=declaration-compute]")
    page.wait_for_selector("[data-testid=workload-hours]:has-text('24')")
    workload = declared_workload(physician, Decimal(24))
    verdict = page.locator("[data-testid=workload-verdict]")
    assert verdict.get_attribute("data-reaches") == ("yes" if workload.reaches else "no")
    said = (
        "At or above the full workload of %(full)s units."
        if workload.reaches
        else "Below the full workload of %(full)s units."
    )
    assert verdict.inner_text() == fr(said) % {"full": "3"}
    assert page.locator("[data-testid=workload-registered]").inner_text() == str(
        workload.registered
    )
    # Computing records nothing; the values typed are kept.
    assert not PhysicianDeclaration.objects.exists()
    assert page.input_value("input[name=hospital_hours]") == "12"

    page.click("[data-testid=declaration-submit]")
    page.wait_for_selector("[data-testid=declaration-pending]")
    declaration = PhysicianDeclaration.objects.get()
    assert (declaration.physician, declaration.status, declaration.mode) == (
        physician,
        DeclarationStatus.SUBMITTED,
        AttributionMode.BLOC,
    )
    assert declaration.patients_offered == 40
    assert (
        declaration.hospital_hours,
        declaration.emergency_hours,
        declaration.teaching_hours,
    ) == (12, 8, 4)
    assert "depuis septembre" in declaration.justification
    assert page.locator("[data-testid=declaration-form]").count() == 0
    row = page.locator(f"[data-declaration='{declaration.pk}']")
    assert row.get_attribute("data-status") == DeclarationStatus.SUBMITTED
    assert fr(DeclarationStatus.SUBMITTED.label) in row.inner_text()
    assert row.locator("td").nth(1).inner_text() == fr(AttributionMode.BLOC.label)
    french_text(page)

    # The CML accepts it; the physician reads the answer and the decision in force.
    do_review_declaration(
        declaration,
        DeclarationStatus.ACCEPTED,
        "Merci, c'est noté pour la prochaine répartition.",
        acting_user=User.objects.get(username="cml.rimouski"),
    )
    page.reload()
    page.wait_for_selector("[data-testid=declaration-form]")
    assert page.locator("[data-testid=declaration-pending]").count() == 0
    row = page.locator(f"[data-declaration='{declaration.pk}']")
    assert row.get_attribute("data-status") == DeclarationStatus.ACCEPTED
    assert fr(DeclarationStatus.ACCEPTED.label) in row.inner_text()
    assert "prochaine répartition" in row.inner_text()
    decision = page.locator("[data-testid=decision-in-force]").inner_text()
    assert fr(AttributionMode.BLOC.label) in decision
    assert (fr("full workload demonstrated (3 units)") in decision) == workload.reaches
    assert row.locator("td").nth(1).inner_text() == fr(AttributionMode.BLOC.label)
    french_text(page)
    screenshot(page, screenshot_dir / "attribution-physician-declaration.png")

    # « Mon suivi »: the first plan run since reads the accepted declaration (the roster
    # gives the demo physician no patient before: not participating), approved 100 days
    # ago as the follow-up tests' plan; one of the physician's patients registered since.
    plan = approved_plan(rls, days_ago=100)
    by_physician: dict[str, list[str]] = {}
    for code, (holder, _month) in sorted(placed_patients(plan).items()):
        by_physician.setdefault(holder, []).append(code)
    mine = by_physician.get(physician.code, [])
    assert len(mine) >= 2, "the plan assigns the physician a few patients"
    day = followup.start_of(plan) + datetime.timedelta(days=1)
    register(plan, [(mine[0], physician.code, day)])
    page.click("[data-testid=nav-my-progress]")
    section = page.locator(f"[data-testid=my-progress-{plan.pk}]")
    section.wait_for()
    assert page.locator("[data-testid=nav-my-progress]").inner_text() == fr("My progress")
    report = followup.follow_up(plan)
    own = next(item for item in report.physicians if item.code == physician.code)
    assert own.assigned == len(mine)
    assert own.registered == 1
    cells = {
        name: section.locator(f"[data-testid=progress-{name}]").inner_text()
        for name in ("assigned", "pace", "registered", "expected", "remaining")
    }
    assert cells == {
        "assigned": str(own.assigned),
        "pace": str(own.monthly_pace),
        "registered": "1",
        "expected": str(own.expected_to_date),
        "remaining": str(own.assigned - 1),
    }
    standing = section.locator("[data-testid=progress-standing]").inner_text()
    if own.behind:
        assert section.locator("[data-testid=progress-behind]").count() == 1
    else:
        assert standing == fr("On pace.")
    text = french_text(page)
    assert not re.search(r"P\d{8}", text)  # counts, never a patient
    colleagues = Physician.objects.filter(code__in=by_physician).exclude(pk=physician.pk)
    assert colleagues.exists()
    for colleague in colleagues:
        assert colleague.code not in text
        assert colleague.name not in text
    assert page.locator("[data-testid^=my-progress-]").count() == 1
    screenshot(page, screenshot_dir / "attribution-physician-progress.png")


def test_it_lets_the_drmg_answer_and_close_a_problem(live_server, page, screenshot_dir):
    load_tiny_demo()
    url = live_server.url
    cml = User.objects.get(username="cml.rimouski")
    rls = cml.profile.rls.get()
    problem = do_raise_problem(
        rls,
        ProblemKind.SHORTAGE,
        "Deux départs à la retraite en mai\u00a0: 600 patients de plus sur la liste d'attente.",
        acting_user=cml,
    )

    log_in(page, url, "drmg")
    page.goto(url + reverse("dashboard:home"))
    panel = page.locator("[data-testid=problems-panel]")
    panel.wait_for()
    assert fr("Problems raised by the CMLs") in panel.inner_text()
    counted = panel.locator("[data-testid=problems-open]").inner_text()
    assert re.match(r"1\b", counted), counted
    assert fr(ProblemKind.SHORTAGE.label) in panel.inner_text()
    assert fr(ProblemStatus.OPEN.label) in panel.inner_text()
    french_text(page)

    panel.get_by_role("link", name=fr(ProblemKind.SHORTAGE.label)).click()
    page.wait_for_selector("[data-testid=answer-form]")
    assert page.url.endswith(reverse("attribution:problem-detail", args=[problem.pk]))
    assert page.locator("[data-testid=problem-status]").inner_text() == fr(ProblemStatus.OPEN.label)
    assert "Deux départs" in page.locator("[data-testid=problem-description]").inner_text()
    assert page.locator("[data-testid=close-form]").count() == 0  # answered first
    french_text(page)

    answer = "La DSP rencontre votre équipe le 3 juin; deux médecins dépanneurs d'ici là."
    page.fill("textarea[name=answer]", answer)
    page.click("[data-testid=answer-form] button[type=submit]")
    page.wait_for_selector("[data-testid=close-form]")
    problem.refresh_from_db()
    assert (problem.status, problem.answer, problem.answered_by.username) == (
        ProblemStatus.ANSWERED,
        answer,
        "drmg",
    )
    assert page.locator("[data-testid=problem-answer-text]").inner_text() == answer
    assert page.locator("[data-testid=problem-status]").inner_text() == fr(
        ProblemStatus.ANSWERED.label
    )
    assert page.locator("[data-testid=answer-form]").count() == 0  # answered once
    french_text(page)
    screenshot(page, screenshot_dir / "attribution-drmg-problem.png")

    page.click("[data-testid=close-form] button[type=submit]")
    page.wait_for_selector("[data-testid=problem-closed]")
    problem.refresh_from_db()
    assert (problem.status, problem.closed_by.username) == (ProblemStatus.CLOSED, "drmg")
    assert page.locator("[data-testid=problem-status]").inner_text() == fr(
        ProblemStatus.CLOSED.label
    )
    french_text(page)
    # Nothing left waiting on the dashboard.
    page.goto(url + reverse("dashboard:home"))
    assert re.match(r"0\b", page.locator("[data-testid=problems-open]").inner_text())

    # The CML's list shows it closed, and its page the DRMG's answer.
    log_in(page, url, "cml.rimouski")
    page.goto(url + reverse("attribution:problem-list"))
    row = page.locator(f"[data-testid=problem-{problem.pk}]")
    row.wait_for()
    assert row.get_attribute("data-status") == ProblemStatus.CLOSED
    assert fr(ProblemStatus.CLOSED.label) in row.inner_text()
    french_text(page)
    row.get_by_role("link", name=fr(ProblemKind.SHORTAGE.label)).click()
    page.wait_for_selector("[data-testid=problem-closed]")
    assert page.locator("[data-testid=problem-answer-text]").inner_text() == answer
    assert page.locator("[data-testid=close-form]").count() == 0
    assert page.locator("[data-testid=answer-form]").count() == 0
    french_text(page)
    assert ProblemReport.objects.count() == 1


def test_it_lets_the_guichet_agent_prepare_an_le304_file(live_server, page, screenshot_dir):
    load_tiny_demo()
    url = live_server.url
    rls = User.objects.get(username="cml.rimouski").profile.rls.get()
    run = approved_plan(rls)
    full, small = make_blocks(run, (50, 0.80), (49, 0.90))

    log_in(page, url, "agent.guichet")
    page.click("[data-testid=nav-le304]")
    page.wait_for_selector("[data-testid=le304-runs]")
    assert page.locator("[data-testid=nav-le304]").inner_text() == fr("LE 304 files")
    french_text(page)
    page.click(f"[data-testid=le304-run-{run.pk}] a")
    block = page.locator(f"[data-testid=le304-transfer-{full.departing}-{full.receiving}]")
    block.wait_for()
    assert page.url.endswith(reverse("attribution:le304-run", args=[run.pk]))

    # The conditions, checked on each transfer: all met on the block of 50.
    for code in ("block", "assiduity", "named", "departure"):
        met = block.locator(f"[data-testid=condition-{code}] td").nth(1)
        assert met.get_attribute("class") == "ok", code
        assert met.inner_text() == fr("Yes")
    assert fr("%(count)s patients transferred.") % {"count": 50} in block.inner_text()
    # The block of 49: the refusal and the condition that fails, no button.
    refused = page.locator(f"[data-testid=le304-transfer-{small.departing}-{small.receiving}]")
    failing = refused.locator("[data-testid=condition-block] td")
    assert failing.nth(1).get_attribute("class") == "below"
    assert failing.nth(1).inner_text() == fr("No")
    assert failing.nth(2).inner_text() == fr("%(count)s patients transferred.") % {"count": 49}
    assert refused.locator("[data-testid=le304-prepare]").count() == 0
    assert refused.locator("[data-testid=le304-not-eligible]").inner_text() == fr(
        "A condition of the letter of agreement is not met: no file can be prepared for RAMQ."
    )
    french_text(page)
    screenshot(page, screenshot_dir / "attribution-agent-le304-run.png")

    # The file: prepared, its patients and agreement downloaded with the agent's session.
    block.locator("[data-testid=le304-prepare]").click()
    page.wait_for_selector("[data-testid=le304-status-form]")
    file = Le304File.objects.get()
    assert (file.run, file.departing_code, file.receiving_code) == (
        run,
        full.departing,
        full.receiving,
    )
    assert (file.patients, file.status, file.prepared_by.username) == (
        50,
        Le304FileStatus.PREPARED,
        "agent.guichet",
    )
    assert page.url.endswith(reverse("attribution:le304-file", args=[file.pk]))
    assert page.locator("[data-testid=le304-patients]").inner_text() == "50"
    assert page.locator("[data-testid=le304-status]").inner_text() == fr(
        Le304FileStatus.PREPARED.label
    )
    french_text(page)

    href = page.get_attribute("[data-testid=le304-download-patients]", "href")
    response = page.request.get(url + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    body = response.body()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM French Excel reads UTF-8 by
    lines = body.decode("utf-8-sig").splitlines()
    assert ";" in lines[0]
    rows = [line.split(";") for line in lines[1:] if line]
    assert sorted(row[0] for row in rows) == sorted(full.patients)
    assert not set(small.patients) & {row[0] for row in rows}

    href = page.get_attribute("[data-testid=le304-download-agreement]", "href")
    response = page.request.get(url + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # Its status at RAMQ: sent, then accepted.
    page.select_option("#id_status", Le304FileStatus.SENT)
    page.click("[data-testid=le304-set-status]")
    page.wait_for_selector(
        f"[data-testid=le304-status]:text-is('{fr(Le304FileStatus.SENT.label)}')"
    )
    file.refresh_from_db()
    assert (file.status, file.sent_on) == (Le304FileStatus.SENT, timezone.localdate())
    french_text(page)
    page.select_option("#id_status", Le304FileStatus.ACCEPTED)
    page.click("[data-testid=le304-set-status]")
    page.wait_for_selector(
        f"[data-testid=le304-status]:text-is('{fr(Le304FileStatus.ACCEPTED.label)}')"
    )
    file.refresh_from_db()
    assert (file.status, file.answered_on) == (Le304FileStatus.ACCEPTED, timezone.localdate())
    assert page.locator("[data-testid=le304-status-form]").count() == 0  # answered: final
    french_text(page)
    screenshot(page, screenshot_dir / "attribution-agent-le304-file.png")

    # A CML has no way in.
    log_in(page, url, "cml.rimouski")
    assert page.locator("[data-testid=nav-le304]").count() == 0
    response = page.goto(url + reverse("attribution:le304-list"))
    assert response.status == 403
