"""A GMF's members on its attribution page by who reads it (issue 19, from the review): a
GMF's members may practise in another RLS; the CML of the GMF's RLS reads only the members
practising in their RLS and how many practise elsewhere, unnamed; the GMF manager and the
DRMG read every member. The demo: G0001 of Rimouski-Neigette (cml.rimouski's,
gestion.gmf's), to which a physician of Kamouraska is made a member here."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from web.attribution import gmfs
from web.regions.models import Gmf, GmfMembership, Physician, Rls


@pytest.fixture
def gmf(demo: object) -> Gmf:
    """G0001, of Rimouski-Neigette."""
    return Gmf.objects.select_related("rls__region").get(code="G0001")


def make_member(gmf: Gmf, code: str, physician: Physician | None = None) -> GmfMembership:
    """A membership of ``code`` in ``gmf`` in force today (a month old, ongoing)."""
    return GmfMembership.objects.create(
        region=gmf.rls.region,
        physician_code=code,
        gmf_code=gmf.code,
        physician=physician,
        gmf=gmf,
        start_date=timezone.localdate() - datetime.timedelta(days=30),
    )


@pytest.fixture
def outsider(gmf: Gmf, other_rls: Rls) -> Physician:
    """A physician practising in Kamouraska, made a member of G0001 today."""
    members = gmfs.members_on(gmf, timezone.localdate())
    physician = Physician.objects.filter(rls=other_rls).exclude(code__in=members).first()
    assert physician is not None
    make_member(gmf, physician.code, physician)
    return physician


def detail(gmf: Gmf, client: Client) -> str:
    response = client.get(reverse("attribution:gmf-detail", args=[gmf.code]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_hides_the_members_practising_elsewhere_from_the_cml(
    gmf: Gmf, outsider: Physician, cml_client: Client
) -> None:
    page = detail(gmf, cml_client)
    assert f'data-testid="member-{outsider.code}"' not in page
    assert outsider.code not in page
    assert outsider.name not in page
    # The members of the CML's RLS are still listed.
    own = Physician.objects.filter(rls=gmf.rls, code__in=gmfs.members_on(gmf, timezone.localdate()))
    assert own.exists()
    for physician in own:
        assert f'data-testid="member-{physician.code}"' in page


def test_it_tells_the_cml_how_many_members_practise_elsewhere(
    gmf: Gmf, outsider: Physician, cml_client: Client
) -> None:
    page = detail(gmf, cml_client)
    assert 'data-testid="members-elsewhere" data-count="1"' in page
    assert "1 other member practises in another RLS: not shown." in page


def test_it_says_nothing_of_members_elsewhere_when_there_are_none(
    gmf: Gmf, cml_client: Client
) -> None:
    assert 'data-testid="members-elsewhere"' not in detail(gmf, cml_client)


@pytest.mark.parametrize("role", ["drmg_client", "gmf_manager_client"])
def test_it_shows_every_member_to_the_drmg_and_the_gmf_manager(
    gmf: Gmf, outsider: Physician, role: str, request: pytest.FixtureRequest
) -> None:
    page = detail(gmf, request.getfixturevalue(role))
    assert f'data-testid="member-{outsider.code}"' in page
    assert 'data-testid="members-elsewhere"' not in page


def test_it_narrows_the_member_rows_to_the_rls_asked(
    gmf: Gmf, outsider: Physician, other_rls: Rls
) -> None:
    today = timezone.localdate()
    everyone, _missing = gmfs.member_rows(gmf, today)
    assert outsider.code in {row.code for row in everyone}
    own_rows, own_missing = gmfs.member_rows(gmf, today, rls_codes=[gmf.rls.code])
    assert outsider.code not in {row.code for row in own_rows} | set(own_missing)
    assert {row.code for row in own_rows} == {row.code for row in everyone} - {outsider.code}
    other_rows, _ = gmfs.member_rows(gmf, today, rls_codes=[other_rls.code])
    assert [row.code for row in other_rows] == [outsider.code]


def test_it_keeps_a_member_without_a_record_among_the_cmls_missing(
    gmf: Gmf, outsider: Physician, cml_client: Client
) -> None:
    # Nothing says where an unknown member practises: the CML of the GMF's RLS is told of
    # them, as the GMF manager is.
    make_member(gmf, "X99999")
    _rows, missing = gmfs.member_rows(gmf, timezone.localdate(), rls_codes=[gmf.rls.code])
    assert missing == ["X99999"]
    page = detail(gmf, cml_client)
    assert 'data-testid="members-missing"' in page and "X99999" in page
    assert 'data-testid="members-elsewhere" data-count="1"' in page
