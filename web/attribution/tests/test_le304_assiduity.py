"""LE 304 reads the previous year's assiduity computed by the assiduity module when a
computation of that year is done, the roster's imported column otherwise, and each run
says which (``web/attribution/le304.py``; docs/attribution-rules.md, "Modes (7)").

The runs are of Rimouski-Neigette, dated :data:`RUN_DATE` (2026): the previous year is
2025, which the demo's visits cover whole; the module computes it once. The physicians
whose verdict changes are chosen from the data (imported and computed rates differ both
ways in the demo), put in mode le304 by a decision, and judged against a threshold
between their two rates, so that the tests hold whatever rates the generator draws.
"""

from __future__ import annotations

import datetime
import html
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from panelcare.assiduity.results import read_rates
from panelcare.attribution import solve
from panelcare.attribution.params import Params
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.attribution import figures, le304, services
from web.attribution.errors import RunNotReady
from web.attribution.models import AttributionAction, Run, RunStatus
from web.attribution.physicians import rls_physicians
from web.attribution.tests.conftest import RUN_DATE
from web.audit.models import AuditEvent
from web.dashboard.templatetags.panelcare_format import long_date
from web.regions.demo import LoadReport
from web.regions.models import Region, Rls
from web.regions.testing import DEMO_ASSIDUITY_YEAR
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

YEAR = RUN_DATE.year - 1  # 2025


@pytest.fixture(scope="module")
def _computed(_demo_assiduity_run: int) -> int:
    """The id of the demo region's assiduity computation of :data:`YEAR` by the DRMG
    (``web/conftest.py``)."""
    assert YEAR == DEMO_ASSIDUITY_YEAR
    return _demo_assiduity_run


@pytest.fixture
def computation(_computed: int, demo: LoadReport) -> AssiduityRun:
    """The region's DONE computation of :data:`YEAR`, the only one done."""
    AssiduityRun.objects.exclude(pk=_computed).update(status=AssiduityRunStatus.FAILED)
    return AssiduityRun.objects.select_related("region").get(pk=_computed)


@pytest.fixture
def no_computation(computation: AssiduityRun) -> None:
    """The region without any assiduity computation (the module's is deleted for the
    test: it lives in the module's demo, seen by every test after the first that asks)."""
    computation.delete()


@pytest.fixture
def start(cml: User, rimouski: Rls) -> Callable[..., Run]:
    """Start (and compute) a run of Rimouski-Neigette by its CML:
    ``start(le304_min_assiduity, run_date=RUN_DATE)``."""

    def run(threshold: float, run_date: datetime.date = RUN_DATE) -> Run:
        started = services.do_start_run(
            rimouski, {"le304_min_assiduity": threshold}, run_date, "LE 304", acting_user=cml
        )
        started.refresh_from_db()
        assert started.status == RunStatus.DONE, started.error
        return started

    return run


@dataclass(frozen=True)
class Physician:
    """A physician of Rimouski-Neigette with both rates, and a threshold between them."""

    code: str
    imported: float
    computed: float

    @property
    def threshold(self) -> float:
        return round((self.imported + self.computed) / 2, 6)


def _roster(region: Region) -> list[dict[str, Any]]:
    """Rimouski-Neigette's rows of the roster in force."""
    dataset = Dataset.current(region, DatasetKind.PHYSICIANS)
    assert dataset is not None
    rows = read_dataset(dataset).to_pylist()
    return [row for row in rows if row["rls_id"] == "0115"]


def _computed_rates(computation: AssiduityRun) -> dict[str, float]:
    """The computed rates, by physician (those with visits counted)."""
    return {
        row["physician_id"]: row["rate"]
        for row in read_rates(computation.results_folder).to_pylist()
        if row["rate"] is not None
    }


