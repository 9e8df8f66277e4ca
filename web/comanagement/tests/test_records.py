"""records.py: the co-management's rows as the core's records, and subject ids."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from django.utils import timezone

from panelcare.comanagement import obligations
from web.comanagement import records
from web.comanagement.models import (
    AnnualReview,
    IntegrationItem,
    Post,
    Schedule,
    Target,
)
from web.regions.testing import write_version

D = datetime.date


def _post(world, **fields) -> Post:
    review = AnnualReview.objects.create(
        gmf=world.gmf,
        reviewed_on=D(2026, 4, 1),
        level_table=world.level_table,
        recorded_by=world.users["ciusss"],
    )
    return Post.objects.create(
        gmf=world.gmf,
        professional_type="social_worker",
        fte=Decimal("1.00"),
        opened_by="annual_review",
        opened_on=D(2026, 4, 1),
        review=review,
        **fields,
    )


def test_it_names_a_subject_by_model_and_key_and_reads_it_back(world) -> None:
    post = _post(world)
    assert records.subject_id(post) == f"post:{post.pk}"
    assert records.parse_subject(records.subject_id(post)) == (Post, post.pk)


@pytest.mark.parametrize("text", ["post", "post:x", "nothing:3", "alertemail:1", ""])
def test_it_refuses_a_subject_that_names_no_record_of_a_gmf(text: str) -> None:
    with pytest.raises(ValueError):
        records.parse_subject(text)


def test_it_turns_a_post_into_the_cores_post(world) -> None:
    post = _post(world, filled_on=D(2026, 6, 1), filled_by="ciusss")
    assert records.posts(Post.objects.all()) == [
        obligations.Post(
            f"post:{post.pk}", "G1", "social_worker", "annual_review", D(2026, 4, 1), D(2026, 6, 1)
        )
    ]


def test_it_gives_each_integration_item_its_owner(world) -> None:
    items = records.integration_items(
        IntegrationItem.objects.filter(item__in=["emr_access", "qhr_key"])
    )
    assert {(item.item, item.owner) for item in items} == {
        ("emr_access", "gmf"),
        ("qhr_key", "ciusss"),
    }
    assert items[0].professional == f"placement:{world.placement.pk}"


def test_it_leaves_out_withdrawn_and_replaced_schedules(world) -> None:
    def schedule(**fields) -> Schedule:
        return Schedule.objects.create(
            placement=world.placement,
            first_day=D(2026, 3, 9),
            weeks=1,
            proposed_on=D(2026, 3, 1),
            proposed_by=world.users["gmf"],
            **fields,
        )

    schedule(status="withdrawn")
    first = schedule()
    second = schedule(replaces=first)
    validated = schedule(status="validated", decided_on=D(2026, 3, 5))
    got = {s.id: s for s in records.obligation_schedules(Schedule.objects.all())}
    assert set(got) == {f"schedule:{second.pk}", f"schedule:{validated.pk}"}
    assert got[f"schedule:{validated.pk}"].validated_on == D(2026, 3, 5)
    assert got[f"schedule:{second.pk}"].validated_on is None


def _target(world, *, placement=None, signed=2) -> Target:
    now = timezone.now()
    return Target.objects.create(
        gmf=world.gmf,
        placement=placement,
        indicator="patients_seen",
        value=Decimal("60"),
        start=D(2026, 1, 1),
        proposed_by_side="ciusss",
        ciusss_signed_by=world.users["ciusss"],
        ciusss_signed_at=now,
        gmf_signed_by=world.users["gmf"] if signed == 2 else None,
        gmf_signed_at=now if signed == 2 else None,
    )


def test_it_keeps_only_the_targets_both_sides_signed(world) -> None:
    agreed = _target(world, placement=world.placement)
    _target(world, signed=1)
    got = records.targets(Target.objects.all())
    assert [t.id for t in got] == [f"target:{agreed.pk}"]
    assert got[0].measured == "G1/E100"
    assert got[0].better == "higher"


def _statistics(
    world, rows: list[tuple[str, str, datetime.date, int | None, float | None]]
) -> None:
    table = pa.table(
        {
            "professional_id": [r[0] for r in rows],
            "gmf_id": [r[1] for r in rows],
            "month": pa.array([r[2] for r in rows], pa.date32()),
            "patients_seen": pa.array([r[3] for r in rows], pa.int64()),
            "interventions": pa.array([None for _ in rows], pa.int64()),
            "access_delay_days": pa.array([r[4] for r in rows], pa.float64()),
        }
    )
    write_version(world.region, "gmf_statistics", table)


def test_it_reads_no_statistics_before_the_first_import(world) -> None:
    assert records.statistics(["G1"], world.region) == []


def test_it_sums_the_gmfs_summable_statistics_and_keeps_its_gmfs_only(world) -> None:
    feb = D(2026, 2, 1)
    _statistics(
        world,
        [
            ("E100", "G1", feb, 30, 4.0),
            ("E101", "G1", feb, 18, 2.0),
            ("E200", "G2", feb, 99, None),
        ],
    )
    got = records.statistics(["G1"], world.region)
    values = {(s.measured, s.indicator): s.value for s in got}
    assert values[("G1", "patients_seen")] == 48
    assert values[("G1/E100", "patients_seen")] == 30
    # A mean delay is not summed into the GMF's.
    assert ("G1", "access_delay_days") not in values
    assert values[("G1/E101", "access_delay_days")] == 2.0
    assert not any(s.measured.startswith("G2") for s in got)
