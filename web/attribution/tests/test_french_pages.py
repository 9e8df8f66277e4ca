"""The French pages of a run say everything in French (issue 15, section 5): no code word
of the engine or of Python (``none``, ``mental_health``, ``cross_rls False``,
``category_weights {}``), dates in words ("1er octobre"), one thousands separator, plural
forms. Read in French on the demo region, as a CML and the DRMG read them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import translation

from web.attribution import charts, figures
from web.attribution.models import RunStatus
from web.attribution.svgcharts import stacked_bar_chart
from web.dashboard.templatetags.panelcare_format import grouped, long_date
from web.regions.testing import visible_text

pytestmark = pytest.mark.django_db

# What must never reach a French reader: the engine's enum values, Python's literals, an
# empty dict, and a word with an underscore inside (a key: ``cross_rls``, ``home_care``).
CODE_WORDS = re.compile(
    r"\b(none|True|False|None|le304|mental_health|home_care|declined|amp_target)\b"
    r"|\{\}|\b[a-z]+_[a-z_]+\b"
)


@pytest.fixture
def _english(french: None) -> None:
    """French here: overrides the attribution conftest's English."""


def code_words(page: str) -> list[str]:
    return sorted({m.group(0) for m in CODE_WORDS.finditer(visible_text(page))})


def test_it_shows_no_code_word_on_the_french_pages_of_a_run(make_run, rimouski, client_as, cml):
    run = make_run(rls=rimouski)
    region_run = make_run(rls=None, status=RunStatus.DONE)
    drmg = client_as("drmg")
    urls = []
    for target in (run, region_run):
        detail = reverse("attribution:run-detail", args=[target.pk])
        urls += [f"{detail}?tab={tab}" for tab in figures.RUN_TABS]
        urls += [
            reverse("attribution:run-physician", args=[target.pk, row["physician_id"]])
            for row in target.summary["pages"]["physicians"]
        ]
    urls += [
        reverse("attribution:followup", args=[run.pk]),
        reverse("attribution:quarterly"),
        reverse("attribution:quarterly") + "?rls=0115",
        reverse("attribution:rules"),
    ]
    found = {}
    for url in urls:
        response = drmg.get(url)
        assert response.status_code == 200, url
        assert 'lang="fr"' in response.content.decode()
        words = code_words(response.content.decode())
        if words:
            found[url] = words
    assert found == {}


def test_it_reads_a_french_decimal_in_the_run_form(client_as, rimouski):
    cml = client_as("cml.rimouski")
    form = cml.get(reverse("attribution:run-new")).content.decode()
    assert 'name="vulnerable_cap" value="0,45"' in form  # shown the French way
    data = {
        match.group(1): match.group(2)
        for match in re.finditer(
            r'<input type="(?:text|number)" name="(\w+)" value="([^"]*)"', form
        )
    }
    data.update({"rls": "0115", "run_date": "2026-11-23", "vulnerable_cap": "0,40"})
    response = cml.post(reverse("attribution:run-new"), data)
    assert response.status_code == 302, visible_text(response.content.decode())[:2000]
    run_url = response["Location"]
    history = cml.get(run_url + "?tab=history").content.decode()
    assert "Plafond de vulnérables (part de la clientèle finale)</th><td>40 %</td>" in history


def test_it_writes_the_first_of_a_month_and_thousands_the_french_way():
    with translation.override("fr"):
        assert long_date(datetime.date(2026, 10, 1)) == "1er octobre 2026"
        assert long_date(datetime.date(2026, 10, 2)) == "2 octobre 2026"
        assert grouped(12500) == "12\xa0500"
        locale = charts.format_locale()
        assert locale["thousands"] == "\xa0" and locale["decimal"] == ","
        spec = charts.need_chart([{"group": "1a", "need": 12500, "assigned": 1}])
        assert spec["usermeta"]["embedOptions"]["formatLocale"] == locale
        svg = stacked_bar_chart([("Rimouski", [1200, 300])], ["a", "b"])
        assert "1\xa0500" in svg  # the total, as the tables write it
    with translation.override("en"):
        assert long_date(datetime.date(2026, 10, 1)) == "Oct. 1, 2026"
        assert charts.format_locale()["thousands"] == ","


def test_it_lists_every_priority_even_one_without_orphans(client_as, make_run, rimouski):
    run = make_run(rls=rimouski, status=RunStatus.DONE)
    summary = dict(run.summary)
    summary["by_priority"] = {k: v for k, v in summary["by_priority"].items() if k != "E"}
    type(run).objects.filter(pk=run.pk).update(summary=summary)
    page = client_as("drmg").get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert 'data-priority="E"' in page


def test_it_uses_plural_forms_in_french(client_as, approved_run):
    page = client_as("drmg").get(reverse("attribution:followup", args=[approved_run.pk]))
    text = " ".join(visible_text(page.content.decode()).split())
    assert "(0 mois complet)" in text  # French: 0 is singular
    assert "1 patients" not in text and "1 attribués" not in text


def test_it_wraps_the_quarterly_tables_headers(client_as):
    page = client_as("drmg").get(reverse("attribution:quarterly")).content.decode()
    assert ".report-table th { white-space: normal;" in page
    assert re.search(r"commençant le 1er (janvier|avril|juillet|octobre) \d{4}", page)
