"""The whole path of a QI group in a real browser and in French, as a physician and a QI
coach do it (issue 18, "Done when"): Dre Anne Gagnon (M1, selected for the cycle) forms a
group and invites Dr Benoît Roy (M2), who accepts; she completes her four activities step
by step; the plan's submission is refused while a member has not completed them (the page
names him); once he has, she writes the plan (areas, a goal measured by the platform's
panel size, a self-care goal with a manual measure) and submits it; the coach takes the
group up from their dashboard, asks for changes, then accepts the corrected plan; she sees
her requirement met for five years, downloads her certificate, starts a PDSA cycle,
records the month's measurement and reads the goal's run chart.

Dr Roy's own four activities are written through the services (the same ones the
steppers call): the browser test follows one physician, not two, through the steppers.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from web.quality import activities as steps
from web.quality.models import (
    ActivityKind,
    Completion,
    Goal,
    Group,
    Invitation,
    InvitationStatus,
    ManualPoint,
    PdsaCycle,
    PlanStatus,
)
from web.quality.services import activities as activity_services
from web.quality.services import plans as plan_services
from web.quality.tests.conftest import make_world
from web.regions.testing import load_tiny_demo, log_in, main_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Codes of the records and of Python that must not reach a French reader.
CODE_WORDS = re.compile(
    r"\b(none|None|True|False|qi_survey|practice_profile|chart_review|data_driven_qi|"
    r"self_care|practice_setting|health_team_gmf|panel_size|assiduity_rate|"
    r"pending|accepted|submitted|changes_requested|draft|adopt|adapt|abandon)\b"
)


NOT_YET = "Pas encore : %s n'a pas terminé les quatre activités."


def _text(page: Any) -> str:
    """What the reader sees of the page's main part, checked for code words."""
    return main_text(page, CODE_WORDS)


def _fill_step(page: Any) -> None:
    """Answer the current step of a stepper as a physician would: every text, a count
    (10 charts reviewed, 1 chart for each finding), the first choice of each question,
    the first box of each list, then « save »."""
    form = page.locator("[data-testid=step-form]")
    for area in form.locator("textarea").all():
        area.fill("Réflexion du groupe sur ma pratique.")
    for field in form.locator("input[type=text]").all():
        if not field.input_value():
            field.fill("GMF du Fleuve")
    for field in form.locator("input[type=number]").all():
        name = field.get_attribute("name")
        if name == "charts":
            field.fill("10")
        elif not field.input_value():
            field.fill("1")
    names = {radio.get_attribute("name") for radio in form.locator("input[type=radio]").all()}
    for name in sorted(names):
        form.locator(f"input[type=radio][name={name}]").first.check()
    boxes = {box.get_attribute("name") for box in form.locator("input[type=checkbox]").all()}
    for name in sorted(boxes):
        group = form.locator(f"input[type=checkbox][name={name}]")
        if not any(box.is_checked() for box in group.all()):
            group.first.check()
    page.click("[data-testid=save]")
    page.wait_for_load_state()


def _complete_activity(page: Any, url: str, group: Group, kind: str) -> None:
    page.goto(url + reverse("quality:activity", args=[group.pk, kind]))
    for _ in range(8):  # no activity has more than 4 steps; a refused step would loop
        ready = page.locator("[data-testid=complete-button]").count()
        if ready and not page.locator("[data-testid=complete] p.muted").count():
            break  # the last step saved, nothing missing
        _fill_step(page)
        errors = page.locator(".errorlist").all_inner_texts()
        assert not errors, errors
    page.click("[data-testid=complete-button]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=status] .ok").count() == 1, page.inner_text("main")


