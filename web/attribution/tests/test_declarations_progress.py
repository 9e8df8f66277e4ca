"""A physician's own progress (issue 19, /attribution/my-progress/): their patients of the
approved plan in force — assigned, registered, returned, still expected — and their
monthly pace, as the CML's follow-up counts them, on a hand-built approved run."""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.urls import reverse
from django.utils import timezone

from web.accounts.models import Profile, Role
from web.attribution import followup
from web.attribution.journey import placed_patients
from web.regions import services as regions_services
from web.regions.models import Physician, WaitlistEntry, WaitlistReason
from web.regions.testing import make_user
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset, store_dataset

pytestmark = pytest.mark.django_db

PROGRESS = reverse("attribution:my-progress")


@pytest.fixture
def plan(make_run, rimouski, cml):
    """A plan of Rimouski-Neigette approved 100 days ago (3 whole months at least)."""
    return make_run(rls=rimouski, user=cml, approved_at=timezone.now() - datetime.timedelta(100))


def patients_of(run) -> dict[str, list[str]]:
    by_physician: dict[str, list[str]] = {}
    for code, (physician, _month) in sorted(placed_patients(run).items()):
        by_physician.setdefault(physician, []).append(code)
    return by_physician


def busiest(run) -> str:
    counts = Counter({code: len(codes) for code, codes in patients_of(run).items()})
    return counts.most_common(1)[0][0]


def user_of(code: str):
    profile = Profile.objects.filter(physician__code=code).select_related("user").first()
    if profile is not None:
        return profile.user
    return make_user(Role.PHYSICIAN, physician=Physician.objects.get(code=code))


def register(run, rows: list[tuple[str, str, datetime.date]]) -> None:
    """A new registrations version: the current one before the follow-up's start, plus
    ``rows`` (patient, physician, start)."""
    start = followup.start_of(run)
    current = read_dataset(Dataset.current(run.region, DatasetKind.REGISTRATIONS))
    current = current.filter(pc.less(current.column("start_date"), pa.scalar(start, pa.date32())))
    added = pa.table(
        {
            "patient_id": pa.array([row[0] for row in rows], pa.string()),
            "physician_id": pa.array([row[1] for row in rows], pa.string()),
            "site_id": pa.array(["S00001"] * len(rows), pa.string()),
            "start_date": pa.array([row[2] for row in rows], pa.date32()),
            "end_date": pa.array([None] * len(rows), pa.date32()),
        }
    )
    store_dataset(run.region, DatasetKind.REGISTRATIONS, pa.concat_tables([current, added]))


def cell(body: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', body)
    assert found, testid
    return found.group(1)


def test_it_shows_a_physician_their_patients_and_pace(client, plan, cml):
    code = busiest(plan)
    mine = patients_of(plan)[code]
    assert len(mine) >= 4, "the demo plan gives its busiest physician a few patients"
    day = followup.start_of(plan) + datetime.timedelta(days=1)
    register(plan, [(mine[0], code, day), (mine[1], code, day)])
    entry = WaitlistEntry.objects.select_related("rls", "rls__region").get(patient_code=mine[2])
    regions_services.do_return_waitlist_entry(
        entry, WaitlistReason.REFUSED_BY_PHYSICIAN, acting_user=cml
    )

    client.force_login(user_of(code))
    response = client.get(PROGRESS)
    assert response.status_code == 200
    body = response.content.decode()
    report = followup.follow_up(plan)
    row = next(item for item in report.physicians if item.code == code)
    assert row.registered == 2
    assert f'data-testid="my-progress-{plan.pk}"' in body
    assert cell(body, "progress-assigned") == str(row.assigned)
    assert cell(body, "progress-pace") == str(row.monthly_pace)
    assert cell(body, "progress-registered") == "2"
    assert cell(body, "progress-expected") == str(row.expected_to_date)
    assert cell(body, "progress-remaining") == str(row.assigned - 2)
    assert cell(body, f"journey-{plan.pk}-refused-physician") == "1"
    assert cell(body, f"journey-{plan.pk}-still-proposed") == str(len(mine) - 1)
    assert ('data-testid="progress-behind"' in body) == row.behind
    assert row.expected_to_date > 0
    assert not re.search(r"P\d{8}", body)  # counts only, never a patient


def test_it_says_when_no_plan_in_force_holds_the_physician(physician_client):
    response = physician_client.get(PROGRESS)
    assert response.status_code == 200
    assert 'data-testid="my-progress-none"' in response.content.decode()


def test_it_never_shows_a_colleagues_figures(client, plan):
    code = busiest(plan)
    others = [other for other in patients_of(plan) if other != code]
    client.force_login(user_of(code))
    body = client.get(PROGRESS).content.decode()
    assert f'data-testid="my-progress-{plan.pk}"' in body
    for other in others:
        assert other not in body
