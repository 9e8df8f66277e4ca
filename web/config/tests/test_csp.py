"""The Content-Security-Policy: on every response, and the pages still work under it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from web.config.csp import CONTENT_SECURITY_POLICY
from web.regions.models import Rls
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo


def test_it_allows_only_the_sites_own_files():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/no-such-page/"])
def test_it_sends_the_policy_on_every_response(client, path):
    response = client.get(path)
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_draws_the_charts_and_runs_the_page_scripts_under_the_policy(
    live_server, browser, csp_refusals
):
    load_tiny_demo()
    rls = Rls.objects.order_by("code").first()
    context = browser.new_context(locale="fr-CA")
    page = context.new_page()
    refused = csp_refusals(page)
    url = live_server.url
    page.goto(url + reverse("accounts:login"))
    page.fill("input[name=username]", "drmg")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_selector("#chart-registration svg")  # Vega draws (it needs 'unsafe-eval')

    # The quarterly tables: the charts, and the territory list sending its form on change.
    page.goto(url + reverse("attribution:quarterly"))
    page.wait_for_selector("#chart-rate svg")
    page.select_option("[data-testid=quarterly-rls]", rls.code)
    page.wait_for_url(re.compile(rf"rls={rls.code}"))

    # The physicians' list: "Decide" opens its dialog, "Cancel" closes it.
    page.goto(url + reverse("attribution:physicians", args=[rls.code]))
    decide = page.locator("button.decide").first
    dialog_id = decide.get_attribute("data-open-dialog")
    decide.click()
    assert page.locator(f"#{dialog_id}").is_visible()
    page.locator(f"#{dialog_id} [data-close-dialog]").click()
    assert not page.locator(f"#{dialog_id}").is_visible()
    assert refused == []

    # An injected inline script is refused (what the policy is for).
    ran = page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.head.appendChild(script);
            return window.injected === true;
        }"""
    )
    assert not ran
    page.wait_for_timeout(200)
    assert refused == ["CSP refused script-src-elem: inline"]
    context.close()
