"""The records stay consistent where a review of issue 17 found them not to be: a
recognition post's deadline follows the recognition, writes re-read their row under a
lock, a decision added to a signed meeting withdraws the signatures, one agreed target in
force a month, back-to-back absences are one absence, a post vacated by a departure, and
the GMF list in a bounded number of queries. Each comment names what was wrong."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from web.audit.models import AuditEvent
from web.comanagement import alerts, figures, queries
from web.comanagement.errors import ComanagementError
from web.comanagement.models import Absence, DirectHire, Post, Target
from web.comanagement.services import people, performance, presence, programme
from web.regions.models import Gmf

D = datetime.date
RECOGNISED = D(2018, 4, 1)  # G1's recognition (conftest)


def _recognition_post(world, opened_on: datetime.date = RECOGNISED) -> Post:
    return programme.do_open_post(
        world.gmf,
        "nurse_clinician",
        Decimal("1.00"),
        "recognition",
        opened_on,
        acting_user=world.users["ciusss"],
    )


# BUG 1 (services/programme.py do_open_post): a post owed by the recognition takes any
# opened_on, and the core computes its deadline from that day, not from the GMF's
# recognition. Opened late, the post's deadline slides by a year or more: G1 was
# recognised on 1 April 2018 (first review 1 April 2019), so its recognition posts are
# due on 31 March 2019, whatever day the CISSS types.
# Decision: the post is accepted, its deadline follows the recognition (late at once).
def test_it_bounds_a_recognition_post_by_the_gmfs_first_annual_review(world):
    post = _recognition_post(world, opened_on=D(2026, 5, 1))
    assert queries.hiring_deadline(post) == D(2019, 3, 31)


# BUG 2 (services/programme.py do_agree_direct_hire): it checks the post is open on the
# caller's copy, outside the transaction and without select_for_update. A post filled
# by the CISSS/CIUSSS meanwhile (another request) is overwritten: filled_on/filled_by
# become the direct hire's, and the CIUSSS filling is lost.
def test_it_refuses_to_agree_a_direct_hire_on_a_post_filled_meanwhile(world):
    post = _recognition_post(world)
    hire = programme.do_record_direct_hire(
        post, "nurse_clinician", D(2026, 3, 1), acting_user=world.users["gmf"]
    )
    hire = DirectHire.objects.select_related("post").get(pk=hire.pk)  # the page's copy
    programme.do_fill_post(
        Post.objects.get(pk=post.pk),
        world.placement,
        D(2026, 2, 1),
        acting_user=world.users["ciusss"],
    )
    with pytest.raises(ComanagementError):
        programme.do_agree_direct_hire(hire, acting_user=world.users["ciusss"])
    post.refresh_from_db()
    assert (post.filled_by, post.filled_on) == ("ciusss", D(2026, 2, 1))


# BUG 2b (same function): two agreements at once (a double submit, two CISSS managers)
# both pass the "already agreed" check on their own copy: two DIRECT_HIRE_AGREED entries.
def test_it_agrees_a_direct_hire_once_when_two_requests_race(world):
    post = _recognition_post(world)
    hire = programme.do_record_direct_hire(
        post, "nurse_clinician", D(2026, 3, 1), acting_user=world.users["gmf"]
    )
    first = DirectHire.objects.select_related("post").get(pk=hire.pk)
    second = DirectHire.objects.select_related("post").get(pk=hire.pk)
    programme.do_agree_direct_hire(first, acting_user=world.users["ciusss"])
    with pytest.raises(ComanagementError):
        programme.do_agree_direct_hire(second, acting_user=world.users["ciusss"])
    assert AuditEvent.objects.filter(action="comgmt_direct_hire_agreed").count() == 1


# BUG 3 (services/performance.py do_record_meeting / do_record_meeting_decision): the
# recording side signs the meeting when it records it, before any decision exists; the
# other side then adds decisions and signs, and the meeting is "signed by both" and
# frozen although the first side never signed those decisions. A decision added after a
# signature must clear it (or be refused).
def test_it_does_not_freeze_a_meeting_on_decisions_one_side_never_signed(world):
    meeting = performance.do_record_meeting(
        world.gmf,
        held_on=D(2026, 3, 1),
        topic="integration",
        attendees="GMF, CISSS",
        minutes="",
        side="gmf",
        acting_user=world.users["gmf"],
    )
    # Decision: the decision is recorded and clears the GMF's signature.
    performance.do_record_meeting_decision(
        meeting,
        text="La CISSS réduit le temps",
        carried_by="ciusss",
        acting_user=world.users["ciusss"],
    )
    meeting = performance.do_sign_meeting(meeting, "ciusss", acting_user=world.users["ciusss"])
    assert not meeting.signed_by_both


def _agreed_target(world, start: datetime.date, value: str) -> Target:
    target = performance.do_propose_target(
        world.gmf,
        placement=None,
        indicator="patients_seen",
        value=Decimal(value),
        start=start,
        side="gmf",
        acting_user=world.users["gmf"],
    )
    return performance.do_sign_target(target, "ciusss", acting_user=world.users["ciusss"])


def _in_force(world, day: datetime.date) -> list[int]:
    return [
        target.pk
        for target in Target.objects.filter(gmf=world.gmf, start__lte=day)
        if target.agreed and (target.end is None or target.end > day)
    ]


# BUG 4a (services/performance.py do_sign_target): a changed target from the same month
# (start equal) does not end the earlier agreed one (``start__lt``): two agreed targets
# of the same indicator are in force together, and target_missed judges the month twice.
def test_it_keeps_one_agreed_target_in_force_when_a_changed_one_starts_the_same_month(world):
    _agreed_target(world, D(2026, 3, 1), "60")
    _agreed_target(world, D(2026, 3, 1), "50")
    assert len(_in_force(world, D(2026, 4, 1))) == 1


# BUG 4b (same): agreements out of order. The May target is agreed first; the March one
# agreed afterwards ends nothing and is never ended by the May one: two in force in May.
def test_it_keeps_one_agreed_target_in_force_when_agreed_out_of_order(world):
    _agreed_target(world, D(2026, 5, 1), "60")
    _agreed_target(world, D(2026, 3, 1), "50")
    assert len(_in_force(world, D(2026, 6, 1))) == 1


# BUG 5 (services/presence.py do_record_absence): an absence starting on the day another
# ends is accepted as a separate record (``exclude(end__lte=start)``), and the 4-week
# rule is judged per record: a sick leave recorded as 14 days then renewed for 35 days
# (49 days in a row) never requires a replacement. Back-to-back absences are one
# continuous absence: refuse the second ("change it instead") or count them together.
def test_it_counts_back_to_back_absences_as_one_continuous_absence(world):
    # Decision: the renewal is refused; the GMF changes the first absence instead, and
    # the 49 days in a row then require a replacement.
    gmf_user = world.users["gmf"]
    first = presence.do_record_absence(
        world.placement,
        start=D(2026, 9, 1),
        end=D(2026, 9, 15),
        foreseeable=False,
        reason="illness",
        acting_user=gmf_user,
    )
    with pytest.raises(ComanagementError):
        presence.do_record_absence(
            world.placement,
            start=D(2026, 9, 15),
            end=D(2026, 10, 20),
            foreseeable=False,
            reason="illness",
            acting_user=gmf_user,
        )
    assert Absence.objects.filter(placement=world.placement).count() == 1
    presence.do_change_absence(
        first,
        end=first.start + datetime.timedelta(days=49),
        foreseeable=False,
        acting_user=gmf_user,
    )
    found = alerts.alerts(Gmf.objects.filter(pk=world.gmf.pk), D(2026, 10, 10))
    assert "absence_not_replaced" in {row.kind for row in found}


# BUG 6 (services/people.py do_end_placement): ending the placement that fills a post
# leaves the post filled for ever: it is never vacant again, its FTE stays "filled" on the
# GMF page and hiring_deadline_passed / the EP 40 vacancy never see it.
def test_it_vacates_the_post_when_the_placement_filling_it_ends(world):
    post = _recognition_post(world)
    programme.do_fill_post(post, world.placement, D(2026, 1, 5), acting_user=world.users["ciusss"])
    people.do_end_placement(world.placement, D(2026, 6, 1), acting_user=world.users["ciusss"])
    post.refresh_from_db()
    assert figures.post_row(post, D(2026, 7, 1)).vacant


# BUG 7 (views/home.py + figures.gmf_rows, low): the GMF list runs 3 queries per GMF
# (reviews, posts, entitlement), so the DRMG's list grows with the region's GMFs.
def test_it_lists_the_regions_gmfs_in_a_number_of_queries_that_does_not_grow(world, client_for):
    client = client_for("drmg")
    counts = []
    for batch in (1, 6):
        for index in range(batch):
            Gmf.objects.create(
                code=f"N{batch}{index}",
                name=f"GMF {batch}{index}",
                rls=world.rls,
                kind="gmf",
                recognized_on=D(2018, 4, 1),
                annual_review_on=D(2026, 4, 1),
            )
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("comanagement:home")).status_code == 200
        counts.append(len(context.captured_queries))
    # Fixed: the reviews and posts are read at once for every GMF.
    assert counts[1] == counts[0], counts


# --- the lead's decisions on the findings ---------------------------------------------


def test_it_refuses_a_recognition_post_opened_before_the_recognition(world):
    with pytest.raises(ComanagementError):
        _recognition_post(world, opened_on=RECOGNISED - datetime.timedelta(days=1))
    assert not Post.objects.filter(gmf=world.gmf).exists()


def test_it_raises_the_hiring_alert_at_once_for_a_recognition_post_opened_late(world):
    post = _recognition_post(world, opened_on=D(2026, 5, 1))
    found = alerts.alerts(Gmf.objects.filter(pk=world.gmf.pk), D(2026, 5, 1))
    hiring = [row for row in found if row.kind == "hiring_deadline_passed"]
    assert [row.subject for row in hiring] == [f"post:{post.pk}"]
    assert hiring[0].due == D(2019, 3, 31)


def test_it_counts_a_late_recognition_post_vacant_from_its_opening_only(world):
    post = _recognition_post(world, opened_on=D(2026, 5, 1))
    vacancy = queries.vacancy(post, 2026, as_of=D(2026, 5, 10))
    assert vacancy is not None and vacancy.days_vacant == 10


def test_it_refuses_to_agree_a_direct_hire_on_a_post_closed_meanwhile(world):
    post = _recognition_post(world)
    hire = programme.do_record_direct_hire(
        post, "nurse_clinician", D(2026, 3, 1), acting_user=world.users["gmf"]
    )
    hire = DirectHire.objects.select_related("post").get(pk=hire.pk)
    programme.do_close_post(
        Post.objects.get(pk=post.pk), D(2026, 2, 1), acting_user=world.users["ciusss"]
    )
    with pytest.raises(ComanagementError):
        programme.do_agree_direct_hire(hire, acting_user=world.users["ciusss"])
    post.refresh_from_db()
    assert post.filled_on is None
    assert DirectHire.objects.get(pk=hire.pk).agreed_at is None


def test_it_closes_a_post_once_when_two_requests_race(world):
    post = _recognition_post(world)
    first, second = Post.objects.get(pk=post.pk), Post.objects.get(pk=post.pk)
    programme.do_close_post(first, D(2026, 2, 1), acting_user=world.users["ciusss"])
    with pytest.raises(ComanagementError):
        programme.do_close_post(second, D(2026, 3, 1), acting_user=world.users["ciusss"])
    assert Post.objects.get(pk=post.pk).closed_on == D(2026, 2, 1)


def test_it_ends_a_placement_once_when_two_requests_race(world):
    copy = type(world.placement).objects.get(pk=world.placement.pk)
    people.do_end_placement(world.placement, D(2026, 6, 1), acting_user=world.users["ciusss"])
    with pytest.raises(ComanagementError):
        people.do_end_placement(copy, D(2026, 7, 1), acting_user=world.users["ciusss"])
    world.placement.refresh_from_db()
    assert world.placement.end == D(2026, 6, 1)


def _meeting(world):
    return performance.do_record_meeting(
        world.gmf,
        held_on=D(2026, 3, 1),
        topic="integration",
        attendees="GMF, CISSS",
        minutes="",
        side="gmf",
        acting_user=world.users["gmf"],
    )


def test_it_clears_a_signature_when_a_decision_is_added_and_says_so(world):
    meeting = _meeting(world)
    decision = performance.do_record_meeting_decision(
        meeting, text="Réduire l'attente", carried_by="gmf", acting_user=world.users["ciusss"]
    )
    meeting.refresh_from_db()
    assert (meeting.gmf_signed_at, meeting.gmf_signed_by) == (None, None)
    assert decision.cleared_signatures == ["gmf"]
    entry = AuditEvent.objects.filter(action="comgmt_decision_recorded").get()
    assert entry.details["cleared_signatures"] == ["gmf"]
    performance.do_sign_meeting(meeting, "ciusss", acting_user=world.users["ciusss"])
    meeting = performance.do_sign_meeting(meeting, "gmf", acting_user=world.users["gmf"])
    assert meeting.signed_by_both
    with pytest.raises(ComanagementError):  # frozen once both have signed
        performance.do_record_meeting_decision(
            meeting, text="Une autre", carried_by="gmf", acting_user=world.users["gmf"]
        )


def test_it_tells_on_the_meeting_page_that_the_signatures_were_withdrawn(world, client_for):
    meeting = _meeting(world)
    client = client_for("ciusss")
    response = client.post(
        reverse("comanagement:decision-new", args=[meeting.pk]),
        {"text": "Réduire l'attente", "carried_by": "ciusss", "due_on": ""},
        follow=True,
    )
    page = response.content.decode()
    assert "Les signatures ont été retirées" in page or "The signatures were withdrawn" in page


def test_it_records_a_decision_on_an_unsigned_meeting_without_a_withdrawal(world):
    meeting = _meeting(world)
    meeting.gmf_signed_at = meeting.gmf_signed_by = None
    meeting.save()
    decision = performance.do_record_meeting_decision(
        meeting, text="Une décision", carried_by="gmf", acting_user=world.users["gmf"]
    )
    assert decision.cleared_signatures == []


def test_it_supersedes_a_same_month_target_and_leaves_it_out_of_the_records(world):
    from web.comanagement import records

    old = _agreed_target(world, D(2026, 3, 1), "60")
    new = _agreed_target(world, D(2026, 3, 1), "50")
    old.refresh_from_db()
    assert old.end == old.start
    assert [row.id for row in records.targets(Target.objects.filter(gmf=world.gmf))] == [
        records.subject_id(new)
    ]
    entry = AuditEvent.objects.filter(action="comgmt_target_signed").order_by("pk").last()
    assert entry.details["ended"] == [old.pk]


def test_it_ends_an_earlier_target_at_the_new_one_and_the_new_one_at_a_later_one(world):
    march = _agreed_target(world, D(2026, 3, 1), "60")
    may = _agreed_target(world, D(2026, 5, 1), "55")
    april = _agreed_target(world, D(2026, 4, 1), "50")
    march.refresh_from_db()
    may.refresh_from_db()
    april.refresh_from_db()
    assert (march.end, april.end, may.end) == (D(2026, 4, 1), D(2026, 5, 1), None)
    for day, expected in ((D(2026, 3, 15), march), (D(2026, 4, 15), april), (D(2026, 6, 1), may)):
        assert _in_force(world, day) == [expected.pk]


def test_it_refuses_an_absence_ending_the_day_another_starts(world):
    gmf_user = world.users["gmf"]
    presence.do_record_absence(
        world.placement,
        start=D(2026, 9, 15),
        end=D(2026, 9, 30),
        foreseeable=False,
        reason="illness",
        acting_user=gmf_user,
    )
    with pytest.raises(ComanagementError):
        presence.do_record_absence(
            world.placement,
            start=D(2026, 9, 1),
            end=D(2026, 9, 15),
            foreseeable=False,
            reason="illness",
            acting_user=gmf_user,
        )
    # A day apart is another absence.
    presence.do_record_absence(
        world.placement,
        start=D(2026, 9, 1),
        end=D(2026, 9, 14),
        foreseeable=False,
        reason="illness",
        acting_user=gmf_user,
    )
    assert Absence.objects.filter(placement=world.placement).count() == 2


def test_it_refuses_to_change_an_absence_s_end_onto_the_next_one(world):
    gmf_user = world.users["gmf"]
    first = presence.do_record_absence(
        world.placement,
        start=D(2026, 9, 1),
        end=D(2026, 9, 10),
        foreseeable=False,
        reason="illness",
        acting_user=gmf_user,
    )
    presence.do_record_absence(
        world.placement,
        start=D(2026, 9, 20),
        end=D(2026, 9, 30),
        foreseeable=False,
        reason="illness",
        acting_user=gmf_user,
    )
    for end in (D(2026, 9, 20), D(2026, 9, 25), None):
        with pytest.raises(ComanagementError):
            presence.do_change_absence(first, end=end, foreseeable=False, acting_user=gmf_user)
    first.refresh_from_db()
    assert first.end == D(2026, 9, 10)
    presence.do_change_absence(first, end=D(2026, 9, 19), foreseeable=False, acting_user=gmf_user)
    first.refresh_from_db()
    assert first.end == D(2026, 9, 19)


def test_it_shows_a_post_vacant_since_its_placement_ended_and_not_filled(world):
    post = _recognition_post(world)
    programme.do_fill_post(post, world.placement, D(2026, 1, 5), acting_user=world.users["ciusss"])
    people.do_end_placement(world.placement, D(2026, 6, 1), acting_user=world.users["ciusss"])
    post = Post.objects.select_related("gmf", "placement").get(pk=post.pk)
    before = figures.post_row(post, D(2026, 5, 31))
    assert not before.vacant and before.vacated_on is None
    row = figures.post_row(post, D(2026, 7, 1))
    # Late only as its filling was (no deadline to fill it again).
    assert row.vacant and row.vacated_on == D(2026, 6, 1) and row.late == before.late
    assert "(départ)" in row.status or "(departure)" in row.status
    fte = figures.gmf_figures(world.gmf, D(2026, 7, 1)).fte
    nurse = next(line for line in fte if line.type == "nurse_clinician")
    assert (nurse.allocated, nurse.filled) == (Decimal("1.00"), Decimal("0.00"))
    listed = figures.gmf_rows(Gmf.objects.filter(pk=world.gmf.pk), D(2026, 7, 1))[0]
    assert listed.filled == Decimal("0.00")


def test_it_lists_only_a_managers_own_statistics_imports_and_the_drmg_all(world, client_for):
    from web.tables.models import ImportJob, ImportStatus

    for name in ("gmf", "gmf2", "ciusss"):
        ImportJob.objects.create(
            region=world.region,
            kind="gmf_statistics",
            mode="add",
            source_name=f"import-of-{name}.csv",
            staged_file=f"/nonexistent/{name}.csv",
            created_by=world.users[name],
            status=ImportStatus.FAILED,
        )

    def listed(user: str) -> set[str]:
        page = client_for(user).get(reverse("comanagement:statistics")).content.decode()
        section = page.split('data-testid="statistics-jobs"')[1]
        return {name for name in ("gmf", "gmf2", "ciusss") if f"import-of-{name}.csv" in section}

    assert listed("gmf") == {"gmf"}
    assert listed("ciusss") == {"ciusss"}
    assert listed("drmg") == {"gmf", "gmf2", "ciusss"}
