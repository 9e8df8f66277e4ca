"""The read side of the coach's dashboard and of the DRMG's counts (docs/quality-plan.md §5):
each member's progress in a group, the steps that are late (« en retard »), and the
region's counts per cycle — counts only, never a name.

**Late steps.** The source gives no deadline between the invitation and the review (research
notes B4: only the 5-year cycle and its one-year deferral are sourced). The delays below are
**illustrative**, kept here in one place so that the region can change them; each is
counted as the co-management's are: *the delay's last day is on time, the day after is
late* (a pending invitation sent on 1 March is on time on 31 March, day 30, and late on
1 April, day 31).

=========================  ======================================================  =========
step                       late when                                               delay
=========================  ======================================================  =========
``invitation_unanswered``  an invitation still pending more than N days after it   30 days
                           was sent (the invitee is named: the group's coach and
                           members see its invitations)
``no_activity_started``    a member of a *formed* group (2 members) who has not    60 days
                           started any of the four activities N days after the
                           group formed (after they joined, for a later member)
``plan_not_reviewed``      a plan submitted and not reviewed (no review on or      30 days
                           after its submission) N days after its submission
``selection_overdue``      the member's selection is overdue: the core's           core
                           :func:`panelcare.quality.cycle.status` is ``overdue``
                           (the due date, moved by a deferral, passed without an
                           accepted plan; or the 5 years after one lapsed)
=========================  ======================================================  =========

**A group's cycle** (for the counts): the 5-year cycle whose years hold the day the group
was created (``cycle`` ≤ year < ``cycle`` + :data:`panelcare.quality.cycle.CYCLE_YEARS`).

Nothing here reads the clock: callers pass ``on`` (``timezone.localdate()`` in views).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from panelcare.quality import cycle, plans
from panelcare.quality.groups import MIN_MEMBERS
from web.quality import messages
from web.quality.models import (
    Activity,
    Completion,
    Group,
    Invitation,
    InvitationStatus,
    Plan,
    PlanStatus,
    Review,
    Selection,
)
from web.quality.services.selection import cycle_name, cycle_record, requirement_record
from web.regions.models import Physician, Region

__all__ = [
    "ACTIVITIES_TOTAL",
    "COUNT_LABELS",
    "DELAYS",
    "FIRST_ACTIVITY_DAYS",
    "INVITATION_ANSWER_DAYS",
    "OVERDUE_LABELS",
    "PLAN_REVIEW_DAYS",
    "CycleCounts",
    "GroupProgress",
    "MemberProgress",
    "OverdueStep",
    "counts_per_cycle",
    "cycle_status",
    "group_progress",
    "group_sizes",
    "groups_progress",
]

# -- the illustrative delays (days; the last day is on time) -----------------------------
INVITATION_ANSWER_DAYS = 30
FIRST_ACTIVITY_DAYS = 60
PLAN_REVIEW_DAYS = 30
# The same, by the kind of step they make late (the coach's page prints them).
DELAYS = {
    "invitation_unanswered": INVITATION_ANSWER_DAYS,
    "no_activity_started": FIRST_ACTIVITY_DAYS,
    "plan_not_reviewed": PLAN_REVIEW_DAYS,
}

ACTIVITIES_TOTAL = len(plans.ACTIVITIES)  # the four activities

OVERDUE_LABELS = {
    "invitation_unanswered": _("Invitation unanswered for more than %(days)s days"),
    "no_activity_started": _("No activity started %(days)s days after the group formed"),
    "plan_not_reviewed": _("Plan submitted and not reviewed within %(days)s days"),
    "selection_overdue": _("Quality requirement due on %(due)s and not met"),
}

# The DRMG's counts, in the order of the path (docs/quality-plan.md §5).
COUNT_LABELS = {
    "selected": pgettext_lazy("QI counts", "Selected"),
    "deferred": pgettext_lazy("QI counts", "Deferred"),
    "in_group": _("In a group"),
    "groups_formed": _("Groups formed"),
    "activities_completed": _("Four activities completed"),
    "plans_submitted": _("Plans submitted"),
    "plans_accepted": _("Plans accepted"),
    "met": _("Requirement met"),
    "overdue": pgettext_lazy("QI counts", "Overdue"),
}


@dataclass(frozen=True)
class OverdueStep:
    """A late step.

    Attributes:
        kind: a key of :data:`OVERDUE_LABELS`.
        deadline: the last day on time.
        days_late: days since the deadline (1 the day after it).
        physician: the member (or invitee) concerned; ``None`` for the group's plan.
    """

    kind: str
    deadline: datetime.date
    days_late: int
    physician: Physician | None = None

    @property
    def label(self) -> str:
        """The step in the reader's language."""
        if self.kind == "selection_overdue":
            return str(OVERDUE_LABELS[self.kind]) % {"due": date_format(self.deadline)}
        return str(OVERDUE_LABELS[self.kind]) % {"days": DELAYS[self.kind]}


