"""The assiduity rate (taux d'assiduité, EP 40 art. 15.06) as lazy, backend-neutral Ibis expressions.

For a family physician D and a year Y, ``rate = assiduous visits / counted visits`` over
the visits made during Y to the patients registered with D (``spec/assiduity.md``). This
module classifies every visit of the year once and aggregates it:

* :func:`visit_outcomes` — one row per (visit, physician it touches), with its reason code;
* :func:`physician_rates` — one row per physician: counts, rate, tier, payment share.

Nothing here executes a query: the functions return Ibis tables and the caller decides the
backend (DuckDB by default, PySpark for the parity test). The expressions only use what
both backends compile the same way (joins, ``ibis.cases``, comparisons, date arithmetic,
window functions on the small tables); no UDF, no SQL string.

Periods are half-open. A registration, membership, practice-group, partnership or
agreement row is in force on day ``d`` when ``start_date <= d`` and (``end_date`` is null or
``d < end_date``): a registration ending on 2018-07-01 covers 30 June, not 1 July.

The shape of the computation (each choice measured on the province's 50 M visits):

* visits are filtered to the year first (a date range, which Parquet statistics prune);
* two joins touch the visits: the registration in force (on the patient) and the
  provider's *link* to that physician (:class:`Link`: a small table of who counts for
  whom, when and where, built from the memberships, sites, partnerships, practice groups
  and agreements, with overlapping periods merged so that at most one row ever matches
  and no visit is counted twice); the link also tells whether a physician's own visit
  was made as a GMF member (SELF, at the GMF's sites) or not (SELF_NON_MEMBER), so the
  counts need no membership column on the registrations (the explanations look the
  registering physician's GMF up after the join, in the membership timeline, to name it);
* the reasons are small integers (the position in :data:`REASONS`), so that "counted"
  and "assiduous" are comparisons; names are only attached for :func:`visit_outcomes`;
* :func:`physician_rates` aggregates the visits once, by the one physician each visit
  can count for (the registering physician, or the physician who made a pregnancy
  follow-up of another's patient), each visit's outcome given by one case expression;
* for the rates, the visits excluded by the visit alone are filtered out before the joins,
  by a case expression (DuckDB then tests the billing codes and emergency flags only on
  the visits that reach them); short lists of names are chains of equalities (DuckDB turns
  an IN list into a join), the excluded billing codes, long, one IN list of every way they
  may be written.
"""

from __future__ import annotations

import datetime
import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any

import ibis
import ibis.expr.types as ir

from panelcare.assiduity.rules import Rules
from panelcare.assiduity.tables import AssiduityTables

# Exclusion codes, in the spec's order: the first that applies is the visit's reason.
EXCLUSION_REASONS = (
    "not_registered",
    "ineligible_provider",
    "ineligible_setting",
    "excluded_billing_code",
    "er_priority_1_3",
    "er_admitted",
    "er_repeat",
    "er_referred",
    "er_death",
    "pregnancy_other_physician",
    "own_visit_elsewhere",
    "service_agreement",
    "gmf_r_small_agreements",
)
# Reasons of the counted visits; all but other_provider are also assiduous.
ASSIDUOUS_REASONS = ("own_visit", "group_member", "ips_partner", "pregnancy_own")
COUNTED_REASONS = (*ASSIDUOUS_REASONS, "other_provider")
REASONS = EXCLUSION_REASONS + COUNTED_REASONS

TIERS = ("full", "three_quarters", "half", "none", "no_visits")

VISIT_OUTCOME_COLUMNS = (
    "visit_id",
    "patient_id",
    "provider_id",
    "physician_id",
    "counted",
    "assiduous",
    "reason",
)
RATE_COLUMNS = (
    "physician_id",
    "year",
    "registered_patients",
    "counted_visits",
    "assiduous_visits",
    "rate",
    "target",
    "payment_pct",
    "tier",
    "review_flag",
    "drmg_deemed",
)

PHYSICIAN = "physician"
IPS = "ips"
GMF_R = "gmf_r"


