"""One copy of each fact (issue 13): after an import of a new waiting list and a new
registrations file, every page shows the new figures — the dashboard, the RLS page, the
waiting-list page, a patient's page, the quarterly tables, the attribution's physicians
page and the next run — and an
approved plan takes its patients out of the waiting counts."""

from __future__ import annotations

import datetime
import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from panelcare.attribution import store
from web.attribution import services as attribution_services
from web.regions.models import Physician, Region, Rls, WaitlistEntry, WaitlistStatus
from web.tables import services
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset, ImportStatus
from web.tables.store import read_dataset
from web.tables.tests.conftest import login

pytestmark = pytest.mark.django_db


def imported(region: Region, kind: str, table: pa.Table, user) -> Dataset:
    """``table`` imported for the whole region through the import services (upload,
    check, apply), as the imports page does."""
    sink = io.BytesIO()
    pq.write_table(table, sink)
    upload = SimpleUploadedFile(f"{kind}.parquet", sink.getvalue())
    job = services.do_stage_upload(kind, upload, region=region, scope=[], acting_user=user)
    assert job.status == ImportStatus.READY, job.errors
    services.do_apply_import(job, acting_user=user)
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.errors
    return job.dataset


def figures(client, rls: Rls, physician: Physician, patient_code: str) -> dict:
    """What each page shows of the RLS, the physician and the patient."""
    dashboard = client.get(reverse("dashboard:home")).context
    page = client.get(reverse("dashboard:rls-detail", args=[rls.code])).context
    waiting = client.get(reverse("dashboard:rls-waitlist", args=[rls.code]))
    patient = client.get(reverse("dashboard:patient-detail", args=[patient_code])).context
    quarterly = client.get(reverse("attribution:quarterly")).context["report"]
    (rate,) = [row for row in quarterly.tables["registration_rate"].rows if row["code"] == rls.code]
    (row,) = [
        row
        for row in quarterly.tables["physicians"].rows
        if row.get("physician_id") == physician.code
    ]
    (on_dashboard,) = [row for row in dashboard["registration_rows"] if row.code == rls.code]
    (waiting_row,) = [row for row in dashboard["waitlist_rows"] if row.rls_name == rls.name]
    (physician_row,) = [row for row in page["physicians"] if row.code == physician.code]
    roster = client.get(reverse("attribution:physicians", args=[rls.code])).context["rows"]
    (roster_row,) = [row for row in roster if row.code == physician.code]
    return {
        "dashboard registered": on_dashboard.registered,
        "dashboard waiting": waiting_row.total,
        "rls page registered": page["registration"].registered,
        "rls page panel": physician_row.registered,
        "waiting-list page": waiting.context["page"].paginator.count,
        "waiting-list page shows the patient": patient_code in waiting.content.decode(),
        "patient page registrations": [r.physician_code for r in patient["registrations"]],
        "patient page waiting": [e.get_status_display() for e in patient["waitlist_entries"]],
        "quarterly registered": rate["registered"],
        "quarterly panel": row["registered"],
        "physicians page panel": roster_row.registered,
    }


def next_run(user, rls: Rls, physician: Physician) -> dict:
    run = attribution_services.do_start_run(rls, {}, timezone.localdate(), acting_user=user)
    run.refresh_from_db()
    plan = store.read_plan(run.folder / "plan")
    j = list(plan.physicians.physician_id).index(physician.code)
    return {
        "run orphans": len(plan.orphans.patient_id),
        "run panel": int(plan.physicians.registered[j]),
        "run": run,
    }


