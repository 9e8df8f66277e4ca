"""The assiduity's home page links to the region's other pages for those who may open
them: the trends and the DRMG's notices for the DRMG and the CMLs, nothing for others."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["drmg", "cml.rimouski"])
def test_it_links_the_trends_and_the_notices_for_the_drmg_and_a_cml(client_as, username):
    page = client_as(username).get(reverse("assiduity:home")).content.decode()
    assert reverse("assiduity:trends") in page
    assert reverse("assiduity:notices") in page


@pytest.mark.parametrize("username", ["medecin", "gestion.gmf"])
def test_it_links_neither_for_a_physician_nor_a_gmf_manager(client_as, username):
    response = client_as(username).get(reverse("assiduity:home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("assiduity:trends") not in page
    assert reverse("assiduity:notices") not in page
