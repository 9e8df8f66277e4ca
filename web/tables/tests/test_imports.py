"""Importing the attribution tables: all or nothing, idempotent, within the user's scope.

The tiny demo stores version 1 of each table; each test uploads a file made from it (as
text, the way a CSV holds it) with the few changes the test is about.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from panelcare.attribution.tables import canonical
from web.accounts.models import Role
from web.audit.models import AuditEvent as Event
from web.regions.models import Region, Rls
from web.regions.testing import make_user
from web.tables import checks, services
from web.tables.errors import KeysTaken
from web.tables.kinds import DatasetKind, all_kinds, get_kind
from web.tables.models import Dataset, ImportJob, ImportStatus, data_dir
from web.tables.models import TableAction as EventAction
from web.tables.store import read_dataset
from web.tables.tests.conftest import login

pytestmark = pytest.mark.django_db


def current(region: Region, kind: str = DatasetKind.WAITLIST) -> Dataset:
    dataset = Dataset.current(region, kind)
    assert dataset is not None
    return dataset


def imported_kinds(region: Region) -> list:
    """The declared kinds imported on /tables/ of which the tiny demo has a version (an
    optional table, the GMF-R coverage, may have none; the GMFs' statistics are the
    co-management's)."""
    return [
        kind
        for kind in all_kinds()
        if kind.imported_on == "tables" and Dataset.current(region, kind.name) is not None
    ]


def text_rows(region: Region, kind: str = DatasetKind.WAITLIST, rls: str | None = None) -> pa.Table:
    """The current version's rows (of one RLS), every cell as the text a CSV holds."""
    table = read_dataset(current(region, kind))
    if rls is not None:
        table = table.filter(pc.equal(table.column("rls_id"), rls))
    columns = [pc.cast(column, pa.string()) for column in table.columns]
    return pa.table(dict(zip(table.column_names, columns, strict=True)))


def with_cell(table: pa.Table, row: int, column: str, value: str | None) -> pa.Table:
    """``table`` with the cell of 0-based ``row`` in ``column`` replaced."""
    cells = table.column(column).to_pylist()
    cells[row] = value
    index = table.column_names.index(column)
    return table.set_column(index, column, pa.array(cells, pa.string()))


def other_priority(table: pa.Table, row: int) -> str:
    return "E" if table.column("priority")[row].as_py() != "E" else "A"


def file_bytes(table: pa.Table, fmt: str) -> bytes:
    sink = io.BytesIO()
    if fmt == "csv":
        pacsv.write_csv(table, sink)
    elif fmt == "parquet":
        pq.write_table(table, sink)
    else:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(table.column_names)
        for row in table.to_pylist():
            sheet.append(list(row.values()))
        workbook.save(sink)
    return sink.getvalue()


def upload(client, kind: str, table: pa.Table, name: str = "gamf.csv"):
    fmt = name.rsplit(".", 1)[1]
    data = {"kind": kind, "file": SimpleUploadedFile(name, file_bytes(table, fmt))}
    return client.post(reverse("tables:imports"), data)


def last_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def staged_files(region: Region) -> list:
    folder = data_dir() / region.code / "staging"
    return sorted(folder.iterdir()) if folder.exists() else []


def table_files(region: Region) -> list:
    return sorted((data_dir() / region.code / "tables").rglob("*.parquet"))


# --------------------------------------------------------------------------- all or nothing


@pytest.mark.parametrize("name", ["gamf.csv", "gamf.parquet", "gamf.xlsx"])
def test_it_refuses_a_file_with_one_bad_row_and_writes_nothing(client, region, name):
    login(client, "drmg")
    versions, files = Dataset.objects.count(), table_files(region)
    bad = with_cell(text_rows(region), 4, "priority", "F")
    response = upload(client, DatasetKind.WAITLIST, bad, name)
    job = last_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("tables:import-detail", args=[job.pk])
    assert job.status == ImportStatus.REFUSED
    problem = job.errors[0]
    assert (problem["file"], problem["row"], problem["column"]) == (name, 5, "priority")
    assert "expected one of A, B, C, D or E, got 'F'" in problem["message"]
    assert Dataset.objects.count() == versions
    assert table_files(region) == files
    assert staged_files(region) == []
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-errors"' in page and "priority" in page
    assert 'data-testid="import-apply"' not in page
    refusal = Event.objects.get(action=EventAction.IMPORT_REFUSED)
    assert refusal.details["first_problem"] == {"row": 5, "column": "priority"}


def test_it_lists_every_bad_row(client, region):
    login(client, "drmg")
    bad = with_cell(with_cell(text_rows(region), 2, "latitude", "nord"), 9, "vulnerable", "oui")
    upload(client, DatasetKind.WAITLIST, bad)
    job = last_job()
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "latitude"), (10, "vulnerable")]
    assert job.preview["problem_count"] == 2


