"""What the runs' and letters' pages show, read from a run's record and plan folder: the
plan's patients page by page, the figures of a run's page, the comparison of two runs,
a run's letters, a physician's runs.
Read-side only (the writes are :mod:`web.attribution.services`').

    patients = PlanPatients(run.folder / "plan", physician="D00004")
    figures = run_figures(run, physician="", unassigned=False, page="2")
    rows = comparison(run_a, run_b)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from panelcare.attribution import solve, store
from panelcare.errors import PanelcareError
from web.attribution import charts, followup, letters
from web.attribution.errors import LetterError
from web.attribution.labels import WARNINGS, reason_labels
from web.attribution.models import AttributionAction, Letter, LetterKind, Run, RunStatus
from web.audit.models import AuditEvent
from web.dashboard import figures as dashboard_figures
from web.regions.models import Physician

__all__ = [
    "PATIENTS_PER_PAGE",
    "PlanPatients",
    "comparison",
    "physician_runs",
    "plan_of",
    "run_figures",
    "run_letters",
]

PATIENTS_PER_PAGE = 50


class PlanPatients:
    """The plan's patients, in waiting-list order (priority, request date, code), read
    from the plan folder (:func:`panelcare.attribution.store.read_plan_patients`); sliced
    by Django's Paginator without building every row.

    Each row: ``patient_id``, ``priority``, ``requested_on``, ``physician_id`` (None when
    unassigned), ``distance_km``, ``month``, ``le304``. ``physician`` keeps one
    physician's patients; ``unassigned`` keeps those without one.
    """

    def __init__(self, plan_dir: Path, physician: str = "", unassigned: bool = False) -> None:
        self.table = store.read_plan_patients(
            plan_dir, physician_id=physician or None, unassigned=unassigned
        )

    def __len__(self) -> int:
        return self.table.num_rows

    def count(self) -> int:
        return self.table.num_rows

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        start, stop, _step = index.indices(self.table.num_rows)
        return self.table.slice(start, max(0, stop - start)).to_pylist()


def plan_of(run: Run) -> solve.Plan | None:
    """The plan of ``run``; None when it has none (not computed, failed, unreadable)."""
    if run.status not in (RunStatus.DONE, RunStatus.APPROVED):
        return None
    try:
        return store.read_plan(run.folder / "plan")
    except PanelcareError:
        return None


def run_figures(
    run: Run, *, physician: str = "", unassigned: bool = False, page: str | None = None
) -> dict[str, Any]:
    """What the page of a run with a plan shows beyond its record: the physicians (by
    group then name, reasons worded), one page of its patients (one physician's with
    ``physician``, the unassigned with ``unassigned``), its adjustments with their
    consequences, the totals and the charts. Empty for a run without a plan."""
    pages = run.summary.get("pages") if run.summary else None
    if not pages or run.status not in (RunStatus.DONE, RunStatus.APPROVED):
        return {}
    physician_rows = sorted(
        pages["physicians"], key=lambda row: (row["group"] == "none", row["group"], row["name"])
    )
    for row in physician_rows:
        row["reason_labels"] = reason_labels(row["reasons"])
    names = {row["physician_id"]: row["name"] for row in physician_rows}
    patients = PlanPatients(run.folder / "plan", physician=physician, unassigned=unassigned)
    patients_page = Paginator(patients, PATIENTS_PER_PAGE).get_page(page)
    for row in patients_page.object_list:
        row["physician_name"] = names.get(row["physician_id"] or "", "")
    cap = run.params.get("vulnerable_cap", 0.45)
    details = {
        event.details.get("adjustment"): event.details
        for event in AuditEvent.objects.about(run).filter(action=AttributionAction.ADJUSTED)
    }
    adjustments = [
        {"adjustment": adjustment, "consequences": worded(details.get(adjustment.pk))}
        for adjustment in run.adjustments.select_related("made_by")
    ]
    return {
        "pages": pages,
        "physician_rows": physician_rows,
        "participating": [row for row in physician_rows if row["group"] != "none"],
        "patients": patients_page,
        "physician_filter": physician,
        "unassigned": unassigned,
        "adjustments": adjustments,
        "last_consequences": adjustments[-1]["consequences"] if adjustments else None,
        "totals": {
            "orphans": run.summary.get("orphans"),
            "assigned": run.summary.get("assigned"),
            "unassigned": run.summary.get("unassigned"),
            "assigned_le304": run.summary.get("assigned_le304"),
        },
        "by_priority": run.summary.get("by_priority", {}),
        "by_rls": run.summary.get("by_rls", {}),
        # Built by Altair (half of the page's time), from the run's summary alone: cached
        # per data version (an adjustment or an approval records an audit event in the
        # transaction that changes the summary), status and end.
        "charts": dashboard_figures.cached(
            "run_charts",
            [run.pk, run.status, run.finished_at],
            lambda: {
                "need": charts.need_chart(pages["groups"]),
                "vulnerable": charts.vulnerable_chart(pages["physicians"], cap),
                "distance": charts.distance_chart(
                    pages["distances"], run.params.get("max_distance_km", 50.0)
                ),
                "map": charts.map_chart(pages["map"]),
            },
        ),
    }


def worded(consequences: dict[str, Any] | None) -> dict[str, Any] | None:
    """Consequences with their warnings worded for the page."""
    if not consequences:
        return None
    warnings = [
        {**warning, "text": str(WARNINGS.get(warning["code"], warning["code"]))}
        for warning in consequences.get("warnings", [])
    ]
    return {**consequences, "warnings": warnings}


def comparison(a: Run, b: Run) -> dict[str, Any]:
    """Two runs side by side: per physician in both (by name), those in one only, the
    totals and the parameters that differ."""
    rows_a = {row["physician_id"]: row for row in _pages(a).get("physicians", [])}
    rows_b = {row["physician_id"]: row for row in _pages(b).get("physicians", [])}
    both = sorted(set(rows_a) & set(rows_b), key=lambda code: (rows_a[code]["name"], code))
    rows = []
    for code in both:
        left, right = rows_a[code], rows_b[code]
        rows.append(
            {
                "code": code,
                "name": left["name"],
                "a": left,
                "b": right,
                "assigned_change": right["assigned"] - left["assigned"],
            }
        )
    return {
        "a": a,
        "b": b,
        "rows": rows,
        "only_a": sorted(set(rows_a) - set(rows_b)),
        "only_b": sorted(set(rows_b) - set(rows_a)),
        "totals": [
            (label, a.summary.get(key), b.summary.get(key))
            for key, label in (
                ("orphans", _("Orphans")),
                ("assigned", _("Assigned")),
                ("unassigned", _("Unassigned")),
                ("assigned_le304", _("Of which LE 304 blocks")),
            )
        ],
        "params_diff": [
            (key, a.params.get(key), b.params.get(key))
            for key in sorted(set(a.params) | set(b.params))
            if a.params.get(key) != b.params.get(key)
        ],
    }


def _pages(run: Run) -> dict[str, Any]:
    return (run.summary or {}).get("pages") or {}


# --------------------------------------------------------------------------- letters


def run_letters(run: Run) -> dict[str, Any]:
    """What the letters' page of ``run`` shows: one row per physician with their letters
    by kind, the counts per kind, the latest writing's status, whether the merged file
    exists, when the letters were written."""
    rows: dict[str, dict[str, Any]] = {}
    for letter in run.letters.order_by("physician_name", "physician_code", "kind"):
        row = rows.setdefault(
            letter.physician_code,
            {"code": letter.physician_code, "name": letter.physician_name},
        )
        row[letter.kind] = letter
    status = letters.letters_status(run)
    return {
        "status": status,
        "in_progress": status is not None and status["state"] in ("queued", "running"),
        "rows": list(rows.values()),
        "merged": letters.letters_written(run) and bool(rows),
        "written_at": max((letter.generated_at for letter in run.letters.all()), default=None),
        "counts": {
            kind: sum(1 for row in rows.values() if kind in row) for kind in LetterKind.values
        },
    }


def physician_runs(
    physician: Physician, runs: QuerySet[Run], own: Iterable[Letter]
) -> list[dict[str, Any]]:
    """The latest of ``runs`` (a physician's: ``access.visible_own_runs``) that give
    ``physician`` letters or patients (at most 12, newest first): each run, the facts of
    their personal letter (None: a general letter only), their ``own`` letters of it, and
    their follow-up when patients are expected (counts only: no patient)."""
    by_run: dict[int, list[Letter]] = {}
    for letter in own:
        by_run.setdefault(letter.run_id, []).append(letter)
    items = []
    for run in runs.select_related("rls", "region").order_by("-approved_at", "-pk")[:12]:
        try:
            facts = next(
                (
                    item
                    for item in letters.plan_letters(run)
                    if item["physician_id"] == physician.code
                ),
                None,
            )
        except LetterError:
            continue
        if facts is None and run.pk not in by_run:
            continue
        progress = None
        if facts is not None and facts["expected"]:
            try:
                report = followup.follow_up(run)
            except (OSError, ValueError):
                report = None
            if report is not None:
                progress = next((p for p in report.physicians if p.code == physician.code), None)
        items.append(
            {
                "run": run,
                "facts": facts,
                "letters": sorted(by_run.get(run.pk, []), key=lambda letter: letter.kind),
                "progress": progress,
            }
        )
    return items
