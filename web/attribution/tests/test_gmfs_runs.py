"""The runs and the GMFs (issue 19): a run's ``gmf_targets`` parameter holds the targets in
force of its territory's GMFs, the roster the engine reads each physician's GMF on the
run date (the first by code for a physician in two), the run page shows each GMF's
target against what its members received, and the GMF page its members' progress."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from panelcare.attribution import store
from panelcare.attribution.params import params_from_mapping
from web.attribution import gmfs, services
from web.attribution.models import Run, RunStatus
from web.attribution.services_gmfs import do_decide_gmf_target, do_propose_gmf_target
from web.attribution.tests.conftest import RUN_DATE
from web.regions.models import Gmf, Region, Rls
from web.regions.testing import write_version
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

D = datetime.date


def memberships(*rows: tuple[str, str, D, D | None]) -> pa.Table:
    return pa.table(
        {
            "physician_id": [row[0] for row in rows],
            "gmf_id": [row[1] for row in rows],
            "start_date": pa.array([row[2] for row in rows], pa.date32()),
            "end_date": pa.array([row[3] for row in rows], pa.date32()),
        }
    )


def test_it_gives_each_physician_their_gmf_on_the_day() -> None:
    table = memberships(
        ("D1", "G2", D(2020, 1, 1), None),
        ("D1", "G1", D(2026, 1, 1), None),  # two GMFs that day: the first by code
        ("D2", "G3", D(2020, 1, 1), D(2026, 11, 23)),  # ended on the day (half-open)
        ("D3", "G3", D(2026, 11, 24), None),  # not started yet
        ("D4", "G3", D(2026, 11, 23), D(2026, 11, 24)),  # in force that day only
    )
    assert gmfs.physician_gmfs(table, D(2026, 11, 23)) == {"D1": "G1", "D4": "G3"}


def test_it_sets_the_gmf_column_of_a_roster() -> None:
    roster = pa.table({"physician_id": ["D1", "D2"], "name": ["A", "B"]})
    with_ids = gmfs.with_gmf_ids(roster, {"D2": "G1"})
    assert with_ids.column("gmf_id").to_pylist() == ["", "G1"]
    # A roster that has the column already: replaced, not doubled.
    again = gmfs.with_gmf_ids(with_ids, {"D1": "G9"})
    assert again.column_names == ["physician_id", "name", "gmf_id"]
    assert again.column("gmf_id").to_pylist() == ["G9", ""]


@pytest.fixture
def agreed(demo_user: Callable[[str], User]) -> dict[str, int]:
    """Targets agreed for both demo GMFs: G0001 (Rimouski-Neigette) 40, G0002 (the other
    RLS) 25."""
    region = Region.objects.get()
    values = {"G0001": 40, "G0002": 25}
    cml_of = {"G0001": "cml.rimouski", "G0002": "cml.kamouraska"}
    for code, value in values.items():
        gmf = Gmf.objects.get(code=code)
        target = do_propose_gmf_target(gmf, value, "x", acting_user=demo_user("gestion.gmf"))
        do_decide_gmf_target(target, "agree", acting_user=demo_user(cml_of[code]))
    assert gmfs.targets_in_force(region) == values
    return values


def test_it_reads_the_targets_in_force_of_the_runs_territory(
    agreed: dict[str, int], make_run: Callable[..., Run], rimouski: Rls, cml: User
) -> None:
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    assert run.params["gmf_targets"] == {"G0001": 40}
    region_run = make_run(status=RunStatus.DONE, run_date=RUN_DATE)
    assert region_run.params["gmf_targets"] == agreed


def test_it_puts_the_targets_in_force_over_typed_ones(
    agreed: dict[str, int], rimouski: Rls, cml: User
) -> None:
    run = services.do_start_run(
        rimouski, {"gmf_targets": {"G0001": 9999}}, RUN_DATE, acting_user=cml
    )
    assert run.params["gmf_targets"] == {"G0001": 40}


def test_it_runs_without_a_gmf_target(make_run: Callable[..., Run], rimouski: Rls) -> None:
    run = make_run(rls=rimouski, status=RunStatus.DONE, run_date=RUN_DATE)
    assert run.params["gmf_targets"] == {}


def test_it_passes_each_physicians_gmf_to_the_engine(
    agreed: dict[str, int],
    make_run: Callable[..., Run],
    rimouski: Rls,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = make_run(rls=rimouski, status=RunStatus.DONE, run_date=RUN_DATE)
    read: dict[str, pa.Table] = {}
    original = services.io.inputs_from_arrow

    def spy(roster: pa.Table, waitlist: pa.Table) -> Any:
        read["roster"] = roster
        return original(roster, waitlist)

    monkeypatch.setattr(services.io, "inputs_from_arrow", spy)
    services._engine_inputs(run, params_from_mapping(run.params))
    expected = gmfs.physician_gmfs(
        read_dataset(Dataset.current(run.region, DatasetKind.GMF_MEMBERSHIPS)), RUN_DATE
    )
    roster = read["roster"]
    ids = dict(
        zip(
            roster.column("physician_id").to_pylist(),
            roster.column("gmf_id").to_pylist(),
            strict=True,
        )
    )
    assert {code for code, gmf in ids.items() if gmf == "G0001"}
    assert ids == {code: expected.get(code, "") for code in ids}


def test_it_gives_the_engine_the_physicians_gmf(
    agreed: dict[str, int], make_run: Callable[..., Run], rimouski: Rls
) -> None:
    """Waits for the engine's ``gmf_id`` column (issue 19, the engine's part)."""
    run = make_run(rls=rimouski, status=RunStatus.DONE, run_date=RUN_DATE)
    physicians, _orphans = services._engine_inputs(run, params_from_mapping(run.params))
    members = gmfs.run_gmf_of(run)
    assert list(physicians.gmf_id) == [members.get(code, "") for code in physicians.physician_id]
    assert "G0001" in set(physicians.gmf_id)


def test_it_reads_the_memberships_in_force_when_the_run_started(
    make_run: Callable[..., Run], rimouski: Rls
) -> None:
    run = make_run(rls=rimouski, status=RunStatus.DONE, run_date=RUN_DATE)
    before = gmfs.run_gmf_of(run)
    assert before
    # A later import of the memberships (everybody leaves the GMFs) does not change it.
    region = run.region
    table = read_dataset(Dataset.current(region, DatasetKind.GMF_MEMBERSHIPS))
    ended = table.set_column(
        table.schema.get_field_index("end_date"),
        "end_date",
        pa.array([D(2000, 1, 2)] * table.num_rows, pa.date32()),
    ).set_column(
        table.schema.get_field_index("start_date"),
        "start_date",
        pa.array([D(2000, 1, 1)] * table.num_rows, pa.date32()),
    )
    write_version(region, DatasetKind.GMF_MEMBERSHIPS, ended)
    assert gmfs.run_gmf_of(run) == before
    later = make_run(rls=rimouski, status=RunStatus.DONE, run_date=RUN_DATE)
    assert gmfs.run_gmf_of(later) == {}


def assigned_in_plan(run: Run) -> dict[str, int]:
    table = pacsv.read_csv(
        run.folder / "plan" / "physicians.csv",
        convert_options=pacsv.ConvertOptions(column_types={"physician_id": pa.string()}),
    )
    return dict(
        zip(
            table.column("physician_id").to_pylist(),
            table.column("assigned").to_pylist(),
            strict=True,
        )
    )


def g0001_members(run: Run, assigned: dict[str, int]) -> list[str]:
    """The members of G0001 in ``run``'s plan (``assigned``: :func:`assigned_in_plan`)."""
    return sorted(
        code for code, gmf in gmfs.run_gmf_of(run).items() if gmf == "G0001" and code in assigned
    )


