"""The attribution's history: one call per write, from the service function that makes it."""

from __future__ import annotations

from typing import Any

from web.attribution.models import Dataset, Event, Run
from web.regions.models import Region


def record(
    action: str,
    *,
    region: Region,
    actor: Any,
    rls_code: str = "",
    run: Run | None = None,
    dataset: Dataset | None = None,
    **details: Any,
) -> Event:
    """Write one history entry; ``details`` must be JSON-serialisable (no patient name)."""
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
