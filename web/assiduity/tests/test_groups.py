"""The assiduity by group: the GMFs' own rates (kept at computation time), the distribution
of the rates per RLS, and the trends across years; who reads which (the DRMG every GMF and
RLS, a CML their RLS's, a GMF manager their own GMF only; a physician 403; another
region's computation 404)."""

from __future__ import annotations

import datetime
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from panelcare.assiduity import results
from panelcare.assiduity.gmf import gmf_rates
from panelcare.assiduity.rules import load_rules
from web.accounts import access
from web.assiduity import figures, groups, services
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.regions.demo import LoadReport
from web.regions.models import Gmf, Physician, Region
from web.regions.testing import visible_text
from web.tables.kinds import DatasetKind
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db


def keep_gmf_rates(run: AssiduityRun) -> Path:
    """Write ``run``'s GMF rates as the computation does (``services._compute`` calls
    ``groups.write_gmf_rates`` with the tables and the connection it opened, once the
    results are written)."""
    rules = load_rules()
    with services.open_run_tables(run, rules, ()) as (tables, con):
        return groups.write_gmf_rates(run, tables, rules, con)


@pytest.fixture(scope="module")
def _kept_gmf_rates(
    _computed_run: int, _demo_loaded: tuple[LoadReport, Path], django_db_blocker: Any
) -> None:
    """The GMF rates of the module's computation, written once into the demo's folder
    (which ``demo`` copies into each test's)."""
    _report, data_dir = _demo_loaded
    before = settings.PANELCARE_DATA_DIR
    with django_db_blocker.unblock():
        settings.PANELCARE_DATA_DIR = data_dir
        try:
            keep_gmf_rates(AssiduityRun.objects.select_related("region").get(pk=_computed_run))
        finally:
            settings.PANELCARE_DATA_DIR = before


@pytest.fixture
def run(_kept_gmf_rates: None, done_run: AssiduityRun) -> AssiduityRun:
    """The region's computation of YEAR, DONE, with its GMF rates kept."""
    return done_run


@pytest.fixture
def other_region_run(done_run: AssiduityRun) -> AssiduityRun:
    region = Region.objects.create(code="99", name="Autre région")
    return AssiduityRun.objects.create(
        region=region, year=YEAR, status=AssiduityRunStatus.DONE, created_by=done_run.created_by
    )


@pytest.fixture
def run_next_year(region: Region, drmg: User, done_run: AssiduityRun) -> AssiduityRun:
    """The region's computation of the year after YEAR (the demo's current year to date),
    computed for real."""
    computed = services.do_start_assiduity_run(region, YEAR + 1, acting_user=drmg)
    assert computed.status == AssiduityRunStatus.DONE, computed.error
    return computed


def _kept(run: AssiduityRun) -> dict[str, dict[str, Any]]:
    return {
        row["gmf_id"]: row for row in pq.read_table(run.folder / "gmf_rates.parquet").to_pylist()
    }


def _rates(run: AssiduityRun) -> dict[str, dict[str, Any]]:
    return {row["physician_id"]: row for row in results.read_rates(run.results_folder).to_pylist()}


def _roster_rls(run: AssiduityRun) -> dict[str, str]:
    table = read_dataset(run.datasets()[DatasetKind.PHYSICIANS], ["physician_id", "rls_id"])
    return dict(zip(table["physician_id"].to_pylist(), table["rls_id"].to_pylist(), strict=True))


def _members_of_year(memberships: list[dict[str, Any]], gmf: str) -> set[str]:
    """The physicians with a membership of ``gmf`` in force on a day of YEAR (half-open)."""
    return {
        m["physician_id"]
        for m in memberships
        if m["gmf_id"] == gmf
        and m["start_date"].year <= YEAR
        and (m["end_date"] is None or m["end_date"] > datetime.date(YEAR, 1, 1))
    }


def _page(client, name: str, *args: Any) -> str:
    response = client.get(reverse(f"assiduity:{name}", args=args))
    assert response.status_code == 200
    return response.content.decode()


def _attr(page: str, name: str) -> list[str]:
    return re.findall(rf'data-{name}="([^"]*)"', page)


# --------------------------------------------------------------------------- scopes


def test_it_scopes_the_gmfs_by_role(demo_user, own_rls):
    assert access.assiduity_gmf_scope(demo_user("drmg")) is None
    theirs = frozenset(Gmf.objects.filter(rls=own_rls).values_list("code", flat=True))
    assert theirs and access.assiduity_gmf_scope(demo_user("cml.rimouski")) == theirs
    manager = demo_user("gestion.gmf")
    assert access.assiduity_gmf_scope(manager) == frozenset({manager.profile.gmf.code})
    manager.profile.gmf = None
    manager.profile.save(update_fields=["gmf"])
    assert access.assiduity_gmf_scope(demo_user("gestion.gmf")) == frozenset()
    for username in ("medecin", "ciusss", "coach", "admin"):
        with pytest.raises(PermissionDenied):
            access.assiduity_gmf_scope(demo_user(username))


