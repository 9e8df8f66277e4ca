"""The region's number of contact attempts before a proposed patient may be returned as
unreachable (issue 15, section 3; docs/attribution-journey.md): set by the region's DRMG
from the region's settings page, through the one service that writes it and records it in
the audit trail; every other role, another region's DRMG and the administrator refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.accounts.models import Role
from web.audit.models import AuditEvent
from web.regions import services
from web.regions.errors import RegionsError
from web.regions.models import Region, RegionsAction
from web.regions.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """The tests read the English messages (the ids)."""


def settings_url(region: Region) -> str:
    return reverse("attribution:region-settings", args=[region.code])


# --------------------------------------------------------------------------- the service


def test_it_sets_the_regions_contact_attempts_and_records_who(territory):
    drmg = make_user(Role.DRMG, region=territory.region)
    services.do_set_contact_attempts(territory.region, 3, acting_user=drmg)
    region = Region.objects.get(pk=territory.region.pk)
    assert region.contact_attempts == 3
    (entry,) = AuditEvent.objects.about(region)
    assert (entry.action, entry.actor, entry.rls_code) == (
        RegionsAction.CONTACT_ATTEMPTS_SET,
        drmg,
        "",
    )
    assert entry.details["changed"] == {"contact_attempts": [2, 3]}


@pytest.mark.parametrize("attempts", [0, 11, -1, "3", 2.5, True, None])
def test_it_refuses_a_number_that_is_not_a_whole_one_from_1_to_10(territory, attempts):
    drmg = make_user(Role.DRMG, region=territory.region)
    with pytest.raises(RegionsError, match="whole number from 1 to 10"):
        services.do_set_contact_attempts(territory.region, attempts, acting_user=drmg)
    assert Region.objects.get(pk=territory.region.pk).contact_attempts == 2
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("attempts", [1, 10])
def test_it_accepts_the_bounds(territory, attempts):
    drmg = make_user(Role.DRMG, region=territory.region)
    services.do_set_contact_attempts(territory.region, attempts, acting_user=drmg)
    assert Region.objects.get(pk=territory.region.pk).contact_attempts == attempts


# --------------------------------------------------------------------------- the page


@pytest.fixture
def region(demo) -> Region:
    """The demo region."""
    return Region.objects.get()


def test_it_lets_the_drmg_set_the_number_from_the_regions_settings_page(drmg_client, region):
    page = drmg_client.get(settings_url(region))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="contact-attempts-form"' in html
    assert 'name="attempts"' in html and 'value="2"' in html
    assert "The region sets 2 contact attempts before a proposed patient" in html
    response = drmg_client.post(settings_url(region), {"attempts": "1"}, follow=True)
    assert response.redirect_chain == [(settings_url(region), 302)]
    html = response.content.decode()
    assert "The region&#x27;s number of contact attempts is saved." in html
    assert "The region sets 1 contact attempt before a proposed patient" in html  # singular
    region.refresh_from_db()
    assert region.contact_attempts == 1
    entry = AuditEvent.objects.about(region).get()
    assert entry.actor.username == "drmg"


@pytest.mark.parametrize(
    ("posted", "message"),
    [("11", "whole number from 1 to 10"), ("0", "whole number from 1 to 10"), ("two", "")],
)
def test_it_answers_a_wrong_number_with_a_form_error(drmg_client, region, posted, message):
    response = drmg_client.post(settings_url(region), {"attempts": posted})
    assert response.status_code == 400
    assert response.context["form"].errors["attempts"]
    assert message in response.content.decode()
    region.refresh_from_db()
    assert region.contact_attempts == 2
    assert not AuditEvent.objects.about(region).exists()


def test_it_links_the_settings_page_from_the_drmgs_home_only(drmg_client, cml_client, region):
    link = 'data-testid="link-region-settings"'
    assert link in drmg_client.get(reverse("attribution:home")).content.decode()
    assert link not in cml_client.get(reverse("attribution:home")).content.decode()


@pytest.mark.parametrize(
    "username", ["cml.rimouski", "cml.kamouraska", "medecin", "gestion.gmf", "ciusss", "coach"]
)
def test_it_refuses_the_settings_page_to_other_roles(client_as, region, username):
    client = client_as(username)
    assert client.get(settings_url(region)).status_code == 403
    assert client.post(settings_url(region), {"attempts": "5"}).status_code == 403
    region.refresh_from_db()
    assert region.contact_attempts == 2


def test_it_refuses_the_settings_page_to_the_administrator(superuser_client, region):
    # A superuser without a profile administers the system, not a region's rules.
    assert superuser_client.get(settings_url(region)).status_code == 403
    assert superuser_client.post(settings_url(region), {"attempts": "5"}).status_code == 403
    region.refresh_from_db()
    assert region.contact_attempts == 2


def test_it_refuses_a_region_to_another_regions_drmg(client, region):
    other = Region.objects.create(code="99", name="Gaspésie")
    client.force_login(make_user(Role.DRMG, region=other))
    assert client.get(settings_url(region)).status_code == 404
    assert client.post(settings_url(region), {"attempts": "5"}).status_code == 404
    region.refresh_from_db()
    assert region.contact_attempts == 2
    # Their own region's page is theirs.
    assert client.post(settings_url(other), {"attempts": "4"}).status_code == 302
    other.refresh_from_db()
    assert (other.contact_attempts, region.contact_attempts) == (4, 2)


def test_it_shows_the_number_read_only_in_the_administration(superuser_client, region):
    page = superuser_client.get(reverse("admin:regions_region_change", args=[region.pk]))
    assert page.status_code == 200
    assert 'name="contact_attempts"' not in page.content.decode()
    superuser_client.post(
        reverse("admin:regions_region_change", args=[region.pk]),
        {
            "code": region.code,
            "name": region.name,
            "registration_goal": str(region.registration_goal),
            "contact_attempts": "7",
        },
    )
    region.refresh_from_db()
    assert region.contact_attempts == 2
