"""The dashboard in a real browser, as a CML of the tiny demo region would see it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from web.dashboard import figures
from web.regions.models import Patient, Rls, WaitlistEntry
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_a_cml_the_figures_of_their_rls_only(live_server, page, screenshot_dir):
    load_tiny_demo()
    own, other = Rls.objects.order_by("code")[:2]
    today = timezone.localdate()

    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", "cml.rimouski")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_selector("[data-testid=registration-table]")

    residents = Patient.objects.filter(rls=own).count()
    registered = Patient.objects.filter(
        rls=own, id__in=figures.active_registrations(today).values("patient_id")
    ).count()
    waiting = WaitlistEntry.objects.filter(rls=own, status="waiting").count()
    row = page.locator(f"tr[data-rls='{own.code}']")
    assert row.locator("[data-testid=residents]").inner_text() == str(residents)
    assert row.locator("[data-testid=registered]").inner_text() == str(registered)
    assert page.locator("[data-testid=waitlist-total]").inner_text() == str(waiting)
    assert page.locator(f"tr[data-rls='{other.code}']").count() == 0
    assert other.name not in page.content()

    # The charts are drawn from the vendored Vega scripts (no network): each has an SVG.
    page.wait_for_selector("#chart-registration svg")
    assert page.locator("#chart-strata svg").count() == 1
    page.screenshot(path=str(screenshot_dir / "dashboard-cml.png"), full_page=True)
