"""The follow-up of a run: registrations since the approval against each physician's pace,
who is behind, and the RLS's progress towards emptying its list, on hand-made
registrations versions."""

from __future__ import annotations

import datetime
import math
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from web.accounts.models import Role
from web.attribution import followup
from web.attribution.models import RunStatus
from web.regions.models import Physician
from web.regions.testing import make_user
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset, store_dataset

pytestmark = pytest.mark.django_db

RUN_DATE = datetime.date(2026, 1, 5)
APPROVED = datetime.datetime(2026, 1, 10, 15, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 4, 20)  # 3 whole months after 10 January


@pytest.fixture
def followed_run(make_run, rimouski):
    """A run of Rimouski-Neigette on 5 January 2026, approved on 10 January."""
    return make_run(rls=rimouski, run_date=RUN_DATE, approved_at=APPROVED)


def assignments(run) -> dict[str, list[str]]:
    """The plan's patients of each physician, in the plan's order."""
    table = pacsv.read_csv(
        run.folder / "plan" / "assignments.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"patient_id": pa.string(), "physician_id": pa.string()},
            strings_can_be_null=True,
        ),
    )
    result: dict[str, list[str]] = {}
    for patient, physician in zip(
        table.column("patient_id").to_pylist(),
        table.column("physician_id").to_pylist(),
        strict=True,
    ):
        if physician:
            result.setdefault(physician, []).append(patient)
    return result


def plan_row(run, code: str) -> dict:
    table = pacsv.read_csv(
        run.folder / "plan" / "physicians.csv",
        convert_options=pacsv.ConvertOptions(column_types={"physician_id": pa.string()}),
    )
    return next(row for row in table.to_pylist() if row["physician_id"] == code)


def store_registrations(region, rows: list[tuple[str, str, datetime.date]]):
    """A new registrations version: the demo's first version before the run date (the
    synthetic registrations go on to today), plus ``rows`` (patient, physician, start)."""
    current = read_dataset(
        Dataset.objects.get(region=region, kind=DatasetKind.REGISTRATIONS, version=1)
    )
    current = current.filter(
        pc.less(current.column("start_date"), pa.scalar(RUN_DATE, pa.date32()))
    )
    added = pa.table(
        {
            "patient_id": pa.array([row[0] for row in rows], pa.string()),
            "physician_id": pa.array([row[1] for row in rows], pa.string()),
            "site_id": pa.array(["S00001"] * len(rows), pa.string()),
            "start_date": pa.array([row[2] for row in rows], pa.date32()),
            "end_date": pa.array([None] * len(rows), pa.date32()),
        }
    )
    return store_dataset(region, DatasetKind.REGISTRATIONS, pa.concat_tables([current, added]))


def busiest(run) -> tuple[str, str]:
    """The two physicians with the most patients in the plan."""
    by_physician = assignments(run)
    ordered = sorted(by_physician, key=lambda code: -len(by_physician[code]))
    return ordered[0], ordered[1]


def test_it_counts_the_months_elapsed_since_the_start():
    start = datetime.date(2026, 1, 10)
    assert followup.months_elapsed(start, datetime.date(2026, 1, 31)) == 0
    assert followup.months_elapsed(start, datetime.date(2026, 2, 9)) == 0
    assert followup.months_elapsed(start, datetime.date(2026, 2, 10)) == 1
    assert followup.months_elapsed(start, datetime.date(2026, 4, 20)) == 3
    assert followup.months_elapsed(start, datetime.date(2025, 12, 1)) == 0


def test_it_counts_registrations_since_the_approval_month_by_month(followed_run):
    first, second = busiest(followed_run)
    mine = assignments(followed_run)[first]
    store_registrations(
        followed_run.region,
        [
            (mine[0], first, datetime.date(2026, 1, 9)),  # before the approval: not counted
            (mine[1], first, datetime.date(2026, 1, 10)),  # the approval day counts
            (mine[2], first, datetime.date(2026, 2, 3)),
            (mine[3], first, datetime.date(2026, 3, 15)),
            (mine[3], first, datetime.date(2026, 3, 20)),  # the same patient again: once
            (mine[4], second, datetime.date(2026, 3, 1)),  # with a colleague: theirs
            (mine[5], first, datetime.date(2026, 5, 1)),  # after today: not yet
            ("P99999999", first, datetime.date(2026, 2, 1)),  # not an orphan of the run
        ],
    )
    report = followup.follow_up(followed_run, today=TODAY)
    assert report.start == timezone.localdate(APPROVED)
    assert [month.month for month in report.months] == [1, 2, 3, 4]
    assert report.months_elapsed == 3
    rows = {row.code: row for row in report.physicians}
    assert rows[first].registered == 3
    assert rows[first].by_month == [1, 1, 1, 0]
    assert rows[second].registered == 1
    assert rows[second].by_month == [0, 0, 1, 0]
    pace = plan_row(followed_run, first)["monthly_pace"]
    assigned = plan_row(followed_run, first)["assigned"]
    assert rows[first].monthly_pace == pace
    assert rows[first].expected_to_date == min(assigned, pace * 3)


