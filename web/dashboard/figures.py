"""The dashboard's figures, computed from querysets the access module has already narrowed.

Nothing here decides who sees what: callers pass ``visible_rls(user)`` and friends.

The registrations and the waiting list read here are the database projection of the
versions in force (:mod:`web.tables.projections`); the quarterly tables
(:mod:`web.attribution.quarterly`) count with these same functions, so that the two pages
always show the same registration figures for the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from web.regions.models import Patient, Physician, Region, Registration, Rls, WaitlistEntry

PRIORITIES = ("A", "B", "C", "D", "E")

# Registration strata of the quarterly tables (DSP-PR-30042, section 4).
STRATA: tuple[tuple[int, int | None, str], ...] = (
    (0, 249, "0-249"),
    (250, 499, "250-499"),
    (500, 749, "500-749"),
    (750, 999, "750-999"),
    (1000, 1499, "1 000-1 499"),
    (1500, None, "1 500+"),
)


def stratum_label(registered: int) -> str:
    for low, high, label in STRATA:
        if registered >= low and (high is None or registered <= high):
            return label
    raise ValueError(f"negative registration count: {registered}")


@dataclass(frozen=True)
class RlsRegistration:
    code: str
    name: str
    residents: int
    registered: int
    goal: float

    @property
    def rate(self) -> float | None:
        return self.registered / self.residents if self.residents else None

    @property
    def meets_goal(self) -> bool:
        # The region's goal is "over 85 %" (DSP-PR-30042, section 4): strictly above.
        return self.rate is not None and self.rate > self.goal


def active_registrations(day: date) -> QuerySet[Registration]:
    return Registration.objects.active_on(day)


def registrations_by_physician(region: Region, day: date) -> dict[str, tuple[int, int]]:
    """Each physician's registrations in force on ``day`` and how many of those patients
    are vulnerable, by physician code (a physician of the version unknown to the
    territory included; a patient unknown to the region never counts as vulnerable)."""
    rows = (
        active_registrations(day)
        .filter(region=region)
        .values("physician_code")
        .annotate(n=Count("id"), vulnerable=Count("id", filter=Q(patient__vulnerable=True)))
        .values_list("physician_code", "n", "vulnerable")
    )
    return {code: (n, vulnerable) for code, n, vulnerable in rows}


def registration_by_rls(rls_qs: QuerySet[Rls], day: date) -> list[RlsRegistration]:
    """Residents and registered residents per RLS, on ``day``.

    A resident is a patient living in the RLS; registered means an active registration on
    ``day`` with any physician (wherever that physician practises).
    """
    residents = dict(
        Patient.objects.filter(rls__in=rls_qs)
        .values_list("rls_id")
        .annotate(n=Count("id"))
        .values_list("rls_id", "n")
    )
    # Distinct patients: a patient has at most one registration on a day, but counting
    # distinct ids keeps the figure right even if imported data broke that rule.
    registered = dict(
        active_registrations(day)
        .filter(patient__rls__in=rls_qs)
        .values_list("patient__rls_id")
        .annotate(n=Count("patient_id", distinct=True))
        .values_list("patient__rls_id", "n")
    )
    rows = []
    for rls in rls_qs.select_related("region").order_by("name"):
        rows.append(
            RlsRegistration(
                code=rls.code,
                name=rls.name,
                residents=residents.get(rls.id, 0),
                registered=registered.get(rls.id, 0),
                goal=float(rls.region.registration_goal),
            )
        )
    return rows


@dataclass(frozen=True)
class WaitlistRow:
    rls_name: str
    by_priority: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_priority.values())


def waitlist_by_rls_and_priority(rls_qs: QuerySet[Rls]) -> list[WaitlistRow]:
    """Waiting patients (status ``waiting``) per RLS and priority, every RLS listed.

    These are counts, never identities: every role sees the counts of the RLS it may see,
    while the list of waiting patients itself goes through ``access.visible_waitlist``.
    """
    counts: dict[tuple[int, str], int] = {
        (rls_id, priority): n
        for rls_id, priority, n in WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.WAITING, rls__in=rls_qs
        )
        .values_list("rls_id", "priority")
        .annotate(n=Count("id"))
        .values_list("rls_id", "priority", "n")
    }
    return [
        WaitlistRow(
            rls_name=rls.name,
            by_priority={p: counts.get((rls.id, p), 0) for p in PRIORITIES},
        )
        for rls in rls_qs.order_by("name")
    ]


def physicians_by_stratum(physicians: QuerySet[Physician], day: date) -> dict[str, int]:
    """How many physicians fall in each registration stratum, on ``day``."""
    active = Q(registrations__start_date__lte=day) & (
        Q(registrations__end_date__isnull=True) | Q(registrations__end_date__gt=day)
    )
    counts = {label: 0 for _, _, label in STRATA}
    for registered in physicians.annotate(n=Count("registrations", filter=active)).values_list(
        "n", flat=True
    ):
        counts[stratum_label(registered)] += 1
    return counts


@dataclass(frozen=True)
class PhysicianRow:
    code: str
    name: str
    site_name: str
    registered: int
    vulnerable: int

    @property
    def vulnerable_share(self) -> float | None:
        return self.vulnerable / self.registered if self.registered else None

    @property
    def stratum(self) -> str:
        return stratum_label(self.registered)


def physician_rows(physicians: QuerySet[Physician], day: date) -> list[PhysicianRow]:
    """Each physician's active registrations on ``day`` and how many are vulnerable."""
    active = Q(registrations__start_date__lte=day) & (
        Q(registrations__end_date__isnull=True) | Q(registrations__end_date__gt=day)
    )
    annotated = (
        physicians.select_related("site")
        .annotate(
            n_registered=Count("registrations", filter=active),
            n_vulnerable=Count(
                "registrations", filter=active & Q(registrations__patient__vulnerable=True)
            ),
        )
        .order_by("name", "code")
    )
    return [
        PhysicianRow(
            code=p.code,
            name=p.name,
            site_name=p.site.name,
            registered=p.n_registered,
            vulnerable=p.n_vulnerable,
        )
        for p in annotated
    ]