def _chosen(computation: AssiduityRun, *, computed_higher: bool) -> Physician:
    """A physician of Rimouski-Neigette, not leaving, whose computed rate is higher (or
    lower) than the roster's by more than a point, put in mode le304 by a decision."""
    rates = _computed_rates(computation)
    for row in _roster(computation.region):
        imported, computed = row["previous_assiduity"], rates.get(row["physician_id"])
        if row["departing_on"] is not None or imported is None or computed is None:
            continue
        if (computed - imported if computed_higher else imported - computed) > 0.01:
            services.do_set_decision(
                computation.region,
                row["physician_id"],
                "0115",
                acting_user=User.objects.get(username="cml.rimouski"),
                mode="le304",
            )
            return Physician(row["physician_id"], imported, computed)
    pytest.fail(f"the demo has no such physician (computed higher: {computed_higher})")


def _verdict(run: Run, code: str) -> tuple[float, bool, str]:
    """``code``'s previous-year assiduity as the plan read it, whether LE 304 took them,
    and their reasons."""
    plan = figures.plan_of(run)
    assert isinstance(plan, solve.Plan)
    j = list(plan.physicians.physician_id).index(code)
    return (
        float(plan.physicians.previous_assiduity[j]),
        bool(plan.targets.le304[j]),
        str(plan.targets.reasons[j]),
    )


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def run_started_details(run: Run) -> dict[str, Any]:
    event = AuditEvent.objects.about(run).get(action=AttributionAction.RUN_STARTED)
    return dict(event.details)


# --------------------------------------------------------------------------- the rule, on rows


def test_it_takes_the_computed_rate_and_keeps_the_roster_value_otherwise():
    roster = pa.table(
        {
            "physician_id": ["D1", "D2", "D3", "D4", "D5"],
            "previous_assiduity": pa.array([0.9, 0.6, None, 0.8, 0.7], pa.float64()),
        }
    )
    rates = pa.table(
        {
            # D1 computed lower, D2 higher, D3 computed where the roster had none, D4 no
            # visit counted (a null rate), D5 absent (no registered patient that year).
            "physician_id": ["D3", "D2", "D1", "D4", "D9"],
            "rate": pa.array([0.85, 0.77, 0.7, None, 0.5], pa.float64()),
        }
    )
    taken, counts = le304.with_computed_rates(roster, rates)
    assert taken.column("physician_id").to_pylist() == ["D1", "D2", "D3", "D4", "D5"]
    assert taken.column("previous_assiduity").to_pylist() == [0.7, 0.77, 0.85, 0.8, 0.7]
    assert taken.schema == roster.schema
    assert counts == le304.Counts(computed=3, kept=2)


def test_it_reads_a_nan_rate_as_no_rate():
    roster = pa.table({"physician_id": ["D1"], "previous_assiduity": pa.array([0.8])})
    rates = pa.table({"physician_id": ["D1"], "rate": pa.array([math.nan])})
    taken, counts = le304.with_computed_rates(roster, rates)
    assert taken.column("previous_assiduity").to_pylist() == [0.8]
    assert counts == le304.Counts(computed=0, kept=1)


def test_it_leaves_the_roster_alone_without_a_computation():
    roster = pa.table(
        {"physician_id": ["D1"], "previous_assiduity": pa.array([None], pa.float64())}
    )
    taken, counts = le304.with_computed_rates(roster, None)
    assert taken is roster and counts == le304.Counts(computed=0, kept=1)


# --------------------------------------------------------------------------- the computed rate


def test_it_makes_eligible_a_physician_whose_computed_rate_reaches_the_threshold(
    computation, start
):
    physician = _chosen(computation, computed_higher=True)
    run = start(physician.threshold)
    assert run.assiduity_run == computation
    rate, eligible, reasons = _verdict(run, physician.code)
    assert rate == pytest.approx(physician.computed)
    assert eligible and "le304_eligible" in reasons
    # The same run on the roster's column would refuse them.
    AssiduityRun.objects.filter(pk=computation.pk).update(status=AssiduityRunStatus.FAILED)
    rate, eligible, reasons = _verdict(start(physician.threshold), physician.code)
    assert rate == pytest.approx(physician.imported)
    assert not eligible and "le304_ineligible_assiduity" in reasons


