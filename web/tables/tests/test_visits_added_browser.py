"""Adding a month of visits to the year in a real browser, as the DRMG of the tiny demo
does it: the mode chosen on the imports page, the preview's counts, Apply."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from django.urls import reverse

from web.regions.models import Region
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def month_csv(path, region: Region, new: int, corrected: int) -> None:
    """``new`` visits of March 2026 made from visits in force, and ``corrected`` visits in
    force sent again with another setting, as a French spreadsheet's CSV (semicolons)."""
    table = read_dataset(Dataset.current(region, DatasetKind.VISITS))
    text = pa.table({name: pc.cast(table.column(name), pa.string()) for name in table.column_names})
    fresh = text.slice(0, new)
    fresh = fresh.set_column(0, "visit_id", pa.array([f"VMARS{n:05d}" for n in range(new)]))
    days = pa.array([f"2026-03-{1 + n % 28:02d}" for n in range(new)])
    fresh = fresh.set_column(fresh.column_names.index("visit_date"), "visit_date", days)
    again = text.slice(new, corrected)
    settings = ["domicile" if s != "domicile" else "cabinet" for s in again["setting"].to_pylist()]
    again = again.set_column(again.column_names.index("setting"), "setting", pa.array(settings))
    pacsv.write_csv(pa.concat_tables([fresh, again]), path, pacsv.WriteOptions(delimiter=";"))


def test_it_adds_a_month_of_visits_and_shows_what_it_changes(
    live_server, page, screenshot_dir, tmp_path
):
    load_tiny_demo()
    region = Region.objects.get()
    in_force = Dataset.current(region, DatasetKind.VISITS).rows
    path = tmp_path / "visites-2026-03.csv"
    month_csv(path, region, new=120, corrected=3)

    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", "drmg")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.goto(live_server.url + reverse("tables:imports"))
    page.select_option("[data-testid=import-kind]", DatasetKind.VISITS)
    page.check("[data-testid=import-modes] input[value=add]")
    page.set_input_files("[data-testid=import-file]", str(path))
    page.locator("[data-testid=import-form]").screenshot(
        path=str(screenshot_dir / "assiduity-visits-add-form.png")
    )
    page.click("[data-testid=import-submit]")

    page.wait_for_selector("[data-testid=import-apply]")
    assert page.locator("[data-testid=preview-added]").inner_text() == "120"
    assert page.locator("[data-testid=preview-replaced]").inner_text() == "3"
    assert page.locator("[data-testid=preview-kept]").inner_text().replace("\u00a0", "") == str(
        in_force - 3
    )
    page.screenshot(path=str(screenshot_dir / "assiduity-visits-added.png"), full_page=True)
    page.click("[data-testid=import-apply]")
    page.wait_for_selector("[data-testid=import-status][data-status=applied]")
    dataset = Dataset.current(region, DatasetKind.VISITS)
    assert (dataset.version, dataset.rows) == (2, in_force + 120)
