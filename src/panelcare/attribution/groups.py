"""Who takes part in a run and how much they are asked (DSP-PR-30042, 5.1 to 5.3 and 7).

* :func:`select_orphans`: which waiting-list rows are this run's orphans (5.2);
* :func:`targets`: each physician's group, target, need and capacity (5.1, 5.3);
* :func:`le304_blocks`: the LE 304 block transfers decided before the solver (7).

The rules, with every choice made where the procedure is silent, are in
``docs/attribution-rules.md``; the reason codes of :class:`~panelcare.attribution.model.Targets`
are listed there.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from panelcare.attribution.model import (
    GROUPS,
    Blocks,
    Bools,
    Floats,
    Ints,
    Orphans,
    Physicians,
    Selection,
    Strings,
    Targets,
    next_january,
)
from panelcare.attribution.pace import _string_rank, waitlist_order
from panelcare.attribution.params import Params
from panelcare.geo import haversine_km

__all__ = ["category_weight", "departing", "le304_blocks", "select_orphans", "targets"]

# Float comparisons of shares and units: 0.45 * 300 must count as 135, not 135.00000000000003.
_EPSILON = 1e-9


def departing(physicians: Physicians, params: Params, run_date: datetime.date) -> Bools:
    """Physicians who are leaving for this run (5.2): a ``departing_on`` date before
    1 January of the year after ``run_date``, or any date with
    ``params.include_later_departures``."""
    has_date = ~np.isnat(physicians.departing_on)
    if params.include_later_departures:
        return has_date
    before = physicians.departing_on < np.datetime64(next_january(run_date), "D")
    return has_date & before


def select_orphans(
    waitlist: Orphans, physicians: Physicians, params: Params, run_date: datetime.date
) -> Selection:
    """The waiting-list rows this run distributes (DSP-PR-30042, 5.2).

    A row without ``previous_physician_id`` is an orphan (an unassigned patient of the
    GAMF). A row with one is a registered patient of that physician, an orphan when the
    physician is :func:`departing`; otherwise it is left out with the reason
    "previous_physician_not_departing" ("previous_physician_unknown" when no physician has
    that id: the patient cannot be told apart from a registered one, so the run does not
    take them from anybody).

    Returns:
        A :class:`Selection` aligned with ``waitlist``.
    """
    previous = waitlist.previous_physician_id
    with_previous = np.flatnonzero(previous != "")
    index = _index_of(previous[with_previous], physicians.physician_id)
    known = index >= 0
    # Indexed by the known rows only: with an empty roster no index is valid (an
    # IndexError before, on any row naming a previous physician).
    leaving = np.zeros(len(index), dtype=bool)
    leaving[known] = departing(physicians, params, run_date)[index[known]]
    orphan = np.ones(len(waitlist), dtype=bool)
    orphan[with_previous] = leaving
    reason = np.full(len(waitlist), "", dtype=object)
    reason[with_previous[~known]] = "previous_physician_unknown"
    reason[with_previous[known & ~leaving]] = "previous_physician_not_departing"
    return Selection(orphan=orphan, reason=reason)


def targets(physicians: Physicians, params: Params, run_date: datetime.date) -> Targets:
    """Each physician's group, target, need and capacity for the run (5.1, 5.3).

    * Not participating (group "none", tier -1, target, need and capacity 0): mode
      ``none`` ("declined"), :func:`departing` ("departing").
    * Group 1a: ``amp_target`` set (0 or more): the target is ``amp_target``, the AMP
      requirement as lowered by any derogation (5.1).
    * Group 1b: no ``amp_target`` and fewer registrations than ``group1_threshold``: the
      target is the threshold. With ``exclude_below``, a physician under it does not
      participate ("below_exclusion_threshold").
    * Group 2: the rest. The target is ``group2_target``, or the next stratum above the
      physician's registrations when that is higher: every group-2 physician is asked for
      one stratum more at least (a physician at 760 is asked for 1,000, not 750).

    ``params.offered_targets`` (the physician's own offer, accepted by the CML, issue 19)
    then ``params.target_overrides`` (the CML's adjustment of a plan): a participating
    physician listed there has that target instead ("target_offered", "target_set_by_cml";
    an override wins over an offer); a physician who does not participate keeps target 0,
    and an id of no physician is ignored.

    ``need = max(0, target - registered)``; ``units_before = other_units + registered /
    patients_per_unit`` (5.3.3). Tiers (the solver's precedence): 0 for group 1a, 1 for
    group 1b under the full workload, 2 for the rest of group 1b, 3 for group 2.

    The capacity starts at the need, then:

    * shortage (5.3.3, 5.3.5): a physician of group 1b or 2 is not taken above the full
      workload, ``floor((full_workload_units - other_units) * patients_per_unit) -
      registered`` at most ("shortage_capped"); a group-2 physician already at or above
      it does not participate ("shortage_spared"). Group 1a keeps its AMP requirement;
    * ``yearly_cap_after_4_years``: a physician with 4 full years of practice at the run
      date (``practice_start`` 4 years before it or earlier) takes at most
      ``ceil(cap * period_months / 12)`` ("yearly_cap").

    A physician above ``vulnerable_cap`` already (``vulnerable > cap * registered``)
    receives no vulnerable patient (5.3.1, "above_vulnerable_cap"). Mode ``le304`` with
    ``previous_assiduity`` at or above ``le304_min_assiduity`` (7): the physician receives
    LE 304 blocks only ("le304_eligible"); the capacity stays as computed and the solver
    gives them no individual patient. Below it or unknown, they receive individual
    patients like mode ``bloc`` ("le304_ineligible_assiduity").

    Returns:
        :class:`Targets` aligned with ``physicians``; ``reasons`` starts with "group_1a",
        "group_1b", "group_2" or "not_participating", then the codes above (";"-joined).
    """
    registered = physicians.registered.astype(np.int64)
    full = params.full_workload_units
    units = physicians.other_units + registered / params.patients_per_unit

    declined = physicians.mode == "none"
    leaving = departing(physicians, params, run_date)
    in_1a = physicians.amp_target >= 0
    in_1b = ~in_1a & (registered < params.group1_threshold)
    in_2 = ~in_1a & ~in_1b
    excluded = np.zeros(len(physicians), dtype=bool)
    if params.exclude_below is not None:
        excluded = in_1b & (registered < params.exclude_below)
    at_full = units >= full - _EPSILON
    spared = in_2 & at_full if params.shortage else np.zeros(len(physicians), dtype=bool)
    taking_part = ~declined & ~leaving & ~excluded & ~spared

    stratum = params.stratum
    target = np.select(
        [in_1a, in_1b],
        [physicians.amp_target, params.group1_threshold],
        np.maximum(params.group2_target, (registered // stratum + 1) * stratum),
    ).astype(np.int64)
    target[~taking_part] = 0
    # The physician's own offer accepted by the CML, then the CML's adjustment of a plan
    # (re-solved), which wins: each replaces the rule's target.
    offered = _set_targets(target, physicians, params.offered_targets, taking_part)
    set_by_cml = _set_targets(target, physicians, params.target_overrides, taking_part)
    offered &= ~set_by_cml
    need = np.maximum(0, target - registered)
    capacity = need.copy()

    shortage_capped = np.zeros(len(physicians), dtype=bool)
    if params.shortage:
        # In whole patients from the workload's own terms, not from `units`: (3 - 1.3) * 500
        # is 849.999... in floating point.
        room = np.floor((full - physicians.other_units) * params.patients_per_unit + _EPSILON)
        room = np.maximum(0, room.astype(np.int64) - registered)
        shortage_capped = taking_part & (in_1b | in_2) & (room < capacity)
        capacity = np.where(shortage_capped, room, capacity)

    yearly_capped = np.zeros(len(physicians), dtype=bool)
    if params.yearly_cap_after_4_years is not None:
        cap = math.ceil(params.yearly_cap_after_4_years * params.period_months / 12)
        experienced = physicians.practice_start <= np.datetime64(_years_before(run_date, 4), "D")
        yearly_capped = taking_part & experienced & (capacity > cap)
        capacity = np.where(yearly_capped, cap, capacity)

    accepts_vulnerable = physicians.vulnerable <= params.vulnerable_cap * registered + _EPSILON
    wants_le304 = taking_part & (physicians.mode == "le304")
    with np.errstate(invalid="ignore"):  # nan (unknown assiduity) is not eligible
        assiduous = physicians.previous_assiduity >= params.le304_min_assiduity - _EPSILON
    le304 = wants_le304 & assiduous

    group = np.select([in_1a, in_1b], ["1a", "1b"], "2").astype(object)
    group[~taking_part] = GROUPS[-1]
    tier = np.select([in_1a, in_1b & ~at_full, in_1b], [0, 1, 2], 3).astype(np.int8)
    tier[~taking_part] = -1

    reasons = np.select(
        [~taking_part, in_1a, in_1b], ["not_participating", "group_1a", "group_1b"], "group_2"
    ).astype(object)
    for mask, code in (
        (~taking_part & declined, "declined"),
        (~taking_part & leaving, "departing"),
        (~taking_part & excluded, "below_exclusion_threshold"),
        (~taking_part & spared, "shortage_spared"),
        (taking_part & in_1b & ~at_full, "under_full_workload"),
        (taking_part & in_1b & at_full, "full_workload_reached"),
        (set_by_cml, "target_set_by_cml"),
        (offered, "target_offered"),
        (taking_part & (need == 0), "target_reached"),
        (shortage_capped, "shortage_capped"),
        (yearly_capped, "yearly_cap"),
        (taking_part & ~accepts_vulnerable, "above_vulnerable_cap"),
        (le304, "le304_eligible"),
        (wants_le304 & ~le304, "le304_ineligible_assiduity"),
    ):
        reasons[mask] = reasons[mask] + (";" + code)

    return Targets(
        group=group,
        tier=tier,
        target=target,
        need=need,
        capacity=np.where(taking_part, capacity, 0).astype(np.int64),
        units_before=units,
        accepts_vulnerable=accepts_vulnerable,
        le304=le304,
        reasons=reasons,
    )


def le304_blocks(
    orphans: Orphans, physicians: Physicians, targets: Targets, params: Params
) -> Blocks:
    """The LE 304 block transfers of the run (DSP-PR-30042, 7), decided before the solver.

    Under the Letter of agreement 304 a physician takes a block of at least
    ``le304_min_block`` patients of a departing colleague, without a first visit. For each
    departing physician (``departing_on`` set), in ``physician_id`` order, whose orphans
    (rows of ``orphans`` with their ``previous_physician_id``) number at least
    ``le304_min_block``:

    1. the receivers are the physicians with ``targets.le304`` of the same RLS (any RLS
       with ``cross_rls``) whose site is within ``max_distance_km`` of the departing
       physician's and whose remaining capacity (capacity less what earlier blocks gave
       them) is at least ``le304_min_block``; the nearest is tried first, ties by
       ``physician_id``;
    2. the receiver is given the orphans in waiting-list order (priority, request date,
       ``patient_id``) while their remaining capacity allows, each orphan counting its
       category weight; an orphan too heavy for what is left is skipped and the next one
       tried. A vulnerable orphan is taken only when the receiver accepts vulnerable
       patients and ``vulnerable + taken_vulnerable + 1 <= vulnerable_cap * (registered +
       taken + 1)``: the cap holds on the final panel (5.3.1), counting earlier blocks;
    3. a block smaller than ``le304_min_block`` is no transfer: the next receiver is tried.

    One block per departing physician at most: the orphans not in it, and those of
    departing physicians without a block, go to the solver.

    Args:
        orphans: the run's orphans (the waiting list filtered by :func:`select_orphans`).
        physicians, targets: aligned, as :func:`targets` returns them.

    Returns:
        :class:`Blocks`: one row per transferred orphan (indices into ``orphans`` and
        ``physicians``), block after block in departing ``physician_id`` order, each block
        in waiting-list order.
    """
    receivers = np.flatnonzero(targets.le304 & (targets.capacity >= params.le304_min_block))
    with_previous = np.flatnonzero(orphans.previous_physician_id != "")
    previous = _index_of(orphans.previous_physician_id[with_previous], physicians.physician_id)
    known = previous >= 0
    leaving = np.zeros(len(known), dtype=bool)
    leaving[known] = ~np.isnat(physicians.departing_on[previous[known]])
    rows, previous = with_previous[leaving], previous[leaving]
    if receivers.size == 0 or rows.size == 0:
        return Blocks()

    id_rank = _string_rank(physicians.physician_id)
    order = waitlist_order(orphans, rows, group=id_rank[previous])
    previous_of = np.full(len(orphans), -1, dtype=np.int64)
    previous_of[rows] = previous
    departed = previous_of[order]  # the departing physician of each row of `order`
    starts = np.flatnonzero(np.r_[True, departed[1:] != departed[:-1]])
    stops = np.r_[starts[1:], order.size]

    weight = category_weight(orphans.category, params.category_weights)
    remaining = targets.capacity.astype(np.float64)
    taken = np.zeros(len(physicians), dtype=np.int64)
    taken_vulnerable = np.zeros(len(physicians), dtype=np.int64)
    blocks_orphan: list[Ints] = []
    blocks_physician: list[Ints] = []
    for start, stop in zip(starts, stops, strict=True):
        if stop - start < params.le304_min_block:
            continue
        leaver = departed[start]
        members = order[start:stop]
        candidates = receivers[remaining[receivers] >= params.le304_min_block - _EPSILON]
        if not params.cross_rls:
            candidates = candidates[physicians.rls_id[candidates] == physicians.rls_id[leaver]]
        distance = haversine_km(
            physicians.latitude[candidates],
            physicians.longitude[candidates],
            physicians.latitude[leaver],
            physicians.longitude[leaver],
        )
        near = distance <= params.max_distance_km
        candidates, distance = candidates[near], distance[near]
        for receiver in candidates[np.lexsort((id_rank[candidates], distance))]:
            block = _fill_block(
                members,
                orphans.vulnerable,
                weight,
                room=float(remaining[receiver]),
                registered=int(physicians.registered[receiver] + taken[receiver]),
                vulnerable=int(physicians.vulnerable[receiver] + taken_vulnerable[receiver]),
                accepts_vulnerable=bool(targets.accepts_vulnerable[receiver]),
                vulnerable_cap=params.vulnerable_cap,
            )
            if block.size < params.le304_min_block:
                continue
            remaining[receiver] -= weight[block].sum()
            taken[receiver] += block.size
            taken_vulnerable[receiver] += int(orphans.vulnerable[block].sum())
            blocks_orphan.append(block)
            blocks_physician.append(np.full(block.size, receiver, dtype=np.int64))
            break
    if not blocks_orphan:
        return Blocks()
    return Blocks(orphan=np.concatenate(blocks_orphan), physician=np.concatenate(blocks_physician))


def category_weight(category: Strings, weights: Mapping[str, float]) -> Floats:
    """Each patient's weight when filling a target (5.3.2): their category's weight in
    ``weights``, 1 for an empty or unlisted category."""
    weight = np.ones(len(category), dtype=np.float64)
    for name, value in weights.items():
        weight[category == name] = value
    return weight


def _fill_block(
    members: Ints,
    is_vulnerable: Bools,
    weight: Floats,
    *,
    room: float,
    registered: int,
    vulnerable: int,
    accepts_vulnerable: bool,
    vulnerable_cap: float,
) -> Ints:
    """The orphans among ``members`` (in order) that a receiver can take (rule 2 of
    :func:`le304_blocks`): ``room`` is their remaining capacity, ``registered`` and
    ``vulnerable`` their panel with the earlier blocks. A loop over one departing
    physician's patients, a few hundred, that stops once the room is used."""
    vulnerable_now = vulnerable
    block: list[int] = []
    used = 0.0
    for orphan, vulnerable_orphan, heavy in zip(
        members.tolist(), is_vulnerable[members].tolist(), weight[members].tolist(), strict=True
    ):
        if room - used < 1 - _EPSILON:  # every weight is 1 or more
            break
        if used + heavy > room + _EPSILON:
            continue
        if vulnerable_orphan:
            after = vulnerable_cap * (registered + len(block) + 1)
            if not accepts_vulnerable or vulnerable_now + 1 > after + _EPSILON:
                continue
            vulnerable_now += 1
        block.append(orphan)
        used += heavy
    return np.asarray(block, dtype=np.int64)


def _set_targets(
    target: Ints, physicians: Physicians, chosen: Mapping[str, int], taking_part: Bools
) -> Bools:
    """Set in ``target`` (in place) the targets ``chosen`` by physician id for the
    participating physicians it lists; returns which ones it set."""
    if not chosen:
        return np.zeros(len(physicians), dtype=bool)
    ids = np.asarray(list(chosen), dtype=object)
    values = np.asarray(list(chosen.values()), dtype=np.int64)
    index = _index_of(physicians.physician_id, ids)
    listed = taking_part & (index >= 0)
    target[listed] = values[index[listed]]
    return listed


def _index_of(values: Strings, keys: Strings) -> Ints:
    """For each of ``values``, its index in ``keys`` (the first if repeated), -1 if absent.
    A hash join in pyarrow: a million values against 10,000 keys in a few milliseconds."""
    found = pc.index_in(
        pa.array(values, type=pa.string()), value_set=pa.array(keys, type=pa.string())
    )
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    """``day`` ``years`` years earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
