"""The assiduity by group in a real browser, as a CML of the tiny demo region reads it:
the distribution of the rates of their RLS, the GMFs' own rates, the trends across two
years; in French, with no code word, the charts drawn by the vendored Vega scripts."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from web.assiduity import groups, services
from web.assiduity.models import AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.assiduity.tests.test_groups import keep_gmf_rates
from web.regions.models import Gmf, Region, Rls
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words of the engine or of Python that must not reach a French reader.
CODE_WORDS = re.compile(r"\b(none|full|half|no_visits|three_quarters|None|True|False)\b")


def test_it_shows_a_cml_the_distribution_the_gmf_rates_and_the_trends(
    live_server, page, screenshot_dir
):
    load_tiny_demo()
    region = Region.objects.get()
    drmg = User.objects.get(username="drmg")
    runs = []
    for year in (YEAR, YEAR + 1):
        run = services.do_start_assiduity_run(region, year, acting_user=drmg)
        assert run.status == AssiduityRunStatus.DONE, run.error
        keep_gmf_rates(run)
        runs.append(run)
    run = runs[0]
    own, other = Rls.objects.order_by("code")[:2]

    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", "cml.rimouski")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_load_state()

    # The distribution of their RLS: one row, the chart drawn.
    page.goto(live_server.url + reverse("assiduity:run-distribution", args=[run.pk]))
    page.wait_for_selector("#chart-distribution svg")
    assert page.locator("[data-testid=tiers-table] tbody tr").count() == 1
    assert page.locator(f"tr[data-rls='{own.code}']").count() == 1
    assert other.name not in page.inner_text("main")
    assert "Répartition" in page.inner_text("h1")
    text = page.inner_text("main")
    assert not CODE_WORDS.findall(text), CODE_WORDS.findall(text)
    assert re.search(r"\d+,\d %", text)  # French percents
    page.screenshot(path=str(screenshot_dir / "assiduity-distribution.png"), full_page=True)

    # The GMFs of their RLS, with their rates; another RLS's GMF is not there.
    page.click("[data-testid=tab-gmfs]")
    page.wait_for_selector("[data-testid=gmfs-table]")
    theirs = set(Gmf.objects.filter(rls=own).values_list("code", flat=True))
    shown = set(page.locator("[data-gmf]").evaluate_all("rows => rows.map(r => r.dataset.gmf)"))
    kept_table = groups.read_gmf_rates(run)
    assert kept_table is not None
    kept = {row["gmf_id"] for row in kept_table.to_pylist()}
    assert shown == theirs & kept
    for gmf in Gmf.objects.exclude(rls=own):
        assert gmf.name not in page.inner_text("main")
    # Each GMF's members, folded when there are several GMFs.
    if page.locator("details summary").count():
        page.locator("details summary").first.click()
    assert page.locator("tr[data-physician]:visible").count() > 0
    text = page.inner_text("main")
    assert not CODE_WORDS.findall(text), CODE_WORDS.findall(text)
    page.screenshot(path=str(screenshot_dir / "assiduity-gmfs.png"), full_page=True)

    # The trends: two years of their RLS, a line chart.
    page.click("[data-testid=link-trends]")
    page.wait_for_selector("#chart-trends svg")
    rows = page.locator("[data-testid=trends-table] tbody tr")
    assert rows.count() == 2
    text = page.inner_text("main")
    assert f"{YEAR + 1} (à ce jour)" in text
    assert not CODE_WORDS.findall(text), CODE_WORDS.findall(text)
    page.screenshot(path=str(screenshot_dir / "assiduity-trends.png"), full_page=True)
