"""A physician's own journey counts on "My letters" (issue 15, section 3;
docs/attribution-journey.md): what became of the patients each plan proposed to them
(proposed, registered, returned by reason, removed), whether they are behind the pace as
the CML's follow-up of them says, the same counts for a superseded plan; another
physician's counts never appear."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from web.accounts.models import Role
from web.attribution import services
from web.attribution.journey import PhysicianJourney, journey_counts, placed_patients
from web.attribution.models import RunStatus
from web.regions import services as regions_services
from web.regions.models import Physician, WaitlistEntry, WaitlistReason, WaitlistStatusEvent
from web.regions.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(make_run, cml, rimouski):
    """An approved plan of Rimouski-Neigette, by its CML."""
    return make_run(rls=rimouski, user=cml, title="T3")


def patients_of(run) -> dict[str, list[str]]:
    """The patients ``run``'s plan proposed to each physician, by code (sorted)."""
    by_physician: dict[str, list[str]] = {}
    for code, (physician, _month) in sorted(placed_patients(run).items()):
        by_physician.setdefault(physician, []).append(code)
    return by_physician


def two_busiest(run) -> tuple[str, str]:
    """The two physicians the plan proposed the most patients to."""
    counts = Counter({code: len(codes) for code, codes in patients_of(run).items()})
    (first, _), (second, _) = counts.most_common(2)
    return first, second


def entry(code: str) -> WaitlistEntry:
    return WaitlistEntry.objects.select_related("rls", "rls__region").get(patient_code=code)


def physician_user(code: str) -> User:
    return make_user(Role.PHYSICIAN, physician=Physician.objects.get(code=code))


def cell(run, key: str) -> str:
    return f'data-testid="journey-{run.pk}-{key}">'


def test_it_counts_a_physicians_patients_by_status_and_return_reason(client, plan, cml):
    physician, _other = two_busiest(plan)
    mine = patients_of(plan)[physician]
    assert len(mine) >= 4, "the demo plan gives its busiest physician a few patients"
    regions_services.do_return_waitlist_entry(
        entry(mine[0]), WaitlistReason.REFUSED_BY_PHYSICIAN, acting_user=cml
    )
    regions_services.do_return_waitlist_entry(
        entry(mine[1]), WaitlistReason.REFUSED_BY_PATIENT, acting_user=cml
    )
    for _attempt in range(2):
        regions_services.do_record_contact_attempt(entry(mine[2]), acting_user=cml)
    regions_services.do_return_waitlist_entry(
        entry(mine[2]), WaitlistReason.UNREACHABLE, acting_user=cml
    )
    regions_services.do_remove_waitlist_entry(entry(mine[3]), "Moved away", acting_user=cml)

    client.force_login(physician_user(physician))
    page = client.get(reverse("attribution:my-letters")).content.decode()
    assert f'data-testid="my-journey-{plan.pk}"' in page
    assert f"This plan proposed {len(mine)} patients to you." in page
    assert cell(plan, "still-proposed") + f"{len(mine) - 4}<" in page
    assert cell(plan, "registered") + "0<" in page
    assert cell(plan, "refused-physician") + "1<" in page
    assert cell(plan, "refused-patient") + "1<" in page
    assert cell(plan, "unreachable") + "1<" in page
    assert cell(plan, "removed") + "1<" in page
    # The region's number of attempts, stated; never a patient.
    assert "The region sets 2 contact attempts before a proposed patient" in page
    assert not any(code in page for code in placed_patients(plan))


def test_it_never_shows_a_physician_another_physicians_counts(client, plan, cml):
    physician, other = two_busiest(plan)
    theirs = patients_of(plan)[other]
    for code in theirs[:3]:
        regions_services.do_return_waitlist_entry(
            entry(code), WaitlistReason.REFUSED_BY_PATIENT, acting_user=cml
        )
    client.force_login(physician_user(physician))
    response = client.get(reverse("attribution:my-letters"))
    page = response.content.decode()
    (item,) = [item for item in response.context["items"] if item["run"] == plan]
    assert item["journey"].physician_code == physician
    assert item["journey"].proposed == len(patients_of(plan)[physician])
    assert cell(plan, "refused-patient") + "0<" in page  # the colleague's 3 are not theirs
    # Nor may they open the colleague's follow-up, where the CML reads it.
    follow = reverse("attribution:followup-physician", args=[plan.pk, other])
    assert client.get(follow).status_code == 403
    # The colleague reads their own.
    client.force_login(physician_user(other))
    assert (
        cell(plan, "refused-patient") + "3<"
        in client.get(reverse("attribution:my-letters")).content.decode()
    )


@pytest.mark.parametrize("username", ["drmg", "cml.rimouski", "gestion.gmf", "ciusss", "coach"])
def test_it_refuses_my_letters_to_anybody_but_a_physician(client_as, plan, username):
    assert client_as(username).get(reverse("attribution:my-letters")).status_code == 403


