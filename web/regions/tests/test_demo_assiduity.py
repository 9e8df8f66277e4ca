"""``manage.py load_demo`` computes the demo's assiduity (last complete year, this year to
date) after recording its DRMG notice: every tier, the paritary committee's list and a
deemed physician show (the synthetic visits steer a few physicians: panelcare.synth)."""

from __future__ import annotations

import io

import pyarrow.compute as pc
import pytest
from django.core.management import call_command
from django.utils import timezone

from panelcare import synth
from panelcare.assiduity.results import read_rates
from web.assiduity.models import AssiduityRun, AssiduityRunStatus, DrmgNotice
from web.regions.demo import DEFAULT_SEED

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_it_computes_both_years_with_every_tier_and_the_notice() -> None:
    today = timezone.localdate()
    out = io.StringIO()
    call_command("load_demo", scale="tiny", stdout=out)

    runs = {run.year: run for run in AssiduityRun.objects.select_related("region")}
    assert sorted(runs) == [today.year - 1, today.year]
    assert {run.status for run in runs.values()} == {AssiduityRunStatus.DONE}
    assert f"Assiduity {today.year - 1}: computation {runs[today.year - 1].pk} done" in (
        out.getvalue()
    )
    last_year = read_rates(runs[today.year - 1].results_folder)
    tiers = set(last_year.column("tier").to_pylist())
    assert {"full", "three_quarters", "half", "none"} <= tiers
    assert pc.sum(last_year.column("review_flag")).as_py() >= 1  # the committee's list

    notice = DrmgNotice.objects.get()
    assert notice.year == today.year - 1
    assert synth.steered_rates(DEFAULT_SEED, today, scale="tiny")[notice.physician_code] == 0.725
    deemed = last_year.filter(pc.field("drmg_deemed"))
    assert deemed.column("physician_id").to_pylist() == [notice.physician_code]
    assert deemed.column("payment_pct").to_pylist() == [100]
    assert deemed.column("tier").to_pylist() == ["half"]  # the rate itself, flagged

    # Loaded again: nothing computed twice, nothing recorded twice.
    call_command("load_demo", scale="tiny", stdout=io.StringIO())
    assert AssiduityRun.objects.count() == 2
    assert DrmgNotice.objects.count() == 1


def test_it_computes_nothing_without_the_assiduity() -> None:
    call_command("load_demo", "--no-assiduity", scale="tiny", stdout=io.StringIO())

    assert not AssiduityRun.objects.exists()
    assert not DrmgNotice.objects.exists()


def test_it_computes_a_loaded_regions_missing_years_outside_the_loads_transaction(
    demo, monkeypatch
) -> None:
    """On a region already loaded, the computations run as after a fresh load: not inside
    a transaction of the load (they take tens of seconds and report progress to others)."""
    from django.db import connection

    from web.regions import demo as demo_module

    outside = len(connection.savepoint_ids)
    depths: list[int] = []

    def record(region, **kwargs):
        depths.append(len(connection.savepoint_ids))
        return []

    monkeypatch.setattr(demo_module, "load_demo_assiduity", record)
    report = demo_module.load_demo("tiny", assiduity=True)
    assert report.already_loaded
    assert depths == [outside]