@dataclass(frozen=True)
class MemberProgress:
    """A member's progress in a group.

    Attributes:
        physician: the member (the founder or an accepted invitee).
        activities_done: activities completed, of :data:`ACTIVITIES_TOTAL`.
        activities_started: activities with saved progress (completed or not).
        cycle_status: the core's status of the member's latest selection on the day
            (``not_selected`` without one).
        due: that selection's due date in force (moved by a deferral; after completion,
            the next one), ``None`` without a selection.
        overdue: the member's late steps.
    """

    physician: Physician
    activities_done: int
    activities_started: int
    cycle_status: str
    due: datetime.date | None = None
    overdue: tuple[OverdueStep, ...] = ()
    activities_total: int = ACTIVITIES_TOTAL

    @property
    def cycle_status_label(self) -> str:
        return messages.status_label(self.cycle_status)


@dataclass(frozen=True)
class GroupProgress:
    """A group's progress.

    Attributes:
        group: the group.
        members: each member's progress, the founder first, then by name.
        pending_invitations: invitations waiting for an answer.
        formed_on: the day the group reached :data:`panelcare.quality.groups.MIN_MEMBERS`
            members, ``None`` before.
        plan_status: the plan's status (a :class:`PlanStatus` value), ``None`` without a
            plan.
        overdue: every late step of the group (its members' included).
    """

    group: Group
    members: tuple[MemberProgress, ...]
    pending_invitations: int
    formed_on: datetime.date | None
    plan_status: str | None
    overdue: tuple[OverdueStep, ...] = field(default=())

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def awaiting_review(self) -> bool:
        """The plan is submitted: the coach has a review to write."""
        return self.plan_status == PlanStatus.SUBMITTED

    @property
    def plan_status_label(self) -> str:
        if self.plan_status is None:
            return str(_("No plan yet"))
        return str(PlanStatus(self.plan_status).label)


def _late(start: datetime.date, days: int, on: datetime.date) -> int:
    """Days late of a step started on ``start`` with ``days`` to do it (0: on time)."""
    return max(0, (on - start).days - days)


def cycle_status(selection: Selection | None, on: datetime.date) -> str:
    """The core's status of ``selection`` on ``on`` (``not_selected`` without one)."""
    if selection is None:
        return "not_selected"
    return cycle.status(cycle_record(selection), on=on)


def _groups_queryset(groups: QuerySet[Group]) -> QuerySet[Group]:
    return groups.select_related("founder", "coach").prefetch_related(
        Prefetch(
            "invitations",
            queryset=Invitation.objects.select_related("physician").order_by("sent_on", "pk"),
        ),
        Prefetch(
            "activities",
            queryset=Activity.objects.only(
                "pk", "group_id", "physician_id", "kind", "completed_on"
            ),
        ),
    )


