"""What-ifs of the assiduity: one physician's rate of a computation before and after a
change of organisation, read on the very table versions the computation read, without
writing anything (no version, no computation, no file: the engine's changes are unions
and mutates of lazy tables, computed in memory).

    choices = whatif_choices(run, "D00042")
    outcome = physician_whatif(run, "D00042", Scenario(er_share=50))
    outcome.before.rate, outcome.after.rate, outcome.points

The three changes are the engine's (:mod:`panelcare.assiduity.whatif`):

* joining a GMF (:class:`~panelcare.assiduity.whatif.JoinGmf`): the physician, or a
  colleague who saw their patients, becomes a member of a GMF of the region from a day of
  the year;
* an IPS-SPL partnership (:class:`~panelcare.assiduity.whatif.AddIpsPartnership`) with
  the physician from a day of the year;
* a share of the physician's patients' P4/P5 emergency visits of the year made at the
  physician's clinic instead (:class:`RedirectShareOfErVisits`, the engine's
  :class:`~panelcare.assiduity.whatif.RedirectErVisits` on the visits chosen).

The tables are opened as the computation opened them
(:func:`web.assiduity.services.open_run_tables`, with the DRMG notices the computation
read), so that the rate "before" is the computation's.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow.compute as pc
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from panelcare.assiduity.rules import Rules
from panelcare.assiduity.tables import AssiduityTables, conform
from panelcare.assiduity.whatif import (
    AddIpsPartnership,
    Change,
    JoinGmf,
    RateRow,
    RedirectErVisits,
)
from web.assiduity.figures import gmf_names, ips_names, physician_names, tier_label
from web.assiduity.models import AssiduityRun
from web.regions.models import Ips
from web.tables.kinds import DatasetKind
from web.tables.store import read_dataset

__all__ = [
    "ER_TRIAGE",
    "Choices",
    "Outcome",
    "RedirectShareOfErVisits",
    "Scenario",
    "Side",
    "chosen_visits",
    "physician_whatif",
    "whatif_choices",
]

# The emergency visits a redirection moves: the low-priority ones (the P4/P5).
ER_TRIAGE = ("P4", "P5")
# The counted visit made by another provider (compute.COUNTED_REASONS minus the assiduous).
OTHER_PROVIDER = "other_provider"


# --------------------------------------------------------------------------- the change


@dataclass(frozen=True)
class RedirectShareOfErVisits(RedirectErVisits):
    """The engine's :class:`~panelcare.assiduity.whatif.RedirectErVisits`, on the visits
    ``visit_ids`` only (the others stay as they are): a share of the emergency visits."""

    visit_ids: tuple[str, ...] = ()

    def apply(self, tables: AssiduityTables, physician_id: str, rules: Rules) -> AssiduityTables:
        if not self.visit_ids:
            return tables
        visits = conform("visits", tables.visits)
        chosen = visits.visit_id.isin(list(self.visit_ids))
        moved = RedirectErVisits(self.triage).apply(
            tables.replace(visits=visits.filter(chosen)), physician_id, rules
        )
        return tables.replace(visits=visits.filter(~chosen).union(moved.visits))


def chosen_visits(visit_ids: list[str], share: int) -> tuple[str, ...]:
    """``share`` % (rounded half up) of ``visit_ids`` (in date order), spread evenly
    over them: 50 % of ten visits is every other one, from the second."""
    count = len(visit_ids)
    wanted = (share * count + 50) // 100
    return tuple(
        visit_id
        for index, visit_id in enumerate(visit_ids)
        if (index + 1) * wanted // count > index * wanted // count
    )


def _er_visits(
    tables: AssiduityTables, year: int, physician_id: str, rules: Rules, con: Any
) -> list[str]:
    """The ids of the emergency visits of ``year`` (``rules.er_settings``, triage in
    :data:`ER_TRIAGE`) of the patients registered with ``physician_id`` on the visit day,
    in date order: the visits the engine's redirection would move."""
    visits = conform("visits", tables.visits)
    registrations = tables.registrations
    mine = registrations.filter(registrations.physician_id == physician_id)
    first, after = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    joined = visits.join(
        mine,
        [
            visits.patient_id == mine.patient_id,
            mine.start_date <= visits.visit_date,
            mine.end_date.isnull() | (visits.visit_date < mine.end_date),
        ],
    )
    found = joined.filter(
        joined.visit_date >= ibis.literal(first),
        joined.visit_date < ibis.literal(after),
        joined.setting.isin(sorted(rules.er_settings)),
        joined.er_triage.isin(list(ER_TRIAGE)),
    ).select("visit_id", "visit_date")
    result = con.to_pyarrow(found.order_by(["visit_date", "visit_id"]))
    return [str(value) for value in result.column("visit_id").to_pylist()]


# --------------------------------------------------------------------------- what the form offers