@pytest.mark.slow  # two imports, every page, the quarterly tables and a run (about 2 s)
def test_it_shows_a_new_waiting_list_and_registrations_on_every_page(client, region, own_rls):
    drmg = login(client, "drmg")
    rls = Rls.objects.get(code=own_rls.code)
    physician = Physician.objects.filter(rls=rls, attribution_mode="bloc").order_by("code")[0]
    waitlist = read_dataset(Dataset.current(region, DatasetKind.WAITLIST))
    # The first three patients of the RLS's waiting list (its first page) waiting without
    # a previous physician (so registered with nobody) find one: they leave the waiting
    # list and get a registration.
    waiting = list(
        WaitlistEntry.objects.filter(rls=rls, status=WaitlistStatus.WAITING)
        .order_by("priority", "requested_on", "id")
        .filter(previous_physician_code="")
        .values_list("patient_code", flat=True)[:3]
    )
    before = figures(client, rls, physician, waiting[0])
    run_before = next_run(drmg, rls, physician)
    assert before["waiting-list page shows the patient"]
    assert before["patient page registrations"] == []

    new_waitlist = waitlist.filter(
        pc.invert(pc.is_in(waitlist.column("patient_id"), pa.array(waiting)))
    )
    registrations = read_dataset(Dataset.current(region, DatasetKind.REGISTRATIONS))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    added = pa.table(
        {
            "patient_id": pa.array(waiting, pa.string()),
            "physician_id": pa.array([physician.code] * 3, pa.string()),
            "site_id": pa.array([physician.site.code] * 3, pa.string()),
            "start_date": pa.array([yesterday] * 3, pa.date32()),
            "end_date": pa.array([None] * 3, pa.date32()),
        }
    )
    imported(region, DatasetKind.WAITLIST, new_waitlist, drmg)
    imported(region, DatasetKind.REGISTRATIONS, pa.concat_tables([registrations, added]), drmg)

    after = figures(client, rls, physician, waiting[0])
    assert after == {
        "dashboard registered": before["dashboard registered"] + 3,
        "dashboard waiting": before["dashboard waiting"] - 3,
        "rls page registered": before["rls page registered"] + 3,
        "rls page panel": before["rls page panel"] + 3,
        "waiting-list page": before["waiting-list page"] - 3,
        "waiting-list page shows the patient": False,
        "patient page registrations": [physician.code],
        "patient page waiting": [],
        "quarterly registered": before["quarterly registered"] + 3,
        "quarterly panel": before["quarterly panel"] + 3,
        "physicians page panel": before["physicians page panel"] + 3,
    }
    # The pages agree with each other, not only with themselves.
    assert after["dashboard registered"] == after["rls page registered"]
    assert after["dashboard registered"] == after["quarterly registered"]
    assert after["rls page panel"] == after["quarterly panel"] == after["physicians page panel"]
    run_after = next_run(drmg, rls, physician)
    assert run_after["run orphans"] == run_before["run orphans"] - 3
    assert run_after["run panel"] == run_before["run panel"] + 3 == after["rls page panel"]
    assert run_after["run"].registrations == Dataset.current(region, DatasetKind.REGISTRATIONS)


def test_it_takes_an_approved_plans_patients_out_of_the_waiting_counts(client, region, own_rls):
    drmg = login(client, "drmg")
    rls = Rls.objects.get(code=own_rls.code)
    waiting = WaitlistEntry.objects.filter(rls=rls, status=WaitlistStatus.WAITING).count()
    run = attribution_services.do_start_run(rls, {}, timezone.localdate(), acting_user=drmg)
    run = attribution_services.do_approve_run(run, acting_user=drmg)
    plan = store.read_plan(run.folder / "plan")
    assigned = set(plan.orphans.patient_id[plan.physician_of >= 0].tolist())
    assert assigned
    dashboard = client.get(reverse("dashboard:home")).context
    (row,) = [row for row in dashboard["waitlist_rows"] if row.rls_name == rls.name]
    assert row.total == waiting - len(assigned)
    entries = WaitlistEntry.objects.filter(patient_code__in=assigned)
    assert {entry.status for entry in entries} == {WaitlistStatus.ASSIGNED}
    # A new waiting list (the same rows, one fewer elsewhere) keeps the statuses.
    waitlist = read_dataset(Dataset.current(region, DatasetKind.WAITLIST))
    others = pc.not_equal(waitlist.column("rls_id"), own_rls.code)
    dropped = waitlist.filter(others).column("patient_id")[0].as_py()
    imported(
        region,
        DatasetKind.WAITLIST,
        waitlist.filter(pc.not_equal(waitlist.column("patient_id"), dropped)),
        drmg,
    )
    assert {entry.status for entry in entries.all()} == {WaitlistStatus.ASSIGNED}
    assert WaitlistEntry.objects.filter(rls=rls, status=WaitlistStatus.WAITING).count() == (
        waiting - len(assigned)
    )
    assert not WaitlistEntry.objects.filter(patient_code=dropped).exists()
