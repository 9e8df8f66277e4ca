"""The demo region's co-management (docs/comanagement-plan.md §5; docs/demo-region.md,
"Co-management"): the reference data, three GMFs at different stages of the programme, and
the records that make each of the eight alerts show on the day the demo is loaded.

Every record is written through the co-management's services, as the demo's users would
through the pages: ``ciusss`` for the CISSS du Bas-Saint-Laurent, ``gestion.gmf`` for the
GMF side (the only GMF-manager account of the demo, so it also acts for the two other
GMFs), ``drmg`` for the level table. Every date is relative to ``as_of``, the day the demo
is loaded, so the alerts show whatever day that is. The territory (the establishment, its
RLS, the ``ciusss`` profile, the new GMF's recognition date) is set up by
:func:`web.regions.demo.load_demo` before :func:`load_demo_comanagement` runs.

The GMFs (:func:`demo_gmfs`):

* **rose** ("Niveau rehaussé"): ``gestion.gmf``'s GMF. Reviews at the three last 1 April
  (levels 1, 2, 3); one nurse clinician post of the raise still vacant past its hiring
  deadline, and the records of six more alerts (see :func:`_rose`).
* **new** ("Nouveau GMF"): a GMF of the Kamouraska CML's RLS, recognised 75 days before
  ``as_of`` (:func:`new_gmf_recognized_on`); its recognition posts in selection (due next
  31 March: not late), and a new placement with one overdue integration item per side.
* **full** ("Stable", fully staffed): every post filled on time, validated schedules,
  approved attendance, supervision on time, targets met. The tiny demo region has only
  two GMFs: it has no "full" GMF.
* **the notice physician's GMF** (EP 40, 15.01 B): one post of the last complete year's
  review filled on 15 October of that year, vacant past its deadline (30 June) in between:
  the evidence of the demo's DRMG notice (:func:`web.regions.demo.load_demo_assiduity`).
  It is the rose GMF or the full one (never the new one).

The names, titles and figures are illustrative (synthetic people).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.contrib.auth.models import User
from django.db.models import Count, Q

from panelcare.attribution.tables import canonical, compare_tables
from panelcare.comanagement import levels, obligations
from panelcare.comanagement import schedules as core
from web.comanagement.models import (
    AbsenceReason,
    AgreementRulesVersion,
    LevelTableVersion,
    Placement,
    Post,
    Professional,
    Schedule,
)
from web.comanagement.services import (
    people,
    performance,
    presence,
    programme,
    reference,
    supervision,
    training,
)
from web.regions.models import Establishment, Gmf, GmfKind, GmfMembership, Region, Site

__all__ = [
    "DEMO_ESTABLISHMENT",
    "DemoGmfs",
    "demo_gmfs",
    "load_demo_comanagement",
    "new_gmf_recognized_on",
]

# The demo region's CISSS: its code is the key of [establishments.cisss_bsl] in the shipped
# agreements.toml.
DEMO_ESTABLISHMENT = ("cisss_bsl", "CISSS du Bas-Saint-Laurent")

# How long before ``as_of`` the new GMF was recognised.
NEW_GMF_AGE = datetime.timedelta(days=75)

# The weighted patients (demo_levels.toml weights) of each level the demo's reviews give.
_COUNTS = {
    1: {"standard": 4300, "vulnerable": 1450, "pregnancy": 60, "home_care_loss_of_autonomy": 8},
    2: {"standard": 5000, "vulnerable": 2000, "pregnancy": 100, "home_care_loss_of_autonomy": 20},
    3: {"standard": 5900, "vulnerable": 2700, "pregnancy": 120, "home_care_loss_of_autonomy": 40},
}

# The supervisors (illustrative names).
_MANAGER = "Nathalie Gauthier"  # the CISSS's head of the GMF professionals' service
_NURSING_SUPERVISOR = "Louise Morin"
_SOCIAL_SUPERVISOR = "François Thibault"
_NUTRITION_SUPERVISOR = "Hélène Dubé"

# Work hours of a day (start, meal start, meal end, end): 7.5 h for a nurse clinician
# (37.5 h a week), 7 h for the APTS titles (35 h a week).
_DAY_HOURS = {
    "fiq": (datetime.time(8, 0), datetime.time(12, 0), datetime.time(12, 30), datetime.time(16, 0)),
    "apts": (
        datetime.time(8, 30),
        datetime.time(12, 0),
        datetime.time(12, 30),
        datetime.time(16, 0),
    ),
}


@dataclass(frozen=True)
class DemoGmfs:
    """The demo's GMFs by role (see the module docstring); ``full`` and ``notice`` may be
    None (a region with two GMFs; no steered physician)."""

    rose: Gmf
    new: Gmf | None
    full: Gmf | None
    notice: Gmf | None


def _april_first(on: datetime.date) -> datetime.date:
    """The last 1 April on or before ``on`` (the programme year's annual review)."""
    april = datetime.date(on.year, *obligations.ANNUAL_REVIEW)
    return april if april <= on else datetime.date(on.year - 1, *obligations.ANNUAL_REVIEW)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    """``day`` ``years`` earlier (later when negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def new_gmf_recognized_on(as_of: datetime.date) -> datetime.date:
    """The new GMF's recognition: 75 days before ``as_of``, but never before the last
    1 April (from 1 April to mid-June), so that its first annual review is still to come."""
    return max(as_of - NEW_GMF_AGE, _april_first(as_of))


def _notice_gmf_code(region: Region, physician: str | None, year: int) -> str | None:
    """The GMF the notice physician was a member of in ``year`` (the first by start)."""
    if physician is None:
        return None
    membership = (
        GmfMembership.objects.filter(region=region, physician_code=physician)
        .filter(start_date__lt=datetime.date(year + 1, 1, 1))
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=datetime.date(year, 1, 1)))
        .order_by("start_date", "gmf_code")
        .first()
    )
    return membership.gmf_code if membership else None


def demo_gmfs(
    region: Region, as_of: datetime.date, *, notice_physician: str | None = None
) -> DemoGmfs:
    """Which GMFs of ``region`` play which role (the module docstring): for the same
    ``notice_physician``, the same answer before and after the load (it reads neither
    recognition dates nor co-management records), so that the load sets the new GMF's
    recognition before the records are written.

    Raises:
        User.DoesNotExist: the demo users are not created yet.
        ValueError: ``gestion.gmf`` has no GMF.
    """
    manager = User.objects.select_related("profile__gmf").get(username="gestion.gmf")
    rose = manager.profile.gmf
    if rose is None:
        raise ValueError("the demo GMF manager has no GMF")
    kamouraska = User.objects.get(username="cml.kamouraska").profile.rls.first()
    gmfs = Gmf.objects.filter(rls__region=region)
    code = _notice_gmf_code(region, notice_physician, as_of.year - 1)
    notice = gmfs.filter(code=code).first() if code else None
    taken = {rose.pk} | ({notice.pk} if notice else set())
    members = Count("memberships", filter=Q(memberships__start_date__lte=as_of))
    candidates = gmfs.exclude(pk__in=taken).annotate(members=members)
    new = (
        candidates.filter(rls=kamouraska).order_by("members", "code").first()
        if kamouraska is not None
        else None
    ) or candidates.order_by("-rls__code", "members", "code").first()
    if notice is not None and notice.pk != rose.pk and notice.kind == GmfKind.GMF:
        full: Gmf | None = notice
    else:
        others = gmfs.exclude(pk__in={rose.pk} | ({new.pk} if new else set()))
        if notice is not None:
            others = others.exclude(pk=notice.pk)
        full = (
            others.filter(kind=GmfKind.GMF).order_by("code").first()
            or others.order_by("code").first()
        )
    return DemoGmfs(rose=rose, new=new, full=full, notice=notice)


# --- the loader ---------------------------------------------------------------------------


@dataclass
class _Loader:
    region: Region
    as_of: datetime.date
    establishment: Establishment
    drmg: User
    ciusss: User
    gmf_side: User
    # Employee numbers, in the order the professionals are recorded.
    numbers: Iterator[int] = field(default_factory=lambda: iter(range(40101, 49999, 7)))

    @property
    def programme_year(self) -> datetime.date:
        return _april_first(self.as_of)

    def day(self, offset: int) -> datetime.date:
        """``as_of`` + ``offset`` days."""
        return self.as_of + datetime.timedelta(days=offset)

    # -- the programme ------------------------------------------------------------------

    def review(self, gmf: Gmf, reviewed_on: datetime.date, level: int) -> Any:
        return programme.do_record_annual_review(
            gmf, reviewed_on, _COUNTS[level], acting_user=self.ciusss
        )

    def post(self, gmf: Gmf, review: Any, kind: str, fte: str) -> Post:
        return programme.do_open_post(
            gmf,
            kind,
            Decimal(fte),
            "annual_review",
            review.reviewed_on,
            review,
            acting_user=self.ciusss,
        )

    def selection(self, post: Post, *steps: tuple[str, int]) -> None:
        """The selection steps of ``post`` held ``days`` after it opened, up to ``as_of``
        (the GMF takes part in the interview)."""
        for step, days in steps:
            held_on = post.opened_on + datetime.timedelta(days=days)
            if held_on <= self.as_of:
                programme.do_record_selection_step(
                    post,
                    step,
                    held_on,
                    gmf_took_part=step == "interview",
                    acting_user=self.ciusss,
                )

    def direct_hire(self, post: Post, hired_after: int, contract_ref: str) -> None:
        """The GMF hires a pharmacist directly (a type the CISSS does not employ here), the
        CISSS agrees, and the GMF reports on the first year when it is over."""
        hired_on = post.opened_on + datetime.timedelta(days=hired_after)
        hire = programme.do_record_direct_hire(
            post, post.professional_type, hired_on, contract_ref, acting_user=self.gmf_side
        )
        hire = programme.do_agree_direct_hire(hire, acting_user=self.ciusss)
        year_end = _years_before(hired_on, -1)
        if year_end + datetime.timedelta(days=20) <= self.as_of:
            programme.do_report_direct_hire(
                hire,
                hired_on,
                year_end,
                "Pharmacienne présente deux jours par semaine : révision de la médication "
                "des patients polymédicamentés, ajustements avec les médecins "
                "(rapport de démonstration).",
                reported_on=year_end + datetime.timedelta(days=20),
                acting_user=self.gmf_side,
            )

    # -- people -------------------------------------------------------------------------

    def place(
        self,
        gmf: Gmf,
        name: str,
        kind: str,
        agreement: str,
        fte: str,
        start: datetime.date,
        *,
        post: Post | None = None,
        supervisor: str = _MANAGER,
        items_open: tuple[str, ...] = (),
        years_of_service: int = 6,
    ) -> Placement:
        """Record the professional, place them in ``gmf`` from ``start`` (filling ``post``
        on that day), give them a validated schedule from the first Sunday of their
        placement, and complete their integration checklist except ``items_open``."""
        professional = people.do_record_professional(
            self.establishment,
            f"E{next(self.numbers)}",
            name,
            kind,
            agreement,
            kind,
            _years_before(start, years_of_service),
            on=self.as_of,
            acting_user=self.ciusss,
        )
        placement = people.do_place_professional(
            professional,
            gmf,
            start=start,
            fte=Decimal(fte),
            supervisor_name=supervisor,
            site=Site.objects.filter(gmf=gmf).order_by("code").first(),
            post=post,
            acting_user=self.ciusss,
        )
        for index, item in enumerate(placement.integration_items.order_by("item")):
            if item.item in items_open:
                continue
            done_on = min(start + datetime.timedelta(days=3 + index), self.as_of)
            side = self.gmf_side if item.owner == "gmf" else self.ciusss
            people.do_complete_integration_item(item, done_on, acting_user=side)
        first = _sunday_on_or_after(start)
        if first <= self.as_of:
            self.validated_schedule(placement, first, proposed=start - datetime.timedelta(days=10))
        return placement

    # -- presence -----------------------------------------------------------------------

    def schedule_days(
        self, placement: Placement, first_day: datetime.date, weeks: int, on: datetime.date
    ) -> list[core.WorkDay | core.LeaveDay]:
        """Monday-to-Friday days (fewer for a part-time placement: 1 day per 0.2 FTE),
        each with a 30-minute meal break; a statutory holiday is a holiday taken."""
        _version, rules = presence.schedule_rules(placement, on)
        holidays = {
            holiday.day
            for year in {first_day.year, first_day.year + 1}
            for holiday in rules.holidays_in(year)
        }
        start, meal_start, meal_end, end = _DAY_HOURS[placement.professional.agreement]
        per_week = max(1, min(5, int(placement.fte * 5)))
        days: list[core.WorkDay | core.LeaveDay] = []
        for week in range(weeks):
            monday = first_day + datetime.timedelta(days=7 * week + 1)
            for offset in range(per_week):
                day = monday + datetime.timedelta(days=offset)
                if day in holidays:
                    days.append(core.LeaveDay(day=day, kind="holiday"))
                else:
                    days.append(
                        core.WorkDay(
                            day=day,
                            start=start,
                            end=end,
                            breaks=(core.Break(meal_start, meal_end),),
                        )
                    )
        return days

    def propose(
        self,
        placement: Placement,
        first_day: datetime.date,
        proposed_on: datetime.date,
        *,
        replaces: Schedule | None = None,
    ) -> Schedule:
        return presence.do_propose_schedule(
            placement,
            first_day,
            2,
            days=self.schedule_days(placement, first_day, 2, max(first_day, proposed_on)),
            replaces=replaces,
            proposed_on=proposed_on,
            acting_user=self.gmf_side,
        )

    def validated_schedule(
        self, placement: Placement, first_day: datetime.date, *, proposed: datetime.date
    ) -> Schedule:
        """A two-week schedule from ``first_day`` (a Sunday), proposed on ``proposed`` and
        validated three days later (not after ``first_day``)."""
        proposed = min(proposed, first_day)
        schedule = self.propose(placement, first_day, proposed)
        on = min(proposed + datetime.timedelta(days=3), first_day)
        return presence.do_validate_schedule(schedule, on, acting_user=self.ciusss)

    def attendance(
        self,
        placement: Placement,
        start: datetime.date,
        worked: str,
        *,
        approved: bool,
    ) -> None:
        """A two-week attendance record from ``start``, submitted two days after it ends,
        approved five days later when ``approved``."""
        end = start + datetime.timedelta(days=14)
        planned = Decimal(2 * max(1, min(5, int(placement.fte * 5))))
        record = presence.do_submit_attendance(
            placement,
            start=start,
            end=end,
            planned_days=planned,
            worked_days=min(Decimal(worked), planned),
            submitted_on=end + datetime.timedelta(days=1),
            acting_user=self.gmf_side,
        )
        if approved:
            presence.do_approve_attendance(
                record, on=end + datetime.timedelta(days=5), acting_user=self.ciusss
            )

    # -- supervision --------------------------------------------------------------------

    def supervision(
        self,
        placement: Placement,
        *,
        start: int,
        every: int,
        unit: str,
        sessions: Iterable[int],
        supervisor: str,
        form: str = "individual",
        minutes: int = 60,
    ) -> None:
        plan = supervision.do_set_supervision_plan(
            placement,
            start=self.day(start),
            every=every,
            unit=unit,
            form=form,
            length_minutes=minutes,
            supervisor_name=supervisor,
            site=placement.site.name if placement.site else "",
            acting_user=self.ciusss,
        )
        for offset in sessions:
            supervision.do_record_supervision_session(
                plan, held_on=self.day(offset), length_minutes=minutes, acting_user=self.ciusss
            )

    # -- performance --------------------------------------------------------------------

    def target(
        self,
        gmf: Gmf,
        placement: Placement | None,
        indicator: str,
        value: str,
        *,
        proposed_by: str,
    ) -> Any:
        """A target from the first of the statistics' twelve months, proposed by one side
        and signed by the other (agreed)."""
        months = _statistics_months(self.as_of)
        users = {"gmf": self.gmf_side, "ciusss": self.ciusss}
        other = "ciusss" if proposed_by == "gmf" else "gmf"
        target = performance.do_propose_target(
            gmf,
            placement=placement,
            indicator=indicator,
            value=Decimal(value),
            start=months[0],
            side=proposed_by,
            acting_user=users[proposed_by],
        )
        return performance.do_sign_target(target, other, acting_user=users[other])

    def meeting(
        self,
        gmf: Gmf,
        held: int,
        topic: str,
        attendees: str,
        minutes: str,
        decisions: Iterable[tuple[str, str, int | None]],
        *,
        signed_by_both: bool = True,
    ) -> None:
        meeting = performance.do_record_meeting(
            gmf,
            held_on=self.day(held),
            topic=topic,
            attendees=attendees,
            minutes=minutes,
            side="ciusss",
            acting_user=self.ciusss,
        )
        for text, carried_by, due in decisions:
            performance.do_record_meeting_decision(
                meeting,
                text=text,
                carried_by=carried_by,
                due_on=self.day(due) if due is not None else None,
                acting_user=self.ciusss,
            )
        if decisions:
            # A decision clears the signature given when recording the meeting: the
            # CISSS/CIUSSS signs the minutes again, with their decisions.
            performance.do_sign_meeting(meeting, "ciusss", acting_user=self.ciusss)
        if signed_by_both:
            performance.do_sign_meeting(meeting, "gmf", acting_user=self.gmf_side)


def _sunday_on_or_after(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=(6 - day.weekday()) % 7)


def _sunday_on_or_before(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


def _statistics_months(as_of: datetime.date) -> list[datetime.date]:
    """The twelve complete months before ``as_of``, oldest first (the last is the month
    ``target_missed`` judges)."""
    last = obligations.last_complete_month(as_of)
    return [obligations.add_months(last, -back) for back in range(11, -1, -1)]


# --- the GMFs -----------------------------------------------------------------------------


def _posts_of_review(
    demo: _Loader,
    gmf: Gmf,
    review: Any,
    plan: list[tuple[str, str, str, str | None]],
    *,
    filled_late: bool,
) -> dict[str, tuple[Post, Placement | None]]:
    """Open the posts of ``review`` and fill them 40 days later (on time), when that day
    has come; with ``filled_late`` (the notice GMF's review of the last complete year), the
    first post is filled on 15 October instead, past its deadline (30 June).

    ``plan``: (key, type, FTE, professional's name or None for a pharmacist hired directly
    by the GMF)."""
    filled: dict[str, tuple[Post, Placement | None]] = {}
    for index, (key, kind, fte, name) in enumerate(plan):
        post = demo.post(gmf, review, kind, fte)
        demo.selection(post, ("posting", 7), ("interview", 28))
        if name is None:
            demo.direct_hire(post, 50, "Entente de service GMF–pharmacienne (démonstration)")
            filled[key] = (post, None)
            continue
        start = review.reviewed_on + datetime.timedelta(days=40)
        if filled_late and index == 0:
            start = datetime.date(review.reviewed_on.year, 10, 15)
        if start > demo.as_of:
            filled[key] = (post, None)
            continue
        agreement = "fiq" if kind == "nurse_clinician" else "apts"
        placement = demo.place(gmf, name, kind, agreement, fte, start, post=post)
        filled[key] = (post, placement)
    return filled


def _rose(demo: _Loader, gmf: Gmf, *, notice: bool) -> dict[str, Placement]:
    """``gestion.gmf``'s GMF, whose level rose at the last 1 April (1 → 2 → 3 over the
    three last reviews). Its alerts: hiring_deadline_passed (the nurse clinician post of the
    raise whose deadline has passed: this year's, else the previous year's between 1 April
    and 30 June), absence_not_replaced, schedule_not_validated, attendance_not_approved,
    training_request_pending, supervision_overdue, target_missed."""
    year = demo.programme_year
    last_year = demo.as_of.year - 1
    reviews = {
        offset: demo.review(gmf, _years_before(year, offset), level)
        for offset, level in ((2, 1), (1, 2), (0, 3))
    }
    deadline_this_year = obligations.add_months(year, 3) - datetime.timedelta(days=1)
    late_offset = 0 if deadline_this_year < demo.as_of else 1
    placements: dict[str, Placement] = {}
    plans: dict[int, list[tuple[str, str, str, str | None]]] = {
        2: [
            ("A", "nurse_clinician", "1.00", "Geneviève Tremblay"),
            ("B", "social_worker", "0.50", "Marc-André Gagnon"),
            ("pharmacist", "pharmacist", "0.50", None),
        ],
        1: [
            ("D", "nutritionist", "0.20", "Chantal Lévesque"),
            ("C", "nurse_clinician", "0.50", "Isabelle Pelletier"),
        ],
        0: [
            ("E", "social_worker", "0.50", "Sophie Bérubé"),
            ("F", "physiotherapist", "0.20", "Julien Ouellet"),
            ("G", "nurse_clinician", "0.50", "Catherine Lavoie"),
        ],
    }
    for offset, plan in plans.items():
        review = reviews[offset]
        late = notice and review.reviewed_on.year == last_year
        vacant_key = "C" if late_offset == 1 else "G"
        # The raise's vacant nurse clinician post: opened, in selection, never filled.
        kept = [row for row in plan if row[0] != vacant_key]
        filled = _posts_of_review(demo, gmf, review, kept, filled_late=late)
        if len(kept) < len(plan):
            post = demo.post(gmf, review, "nurse_clinician", "0.50")
            demo.selection(post, ("posting", 10), ("pre_selection", 35), ("interview", 60))
        placements.update(
            {key: placement for key, (_post, placement) in filled.items() if placement}
        )

    a, b, d = placements["A"], placements["B"], placements["D"]
    # schedule_not_validated: A's new schedule, from the Sunday before as_of, proposed 12
    # days ago and replacing the validated one; the CISSS has not decided it.
    validated = Schedule.objects.filter(placement=a, status="validated").order_by("-first_day")
    demo.propose(a, _sunday_on_or_before(demo.day(-1)), demo.day(-12), replaces=validated.first())
    # attendance_not_approved: A's record ending 20 days ago (the CISSS approves within 14
    # days); the one before it is approved.
    demo.attendance(a, demo.day(-47), "10", approved=True)
    demo.attendance(a, demo.day(-33), "9", approved=False)
    # absence_not_replaced: B's sick leave from 40 days ago, not foreseeable (a replacement
    # is due from its fifth week), day back unknown, nobody replacing.
    presence.do_record_absence(
        b,
        start=demo.day(-40),
        end=None,
        foreseeable=False,
        reason=AbsenceReason.ILLNESS,
        reported_on=demo.day(-39),
        acting_user=demo.gmf_side,
    )
    # Not alerting: A's six-week training leave about eight months ago, foreseeable,
    # replaced from its first day; A's two-week vacation (4 weeks or less: no replacement owed).
    leave = presence.do_record_absence(
        a,
        start=demo.day(-230),
        end=demo.day(-188),
        foreseeable=True,
        reason=AbsenceReason.TRAINING,
        reported_on=demo.day(-260),
        note="Formation de perfectionnement en soins de première ligne.",
        acting_user=demo.gmf_side,
    )
    presence.do_record_replacement(
        leave,
        start=demo.day(-230),
        end=demo.day(-188),
        replaced_by_name="Véronique Côté",
        acting_user=demo.ciusss,
    )
    presence.do_record_absence(
        a,
        start=demo.day(-150),
        end=demo.day(-136),
        foreseeable=True,
        reason=AbsenceReason.VACATION,
        reported_on=demo.day(-180),
        acting_user=demo.gmf_side,
    )
    # training_request_pending: D's external training, outside the CISSS's programme
    # (the GMF pays), submitted 35 days ago (decided within 30 days).
    need = training.do_record_training_need(
        gmf,
        identified_by="gmf",
        basis="fmg_role",
        description="Soutenir les patients diabétiques dans le changement de leurs habitudes.",
        identified_on=demo.day(-50),
        placement=d,
        acting_user=demo.gmf_side,
    )
    training.do_request_training(
        d,
        title="Entretien motivationnel — niveau avancé",
        submitted_on=demo.day(-35),
        external=True,
        in_ciusss_programme=False,
        cost=Decimal("385.00"),
        provider="Formation continue, Université Laval",
        starts_on=demo.day(20),
        need=need,
        acting_user=demo.gmf_side,
    )
    # Not alerting: a training of the CISSS's programme, approved and attended by A; the
    # team's need the CISSS identified.
    request = training.do_request_training(
        a,
        title="Soins de plaies : mise à jour des pratiques",
        submitted_on=demo.day(-120),
        external=False,
        in_ciusss_programme=True,
        provider="CISSS du Bas-Saint-Laurent",
        starts_on=demo.day(-90),
        acting_user=demo.gmf_side,
    )
    training.do_decide_training(
        request, True, "Formation du programme régional.", demo.day(-112), acting_user=demo.ciusss
    )
    training.do_record_training_attendance(
        request, attended_on=demo.day(-90), hours=Decimal("7.0"), acting_user=demo.ciusss
    )
    training.do_record_training_need(
        gmf,
        identified_by="ciusss",
        basis="quality_standard",
        description="Prévention et contrôle des infections : pratiques de base, pour l'équipe.",
        identified_on=demo.day(-70),
        acting_user=demo.ciusss,
    )
    # supervision_overdue: D's group supervision every 4 weeks, last session 40 days ago.
    demo.supervision(
        d,
        start=-124,
        every=4,
        unit="weeks",
        sessions=(-96, -68, -40),
        supervisor=_NUTRITION_SUPERVISOR,
        form="group",
        minutes=90,
    )
    # Not alerting: A's monthly supervision, last session 10 days ago.
    demo.supervision(
        a,
        start=-100,
        every=1,
        unit="months",
        sessions=(-70, -40, -10),
        supervisor=_NURSING_SUPERVISOR,
    )
    # target_missed: A's 60 patients seen a month (48 last month); A's interventions met.
    missed = demo.target(gmf, a, "patients_seen", "60", proposed_by="ciusss")
    demo.target(gmf, a, "interventions", "80", proposed_by="gmf")
    performance.do_record_strategy(
        gmf,
        target=missed,
        description="Libérer deux plages par semaine de l'infirmière clinicienne pour les "
        "suivis de maladies chroniques (moins de tâches administratives).",
        carried_by="both",
        start=demo.day(-25),
        status="under_way",
        acting_user=demo.gmf_side,
    )
    demo.meeting(
        gmf,
        -45,
        "performance",
        "Médecin responsable du GMF, Nathalie Gauthier (CISSS), Geneviève Tremblay, "
        "gestionnaire du GMF",
        "Revue des statistiques du trimestre de l'infirmière clinicienne et du poste "
        "d'infirmière clinicienne du rehaussement, toujours vacant.",
        [
            ("Relancer l'affichage du poste d'infirmière clinicienne.", "ciusss", 15),
            ("Revoir l'horaire de l'infirmière clinicienne.", "gmf", 30),
        ],
    )
    return placements


def _new(demo: _Loader, gmf: Gmf) -> dict[str, Placement]:
    """The new GMF (recognised 75 days ago): its recognition posts in selection, due the
    day before its first annual review (not late), and a social worker placed 33 days ago,
    filling one of them, whose EMR access (GMF) and QHR key (CISSS) were due 3 days ago:
    integration_item_overdue for each side."""
    recognized = gmf.recognized_on
    nurse = programme.do_open_post(
        gmf, "nurse_clinician", Decimal("1.00"), "recognition", recognized, acting_user=demo.ciusss
    )
    demo.selection(nurse, ("posting", 7), ("pre_selection", 21), ("interview", 35))
    social = programme.do_open_post(
        gmf, "social_worker", Decimal("0.50"), "recognition", recognized, acting_user=demo.ciusss
    )
    demo.selection(social, ("posting", 7), ("interview", 30))
    start = demo.day(-33)
    placement = demo.place(
        gmf,
        "Émilie Caron",
        "social_worker",
        "apts",
        "0.50",
        start,
        post=social if start >= recognized else None,
        items_open=("emr_access", "qhr_key"),
        years_of_service=2,
    )
    demo.supervision(
        placement,
        start=-30,
        every=4,
        unit="weeks",
        sessions=(-9,),
        supervisor=_SOCIAL_SUPERVISOR,
    )
    return {"N": placement}


def _full(demo: _Loader, gmf: Gmf, *, notice: bool) -> dict[str, Placement]:
    """A GMF fully staffed at a steady level 1: every post filled, validated schedules,
    approved attendance, supervision on time, targets met; a signed meeting. When it is the
    notice physician's GMF, its social worker post of the last complete year's review was
    filled on 15 October, past its deadline."""
    year = demo.programme_year
    last_year = demo.as_of.year - 1
    reviews = {offset: demo.review(gmf, _years_before(year, offset), 1) for offset in (2, 1, 0)}
    placements: dict[str, Placement] = {}
    filled = _posts_of_review(
        demo,
        gmf,
        reviews[2],
        [
            ("F1", "nurse_clinician", "1.00", "Marie-Ève Roy"),
            ("pharmacist", "pharmacist", "0.50", None),
        ],
        filled_late=False,
    )
    placements.update({key: placement for key, (_post, placement) in filled.items() if placement})
    late_review = next(
        (review for review in reviews.values() if review.reviewed_on.year == last_year),
        reviews[1],
    )
    filled = _posts_of_review(
        demo,
        gmf,
        late_review if notice else reviews[2],
        [("F2", "social_worker", "0.50", "Patrick Bouchard")],
        filled_late=notice,
    )
    placements.update({key: placement for key, (_post, placement) in filled.items() if placement})
    f1, f2 = placements["F1"], placements["F2"]
    # F2 may be placed as late as 15 October of last year (the notice's post filled late):
    # in early January her records cannot start 80 or 90 days back, before she came.
    since = (f2.start - demo.as_of).days
    demo.attendance(f1, demo.day(-33), "10", approved=True)
    demo.attendance(f2, demo.day(-33), "4", approved=True)
    presence.do_record_absence(
        f2,
        start=demo.day(max(-80, since)),
        end=demo.day(-66),
        foreseeable=True,
        reason=AbsenceReason.VACATION,
        reported_on=demo.day(-120),
        acting_user=demo.gmf_side,
    )
    demo.supervision(
        f1,
        start=-95,
        every=1,
        unit="months",
        sessions=(-65, -35, -5),
        supervisor=_NURSING_SUPERVISOR,
    )
    demo.supervision(
        f2,
        start=max(-90, since),
        every=6,
        unit="weeks",
        sessions=(-48, -6),
        supervisor=_SOCIAL_SUPERVISOR,
    )
    demo.target(gmf, f1, "patients_seen", "55", proposed_by="ciusss")
    demo.target(gmf, f1, "access_delay_days", "10", proposed_by="gmf")
    demo.target(gmf, f2, "interventions", "35", proposed_by="ciusss")
    demo.meeting(
        gmf,
        -60,
        "integration",
        "Médecin responsable du GMF, Nathalie Gauthier (CISSS), Marie-Ève Roy, Patrick Bouchard",
        "Bilan annuel : équipe complète, cibles atteintes, aucun enjeu d'intégration.",
        [("Reconduire les cibles de l'an dernier.", "both", None)],
    )
    return placements


# --- the statistics -----------------------------------------------------------------------


def _statistics_rows(
    placements: dict[str, Placement], as_of: datetime.date
) -> list[dict[str, Any]]:
    """The monthly statistics of each placement for the twelve complete months before
    ``as_of`` it covers whole (illustrative, seeded by the employee number). Geneviève
    Tremblay ("A") saw 48 patients last month against her target of 60 (target_missed);
    every other target is met every month."""
    months = _statistics_months(as_of)
    rows = []
    for key, placement in sorted(placements.items()):
        professional = placement.professional
        rng = random.Random(professional.employee_number)
        fte = float(placement.fte)
        for month in months:
            if month < placement.start:
                continue
            patients = round(fte * rng.randint(60, 70))
            if key == "A" and month == months[-1]:
                patients = 48
            rows.append(
                {
                    "professional_id": professional.employee_number,
                    "gmf_id": placement.gmf.code,
                    "month": month,
                    "patients_seen": patients,
                    "interventions": round(fte * rng.randint(85, 100)),
                    "access_delay_days": round(rng.uniform(3.0, 8.5), 1),
                }
            )
    return rows


def _write_statistics(region: Region, rows: list[dict[str, Any]]) -> int:
    """Version 1 of the region's ``gmf_statistics`` table, through the import's own write,
    imported by nobody (as :func:`web.tables.demo.write_first_versions` writes the other
    tables' version 1)."""
    from web.tables.checks import base_versions
    from web.tables.kinds import get_kind
    from web.tables.services import do_write_version

    kind = get_kind("gmf_statistics")
    table = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("professional_id", pa.string()),
                ("gmf_id", pa.string()),
                ("month", pa.date32()),
                ("patients_seen", pa.int64()),
                ("interventions", pa.int64()),
                ("access_delay_days", pa.float64()),
            ]
        ),
    )
    table = canonical(kind.contract, table)
    dataset = do_write_version(
        region,
        kind.name,
        [],
        table,
        base=base_versions(region, kind.name),
        changes=compare_tables(kind.contract, None, table, examples=0),
        source_name="demo",
        acting_user=None,
    )
    return int(dataset.rows)


