"""Load the synthetic demo region into the database, with one demo user per role.

The tables come from :mod:`panelcare.synth` in memory (no file), in the shape of the data
contracts (``docs/data-contract.md``). The
whole load is one transaction: it either completes or leaves the database as it was. It is
idempotent: when the region is already in the database, nothing is written.

The territory and the people (regions, RLS, GMFs, sites, physicians, IPS-SPL, patients)
are written here; the extract tables the region imports (physicians' roster, waiting list,
registrations, visits, GMF sites, GMF memberships, practice groups, IPS-SPL partnerships,
service agreements: every kind of :mod:`web.tables.kinds`) go in as their version 1
through the import's own path (:func:`web.tables.demo.write_first_versions`), which
projects them into the database as every later import does (visits have no projection:
the assiduity pages read their version).

Then the co-management (:func:`load_comanagement`): the CISSS du Bas-Saint-Laurent,
holding every RLS, and its records with the GMFs, written through the co-management's
services with every date relative to ``as_of`` (:mod:`web.comanagement.demo`).

With ``assiduity=True`` (``manage.py load_demo``, so ``make run``), the region's assiduity
rates are then computed through the web's own services for the last complete year and
the current year to date (:func:`load_demo_assiduity`), after one DRMG notice is recorded
(EP 40, 15.01 B, with the co-management's post left vacant past its deadline): the
synthetic visits steer a few physicians per RLS under the target
(:func:`panelcare.synth.steered_rates`), so that every tier and the paritary committee's
list show. The same flag writes the attribution's records of issue 19 through its
services, as the demo users (:func:`load_demo_attribution`): a GMF target agreed and a
proposal waiting, a declaration accepted and one pending, a problem answered and one
open. The test fixtures leave it off: they compute what they need, and the browser tests
walk these loops from a region that has none of them.

Speed: the region scale (about 200,000 patients and 174,000 registrations) goes through
``bulk_create`` in batches, with primary keys read back from the inserts to link the next
tables, so the number of queries does not grow with the number of rows per object.
"""

from __future__ import annotations

import datetime
import functools
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from panelcare import synth
from panelcare.synth.world import STEERED_RATES
from web.accounts.access import scope_label
from web.accounts.models import Profile, Role
from web.regions.models import (
    Establishment,
    Gmf,
    GmfKind,
    GmfMembership,
    Ips,
    Patient,
    Physician,
    Region,
    Rls,
    Site,
)

# The one password of every demo account; printed by `manage.py load_demo`.
DEMO_PASSWORD = "demo-panelcare-2026"
# The e-mail addresses of the co-management's demo accounts, to which its alerts go (the
# console backend prints them in development). The other accounts have none: a CML's
# address would show in the attribution letters as the contact to reach.
DEMO_EMAIL_DOMAIN = "demo.panelcare.local"
DEMO_EMAIL_USERS = ("drmg", "gestion.gmf", "ciusss")
DEFAULT_SEED = synth.DEFAULT_SEED
SCALES = ("region", "tiny")
BATCH_SIZE = 5000

# The RLS of the two demo CMLs at the region scale, found by name.
CML_RLS_NAMES = {"cml.rimouski": "Rimouski-Neigette", "cml.kamouraska": "Kamouraska"}

Tables = dict[str, pa.Table]


@dataclass(frozen=True)
class DemoLogin:
    """One line of the logins table printed after a load."""

    username: str
    role: str
    territory: str
    password: str = DEMO_PASSWORD


@dataclass
class LoadReport:
    """What :func:`load_demo` did.

    ``already_loaded`` is true when the region was in the database and nothing was
    written; ``counts`` gives the rows inserted per model name (empty then); ``seconds``
    is the wall time of generation plus load.
    """

    scale: str
    seed: int
    region_code: str
    already_loaded: bool
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)
    seconds: float = 0.0
    assiduity: list[DemoAssiduity] = field(default_factory=list)


@dataclass(frozen=True)
class DemoAssiduity:
    """One year of the demo's assiduity (:func:`load_demo_assiduity`): the computation's
    id and status (``skipped`` with the reason when it could not start), and how many
    physicians it rated."""

    year: int
    run_id: int | None
    status: str
    physicians: int = 0
    reason: str = ""


