"""The client's address behind the reverse proxy, as the login lockout counts it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from web.accounts.models import Role
from web.config.client_ip import client_ip_address
from web.regions.testing import DEMO_PASSWORD, make_user

PROXY = "10.0.0.2"


def request_from(remote_addr: str, forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/accounts/login/", **extra)


def test_it_ignores_x_forwarded_for_without_a_trusted_proxy(settings):
    settings.PANELCARE_TRUSTED_PROXIES = 0
    assert client_ip_address(request_from("198.51.100.7", "203.0.113.5")) == "198.51.100.7"


def test_it_takes_the_address_the_trusted_proxy_appended(settings):
    settings.PANELCARE_TRUSTED_PROXIES = 1
    # The client wrote the first entry itself; the proxy appended the real address.
    request = request_from(PROXY, "1.2.3.4, 203.0.113.5")
    assert client_ip_address(request) == "203.0.113.5"


def test_it_counts_proxies_from_the_right(settings):
    settings.PANELCARE_TRUSTED_PROXIES = 2
    request = request_from(PROXY, "1.2.3.4, 203.0.113.5, 10.0.0.1")
    assert client_ip_address(request) == "203.0.113.5"


@pytest.mark.parametrize("forwarded_for", [None, "", "not-an-address"])
def test_it_falls_back_to_the_proxy_address_on_a_missing_or_malformed_header(
    settings, forwarded_for
):
    settings.PANELCARE_TRUSTED_PROXIES = 1
    assert client_ip_address(request_from(PROXY, forwarded_for)) == PROXY


# The lockout itself, through the login page (each login checks a password hash slowly).


@pytest.fixture
def cml(territory):
    return make_user(Role.CML, rls=territory.rls, username="cml.rimouski")


def log_in(client, password: str, **extra):
    return client.post(
        reverse("accounts:login"),
        {"username": "cml.rimouski", "password": password},
        REMOTE_ADDR=PROXY,
        **extra,
    )


@pytest.mark.slow
def test_it_locks_two_clients_behind_one_proxy_separately(settings, client, cml):
    settings.PANELCARE_TRUSTED_PROXIES = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert log_in(client, DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # Another person behind the same proxy still logs in.
    response = log_in(client, DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 302


@pytest.mark.slow
def test_it_ignores_a_forged_x_forwarded_for_without_a_trusted_proxy(settings, client, cml):
    settings.PANELCARE_TRUSTED_PROXIES = 0
    # An attacker changing the header on every try still gets locked out.
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
    response = log_in(client, DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429
