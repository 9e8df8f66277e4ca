"""The access rules of every role on the tiny demo region (2 RLS, one user per role).

Expected sets are computed here in plain Python from all the rows, not with the access
module's own queries, so that a wrong filter cannot agree with itself.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from web.accounts import access
from web.accounts.models import Role
from web.attribution.models import Run, RunStatus
from web.regions.models import (
    GmfMembership,
    Patient,
    Physician,
    Region,
    Registration,
    WaitlistEntry,
)
from web.regions.testing import make_user, write_version
from web.tables.kinds import DatasetKind, all_kinds
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db

REGIONAL = ["drmg", "ciusss", "coach"]
EVERY_ROLE = ["drmg", "cml.rimouski", "cml.kamouraska", "gestion.gmf", "ciusss", "medecin", "coach"]


def user(username: str) -> User:
    # A fresh instance each time (like the ``demo_user`` fixture): the profile is cached on
    # the user object.
    return User.objects.get(username=username)


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


@pytest.fixture
def facts(own_rls, other_rls) -> dict:
    """Facts of the tiny region (the shared ``demo``), read without the access module."""
    today = timezone.localdate()
    own, other = own_rls, other_rls
    gestion = user("gestion.gmf").profile.gmf
    medecin = user("medecin").profile.physician

    def in_force(start, end) -> bool:
        return start <= today and (end is None or end > today)

    # Plain rows (values, not model instances): every row of the region is read per test.
    members = {
        code
        for code, gmf_id, start, end in GmfMembership.objects.values_list(
            "physician__code", "gmf_id", "start_date", "end_date"
        )
        if gmf_id == gestion.pk and in_force(start, end)
    }
    registrations = [
        (patient, physician, physician_id)
        for patient, physician, physician_id, start, end in Registration.objects.values_list(
            "patient__code", "physician__code", "physician_id", "start_date", "end_date"
        )
        if patient is not None and in_force(start, end)
    ]
    return {
        "own": own,
        "other": other,
        "gmf": gestion,
        "physician": medecin,
        "gmf_members": members,
        "gmf_patients": {
            patient for patient, physician, _ in registrations if physician in members
        },
        "physician_patients": {
            patient for patient, _, physician_id in registrations if physician_id == medecin.pk
        },
    }


def test_it_gives_the_demo_a_user_per_role(demo, facts):
    roles = {username: user(username).profile.role for username in EVERY_ROLE}
    assert roles == {
        "drmg": Role.DRMG,
        "cml.rimouski": Role.CML,
        "cml.kamouraska": Role.CML,
        "gestion.gmf": Role.GMF_MANAGER,
        "ciusss": Role.CIUSSS_MANAGER,
        "medecin": Role.PHYSICIAN,
        "coach": Role.QI_COACH,
    }
    # The data the other tests rely on exists: otherwise they would pass on empty sets.
    assert facts["gmf"].rls == facts["own"]
    assert facts["physician"].code in facts["gmf_members"]
    assert facts["physician_patients"]
    assert facts["gmf_patients"] > facts["physician_patients"]
    assert Patient.objects.filter(rls=facts["other"]).exists()
    assert WaitlistEntry.objects.filter(rls=facts["own"]).exists()
    assert WaitlistEntry.objects.filter(rls=facts["other"]).exists()


# --- profile_for ---------------------------------------------------------------------------


def test_it_refuses_a_user_without_a_profile(demo):
    with pytest.raises(PermissionDenied):
        access.profile_for(make_user_without_profile())


def test_it_refuses_a_superuser_without_a_profile(demo):
    admin = user("admin")
    assert admin.is_superuser
    with pytest.raises(PermissionDenied):
        access.visible_rls(admin)


def test_it_refuses_an_anonymous_visitor(demo):
    with pytest.raises(PermissionDenied):
        access.visible_patients(AnonymousUser())


def make_user_without_profile() -> User:
    return User.objects.create(username="nobody")


# --- visible_rls ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("drmg", "both"),
        ("ciusss", "both"),
        ("coach", "both"),
        ("cml.rimouski", "own"),
        ("cml.kamouraska", "other"),
        ("gestion.gmf", "own"),
        ("medecin", "own"),
    ],
)
def test_it_shows_each_role_its_rls(facts, username, expected):
    own, other = facts["own"].code, facts["other"].code
    wanted = {"both": {own, other}, "own": {own}, "other": {other}}[expected]
    assert codes(access.visible_rls(user(username))) == wanted


# --- visible_physicians --------------------------------------------------------------------


@pytest.mark.parametrize("username", REGIONAL)
def test_it_shows_regional_roles_every_physician(facts, username):
    assert codes(access.visible_physicians(user(username))) == codes(Physician.objects.all())


def test_it_shows_a_cml_the_physicians_of_their_rls_only(facts):
    own, other = facts["own"], facts["other"]
    rimouski = codes(access.visible_physicians(user("cml.rimouski")))
    kamouraska = codes(access.visible_physicians(user("cml.kamouraska")))
    assert rimouski == codes(Physician.objects.filter(rls=own))
    assert kamouraska == codes(Physician.objects.filter(rls=other))
    assert rimouski and kamouraska
    assert not rimouski & kamouraska


def test_it_shows_a_gmf_manager_the_members_of_their_gmf_today(facts):
    visible = codes(access.visible_physicians(user("gestion.gmf")))
    assert visible == facts["gmf_members"]
    assert visible
    assert len(visible) < Physician.objects.filter(rls=facts["own"]).count()


def test_it_leaves_out_a_gmf_member_whose_membership_has_ended(facts):
    gmf_manager = user("gestion.gmf")
    assert facts["physician"].code in codes(access.visible_physicians(gmf_manager))
    # The memberships are an imported table: a new version ends the physician's membership.
    region = facts["own"].region
    rows = read_dataset(Dataset.current(region, "gmf_memberships"))
    ended = [
        row["gmf_id"] == facts["gmf"].code and row["physician_id"] == facts["physician"].code
        for row in rows.select(["gmf_id", "physician_id"]).to_pylist()
    ]
    assert any(ended)
    end_dates = pc.if_else(
        pa.array(ended), pa.scalar(timezone.localdate(), pa.date32()), rows.column("end_date")
    )
    index = rows.column_names.index("end_date")
    write_version(region, "gmf_memberships", rows.set_column(index, "end_date", end_dates))
    assert facts["physician"].code not in codes(access.visible_physicians(gmf_manager))


def test_it_shows_a_physician_only_themself(facts):
    assert codes(access.visible_physicians(user("medecin"))) == {facts["physician"].code}


# --- visible_patients ----------------------------------------------------------------------


def test_it_shows_the_drmg_every_patient_of_the_region(facts):
    assert access.visible_patients(user("drmg")).count() == Patient.objects.count()


def test_it_shows_a_cml_the_residents_of_their_rls_only(facts):
    own, other = facts["own"], facts["other"]
    rimouski = codes(access.visible_patients(user("cml.rimouski")))
    kamouraska = codes(access.visible_patients(user("cml.kamouraska")))
    assert rimouski == codes(Patient.objects.filter(rls=own))
    assert kamouraska == codes(Patient.objects.filter(rls=other))
    assert rimouski and kamouraska
    assert not rimouski & kamouraska


def test_it_shows_a_gmf_manager_the_patients_registered_with_their_members(facts):
    visible = access.visible_patients(user("gestion.gmf"))
    assert codes(visible) == facts["gmf_patients"]
    # One row per patient, even for a patient with several registrations over time.
    assert visible.count() == len(facts["gmf_patients"])


def test_it_shows_a_physician_their_registered_patients_only(facts):
    assert codes(access.visible_patients(user("medecin"))) == facts["physician_patients"]


@pytest.mark.parametrize("username", ["ciusss", "coach"])
def test_it_shows_no_patient_to_counts_only_roles(facts, username):
    assert not access.visible_patients(user(username)).exists()


# --- visible_waitlist ----------------------------------------------------------------------


def test_it_shows_the_drmg_the_whole_waiting_list(facts):
    assert access.visible_waitlist(user("drmg")).count() == WaitlistEntry.objects.count()


def test_it_shows_a_cml_the_waiting_list_of_their_rls(facts):
    visible = access.visible_waitlist(user("cml.kamouraska"))
    assert set(visible.values_list("pk", flat=True)) == set(
        WaitlistEntry.objects.filter(rls=facts["other"]).values_list("pk", flat=True)
    )


@pytest.mark.parametrize("username", ["gestion.gmf", "ciusss", "medecin", "coach"])
def test_it_hides_the_waiting_list_from_other_roles(facts, username):
    assert not access.visible_waitlist(user(username)).exists()


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("drmg", True),
        ("cml.rimouski", True),
        ("cml.kamouraska", True),
        ("gestion.gmf", False),
        ("ciusss", False),
        ("medecin", False),
        ("coach", False),
        ("admin", False),
    ],
)
def test_it_lets_only_the_drmg_and_cmls_list_waiting_patients(facts, username, allowed):
    assert access.can_list_waitlist(user(username)) is allowed


# --- can_see_full_hin ----------------------------------------------------------------------


def test_it_shows_the_full_hin_to_the_drmg(facts):
    patient = Patient.objects.filter(rls=facts["other"]).first()
    assert access.can_see_full_hin(user("drmg"), patient)


def test_it_shows_the_full_hin_to_the_cml_of_the_patients_rls_only(facts):
    patient = Patient.objects.filter(rls=facts["own"]).first()
    assert access.can_see_full_hin(user("cml.rimouski"), patient)
    assert not access.can_see_full_hin(user("cml.kamouraska"), patient)


def test_it_shows_the_full_hin_to_the_patients_own_physician_only(facts):
    own_patient = Patient.objects.get(code=sorted(facts["physician_patients"])[0])
    someone_else = Patient.objects.exclude(code__in=facts["physician_patients"]).first()
    assert access.can_see_full_hin(user("medecin"), own_patient)
    assert not access.can_see_full_hin(user("medecin"), someone_else)


@pytest.mark.parametrize("username", ["gestion.gmf", "ciusss", "coach", "admin"])
def test_it_masks_the_hin_for_everybody_else(facts, username):
    # The GMF manager may open this patient's record, but with the number masked.
    patient = Patient.objects.get(code=sorted(facts["physician_patients"])[0])
    assert not access.can_see_full_hin(user(username), patient)


# --- access_* ------------------------------------------------------------------------------


def test_it_returns_an_rls_of_the_users_territory(facts):
    assert access.access_rls(user("cml.rimouski"), facts["own"].code) == facts["own"]


def test_it_answers_404_for_an_rls_of_another_territory(facts):
    with pytest.raises(Http404):
        access.access_rls(user("cml.rimouski"), facts["other"].code)


def test_it_answers_404_for_a_physician_of_another_rls(facts):
    with pytest.raises(Http404):
        access.access_physician(user("cml.kamouraska"), facts["physician"].code)
    assert access.access_physician(user("cml.rimouski"), facts["physician"].code)


def test_it_answers_404_for_a_colleagues_physician_record(facts):
    colleague = Physician.objects.exclude(pk=facts["physician"].pk).first()
    with pytest.raises(Http404):
        access.access_physician(user("medecin"), colleague.code)


def test_it_answers_404_for_a_patient_outside_the_users_panel(facts):
    stranger = Patient.objects.exclude(code__in=facts["physician_patients"]).first()
    with pytest.raises(Http404):
        access.access_patient(user("medecin"), stranger.code)


def test_it_answers_404_alike_for_a_patient_who_does_not_exist(facts):
    with pytest.raises(Http404):
        access.access_patient(user("drmg"), "no-such-patient")


def test_it_answers_404_for_any_patient_to_a_counts_only_role(facts):
    patient = Patient.objects.first()
    with pytest.raises(Http404):
        access.access_patient(user("coach"), patient.code)


def test_it_lets_a_gmf_manager_open_a_patient_of_their_gmf(facts):
    code = sorted(facts["gmf_patients"])[0]
    assert access.access_patient(user("gestion.gmf"), code).code == code


# --- scope_label ---------------------------------------------------------------------------


def test_it_describes_each_users_territory(facts):
    region = facts["own"].region
    with translation.override("en"):
        assert access.scope_label(user("drmg")) == f"Region {region.name}"
        assert access.scope_label(user("cml.rimouski")) == f"RLS {facts['own'].name}"
        assert access.scope_label(user("gestion.gmf")) == facts["gmf"].name
        assert access.scope_label(user("medecin")) == f"Panel of {facts['physician'].name}"


def test_it_names_every_rls_of_a_cml_with_several(facts):
    cml = make_user(Role.CML, rls=[facts["own"], facts["other"]])
    label = access.scope_label(cml)
    assert facts["own"].name in label
    assert facts["other"].name in label


# --- the attribution's purpose -------------------------------------------------------------

WORKERS = {"drmg", "cml.rimouski", "cml.kamouraska"}


@pytest.mark.parametrize("username", EVERY_ROLE)
def test_it_opens_the_attribution_to_the_drmg_and_the_cmls_only(facts, username):
    if username not in WORKERS:
        with pytest.raises(PermissionDenied):
            access.check_purpose(user(username), access.Purpose.ATTRIBUTION)
        with pytest.raises(PermissionDenied):
            access.visible_rls(user(username), access.Purpose.ATTRIBUTION)
        with pytest.raises(PermissionDenied):
            access.visible_runs(user(username))
        with pytest.raises(PermissionDenied):
            access.visible_audit_events(user(username))
        assert access.can_work_on_region(user(username)) is False
        return
    profile = access.check_purpose(user(username), access.Purpose.ATTRIBUTION)
    assert profile.user.username == username


@pytest.mark.parametrize("username", EVERY_ROLE)
def test_it_links_each_role_to_the_pages_it_may_open(client, facts, username):
    client.force_login(user(username))
    assert access.allows(user(username), access.Purpose.VIEW)
    assert access.allows(user(username), access.Purpose.ATTRIBUTION) is (username in WORKERS)
    assert access.can_read_own_letters(user(username)) is (username == "medecin")
    body = client.get(reverse("dashboard:home")).content.decode()
    assert ('data-testid="nav-attribution"' in body) is (username in WORKERS)
    assert ('data-testid="nav-my-letters"' in body) is (username == "medecin")


def test_it_links_nothing_for_a_user_without_a_profile(demo):
    nobody = make_user_without_profile()
    assert not access.allows(nobody, access.Purpose.VIEW)
    assert not access.can_read_own_letters(nobody)


def test_it_narrows_the_rls_worked_on_to_the_cmls_own(facts):
    own, other = facts["own"], facts["other"]
    worked = {
        username: codes(access.visible_rls(user(username), access.Purpose.ATTRIBUTION))
        for username in WORKERS
    }
    assert worked == {
        "drmg": {own.code, other.code},
        "cml.rimouski": {own.code},
        "cml.kamouraska": {other.code},
    }
    # The GMF manager sees their RLS's figures, but does not work on it.
    assert codes(access.visible_rls(user("gestion.gmf"))) == {own.code}


def test_it_gives_the_scope_codes_of_each_worker(facts):
    own, other = facts["own"], facts["other"]
    assert access.scope_codes(user("drmg")) == []  # the whole region
    assert access.scope_codes(user("cml.rimouski")) == [own.code]
    assert access.scope_codes(user("cml.kamouraska")) == [other.code]
    # A CML without an RLS must not read as the whole region.
    with pytest.raises(PermissionDenied):
        access.scope_codes(make_user(Role.CML, region=own.region))


def test_it_lets_only_the_drmg_run_the_whole_region(facts):
    own, other = facts["own"], facts["other"]
    assert access.access_territory(user("drmg"), "") is None
    assert access.access_territory(user("drmg"), other.code) == other
    assert access.access_territory(user("cml.rimouski"), own.code) == own
    with pytest.raises(PermissionDenied):
        access.access_territory(user("cml.rimouski"), "")
    with pytest.raises(Http404):
        access.access_territory(user("cml.rimouski"), other.code)
    with pytest.raises(PermissionDenied):
        access.access_territory(user("gestion.gmf"), own.code)


def test_it_checks_rls_only_the_data_can_tell(facts):
    own, other = facts["own"].code, facts["other"].code
    access.check_works_on(user("drmg"), [own, other])
    access.check_works_on(user("cml.rimouski"), [own])
    with pytest.raises(Http404):
        access.check_works_on(user("cml.rimouski"), [own, other])
    with pytest.raises(PermissionDenied):
        access.check_works_on(user("cml.rimouski"), [other], reveal=True)
    with pytest.raises(PermissionDenied):
        access.check_works_on(user("medecin"), [own])


def test_it_lets_a_cml_import_only_the_kinds_an_rls_holds(facts):
    # Every kind but the GMFs' statistics, which the co-management's pages import (they
    # check each row's GMF against the importer's).
    every = [kind.name for kind in all_kinds() if kind.name != "gmf_statistics"]
    assert [kind.name for kind in access.importable_kinds(user("drmg"))] == every
    of_cml = [kind.name for kind in access.importable_kinds(user("cml.rimouski"))]
    assert of_cml == ["physicians", "waitlist", "registrations"]
    for username in ["gestion.gmf", "ciusss", "medecin", "coach"]:
        with pytest.raises(PermissionDenied):
            access.importable_kinds(user(username))
    with pytest.raises(PermissionDenied):  # a CML without an RLS: not the whole region
        access.importable_kinds(make_user(Role.CML, region=facts["own"].region))


def test_it_opens_the_letter_templates_to_the_drmg_only(facts):
    assert access.access_letter_templates(user("drmg")) == facts["own"].region
    for username in EVERY_ROLE[1:]:
        with pytest.raises(PermissionDenied):
            access.access_letter_templates(user(username))


def test_it_gives_a_physician_their_own_record_only(facts):
    assert access.access_own_physician(user("medecin")) == facts["physician"]
    with pytest.raises(PermissionDenied):
        access.access_own_physician(user("drmg"))


def test_it_shows_a_physician_the_approved_runs_of_their_region_only(facts):
    region = facts["own"].region
    tables = {
        "physicians": Dataset.current(region, DatasetKind.PHYSICIANS),
        "waitlist": Dataset.current(region, DatasetKind.WAITLIST),
        "created_by": user("drmg"),
    }

    def run(status: str, where: Region = region) -> Run:
        return Run.objects.create(
            region=where, run_date=timezone.localdate(), status=status, **tables
        )

    approved = run(RunStatus.APPROVED)
    run(RunStatus.DONE)
    run(RunStatus.APPROVED, Region.objects.create(code="99", name="Ailleurs"))
    assert list(access.visible_own_runs(user("medecin"))) == [approved]
    for username in EVERY_ROLE:
        if username != "medecin":
            with pytest.raises(PermissionDenied):
                access.visible_own_runs(user(username))


def test_it_lists_the_people_holding_a_role_in_the_region(facts):
    region = facts["own"].region
    cmls = {profile.user.username for profile in access.region_cmls(region)}
    assert cmls == {"cml.rimouski", "cml.kamouraska"}
    assert {profile.user.username for profile in access.region_drmgs(region)} == {"drmg"}


def test_it_lists_an_rls_waiting_list_to_the_roles_that_may_only(facts):
    own, other = facts["own"], facts["other"]
    rls, entries = access.access_waitlist(user("cml.rimouski"), own.code)
    assert rls == own and entries.count() == WaitlistEntry.objects.filter(rls=own).count()
    with pytest.raises(Http404):
        access.access_waitlist(user("cml.rimouski"), other.code)
    with pytest.raises(PermissionDenied):  # their RLS, counts only
        access.access_waitlist(user("gestion.gmf"), own.code)
    with pytest.raises(Http404):  # not their RLS: not even revealed
        access.access_waitlist(user("gestion.gmf"), other.code)


# --- the audit trail -----------------------------------------------------------------------


def test_it_shows_each_worker_the_audit_entries_of_their_scope(facts):
    from web.audit.services import record
    from web.regions.models import RegionsAction

    region = facts["own"].region
    own, other = facts["own"].code, facts["other"].code
    drmg = user("drmg")

    def entry(**kwargs):
        return record(RegionsAction.WAITLIST_STATUS, region=region, acting_user=drmg, **kwargs)

    entries = {
        "own": entry(rls_code=own),
        "other": entry(rls_code=other),
        "region": entry(),
        "import_own": entry(scope=[own]),
        "import_both": entry(scope=[own, other]),
        "import_region": entry(scope=[]),
    }
    elsewhere = Region.objects.create(code="99", name="Ailleurs")
    foreign = record(
        RegionsAction.WAITLIST_STATUS, region=elsewhere, acting_user=None, rls_code=own
    )

    def shown(username: str) -> set[str]:
        pks = set(access.visible_audit_events(user(username)).values_list("pk", flat=True))
        return {name for name, event in entries.items() if event.pk in pks}

    assert shown("drmg") == set(entries)
    assert not access.visible_audit_events(drmg).filter(pk=foreign.pk).exists()
    assert not access.visible_audit_events(user("cml.rimouski")).filter(pk=foreign.pk).exists()
    assert shown("cml.rimouski") == {"own", "import_own"}
    assert shown("cml.kamouraska") == {"other"}
    both = make_user(Role.CML, rls=[facts["own"], facts["other"]])
    shown_to_both = set(access.visible_audit_events(both).values_list("pk", flat=True))
    assert {name for name, event in entries.items() if event.pk in shown_to_both} == {
        "own",
        "other",
        "import_own",
        "import_both",
    }


def test_it_exports_exactly_the_access_api():
    # Every public function and class the module defines, and nothing it only imports.
    defined = {
        name
        for name, value in vars(access).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == access.__name__
    }
    assert sorted(access.__all__) == sorted(defined)
    assert {"Purpose", "access_run", "visible_own_runs", "importable_kinds"} <= defined
    assert all(callable(getattr(access, name)) for name in access.__all__)
