"""The patients a physician offers (issue 19; DSP-PR-30042, sections 4 and 7): an accepted
declaration's offer becomes the decision's ``patients_offered``, the next run's target for
that physician is their registered patients plus it (``offered_targets``; a target typed
on the run form wins), the plan holds it, and the pages say where the target came
from."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from web.attribution import services
from web.attribution.figures import target_changes
from web.attribution.forms import RunForm
from web.attribution.models import AttributionMode, PhysicianDecision, Run, RunStatus
from web.attribution.roster import (
    applied_roster,
    current_roster,
    decisions_in_force,
    declared_targets,
)
from web.attribution.services import do_set_decision
from web.attribution.services_declarations import do_review_declaration, do_submit_declaration
from web.attribution.tests.conftest import RUN_DATE
from web.attribution.tests.test_physicians import decided
from web.regions.models import Physician, Rls

pytestmark = pytest.mark.django_db


def plan_rows(run: Run) -> dict[str, dict]:
    table = pacsv.read_csv(
        run.folder / "plan" / "physicians.csv",
        convert_options=pacsv.ConvertOptions(column_types={"physician_id": pa.string()}),
    )
    return {row["physician_id"]: row for row in table.to_pylist()}


def registered_today(region, code: str) -> int:
    _dataset, roster = current_roster(region)
    return next(r["registered"] for r in roster.to_pylist() if r["physician_id"] == code)


@pytest.fixture
def taker(make_run: Callable[..., Run], rimouski: Rls) -> dict:
    """The Rimouski-Neigette physician who receives the most patients in a run without
    any offer, with their plan row (``assigned`` of at least 2, so that an offer of 1
    binds)."""
    run = make_run(rls=rimouski, status=RunStatus.DONE, run_date=RUN_DATE)
    rows = plan_rows(run)
    code, row = max(rows.items(), key=lambda item: (item[1]["assigned"], item[0]))
    assert row["assigned"] >= 2
    return {"code": code, "row": row}


def offer(rimouski: Rls, code: str, number: int | None, user: User, **fields) -> None:
    do_set_decision(
        rimouski.region, code, rimouski.code, acting_user=user, patients_offered=number, **fields
    )


# --------------------------------------------------------------------------- the roster


def test_it_records_the_offered_target_in_the_snapshot(rimouski: Rls, cml: User, taker) -> None:
    offer(rimouski, taker["code"], 1, cml)
    region = rimouski.region
    _dataset, roster = current_roster(region)
    _table, snapshot = applied_roster(roster, decisions_in_force(region).values(), RUN_DATE)
    expected = registered_today(region, taker["code"]) + 1
    entry = next(e for e in snapshot if e["physician_code"] == taker["code"])
    assert entry["changes"]["target"] == [None, expected]
    assert declared_targets(snapshot) == {taker["code"]: expected}


def test_it_reads_no_offer_in_a_snapshot_made_before_offers(rimouski: Rls, cml: User) -> None:
    """A run's ``decisions`` saved before issue 19 have no ``patients_offered``."""
    region = rimouski.region
    _dataset, roster = current_roster(region)
    code = roster.column("physician_id")[0].as_py()
    old = decided(code)  # the fields of a decision before issue 19
    assert "patients_offered" not in old
    _table, snapshot = applied_roster(roster, [old], RUN_DATE)
    assert snapshot[0]["changes"] == {}
    assert declared_targets(snapshot) == {}


def test_it_refuses_an_offer_that_is_not_a_whole_number(rimouski: Rls, cml: User, taker) -> None:
    for wrong in (-1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="patients_offered"):
            offer(rimouski, taker["code"], wrong, cml)  # type: ignore[arg-type]
    assert not PhysicianDecision.objects.filter(physician_code=taker["code"]).exists()


# --------------------------------------------------------------------------- the runs


