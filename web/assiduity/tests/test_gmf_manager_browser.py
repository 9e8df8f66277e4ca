"""The assiduity as a GMF manager of the tiny demo region reads it, in a real browser and
in French: the menu's "Assiduité", the finished computation's rates of their GMF's
members only, their GMF's own rate (no other GMF), a member's explanation, and the
distribution per RLS refused. Takes the screenshot docs/screens/assiduity-gmf-manager.png."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from panelcare.assiduity.results import read_rates
from web.assiduity import services
from web.assiduity.models import AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.regions.models import Gmf, GmfMembership, Region
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words of the engine or of Python that must not reach a French reader.
CODE_WORDS = re.compile(r"\b(none|full|half|no_visits|three_quarters|None|True|False)\b")
FRENCH_PERCENT = re.compile(r"^\d+,\d %$")


def test_it_shows_a_gmf_manager_their_gmf_only_and_refuses_the_distribution(
    live_server, browser, csp_refusals, screenshot_dir
):
    load_tiny_demo()
    run = services.do_start_assiduity_run(
        Region.objects.get(), YEAR, acting_user=User.objects.get(username="drmg")
    )
    assert run.status == AssiduityRunStatus.DONE, run.error
    own = User.objects.get(username="gestion.gmf").profile.gmf
    assert own is not None
    rated = set(read_rates(run.results_folder).column("physician_id").to_pylist())
    members = set(
        GmfMembership.objects.active_on(timezone.localdate())
        .filter(gmf=own)
        .values_list("physician__code", flat=True)
    )
    expected = members & rated
    # The demo's GMF has rated members, and the region has physicians outside it.
    assert expected and rated - expected

    context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = csp_refusals(page)
    url = live_server.url
    page.goto(url + reverse("accounts:login"))
    page.fill("input[name=username]", "gestion.gmf")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_load_state()

    # The menu's link leads to the assiduity's home: the finished computation, no form.
    page.click("[data-testid=nav-assiduity]")
    page.wait_for_selector("[data-testid=runs-table]")
    assert page.url == url + reverse("assiduity:home")
    assert "Taux d'assiduité" in page.inner_text("h1")
    assert page.locator("[data-testid=start-form]").count() == 0
    page.click(f"[data-testid=run-{run.pk}] a >> nth=0")

    # The rates table: their GMF's members of today, and no one else.
    page.wait_for_selector("[data-testid=rates-table]")
    assert page.url == url + reverse("assiduity:run-detail", args=[run.pk])
    assert f"Taux d'assiduité {YEAR}" in page.inner_text("h1")
    shown = page.locator("[data-testid=rates-table] tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.physician)"
    )
    assert len(shown) == len(set(shown))
    assert set(shown) == expected
    rates = [text.strip() for text in page.locator("[data-testid=rate]").all_inner_texts()]
    assert any(FRENCH_PERCENT.match(rate) for rate in rates), rates
    text = page.inner_text("main")
    assert "Taux par médecin" in text
    assert not CODE_WORDS.findall(text), CODE_WORDS.findall(text)
    # Their tabs: the rates and their GMF's; not the distribution per RLS.
    tabs = page.locator("[data-testid=run-tabs] a").evaluate_all(
        "links => links.map(link => link.dataset.testid)"
    )
    assert "tab-gmfs" in tabs
    assert "tab-distribution" not in tabs

    # Their GMF's own rate, and no other GMF of the region.
    page.click("[data-testid=tab-gmfs]")
    page.wait_for_selector("[data-testid=gmfs-table]")
    assert page.url == url + reverse("assiduity:run-gmfs", args=[run.pk])
    assert f"Taux d'assiduité de votre GMF {YEAR}" in page.inner_text("h1")
    gmfs = page.locator("[data-testid=gmfs-table] tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.gmf)"
    )
    assert gmfs == [own.code]
    gmf_rate = page.locator("[data-testid=gmf-rate]").inner_text().strip()
    assert FRENCH_PERCENT.match(gmf_rate), gmf_rate
    text = page.inner_text("main")
    for other in Gmf.objects.filter(rls__region=own.rls.region).exclude(pk=own.pk):
        assert other.code not in text
        assert other.name not in text
    assert f"Les membres — {own.name}" in text
    assert not CODE_WORDS.findall(text), CODE_WORDS.findall(text)
    page.screenshot(path=str(screenshot_dir / "assiduity-gmf-manager.png"), full_page=True)

    # A member's explanation, from the members' table.
    member = page.locator(f"[data-testid=members-{own.code}] tr[data-physician]").first
    code = member.get_attribute("data-physician")
    assert code in members
    member.locator("a").click()
    page.wait_for_selector("[data-testid=rate-card]")
    assert page.url == url + reverse("assiduity:physician", args=[run.pk, code])
    assert page.locator("[data-testid=rate]").inner_text().strip().endswith("%")
    text = page.inner_text("main")
    assert not CODE_WORDS.findall(text), CODE_WORDS.findall(text)

    # The distribution per RLS is not for a GMF manager: the 403 page, in French.
    response = page.goto(url + reverse("assiduity:run-distribution", args=[run.pk]))
    assert response is not None and response.status == 403
    assert page.locator("[data-testid=error-403]").count() == 1
    assert "Accès refusé" in page.inner_text("main")
    assert page.locator("#chart-distribution").count() == 0

    context.close()
    assert refused == []
