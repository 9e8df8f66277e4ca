"""The run page's table of GMFs holds each GMF's target against what its members received
weighted as the target counts them (5.3.2: a patient of a weighted category counts for its
weight; the engine's ``by_gmf``, ``received_weighted``), beside the patients received
(issue 19, from the review: the table compared the patients with the weighted target)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from web.attribution import gmfs, services
from web.attribution.models import Run, RunStatus
from web.attribution.tests.conftest import RUN_DATE
from web.regions.models import Rls

# Every category of the demo's orphans weighs 3: a GMF receiving any patient of a category
# counts more weighted patients than patients.
WEIGHTS = dict.fromkeys(("home_care", "detention", "addiction", "palliative", "mental_health"), 3.0)


@pytest.fixture
def weighted_run(rimouski: Rls, cml: User) -> Run:
    """A run of Rimouski-Neigette by its CML with :data:`WEIGHTS`, computed (DONE)."""
    run = services.do_start_run(
        rimouski, {"category_weights": WEIGHTS}, RUN_DATE, "", acting_user=cml
    )
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return run


def engine_row(run: Run, code: str) -> dict[str, Any]:
    (row,) = [row for row in run.summary["by_gmf"] if row["gmf_id"] == code]
    return row


def page_of(client: Client, run: Run) -> str:
    response = client.get(reverse("attribution:run-detail", args=[run.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_weighted_and_the_plain_counts_of_the_engine(
    weighted_run: Run, cml_client: Client
) -> None:
    engine = engine_row(weighted_run, "G0001")
    assert engine["received_weighted"] > engine["received"], "no weighted patient received"
    (row,) = [row for row in gmfs.run_gmf_rows(weighted_run) if row.code == "G0001"]
    assert (row.received, row.received_weighted, row.members) == (
        engine["received"],
        engine["received_weighted"],
        engine["members"],
    )
    page = page_of(cml_client, weighted_run)
    assert (
        f'data-received="{engine["received"]}" '
        f'data-received-weighted="{engine["received_weighted"]:.2f}"'
    ) in page
    assert "Received by its members (weighted patients)" in page
    assert "Received by its members (patients)" in page


def set_gmf_figures(run: Run, **figures: Any) -> None:
    """Write G0001's figures in ``run``'s summary, as an adjustment by hand leaves them."""
    summary = dict(run.summary)
    summary["by_gmf"] = [
        {"gmf_id": "G0001", "members": 3, "physician_ids": ["D1", "D2", "D3"], **figures}
    ]
    Run.objects.filter(pk=run.pk).update(summary=summary)
    run.refresh_from_db()


def test_it_says_above_the_target_by_the_weighted_count(
    weighted_run: Run, cml_client: Client
) -> None:
    # 8 patients, within a target of 10, but 12 weighted patients: above it.
    set_gmf_figures(weighted_run, target=10, received=8, received_weighted=12.0)
    (row,) = gmfs.run_gmf_rows(weighted_run)
    assert row.above and not row.reached
    page = page_of(cml_client, weighted_run)
    assert 'data-above="1" data-reached="0" class="warning"' in page
    assert "above the target" in page


def test_it_says_the_target_reached_by_the_weighted_count(
    weighted_run: Run, cml_client: Client
) -> None:
    # 7 patients, 10 weighted: the GMF has received its target of 10.
    set_gmf_figures(weighted_run, target=10, received=7, received_weighted=10.0)
    (row,) = gmfs.run_gmf_rows(weighted_run)
    assert row.reached and not row.above
    page = page_of(cml_client, weighted_run)
    assert 'data-above="0" data-reached="1"' in page
    assert "target reached" in page
    assert "above the target" not in page


def test_it_says_nothing_below_the_target(weighted_run: Run, cml_client: Client) -> None:
    set_gmf_figures(weighted_run, target=10, received=4, received_weighted=9.5)
    (row,) = gmfs.run_gmf_rows(weighted_run)
    assert not row.above and not row.reached
    page = page_of(cml_client, weighted_run)
    assert 'data-received-weighted="9.50" data-members="3" data-above="0" data-reached="0"' in page
    assert "target reached" not in page and "above the target" not in page
