"""LE 304's previous-year assiduity in a real browser, as the CML of the tiny demo's first
RLS, after the DRMG computed the region's assiduity of last year: the run's page names the
computation it read, the rules page says where a run of this year reads it. Takes the
screenshots of docs/screens/assiduity-le304-*.png."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from web.assiduity import services as assiduity_services
from web.assiduity.models import AssiduityRunStatus
from web.attribution.models import Run
from web.regions.models import Region
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_a_cml_which_assiduity_their_run_read(live_server, page, screenshot_dir):
    load_tiny_demo()
    year = timezone.localdate().year - 1  # a run dated today reads last year's
    computation = assiduity_services.do_start_assiduity_run(
        Region.objects.get(), year, acting_user=User.objects.get(username="drmg")
    )
    assert computation.status == AssiduityRunStatus.DONE, computation.error
    url = live_server.url

    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", "cml.rimouski")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")

    page.goto(url + reverse("attribution:rules"))
    rules = page.locator("[data-testid=rules-assiduity]")
    assert rules.get_attribute("data-source") == "computed"
    assert f"no {computation.pk}" in rules.inner_text()
    rules.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "assiduity-le304-rules.png"), full_page=False)

    page.goto(url + reverse("attribution:run-new"))
    page.click("[data-testid=run-submit]")
    page.wait_for_selector("[data-testid=run-status][data-status=done]", timeout=60_000)
    run = Run.objects.get()
    assert run.assiduity_run_id == computation.pk
    line = page.locator("[data-testid=run-assiduity]")
    assert line.get_attribute("data-source") == "computed"
    assert f"Assiduité de {year}" in line.inner_text()
    page.screenshot(path=str(screenshot_dir / "assiduity-le304-run.png"), full_page=False)

    # The computation is one click away.
    page.click("[data-testid=run-assiduity] [data-testid=assiduity-computation]")
    page.wait_for_url(f"**{reverse('assiduity:run-detail', args=[computation.pk])}")
