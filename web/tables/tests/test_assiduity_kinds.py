"""The assiduity's input tables as kinds: visits, GMF sites, GMF memberships, practice
groups, IPS-SPL partnerships and service agreements, each imported end to end by the DRMG
(the region's tables), refused with the row and column of the problem, projected into the
database by the import and by the demo loader; the GMF manager's physicians follow an
import of the memberships."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse

from panelcare.assiduity.contract import SCHEMAS
from web.accounts.access import visible_physicians
from web.accounts.models import Profile, Role
from web.audit.models import AuditEvent
from web.regions.models import (
    GmfMembership,
    IpsPartnership,
    PracticeGroup,
    PracticeGroupMembership,
    Region,
    ServiceAgreement,
    Site,
)
from web.tables import kinds, services
from web.tables.errors import UploadRefused
from web.tables.models import Dataset, ImportJob, ImportStatus, TableAction
from web.tables.store import read_dataset
from web.tables.tests.conftest import login
from web.tables.tests.test_imports import last_job, text_rows, upload, with_cell

pytestmark = pytest.mark.django_db

ASSIDUITY_KINDS = [
    "visits",
    "gmf_sites",
    "gmf_memberships",
    "practice_groups",
    "ips_partnerships",
    "service_agreements",
]

# The kinds whose rows pages or access read in SQL: their projection's model.
PROJECTED: dict[str, type[models.Model]] = {
    "gmf_memberships": GmfMembership,
    "practice_groups": PracticeGroupMembership,
    "ips_partnerships": IpsPartnership,
    "service_agreements": ServiceAgreement,
}

_ARROW = {"string": pa.string(), "date": pa.date32(), "boolean": pa.bool_()}


def added(table: pa.Table, *rows: dict[str, str | None]) -> pa.Table:
    """``table`` (text cells) with ``rows`` after its rows."""
    more = pa.table(
        {
            name: pa.array([row.get(name) for row in rows], pa.string())
            for name in table.column_names
        }
    )
    return pa.concat_tables([table, more])


def period(**cells: str | None) -> dict[str, str | None]:
    return {"end_date": None, **cells}


# What each good file changes in the tiny demo's version 1, and the preview's counts.
GOOD: dict[str, tuple[Callable[[pa.Table], pa.Table], dict[str, int]]] = {
    "visits": (lambda t: t.slice(0, t.num_rows - 1), {"removed": 1}),
    "gmf_sites": (
        lambda t: with_cell(t, 1, "kind", "gmf_u"),  # S00004's GMF is now a GMF-U
        {"changed": 1},
    ),
    "gmf_memberships": (
        lambda t: added(t, period(physician_id="D00006", gmf_id="G0002", start_date="2025-01-01")),
        {"added": 1},
    ),
    "practice_groups": (
        lambda t: added(
            t,
            period(physician_id="D00006", group_id="PG0901", start_date="2024-01-01"),
            period(physician_id="D00007", group_id="PG0901", start_date="2024-01-01"),
        ),
        {"added": 2},
    ),
    "ips_partnerships": (lambda t: t.slice(1), {"removed": 1}),
    "service_agreements": (
        lambda t: added(t, period(gmf_id="G0001", partner_gmf_id="G0002", start_date="2025-01-01")),
        {"added": 1},
    ),
}

# One wrong cell per kind: (how, row, column, words of the message).
BAD: dict[str, tuple[Callable[[pa.Table], pa.Table], int, str, str]] = {
    "visits": (
        lambda t: with_cell(t, 2, "setting", "hopital"),
        3,
        "setting",
        "expected one of cabinet, domicile",
    ),
    "gmf_sites": (
        lambda t: with_cell(t, 1, "kind", "cabinet"),
        2,
        "kind",
        "expected one of gmf, gmf_r or gmf_u, got 'cabinet'",
    ),
    "gmf_memberships": (
        # D00001 is a member of G0001 from 2026-04-02, ongoing: not of G0002 as well.
        lambda t: added(t, period(physician_id="D00001", gmf_id="G0002", start_date="2026-06-01")),
        9,
        "start_date",
        "the membership of physician D00001 in G0002 (from 2026-06-01, ongoing) overlaps "
        "the one in G0001 on row 1",
    ),
    "practice_groups": (
        lambda t: added(
            t,
            period(
                physician_id="D00006",
                group_id="PG0901",
                start_date="2024-01-01",
                end_date="2023-12-31",
            ),
        ),
        1,
        "end_date",
        "expected an end_date on or after the start_date",
    ),
    "ips_partnerships": (
        lambda t: with_cell(t, 3, "start_date", "2025-02-30"),
        4,
        "start_date",
        "expected a date yyyy-mm-dd, got '2025-02-30'",
    ),
    "service_agreements": (
        lambda t: added(t, period(gmf_id="G0001", partner_gmf_id="", start_date="2025-01-01")),
        1,
        "partner_gmf_id",
        "empty cell",
    ),
}


def projection_rows(region: Region, kind: str) -> list[tuple]:
    """The projection of ``kind`` as the version's key cells, sorted."""
    model = PROJECTED[kind]
    keys = kinds.get_kind(kind).keys
    fields = [key.replace("_id", "_code") if key != "start_date" else key for key in keys]
    rows = model.objects.filter(region=region).values_list(*fields)
    return sorted((*row[:-1], row[-1].isoformat()) for row in rows)