def test_it_says_who_is_behind_the_pace(followed_run):
    first, second = busiest(followed_run)
    expected = min(
        plan_row(followed_run, first)["assigned"], plan_row(followed_run, first)["monthly_pace"] * 3
    )
    mine = assignments(followed_run)[first]
    enough = math.ceil(followup.BEHIND_RATIO * expected)
    store_registrations(
        followed_run.region,
        [(patient, first, datetime.date(2026, 2, 1)) for patient in mine[:enough]],
    )
    rows = {row.code: row for row in followup.follow_up(followed_run, today=TODAY).physicians}
    assert not rows[first].behind
    assert rows[second].behind  # nothing registered, something expected
    store_registrations(
        followed_run.region,
        [(patient, first, datetime.date(2026, 2, 1)) for patient in mine[: enough - 1]],
    )
    rows = {row.code: row for row in followup.follow_up(followed_run, today=TODAY).physicians}
    assert rows[first].behind


def test_it_expects_nothing_in_the_first_month(followed_run):
    report = followup.follow_up(followed_run, today=datetime.date(2026, 2, 1))
    assert report.months_elapsed == 0
    assert all(row.expected_to_date == 0 and not row.behind for row in report.physicians)


def test_it_follows_the_rls_list_and_projects_the_day_it_is_empty(followed_run):
    first, _second = busiest(followed_run)
    mine = assignments(followed_run)[first]
    orphans = read_dataset(followed_run.waitlist)
    rls_orphans = pc.sum(pc.equal(orphans.column("rls_id"), followed_run.rls.code)).as_py()

    store_registrations(followed_run.region, [])
    (rls,) = followup.follow_up(followed_run, today=TODAY).rls
    assert rls.registered == 0
    assert rls.projected_empty is None

    store_registrations(
        followed_run.region,
        [(patient, first, datetime.date(2026, 2, 1)) for patient in mine[:6]],
    )
    # The waiting list re-imported without two of them, and with a new request.
    waitlist = read_dataset(followed_run.waitlist)
    keep = pc.invert(pc.is_in(waitlist.column("patient_id"), pa.array(mine[:2])))
    waitlist = waitlist.filter(keep)
    new = waitlist.slice(0, 1).set_column(0, "patient_id", pa.array(["P99999998"]))
    store_dataset(followed_run.region, DatasetKind.WAITLIST, pa.concat_tables([waitlist, new]))

    (rls,) = followup.follow_up(followed_run, today=TODAY).rls
    assert rls.orphans <= rls_orphans
    assert rls.registered == 6
    assert rls.orphans_still_waiting == rls.orphans - 6
    assert rls.waiting_now == rls.orphans - 6 + 1
    assert rls.new_requests == 1
    days = (TODAY - timezone.localdate(APPROVED)).days
    assert rls.projected_empty == TODAY + datetime.timedelta(
        days=math.ceil(rls.waiting_now * days / 6)
    )


def test_it_starts_a_run_not_approved_on_its_run_date(make_run, rimouski):
    run = make_run(rls=rimouski, status=RunStatus.DONE, run_date=RUN_DATE)
    report = followup.follow_up(run, today=TODAY)
    assert report.start == RUN_DATE
    run.status = RunStatus.QUEUED
    with pytest.raises(ValueError):
        followup.follow_up(run, today=TODAY)


def test_it_shows_the_follow_up_page_without_patients(client, followed_run, cml):
    first, _second = busiest(followed_run)
    store_registrations(
        followed_run.region, [(assignments(followed_run)[first][0], first, timezone.localdate())]
    )
    client.force_login(cml)
    response = client.get(reverse("attribution:followup", args=[followed_run.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="followup-physicians"' in body
    assert f'data-physician="{first}"' in body
    assert re.search(r'data-testid="rls-registered">1<', body)
    assert not re.search(r"P\d{8}", body)  # counts only


def test_it_tells_the_follow_up_waits_for_the_plan(make_run, client, rimouski, drmg):
    run = make_run(rls=rimouski, status=RunStatus.DONE)
    run.status = RunStatus.RUNNING
    run.save(update_fields=["status"])
    client.force_login(drmg)
    response = client.get(reverse("attribution:followup", args=[run.pk]))
    assert response.status_code == 200
    assert 'data-testid="followup-not-ready"' in response.content.decode()


def test_it_refuses_the_follow_up_to_others(client, followed_run):
    url = reverse("attribution:followup", args=[followed_run.pk])
    client.force_login(User.objects.get(username="cml.kamouraska"))
    assert client.get(url).status_code == 404
    for name in ("gestion.gmf", "ciusss", "medecin"):
        client.force_login(User.objects.get(username=name))
        assert client.get(url).status_code == 403
    client.force_login(make_user(Role.PHYSICIAN, physician=Physician.objects.first()))
    assert client.get(url).status_code == 403
