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
from django.template.loader import render_to_string
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
    "plan_stamp",
    "run_figures",
    "run_letters",
    "run_record",
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


def plan_stamp(run: Run) -> tuple[int, int, int] | None:
    """What identifies the files of ``run``'s plan on disk (inode, modification time and
    size of its assignments): a plan written again (an adjustment solves it again, a
    retry) has new files, hence a new stamp. None without a plan folder."""
    try:
        stat = (run.folder / "plan" / "assignments.csv").stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def run_figures(
    run: Run, *, physician: str = "", unassigned: bool = False, page: str | None = None
) -> dict[str, Any]:
    """What the page of a run with a plan shows beyond its record: ``plan_html`` (the
    totals, the physicians by group then name with their reasons worded, the charts),
    ``patients_html`` (one page of its patients: one physician's with ``physician``, the
    unassigned with ``unassigned``) and the ``physician_options`` of the adjustment forms
    (the participating physicians). Empty for a run without a plan.

    The plan's parts are rendered once and cached (:func:`web.dashboard.figures.cached`)
    per run, territory, status, end, plan files (:func:`plan_stamp`), language and data
    version (an adjustment or an approval records an audit event in the transaction that
    changes the plan): a DONE or APPROVED plan's files change only with them. They hold
    nothing that depends on the reader (no form token): the caller has decided, with
    ``access.access_run``, that the reader may see this run.
    """
    pages = run.summary.get("pages") if run.summary else None
    if not pages or run.status not in (RunStatus.DONE, RunStatus.APPROVED):
        return {}
    plan_key = [run.pk, run.region_id, run.rls_id, run.status, run.finished_at, plan_stamp(run)]
    plan = dashboard_figures.cached("run_plan", plan_key, lambda: _plan_parts(run, pages))
    return {
        "pages": pages,
        "physician_filter": physician,
        "unassigned": unassigned,
        "plan_html": plan["html"],
        "physician_options": plan["options"],
        "patients_html": dashboard_figures.cached(
            "run_patients_html",
            [*plan_key, physician, unassigned, page],
            lambda: _patients_html(run, plan, physician, unassigned, page),
        ),
    }


def _plan_parts(run: Run, pages: dict[str, Any]) -> dict[str, Any]:
    """What the page of ``run`` shows of its plan whoever reads it, rendered: ``html``
    (the totals, the physicians by group then name with their reasons worded, the charts
    with their Vega-Lite specs), ``options`` (the participating physicians as the
    ``<option>`` elements of the adjustment forms: ``move`` and ``target``, with their
    target), and for the patients' pages the ``participating`` physicians and every
    physician's name by code (``names``)."""
    rows = sorted(
        pages["physicians"], key=lambda row: (row["group"] == "none", row["group"], row["name"])
    )
    for row in rows:
        row["reason_labels"] = reason_labels(row["reasons"])
    participating = [row for row in rows if row["group"] != "none"]
    cap = run.params.get("vulnerable_cap", 0.45)
    summary = run.summary
    html = render_to_string(
        "attribution/runs/_plan.html",
        {
            "run": run,
            "pages": pages,
            "physician_rows": rows,
            "totals": {
                "orphans": summary.get("orphans"),
                "assigned": summary.get("assigned"),
                "unassigned": summary.get("unassigned"),
                "assigned_le304": summary.get("assigned_le304"),
            },
            "by_priority": summary.get("by_priority", {}),
            "by_rls": summary.get("by_rls", {}),
            # Built by Altair, from the run's summary alone.
            "charts": {
                "need": charts.need_chart(pages["groups"]),
                "vulnerable": charts.vulnerable_chart(pages["physicians"], cap),
                "distance": charts.distance_chart(
                    pages["distances"], run.params.get("max_distance_km", 50.0)
                ),
                "map": charts.map_chart(pages["map"]),
            },
        },
    )
    options = {
        form: render_to_string(
            "attribution/runs/_physician_options.html",
            {"participating": participating, "with_target": form == "target"},
        )
        for form in ("move", "target")
    }
    return {
        "html": html,
        "options": options,
        "participating": [
            {"physician_id": row["physician_id"], "name": row["name"]} for row in participating
        ],
        "names": {row["physician_id"]: row["name"] for row in rows},
    }


def _patients_html(
    run: Run, plan: dict[str, Any], physician: str, unassigned: bool, page: str | None
) -> str:
    """One page of the plan's patients and its filter, as HTML."""
    names = plan["names"]
    patients = PlanPatients(run.folder / "plan", physician=physician, unassigned=unassigned)
    patients_page = Paginator(patients, PATIENTS_PER_PAGE).get_page(page)
    for row in patients_page.object_list:
        row["physician_name"] = names.get(row["physician_id"] or "", "")
    return render_to_string(
        "attribution/runs/_plan_patients.html",
        {
            "run": run,
            "patients": patients_page,
            "participating": plan["participating"],
            "physician_filter": physician,
            "unassigned": unassigned,
        },
    )


def run_record(run: Run) -> dict[str, Any]:
    """The record of ``run`` its page shows, whatever its status: who started it
    (``started_by``) and approved it (``approved_by``, None before), the table versions it
    read (``physicians`` and ``waitlist``: :class:`~web.tables.models.Dataset`), its
    history (``events``: ``created_at``, ``action`` worded, ``actor``), its
    ``adjustments`` (each: the ``adjustment``'s fields, ``made_by``, ``consequences``
    worded) and the ``last_consequences``. Plain values and usernames, not users.

    Cached like the plan (:func:`run_figures`): per run, territory, status, end, approval
    and data version (every change of a run's history is an audit event, which moves it).
    """
    return dashboard_figures.cached(
        "run_record",
        [run.pk, run.region_id, run.rls_id, run.status, run.finished_at, run.approved_at],
        lambda: _run_record(run),
    )


def _run_record(run: Run) -> dict[str, Any]:
    events = AuditEvent.objects.about(run).select_related("actor").order_by("created_at", "pk")
    details = {
        event.details.get("adjustment"): event.details
        for event in events
        if event.action == AttributionAction.ADJUSTED
    }
    adjustments = [
        {
            "adjustment": {
                "pk": adjustment.pk,
                "kind": adjustment.kind,
                "made_at": adjustment.made_at,
                "patient_code": adjustment.patient_code,
                "physician_code": adjustment.physician_code,
                "target": adjustment.target,
                "note": adjustment.note,
            },
            "made_by": adjustment.made_by.get_username() if adjustment.made_by else "",
            "consequences": worded(details.get(adjustment.pk)),
        }
        for adjustment in run.adjustments.select_related("made_by")
    ]
    return {
        "started_by": run.created_by.get_username() if run.created_by else "",
        "approved_by": run.approved_by.get_username() if run.approved_by else None,
        "physicians": run.physicians,
        "waitlist": run.waitlist,
        "events": [
            {
                "created_at": event.created_at,
                "action": event.get_action_display(),
                "actor": event.actor.get_username() if event.actor else "",
            }
            for event in events
        ],
        "adjustments": adjustments,
        "last_consequences": adjustments[-1]["consequences"] if adjustments else None,
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
