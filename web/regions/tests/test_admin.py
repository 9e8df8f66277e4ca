"""The administration shows the projections of the imported tables and changes none of
them (docs/decisions.md, "One copy of each fact"): only an import writes them."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from web.regions.models import Physician

pytestmark = pytest.mark.django_db

PROJECTED = [
    "registration",
    "waitlistentry",
    "gmfmembership",
    "practicegroupmembership",
    "ipspartnership",
    "serviceagreement",
]


@pytest.fixture
def superuser_client(demo, superuser_client):
    """The demo's regional system administrator (a superuser without a profile)."""
    return superuser_client


def url(name: str, model: str, *args) -> str:
    return reverse(f"admin:regions_{model}_{name}", args=args)


@pytest.mark.parametrize("model", PROJECTED)
def test_it_grants_a_superuser_only_the_view_of_a_projection(rf, demo_user, model):
    request = rf.get("/admin/")
    request.user = demo_user("admin")
    model_admin = admin.site.get_model_admin(apps.get_model("regions", model))
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


# The tables the tiny demo fills (it has no practice group nor IPS-SPL partnership).
@pytest.mark.parametrize("model", ["registration", "waitlistentry", "gmfmembership"])
def test_it_lets_a_superuser_read_a_projection_but_not_change_it(superuser_client, model):
    row = apps.get_model("regions", model).objects.order_by("pk").first()
    assert row is not None, f"the demo has no {model}"
    before = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}

    page = superuser_client.get(url("change", model, row.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # a view-only page
    assert superuser_client.post(url("change", model, row.pk), {}).status_code == 403
    assert superuser_client.get(url("add", model)).status_code == 403
    assert superuser_client.post(url("add", model), {}).status_code == 403
    assert superuser_client.post(url("delete", model, row.pk), {"post": "yes"}).status_code == 403

    row.refresh_from_db()
    assert {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields} == before
    listing = superuser_client.get(url("changelist", model)).content.decode()
    assert url("add", model) not in listing


def test_it_keeps_the_roster_columns_of_a_physician_from_the_superuser(superuser_client):
    physician = Physician.objects.order_by("code").first()
    name, mode, target = physician.name, physician.attribution_mode, physician.amp_target
    response = superuser_client.post(
        url("change", "physician", physician.pk),
        {
            "licence_number": "99999",
            "name": "Dre Autre",
            "attribution_mode": "bloc" if mode != "bloc" else "grille",
            "amp_target": "1",
            **inline_management_form(),
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    physician.refresh_from_db()
    assert physician.licence_number == "99999"  # the database's own column
    assert (physician.name, physician.attribution_mode, physician.amp_target) == (
        name,
        mode,
        target,
    )


def test_it_adds_and_deletes_no_physician_in_the_administration(superuser_client):
    physician = Physician.objects.order_by("code").first()
    assert superuser_client.get(url("add", "physician")).status_code == 403
    response = superuser_client.post(url("delete", "physician", physician.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Physician.objects.filter(pk=physician.pk).exists()


def inline_management_form() -> dict[str, str]:
    """The management form of the physician page's (read-only) GMF memberships inline."""
    prefix = "gmf_memberships"
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