def test_it_holds_the_offer_in_the_next_run(
    make_run: Callable[..., Run], rimouski: Rls, cml: User, taker
) -> None:
    offer(rimouski, taker["code"], 1, cml)
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    target = registered_today(rimouski.region, taker["code"]) + 1
    assert run.params["offered_targets"] == {taker["code"]: target}
    assert run.params["target_overrides"] == {}
    row = plan_rows(run)[taker["code"]]
    assert row["target"] == target
    assert "target_offered" in row["reason"].split(";")
    # They received two or more without the offer: the offer binds.
    assert row["assigned"] == 1 < taker["row"]["assigned"]


def test_it_raises_the_target_with_a_larger_offer(
    make_run: Callable[..., Run], rimouski: Rls, cml: User, taker
) -> None:
    more = int(taker["row"]["target"]) - registered_today(rimouski.region, taker["code"]) + 50
    offer(rimouski, taker["code"], more, cml)
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    row = plan_rows(run)[taker["code"]]
    assert row["target"] == taker["row"]["target"] + 50
    assert row["assigned"] >= taker["row"]["assigned"]


def test_it_lets_a_target_typed_on_the_run_form_win(
    make_run: Callable[..., Run], rimouski: Rls, cml: User, taker
) -> None:
    offer(rimouski, taker["code"], 1, cml)
    typed = registered_today(rimouski.region, taker["code"]) + 2
    run = services.do_start_run(
        rimouski, {"target_overrides": {taker["code"]: typed}}, RUN_DATE, acting_user=cml
    )
    run.refresh_from_db()
    assert run.params["target_overrides"] == {taker["code"]: typed}
    row = plan_rows(run)[taker["code"]]
    assert row["target"] == typed
    assert "target_offered" not in row["reason"]


def test_it_never_takes_an_offer_typed_in(rimouski: Rls, cml: User, taker) -> None:
    run = services.do_start_run(
        rimouski, {"offered_targets": {taker["code"]: 3}}, RUN_DATE, acting_user=cml
    )
    assert run.params["offered_targets"] == {}


def test_it_gives_no_patient_to_a_physician_who_offers_but_does_not_take_part(
    make_run: Callable[..., Run], rimouski: Rls, cml: User, taker
) -> None:
    offer(rimouski, taker["code"], 30, cml, mode=AttributionMode.NONE)
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    row = plan_rows(run)[taker["code"]]
    assert row["assigned"] == 0
    assert row["target"] == 0
    # Nor does the run's record say the offer set a target.
    assert run.params["offered_targets"] == {}
    assert taker["code"] not in [change["code"] for change in target_changes(run, [])]


def test_it_takes_the_procedures_target_again_once_the_offer_is_cleared(
    make_run: Callable[..., Run], rimouski: Rls, cml: User, taker
) -> None:
    offer(rimouski, taker["code"], 1, cml)
    offer(rimouski, taker["code"], None, cml)
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    assert run.params["offered_targets"] == {}
    assert plan_rows(run)[taker["code"]]["target"] == taker["row"]["target"]


def test_it_starts_a_run_like_another_without_its_offers(
    make_run: Callable[..., Run], rimouski: Rls, cml: User, taker
) -> None:
    """« Run again » must not turn an offer into a typed target the next offer can't
    change, and keeps a typed target even when it equals the offer's."""
    offer(rimouski, taker["code"], 1, cml)
    same = registered_today(rimouski.region, taker["code"]) + 1
    run = services.do_start_run(
        rimouski,
        {"target_overrides": {"D-TYPED": 5, taker["code"]: same}},
        RUN_DATE,
        acting_user=cml,
    )
    assert run.params["offered_targets"] == {taker["code"]: same}
    initial = RunForm.initial_of(run)
    # In any order: PostgreSQL's JSON keeps the keys in its own.
    assert set(initial["target_overrides"].splitlines()) == {
        "D-TYPED = 5",
        f"{taker['code']} = {same}",
    }
    assert "offered_targets" not in RunForm(user=cml).fields