@dataclass(frozen=True)
class Span:
    """The calendar year ``year`` as the half-open period [first, after)."""

    year: int

    @property
    def first(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def after(self) -> datetime.date:
        return datetime.date(self.year + 1, 1, 1)

    @property
    def last(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)


# --- public API ----------------------------------------------------------------------------


def visit_outcomes(tables: AssiduityTables, year: int, rules: Rules) -> ir.Table:
    """Every visit of ``year`` with what it does to the rate of each physician it touches.

    One row per (visit of the year, physician): the physician the patient is registered
    with on the visit date and, for a physician's pregnancy follow-up of another
    physician's patient, also the physician who made it. Columns: ``visit_id``,
    ``patient_id``, ``provider_id``, ``physician_id`` (null for a patient registered with
    nobody), ``counted``, ``assiduous`` (booleans) and ``reason`` (an exclusion code of
    :data:`EXCLUSION_REASONS` or a reason of :data:`COUNTED_REASONS`). Lazy: nothing runs
    until the caller executes it.
    """
    rows = outcome_rows(classify(tables, year, rules))
    return rows.select(*VISIT_OUTCOME_COLUMNS)


def physician_rates(tables: AssiduityTables, year: int, rules: Rules) -> ir.Table:
    """The assiduity rate of every physician for ``year``, with the payment it earns.

    One row per physician with a registration in force during the year or a pregnancy
    follow-up credited in the year (reason ``pregnancy_own``), ordered by ``physician_id``;
    the columns are :data:`RATE_COLUMNS` (``spec/assiduity.md``, Output). ``rate`` is null
    and ``tier`` is ``no_visits`` when no visit counts. Raises ``AssiduityRulesError`` when
    the rules have no progression scale for ``year``. Lazy, like :func:`visit_outcomes`.
    """
    return rates_of(tables, year, rules, physician_id=None)


# --- building blocks shared with explain and whatif --------------------------------------


def rates_of(
    tables: AssiduityTables, year: int, rules: Rules, *, physician_id: str | None
) -> ir.Table:
    """:func:`physician_rates`, or only ``physician_id``'s row with the visits pushed down."""
    rules.scale_for(year)  # refused before any expression is built
    counts = _visit_counts(_joined(tables, year, rules, physician_id=physician_id, counting=True))
    return rates_from_counts(tables, year, rules, counts, physician_id=physician_id)


def rates_from_counts(
    tables: AssiduityTables,
    year: int,
    rules: Rules,
    counts: ir.Table,
    *,
    physician_id: str | None = None,
) -> ir.Table:
    """:func:`physician_rates`' rows from visit counts already made: ``counts`` has
    ``physician_id``, ``counted_visits`` and ``assiduous_visits``, one row per physician
    with a counted visit (a registered physician may be missing or have zeros; a
    physician without registrations must have a counted visit, as a pregnancy follow-up's
    maker credited with it). Used by :func:`rates_of`, and by the results, which count
    the outcome rows they classified once (``results.write_results``)."""
    span = Span(year)
    scale = rules.scale_for(year)

    registered = _registered(tables, span)
    if physician_id is not None:
        registered = registered.filter(registered.physician_id == physician_id)
    registered = registered.select(
        reg_physician=registered.physician_id, registered_patients=registered.registered_patients
    )

    joined = registered.outer_join(counts, registered.reg_physician == counts.physician_id)
    rows = joined.select(
        physician_id=ibis.coalesce(joined.reg_physician, joined.physician_id),
        registered_patients=joined.registered_patients.fill_null(0),
        counted_visits=joined.counted_visits.fill_null(0),
        assiduous_visits=joined.assiduous_visits.fill_null(0),
    )
    # Every row is a physician with a registration during the year or one credited with a
    # pregnancy follow-up: the counts only hold the visits that pass the exclusions of the
    # visit alone, so a physician who appears there without registrations (as the maker of
    # a follow-up, always counted) has a counted visit, and one whose follow-ups were all
    # excluded does not appear.
    if physician_id is not None:
        rows = rows.filter(rows.physician_id == physician_id)

    deemed = _drmg_deemed(tables, span)
    # A view, so that Ibis joins the combined rows (their physician_id is computed) rather
    # than adding the notices to the join above.
    rows = rows.view()
    rows = rows.left_join(deemed, rows.physician_id == deemed.deemed_physician).select(
        *rows.columns,
        drmg_deemed=deemed.deemed_physician.notnull(),
    )

    rate = rows.assiduous_visits.cast("float64") / rows.counted_visits.nullif(0).cast("float64")
    rows = rows.mutate(rate=rate)
    full = ibis.literal(scale.full, "float64")
    three_quarters = ibis.literal(scale.three_quarters, "float64")
    half = ibis.literal(scale.half, "float64")
    tier = ibis.cases(
        (rows.rate.isnull(), "no_visits"),
        (rows.rate >= full, "full"),
        (rows.rate >= three_quarters, "three_quarters"),
        (rows.rate >= half, "half"),
        else_="none",
    )
    paid = ibis.cases(
        (rows.drmg_deemed, 100),
        (rows.rate.isnull(), ibis.null("int32")),
        (rows.rate >= full, 100),
        (rows.rate >= three_quarters, 75),
        (rows.rate >= half, 50),
        else_=0,
    )
    # "Below the target by less than 3 points" (EP 40, 15.04) is rate > target - margin,
    # the bound computed in decimal: in binary floats 0.70 - 0.67 is 0.0299999..., which
    # would flag a rate exactly 3 points below a 70 % target.
    bound = float(Decimal(repr(scale.full)) - Decimal(repr(rules.review_margin)))
    review = (rows.rate < full) & (rows.rate > ibis.literal(bound, "float64"))
    return rows.select(
        "physician_id",
        year=ibis.literal(year, "int32"),
        registered_patients=rows.registered_patients.cast("int64"),
        counted_visits=rows.counted_visits.cast("int64"),
        assiduous_visits=rows.assiduous_visits.cast("int64"),
        rate=rows.rate,
        target=full,
        payment_pct=paid.cast("int32"),
        tier=tier,
        review_flag=review.fill_null(False),
        drmg_deemed=rows.drmg_deemed,
    ).order_by("physician_id")


def classify(
    tables: AssiduityTables,
    year: int,
    rules: Rules,
    *,
    physician_id: str | None = None,
    detail: bool = False,
) -> ir.Table:
    """The visits of ``year``, one row each, classified for the physicians they touch.

    Columns: ``visit_id``, ``patient_id``, ``provider_id``, ``provider_kind``,
    ``visit_date``, ``site_id``, ``setting``; ``physician_id`` (the
    registering physician on the visit date, null if none), ``registration_site``,
    ``gmf_id`` (the registering physician's GMF that day, null for a non-member), ``link``
    (the provider's link to the registering physician that day and place, a
    :class:`Link`), ``reason_code`` (the registering physician's row, an index into
    :data:`REASONS`) and ``pregnancy_code`` (the row of the physician who made a pregnancy
    follow-up of another physician's patient; null when there is no such row).

    ``physician_id`` keeps only the visits that may touch that physician (patients
    registered with them during the year, their own pregnancy follow-ups), and only that
    physician's rows are then meaningful: the links of the other registering physicians
    are left out (the registering physician's row of a follow-up that physician made for
    another's patient, for one, is not that physician's reason). ``detail`` adds
    ``provider_gmf_id`` (the provider's own GMF that day) and ``ips_partnered`` (the
    provider is an IPS partnered with the physician's group that day, anywhere), for the
    explanations.
    """
    return _with_reasons(_joined(tables, year, rules, physician_id=physician_id, detail=detail))


def _joined(
    tables: AssiduityTables,
    year: int,
    rules: Rules,
    *,
    physician_id: str | None = None,
    detail: bool = False,
    counting: bool = False,
) -> ir.Table:
    """:func:`classify` before the reasons: the visits with ``visit_exclusion`` (the code
    of the exclusion that depends on the visit alone, or null), ``pregnancy`` and the
    columns of the joins.

    ``counting`` is for the rates: the visits of unregistered patients and those excluded
    by the visit alone (which count for nobody) are left out, and so is ``setting``.
    """
    span = Span(year)
    visits = tables.visits
    visits = visits.filter((visits.visit_date >= span.first) & (visits.visit_date < span.after))
    registrations = clip(tables.registrations, span)
    if physician_id is not None:
        visits = _touching(visits, registrations, physician_id)
    memberships = _memberships(tables, span)
    timeline = _timeline(memberships, span)

    # Everything the rules need from the visit itself, so that the joins carry few columns.
    visit_rules = _VisitRules.of(visits, rules, tables.checked_vocabularies)
    if counting:
        # A visit excluded by the visit alone counts for nobody (the pregnancy row of its
        # maker is subject to the same exclusions), so the rates never need it: dropping
        # it before the joins spares them about a tenth of the year's visits.
        visits = visits.filter(visit_rules.passes())
        exclusion = ibis.null("int8")
    else:
        exclusion = visit_rules.first()
    visits = visits.select(
        "visit_id",
        "patient_id",
        "provider_id",
        "provider_kind",
        "visit_date",
        "site_id",
        *([] if counting else ["setting"]),
        pregnancy=(visits.provider_kind == PHYSICIAN) & visits.pregnancy_followup.fill_null(False),
        visit_exclusion=exclusion,
    )

    # The one large join: the registration in force on the visit date (at most one per
    # patient and day). The explanations also need the physician's GMF that day: it is
    # looked up after this join, in the membership timeline (a small table), for the
    # visits only; cutting the registrations by membership periods before the join
    # costs a range join of millions of registrations (at 2 M visits and a province's
    # registrations, about a fifth of the classification). The counts read the
    # membership from the link (SELF or SELF_NON_MEMBER) and need neither.
    pieces = registrations.select(
        "patient_id", "physician_id", "start_date", "end_date", registration_site="site_id"
    )
    pieces = pieces.rename(reg_patient="patient_id", reg_start="start_date", reg_end="end_date")
    joined = visits.join(
        pieces,
        [
            visits.patient_id == pieces.reg_patient,
            pieces.reg_start <= visits.visit_date,
            visits.visit_date < pieces.reg_end,
        ],
        how="inner" if counting else "left",
    ).select(*visits.columns, "physician_id", "registration_site")
    if not counting:
        segments = timeline.rename(
            t_physician="physician_id", t_start="start_date", t_end="end_date"
        )
        joined = joined.left_join(
            segments,
            [
                joined.physician_id == segments.t_physician,
                segments.t_start <= joined.visit_date,
                joined.visit_date < segments.t_end,
            ],
        ).select(*joined.columns, "gmf_id")

    # The provider's link to that physician on that day (and at that place, for the links
    # that only hold at the sites of the physician's GMF): at most one row matches. The
    # place is tested as a case, not "no site or the same site": DuckDB evaluates this
    # condition on every candidate row of every visit, and the case is the cheaper form.
    links = _links(tables, span, rules, memberships, timeline, only=physician_id).rename(
        link_physician="physician_id",
        link_provider="provider_id",
        link_kind="provider_kind",
        link_site="site_id",
    )
    joined = joined.left_join(
        links,
        [
            joined.physician_id == links.link_physician,
            joined.provider_id == links.link_provider,
            joined.provider_kind == links.link_kind,
            ibis.ifelse(links.link_site.isnull(), True, links.link_site == joined.site_id),
            links.start_date <= joined.visit_date,
            joined.visit_date < links.end_date,
        ],
    ).select(*joined.columns, "link")

    if detail:
        joined = _with_detail(joined, tables, span, memberships)
    return joined


def outcome_rows(classified: ir.Table) -> ir.Table:
    """One row per (visit, physician) from :func:`classify`: the registering physician's
    row, plus the row of the physician who made a pregnancy follow-up of another
    physician's patient. Keeps the columns of ``classified`` (``physician_id`` is the
    row's physician) and adds ``reason`` (its name), ``counted`` and ``assiduous``."""
    # Each visit read once and repeated for a pregnancy row (an array of one or two
    # sides, unnested): a union of the two kinds of rows would make DuckDB run the
    # classification once per side (the union's inputs are not shared).
    sides = ibis.ifelse(
        classified.pregnancy_code.notnull(),
        ibis.literal([0, 1], type="array<int8>"),
        ibis.literal([0], type="array<int8>"),
    )
    rows = classified.mutate(_side=sides).unnest("_side")
    maker = rows._side == 1
    rows = rows.mutate(
        physician_id=ibis.ifelse(maker, rows.provider_id, rows.physician_id),
        code=ibis.ifelse(maker, rows.pregnancy_code, rows.reason_code),
    ).drop("_side")
    return rows.mutate(
        reason=ibis.cases(*((rows.code == code, name) for code, name in enumerate(REASONS))),
        counted=rows.code >= _FIRST_COUNTED,
        assiduous=(rows.code >= _FIRST_COUNTED) & (rows.code < _OTHER_PROVIDER),
    )


def clip(table: ir.Table, span: Span) -> ir.Table:
    """The rows of a periods table in force on some day of ``span``, their periods cut to
    it: ``end_date`` is never null afterwards, and ``start_date < end_date``."""
    start = ibis.greatest(table.start_date, ibis.literal(span.first))
    end = ibis.least(table.end_date.fill_null(ibis.literal(span.after)), ibis.literal(span.after))
    clipped = table.mutate(start_date=start, end_date=end)
    return clipped.filter(clipped.start_date < clipped.end_date)


def merge_periods(table: ir.Table, keys: list[str]) -> ir.Table:
    """Merge the overlapping or adjacent periods of each ``keys`` value (gaps and islands).

    ``table`` has ``keys``, ``start_date`` and a non-null ``end_date`` (see :func:`clip`);
    the result has one row per maximal period, so a dated join on ``keys`` matches at most
    one row. Meant for the small tables only.
    """
    periods = table.select(*keys, "start_date", "end_date")
    order = ["start_date", "end_date"]
    before = ibis.window(group_by=keys, order_by=order, rows=(None, -1))
    periods = periods.mutate(reach=periods.end_date.max().over(before))
    starts = periods.reach.isnull() | (periods.start_date > periods.reach)
    periods = periods.mutate(starts=starts.cast("int64"))
    upto = ibis.window(group_by=keys, order_by=order, rows=(None, 0))
    periods = periods.mutate(island=periods.starts.sum().over(upto))
    return (
        periods.group_by([*keys, "island"])
        .aggregate(start_date=periods.start_date.min(), end_date=periods.end_date.max())
        .drop("island")
    )


# --- internals ------------------------------------------------------------------------------

# Reason codes: the position in REASONS. Exclusions first, then the assiduous reasons, then
# other_provider, so that "counted" and "assiduous" are integer comparisons.
_CODE = {reason: code for code, reason in enumerate(REASONS)}
_FIRST_COUNTED = _CODE[COUNTED_REASONS[0]]
_OTHER_PROVIDER = _CODE["other_provider"]
_PREGNANCY_OTHER = _CODE["pregnancy_other_physician"]
_PREGNANCY_OWN = _CODE["pregnancy_own"]


class Link(IntEnum):
    """How a provider stands towards a registering physician D on a day (see _links)."""

    SELF = 1  # D, at a site of D's GMF
    GMF_COLLEAGUE = 2  # a member of D's GMF, at a site of it
    GMF_IPS = 3  # an IPS partnered with a member of D's GMF, at a site of it
    SERVICE_AGREEMENT = 4  # a member of a GMF (gmf, gmf_u) with an agreement with D's, anywhere
    SMALL_GMF_R = 5  # a member of a small GMF-R with an agreement with D's GMF, at a site of it
    PEER_COLLEAGUE = 6  # non-member D: a physician of D's practice group, anywhere
    PEER_IPS = 7  # non-member D: an IPS partnered with D, anywhere
    SELF_NON_MEMBER = 8  # non-member D, anywhere (counts at the registration site)


def _code(reason: str) -> ir.IntegerValue:
    return ibis.literal(_CODE[reason], "int8")


def _touching(visits: ir.Table, registrations: ir.Table, physician_id: str) -> ir.Table:
    """The visits that may touch ``physician_id``: to a patient registered with them at
    some time of the year, or their own pregnancy follow-ups."""
    patients = registrations.filter(registrations.physician_id == physician_id).patient_id
    own_pregnancy = (
        (visits.provider_id == physician_id)
        & (visits.provider_kind == PHYSICIAN)
        & visits.pregnancy_followup.fill_null(False)
    )
    return visits.filter(visits.patient_id.isin(patients) | own_pregnancy)


def _memberships(tables: AssiduityTables, span: Span) -> ir.Table:
    """GMF memberships in force during the year: physician_id, gmf_id, start/end_date.

    Merging absorbs a membership written twice; two different GMFs on the same day break
    the contract ("a physician holds at most one membership on any day").
    """
    memberships = tables.gmf_memberships.select("physician_id", "gmf_id", "start_date", "end_date")
    return merge_periods(clip(memberships, span), ["physician_id", "gmf_id"])


def _timeline(memberships: ir.Table, span: Span) -> ir.Table:
    """Each GMF member's year cut where their membership changes: physician_id, gmf_id
    (null between memberships), start_date, end_date. The segments of a physician cover
    the whole year; a physician who is never a member has none."""
    physicians = memberships.select("physician_id").distinct()
    bounds = ibis.union(
        physicians.mutate(day=ibis.literal(span.first)),
        physicians.mutate(day=ibis.literal(span.after)),
        memberships.select("physician_id", day=memberships.start_date),
        memberships.select("physician_id", day=memberships.end_date),
        distinct=True,
    )
    following = ibis.window(group_by="physician_id", order_by="day")
    segments = bounds.mutate(end_date=bounds.day.lead().over(following))
    segments = segments.filter(segments.end_date.notnull()).select(
        "physician_id", start_date="day", end_date="end_date"
    )
    covering = memberships.rename(
        m_physician="physician_id", m_start="start_date", m_end="end_date"
    )
    return segments.left_join(
        covering,
        [
            segments.physician_id == covering.m_physician,
            covering.m_start <= segments.start_date,
            segments.end_date <= covering.m_end,
        ],
    ).select("physician_id", "gmf_id", "start_date", "end_date")


def _agreements(tables: AssiduityTables, span: Span) -> ir.Table:
    """Service agreements both ways round: gmf_id, partner_gmf_id, start_date, end_date."""
    agreements = tables.service_agreements
    both = ibis.union(
        agreements.select("gmf_id", "partner_gmf_id", "start_date", "end_date"),
        agreements.select(
            gmf_id=agreements.partner_gmf_id,
            partner_gmf_id=agreements.gmf_id,
            start_date=agreements.start_date,
            end_date=agreements.end_date,
        ),
    )
    both = both.filter(both.gmf_id != both.partner_gmf_id)
    return merge_periods(clip(both, span), ["gmf_id", "partner_gmf_id"])


def _gmf_r_ids(tables: AssiduityTables) -> ir.Table:
    """The GMFs of kind gmf_r: a GMF with a site of kind gmf_r (column ``gmf_r_id``)."""
    sites = tables.gmf_sites
    return sites.filter(sites.kind == GMF_R).select(gmf_r_id="gmf_id").distinct()


def _registered(tables: AssiduityTables, span: Span) -> ir.Table:
    """Per physician with a registration in force during the year: ``physician_id``,
    ``registered_patients`` (the patients registered with them on some day of the year)
    and ``last_day_patients`` (on 31 December).

    One pass over the registrations for the rates, the GMF-R rule and the links; the
    result is small (a row per physician), so DuckDB keeps it once for all three.
    """
    registrations = clip(
        tables.registrations.select("patient_id", "physician_id", "start_date", "end_date"), span
    )
    first, after, last = (ibis.literal(day) for day in (span.first, span.after, span.last))
    # A patient registered twice with one physician during the year is one patient, so the
    # patients are counted by (physician, patient); but a registration in force all year is
    # the patient's only one that year (a patient has one registration a day, the
    # contract), so those rows, most of them, are counted by physician alone: a few
    # hundred thousand groups instead of millions (0.3 s less on a province).
    all_year = (registrations.start_date == first) & (registrations.end_date == after)
    on_last_day = (registrations.start_date <= last) & (last < registrations.end_date)
    groups = registrations.group_by(
        "physician_id", patient=ibis.ifelse(all_year, ibis.null("string"), registrations.patient_id)
    ).aggregate(rows=ibis._.count(), on_last_day=ibis._.count(where=on_last_day))
    return groups.group_by("physician_id").aggregate(
        registered_patients=ibis.ifelse(groups.patient.isnull(), groups.rows, 1).sum(),
        # At most one registration of a patient is in force on 31 December.
        last_day_patients=groups.on_last_day.sum(),
    )


def _small_gmf_r(
    tables: AssiduityTables, span: Span, rules: Rules, memberships: ir.Table
) -> ir.Table:
    """The GMF-Rs whose agreements cover fewer than ``rules.gmf_r_threshold`` patients.

    Covered patients: those registered on 31 December with a physician who is a member,
    that day, of a GMF linked to the GMF-R by an agreement in force that day; the GMF-R's
    own are not counted (an agreement never links a GMF to itself). A ``gmf_r_coverage``
    row of the year overrides the figure. Column: ``small_gmf_r_id``.
    """
    last = ibis.literal(span.last)

    def on_last_day(table: ir.Table) -> ir.BooleanValue:
        return (table.start_date <= last) & (last < table.end_date)

    # Per physician first: a patient has one registration a day, so the sums are exact.
    registered = _registered(tables, span)
    per_physician = registered.select("physician_id", patients=registered.last_day_patients)
    members = memberships.filter(on_last_day(memberships)).select(
        member="physician_id", member_gmf="gmf_id"
    )
    agreements = _agreements(tables, span)
    agreements = agreements.filter(on_last_day(agreements))
    gmf_r = _gmf_r_ids(tables)
    linked = agreements.join(gmf_r, agreements.partner_gmf_id == gmf_r.gmf_r_id).select(
        "gmf_id", "gmf_r_id"
    )
    covered = (
        per_physician.join(members, per_physician.physician_id == members.member)
        .join(linked, members.member_gmf == linked.gmf_id)
        .group_by("gmf_r_id")
        .aggregate(computed=ibis._.patients.sum())
        .rename(computed_id="gmf_r_id")
    )
    coverage = tables.gmf_r_coverage
    given = (
        coverage.filter(coverage.year == span.year)
        .group_by("gmf_id")
        .aggregate(given=coverage.covered_patients.max())
    )
    every = gmf_r.left_join(covered, gmf_r.gmf_r_id == covered.computed_id).select(
        "gmf_r_id", "computed"
    )
    every = every.left_join(given, every.gmf_r_id == given.gmf_id).select(
        "gmf_r_id", covered=ibis.coalesce(given.given, every.computed, 0)
    )
    return every.filter(every.covered < rules.gmf_r_threshold).select(small_gmf_r_id="gmf_r_id")


def coverage_physicians(tables: AssiduityTables, year: int, physician_id: str) -> ir.Table:
    """The physicians whose registrations the GMF-R rule may count for ``physician_id``'s
    visits among ``tables.visits`` (column ``physician_id``, distinct), beside those of
    the patients of those visits.

    A visit is ``gmf_r_small_agreements`` for ``physician_id`` only when made by a member
    of a GMF-R with a service agreement, during ``year``, with a GMF ``physician_id`` was
    a member of; whether that GMF-R is small depends on its covered patients
    (:func:`_small_gmf_r`): those registered with the members of the GMFs with an
    agreement with it, unless ``gmf_r_coverage`` gives the figure of the year. So: the
    members, during the year, of the GMFs with an agreement during the year with such a
    GMF-R without a figure, one of whose members made one of ``tables.visits``. More than
    the rule reads (it counts on 31 December), never less. Reads the small tables and
    the providers of ``tables.visits`` (the few visits an explanation reads).
    """
    span = Span(year)
    memberships = _memberships(tables, span)
    agreements = _agreements(tables, span)
    coverage = tables.gmf_r_coverage
    given = coverage.filter(coverage.year == span.year).select(given_id="gmf_id").distinct()
    gmf_r = _gmf_r_ids(tables)
    gmf_r = gmf_r.filter(~gmf_r.gmf_r_id.isin(given.given_id))
    visits = tables.visits
    providers = (
        visits.filter(visits.provider_kind == PHYSICIAN).select(provider="provider_id").distinct()
    )
    seen = memberships.join(providers, memberships.physician_id == providers.provider)
    gmf_r = gmf_r.filter(gmf_r.gmf_r_id.isin(seen.gmf_id))
    own = memberships.filter(memberships.physician_id == physician_id).select(own_gmf="gmf_id")
    reached = (
        agreements.join(own, agreements.gmf_id == own.own_gmf)
        .join(gmf_r, agreements.partner_gmf_id == gmf_r.gmf_r_id)
        .select(reached_id="gmf_r_id")
        .distinct()
    )
    linked = agreements.view()
    linked = (
        linked.join(reached, linked.partner_gmf_id == reached.reached_id)
        .select(linked_gmf="gmf_id")
        .distinct()
    )
    return (
        memberships.join(linked, memberships.gmf_id == linked.linked_gmf)
        .select("physician_id")
        .distinct()
    )


def _gmf_ips(tables: AssiduityTables, span: Span, memberships: ir.Table) -> ir.Table:
    """IPSs partnered with at least one member of a GMF, day by day: gmf_id, ips_id,
    start_date, end_date (the partnership and that membership both in force)."""
    partnerships = clip(tables.ips_partnerships, span)
    m = memberships.rename(m_physician="physician_id", m_start="start_date", m_end="end_date")
    partnered = partnerships.join(
        m,
        [
            partnerships.physician_id == m.m_physician,
            partnerships.start_date < m.m_end,
            m.m_start < partnerships.end_date,
        ],
    ).select(
        gmf_id=m.gmf_id,
        ips_id=partnerships.ips_id,
        start_date=ibis.greatest(partnerships.start_date, m.m_start),
        end_date=ibis.least(partnerships.end_date, m.m_end),
    )
    return merge_periods(partnered, ["gmf_id", "ips_id"])


def _peer_ips(tables: AssiduityTables, span: Span) -> ir.Table:
    """IPS partnerships of the year, merged: physician_id, ips_id, start_date, end_date."""
    partnerships = clip(tables.ips_partnerships, span)
    return merge_periods(partnerships, ["physician_id", "ips_id"])


def _members_of(gmfs: ir.Table, memberships: ir.Table, gmf: str, **columns: Any) -> ir.Table:
    """``gmfs`` (with ``gmf`` and a period) joined to the members of that GMF whose
    membership overlaps the period; the period becomes the intersection. ``columns`` name
    the output columns (``"member"`` is the member's id)."""
    # Views keep Ibis from folding this join into a join that built ``gmfs`` (whose
    # period is computed, so cannot be dereferenced there) or joining a table to itself.
    gmfs = gmfs.view()
    m = memberships.view().rename(
        member="physician_id", m_gmf="gmf_id", m_start="start_date", m_end="end_date"
    )
    joined = gmfs.join(
        m, [gmfs[gmf] == m.m_gmf, gmfs.start_date < m.m_end, m.m_start < gmfs.end_date]
    )
    return joined.select(
        **{name: joined[source] for name, source in columns.items()},
        start_date=ibis.greatest(joined.start_date, joined.m_start),
        end_date=ibis.least(joined.end_date, joined.m_end),
    )


def _links(
    tables: AssiduityTables,
    span: Span,
    rules: Rules,
    memberships: ir.Table,
    timeline: ir.Table,
    *,
    only: str | None = None,
) -> ir.Table:
    """Every provider's link to every registering physician D, with its period:
    physician_id (D), provider_id, provider_kind, site_id, start_date, end_date, link
    (a :class:`Link`). ``site_id`` is set for the links that only hold at the sites of D's
    GMF (one row per site) and null for those that hold anywhere. ``only``: the links to
    that one D (an explanation's, a what-if's: the others' rows are then left out), the
    same rows as the whole table's for that D.

    Given the contract (one membership per physician and day), at most one row matches a
    visit: the GMF links exist only while D is a member, the peer links only while D is
    not, and a provider belongs to one GMF a day.
    """
    physician, ips = ibis.literal(PHYSICIAN), ibis.literal(IPS)

    def link(value: Link) -> ir.IntegerValue:
        return ibis.literal(int(value), "int8")

    # D's side of each link: D's memberships (every member's, or the one D's).
    ds = memberships if only is None else memberships.filter(memberships.physician_id == only)

    # Links that hold at the sites of D's GMF (gmf_id is D's GMF).
    colleagues = _members_of(
        ds,
        memberships,
        "gmf_id",
        physician_id="physician_id",
        provider_id="member",
        gmf_id="gmf_id",
    )
    colleagues = colleagues.mutate(
        provider_kind=physician,
        link=ibis.ifelse(
            colleagues.provider_id == colleagues.physician_id,
            link(Link.SELF),
            link(Link.GMF_COLLEAGUE),
        ),
    )
    partnered = _members_of(
        _gmf_ips(tables, span, memberships),
        ds,
        "gmf_id",
        physician_id="member",
        provider_id="ips_id",
        gmf_id="gmf_id",
    ).mutate(provider_kind=ips, link=link(Link.GMF_IPS))

    agreements = _agreements(tables, span)
    gmf_r = _gmf_r_ids(tables)
    small = _small_gmf_r(tables, span, rules, memberships)
    partners = agreements.left_join(gmf_r, agreements.partner_gmf_id == gmf_r.gmf_r_id)
    partners = partners.left_join(small, partners.partner_gmf_id == small.small_gmf_r_id)
    partners = partners.select(
        "gmf_id",
        "partner_gmf_id",
        "start_date",
        "end_date",
        link=ibis.cases(
            (small.small_gmf_r_id.notnull(), link(Link.SMALL_GMF_R)),
            (gmf_r.gmf_r_id.isnull(), link(Link.SERVICE_AGREEMENT)),
            else_=ibis.null("int8"),
        ),
    )
    partners = partners.filter(partners.link.notnull())
    # D (a member of gmf_id) and the provider (a member of partner_gmf_id).
    partners = _members_of(
        partners,
        ds,
        "gmf_id",
        physician_id="member",
        gmf_id="gmf_id",
        partner_gmf_id="partner_gmf_id",
        link="link",
    )
    partners = _members_of(
        partners,
        memberships,
        "partner_gmf_id",
        physician_id="physician_id",
        provider_id="member",
        gmf_id="gmf_id",
        link="link",
    ).mutate(provider_kind=physician)

    columns = ["physician_id", "provider_id", "provider_kind", "start_date", "end_date", "link"]
    at_sites = ibis.union(
        colleagues.select("gmf_id", *columns),
        partnered.select("gmf_id", *columns),
        partners.filter(partners.link == link(Link.SMALL_GMF_R)).select("gmf_id", *columns),
    )
    sites = tables.gmf_sites.select(site_gmf="gmf_id", site_id="site_id").distinct()
    at_sites = at_sites.join(sites, at_sites.gmf_id == sites.site_gmf).select(
        *columns[:3], "site_id", *columns[3:]
    )
    anywhere = partners.filter(partners.link == link(Link.SERVICE_AGREEMENT)).select(
        *columns[:3], site_id=ibis.null("string"), **{c: c for c in columns[3:]}
    )
    peers = _peer_links(tables, span, timeline, only=only).select(
        *columns[:3], site_id=ibis.null("string"), **{c: c for c in columns[3:]}
    )
    return ibis.union(at_sites, anywhere, peers)


def _peer_links(
    tables: AssiduityTables, span: Span, timeline: ir.Table, *, only: str | None = None
) -> ir.Table:
    """Links of a non-member physician D, while D is not a GMF member: physician_id,
    provider_id, provider_kind, start_date, end_date, link (PEER_COLLEAGUE: a physician of
    D's practice group, EP 40 6.02 C or 11.03 E; PEER_IPS: an IPS partnered with D;
    SELF_NON_MEMBER: D themself, for each physician with a registration in the year, so
    that the counts tell a non-member's own visit from a member's without the GMF).
    ``only``: the links of that one D (see :func:`_links`)."""
    every = clip(tables.practice_groups, span)
    other = every.rename(
        o_physician="physician_id", o_group="group_id", o_start="start_date", o_end="end_date"
    )
    groups = every if only is None else every.filter(every.physician_id == only)
    colleagues = groups.join(
        other,
        [
            groups.group_id == other.o_group,
            groups.physician_id != other.o_physician,
            groups.start_date < other.o_end,
            other.o_start < groups.end_date,
        ],
    ).select(
        physician_id=groups.physician_id,
        provider_id=other.o_physician,
        start_date=ibis.greatest(groups.start_date, other.o_start),
        end_date=ibis.least(groups.end_date, other.o_end),
    )
    colleagues = merge_periods(colleagues, ["physician_id", "provider_id"]).mutate(
        provider_kind=ibis.literal(PHYSICIAN), link=ibis.literal(int(Link.PEER_COLLEAGUE), "int8")
    )
    partnerships = _peer_ips(tables, span)
    if only is not None:
        partnerships = partnerships.filter(partnerships.physician_id == only)
    partners = partnerships.rename(provider_id="ips_id").mutate(
        provider_kind=ibis.literal(IPS), link=ibis.literal(int(Link.PEER_IPS), "int8")
    )
    registered = _registered(tables, span)
    if only is not None:
        registered = registered.filter(registered.physician_id == only)
    themselves = registered.select(
        "physician_id",
        provider_id=registered.physician_id,
        provider_kind=ibis.literal(PHYSICIAN),
        start_date=ibis.literal(span.first),
        end_date=ibis.literal(span.after),
        link=ibis.literal(int(Link.SELF_NON_MEMBER), "int8"),
    )
    columns = ["physician_id", "provider_id", "provider_kind", "start_date", "end_date", "link"]
    peers = ibis.union(
        colleagues.select(*columns), partners.select(*columns), themselves.select(*columns)
    )
    # Keep the days D is not a member: all of them for a physician with no membership, the
    # segments without a GMF for the others.
    segments = timeline.rename(
        t_physician="physician_id", t_gmf="gmf_id", t_start="start_date", t_end="end_date"
    )
    joined = peers.left_join(
        segments,
        [
            peers.physician_id == segments.t_physician,
            segments.t_start < peers.end_date,
            peers.start_date < segments.t_end,
        ],
    )
    joined = joined.filter(joined.t_physician.isnull() | joined.t_gmf.isnull())
    return joined.select(
        "physician_id",
        "provider_id",
        "provider_kind",
        start_date=ibis.greatest(joined.start_date, joined.t_start.fill_null(joined.start_date)),
        end_date=ibis.least(joined.end_date, joined.t_end.fill_null(joined.end_date)),
        link="link",
    )


def _with_detail(
    joined: ir.Table, tables: AssiduityTables, span: Span, memberships: ir.Table
) -> ir.Table:
    """Add provider_gmf_id and ips_partnered (see :func:`classify`)."""
    theirs = memberships.rename(
        their_physician="physician_id",
        provider_gmf_id="gmf_id",
        their_start="start_date",
        their_end="end_date",
    )
    joined = joined.left_join(
        theirs,
        [
            joined.provider_id == theirs.their_physician,
            joined.provider_kind == PHYSICIAN,
            theirs.their_start <= joined.visit_date,
            joined.visit_date < theirs.their_end,
        ],
    ).select(*joined.columns, "provider_gmf_id")
    group_ips = _gmf_ips(tables, span, memberships).rename(
        g_gmf="gmf_id", g_ips="ips_id", g_start="start_date", g_end="end_date"
    )
    joined = joined.left_join(
        group_ips,
        [
            joined.gmf_id == group_ips.g_gmf,
            joined.provider_id == group_ips.g_ips,
            joined.provider_kind == IPS,
            group_ips.g_start <= joined.visit_date,
            joined.visit_date < group_ips.g_end,
        ],
    ).select(*joined.columns, gmf_partnered=group_ips.g_ips.notnull())
    own_ips = _peer_ips(tables, span).rename(
        p_physician="physician_id", p_ips="ips_id", p_start="start_date", p_end="end_date"
    )
    joined = joined.left_join(
        own_ips,
        [
            joined.physician_id == own_ips.p_physician,
            joined.provider_id == own_ips.p_ips,
            joined.provider_kind == IPS,
            own_ips.p_start <= joined.visit_date,
            joined.visit_date < own_ips.p_end,
        ],
    ).select(*joined.columns, peer_partnered=own_ips.p_ips.notnull())
    return joined.mutate(
        ips_partnered=ibis.ifelse(
            joined.gmf_id.notnull(), joined.gmf_partnered, joined.peer_partnered
        )
    ).drop("gmf_partnered", "peer_partnered")


def _one_of(
    value: ir.StringValue, names: frozenset[str], vocabulary: tuple[str, ...] = ()
) -> ir.BooleanValue:
    """``value`` is one of ``names`` (null when ``value`` is null).

    Written as a chain of equalities rather than ``isin``: DuckDB turns an IN list of more
    than a few strings into a join, which doubles the cost of the scan on 50 M visits.
    When ``vocabulary`` lists every word the column may hold (the input checks refuse any
    other) and ``names`` are among them, the shorter of ``names`` and the other words is
    compared: "not other" is one comparison where the eligible settings are ten, on every
    visit.
    """
    others = sorted(set(vocabulary) - names)
    if vocabulary and names <= set(vocabulary) and others and len(others) < len(names):
        return ~functools.reduce(operator.or_, (value == name for name in others))
    return functools.reduce(operator.or_, (value == name for name in sorted(names)))


# A range of at most this many codes is compared code by code (see _billing_spellings).
_EXPANDED_RANGE = 100


def _billing_spellings(rules: Rules) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """The excluded codes as they may be written, and the ranges too wide to list.

    Each listed code (and each code of a narrow range) is given with its leading zeros
    dropped one by one too ("09900", "9900"), so that one IN list on the raw cell
    replaces padding every cell of 50 million visits.
    """
    codes = set(rules.excluded_billing_codes)
    wide = []
    for low, high in rules.excluded_billing_ranges:
        if int(high) - int(low) < _EXPANDED_RANGE:
            codes.update(f"{number:05d}" for number in range(int(low), int(high) + 1))
        else:
            wide.append((low, high))
    spellings = {
        code[dropped:]
        for code in codes
        for dropped in range(len(code) - len(code.lstrip("0")) + 1)
        if code[dropped:]
    }
    return frozenset(spellings), tuple(wide)


def _excluded_billing_code(code: ir.StringValue, rules: Rules) -> ir.BooleanValue:
    """The billing-code exclusion, never null. Codes compare as 5-digit strings: a shorter
    code is read zero-padded ("9900" is 09900, a leading zero lost by a spreadsheet); a
    missing code (an IPS's entry) is not excluded."""
    spellings, wide = _billing_spellings(rules)
    excluded: ir.BooleanValue = code.isin(sorted(spellings)) if spellings else ibis.literal(False)
    if wide:
        padded = ibis.cases((code.length() < 5, code.lpad(5, "0")), else_=code)
        in_wide = functools.reduce(operator.or_, (padded.between(low, high) for low, high in wide))
        excluded = excluded | ((code.length() <= 5) & in_wide)
    return excluded.fill_null(False)


@dataclass(frozen=True)
class _VisitRules:
    """The exclusions that depend on the visit alone.

    ``eligible_provider``, ``eligible_setting`` and ``er`` are null when the column is;
    the other conditions are never null.
    """

    eligible_provider: ir.BooleanValue
    eligible_setting: ir.BooleanValue
    excluded_billing_code: ir.BooleanValue
    er: ir.BooleanValue
    priority: ir.BooleanValue
    admitted: ir.BooleanValue
    repeat: ir.BooleanValue
    referred: ir.BooleanValue
    death: ir.BooleanValue

    @classmethod
    def of(
        cls, t: ir.Table, rules: Rules, vocabularies: Mapping[str, tuple[str, ...]]
    ) -> _VisitRules:
        """The conditions on the visits ``t``; ``vocabularies``: the words each column was
        checked to hold (AssiduityTables.checked_vocabularies), or empty."""
        kinds = vocabularies.get("provider_kind", ())
        settings = vocabularies.get("setting", ())
        triage = vocabularies.get("er_triage", ())
        return cls(
            eligible_provider=_one_of(t.provider_kind, rules.eligible_provider_kinds, kinds),
            eligible_setting=_one_of(t.setting, rules.eligible_settings, settings),
            excluded_billing_code=_excluded_billing_code(t.billing_code, rules),
            er=_one_of(t.setting, rules.er_settings, settings),
            priority=_one_of(t.er_triage, rules.er_excluded_triage, triage).fill_null(False),
            admitted=t.er_admitted.fill_null(False),
            repeat=t.er_repeat.fill_null(False),
            referred=t.er_referred.fill_null(False),
            death=t.er_death.fill_null(False),
        )

    def first(self) -> ir.IntegerValue:
        """The code of the first exclusion that applies, or null."""
        er = self.er.fill_null(False)
        # Our reading: the P4/P5 flags also exclude an emergency visit whose triage is
        # missing (anything priority does not exclude); see docs/assiduity.md.
        low_priority = er & ~self.priority
        return ibis.cases(
            (~self.eligible_provider.fill_null(False), _code("ineligible_provider")),
            (~self.eligible_setting.fill_null(False), _code("ineligible_setting")),
            (self.excluded_billing_code, _code("excluded_billing_code")),
            (er & self.priority, _code("er_priority_1_3")),
            (low_priority & self.admitted, _code("er_admitted")),
            (low_priority & self.repeat, _code("er_repeat")),
            (low_priority & self.referred, _code("er_referred")),
            (er & self.death, _code("er_death")),
            else_=ibis.null("int8"),
        )

    def passes(self) -> ir.BooleanValue:
        """True when no exclusion applies, false otherwise (also when the provider kind or
        the setting is missing): the conditions of :meth:`first` as one expression.

        Written as a case rather than one conjunction: DuckDB evaluates each branch on
        the rows that reach it, so the billing codes and the emergency flags are only
        looked at for the visits of eligible providers and settings (the flags, for the
        emergency visits alone), where a conjunction computes every term on every visit.
        """
        er_excluded = self.priority | self.admitted | self.repeat | self.referred | self.death
        return ibis.cases(
            (
                self.eligible_provider & self.eligible_setting,
                ibis.cases(
                    (self.excluded_billing_code, False),
                    (self.er, ~er_excluded),
                    else_=True,
                ),
            ),
            else_=False,
        )


def _with_reasons(t: ir.Table) -> ir.Table:
    """Add ``reason_code`` (registering physician's row) and ``pregnancy_code``."""
    own = (t.provider_kind == PHYSICIAN) & (t.provider_id == t.physician_id).fill_null(False)
    # Computed once, as columns, so that the case below only reads them.
    t = t.mutate(own=own, at_registration_site=(t.site_id == t.registration_site).fill_null(False))
    registered = t.physician_id.notnull()
    member = t.gmf_id.notnull()
    link = t.link.fill_null(0)
    reason = ibis.cases(
        (~registered, _code("not_registered")),
        (t.visit_exclusion.notnull(), t.visit_exclusion),
        (t.pregnancy & ~t.own, _code("pregnancy_other_physician")),
        (t.pregnancy, _code("pregnancy_own")),
        # A member's own visit counts at the sites of their GMF (a SELF link there), a
        # non-member's at the patient's registration site.
        (t.own & member & (link != Link.SELF), _code("own_visit_elsewhere")),
        (t.own & ~member & ~t.at_registration_site, _code("own_visit_elsewhere")),
        (link == Link.SERVICE_AGREEMENT, _code("service_agreement")),
        (link == Link.SMALL_GMF_R, _code("gmf_r_small_agreements")),
        (t.own, _code("own_visit")),
        (link == Link.GMF_COLLEAGUE, _code("group_member")),
        (link == Link.GMF_IPS, _code("ips_partner")),
        ((link == Link.PEER_COLLEAGUE) & t.at_registration_site, _code("group_member")),
        ((link == Link.PEER_IPS) & t.at_registration_site, _code("ips_partner")),
        else_=_code("other_provider"),
    )
    # The physician who made a pregnancy follow-up of another physician's patient gets a
    # row of their own, subject to the exclusions that depend on the visit alone.
    other_physician_s = registered & t.pregnancy & ~t.own
    return t.mutate(
        reason_code=reason,
        pregnancy_code=ibis.ifelse(
            other_physician_s,
            t.visit_exclusion.fill_null(_code("pregnancy_own")),
            ibis.null("int8"),
        ),
    ).drop("visit_exclusion", "own", "pregnancy", "at_registration_site")


def _visit_counts(joined: ir.Table) -> ir.Table:
    """counted_visits and assiduous_visits per physician, in one pass
    over the visits of :func:`_joined` with ``counting``.

    The reasons of :func:`_with_reasons`, reduced to what a count needs (the visits it
    reads are registered and pass the exclusions of the visit alone): one case giving
    each visit's outcome (0 not counted, 1 counted, 2 assiduous) instead of a
    thirteen-way case on 40 million rows; as one case, DuckDB tests each condition only
    on the visits the earlier ones left, and compares no string twice. A visit counts
    for one physician at most: the registering physician, or the physician who made a
    pregnancy follow-up (the registering physician's row is then excluded when that is
    someone else). So one grouping key suffices.
    """
    t = joined
    own = (t.provider_kind == PHYSICIAN) & (t.provider_id == t.physician_id)
    at_registration_site = t.site_id == t.registration_site
    link = t.link
    excluded, counted, assiduous = 0, 1, 2
    outcome = ibis.cases(
        # Every pregnancy follow-up counts, for its maker.
        (t.pregnancy, assiduous),
        # A member's own visit counts at the sites of their GMF (a SELF link there), a
        # non-member's (a SELF_NON_MEMBER link) at the patient's registration site.
        (
            own,
            ibis.cases(
                (link == Link.SELF, assiduous),
                ((link == Link.SELF_NON_MEMBER) & at_registration_site, assiduous),
                else_=excluded,
            ),
        ),
        # Another provider's visit counts unless an agreement link excludes it.
        (link.isnull(), counted),
        ((link == Link.SERVICE_AGREEMENT) | (link == Link.SMALL_GMF_R), excluded),
        ((link == Link.GMF_COLLEAGUE) | (link == Link.GMF_IPS), assiduous),
        (
            ((link == Link.PEER_COLLEAGUE) | (link == Link.PEER_IPS)) & at_registration_site,
            assiduous,
        ),
        else_=counted,
    )
    rows = t.select(
        # The maker of a pregnancy follow-up is the registering physician or gets the credit.
        physician_id=ibis.ifelse(t.pregnancy, t.provider_id, t.physician_id),
        outcome=outcome,
    )
    # Counted by (physician, outcome) first: a count per group is cheaper on 40 million
    # rows than two sums of conditions, and leaves three rows per physician to add up.
    per_outcome = rows.group_by(["physician_id", "outcome"]).aggregate(visits=ibis._.count())
    return per_outcome.group_by("physician_id").aggregate(
        counted_visits=per_outcome.visits.sum(where=per_outcome.outcome >= counted),
        assiduous_visits=per_outcome.visits.sum(where=per_outcome.outcome == assiduous),
    )


def _drmg_deemed(tables: AssiduityTables, span: Span) -> ir.Table:
    """Physicians with a DRMG notice for the year who held a GMF membership during it
    (EP 40, 15.01 B): column ``deemed_physician``."""
    notices = tables.drmg_notices
    noticed = notices.filter(notices.year == span.year).select("physician_id").distinct()
    members = clip(tables.gmf_memberships, span).select(member="physician_id").distinct()
    return noticed.join(members, noticed.physician_id == members.member).select(
        deemed_physician=noticed.physician_id
    )
