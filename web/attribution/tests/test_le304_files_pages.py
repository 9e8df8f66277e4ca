"""The LE 304 files' pages (issue 19, the guichet's administrative agent): who opens them,
what a run's page shows of its transfers and their conditions, the demo's agent account.

The transfers are made in an approved run's plan folder (:func:`make_blocks`): the plan
the demo computes may or may not hold a block, and a test needs blocks of a chosen size
and a receiving physician of a chosen rate. The folder's files are written in the format
the engine writes (assignments.csv, inputs/orphans.parquet, inputs/physicians.parquet).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from panelcare.attribution import store
from web.accounts import access
from web.accounts.models import Role
from web.attribution import le304_files
from web.attribution.models import Le304File, Run
from web.attribution.services_le304_files import do_prepare_le304_file
from web.regions.demo import DEMO_USERNAMES
from web.regions.models import Region
from web.regions.testing import make_user

pytestmark = pytest.mark.django_db

DEPARTURE = datetime.date(2026, 12, 31)


@dataclass(frozen=True)
class Block:
    """A block made in a plan: its physicians and its patients' codes."""

    departing: str
    receiving: str
    patients: tuple[str, ...]


def make_blocks(run: Run, *sizes_and_rates: tuple[int, float | None]) -> list[Block]:
    """Rewrite ``run``'s plan so that its only LE 304 transfers are one block per
    ``(size, receiving rate)``: each from a physician given a departure date to another
    given that previous-year rate, of the run's next waiting patients."""
    plan = run.folder / "plan"
    roster = pq.read_table(plan / "inputs" / "physicians.parquet")
    orphans = pq.read_table(plan / "inputs" / "orphans.parquet")
    assignments = pacsv.read_csv(plan / "assignments.csv")
    codes = roster.column("physician_id").to_pylist()
    departing_on = roster.column("departing_on").to_pylist()
    rates = roster.column("previous_assiduity").to_pylist()
    previous = [None] * orphans.num_rows
    physician = assignments.column("physician_id").to_pylist()
    flags = [False] * assignments.num_rows
    # The orphans keep the order of both files (the engine writes them row for row).
    assert orphans.column("patient_id").to_pylist() == assignments.column("patient_id").to_pylist()
    blocks, next_row = [], 0
    for index, (size, rate) in enumerate(sizes_and_rates):
        leaving, taking = 2 * index, 2 * index + 1
        departing_on[leaving] = DEPARTURE
        rates[taking] = rate
        rows = range(next_row, next_row + size)
        assert next_row + size <= orphans.num_rows, "the demo run has too few orphans"
        for row in rows:
            previous[row] = codes[leaving]
            physician[row] = codes[taking]
            flags[row] = True
        next_row += size
        patients = tuple(orphans.column("patient_id").to_pylist()[row] for row in rows)
        blocks.append(Block(codes[leaving], codes[taking], patients))

    def replaced(table: pa.Table, name: str, values: list) -> pa.Table:
        index = table.schema.get_field_index(name)
        field = table.schema.field(index)
        return table.set_column(index, field, pa.array(values, type=field.type))

    roster = replaced(roster, "departing_on", departing_on)
    roster = replaced(roster, "previous_assiduity", rates)
    pq.write_table(roster, plan / "inputs" / "physicians.parquet")
    pq.write_table(
        replaced(orphans, "previous_physician_id", previous), plan / "inputs" / "orphans.parquet"
    )
    assignments = replaced(assignments, "physician_id", physician)
    assignments = replaced(assignments, "le304", flags)
    pacsv.write_csv(assignments, plan / "assignments.csv")
    return blocks


@pytest.fixture
def agent(demo_user: Callable[[str], User]) -> User:
    return demo_user("agent.guichet")


