"""The previous year's assiduity rate the LE 304 eligibility reads (DSP-PR-30042, 7; EP 40,
letter of agreement 304): computed by the assiduity module when it can be, the roster's
imported column otherwise (``spec/attribution.md``: "taken from the assiduity module when
known"). Read-side only: a run records its choice when it starts
(:func:`web.attribution.services.do_start_run` sets :attr:`Run.assiduity_run`).

    computation = computation_for(region, run_date)     # None: the roster's column
    roster, counts = with_computed_rates(roster, read_computed_rates(computation))
    source = run_source(run)                             # the run's choice, in words

The rules (``docs/attribution-rules.md``, "Modes (7)"; ``docs/decisions.md``):

* the computation is the region's latest DONE :class:`~web.assiduity.models.AssiduityRun`
  of the calendar year before the run date, started after that year had ended (a
  computation of a year to date is not that year's rate); a failed, cancelled or running
  one, one of another year or of another region is never read;
* a physician of the roster with a computed rate (a row of the results with visits counted)
  takes it; one without (no row: no registered patient that year; or no visit counted: no
  rate, tier ``no_visits``) keeps the roster's value, empty or not;
* a DRMG notice (EP 40, 15.01 B) deems a physician to meet the target for the payment of
  the supplements, not their rate: LE 304 reads the rate as measured.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from panelcare.assiduity.results import ResultsError, read_rates
from web.assiduity.models import LATEST_FIRST, AssiduityRun, AssiduityRunStatus
from web.attribution.errors import RunNotReady
from web.attribution.models import Run
from web.dashboard.templatetags.panelcare_format import long_date
from web.regions.models import Region

__all__ = [
    "COMPUTED",
    "IMPORTED",
    "Counts",
    "computation_for",
    "describe",
    "read_computed_rates",
    "record",
    "run_source",
    "source_for_date",
    "with_computed_rates",
]

# The two sources of a run's previous-year assiduity (its summary's ``assiduity.source``).
COMPUTED = "computed"
IMPORTED = "imported"


def computation_for(region: Region, run_date: datetime.date) -> AssiduityRun | None:
    """The assiduity computation whose rates a run of ``region`` dated ``run_date`` reads:
    the latest DONE one (by end, then id) of the year before ``run_date``'s, started after
    that year's 31 December (local time); None when there is none."""
    year = run_date.year - 1
    year_over = datetime.datetime(year + 1, 1, 1, tzinfo=timezone.get_current_timezone())
    return (
        AssiduityRun.objects.filter(
            region=region,
            year=year,
            status=AssiduityRunStatus.DONE,
            created_at__gte=year_over,
        )
        .select_related("region")
        .order_by(*LATEST_FIRST)
        .first()
    )


def read_computed_rates(computation: AssiduityRun | None) -> pa.Table | None:
    """``computation``'s rates (``physician_id``, ``rate``: null without a visit counted),
    None for no computation.

    Raises:
        RunNotReady: the computation's results are gone from its folder (a restore without
            the data folder): the run cannot read the rates it was started on.
    """
    if computation is None:
        return None
    try:
        rates = read_rates(computation.results_folder)
    except (ResultsError, OSError):
        raise RunNotReady(
            _(
                "The results of the assiduity computation no. %(number)s (%(year)s) are "
                "missing from its folder: the run cannot read the previous year's rates "
                "it was started on."
            )
            % {"number": computation.pk, "year": computation.year}
        ) from None
    return rates.select(["physician_id", "rate"])


@dataclass(frozen=True)
class Counts:
    """How many physicians of a roster took a computed rate (``computed``) and how many
    kept the roster's value (``kept``: every one when there is no computation)."""

    computed: int
    kept: int


def with_computed_rates(roster: pa.Table, rates: pa.Table | None) -> tuple[pa.Table, Counts]:
    """``roster`` (the ``physicians`` contract's table) with ``previous_assiduity`` taken
    from ``rates`` (:func:`read_computed_rates`) for every physician who has a computed
    rate; the others keep the roster's value. Same rows, same order, same schema.

    ``rates`` None (no computation) leaves the roster as it is.
    """
    if rates is None:
        return roster, Counts(computed=0, kept=roster.num_rows)
    where = pc.index_in(roster.column("physician_id"), value_set=rates.column("physician_id"))
    computed = pc.take(rates.column("rate"), where).cast(pa.float64())
    # A rate is null without a visit counted; a NaN would be the same: no rate.
    computed = pc.if_else(pc.is_nan(computed), pa.scalar(None, pa.float64()), computed)
    column = roster.schema.get_field_index("previous_assiduity")
    imported = roster.column(column).cast(pa.float64())
    taken = pc.coalesce(computed, imported).cast(roster.schema.field(column).type)
    found = pc.sum(pc.is_valid(computed)).as_py() or 0
    return (
        roster.set_column(column, roster.schema.field(column), taken),
        Counts(computed=found, kept=roster.num_rows - found),
    )