# --- the entry point ------------------------------------------------------------------------


def load_demo_comanagement(
    region: Region, as_of: datetime.date, *, notice_physician: str | None = None
) -> dict[str, int]:
    """Write the demo region's co-management through the services (see the module
    docstring) and return the rows written per model.

    Runs inside :func:`web.regions.demo.load_demo`'s transaction, after the demo users, the
    establishment ``cisss_bsl`` (every RLS, the ``ciusss`` profile) and the new GMF's
    recognition date (:func:`new_gmf_recognized_on`).

    Args:
        notice_physician: the physician of the demo's DRMG notice (the last complete
            year), whose GMF gets the post filled late; None for no such post.
    """
    establishment = Establishment.objects.get(code=DEMO_ESTABLISHMENT[0])
    users = {
        user.username: user
        for user in User.objects.filter(username__in=["drmg", "ciusss", "gestion.gmf"])
    }
    demo = _Loader(
        region=region,
        as_of=as_of,
        establishment=establishment,
        drmg=users["drmg"],
        ciusss=users["ciusss"],
        gmf_side=users["gestion.gmf"],
    )
    gmfs = demo_gmfs(region, as_of, notice_physician=notice_physician)
    # The reference data: version 1 of the level table (DRMG) and of the agreement rules
    # (CISSS), the shipped illustrative files, in force from the first review the demo
    # records (the 1 April two years before the programme year's).
    in_force = _years_before(demo.programme_year, 2)
    reference.do_publish_level_table(
        region,
        (Path(levels.__file__).with_name(levels.DEMO_LEVEL_FILE)).read_text("utf-8"),
        in_force,
        "Version de démonstration : seuils et ETC illustratifs (demo_levels.toml).",
        acting_user=demo.drmg,
    )
    reference.do_publish_agreement_rules(
        establishment,
        core.DEFAULT_AGREEMENTS_FILE.read_text("utf-8"),
        in_force,
        "Version de démonstration : valeurs illustratives (agreements.toml) ; délais de "
        "30 jours (formations), 14 jours (relevés de présence), 30 jours (intégration).",
        30,
        14,
        30,
        acting_user=demo.ciusss,
    )
    placements = _rose(
        demo, gmfs.rose, notice=gmfs.notice is not None and gmfs.notice.pk == gmfs.rose.pk
    )
    if gmfs.new is not None:
        placements.update(_new(demo, gmfs.new))
    if gmfs.full is not None:
        placements.update(
            _full(
                demo,
                gmfs.full,
                notice=gmfs.notice is not None and gmfs.notice.pk == gmfs.full.pk,
            )
        )
    statistics = _write_statistics(region, _statistics_rows(placements, as_of))
    return {**_counts(region), "Dataset gmf_statistics": statistics}


def _counts(region: Region) -> dict[str, int]:
    """The co-management rows of ``region`` per model."""
    from django.apps import apps

    counts = {
        "LevelTableVersion": LevelTableVersion.objects.filter(region=region).count(),
        "AgreementRulesVersion": AgreementRulesVersion.objects.filter(
            establishment__region=region
        ).count(),
        "Professional": Professional.objects.filter(establishment__region=region).count(),
    }
    for model in apps.get_app_config("comanagement").get_models():
        path = getattr(model, "GMF_PATH", None)
        if path is None or model is Professional:
            continue
        count = model.objects.filter(**{f"{path}__rls__region": region}).distinct().count()
        if count:
            counts[model.__name__] = count
    return counts
