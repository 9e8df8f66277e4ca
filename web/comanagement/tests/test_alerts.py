"""alerts.py and the alerts pages: each of the eight obligations raised from records at
its boundary (the due day itself: no alert; the day after: 1 day late), each side's
alerts, and who may read them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from django.utils import timezone

from web.comanagement import alerts
from web.comanagement.models import (
    Absence,
    AgreementRulesVersion,
    AnnualReview,
    AttendanceRecord,
    IntegrationItem,
    Post,
    Replacement,
    Schedule,
    SupervisionPlan,
    SupervisionSession,
    Target,
    TrainingRequest,
)
from web.regions.models import Gmf
from web.regions.testing import write_version

D = datetime.date


def kind(world, on: datetime.date, name: str) -> list[alerts.AlertRow]:
    rows = alerts.alerts(Gmf.objects.filter(code="G1"), on)
    return [row for row in rows if row.kind == name]


def test_it_raises_a_hiring_deadline_the_day_after_30_june(world) -> None:
    review = AnnualReview.objects.create(
        gmf=world.gmf,
        reviewed_on=D(2026, 4, 1),
        level_table=world.level_table,
        recorded_by=world.users["ciusss"],
    )
    post = Post.objects.create(
        gmf=world.gmf,
        professional_type="social_worker",
        fte=Decimal("0.50"),
        opened_by="annual_review",
        opened_on=D(2026, 4, 1),
        review=review,
    )
    assert kind(world, D(2026, 6, 30), "hiring_deadline_passed") == []
    (row,) = kind(world, D(2026, 7, 1), "hiring_deadline_passed")
    assert (row.due, row.days_late, row.owner) == (D(2026, 6, 30), 1, "ciusss")
    assert row.subject == f"post:{post.pk}"
    assert row.link == f"/comanagement/posts/{post.pk}/"


def test_it_forgets_a_closed_post(world) -> None:
    Post.objects.create(
        gmf=world.gmf,
        professional_type="social_worker",
        fte=Decimal("1"),
        opened_by="recognition",
        opened_on=D(2024, 6, 1),  # due by 31 March 2025
        closed_on=D(2026, 2, 1),
    )
    assert len(kind(world, D(2026, 1, 31), "hiring_deadline_passed")) == 1
    assert kind(world, D(2026, 2, 1), "hiring_deadline_passed") == []


def _absence(world, **fields) -> Absence:
    return Absence.objects.create(
        placement=world.placement,
        start=D(2026, 3, 2),
        reason="illness",
        reported_on=D(2026, 3, 2),
        recorded_by=world.users["gmf"],
        **fields,
    )


def test_it_raises_an_unforeseeable_absence_from_its_fifth_week(world) -> None:
    absence = _absence(world, foreseeable=False)
    assert kind(world, D(2026, 3, 29), "absence_not_replaced") == []
    (row,) = kind(world, D(2026, 3, 30), "absence_not_replaced")
    assert (row.due, row.days_late, row.owner) == (D(2026, 3, 30), 1, "ciusss")
    Replacement.objects.create(
        absence=absence, start=D(2026, 3, 31), recorded_by=world.users["ciusss"]
    )
    assert kind(world, D(2026, 3, 31), "absence_not_replaced") == []


def test_it_raises_a_foreseeable_absence_over_four_weeks_from_its_first_day(world) -> None:
    _absence(world, foreseeable=True, end=D(2026, 4, 1))
    (row,) = kind(world, D(2026, 3, 2), "absence_not_replaced")
    assert (row.due, row.days_late) == (D(2026, 3, 2), 1)


def test_it_raises_a_schedule_not_validated_by_the_day_before_its_start(world) -> None:
    Schedule.objects.create(
        placement=world.placement,
        first_day=D(2026, 3, 9),
        weeks=2,
        proposed_on=D(2026, 3, 1),
        proposed_by=world.users["gmf"],
    )
    assert kind(world, D(2026, 3, 8), "schedule_not_validated") == []
    (row,) = kind(world, D(2026, 3, 9), "schedule_not_validated")
    assert (row.due, row.days_late, row.owner) == (D(2026, 3, 8), 1, "ciusss")


def _attendance(world) -> AttendanceRecord:
    return AttendanceRecord.objects.create(
        placement=world.placement,
        start=D(2026, 3, 1),
        end=D(2026, 4, 1),
        planned_days=Decimal("22"),
        worked_days=Decimal("21"),
        submitted_on=D(2026, 4, 1),
        submitted_by=world.users["gmf"],
    )


def test_it_raises_attendance_past_the_establishments_delay(world) -> None:
    _attendance(world)  # last day 31 March, + 14 days (the rules version's)
    assert kind(world, D(2026, 4, 14), "attendance_not_approved") == []
    (row,) = kind(world, D(2026, 4, 15), "attendance_not_approved")
    assert (row.due, row.days_late) == (D(2026, 4, 14), 1)


def test_it_takes_the_delay_of_the_rules_version_in_force(world) -> None:
    AgreementRulesVersion.objects.create(
        establishment=world.establishment,
        number=2,
        text=world.rules.text,
        attendance_approve_within_days=7,
        in_force_from=D(2026, 4, 1),
        created_by=world.users["ciusss"],
    )
    _attendance(world)
    (row,) = kind(world, D(2026, 4, 8), "attendance_not_approved")
    assert (row.due, row.days_late) == (D(2026, 4, 7), 1)


def test_it_raises_a_training_request_not_decided_in_30_days(world) -> None:
    TrainingRequest.objects.create(
        placement=world.placement,
        title="Soins de plaies",
        external=True,
        payer="ciusss",
        submitted_on=D(2026, 3, 1),
        submitted_by=world.users["gmf"],
    )
    assert kind(world, D(2026, 3, 31), "training_request_pending") == []
    (row,) = kind(world, D(2026, 4, 1), "training_request_pending")
    assert (row.due, row.days_late, row.owner) == (D(2026, 3, 31), 1, "ciusss")
    assert "Soins de plaies" in row.subject_label


def test_it_raises_supervision_overdue_one_interval_after_the_last_session(world) -> None:
    plan = SupervisionPlan.objects.create(
        placement=world.placement,
        start=D(2026, 3, 2),
        every=4,
        unit="weeks",
        form="individual",
        length_minutes=60,
        supervisor_name="Martine Côté",
        recorded_by=world.users["ciusss"],
    )
    assert kind(world, D(2026, 3, 30), "supervision_overdue") == []
    (row,) = kind(world, D(2026, 3, 31), "supervision_overdue")
    assert (row.due, row.days_late) == (D(2026, 3, 30), 1)
    SupervisionSession.objects.create(
        plan=plan, held_on=D(2026, 3, 20), length_minutes=60, recorded_by=world.users["ciusss"]
    )
    assert kind(world, D(2026, 3, 31), "supervision_overdue") == []


def test_it_raises_each_integration_item_for_its_owner(world) -> None:
    # The world's checklist is due on 4 February 2026.
    assert kind(world, D(2026, 2, 4), "integration_item_overdue") == []
    rows = kind(world, D(2026, 2, 5), "integration_item_overdue")
    assert len(rows) == 14
    assert {row.days_late for row in rows} == {1}
    assert sum(row.owner == "gmf" for row in rows) == 8
    IntegrationItem.objects.filter(item="qhr_key").update(done_on=D(2026, 2, 5))
    assert len(kind(world, D(2026, 2, 5), "integration_item_overdue")) == 13


def test_it_forgets_the_checklist_of_an_ended_placement(world) -> None:
    world.placement.end = D(2026, 3, 1)
    world.placement.save(update_fields=["end"])
    assert kind(world, D(2026, 3, 1), "integration_item_overdue") == []


def _agreed_target(world, value: str) -> Target:
    now = timezone.now()
    return Target.objects.create(
        gmf=world.gmf,
        indicator="patients_seen",
        value=Decimal(value),
        start=D(2026, 1, 1),
        proposed_by_side="ciusss",
        ciusss_signed_by=world.users["ciusss"],
        ciusss_signed_at=now,
        gmf_signed_by=world.users["gmf"],
        gmf_signed_at=now,
    )


def _february(world) -> None:
    feb = D(2026, 2, 1)
    table = pa.table(
        {
            "professional_id": ["E100", "E101"],
            "gmf_id": ["G1", "G1"],
            "month": pa.array([feb, feb], pa.date32()),
            "patients_seen": pa.array([30, 18], pa.int64()),
            "interventions": pa.array([None, None], pa.int64()),
            "access_delay_days": pa.array([None, None], pa.float64()),
        }
    )
    write_version(world.region, "gmf_statistics", table)


def test_it_raises_a_gmf_wide_target_missed_in_the_last_complete_month(world) -> None:
    target = _agreed_target(world, "60")  # the GMF saw 30 + 18 = 48 in February
    _february(world)
    # On 28 February the last complete month is January: no statistics, no alert.
    assert kind(world, D(2026, 2, 28), "target_missed") == []
    (row,) = kind(world, D(2026, 3, 1), "target_missed")
    assert (row.due, row.days_late, row.owner) == (D(2026, 2, 28), 1, "both")
    assert row.link == "/comanagement/gmfs/G1/performance/"
    assert row.subject == f"target:{target.pk}"


def test_it_raises_no_target_met(world) -> None:
    _agreed_target(world, "48")
    _february(world)
    assert kind(world, D(2026, 3, 1), "target_missed") == []


# --- sides ------------------------------------------------------------------------------


def _rows(world, on: datetime.date | None = None) -> list[alerts.AlertRow]:
    return alerts.alerts(Gmf.objects.filter(code="G1"), on or D(2026, 2, 5))


def test_it_keeps_my_sides_alerts_and_the_shared_ones(world) -> None:
    _agreed_target(world, "60")
    _february(world)
    rows = _rows(world, D(2026, 3, 1))
    mine = alerts.for_side(rows, "gmf")
    assert {row.owner for row in mine} == {"gmf", "both"}
    other = alerts.for_side(rows, "gmf", "other")
    assert {row.owner for row in other} == {"ciusss"}
    assert len(alerts.for_side(rows, "gmf", "all")) == len(rows) == len(mine) + len(other)


def test_it_gives_the_drmg_every_alert(world) -> None:
    rows = _rows(world)
    assert alerts.for_side(rows, "drmg", "mine") == rows


def test_it_counts_the_alerts_per_gmf_and_kind(world) -> None:
    assert alerts.counts_by_gmf(_rows(world)) == {"G1": {"integration_item_overdue": 14}}


# --- the page (today: the world's checklist, due 4 February 2026, is late) -----------------


def test_it_shows_the_gmf_manager_their_sides_alerts(client_for) -> None:
    page = client_for("gmf").get("/comanagement/alerts/").content.decode()
    assert page.count('data-testid="alert-integration_item_overdue"') == 8
    assert "integration_item_overdue</td>" not in page
    assert "/comanagement/placements/" in page


def test_it_shows_the_other_sides_alerts_when_asked(client_for) -> None:
    page = client_for("gmf").get("/comanagement/alerts/?side=other").content.decode()
    assert page.count('data-testid="alert-integration_item_overdue"') == 6


def test_it_shows_the_drmg_every_alert(client_for) -> None:
    page = client_for("drmg").get("/comanagement/alerts/").content.decode()
    assert page.count('data-testid="alert-integration_item_overdue"') == 14
    assert 'data-testid="alert-filters"' not in page


def test_it_exports_the_alerts_as_french_excel_csv(client_for, french) -> None:
    response = client_for("ciusss").get("/comanagement/alerts.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 6
    assert lines[1].count(";") == 6


@pytest.mark.parametrize("name", ["cml", "physician", "coach", "gmf_no_gmf", "ciusss_no_est"])
@pytest.mark.parametrize("path", ["/comanagement/alerts/", "/comanagement/alerts.csv"])
def test_it_refuses_the_alerts_to_other_roles(client_for, name: str, path: str) -> None:
    assert client_for(name).get(path).status_code == 403


@pytest.mark.parametrize("name", ["gmf2", "ciusss2", "drmg9", "gmf9", "ciusss9"])
def test_it_never_shows_g1s_alerts_to_another_gmf_establishment_or_region(
    client_for, name: str
) -> None:
    page = client_for(name).get("/comanagement/alerts/?side=all").content.decode()
    assert 'data-testid="no-alerts"' in page
    csv = client_for(name).get("/comanagement/alerts.csv?side=all").content.decode()
    assert "G1" not in csv
