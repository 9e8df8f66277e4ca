"""Read side of "one approved plan per territory" and of the patient's journey after the
plan (issue 15, sections 2 and 3; ``docs/attribution-journey.md``).

    plans = plans_in_force_overlapping(run)          # what approving ``run`` would replace
    refusal = supersession_refusal(run, user, plans) # None, or the sentence refusing it
    preview = approval_preview(run, user)            # the confirmation page's facts
    steps = patient_journey(region, "P00000223")     # a patient's status history
    counts = journey_counts(run)                     # proposed, registered, returned...
    own = physician_journey(run, "M00012", report)   # one physician's counts and pace

Counts only leave this module for a physician; the patient-level functions are called by
views that checked the user's access to the run (:mod:`web.accounts.access`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from panelcare.attribution import store
from web.accounts import access
from web.accounts.access import User
from web.attribution.models import Run, RunStatus
from web.regions.models import (
    RETURN_REASONS,
    Region,
    WaitlistEntry,
    WaitlistReason,
    WaitlistStatus,
    WaitlistStatusEvent,
)

if TYPE_CHECKING:
    from web.attribution.followup import FollowUp, PhysicianProgress

__all__ = [
    "ApprovalPreview",
    "PhysicianJourney",
    "SupersededPlan",
    "approval_preview",
    "journey_counts",
    "patient_journey",
    "physician_journey",
    "placed_patients",
    "plan_label",
    "plans_in_force_overlapping",
    "proposed_to",
    "return_reason_choices",
    "supersession_refusal",
    "withheld_by",
]


def plans_in_force_overlapping(run: Run) -> QuerySet[Run]:
    """The approved runs in force whose territory overlaps ``run``'s: the same RLS, the
    region's plan for an RLS run, every plan of the region for a region run."""
    return (
        Run.objects.in_force()
        .filter(region_id=run.region_id)
        .overlapping(run.rls_id)
        .exclude(pk=run.pk)
        .select_related("rls", "approved_by")
        .order_by("approved_at")
    )


def plan_label(plan: Run) -> str:
    territory = plan.rls.name if plan.rls else _("the whole region")
    return _("“%(title)s” (run %(pk)s, %(territory)s, approved by %(who)s on %(when)s)") % {
        "title": plan.title or f"#{plan.pk}",
        "pk": plan.pk,
        "territory": territory,
        "who": plan.approved_by.get_username() if plan.approved_by else "—",
        "when": (
            date_format(timezone.localtime(plan.approved_at), "DATE_FORMAT")
            if plan.approved_at
            else "—"
        ),
    }


def supersession_refusal(run: Run, user: User, plans: list[Run]) -> str | None:
    """Why ``user`` may not approve ``run`` over the plans in force ``plans`` (None: they
    may, superseding them). The rules (``docs/decisions.md``, "One approved plan per
    territory"):

    * a plan of one RLS never replaces the region's plan (it would leave the region's
      other RLS without the plan they were sent): refused, whoever approves;
    * a CML does not replace a plan the DRMG approved;
    * the DRMG replaces any plan of the region; a CML replaces a plan of their RLS that a
      CML approved.
    """
    approver_is_drmg = access.can_work_on_region(user)
    for plan in plans:
        if run.rls_id is not None and plan.rls_id is None:
            return _(
                "The region's plan %(plan)s is in force in this RLS: a plan of one RLS "
                "cannot replace it. Only a new plan of the whole region, approved by the "
                "DRMG, can."
            ) % {"plan": plan_label(plan)}
        if (
            not approver_is_drmg
            and plan.approved_by
            and access.can_work_on_region(plan.approved_by)
        ):
            return _(
                "The plan %(plan)s was approved by the DRMG: only the DRMG can replace it."
            ) % {"plan": plan_label(plan)}
    return None


def placed_patients(run: Run) -> dict[str, tuple[str, int]]:
    """The patients ``run``'s plan places: code → (physician's code, month of the plan)."""
    plan = store.read_plan(run.folder / "plan")
    placed = plan.physician_of >= 0
    codes = plan.orphans.patient_id[placed].tolist()
    physicians = plan.physicians.physician_id[plan.physician_of[placed]].tolist()
    months = plan.month[placed].tolist()
    return {
        str(code): (str(physician), int(month))
        for code, physician, month in zip(codes, physicians, months, strict=True)
    }


def withheld_by(run: Run) -> frozenset[str]:
    """The patients ``run`` did not offer (proposed by a plan in force when it started,
    registered, removed): superseding a plan never sends these back to the list, since
    the new plan could not place them (``docs/decisions.md``, "One approved plan per
    territory")."""
    return frozenset(str(code) for code in run.withheld_patients or [])


@dataclass
class SupersededPlan:
    """A plan in force that approving the run replaces, and what happens to its
    patients still proposed: kept with the same physician, moved to another, back on the
    waiting list (the new plan had them among its orphans and does not place them), or
    left proposed as they were (``kept_proposed``: the new run did not offer them, as they
    were proposed when it started)."""

    run: Run
    label: str
    proposed: int = 0
    same_physician: int = 0
    other_physician: int = 0
    back_to_list: int = 0
    kept_proposed: int = 0


