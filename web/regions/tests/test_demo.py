"""The demo loader: what it loads, idempotency, all-or-nothing, the demo accounts, the
attribution's records of issue 19 (the full demo's only)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from web.accounts.models import Profile, Role
from web.attribution.gmfs import target_in_force
from web.attribution.models import (
    AttributionAction,
    AttributionMode,
    DeclarationStatus,
    GmfTarget,
    GmfTargetStatus,
    Le304File,
    PhysicianDecision,
    PhysicianDeclaration,
    ProblemReport,
    ProblemStatus,
)
from web.attribution.services_declarations import do_submit_declaration
from web.audit.models import AuditEvent
from web.quality import demo as quality_demo
from web.regions import demo
from web.regions.models import (
    Gmf,
    GmfMembership,
    Ips,
    IpsPartnership,
    Patient,
    Physician,
    PracticeGroupMembership,
    Region,
    Registration,
    Rls,
    ServiceAgreement,
    Site,
    WaitlistEntry,
)
from web.regions.testing import DEMO_PASSWORD, load_tiny_demo
from web.tables import projections
from web.tables.kinds import all_kinds
from web.tables.models import Dataset, TableAction

pytestmark = pytest.mark.django_db

TABLE_MODELS = {
    "regions": Region,
    "rls": Rls,
    "gmfs": Gmf,
    "sites": Site,
    "ips": Ips,
    "physicians": Physician,
    "patients": Patient,
    "registrations": Registration,
    "waitlist": WaitlistEntry,
    "gmf_memberships": GmfMembership,
    "practice_groups": PracticeGroupMembership,
    "ips_partnerships": IpsPartnership,
    "service_agreements": ServiceAgreement,
}


def row_counts() -> dict[str, int]:
    counts = {table: model.objects.count() for table, model in TABLE_MODELS.items()}
    counts["users"] = User.objects.count()
    counts["profiles"] = Profile.objects.count()
    return counts


def test_it_loads_every_generated_row():
    tables = demo.generate_tables("tiny", demo.DEFAULT_SEED, timezone.localdate())
    report = load_tiny_demo()
    assert not report.already_loaded
    loaded = row_counts()
    for table in TABLE_MODELS:
        assert loaded[table] == tables[table].num_rows, table
    assert loaded["patients"] > 0 and loaded["registrations"] > 0 and loaded["waitlist"] > 0


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_links_rows_to_the_right_parents():
    tables = demo.generate_tables("tiny", demo.DEFAULT_SEED, timezone.localdate())
    first = tables["registrations"].slice(0, 1).to_pylist()[0]
    registration = Registration.objects.select_related("patient", "physician", "site").get(
        patient__code=first["patient_id"], physician__code=first["physician_id"]
    )
    assert registration.site.code == first["site_id"]
    patient_row = next(
        row for row in tables["patients"].to_pylist() if row["patient_id"] == first["patient_id"]
    )
    assert registration.patient.rls.code == patient_row["rls_id"]
    assert registration.patient.health_insurance_number == patient_row["health_insurance_number"]


def test_it_changes_nothing_when_loaded_twice():
    load_tiny_demo()
    before = row_counts()
    report = load_tiny_demo()
    assert report.already_loaded
    assert report.counts == {}
    assert row_counts() == before
    assert [login.username for login in report.logins] == list(demo.DEMO_USERNAMES)


def test_it_leaves_no_row_when_the_load_fails_midway(monkeypatch):
    def failing_projection(region, table):
        # After the territory, the people, the roster and the waiting list went in.
        raise RuntimeError("disk full")

    monkeypatch.setattr(projections, "project_registrations", failing_projection)
    with pytest.raises(RuntimeError, match="disk full"):
        load_tiny_demo()
    assert all(count == 0 for count in row_counts().values())
    assert not Dataset.objects.exists()


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_writes_version_1_of_every_table_through_the_import_path():
    tables = demo.generate_tables("tiny", demo.DEFAULT_SEED, timezone.localdate())
    region = Region.objects.get()
    for kind in all_kinds():
        dataset = Dataset.current(region, kind.name)
        if kind.imported_on == "comanagement":
            # The GMFs' statistics: written by the co-management's demo (test_demo there).
            continue
        if kind.name not in tables:
            # A table the synthetic region does not make (the GMF-R coverage, an override
            # most regions never import) has no version.
            assert dataset is None, kind.name
            continue
        assert (dataset.version, dataset.rows) == (1, tables[kind.name].num_rows), kind.name
        assert dataset.imported_by is None
    # The import's audit entry, by nobody, with what the projection wrote.
    applied = AuditEvent.objects.filter(action=TableAction.IMPORT_APPLIED).exclude(
        details__kind="gmf_statistics"
    )
    assert sorted(event.details["kind"] for event in applied) == sorted(
        kind.name for kind in all_kinds() if kind.name in tables
    )
    registrations = applied.get(details__kind="registrations")
    assert registrations.actor is None
    assert registrations.details["projected"]["rows"] == Registration.objects.count()


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_projects_the_waiting_list_as_waiting_patients_of_their_rls():
    tables = demo.generate_tables("tiny", demo.DEFAULT_SEED, timezone.localdate())
    first = tables["waitlist"].slice(0, 1).to_pylist()[0]
    entry = WaitlistEntry.objects.select_related("patient", "rls").get(
        patient_code=first["patient_id"]
    )
    assert (entry.rls.code, entry.priority, entry.status) == (
        first["rls_id"],
        first["priority"],
        "waiting",
    )
    assert entry.patient.code == first["patient_id"]


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_creates_the_demo_accounts_on_the_tiny_region():
    first_rls, second_rls = Rls.objects.order_by("code")[:2]
    profiles = {p.user.username: p for p in Profile.objects.select_related("user", "gmf")}
    assert list(profiles["cml.rimouski"].rls.all()) == [first_rls]
    assert list(profiles["cml.kamouraska"].rls.all()) == [second_rls]
    assert profiles["gestion.gmf"].gmf.rls == first_rls
    physician = profiles["medecin"].physician
    assert physician.rls == first_rls
    assert Registration.objects.active_on(timezone.localdate()).filter(physician=physician)
    assert {p.role for p in profiles.values()} == set(Role)


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_makes_only_the_admin_a_staff_member():
    staff = User.objects.filter(is_staff=True)
    assert [(u.username, u.is_superuser) for u in staff] == [("admin", True)]
    assert not Profile.objects.filter(user__username="admin").exists()


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_gives_every_demo_account_the_demo_password():
    # One hash for all (computed once, see demo_password_hash): checking one checks all.
    # The QI groups' other physicians act through accounts that cannot log in.
    logins = User.objects.exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    hashes = set(logins.values_list("password", flat=True))
    assert len(hashes) == 1
    assert set(logins.values_list("username", flat=True)) == {*demo.DEMO_USERNAMES, "admin"}
    assert User.objects.get(username="medecin").check_password(DEMO_PASSWORD)


def test_it_prints_the_logins_table():
    out = io.StringIO()
    # The assiduity's computations are test_demo_assiduity.py's (slow).
    call_command("load_demo", "--no-assiduity", scale="tiny", stdout=out)
    printed = out.getvalue()
    for username in demo.DEMO_USERNAMES:
        assert username in printed
    assert DEMO_PASSWORD in printed
    out = io.StringIO()
    call_command("load_demo", "--no-assiduity", scale="tiny", stdout=out)
    assert "already loaded" in out.getvalue()


def test_it_refuses_an_unknown_scale():
    with pytest.raises(ValueError, match="scale"):
        demo.load_demo("planet")


def test_it_loads_without_a_query_per_row(django_assert_max_num_queries, monkeypatch):
    # About 15,000 rows; the inserts go in batches (SQLite caps a statement at 999
    # parameters, hence dozens of them), each of the 9 tables' version 1 takes about ten
    # (the import's write, its projection, its audit entry), and the demo users a handful.
    # The co-management's records are a fixed few hundred, written one by one through its
    # services as a user would (about 1,200 queries whatever the region's size): left out,
    # as are the QI groups' (a fixed few, through their services too).
    monkeypatch.setattr(demo, "load_comanagement", lambda *args, **kwargs: {})
    monkeypatch.setattr(quality_demo, "load_demo_quality", lambda *args, **kwargs: {})
    with django_assert_max_num_queries(200):
        load_tiny_demo()
    assert Patient.objects.count() + Registration.objects.count() > 3000


# --- The attribution's records of issue 19 (load_demo_attribution) --------------------------


def test_it_writes_the_attribution_records_only_for_the_full_demo(monkeypatch):
    # The assiduity's computations are test_demo_assiduity.py's (slow): left out.
    monkeypatch.setattr(demo, "load_demo_assiduity", lambda *args, **kwargs: [])
    report = demo.load_demo("tiny", assiduity=True)
    assert {name: report.counts.get(name) for name in ATTRIBUTION_COUNTS} == ATTRIBUTION_COUNTS
    assert GmfTarget.objects.count() == 2
    assert PhysicianDeclaration.objects.count() == 2
    assert ProblemReport.objects.count() == 2


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_leaves_the_attribution_records_out_of_the_fixtures_demo():
    # The browser tests walk the loops from a region without them (a first proposal, a
    # first declaration, one open problem).
    assert not GmfTarget.objects.exists()
    assert not PhysicianDeclaration.objects.exists()
    assert not ProblemReport.objects.exists()
    assert not Le304File.objects.exists()


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_writes_an_agreed_gmf_target_and_a_proposal_waiting():
    region = Region.objects.get()
    demo.load_demo_attribution(region, as_of=timezone.localdate())
    manager = User.objects.select_related("profile__gmf").get(username="gestion.gmf")
    gmf = manager.profile.gmf
    agreed, waiting = GmfTarget.objects.filter(gmf=gmf).order_by("proposed_on")
    assert GmfTarget.objects.exclude(gmf=gmf).count() == 0
    assert (agreed.status, agreed.value, agreed.proposed) == (
        GmfTargetStatus.AGREED,
        agreed.proposed,
        demo.DEMO_TARGET_PER_MEMBER[0] * 5,  # G0001's 5 members today
    )
    assert (agreed.proposed_by.username, agreed.decided_by.username) == (
        "gestion.gmf",
        "cml.rimouski",
    )
    assert agreed.decided_on > agreed.proposed_on
    assert (waiting.status, waiting.value, waiting.decided_by) == (
        GmfTargetStatus.PROPOSED,
        None,
        None,
    )
    assert waiting.proposed_by == manager and waiting.proposed > agreed.proposed
    assert target_in_force(gmf) == agreed
    # Through the services: each step has its audit entry, by its user.
    assert _audit(AttributionAction.GMF_TARGET_PROPOSED) == ["gestion.gmf", "gestion.gmf"]
    assert _audit(AttributionAction.GMF_TARGET_DECIDED) == ["cml.rimouski"]


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_writes_an_accepted_and_a_pending_declaration_of_other_physicians():
    region = Region.objects.get()
    demo.load_demo_attribution(region, as_of=timezone.localdate())
    declarations = {
        d.status: d
        for d in PhysicianDeclaration.objects.select_related("physician", "submitted_by")
    }
    assert sorted(declarations) == sorted([DeclarationStatus.ACCEPTED, DeclarationStatus.SUBMITTED])
    accepted = declarations[DeclarationStatus.ACCEPTED]
    pending = declarations[DeclarationStatus.SUBMITTED]
    # Neither the `medecin` account's physician nor a member of `gestion.gmf`'s GMF: the
    # browser tests declare as `medecin` (one pending at a time) and read G0001's members.
    medecin = Profile.objects.get(user__username="medecin").physician
    g0001 = set(
        GmfMembership.objects.active_on(timezone.localdate())
        .filter(gmf=Profile.objects.get(user__username="gestion.gmf").gmf)
        .values_list("physician_code", flat=True)
    )
    for declaration in (accepted, pending):
        assert declaration.physician != medecin
        assert declaration.physician.code not in g0001
        assert declaration.physician.rls.code == Rls.objects.order_by("code")[0].code
        # The physician's own account, which cannot log in.
        assert declaration.submitted_by.username == f"md.{declaration.physician.code.lower()}"
        assert not declaration.submitted_by.has_usable_password()
    assert accepted.physician != pending.physician
    assert accepted.reviewed_by.username == "cml.rimouski"
    # Accepting wrote the decision the next run reads.
    decision = PhysicianDecision.objects.get(physician_code=accepted.physician.code)
    assert (decision.mode, decision.updated_by.username) == (accepted.mode, "cml.rimouski")
    assert not PhysicianDecision.objects.filter(physician_code=pending.physician.code).exists()
    assert pending.reviewed_by is None
    assert _audit(AttributionAction.DECLARATION_SUBMITTED) == sorted(
        [accepted.submitted_by.username, pending.submitted_by.username]
    )
    assert _audit(AttributionAction.DECLARATION_REVIEWED) == ["cml.rimouski"]


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_writes_an_answered_and_an_open_problem():
    region = Region.objects.get()
    demo.load_demo_attribution(region, as_of=timezone.localdate())
    problems = {p.status: p for p in ProblemReport.objects.select_related("raised_by", "rls")}
    assert sorted(problems) == sorted([ProblemStatus.ANSWERED, ProblemStatus.OPEN])
    answered, open_ = problems[ProblemStatus.ANSWERED], problems[ProblemStatus.OPEN]
    assert (answered.raised_by.username, answered.answered_by.username) == (
        "cml.rimouski",
        "drmg",
    )
    assert answered.rls in Profile.objects.get(user__username="cml.rimouski").rls.all()
    assert answered.answer
    assert (open_.raised_by.username, open_.answered_by, open_.answer) == (
        "cml.kamouraska",
        None,
        "",
    )
    assert open_.rls in Profile.objects.get(user__username="cml.kamouraska").rls.all()
    assert _audit(AttributionAction.PROBLEM_RAISED) == ["cml.kamouraska", "cml.rimouski"]
    assert _audit(AttributionAction.PROBLEM_ANSWERED) == ["drmg"]


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_writes_the_attribution_records_once_and_no_kind_a_user_began(monkeypatch):
    region = Region.objects.get()
    today = timezone.localdate()
    # A person tried the demo: `medecin` declared (and is waiting), nothing else yet.
    medecin = Profile.objects.get(user__username="medecin").physician
    do_submit_declaration(
        medecin, mode=AttributionMode.BLOC, acting_user=User.objects.get(username="medecin")
    )
    counts = demo.load_demo_attribution(region, as_of=today)
    assert counts == {"GmfTarget": 2, "ProblemReport": 2}
    assert list(PhysicianDeclaration.objects.values_list("physician", flat=True)) == [medecin.pk]
    before = AuditEvent.objects.count()
    assert demo.load_demo_attribution(region, as_of=today) == {}
    assert AuditEvent.objects.count() == before
    # The full demo's load on a region already loaded writes no record it has already.
    monkeypatch.setattr(demo, "load_demo_assiduity", lambda *args, **kwargs: [])
    assert demo.load_demo("tiny", assiduity=True).already_loaded
    assert AuditEvent.objects.count() == before


@pytest.mark.usefixtures("demo")  # the shared tiny demo, loaded once per module
def test_it_writes_the_attribution_records_into_a_region_loaded_before_them(monkeypatch):
    monkeypatch.setattr(demo, "load_demo_assiduity", lambda *args, **kwargs: [])
    report = demo.load_demo("tiny", assiduity=True)
    assert report.already_loaded
    assert (
        GmfTarget.objects.count(),
        PhysicianDeclaration.objects.count(),
        ProblemReport.objects.count(),
    ) == (2, 2, 2)


def _audit(action: str) -> list[str]:
    """The usernames of the audit entries of ``action``, sorted."""
    return sorted(
        AuditEvent.objects.filter(action=action).values_list("actor__username", flat=True)
    )


ATTRIBUTION_COUNTS = {"GmfTarget": 2, "PhysicianDeclaration": 2, "ProblemReport": 2}
