"""The dashboard's figures are cached per data version and per territory
(web/dashboard/figures.py); an import showing at once on every page is checked by
web/tables/tests/test_one_copy.py."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from web.accounts import access
from web.dashboard import figures
from web.regions.models import Physician, Rls, WaitlistEntry
from web.regions.services import do_set_waitlist_status

pytestmark = pytest.mark.django_db


def _waiting(rls: Rls) -> int:
    rows = figures.waitlist_by_rls_and_priority(Rls.objects.filter(pk=rls.pk))
    return rows[0].total


def test_it_serves_a_figure_from_the_cache_until_a_status_change_is_recorded(own_rls):
    before = _waiting(own_rls)
    entry = WaitlistEntry.objects.filter(rls=own_rls, status="waiting").first()
    # A write that bypasses the services (no audit event, no new version): still cached.
    WaitlistEntry.objects.filter(pk=entry.pk).update(status="withdrawn")
    assert _waiting(own_rls) == before
    WaitlistEntry.objects.filter(pk=entry.pk).update(status="waiting")
    # The service records the change: the data version moves, the figure follows at once.
    do_set_waitlist_status(
        entry, "withdrawn", acting_user=User.objects.get(username="drmg"), reason="test"
    )
    assert _waiting(own_rls) == before - 1


def test_it_never_serves_one_territorys_figures_to_another(
    drmg_client, cml_client, other_cml_client, own_rls, other_rls
):
    region_rows = drmg_client.get(reverse("dashboard:home")).context["registration_rows"]
    assert {row.code for row in region_rows} >= {own_rls.code, other_rls.code}
    own = cml_client.get(reverse("dashboard:home")).context
    other = other_cml_client.get(reverse("dashboard:home")).context
    assert [row.code for row in own["registration_rows"]] == [own_rls.code]
    assert [row.code for row in other["registration_rows"]] == [other_rls.code]
    assert (
        own["physicians_total"]
        == access.visible_physicians(User.objects.get(username="cml.rimouski")).count()
    )
    assert (
        other["physicians_total"]
        == access.visible_physicians(User.objects.get(username="cml.kamouraska")).count()
    )


def test_it_computes_a_figure_once_per_data_version(drmg_client):
    drmg_client.get(reverse("dashboard:home"))
    with CaptureQueriesContext(connection) as second:
        response = drmg_client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    counted = [q["sql"] for q in second.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counted == []


def test_it_follows_an_edit_in_the_administration(own_rls):
    """The admin writes a LogEntry with every change it saves (ModelAdmin.log_change)."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    rows_before = figures.physician_rows(Physician.objects.filter(rls=own_rls), date.today())
    physician = Physician.objects.filter(rls=own_rls).order_by("name", "code").first()
    Physician.objects.filter(pk=physician.pk).update(name="Renamed in the administration")
    LogEntry.objects.create(
        user=User.objects.get(username="admin"),
        content_type=ContentType.objects.get_for_model(Physician),
        object_id=str(physician.pk),
        object_repr="Renamed in the administration",
        action_flag=CHANGE,
    )
    rows_after = figures.physician_rows(Physician.objects.filter(rls=own_rls), date.today())
    assert physician.name in {row.name for row in rows_before}
    assert "Renamed in the administration" in {row.name for row in rows_after}