@dataclass
class ApprovalPreview:
    run: Run
    placed: int
    plans: list[SupersededPlan] = field(default_factory=list)
    refusal: str | None = None

    @property
    def supersedes(self) -> bool:
        return bool(self.plans)

    @property
    def patients_changing(self) -> int:
        """Patients whose proposal changes: another physician, or back on the list."""
        return sum(plan.other_physician + plan.back_to_list for plan in self.plans)


def approval_preview(run: Run, user: User) -> ApprovalPreview:
    """What approving ``run`` by ``user`` does: the plans it supersedes and how many of
    their proposed patients keep their physician, change physician, or go back on the
    list; or why it is refused."""
    plans = list(plans_in_force_overlapping(run))
    placed = placed_patients(run) if run.status == RunStatus.DONE else {}
    preview = ApprovalPreview(run=run, placed=len(placed))
    preview.refusal = supersession_refusal(run, user, plans)
    withheld = withheld_by(run)
    for plan in plans:
        item = SupersededPlan(run=plan, label=plan_label(plan))
        for code, physician in WaitlistEntry.objects.filter(
            region_id=run.region_id, status=WaitlistStatus.ASSIGNED, proposed_run_id=plan.pk
        ).values_list("patient_code", "proposed_physician_code"):
            item.proposed += 1
            if code in withheld and code not in placed:
                item.kept_proposed += 1
            elif code not in placed:
                item.back_to_list += 1
            elif placed[code][0] == physician:
                item.same_physician += 1
            else:
                item.other_physician += 1
        preview.plans.append(item)
    return preview


def patient_journey(region: Region, patient_code: str) -> list[WaitlistStatusEvent]:
    """Every step of a waiting-list patient's journey, oldest first."""
    return list(
        WaitlistStatusEvent.objects.filter(region=region, patient_code=patient_code)
        .select_related("by")
        .order_by("at", "pk")
    )


def journey_counts(run: Run) -> dict[str, Any]:
    """What became of the patients ``run``'s plan proposed (counts only): ``proposed``
    (ever proposed by it), ``still_proposed``, ``registered``, ``returned`` by reason
    (``returned_by_reason``: reason code → count, and ``returned``), ``removed``,
    ``back_to_list`` (released when it was superseded) and ``handed_over`` (still proposed
    when it was superseded, and proposed since by the plan that superseded it: that plan's
    to follow, no longer this one's); per physician in ``physicians`` (code → the same
    counts, with each return reason's code as a key of its own)."""
    events = WaitlistStatusEvent.objects.filter(region_id=run.region_id, run_id=run.pk)
    proposed_codes: set[str] = set()
    by_reason: Counter[str] = Counter()
    physicians: dict[str, Counter[str]] = {}
    outcome_of: dict[str, tuple[str, str]] = {}
    for code, physician, reason in events.values_list(
        "patient_code", "physician_code", "reason"
    ).order_by("at", "pk"):
        if reason == WaitlistReason.PLAN_APPROVED:
            proposed_codes.add(code)
            physicians.setdefault(physician, Counter())["proposed"] += 1
            outcome_of[code] = ("proposed", physician)
        elif reason in (
            *RETURN_REASONS,
            WaitlistReason.REGISTERED_IMPORT,
            WaitlistReason.REMOVED,
            WaitlistReason.PLAN_SUPERSEDED,
        ):
            outcome_of[code] = (reason, outcome_of.get(code, ("", physician))[1])
    for code in _handed_over(run, proposed_codes):
        if outcome_of[code][0] == "proposed":
            outcome_of[code] = ("handed_over", outcome_of[code][1])
    counts: Counter[str] = Counter()
    for code in proposed_codes:
        reason, physician = outcome_of[code]
        key = {
            "proposed": "still_proposed",
            "handed_over": "handed_over",
            WaitlistReason.REGISTERED_IMPORT: "registered",
            WaitlistReason.REMOVED: "removed",
            WaitlistReason.PLAN_SUPERSEDED: "back_to_list",
        }.get(reason, "returned")
        counts[key] += 1
        physicians.setdefault(physician, Counter())[key] += 1
        if key == "returned":
            by_reason[reason] += 1
            physicians[physician][str(reason)] += 1
    return {
        "proposed": len(proposed_codes),
        "still_proposed": counts["still_proposed"],
        "registered": counts["registered"],
        "returned": counts["returned"],
        "returned_by_reason": {str(reason): by_reason[reason] for reason in RETURN_REASONS},
        "removed": counts["removed"],
        "back_to_list": counts["back_to_list"],
        "handed_over": counts["handed_over"],
        "physicians": {code: dict(values) for code, values in physicians.items()},
    }


def _handed_over(run: Run, proposed_codes: set[str]) -> set[str]:
    """Of the patients ``run`` proposed, those the plan that superseded it proposed while
    they were still proposed (moved from this plan's proposal to its own: an event from
    proposed to proposed on the superseding run, ``do_propose_waitlist``)."""
    if run.superseded_by_id is None or not proposed_codes:
        return set()
    moved = WaitlistStatusEvent.objects.filter(
        region_id=run.region_id,
        run_id=run.superseded_by_id,
        reason=WaitlistReason.PLAN_APPROVED,
        from_status=WaitlistStatus.ASSIGNED,
    ).values_list("patient_code", flat=True)
    return proposed_codes & set(moved)


