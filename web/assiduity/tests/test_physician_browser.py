"""A physician's own assiduity page in a real browser: they log in, open "my rate"
(``/assiduity/me/``), read their rate and its chart, filter their visits (htmx) and page
through them. Takes the screenshot docs/screens/assiduity-physician.png."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from panelcare.assiduity import results
from web.assiduity import services
from web.assiduity.models import AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.regions.models import Region
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_a_physician_their_rate_and_filters_their_visits(
    live_server, page, screenshot_dir
):
    load_tiny_demo()
    run = services.do_start_assiduity_run(
        Region.objects.get(), YEAR, acting_user=User.objects.get(username="drmg")
    )
    assert run.status == AssiduityRunStatus.DONE, run.error
    code = User.objects.get(username="medecin").profile.physician.code

    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", "medecin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.goto(live_server.url + reverse("assiduity:my-rate"))
    page.wait_for_selector("[data-testid=rate-card]")
    assert page.url.endswith(reverse("assiduity:physician", args=[run.pk, code]))
    assert page.locator("[data-testid=rate]").inner_text().endswith("%")
    # The monthly chart is drawn by the vendored Vega scripts (no network).
    page.wait_for_selector("#chart-physician-months svg")

    # Filter the visits that lowered the rate: htmx swaps the list in place.
    lowering = results.count_physician_visits(run.results_folder, code, reasons={"other_provider"})
    page.select_option("[data-testid=filter-kind]", "lowering")
    page.wait_for_selector(f"[data-testid=visit-list][data-count='{lowering}']")
    reasons = page.locator("[data-testid=visits-table] tbody tr").evaluate_all(
        "rows => [...new Set(rows.map(row => row.dataset.reason))]"
    )
    assert reasons == ["other_provider"]
    assert page.url.endswith(reverse("assiduity:physician", args=[run.pk, code]))  # no reload
    if lowering > 50:
        page.click("[data-testid=next-visits]")
        page.wait_for_selector("[data-testid=previous-visits]")  # page 2, swapped in
        assert page.locator("[data-testid=visits-table] tbody tr").count() == min(50, lowering - 50)
    page.screenshot(path=str(screenshot_dir / "assiduity-physician.png"), full_page=True)