def test_it_shows_each_gmf_on_the_run_page(
    agreed: dict[str, int],
    make_run: Callable[..., Run],
    rimouski: Rls,
    cml: User,
    cml_client: Client,
) -> None:
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    assigned = assigned_in_plan(run)
    members = g0001_members(run, assigned)
    received = sum(assigned[code] for code in members)
    page = cml_client.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert 'data-testid="run-gmfs"' in page
    assert (
        f'data-testid="run-gmf-G0001" data-target="40" data-received="{received}" '
        f'data-received-weighted="{received}.00" data-members="{len(members)}"'
    ) in page
    # The other RLS's GMF: neither a target read by this run nor members in its roster.
    assert 'data-testid="run-gmf-G0002"' not in page


def test_it_shows_a_gmf_without_target_on_the_run_page(
    make_run: Callable[..., Run], rimouski: Rls, cml: User, cml_client: Client
) -> None:
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    page = cml_client.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert 'data-testid="run-gmf-G0001" data-target=""' in page


def test_it_shows_the_members_progress_once_a_plan_is_approved(
    gmf_manager_client: Client, approved_run: Run
) -> None:
    gmf = Gmf.objects.get(code="G0001")
    progress = gmfs.members_progress(gmf, gmfs.members_on(gmf, approved_run.run_date))
    assert [item.run for item in progress] == [approved_run]
    item = progress[0]
    page = gmf_manager_client.get(
        reverse("attribution:gmf-detail", args=["G0001"])
    ).content.decode()
    assert (
        f'data-testid="progress-{approved_run.pk}-total" data-registered="{item.registered}" '
        f'data-expected="{item.expected_to_date}"'
    ) in page
    members = set(gmfs.members_on(gmf, approved_run.run_date))
    assert {row.code for row in item.physicians} <= members
    for row in item.physicians:
        assert f'data-testid="progress-{approved_run.pk}-{row.code}"' in page