def _complete_through_services(group: Group, physician: Any, user: Any) -> None:
    for kind in ActivityKind.values:
        survey = steps.survey_in_force(group.region_id) if kind == ActivityKind.QI_SURVEY else None
        activity = None
        for step in steps.steps_of(kind, survey):
            values: dict[str, Any] = {}
            for field in steps.fields_for(step, activity.answers if activity else {}):
                values[field.key] = {
                    "textarea": "Réflexion.",
                    "text": "GMF du Fleuve",
                    "int": 10 if field.key == "charts" else 1,
                    "number": 1,
                    "yes_no": True,
                    "choice": field.choices[0][0] if field.choices else "",
                    "multi": [field.choices[0][0]] if field.choices else [],
                    "scale": 3,
                }[field.kind]
            activity = activity_services.do_save_activity_step(
                group, physician, kind, step.key, values, acting_user=user
            )
        assert activity is not None
        activity_services.do_complete_activity(activity, acting_user=user)


def test_it_takes_a_physician_and_a_coach_through_the_whole_path(live_server, page):
    world = make_world()
    url = live_server.url
    anne, benoit = world.physicians["M1"], world.physicians["M2"]

    # 1. Dre Gagnon, selected for the cycle, forms a group from the menu.
    log_in(page, url, "m1")
    link = page.locator("[data-testid=nav-quality]")
    assert link.inner_text().strip() == "Amélioration de la qualité"
    link.click()
    page.wait_for_selector("[data-testid=my-cycle]")
    assert "31 décembre 2030" in page.inner_text("[data-testid=cycle-due]")
    _text(page)
    page.click("[data-testid=group-new-link]")
    page.fill("[data-testid=group-name]", "Groupe du Fleuve")
    page.check("input[data-testid=group-bases][value=practice_setting]")
    page.click("[data-testid=group-submit]")
    page.wait_for_selector("[data-testid=group-facts]")
    group = Group.objects.get(name="Groupe du Fleuve")
    assert page.url == url + reverse("quality:group-detail", args=[group.pk])
    assert group.founder == anne

    # 2. She invites Dr Roy; he accepts from his home page.
    page.select_option("[data-testid=invite-physician]", str(benoit.pk))
    page.click("[data-testid=invite]")
    page.wait_for_selector(f"[data-testid=pending-{benoit.code}]")
    invitation = Invitation.objects.get(group=group, physician=benoit)
    log_in(page, url, "m2")
    page.goto(url + reverse("quality:home"))
    page.click(f"[data-testid=accept-{invitation.pk}]")
    page.wait_for_load_state()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED

    # 3. Dre Gagnon completes her four activities, step by step.
    log_in(page, url, "m1")
    for kind in ActivityKind.values:
        _complete_activity(page, url, group, kind)
    page.goto(url + reverse("quality:group-detail", args=[group.pk]))
    assert "4" in page.inner_text(f"[data-testid=member-{anne.code}] [data-testid=done]")
    assert "0" in page.inner_text(f"[data-testid=member-{benoit.code}] [data-testid=done]")
    _text(page)

    # 4. The plan: areas and two goals; the submission waits for Dr Roy, named.
    page.click("[data-testid=plan-link]")
    page.wait_for_selector("[data-testid=plan-form]")
    page.fill("[data-testid=plan-form] textarea[name=strengths]", "Une équipe stable.")
    page.fill("[data-testid=plan-form] textarea[name=improvements]", "L'accès des inscrits.")
    page.click("[data-testid=plan-save]")
    page.wait_for_selector("[data-testid=goal-new]")
    goals = [
        ("Inscrire des patients du guichet", "practice", "panel_size", "", "3", "10"),
        ("Une demi-journée sans clinique", "self_care", "", "Demi-journées par mois", "1", "4"),
    ]
    target_date = (timezone.localdate() + datetime.timedelta(days=180)).isoformat()
    for title, kind, indicator, definition, baseline, target in goals:
        page.click("[data-testid=goal-new]")
        form = page.locator("[data-testid=goal-form]")
        form.locator("[name=title]").fill(title)
        form.locator("[name=kind]").select_option(kind)
        form.locator("[name=indicator]").select_option(indicator)
        form.locator("[name=definition]").fill(definition)
        form.locator("[name=baseline]").fill(baseline)
        form.locator("[name=target]").fill(target)
        form.locator("[name=target_date]").fill(target_date)
        form.locator("[name=change_ideas]").fill("Une idée de changement")
        page.click("[data-testid=goal-save]")
        page.wait_for_selector("[data-testid=goals]")
    assert page.locator("[data-testid=goal]").count() == 2
    assert page.locator("[data-testid=plan-submit]").is_disabled()
    assert page.inner_text("[data-testid=not-yet]") == NOT_YET % benoit.name
    _text(page)

    _complete_through_services(group, benoit, world.users["m2"])
    page.reload()
    assert page.locator("[data-testid=not-yet]").count() == 0
    page.click("[data-testid=plan-submit]")
    page.wait_for_load_state()
    group.plan.refresh_from_db()
    assert group.plan.status == PlanStatus.SUBMITTED

    # 5. The coach takes the group up, asks for changes, then accepts.
    log_in(page, url, "coach")
    page.click("[data-testid=nav-quality]")
    page.click("[data-testid=coach-link]")
    page.wait_for_selector("[data-testid=unassigned-groups]")
    assert anne.name not in page.inner_text("[data-testid=unassigned-groups]")
    page.click("[data-testid=unassigned-group] button")
    page.goto(url + reverse("quality:coach"))
    followed = page.locator("[data-testid=followed-group]")
    assert followed.count() == 1
    assert anne.name in followed.inner_text()
    _text(page)
    followed.locator("[data-testid=review]").click()
    page.wait_for_selector("[data-testid=review-form]")
    page.locator("[data-testid=review-form] input[value=changes_requested]").check()
    page.fill("[data-testid=review-form] textarea[name=comment]", "Précisez la cible de l'accès.")
    page.click("[data-testid=review-save]")
    page.wait_for_load_state()
    group.plan.refresh_from_db()
    assert group.plan.status == PlanStatus.CHANGES_REQUESTED

    log_in(page, url, "m1")
    page.goto(url + reverse("quality:plan", args=[group.pk]))
    assert "Précisez la cible de l'accès." in page.inner_text("main")
    page.fill("[data-testid=plan-form] textarea[name=improvements]", "L'accès des inscrits: 10.")
    page.click("[data-testid=plan-save]")
    page.wait_for_selector("[data-testid=plan-submit]")
    page.click("[data-testid=plan-submit]")
    page.wait_for_load_state()

    log_in(page, url, "coach")
    page.goto(url + reverse("quality:review", args=[group.pk]))
    page.locator("[data-testid=review-form] input[value=accepted]").check()
    page.click("[data-testid=review-save]")
    page.wait_for_load_state()
    group.plan.refresh_from_db()
    assert group.plan.status == PlanStatus.ACCEPTED

    # 6. Dre Gagnon: requirement met for five years, her certificate.
    log_in(page, url, "m1")
    page.goto(url + reverse("quality:home"))
    today = timezone.localdate()
    completion = Completion.objects.get(group=group, physician=anne)
    assert completion.accepted_on == today
    assert completion.due == plan_services.core_cycle.next_due(today)
    assert str(completion.due.year) in page.inner_text("[data-testid=my-cycle]")
    page.goto(url + reverse("quality:plan", args=[group.pk]))
    link = page.locator("[data-testid=certificate]").first
    response = page.request.get(url + link.get_attribute("href"))
    assert response.status == 200
    assert response.body()[:4] == b"%PDF"

    # 7. Follow-up: a PDSA cycle, the month's measurement, the run chart.
    self_care = Goal.objects.get(plan=group.plan, kind="self_care")
    page.locator(f"[data-goal='{self_care.pk}'] [data-testid=pdsa-new]").click()
    form = page.locator("[data-testid=pdsa-form]")
    form.locator("[name=plan_text]").fill("Bloquer le vendredi après-midi pendant un mois.")
    form.locator("[name=prediction]").fill("Trois demi-journées prises ce mois-ci.")
    page.click("[data-testid=pdsa-save]")
    page.wait_for_load_state()
    assert PdsaCycle.objects.filter(goal=self_care).count() == 1
    # The months before this one, recorded by her earlier (the service the form calls).
    first = today.replace(day=1)
    for back, value in ((3, 1), (2, 2), (1, 2)):
        month = (first - datetime.timedelta(days=28 * back)).replace(day=1)
        plan_services.do_record_manual_point(
            self_care, month=month, value=value, acting_user=world.users["m1"]
        )
    page.goto(url + reverse("quality:point-new", args=[self_care.pk]))
    page.locator("[data-testid=point-form] [name=month]").fill(first.isoformat())
    page.locator("[data-testid=point-form] [name=value]").fill("3")
    page.click("[data-testid=point-save]")
    page.wait_for_load_state()
    assert ManualPoint.objects.filter(goal=self_care).count() == 4

    page.goto(url + reverse("quality:goal-chart", args=[self_care.pk]))
    page.wait_for_selector("[data-testid=run-chart] svg, [data-testid=run-chart] canvas")
    assert page.locator("[data-testid=verdict]").inner_text().strip()
    assert page.locator("[data-testid=points] tbody tr").count() >= 4
    _text(page)


