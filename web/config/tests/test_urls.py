"""One URL convention: English paths, each app's routes under its namespace."""

from __future__ import annotations

import pytest
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404


@pytest.mark.parametrize(
    ("name", "args", "path"),
    [
        ("dashboard:home", [], "/"),
        ("dashboard:rls-detail", ["0115"], "/rls/0115/"),
        ("dashboard:rls-waitlist", ["0115"], "/rls/0115/waitlist/"),
        ("dashboard:patient-detail", ["P1"], "/patients/P1/"),
        ("accounts:login", [], "/accounts/login/"),
        ("accounts:logout", [], "/accounts/logout/"),
        ("tables:imports", [], "/tables/imports/"),
        ("tables:import-detail", [7], "/tables/imports/7/"),
        ("tables:dataset-export", [7, "csv"], "/tables/7/export/csv/"),
        ("attribution:home", [], "/attribution/"),
    ],
)
def test_it_serves_each_page_at_its_english_path(name, args, path):
    assert reverse(name, args=args) == path


@pytest.mark.parametrize(
    "old",
    [
        "/comptes/connexion/",
        "/comptes/deconnexion/",
        "/rls/0115/liste-attente/",
        "/attribution/imports/",
        "/attribution/tables/7/export/csv/",
    ],
)
def test_it_no_longer_answers_the_french_paths(old):
    with pytest.raises(Resolver404):
        resolve(old)


def test_it_puts_every_app_under_its_namespace():
    included = [p for p in get_resolver().url_patterns if isinstance(p, URLResolver)]
    # Django's language switch (i18n/set_language/) is the one route without a namespace.
    namespaces = [p.namespace for p in included if str(p.pattern) != "i18n/"]
    assert sorted(namespaces) == [
        "accounts",
        "admin",
        "assiduity",
        "attribution",
        "comanagement",
        "dashboard",
        "quality",
        "tables",
    ]
