"""The 400, 403, 404 and 500 pages, the refused-form page, the favicon and the log of a 403.

Error pages are French by default and English when the user chose English, like every
page; they keep the site's header (navigation, language switch) and never show Django's
English pages or a traceback.
"""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.views import defaults

from web.accounts.models import Role
from web.regions.testing import make_user

pytestmark = pytest.mark.urls("web.config.tests.urls")

TITLES = {
    403: {"fr": "Accès refusé", "en": "Access refused"},
    404: {"fr": "Page introuvable", "en": "Page not found"},
    500: {"fr": "Erreur du serveur", "en": "Server error"},
}
PATHS = {403: "/test-refused/", 404: "/no-such-page/", 500: "/test-broken/"}


def in_language(client: Client, language: str) -> Client:
    if language != settings.LANGUAGE_CODE:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def drmg_client(territory) -> Client:
    """A DRMG of the small territory, whose client shows the 500 page (no exception)."""
    client = Client(raise_request_exception=False)
    client.force_login(make_user(Role.DRMG, region=territory.region))
    return client


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("status", [403, 404])
def test_it_shows_the_error_page_with_the_navigation(drmg_client, status, language):
    response = in_language(drmg_client, language).get(PATHS[status])
    assert response.status_code == status
    assert response["Content-Language"] == language
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert f'data-testid="error-{status}"' in body
    assert f"<h1>{TITLES[status][language]}</h1>" in body
    assert 'data-testid="nav-attribution"' in body  # the DRMG's menu
    assert f'href="{reverse("dashboard:home")}"' in body
    other = "en" if language == "fr" else "fr"
    assert f'data-testid="lang-{other}"' in body
    assert "Forbidden" not in body and "Not Found" not in body
    assert "refused-for-the-test" not in body  # the exception's text is for the log


@pytest.mark.parametrize("language", ["fr", "en"])
def test_it_shows_the_server_error_page_with_the_site_header(db, language):
    client = in_language(Client(raise_request_exception=False), language)
    response = client.get(PATHS[500])
    assert response.status_code == 500
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert 'data-testid="error-500"' in body
    assert f"<h1>{TITLES[500][language]}</h1>" in body
    assert 'class="brand"' in body and 'data-testid="lang-' in body
    assert "broken-for-the-test" not in body and "Traceback" not in body


def test_it_renders_the_server_error_page_without_the_database(rf):
    # No django_db mark: a query here would fail the test. The error may be the database's.
    response = defaults.server_error(rf.get("/"))
    assert response.status_code == 500
    assert "<h1>Erreur du serveur</h1>" in response.content.decode()


def test_it_renders_the_bad_request_page_in_french(rf):
    response = defaults.bad_request(rf.get("/"), exception=ValueError("bad"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "<h1>Requête refusée</h1>" in body
    assert "Bad Request" not in body


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("fr", "Le formulaire a expiré"), ("en", "The form has expired")],
)
def test_it_explains_a_form_refused_by_the_csrf_check(db, language, sentence):
    client = in_language(Client(enforce_csrf_checks=True), language)
    response = client.post(reverse("set_language"), {"language": "en"})
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="csrf-failure"' in body
    assert sentence in body
    assert "CSRF verification failed" not in body and "Forbidden" not in body


def test_it_logs_a_403_in_one_line_without_a_traceback(drmg_client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = drmg_client.get(PATHS[403])
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert records[0].status_code == 403
    assert records[0].exc_info is None
    assert "/test-refused/" in records[0].getMessage()
    assert "Traceback" not in caplog.text
    assert "refused-for-the-test" not in caplog.text


def test_it_still_logs_the_traceback_of_a_server_error(db, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client(raise_request_exception=False).get(PATHS[500])
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.status_code == 500
    assert record.exc_info is not None
    assert "broken-for-the-test" in caplog.text


def test_it_redirects_favicon_ico_to_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"


def test_it_ships_the_favicon_and_links_it_from_every_page(db, client):
    path = finders.find("favicon.svg")
    assert path is not None
    with open(path, encoding="utf-8") as icon:
        assert icon.read().startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in body
