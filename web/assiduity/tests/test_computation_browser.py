"""A computation of the assiduity in a real browser, as the DRMG of the tiny demo region
runs it, in French: the form of /assiduity/ starts the demo year, the progress box polls
(htmx) while the task waits and then computes, the page reloads on the rates table, the
table is sorted by rate and exported as XLSX. Takes the screenshot
docs/screens/assiduity-rates.png.

The task really runs, through the immediate backend of the assiduity's tests
(``immediate_tasks``), but not inside the request that starts it: the start queues its
id (as ``hold_queue`` does), the page shows the run waiting and polls, then the test
enqueues the task itself. The page's polls are held in the browser while the task
computes (a Playwright route, answered only when the test is back in Playwright), so
that the live server's thread and the task never use the test database's shared
connection at the same time."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from panelcare.assiduity.results import read_rates
from web.assiduity import services, tasks
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.regions.demo import DEFAULT_SEED, _demo_notice_physician
from web.regions.models import Region
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words of the engine or of Python that must not reach a French reader.
CODE_WORDS = re.compile(r"\b(none|full|half|no_visits|three_quarters|None|True|False)\b")
FRENCH_PERCENT = re.compile(r"^(\d+),(\d) %$")


def french_percent(text: str) -> float | None:
    """ "84,4 %" -> 84.4; None for "—" (no rate)."""
    text = text.strip()
    if text == "—":
        return None
    found = FRENCH_PERCENT.match(text)
    assert found, text
    return float(f"{found[1]}.{found[2]}")


def test_it_computes_polls_sorts_and_exports_the_rates(
    live_server, browser, csp_refusals, screenshot_dir, monkeypatch
):
    load_tiny_demo()
    region = Region.objects.get()
    drmg = User.objects.get(username="drmg")
    # The demo's DRMG notice, recorded before the computation reads it (the table's column).
    noticed = _demo_notice_physician("tiny", DEFAULT_SEED, timezone.localdate())
    assert noticed is not None
    services.do_record_drmg_notice(region, noticed, YEAR, "Poste vacant.", acting_user=drmg)
    queued: list[int] = []
    monkeypatch.setattr(services, "enqueue_assiduity_run", queued.append)

    context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = csp_refusals(page)
    polls: list[str] = []

    def poll(route):
        polls.append(route.request.url)
        route.continue_()

    page.route("**/assiduity/runs/*/progress/", poll)
    url = live_server.url
    page.goto(url + reverse("accounts:login"))
    page.fill("input[name=username]", "drmg")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_load_state()

    # The form of the home page starts the demo year.
    page.goto(url + reverse("assiduity:home"))
    assert "Taux d'assiduité" in page.inner_text("h1")
    assert "Calculer les taux" in page.inner_text("main")
    page.fill("[data-testid=start-year]", str(YEAR))
    page.click("[data-testid=start-button]")
    page.wait_for_selector("[data-testid=run-status][data-status=queued]")
    run = AssiduityRun.objects.get()
    assert (run.year, run.status, queued) == (YEAR, AssiduityRunStatus.QUEUED, [run.pk])
    assert page.url == url + reverse("assiduity:run-detail", args=[run.pk])
    assert page.locator("[data-testid=rates-table]").count() == 0
    box = page.locator("#run-progress")
    assert box.get_attribute("hx-get") == reverse("assiduity:run-progress", args=[run.pk])
    assert "En attente" in box.inner_text()
    assert "en attente d'un processus de traitement" in box.inner_text()

    # The box polls, and says the run still waits.
    with page.expect_response(lambda response: "/progress/" in response.url) as polled:
        pass
    assert polled.value.status == 200
    page.wait_for_selector("[data-testid=run-status][data-status=queued]")
    assert len(polls) >= 1

    # The task computes (its polls held in the browser meanwhile), then the next poll
    # reloads the page on the rates table.
    tasks.compute_assiduity_run.enqueue(queued.pop())
    run.refresh_from_db()
    assert run.status == AssiduityRunStatus.DONE, run.error
    page.wait_for_selector("[data-testid=rates-table]", timeout=30_000)
    assert len(polls) >= 2
    assert page.locator("[data-testid=run-status]").get_attribute("data-status") == "done"
    assert page.locator("#run-progress").get_attribute("hx-get") is None
    assert "Terminé" in page.locator("#run-progress").inner_text()
    text = page.inner_text("main")
    assert f"Taux d'assiduité {YEAR}" in page.inner_text("h1")
    for header in ("Taux par médecin", "Part des suppléments payée", "Comité paritaire"):
        assert header in text
    assert not CODE_WORDS.findall(text), CODE_WORDS.findall(text)

    # Sorted by rate (the header's link): the lowest first, the rows without a rate last.
    total = read_rates(run.results_folder).num_rows
    page.click("[data-testid=sort-rate]")
    page.wait_for_url(re.compile(r"\?sort=rate$"))
    header = page.locator("[data-testid=sort-rate]").locator("xpath=..").inner_text()
    assert header.endswith("↑")
    shown = page.locator("[data-testid=rates-table] tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.physician)"
    )
    assert len(shown) == min(total, 50)
    rates = [french_percent(text) for text in page.locator("[data-testid=rate]").all_inner_texts()]
    valued = [rate for rate in rates if rate is not None]
    assert valued and valued == sorted(valued)
    assert rates[: len(valued)] == valued  # no rate: last
    assert valued[0] < valued[-1]
    # The new columns: the share paid, the committee's flag, the DRMG notice.
    noticed_row = page.locator(f"[data-testid=rates-table] tr[data-physician='{noticed}']")
    if total <= 50:
        notice_cell = noticed_row.locator("[data-testid=notice]").inner_text()
        assert "Avis" in notice_cell and "réputé atteindre la cible" in notice_cell
    page.screenshot(path=str(screenshot_dir / "assiduity-rates.png"), full_page=True)

    # The XLSX export: every row, in the page's order, French headers.
    assert page.locator("[data-testid=export-xlsx]").get_attribute("href").endswith("?sort=rate")
    with page.expect_download() as downloaded:
        page.click("[data-testid=export-xlsx]")
    download = downloaded.value
    assert download.suggested_filename == f"taux-assiduite-{YEAR}-{run.pk}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    (sheet,) = book.worksheets
    headers, *rows = list(sheet.iter_rows(values_only=True))
    # The columns of the rates table's export (figures.rates_export): the physician's
    # number first, the rate (a percent, 82.5) ninth.
    number, rate = 0, 8
    assert len(rows) == total
    assert [row[number] for row in rows][: len(shown)] == shown
    file_rates = [row[rate] for row in rows][: len(rates)]
    assert file_rates == rates
    # Headers in the reader's language.
    assert headers[1] == "Médecin"
    assert (headers[number], headers[rate]) == ("Numéro du médecin", "Taux (%)")

    context.close()
    assert refused == []
