"""The whole attribution path in a real browser, as the CML of the tiny demo's first RLS:
import a waiting list (a bad row first), run, read an explanation, adjust, approve, write
the letters and read the physician's expected number in the PDF. Takes the screenshots of
docs/screens/attribution-*.png."""

from __future__ import annotations

import io
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from django.urls import reverse
from pypdf import PdfReader

from panelcare.attribution.store import read_plan
from web.attribution.models import Run, RunAdjustment, RunStatus
from web.regions.models import Region, Rls
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def waitlist_csv(path, rls_code: str, *, bad_row: int | None = None) -> None:
    """The current waiting list of ``rls_code`` with one patient added, as CSV; with
    ``bad_row``, that data row's requested_on is not a date."""
    table = read_dataset(Dataset.current(Region.objects.get(), DatasetKind.WAITLIST))
    table = table.filter(pc.equal(table.column("rls_id"), rls_code))
    text = pa.table({name: pc.cast(table.column(name), pa.string()) for name in table.column_names})
    rows = text.to_pylist()
    newcomer = dict(rows[0], patient_id="P-NOUVEAU-1", priority="A", requested_on="2026-10-01")
    rows.append(newcomer)
    if bad_row is not None:
        rows[bad_row - 1]["requested_on"] = "le 3 mars"
    pacsv.write_csv(pa.Table.from_pylist(rows, schema=text.schema), path)


def test_it_takes_a_cml_from_the_import_to_the_letters(live_server, page, screenshot_dir, tmp_path):
    load_tiny_demo()
    region = Region.objects.get()
    rls = Rls.objects.get(profiles__user__username="cml.rimouski")
    url = live_server.url
    bad, good = tmp_path / "gamf.csv", tmp_path / "gamf-corrige.csv"
    waitlist_csv(bad, rls.code, bad_row=5)
    waitlist_csv(good, rls.code)

    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", "cml.rimouski")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.click("[data-testid=nav-attribution]")
    page.wait_for_selector("[data-testid=rls-list]")
    page.screenshot(path=str(screenshot_dir / "attribution-home.png"), full_page=True)

    # 1. A waiting list with one bad row is refused whole: nothing is written.
    page.goto(url + reverse("tables:imports"))
    page.select_option("[data-testid=import-kind]", "waitlist")
    page.set_input_files("[data-testid=import-file]", str(bad))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=import-errors]")
    error = page.locator("[data-testid=import-error]").first
    assert (error.get_attribute("data-row"), error.get_attribute("data-column")) == (
        "5",
        "requested_on",
    )
    assert page.locator("[data-testid=import-apply]").count() == 0
    assert Dataset.objects.filter(region=region, kind=DatasetKind.WAITLIST).count() == 1

    # 2. The fixed file: the preview shows the one patient added, then it is applied.
    page.goto(url + reverse("tables:imports"))
    page.select_option("[data-testid=import-kind]", "waitlist")
    page.set_input_files("[data-testid=import-file]", str(good))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=import-apply]")
    assert page.locator("[data-testid=preview-added]").inner_text() == "1"
    page.click("[data-testid=import-apply]")
    page.wait_for_selector("[data-testid=import-status][data-status=applied]")
    assert Dataset.current(region, DatasetKind.WAITLIST).version == 2

    # The physicians' table of the RLS.
    page.goto(url + reverse("attribution:physicians", args=[rls.code]))
    page.wait_for_selector("[data-testid=physicians-table]")
    page.screenshot(path=str(screenshot_dir / "attribution-physicians.png"), full_page=True)

    # 3. A run with the default parameters, on the new version.
    page.goto(url + reverse("attribution:run-new"))
    page.screenshot(path=str(screenshot_dir / "attribution-run-form.png"), full_page=True)
    page.click("[data-testid=run-submit]")
    page.wait_for_selector("[data-testid=run-status][data-status=done]", timeout=60_000)
    run = Run.objects.get()
    assert (run.rls, run.waitlist.version) == (rls, 2)
    page.screenshot(path=str(screenshot_dir / "attribution-run.png"), full_page=True)
    page.goto(url + reverse("attribution:run-detail", args=[run.pk]) + "?tab=charts")
    page.wait_for_selector("[data-testid=chart-map] svg")
    page.screenshot(path=str(screenshot_dir / "attribution-run-charts.png"), full_page=True)

    # 4. A patient's explanation, one click away.
    page.goto(url + reverse("attribution:run-detail", args=[run.pk]) + "?tab=patients")
    first = page.locator("[data-testid^=explain-P]").first
    patient_code = first.get_attribute("data-testid").removeprefix("explain-")
    first.click()
    page.wait_for_selector("[data-testid=patient-explanation]")
    assert patient_code in page.locator("[data-testid=patient-explanation]").inner_text()
    page.screenshot(path=str(screenshot_dir / "attribution-explanation.png"), full_page=False)

    # 5. Adjust: move that patient to another participating physician.
    # The picker: "Move" on the patient's row, then the eligible physicians as one types.
    plan = read_plan(run.folder / "plan")
    row = list(plan.orphans.patient_id).index(patient_code)
    page.click(f"[data-testid=move-{patient_code}]")
    page.wait_for_selector("[data-testid=move-form]")
    options = page.locator("[data-testid=move-physician] option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    destination = next(code for code in options if code)
    page.fill("[data-testid=move-search]", destination)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=move-physician] option').length === 2"
    )
    page.select_option("[data-testid=move-physician]", destination)
    page.click("[data-testid=move-submit]")
    page.wait_for_selector("[data-testid=consequences]")
    assert RunAdjustment.objects.filter(run=run, patient_code=patient_code).count() == 1
    moved = read_plan(run.folder / "plan")
    assert moved.physicians.physician_id[moved.physician_of[row]] == destination

    # 6. Approve: the run is frozen.
    page.goto(url + reverse("attribution:run-detail", args=[run.pk]))
    page.click("[data-testid=approve-button]")
    # The confirmation page (nothing in force to supersede here), then the run page.
    page.click("[data-testid=approve-confirm]")
    page.wait_for_selector("[data-testid=approved]")
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED
    assert page.locator("[data-testid=move-form]").count() == 0

    # 7. The letters: written, downloaded, and the PDF says what the plan says.
    page.goto(url + reverse("attribution:letters", args=[run.pk]))
    page.click("[data-testid=letters-generate]")
    page.wait_for_selector("[data-testid=letters-merged]", timeout=120_000)
    page.screenshot(path=str(screenshot_dir / "attribution-letters.png"), full_page=True)
    plan = read_plan(run.folder / "plan")
    assigned = plan.assigned_count()
    physician = str(plan.physicians.physician_id[assigned.argmax()])
    expected = int(assigned.max())
    with page.expect_download() as download_info:
        page.click(f"[data-testid=letter-{physician}-personal]")
    pdf = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    text = " ".join(page_.extract_text() for page_ in pdf.pages)
    assert re.search(rf"Nombre de patients attendus\s+{expected}\b", text), text
    assert re.search(rf"vous dirigera {expected} patients", text), text
    assert str(plan.physicians.name[assigned.argmax()]) in text

    # The follow-up and the quarterly tables, for the screenshots.
    page.goto(url + reverse("attribution:followup", args=[run.pk]))
    page.wait_for_selector("[data-testid=followup-physicians]")
    page.screenshot(path=str(screenshot_dir / "attribution-followup.png"), full_page=True)
    page.goto(url + reverse("attribution:quarterly"))
    page.wait_for_selector("[data-testid=quarterly-rate]")
    page.screenshot(path=str(screenshot_dir / "attribution-quarterly.png"), full_page=True)
