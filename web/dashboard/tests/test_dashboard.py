from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from web.dashboard import charts, figures
from web.regions.models import Patient, Physician, WaitlistEntry

pytestmark = pytest.mark.django_db


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_refuses_a_user_without_a_role(client, demo):
    client.force_login(User.objects.create_user("nobody", password="x"))
    assert client.get(reverse("dashboard:home")).status_code == 403


def test_it_shows_the_cml_their_rls_and_no_other(cml_client, own_rls, other_rls):
    response = cml_client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    rows = response.context["registration_rows"]
    assert [row.code for row in rows] == [own_rls.code]
    body = response.content.decode()
    assert f'data-rls="{own_rls.code}"' in body
    assert other_rls.name not in body


def test_it_counts_residents_and_registered_like_the_database(drmg_client):
    today = timezone.localdate()
    response = drmg_client.get(reverse("dashboard:home"))
    assert response.context["residents"] == Patient.objects.count()
    registered = Patient.objects.filter(
        id__in=figures.active_registrations(today).values("patient_id")
    ).count()
    assert response.context["registered"] == registered
    assert 0 < registered < Patient.objects.count()


def test_it_counts_the_waiting_list_by_priority(drmg_client):
    response = drmg_client.get(reverse("dashboard:home"))
    totals = response.context["waitlist_totals"]
    for priority in figures.PRIORITIES:
        assert (
            totals[priority]
            == WaitlistEntry.objects.filter(status="waiting", priority=priority).count()
        )


def test_it_puts_every_visible_physician_in_one_stratum(drmg_client):
    response = drmg_client.get(reverse("dashboard:home"))
    assert response.context["physicians_total"] == Physician.objects.count()


def test_it_shows_a_physician_only_themself_in_the_strata(physician_client):
    response = physician_client.get(reverse("dashboard:home"))
    assert response.context["physicians_total"] == 1


def test_it_speaks_french_by_default_and_english_on_request(drmg_client):
    assert "Tableau de bord" in drmg_client.get(reverse("dashboard:home")).content.decode()
    drmg_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Dashboard" in drmg_client.get(reverse("dashboard:home")).content.decode()


@pytest.mark.parametrize(
    ("registered", "label"),
    [
        (0, "0-249"),
        (249, "0-249"),
        (250, "250-499"),
        (999, "750-999"),
        (1000, "1 000-1 499"),
        (1499, "1 000-1 499"),
        (1500, "1 500+"),
    ],
)
def test_it_puts_boundaries_in_the_right_stratum(registered, label):
    assert figures.stratum_label(registered) == label


def test_it_builds_valid_vega_lite_specs():
    rows = [figures.RlsRegistration("0111", "A", residents=100, registered=90, goal=0.85)]
    spec = charts.registration_rate_chart(rows)
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert rows[0].meets_goal
    assert not figures.RlsRegistration("x", "B", 100, 85, 0.85).meets_goal


def test_it_stays_in_french_for_a_browser_that_prefers_english(drmg_client):
    response = drmg_client.get(reverse("dashboard:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Tableau de bord" in response.content.decode()
    assert response["Content-Language"] == "fr"