def test_it_refuses_a_physician_whose_computed_rate_is_under_the_threshold(computation, start):
    physician = _chosen(computation, computed_higher=False)
    run = start(physician.threshold)
    rate, eligible, reasons = _verdict(run, physician.code)
    assert rate == pytest.approx(physician.computed)
    assert not eligible and "le304_ineligible_assiduity" in reasons
    # The same run on the roster's column would take them.
    AssiduityRun.objects.filter(pk=computation.pk).update(status=AssiduityRunStatus.FAILED)
    rate, eligible, reasons = _verdict(start(physician.threshold), physician.code)
    assert rate == pytest.approx(physician.imported)
    assert eligible and "le304_eligible" in reasons


def test_it_keeps_the_roster_value_of_a_physician_without_a_computed_rate(computation, start):
    rates = _computed_rates(computation)
    without = [row for row in _roster(computation.region) if row["physician_id"] not in rates]
    if not without:
        pytest.skip("every physician of the demo's RLS has a computed rate")
    run = start(0.75)
    for row in without:
        rate = _verdict(run, row["physician_id"])[0]
        imported = row["previous_assiduity"]
        assert (math.isnan(rate) and imported is None) or rate == pytest.approx(imported)


def test_it_records_the_computation_it_read_in_the_summary_and_the_audit(computation, start):
    rates = _computed_rates(computation)
    roster = _roster(computation.region)
    computed = sum(row["physician_id"] in rates for row in roster)
    run = start(0.75)
    assert run.summary["assiduity"] == {
        "source": "computed",
        "year": YEAR,
        "computation": computation.pk,
        "finished_at": computation.finished_at.isoformat(),
        "computed": computed,
        "kept": len(roster) - computed,
    }
    assert computed > 0
    started = run_started_details(run)
    assert started["assiduity_source"] == "computed"
    assert started["assiduity_run"] == computation.pk


def test_it_takes_the_latest_done_computation_of_the_year(computation, start, drmg):
    later = AssiduityRun.objects.create(
        region=computation.region,
        year=YEAR,
        status=AssiduityRunStatus.DONE,
        versions=computation.versions,
        created_by=drmg,
        finished_at=computation.finished_at + datetime.timedelta(hours=1),
    )
    shutil.copytree(computation.results_folder, later.results_folder)
    run = start(0.75)
    assert run.assiduity_run == later
    assert run.summary["assiduity"]["computation"] == later.pk


def test_it_refuses_to_start_on_a_computation_whose_results_are_gone(computation, cml, rimouski):
    shutil.rmtree(computation.results_folder)
    with pytest.raises(RunNotReady, match=rf"assiduity computation no\. {computation.pk} \(2025\)"):
        services.do_start_run(rimouski, {}, RUN_DATE, acting_user=cml)
    assert not Run.objects.exists()


def test_it_reads_the_same_computation_when_a_target_changes(computation, start, drmg):
    physician = _chosen(computation, computed_higher=True)
    run = start(physician.threshold)
    # A newer computation done since the run started is not read by its adjustments
    # (it has no results: reading it would fail).
    AssiduityRun.objects.create(
        region=computation.region,
        year=YEAR,
        status=AssiduityRunStatus.DONE,
        created_by=drmg,
        finished_at=timezone.now() + datetime.timedelta(hours=1),
    )
    plan = figures.plan_of(run)
    assert isinstance(plan, solve.Plan)
    other = next(
        str(code)
        for code, reasons in zip(plan.physicians.physician_id, plan.targets.reasons, strict=True)
        if code != physician.code and "not_participating" not in reasons
    )
    services.do_change_target(run, other, 300, acting_user=drmg)
    run.refresh_from_db()
    assert run.summary["pages"]["adjusted"]
    assert run.summary["assiduity"]["computation"] == computation.pk
    rate, eligible, _reasons = _verdict(run, physician.code)
    assert rate == pytest.approx(physician.computed) and eligible


# --------------------------------------------------------------------------- the imported column


