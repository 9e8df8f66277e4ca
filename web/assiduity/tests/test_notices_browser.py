"""The DRMG's notice and the paritary committee's list in a real browser: the DRMG records
a notice (EP 40, 15.01 B), opens its PDF, computes the year again and reads the physician
deemed to meet the target in the rates, then the committee's list (15.04). Takes the
screenshots docs/screens/assiduity-notice.png and assiduity-committee.png."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.assiduity.models import AssiduityRun, AssiduityRunStatus, DrmgNotice
from web.assiduity.tests.conftest import YEAR
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBER = "D00002"  # a member of the GMF G0001 in the demo


def test_it_takes_the_drmg_from_a_notice_to_the_committees_list(live_server, page, screenshot_dir):
    load_tiny_demo()
    url = live_server.url
    page.goto(url + reverse("accounts:login"))
    page.fill("input[name=username]", "drmg")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")

    # 1. The notice: the form, then its page saying who recorded it.
    page.goto(url + reverse("assiduity:notices"))
    page.click("[data-testid=notice-new-link]")
    page.select_option("[data-testid=notice-physician]", MEMBER)
    page.fill("[data-testid=notice-year]", str(YEAR))
    page.fill(
        "[data-testid=notice-justification]",
        "Deux postes d'infirmière prévus au plan d'effectifs n'ont pas été pourvus par le "
        "CISSS de janvier à septembre.",
    )
    page.click("[data-testid=notice-submit]")
    page.wait_for_selector("[data-testid=notice-facts]")
    notice = DrmgNotice.objects.get()
    assert page.url.endswith(reverse("assiduity:notice", args=[notice.pk]))
    assert "drmg" in page.locator("[data-testid=notice-recorded]").inner_text()

    # 2. Its PDF, with the browser's session.
    href = page.locator("[data-testid=notice-pdf-link]").get_attribute("href")
    response = page.request.get(url + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # 3. A computation of the year started afterwards applies it.
    page.goto(url + reverse("assiduity:home"))
    page.fill("[data-testid=start-year]", str(YEAR))
    page.click("[data-testid=start-button]")
    page.wait_for_selector("[data-testid=rates-table]")
    run = AssiduityRun.objects.latest("pk")
    assert run.status == AssiduityRunStatus.DONE and run.summary["notices"] == [notice.pk]
    row = page.locator(f"tr[data-physician={MEMBER}]")
    assert row.locator("[data-testid=deemed]").count() == 1
    page.goto(url + reverse("assiduity:notice", args=[notice.pk]))
    page.wait_for_selector("[data-testid=notice-applied]")
    page.screenshot(path=str(screenshot_dir / "assiduity-notice.png"), full_page=True)

    # 4. The committee's list, from the computation's bar of links.
    page.goto(url + reverse("assiduity:run-detail", args=[run.pk]))
    page.click("[data-testid=tab-committee]")
    page.wait_for_selector("[data-testid=committee-table], [data-testid=committee-empty]")
    assert page.url.endswith(reverse("assiduity:committee", args=[run.pk]))
    page.screenshot(path=str(screenshot_dir / "assiduity-committee.png"), full_page=True)