@dataclass(frozen=True)
class Choices:
    """What the what-if form offers for ``run`` and a physician: the region's GMFs (code,
    name), who may join one (the physician first, then the colleagues who made counted
    visits to their patients, most visits first) and the IPS-SPL (those who saw the
    patients first)."""

    physician: tuple[str, str]
    gmfs: list[tuple[str, str]]
    joiners: list[tuple[str, str]]
    ips: list[tuple[str, str]]
    # Code -> "name (code)" of every GMF, joiner and IPS-SPL offered, for the sentences.
    names: dict[str, str] = field(default_factory=dict)


def whatif_choices(run: AssiduityRun, code: str) -> Choices:
    """The form's choices for ``code`` in the DONE ``run``: GMFs of the GMF sites version
    the run read (named as the region names them), the colleagues and IPS-SPL counted
    among the physician's visits of the year (from the run's results) and the region's
    IPS-SPL (those of the region's sites and of the partnerships version)."""
    from panelcare.assiduity.results import read_physician_visits

    datasets = run.datasets()
    names_of_gmfs = gmf_names(run.region)
    gmf_codes: set[str] = set()
    if DatasetKind.GMF_SITES in datasets:
        sites = read_dataset(datasets[DatasetKind.GMF_SITES], columns=["gmf_id"])
        gmf_codes = {str(value) for value in pc.unique(sites.column("gmf_id")).to_pylist()}
    gmfs = sorted(
        ((gmf, names_of_gmfs.get(gmf, gmf)) for gmf in gmf_codes if gmf),
        key=lambda item: item[1].casefold(),
    )

    names_of_ips = dict(
        Ips.objects.filter(site__rls__region=run.region).values_list("code", "name")
    )
    ips_codes = set(names_of_ips)
    if DatasetKind.IPS_PARTNERSHIPS in datasets:
        partners = read_dataset(datasets[DatasetKind.IPS_PARTNERSHIPS], columns=["ips_id"])
        ips_codes |= {str(value) for value in pc.unique(partners.column("ips_id")).to_pylist()}
    names_of_ips |= ips_names(run.region, ips_codes - names_of_ips.keys())

    visits = read_physician_visits(run.results_folder, code, reasons=[OTHER_PROVIDER])
    seen = Counter(str(value) for value in visits.column("provider_id").to_pylist() if value)
    seen.pop(code, None)
    names = physician_names(run.region, [code, *seen])

    def labelled(provider: str, name: str) -> str:
        return f"{name} ({provider})" if name and name != provider else provider

    joiners = [
        (code, _("This physician: %(name)s") % {"name": labelled(code, names.get(code, ""))})
    ]
    ips = []
    short = dict(gmfs)
    short[code] = labelled(code, names.get(code, ""))
    for provider, count in sorted(seen.items(), key=lambda item: (-item[1], item[0])):
        if provider in ips_codes:
            continue
        short[provider] = labelled(provider, names.get(provider, ""))
        joiners.append(
            (
                provider,
                _seen(labelled(provider, names.get(provider, "")), count),
            )
        )
    for provider in sorted(ips_codes, key=lambda item: (-seen.get(item, 0), item)):
        label = short[provider] = labelled(provider, names_of_ips.get(provider, ""))
        if seen.get(provider):
            label = _seen(label, seen[provider])
        ips.append((provider, label))
    return Choices(
        physician=(code, names.get(code, "")), gmfs=gmfs, joiners=joiners, ips=ips, names=short
    )


def _seen(name: str, count: int) -> str:
    return ngettext(
        "%(name)s — %(count)s visit to the physician's patients",
        "%(name)s — %(count)s visits to the physician's patients",
        count,
    ) % {"name": name, "count": count}


# --------------------------------------------------------------------------- the what-if


@dataclass(frozen=True)
class Scenario:
    """The changes asked (each optional, applied in this order): ``joiner`` joins the GMF
    ``gmf`` from ``gmf_start``; the IPS-SPL ``ips`` is partnered with the physician from
    ``ips_start``; ``er_share`` % of the P4/P5 emergency visits go to the clinic."""

    gmf: str = ""
    joiner: str = ""
    gmf_start: datetime.date | None = None
    ips: str = ""
    ips_start: datetime.date | None = None
    er_share: int | None = None


@dataclass(frozen=True)
class Side:
    """One side of a what-if: the rate (0–1, None without a counted visit), the tier code
    and its label, the share of the supplements paid (0–1) and the visits."""

    rate: float | None
    tier: str
    tier_label: str
    payment_share: float | None
    counted_visits: int
    assiduous_visits: int

    @classmethod
    def of(cls, row: RateRow) -> Side:
        return cls(
            rate=row.rate,
            tier=row.tier,
            tier_label=tier_label(row.tier),
            payment_share=None if row.payment_pct is None else row.payment_pct / 100,
            counted_visits=row.counted_visits,
            assiduous_visits=row.assiduous_visits,
        )