def test_it_reads_the_imported_column_without_a_computation_and_says_so(computation, start):
    physician = _chosen(computation, computed_higher=True)
    computation.delete()
    run = start(physician.threshold)
    assert run.assiduity_run is None
    rate, eligible, reasons = _verdict(run, physician.code)
    assert rate == pytest.approx(physician.imported)
    assert not eligible and "le304_ineligible_assiduity" in reasons
    assert run.summary["assiduity"] == {
        "source": "imported",
        "year": YEAR,
        "computed": 0,
        "kept": len(_roster(run.region)),
    }
    assert run_started_details(run)["assiduity_source"] == "imported"


def _reads_the_roster(run: Run, physician: Physician) -> bool:
    """Whether ``run`` read the roster's column for ``physician`` (and judged by it)."""
    rate, eligible, _reasons = _verdict(run, physician.code)
    return run.assiduity_run is None and rate == pytest.approx(physician.imported) and not eligible


@pytest.mark.parametrize(
    "status",
    [
        AssiduityRunStatus.FAILED,
        AssiduityRunStatus.CANCELLED,
        AssiduityRunStatus.QUEUED,
        AssiduityRunStatus.RUNNING,
    ],
)
def test_it_never_reads_a_computation_not_done(computation, start, status):
    physician = _chosen(computation, computed_higher=True)
    AssiduityRun.objects.filter(pk=computation.pk).update(status=status)
    assert _reads_the_roster(start(physician.threshold), physician)


def test_it_never_reads_a_computation_of_another_year(computation, start):
    physician = _chosen(computation, computed_higher=True)
    # A run of 2027 reads 2026's assiduity: the computation of 2025 is not it.
    run = start(physician.threshold, run_date=datetime.date(2027, 1, 15))
    assert _reads_the_roster(run, physician)
    assert run.summary["assiduity"]["year"] == 2026


def test_it_never_reads_a_computation_of_a_year_to_date(computation, start):
    physician = _chosen(computation, computed_higher=True)
    # Started in November 2025: the rate of 2025 to date, not 2025's.
    AssiduityRun.objects.filter(pk=computation.pk).update(
        created_at=datetime.datetime(2025, 11, 1, tzinfo=datetime.UTC)
    )
    assert _reads_the_roster(start(physician.threshold), physician)


def test_it_never_reads_a_computation_of_another_region(computation, start, drmg):
    physician = _chosen(computation, computed_higher=True)
    other = Region.objects.create(code="99", name="Another region")
    AssiduityRun.objects.filter(pk=computation.pk).update(status=AssiduityRunStatus.FAILED)
    AssiduityRun.objects.create(
        region=other,
        year=YEAR,
        status=AssiduityRunStatus.DONE,
        created_by=drmg,
        finished_at=timezone.now(),
    )
    assert _reads_the_roster(start(physician.threshold), physician)


def test_it_prefers_its_own_region_over_a_later_computation_of_another(computation, start, drmg):
    other = Region.objects.create(code="99", name="Another region")
    AssiduityRun.objects.create(
        region=other,
        year=YEAR,
        status=AssiduityRunStatus.DONE,
        created_by=drmg,
        finished_at=computation.finished_at + datetime.timedelta(days=1),
    )
    assert le304.computation_for(computation.region, RUN_DATE) == computation
    assert le304.computation_for(other, RUN_DATE) is not None
    assert start(0.75).assiduity_run == computation


# --------------------------------------------------------------------------- the pages


def test_it_names_the_computation_on_the_run_page(computation, start, cml_client):
    run = start(0.75)
    page = _text(cml_client.get(reverse("attribution:run-detail", args=[run.pk])))
    finished = long_date(timezone.localdate(computation.finished_at))
    assert 'data-testid="run-assiduity" data-source="computed"' in page
    assert f"Assiduity of 2025: computation no. {computation.pk} of {finished}." in page
    assert reverse("assiduity:run-detail", args=[computation.pk]) in page
    record = _text(
        cml_client.get(reverse("attribution:run-detail", args=[run.pk]), {"tab": "history"})
    )
    counts = run.summary["assiduity"]
    taken = f"{counts['computed']} physician{'s take' if counts['computed'] > 1 else ' takes'}"
    assert f"{taken} the computed rate" in record
    if counts["kept"]:
        assert f"{counts['kept']} keep" in record and "the roster's value" in record


