"""The problems suggested to the CML read the latest run covering their RLS, a run of the
RLS or of the whole region alike (issue 19, from the review: the region's runs were left
out, so a CML was told of an older RLS run's figures, or of none): every physician above
3 units (5.3.5), and a GMF of the RLS whose members received less than its target."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from web.attribution import gmfs
from web.attribution.models import ProblemKind, Run, RunStatus
from web.attribution.services_gmfs import do_decide_gmf_target, do_propose_gmf_target
from web.attribution.tests.conftest import RUN_DATE
from web.regions.models import Gmf, Physician, Rls

pytestmark = pytest.mark.django_db

NEW = "attribution:problem-new"
LATER = RUN_DATE + datetime.timedelta(days=1)


def with_units(run: Run, rls: Rls, units: float) -> None:
    """Every physician of ``rls`` in ``run``'s figures at ``units`` before the run."""
    rows = [row for row in run.summary["pages"]["physicians"] if row["rls_id"] == rls.code]
    assert rows, "the run has no physician of the RLS"
    for row in rows:
        row["units_before"] = units
    Run.objects.filter(pk=run.pk).update(summary=run.summary)


@pytest.fixture
def region_run(make_run: Callable[..., Run]) -> Callable[..., Run]:
    """A run of the whole region by the DRMG, computed (DONE), on ``run_date``."""

    def make(run_date: datetime.date) -> Run:
        run = make_run(rls=None, status=RunStatus.DONE, run_date=run_date)
        assert run.rls is None
        return run

    return make


def test_it_suggests_the_problem_from_a_region_run(
    cml_client: Client, region_run: Callable[..., Run], rimouski: Rls
) -> None:
    run = region_run(RUN_DATE)
    with_units(run, rimouski, 3.5)
    page = cml_client.get(reverse(NEW))
    assert page.context["suggestion"]["run"].pk == run.pk
    assert page.context["form"].initial["kind"] == ProblemKind.ALL_ABOVE_THREE_UNITS
    body = page.content.decode()
    assert f'data-testid="problem-suggestion" data-run="{run.pk}"' in body
    assert "a run of the whole region" in body
    assert f"every physician of {rimouski.name} works more than" in body


def test_it_reads_a_later_region_run_over_the_rls_run(
    cml_client: Client,
    make_run: Callable[..., Run],
    region_run: Callable[..., Run],
    rimouski: Rls,
    cml: User,
) -> None:
    older = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    with_units(older, rimouski, 3.5)
    region_run(LATER)  # the RLS's physicians below 3 units there
    assert cml_client.get(reverse(NEW)).context["suggestion"] is None


def test_it_reads_a_later_rls_run_over_the_region_run(
    cml_client: Client,
    make_run: Callable[..., Run],
    region_run: Callable[..., Run],
    rimouski: Rls,
    cml: User,
) -> None:
    older = region_run(RUN_DATE)
    with_units(older, rimouski, 3.5)
    later = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=LATER)
    assert cml_client.get(reverse(NEW)).context["suggestion"] is None
    with_units(later, rimouski, 3.5)
    assert cml_client.get(reverse(NEW)).context["suggestion"]["run"].pk == later.pk


def test_it_reads_only_the_rls_physicians_of_a_region_run(
    cml_client: Client, region_run: Callable[..., Run], other_rls: Rls
) -> None:
    # Every physician of the other RLS above 3 units says nothing of the CML's.
    run = region_run(RUN_DATE)
    with_units(run, other_rls, 3.5)
    assert cml_client.get(reverse(NEW)).context["suggestion"] is None


def test_it_leaves_out_a_run_of_another_rls(
    cml_client: Client, make_run: Callable[..., Run], rimouski: Rls, other_rls: Rls
) -> None:
    own = make_run(rls=rimouski, status=RunStatus.DONE, run_date=RUN_DATE)
    with_units(own, rimouski, 3.5)
    make_run(rls=other_rls, status=RunStatus.DONE, run_date=LATER)
    assert cml_client.get(reverse(NEW)).context["suggestion"]["run"].pk == own.pk


# --------------------------------------------------------------------------- a GMF under its target


def agree(demo_user: Callable[[str], User], value: int) -> Gmf:
    """G0001 (Rimouski-Neigette) with ``value`` agreed by its CML."""
    gmf = Gmf.objects.get(code="G0001")
    target = do_propose_gmf_target(gmf, value, "x", acting_user=demo_user("gestion.gmf"))
    do_decide_gmf_target(target, "agree", acting_user=demo_user("cml.rimouski"))
    return gmf


def test_it_suggests_a_gmf_that_received_less_than_its_target(
    cml_client: Client,
    make_run: Callable[..., Run],
    demo_user: Callable[[str], User],
    rimouski: Rls,
    cml: User,
) -> None:
    # More than its members can take: the plan leaves it under its target.
    gmf = agree(demo_user, 100_000)
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    page = cml_client.get(reverse(NEW))
    suggestion = page.context["suggestion"]
    assert suggestion["run"].pk == run.pk
    assert not suggestion["above"]
    assert [item["gmf"] for item in suggestion["gmfs"]] == [gmf]
    assert suggestion["gmfs"][0]["target"] == 100_000
    assert page.context["form"].initial["kind"] == ProblemKind.GMF_TARGET_MISSED
    assert page.context["form"].initial["gmf"] == gmf
    body = page.content.decode()
    assert f'<li data-gmf="{gmf.code}">' in body
    assert "weighted patients of a target of 100,000" in body


def test_it_suggests_no_gmf_that_received_its_target(
    cml_client: Client,
    make_run: Callable[..., Run],
    demo_user: Callable[[str], User],
    rimouski: Rls,
    cml: User,
) -> None:
    # 40 binds (its members would take more): they receive exactly 40.
    agree(demo_user, 40)
    make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    assert cml_client.get(reverse(NEW)).context["suggestion"] is None


def test_it_suggests_no_gmf_with_members_elsewhere_from_a_run_of_the_rls(
    cml_client: Client,
    make_run: Callable[..., Run],
    region_run: Callable[..., Run],
    demo_user: Callable[[str], User],
    rimouski: Rls,
    other_rls: Rls,
    cml: User,
) -> None:
    """A run of the RLS holds the GMF's whole target over its members there only: with a
    member practising elsewhere, it is short there without being short."""
    gmf = agree(demo_user, 100_000)
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    member = next(code for code, g in gmfs.run_gmf_of(run).items() if g == gmf.code)
    Physician.objects.filter(code=member).update(rls=other_rls)
    assert cml_client.get(reverse(NEW)).context["suggestion"] is None
    # A run of the whole region reads every member: the GMF is short there.
    region_run(LATER)
    suggestion = cml_client.get(reverse(NEW)).context["suggestion"]
    assert [item["gmf"] for item in suggestion["gmfs"]] == [gmf]
