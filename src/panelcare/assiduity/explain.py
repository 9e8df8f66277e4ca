"""Why a physician's assiduity rate is what it is: their visits, one by one, and a summary.

Both functions compute only what touches the one physician: the visits are first reduced
to those of patients registered with them during the year and their own pregnancy
follow-ups, so an explanation stays fast on a province's visits.

Provider categories (``reason_summary``), for the counted visits that are not assiduous
(reason ``other_provider``), the first that applies:

* ``er``: made in an emergency setting (urgence_ch, urgence_clsc; P4/P5 visits that count);
* ``other_gmf``: by a physician who is, that day, a member of a GMF other than the
  physician's own (any GMF, for a non-member);
* ``ips_outside_group``: by an IPS-SPL not partnered with the physician's group (with a
  member of their GMF, or with them for a non-member) that day;
* ``other_clinic``: anything else: a physician outside any GMF, or the physician's own
  group (or partnered IPS) seen away from the GMF's sites or the registration site.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from panelcare.assiduity.compute import (
    ASSIDUOUS_REASONS,
    COUNTED_REASONS,
    EXCLUSION_REASONS,
    IPS,
    PHYSICIAN,
    Span,
    classify,
    clip,
    outcome_rows,
)
from panelcare.assiduity.rules import Rules
from panelcare.assiduity.tables import AssiduityTables

if TYPE_CHECKING:
    from panelcare.assiduity.io import DataFolder

EXPLANATION_COLUMNS = (
    "visit_id",
    "patient_id",
    "provider_id",
    "counted",
    "assiduous",
    "reason",
    "visit_date",
    "site_id",
    "setting",
)
PROVIDER_CATEGORIES = ("er", "other_gmf", "ips_outside_group", "other_clinic")
SUMMARY_COLUMNS = ("reason", "provider_category", "counted", "assiduous", "visits")


def explain_physician(
    tables: AssiduityTables, year: int, physician_id: str, rules: Rules
) -> ir.Table:
    """Every visit of ``year`` that touched ``physician_id``, with what it did to the rate.

    The rows of :func:`~panelcare.assiduity.compute.visit_outcomes` about that physician
    (patients registered with them on the visit date, and their own pregnancy follow-ups),
    with the columns :data:`EXPLANATION_COLUMNS`, ordered by visit date and visit id. Lazy.
    """
    rows = _rows_of(classify(tables, year, rules, physician_id=physician_id), physician_id)
    return rows.select(*EXPLANATION_COLUMNS).order_by(["visit_date", "visit_id"])


def reason_summary(tables: AssiduityTables, year: int, physician_id: str, rules: Rules) -> ir.Table:
    """How many of ``physician_id``'s visits of ``year`` went each way.

    One row per reason, and for the counted visits that are not assiduous
    (``other_provider``) one row per provider category (see the module docstring; the
    column is null for the other reasons). Columns :data:`SUMMARY_COLUMNS`: reason,
    provider_category, counted, assiduous, visits. Ordered assiduous reasons first, then
    the other counted visits, then the exclusions in the rules' order. Lazy.
    """
    classified = classify(tables, year, rules, physician_id=physician_id, detail=True)
    rows = _rows_of(classified, physician_id)
    rows = rows.mutate(
        provider_category=provider_category(rows, rules, rows.reason == "other_provider")
    )
    summary = rows.group_by(["reason", "provider_category"]).aggregate(visits=rows.count())
    return ranked_summary(summary).order_by("rank").select(*SUMMARY_COLUMNS)


def provider_category(
    rows: ir.Table, rules: Rules, other_provider: ir.BooleanValue
) -> ir.StringValue:
    """The provider category of a visit counted but made by another provider
    (``other_provider``; null for every other row): an ER setting of the rules, another
    GMF's physician, an IPS outside the group's partnership, else another clinic."""
    other_gmf = (rows.provider_kind == PHYSICIAN) & (
        rows.provider_gmf_id.notnull()
        & (rows.gmf_id.isnull() | (rows.provider_gmf_id != rows.gmf_id))
    ).fill_null(False)
    return ibis.cases(
        (~other_provider, ibis.null("string")),
        (rows.setting.isin(sorted(rules.er_settings)), "er"),
        (other_gmf, "other_gmf"),
        ((rows.provider_kind == IPS) & ~rows.ips_partnered, "ips_outside_group"),
        else_="other_clinic",
    )


def ranked_summary(summary: ir.Table) -> ir.Table:
    """A summary's rows (``reason``, ``provider_category``) with ``counted``,
    ``assiduous`` and their ``rank``: assiduous reasons first, then the other counted
    visits by category, then the exclusions in the rules' order."""
    order = [
        *((reason, None) for reason in ASSIDUOUS_REASONS),
        *(("other_provider", category) for category in PROVIDER_CATEGORIES),
        *((reason, None) for reason in EXCLUSION_REASONS),
    ]
    rank = ibis.cases(
        *(
            (
                (summary.reason == reason)
                & (
                    summary.provider_category.isnull()
                    if category is None
                    else summary.provider_category == category
                ),
                position,
            )
            for position, (reason, category) in enumerate(order)
        ),
        else_=len(order),
    )
    return summary.mutate(
        counted=summary.reason.isin(COUNTED_REASONS),
        assiduous=summary.reason.isin(ASSIDUOUS_REASONS),
        rank=rank,
    )


