"""The assiduity's pages in French say everything in French: no code word of the engine
(``three_quarters``, ``no_visits``, ``other_provider``) or of Python (``None``, ``True``),
rates as French percents. Read as the DRMG and a physician read them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from web.assiduity import services
from web.assiduity.tests.conftest import YEAR
from web.regions.testing import visible_text

pytestmark = pytest.mark.django_db

# What must never reach a French reader: the engine's words, Python's literals, an empty
# dict, and a word with an underscore inside (a key: ``no_visits``, ``payment_pct``).
CODE_WORDS = re.compile(
    r"\b(none|full|half|True|False|None|queued|running|done|failed|cancelled)\b"
    r"|\{\}|\b[a-z]+_[a-z_]+\b"
)


@pytest.fixture
def _english(french: None) -> None:
    """French here: overrides the assiduity conftest's English."""


def code_words(page: str) -> list[str]:
    return sorted({m.group(0) for m in CODE_WORDS.finditer(visible_text(page))})


def test_it_shows_no_code_word_on_the_french_pages(client_as, done_run, region, drmg, hold_queue):
    queued = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    detail = reverse("assiduity:run-detail", args=[done_run.pk])
    pages = {
        "drmg": [
            reverse("assiduity:home"),
            detail,
            detail + "?sort=-rate",
            detail + "?sort=gmf",
            reverse("assiduity:run-detail", args=[queued.pk]),
            reverse("assiduity:run-progress", args=[queued.pk]),
        ],
        "medecin": [reverse("assiduity:home"), detail],
        "gestion.gmf": [detail],
    }
    found = {}
    for username, urls in pages.items():
        client = client_as(username)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            page = response.content.decode()
            if "progress" not in url:
                assert 'lang="fr"' in page
            words = code_words(page)
            if words:
                found[(username, url)] = words
    assert found == {}


def test_it_writes_the_rates_as_french_percents(drmg_client, done_run):
    page = drmg_client.get(reverse("assiduity:run-detail", args=[done_run.pk])).content.decode()
    rates = re.findall(r'data-testid="rate">([^<]*)<', page)
    assert rates and all(re.fullmatch(r"\d{1,3},\d %|—", rate) for rate in rates), rates
