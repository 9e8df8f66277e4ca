"""A month of visits added to the year: the file is checked as a whole year's would be
(refused with its file, row and column, in the user's language; a French spreadsheet's CSV
read), previewed as rows new, replacing a row in force, identical and kept, and applied
as a new version holding the rows in force the file does not name plus the file's. All
or nothing: a refused file, or a failure while the version is written, leaves the version
in force as it was. Only the DRMG imports the visits, as every region's table."""

from __future__ import annotations

import datetime
import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from web.audit.models import AuditEvent
from web.regions.models import Region
from web.tables import checks, services
from web.tables.errors import StalePreview, UploadRefused
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset, ImportJob, ImportMode, ImportStatus, TableAction, data_dir
from web.tables.store import read_dataset
from web.tables.tests.conftest import login
from web.tables.tests.test_imports import file_bytes, last_job, text_rows, with_cell

pytestmark = pytest.mark.django_db

VISITS = DatasetKind.VISITS


def add(client, table: pa.Table, name: str = "visites-2026-03.csv", kind: str = VISITS):
    """Upload ``table`` as rows to add to the table ``kind`` in force."""
    fmt = name.rsplit(".", 1)[1]
    data = {"kind": kind, "mode": "add", "file": SimpleUploadedFile(name, file_bytes(table, fmt))}
    return client.post(reverse("tables:imports"), data)


def month(text: pa.Table, count: int, first_id: int = 1, day: str = "2026-03") -> pa.Table:
    """``count`` new visits (ids ``VNEW000001``...) made from the first rows of ``text``,
    dated in the month ``day`` (yyyy-mm)."""
    rows = text.slice(0, count)
    ids = [f"VNEW{first_id + number:06d}" for number in range(count)]
    dates = [f"{day}-{1 + number % 28:02d}" for number in range(count)]
    rows = rows.set_column(0, "visit_id", pa.array(ids, pa.string()))
    index = rows.column_names.index("visit_date")
    return rows.set_column(index, "visit_date", pa.array(dates, pa.string()))


def other_setting(text: pa.Table, row: int) -> str:
    return "domicile" if text.column("setting")[row].as_py() != "domicile" else "cabinet"


def visit_ids(region: Region) -> list[str]:
    return sorted(read_dataset(Dataset.current(region, VISITS), ["visit_id"])[0].to_pylist())


def partial_files(region: Region) -> list:
    return sorted((data_dir() / region.code / "tables").rglob("*.partial"))


@pytest.fixture
def drmg(client) -> User:
    return login(client, "drmg")


@pytest.fixture
def in_force(region: Region) -> pa.Table:
    """The visits in force (version 1 of the tiny demo) as the text a CSV holds."""
    return text_rows(region, VISITS)


# --------------------------------------------------------------------------- adding