def test_it_scopes_the_rls_by_role(demo_user, own_rls):
    assert access.assiduity_rls_scope(demo_user("drmg")) is None
    assert access.assiduity_rls_scope(demo_user("cml.rimouski")) == frozenset({own_rls.code})
    for username in ("gestion.gmf", "medecin", "ciusss", "coach", "admin"):
        with pytest.raises(PermissionDenied):
            access.assiduity_rls_scope(demo_user(username))


# --------------------------------------------------------------------------- kept rates


def test_it_keeps_each_gmf_s_rate_as_its_members_visits_added_up(run):
    kept = _kept(run)
    rates = _rates(run)
    memberships = read_dataset(run.datasets()[DatasetKind.GMF_MEMBERSHIPS]).to_pylist()
    assert kept, "the demo has GMFs"
    checked = 0
    for gmf, row in kept.items():
        assert row["rate"] == pytest.approx(row["assiduous_visits"] / row["counted_visits"])
        members = _members_of_year(memberships, gmf)
        assert row["members"] == len(members)
        # Members of this GMF alone, all year: the GMF's visits are theirs added up.
        whole_year = all(
            m["start_date"].year < YEAR and (m["end_date"] is None or m["end_date"].year > YEAR)
            for m in memberships
            if m["physician_id"] in members
        )
        if whole_year:
            assert row["counted_visits"] == sum(
                rates[code]["counted_visits"] for code in members if code in rates
            )
            assert row["assiduous_visits"] == sum(
                rates[code]["assiduous_visits"] for code in members if code in rates
            )
            checked += 1
    assert checked


def test_it_sums_the_kept_rates_from_the_results_as_the_engine_computes_them(run):
    with services.open_run_tables(run, load_rules(), ()) as (tables, _con):
        engine = gmf_rates(tables, run.year, load_rules()).to_pyarrow().to_pylist()
    assert list(_kept(run).values()) == engine
    # Without the classified visits (never after a computation), from the tables.
    (run.results_folder / "visits.parquet").unlink()
    keep_gmf_rates(run)
    assert list(_kept(run).values()) == engine


# --------------------------------------------------------------------------- the GMFs


def test_it_shows_the_drmg_every_gmf_with_its_rate(drmg_client, run):
    page = _page(drmg_client, "run-gmfs", run.pk)
    assert set(_attr(page, "gmf")) == set(_kept(run))
    gmf, row = sorted(_kept(run).items())[0]
    name = Gmf.objects.get(code=gmf).name
    text = " ".join(visible_text(page).split())
    assert name in text
    assert f"{row['rate'] * 100:.1f} %" in text
    # Each GMF's members, folded under a summary that counts them.
    members = len(re.findall(r"<tr data-physician=", page.split(f'data-testid="members-{gmf}"')[1]))
    assert f"{name}: {row['members']} members" in text or f"{name}: {members} member" in text
    assert members > 0


def test_it_shows_a_cml_the_gmfs_of_their_rls_only(cml_client, run, own_rls):
    page = _page(cml_client, "run-gmfs", run.pk)
    theirs = set(Gmf.objects.filter(rls=own_rls).values_list("code", flat=True))
    shown = set(_attr(page, "gmf"))
    assert shown == theirs & set(_kept(run))
    assert shown and shown != set(_kept(run))


def test_it_shows_a_gmf_manager_their_gmf_and_its_members_rows(gmf_manager_client, demo_user, run):
    manager = demo_user("gestion.gmf")
    own = manager.profile.gmf.code
    page = _page(gmf_manager_client, "run-gmfs", run.pk)
    assert _attr(page, "gmf") == [own]
    memberships = read_dataset(run.datasets()[DatasetKind.GMF_MEMBERSHIPS]).to_pylist()
    members = _members_of_year(memberships, own)
    scope = access.assiduity_scope(manager)
    assert scope is not None
    shown = set(_attr(page, "physician"))
    assert shown and shown == members & scope
    assert f'data-testid="members-{own}"' in page


def test_it_never_shows_a_gmf_manager_another_gmf(gmf_manager_client, demo_user, run):
    own = demo_user("gestion.gmf").profile.gmf
    page = _page(gmf_manager_client, "run-gmfs", run.pk)
    text = visible_text(page)
    for other in Gmf.objects.exclude(pk=own.pk):
        assert other.code not in _attr(page, "gmf")
        assert other.name not in text


