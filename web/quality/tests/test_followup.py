"""A goal's follow-up page: who opens it, whose figures it shows, the signals in words."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from web.quality import indicators
from web.quality.models import (
    Activity,
    Goal,
    Indicator,
    ManualPoint,
    PdsaCycle,
    Plan,
)
from web.quality.tests.conftest import invite, make_group
from web.regions.models import Registration

D = datetime.date


@pytest.fixture
def group(world):
    """M1's group, followed by ``coach``: M2 accepted, M3 invited (pending)."""
    group = make_group(world, created_on=D(2025, 1, 10), coach="coach")
    invite(world, group, "M2", sent_on=D(2025, 1, 10), status="accepted")
    invite(world, group, "M3", sent_on=D(2025, 1, 10))
    Plan.objects.create(group=group)
    return group


def _goal(group, **fields) -> Goal:
    values = {
        "title": "Plus de rappels",
        "kind": "practice",
        "baseline": Decimal(1),
        "target": Decimal("8.5"),
        "target_date": D(2026, 6, 30),
    }
    return Goal.objects.create(plan=group.plan, **(values | fields))


@pytest.fixture
def manual_goal(world, group):
    """A manual measure with a shift: six months at 1, then six at 9 (2025)."""
    goal = _goal(group, definition="Rappels envoyés par mois")
    for month in range(1, 13):
        ManualPoint.objects.create(
            goal=goal,
            month=D(2025, month, 1),
            value=Decimal(1 if month <= 6 else 9),
            recorded_by=world.users["m1"],
        )
    PdsaCycle.objects.create(goal=goal, change_idea="Rappel par texto", started_on=D(2025, 6, 20))
    return goal


@pytest.fixture
def panel_goal(world, group):
    """A goal measured by the panel size; M1 has 1 patient registered, M2 has 2."""
    for code, count in (("M1", 1), ("M2", 2)):
        for number in range(count):
            Registration.objects.create(
                region=world.region,
                patient_code=f"{code}-{number}",
                physician_code=code,
                site_code="S1",
                physician=world.physicians[code],
                start_date=D(2024, 1, 1),
            )
    return _goal(group, indicator=Indicator.PANEL_SIZE, target=Decimal(1500))


def _url(goal) -> str:
    return reverse("quality:goal-chart", args=[goal.pk])


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("name", ["m1", "m2", "coach"])
def test_it_shows_the_chart_to_the_members_and_the_coach(english_client_for, manual_goal, name):
    response = english_client_for(name).get(_url(manual_goal))
    assert response.status_code == 200
    assert b'id="chart-goal"' in response.content and b'id="spec-goal"' in response.content


@pytest.mark.parametrize(
    ("name", "who"),
    [
        ("m4", "a physician of the region outside the group"),
        ("m3", "a physician invited, not a member yet"),
        ("m20", "a physician of another region"),
        ("coach2", "a coach of the region not following the group"),
        ("coach9", "a coach of another region"),
    ],
)
def test_it_answers_404_outside_the_group(english_client_for, manual_goal, name, who):
    assert english_client_for(name).get(_url(manual_goal)).status_code == 404, who


@pytest.mark.parametrize("name", ["cml", "gmf", "ciusss", "drmg", "doc_no_record"])
def test_it_answers_403_to_the_roles_without_goals(english_client_for, manual_goal, name):
    assert english_client_for(name).get(_url(manual_goal)).status_code == 403


def test_it_answers_404_for_an_unknown_goal(english_client_for, manual_goal):
    url = reverse("quality:goal-chart", args=[manual_goal.pk + 100])
    assert english_client_for("m1").get(url).status_code == 404


# --------------------------------------------------------------------------- the page


def test_it_says_the_signals_in_words(english_client_for, manual_goal):
    page = english_client_for("m2").get(_url(manual_goal)).content.decode()
    assert "The runs say the process changed: the variation is not random." in page
    assert "A shift: 6 points in a row above the median, from July 2025." in page
    assert "Baseline 1; target 8.50 by June 30, 2026." in page
    assert "Rappel par texto" in page  # the PDSA cycles' list


def test_it_shows_a_member_their_own_figures(english_client_for, world, panel_goal):
    page = english_client_for("m2").get(_url(panel_goal)).content.decode()
    assert world.physicians["M2"].name in page
    assert world.physicians["M1"].name not in page
    assert "2.0" in page  # M2's panel, not M1's


def test_it_shows_the_coach_only_the_members_who_share(
    english_client_for, world, group, panel_goal
):
    page = english_client_for("coach").get(_url(panel_goal)).content.decode()
    assert 'data-testid="nothing-shared"' in page
    assert 'id="chart-goal"' not in page
    Activity.objects.create(
        group=group, physician=world.physicians["M2"], kind="data_driven_qi", shared=True
    )
    Activity.objects.create(
        group=group, physician=world.physicians["M1"], kind="data_driven_qi", shared=False
    )
    client = english_client_for("coach")
    page = client.get(_url(panel_goal), {"physician": world.physicians["M1"].pk}).content.decode()
    assert world.physicians["M2"].name in page  # asking for M1, not shared: M2 shown
    assert world.physicians["M1"].name not in page
    assert 'id="chart-goal"' in page


def test_it_says_when_there_is_no_measurement_yet(english_client_for, group):
    goal = _goal(group, definition="Rappels")
    page = english_client_for("m1").get(_url(goal)).content.decode()
    assert 'data-testid="no-points"' in page and 'id="chart-goal"' not in page


# --------------------------------------------------------------------------- the partial


def test_it_renders_the_data_driven_figures_with_labels_and_no_name(world, english):
    for index, code in enumerate(("M1", "M2", "M3", "M4", "M5"), start=1):
        for number in range(index):
            Registration.objects.create(
                region=world.region,
                patient_code=f"{code}-{number}",
                physician_code=code,
                site_code="S1",
                physician=world.physicians[code],
                start_date=D(2025, 1, 1),
            )
    figures = indicators.data_driven_figures(world.physicians["M2"], on=D(2026, 3, 15))
    html = render_to_string("quality/followup/_figures.html", {"figures": figures})
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))
    assert "Panel size" in text and "Assiduity rate" in text
    assert "Below the median (percentile rank 30)" in text  # M2's panel: 2 among 1 to 5
    # The assiduity and the attribution: no figure, in the region or the RLS.
    assert text.count("Not shown: fewer than 5 physicians have a figure.") == 4
    for code, _label in Indicator.choices:
        assert code not in text
    for physician in world.physicians.values():
        assert physician.name not in html
    assert 'id="chart-figure-panel_size"' in html and 'id="spec-figure-panel_size"' in html