def groups_progress(groups: QuerySet[Group], on: datetime.date) -> list[GroupProgress]:
    """The progress of each of ``groups`` (checked by the caller through
    :mod:`web.accounts.access`) on ``on``, in the queryset's order."""
    rows = list(_groups_queryset(groups))
    plans_by_group = {
        plan.group_id: plan for plan in Plan.objects.filter(group__in=[row.pk for row in rows])
    }
    reviewed = set(
        Review.objects.filter(plan__in=plans_by_group.values()).values_list(
            "plan_id", "reviewed_on"
        )
    )
    member_ids = {row.founder_id for row in rows} | {
        invitation.physician_id
        for row in rows
        for invitation in row.invitations.all()
        if invitation.status == InvitationStatus.ACCEPTED
    }
    latest: dict[int, Selection] = {}
    for selection in Selection.objects.filter(physician_id__in=member_ids).order_by("cycle"):
        latest[selection.physician_id] = selection  # the latest cycle wins
    completions: dict[int, Completion] = {}
    for completion in Completion.objects.filter(physician_id__in=member_ids).order_by(
        "accepted_on", "pk"
    ):
        completions[completion.physician_id] = completion  # the latest wins
    records = {pk: requirement_record(pk, latest.get(pk), completions.get(pk)) for pk in member_ids}
    return [_progress(row, plans_by_group.get(row.pk), reviewed, records, on) for row in rows]


def group_sizes(groups: QuerySet[Group]) -> list[tuple[Group, int]]:
    """Each of ``groups`` with its number of members (the founder and the accepted
    invitees), nothing of who they are: the coach's groups to take up."""
    counted = groups.annotate(
        accepted=Count("invitations", filter=Q(invitations__status=InvitationStatus.ACCEPTED))
    )
    return [(group, 1 + group.accepted) for group in counted]


def group_progress(group: Group, on: datetime.date) -> GroupProgress:
    """The progress of one ``group`` on ``on``."""
    return groups_progress(Group.objects.filter(pk=group.pk), on)[0]


def _progress(
    group: Group,
    plan: Plan | None,
    reviewed: set[tuple[int, datetime.date]],
    records: dict[int, cycle.CycleRecord | None],
    on: datetime.date,
) -> GroupProgress:
    invitations = list(group.invitations.all())
    accepted = [i for i in invitations if i.status == InvitationStatus.ACCEPTED]
    # The day each member joined: the founder at creation, an invitee on their answer.
    joined = {group.founder_id: group.created_on}
    for invitation in accepted:
        joined[invitation.physician_id] = invitation.answered_on or invitation.sent_on
    # Formed at 2 members (the founder counts): the earliest accepted answer.
    formed_on = min((joined[i.physician_id] for i in accepted), default=None)
    overdue: list[OverdueStep] = []

    for invitation in invitations:
        if invitation.status != InvitationStatus.PENDING:
            continue
        late = _late(invitation.sent_on, INVITATION_ANSWER_DAYS, on)
        if late:
            overdue.append(
                OverdueStep(
                    "invitation_unanswered",
                    invitation.sent_on + datetime.timedelta(days=INVITATION_ANSWER_DAYS),
                    late,
                    invitation.physician,
                )
            )

    activities = list(group.activities.all())
    invitees = sorted((i.physician for i in accepted), key=lambda physician: physician.name)
    members_order = [group.founder, *invitees]
    members = []
    for physician in members_order:
        own = [a for a in activities if a.physician_id == physician.pk]
        steps: list[OverdueStep] = []
        if formed_on is not None and not own:
            start = max(formed_on, joined[physician.pk])
            late = _late(start, FIRST_ACTIVITY_DAYS, on)
            if late:
                deadline = start + datetime.timedelta(days=FIRST_ACTIVITY_DAYS)
                steps.append(OverdueStep("no_activity_started", deadline, late, physician))
        record = records.get(physician.pk)
        status = cycle.status(record, on=on) if record is not None else "not_selected"
        if status == "overdue" and record is not None and record.due is not None:
            steps.append(
                OverdueStep("selection_overdue", record.due, (on - record.due).days, physician)
            )
        overdue.extend(steps)
        members.append(
            MemberProgress(
                physician=physician,
                activities_done=sum(1 for a in own if a.completed_on is not None),
                activities_started=len(own),
                cycle_status=status,
                due=record.due if record is not None else None,
                overdue=tuple(steps),
            )
        )

    if plan is not None and plan.status == PlanStatus.SUBMITTED and plan.submitted_on:
        answered = any(plan_id == plan.pk and day >= plan.submitted_on for plan_id, day in reviewed)
        late = _late(plan.submitted_on, PLAN_REVIEW_DAYS, on)
        if late and not answered:
            deadline = plan.submitted_on + datetime.timedelta(days=PLAN_REVIEW_DAYS)
            overdue.append(OverdueStep("plan_not_reviewed", deadline, late))

    return GroupProgress(
        group=group,
        members=tuple(members),
        pending_invitations=sum(1 for i in invitations if i.status == InvitationStatus.PENDING),
        formed_on=formed_on,
        plan_status=plan.status if plan is not None else None,
        # The longest late first: what the coach chases first.
        overdue=tuple(sorted(overdue, key=lambda step: -step.days_late)),
    )