@pytest.mark.parametrize("client_name", ["physician_client", "ciusss_client", "coach_client"])
def test_it_refuses_the_gmfs_to_a_physician_and_the_roles_outside_the_assiduity(
    request, run, client_name
):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("assiduity:run-gmfs", args=[run.pk])).status_code == 403


@pytest.mark.parametrize("client_name", ["drmg_client", "cml_client", "gmf_manager_client"])
def test_it_answers_404_for_another_regions_run(request, other_region_run, client_name):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("assiduity:run-gmfs", args=[other_region_run.pk])).status_code == 404
    if client_name != "gmf_manager_client":
        url = reverse("assiduity:run-distribution", args=[other_region_run.pk])
        assert client.get(url).status_code == 404


def test_it_says_the_gmf_rates_were_not_computed_for_an_older_run(drmg_client, run):
    (run.folder / "gmf_rates.parquet").unlink()
    page = _page(drmg_client, "run-gmfs", run.pk)
    assert 'data-testid="gmfs-not-computed"' in page
    assert "were not computed for this computation" in visible_text(page)


def test_it_says_a_computation_is_not_finished(cml_client, region, drmg, hold_queue, run):
    queued = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    for name in ("run-gmfs", "run-distribution"):
        assert 'data-testid="not-done"' in _page(cml_client, name, queued.pk)


# --------------------------------------------------------------------------- distribution


def test_it_counts_the_drmg_every_rls_s_physicians_per_tier(drmg_client, run):
    page = _page(drmg_client, "run-distribution", run.pk)
    rls_of = _roster_rls(run)
    rates = _rates(run)
    expected = Counter(rls_of.get(code) or "" for code in rates)
    rows = re.findall(r'<tr data-rls="([^"]*)">(.*?)</tr>', page, re.S)
    assert {code for code, _cells in rows} == set(expected) | {"region"}
    for code, cells in rows:
        numbers = [
            int(n.replace(",", "")) for n in re.findall(r'class="number"[^>]*>([\d,]+)<', cells)
        ]
        physicians, tiers = numbers[0], numbers[1:6]
        wanted = len(rates) if code == "region" else expected[code]
        assert physicians == wanted and sum(tiers) == wanted
    assert 'id="spec-distribution"' in page and 'id="chart-distribution"' in page


def test_it_draws_each_rated_physician_of_a_cml_s_rls_and_the_target(cml, client_as, run, own_rls):
    from web.assiduity.charts import distribution_chart

    spread = groups.distribution(run, access.assiduity_rls_scope(cml), access.assiduity_scope(cml))
    assert [figures.code for figures in spread.rls] == [own_rls.code]
    assert spread.region is None
    rated = [
        code
        for code, row in _rates(run).items()
        if row["rate"] is not None and _roster_rls(run).get(code) == own_rls.code
    ]
    assert len(spread.points) == len(rated) > 0
    spec = distribution_chart(spread.points, [own_rls.name], ["Full"], spread.target)
    assert spec["datasets"]["target"] == [{"target": 0.8}]
    assert "http" not in str(spec)
    page = _page(client_as("cml.rimouski"), "run-distribution", run.pk)
    assert _attr(page, "rls") == [own_rls.code]


@pytest.mark.parametrize(
    "client_name", ["gmf_manager_client", "physician_client", "ciusss_client", "coach_client"]
)
def test_it_refuses_the_distribution_and_the_trends_to_the_other_roles(request, run, client_name):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("assiduity:run-distribution", args=[run.pk])).status_code == 403
    assert client.get(reverse("assiduity:trends")).status_code == 403


# --------------------------------------------------------------------------- trends


def test_it_says_when_one_year_only_is_computed(drmg_client, run):
    page = _page(drmg_client, "trends")
    assert 'data-testid="one-year"' in page
    assert 'id="spec-trends"' not in page
    assert f'data-year="{YEAR}"' in page


def test_it_shows_the_drmg_two_years_per_rls_and_for_the_region(drmg_client, run, run_next_year):
    page = _page(drmg_client, "trends")
    assert 'data-testid="one-year"' not in page
    assert 'id="spec-trends"' in page
    pairs = set(re.findall(r'data-rls="([^"]*)" data-year="(\d+)"', page))
    rls = set(_roster_rls(run).values())
    assert {(code, str(year)) for code in rls | {"region"} for year in (YEAR, YEAR + 1)} <= pairs
    text = " ".join(visible_text(page).split())
    assert f"{YEAR + 1} (to date)" in text


