"""The menu's "Assiduity" entry: for the roles the assiduity is open to (DRMG, CML, GMF
manager: its home page; a physician: their own rate), not for the others."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.usefixtures("demo", "english")


@pytest.mark.parametrize(
    ("username", "target"),
    [
        ("drmg", "assiduity:home"),
        ("cml.rimouski", "assiduity:home"),
        ("gestion.gmf", "assiduity:home"),
        ("medecin", "assiduity:my-rate"),
    ],
)
def test_it_links_the_assiduity_for_the_roles_it_is_open_to(
    client_as: Callable[[str], Client], username: str, target: str
) -> None:
    body = client_as(username).get(reverse("dashboard:home")).content.decode()

    assert f'<a href="{reverse(target)}" data-testid="nav-assiduity">Assiduity</a>' in body


@pytest.mark.parametrize("username", ["ciusss", "coach"])
def test_it_shows_no_assiduity_link_to_the_other_roles(
    client_as: Callable[[str], Client], username: str
) -> None:
    response = client_as(username).get(reverse("dashboard:home"))

    assert response.status_code == 200
    assert 'data-testid="nav-assiduity"' not in response.content.decode()


def test_it_shows_no_assiduity_link_to_a_visitor(client: Client) -> None:
    body = client.get(reverse("accounts:login")).content.decode()

    assert 'data-testid="nav-assiduity"' not in body
