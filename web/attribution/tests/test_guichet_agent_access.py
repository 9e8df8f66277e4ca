"""The guichet's administrative agent reaches what their job needs, the LE 304 files'
pages, and nothing else (issue 19, from the review: the agent was one of the regional
roles and read the region's dashboard and its physicians' figures like the DRMG): every
other page answers 403, the dashboards, the RLS and physicians' pages, the runs and their
patients, the assiduity, the co-management and the QI groups included."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from web.accounts import access
from web.attribution.models import Run
from web.regions.models import Gmf, Physician, Rls, WaitlistEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(demo_user: Callable[[str], User]) -> User:
    return demo_user("agent.guichet")


@pytest.fixture
def agent_client(client_as: Callable[[str], Client]) -> Client:
    return client_as("agent.guichet")


@pytest.fixture
def codes(rimouski: Rls, approved_run: Run, _demo_assiduity_run: int) -> dict[str, str | int]:
    """What the addresses name: the agent's region's first RLS, one of its physicians,
    a waiting patient of it, a GMF of it, the approved run, the assiduity computation."""
    return {
        "rls": rimouski.code,
        "physician": Physician.objects.filter(rls=rimouski).order_by("code").first().code,
        "patient": WaitlistEntry.objects.filter(rls=rimouski).order_by("pk").first().patient.code,
        "gmf": Gmf.objects.filter(rls=rimouski).order_by("code").first().code,
        "run": approved_run.pk,
        "assiduity_run": _demo_assiduity_run,
    }


# (name, arguments named by ``codes``, query string)
REFUSED = [
    # The dashboards, the RLS pages and a patient's record.
    ("dashboard:rls-detail", ["rls"], ""),
    ("dashboard:rls-waitlist", ["rls"], ""),
    ("dashboard:patient-detail", ["patient"], ""),
    # The attribution: physicians, runs and their patients, plans, letters, GMFs.
    ("attribution:home", [], ""),
    ("attribution:physicians", ["rls"], ""),
    ("attribution:runs", [], ""),
    ("attribution:run-detail", ["run"], ""),
    ("attribution:run-detail", ["run"], "?tab=patients"),
    ("attribution:run-detail", ["run"], "?tab=physicians"),
    ("attribution:run-patient", ["run", "patient"], ""),
    ("attribution:run-physician", ["run", "physician"], ""),
    ("attribution:run-journey", ["run", "patient"], ""),
    ("attribution:followup", ["run"], ""),
    ("attribution:followup-physician", ["run", "physician"], ""),
    ("attribution:letters", ["run"], ""),
    ("attribution:history", [], ""),
    ("attribution:quarterly", [], ""),
    ("attribution:gmf-list", [], ""),
    ("attribution:gmf-detail", ["gmf"], ""),
    ("attribution:declaration-list", [], ""),
    ("attribution:problem-list", [], ""),
    # The assiduity.
    ("assiduity:home", [], ""),
    ("assiduity:run-detail", ["assiduity_run"], ""),
    ("assiduity:physician", ["assiduity_run", "physician"], ""),
    ("assiduity:notices", [], ""),
    # The co-management and the QI groups.
    ("comanagement:home", [], ""),
    ("comanagement:gmf-detail", ["gmf"], ""),
    ("quality:home", [], ""),
    ("quality:selection", [], ""),
    # The tables' imports.
    ("tables:imports", [], ""),
]


@pytest.mark.parametrize(
    ("name", "arguments", "query"),
    REFUSED,
    ids=[f"{name}{query}" for name, _arguments, query in REFUSED],
)
def test_it_refuses_the_agent_every_page_but_the_le304_files(
    agent_client: Client,
    codes: dict[str, str | int],
    name: str,
    arguments: list[str],
    query: str,
) -> None:
    url = reverse(name, args=[codes[argument] for argument in arguments]) + query
    assert agent_client.get(url).status_code == 403


def test_it_refuses_the_agent_a_physicians_record(agent: User, codes: dict[str, str | int]) -> None:
    # What the dashboard and the RLS pages read: the agent's role sees no territory.
    with pytest.raises(PermissionDenied):
        access.visible_rls(agent)
    with pytest.raises(PermissionDenied):
        access.visible_physicians(agent)
    with pytest.raises(PermissionDenied):
        access.access_physician(agent, str(codes["physician"]))
    with pytest.raises(PermissionDenied):
        access.visible_patients(agent)
    assert not access.can_list_waitlist(agent)


def test_it_keeps_the_le304_files_open_to_the_agent(
    agent_client: Client, approved_run: Run
) -> None:
    assert agent_client.get(reverse("attribution:le304-list")).status_code == 200
    page = agent_client.get(reverse("attribution:le304-run", args=[approved_run.pk]))
    assert page.status_code == 200


def test_it_keeps_the_le304_files_in_the_agents_menu_on_a_refusal(
    agent_client: Client, rimouski: Rls
) -> None:
    refused = agent_client.get(reverse("dashboard:rls-detail", args=[rimouski.code]))
    assert refused.status_code == 403
    assert 'data-testid="nav-le304"' in refused.content.decode()


def test_it_lands_the_agent_on_the_le304_files_after_login(agent_client: Client) -> None:
    # Login leads to the dashboard, which shows no territory to the agent: it sends them
    # to their own pages instead of a refusal.
    response = agent_client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("attribution:le304-list")


def test_it_still_shows_the_regional_roles_the_region(
    client_as: Callable[[str], Client], rimouski: Rls
) -> None:
    for username in ("drmg", "ciusss", "coach"):
        client = client_as(username)
        assert client.get(reverse("dashboard:home")).status_code == 200, username
        assert client.get(reverse("dashboard:rls-detail", args=[rimouski.code])).status_code == 200