def test_it_shows_a_cml_the_trends_of_their_rls_only(cml_client, run, run_next_year, own_rls):
    page = _page(cml_client, "trends")
    pairs = set(re.findall(r'data-rls="([^"]*)" data-year="(\d+)"', page))
    assert pairs == {(own_rls.code, str(YEAR)), (own_rls.code, str(YEAR + 1))}


def test_it_takes_the_latest_finished_computation_of_each_year(
    run, drmg, other_region_run, hold_queue
):
    later = AssiduityRun.objects.create(
        region=run.region,
        year=YEAR,
        status=AssiduityRunStatus.DONE,
        created_by=drmg,
        finished_at=timezone.now(),
    )
    shutil.copytree(run.folder, later.folder)
    AssiduityRun.objects.create(
        region=run.region, year=YEAR - 1, status=AssiduityRunStatus.FAILED, created_by=drmg
    )
    assert groups.latest_runs(run.region) == [later]


def _cml_counts(cml: User, run: AssiduityRun) -> tuple[set[str], dict[str, tuple[int, int]]]:
    """The physicians of a CML's rates table of ``run`` (and its export's rows), and the
    (physicians, with a rate) counted by the rates table, the distribution and the trends,
    each with the access scopes their views pass."""
    scope, rls_scope = access.assiduity_scope(cml), access.assiduity_rls_scope(cml)
    rows = figures.physician_rows(run, scope)
    spread = groups.distribution(run, rls_scope, scope).rls
    (year,) = [
        year for year in groups.trends(run.region, rls_scope, scope).years if year["run"] == run
    ]
    counts = {
        "rates": (len(rows), sum(1 for row in rows if row["rate"] is not None)),
        "export": (len(figures.rates_export(rows)[1]), len(rows)),
        "distribution": (sum(g.physicians for g in spread), sum(g.rated for g in spread)),
        "trends": (
            sum(g.physicians for g in year["groups"]),
            sum(g.rated for g in year["groups"]),
        ),
    }
    return {row["physician_id"] for row in rows}, counts


def test_it_counts_the_same_physicians_of_a_cml_on_every_page_after_a_transfer(
    cml, client_as, run, own_rls, other_rls
):
    rls_of, rates = _roster_rls(run), _rates(run)
    leaving = next(code for code in sorted(rates) if rls_of.get(code) == own_rls.code)
    arriving = next(code for code in sorted(rates) if rls_of.get(code) == other_rls.code)
    before, _counts = _cml_counts(cml, run)
    assert leaving in before and arriving not in before
    # The transfers, as a newer roster projected into the database records them: the
    # computation's roster still has each physician in the RLS they left. One leaves the
    # CML's RLS, then another arrives.
    for code, rls, expected in (
        (leaving, other_rls, before - {leaving}),
        (arriving, own_rls, (before - {leaving}) | {arriving}),
    ):
        Physician.objects.filter(code=code).update(rls=rls)
        after, counts = _cml_counts(cml, run)
        assert after == expected
        physicians, rated = counts["rates"]
        assert counts["export"] == (physicians, physicians)
        assert (
            counts["distribution"]
            == counts["trends"]
            == (physicians, rated)
            == (
                len(after),
                sum(1 for code in after if rates[code]["rate"] is not None),
            )
        )
    # The physician who arrived is counted under the RLS of the computation's roster.
    spread = groups.distribution(run, access.assiduity_rls_scope(cml), access.assiduity_scope(cml))
    assert {group.code: group.physicians for group in spread.rls}[other_rls.code] == 1
    # The views pass the scope: the trends page counts the physicians with a rate the
    # distribution page counts.
    client = client_as("cml.rimouski")
    trends_page = _page(client, "trends")
    year_rows = re.findall(
        rf'data-year="{YEAR}">\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*'
        r'<td class="number">([^<]*)</td>',
        trends_page,
    )
    assert sum(int(re.sub(r"\D", "", cell)) for cell in year_rows) == rated
    distribution_rows = re.findall(
        r'<tr data-rls="[^"]+">\s*<td>[^<]*</td>\s*<td class="number">([^<]*)</td>',
        _page(client, "run-distribution", run.pk),
    )
    assert sum(int(re.sub(r"\D", "", cell)) for cell in distribution_rows) == physicians


def test_it_counts_the_committee_s_list_per_rls(run):
    found = groups.trends(run.region, None, None)
    (year,) = found.years
    region = year["groups"][-1]
    assert region.code is None
    assert region.committee == sum(1 for row in _rates(run).values() if row["review_flag"])
    assert region.median is not None
    assert sum(region.shares.values()) == pytest.approx(1.0)
