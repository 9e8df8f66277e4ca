"""Login, logout, and the lockout after repeated failures (django-axes)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from web.accounts.models import Role
from web.regions.testing import DEMO_PASSWORD, make_user
from web.regions.tests.factories import make_territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cml():
    return make_user(Role.CML, rls=make_territory().rls, username="cml.rimouski")


def log_in(client, password: str):
    return client.post(reverse("login"), {"username": "cml.rimouski", "password": password})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_serves_the_login_page_at_comptes_connexion(client):
    assert reverse("login") == "/comptes/connexion/"
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_it_logs_a_user_in_and_sends_them_to_the_dashboard(client, cml):
    response = log_in(client, DEMO_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert is_logged_in(client)


def test_it_refuses_a_wrong_password(client, cml):
    response = log_in(client, "wrong")
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_it_locks_the_account_after_five_failures(client, cml):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(5):
        log_in(client, "wrong")
    response = log_in(client, DEMO_PASSWORD)
    assert response.status_code == 429
    assert not is_logged_in(client)
    assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_it_forgets_failures_after_a_success(client, cml):
    for _ in range(4):
        log_in(client, "wrong")
    log_in(client, DEMO_PASSWORD)
    client.post(reverse("logout"))
    assert not is_logged_in(client)
    for _ in range(4):
        log_in(client, "wrong")
    log_in(client, DEMO_PASSWORD)
    assert is_logged_in(client)


def test_it_logs_out_on_post_at_comptes_deconnexion(client, cml):
    client.force_login(cml)
    assert reverse("logout") == "/comptes/deconnexion/"
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert not is_logged_in(client)