def generate_tables(scale: str, seed: int, as_of: datetime.date) -> Tables:
    """The synthetic tables of ``scale`` ("region" or "tiny"), visits included.

    Raises:
        ValueError: for another scale.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    return synth.region_tables(seed=seed, as_of=as_of, scale=scale, with_visits=True)


def load_demo(
    scale: str = "region",
    seed: int = DEFAULT_SEED,
    *,
    as_of: datetime.date | None = None,
    assiduity: bool = False,
) -> LoadReport:
    """Generate the demo region and load it, with the demo users, in one transaction.

    Args:
        scale: "region" (the Bas-Saint-Laurent at full size) or "tiny" (2 RLS, for tests).
        seed: the generator's seed; the same seed gives the same region.
        as_of: the day the synthetic data is current on; today by default, so that the
            registrations "in force today" that the pages show are the generated ones.
        assiduity: the demo as ``make run`` shows it (the test fixtures leave it off):
            write the attribution's records (:func:`load_demo_attribution`), then compute
            the assiduity rates (:func:`load_demo_assiduity`); also when the region was
            already loaded (the records of the kinds it has none of, the years not
            computed yet).

    Returns:
        A :class:`LoadReport`; nothing is written when the region already exists (but the
        assiduity's missing years and the attribution's missing records, with
        ``assiduity``).
    """
    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    tables = generate_tables(scale, seed, as_of)
    region_code = str(tables["regions"].column("region_id")[0].as_py())
    existing = Region.objects.filter(code=region_code).first()
    if existing is not None:
        if assiduity:
            # A region loaded before the attribution's records existed gets them now.
            load_demo_attribution(existing, as_of=as_of)
        # Outside any transaction, as after a fresh load: the computations take tens of
        # seconds and report their progress to other connections.
        return LoadReport(
            scale=scale,
            seed=seed,
            region_code=region_code,
            already_loaded=True,
            logins=demo_logins(),
            assiduity=(
                load_demo_assiduity(existing, scale=scale, seed=seed, as_of=as_of)
                if assiduity
                else []
            ),
            seconds=time.perf_counter() - started,
        )
    with transaction.atomic():
        counts = load_tables(tables)
        region = Region.objects.get(code=region_code)
        # The extract tables (roster, waiting list, registrations, the assiduity's) go in
        # as version 1, through the import's own path, which projects them into the
        # database.
        from web.tables.demo import write_first_versions

        counts.update(write_first_versions(region, tables))
        counts["User"] = create_demo_users(region, scale=scale, on=as_of)
        # Co-management: the CISSS and its records, through the services, as the demo
        # users (every date relative to ``as_of``: each alert shows on the day of the load).
        counts.update(load_comanagement(region, scale=scale, seed=seed, as_of=as_of))
        # Quality-improvement groups at each stage, through the services as their users.
        from web.quality.demo import load_demo_quality

        counts.update(load_demo_quality(region, as_of=as_of))
        if assiduity:
            # After the QI groups: their physicians' ``md.<code>`` accounts are reused.
            counts.update(load_demo_attribution(region, as_of=as_of))
    # After the load's commit: a computation that fails leaves the region loaded, and the
    # next `load_demo` computes the years still missing.
    computed = load_demo_assiduity(region, scale=scale, seed=seed, as_of=as_of) if assiduity else []
    return LoadReport(
        scale=scale,
        seed=seed,
        region_code=region_code,
        already_loaded=False,
        counts=counts,
        logins=demo_logins(),
        seconds=time.perf_counter() - started,
        assiduity=computed,
    )


# --- Co-management ----------------------------------------------------------------------------


def load_comanagement(
    region: Region, *, scale: str, seed: int, as_of: datetime.date
) -> dict[str, int]:
    """Set up the co-management's territory and load its demo records; rows per model.

    The territory goes in directly, like the rest of the region: the establishment
    ``cisss_bsl`` « CISSS du Bas-Saint-Laurent » (:data:`web.comanagement.demo.DEMO_ESTABLISHMENT`)
    holding every RLS, the ``ciusss`` account's establishment, and the recognition date
    of the demo's new GMF (:func:`web.comanagement.demo.new_gmf_recognized_on`: the
    assiduity reads memberships, not recognition dates). Then
    :func:`web.comanagement.demo.load_demo_comanagement` writes the records through the
    services, the notice physician's GMF (:func:`_demo_notice_physician`) getting the
    post filled late that the demo's DRMG notice names.
    """
    from web.comanagement import demo as comanagement_demo

    code, name = comanagement_demo.DEMO_ESTABLISHMENT
    establishment = Establishment.objects.create(code=code, name=name, region=region)
    Rls.objects.filter(region=region).update(establishment=establishment)
    Profile.objects.filter(user__username="ciusss").update(establishment=establishment)
    noticed = _demo_notice_physician(scale, seed, as_of)
    gmfs = comanagement_demo.demo_gmfs(region, as_of, notice_physician=noticed)
    if gmfs.new is not None:
        Gmf.objects.filter(pk=gmfs.new.pk).update(
            recognized_on=comanagement_demo.new_gmf_recognized_on(as_of)
        )
    counts = {"Establishment": 1}
    counts.update(comanagement_demo.load_demo_comanagement(region, as_of, notice_physician=noticed))
    return counts


# --- The attribution's records (issue 19) ----------------------------------------------------

# What the demo's GMF proposes per member in force, agreed first, then waiting (patients of
# the waiting list its members together receive in a run).
DEMO_TARGET_PER_MEMBER = (30, 40)


def load_demo_attribution(region: Region, *, as_of: datetime.date) -> dict[str, int]:
    """Write the attribution's records of issue 19 through its services (``do_*``), as the
    demo users would through the pages; rows per model.

    * the GMF of ``gestion.gmf``: a target proposed by ``gestion.gmf`` and agreed by the
      CML of its RLS (:data:`DEMO_TARGET_PER_MEMBER` patients per member), then a new
      proposal waiting for that CML (one waits at a time per GMF);
    * two physicians of the CMLs' RLS (:func:`_demo_declarants`): one declaration accepted
      by the CML of the physician's RLS (which writes the decision the next run reads), one
      waiting for them;
    * a shortage raised by ``cml.rimouski`` and answered by ``drmg`` (the DRMG may close
      it), and a problem raised by ``cml.kamouraska``, open.

    No LE 304 file: a file is prepared from a block transfer of an approved run, and the
    demo computes no run (a CML starts one from the pages).

    Idempotent kind by kind: a region that has a GMF target, a declaration or a problem
    already (a person tried the demo) gets none of that kind, so that nothing the services
    refuse (a second proposal waiting, a second declaration pending) is attempted. Every
    kind is skipped when its demo users or physicians are missing.
    """
    from web.attribution.models import GmfTarget, PhysicianDeclaration, ProblemReport

    counts: dict[str, int] = {}
    users = {
        user.username: user
        for user in User.objects.filter(
            username__in=DEMO_USERNAMES, profile__isnull=False
        ).select_related("profile__gmf__rls", "profile__physician")
    }
    with transaction.atomic():
        if not GmfTarget.objects.filter(region=region).exists():
            counts["GmfTarget"] = _demo_gmf_targets(users, as_of)
        if not PhysicianDeclaration.objects.filter(region=region).exists():
            counts["PhysicianDeclaration"] = _demo_declarations(region, users, as_of)
        if not ProblemReport.objects.filter(region=region).exists():
            counts["ProblemReport"] = _demo_problems(users)
    return {name: count for name, count in counts.items() if count}


def _demo_gmf_targets(users: dict[str, User], as_of: datetime.date) -> int:
    """The GMF manager's target, agreed 5 weeks ago, and their new proposal of 3 days ago,
    waiting; how many proposals were written."""
    from web.attribution.services_gmfs import do_decide_gmf_target, do_propose_gmf_target

    manager = users.get("gestion.gmf")
    gmf = manager.profile.gmf if manager is not None else None
    cml = _cml_of(gmf.rls, users) if gmf is not None else None
    members = GmfMembership.objects.active_on(as_of).filter(gmf=gmf).count() if gmf else 0
    if manager is None or gmf is None or cml is None or not members:
        return 0
    agreed, waiting = DEMO_TARGET_PER_MEMBER
    target = do_propose_gmf_target(
        gmf,
        agreed * members,
        f"Nos {members} médecins prennent chacun {agreed} patients de la liste d'attente "
        "cette année.",
        acting_user=manager,
        today=as_of - datetime.timedelta(days=40),
    )
    do_decide_gmf_target(
        target, "agree", acting_user=cml, today=as_of - datetime.timedelta(days=35)
    )
    do_propose_gmf_target(
        gmf,
        waiting * members,
        f"Une infirmière praticienne spécialisée se joint au GMF le mois prochain : nos "
        f"médecins peuvent prendre {waiting} patients chacun.",
        acting_user=manager,
        today=as_of - datetime.timedelta(days=3),
    )
    return 2


def _demo_declarations(region: Region, users: dict[str, User], as_of: datetime.date) -> int:
    """One declaration accepted by the CML of its physician's RLS, one waiting for them;
    how many were written."""
    from web.attribution.models import AttributionMode, DeclarationStatus
    from web.attribution.services_declarations import (
        do_review_declaration,
        do_submit_declaration,
    )

    declarants = _demo_declarants(region, users, as_of)
    if len(declarants) < 2:
        return 0
    (accepted, accepting_cml), (pending, _cml) = declarants[:2]
    declaration = do_submit_declaration(
        accepted,
        mode=AttributionMode.BLOC,
        patients_offered=50,
        teaching_hours=Decimal(4),
        justification="Supervision des résidents en médecine familiale, une demi-journée "
        "par semaine.",
        acting_user=_physician_user(accepted),
    )
    do_review_declaration(
        declaration,
        DeclarationStatus.ACCEPTED,
        "Merci : 50 patients en bloc à la prochaine répartition.",
        acting_user=accepting_cml,
    )
    do_submit_declaration(
        pending,
        mode=AttributionMode.NONE,
        hospital_hours=Decimal(24),
        emergency_hours=Decimal(12),
        justification="Hospitalisation (24 h) et urgence (12 h) chaque semaine depuis "
        "l'automne : je demande d'être exempté de la répartition.",
        acting_user=_physician_user(pending),
    )
    return 2


def _demo_declarants(
    region: Region, users: dict[str, User], on: datetime.date
) -> list[tuple[Physician, User]]:
    """The physicians who declare in the demo, each with the CML of their RLS, by RLS of
    ``cml.rimouski`` then ``cml.kamouraska`` and by code: those of the current roster in
    the CML's RLS (a decision is recorded only for them), but the ``medecin`` account's
    physician and the members of the ``gestion.gmf`` account's GMF on ``on``. Those two
    accounts show the demo's physician and GMF: their declarations and decisions stay
    for the person trying the demo (a physician has one declaration pending at a time),
    and the browser tests declare as ``medecin``."""
    from web.attribution.roster import current_roster

    _dataset, roster = current_roster(region)
    if roster is None:
        return []
    in_roster = set(
        zip(
            roster.column("physician_id").to_pylist(),
            roster.column("rls_id").to_pylist(),
            strict=True,
        )
    )
    left_free: set[int] = set()
    if (medecin := users.get("medecin")) is not None and medecin.profile.physician_id:
        left_free.add(medecin.profile.physician_id)
    if (manager := users.get("gestion.gmf")) is not None and manager.profile.gmf_id:
        members = GmfMembership.objects.active_on(on).filter(gmf_id=manager.profile.gmf_id)
        left_free.update(members.exclude(physician_id=None).values_list("physician_id", flat=True))
    declarants = []
    for username in CML_RLS_NAMES:
        cml = users.get(username)
        if cml is None:
            continue
        for rls in cml.profile.rls.order_by("code"):
            for physician in (
                Physician.objects.filter(rls=rls).exclude(pk__in=left_free).order_by("code")
            ):
                if (physician.code, rls.code) in in_roster:
                    declarants.append((physician, cml))
    return declarants


def _demo_problems(users: dict[str, User]) -> int:
    """A shortage raised by ``cml.rimouski`` and answered by ``drmg``, and an open problem
    raised by ``cml.kamouraska``; how many were written."""
    from web.attribution.models import ProblemKind
    from web.attribution.services_problems import do_answer_problem, do_raise_problem

    drmg = users.get("drmg")
    written = 0
    rimouski = users.get("cml.rimouski")
    rls = rimouski.profile.rls.order_by("code").first() if rimouski is not None else None
    if drmg is not None and rimouski is not None and rls is not None:
        problem = do_raise_problem(
            rls,
            ProblemKind.SHORTAGE,
            "Deux médecins du RLS partent à la retraite cet automne : environ 600 patients "
            "de plus attendront sur la liste.",
            acting_user=rimouski,
        )
        do_answer_problem(
            problem,
            "La DSP rencontre votre équipe le mois prochain; d'ici là, les médecins qui "
            "s'installent dans le RLS reçoivent d'abord les patients vulnérables.",
            acting_user=drmg,
        )
        written += 1
    kamouraska = users.get("cml.kamouraska")
    rls = kamouraska.profile.rls.order_by("code").first() if kamouraska is not None else None
    if kamouraska is not None and rls is not None:
        do_raise_problem(
            rls,
            ProblemKind.OTHER,
            "Le sans-rendez-vous du CLSC ferme pour l'été : les patients sans médecin de "
            "famille se présentent à l'urgence.",
            acting_user=kamouraska,
        )
        written += 1
    return written


def _cml_of(rls: Rls, users: dict[str, User]) -> User | None:
    """The demo CML of ``rls``, None without one."""
    for username in CML_RLS_NAMES:
        cml = users.get(username)
        if cml is not None and cml.profile.rls.filter(pk=rls.pk).exists():
            return cml
    return None


def _physician_user(physician: Physician) -> User:
    """The account ``physician`` declares through: ``md.<code>``, without password nor
    profile, as the QI groups' physicians (:mod:`web.quality.demo`, whose account it is
    when the physician is in a group): it signs nothing in and names who declared in the
    audit trail."""
    user = User.objects.filter(username=f"md.{physician.code.lower()}").first()
    if user is None:
        user = User(username=f"md.{physician.code.lower()}", email="")
        user.set_unusable_password()
        user.save()
    return user


# --- The assiduity ----------------------------------------------------------------------------


def load_demo_assiduity(
    region: Region, *, scale: str, seed: int, as_of: datetime.date
) -> list[DemoAssiduity]:
    """Compute the demo region's assiduity for the last complete year and the current
    year to date, as the DRMG (``drmg``) would through the pages, and return what became
    of each year.

    First the demo's DRMG notice (last complete year,
    :func:`web.assiduity.services.do_record_drmg_notice`) when the region has none, so that
    the computation reads it: recorded from the post of the physician's GMF that the
    CISSS left vacant past its hiring deadline that year (:func:`_demo_notice_post`), with
    the proposal's justification; then, for each year without a DONE computation, one is
    started (:func:`~web.assiduity.services.do_start_assiduity_run`) and computed here and
    now (:func:`~web.assiduity.services.do_compute_assiduity_run`; with the immediate task
    backend the start already computed it; with the database backend the worker later
    finds the task's run done and does nothing). A year the rules or the visits do not
    allow is skipped with the reason.
    """
    from web.assiduity import services
    from web.assiduity.errors import AssiduityNotReady
    from web.assiduity.models import AssiduityRun, AssiduityRunStatus, DrmgNotice

    drmg = User.objects.get(username="drmg")
    last_year = as_of.year - 1
    computed_before = AssiduityRun.objects.filter(
        region=region, year=last_year, status=AssiduityRunStatus.DONE
    ).exists()
    # A notice recorded after the year's computation would not be in its rates: the demo
    # records its own only before computing the year.
    if not computed_before and not DrmgNotice.objects.filter(region=region).exists():
        noticed = _demo_notice_physician(scale, seed, as_of)
        proposal = _demo_notice_post(region, noticed, last_year) if noticed else None
        if noticed is not None and proposal is not None:
            # A steered physician is a member of a plain GMF since before the visits:
            # the service's refusals (not a member that year...) do not apply.
            post, justification = proposal
            services.do_record_drmg_notice(
                region, noticed, last_year, justification, acting_user=drmg, post=post
            )
    report = []
    for year in (last_year, as_of.year):
        done = (
            AssiduityRun.objects.filter(region=region, year=year, status=AssiduityRunStatus.DONE)
            .order_by("-pk")
            .first()
        )
        if done is None:
            try:
                run = services.do_start_assiduity_run(region, year, acting_user=drmg)
            except AssiduityNotReady as refusal:
                report.append(DemoAssiduity(year, None, "skipped", reason=str(refusal)))
                continue
            if run.status == AssiduityRunStatus.QUEUED:
                services.do_compute_assiduity_run(run.pk, acting_user=drmg)
            run.refresh_from_db()
            done = run
        report.append(
            DemoAssiduity(
                year,
                done.pk,
                str(done.status),
                physicians=int(done.summary.get("physicians", 0)),
                reason=done.error,
            )
        )
    return report


def _demo_notice_post(region: Region, physician: str, year: int) -> tuple[Any, str] | None:
    """The post of ``physician``'s GMF vacant past its hiring deadline in ``year`` (the one
    filled since, else the first; :func:`web.comanagement.queries.vacant_posts_past_deadline`)
    and the justification the DRMG is proposed for it, in French; None without such a
    post (a region loaded before the co-management)."""
    from django.utils import translation

    from web.comanagement import queries

    codes = (
        GmfMembership.objects.filter(region=region, physician_code=physician)
        .filter(start_date__lt=datetime.date(year + 1, 1, 1))
        .filter(models.Q(end_date__isnull=True) | models.Q(end_date__gt=datetime.date(year, 1, 1)))
        .order_by("start_date", "gmf_code")
        .values_list("gmf_code", flat=True)
    )
    for code in dict.fromkeys(codes):
        vacant = queries.vacant_posts_past_deadline(region, code, year)
        if vacant:
            chosen = next((v for v in vacant if v.post.filled_on is not None), vacant[0])
            with translation.override("fr"):
                return chosen.post, queries.notice_justification(chosen)
    return None


def _demo_notice_physician(scale: str, seed: int, as_of: datetime.date) -> str | None:
    """The physician of the demo's DRMG notice: the first (by id) whose visits the
    generator steers into the half band (the middle of :data:`STEERED_RATES`), else the
    first steered one; None when the scale steers none."""
    steered = synth.steered_rates(seed, as_of, scale=scale)
    if not steered:
        return None
    half = sorted(code for code, rate in steered.items() if rate == STEERED_RATES[1])
    return half[0] if half else min(steered)


# --- Reading the arrow tables -------------------------------------------------------------


def _column(table: pa.Table, name: str, convert: Callable[[Any], Any] | None = None) -> list:
    """One column as Python values, converted; a missing optional column reads as None."""
    if name not in table.column_names:
        return [None] * table.num_rows
    values = table.column(name).to_pylist()
    return [convert(v) for v in values] if convert else values


def _rows(table: pa.Table, **columns: Callable[[Any], Any] | None) -> Iterator[tuple]:
    """The rows of ``table`` as tuples of the named columns, each through its converter.

    Converting column by column is several times faster than ``Table.to_pylist()``.
    """
    return zip(*(_column(table, name, convert) for name, convert in columns.items()), strict=True)


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _periods(table: pa.Table, first: str, second: str) -> Iterator[tuple]:
    """(first id, second id, start_date, end_date) rows of a two-key period table."""
    return _rows(table, **{first: str, second: str, "start_date": _date, "end_date": _date})


def _date(value: Any) -> datetime.date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _str(value: Any) -> str:
    return "" if _blank(value) else str(value)


def _opt_str(value: Any) -> str | None:
    return None if _blank(value) else str(value)


def _opt_int(value: Any) -> int | None:
    return None if _blank(value) else int(value)


def _opt_float(value: Any) -> float | None:
    return None if _blank(value) else float(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value) and not _blank(value)


def _categories(value: Any) -> list[str]:
    """A patient's categories: the contract's single ``category``, or a list, or none."""
    if _blank(value):
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if not _blank(v)]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _bulk_create(model: type[models.Model], objects: Iterable[models.Model]) -> list:
    """Insert ``objects`` in batches; their primary keys are set on return."""
    return model.objects.bulk_create(list(objects), batch_size=BATCH_SIZE)


def _ids(objects: Iterable[Any]) -> dict[str, int]:
    return {obj.code: obj.pk for obj in objects}


# --- Loading --------------------------------------------------------------------------------


def load_tables(tables: Tables) -> dict[str, int]:
    """Insert the territory and the people (not the extract tables) and return the rows
    inserted per model.

    Must run inside a transaction (``load_demo`` opens it). External ids become ``code``;
    foreign keys are resolved through dicts of code -> primary key built from the rows
    just inserted, never by a query per row.
    """
    counts: dict[str, int] = {}

    def insert(model: type[models.Model], objects: Iterable[models.Model]) -> list:
        created = _bulk_create(model, objects)
        counts[model.__name__] = counts.get(model.__name__, 0) + len(created)
        return created

    regions = _ids(
        insert(
            Region,
            (
                Region(
                    code=code,
                    name=name,
                    registration_goal=(
                        Decimal("0.850")
                        if _blank(goal)
                        else Decimal(str(goal)).quantize(Decimal("0.001"))
                    ),
                )
                for code, name, goal in _rows(
                    tables["regions"], region_id=str, name=str, registration_goal=None
                )
            ),
        )
    )
    rls = _ids(
        insert(
            Rls,
            (
                Rls(
                    code=code,
                    region_id=regions[region],
                    name=name,
                    seat=seat,
                    latitude=lat,
                    longitude=lon,
                    population=population,
                )
                for code, region, name, seat, lat, lon, population in _rows(
                    tables["rls"],
                    rls_id=str,
                    region_id=str,
                    name=str,
                    seat=_str,
                    latitude=float,
                    longitude=float,
                    population=int,
                )
            ),
        )
    )
    insert(
        Gmf,
        (
            Gmf(
                code=code,
                name=name,
                rls_id=rls[rls_code],
                kind=kind,
                recognized_on=recognized_on,
                annual_review_on=annual_review_on,
            )
            for code, name, rls_code, kind, recognized_on, annual_review_on in _rows(
                tables["gmfs"],
                gmf_id=str,
                name=str,
                rls_id=str,
                kind=str,
                recognized_on=_date,
                annual_review_on=_date,
            )
        ),
    )
    sites = _ids(
        insert(
            Site,
            (
                Site(
                    code=code,
                    name=name,
                    rls_id=rls[rls_code],
                    # The GMF of a site is the GMF sites version's (projected by its import).
                    gmf_id=None,
                    kind=kind,
                    address=address,
                    postal_code=postal_code,
                    city=city,
                    latitude=lat,
                    longitude=lon,
                )
                for code, name, rls_code, kind, address, postal_code, city, lat, lon in _rows(
                    tables["sites"],
                    site_id=str,
                    name=str,
                    rls_id=str,
                    kind=str,
                    address=_str,
                    postal_code=_str,
                    city=_str,
                    latitude=float,
                    longitude=float,
                )
            ),
        )
    )
    insert(
        Physician,
        (
            Physician(
                code=code,
                licence_number=licence,
                name=name,
                birth_year=birth_year,
                practice_start=practice_start,
                amp_target=amp_target,
                other_units=other_units or 0.0,
                attribution_mode=mode,
                previous_assiduity=previous_assiduity,
                departing_on=departing_on,
                rls_id=rls[rls_code],
                site_id=sites[site_code],
            )
            for (
                code,
                licence,
                name,
                birth_year,
                practice_start,
                amp_target,
                other_units,
                mode,
                previous_assiduity,
                departing_on,
                rls_code,
                site_code,
            ) in _rows(
                tables["physicians"],
                physician_id=str,
                licence_number=str,
                name=str,
                birth_year=int,
                practice_start=_date,
                amp_target=_opt_int,
                other_units=_opt_float,
                mode=str,
                previous_assiduity=_opt_float,
                departing_on=_date,
                rls_id=str,
                site_id=str,
            )
        ),
    )
    insert(
        Ips,
        (
            Ips(code=code, name=name, site_id=sites[site_code] if site_code else None)
            for code, name, site_code in _rows(
                tables["ips"], ips_id=str, name=str, site_id=_opt_str
            )
        ),
    )
    insert(
        Patient,
        (
            Patient(
                code=code,
                health_insurance_number=hin,
                first_name=first_name,
                last_name=last_name,
                birth_year=birth_year,
                sex=sex,
                postal_code=postal_code,
                latitude=lat,
                longitude=lon,
                rls_id=rls[rls_code],
                vulnerable=vulnerable,
                categories=categories,
            )
            for (
                code,
                hin,
                first_name,
                last_name,
                birth_year,
                sex,
                postal_code,
                lat,
                lon,
                rls_code,
                vulnerable,
                categories,
            ) in _rows(
                tables["patients"],
                patient_id=str,
                health_insurance_number=str,
                first_name=str,
                last_name=str,
                birth_year=int,
                sex=str,
                postal_code=_str,
                latitude=float,
                longitude=float,
                rls_id=str,
                vulnerable=_bool,
                category=_categories,
            )
        ),
    )
    return counts


# --- Demo users -----------------------------------------------------------------------------


@functools.cache
def demo_password_hash() -> str:
    """The hash of :data:`DEMO_PASSWORD`, computed once per process."""
    # Hashing is deliberately slow (about 0.3 s); every demo account shares the one public
    # password, so one hash serves them all and a load stays fast.
    return make_password(DEMO_PASSWORD)


def _demo_rls(region: Region, scale: str) -> dict[str, Rls]:
    """The RLS of each demo CML: found by name in the full region, else the first two RLS
    by code (the tiny region has only two, whatever their names)."""
    ordered = list(Rls.objects.filter(region=region).order_by("code")[:2])
    if scale == "tiny" or len(ordered) < 2:
        return dict(zip(CML_RLS_NAMES, ordered, strict=False))
    by_name = {rls.name: rls for rls in Rls.objects.filter(region=region)}
    return {
        username: by_name.get(name, fallback)
        for (username, name), fallback in zip(CML_RLS_NAMES.items(), ordered, strict=True)
    }


def _in_force(relation: str, on: datetime.date) -> models.Q:
    """Rows of a related period table in force on ``on``, for an annotation's filter."""
    return models.Q(**{f"{relation}__start_date__lte": on}) & (
        models.Q(**{f"{relation}__end_date__isnull": True})
        | models.Q(**{f"{relation}__end_date__gt": on})
    )


