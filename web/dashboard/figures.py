"""The dashboard's figures, computed from querysets the access module has already narrowed.

Nothing here decides who sees what: callers pass ``visible_rls(user)`` and friends.

The registrations and the waiting list read here are the database projection of the
versions in force (:mod:`web.tables.projections`); the quarterly tables
(:mod:`web.attribution.quarterly`) count with these same functions, so that the two pages
always show the same registration figures for the same day.

Each figure is cached (Django's cache, :data:`CACHE_SECONDS`), keyed by what it depends on
and nothing else: its name, the day, the language, the data version (:func:`web.tables.queries.
data_version`: the last table version, audit event and administration change, so an
import, a waiting-list status change or an edit in the administration shows at once) and the SQL of the querysets it was given. The
querysets come narrowed to the user's territory, so two users share an entry only when
their territories are the same query: a figure is never served across scopes.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.signals import request_finished, request_started
from django.db.models import Count, Q, QuerySet
from django.utils import translation

from web.regions.models import (
    ON_THE_LIST,
    Patient,
    Physician,
    Region,
    Registration,
    Rls,
    WaitlistEntry,
)
from web.tables.queries import data_version

PRIORITIES = ("A", "B", "C", "D", "E")

# An entry is stale as soon as the data version changes (a new key); the expiry only frees
# the memory of entries no key reaches any more.
CACHE_SECONDS = 3600

T = TypeVar("T")

# The data version, read once per request (a page asks for several figures) and forgotten
# when the request ends, so the next request sees a change at once. Outside a request (a
# command, a test calling a figure directly) every figure reads it afresh.
_request = threading.local()


def _request_started(**kwargs: Any) -> None:
    _request.active, _request.version = True, None


def _request_finished(**kwargs: Any) -> None:
    _request.active, _request.version = False, None


request_started.connect(_request_started, dispatch_uid="panelcare-figures-request-started")
request_finished.connect(_request_finished, dispatch_uid="panelcare-figures-request-finished")


def _current_version() -> tuple[int, int, int]:
    if not getattr(_request, "active", False):
        return data_version()
    if _request.version is None:
        _request.version = data_version()
    return _request.version


def cached(name: str, parts: list[Any], compute: Callable[[], T]) -> T:
    """``compute()``, from the cache when the same figure was computed for the same
    ``parts`` (querysets, by their SQL, and plain values) at the current data version, in
    the same language (a chart's labels are translated). The data version is read once
    per request, at the request's first figure."""
    version = _current_version()  # before computing: a figure is never older than its key
    try:
        described = [str(p.query) if isinstance(p, QuerySet) else repr(p) for p in parts]
    except EmptyResultSet:  # an empty territory (``.none()``): nothing worth caching
        return compute()
    text = "\x1f".join([name, repr(version), str(translation.get_language()), *described])
    key = "figures:" + hashlib.sha256(text.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


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
    return cached(
        "registrations_by_physician",
        [region.pk, day],
        lambda: _registrations_by_physician(region, day),
    )


def _registrations_by_physician(region: Region, day: date) -> dict[str, tuple[int, int]]:
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
    # Only the counts are cached (the projections, which imports alone write): the RLS'
    # names and the region's goal, edited in the administration, are read at each call.
    residents, registered = cached(
        "registration_by_rls", [rls_qs, day], lambda: _registration_counts(rls_qs, day)
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


def _registration_counts(rls_qs: QuerySet[Rls], day: date) -> tuple[dict[int, int], dict[int, int]]:
    """Residents and registered residents, by RLS id."""
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
    return residents, registered


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
    counts = cached("waitlist_counts", [rls_qs], lambda: _waitlist_counts(rls_qs))
    return [
        WaitlistRow(
            rls_name=rls.name,
            by_priority={p: counts.get((rls.id, p), 0) for p in PRIORITIES},
        )
        for rls in rls_qs.order_by("name")
    ]


def _waitlist_counts(rls_qs: QuerySet[Rls]) -> dict[tuple[int, str], int]:
    return {
        (rls_id, priority): n
        for rls_id, priority, n in WaitlistEntry.objects.filter(
            status__in=ON_THE_LIST, rls__in=rls_qs
        )
        .values_list("rls_id", "priority")
        .annotate(n=Count("id"))
        .values_list("rls_id", "priority", "n")
    }


def physicians_by_stratum(physicians: QuerySet[Physician], day: date) -> dict[str, int]:
    """How many physicians fall in each registration stratum, on ``day``."""
    return cached(
        "physicians_by_stratum", [physicians, day], lambda: _physicians_by_stratum(physicians, day)
    )


def _physicians_by_stratum(physicians: QuerySet[Physician], day: date) -> dict[str, int]:
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
    return cached("physician_rows", [physicians, day], lambda: _physician_rows(physicians, day))


def _physician_rows(physicians: QuerySet[Physician], day: date) -> list[PhysicianRow]:
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
