"""Training: needs from either side, the GMF's requests (who pays), the CISSS/CIUSSS's
decision (once) and the trainings attended (only approved ones); the pages in French and
the refusals of every route."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from panelcare.comanagement import obligations
from web.audit.models import AuditEvent
from web.comanagement import records
from web.comanagement.errors import RecordRefused
from web.comanagement.models import (
    ComanagementAction,
    Placement,
    TrainingAttendance,
    TrainingNeed,
    TrainingRequest,
)
from web.comanagement.services import training

SUBMITTED = datetime.date(2026, 3, 2)


def _request(world, *, in_programme=False, external=True, cost=Decimal("450.00"), on=SUBMITTED):
    return training.do_request_training(
        world.placement,
        title="Approche motivationnelle",
        provider="Ordre des infirmières",
        submitted_on=on,
        external=external,
        in_ciusss_programme=in_programme,
        cost=cost,
        acting_user=world.users["gmf"],
    )


def _approved(world):
    request = _request(world)
    return training.do_decide_training(
        request, True, "", SUBMITTED + datetime.timedelta(days=3), acting_user=world.users["ciusss"]
    )


@pytest.fixture
def pending(world):
    return _request(world)


# --------------------------------------------------------------------------- needs


def test_it_records_a_need_as_the_side_that_identified_it_with_its_audit_entry(world):
    need = training.do_record_training_need(
        world.gmf,
        identified_by="ciusss",
        basis="quality_standard",
        description="Tenue de dossier selon les normes de l'OIIQ",
        identified_on=SUBMITTED,
        placement=world.placement,
        acting_user=world.users["ciusss"],
    )

    assert need.identified_by == "ciusss"
    assert need.owner == "ciusss"
    assert need.recorded_by == world.users["ciusss"]
    entry = AuditEvent.objects.about(need).get()
    assert entry.action == ComanagementAction.TRAINING_NEED_RECORDED
    assert entry.rls_code == "0111"
    assert entry.details["identified_by"] == "ciusss"


def test_it_records_a_need_of_the_gmfs_team_without_a_professional(world):
    need = training.do_record_training_need(
        world.gmf,
        identified_by="gmf",
        basis="fmg_role",
        description="Suivi conjoint des maladies chroniques",
        identified_on=SUBMITTED,
        acting_user=world.users["gmf"],
    )

    assert need.placement is None
    assert need.owner == "gmf"


def test_it_refuses_a_need_of_a_professional_of_another_gmf_and_writes_nothing(world):
    with pytest.raises(RecordRefused):
        training.do_record_training_need(
            world.gmf2,
            identified_by="gmf",
            basis="fmg_role",
            description="Besoin",
            identified_on=SUBMITTED,
            placement=world.placement,
            acting_user=world.users["gmf2"],
        )

    assert not TrainingNeed.objects.exists()
    assert not AuditEvent.objects.exists()


# --------------------------------------------------------------------------- requests


def test_it_makes_the_gmf_pay_a_training_outside_the_ciusss_programme(world):
    request = _request(world, in_programme=False)

    assert request.payer == "gmf"
    assert request.external is True
    assert request.cost == Decimal("450.00")
    assert request.decision == ""
    entry = AuditEvent.objects.about(request).get()
    assert entry.action == ComanagementAction.TRAINING_REQUESTED
    assert entry.details["payer"] == "gmf"
    assert entry.details["cost"] == "450.00"


def test_it_makes_the_ciusss_pay_a_training_of_its_programme(world):
    assert _request(world, in_programme=True, external=False).payer == "ciusss"


def test_it_refuses_a_request_after_the_placement_ended_and_writes_nothing(world):
    Placement.objects.filter(pk=world.placement.pk).update(end=datetime.date(2026, 3, 1))
    world.placement.refresh_from_db()

    with pytest.raises(RecordRefused):
        _request(world, on=datetime.date(2026, 3, 1))

    assert not TrainingRequest.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_negative_cost(world):
    with pytest.raises(RecordRefused):
        _request(world, cost=Decimal("-1"))
    assert not TrainingRequest.objects.exists()


# --------------------------------------------------------------------------- decisions


def test_it_records_the_ciusss_decision_with_its_audit_entry(world, pending):
    decided = training.do_decide_training(
        pending,
        False,
        "Offerte à l'interne en mai",
        datetime.date(2026, 3, 10),
        acting_user=world.users["ciusss"],
    )

    assert decided.decision == "refused"
    assert decided.decided_on == datetime.date(2026, 3, 10)
    assert decided.decided_by == world.users["ciusss"]
    assert decided.decision_note == "Offerte à l'interne en mai"
    entry = AuditEvent.objects.get(action=ComanagementAction.TRAINING_DECIDED)
    assert entry.details["decision"] == "refused"


def test_it_refuses_a_second_decision_and_keeps_the_first(world, pending):
    training.do_decide_training(
        pending, True, "", datetime.date(2026, 3, 5), acting_user=world.users["ciusss"]
    )
    stale = TrainingRequest.objects.get(pk=pending.pk)

    with pytest.raises(RecordRefused):
        training.do_decide_training(
            pending, False, "", datetime.date(2026, 3, 6), acting_user=world.users["ciusss"]
        )
    # A second manager holding the page from before the first decision is refused too.
    stale.decision = ""
    with pytest.raises(RecordRefused):
        training.do_decide_training(
            stale, False, "", datetime.date(2026, 3, 6), acting_user=world.users["ciusss"]
        )

    pending.refresh_from_db()
    assert pending.decision == "approved"
    assert pending.decided_on == datetime.date(2026, 3, 5)
    assert AuditEvent.objects.filter(action=ComanagementAction.TRAINING_DECIDED).count() == 1


def test_it_refuses_a_decision_dated_before_the_request(world, pending):
    with pytest.raises(RecordRefused):
        training.do_decide_training(
            pending,
            True,
            "",
            SUBMITTED - datetime.timedelta(days=1),
            acting_user=world.users["ciusss"],
        )
    pending.refresh_from_db()
    assert pending.decision == ""


def test_it_keeps_a_pending_request_in_the_cores_alert_until_decided(world, pending):
    rows = records.training_requests(TrainingRequest.objects.all())
    due = SUBMITTED + datetime.timedelta(days=30)

    assert obligations.training_request_pending(rows, due, decide_within_days=30) == []
    late = obligations.training_request_pending(
        rows, due + datetime.timedelta(days=1), decide_within_days=30
    )
    assert [alert.subject for alert in late] == [records.subject_id(pending)]

    training.do_decide_training(pending, True, "", due, acting_user=world.users["ciusss"])
    rows = records.training_requests(TrainingRequest.objects.all())
    assert (
        obligations.training_request_pending(
            rows, due + datetime.timedelta(days=1), decide_within_days=30
        )
        == []
    )


# --------------------------------------------------------------------------- attendance


def test_it_records_an_approved_training_attended_with_its_audit_entry(world):
    request = _approved(world)

    attendance = training.do_record_training_attendance(
        request,
        attended_on=datetime.date(2026, 4, 14),
        hours=Decimal("7.5"),
        acting_user=world.users["ciusss"],
    )

    assert attendance.request == request
    assert attendance.hours == Decimal("7.5")
    entry = AuditEvent.objects.about(attendance).get()
    assert entry.action == ComanagementAction.TRAINING_ATTENDED
    assert entry.details["hours"] == "7.5"


@pytest.mark.parametrize("decision", [None, False])
def test_it_refuses_the_attendance_of_a_request_not_approved(world, pending, decision):
    if decision is not None:
        training.do_decide_training(
            pending, decision, "", datetime.date(2026, 3, 5), acting_user=world.users["ciusss"]
        )
    before = AuditEvent.objects.count()

    with pytest.raises(RecordRefused):
        training.do_record_training_attendance(
            pending,
            attended_on=datetime.date(2026, 4, 14),
            hours=Decimal("7"),
            acting_user=world.users["ciusss"],
        )

    assert not TrainingAttendance.objects.exists()
    assert AuditEvent.objects.count() == before


def test_it_refuses_an_attendance_on_a_day_to_come(world):
    request = _approved(world)
    with pytest.raises(RecordRefused):
        training.do_record_training_attendance(
            request,
            attended_on=timezone.localdate() + datetime.timedelta(days=1),
            hours=Decimal("7"),
            acting_user=world.users["ciusss"],
        )
    assert not TrainingAttendance.objects.exists()


# --------------------------------------------------------------------------- pages


CODE_WORDS = (">gmf<", ">ciusss<", "fmg_role", "quality_standard", ">approved<", ">refused<")


def _main(response):
    """The page's own part (the top bar shows the username, here a side's name)."""
    return response.content.decode().partition("<main>")[2].partition("</main>")[0]


def test_it_shows_the_gmfs_training_in_french_without_code_words(world, client_for):
    request = _approved(world)
    training.do_record_training_attendance(
        request,
        attended_on=datetime.date(2026, 4, 14),
        hours=Decimal("7.5"),
        acting_user=world.users["ciusss"],
    )
    training.do_record_training_need(
        world.gmf,
        identified_by="gmf",
        basis="fmg_role",
        description="Suivi des maladies chroniques",
        identified_on=SUBMITTED,
        acting_user=world.users["gmf"],
    )

    response = client_for("ciusss").get(reverse("comanagement:training-list", args=["G1"]))

    assert response.status_code == 200
    content = _main(response)
    assert "Demandes de formation" in content
    assert "Approche motivationnelle" in content
    assert "Le rôle dans le GMF" in content
    assert "Approuvée le" in content
    assert "Consigner la présence" in content  # the CISSS/CIUSSS records attendance
    assert "Demander une formation" not in content  # the GMF requests, not the CIUSSS
    for word in CODE_WORDS:
        assert word not in content


def test_it_offers_the_gmf_to_request_and_not_to_decide(world, client_for, pending):
    content = client_for("gmf").get(reverse("comanagement:training-list", args=["G1"])).content
    content = content.decode()

    assert "Demander une formation" in content
    assert "En attente de la décision du CISSS/CIUSSS" in content
    assert reverse("comanagement:training-decide", args=[pending.pk]) not in content


def test_it_requests_a_training_through_the_page(world, client_for):
    response = client_for("gmf").post(
        reverse("comanagement:training-request-new", args=["G1"]),
        {
            "placement": world.placement.pk,
            "title": "RCR",
            "submitted_on": "2026-03-02",
            "external": "on",
            "cost": "120",
        },
    )

    assert response.status_code == 302
    request = TrainingRequest.objects.get()
    assert request.payer == "gmf"  # the programme's box left unticked
    assert request.submitted_by == world.users["gmf"]


@pytest.mark.parametrize(("name", "basis"), [("gmf", "fmg_role"), ("ciusss", "quality_standard")])
def test_it_records_a_need_through_the_page_as_the_users_side(world, client_for, name, basis):
    response = client_for(name).post(
        reverse("comanagement:training-need-new", args=["G1"]),
        {"placement": "", "basis": basis, "description": "Besoin", "identified_on": "2026-03-02"},
    )

    assert response.status_code == 302
    need = TrainingNeed.objects.get()
    assert need.identified_by == name
    assert need.placement is None


def test_it_records_an_attendance_through_the_page(world, client_for):
    request = _approved(world)

    response = client_for("ciusss").post(
        reverse("comanagement:training-attendance", args=[request.pk]),
        {"attended_on": "2026-04-14", "hours": "7.5"},
    )

    assert response.status_code == 302
    assert request.attendances.get().hours == Decimal("7.5")


def test_it_decides_through_the_page_and_shows_a_second_decision_as_refused(
    world, client_for, pending
):
    client = client_for("ciusss")
    url = reverse("comanagement:training-decide", args=[pending.pk])
    data = {"decision": "approved", "note": "", "on": "2026-03-05"}

    assert client.post(url, data).status_code == 302
    second = client.post(url, {**data, "decision": "refused"})

    assert second.status_code == 200
    assert "déjà décidée" in second.content.decode()
    pending.refresh_from_db()
    assert pending.decision == "approved"


def test_it_shows_the_placement_partial_with_decision_payer_and_attendance(world):
    request = _approved(world)
    training.do_record_training_attendance(
        request,
        attended_on=datetime.date(2026, 4, 14),
        hours=Decimal("7.5"),
        acting_user=world.users["ciusss"],
    )
    context = {"placement": world.placement, "can_write_gmf": True, "can_write_ciusss": False}

    with translation.override("fr"):
        html = render_to_string("comanagement/training/_placement_training.html", context)

    assert "Approche motivationnelle" in html
    assert "Approuvée le" in html
    assert "14/04/2026" in html
    assert "7,5 h" in html
    assert "Demander une formation" in html
    assert "Consigner la présence" not in html


# --------------------------------------------------------------------------- refusals


def _url(route, world, pending):
    if route in ("training-list", "training-need-new", "training-request-new"):
        return reverse(f"comanagement:{route}", args=[world.gmf.code])
    return reverse(f"comanagement:{route}", args=[pending.pk])


ROUTES = [
    "training-list",
    "training-need-new",
    "training-request-new",
    "training-decide",
    "training-attendance",
]
# Who opens each route: the rest is refused below.
ALLOWED = {
    "training-list": {"drmg", "gmf", "ciusss"},
    "training-need-new": {"gmf", "ciusss"},
    "training-request-new": {"gmf"},
    "training-decide": {"ciusss"},
    "training-attendance": {"ciusss"},
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", ["cml", "physician", "coach", "gmf_no_gmf", "ciusss_no_est"])
def test_it_refuses_other_roles_and_managers_without_a_territory(
    world, client_for, pending, route, name
):
    assert client_for(name).get(_url(route, world, pending)).status_code == 403


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", ["gmf2", "ciusss2", "drmg9", "gmf9", "ciusss9"])
def test_it_hides_another_gmf_establishment_or_region(world, client_for, pending, route, name):
    assert client_for(name).get(_url(route, world, pending)).status_code == 404


@pytest.mark.parametrize(
    ("route", "name"),
    [
        (route, name)
        for route in ROUTES
        for name in ("drmg", "gmf", "ciusss")
        if name not in ALLOWED[route]
    ],
)
def test_it_refuses_a_write_of_the_other_side_or_of_the_drmg(
    world, client_for, pending, route, name
):
    assert client_for(name).get(_url(route, world, pending)).status_code == 403
    assert client_for(name).post(_url(route, world, pending), {}).status_code == 403


@pytest.mark.parametrize(
    ("route", "name"), [(route, name) for route in ROUTES for name in sorted(ALLOWED[route])]
)
def test_it_opens_each_route_to_its_side(world, client_for, pending, route, name):
    assert client_for(name).get(_url(route, world, pending)).status_code == 200


def test_it_writes_nothing_when_the_gmf_posts_a_decision(world, client_for, pending):
    response = client_for("gmf").post(
        reverse("comanagement:training-decide", args=[pending.pk]),
        {"decision": "approved", "note": "", "on": "2026-03-05"},
    )

    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.decision == ""


def test_it_writes_nothing_when_the_ciusss_posts_a_request(world, client_for):
    response = client_for("ciusss").post(
        reverse("comanagement:training-request-new", args=["G1"]),
        {"placement": world.placement.pk, "title": "RCR", "submitted_on": "2026-03-02"},
    )

    assert response.status_code == 403
    assert not TrainingRequest.objects.exists()
