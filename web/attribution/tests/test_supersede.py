"""One approved plan per territory (issue 15, section 2; docs/decisions.md): approving a
run over an overlapping plan in force is refused or supersedes it, with a reason, after a
confirmation page; superseded plans and letters are marked as such everywhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.attribution import services
from web.attribution.errors import PlanInForce
from web.attribution.journey import placed_patients
from web.attribution.models import AttributionAction, Letter, Run, RunStatus
from web.audit.models import AuditEvent
from web.regions.models import WaitlistEntry, WaitlistReason, WaitlistStatus, WaitlistStatusEvent

pytestmark = pytest.mark.django_db

REASON = "The first plan read an old roster."


def approve(client, run, reason=""):
    return client.post(
        reverse("attribution:run-approve", args=[run.pk]),
        {"confirm": "1", "reason": reason},
        follow=True,
    )


def test_it_asks_for_confirmation_before_approving(client, cml, done_run):
    client.force_login(cml)
    # The run page's button posts without ``confirm``: the confirmation page answers.
    page = client.post(reverse("attribution:run-approve", args=[done_run.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="approve-confirmation"' in html and 'data-testid="approve-confirm"' in html
    assert 'data-testid="approve-superseded"' not in html  # nothing in force to supersede
    done_run.refresh_from_db()
    assert done_run.status == RunStatus.DONE
    approve(client, done_run)
    done_run.refresh_from_db()
    assert done_run.is_in_force


def test_it_refuses_to_supersede_without_a_reason_naming_the_plan_in_force(
    client, cml, make_run, rimouski
):
    first = make_run(rls=rimouski, user=cml, title="T3")
    second = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, title="T4")
    client.force_login(cml)
    page = client.get(reverse("attribution:run-approve", args=[second.pk])).content.decode()
    assert f'data-testid="superseded-{first.pk}"' in page and "T3" in page
    # The first plan's patients were not offered to the second: left as proposed.
    proposed = WaitlistEntry.objects.filter(proposed_run_id=first.pk).count()
    assert proposed and f'data-testid="kept-proposed-{first.pk}">{proposed}<' in page
    assert f'data-testid="back-to-list-{first.pk}">0<' in page
    assert 'data-testid="approve-reason"' in page
    response = approve(client, second, reason="  ")
    assert f"(run {first.pk}," in response.content.decode()
    assert "Say why this plan supersedes it" in response.content.decode()
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == RunStatus.DONE and first.is_in_force


def test_it_lets_a_cml_supersede_their_rls_plan_with_a_reason(client, cml, make_run, rimouski):
    first = make_run(rls=rimouski, user=cml, title="T3")
    proposed = set(
        WaitlistEntry.objects.filter(
            status=WaitlistStatus.ASSIGNED, proposed_run_id=first.pk
        ).values_list("patient_code", flat=True)
    )
    assert proposed
    second = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, title="T4")
    client.force_login(cml)
    approve(client, second, reason=REASON)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_in_force
    assert (first.superseded_by, first.superseded_reason) == (second, REASON)
    assert first.superseded_at and not first.is_in_force and first.status == RunStatus.APPROVED
    event = AuditEvent.objects.get(action=AttributionAction.SUPERSEDED)
    assert (event.subject_id, event.actor, event.details["reason"]) == (str(first.pk), cml, REASON)
    assert event.details["superseded_by"] == second.pk
    approved = AuditEvent.objects.filter(action=AttributionAction.APPROVED).latest("pk")
    assert approved.details["superseded"] == [first.pk]
    # The second run was started after the first's approval: it did not offer the patients
    # the first proposed, so they stay proposed as they were (it could not place them):
    # next quarter's plan does not undo the proposals the physicians are working through.
    assert not proposed & set(placed_patients(second))
    kept = WaitlistEntry.objects.filter(patient_code__in=proposed)
    assert {(entry.status, entry.proposed_run_id) for entry in kept} == {
        (WaitlistStatus.ASSIGNED, first.pk)
    }
    assert approved.details["back_to_list"] == 0
    assert not WaitlistStatusEvent.objects.filter(reason=WaitlistReason.PLAN_SUPERSEDED).exists()
    # Marked everywhere: the run list, the run page, the letters page.
    runs = client.get(reverse("attribution:runs")).content.decode()
    row = runs.split(f'data-testid="run-{first.pk}"')[1].split("</tr>")[0]
    assert "Approved, superseded" in row
    detail = client.get(reverse("attribution:run-detail", args=[first.pk])).content.decode()
    assert f'data-testid="superseded-{first.pk}"' in detail and REASON in detail
    letters = client.get(reverse("attribution:letters", args=[first.pk])).content.decode()
    assert f'data-testid="superseded-{first.pk}"' in letters
    assert 'data-testid="letters-generate"' not in letters


def test_it_re_proposes_patients_a_superseding_plan_places_again(client, cml, make_run, rimouski):
    # Two plans computed on the same list: the second, approved over the first, places
    # the same patients; those keep a proposal (the second's), none goes back.
    first_done = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, title="A")
    second = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, title="B")
    services.do_approve_run(first_done, acting_user=cml)
    client.force_login(cml)
    page = client.get(reverse("attribution:run-approve", args=[second.pk])).content.decode()
    assert f'data-testid="back-to-list-{first_done.pk}">0<' in page
    services.do_approve_run(second, acting_user=cml, supersede_reason=REASON)
    placed = placed_patients(second)
    entries = WaitlistEntry.objects.filter(patient_code__in=list(placed))
    assert {(entry.status, entry.proposed_run_id) for entry in entries} == {
        (WaitlistStatus.ASSIGNED, second.pk)
    }
    assert not WaitlistStatusEvent.objects.filter(reason=WaitlistReason.PLAN_SUPERSEDED).exists()


def test_it_refuses_a_cml_plan_over_the_region_plan_naming_it(
    client, cml, drmg, make_run, rimouski
):
    region_plan = make_run(rls=None, user=drmg, title="Region 2026")
    rls_run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE)
    client.force_login(cml)
    page = client.get(reverse("attribution:run-approve", args=[rls_run.pk]))
    assert page.status_code == 409
    html = page.content.decode()
    assert 'data-testid="approve-refused"' in html and "Region 2026" in html
    assert 'data-testid="approve-confirm"' not in html
    response = approve(client, rls_run, reason="mine is better")
    assert f"The region&#x27;s plan “Region 2026” (run {region_plan.pk}" in (
        response.content.decode()
    )
    rls_run.refresh_from_db()
    region_plan.refresh_from_db()
    assert rls_run.status == RunStatus.DONE and region_plan.is_in_force
    # The DRMG is refused too: an RLS plan never replaces part of the region's.
    with pytest.raises(PlanInForce, match="Only a new plan of the whole region"):
        services.do_approve_run(rls_run, acting_user=drmg, supersede_reason=REASON)


def test_it_lets_the_drmg_supersede_a_cml_plan_by_a_region_plan(
    client, cml, drmg, make_run, rimouski, other_rls
):
    cml_plan = make_run(rls=rimouski, user=cml)
    other_plan = make_run(rls=other_rls, user=demo_cml(other_rls))
    region_run = make_run(rls=None, user=drmg, status=RunStatus.DONE)
    client.force_login(drmg)
    page = client.get(reverse("attribution:run-approve", args=[region_run.pk])).content.decode()
    assert f'data-testid="superseded-{cml_plan.pk}"' in page
    assert f'data-testid="superseded-{other_plan.pk}"' in page
    approve(client, region_run, reason=REASON)
    for plan in (cml_plan, other_plan):
        plan.refresh_from_db()
        assert plan.superseded_by == region_run
    assert list(Run.objects.in_force()) == [region_run]


def test_it_refuses_a_cml_superseding_a_plan_the_drmg_approved(
    client, cml, drmg, make_run, rimouski
):
    drmg_plan = make_run(rls=rimouski, user=drmg, title="DRMG's")
    rls_run = make_run(rls=rimouski, user=cml, status=RunStatus.DONE)
    with pytest.raises(PlanInForce, match="was approved by the DRMG"):
        services.do_approve_run(rls_run, acting_user=cml, supersede_reason=REASON)
    drmg_plan.refresh_from_db()
    assert drmg_plan.is_in_force


def test_it_keeps_plans_of_two_rls_in_force_side_by_side(cml, make_run, rimouski, other_rls):
    mine = make_run(rls=rimouski, user=cml)
    theirs = make_run(rls=other_rls, user=demo_cml(other_rls))
    assert set(Run.objects.in_force()) == {mine, theirs}


def test_it_hides_superseded_letters_from_my_letters(
    physician_client, cml, drmg, make_run, rimouski
):
    first = make_run(rls=rimouski, user=cml, title="T3")
    services.do_write_letters(first, acting_user=cml)
    mine = Letter.objects.filter(run=first, physician_code=physician_code()).first()
    assert mine is not None
    page = physician_client.get(reverse("attribution:my-letters")).content.decode()
    assert f'data-run="{first.pk}"' in page
    second = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, title="T4")
    services.do_approve_run(second, acting_user=cml, supersede_reason=REASON)
    page = physician_client.get(reverse("attribution:my-letters")).content.decode()
    assert f'data-run="{first.pk}"' not in page
    assert reverse("attribution:letter-download", args=[mine.pk]) not in page
    assert f'data-testid="my-superseded-{first.pk}"' in page
    download = physician_client.get(reverse("attribution:letter-download", args=[mine.pk]))
    assert download.status_code == 404


def demo_cml(rls):
    from django.contrib.auth.models import User

    username = {"0115": "cml.rimouski"}.get(rls.code, "cml.kamouraska")
    return User.objects.get(username=username)


def physician_code() -> str:
    from django.contrib.auth.models import User

    return User.objects.get(username="medecin").profile.physician.code


def test_it_sends_back_the_patients_a_superseding_plan_saw_and_left_unplaced(
    cml, make_run, rimouski
):
    # Both plans computed on the same list; the second places none of the first's patients
    # (its plan emptied here): those it had among its orphans go back on the list.
    first_done = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, title="A")
    second = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, title="B")
    services.do_approve_run(first_done, acting_user=cml)
    proposed = set(
        WaitlistEntry.objects.filter(proposed_run_id=first_done.pk).values_list(
            "patient_code", flat=True
        )
    )
    kept = sorted(proposed)[: len(proposed) // 2]
    # Half of them were withheld from the second run (as if proposed when it started).
    Run.objects.filter(pk=second.pk).update(withheld_patients=kept)
    second.refresh_from_db()
    seen = sorted(proposed - set(kept))
    for code in seen[:3]:  # the CML leaves three of the others unassigned
        services.do_move_patient(second, code, None, acting_user=cml)
    placed = set(placed_patients(second))
    assert set(seen[:3]).isdisjoint(placed)
    services.do_approve_run(second, acting_user=cml, supersede_reason=REASON)
    statuses = dict(
        WaitlistEntry.objects.filter(patient_code__in=proposed).values_list(
            "patient_code", "status"
        )
    )
    for code in proposed:
        if code in placed:
            assert statuses[code] == WaitlistStatus.ASSIGNED
        elif code in kept:
            assert statuses[code] == WaitlistStatus.ASSIGNED, code  # left as proposed
        else:
            assert statuses[code] == WaitlistStatus.WAITING, code  # seen, not placed: back
    assert [statuses[code] for code in seen[:3]] == [WaitlistStatus.WAITING] * 3