def test_it_shows_no_progress_before_an_approved_plan(
    gmf_manager_client: Client, done_run: Run
) -> None:
    page = gmf_manager_client.get(
        reverse("attribution:gmf-detail", args=["G0001"])
    ).content.decode()
    assert 'data-testid="no-progress"' in page


def test_it_gives_a_gmfs_members_at_most_its_target(
    make_run: Callable[..., Run], rimouski: Rls, cml: User, demo_user: Callable[[str], User]
) -> None:
    free = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    (row,) = [row for row in gmfs.run_gmf_rows(free) if row.code == "G0001"]
    assert row.received >= 2, "the demo's GMF receives patients without a target"
    target = do_propose_gmf_target(
        Gmf.objects.get(code="G0001"), 0, "x", acting_user=demo_user("gestion.gmf")
    )
    do_decide_gmf_target(target, "change", value=row.received // 2, comment="Half", acting_user=cml)
    capped = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    (row_capped,) = [row for row in gmfs.run_gmf_rows(capped) if row.code == "G0001"]
    assert row_capped.target == row.received // 2
    assert row_capped.received_weighted <= row_capped.target
    assert not row_capped.above


def test_it_warns_when_a_move_puts_the_gmf_above_its_target(
    agreed: dict[str, int],
    make_run: Callable[..., Run],
    rimouski: Rls,
    cml: User,
    cml_client: Client,
) -> None:
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    assigned = assigned_in_plan(run)
    members = [code for code in g0001_members(run, assigned) if assigned[code]]
    # The target binds: the members together received exactly 40.
    assert sum(assigned[code] for code in members) == agreed["G0001"]
    placed = store.read_plan_patients(run.folder / "plan").to_pylist()
    outside = next(row for row in placed if row["physician_id"] not in members)
    consequences = services.do_move_patient(run, outside["patient_id"], members[0], acting_user=cml)
    warnings = [w for w in consequences["warnings"] if w["code"] == "gmf_target"]
    assert warnings == [{"code": "gmf_target", "gmf_id": "G0001", "value": 41, "limit": 40}]
    page = cml_client.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert '<li data-code="gmf_target">' in page
    assert "G0001: members above the GMF target (41 / 40)" in page


def test_it_does_not_warn_of_a_move_inside_the_gmf(
    agreed: dict[str, int], make_run: Callable[..., Run], rimouski: Rls, cml: User
) -> None:
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    table = pacsv.read_csv(
        run.folder / "plan" / "physicians.csv",
        convert_options=pacsv.ConvertOptions(column_types={"physician_id": pa.string()}),
    ).to_pylist()
    members = [row for row in table if row["gmf_id"] == "G0001" and row["capacity"] > 0]
    giving = next(row for row in members if row["assigned"] > 0)
    taking = next(row for row in members if row is not giving)
    mine = store.read_plan_patients(run.folder / "plan", physician_id=giving["physician_id"])
    consequences = services.do_move_patient(
        run, mine.column("patient_id")[0].as_py(), taking["physician_id"], acting_user=cml
    )
    assert consequences["patients_changed"] == 1
    assert not [w for w in consequences["warnings"] if w["code"] == "gmf_target"]
