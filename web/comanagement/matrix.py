"""The responsibility matrix of the seed (``../shared/spec/comanagement.md``, "Processes and
who holds them") as data: for each process, what the GMF holds, what both hold, what the
CISSS/CIUSSS holds, and the lists of records that carry it (docs/comanagement-plan.md §4,
"Responsibility matrix").

    for line in matrix_lines(gmf, alert_rows):   # gmf None: the texts and no links
        line.label, line.gmf_text, line.shared_text, line.ciusss_text, line.links

A process without records of its own (quality, human resources...) is "discussed in the
joint follow-up": its link leads to the follow-up meetings of its topic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from web.comanagement.alerts import AlertRow
from web.comanagement.models import (
    AnnualReview,
    AttendanceRecord,
    FollowUpMeeting,
    IntegrationItem,
    Placement,
    Post,
    Schedule,
    SelectionStep,
    SupervisionPlan,
    Target,
    TrainingNeed,
    TrainingRequest,
)
from web.regions.models import Gmf

__all__ = ["PROCESSES", "Line", "Link", "Process", "matrix_lines"]


@dataclass(frozen=True)
class LinkSpec:
    """A list of records carrying a process: its label, the route (``comanagement:<name>``,
    taking the GMF's code) with an optional fragment or query, and how many records of a
    GMF it holds."""

    label: Any
    route: str
    count: Callable[[Gmf], int]
    suffix: str = ""


@dataclass(frozen=True)
class Process:
    """A line of the seed's table: the process and what each side holds (the seed's words,
    translated); ``alert_kinds`` are the obligations of the process."""

    key: str
    label: Any
    gmf: Any
    shared: Any
    ciusss: Any
    links: tuple[LinkSpec, ...] = ()
    alert_kinds: tuple[str, ...] = ()

    @property
    def discussed(self) -> bool:
        """Whether the process has no records of its own: it is discussed in the joint
        follow-up (its links lead to the meetings)."""
        return all(spec.route == "performance" and "topic=" in spec.suffix for spec in self.links)


@dataclass
class Link:
    label: str
    url: str
    count: int | None = None


@dataclass
class Line:
    """A process as the page shows it, for one GMF (links, counts, open alerts) or none."""

    key: str
    label: str
    gmf_text: str
    shared_text: str
    ciusss_text: str
    links: list[Link] = field(default_factory=list)
    alerts: int = 0
    discussed: bool = False


def _meetings(topic: str | None = None) -> Callable[[Gmf], int]:
    def count(gmf: Gmf) -> int:
        meetings = FollowUpMeeting.objects.filter(gmf=gmf)
        return (meetings.filter(topic=topic) if topic else meetings).count()

    return count


def _placed(gmf: Gmf) -> int:
    return Placement.objects.filter(gmf=gmf).count()


def _schedules(gmf: Gmf) -> int:
    return Schedule.objects.filter(placement__gmf=gmf).count()


def _meeting_link(topic: str) -> LinkSpec:
    return LinkSpec(
        pgettext_lazy("comanagement matrix", "Joint follow-up meetings"),
        "performance",
        _meetings(topic),
        f"?topic={topic}#meetings",
    )


PROCESSES: tuple[Process, ...] = (
    Process(
        "choose_type",
        pgettext_lazy("comanagement matrix", "Choose the type of professional"),
        _("Evaluate the needs of the GMF's clients"),
        "",
        _(
            "Determine the resources required (programme criteria, clients' needs, "
            "CISSS/CIUSSS resources); plan the use of financial and professional resources"
        ),
        (
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Annual reviews and entitlement"),
                "gmf-detail",
                lambda gmf: AnnualReview.objects.filter(gmf=gmf).count(),
            ),
        ),
    ),
    Process(
        "hire",
        pgettext_lazy("comanagement matrix", "Hire and allocate"),
        "",
        "",
        _(
            "Hire and allocate within 3 months of the GMF's recognition or of its annual "
            "review; replace any absence longer than 4 consecutive weeks"
        ),
        (
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Posts"),
                "post-list",
                lambda gmf: Post.objects.filter(gmf=gmf).count(),
            ),
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Professionals and their absences"),
                "professional-list",
                _placed,
            ),
        ),
        ("hiring_deadline_passed", "absence_not_replaced"),
    ),
    Process(
        "select",
        pgettext_lazy("comanagement matrix", "Select"),
        _("May take part in the selection interview"),
        "",
        _("Run the selection (posting, pre-selection, tests, interview)"),
        (
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Selection steps of the posts"),
                "post-list",
                lambda gmf: SelectionStep.objects.filter(post__gmf=gmf).count(),
            ),
        ),
    ),
    Process(
        "integrate",
        pgettext_lazy("comanagement matrix", "Integrate"),
        _(
            "Prepare the team (role information, referral mechanism, introduction, pairing); "
            "plan the welcome; provide a work space, EMR access, work materials"
        ),
        "",
        _(
            "Prepare the professional (referral to the CISSS/CIUSSS, link with the "
            "supervisor, supervision modalities, training for the role); give access to the "
            "CISSS/CIUSSS systems and the QHR key"
        ),
        (
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Integration checklists"),
                "professional-list",
                lambda gmf: IntegrationItem.objects.filter(placement__gmf=gmf).count(),
            ),
        ),
        ("integration_item_overdue",),
    ),
    Process(
        "schedule",
        pgettext_lazy("comanagement matrix", "Work schedule"),
        _("Draw up the schedules; inform the CISSS/CIUSSS of every absence or change"),
        "",
        _(
            "Plan work and holiday schedules under the collective agreement; validate the "
            "schedules (changes, holidays, vacations); approve the attendance records"
        ),
        (
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Schedules, absences and attendance"),
                "professional-list",
                _schedules,
            ),
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Attendance records"),
                "professional-list",
                lambda gmf: AttendanceRecord.objects.filter(placement__gmf=gmf).count(),
            ),
        ),
        ("schedule_not_validated", "attendance_not_approved"),
    ),
    Process(
        "clinical",
        pgettext_lazy("comanagement matrix", "Clinical operations"),
        _(
            "Clinical processes and contributions; the conditions for each professional to "
            "play their full role"
        ),
        _("Regular joint follow-up of the professionals' functions and collaboration"),
        _("Roles that conform to the task descriptions and the professional orders' requirements"),
        (
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Joint follow-up meetings"),
                "performance",
                _meetings(),
                "#meetings",
            ),
        ),
    ),
    Process(
        "training",
        pgettext_lazy("comanagement matrix", "Training"),
        _(
            "Allow time for training; inform of the GMF's training offer; pay the training "
            "outside the CISSS/CIUSSS programme; identify needs tied to the GMF roles"
        ),
        "",
        _(
            "Identify needs tied to the quality standards; organise training; approve "
            "external training (free or paid); record attendance in the employee's file"
        ),
        (
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Training needs and requests"),
                "training-list",
                lambda gmf: (
                    TrainingRequest.objects.filter(placement__gmf=gmf).count()
                    + TrainingNeed.objects.filter(gmf=gmf).count()
                ),
            ),
        ),
        ("training_request_pending",),
    ),
    Process(
        "supervision",
        pgettext_lazy("comanagement matrix", "Clinical supervision"),
        _("Give access to the medical files of the patients the professionals follow"),
        "",
        _(
            "Set the supervision modalities of each professional (frequency, site, form, "
            "length); ensure the supervision"
        ),
        (
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Supervision plans"),
                "professional-list",
                lambda gmf: SupervisionPlan.objects.filter(placement__gmf=gmf).count(),
            ),
        ),
        ("supervision_overdue",),
    ),
    Process(
        "quality",
        pgettext_lazy("comanagement matrix", "Quality"),
        _("Quality of the services of the clinic's own professionals; conditions for quality"),
        "",
        _("Quality of the acts and services of the CISSS/CIUSSS professionals"),
        (_meeting_link("quality"),),
    ),
    Process(
        "integration_follow_up",
        pgettext_lazy("comanagement matrix", "Follow-up of the integration"),
        "",
        _("Regular joint follow-up"),
        "",
        (_meeting_link("integration"),),
    ),
    Process(
        "performance",
        pgettext_lazy("comanagement matrix", "Performance"),
        _(
            "Provide the statistics: patients seen, interventions, delays of access to "
            "services, as the Ministry requires"
        ),
        _("Agree on targets; develop strategies; joint follow-up of the data"),
        _("Systematic measurement of service delays and consultations, from the EMR"),
        (
            LinkSpec(
                pgettext_lazy("comanagement matrix", "Targets and strategies"),
                "performance",
                lambda gmf: Target.objects.filter(gmf=gmf).count(),
            ),
            _meeting_link("performance"),
        ),
        ("target_missed",),
    ),
    Process(
        "human_resources",
        pgettext_lazy("comanagement matrix", "Human resources"),
        _("Manage the clinic's staff"),
        _("Work together to solve problems in the GMF"),
        _("Manage the CISSS/CIUSSS staff; cohesion between the clinic and the CISSS/CIUSSS"),
        (_meeting_link("human_resources"),),
    ),
    Process(
        "programme",
        pgettext_lazy("comanagement matrix", "Programme requirements"),
        _("Comply and meet the targets"),
        _("Periodic follow-up, discuss changes of course"),
        _("Follow-up, help identify a course of action and support it"),
        (_meeting_link("programme"),),
    ),
)


def matrix_lines(gmf: Gmf | None, alert_rows: Iterable[AlertRow] = ()) -> list[Line]:
    """The matrix's lines: the texts of each side; with a ``gmf`` (checked by the view),
    each line's links to that GMF's records with their counts and the number of its open
    alerts of the process's kinds among ``alert_rows``."""
    open_kinds: dict[str, int] = {}
    for row in alert_rows:
        if gmf is not None and row.gmf.pk == gmf.pk:
            open_kinds[row.kind] = open_kinds.get(row.kind, 0) + 1
    lines = []
    for process in PROCESSES:
        line = Line(
            process.key,
            str(process.label),
            str(process.gmf),
            str(process.shared),
            str(process.ciusss),
            discussed=process.discussed,
        )
        if gmf is not None:
            line.links = [
                Link(
                    str(spec.label),
                    reverse(f"comanagement:{spec.route}", args=[gmf.code]) + spec.suffix,
                    spec.count(gmf),
                )
                for spec in process.links
            ]
            line.alerts = sum(open_kinds.get(kind, 0) for kind in process.alert_kinds)
        lines.append(line)
    return lines
