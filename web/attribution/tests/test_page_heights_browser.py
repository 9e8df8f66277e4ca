"""The run page of the whole demo region can be read in a real browser (issue 15, 5): before
the tabs it was one page of about 26,000 px (11,500 px for an RLS).

Measured by ``bench/page_heights.py`` (docs/attribution-web-runs.md, "Page heights"), the
region's tallest tab is its physicians' (3,083 px at 1280x900: a page of 25 physicians);
the bound, 6,000 px, leaves about twice that for another set of fonts (CI installs only
DejaVu, whose wider glyphs wrap more) and a few more rows, and is still a quarter of the
page without tabs: the test fails if the tabs or the physicians' pages are undone.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from web.attribution import services
from web.attribution.figures import PHYSICIANS_PER_PAGE, RUN_TABS
from web.attribution.models import RunStatus
from web.regions.demo import DEMO_PASSWORD, load_demo
from web.regions.models import Rls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TAB_HEIGHT_PX = 6000
VIEWPORT_WIDTH_PX = 1280  # the `page` fixture's viewport (conftest.py)


@pytest.mark.slow  # the demo region at full size (245 physicians, 8 RLS): about 60 s to load and plan
def test_it_keeps_every_tab_of_the_regions_run_page_short_and_within_the_width(live_server, page):
    load_demo("region")
    drmg = User.objects.get(username="drmg")
    run = services.do_start_run(None, {}, timezone.localdate(), "hauteurs", acting_user=drmg)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error

    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", "drmg")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_selector("[data-testid=nav-attribution]")

    heights, widths = {}, {}
    for tab in RUN_TABS:
        page.goto(
            live_server.url + reverse("attribution:run-detail", args=[run.pk]) + f"?tab={tab}"
        )
        page.wait_for_selector(f"[data-testid=tab-{tab}][aria-current=page]")
        if tab == "charts":  # drawn after the load: measured once the map is
            page.wait_for_selector("[data-testid=chart-map] svg")
        heights[tab] = page.evaluate("document.documentElement.scrollHeight")
        widths[tab] = page.evaluate("document.documentElement.scrollWidth")
        if tab == "physicians":
            # One page of the region's physicians, each with their RLS's name beside its code.
            rows = page.locator("[data-testid=plan-physicians] tbody tr")
            assert rows.count() == PHYSICIANS_PER_PAGE
            assert page.locator("[data-testid=physicians-next]").count() == 1
            named = {f"{rls.name} ({rls.code})" for rls in Rls.objects.all()}
            cells = set(rows.locator("td:nth-child(2)").all_inner_texts())
            assert cells and cells <= named, cells - named

    assert max(heights.values()) < MAX_TAB_HEIGHT_PX, heights
    assert max(widths.values()) <= VIEWPORT_WIDTH_PX, widths
