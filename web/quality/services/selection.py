"""QI groups services: the five-year cycle's selection and its deferral
(docs/quality-plan.md, section 2; the rules: :mod:`panelcare.quality.cycle`).

**The current cycle.** A cycle is named by its first year (``Selection.cycle``); the
program's cycles are the five-year periods counted from :data:`FIRST_CYCLE` (2026–2030,
2031–2035, ...): the current cycle on a day is the period holding that day's year
(:func:`current_cycle`). The core names a cycle ``"2026-2030"`` (:func:`cycle_name`).

Sides are never checked here: the views ask :mod:`web.accounts.access` first. Besides the
writes, two reads the writes share with the pages: :func:`cycle_record` (a selection as
the core's record) and :func:`open_selection` (the selection that lets a physician form a
group).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from panelcare.quality import cycle as core
from panelcare.quality.errors import CycleRuleError
from web.audit.services import record
from web.quality import messages
from web.quality.errors import SelectionRefused
from web.quality.models import Completion, QualityAction, Selection
from web.regions.models import Physician, Region

__all__ = [
    "FIRST_CYCLE",
    "current_cycle",
    "cycle_name",
    "cycle_record",
    "do_defer_selection",
    "do_select_physician",
    "open_selection",
    "requirement_record",
]

# The first year of the program's first cycle in the platform (issue 18 landed in 2026);
# the cycles follow one another every cycle.CYCLE_YEARS years from it.
FIRST_CYCLE = 2026


def current_cycle(day: datetime.date) -> int:
    """The first year of the cycle holding ``day`` (2026 for any day of 2026–2030)."""
    return FIRST_CYCLE + (day.year - FIRST_CYCLE) // core.CYCLE_YEARS * core.CYCLE_YEARS


def cycle_name(first_year: int) -> str:
    """The cycle as the core names it and the pages show it: ``"2026-2030"``."""
    return f"{first_year}-{first_year + core.CYCLE_YEARS - 1}"


def cycle_record(selection: Selection) -> core.CycleRecord:
    """``selection`` as the core's record: after completion its due date is the next
    one (the acceptance + 5 years), before it the selection's (moved by a deferral)."""
    due = selection.due
    if selection.completed_on is not None:
        due = core.next_due(selection.completed_on)
    return core.CycleRecord(
        physician_id=str(selection.physician_id),
        cycle=cycle_name(selection.cycle),
        selected_on=selection.selected_on,
        due=due,
        deferred_on=selection.deferred_on,
        completed_on=selection.completed_on,
    )


def requirement_record(
    physician_id: int, selection: Selection | None, completion: Completion | None
) -> core.CycleRecord | None:
    """The physician's requirement as the core reads it, from their latest selection and
    their latest completion: the completion when it came after the selection (a peer
    never selected meets the requirement with their group, until its due date), else the
    selection; ``None`` with neither."""
    if completion is not None and (
        selection is None or completion.accepted_on >= selection.selected_on
    ):
        return core.CycleRecord(
            physician_id=str(physician_id),
            cycle=cycle_name(current_cycle(completion.accepted_on)),
            selected_on=selection.selected_on if selection is not None else None,
            due=completion.due,
            completed_on=completion.accepted_on,
        )
    return cycle_record(selection) if selection is not None else None


def open_selection(physician: Physician) -> Selection | None:
    """The physician's selection for a cycle in force (not completed yet), the latest
    cycle's first; ``None`` when there is none: the physician may not form a group."""
    return (
        Selection.objects.filter(physician=physician, completed_on__isnull=True)
        .order_by("-cycle")
        .first()
    )


def do_select_physician(
    region: Region,
    physician: Physician,
    cycle: int,
    due: datetime.date,
    *,
    on: datetime.date,
    acting_user: Any,
) -> Selection:
    """Mark ``physician`` selected on ``on`` for the cycle whose first year is ``cycle``,
    the requirement due on ``due`` (the core's :func:`panelcare.quality.core.select`).

    Records PHYSICIAN_SELECTED in the same transaction.

    Raises:
        SelectionRefused: a physician of another region, one already selected for the
            cycle, a due date before the selection (``due_before_selection``).
    """
    if physician.rls.region_id != region.pk:
        raise SelectionRefused(_("This physician does not practise in the region."))
    try:
        core.select(str(physician.pk), cycle=cycle_name(cycle), on=on, due=due)
    except CycleRuleError as error:
        raise SelectionRefused(messages.refusal(error)) from error
    with transaction.atomic():
        # Lock the physician: two coaches selecting them at once are serialised, and the
        # second reads the first's selection instead of hitting the unique constraint.
        Physician.objects.select_for_update().filter(pk=physician.pk).first()
        if Selection.objects.filter(physician=physician, cycle=cycle).exists():
            raise SelectionRefused(
                _("%(name)s is already selected for the %(cycle)s cycle.")
                % {"name": physician.name, "cycle": cycle_name(cycle)}
            )
        selection = Selection.objects.create(
            region=region,
            physician=physician,
            cycle=cycle,
            selected_on=on,
            due=due,
            selected_by=acting_user,
        )
        record(
            QualityAction.PHYSICIAN_SELECTED,
            region=region,
            acting_user=acting_user,
            subject=selection,
            physician=physician.code,
            cycle=cycle,
            selected_on=on.isoformat(),
            due=due.isoformat(),
        )
    return selection


def do_defer_selection(selection: Selection, *, on: datetime.date, acting_user: Any) -> Selection:
    """Record a one-year deferral of ``selection`` on ``on``: the due date moves by a
    year (the core's :func:`panelcare.quality.cycle.defer`: once per cycle, on or before
    the due date, not after completion).

    Records SELECTION_DEFERRED in the same transaction.

    Raises:
        SelectionRefused: ``already_deferred``, ``deferral_too_late``,
            ``already_completed``.
    """
    with transaction.atomic():
        # The selection as stored now: a deferral or a completion may have landed since.
        selection.refresh_from_db(from_queryset=Selection.objects.select_for_update())
        try:
            deferred = core.defer(cycle_record(selection), on=on)
        except CycleRuleError as error:
            raise SelectionRefused(messages.refusal(error)) from error
        previous_due = selection.due
        assert deferred.due is not None  # a deferred record has a due date
        selection.due = deferred.due
        selection.deferred_on = on
        selection.deferred_by = acting_user
        selection.save(update_fields=["due", "deferred_on", "deferred_by"])
        record(
            QualityAction.SELECTION_DEFERRED,
            region=selection.region,
            acting_user=acting_user,
            subject=selection,
            physician=selection.physician.code,
            cycle=selection.cycle,
            deferred_on=on.isoformat(),
            previous_due=previous_due.isoformat(),
            due=selection.due.isoformat(),
        )
    return selection
