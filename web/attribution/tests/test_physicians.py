"""The physicians' table of an RLS and the CML's decisions: figures, sorting and filters,
decisions recorded with their history, how they change the roster, and who is refused."""

from __future__ import annotations

import datetime
import re
import tempfile

import pyarrow as pa
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from web.attribution.models import AttributionAction, PhysicianDecision
from web.attribution.physicians import rls_physicians
from web.attribution.roster import applied_roster, current_roster
from web.attribution.services import do_set_decision
from web.audit.models import AuditEvent
from web.tables.store import store_dataset

pytestmark = pytest.mark.django_db

RUN_DATE = datetime.date(2026, 11, 23)


def rows_of(html: str) -> list[str]:
    """The physician codes of the table, in page order."""
    return re.findall(r'data-testid="physician-(D\d+)"', html)


def test_it_lists_the_physicians_of_the_rls_with_their_figures(client, region, cml):
    client.force_login(cml)
    response = client.get(reverse("attribution:physicians", args=["0115"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert rows_of(html) and set(rows_of(html)) == {f"D0000{i}" for i in range(1, 8)}
    assert "D00008" not in html  # another RLS
    assert 'data-testid="group-D00001">1a<' in html  # AMP requirement: group 1a
    assert 'data-testid="registered-D00006">448<' in html
    assert 'data-testid="rls-average"' in html


def test_it_computes_groups_units_age_and_the_rls_average(region):
    rows, figures = rls_physicians(region, "0115", RUN_DATE)
    by_code = {row.code: row for row in rows}
    assert by_code["D00001"].group == "1a" and by_code["D00001"].target == 250
    assert by_code["D00004"].group == "1b" and by_code["D00004"].need == 500 - 43
    assert by_code["D00002"].group == "none"  # mode none in the roster
    assert by_code["D00006"].units == pytest.approx(1.75 + 448 / 500, abs=1e-3)
    assert by_code["D00006"].age == 2026 - 1977
    assert by_code["D00006"].years_of_practice == 16  # since 2010-07-23
    assert by_code["D00001"].previous_assiduity is None
    shares = [row.vulnerable / row.registered for row in rows]
    assert figures.vulnerable_share_mean == pytest.approx(sum(shares) / len(shares))


def test_it_calls_the_engine_without_a_temporary_file(region, monkeypatch):
    # The roster is checked by the engine in memory (panelcare.attribution.io).
    def refused(*args, **kwargs):
        raise AssertionError("a temporary file or folder was made")

    for name in ("TemporaryDirectory", "NamedTemporaryFile", "mkdtemp", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refused)
    rows, figures = rls_physicians(region, "0115", RUN_DATE)
    assert figures.physicians == len(rows) == 7


def test_it_sorts_by_a_column_both_ways(client, region, drmg):
    client.force_login(drmg)
    url = reverse("attribution:physicians", args=["0115"])
    ascending = rows_of(client.get(url, {"sort": "registered"}).content.decode())
    descending = rows_of(client.get(url, {"sort": "-registered"}).content.decode())
    assert ascending[0] == "D00001"  # 22 registered
    assert descending[0] == "D00006"  # 448 registered
    assert descending == list(reversed(ascending))


def test_it_filters_by_group_mode_and_name(client, region, drmg):
    client.force_login(drmg)
    url = reverse("attribution:physicians", args=["0115"])
    assert rows_of(client.get(url, {"group": "1b"}).content.decode()) == ["D00006", "D00004"]
    assert set(rows_of(client.get(url, {"mode": "none"}).content.decode())) == {
        "D00002",
        "D00003",
        "D00005",
        "D00007",
    }
    # Case and accents do not matter; Félix Nadeau is in the other RLS.
    assert rows_of(client.get(url, {"q": "NADEAU"}).content.decode()) == ["D00004"]
    assert rows_of(client.get(url, {"q": "melanie"}).content.decode()) == ["D00003"]


def test_it_records_a_decision_with_its_audit_entry(client, region, cml):
    client.force_login(cml)
    url = reverse("attribution:decision", args=["0115", "D00004"])
    before = timezone.now()
    response = client.post(url, {"excluded": "on", "note": "moins de 25 patients"})
    assert response.status_code == 302
    decision = PhysicianDecision.objects.get(physician_code="D00004")
    assert decision.excluded and decision.rls_code == "0115" and decision.updated_by == cml
    event = AuditEvent.objects.about(decision).get()
    assert (event.action, event.actor, event.rls_code) == (AttributionAction.DECISION, cml, "0115")
    assert before <= event.created_at <= timezone.now()
    assert event.details["physician_code"] == "D00004"
    assert event.details["changed"] == {"excluded": [False, True]}
    assert event.details["note"] == "moins de 25 patients"
    page = client.get(reverse("attribution:physicians", args=["0115"])).content.decode()
    assert 'data-testid="mode-D00004" data-mode="none">Not participating' in page  # excluded
    assert 'data-testid="group-D00004">out<' in page
    assert 'data-testid="decision-D00004"' in page


def test_it_replaces_a_decision_and_keeps_the_history(region, cml):
    do_set_decision(region, "D00004", "0115", acting_user=cml, mode="le304")
    do_set_decision(
        region, "D00004", "0115", acting_user=cml, mode="bloc", amp_target_derogation=100
    )
    decision = PhysicianDecision.objects.get(physician_code="D00004")
    assert decision.mode == "bloc" and decision.amp_target_derogation == 100
    first, second = AuditEvent.objects.about(decision).order_by("created_at", "pk")
    assert first.actor == second.actor == cml
    assert first.details["changed"] == {"mode": ["", "le304"]}
    assert second.details["changed"] == {
        "amp_target_derogation": [None, 100],
        "mode": ["le304", "bloc"],
    }
    assert AuditEvent.objects.filter(action=AttributionAction.DECISION).count() == 2


def test_it_refuses_a_wrong_decision_value(region, cml):
    with pytest.raises(ValueError):
        do_set_decision(region, "D00004", "0115", acting_user=cml, mode="everything")
    with pytest.raises(ValueError):
        do_set_decision(region, "D00004", "0115", acting_user=cml, amp_target_derogation=-5)
    assert not PhysicianDecision.objects.exists()


def test_it_refuses_a_decision_outside_the_cml_rls(client, region, cml):
    client.force_login(cml)
    # Another RLS: 404; a physician of another RLS under one's own: 404.
    other = client.post(
        reverse("attribution:decision", args=["0116", "D00008"]), {"excluded": "on"}
    )
    assert other.status_code == 404
    mixed = client.post(
        reverse("attribution:decision", args=["0115", "D00008"]), {"excluded": "on"}
    )
    assert mixed.status_code == 404
    page = client.get(reverse("attribution:physicians", args=["0116"]))
    assert page.status_code == 404
    assert not PhysicianDecision.objects.exists()
    assert not AuditEvent.objects.filter(action=AttributionAction.DECISION).exists()


def store_roster(region, change) -> None:
    """A new roster version: the current one's rows through ``change`` (rows as dicts),
    stored as the DRMG's import would (or as an import before keys were checked across
    RLS did)."""
    _, table = current_roster(region)
    rows = change(table.to_pylist())
    store_dataset(region, "physicians", pa.Table.from_pylist(rows, schema=table.schema))


def test_it_refuses_a_cml_a_physician_the_roster_also_holds_in_another_rls(
    client, region, drmg, cml
):
    do_set_decision(region, "D00001", "0115", acting_user=cml, excluded=True)
    # A copy of D00001 under Kamouraska, imported before imports refused it.
    store_roster(region, lambda rows: [*rows, {**rows[0], "rls_id": "0116"}])
    client.force_login(User.objects.get(username="cml.kamouraska"))
    url = reverse("attribution:decision", args=["0116", "D00001"])
    assert client.post(url, {"mode": "none"}).status_code == 404
    decision = PhysicianDecision.objects.get(physician_code="D00001")
    assert (decision.rls_code, decision.excluded, decision.updated_by) == ("0115", True, cml)
    # Which row is the physician's is not the CMLs' to say: the DRMG decides.
    with pytest.raises(Http404):
        do_set_decision(region, "D00001", "0115", acting_user=cml, excluded=False)
    do_set_decision(region, "D00001", "0115", acting_user=drmg, note="copy")
    assert AuditEvent.objects.filter(action=AttributionAction.DECISION).count() == 2


def test_it_refuses_a_cml_to_move_the_decision_of_another_rls(region, drmg, cml):
    do_set_decision(region, "D00001", "0115", acting_user=cml, excluded=True)
    # D00001 moves to Kamouraska in the next roster: their decision is Rimouski's until
    # the DRMG (or Rimouski's CML) moves it.
    store_roster(
        region,
        lambda rows: [
            {**row, "rls_id": "0116"} if row["physician_id"] == "D00001" else row for row in rows
        ],
    )
    kamouraska = User.objects.get(username="cml.kamouraska")
    with pytest.raises(PermissionDenied):
        do_set_decision(region, "D00001", "0116", acting_user=kamouraska, mode="none")
    assert PhysicianDecision.objects.get(physician_code="D00001").rls_code == "0115"
    moved = do_set_decision(region, "D00001", "0116", acting_user=drmg, excluded=True)
    assert moved.rls_code == "0116"
    do_set_decision(region, "D00001", "0116", acting_user=kamouraska, mode="none")
    assert PhysicianDecision.objects.get(physician_code="D00001").mode == "none"


@pytest.mark.parametrize("username", ["medecin", "gestion.gmf", "ciusss", "coach"])
def test_it_refuses_the_physicians_pages_to_other_roles(client, region, username):
    client.force_login(User.objects.get(username=username))
    assert client.get(reverse("attribution:physicians", args=["0115"])).status_code == 403
    url = reverse("attribution:decision", args=["0115", "D00004"])
    assert client.post(url, {"excluded": "on"}).status_code == 403
    assert not PhysicianDecision.objects.exists()


def test_it_sends_anonymous_visitors_to_login(client, region):
    response = client.get(reverse("attribution:physicians", args=["0115"]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def roster_table() -> pa.Table:
    return pa.table(
        {
            "physician_id": ["D1", "D2", "D3", "D4"],
            "registered": [20, 300, 400, 250],
            "mode": ["bloc", "bloc", "le304", "bloc"],
            "amp_target": pa.array([500, None, None, None], pa.int64()),
            "other_units": [0.0, 0.5, 2.5, 0.0],
            "departing_on": pa.array([None, None, None, datetime.date(2027, 4, 22)], pa.date32()),
        }
    )


def decided(code: str, **fields) -> dict:
    return {
        "physician_code": code,
        "excluded": False,
        "amp_target_derogation": None,
        "mode": "",
        "full_workload_demonstrated": False,
        "include_departure": False,
        "note": "",
        **fields,
    }


def test_it_maps_each_decision_onto_the_roster():
    table, snapshot = applied_roster(
        roster_table(),
        [
            decided("D1", amp_target_derogation=250),
            decided("D2", full_workload_demonstrated=True),
            decided("D3", mode="bloc", excluded=True),
            decided("D4", include_departure=True),
            decided("D9", excluded=True),  # not in the roster: ignored
        ],
        RUN_DATE,
    )
    rows = {row["physician_id"]: row for row in table.to_pylist()}
    assert rows["D1"]["amp_target"] == 250
    assert rows["D2"]["other_units"] == pytest.approx(3.0 - 300 / 500)  # units reach 3
    assert rows["D3"]["mode"] == "none"  # exclusion wins over the mode chosen
    assert rows["D4"]["departing_on"] == datetime.date(2026, 12, 31)
    assert table.schema == roster_table().schema
    assert [entry["physician_code"] for entry in snapshot] == ["D1", "D2", "D3", "D4"]
    assert snapshot[3]["changes"] == {"departing_on": ["2027-04-22", "2026-12-31"]}


def test_it_keeps_an_earlier_departure_and_higher_units():
    table = roster_table().set_column(
        5, "departing_on", pa.array([None, None, None, datetime.date(2026, 12, 1)], pa.date32())
    )
    result, snapshot = applied_roster(
        table,
        [decided("D4", include_departure=True), decided("D3", full_workload_demonstrated=True)],
        RUN_DATE,
    )
    rows = {row["physician_id"]: row for row in result.to_pylist()}
    assert rows["D4"]["departing_on"] == datetime.date(2026, 12, 1)
    assert rows["D3"]["other_units"] == 2.5  # 2.5 + 400 / 500 = 3.3 already
    assert all(entry["changes"] == {} for entry in snapshot)


def test_it_marks_a_physician_without_departure_date_as_leaving_on_31_december():
    table, _ = applied_roster(roster_table(), [decided("D2", include_departure=True)], RUN_DATE)
    assert table.column("departing_on").to_pylist()[1] == datetime.date(2026, 12, 31)


def test_it_shows_an_included_departure_on_the_table(client, region, cml):
    client.force_login(cml)
    url = reverse("attribution:physicians", args=["0115"])
    before = client.get(url).content.decode()
    assert "31/12/2026" not in before and "2026-12-31" not in before
    do_set_decision(region, "D00002", "0115", acting_user=cml, include_departure=True)
    rows, _ = rls_physicians(region, "0115", RUN_DATE)
    leaving = {row.code: row for row in rows}["D00002"]
    assert leaving.departing_on == datetime.date(2026, 12, 31)
    assert leaving.changes == {"departing_on": ["2027-04-22", "2026-12-31"]}
    assert "departing" in leaving.reasons
    page = client.get(url).content.decode()
    cell = re.search(r'data-testid="departure-D00002">([^<]*)<', page)
    assert cell and "2026" in cell.group(1) and "12" in cell.group(1)


def test_it_goes_back_to_the_table_not_to_another_site(client, region, cml):
    client.force_login(cml)
    url = reverse("attribution:decision", args=["0115", "D00004"])
    table = reverse("attribution:physicians", args=["0115"])
    kept = client.post(url, {"mode": "bloc", "next": table + "?sort=-age"})
    assert kept["Location"] == table + "?sort=-age"
    elsewhere = client.post(url, {"mode": "bloc", "next": "//evil.example/"})
    assert elsewhere["Location"] == table
