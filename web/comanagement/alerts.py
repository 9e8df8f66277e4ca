"""The co-management's alerts: the eight obligations of the core
(:mod:`panelcare.comanagement.obligations`) run on the records of a set of GMFs for a day
(docs/comanagement-plan.md §4, "Alerts"). The alerts page, the GMF page, the daily command
and its e-mails all call :func:`alerts`; :func:`for_side` keeps a side's.

    gmfs = access.visible_comanagement_gmfs(user)           # the view's access call
    rows = for_side(alerts(gmfs, today), access.comanagement_side(user), "mine")

The delays no source fixes (training requests, attendance records) are each
establishment's, from its agreement rules version in force on the day
(:func:`web.comanagement.reference.rules_in_force`); an establishment without a version
yet gets the model's defaults (:data:`DEFAULT_DELAYS`), so that no obligation is left out
while its rules are being written.

Nothing here checks who reads: the caller passes the GMFs the user may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from panelcare.comanagement import obligations
from web.comanagement import records, reference
from web.comanagement.models import (
    Absence,
    AgreementRulesVersion,
    AttendanceRecord,
    IntegrationItem,
    Post,
    Replacement,
    Schedule,
    Side,
    SupervisionPlan,
    SupervisionSession,
    Target,
    TrainingRequest,
)
from web.regions.models import Gmf

__all__ = [
    "DEFAULT_DELAYS",
    "KIND_LABELS",
    "SIDE_FILTERS",
    "AlertRow",
    "alerts",
    "counts_by_gmf",
    "delays",
    "for_side",
]

# The alert kinds, in the order, as the pages name them.
KIND_LABELS: dict[str, Any] = {
    "hiring_deadline_passed": pgettext_lazy("comanagement alert", "Hiring deadline passed"),
    "absence_not_replaced": pgettext_lazy("comanagement alert", "Absence not replaced"),
    "schedule_not_validated": pgettext_lazy("comanagement alert", "Schedule not validated"),
    "attendance_not_approved": pgettext_lazy(
        "comanagement alert", "Attendance record not approved"
    ),
    "training_request_pending": pgettext_lazy("comanagement alert", "Training request not decided"),
    "supervision_overdue": pgettext_lazy("comanagement alert", "Clinical supervision overdue"),
    "integration_item_overdue": pgettext_lazy("comanagement alert", "Integration item overdue"),
    "target_missed": pgettext_lazy("comanagement alert", "Target missed"),
}

# ?side= of the alerts page: the user's side's alerts (the default), the other side's, all.
SIDE_FILTERS = ("mine", "other", "all")


def _default(field: str) -> int:
    return int(AgreementRulesVersion._meta.get_field(field).get_default())


# An establishment without agreement rules yet: the model's defaults (30 and 14 days).
DEFAULT_DELAYS: dict[str, int] = {
    "training_decide_within_days": _default("training_decide_within_days"),
    "attendance_approve_within_days": _default("attendance_approve_within_days"),
}


@dataclass(frozen=True)
class AlertRow:
    """An alert as the pages, the command and the e-mails show it.

    Attributes:
        kind: the rule's code (``hiring_deadline_passed``...); ``kind_label`` its name.
        gmf: the GMF (its ``code``, ``name``, ``rls``).
        owner: the side that must act (``gmf``, ``ciusss``, ``both``); ``owner_label``.
        subject: the record's subject id (``"post:12"``, :func:`records.subject_id`);
            ``subject_label`` what it is (« Poste d'infirmière clinicienne (1,00 ETC) »).
        link: the address of the record's page (the site's path, not a full URL).
        due: the last day on time (for an absence, the first day without replacement).
        days_late: days past ``due``, 1 or more.
    """

    kind: str
    kind_label: str
    gmf: Gmf
    owner: str
    owner_label: str
    subject: str
    subject_label: str
    link: str
    due: date
    days_late: int


def delays(establishment_id: int | None, on: date) -> dict[str, int]:
    """The training and attendance delays (days) of an establishment on ``on``: its
    agreement rules version in force, else :data:`DEFAULT_DELAYS`."""
    version = None
    if establishment_id is not None:
        from web.regions.models import Establishment

        establishment = Establishment.objects.filter(pk=establishment_id).first()
        if establishment is not None:
            version = reference.rules_in_force(establishment, on)
    if version is None:
        return dict(DEFAULT_DELAYS)
    return {
        "training_decide_within_days": version.training_decide_within_days,
        "attendance_approve_within_days": version.attendance_approve_within_days,
    }


def _in_force(prefix: str, on: date) -> Q:
    """The rows whose placement ``prefix`` is in force on ``on`` (half-open)."""
    return Q(**{f"{prefix}start__lte": on}) & (
        Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gt": on})
    )


def _core_alerts(gmfs: list[Gmf], on: date) -> list[obligations.Alert]:
    """The eight rules on the records of ``gmfs`` for ``on``."""
    found: list[obligations.Alert] = []
    # A closed post is owed no more.
    open_posts = Post.objects.filter(gmf__in=gmfs).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=on)
    )
    found += obligations.hiring_deadline_passed(records.posts(open_posts), on)
    # An absence is owed a replacement while the professional is placed: not once they left.
    found += obligations.absence_not_replaced(
        records.absences(
            Absence.objects.filter(placement__gmf__in=gmfs, start__lte=on).filter(
                _in_force("placement__", on)
            )
        ),
        records.replacements(Replacement.objects.filter(absence__placement__gmf__in=gmfs)),
        on,
    )
    # Schedules, supervision and the checklist too.
    found += obligations.schedule_not_validated(
        records.obligation_schedules(
            Schedule.objects.filter(placement__gmf__in=gmfs).filter(_in_force("placement__", on))
        ),
        on,
    )
    found += obligations.supervision_overdue(
        records.supervision_plans(
            SupervisionPlan.objects.filter(placement__gmf__in=gmfs).filter(
                _in_force("placement__", on)
            )
        ),
        records.supervision_sessions(
            SupervisionSession.objects.filter(plan__placement__gmf__in=gmfs, held_on__lte=on)
        ),
        on,
    )
    found += obligations.integration_item_overdue(
        records.integration_items(
            IntegrationItem.objects.filter(placement__gmf__in=gmfs).filter(
                _in_force("placement__", on)
            )
        ),
        on,
    )
    # The delays are each establishment's: run these two rules per establishment.
    by_establishment: dict[int | None, list[Gmf]] = {}
    for gmf in gmfs:
        by_establishment.setdefault(gmf.rls.establishment_id, []).append(gmf)
    for establishment_id, group in by_establishment.items():
        days = delays(establishment_id, on)
        found += obligations.training_request_pending(
            records.training_requests(
                TrainingRequest.objects.filter(placement__gmf__in=group, submitted_on__lte=on)
            ),
            on,
            decide_within_days=days["training_decide_within_days"],
        )
        found += obligations.attendance_not_approved(
            records.attendance(
                AttendanceRecord.objects.filter(placement__gmf__in=group, submitted_on__lte=on)
            ),
            on,
            approve_within_days=days["attendance_approve_within_days"],
        )
    by_region: dict[int, list[str]] = {}
    for gmf in gmfs:
        by_region.setdefault(gmf.rls.region_id, []).append(gmf.code)
    targets = records.targets(Target.objects.filter(gmf__in=gmfs))
    if targets:
        from web.regions.models import Region

        statistics: list[obligations.MonthlyStatistic] = []
        for region in Region.objects.filter(pk__in=by_region):
            statistics += records.statistics(by_region[region.pk], region)
        found += obligations.target_missed(targets, statistics, on)
    return found


def alerts(gmfs: Iterable[Gmf] | QuerySet[Gmf], on: date) -> list[AlertRow]:
    """Every alert of ``gmfs`` on ``on``, labelled in the active language, sorted by
    GMF, kind (the issue's order), due day and subject.

    Raises:
        panelcare.comanagement.errors.RecordError: a record contradicts itself (the
            models' constraints prevent it).
    """
    gmf_list = list(gmfs.select_related("rls__region") if isinstance(gmfs, QuerySet) else gmfs)
    if not gmf_list:
        return []
    found = _core_alerts(gmf_list, on)
    by_code = {gmf.code: gmf for gmf in gmf_list}
    subjects = _subjects([alert.subject for alert in found])
    order = {kind: index for index, kind in enumerate(obligations.KINDS)}
    found.sort(key=lambda a: (a.gmf, order[a.kind], a.due, _subject_key(a.subject)))
    return [
        AlertRow(
            kind=alert.kind,
            kind_label=str(KIND_LABELS[alert.kind]),
            gmf=by_code[alert.gmf],
            owner=alert.owner,
            owner_label=str(Side(alert.owner).label),
            subject=alert.subject,
            subject_label=_subject_label(subjects[alert.subject]),
            link=_link(subjects[alert.subject]),
            due=alert.due,
            days_late=alert.days_late,
        )
        for alert in found
    ]


def for_side(rows: Iterable[AlertRow], side: str, which: str = "mine") -> list[AlertRow]:
    """The rows of ``rows`` a side looks at: ``which`` is ``"mine"`` (owned by ``side``
    or by both), ``"other"`` (owned by the other side only) or ``"all"``. The DRMG
    (``side`` ``"drmg"``) owns none and reads all of them, whatever ``which``."""
    rows = list(rows)
    if side == "drmg" or which == "all":
        return rows
    if which == "other":
        return [row for row in rows if row.owner not in (side, Side.BOTH)]
    return [row for row in rows if row.owner in (side, Side.BOTH)]


def counts_by_gmf(rows: Iterable[AlertRow]) -> dict[str, dict[str, int]]:
    """The number of alerts per GMF code and kind (``{"G1": {"target_missed": 2}}``),
    for the GMF list and the matrix."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        by_kind = counts.setdefault(row.gmf.code, {})
        by_kind[row.kind] = by_kind.get(row.kind, 0) + 1
    return counts


# --- what a subject is, and where it leads ------------------------------------------------


def _subject_key(subject: str) -> tuple[str, int]:
    """``"post:12"`` as a key sorting ``post:9`` before ``post:10``."""
    name, _sep, pk = subject.partition(":")
    return name, int(pk)


def _subjects(subject_ids: list[str]) -> dict[str, Any]:
    """The records named by ``subject_ids``, one query per model."""
    wanted: dict[type, list[int]] = {}
    for text in subject_ids:
        model, pk = records.parse_subject(text)
        wanted.setdefault(model, []).append(pk)
    related = {
        Post: ["gmf"],
        Target: ["gmf", "placement__professional"],
    }
    found: dict[str, Any] = {}
    for model, pks in wanted.items():
        query = model.objects.filter(pk__in=pks)
        query = query.select_related(
            *related.get(model, ["placement__professional", "placement__gmf"])
        )
        for obj in query:
            found[records.subject_id(obj)] = obj
    return found


def _day(day: date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _subject_label(obj: Any) -> str:
    """What the record an alert is about is, in a sentence's words."""
    if isinstance(obj, Post):
        return _("%(type)s post (%(fte)s FTE)") % {
            "type": reference.type_label(obj.professional_type),
            "fte": _number(obj.fte),
        }
    if isinstance(obj, Target):
        who = (
            obj.placement.professional.name
            if obj.placement is not None
            else _("the GMF as a whole")
        )
        return _("Target of %(indicator)s for %(who)s: %(value)s") % {
            "indicator": obj.get_indicator_display().lower(),
            "who": who,
            "value": _number(obj.value),
        }
    name = obj.placement.professional.name
    if isinstance(obj, Absence):
        return _("Absence of %(name)s since %(start)s") % {"name": name, "start": _day(obj.start)}
    if isinstance(obj, Schedule):
        return _("Schedule of %(name)s from %(start)s") % {
            "name": name,
            "start": _day(obj.first_day),
        }
    if isinstance(obj, AttendanceRecord):
        return _("Attendance of %(name)s from %(start)s to %(end)s") % {
            "name": name,
            "start": _day(obj.start),
            "end": _day(obj.end),
        }
    if isinstance(obj, TrainingRequest):
        return _("Training « %(title)s » of %(name)s") % {"title": obj.title, "name": name}
    if isinstance(obj, SupervisionPlan):
        return _("Clinical supervision of %(name)s") % {"name": name}
    if isinstance(obj, IntegrationItem):
        return _("%(item)s for %(name)s") % {"item": obj.get_item_display(), "name": name}
    return str(obj)


def _number(value: Any) -> str:
    from django.utils.formats import number_format

    return number_format(value, decimal_pos=2 if value != int(value) else 0)


def _link(obj: Any) -> str:
    """The page of the record an alert is about (the page where its owner acts)."""
    if isinstance(obj, Post):
        return reverse("comanagement:post-detail", args=[obj.pk])
    if isinstance(obj, Absence):
        return reverse("comanagement:absence-detail", args=[obj.pk])
    if isinstance(obj, Schedule):
        return reverse("comanagement:schedule-detail", args=[obj.pk])
    if isinstance(obj, TrainingRequest):
        return reverse("comanagement:training-list", args=[obj.placement.gmf.code])
    if isinstance(obj, Target):
        return reverse("comanagement:performance", args=[obj.gmf.code])
    # An attendance record, a supervision plan, an integration item: the placement's page
    # (the professional's hub) holds them.
    return reverse("comanagement:placement-detail", args=[obj.placement_id])
