"""Who reaches the problems raised to the DRMG: a CML their RLS's (another RLS's: 404),
the DRMG their region's (another region's DRMG: 404), every other role 403; a CML cannot
answer or close (403), the DRMG cannot raise (403)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from web.accounts.models import Role
from web.attribution.models import ProblemKind, ProblemReport, ProblemStatus
from web.attribution.services_problems import do_raise_problem
from web.regions.models import Region, Rls
from web.regions.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(rimouski: Rls, cml: User) -> ProblemReport:
    """An open problem of Rimouski-Neigette raised by its CML."""
    return do_raise_problem(
        rimouski, ProblemKind.SHORTAGE, "Two departures in May.", acting_user=cml
    )


@pytest.fixture
def other_problem(other_rls: Rls, demo_user: Callable[[str], User]) -> ProblemReport:
    """An open problem of Kamouraska raised by its CML."""
    return do_raise_problem(
        other_rls,
        ProblemKind.OTHER,
        "The guichet is closed.",
        acting_user=demo_user("cml.kamouraska"),
    )


def _detail(problem: ProblemReport) -> str:
    return reverse("attribution:problem-detail", args=[problem.pk])


def test_it_lists_only_the_cmls_own_rls(
    cml_client: Client, problem: ProblemReport, other_problem: ProblemReport
):
    response = cml_client.get(reverse("attribution:problem-list"))
    assert response.status_code == 200
    shown = {p.pk for p in response.context["page"]}
    assert shown == {problem.pk}


def test_it_lists_the_whole_region_to_the_drmg(
    drmg_client: Client, problem: ProblemReport, other_problem: ProblemReport
):
    response = drmg_client.get(reverse("attribution:problem-list"))
    assert {p.pk for p in response.context["page"]} == {problem.pk, other_problem.pk}


def test_it_answers_404_for_another_rls_problem(other_cml_client: Client, problem: ProblemReport):
    assert other_cml_client.get(_detail(problem)).status_code == 404
    response = other_cml_client.post(_detail(problem), {"action": "close"})
    assert response.status_code == 404


def test_it_answers_404_to_the_drmg_of_another_region(client: Client, problem: ProblemReport):
    stranger = make_user(Role.DRMG, region=Region.objects.create(code="99", name="Another region"))
    client.force_login(stranger)
    assert client.get(_detail(problem)).status_code == 404
    assert client.post(_detail(problem), {"action": "answer", "answer": "No."}).status_code == 404
    listed = client.get(reverse("attribution:problem-list"))
    assert list(listed.context["page"]) == []


@pytest.mark.parametrize(
    "client_name",
    ["gmf_manager_client", "physician_client", "ciusss_client", "coach_client"],
)
@pytest.mark.parametrize("page", ["problem-list", "problem-new", "problem-detail"])
def test_it_refuses_the_roles_outside_attribution(
    request: pytest.FixtureRequest, client_name: str, page: str, problem: ProblemReport
):
    other = request.getfixturevalue(client_name)
    args = [problem.pk] if page == "problem-detail" else []
    assert other.get(reverse(f"attribution:{page}", args=args)).status_code == 403


def test_it_refuses_the_guichet_agent(client: Client, region: Region, problem: ProblemReport):
    client.force_login(make_user(Role.GUICHET_AGENT, region=region))
    assert client.get(reverse("attribution:problem-list")).status_code == 403
    assert client.get(_detail(problem)).status_code == 403


def test_it_refuses_answers_and_closing_by_a_cml(cml_client: Client, problem: ProblemReport):
    response = cml_client.post(_detail(problem), {"action": "answer", "answer": "Myself."})
    assert response.status_code == 403
    assert cml_client.post(_detail(problem), {"action": "close"}).status_code == 403
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN
    assert problem.answer == ""


def test_it_lets_the_cml_read_their_problem_without_the_drmgs_forms(
    cml_client: Client, problem: ProblemReport
):
    response = cml_client.get(_detail(problem))
    assert response.status_code == 200
    assert b"Two departures in May." in response.content
    assert b'data-testid="answer-form"' not in response.content
    assert b'data-testid="close-form"' not in response.content


def test_it_refuses_the_form_to_the_drmg(drmg_client: Client):
    # Problems are raised to the DRMG, not by them.
    assert drmg_client.get(reverse("attribution:problem-new")).status_code == 403
    assert drmg_client.post(reverse("attribution:problem-new"), {}).status_code == 403


def test_it_refuses_raising_for_an_rls_not_the_cmls(cml_client: Client, other_rls: Rls):
    response = cml_client.post(
        reverse("attribution:problem-new"),
        {"rls": other_rls.code, "kind": ProblemKind.SHORTAGE, "description": "Not mine."},
    )
    assert response.status_code == 200
    assert "rls" in response.context["form"].errors
    assert not ProblemReport.objects.filter(rls=other_rls).exists()


def test_it_offers_the_cml_only_their_rls_and_its_gmfs(cml_client: Client, rimouski: Rls):
    form = cml_client.get(reverse("attribution:problem-new")).context["form"]
    assert [rls.code for rls in form.fields["rls"].queryset] == [rimouski.code]
    gmfs = list(form.fields["gmf"].queryset)
    assert gmfs
    assert {gmf.rls_id for gmf in gmfs} == {rimouski.pk}
