"""The QI coach's dashboard (``/quality/coach/``): the groups the coach follows with each
member's progress and the late steps; the region's groups without a coach by name and
size only; nothing of another coach's groups nor of another region's; 403 for every other
side."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from web.quality.models import Plan, PlanStatus
from web.quality.tests.conftest import NAMES, do_activities, invite, join, make_group, select
from web.regions.testing import visible_text

URL = reverse("quality:coach")
DAY = datetime.timedelta(days=1)


@pytest.fixture
def groups(world: Any) -> dict[str, Any]:
    """Relative to today (the page reads the clock): the coach's group (M1, M2; M3 invited
    40 days ago, 10 days late; a plan submitted 5 days ago), coach2's (M7, M8), one
    without a coach (M4, M5; M6 invited), and one of region 02 without a coach (M20)."""
    today = timezone.localdate()
    fleuve = make_group(
        world, "M1", name="Groupe du Fleuve", coach="coach", created_on=today - 100 * DAY
    )
    join(world, fleuve, "M2", today - 100 * DAY)
    invite(world, fleuve, "M3", sent_on=today - 40 * DAY)
    do_activities(world, fleuve, "M1", completed=2, on=today - 50 * DAY)
    do_activities(world, fleuve, "M2", completed=4, on=today - 50 * DAY)
    select(
        world,
        "M2",
        selected_on=today - 200 * DAY,
        due=today + 300 * DAY,
        deferred_on=today - 10 * DAY,
    )
    plan = Plan.objects.create(
        group=fleuve,
        status=PlanStatus.SUBMITTED,
        submitted_on=today - 5 * DAY,
        submitted_by=world.users["m1"],
    )
    matane = make_group(world, "M7", name="Groupe de Matane", coach="coach2")
    join(world, matane, "M8", today - 30 * DAY)
    basques = make_group(world, "M4", name="Groupe des Basques")
    join(world, basques, "M5", today - 30 * DAY)
    invite(world, basques, "M6", sent_on=today - 3 * DAY)
    saguenay = make_group(world, "M20", name="Groupe du Saguenay", region=world.other_region)
    return {
        "fleuve": fleuve,
        "plan": plan,
        "matane": matane,
        "basques": basques,
        "saguenay": saguenay,
    }


def section(page: str, testid: str) -> str:
    """The HTML of the ``<section data-testid=...>`` of ``page``."""
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', page, re.S)
    assert match, testid
    return match.group(0)


def test_it_shows_each_members_progress_in_the_groups_followed(world, groups, client_for):
    page = client_for("coach").get(URL).content.decode()
    followed = section(page, "followed-groups")

    assert "Groupe du Fleuve" in followed
    assert "Dre Anne Gagnon" in followed and "Dr Benoît Roy" in followed
    assert '<progress value="2" max="4">' in followed  # M1
    assert '<progress value="4" max="4">' in followed  # M2
    assert followed.count('data-testid="member"') == 2  # M3 is invited, not a member
    due = (timezone.localdate() + 300 * DAY).year
    assert str(due) in followed  # M2's due date, moved by the deferral


def test_it_shows_the_late_steps_with_their_days_late(world, groups, client_for):
    page = client_for("coach").get(URL).content.decode()

    steps = re.findall(r'data-testid="late-step">(.*?)</li>', page, re.S)
    assert len(steps) == 1
    assert "Dre Claire Côté" in steps[0]  # the invitee who has not answered
    assert re.search(r'data-testid="days-late">10\b', steps[0])


def test_it_links_to_the_group_and_to_the_review_of_a_submitted_plan(world, groups, client_for):
    fleuve = groups["fleuve"]
    page = client_for("coach").get(URL).content.decode()

    assert reverse("quality:group-detail", args=[fleuve.pk]) in page
    assert reverse("quality:review", args=[fleuve.pk]) in page


def test_it_offers_no_review_before_the_plan_is_submitted(world, groups, client_for):
    groups["plan"].status = PlanStatus.DRAFT
    groups["plan"].save(update_fields=["status"])

    page = client_for("coach").get(URL).content.decode()

    assert reverse("quality:group-detail", args=[groups["fleuve"].pk]) in page
    assert reverse("quality:review", args=[groups["fleuve"].pk]) not in page


def test_it_hides_a_group_another_coach_follows(world, groups, client_for):
    page = client_for("coach").get(URL).content.decode()

    assert "Groupe de Matane" not in page
    assert "Dre Geneviève Lavoie" not in page and "Dr Hugo Fortin" not in page
    assert reverse("quality:group-detail", args=[groups["matane"].pk]) not in page


def test_it_hides_the_groups_of_another_region(world, groups, client_for):
    page = client_for("coach").get(URL).content.decode()

    assert "Groupe du Saguenay" not in page
    assert "Dr Zacharie Tremblay" not in page


def test_it_shows_a_group_without_coach_by_name_and_size_only(world, groups, client_for):
    page = client_for("coach").get(URL).content.decode()
    unassigned = section(page, "unassigned-groups")

    rows = re.findall(r'data-testid="unassigned-group">\s*<td>(.*?)</td>\s*<td>(\d+)</td>', page)
    assert rows == [("Groupe des Basques", "2")]  # M4 and M5; M6's invitation pending
    for name in ("Dr Denis Bouchard", "Dre Élise Gauthier", "Dr François Morin"):
        assert name not in page
    assert f'action="{reverse("quality:group-follow", args=[groups["basques"].pk])}"' in unassigned
    assert 'method="post"' in unassigned


def test_it_shows_another_regions_coach_their_own_region_only(world, groups, client_for):
    page = client_for("coach9").get(URL).content.decode()

    assert "Groupe du Saguenay" in section(page, "unassigned-groups")
    assert 'data-testid="no-followed-group"' in page
    for other in ("Groupe du Fleuve", "Groupe des Basques", "Groupe de Matane"):
        assert other not in page
    assert not any(name in page for name in NAMES)


def test_it_says_the_delays_are_illustrative(world, groups, client_for):
    page = client_for("coach").get(URL).content.decode()

    note = re.search(r'data-testid="illustrative-delays">(.*?)</small>', page, re.S)
    assert note
    assert re.search(r"\b30\b", note.group(1)) and re.search(r"\b60\b", note.group(1))


@pytest.mark.parametrize("name", ["m1", "cml", "gmf", "ciusss", "drmg", "doc_no_record"])
def test_it_refuses_anyone_but_a_coach(world, groups, client_for, name):
    assert client_for(name).get(URL).status_code == 403


def test_it_asks_an_anonymous_visitor_to_log_in(world, client):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# Codes a page must say by their labels: a plan's or invitation's status, a cycle status,
# an activity, a late step, a count.
CODE = re.compile(r"\b(None|none|True|False|[a-z]+_[a-z_]+)\b")
STATUS_CODES = {*PlanStatus.values, "selected", "deferred", "met", "overdue", "not_selected"}


def test_it_shows_no_code_word_on_the_french_page(world, groups, client_for):
    page = client_for("coach").get(URL, headers={"accept-language": "fr"}).content.decode()

    assert CODE.findall(visible_text(page)) == []
    plan_statuses = re.findall(r'data-testid="plan-status">(.*?)</span>', page)
    cycle_cells = re.findall(r'data-testid="member">(?:.*?<td>){3}(.*?)</td>', page, re.S)
    assert plan_statuses and cycle_cells
    assert not STATUS_CODES & {text.split(" — ")[0].strip() for text in plan_statuses + cycle_cells}