# --------------------------------------------------------------------------- declarations


def test_it_makes_an_accepted_declarations_offer_the_decision(
    demo_user: Callable[[str], User], cml: User
) -> None:
    user = demo_user("medecin")
    physician: Physician = user.profile.physician
    declaration = do_submit_declaration(
        physician, mode=AttributionMode.BLOC, patients_offered=12, acting_user=user
    )
    do_review_declaration(declaration, "accepted", acting_user=cml)
    decision = PhysicianDecision.objects.get(physician_code=physician.code)
    assert decision.patients_offered == 12
    # The next declaration without an offer takes the procedure's target again.
    later = do_submit_declaration(
        physician,
        mode=AttributionMode.BLOC,
        hospital_hours=Decimal(4),
        justification="CH",
        acting_user=user,
    )
    do_review_declaration(later, "accepted", acting_user=cml)
    decision.refresh_from_db()
    assert decision.patients_offered is None


def test_it_keeps_the_offer_when_a_declaration_is_refused(
    demo_user: Callable[[str], User], cml: User
) -> None:
    user = demo_user("medecin")
    physician: Physician = user.profile.physician
    declaration = do_submit_declaration(
        physician, mode=AttributionMode.BLOC, patients_offered=12, acting_user=user
    )
    do_review_declaration(declaration, "refused", "Non.", acting_user=cml)
    assert not PhysicianDecision.objects.filter(physician_code=physician.code).exists()
    # An offer in force stays when a later declaration is refused.
    first = do_submit_declaration(
        physician, mode=AttributionMode.BLOC, patients_offered=5, acting_user=user
    )
    do_review_declaration(first, "accepted", acting_user=cml)
    second = do_submit_declaration(
        physician, mode=AttributionMode.BLOC, patients_offered=40, acting_user=user
    )
    do_review_declaration(second, "refused", "Non.", acting_user=cml)
    assert PhysicianDecision.objects.get(physician_code=physician.code).patients_offered == 5


# --------------------------------------------------------------------------- pages


def test_it_shows_the_offered_target_on_the_physicians_page(
    rimouski: Rls, cml: User, cml_client: Client, taker
) -> None:
    offer(rimouski, taker["code"], 1, cml)
    page = cml_client.get(reverse("attribution:physicians", args=[rimouski.code]))
    html = page.content.decode()
    assert "new patients offered: 1" in html
    assert 'name="patients_offered"' in html


def test_it_says_the_target_came_from_the_offer_on_the_run_page(
    make_run: Callable[..., Run], rimouski: Rls, cml: User, cml_client: Client, taker
) -> None:
    offer(rimouski, taker["code"], 1, cml)
    run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, run_date=RUN_DATE)
    html = cml_client.get(
        reverse("attribution:run-detail", args=[run.pk]), {"tab": "history"}
    ).content.decode()
    start = html.index(f'data-testid="target-change-{taker["code"]}"')
    row = html[start : html.index("</tr>", start)]
    assert "the physician&#x27;s offer" in row or "the physician's offer" in row
    assert "in the run&#x27;s parameters" not in row
    # The decisions applied: the offer's target among the roster's changes, in words.
    decisions = html[html.index("Decisions applied") :]
    expected = registered_today(rimouski.region, taker["code"]) + 1
    assert f"target (registered + new patients offered): — → {expected}" in decisions


def test_it_records_the_offer_from_the_decision_dialog(
    rimouski: Rls, cml_client: Client, taker
) -> None:
    url = reverse("attribution:decision", args=[rimouski.code, taker["code"]])
    cml_client.post(url, {"patients_offered": "15"})
    assert PhysicianDecision.objects.get(physician_code=taker["code"]).patients_offered == 15
    cml_client.post(url, {"patients_offered": ""})
    assert PhysicianDecision.objects.get(physician_code=taker["code"]).patients_offered is None
