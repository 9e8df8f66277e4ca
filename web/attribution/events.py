"""The attribution's history: one call per write, from the service function that makes it,
and what each user may read of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from web.accounts.access import User, profile_for
from web.attribution import access
from web.attribution.models import Dataset, Event, ImportJob, Run
from web.regions.models import Region


def record(
    action: str,
    *,
    region: Region,
    actor: Any,
    rls_code: str = "",
    scope: Sequence[str] | None = None,
    run: Run | None = None,
    dataset: Dataset | None = None,
    **details: Any,
) -> Event:
    """Write one history entry; ``details`` must be JSON-serialisable (no patient name).

    ``scope``, for a write on several RLS at once (an import: its RLS codes, empty for
    the whole region), is kept in ``details["scope"]`` and its first code is the entry's
    ``rls_code``: :func:`visible_events` shows the entry to a CML only when every code is
    theirs.
    """
    if scope is not None:
        details["scope"] = list(scope)
        rls_code = scope[0] if scope else ""
    return Event.objects.create(
        region=region,
        rls_code=rls_code,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        run=run,
        dataset=dataset,
        details=details,
    )


def record_run(action: str, run: Run, *, actor: Any, **details: Any) -> Event:
    """:func:`record` for something done to ``run`` (its region and RLS)."""
    return record(
        action,
        region=run.region,
        actor=actor,
        rls_code=run.rls.code if run.rls_id else "",
        run=run,
        **details,
    )


def visible_events(user: User) -> QuerySet[Event]:
    """The history ``user`` may read, newest first: the region's for the DRMG; for a CML,
    the entries of their RLS and of the runs they see. An entry of several RLS (an import
    by a CML of several, ``details["scope"]``) is a CML's only when every one of them is
    theirs, as their imports are (:func:`access.visible_imports`); an entry of the whole
    region (scope empty) is the DRMG's.

    Raises:
        PermissionDenied: a role that does not work on attribution.
    """
    access.check_can_work(user)
    entries = Event.objects.filter(region_id=profile_for(user).region_id)
    codes = set(access.scope_codes(user))
    if not codes:
        return entries
    # Entries with a scope (imports, exports: a few per RLS and quarter; rls_code is the
    # scope's first code) are checked here one by one: JSON lists do not compare as sets
    # in SQL on SQLite.
    scoped = entries.filter(rls_code__in=codes, details__has_key="scope").values_list(
        "pk", "details__scope"
    )
    shown = [pk for pk, scope in scoped if scope and set(scope) <= codes]
    return entries.filter(
        (Q(rls_code__in=codes) & ~Q(details__has_key="scope"))
        | Q(pk__in=shown)
        | Q(run__in=access.visible_runs(user))
    )


def record_import(action: str, job: ImportJob, *, actor: Any, **details: Any) -> Event:
    """:func:`record` for something done to the import ``job`` (its region, RLS, table and
    file)."""
    return record(
        action,
        region=job.region,
        actor=actor,
        scope=job.scope,
        kind=job.kind,
        source_name=job.source_name,
        import_id=job.pk,
        **details,
    )