@pytest.fixture
def blocks(approved_run: Run) -> list[Block]:
    """Two transfers in the approved run: one of 50 patients to a physician at 80 % (every
    condition met), one of 49 to a physician at 90 % (too small)."""
    return make_blocks(approved_run, (50, 0.80), (49, 0.90))


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["agent.guichet", "drmg"])
def test_it_opens_the_pages_to_the_agent_and_the_drmg(client_as, approved_run, blocks, username):
    client = client_as(username)
    listing = client.get(reverse("attribution:le304-list"))
    assert listing.status_code == 200
    assert f'data-testid="le304-run-{approved_run.pk}"' in listing.content.decode()
    page = client.get(reverse("attribution:le304-run", args=[approved_run.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    for block in blocks:
        assert f'data-testid="le304-transfer-{block.departing}-{block.receiving}"' in body


@pytest.mark.parametrize(
    "username", ["cml.rimouski", "cml.kamouraska", "gestion.gmf", "medecin", "coach", "ciusss"]
)
def test_it_refuses_every_other_role(client_as, approved_run, blocks, username):
    client = client_as(username)
    file = do_prepare_le304_file(
        approved_run,
        blocks[0].departing,
        blocks[0].receiving,
        acting_user=User.objects.get(username="drmg"),
    )
    for url in (
        reverse("attribution:le304-list"),
        reverse("attribution:le304-run", args=[approved_run.pk]),
        reverse("attribution:le304-file", args=[file.pk]),
        reverse("attribution:le304-patients", args=[file.pk]),
        reverse("attribution:le304-agreement", args=[file.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("attribution:le304-run", args=[approved_run.pk])).status_code == 403
    assert not access.can_prepare_le304_files(User.objects.get(username=username))


def test_it_answers_404_for_another_regions_run_and_file(client, approved_run, blocks):
    file = do_prepare_le304_file(
        approved_run,
        blocks[0].departing,
        blocks[0].receiving,
        acting_user=User.objects.get(username="drmg"),
    )
    elsewhere = Region.objects.create(code="99", name="Ailleurs")
    client.force_login(make_user(Role.GUICHET_AGENT, region=elsewhere))
    assert client.get(reverse("attribution:le304-run", args=[approved_run.pk])).status_code == 404
    for name in ("le304-file", "le304-patients", "le304-agreement"):
        assert client.get(reverse(f"attribution:{name}", args=[file.pk])).status_code == 404
    listing = client.get(reverse("attribution:le304-list")).content.decode()
    assert f'data-testid="le304-run-{approved_run.pk}"' not in listing


def test_it_answers_404_for_a_run_not_approved(client_as, done_run):
    client = client_as("agent.guichet")
    assert client.get(reverse("attribution:le304-run", args=[done_run.pk])).status_code == 404


def test_it_leaves_the_agent_out_of_the_runs_and_the_waiting_list(client_as, agent, rimouski):
    client = client_as("agent.guichet")
    assert client.get(reverse("attribution:runs")).status_code == 403
    assert access.can_list_waitlist(agent) is False
    with pytest.raises(PermissionDenied):
        access.visible_patients(agent)
    assert not access.visible_waitlist(agent).exists()


# --- the run's page -----------------------------------------------------------------------


def test_it_shows_each_transfer_with_its_conditions(client_as, approved_run, blocks):
    body = client_as("agent.guichet").get(reverse("attribution:le304-run", args=[approved_run.pk]))
    text = body.content.decode()
    full, small = blocks
    assert "50 patients transferred." in text
    assert "49 patients transferred." in text
    # The full block may be prepared, the small one not: one button, one refusal note.
    assert text.count('data-testid="le304-prepare"') == 1
    assert text.count('data-testid="le304-not-eligible"') == 1
    assert f'value="{full.departing}"' in text
    assert f'value="{small.departing}"' not in text


def test_it_lists_no_run_without_a_transfer(client_as, approved_run):
    make_blocks(approved_run)  # the plan without any LE 304 block
    body = client_as("agent.guichet").get(reverse("attribution:le304-list")).content.decode()
    assert f'data-testid="le304-run-{approved_run.pk}"' not in body
    assert "No approved plan in force has an LE 304 transfer." in body


def test_it_prepares_a_file_from_the_page(client_as, approved_run, blocks):
    client = client_as("agent.guichet")
    full = blocks[0]
    response = client.post(
        reverse("attribution:le304-run", args=[approved_run.pk]),
        {"departing": full.departing, "receiving": full.receiving},
    )
    file = Le304File.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("attribution:le304-file", args=[file.pk])
    assert (file.patients, file.prepared_by.username) == (50, "agent.guichet")
    page = client.get(response.url).content.decode()
    assert 'data-testid="le304-status">Prepared<' in page


def test_it_names_the_failing_condition_when_the_page_is_forced(client_as, approved_run, blocks):
    small = blocks[1]
    response = client_as("agent.guichet").post(
        reverse("attribution:le304-run", args=[approved_run.pk]),
        {"departing": small.departing, "receiving": small.receiving},
        follow=True,
    )
    assert not Le304File.objects.exists()
    assert "A block of at least 50 patients (49 patients transferred.)" in (
        response.content.decode()
    )


# --- the role's wiring ---------------------------------------------------------------------


def test_it_has_a_demo_agent_of_the_guichet(agent, region):
    assert "agent.guichet" in DEMO_USERNAMES
    assert agent.profile.role == Role.GUICHET_AGENT
    assert agent.profile.region == region
    assert access.can_prepare_le304_files(agent)


def test_it_shows_the_agent_neither_the_region_nor_its_physicians(agent):
    # Their job is the LE 304 files: not the dashboard's figures nor the physicians'
    # (web/attribution/tests/test_guichet_agent_access.py holds the pages refused).
    with pytest.raises(PermissionDenied):
        access.visible_rls(agent)
    with pytest.raises(PermissionDenied):
        access.visible_physicians(agent)


@pytest.mark.parametrize(
    ("username", "linked"),
    [("agent.guichet", True), ("drmg", True), ("cml.rimouski", False), ("medecin", False)],
)
def test_it_links_the_files_from_the_menu(client_as, username, linked):
    client: Client = client_as(username)
    # The agent lands on the LE 304 files (the dashboard sends them there).
    body = client.get(reverse("dashboard:home"), follow=True).content.decode()
    assert ('data-testid="nav-le304"' in body) is linked


def test_it_reads_the_transfers_in_waiting_list_order(approved_run, blocks):
    transfers = le304_files.run_transfers(approved_run)
    assert [(t.departing_code, t.receiving_code, t.patients) for t in transfers] == sorted(
        (b.departing, b.receiving, len(b.patients)) for b in blocks
    )
    placed = store.read_plan_patients(approved_run.folder / "plan")
    order = placed.column("patient_id").to_pylist()
    for transfer in transfers:
        made = next(b for b in blocks if (b.departing, b.receiving) == transfer.key)
        assert set(transfer.patient_codes) == set(made.patients)
        assert list(transfer.patient_codes) == sorted(transfer.patient_codes, key=order.index)