def test_it_previews_then_applies_a_valid_file(client, region):
    user = login(client, "drmg")
    rows = text_rows(region)
    first_id = rows.column("patient_id")[0].as_py()
    changed_id = rows.column("patient_id")[1].as_py()
    edited = with_cell(rows.slice(1), 0, "priority", other_priority(rows, 1))  # first row removed
    upload(client, DatasetKind.WAITLIST, edited)
    job = last_job()
    assert job.status == ImportStatus.READY
    preview = job.preview
    assert (preview["added"], preview["removed"], preview["changed"]) == (0, 1, 1)
    assert preview["unchanged"] == rows.num_rows - 2
    assert preview["examples"]["removed"] == [first_id]
    assert preview["examples"]["changed"] == [changed_id]
    assert preview["changed_columns"] == {"priority": 1}
    assert Dataset.objects.filter(kind=DatasetKind.WAITLIST).count() == 1  # not yet
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-apply"' in page and 'data-testid="preview-removed"' in page

    response = client.post(reverse("tables:import-apply", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED
    dataset = current(region)
    assert (dataset.version, dataset.rows, job.dataset) == (2, rows.num_rows - 1, dataset)
    assert dataset.imported_by == user and dataset.source_name == "gamf.csv"
    assert dataset.changes == {"added": 0, "removed": 1, "changed": 1, "unchanged": 313}
    stored = read_dataset(dataset)
    assert first_id not in stored.column("patient_id").to_pylist()
    assert staged_files(region) == []
    event = Event.objects.get(action=EventAction.IMPORT_APPLIED, actor__isnull=False)
    assert (event.subject_id, event.actor, event.details["removed"]) == (str(dataset.pk), user, 1)
    assert event.subject_type == "tables.dataset"


def test_it_changes_nothing_when_the_same_file_comes_again(client, region):
    login(client, "drmg")
    versions = Dataset.objects.count()
    upload(client, DatasetKind.WAITLIST, text_rows(region))  # version 1, as a CSV
    assert last_job().status == ImportStatus.UNCHANGED
    assert Dataset.objects.count() == versions
    assert staged_files(region) == []

    rows = text_rows(region)
    edited = with_cell(rows, 0, "priority", other_priority(rows, 0))
    upload(client, DatasetKind.WAITLIST, edited)
    job = last_job()
    assert (job.status, job.preview["changed"]) == (ImportStatus.READY, 1)
    client.post(reverse("tables:import-apply", args=[job.pk]))
    # The same rows again, in another order: nothing to change, nothing written.
    upload(client, DatasetKind.WAITLIST, edited.take([*range(1, edited.num_rows), 0]))
    assert last_job().status == ImportStatus.UNCHANGED
    assert Dataset.objects.filter(kind=DatasetKind.WAITLIST).count() == 2
    assert Event.objects.filter(action=EventAction.IMPORT_APPLIED, actor__isnull=False).count() == 1
    assert staged_files(region) == []


def test_it_cancels_a_ready_import(client, region):
    login(client, "drmg")
    upload(client, DatasetKind.WAITLIST, text_rows(region).slice(3))
    job = last_job()
    assert job.status == ImportStatus.READY and len(staged_files(region)) == 1
    response = client.post(reverse("tables:import-cancel", args=[job.pk]))
    assert response["Location"] == reverse("tables:imports")
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert staged_files(region) == []
    cancelled = Event.objects.get(action=EventAction.IMPORT_CANCELLED)
    assert (cancelled.actor.username, cancelled.details["import_id"]) == ("drmg", job.pk)
    client.post(reverse("tables:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert Dataset.objects.filter(kind=DatasetKind.WAITLIST).count() == 1


def test_it_refuses_a_stale_preview(client, region):
    login(client, "drmg")
    rows = text_rows(region)
    upload(client, DatasetKind.WAITLIST, rows.slice(1))
    first = last_job()
    upload(client, DatasetKind.WAITLIST, rows.slice(2))
    second = last_job()
    assert first.status == second.status == ImportStatus.READY
    client.post(reverse("tables:import-apply", args=[first.pk]))
    client.post(reverse("tables:import-apply", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ImportStatus.APPLIED
    assert second.status == ImportStatus.FAILED
    assert "changed after this file was checked" in second.errors[0]["message"]
    assert current(region).version == 2
    assert staged_files(region) == []
    refusal = Event.objects.get(action=EventAction.IMPORT_REFUSED)
    assert refusal.details["reason"] == "stale_preview"


def test_it_refuses_an_upload_that_is_not_a_table_file(client, region):
    login(client, "drmg")
    data = {"kind": "waitlist", "file": SimpleUploadedFile("gamf.txt", b"x")}
    response = client.post(reverse("tables:imports"), data)
    assert response.status_code == 200
    assert "CSV, Parquet" in response.content.decode()
    assert ImportJob.objects.count() == 0


# --------------------------------------------------------------------------- a CML's scope


def test_it_refuses_a_cml_the_rows_of_another_rls(client, region, own_rls, other_rls):
    login(client, "cml.rimouski")
    rows = text_rows(region)
    upload(client, DatasetKind.WAITLIST, rows)
    job = last_job()
    assert job.status == ImportStatus.REFUSED and job.scope == [own_rls.code]
    first_other = rows.column("rls_id").to_pylist().index(other_rls.code)
    problem = job.errors[0]
    assert (problem["row"], problem["column"]) == (first_other + 1, "rls_id")
    assert f"rls_id {other_rls.code} is outside" in problem["message"]
    assert Dataset.objects.filter(kind=DatasetKind.WAITLIST).count() == 1


def test_it_keeps_the_other_rls_rows_when_a_cml_imports(client, region, own_rls, other_rls):
    login(client, "cml.rimouski")
    before = read_dataset(current(region))
    own = text_rows(region, rls=own_rls.code)
    upload(client, DatasetKind.WAITLIST, own.slice(1))
    job = last_job()
    assert job.status == ImportStatus.READY
    assert (job.preview["removed"], job.preview["scope_rows"]) == (1, own.num_rows)
    client.post(reverse("tables:import-apply", args=[job.pk]))
    dataset = current(region)
    assert dataset.version == 2 and dataset.scope == [own_rls.code]
    after = read_dataset(dataset)
    assert after.num_rows == before.num_rows - 1

    def rows_of(table, code):
        return sorted(
            table.filter(pc.equal(table.column("rls_id"), code)).to_pylist(),
            key=lambda row: row["patient_id"],
        )

    assert rows_of(after, other_rls.code) == rows_of(before, other_rls.code)
    assert len(rows_of(after, own_rls.code)) == own.num_rows - 1


def test_it_refuses_a_cml_the_registrations_of_another_rls_physician(client, region, own_rls):
    login(client, "cml.rimouski")
    physicians = read_dataset(current(region, DatasetKind.PHYSICIANS))
    ours = {row["physician_id"] for row in physicians.to_pylist() if row["rls_id"] == own_rls.code}
    registrations = text_rows(region, DatasetKind.REGISTRATIONS)
    mine = registrations.filter(
        pc.is_in(registrations.column("physician_id"), pa.array(sorted(ours)))
    )
    upload(client, DatasetKind.REGISTRATIONS, mine)
    assert last_job().status == ImportStatus.UNCHANGED  # the RLS' registrations in force

    upload(client, DatasetKind.REGISTRATIONS, registrations)
    job = last_job()
    assert job.status == ImportStatus.REFUSED
    assert {error["column"] for error in job.errors} == {"physician_id"}


def with_other_rls_row(
    region: Region, kind: str, own_rls: Rls, other_rls: Rls
) -> tuple[pa.Table, str]:
    """cml.kamouraska's rows of ``kind`` plus a copy of Rimouski's first row moved under
    Kamouraska, and the key it copies."""
    own = text_rows(region, kind, rls=other_rls.code)
    copy = text_rows(region, kind, rls=own_rls.code).slice(0, 1)
    copy = with_cell(copy, 0, "rls_id", other_rls.code)
    key = "physician_id" if kind == DatasetKind.PHYSICIANS else "patient_id"
    return pa.concat_tables([own, copy]), copy.column(key)[0].as_py()


@pytest.mark.parametrize(
    ("kind", "column"),
    [(DatasetKind.PHYSICIANS, "physician_id"), (DatasetKind.WAITLIST, "patient_id")],
)
def test_it_refuses_a_cml_a_key_of_another_rls_under_their_own(
    client, region, kind, column, own_rls, other_rls
):
    # A copy of a Rimouski physician (or patient) under Kamouraska would give
    # cml.kamouraska their decision and registrations, and the region two of them.
    login(client, "cml.kamouraska")
    versions, files = Dataset.objects.count(), table_files(region)
    rows, key = with_other_rls_row(region, kind, own_rls, other_rls)
    upload(client, kind, rows, name="copy.csv")
    job = last_job()
    assert job.status == ImportStatus.REFUSED
    problem = job.errors[0]
    assert (problem["file"], problem["row"], problem["column"], problem["line"]) == (
        "copy.csv",
        rows.num_rows,
        column,
        rows.num_rows + 1,
    )
    assert problem["message"] == f"{column} {key} already belongs to RLS {own_rls.code}"
    assert job.preview["problem_count"] == 1
    assert (Dataset.objects.count(), table_files(region)) == (versions, files)
    assert staged_files(region) == []


def test_it_checks_the_keys_again_when_applying(client, region, monkeypatch, own_rls, other_rls):
    # A file checked without the key rule (by a check made before it existed) is still
    # refused by write_version, under the lock.
    login(client, "cml.kamouraska")
    rows, key = with_other_rls_row(region, DatasetKind.PHYSICIANS, own_rls, other_rls)
    monkeypatch.setattr(checks, "keys_taken", lambda *args: ([], 0))
    upload(client, DatasetKind.PHYSICIANS, rows, name="copy.csv")
    job = last_job()
    assert job.status == ImportStatus.READY
    monkeypatch.undo()
    client.post(reverse("tables:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert (job.errors[0]["row"], job.errors[0]["column"]) == (rows.num_rows, "physician_id")
    assert f"{key} already belongs to RLS {own_rls.code}" in job.errors[0]["message"]
    assert current(region, DatasetKind.PHYSICIANS).version == 1
    refusal = Event.objects.get(action=EventAction.IMPORT_REFUSED)
    assert refusal.details["reason"] == "keys_taken"


def test_it_refuses_under_the_lock_a_registration_of_another_rls(region, own_rls, other_rls):
    # The registrations' key holds the physician: one of another RLS, kept outside the
    # scope, is refused with that physician's RLS in the roster.
    physicians = read_dataset(current(region, DatasetKind.PHYSICIANS))
    theirs = {
        row["physician_id"] for row in physicians.to_pylist() if row["rls_id"] == own_rls.code
    }
    registrations = canonical(
        DatasetKind.REGISTRATIONS, read_dataset(current(region, DatasetKind.REGISTRATIONS))
    )
    taken = registrations.filter(
        pc.is_in(registrations.column("physician_id"), pa.array(sorted(theirs)))
    )
    files = table_files(region)
    with pytest.raises(KeysTaken) as refused:
        services.do_write_version(
            region,
            DatasetKind.REGISTRATIONS,
            [other_rls.code],
            taken.slice(0, 3),
            base={"version": 1, "physicians_version": 1},
            changes={"added": 3, "removed": 0, "changed": 0, "unchanged": 0},
            source_name="copy.csv",
            acting_user=None,
        )
    assert refused.value.count == 3
    assert refused.value.problems[0].row == 1
    assert f"already belongs to RLS {own_rls.code}" in refused.value.problems[0].message
    assert current(region, DatasetKind.REGISTRATIONS).version == 1
    assert table_files(region) == files


def test_it_shows_an_import_of_several_rls_in_the_history_of_their_cml_only(
    client, region, own_rls, other_rls
):
    both = make_user(Role.CML, rls=Rls.objects.filter(code__in=[own_rls.code, other_rls.code]))
    client.force_login(both)
    upload(client, DatasetKind.WAITLIST, text_rows(region).slice(1))
    client.post(reverse("tables:import-apply", args=[last_job().pk]))
    event = Event.objects.get(action=EventAction.IMPORT_APPLIED, actor__isnull=False)
    assert (
        event.details["scope"] == [own_rls.code, other_rls.code] and event.rls_code == own_rls.code
    )
    history = reverse("attribution:history")

    def shown(username=None) -> set[str]:
        if username:
            login(client, username)
        html = client.get(history).content.decode()
        return set(re.findall(r'data-action="(\w+)"', html))

    assert shown() == {EventAction.IMPORT_APPLIED}
    assert shown("drmg") == {EventAction.IMPORT_APPLIED}
    assert shown("cml.rimouski") == set()  # own_rls only: not theirs alone
    assert shown("cml.kamouraska") == set()


# --------------------------------------------------------------------------- access


URLS = [
    ("tables:imports", False),
    ("tables:import-detail", True),
    ("tables:import-progress", True),
]
POSTS = ["tables:import-apply", "tables:import-cancel"]


@pytest.fixture
def cml_job(client, region, own_rls) -> ImportJob:
    login(client, "cml.rimouski")
    upload(client, DatasetKind.WAITLIST, text_rows(region, rls=own_rls.code).slice(1))
    client.logout()
    job = last_job()
    assert job.status == ImportStatus.READY
    return job


@pytest.mark.parametrize("username", ["medecin", "gestion.gmf", "ciusss", "coach"])
def test_it_refuses_roles_that_do_not_import(client, cml_job, username):
    login(client, username)
    for name, with_pk in URLS:
        url = reverse(name, args=[cml_job.pk] if with_pk else [])
        assert client.get(url).status_code == 403, name
    for name in POSTS:
        assert client.post(reverse(name, args=[cml_job.pk])).status_code == 403, name
    dataset = current(cml_job.region)
    assert client.get(reverse("tables:dataset-export", args=[dataset.pk, "csv"])).status_code == 403
    cml_job.refresh_from_db()
    assert cml_job.status == ImportStatus.READY


def test_it_refuses_a_cml_without_an_rls(client, cml_job):
    # An empty list of RLS must not read as the DRMG's whole region.
    client.force_login(make_user(Role.CML, region=cml_job.region))
    assert client.get(reverse("tables:imports")).status_code == 403
    assert client.get(reverse("tables:import-detail", args=[cml_job.pk])).status_code == 403
    dataset = current(cml_job.region)
    url = reverse("tables:dataset-export", args=[dataset.pk, "csv"])
    assert client.get(url).status_code == 403


def test_it_hides_an_import_from_the_cml_of_another_rls(client, cml_job):
    login(client, "cml.kamouraska")
    for name, with_pk in URLS:
        if with_pk:
            assert client.get(reverse(name, args=[cml_job.pk])).status_code == 404, name
    for name in POSTS:
        assert client.post(reverse(name, args=[cml_job.pk])).status_code == 404, name
    page = client.get(reverse("tables:imports")).content.decode()
    assert reverse("tables:import-detail", args=[cml_job.pk]) not in page
    cml_job.refresh_from_db()
    assert cml_job.status == ImportStatus.READY


def test_it_shows_an_import_to_its_cml_and_the_drmg_only(client, cml_job, region):
    for username in ("cml.rimouski", "drmg"):
        login(client, username)
        url = reverse("tables:import-detail", args=[cml_job.pk])
        assert client.get(url).status_code == 200, username
    # The DRMG's imports cover the whole region: not a CML's to open.
    login(client, "drmg")
    upload(client, DatasetKind.WAITLIST, text_rows(region).slice(2))
    login(client, "cml.rimouski")
    drmg_job = last_job()
    assert client.get(reverse("tables:import-detail", args=[drmg_job.pk])).status_code == 404


def test_it_hides_an_import_of_another_region(client, cml_job):
    elsewhere = Region.objects.create(code="99", name="Ailleurs")
    Rls.objects.create(code="9901", region=elsewhere, name="Loin", latitude=0, longitude=0)
    client.force_login(make_user(Role.DRMG, region=elsewhere))
    assert client.get(reverse("tables:import-detail", args=[cml_job.pk])).status_code == 404
    dataset = current(cml_job.region)
    url = reverse("tables:dataset-export", args=[dataset.pk, "csv"])
    assert client.get(url).status_code == 404


def test_it_sends_anonymous_visitors_to_login(client, cml_job):
    response = client.get(reverse("tables:import-detail", args=[cml_job.pk]))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_it_stores_versions_in_the_engines_canonical_shape(client, region):
    from panelcare.attribution import tables

    # The attribution's kinds here; the assiduity's in test_assiduity_kinds.py.
    for kind in tables.KINDS:
        assert get_kind(kind).schema == tables.SCHEMAS[kind]
    login(client, "drmg")
    upload(client, DatasetKind.WAITLIST, text_rows(region).slice(1))
    client.post(reverse("tables:import-apply", args=[last_job().pk]))
    assert read_dataset(current(region)).schema == tables.SCHEMAS["waitlist"]


# --------------------------------------------------------------------------- pages


def test_it_shows_the_tables_in_force_and_the_upload_form(client, region, own_rls):
    login(client, "cml.rimouski")
    page = client.get(reverse("tables:imports")).content.decode()
    for testid in ("import-form", "import-kind", "import-file", "import-submit"):
        assert f'data-testid="{testid}"' in page, testid
    for kind in imported_kinds(region):
        dataset = current(region, kind.name)
        export = reverse("tables:dataset-export", args=[dataset.pk, "xlsx"])
        if kind.scope_column is None:
            # The region's own tables (visits, memberships...) are the DRMG's: a CML's
            # page neither lists nor offers them.
            assert f'data-testid="table-{kind.name}"' not in page
            assert export not in page
        else:
            assert f'data-testid="table-{kind.name}"' in page
            assert export in page
    assert own_rls.code in page


@pytest.mark.parametrize("username, status", [("cml.rimouski", 404), ("drmg", 200)])
def test_it_exports_the_regions_own_tables_to_the_drmg_only(client, region, username, status):
    # Visits hold every RLS's patients and no RLS column to cut them by: a CML's export
    # of them would carry other RLS's patients out of their territory.
    login(client, username)
    regions_own = [kind for kind in imported_kinds(region) if kind.scope_column is None]
    for kind in regions_own:
        dataset = current(region, kind.name)
        response = client.get(reverse("tables:dataset-export", args=[dataset.pk, "csv"]))
        assert response.status_code == status, kind.name
    exported = Event.objects.filter(action=EventAction.TABLE_EXPORTED).count()
    assert exported == (0 if status == 404 else len(regions_own))
    # The GMFs' statistics are read on the co-management's pages: no export here.
    statistics = current(region, "gmf_statistics")
    assert (
        client.get(reverse("tables:dataset-export", args=[statistics.pk, "csv"])).status_code == 404
    )


def test_it_polls_the_progress_of_an_import_being_checked(client, region):
    user = login(client, "drmg")
    job = ImportJob.objects.create(
        region=region,
        kind=DatasetKind.WAITLIST,
        source_name="gamf.csv",
        staged_file="/nonexistent.csv",
        created_by=user,
        phase="checking",
        done=250_000,
        total=1_000_000,
    )
    partial = client.get(reverse("tables:import-progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in partial
    assert 'data-testid="import-progress" max="100" value="25"' in partial
    assert 'data-phase="checking"' in partial
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.REFUSED)
    partial = client.get(reverse("tables:import-progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in partial


# --------------------------------------------------------------------------- exports


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_it_exports_only_the_rows_of_the_users_scope(client, region, fmt, own_rls):
    login(client, "cml.rimouski")
    dataset = current(region)
    response = client.get(reverse("tables:dataset-export", args=[dataset.pk, fmt]))
    assert response.status_code == 200
    assert f"{region.code}-waitlist-v0001-{own_rls.code}.{fmt}" in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    path = data_dir() / f"export.{fmt}"
    path.write_bytes(content)
    from panelcare.attribution.tables import read_contract_table

    exported = read_contract_table(path, "waitlist")
    expected = text_rows(region, rls=own_rls.code)
    assert set(exported.column("rls_id").to_pylist()) == {own_rls.code}
    assert exported.num_rows == expected.num_rows
    # Who exported which version, and how many rows, is in the history.
    event = Event.objects.get(action=EventAction.TABLE_EXPORTED)
    assert (event.actor.username, event.subject_id, event.rls_code) == (
        "cml.rimouski",
        str(dataset.pk),
        own_rls.code,
    )
    assert (event.details["format"], event.details["rows"]) == (fmt, expected.num_rows)


# XLSX is written and read cell by cell: about 4 s for the tiny demo's waiting list.
@pytest.mark.parametrize("fmt", ["csv", pytest.param("xlsx", marks=pytest.mark.slow)])
def test_it_reimports_its_own_export_unchanged(client, region, fmt):
    drmg = login(client, "drmg")
    for kind in [kind.name for kind in imported_kinds(region)]:
        content, _, filename = services.do_export_dataset(
            current(region, kind), fmt, [], acting_user=drmg
        )
        data = content if isinstance(content, bytes) else b"".join(content)
        client.post(
            reverse("tables:imports"),
            {"kind": kind, "file": SimpleUploadedFile(filename, data)},
        )
        job = last_job()
        assert job.status == ImportStatus.UNCHANGED, (kind, job.errors[:2], job.preview)


def test_it_exports_a_cmls_registrations_by_their_physicians(region, own_rls):
    physicians = read_dataset(current(region, DatasetKind.PHYSICIANS))
    ours = {row["physician_id"] for row in physicians.to_pylist() if row["rls_id"] == own_rls.code}
    cml = User.objects.get(profile__rls__code=own_rls.code, profile__role="cml")
    content, _, _ = services.do_export_dataset(
        current(region, DatasetKind.REGISTRATIONS), "parquet", [own_rls.code], acting_user=cml
    )
    exported = pq.read_table(io.BytesIO(content))
    assert set(exported.column("physician_id").to_pylist()) <= ours
    assert 0 < exported.num_rows < current(region, DatasetKind.REGISTRATIONS).rows


# --------------------------------------------------------------------------- the command


def test_the_command_prints_the_problems_and_writes_nothing(region, tmp_path, capsys):
    path = tmp_path / "gamf.csv"
    path.write_bytes(file_bytes(with_cell(text_rows(region), 6, "requested_on", "hier"), "csv"))
    with pytest.raises(CommandError) as caught:
        call_command("import_table", str(path), "--region", region.code, "--kind", "waitlist")
    assert caught.value.returncode == 1
    err = capsys.readouterr().err
    assert "gamf.csv:7:requested_on: expected a date yyyy-mm-dd, got 'hier'" in err
    assert Dataset.objects.filter(kind=DatasetKind.WAITLIST).count() == 1


def test_the_command_previews_then_applies(region, tmp_path):
    path = tmp_path / "gamf.parquet"
    path.write_bytes(file_bytes(text_rows(region).slice(5), "parquet"))
    args = [str(path), "--region", region.code, "--kind", "waitlist"]
    out = io.StringIO()
    call_command("import_table", *args, stdout=out)
    assert "5 removed, 0 changed" in out.getvalue()
    assert "run again with --apply" in out.getvalue()
    assert current(region).version == 1
    out = io.StringIO()
    call_command("import_table", *args, "--apply", stdout=out)
    assert "imported as version 2" in out.getvalue()
    assert current(region).imported_by is None
    out = io.StringIO()
    call_command("import_table", *args, "--apply", stdout=out)
    assert "nothing changes" in out.getvalue()
    assert current(region).version == 2


def test_the_command_imports_within_a_users_scope(region, tmp_path):
    path = tmp_path / "gamf.csv"
    path.write_bytes(file_bytes(text_rows(region), "csv"))
    args = [str(path), "--region", region.code, "--kind", "waitlist", "--user", "cml.rimouski"]
    with pytest.raises(CommandError):
        call_command("import_table", *args, stderr=io.StringIO())
    with pytest.raises(CommandError, match="neither the DRMG nor a CML"):
        call_command("import_table", *args[:-1], "medecin")


def test_the_command_refuses_a_user_of_another_region(region, tmp_path):
    elsewhere = Region.objects.create(code="99", name="Ailleurs")
    make_user(Role.DRMG, region=elsewhere, username="drmg.ailleurs")
    path = tmp_path / "gamf.csv"
    path.write_bytes(file_bytes(text_rows(region), "csv"))
    args = [str(path), "--region", region.code, "--kind", "waitlist", "--apply"]
    with pytest.raises(CommandError, match=f"does not work in region {region.code}"):
        call_command("import_table", *args, "--user", "drmg.ailleurs")
    assert current(region).version == 1
