"""The admin pages are for the regional system administrator (a superuser) only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from web.accounts.models import Role
from web.regions.testing import make_user

pytestmark = pytest.mark.django_db

PATIENTS = "/admin/regions/patient/"


def test_it_sends_a_cml_to_the_admin_login_page(client, territory):
    client.force_login(make_user(Role.CML, rls=territory.rls))
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_refuses_the_admin_to_a_staff_member_who_is_not_superuser(client, territory):
    # Even given every model permission, a non-superuser sees no admin page.
    staff = make_user(Role.DRMG, region=territory.region)
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.set(Permission.objects.all())
    client.force_login(staff)
    for url in (PATIENTS, reverse("admin:index"), "/admin/auth/group/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login"))


def test_it_refuses_the_patients_to_a_non_superuser_model_admin_alone(rf, territory):
    # Defence in depth: the model admins refuse too, should the site rule ever change.
    from django.contrib import admin

    from web.regions.models import Patient

    staff = make_user(Role.DRMG, region=territory.region)
    staff.is_staff = True
    request = rf.get(PATIENTS)
    request.user = staff
    model_admin = admin.site.get_model_admin(Patient)
    assert not model_admin.has_view_permission(request)
    assert not model_admin.has_module_permission(request)


def test_it_shows_the_superuser_the_masked_number_in_the_patient_list(superuser_client, territory):
    response = superuser_client.get(PATIENTS)
    assert response.status_code == 200
    body = response.content.decode()
    assert territory.patient.masked_hin in body
    assert territory.patient.health_insurance_number not in body


# Projections of the imported tables, and the physicians (created by the roster's).
PROJECTED = {
    "regions.physician",
    "regions.gmfmembership",
    "regions.practicegroupmembership",
    "regions.ipspartnership",
    "regions.serviceagreement",
    "regions.registration",
    "regions.waitlistentry",
}


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
def test_it_lists_every_model_for_the_superuser(superuser_client, territory, model):
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
    if model in PROJECTED:  # only an import writes them (web/regions/tests/test_admin.py)
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert response.context["adminform"].form._meta.model is changelist.model
    assert f'id="{model_name}_form"' in response.content.decode()


def test_it_shows_a_patients_history(superuser_client, territory):
    response = superuser_client.get(
        reverse("admin:regions_patient_history", args=[territory.patient.pk])
    )
    assert response.status_code == 200
    assert response.context["object"] == territory.patient
    body = response.content.decode()
    assert str(territory.patient) in body
    assert territory.patient.health_insurance_number not in body