@dataclass(frozen=True)
class Outcome:
    """A what-if's answer: ``before`` and ``after``, the difference in points of rate
    (None when a side has no rate), the emergency visits that could move and those moved
    (a redirection only), and the seconds it took."""

    before: Side
    after: Side
    points: float | None
    er_visits: int | None = None
    er_moved: int | None = None
    seconds: float = 0.0
    changes: list[Any] = field(default_factory=list)


def physician_whatif(run: AssiduityRun, code: str, scenario: Scenario) -> Outcome:
    """``code``'s rate in the DONE ``run`` before and after ``scenario``, computed on the
    versions the run read; nothing is written."""
    from panelcare.assiduity.rules import load_rules
    from panelcare.assiduity.whatif import what_if
    from web.assiduity.services import notices_read, open_run_tables

    started = time.monotonic()
    rules = load_rules()
    # The DRMG notices the run read too: a deemed physician's rate "before" is the run's.
    with open_run_tables(run, rules, notices_read(run)) as (tables, con):
        changes: list[Change] = []
        if scenario.gmf:
            changes.append(
                JoinGmf(
                    physician_id=scenario.joiner or code,
                    gmf_id=scenario.gmf,
                    start_date=scenario.gmf_start or datetime.date(run.year, 1, 1),
                )
            )
        if scenario.ips:
            changes.append(
                AddIpsPartnership(
                    ips_id=scenario.ips,
                    physician_id=code,
                    start_date=scenario.ips_start or datetime.date(run.year, 1, 1),
                )
            )
        er_visits = er_moved = None
        if scenario.er_share is not None:
            candidates = _er_visits(tables, run.year, code, rules, con)
            moved = chosen_visits(candidates, scenario.er_share)
            er_visits, er_moved = len(candidates), len(moved)
            changes.append(RedirectShareOfErVisits(triage=ER_TRIAGE, visit_ids=moved))
        result = what_if(tables, run.year, code, changes, rules, backend=con)
    before, after = Side.of(result.before), Side.of(result.after)
    points = None
    if before.rate is not None and after.rate is not None:
        points = (after.rate - before.rate) * 100
    return Outcome(
        before=before,
        after=after,
        points=points,
        er_visits=er_visits,
        er_moved=er_moved,
        seconds=time.monotonic() - started,
        changes=list(changes),
    )


# --------------------------------------------------------------------------- in words


def outcome_sentences(outcome: Outcome, year: int) -> list[str]:
    """What ``outcome`` means, in sentences of the interface's language: the rate, the
    tier and the share paid before and after, and the emergency visits moved."""
    from web.dashboard.templatetags.panelcare_format import grouped, pct

    before, after = outcome.before, outcome.after
    sentences = []
    if outcome.er_visits is not None:
        if outcome.er_visits:
            sentences.append(
                _(
                    "Of the %(count)s P4/P5 emergency visits of the physician's patients in "
                    "%(year)s, %(moved)s would be made at the clinic instead."
                )
                % {"count": grouped(outcome.er_visits), "year": year, "moved": outcome.er_moved}
            )
        else:
            sentences.append(
                _("The physician's patients made no P4/P5 emergency visit in %(year)s.")
                % {"year": year}
            )
    if outcome.points is None:
        if after.rate is None:
            sentences.append(_("The physician would have no counted visit: no rate."))
        else:
            sentences.append(_("The rate would be %(after)s.") % {"after": pct(after.rate)})
    elif grouped(abs(outcome.points), 1) == grouped(0, 1):
        sentences.append(_("The rate would stay at %(rate)s.") % {"rate": pct(before.rate)})
    else:
        more = outcome.points > 0
        sentences.append(
            (
                _("The rate would go from %(before)s to %(after)s: %(points)s points more.")
                if more
                else _("The rate would go from %(before)s to %(after)s: %(points)s points less.")
            )
            % {
                "before": pct(before.rate),
                "after": pct(after.rate),
                "points": grouped(abs(outcome.points), 1),
            }
        )
    if before.tier == after.tier:
        sentences.append(
            _("The tier would stay “%(tier)s”: %(share)s of the volume supplements paid.")
            % {"tier": after.tier_label, "share": pct(after.payment_share, 0) or "0 %"}
        )
    else:
        sentences.append(
            _(
                "The tier would go from “%(before)s” to “%(after)s”: the share of the volume "
                "supplements paid from %(share_before)s to %(share_after)s."
            )
            % {
                "before": before.tier_label,
                "after": after.tier_label,
                "share_before": pct(before.payment_share, 0) or "0 %",
                "share_after": pct(after.payment_share, 0) or "0 %",
            }
        )
    return sentences
