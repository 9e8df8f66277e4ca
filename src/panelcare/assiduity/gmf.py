"""The GMF's own assiduity rate (taux d'assiduité du GMF): all its members' registered
patients together, as a lazy Ibis expression.

The GMF programme sets yearly assiduity levels for the group as a whole; the source
(EP 40, 15.06, ``spec/assiduity.md``) only defines a physician's rate. Our definition
(docs/decisions.md, "The GMF's own rate"):

    GMF G's rate for year Y = the assiduous visits / the counted visits, summed over the
    (visit, physician) rows of :func:`~panelcare.assiduity.compute.visit_outcomes` whose
    physician was a member of G on the visit date.

So a visit counts for G exactly as it counts for the member it belongs to, and only while
that physician is a member of G:

* a visit of a member D's patient by another member C of G, at G's sites, is assiduous
  (D's ``group_member``), as it is in D's own rate; the GMF's rate is not a new rule,
  it is its members' rates added up over their membership periods;
* a member who joins or leaves G during the year brings the visits of their patients made
  while they were a member, not the others (those follow the non-member's rules, or
  another GMF's, and count there);
* a pregnancy follow-up counts for the GMF of the physician who made it (the physician
  it counts for, reason ``pregnancy_own``), on the visit date;
* a DRMG notice (EP 40, 15.01 B) changes what a physician is paid, not their visits: it
  does not change the GMF's rate.

``registered_patients`` is the number of distinct patients registered with a member of G,
on at least one day of the year on which that physician was a member of G (a patient
moving from one member to another is one patient). ``members`` is the number of
physicians with a membership of G in force on at least one day of the year.

    rates = gmf_rates(tables, 2025, load_rules()).to_pyarrow()
"""

from __future__ import annotations

import ibis.expr.types as ir

from panelcare.assiduity.compute import Span, classify, clip, merge_periods, outcome_rows
from panelcare.assiduity.rules import Rules
from panelcare.assiduity.tables import AssiduityTables

__all__ = ["GMF_RATE_COLUMNS", "gmf_rates", "gmf_rates_of"]

GMF_RATE_COLUMNS = (
    "gmf_id",
    "members",
    "registered_patients",
    "counted_visits",
    "assiduous_visits",
    "rate",
)


def gmf_rates(tables: AssiduityTables, year: int, rules: Rules) -> ir.Table:
    """The rate of every GMF with a member during ``year``: one row per GMF, ordered by
    ``gmf_id``, with the columns :data:`GMF_RATE_COLUMNS` (``rate`` is null when no visit
    counts). See the module's docstring for the definition. Raises ``AssiduityRulesError``
    when the rules have no progression scale for ``year``. Lazy: nothing runs until the
    caller executes it.
    """
    rules.scale_for(year)  # the same refusal as physician_rates for a year without a scale
    return gmf_rates_of(outcome_rows(classify(tables, year, rules)), tables, year)


def gmf_rates_of(outcomes: ir.Table, tables: AssiduityTables, year: int) -> ir.Table:
    """:func:`gmf_rates` from the visits already classified: ``outcomes`` has one row per
    (visit of ``year``, physician it touches) with at least ``physician_id``,
    ``visit_date``, ``counted`` and ``assiduous`` (the rows of
    :func:`~panelcare.assiduity.compute.visit_outcomes`, or the ``visits.parquet`` of
    :func:`~panelcare.assiduity.results.write_results`, which keeps them all), so that a
    computation that has classified the year does not classify it again. ``outcomes`` and
    ``tables`` must be on the same backend. Lazy.
    """
    span = Span(year)
    memberships = merge_periods(
        clip(
            tables.gmf_memberships.select("physician_id", "gmf_id", "start_date", "end_date"),
            span,
        ),
        ["physician_id", "gmf_id"],
    )
    members = memberships.group_by("gmf_id").aggregate(members=memberships.physician_id.nunique())
    registered = _registered_patients(tables, span, memberships)
    visits = _visit_counts(outcomes, memberships, span)

    joined = members.left_join(registered, members.gmf_id == registered.r_gmf).select(
        "gmf_id", "members", "registered_patients"
    )
    joined = joined.left_join(visits, joined.gmf_id == visits.v_gmf).select(
        "gmf_id", "members", "registered_patients", "counted_visits", "assiduous_visits"
    )
    counted = joined.counted_visits.fill_null(0).cast("int64")
    assiduous = joined.assiduous_visits.fill_null(0).cast("int64")
    return joined.select(
        "gmf_id",
        members=joined.members.cast("int64"),
        registered_patients=joined.registered_patients.fill_null(0).cast("int64"),
        counted_visits=counted,
        assiduous_visits=assiduous,
        rate=assiduous.cast("float64") / counted.nullif(0).cast("float64"),
    ).order_by("gmf_id")


def _registered_patients(tables: AssiduityTables, span: Span, memberships: ir.Table) -> ir.Table:
    """Per GMF (``r_gmf``): the distinct patients registered with one of its members on a
    day of the year they were a member (``registered_patients``)."""
    registrations = clip(
        tables.registrations.select("patient_id", "physician_id", "start_date", "end_date"), span
    )
    periods = memberships.rename(m_physician="physician_id", m_start="start_date", m_end="end_date")
    # Half-open periods overlap when each starts before the other ends.
    joined = registrations.join(
        periods,
        [
            registrations.physician_id == periods.m_physician,
            periods.m_start < registrations.end_date,
            registrations.start_date < periods.m_end,
        ],
    )
    return joined.group_by(r_gmf=joined.gmf_id).aggregate(
        registered_patients=joined.patient_id.nunique()
    )


def _visit_counts(outcomes: ir.Table, memberships: ir.Table, span: Span) -> ir.Table:
    """Per GMF (``v_gmf``): ``counted_visits`` and ``assiduous_visits`` of the counted rows
    of ``outcomes`` whose physician was a member of it on the visit date (the row's
    physician: the registering one, or the maker of a pregnancy follow-up credited to
    them)."""
    rows = outcomes.filter(
        outcomes.counted
        & outcomes.physician_id.notnull()
        & (outcomes.visit_date >= span.first)
        & (outcomes.visit_date < span.after)
    ).select("physician_id", "visit_date", "assiduous")
    periods = memberships.rename(m_physician="physician_id", m_start="start_date", m_end="end_date")
    joined = rows.join(
        periods,
        [
            rows.physician_id == periods.m_physician,
            periods.m_start <= rows.visit_date,
            rows.visit_date < periods.m_end,
        ],
    )
    return joined.group_by(v_gmf=joined.gmf_id).aggregate(
        counted_visits=joined.count(),
        assiduous_visits=joined.assiduous.cast("int64").sum(),
    )