def _rows_of(classified: ir.Table, physician_id: str) -> ir.Table:
    rows = outcome_rows(classified)
    return rows.filter(rows.physician_id == physician_id)


def explain_now(
    tables: AssiduityTables, year: int, physician_id: str, rules: Rules, con: Any
) -> tuple[pa.Table, pa.Table]:
    """:func:`explain_physician` and :func:`reason_summary` run on ``con`` (the DuckDB
    backend ``tables`` are on): (visits, summary), Arrow tables of their columns and order.

    For tables already open (and checked, if they come from files). The physician's
    patients of the year first (a few hundred ids); the visits of those patients and the
    physician's own pregnancy follow-ups, into a temporary table; then the classification
    of those visits alone, once, from which both the rows and the summary are read (as
    ``results.write_results`` does for every physician). ``panelcare assiduity explain``
    reads less: :func:`explain_folder`.
    """
    from panelcare.assiduity.io import execute
    from panelcare.assiduity.results import Scratch

    span_first, span_after = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    registrations = clip(tables.registrations, Span(year))
    mine = registrations.filter(registrations.physician_id == physician_id)
    patients = execute(con, mine.select("patient_id").distinct())["patient_id"].to_pylist()
    visits = tables.visits
    in_year = (visits.visit_date >= span_first) & (visits.visit_date < span_after)
    own_pregnancy = (
        (visits.provider_id == physician_id)
        & (visits.provider_kind == PHYSICIAN)
        & visits.pregnancy_followup.fill_null(False)
    )
    touching = visits.filter(in_year & own_pregnancy)
    if patients:
        # A list's contains, not an IN list: DuckDB turns an IN list of more than a few
        # constants into a join above the scan, which then reads every column of every
        # visit; the contains is a filter of the scan itself, which reads the other
        # columns only where a patient matches (3.3 s instead of 4.5 s on 50 M visits).
        listed = ibis.literal(sorted(patients), type="array<string>").contains(visits.patient_id)
        theirs = visits.filter(in_year & listed)
        touching = theirs.union(touching.filter(~listed))
    with Scratch(con) as scratch:
        reduced = dataclasses.replace(tables, visits=con.table(scratch.table("visits", touching)))
        return _explained(reduced, year, physician_id, rules, con)


# The tables an explanation reads whole: a few thousand rows each, even for a province.
_SMALL_TABLES = (
    "gmf_sites",
    "gmf_memberships",
    "practice_groups",
    "ips_partnerships",
    "service_agreements",
    "drmg_notices",
    "gmf_r_coverage",
)


