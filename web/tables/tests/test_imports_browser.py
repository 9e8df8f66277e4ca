"""The imports page in a real browser, as the CML of the tiny demo's first RLS uses it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from web.regions.models import Region
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def own_waitlist_csv(path, *, bad_priority_row: int | None = None) -> None:
    """The current waiting list of cml.rimouski's RLS, one row fewer, as CSV text; one
    priority wrong when asked."""
    own = User.objects.get(username="cml.rimouski").profile.rls.get()
    table = read_dataset(Dataset.current(Region.objects.get(), DatasetKind.WAITLIST))
    table = table.filter(pc.equal(table.column("rls_id"), own.code)).slice(1)
    text = pa.table({name: pc.cast(table.column(name), pa.string()) for name in table.column_names})
    if bad_priority_row is not None:
        cells = text.column("priority").to_pylist()
        cells[bad_priority_row] = "Z"
        text = text.set_column(text.column_names.index("priority"), "priority", pa.array(cells))
    pacsv.write_csv(text, path)


def test_it_refuses_a_bad_file_then_applies_the_fixed_one(
    live_server, page, screenshot_dir, tmp_path
):
    load_tiny_demo()
    region = Region.objects.get()
    bad, good = tmp_path / "gamf.csv", tmp_path / "gamf-corrige.csv"
    own_waitlist_csv(bad, bad_priority_row=3)
    own_waitlist_csv(good)

    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", "cml.rimouski")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("section.login button[type=submit]")
    page.goto(live_server.url + reverse("tables:imports"))
    page.select_option("[data-testid=import-kind]", "waitlist")
    page.set_input_files("[data-testid=import-file]", str(bad))
    page.click("[data-testid=import-submit]")

    page.wait_for_selector("[data-testid=import-errors]")
    assert page.locator("[data-testid=import-status]").get_attribute("data-status") == "refused"
    error = page.locator("[data-testid=import-error]").first
    assert (error.get_attribute("data-row"), error.get_attribute("data-column")) == (
        "4",
        "priority",
    )
    assert page.locator("[data-testid=import-apply]").count() == 0
    assert Dataset.objects.filter(region=region, kind=DatasetKind.WAITLIST).count() == 1
    page.screenshot(path=str(screenshot_dir / "attribution-import-refused.png"), full_page=True)

    page.goto(live_server.url + reverse("tables:imports"))
    page.select_option("[data-testid=import-kind]", "waitlist")
    page.set_input_files("[data-testid=import-file]", str(good))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=import-apply]")
    assert page.locator("[data-testid=preview-removed]").inner_text() == "1"
    page.screenshot(path=str(screenshot_dir / "attribution-import-preview.png"), full_page=True)
    page.click("[data-testid=import-apply]")
    page.wait_for_selector("[data-testid=import-status][data-status=applied]")
    assert Dataset.current(region, DatasetKind.WAITLIST).version == 2

    page.goto(live_server.url + reverse("tables:imports"))
    assert page.locator("[data-testid=table-waitlist] [data-testid=version]").inner_text() == "2"
    page.screenshot(path=str(screenshot_dir / "attribution-imports.png"), full_page=True)
