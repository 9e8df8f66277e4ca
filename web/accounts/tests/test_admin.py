"""The admin pages are for the regional system administrator (a superuser) only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from web.accounts.models import Role
from web.regions.testing import make_user
from web.regions.tests.factories import make_territory

pytestmark = pytest.mark.django_db

PATIENTS = "/admin/regions/patient/"


@pytest.fixture
def t():
    return make_territory()


def test_it_sends_a_cml_to_the_admin_login_page(client, t):
    client.force_login(make_user(Role.CML, rls=t.rls))
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_refuses_the_admin_to_a_staff_member_who_is_not_superuser(client, t):
    # Even given every model permission, a non-superuser sees no admin page.
    staff = make_user(Role.DRMG, region=t.region)
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.set(Permission.objects.all())
    client.force_login(staff)
    for url in (PATIENTS, reverse("admin:index"), "/admin/auth/group/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login"))


def test_it_refuses_the_patients_to_a_non_superuser_model_admin_alone(rf, t):
    # Defence in depth: the model admins refuse too, should the site rule ever change.
    from django.contrib import admin

    from web.regions.models import Patient

    staff = make_user(Role.DRMG, region=t.region)
    staff.is_staff = True
    request = rf.get(PATIENTS)
    request.user = staff
    model_admin = admin.site.get_model_admin(Patient)
    assert not model_admin.has_view_permission(request)
    assert not model_admin.has_module_permission(request)


def test_it_shows_the_superuser_the_masked_number_in_the_patient_list(client, t, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", password="x")
    client.force_login(admin)
    response = client.get(PATIENTS)
    assert response.status_code == 200
    body = response.content.decode()
    assert t.patient.masked_hin in body
    assert t.patient.health_insurance_number not in body


@pytest.mark.parametrize(
    "url",
    [
        "/admin/regions/region/",
        "/admin/regions/rls/",
        "/admin/regions/gmf/",
        "/admin/regions/site/",
        "/admin/regions/physician/",
        "/admin/regions/ips/",
        "/admin/regions/gmfmembership/",
        "/admin/regions/practicegroup/",
        "/admin/regions/practicegroupmembership/",
        "/admin/regions/ipspartnership/",
        "/admin/regions/serviceagreement/",
        "/admin/regions/registration/",
        "/admin/regions/waitlistentry/",
        "/admin/accounts/profile/",
        "/admin/auth/user/",
    ],
)
def test_it_lists_every_model_for_the_superuser(client, t, django_user_model, url):
    client.force_login(django_user_model.objects.create_superuser("admin", password="x"))
    assert client.get(url).status_code == 200
    assert client.get(url + "add/").status_code == 200


def test_it_shows_a_patients_history(client, t, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", password="x"))
    assert client.get(f"{PATIENTS}{t.patient.pk}/history/").status_code == 200
