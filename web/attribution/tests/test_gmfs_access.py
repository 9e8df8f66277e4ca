"""Who reads a GMF's attribution page, proposes and decides its target (issue 19): the GMF
manager their GMF, the CML the GMFs of their RLS, the DRMG the region's; another GMF or
RLS answers 404, another role 403. The demo: G0001 (Rimouski-Neigette, gestion.gmf's),
G0002 (the other RLS)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from web.accounts import access
from web.attribution.models import GmfTarget
from web.attribution.services_gmfs import do_propose_gmf_target
from web.regions.models import Gmf, Region
from web.regions.testing import make_user

OWN = "G0001"
OTHER = "G0002"


@pytest.fixture
def manager(demo_user: Callable[[str], User]) -> User:
    return demo_user("gestion.gmf")


@pytest.fixture
def proposals(manager: User, demo_user: Callable[[str], User]) -> dict[str, GmfTarget]:
    """A proposal waiting in each demo GMF (the other's by a manager of its own)."""
    other = Gmf.objects.get(code=OTHER)
    other_manager = make_user("gmf_manager", gmf=other, username="gestion.autre")
    return {
        OWN: do_propose_gmf_target(Gmf.objects.get(code=OWN), 300, "x", acting_user=manager),
        OTHER: do_propose_gmf_target(other, 200, "y", acting_user=other_manager),
    }


def detail(code: str) -> str:
    return reverse("attribution:gmf-detail", args=[code])


def test_it_shows_the_gmf_manager_their_gmf(gmf_manager_client: Client) -> None:
    response = gmf_manager_client.get(detail(OWN))
    assert response.status_code == 200
    assert b'data-testid="gmf-members"' in response.content


def test_it_hides_another_gmf_from_a_gmf_manager(gmf_manager_client: Client) -> None:
    assert gmf_manager_client.get(detail(OTHER)).status_code == 404


def test_it_shows_the_cml_a_gmf_of_their_rls(cml_client: Client) -> None:
    assert cml_client.get(detail(OWN)).status_code == 200


def test_it_hides_a_gmf_of_another_rls_from_the_cml(
    cml_client: Client, other_cml_client: Client
) -> None:
    assert cml_client.get(detail(OTHER)).status_code == 404
    assert other_cml_client.get(detail(OWN)).status_code == 404
    assert other_cml_client.get(detail(OTHER)).status_code == 200


def test_it_shows_the_drmg_every_gmf_of_the_region(drmg_client: Client) -> None:
    assert drmg_client.get(detail(OWN)).status_code == 200
    assert drmg_client.get(detail(OTHER)).status_code == 200


@pytest.mark.parametrize("role", ["physician_client", "ciusss_client", "coach_client"])
def test_it_refuses_the_gmf_pages_to_other_roles(
    role: str, request: pytest.FixtureRequest, proposals: dict[str, GmfTarget]
) -> None:
    client = request.getfixturevalue(role)
    assert client.get(reverse("attribution:gmf-list")).status_code == 403
    assert client.get(detail(OWN)).status_code == 403
    assert client.get(reverse("attribution:gmf-target-new", args=[OWN])).status_code == 403
    decide = reverse("attribution:gmf-target-decide", args=[proposals[OWN].pk])
    assert client.get(decide).status_code == 403


def test_it_refuses_a_gmf_manager_without_a_gmf(region: Region) -> None:
    user = make_user("gmf_manager", region=region)
    client = Client()
    client.force_login(user)
    assert client.get(detail(OWN)).status_code == 403
    assert access.own_attribution_gmf(user) is None


def test_it_lists_the_cml_the_gmfs_of_their_rls(cml_client: Client, drmg_client: Client) -> None:
    page = cml_client.get(reverse("attribution:gmf-list")).content.decode()
    assert f'data-testid="gmf-{OWN}"' in page
    assert f'data-testid="gmf-{OTHER}"' not in page
    page = drmg_client.get(reverse("attribution:gmf-list")).content.decode()
    assert f'data-testid="gmf-{OWN}"' in page and f'data-testid="gmf-{OTHER}"' in page


def test_it_sends_a_gmf_manager_from_the_list_to_their_gmf(gmf_manager_client: Client) -> None:
    response = gmf_manager_client.get(reverse("attribution:gmf-list"))
    assert response.status_code == 302
    assert response.url == detail(OWN)


def test_it_lets_only_the_gmf_manager_propose(
    gmf_manager_client: Client, cml_client: Client, drmg_client: Client
) -> None:
    url = reverse("attribution:gmf-target-new", args=[OWN])
    assert gmf_manager_client.get(url).status_code == 200
    assert cml_client.get(url).status_code == 403
    assert drmg_client.get(url).status_code == 403
    assert (
        gmf_manager_client.get(reverse("attribution:gmf-target-new", args=[OTHER])).status_code
        == 404
    )


def test_it_lets_only_the_cml_of_the_rls_decide(
    proposals: dict[str, GmfTarget],
    cml_client: Client,
    other_cml_client: Client,
    drmg_client: Client,
    gmf_manager_client: Client,
) -> None:
    own = reverse("attribution:gmf-target-decide", args=[proposals[OWN].pk])
    other = reverse("attribution:gmf-target-decide", args=[proposals[OTHER].pk])
    assert cml_client.get(own).status_code == 200
    assert cml_client.get(other).status_code == 404
    assert other_cml_client.get(own).status_code == 404
    assert drmg_client.get(own).status_code == 403
    assert gmf_manager_client.get(own).status_code == 403
    assert gmf_manager_client.get(other).status_code == 404


def test_it_gives_the_gmf_manager_a_menu_entry_to_their_gmf(
    gmf_manager_client: Client, cml_client: Client
) -> None:
    page = gmf_manager_client.get(reverse("dashboard:home")).content.decode()
    assert 'data-testid="nav-gmf-attribution"' in page
    assert (
        'data-testid="nav-gmf-attribution"'
        not in cml_client.get(reverse("dashboard:home")).content.decode()
    )


def test_it_shows_the_decide_link_to_the_cml_only(
    proposals: dict[str, GmfTarget], cml_client: Client, gmf_manager_client: Client
) -> None:
    link = f'data-testid="decide-{proposals[OWN].pk}"'
    assert link in cml_client.get(detail(OWN)).content.decode()
    page = gmf_manager_client.get(detail(OWN)).content.decode()
    assert link not in page
    assert 'data-testid="propose-target"' in page