def record(run: Run, counts: Counts) -> dict[str, Any]:
    """What ``run`` read as the previous year's assiduity, for its summary (JSON): the
    ``source`` (:data:`COMPUTED` or :data:`IMPORTED`), the ``year``, the computation's
    ``computation`` id and ``finished_at`` (ISO) when computed, and the ``counts``."""
    computation = run.assiduity_run
    entry: dict[str, Any] = {
        "source": COMPUTED if computation else IMPORTED,
        "year": run.run_date.year - 1,
        "computed": counts.computed,
        "kept": counts.kept,
    }
    if computation is not None:
        entry["computation"] = computation.pk
        entry["finished_at"] = (
            computation.finished_at.isoformat() if computation.finished_at else None
        )
    return entry


def run_source(run: Run) -> dict[str, Any]:
    """Where ``run``'s previous-year assiduity comes from, in words, for its page:
    ``source``, ``year``, ``computation`` (the :class:`AssiduityRun` or None), ``text``
    (one sentence) and ``counts`` (a sentence once the run was computed, else "")."""
    computation = run.assiduity_run
    year = run.run_date.year - 1
    if computation is not None:
        text = _computed_text(computation)
    else:
        text = _(
            "Assiduity of %(year)s: the roster's column, imported with version %(version)s "
            "of the physicians' roster on %(date)s."
        ) % {
            "year": year,
            "version": run.physicians.version,
            "date": long_date(timezone.localdate(run.physicians.imported_at)),
        }
    entry = run.summary.get("assiduity") if isinstance(run.summary, dict) else None
    counts = ""
    if entry and computation is not None:
        counts = ngettext(
            "%(computed)s physician takes the computed rate",
            "%(computed)s physicians take the computed rate",
            entry["computed"],
        ) % {"computed": number_format(entry["computed"], force_grouping=True)}
        if entry["kept"]:
            counts += ngettext(
                "; %(kept)s keeps the roster's value (no rate computed for that year).",
                "; %(kept)s keep the roster's value (no rate computed for that year).",
                entry["kept"],
            ) % {"kept": number_format(entry["kept"], force_grouping=True)}
        else:
            counts += "."
    return {
        "source": COMPUTED if computation else IMPORTED,
        "year": year,
        "computation": computation,
        "text": text,
        "counts": counts,
    }


def source_for_date(region: Region, run_date: datetime.date) -> dict[str, Any]:
    """Where a run of ``region`` dated ``run_date`` started now would take the previous
    year's assiduity from: ``source``, ``year``, ``computation`` and ``text``, as
    :func:`run_source`."""
    return describe(computation_for(region, run_date), run_date.year - 1)


def describe(
    computation: AssiduityRun | None, year: int, *, missing: bool = False
) -> dict[str, Any]:
    """The assiduity of ``year`` read from ``computation`` (the roster's column when None),
    in words: ``source``, ``year``, ``computation`` and ``text``, as :func:`run_source`.
    ``missing``: the computation's results are gone (:func:`read_computed_rates` refused
    them): the page shows the roster's column, and a run would refuse to start."""
    if computation is not None and missing:
        text = _(
            "Assiduity of %(year)s: the results of computation no. %(number)s are missing "
            "from the server, so a run would refuse to start; the roster's imported column "
            "is shown until the year is computed again."
        ) % {"year": year, "number": computation.pk}
        return {"source": IMPORTED, "year": year, "computation": computation, "text": text}
    if computation is not None:
        text = _computed_text(computation)
    else:
        text = _(
            "Assiduity of %(year)s: no computation of that year is done, so the roster's "
            "imported column is read."
        ) % {"year": year}
    return {
        "source": COMPUTED if computation else IMPORTED,
        "year": year,
        "computation": computation,
        "text": text,
    }


def _computed_text(computation: AssiduityRun) -> str:
    finished = computation.finished_at or computation.created_at
    return _("Assiduity of %(year)s: computation no. %(number)s of %(date)s.") % {
        "year": computation.year,
        "number": computation.pk,
        "date": long_date(timezone.localdate(finished)),
    }
