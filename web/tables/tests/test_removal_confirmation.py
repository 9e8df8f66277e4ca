"""An import that removes every row in force of its scope, or more than the region's share
(``PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE``, 0.2 by default), is applied only once its
importer confirms the number of rows removed (issue 14: a headers-only file was "ready to
apply" and emptied a CML's RLS). On the page, in the service and in the command."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from web.audit.models import AuditEvent
from web.regions.models import Region, Rls, WaitlistEntry
from web.tables import services
from web.tables.errors import RemovalNotConfirmed, TablesError
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset, ImportJob, ImportStatus, TableAction
from web.tables.store import read_dataset
from web.tables.tests.conftest import login

pytestmark = pytest.mark.django_db


def waitlist_rows(region: Region, rls: Rls | None = None) -> pa.Table:
    """The waiting list in force (of one RLS), every cell as the text a CSV holds."""
    table = read_dataset(Dataset.current(region, DatasetKind.WAITLIST))
    if rls is not None:
        table = table.filter(pc.equal(table.column("rls_id"), rls.code))
    columns = [pc.cast(column, pa.string()) for column in table.columns]
    return pa.table(dict(zip(table.column_names, columns, strict=True)))


def csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue()


def upload(client, table: pa.Table) -> ImportJob:
    file = SimpleUploadedFile("gamf.csv", csv_bytes(table))
    client.post(reverse("tables:imports"), {"kind": DatasetKind.WAITLIST, "file": file})
    job = ImportJob.objects.order_by("-pk").first()
    assert job.status == ImportStatus.READY, job.errors
    return job


def apply(client, job: ImportJob, **data: str) -> ImportJob:
    client.post(reverse("tables:import-apply", args=[job.pk]), data)
    job.refresh_from_db()
    return job


def version(region: Region) -> int:
    return Dataset.current(region, DatasetKind.WAITLIST).version


# --------------------------------------------------------------------------- the page


def test_it_asks_a_cml_to_confirm_a_headers_only_file_emptying_their_rls(
    client, region, own_rls, other_rls
):
    user = login(client, "cml.rimouski")
    in_force = waitlist_rows(region, own_rls).num_rows
    kept_elsewhere = WaitlistEntry.objects.filter(rls=other_rls).count()
    assert in_force > 0 and kept_elsewhere > 0
    job = upload(client, waitlist_rows(region, own_rls).slice(0, 0))  # the header alone
    assert (job.preview["removed"], job.preview["scope_rows"]) == (in_force, in_force)

    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-confirm-removal"' in page
    assert f'data-removed="{in_force}"' in page
    assert f"I confirm the removal of {in_force} rows from RLS {own_rls.code}" in page

    response = client.post(reverse("tables:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.READY and version(region) == 1
    message = f"This file removes {in_force} of the {in_force} rows in force of RLS {own_rls.code}"
    assert message in client.get(response["Location"]).content.decode()
    assert WaitlistEntry.objects.filter(rls=own_rls).count() == in_force

    job = apply(client, job, confirm_removal="on")
    assert job.status == ImportStatus.APPLIED and version(region) == 2
    assert WaitlistEntry.objects.filter(rls=own_rls).count() == 0  # the projection emptied
    assert WaitlistEntry.objects.filter(rls=other_rls).count() == kept_elsewhere
    event = AuditEvent.objects.get(action=TableAction.IMPORT_APPLIED, actor=user)
    assert event.details["removal_confirmed"] == in_force


def test_it_asks_to_confirm_a_file_removing_30_percent_of_the_rls(client, region, own_rls):
    login(client, "cml.rimouski")
    rows = waitlist_rows(region, own_rls)
    kept = rows.num_rows - round(rows.num_rows * 0.3)
    job = upload(client, rows.slice(0, kept))
    removed = rows.num_rows - kept
    assert job.preview["removed"] == removed and removed / rows.num_rows > 0.2

    assert apply(client, job).status == ImportStatus.READY
    assert apply(client, job, confirm_removal="").status == ImportStatus.READY
    assert version(region) == 1
    assert apply(client, job, confirm_removal="on").status == ImportStatus.APPLIED
    assert version(region) == 2
    assert WaitlistEntry.objects.filter(rls=own_rls).count() == kept


def test_it_applies_a_file_removing_5_percent_without_confirmation(client, region, own_rls):
    login(client, "cml.rimouski")
    rows = waitlist_rows(region, own_rls)
    removed = max(1, round(rows.num_rows * 0.05))
    job = upload(client, rows.slice(removed))
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-confirm-removal"' not in page
    assert 'data-testid="import-removal-warning"' not in page
    assert apply(client, job).status == ImportStatus.APPLIED
    assert WaitlistEntry.objects.filter(rls=own_rls).count() == rows.num_rows - removed
    event = AuditEvent.objects.filter(action=TableAction.IMPORT_APPLIED).latest("pk")
    assert "removal_confirmed" not in event.details


def test_it_asks_the_drmg_to_confirm_emptying_the_whole_region(client, region):
    login(client, "drmg")
    in_force = waitlist_rows(region).num_rows
    job = upload(client, waitlist_rows(region).slice(0, 0))
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert f"I confirm the removal of {in_force} rows from region {region.code}" in page
    with pytest.raises(RemovalNotConfirmed) as refused:
        services.do_apply_import(job, acting_user=job.created_by)
    assert isinstance(refused.value, TablesError)
    assert (refused.value.removed, refused.value.in_force) == (in_force, in_force)
    assert f"rows in force of region {region.code}" in str(refused.value)
    job.refresh_from_db()
    assert job.status == ImportStatus.READY
    assert apply(client, job, confirm_removal="on").status == ImportStatus.APPLIED
    assert Dataset.current(region, DatasetKind.WAITLIST).rows == 0
    assert WaitlistEntry.objects.filter(region=region).count() == 0


def test_it_follows_the_share_the_settings_give(client, region, own_rls, settings):
    settings.PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE = 0.5
    login(client, "cml.rimouski")
    rows = waitlist_rows(region, own_rls)
    job = upload(client, rows.slice(0, rows.num_rows - round(rows.num_rows * 0.3)))
    assert apply(client, job).status == ImportStatus.APPLIED  # 30 % is under a half


@pytest.mark.parametrize(
    "removed, in_force, share, expected",
    [
        (10, 10, 1.0, 10),  # every row: always confirmed, whatever the share
        (3, 10, 0.2, 3),  # 30 % > 20 %
        (2, 10, 0.2, 0),  # 20 % is not more than 20 %
        (1, 20, 0.0, 1),  # share 0: any removal
        (0, 10, 0.0, 0),  # nothing removed
        (0, 0, 0.2, 0),  # nothing in force: a first import
    ],
)
def test_it_counts_the_rows_to_confirm(settings, removed, in_force, share, expected):
    settings.PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE = share
    assert services.removal_to_confirm(removed, in_force) == expected


# --------------------------------------------------------------------------- the command


def test_the_command_wants_confirm_removal_for_a_headers_only_file(region, own_rls, tmp_path):
    path = tmp_path / "gamf.csv"
    path.write_bytes(csv_bytes(waitlist_rows(region, own_rls).slice(0, 0)))
    in_force = WaitlistEntry.objects.filter(rls=own_rls).count()
    args = [str(path), "--region", region.code, "--kind", "waitlist", "--user", "cml.rimouski"]

    out = io.StringIO()
    call_command("import_table", *args, stdout=out)
    assert "run again with --apply --confirm-removal" in out.getvalue()
    with pytest.raises(CommandError) as refused:
        call_command("import_table", *args, "--apply", stdout=io.StringIO())
    assert refused.value.returncode == 1
    assert f"removes {in_force} of the {in_force} rows in force of RLS {own_rls.code}" in str(
        refused.value
    )
    assert "--confirm-removal" in str(refused.value)
    assert version(region) == 1

    out = io.StringIO()
    call_command("import_table", *args, "--apply", "--confirm-removal", stdout=out)
    assert "imported as version 2" in out.getvalue()
    assert WaitlistEntry.objects.filter(rls=own_rls).count() == 0
    event = AuditEvent.objects.filter(action=TableAction.IMPORT_APPLIED).latest("pk")
    assert event.details["removal_confirmed"] == in_force


def test_the_command_applies_a_small_removal_without_confirmation(region, tmp_path):
    path = tmp_path / "gamf.csv"
    path.write_bytes(csv_bytes(waitlist_rows(region).slice(3)))
    args = [str(path), "--region", region.code, "--kind", "waitlist", "--apply"]
    out = io.StringIO()
    call_command("import_table", *args, stdout=out)
    assert "3 removed" in out.getvalue() and "imported as version 2" in out.getvalue()


def test_it_asks_for_the_confirmation_in_french(client, region, own_rls, settings):
    login(client, "cml.rimouski")
    in_force = waitlist_rows(region, own_rls).num_rows
    job = upload(client, waitlist_rows(region, own_rls).slice(0, 0))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert f"Je confirme le retrait de {in_force} lignes du RLS {own_rls.code}" in page
    response = client.post(reverse("tables:import-apply", args=[job.pk]), follow=True)
    assert (
        f"Ce fichier retire {in_force} des {in_force} lignes en vigueur du RLS {own_rls.code}"
        in response.content.decode()
    )
