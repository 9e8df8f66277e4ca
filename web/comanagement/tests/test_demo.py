"""The demo region's co-management (web/comanagement/demo.py, docs/demo-region.md): on the
day the demo is loaded, at least one alert of every kind, the GMFs at their stages, the
post the demo's DRMG notice names, schedules the agreement validates, and nothing written
outside the region.

The tiny demo (``demo``, web/conftest.py) is loaded today, so the tests read the day's
figures from the data (docs/testing.md); the tiny region has two GMFs, so its "full" GMF
is checked on a region with a third one (``third_gmf_demo``)."""

from __future__ import annotations

import datetime
from collections import Counter

import pyarrow as pa
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from panelcare.comanagement import obligations
from panelcare.comanagement import schedules as core
from web.accounts.models import Profile
from web.comanagement import alerts, figures, queries, records, reference
from web.comanagement.demo import DEMO_ESTABLISHMENT, demo_gmfs, new_gmf_recognized_on
from web.comanagement.models import (
    INDICATORS,
    Absence,
    AttendanceRecord,
    FollowUpMeeting,
    IntegrationItem,
    Placement,
    Post,
    Professional,
    Schedule,
    Target,
    TrainingRequest,
)
from web.comanagement.services.presence import core_schedule, schedule_rules
from web.regions import demo as regions_demo
from web.regions.models import Establishment, Gmf, Region, Rls
from web.tables.models import Dataset

pytestmark = pytest.mark.django_db


def _alerts_today() -> list[alerts.AlertRow]:
    return alerts.alerts(Gmf.objects.all(), timezone.localdate())


def test_it_shows_at_least_one_alert_of_every_kind_on_the_day_of_the_load(demo):
    kinds = Counter(row.kind for row in _alerts_today())
    assert set(kinds) == set(obligations.KINDS), kinds
    # integration_item_overdue: one item of each side (EMR access, QHR key).
    owners = {row.owner for row in _alerts_today() if row.kind == "integration_item_overdue"}
    assert owners == {"gmf", "ciusss"}


def test_it_names_the_records_each_alert_comes_from(demo):
    rows = {row.kind: row for row in _alerts_today()}
    subjects = {kind: records.parse_subject(row.subject) for kind, row in rows.items()}
    assert subjects["hiring_deadline_passed"][0] is Post
    assert subjects["absence_not_replaced"][0] is Absence
    assert subjects["schedule_not_validated"][0] is Schedule
    assert subjects["attendance_not_approved"][0] is AttendanceRecord
    assert subjects["training_request_pending"][0] is TrainingRequest
    assert subjects["integration_item_overdue"][0] is IntegrationItem
    assert subjects["target_missed"][0] is Target
    # The target missed is the nurse clinician's 60 patients seen (48 last month).
    target = Target.objects.get(pk=subjects["target_missed"][1])
    assert (target.indicator, target.value) == ("patients_seen", 60)
    # The vacant post belongs to the GMF whose level rose (gestion.gmf's).
    manager = User.objects.get(username="gestion.gmf")
    post = Post.objects.get(pk=subjects["hiring_deadline_passed"][1])
    assert post.gmf == manager.profile.gmf and post.filled_on is None


def test_it_leaves_records_that_raise_nothing(demo):
    """Not every record is late: validated schedules, filled posts, met targets, a replaced
    absence, approved attendance, a signed meeting."""
    alerted = {row.subject for row in _alerts_today()}
    for model, filters in (
        (Schedule, {"status": "validated"}),
        (Post, {"filled_on__isnull": False}),
        (AttendanceRecord, {"approved_on__isnull": False}),
        (Absence, {"replacements__isnull": False}),
        (Target, {"gmf_signed_at__isnull": False, "ciusss_signed_at__isnull": False}),
    ):
        quiet = [
            obj for obj in model.objects.filter(**filters) if records.subject_id(obj) not in alerted
        ]
        assert quiet, model.__name__
    assert any(meeting.signed_by_both for meeting in FollowUpMeeting.objects.all())
    targets = Target.objects.filter(gmf_signed_at__isnull=False, ciusss_signed_at__isnull=False)
    missed = {row.subject for row in _alerts_today() if row.kind == "target_missed"}
    assert len(missed) == 1 and len(targets) > 1