# --- The demo region, as its physician and its coach read it (the docs' screenshots) --------


def _demo_text(page: Any) -> str:
    """The main part's text, without the demo's usernames, checked for code words."""
    return main_text(page, CODE_WORDS, without=("medecin", "coach", "drmg"))


def test_it_shows_the_demo_groups_to_the_physician_and_the_coach(live_server, page, screenshot_dir):
    load_tiny_demo()
    url = live_server.url
    accepted = Group.objects.get(plan__status=PlanStatus.ACCEPTED)
    under_review = Group.objects.get(plan__status=PlanStatus.SUBMITTED)

    # The physician: their cycle (requirement met), their group, its accepted plan.
    log_in(page, url, "medecin")
    page.click("[data-testid=nav-quality]")
    page.wait_for_selector("[data-testid=my-groups]")
    assert accepted.name in page.inner_text("[data-testid=my-groups]")
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "quality-physician-home.png"), full_page=True)

    page.goto(url + reverse("quality:group-detail", args=[accepted.pk]))
    page.wait_for_selector("[data-testid=members]")
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "quality-physician-group.png"), full_page=True)

    page.goto(url + reverse("quality:activity", args=[accepted.pk, ActivityKind.PRACTICE_PROFILE]))
    page.wait_for_selector("[data-testid=steps]")
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "quality-physician-activity.png"), full_page=True)

    page.goto(url + reverse("quality:plan", args=[accepted.pk]))
    page.wait_for_selector("[data-testid=goals]")
    assert page.locator("[data-testid=goal]").count() == 3
    # Their own completion (each member reads their own certificate).
    assert page.locator("[data-testid=completion]").count() == 1
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "quality-physician-plan.png"), full_page=True)

    # The self-care goal's run chart: the manual points since the plan's acceptance.
    manual = Goal.objects.get(plan=accepted.plan, indicator="")
    page.goto(url + reverse("quality:goal-chart", args=[manual.pk]))
    page.wait_for_selector("[data-testid=run-chart] svg, [data-testid=run-chart] canvas")
    assert page.locator("[data-testid=points] tbody tr").count() >= 5
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "quality-physician-run-chart.png"), full_page=True)

    # The coach: the groups followed and their late steps, the plan to review.
    log_in(page, url, "coach")
    page.goto(url + reverse("quality:coach"))
    page.wait_for_selector("[data-testid=followed-groups]")
    assert page.locator("[data-testid=followed-group]").count() == 3
    assert page.locator("[data-testid=unassigned-group]").count() == 1
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "quality-coach-dashboard.png"), full_page=True)
    page.goto(url + reverse("quality:review", args=[under_review.pk]))
    page.wait_for_selector("[data-testid=review-form]")
    _demo_text(page)
    page.screenshot(path=str(screenshot_dir / "quality-coach-review.png"), full_page=True)

    # The DRMG: counts per cycle, never a name.
    log_in(page, url, "drmg")
    page.goto(url + reverse("quality:drmg"))
    page.wait_for_selector("[data-testid=counts]")
    text = _demo_text(page)
    assert accepted.founder.name not in text
    page.screenshot(path=str(screenshot_dir / "quality-drmg-counts.png"), full_page=True)