def test_it_says_a_physician_is_behind_as_the_cmls_follow_up_does(client, make_run, cml, rimouski):
    # Approved 100 days ago, nobody registered since: every physician with patients is
    # behind (expected to date: their pace times 3 whole months).
    approved = timezone.now() - datetime.timedelta(days=100)
    plan = make_run(rls=rimouski, user=cml, approved_at=approved)
    physician, _other = two_busiest(plan)
    client.force_login(physician_user(physician))
    mine = client.get(reverse("attribution:my-letters"))
    (item,) = [item for item in mine.context["items"] if item["run"] == plan]
    assert 'data-testid="my-behind"' in mine.content.decode()

    client.force_login(cml)
    theirs = client.get(reverse("attribution:followup-physician", args=[plan.pk, physician]))
    assert 'data-testid="physician-behind"' in theirs.content.decode()
    # One computation, read by both pages.
    assert item["journey"].progress == theirs.context["journey"].progress
    assert item["journey"].behind and item["journey"].progress.expected_to_date > 0
    assert theirs.context["journey"].proposed == item["journey"].proposed


def test_it_counts_what_became_of_a_superseded_plans_patients(client, make_run, cml, rimouski):
    # Both computed on the same list (the second offers the first's patients), the first
    # approved, then superseded by the second.
    first = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, title="T3")
    second = make_run(rls=rimouski, user=cml, status=RunStatus.DONE, title="T4")
    first = services.do_approve_run(first, acting_user=cml)
    physician, _other = two_busiest(first)
    mine = patients_of(first)[physician]
    regions_services.do_return_waitlist_entry(
        entry(mine[0]), WaitlistReason.REFUSED_BY_PHYSICIAN, acting_user=cml
    )
    services.do_write_letters(first, acting_user=cml)
    services.do_approve_run(second, acting_user=cml, supersede_reason="A newer roster.")
    first.refresh_from_db()

    counts = journey_counts(first)
    moved = set(
        WaitlistStatusEvent.objects.filter(
            run_id=second.pk, reason=WaitlistReason.PLAN_APPROVED, from_status="assigned"
        ).values_list("patient_code", flat=True)
    )
    assert moved, "the second plan takes over some of the first's proposed patients"
    # Taken over by the superseding plan: no longer "still proposed" by the first.
    assert counts["handed_over"] == len(moved & set(placed_patients(first)))
    assert counts["proposed"] == sum(
        counts[key]
        for key in (
            "still_proposed",
            "registered",
            "returned",
            "removed",
            "back_to_list",
            "handed_over",
        )
    )

    client.force_login(physician_user(physician))
    page = client.get(reverse("attribution:my-letters")).content.decode()
    assert f'data-testid="my-superseded-{first.pk}"' in page
    assert f'data-testid="my-journey-{first.pk}"' in page
    assert cell(first, "refused-physician") + "1<" in page
    # The second plan, computed on the same list, takes over the physician's others.
    assert counts["physicians"][physician]["handed_over"] == len(mine) - 1
    assert cell(first, "handed-over") + f"{len(mine) - 1}<" in page
    assert cell(first, "still-proposed") + "0<" in page
    # The CML's follow-up of the superseded plan counts them too, so its columns add up.
    client.force_login(cml)
    followup = client.get(reverse("attribution:followup", args=[first.pk])).content.decode()
    assert f'data-testid="journey-handed-over">{counts["handed_over"]}<' in followup


def test_it_writes_the_counts_with_french_thousands_separators(plan):
    journey = PhysicianJourney(
        run=plan, physician_code="M1", contact_attempts=1, proposed=1234, still_proposed=1234
    )
    with translation.override("fr"):
        html = render_to_string("attribution/letters/_my_journey.html", {"journey": journey})
    assert cell(plan, "still-proposed") + "1\xa0234<" in html
    assert "1\xa0234" in html.split('data-testid="journey-counts')[0]  # the sentence too


def test_it_states_the_regions_number_of_attempts_on_the_journey_pages(client, plan, cml, drmg):
    patient = entry(sorted(placed_patients(plan))[0])
    region = patient.rls.region
    regions_services.do_set_contact_attempts(region, 3, acting_user=drmg)
    client.force_login(cml)
    journey = reverse("attribution:run-journey", args=[plan.pk, patient.patient_code])
    page = client.get(journey).content.decode()
    assert "The region sets 3 contact attempts before a proposed patient" in page
    assert '<option value="unreachable">Unreachable after 3 contact attempts</option>' in page
    follow = reverse(
        "attribution:followup-physician", args=[plan.pk, patient.proposed_physician_code]
    )
    page = client.get(follow).content.decode()
    assert "Unreachable after 3 contact attempts" in page
    assert "The region sets 3 contact attempts before a proposed patient" in page
    # The returns read the new number: two attempts are no longer enough.
    for _attempt in range(2):
        regions_services.do_record_contact_attempt(patient, acting_user=cml)
    response = client.post(journey, {"action": "return", "reason": "unreachable"}, follow=True)
    assert "2 contact attempts recorded: the region sets 3" in response.content.decode()
    patient.refresh_from_db()
    assert patient.status == "assigned"
