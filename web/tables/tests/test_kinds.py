"""Adding a kind of table is one declaration: a kind declared here, in the test, goes
through the whole import path (page, check, preview, apply, projection, audit, export,
command) with nothing else written for it."""

from __future__ import annotations

import datetime
import io

import pyarrow as pa
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from panelcare.attribution.io import ContractColumn
from panelcare.attribution.tables import Contract
from panelcare.contracts import CONTRACTS
from web.audit.models import AuditEvent
from web.tables import kinds
from web.tables.models import Dataset, ImportJob, ImportStatus, TableAction
from web.tables.store import read_dataset
from web.tables.tests.conftest import login

pytestmark = pytest.mark.django_db


CLINICS = Contract(
    "clinics",
    {
        "clinic_id": ContractColumn("text"),
        "rls_id": ContractColumn("text"),
        "opened_on": ContractColumn("date"),
        "beds": ContractColumn("int", optional=True, low=0),
    },
    keys=("clinic_id",),
)


@pytest.fixture
def projected() -> list[tuple[str, int]]:
    """The calls of the test kind's projection: (region code, rows of the version)."""
    return []


@pytest.fixture
def clinics(projected):
    def project(region, table: pa.Table) -> dict[str, int]:
        projected.append((region.code, table.num_rows))
        return {"rows": table.num_rows}

    kind = kinds.register(kinds.TableKind("clinics", "Clinics", CLINICS, project=project))
    yield kind
    kinds.unregister("clinics")


def csv_file(rows: list[str], name: str = "clinics.csv") -> SimpleUploadedFile:
    text = "clinic_id,rls_id,opened_on,beds\n" + "".join(f"{row}\n" for row in rows)
    return SimpleUploadedFile(name, text.encode())


def upload(client, rows: list[str]) -> ImportJob:
    client.post(reverse("tables:imports"), {"kind": "clinics", "file": csv_file(rows)})
    return ImportJob.objects.order_by("-pk").first()


def test_it_imports_a_kind_declared_in_a_test_end_to_end(
    client, region, clinics, projected, own_rls
):
    user = login(client, "cml.rimouski")
    assert "clinics" in client.get(reverse("tables:imports")).content.decode()
    job = upload(client, [f"C1,{own_rls.code},2020-01-01,4", f"C2,{own_rls.code},2021-06-30,"])
    assert (job.status, job.preview["added"]) == (ImportStatus.READY, 2)
    client.post(reverse("tables:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.errors
    dataset = Dataset.current(region, "clinics")
    assert (dataset.version, dataset.rows, dataset.imported_by) == (1, 2, user)
    table = read_dataset(dataset)
    assert table.schema == CLINICS.schema
    assert table.column("opened_on").to_pylist()[1] == datetime.date(2021, 6, 30)
    assert table.column("beds").to_pylist() == [4, None]
    # The projection ran in the import, once, on the new version.
    assert projected == [(region.code, 2)]
    event = AuditEvent.objects.get(action=TableAction.IMPORT_APPLIED, actor=user)
    assert (event.details["kind"], event.details["projected"]) == ("clinics", {"rows": 2})
    # Its export re-imports as "nothing to change".
    export = client.get(reverse("tables:dataset-export", args=[dataset.pk, "csv"]))
    content = b"".join(export.streaming_content)
    client.post(
        reverse("tables:imports"),
        {"kind": "clinics", "file": SimpleUploadedFile("again.csv", content)},
    )
    assert ImportJob.objects.order_by("-pk").first().status == ImportStatus.UNCHANGED


def test_it_checks_a_declared_kind_by_its_contract_and_scope(
    client, region, clinics, own_rls, other_rls
):
    login(client, "cml.rimouski")
    job = upload(client, [f"C1,{other_rls.code},2020-01-01,4", f"C1,{own_rls.code},2020-13-01,-1"])
    assert job.status == ImportStatus.REFUSED
    problems = {(error["row"], error["column"]) for error in job.errors}
    # Another RLS's row, a wrong date, a negative number, a key twice.
    assert {(1, "rls_id"), (2, "opened_on"), (2, "beds")} <= problems
    assert any(error["column"] == "clinic_id" for error in job.errors)
    assert not Dataset.objects.filter(kind="clinics").exists()


def test_it_imports_a_declared_kind_from_the_command(
    region, clinics, tmp_path, projected, other_rls
):
    path = tmp_path / "clinics.csv"
    path.write_text(f"clinic_id,rls_id,opened_on,beds\nC9,{other_rls.code},2019-02-03,1\n")
    out = io.StringIO()
    call_command(
        "import_table",
        str(path),
        "--region",
        region.code,
        "--kind",
        "clinics",
        "--apply",
        stdout=out,
    )
    assert "imported as version 1" in out.getvalue()
    assert projected == [(region.code, 1)]


def test_it_declares_each_built_in_kind_with_the_core_contract():
    assert [kind.name for kind in kinds.all_kinds()][:3] == [
        "physicians",
        "waitlist",
        "registrations",
    ]
    for kind in kinds.all_kinds():
        assert kind.contract is CONTRACTS[kind.name]
        # Visits, the GMF-R coverage and the GMFs' statistics: no page needs SQL on them,
        # the engines and the pages read the version.
        assert (kind.project is None) == (
            kind.name in ("visits", "gmf_r_coverage", "gmf_statistics")
        ), kind.name
    assert kinds.get_kind("registrations").scope_through == "physicians"
