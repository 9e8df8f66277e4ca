"""The DRMG's counts per cycle (``/quality/counts/``): the region's counts, right on a
hand-built set, never a physician's name; 403 for every other side, the coach included."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from web.quality.tests.conftest import EXPECTED_2026, NAMES, hand_built_counts
from web.regions.testing import visible_text

URL = reverse("quality:drmg")


def counts_of(page: str, cycle: int) -> dict[str, int]:
    """The counts of the row of ``cycle``, by key."""
    row = re.search(rf'data-cycle="{cycle}">(.*?)</tr>', page, re.S)
    assert row, cycle
    return {
        key: int(count)
        for key, count in re.findall(r'data-testid="count-(\w+)">(\d+)</td>', row.group(1))
    }


def test_it_shows_the_counts_of_each_cycle(world, client_for):
    hand_built_counts(world)

    page = client_for("drmg").get(URL).content.decode()

    # The page counts on today, the set was built for 1 June 2027: the counts that do not
    # depend on the day are checked here (the others in test_progress).
    counts = counts_of(page, 2026)
    for key in ("selected", "deferred", "in_group", "groups_formed", "plans_accepted"):
        assert counts[key] == EXPECTED_2026[key], key
    assert counts_of(page, 2031)["selected"] == 1
    assert page.index('data-cycle="2031"') < page.index('data-cycle="2026"')  # latest first
    assert "2026-2030" in visible_text(page)


def test_it_names_no_physician(world, client_for):
    hand_built_counts(world)

    page = client_for("drmg").get(URL).content.decode()

    assert not [name for name in NAMES if name in page]
    assert "Dr Zacharie Tremblay" not in page
    assert "Groupe du Fleuve" not in page  # nor a group


def test_it_shows_another_regions_drmg_their_own_counts(world, client_for):
    hand_built_counts(world)

    page = client_for("drmg9").get(URL).content.decode()

    assert counts_of(page, 2026)["selected"] == 1  # M20 only
    assert 'data-cycle="2031"' not in page


def test_it_says_when_no_physician_is_selected(world, client_for):
    world.selection.delete()

    page = client_for("drmg").get(URL).content.decode()

    assert 'data-testid="no-cycle"' in page
    assert 'data-testid="cycle"' not in page


@pytest.mark.parametrize("name", ["m1", "cml", "gmf", "ciusss", "coach", "doc_no_record"])
def test_it_refuses_anyone_but_the_drmg(world, client_for, name):
    assert client_for(name).get(URL).status_code == 403


def test_it_asks_an_anonymous_visitor_to_log_in(world, client):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_it_shows_no_code_word_on_the_french_page(world, client_for):
    hand_built_counts(world)

    page = client_for("drmg").get(URL, headers={"accept-language": "fr"}).content.decode()

    text = visible_text(page)
    assert re.findall(r"\b(None|none|True|False|[a-z]+_[a-z_]+)\b", text) == []
    headers = re.findall(r'<th class="num">(.*?)</th>', page)
    assert len(headers) == len(EXPECTED_2026)
    assert not set(headers) & set(EXPECTED_2026)  # labels, not keys