def test_it_says_the_roster_column_on_the_run_page_without_a_computation(
    no_computation, start, cml_client
):
    run = start(0.75)
    page = _text(cml_client.get(reverse("attribution:run-detail", args=[run.pk])))
    assert 'data-testid="run-assiduity" data-source="imported"' in page
    assert (
        "Assiduity of 2025: the roster's column, imported with version "
        f"{run.physicians.version} of the physicians' roster on" in page
    )
    assert "computation no." not in page


def test_it_says_where_a_run_of_this_year_reads_the_assiduity_on_the_rules_page(
    computation, cml_client
):
    today = timezone.localdate()
    page = _text(cml_client.get(reverse("attribution:rules")))
    assert f"For a run dated in {today.year}:" in page
    assert le304.source_for_date(computation.region, today)["text"] in page
    if today.year == YEAR + 1:  # the module's computation is last year's: named
        assert 'data-testid="rules-assiduity" data-source="computed"' in page
        assert f"computation no. {computation.pk}" in page


def test_it_says_the_roster_column_on_the_rules_page_without_a_computation(
    no_computation, cml_client
):
    page = _text(cml_client.get(reverse("attribution:rules")))
    assert 'data-testid="rules-assiduity" data-source="imported"' in page
    assert "no computation of that year is done" in page


def test_it_judges_le304_on_the_physicians_table_as_a_run_would(computation, region):
    physician = _chosen(computation, computed_higher=True)
    params = Params(le304_min_assiduity=physician.threshold)
    rows, figures = rls_physicians(region, "0115", RUN_DATE, params)
    row = next(row for row in rows if row.code == physician.code)
    assert figures.assiduity_run == computation
    assert row.previous_assiduity == pytest.approx(physician.computed)
    assert "le304_eligible" in row.reasons


def test_it_shows_the_roster_column_on_the_physicians_table_without_a_computation(
    computation, region
):
    physician = _chosen(computation, computed_higher=True)
    computation.delete()
    params = Params(le304_min_assiduity=physician.threshold)
    rows, figures = rls_physicians(region, "0115", RUN_DATE, params)
    row = next(row for row in rows if row.code == physician.code)
    assert figures.assiduity_run is None
    assert row.previous_assiduity == pytest.approx(physician.imported)
    assert "le304_ineligible_assiduity" in row.reasons


def test_it_says_the_source_on_the_physicians_page(computation, cml_client):
    page = _text(cml_client.get(reverse("attribution:physicians", args=["0115"])))
    source = le304.source_for_date(computation.region, timezone.localdate())
    assert f'data-testid="physicians-assiduity" data-source="{source["source"]}"' in page
    assert source["text"] in page


def test_it_says_on_the_physicians_table_when_the_computations_results_are_gone(
    computation, region
):
    physician = _chosen(computation, computed_higher=True)
    shutil.rmtree(computation.results_folder)
    params = Params(le304_min_assiduity=physician.threshold)
    rows, figures = rls_physicians(region, "0115", RUN_DATE, params)
    row = next(row for row in rows if row.code == physician.code)
    # The roster's column, as before, but the page does not claim no computation is done:
    # one is, and a run would refuse to start on it.
    assert row.previous_assiduity == pytest.approx(physician.imported)
    assert (figures.assiduity_run, figures.assiduity_missing) == (computation, True)
    said = le304.describe(figures.assiduity_run, 2025, missing=figures.assiduity_missing)
    assert said["source"] == le304.IMPORTED
    assert f"computation no. {computation.pk} are missing" in said["text"]
    assert "no computation of that year is done" not in said["text"]