def _demo_gmf_and_physician(rls: Rls, on: datetime.date) -> tuple[Gmf | None, Physician | None]:
    """A GMF of ``rls`` with members today, and one of its members with registered patients.

    The plain GMF (not GMF-R or GMF-U) with the most members today is chosen, ties by
    code; its member with the most patients registered today becomes the demo physician,
    so that the GMF manager and the physician demo accounts look at overlapping data.
    """
    staffed = (
        Gmf.objects.filter(rls=rls)
        .annotate(members=Count("memberships", filter=_in_force("memberships", on)))
        .filter(members__gt=0)
        .order_by("-members", "code")
    )
    # A plain GMF is the common case a manager demo should show; a GMF-R or GMF-U otherwise.
    gmf = staffed.filter(kind=GmfKind.GMF).first() or staffed.first()
    panels = Physician.objects.filter(rls=rls).annotate(
        patients=Count("registrations", filter=_in_force("registrations", on))
    )
    physician = None
    if gmf is not None:
        members = GmfMembership.objects.active_on(on).filter(gmf=gmf).values("physician_id")
        physician = (
            panels.filter(pk__in=members, patients__gt=0).order_by("-patients", "code").first()
        )
    if physician is None:
        physician = panels.filter(patients__gt=0).order_by("-patients", "code").first()
    return gmf, physician