def version_rows(region: Region, kind: str) -> list[tuple]:
    table = read_dataset(Dataset.current(region, kind))
    keys = kinds.get_kind(kind).keys
    return sorted(
        (*(row[key] for key in keys[:-1]), row[keys[-1]].isoformat())
        for row in table.select(list(keys)).to_pylist()
    )


def test_it_declares_the_assiduity_tables_with_the_engines_columns_and_types():
    for name in ASSIDUITY_KINDS:
        kind = kinds.get_kind(name)
        expected = pa.schema([(column, _ARROW[t]) for column, t in SCHEMAS[name].items()])
        assert kind.schema == expected, name
        # The region's tables: no RLS of their own, only the DRMG imports them.
        assert kind.scope_column is None and kind.scope_through is None, name
    assert kinds.VISITS.project is None


@pytest.mark.parametrize("kind", ASSIDUITY_KINDS)
def test_it_imports_each_assiduity_table_end_to_end(client, region, kind):
    login(client, "drmg")
    change, counts = GOOD[kind]
    rows = change(text_rows(region, kind))
    upload(client, kind, rows, f"{kind}.csv")
    job = last_job()
    assert job.status == ImportStatus.READY, job.errors
    preview = {key: job.preview[key] for key in ("added", "removed", "changed")}
    assert preview == {"added": 0, "removed": 0, "changed": 0, **counts}
    client.post(reverse("tables:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED
    dataset = Dataset.current(region, kind)
    assert (dataset.version, dataset.rows) == (2, rows.num_rows)
    event = AuditEvent.objects.filter(action=TableAction.IMPORT_APPLIED).latest("pk")
    assert (event.details["kind"], event.details["version"]) == (kind, 2)
    if kind in PROJECTED:
        # The projection is the new version, row for row.
        assert event.details["projected"]["rows"] == rows.num_rows
        assert projection_rows(region, kind) == version_rows(region, kind)


@pytest.mark.parametrize("kind", ASSIDUITY_KINDS)
def test_it_refuses_a_wrong_file_naming_row_and_column_in_french(client, region, kind):
    login(client, "drmg")
    change, row, column, words = BAD[kind]
    table = text_rows(region, kind)
    if kind in ("practice_groups", "service_agreements"):
        table = table.slice(0, 0)  # empty in the tiny demo: the wrong row is the first
    upload(client, kind, change(table), f"{kind}.csv")
    job = last_job()
    assert job.status == ImportStatus.REFUSED
    first = job.errors[0]
    assert (first["row"], first["column"]) == (row, column)
    assert words in first["message"]
    assert Dataset.current(region, kind).version == 1
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("tables:import-detail", args=[job.pk])).content.decode()
    assert "Le fichier a été refusé" in page
    assert '<th class="num">Ligne</th><th>Colonne</th>' in page
    assert f'data-row="{row}" data-column="{column}"' in page


def offered_kinds(client) -> list[str]:
    """The kinds the import form's select offers, as the page renders them."""
    page = client.get(reverse("tables:imports")).content.decode()
    select = page.split('data-testid="import-kind"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]+)"', select)


def test_it_offers_the_drmg_every_kind_to_import(client, region):
    login(client, "drmg")
    offered = offered_kinds(client)
    # Every kind but those imported on the co-management's pages (the GMFs' statistics).
    assert offered == [kind.name for kind in kinds.all_kinds() if kind.imported_on == "tables"]
    assert "gmf_statistics" not in offered
    assert set(ASSIDUITY_KINDS) <= set(offered)


def test_it_offers_a_cml_only_the_kinds_an_rls_holds(client, region):
    login(client, "cml.rimouski")
    offered = offered_kinds(client)
    assert offered == ["physicians", "waitlist", "registrations"]
    assert not set(offered) & set(ASSIDUITY_KINDS)


@pytest.mark.parametrize("kind", ASSIDUITY_KINDS)
def test_it_lets_only_the_drmg_import_the_regions_tables(client, region, kind):
    login(client, "cml.rimouski")
    response = upload(client, kind, text_rows(region, kind), f"{kind}.csv")
    assert response.status_code == 200
    assert response.context["form"].has_error("kind", code="invalid_choice")
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("kind", ASSIDUITY_KINDS)
def test_it_refuses_a_regions_table_to_an_rls_scope_in_the_service_too(region, own_rls, kind):
    # The form offers a CML no such kind; the service refuses it anyway (a defence).
    cml = User.objects.get(username="cml.rimouski")
    upload = SimpleUploadedFile(f"{kind}.csv", b"x\n")
    with pytest.raises(UploadRefused, match=r"Only the DRMG imports this table\."):
        services.do_stage_upload(kind, upload, region=region, scope=[own_rls.code], acting_user=cml)
    assert not ImportJob.objects.exists()


def test_it_refuses_overlapping_registrations_as_the_assiduity_engine_does(client, region):
    login(client, "drmg")
    rows = text_rows(region, "registrations")
    first = rows.slice(0, 1).to_pylist()[0]
    twice = added(rows, {**first, "physician_id": "D00009"})  # same patient, same days
    upload(client, "registrations", twice, "inscriptions.csv")
    job = last_job()
    assert job.status == ImportStatus.REFUSED
    problem = job.errors[0]
    assert (problem["row"], problem["column"]) == (rows.num_rows + 1, "start_date")
    assert f"the registration of patient {first['patient_id']}" in problem["message"]
    assert "overlaps the one on row 1" in problem["message"]


def test_it_projects_the_demos_first_versions(region):
    for kind in PROJECTED:
        dataset = Dataset.current(region, kind)
        assert dataset.version == 1
        assert PROJECTED[kind].objects.filter(region=region).count() == dataset.rows, kind
        assert projection_rows(region, kind) == version_rows(region, kind), kind
    # Every link of the demo's rows is known.
    assert not GmfMembership.objects.filter(models.Q(physician=None) | models.Q(gmf=None)).exists()
    assert not IpsPartnership.objects.filter(models.Q(physician=None) | models.Q(ips=None)).exists()
    # The GMF of each site is the GMF sites version's.
    gmf_sites = read_dataset(Dataset.current(region, "gmf_sites")).to_pylist()
    linked = Site.objects.filter(gmf__isnull=False).values_list("code", "gmf__code", "kind")
    assert sorted(linked) == sorted((r["site_id"], r["gmf_id"], r["kind"]) for r in gmf_sites)
    visits = Dataset.current(region, "visits")
    assert visits.version == 1 and visits.rows > 1000


def test_it_moves_a_physician_of_the_gmf_managers_list_with_a_memberships_import(client, region):
    manager = Profile.objects.get(user__username="gestion.gmf")
    own, other = manager.gmf.code, "G0002"
    assert own != other
    members = read_dataset(Dataset.current(region, "gmf_memberships"))
    ours = members.filter(pc.equal(members.column("gmf_id"), own))
    moving = ours.column("physician_id")[0].as_py()
    before = set(visible_physicians(manager.user).values_list("code", flat=True))
    assert moving in before
    other_manager = Profile.objects.create(
        user=type(manager.user).objects.create(username="gestion.g0002"),
        role=Role.GMF_MANAGER,
        region=region,
        gmf=manager.gmf.__class__.objects.get(code=other),
    )
    assert moving not in set(visible_physicians(other_manager.user).values_list("code", flat=True))

    login(client, "drmg")
    rows = text_rows(region, "gmf_memberships")
    index = rows.column("physician_id").to_pylist().index(moving)
    upload(client, "gmf_memberships", with_cell(rows, index, "gmf_id", other), "gmf.csv")
    job = last_job()
    assert job.status == ImportStatus.READY, job.errors
    client.post(reverse("tables:import-apply", args=[job.pk]))

    after = set(visible_physicians(manager.user).values_list("code", flat=True))
    assert after == before - {moving}
    assert moving in set(visible_physicians(other_manager.user).values_list("code", flat=True))


def test_it_creates_the_practice_groups_an_import_names(client, region):
    login(client, "drmg")
    change, _ = GOOD["practice_groups"]
    upload(client, "practice_groups", change(text_rows(region, "practice_groups")), "pg.csv")
    client.post(reverse("tables:import-apply", args=[last_job().pk]))
    group = PracticeGroup.objects.get(code="PG0901")
    members = PracticeGroupMembership.objects.filter(group=group)
    assert sorted(members.values_list("physician__code", flat=True)) == ["D00006", "D00007"]