def _cast(today: datetime.date):
    noticed = regions_demo._demo_notice_physician("tiny", regions_demo.DEFAULT_SEED, today)
    return demo_gmfs(Region.objects.get(), today, notice_physician=noticed)


def test_it_puts_the_gmfs_at_their_stages(demo):
    today = timezone.localdate()
    cast = _cast(today)
    assert figures.gmf_stage(cast.rose, today) == "raised"
    assert cast.new is not None
    new = Gmf.objects.get(pk=cast.new.pk)
    assert new.recognized_on == new_gmf_recognized_on(today)
    assert figures.gmf_stage(new, today) == "new"
    # Its recognition posts are in selection and not late (due the day before its first
    # annual review).
    for post in Post.objects.filter(gmf=new, opened_by="recognition"):
        assert queries.hiring_deadline(post) >= today
    assert not [
        row
        for row in _alerts_today()
        if row.gmf.pk == new.pk and row.kind == "hiring_deadline_passed"
    ]


def test_it_validates_every_validated_schedule_under_the_agreement(demo):
    validated = Schedule.objects.filter(status="validated").select_related(
        "placement__professional__establishment"
    )
    assert validated.count() >= 3
    for schedule in validated:
        _version, rules = schedule_rules(schedule.placement, schedule.decided_on)
        assert core.validate(core_schedule(schedule), rules, on=schedule.decided_on) == []
    # The nurse clinicians' Monday-to-Friday weeks (FIQ, 37.5 h) are among them.
    assert validated.filter(placement__professional__agreement="fiq").exists()


def test_it_places_professionals_of_the_shipped_agreements(demo):
    establishment = Establishment.objects.get(code=DEMO_ESTABLISHMENT[0])
    version = reference.rules_in_force(establishment, timezone.localdate())
    assert version is not None and version.illustrative
    book = reference.agreement_book(version)
    professionals = Professional.objects.filter(establishment=establishment)
    assert {p.agreement for p in professionals} == {"fiq", "apts"}
    for professional in professionals:
        book.rules_for(
            job_title=professional.job_title,
            agreement=professional.agreement,
            establishment=establishment.code,
        )


def test_it_sets_up_the_establishment_and_the_accounts(demo):
    region = Region.objects.get()
    establishment = Establishment.objects.get(code="cisss_bsl")
    assert establishment.name == "CISSS du Bas-Saint-Laurent"
    assert set(Rls.objects.filter(region=region)) == set(establishment.rls_set.all())
    assert Profile.objects.get(user__username="ciusss").establishment == establishment
    # The co-management's accounts have an address for the alerts; a CML's would show in
    # the attribution letters.
    emails = dict(User.objects.values_list("username", "email"))
    assert emails["drmg"] == "drmg@demo.panelcare.local"
    assert emails["gestion.gmf"] and emails["ciusss"]
    assert emails["cml.rimouski"] == ""


def test_it_writes_twelve_months_of_statistics_for_the_professionals(demo):
    region = Region.objects.get()
    dataset = Dataset.current(region, "gmf_statistics")
    assert dataset is not None and dataset.version == 1
    from web.tables.store import read_dataset

    table: pa.Table = read_dataset(dataset, ["professional_id", "month"])
    months = Counter(table.column("professional_id").to_pylist())
    last = obligations.last_complete_month(timezone.localdate())
    assert max(table.column("month").to_pylist()) == last
    # The professionals placed over a year ago have their twelve months.
    year_ago = obligations.add_months(last, -11)
    old = Placement.objects.filter(start__lte=year_ago)
    assert old.exists()
    for placement in old:
        assert months[placement.professional.employee_number] == 12
    assert set(INDICATORS) <= set(read_dataset(dataset).column_names)


