"""The patient's journey after the plan (issue 15, section 3; docs/attribution-journey.md):
waiting → proposed → registered (an import) or returned (refused, unreachable) → back on
the list or removed; each step in the history and the audit trail; the next run offers the
returned patients, not the proposed ones; statuses survive a re-import of the list."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.urls import reverse
from django.utils import timezone

from panelcare.attribution import store
from web.attribution import services
from web.attribution.journey import journey_counts, placed_patients
from web.audit.models import AuditEvent
from web.regions import services as regions_services
from web.regions.errors import WaitlistStatusError
from web.regions.models import (
    Physician,
    RegionsAction,
    WaitlistEntry,
    WaitlistReason,
    WaitlistStatus,
    WaitlistStatusEvent,
)
from web.regions.testing import write_version
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(make_run, cml, rimouski):
    """An approved plan of Rimouski-Neigette, by its CML."""
    return make_run(rls=rimouski, user=cml, title="T3")


def proposed_entry(run, index=0) -> WaitlistEntry:
    code = sorted(placed_patients(run))[index]
    return WaitlistEntry.objects.select_related("rls", "rls__region").get(patient_code=code)


def test_it_proposes_the_plans_patients_with_physician_month_and_history(plan, cml):
    placed = placed_patients(plan)
    entry = proposed_entry(plan)
    physician, month = placed[entry.patient_code]
    assert (entry.status, entry.proposed_run_id) == (WaitlistStatus.ASSIGNED, plan.pk)
    assert (entry.proposed_physician_code, entry.proposed_month) == (physician, month)
    (event,) = WaitlistStatusEvent.objects.filter(patient_code=entry.patient_code)
    assert (event.from_status, event.to_status, event.reason) == (
        WaitlistStatus.WAITING,
        WaitlistStatus.ASSIGNED,
        WaitlistReason.PLAN_APPROVED,
    )
    assert (event.run_id, event.physician_code, event.month, event.by) == (
        plan.pk,
        physician,
        month,
        cml,
    )
    assert journey_counts(plan)["proposed"] == len(placed)


def test_it_returns_an_unreachable_patient_only_after_the_regions_attempts(plan, cml):
    entry = proposed_entry(plan)
    assert entry.rls.region.contact_attempts == 2
    with pytest.raises(WaitlistStatusError, match="0 contact attempts recorded"):
        regions_services.do_return_waitlist_entry(
            entry, WaitlistReason.UNREACHABLE, acting_user=cml
        )
    regions_services.do_record_contact_attempt(entry, "no answer", acting_user=cml)
    with pytest.raises(WaitlistStatusError, match="1 contact attempt recorded"):
        regions_services.do_return_waitlist_entry(
            entry, WaitlistReason.UNREACHABLE, acting_user=cml
        )
    regions_services.do_record_contact_attempt(entry, "voicemail", acting_user=cml)
    regions_services.do_return_waitlist_entry(entry, WaitlistReason.UNREACHABLE, acting_user=cml)
    entry.refresh_from_db()
    assert (entry.status, entry.proposed_run_id, entry.proposed_physician_code) == (
        WaitlistStatus.RETURNED,
        None,
        "",
    )
    reasons = list(
        WaitlistStatusEvent.objects.filter(patient_code=entry.patient_code).values_list(
            "reason", flat=True
        )
    )
    assert reasons == [
        WaitlistReason.PLAN_APPROVED,
        WaitlistReason.CONTACT_ATTEMPT,
        WaitlistReason.CONTACT_ATTEMPT,
        WaitlistReason.UNREACHABLE,
    ]
    audit = AuditEvent.objects.get(action=RegionsAction.WAITLIST_RETURNED)
    assert (audit.actor, audit.details["attempts"], audit.details["run"]) == (cml, 2, plan.pk)
    counts = journey_counts(plan)
    assert counts["returned"] == 1
    assert counts["returned_by_reason"][WaitlistReason.UNREACHABLE] == 1


def test_it_refuses_the_journeys_forbidden_moves(plan, cml, rimouski):
    waiting = WaitlistEntry.objects.filter(rls=rimouski, status=WaitlistStatus.WAITING).first()
    assert waiting is not None
    with pytest.raises(WaitlistStatusError, match="cannot go from “Waiting” to “Returned"):
        regions_services.do_return_waitlist_entry(
            waiting, WaitlistReason.REFUSED_BY_PATIENT, acting_user=cml
        )
    with pytest.raises(WaitlistStatusError, match="proposed to a physician only"):
        regions_services.do_record_contact_attempt(waiting, acting_user=cml)
    entry = proposed_entry(plan)
    with pytest.raises(WaitlistStatusError, match="Choose why"):
        regions_services.do_return_waitlist_entry(entry, WaitlistReason.REMOVED, acting_user=cml)
    with pytest.raises(WaitlistStatusError, match="Say why"):
        regions_services.do_remove_waitlist_entry(entry, "  ", acting_user=cml)
    regions_services.do_remove_waitlist_entry(entry, "Moved to Montréal", acting_user=cml)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WITHDRAWN
    with pytest.raises(WaitlistStatusError, match="cannot go from “Removed from the list”"):
        regions_services.do_return_waitlist_entry(
            entry, WaitlistReason.REFUSED_BY_PATIENT, acting_user=cml
        )
    assert journey_counts(plan)["removed"] == 1


def test_it_offers_returned_patients_to_the_next_run_not_proposed_ones(plan, cml, rimouski):
    returned = proposed_entry(plan, 0)
    still_proposed = proposed_entry(plan, 1)
    regions_services.do_return_waitlist_entry(
        returned, WaitlistReason.REFUSED_BY_PHYSICIAN, "full", acting_user=cml
    )
    following = services.do_start_run(rimouski, {}, timezone.localdate(), acting_user=cml)
    following.refresh_from_db()
    orphans = set(store.read_plan(following.folder / "plan").orphans.patient_id.tolist())
    assert returned.patient_code in orphans
    assert still_proposed.patient_code not in orphans
    assert still_proposed.patient_code in following.withheld_patients
    # The returned patient keeps their priority and request date.
    entry = WaitlistEntry.objects.get(patient_code=returned.patient_code)
    assert (entry.priority, entry.requested_on) == (returned.priority, returned.requested_on)


def test_it_keeps_statuses_and_history_across_a_waiting_list_re_import(plan, cml, region):
    returned = proposed_entry(plan, 0)
    proposed = proposed_entry(plan, 1)
    regions_services.do_return_waitlist_entry(
        returned, WaitlistReason.REFUSED_BY_PATIENT, acting_user=cml
    )
    waitlist = read_dataset(Dataset.current(region, DatasetKind.WAITLIST))
    write_version(region, DatasetKind.WAITLIST, waitlist.slice(0, waitlist.num_rows))
    again = WaitlistEntry.objects.get(patient_code=proposed.patient_code)
    assert (again.status, again.proposed_run_id, again.proposed_physician_code) == (
        WaitlistStatus.ASSIGNED,
        plan.pk,
        proposed.proposed_physician_code,
    )
    assert again.proposed_month == proposed.proposed_month
    assert WaitlistEntry.objects.get(patient_code=returned.patient_code).status == (
        WaitlistStatus.RETURNED
    )
    assert WaitlistStatusEvent.objects.filter(patient_code=returned.patient_code).count() == 2


def test_it_marks_registered_the_patients_seen_in_a_registrations_import(plan, cml, region):
    entry = proposed_entry(plan)
    physician = Physician.objects.get(code=entry.proposed_physician_code)
    registrations = read_dataset(Dataset.current(region, DatasetKind.REGISTRATIONS))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    added = pa.table(
        {
            "patient_id": pa.array([entry.patient_code], pa.string()),
            "physician_id": pa.array([physician.code], pa.string()),
            "site_id": pa.array([physician.site.code], pa.string()),
            "start_date": pa.array([yesterday], pa.date32()),
            "end_date": pa.array([None], pa.date32()),
        }
    )
    others = registrations.filter(
        pc.not_equal(registrations.column("patient_id"), entry.patient_code)
    )
    write_version(region, DatasetKind.REGISTRATIONS, pa.concat_tables([others, added]))
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.REGISTERED
    event = WaitlistStatusEvent.objects.filter(patient_code=entry.patient_code).last()
    assert (event.from_status, event.reason, event.physician_code, event.run_id) == (
        WaitlistStatus.ASSIGNED,
        WaitlistReason.REGISTERED_IMPORT,
        physician.code,
        plan.pk,
    )
    assert AuditEvent.objects.filter(action=RegionsAction.WAITLIST_REGISTERED).exists()
    counts = journey_counts(plan)
    assert counts["registered"] == 1
    assert counts["physicians"][physician.code]["registered"] == 1
    # Registered is the journey's end.
    with pytest.raises(WaitlistStatusError):
        regions_services.do_remove_waitlist_entry(entry, "late", acting_user=cml)


# --------------------------------------------------------------------------- pages


def test_it_shows_the_journey_and_records_a_return_from_the_patients_page(client, plan, cml):
    entry = proposed_entry(plan)
    url = reverse("attribution:run-journey", args=[plan.pk, entry.patient_code])
    client.force_login(cml)
    page = client.get(url).content.decode()
    assert 'data-testid="journey-status">Proposed to a physician<' in page
    assert page.count('data-testid="journey-event"') == 1
    client.post(url, {"action": "attempt", "note": "no answer"})
    response = client.post(
        url, {"action": "return", "reason": "refused_patient", "note": "moved"}, follow=True
    )
    html = response.content.decode()
    assert "The patient is back on the waiting list." in html
    assert 'data-testid="journey-status">Returned to the list<' in html
    assert html.count('data-testid="journey-event"') == 3 and "Refused by the patient" in html


def test_it_lists_a_physicians_proposed_patients_in_the_follow_up(client, plan, cml):
    entry = proposed_entry(plan)
    code = entry.proposed_physician_code
    url = reverse("attribution:followup-physician", args=[plan.pk, code])
    client.force_login(cml)
    page = client.get(url).content.decode()
    assert f'data-testid="patient-{entry.patient_code}"' in page
    assert 'data-testid="physician-pace"' in page
    response = client.post(
        reverse("attribution:run-journey", args=[plan.pk, entry.patient_code]),
        {"action": "attempt", "note": "", "next": url},
    )
    assert response.status_code == 302 and response["Location"] == url
    assert regions_services.contact_attempts(entry) == 1


def test_it_refuses_the_journey_pages_to_others(
    client, plan, other_cml_client, physician_client, gmf_manager_client, drmg_client
):
    entry = proposed_entry(plan)
    journey = reverse("attribution:run-journey", args=[plan.pk, entry.patient_code])
    follow = reverse(
        "attribution:followup-physician", args=[plan.pk, entry.proposed_physician_code]
    )
    assert drmg_client.get(journey).status_code == 200
    for url in (journey, follow):
        assert other_cml_client.get(url).status_code == 404
        assert physician_client.get(url).status_code == 403
        assert gmf_manager_client.get(url).status_code == 403
    refused = other_cml_client.post(journey, {"action": "remove", "note": "x"})
    assert refused.status_code == 404
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.ASSIGNED
    # A patient outside the run's RLS is not the run's.
    outsider = WaitlistEntry.objects.exclude(rls=plan.rls).first()
    outside = reverse("attribution:run-journey", args=[plan.pk, outsider.patient_code])
    assert drmg_client.get(outside).status_code == 404


def test_it_counts_the_journey_in_the_follow_up_and_the_quarterly_tables(
    client, plan, cml, rimouski
):
    returned = proposed_entry(plan, 0)
    removed = proposed_entry(plan, 1)
    regions_services.do_return_waitlist_entry(
        returned, WaitlistReason.REFUSED_BY_PHYSICIAN, acting_user=cml
    )
    regions_services.do_remove_waitlist_entry(removed, "Moved away", acting_user=cml)
    client.force_login(cml)
    followup = client.get(reverse("attribution:followup", args=[plan.pk])).content.decode()
    proposed = len(placed_patients(plan))
    assert f'data-testid="journey-proposed">{proposed}<' in followup
    assert f'data-testid="journey-still-proposed">{proposed - 2}<' in followup
    assert 'data-testid="journey-refused-physician">1<' in followup
    assert 'data-testid="journey-removed">1<' in followup
    assert 'data-testid="followup-physician-link"' in followup
    quarterly = client.get(reverse("attribution:quarterly")).context["report"]
    (row,) = [row for row in quarterly.tables["journey"].rows if row["rls_code"] == rimouski.code]
    assert (row["proposed"], row["refused_physician"], row["removed"]) == (proposed, 1, 1)
    assert (row["proposed_now"], row["returned_now"]) == (proposed - 2, 1)
    page = client.get(reverse("attribution:quarterly")).content.decode()
    assert 'data-testid="quarterly-journey"' in page


def test_it_shows_a_physician_only_counts_of_their_own(physician_client, plan):
    page = physician_client.get(reverse("attribution:my-letters")).content.decode()
    for code in placed_patients(plan):
        assert code not in page


def test_it_counts_a_returned_patient_as_waiting_again_on_the_dashboard(
    client, plan, cml, rimouski
):
    client.force_login(cml)

    def waiting() -> int:
        rows = client.get(reverse("dashboard:home")).context["waitlist_rows"]
        (row,) = [row for row in rows if row.rls_name == rimouski.name]
        return row.total

    before = waiting()
    regions_services.do_return_waitlist_entry(
        proposed_entry(plan), WaitlistReason.REFUSED_BY_PATIENT, acting_user=cml
    )
    assert waiting() == before + 1


def test_it_links_the_run_patient_page_to_the_journey(client, plan, cml):
    entry = proposed_entry(plan)
    client.force_login(cml)
    page = client.get(
        reverse("attribution:run-patient", args=[plan.pk, entry.patient_code])
    ).content.decode()
    assert reverse("attribution:run-journey", args=[plan.pk, entry.patient_code]) in page
