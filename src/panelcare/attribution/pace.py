"""The pace of an attribution (DSP-PR-30042, 7): how many orphans a month, and which month
each assigned orphan is sent to their physician.

* An RLS's monthly pace is its orphans divided by the months of the period
  (:func:`rls_monthly_pace`);
* a physician's is their assigned number divided by the same months, rounded up
  (:func:`monthly_pace`);
* each assigned patient gets a month, highest priority first (:func:`assign_months`): a
  physician's patients in waiting-list order (:func:`waitlist_order`), ``pace`` a month.

Everything is vectorised over the orphans (a province: a million).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from panelcare.attribution.model import Ints, Orphans, Strings

__all__ = ["assign_months", "monthly_pace", "rls_monthly_pace", "waitlist_order"]


def monthly_pace(assigned: Ints, period_months: int) -> Ints:
    """Each physician's monthly pace: ``ceil(assigned / period_months)``.

    Args:
        assigned: orphans assigned to each physician (non-negative).
        period_months: months of the period (1 or more).

    Raises:
        ValueError: ``period_months`` is below 1.
    """
    _check_period(period_months)
    counts = np.asarray(assigned, dtype=np.int64)
    return (counts + period_months - 1) // period_months


def assign_months(
    orphans: Orphans, physician_of: Ints, n_physicians: int, period_months: int
) -> Ints:
    """The month (1 to ``period_months``) each orphan is sent to their physician.

    Each physician's patients are taken in waiting-list order (priority A first, then the
    oldest request, then ``patient_id``); the k-th (from 0) goes in month
    ``k // pace + 1``, ``pace`` being the physician's :func:`monthly_pace`. A physician's
    last month is therefore at most ``period_months``, and every month before it is full.

    Args:
        orphans: the orphans of the run.
        physician_of: per orphan, the index of their physician, -1 when unassigned.
        n_physicians: number of physicians (``physician_of`` is below it).
        period_months: months of the period (1 or more).

    Returns:
        Per orphan, the month; 0 for an unassigned orphan.

    Raises:
        ValueError: the arrays disagree in length, an index is out of range, or
            ``period_months`` is below 1.
    """
    _check_period(period_months)
    physician_of = np.asarray(physician_of, dtype=np.int64)
    if physician_of.shape != (len(orphans),):
        raise ValueError(f"physician_of has {physician_of.size} entries for {len(orphans)} orphans")
    if physician_of.size and (physician_of.max() >= n_physicians or physician_of.min() < -1):
        raise ValueError(f"physician_of holds an index outside -1..{n_physicians - 1}")
    month = np.zeros(len(orphans), dtype=np.int64)
    placed = np.flatnonzero(physician_of >= 0)
    if placed.size == 0:
        return month
    order = waitlist_order(orphans, placed, group=physician_of[placed])
    physician = physician_of[order]
    assigned = np.bincount(physician, minlength=n_physicians)
    first = np.cumsum(assigned) - assigned  # position of each physician's first patient
    rank = np.arange(order.size) - first[physician]
    month[order] = rank // monthly_pace(assigned, period_months)[physician] + 1
    return month


def rls_monthly_pace(orphans_per_rls: Mapping[str, int], period_months: int) -> dict[str, float]:
    """Each RLS's monthly pace: its orphans divided by the months of the period (not
    rounded: it is a figure to follow, not a number of patients to send).

    Raises:
        ValueError: ``period_months`` is below 1.
    """
    _check_period(period_months)
    return {rls: count / period_months for rls, count in orphans_per_rls.items()}


def waitlist_order(
    orphans: Orphans, rows: npt.ArrayLike | None = None, *, group: npt.ArrayLike | None = None
) -> Ints:
    """``rows`` (by default every orphan) in waiting-list order: priority (A first), then
    the oldest ``requested_on``, then ``patient_id`` (so the order is total).

    With ``group`` (one integer per row), the rows are ordered by ``group`` first (ascending)
    and in waiting-list order within each group: a physician's patients, say.

    Returns:
        Indices into ``orphans``, in that order.
    """
    selected = np.arange(len(orphans)) if rows is None else np.asarray(rows, dtype=np.int64)
    requested = orphans.requested_on[selected].astype("datetime64[D]").view(np.int64)
    # A missing date (NaT, the smallest int64) goes last, not first.
    requested = np.where(requested == np.iinfo(np.int64).min, np.iinfo(np.int64).max, requested)
    keys = [
        _string_rank(orphans.patient_id[selected]),
        requested,
        orphans.priority[selected].astype(np.int64),
    ]
    if group is not None:
        keys.append(np.asarray(group, dtype=np.int64))
    return selected[np.lexsort(keys)]


def _string_rank(values: Strings) -> Ints:
    """Each string's rank in sorted order (code-point order, as Python compares ``str``).

    pyarrow sorts a million strings in a tenth of a second; numpy compares object arrays
    one Python call at a time.
    """
    order = pc.sort_indices(pa.array(values, type=pa.string())).to_numpy()
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank


def _check_period(period_months: int) -> None:
    if period_months < 1:
        raise ValueError(f"period_months must be 1 or more, got {period_months}")
