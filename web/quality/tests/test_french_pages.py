"""The QI groups in French, whole: every page of ``/quality/`` as the demo's physician,
coach and DRMG read it (the demo region has a group at each stage, so every kind of record
is on some page) says everything in French: no English sentence left, no code word (a
model's choice, a composition basis, an indicator, Python's ``None``), days and numbers
written the French way.

The routes are read from ``web/quality/urls.py``: a new route is visited as soon as it is
added (its ``<pk>`` taken from :data:`RECORDS_OF`, which must then name it)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.test import Client
from django.urls import URLPattern, reverse

from panelcare.quality.groups import BASES
from web.comanagement.tests.test_french_pages import (
    CODE_SHAPES,
    ENGLISH,
    ENGLISH_NUMBER,
    ISO_DAY,
    page_text,
)
from web.quality import models as quality_models
from web.quality import urls as quality_urls
from web.quality.models import Activity, Completion, Goal, Group, Invitation, PdsaCycle

pytestmark = pytest.mark.usefixtures("demo")

SIDES = ("medecin", "coach", "drmg")
# French words spelt like a choice of the quality records.
FRENCH_HOMOGRAPHS = {"plan", "do", "comments"}
# French words the English list holds: « Report » (a deferral of the cycle).
FRENCH_WORDS = re.compile(r"\bReport\b")


def _code_words() -> set[str]:
    codes: set[str] = {"none", "None", "True", "False", "nan", "NaN"}
    for value in vars(quality_models).values():
        if (
            isinstance(value, type)
            and issubclass(value, models.TextChoices)
            and value.__module__ == quality_models.__name__
        ):
            codes.update(str(choice) for choice in value.values if choice)
    codes.update(BASES)
    return codes - FRENCH_HOMOGRAPHS


CODE_WORDS = _code_words()


def problems_of(text: str) -> dict[str, list[str]]:
    """What in ``text`` is not French: English words, code words, numbers with a decimal
    point, ISO days."""
    text = FRENCH_WORDS.sub(" ", text)
    codes = {m.group(0) for m in CODE_SHAPES.finditer(text)}
    codes.update(word for word in re.findall(r"\w+", text) if word in CODE_WORDS)
    found = {
        "english": sorted({m.group(0) for m in ENGLISH.finditer(text)}),
        "codes": sorted(codes),
        "numbers": sorted({m.group(0) for m in ENGLISH_NUMBER.finditer(text)}),
        "days": sorted({m.group(0) for m in ISO_DAY.finditer(text)}),
    }
    return {key: words for key, words in found.items() if words}


def test_it_tells_english_and_code_words_from_french():
    assert problems_of("The plan is submitted") == {
        "english": ["The", "is"],
        "codes": ["submitted"],
    }
    assert problems_of("Objectif health_team_gmf le 2026-12-01, 1.5 mesure") == {
        "codes": ["health_team_gmf"],
        "numbers": ["1.5"],
        "days": ["2026-12-01"],
    }
    assert problems_of("Le plan est soumis le 1er décembre 2026 : 1,5 mesure.") == {}


# The records whose pks fill ``<int:pk>`` of a route, by the route's first words.
RECORDS_OF: dict[str, Any] = {
    "selection/": lambda: [],  # a POST (defer): no page
    "groups/": lambda: list(Group.objects.values_list("pk", flat=True)),
    "invitations/": lambda: list(Invitation.objects.values_list("pk", flat=True)),
    "activities/": lambda: list(Activity.objects.values_list("pk", flat=True)),
    "goals/": lambda: list(Goal.objects.values_list("pk", flat=True)),
    "pdsa/": lambda: list(PdsaCycle.objects.values_list("pk", flat=True)),
    "completions/": lambda: list(Completion.objects.values_list("pk", flat=True)),
}


def urls_of(pattern: URLPattern) -> list[str]:
    route = str(pattern.pattern)
    converters = pattern.pattern.converters
    name = f"quality:{pattern.name}"
    if "pk" not in converters:
        return [reverse(name)]
    starts = [start for start in RECORDS_OF if route.startswith(start)]
    assert starts, f"RECORDS_OF names no record for the route {route!r}"
    pks = RECORDS_OF[starts[0]]()
    if "kind" in converters:
        return [
            reverse(name, kwargs={"pk": pk, "kind": kind})
            for pk in pks
            for kind in quality_models.ActivityKind.values
        ]
    return [reverse(name, kwargs={"pk": pk}) for pk in pks]


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


def test_it_says_every_page_in_french_to_each_side(capsys):
    problems: dict[str, dict[str, list[str]]] = {}
    read: set[str] = set()
    statuses: dict[str, set[int]] = {}
    for username in SIDES:
        client = _client(username)
        for pattern in quality_urls.urlpatterns:
            if not isinstance(pattern, URLPattern):
                continue
            for url in urls_of(pattern):
                response = client.get(url)
                assert response.status_code != 501, url
                statuses.setdefault(str(pattern.name), set()).add(response.status_code)
                if response.status_code == 200:
                    read.add(str(pattern.name))
                if response.status_code == 405:
                    continue  # a button's POST
                if not response["Content-Type"].startswith("text/html"):
                    continue  # the certificate (PDF)
                content = response.content.decode()
                assert '<html lang="fr"' in content, url
                found = problems_of(page_text(content))
                if found:
                    problems[f"{username} {url}"] = found
    with capsys.disabled():
        for where, found in sorted(problems.items()):
            print(f"NOT FRENCH {where}: {found}")
    assert problems == {}
    # Every route is a page someone reads, but the buttons' POSTs (405 to a GET).
    unread = {name for name, codes in statuses.items() if name not in read and codes != {405}}
    assert unread == set(), {name: statuses[name] for name in unread}
