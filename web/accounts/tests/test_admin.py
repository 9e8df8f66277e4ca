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


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", password="x"))
    return client


@pytest.mark.parametrize(
    "model",
    [
        "regions.region",
        "regions.rls",
        "regions.gmf",
        "regions.site",
        "regions.physician",
        "regions.ips",
        "regions.gmfmembership",
        "regions.practicegroup",
        "regions.practicegroupmembership",
        "regions.ipspartnership",
        "regions.serviceagreement",
        "regions.registration",
        "regions.waitlistentry",
        "accounts.profile",
        "auth.user",
    ],
)
def test_it_lists_every_model_for_the_superuser(superuser_client, t, model):
    app_label, model_name = model.split(".")
    response = superuser_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.model._meta.label_lower == model
    # Every row is listed, each with the link to its change page.
    rows = list(changelist.model._default_manager.all())
    assert changelist.result_count == len(rows)
    body = response.content.decode()
    for row in rows:
        assert reverse(f"admin:{app_label}_{model_name}_change", args=[row.pk]) in body

    response = superuser_client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert response.status_code == 200
    assert response.context["adminform"].form._meta.model is changelist.model
    assert f'id="{model_name}_form"' in response.content.decode()


def test_it_shows_a_patients_history(superuser_client, t):
    response = superuser_client.get(reverse("admin:regions_patient_history", args=[t.patient.pk]))
    assert response.status_code == 200
    assert response.context["object"] == t.patient
    body = response.content.decode()
    assert str(t.patient) in body
    assert t.patient.health_insurance_number not in body
