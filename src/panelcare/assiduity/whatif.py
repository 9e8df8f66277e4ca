"""What-if: a physician's assiduity rate before and after a change of organisation.

A change is a small explicit object that edits the input tables (a union or a mutate, never
in place); :func:`what_if` computes the physician's rate on the tables as they are and as
they would be, each time only for that physician (their visits pushed down).

* :class:`JoinGmf` — a colleague joins a GMF (typically the physician's own);
* :class:`AddIpsPartnership` — an IPS-SPL becomes partnered with a physician;
* :class:`RedirectErVisits` — the physician's patients' low-priority emergency visits
  happen instead at the physician's own clinic, with the physician.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from panelcare.assiduity.compute import rates_of
from panelcare.assiduity.rules import Rules
from panelcare.assiduity.tables import AssiduityTables, conform, schema


@dataclass(frozen=True)
class JoinGmf:
    """``physician_id`` becomes a member of ``gmf_id`` from ``start_date`` (ongoing).

    A physician holds one membership a day: their memberships in force on or after
    ``start_date`` end the day before it (rows that would start later are dropped).
    Practice groups are left alone: they only matter for non-members.
    """

    physician_id: str
    gmf_id: str
    start_date: datetime.date

    def apply(self, tables: AssiduityTables, physician_id: str, rules: Rules) -> AssiduityTables:
        memberships = conform("gmf_memberships", tables.gmf_memberships)
        start = ibis.literal(self.start_date)
        kept = memberships.filter(
            (memberships.physician_id != self.physician_id) | (memberships.start_date < start)
        )
        still_running = (kept.physician_id == self.physician_id) & (
            kept.end_date.isnull() | (kept.end_date > start)
        )
        kept = kept.mutate(end_date=ibis.ifelse(still_running, start, kept.end_date))
        added = _one_row(
            "gmf_memberships",
            physician_id=self.physician_id,
            gmf_id=self.gmf_id,
            start_date=self.start_date,
            end_date=None,
        )
        return tables.replace(gmf_memberships=kept.union(added))


@dataclass(frozen=True)
class AddIpsPartnership:
    """IPS-SPL ``ips_id`` becomes partnered with ``physician_id`` from ``start_date``."""

    ips_id: str
    physician_id: str
    start_date: datetime.date

    def apply(self, tables: AssiduityTables, physician_id: str, rules: Rules) -> AssiduityTables:
        partnerships = conform("ips_partnerships", tables.ips_partnerships)
        added = _one_row(
            "ips_partnerships",
            ips_id=self.ips_id,
            physician_id=self.physician_id,
            start_date=self.start_date,
            end_date=None,
        )
        return tables.replace(ips_partnerships=partnerships.union(added))


@dataclass(frozen=True)
class RedirectErVisits:
    """The physician's patients' emergency visits of the given triage categories become
    visits by the physician at the patient's registration site.

    A visit moves when the patient is registered with the physician on the visit date and
    it took place in an emergency setting (``rules.er_settings``) with a triage in
    ``triage``. It keeps its id, date, billing code and pregnancy flag; its setting becomes
    the kind of the registration site's GMF (gmf, gmf_r, gmf_u) when that site is a GMF's,
    else ``cabinet``; its triage and emergency flags are cleared.
    """

    triage: tuple[str, ...] = ("P4", "P5")

    def apply(self, tables: AssiduityTables, physician_id: str, rules: Rules) -> AssiduityTables:
        visits = conform("visits", tables.visits)
        registrations = tables.registrations
        mine = registrations.filter(registrations.physician_id == physician_id)
        sites = tables.gmf_sites
        # A site listed under two GMFs takes the first kind in alphabetical order.
        site_kind = sites.group_by("site_id").aggregate(site_kind=sites.kind.min())
        mine = mine.left_join(site_kind, mine.site_id == site_kind.site_id).select(
            moved_patient=mine.patient_id,
            moved_site=mine.site_id,
            moved_setting=site_kind.site_kind.fill_null("cabinet"),
            moved_start=mine.start_date,
            moved_end=mine.end_date,
        )
        joined = visits.left_join(
            mine,
            [
                visits.patient_id == mine.moved_patient,
                mine.moved_start <= visits.visit_date,
                mine.moved_end.isnull() | (visits.visit_date < mine.moved_end),
            ],
        )
        moved = (
            joined.moved_patient.notnull()
            & joined.setting.isin(sorted(rules.er_settings))
            & joined.er_triage.isin(list(self.triage))
        ).fill_null(False)

        def moved_or(value: Any, column: str) -> ir.Value:
            return ibis.ifelse(moved, value, joined[column])

        redirected = joined.select(
            visit_id=joined.visit_id,
            patient_id=joined.patient_id,
            provider_id=moved_or(ibis.literal(physician_id), "provider_id"),
            provider_kind=moved_or(ibis.literal("physician"), "provider_kind"),
            visit_date=joined.visit_date,
            site_id=moved_or(joined.moved_site, "site_id"),
            setting=moved_or(joined.moved_setting, "setting"),
            billing_code=joined.billing_code,
            er_triage=moved_or(ibis.null("string"), "er_triage"),
            er_admitted=moved_or(ibis.literal(False), "er_admitted"),
            er_repeat=moved_or(ibis.literal(False), "er_repeat"),
            er_referred=moved_or(ibis.literal(False), "er_referred"),
            er_death=moved_or(ibis.literal(False), "er_death"),
            pregnancy_followup=joined.pregnancy_followup,
        )
        return tables.replace(visits=conform("visits", redirected))


Change = JoinGmf | AddIpsPartnership | RedirectErVisits


@dataclass(frozen=True)
class RateRow:
    """One physician's figures for a year (a subset of ``physician_rates``' row)."""

    rate: float | None
    counted_visits: int
    assiduous_visits: int
    payment_pct: int | None
    tier: str


@dataclass(frozen=True)
class WhatIfResult:
    before: RateRow
    after: RateRow


def what_if(
    tables: AssiduityTables,
    year: int,
    physician_id: str,
    changes: Iterable[Change],
    rules: Rules,
    backend: Any = None,
) -> WhatIfResult:
    """``physician_id``'s rate for ``year`` as it is, and after ``changes`` (in order).

    ``backend`` is the Ibis backend to execute on; by default the tables' own (DuckDB for
    in-memory tables). A physician the year does not list (no registration, no pregnancy
    follow-up credited) gets a row with no visits. Raises ``AssiduityRulesError`` when the
    rules have no scale for ``year``.
    """
    changed = tables
    for change in changes:
        changed = change.apply(changed, physician_id, rules)
    # One query for both: the two computations share every table the changes left alone.
    before = rates_of(tables, year, rules, physician_id=physician_id).mutate(side=0)
    after = rates_of(changed, year, rules, physician_id=physician_id).mutate(side=1)
    both = before.union(after)
    result = backend.to_pyarrow(both) if backend is not None else both.to_pyarrow()
    rows = {row["side"]: row for row in result.to_pylist()}
    return WhatIfResult(before=_rate_row(rows.get(0)), after=_rate_row(rows.get(1)))


def _rate_row(row: dict[str, Any] | None) -> RateRow:
    if row is None:
        return RateRow(
            rate=None, counted_visits=0, assiduous_visits=0, payment_pct=None, tier="no_visits"
        )
    return RateRow(
        rate=row["rate"],
        counted_visits=row["counted_visits"],
        assiduous_visits=row["assiduous_visits"],
        payment_pct=row["payment_pct"],
        tier=row["tier"],
    )


def _one_row(name: str, **values: Any) -> ir.Table:
    """A one-row in-memory table of the contract's table ``name``."""
    return ibis.memtable(pa.Table.from_pylist([values], schema=schema(name).to_pyarrow()))