@dataclass(frozen=True)
class PhysicianJourney:
    """What became of the patients one plan proposed to one physician (counts only, never
    a patient), and their pace: the CML's follow-up of the physician and the physician's
    own page ("Mes lettres") read this one object.

    ``progress`` is the physician's line of the run's follow-up
    (:class:`web.attribution.followup.PhysicianProgress`: registrations against the
    expected to date, ``behind``), None when the caller had no follow-up (a superseded
    plan on the physician's page) or the physician has none in it.
    ``contact_attempts`` is the region's number (:attr:`Region.contact_attempts`), read now.
    """

    run: Run
    physician_code: str
    contact_attempts: int
    proposed: int = 0
    still_proposed: int = 0
    registered: int = 0
    refused_by_physician: int = 0
    refused_by_patient: int = 0
    unreachable: int = 0
    removed: int = 0
    back_to_list: int = 0
    handed_over: int = 0
    progress: PhysicianProgress | None = None

    @property
    def returned(self) -> int:
        return self.refused_by_physician + self.refused_by_patient + self.unreachable

    @property
    def behind(self) -> bool:
        return self.progress is not None and self.progress.behind

    @property
    def rows(self) -> list[tuple[str, str, int]]:
        """The counts as (key, label in the active language, count), in the journey's
        order; the two rows of a superseded plan only when it has some. "Unreachable"
        does not name a number of attempts: the region's may have changed since."""
        rows = [
            ("still-proposed", _("Proposed, waiting to be registered"), self.still_proposed),
            ("registered", _("Registered"), self.registered),
            (
                "refused-physician",
                _("Returned to the list: refused by the physician"),
                self.refused_by_physician,
            ),
            (
                "refused-patient",
                _("Returned to the list: refused by the patient"),
                self.refused_by_patient,
            ),
            ("unreachable", _("Returned to the list: unreachable"), self.unreachable),
            ("removed", pgettext("journey count", "Removed from the list"), self.removed),
        ]
        if self.handed_over:
            rows.append(
                ("handed-over", _("Proposed since by the plan that replaced it"), self.handed_over)
            )
        if self.back_to_list:
            rows.append(
                (
                    "back-to-list",
                    _("Back on the list when the plan was replaced"),
                    self.back_to_list,
                )
            )
        return rows


def physician_journey(
    run: Run, physician_code: str, report: FollowUp | None = None
) -> PhysicianJourney:
    """The journey of the patients ``run`` proposed to ``physician_code``, with their pace
    from ``report`` (``run``'s follow-up, :func:`web.attribution.followup.follow_up`, when
    the caller has it: its counts and pace are read from it, never computed a second way).
    The caller checked that the user may read this physician's counts."""
    counts = report.journey if report is not None and report.journey else journey_counts(run)
    own: dict[str, int] = counts["physicians"].get(physician_code, {})
    progress = None
    if report is not None:
        progress = next((row for row in report.physicians if row.code == physician_code), None)
    return PhysicianJourney(
        run=run,
        physician_code=physician_code,
        contact_attempts=run.region.contact_attempts,
        proposed=own.get("proposed", 0),
        still_proposed=own.get("still_proposed", 0),
        registered=own.get("registered", 0),
        refused_by_physician=own.get(str(WaitlistReason.REFUSED_BY_PHYSICIAN), 0),
        refused_by_patient=own.get(str(WaitlistReason.REFUSED_BY_PATIENT), 0),
        unreachable=own.get(str(WaitlistReason.UNREACHABLE), 0),
        removed=own.get("removed", 0),
        back_to_list=own.get("back_to_list", 0),
        handed_over=own.get("handed_over", 0),
        progress=progress,
    )


def _unreachable_label(attempts: int) -> str:
    """The return reason "unreachable", naming the region's number of contact attempts."""
    return ngettext(
        "Unreachable after %(attempts)s contact attempt",
        "Unreachable after %(attempts)s contact attempts",
        attempts,
    ) % {"attempts": attempts}


def return_reason_choices(region: Region) -> list[tuple[str, str]]:
    """The reasons a proposed patient is returned for, as (value, label), "unreachable"
    naming the number of contact attempts ``region`` sets."""
    return [
        (
            str(reason),
            _unreachable_label(region.contact_attempts)
            if reason == WaitlistReason.UNREACHABLE
            else str(reason.label),
        )
        for reason in RETURN_REASONS
    ]


def proposed_to(run: Run, physician_code: str) -> list[str]:
    """The patients ``run``'s plan proposed to ``physician_code`` (whatever became of
    them since), by code."""
    return sorted(
        set(
            WaitlistStatusEvent.objects.filter(
                region_id=run.region_id,
                run_id=run.pk,
                reason=WaitlistReason.PLAN_APPROVED,
                physician_code=physician_code,
            ).values_list("patient_code", flat=True)
        )
    )
