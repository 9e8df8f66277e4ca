"""A what-if in a real browser, as the CML of the tiny demo's first RLS: open a
physician's what-if, ask for half of the P4/P5 emergency visits at the clinic, read the
rate before and after (htmx swaps the result in, a spinner meanwhile). Takes the
screenshot docs/screens/assiduity-whatif.png."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation

from web.assiduity import services
from web.assiduity.models import AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.assiduity.tests.test_whatif import half_of_the_er_visits
from web.regions.models import Region
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHYSICIAN = "D00003"  # of cml.rimouski's RLS


def test_it_shows_a_cml_a_physician_s_rate_before_and_after_a_redirection(
    live_server, page, screenshot_dir
):
    load_tiny_demo()
    run = services.do_start_assiduity_run(
        Region.objects.get(), YEAR, acting_user=User.objects.get(username="drmg")
    )
    assert run.status == AssiduityRunStatus.DONE, run.error

    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", "cml.rimouski")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.goto(live_server.url + reverse("assiduity:physician-whatif", args=[run.pk, PHYSICIAN]))
    page.wait_for_selector("[data-testid=whatif-form]")
    # The figures are the computation's (the demo's visits depend on the day it is
    # loaded), in French as the page writes them.
    with translation.override("fr"):
        rate_before, rate_after, points, _moved = half_of_the_er_visits(run)
    assert rate_before in page.locator("[data-testid=whatif-stored]").inner_text()
    assert page.locator("[data-testid=whatif-result]").count() == 0

    page.fill("[data-testid=whatif-er-share]", "50")
    page.click("[data-testid=whatif-submit]")
    page.wait_for_selector("[data-testid=whatif-result]", timeout=60_000)
    assert page.locator("[data-testid=rate-before]").inner_text() == rate_before
    assert page.locator("[data-testid=rate-after]").inner_text() == rate_after
    assert page.locator("[data-testid=tier-after]").inner_text().strip()
    assert points.replace(".", ",") in page.locator("[data-testid=whatif-words]").inner_text()
    assert page.locator("[data-testid=whatif-unchanged]").is_visible()
    # htmx kept the address of the result: the same what-if can be sent or reloaded.
    assert "er_share=50" in page.url
    assert page.locator("[data-testid=whatif-er-share]").input_value() == "50"
    page.screenshot(path=str(screenshot_dir / "assiduity-whatif.png"), full_page=True)
