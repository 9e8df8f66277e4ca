"""Clinical supervision: the CISSS/CIUSSS's plans (a new one ends the previous one) and
sessions, the next session due and « En retard » through the core at their boundaries,
the pages in French and the refusals of every route."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from panelcare.comanagement import obligations
from web.audit.models import AuditEvent
from web.comanagement import records
from web.comanagement.errors import RecordRefused
from web.comanagement.models import ComanagementAction, SupervisionPlan, SupervisionSession
from web.comanagement.services import supervision
from web.comanagement.supervision import supervision_status

START = datetime.date(2026, 1, 5)  # the world's placement starts that day


def _plan(world, *, start=START, every=4, unit="weeks"):
    return supervision.do_set_supervision_plan(
        world.placement,
        start=start,
        every=every,
        unit=unit,
        form="individual",
        length_minutes=60,
        supervisor_name="Louise Gagnon",
        site="Clinique du Fleuve",
        acting_user=world.users["ciusss"],
    )


def _session(world, plan, held_on):
    return supervision.do_record_supervision_session(
        plan, held_on=held_on, length_minutes=60, acting_user=world.users["ciusss"]
    )


def _core_alerts(on):
    return obligations.supervision_overdue(
        records.supervision_plans(SupervisionPlan.objects.all()),
        records.supervision_sessions(SupervisionSession.objects.all()),
        on,
    )


@pytest.fixture
def plan(world):
    return _plan(world)


# --------------------------------------------------------------------------- services


def test_it_sets_a_plan_with_its_audit_entry(world, plan):
    assert plan.end is None
    assert plan.recorded_by == world.users["ciusss"]
    entry = AuditEvent.objects.about(plan).get()
    assert entry.action == ComanagementAction.SUPERVISION_PLAN_SET
    assert entry.details["every"] == 4
    assert entry.details["unit"] == "weeks"
    assert entry.details["ended_plans"] == []


def test_it_ends_the_previous_plan_the_day_the_new_one_starts(world, plan):
    new = _plan(world, start=datetime.date(2026, 6, 1), every=1, unit="months")

    plan.refresh_from_db()
    assert plan.end == datetime.date(2026, 6, 1)
    assert new.end is None
    assert AuditEvent.objects.about(new).get().details["ended_plans"] == [plan.pk]
    status = supervision_status(world.placement, datetime.date(2026, 6, 1))
    assert status.plan == new


@pytest.mark.parametrize("start", [START, datetime.date(2026, 1, 4)])
def test_it_refuses_a_plan_not_after_the_one_in_force_and_writes_nothing(world, plan, start):
    before = AuditEvent.objects.count()

    with pytest.raises(RecordRefused):
        _plan(world, start=start)

    plan.refresh_from_db()
    assert plan.end is None
    assert SupervisionPlan.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_it_records_a_session_with_its_audit_entry(world, plan):
    session = _session(world, plan, datetime.date(2026, 2, 2))

    assert session.plan == plan
    entry = AuditEvent.objects.about(session).get()
    assert entry.action == ComanagementAction.SUPERVISION_SESSION_RECORDED
    assert entry.details["held_on"] == "2026-02-02"


def test_it_refuses_a_session_outside_its_plan_and_writes_nothing(world, plan):
    new = _plan(world, start=datetime.date(2026, 6, 1))
    before = AuditEvent.objects.count()

    with pytest.raises(RecordRefused):
        _session(world, new, datetime.date(2026, 5, 31))  # before the new plan
    with pytest.raises(RecordRefused):
        _session(world, plan, datetime.date(2026, 6, 1))  # the old plan has ended
    with pytest.raises(RecordRefused):
        _session(world, new, timezone.localdate() + datetime.timedelta(days=1))

    assert not SupervisionSession.objects.exists()
    assert AuditEvent.objects.count() == before


# --------------------------------------------------------------------------- due and late


def test_it_is_due_today_not_late_when_the_last_session_was_exactly_four_weeks_ago(world, plan):
    today = timezone.localdate()
    _session(world, plan, today - datetime.timedelta(weeks=4))

    status = supervision_status(world.placement, today)

    assert status.next_due == today
    assert not status.late
    assert _core_alerts(today) == []


def test_it_is_late_one_day_after_four_weeks(world, plan):
    today = timezone.localdate()
    _session(world, plan, today - datetime.timedelta(weeks=4, days=1))

    status = supervision_status(world.placement, today)

    assert status.next_due == today - datetime.timedelta(days=1)
    assert status.late
    assert status.days_late == 1
    alerts = _core_alerts(today)
    assert [(a.subject, a.days_late, a.owner) for a in alerts] == [
        (records.subject_id(plan), 1, "ciusss")
    ]


def test_it_makes_a_monthly_plan_of_31_january_due_at_the_end_of_february(world):
    _plan(world, start=datetime.date(2026, 1, 31), every=1, unit="months")

    on_time = supervision_status(world.placement, datetime.date(2026, 2, 28))
    late = supervision_status(world.placement, datetime.date(2026, 3, 1))

    assert on_time.next_due == datetime.date(2026, 2, 28)
    assert not on_time.late
    assert late.late and late.days_late == 1


def test_it_has_no_due_day_without_a_plan_in_force(world):
    status = supervision_status(world.placement, timezone.localdate())
    assert status.plan is None
    assert status.next_due is None
    assert not status.late


# --------------------------------------------------------------------------- pages


def _partial(world, **writes):
    context = {"placement": world.placement, "can_write_gmf": False, "can_write_ciusss": False}
    context.update(writes)
    with translation.override("fr"):
        return render_to_string("comanagement/supervision/_placement_supervision.html", context)


def test_it_shows_en_retard_on_the_placement_partial_once_late(world, plan):
    today = timezone.localdate()
    _session(world, plan, today - datetime.timedelta(weeks=4, days=1))

    html = _partial(world)

    assert "Supervision clinique" in html
    assert "Une séance toutes les 4 semaines" in html
    assert "En retard" in html
    assert "1 jour de retard" in html
    assert "Individuelle" in html
    assert "Consigner une séance" not in html  # no write for this reader


def test_it_shows_no_late_flag_on_the_due_day_and_the_ciusss_links(world, plan):
    today = timezone.localdate()
    _session(world, plan, today - datetime.timedelta(weeks=4))

    html = _partial(world, can_write_ciusss=True)

    assert "Prochaine séance au plus tard le" in html
    assert "En retard" not in html
    assert reverse("comanagement:supervision-session-new", args=[plan.pk]) in html


def test_it_sets_a_plan_through_the_page_in_french(world, client_for, plan):
    client = client_for("ciusss")
    url = reverse("comanagement:supervision-plan", args=[world.placement.pk])

    page = client.get(url).content.decode().partition("<main>")[2]
    response = client.post(
        url,
        {
            "start": "2026-06-01",
            "every": "2",
            "unit": "months",
            "form": "group",
            "length_minutes": "90",
            "site": "",
            "supervisor_name": "Louise Gagnon",
        },
    )

    assert "Supervision clinique" in page
    assert "Le plan en vigueur prend fin le jour où le nouveau commence." in page
    for word in (">weeks<", ">months<", ">individual<", ">group<"):
        assert word not in page
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.end == datetime.date(2026, 6, 1)
    assert "Une séance tous les 2 mois" in client.get(url).content.decode()


def test_it_shows_a_refused_session_as_a_form_error(world, client_for, plan):
    response = client_for("ciusss").post(
        reverse("comanagement:supervision-session-new", args=[plan.pk]),
        {"held_on": "2026-01-02", "length_minutes": "60", "note": ""},
    )

    assert response.status_code == 200
    assert "Ce plan commence le" in response.content.decode()
    assert not SupervisionSession.objects.exists()


# --------------------------------------------------------------------------- refusals

ROUTES = ["supervision-plan", "supervision-session-new"]


def _url(route, world, plan):
    pk = world.placement.pk if route == "supervision-plan" else plan.pk
    return reverse(f"comanagement:{route}", args=[pk])


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", ["cml", "physician", "coach", "gmf_no_gmf", "ciusss_no_est"])
def test_it_refuses_other_roles_and_managers_without_a_territory(
    world, client_for, plan, route, name
):
    assert client_for(name).get(_url(route, world, plan)).status_code == 403


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", ["gmf2", "ciusss2", "drmg9", "gmf9", "ciusss9"])
def test_it_hides_another_gmf_establishment_or_region(world, client_for, plan, route, name):
    assert client_for(name).get(_url(route, world, plan)).status_code == 404


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", ["gmf", "drmg"])
def test_it_refuses_the_gmf_and_the_drmg_and_writes_nothing(world, client_for, plan, route, name):
    client = client_for(name)
    before = AuditEvent.objects.count()

    assert client.get(_url(route, world, plan)).status_code == 403
    post = client.post(
        _url(route, world, plan),
        {
            "start": "2026-06-01",
            "every": "2",
            "unit": "weeks",
            "form": "group",
            "length_minutes": "60",
            "supervisor_name": "X",
            "held_on": "2026-02-02",
        },
    )

    assert post.status_code == 403
    assert SupervisionPlan.objects.count() == 1
    assert not SupervisionSession.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("route", ROUTES)
def test_it_opens_each_route_to_the_ciusss(world, client_for, plan, route):
    assert client_for("ciusss").get(_url(route, world, plan)).status_code == 200
