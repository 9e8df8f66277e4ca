"""The run page says whether the plan is proven optimal (issue 15, 1): the engine's
proof level by level (``Plan.bounds``, ``summary["optimality"]``), and where a stopped
mixed-integer solve leaves a gap, each level with the plan's value and the bound."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.attribution.models import Run, RunStatus
from web.regions.testing import visible_text

pytestmark = pytest.mark.django_db


def optimality(page: str) -> str:
    part = page.split('data-testid="optimality"', 1)[1].split("</div>", 1)[0]
    return " ".join(visible_text("<p " + part).split())


def test_it_says_a_plan_of_the_demo_region_is_proven_optimal(make_run, rimouski, client_as):
    run = make_run(rls=rimouski, status=RunStatus.DONE)
    assert run.summary["proven_optimal"] is True
    assert {level["gap"] for level in run.summary["optimality"]} == {0}
    page = client_as("drmg").get(reverse("attribution:run-detail", args=[run.pk]))
    assert "Proven optimal: at every level of the rules" in optimality(page.content.decode())


def test_it_names_each_level_a_stopped_solve_may_have_missed(make_run, rimouski, client_as):
    run = make_run(rls=rimouski, status=RunStatus.DONE)
    summary = dict(run.summary)
    summary["proven_optimal"] = False
    summary["optimality"] = [
        {"level": "placed ABCDE", "value": 1200.0, "bound": 1200.0, "gap": 0.0},
        {"level": "equity", "value": 5120.0, "bound": 5000.0, "gap": 120 / 5120},
    ]
    Run.objects.filter(pk=run.pk).update(summary=summary)
    page = client_as("drmg").get(reverse("attribution:run-detail", args=[run.pk]))
    said = optimality(page.content.decode())
    assert "Not proven optimal" in said
    assert "equity of the fills: the plan 5,120, no plan beyond 5,000" in said
    assert "priorities A to E" not in said  # proven levels are not listed


def test_it_says_nothing_of_optimality_for_a_plan_without_its_proof(make_run, rimouski, client_as):
    # Runs computed before the proof was recorded: no claim either way.
    run = make_run(rls=rimouski, status=RunStatus.DONE)
    summary = {k: v for k, v in run.summary.items() if k not in ("optimality", "proven_optimal")}
    Run.objects.filter(pk=run.pk).update(summary=summary)
    page = client_as("drmg").get(reverse("attribution:run-detail", args=[run.pk]))
    assert 'data-testid="optimality"' not in page.content.decode()