def test_it_adds_a_month_of_visits_to_the_year(client, region, drmg, in_force):
    before = visit_ids(region)
    new = month(in_force, 40)
    # Two visits in force sent again: one corrected (another setting), one identical.
    corrected = with_cell(in_force.slice(5, 1), 0, "setting", other_setting(in_force, 5))
    same = in_force.slice(9, 1)
    file = pa.concat_tables([new, corrected, same])

    response = add(client, file)
    job = last_job()
    assert response["Location"] == reverse("tables:import-detail", args=[job.pk])
    assert (job.mode, job.status) == (ImportMode.ADD, ImportStatus.READY), job.errors
    preview = job.preview
    assert (preview["added"], preview["changed"], preview["unchanged"]) == (40, 1, 1)
    assert (preview["removed"], preview["kept"]) == (0, len(before) - 2)
    assert preview["rows_after"] == len(before) + 40
    assert preview["period"] == [min(file.column("visit_date").to_pylist()), "2026-03-28"]

    client.post(reverse("tables:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.errors
    dataset = Dataset.current(region, VISITS)
    assert (dataset.version, dataset.rows) == (2, len(before) + 40)
    assert visit_ids(region) == sorted(before + new.column("visit_id").to_pylist())
    # The corrected visit replaced its row; every other row in force is kept as it was.
    version = read_dataset(dataset)
    fifth = version.filter(pc.equal(version.column("visit_id"), in_force["visit_id"][5]))
    assert fifth.column("setting").to_pylist() == [other_setting(in_force, 5)]
    assert dataset.changes["mode"] == "add"
    assert (dataset.changes["added"], dataset.changes["changed"], dataset.changes["kept"]) == (
        40,
        1,
        len(before) - 2,
    )
    event = AuditEvent.objects.filter(action=TableAction.IMPORT_APPLIED).latest("pk")
    assert (event.details["mode"], event.details["added"], event.details["kept"]) == (
        "add",
        40,
        len(before) - 2,
    )


def test_it_writes_the_new_version_in_the_contracts_types(client, region, drmg, in_force):
    add(client, month(in_force, 3))
    client.post(reverse("tables:import-apply", args=[last_job().pk]))
    version = read_dataset(Dataset.current(region, VISITS))
    assert (
        version.schema
        == read_dataset(Dataset.objects.get(region=region, kind=VISITS, version=1)).schema
    )
    assert version.column("visit_date").type == pa.date32()


def test_it_adds_two_months_one_after_the_other(client, region, drmg, in_force):
    rows = len(visit_ids(region))
    add(client, month(in_force, 10, day="2026-03"), "mars.csv")
    client.post(reverse("tables:import-apply", args=[last_job().pk]))
    add(client, month(in_force, 12, first_id=100, day="2026-04"), "avril.csv")
    job = last_job()
    assert job.preview["kept"] == rows + 10
    client.post(reverse("tables:import-apply", args=[job.pk]))
    assert Dataset.current(region, VISITS).version == 3
    assert Dataset.current(region, VISITS).rows == rows + 22


def test_it_says_a_file_of_visits_already_in_force_changes_nothing(client, region, drmg, in_force):
    add(client, in_force.slice(0, 20))
    job = last_job()
    assert job.status == ImportStatus.UNCHANGED
    assert Dataset.current(region, VISITS).version == 1
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert "Every row of the file is already in force, identical" in page


def test_it_still_replaces_the_year_when_asked(client, region, drmg, in_force):
    # Replace mode (the default): the file is the whole table; the rest is removed.
    data = {
        "kind": VISITS,
        "mode": "replace",
        "file": SimpleUploadedFile("annee.csv", file_bytes(month(in_force, 5), "csv")),
    }
    client.post(reverse("tables:imports"), data)
    job = last_job()
    assert (job.mode, job.preview["added"], job.preview["removed"]) == (
        ImportMode.REPLACE,
        5,
        in_force.num_rows,
    )


# --------------------------------------------------------------------------- all or nothing


def test_it_refuses_a_month_with_a_wrong_cell_naming_file_row_and_column(
    client, region, drmg, in_force
):
    bad = with_cell(month(in_force, 30), 11, "er_triage", "P9")
    add(client, bad, "visites-mars.csv")
    job = last_job()
    assert job.status == ImportStatus.REFUSED
    problem = job.errors[0]
    assert (problem["file"], problem["row"], problem["column"]) == (
        "visites-mars.csv",
        12,
        "er_triage",
    )
    assert "got 'P9'" in problem["message"]
    assert Dataset.current(region, VISITS).version == 1
    assert not services.checked_path(job).exists()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert "Le fichier a été refusé" in page
    assert 'data-row="12" data-column="er_triage"' in page
    assert "« P9 »" in page


def test_it_refuses_a_month_holding_a_visit_twice(client, region, drmg, in_force):
    rows = month(in_force, 8)
    add(client, pa.concat_tables([rows, rows.slice(2, 1)]))
    job = last_job()
    assert job.status == ImportStatus.REFUSED
    assert (job.errors[0]["row"], job.errors[0]["column"]) == (9, "visit_id")
    assert Dataset.current(region, VISITS).version == 1


def test_it_reads_a_french_spreadsheets_csv(client, region, drmg, in_force):
    rows = month(in_force, 6)
    header = ";".join(rows.column_names)
    lines = [header]
    for row in rows.to_pylist():
        lines.append(";".join("" if value is None else str(value) for value in row.values()))
    content = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    data = {
        "kind": VISITS,
        "mode": "add",
        "file": SimpleUploadedFile("visites-été.csv", content),
    }
    client.post(reverse("tables:imports"), data)
    job = last_job()
    assert job.status == ImportStatus.READY, job.errors
    assert job.preview["added"] == 6
    assert job.preview["reading"]["delimiter"] == ";"
    client.post(reverse("tables:import-apply", args=[job.pk]))
    assert Dataset.current(region, VISITS).rows == in_force.num_rows + 6


def test_it_leaves_the_version_in_force_when_writing_fails_midway(
    client, region, drmg, in_force, monkeypatch
):
    add(client, month(in_force, 25))
    job = last_job()
    before = Dataset.current(region, VISITS)
    events = AuditEvent.objects.filter(action=TableAction.IMPORT_APPLIED).count()
    files = sorted((data_dir() / region.code / "tables" / VISITS).iterdir())

    monkeypatch.setattr(services, "_added_rows", _crashing(services._added_rows))
    # The task fails (the immediate backend records the error, as a worker would).
    client.post(reverse("tables:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "nothing was written" in job.errors[0]["message"]
    assert Dataset.current(region, VISITS) == before
    assert Dataset.objects.filter(region=region, kind=VISITS).count() == 1
    assert sorted((data_dir() / region.code / "tables" / VISITS).iterdir()) == files
    assert partial_files(region) == []
    assert AuditEvent.objects.filter(action=TableAction.IMPORT_APPLIED).count() == events


def _crashing(real):
    """``real`` (services._added_rows) failing after its first batch was written."""

    def crashing(current, rows, key):
        batches = real(current, rows, key)
        yield next(batches)
        raise OSError("the storage went away")

    return crashing


def test_it_refuses_a_month_checked_before_another_was_added(region, in_force, tmp_path):
    drmg = User.objects.get(username="drmg")
    first, second = tmp_path / "mars.csv", tmp_path / "avril.csv"
    first.write_bytes(file_bytes(month(in_force, 4, day="2026-03"), "csv"))
    second.write_bytes(file_bytes(month(in_force, 4, first_id=50, day="2026-04"), "csv"))
    checked_first = checks.check_file(region, VISITS, [], first, mode="add")
    checked_second = checks.check_file(region, VISITS, [], second, mode="add")
    for checked in (checked_first, checked_second):
        assert not checked.refused
    services.do_add_rows(
        region,
        VISITS,
        checked_first.table,
        base=checked_first.base,
        changes={**checked_first.changes.as_dict(), "kept": checked_first.kept},
        source_name="mars.csv",
        acting_user=drmg,
    )
    with pytest.raises(StalePreview):
        services.do_add_rows(
            region,
            VISITS,
            checked_second.table,
            base=checked_second.base,
            changes={**checked_second.changes.as_dict(), "kept": checked_second.kept},
            source_name="avril.csv",
            acting_user=drmg,
        )
    assert Dataset.current(region, VISITS).version == 2


# --------------------------------------------------------------------------- who may add


def test_it_refuses_to_add_to_a_table_that_is_only_replaced(client, region, drmg):
    response = add(client, text_rows(region, "gmf_sites"), "sites.csv", kind="gmf_sites")
    assert response.status_code == 200
    assert response.context["form"].has_error("mode")
    assert not ImportJob.objects.exists()
    upload = SimpleUploadedFile("sites.csv", b"x\n")
    with pytest.raises(UploadRefused, match="only the visits can be added"):
        services.do_stage_upload(
            "gmf_sites", upload, region=region, scope=[], acting_user=drmg, mode="add"
        )


def test_it_lets_only_the_drmg_add_visits(client, region, in_force):
    login(client, "cml.rimouski")
    response = add(client, month(in_force, 3))
    assert response.status_code == 200
    # The CML's form offers no visits (and no mode: none of their tables is added to).
    assert response.context["form"].has_error("kind", code="invalid_choice")
    assert "mode" not in response.context["form"].fields
    assert not ImportJob.objects.exists()


def test_it_refuses_to_add_visits_for_an_rls_in_the_service_too(region, own_rls):
    cml = User.objects.get(username="cml.rimouski")
    upload = SimpleUploadedFile("visites.csv", b"x\n")
    with pytest.raises(UploadRefused, match=r"Only the DRMG imports this table\."):
        services.do_stage_upload(
            VISITS, upload, region=region, scope=[own_rls.code], acting_user=cml, mode="add"
        )


@pytest.mark.parametrize("username", ["medecin", "gestion.gmf", "ciusss", "coach"])
def test_it_refuses_adding_visits_to_roles_that_do_not_import(client, region, in_force, username):
    login(client, "drmg")
    add(client, month(in_force, 3))
    job = last_job()
    assert job.status == ImportStatus.READY
    login(client, username)
    assert add(client, month(in_force, 3, first_id=10)).status_code == 403
    assert client.get(reverse("tables:import-detail", args=[job.pk])).status_code == 403
    assert client.post(reverse("tables:import-apply", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.READY
    assert ImportJob.objects.count() == 1
    assert Dataset.current(region, VISITS).version == 1


# --------------------------------------------------------------------------- the pages


def test_it_offers_the_drmg_to_add_visits(client, region, drmg):
    page = client.get(reverse("tables:imports")).content.decode()
    assert 'data-testid="import-modes"' in page
    assert 'value="add"' in page and 'value="replace"' in page


def test_it_says_the_preview_in_french_without_code_words(client, region, drmg, in_force):
    corrected = with_cell(in_force.slice(5, 1), 0, "setting", other_setting(in_force, 5))
    add(client, pa.concat_tables([month(in_force, 40), corrected]))
    job = last_job()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    text = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[-1])
    kept = f"{job.preview['kept']:,}".replace(",", "\u00a0")
    assert "Ajoute ses lignes à celles en vigueur" in text
    assert "sont ajoutées aux lignes en vigueur" in text
    assert f"Les {kept} lignes en vigueur que le fichier ne contient pas sont conservées" in text
    assert "Nouvelles" in text and "Remplaçant une ligne en vigueur" in text
    assert 'data-testid="preview-replaced">1<' in page
    for code in (" add ", " replace ", "unchanged", "removed", "rows_after", "None"):
        assert code not in text, code
    imports = client.get(reverse("tables:imports")).content.decode()
    assert "ajoute aux visites en vigueur" in imports


def test_it_imports_a_month_with_the_command(region, in_force, tmp_path, capsys):
    path = tmp_path / "mars.csv"
    path.write_bytes(file_bytes(month(in_force, 7), "csv"))
    call_command("import_table", str(path), region=region.code, kind=VISITS, add=True, apply=True)
    out = capsys.readouterr().out
    assert "7 added, 0 replaced, 0 identical" in out
    assert Dataset.current(region, VISITS).rows == in_force.num_rows + 7
    assert Dataset.current(region, VISITS).changes["mode"] == "add"


def test_it_says_the_period_a_month_covers(region, in_force, tmp_path):
    path = tmp_path / "mars.csv"
    path.write_bytes(file_bytes(month(in_force, 30), "csv"))
    checked = checks.check_file(region, VISITS, [], path, mode="add")
    assert checked.period == ("2026-03-01", "2026-03-28")
    assert datetime.date.fromisoformat(checked.period[0]).month == 3