# How the demo's DRMG and CMLs sign the letters (illustrative people, not real ones).
DEMO_SIGNATORIES: dict[str, dict[str, str]] = {
    "drmg": {
        "signatory_name": "Dre Hélène Exemple",
        "signatory_title": "Cheffe du Département régional de médecine générale",
        "signature_block": "DRMG du Bas-Saint-Laurent\n288, rue Pierre-Saindon, Rimouski\n418 555-0100",
    },
    "cml.rimouski": {
        "signatory_name": "Dr Marc Exemple",
        "signatory_title": "Coordonnateur médical local, RLS de Rimouski-Neigette",
        "signature_block": "418 555-0115",
    },
    "cml.kamouraska": {
        "signatory_name": "Dre Julie Exemple",
        "signatory_title": "Coordonnatrice médicale locale, RLS de Kamouraska",
        "signature_block": "418 555-0112",
    },
}


def create_demo_users(region: Region, *, scale: str, on: datetime.date) -> int:
    """Create the demo accounts of ``region`` and return how many were created."""
    cml_rls = _demo_rls(region, scale)
    gmf, physician = _demo_gmf_and_physician(cml_rls["cml.rimouski"], on)
    specs: list[tuple[str, Role, dict[str, Any]]] = [
        ("drmg", Role.DRMG, {}),
        ("cml.rimouski", Role.CML, {"rls": [cml_rls["cml.rimouski"]]}),
        ("cml.kamouraska", Role.CML, {"rls": [cml_rls["cml.kamouraska"]]}),
        ("gestion.gmf", Role.GMF_MANAGER, {"gmf": gmf}),
        ("ciusss", Role.CIUSSS_MANAGER, {}),
        ("medecin", Role.PHYSICIAN, {"physician": physician}),
        ("coach", Role.QI_COACH, {}),
        ("agent.guichet", Role.GUICHET_AGENT, {}),
    ]
    password = demo_password_hash()
    users = User.objects.bulk_create(
        [
            User(
                username=username,
                password=password,
                email=f"{username}@{DEMO_EMAIL_DOMAIN}" if username in DEMO_EMAIL_USERS else "",
            )
            for username, _role, _ in specs
        ]
        + [
            User(
                username="admin",
                password=password,
                is_staff=True,
                is_superuser=True,
            )
        ]
    )
    by_name = {user.username: user for user in users}
    profiles = Profile.objects.bulk_create(
        [
            Profile(
                user=by_name[username],
                role=role,
                region=region,
                gmf=territory.get("gmf"),
                physician=territory.get("physician"),
                **DEMO_SIGNATORIES.get(username, {}),
            )
            for username, role, territory in specs
        ]
    )
    for profile, (_username, _role, territory) in zip(profiles, specs, strict=True):
        if territory.get("rls"):
            profile.rls.set(territory["rls"])
    return len(users)


DEMO_USERNAMES = (
    "drmg",
    "cml.rimouski",
    "cml.kamouraska",
    "gestion.gmf",
    "ciusss",
    "medecin",
    "coach",
    "agent.guichet",
    "admin",
)


def demo_logins() -> list[DemoLogin]:
    """The logins table of the demo accounts present in the database."""
    users = User.objects.filter(username__in=DEMO_USERNAMES).select_related(
        "profile__region", "profile__gmf", "profile__physician"
    )
    by_name = {user.username: user for user in users}
    logins = []
    for username in DEMO_USERNAMES:
        user = by_name.get(username)
        if user is None:
            continue
        if hasattr(user, "profile"):
            role = Role(user.profile.role).label
            territory = scope_label(user)
        else:
            role = _("Regional system administrator")
            territory = _("Administration pages")
        logins.append(DemoLogin(username=username, role=str(role), territory=territory))
    return logins
