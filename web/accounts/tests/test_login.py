"""Login, logout, and the lockout after repeated failures (django-axes)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from web.accounts.models import Role
from web.regions.testing import DEMO_PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cml(territory):
    return make_user(Role.CML, rls=territory.rls, username="cml.rimouski")


def log_in(client, password: str):
    return client.post(
        reverse("accounts:login"), {"username": "cml.rimouski", "password": password}
    )


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_serves_the_login_page_at_accounts_login(client):
    assert reverse("accounts:login") == "/accounts/login/"
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_it_logs_a_user_in_and_sends_them_to_the_dashboard(client, cml):
    response = log_in(client, DEMO_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert is_logged_in(client)


def test_it_refuses_a_wrong_password(client, cml):
    response = log_in(client, "wrong")
    assert response.status_code == 200
    assert not is_logged_in(client)


@pytest.mark.slow  # each login checks a password hash on purpose slowly (about 0.3 s)
def test_it_locks_the_account_after_five_failures(client, cml):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(5):
        log_in(client, "wrong")
    response = log_in(client, DEMO_PASSWORD)
    assert response.status_code == 429
    assert not is_logged_in(client)
    assert "accounts/locked_out.html" in [t.name for t in response.templates]


@pytest.mark.slow  # ten logins, each checking a password hash (about 0.3 s)
def test_it_forgets_failures_after_a_success(client, cml):
    for _ in range(4):
        log_in(client, "wrong")
    log_in(client, DEMO_PASSWORD)
    client.post(reverse("accounts:logout"))
    assert not is_logged_in(client)
    for _ in range(4):
        log_in(client, "wrong")
    log_in(client, DEMO_PASSWORD)
    assert is_logged_in(client)


def test_it_logs_out_on_post_at_accounts_logout(client, cml):
    client.force_login(cml)
    assert reverse("accounts:logout") == "/accounts/logout/"
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not is_logged_in(client)