def explain_folder(
    folder: DataFolder, year: int, physician_id: str, rules: Rules
) -> tuple[pa.Table, pa.Table]:
    """:func:`explain_physician` and :func:`reason_summary` of the data folder ``folder``,
    reading and checking only the rows that can touch ``physician_id``'s explanation:
    (visits, summary), Arrow tables of their columns and order.

    What ``panelcare assiduity explain`` runs. It reads:

    * the small tables (sites, memberships, groups, partnerships, agreements, notices,
      coverage) whole;
    * the patients ``P``: those of the physician's registrations in force during the
      year, and those of the physician's pregnancy follow-ups of the year (a follow-up of
      another physician's patient counts for the one who made it);
    * the visits of the year of ``P`` (every visit that can be the physician's row is
      one of them);
    * the registrations of ``P``, whoever the physician (a patient who changed
      physicians; the overlap rule on each patient's registrations), and those of the
      physicians whose patients the GMF-R rule may count for those visits
      (:func:`~panelcare.assiduity.compute.coverage_physicians`: none, unless a member
      of a GMF-R partnered with the physician's GMF made one of them);

    and classifies those rows with the engine's rules, once: a visit's reasons depend on
    the visit, its patient's registrations and the small tables, so those of ``P``'s
    visits are the ones the whole year's classification gives. Each table's rows read
    are checked as :func:`~panelcare.assiduity.io.open_tables` checks a whole file (same
    messages, naming the file's row); a wrong row that the explanation does not read
    does not stop it (docs/decisions.md).

    Raises:
        AssiduityInputError: a wrong cell or overlap among the rows read.
    """
    from panelcare.assiduity.compute import coverage_physicians
    from panelcare.assiduity.io import Rows, execute

    span = Span(year)
    con = folder.con
    during = (span.first, span.after)
    small = {name: folder.table(name) for name in _SMALL_TABLES}
    patients = sorted(
        {
            *folder.values(
                "registrations",
                "patient_id",
                Rows(any_of={"physician_id": [physician_id]}, during=during),
            ),
            *folder.values(
                "visits",
                "patient_id",
                Rows(
                    any_of={"provider_id": [physician_id]},
                    flagged="pregnancy_followup",
                    during=during,
                ),
            ),
        }
    )
    visits = folder.table("visits", Rows(any_of={"patient_id": patients}, during=during))
    tables = AssiduityTables(
        visits=visits,
        registrations=folder.empty("registrations"),
        **small,
        checked_vocabularies=folder.checked_vocabularies,
    )
    counted = coverage_physicians(tables, year, physician_id)
    others = execute(con, counted)["physician_id"].to_pylist()
    read = {"patient_id": patients, **({"physician_id": others} if others else {})}
    tables = tables.replace(registrations=folder.table("registrations", Rows(any_of=read)))
    return _explained(tables, year, physician_id, rules, con)


def _explained(
    tables: AssiduityTables, year: int, physician_id: str, rules: Rules, con: Any
) -> tuple[pa.Table, pa.Table]:
    """Classify ``tables`` once, keeping ``physician_id``'s rows in a temporary table;
    read the explanation's rows and summary from it (as :func:`explain_physician` and
    :func:`reason_summary` give them)."""
    from panelcare.assiduity.io import create_temp_table, execute

    classified = classify(tables, year, rules, physician_id=physician_id, detail=True)
    rows = _rows_of(classified, physician_id)
    rows = rows.mutate(
        provider_category=provider_category(rows, rules, rows.reason == "other_provider")
    ).select(*EXPLANATION_COLUMNS, "provider_category")
    kept = f"_panelcare_explained_{next(_KEPT)}"
    create_temp_table(con, kept, rows)
    try:
        mine = con.table(kept)
        explained = execute(
            con, mine.select(*EXPLANATION_COLUMNS).order_by(["visit_date", "visit_id"])
        )
        summary = mine.group_by(["reason", "provider_category"]).aggregate(visits=mine.count())
        summary = ranked_summary(summary).order_by("rank").select(*SUMMARY_COLUMNS)
        summarized = execute(con, summary.mutate(visits=summary.visits.cast("int64")))
    finally:
        con.raw_sql(f"DROP TABLE IF EXISTS {kept}")
    return explained, summarized


_KEPT = itertools.count()