def test_it_gives_the_notice_physician_s_gmf_a_post_filled_late_last_year(demo):
    today = timezone.localdate()
    year = today.year - 1
    noticed = regions_demo._demo_notice_physician("tiny", regions_demo.DEFAULT_SEED, today)
    assert noticed is not None
    region = Region.objects.get()
    post, justification = regions_demo._demo_notice_post(region, noticed, year)
    assert post.filled_on == datetime.date(year, 10, 15)
    vacancy = queries.vacancy(post, year)
    assert vacancy is not None and vacancy.deadline == datetime.date(year, 6, 30)
    assert vacancy.days_vacant == (post.filled_on - vacancy.deadline).days - 1
    assert f"{vacancy.days_vacant} jours en {year}" in justification


def test_it_records_the_demo_s_notice_with_its_post(demo):
    from web.assiduity.models import DrmgNotice

    region = Region.objects.get()
    today = timezone.localdate()
    # Only the notice: the computations are the assiduity's tests' (web/conftest.py).
    noticed = regions_demo._demo_notice_physician("tiny", regions_demo.DEFAULT_SEED, today)
    post, justification = regions_demo._demo_notice_post(region, noticed, today.year - 1)
    from web.assiduity import services

    notice = services.do_record_drmg_notice(
        region,
        noticed,
        today.year - 1,
        justification,
        acting_user=User.objects.get(username="drmg"),
        post=post,
    )
    assert DrmgNotice.objects.get().post == post
    assert notice.justification.startswith("Poste vacant après l'échéance d'embauche du ")


def test_it_writes_nothing_outside_the_region(demo):
    region = Region.objects.get()
    assert Establishment.objects.exclude(region=region).count() == 0
    for model in (Post, Placement, Target, FollowUpMeeting):
        assert not model.objects.exclude(gmf__rls__region=region).exists()
    assert not Professional.objects.exclude(establishment__region=region).exists()
    assert set(Dataset.objects.values_list("region", flat=True)) == {region.pk}


def test_it_reports_what_it_loaded(demo):
    counts = demo.counts
    for name in ("Establishment", "LevelTableVersion", "AgreementRulesVersion", "Post"):
        assert counts[name] >= 1, name
    assert counts["Placement"] == Placement.objects.count()
    assert counts["Dataset gmf_statistics"] > 0


@pytest.fixture
def third_gmf_demo(monkeypatch: pytest.MonkeyPatch):
    """The tiny demo with a third plain GMF in the first RLS (the tiny region has two)."""
    generate = regions_demo.generate_tables

    def with_third_gmf(scale, seed, as_of):
        tables = generate(scale, seed, as_of)
        gmfs = tables["gmfs"]
        row = gmfs.slice(0, 1).to_pylist()[0]
        row.update(gmf_id="G0099", name="GMF du Parc de Rimouski")
        tables["gmfs"] = pa.concat_tables([gmfs, pa.Table.from_pylist([row], schema=gmfs.schema)])
        return tables

    monkeypatch.setattr(regions_demo, "generate_tables", with_third_gmf)
    return regions_demo.load_demo("tiny")


def test_it_staffs_a_third_gmf_fully_when_the_region_has_one(third_gmf_demo):
    today = timezone.localdate()
    cast = _cast(today)
    assert cast.full is not None and cast.full.code == "G0099"
    assert figures.gmf_stage(cast.full, today) == "steady"
    assert {figures.gmf_stage(gmf, today) for gmf in (cast.rose, cast.new, cast.full)} == {
        "raised",
        "new",
        "steady",
    }
    posts = Post.objects.filter(gmf=cast.full)
    assert posts.exists() and not posts.filter(filled_on__isnull=True).exists()
    assert not [row for row in _alerts_today() if row.gmf.code == "G0099"]