# -- the DRMG's counts -------------------------------------------------------------------


@dataclass(frozen=True)
class CycleCounts:
    """The region's counts for one cycle (no name: physicians are counted, never listed).

    Attributes:
        cycle: the cycle's first year.
        selected: physicians selected for the cycle (deferred ones included).
        deferred: of them, those with a deferral recorded.
        in_group: of them, members (founder or accepted) of a group of the cycle.
        groups_formed: groups of the cycle with
            :data:`~panelcare.quality.groups.MIN_MEMBERS` members or more.
        activities_completed: of them, those who completed the four activities in a group
            of the cycle.
        plans_submitted: plans of the cycle's groups ever submitted.
        plans_accepted: of them, the accepted ones.
        met: selected physicians whose status is ``met`` on the day.
        overdue: selected physicians whose status is ``overdue`` on the day.
    """

    cycle: int
    selected: int
    deferred: int
    in_group: int
    groups_formed: int
    activities_completed: int
    plans_submitted: int
    plans_accepted: int
    met: int
    overdue: int

    @property
    def label(self) -> str:
        return cycle_name(self.cycle)

    def values(self) -> list[tuple[str, str, int]]:
        """``(key, label, count)`` in the order of :data:`COUNT_LABELS`."""
        return [(key, str(label), getattr(self, key)) for key, label in COUNT_LABELS.items()]


def _in_cycle(day: datetime.date, first_year: int) -> bool:
    return first_year <= day.year < first_year + cycle.CYCLE_YEARS


def counts_per_cycle(region: Region, on: datetime.date) -> list[CycleCounts]:
    """The counts of ``region`` (checked by the caller: the DRMG's) per cycle, the latest
    first, on ``on``. A cycle appears once a physician is selected for it."""
    selections = list(Selection.objects.filter(region=region))
    region_groups = list(
        _groups_queryset(Group.objects.filter(region=region)).select_related("plan")
    )
    # The members of each group and the activities they completed in it.
    members_of: dict[int, set[int]] = {}
    done_in: dict[tuple[int, int], set[str]] = {}
    for group in region_groups:
        members_of[group.pk] = {group.founder_id} | {
            i.physician_id for i in group.invitations.all() if i.status == InvitationStatus.ACCEPTED
        }
        for activity in group.activities.all():
            if activity.completed_on is not None:
                done_in.setdefault((group.pk, activity.physician_id), set()).add(activity.kind)
    result = []
    for first_year in sorted({s.cycle for s in selections}, reverse=True):
        chosen = [s for s in selections if s.cycle == first_year]
        cycle_groups = [g for g in region_groups if _in_cycle(g.created_on, first_year)]
        in_group = {
            s.physician_id
            for s in chosen
            if any(s.physician_id in members_of[g.pk] for g in cycle_groups)
        }
        completed = {
            s.physician_id
            for s in chosen
            if any(
                len(done_in.get((g.pk, s.physician_id), ())) >= ACTIVITIES_TOTAL
                for g in cycle_groups
            )
        }
        cycle_plans = [g.plan for g in cycle_groups if hasattr(g, "plan")]
        statuses = [cycle_status(s, on) for s in chosen]
        result.append(
            CycleCounts(
                cycle=first_year,
                selected=len(chosen),
                deferred=sum(1 for s in chosen if s.deferred_on is not None),
                in_group=len(in_group),
                groups_formed=sum(1 for g in cycle_groups if len(members_of[g.pk]) >= MIN_MEMBERS),
                activities_completed=len(completed),
                plans_submitted=sum(1 for p in cycle_plans if p.submitted_on is not None),
                plans_accepted=sum(1 for p in cycle_plans if p.status == PlanStatus.ACCEPTED),
                met=statuses.count("met"),
                overdue=statuses.count("overdue"),
            )
        )
    return result
