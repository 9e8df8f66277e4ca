"""What the runs' and letters' pages show, read from a run's record and plan folder: the
plan's patients page by page, the figures of a run's page, the comparison of two runs,
a run's letters, a physician's runs.
Read-side only (the writes are :mod:`web.attribution.services`').

    patients = PlanPatients(run.folder / "plan", physician="D00004")
    figures = run_figures(run, physician="", unassigned=False, page="2")
    rows = comparison(run_a, run_b)
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from panelcare.attribution import adjust, solve, store
from panelcare.attribution.model import PRIORITIES
from panelcare.attribution.outputs import weighted_assigned
from panelcare.errors import PanelcareError
from panelcare.geo import haversine_km
from web.attribution import charts, followup, journey, letters
from web.attribution.errors import LetterError
from web.attribution.forms import CATEGORY_LABELS, param_labels
from web.attribution.labels import WARNINGS, reason_labels
from web.attribution.models import (
    AdjustmentKind,
    AttributionAction,
    Letter,
    LetterKind,
    Run,
    RunStatus,
)
from web.audit.models import AuditEvent
from web.dashboard import figures as dashboard_figures
from web.dashboard.templatetags.panelcare_format import pct
from web.regions.models import Physician, Rls

__all__ = [
    "MODE_LABELS",
    "MOVE_CHOICES",
    "PATIENTS_PER_PAGE",
    "PHYSICIANS_PER_PAGE",
    "RUN_TABS",
    "PlanPatients",
    "comparison",
    "decision_rows",
    "followup_export",
    "monthly_pace_text",
    "move_candidates",
    "param_rows",
    "param_value",
    "physician_runs",
    "plan_export",
    "plan_of",
    "plan_stamp",
    "rls_names",
    "run_figures",
    "run_letters",
    "run_monthly_pace",
    "run_record",
    "target_changes",
    "territory_monthly_pace",
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


# The run page's tabs (sub-pages, ``?tab=``), the first one the default.
RUN_TABS = ("summary", "physicians", "patients", "charts", "history")

PHYSICIANS_PER_PAGE = 25


def run_figures(
    run: Run,
    *,
    tab: str = "summary",
    physician: str = "",
    unassigned: bool = False,
    page: str | None = None,
) -> dict[str, Any]:
    """What the page of a run with a plan shows beyond its record, for one of its
    :data:`RUN_TABS`: ``summary_html`` (the totals by priority and by RLS, always),
    ``physicians_html`` (tab ``physicians``: one page of the physicians by group then
    name with their reasons worded), ``patients_html`` (tab ``patients``: one page of its
    patients, one physician's with ``physician``, the unassigned with ``unassigned``),
    ``charts_html`` (tab ``charts``), and the ``physician_options`` of the target form
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
    result: dict[str, Any] = {
        "pages": pages,
        "physician_filter": physician,
        "unassigned": unassigned,
        "summary_html": plan["summary"],
        "physician_options": plan["options"],
    }
    if tab == "physicians":
        result["physicians_html"] = dashboard_figures.cached(
            "run_physicians_html",
            [*plan_key, page],
            lambda: _physicians_html(run, plan, page),
        )
    elif tab == "patients":
        result["patients_html"] = dashboard_figures.cached(
            "run_patients_html",
            [*plan_key, physician, unassigned, page],
            lambda: _patients_html(run, plan, physician, unassigned, page),
        )
    elif tab == "charts":
        result["charts_html"] = plan["charts"]
    return result


def rls_names(run: Run) -> dict[str, str]:
    """The name of each RLS of ``run``'s region by code (the pages show both)."""
    return dict(Rls.objects.filter(region_id=run.region_id).values_list("code", "name"))


def _plan_parts(run: Run, pages: dict[str, Any]) -> dict[str, Any]:
    """What the page of ``run`` shows of its plan whoever reads it, rendered: ``summary``
    (the totals by priority and by RLS, named), ``charts`` (the charts with their
    Vega-Lite specs), ``options`` (the participating physicians as the ``<option>``
    elements of the target form, with their target), ``rows`` (every physician by group
    then name, reasons worded, RLS named), and for the patients' pages the
    ``participating`` physicians and every physician's name by code (``names``)."""
    names_of_rls = rls_names(run)
    rows = sorted(
        pages["physicians"], key=lambda row: (row["group"] == "none", row["group"], row["name"])
    )
    for row in rows:
        row["reason_labels"] = reason_labels(row["reasons"])
        row["rls_name"] = names_of_rls.get(row.get("rls_id", ""), "")
    participating = [row for row in rows if row["group"] != "none"]
    cap = run.params.get("vulnerable_cap", 0.45)
    summary = run.summary
    by_priority = summary.get("by_priority", {})
    summary_html = render_to_string(
        "attribution/runs/_summary.html",
        {
            "run": run,
            "totals": {
                "orphans": summary.get("orphans"),
                "assigned": summary.get("assigned"),
                "unassigned": summary.get("unassigned"),
                "assigned_le304": summary.get("assigned_le304"),
            },
            # Every priority, even one without an orphan (a table that lists A to D only
            # leaves the reader wondering about E).
            "by_priority": {
                priority: by_priority.get(priority, {"orphans": 0, "assigned": 0, "unassigned": 0})
                for priority in sorted({*PRIORITIES, *by_priority})
            },
            "by_rls": [
                {
                    "code": code,
                    "name": names_of_rls.get(code, ""),
                    **row,
                    "pace": monthly_pace_text(territory_monthly_pace(summary, code)),
                }
                for code, row in summary.get("by_rls", {}).items()
            ],
            # The figure the general letter and the follow-up show (one function).
            "territory": run.rls.name if run.rls is not None else run.region.name,
            "territory_pace": monthly_pace_text(run_monthly_pace(run)),
            "period_months": int((summary.get("params") or {}).get("period_months", 12)),
            "proven_optimal": summary.get("proven_optimal"),
            "gaps": [
                {**level, "label": optimality_label(level["level"])}
                for level in summary.get("optimality", [])
                if level["gap"] > 0
            ],
        },
    )
    charts_html = render_to_string(
        "attribution/runs/_charts.html",
        {
            "run": run,
            "pages": pages,
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
        "target": render_to_string(
            "attribution/runs/_physician_options.html",
            {"participating": participating, "with_target": True},
        )
    }
    return {
        "summary": summary_html,
        "charts": charts_html,
        "options": options,
        "rows": rows,
        "participating": [
            {"physician_id": row["physician_id"], "name": row["name"]} for row in participating
        ],
        "names": {row["physician_id"]: row["name"] for row in rows},
    }


def _physicians_html(run: Run, plan: dict[str, Any], page: str | None) -> str:
    """One page of the plan's physicians, as HTML (the RLS beside each on a region run)."""
    physicians_page = Paginator(plan["rows"], PHYSICIANS_PER_PAGE).get_page(page)
    return render_to_string(
        "attribution/runs/_plan_physicians.html",
        {"run": run, "physicians": physicians_page, "show_rls": run.rls_id is None},
    )


def _patients_html(
    run: Run, plan: dict[str, Any], physician: str, unassigned: bool, page: str | None
) -> str:
    """One page of the plan's patients and its filter, as HTML."""
    names = plan["names"]
    patients = PlanPatients(run.folder / "plan", physician=physician, unassigned=unassigned)
    patients_page = Paginator(patients, PATIENTS_PER_PAGE).get_page(page)
    for row in patients_page.object_list:
        row["physician_name"] = names.get(row["physician_id"] or "", "")
        month = row["month"]
        row["month_start"] = letters.month_of_period(run.run_date, int(month)) if month else None
    return render_to_string(
        "attribution/runs/_plan_patients.html",
        {
            "run": run,
            "patients": patients_page,
            "participating": plan["participating"],
            "physician_filter": physician,
            "unassigned": unassigned,
            "can_move": run.status == RunStatus.DONE,
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


# --------------------------------------------------------------------------- parameters

# The parameters shown as percentages (shares of a panel or of the visits).
_SHARES = ("vulnerable_cap", "le304_min_assiduity")


def param_rows(run: Run) -> list[dict[str, str]]:
    """``run``'s parameters in words, in the run form's order: each ``name``, its
    ``label`` (the form's) and its ``value`` formatted in the reader's language (yes/no,
    percentages, decimals, categories by name, "off" for an unset limit)."""
    rows = []
    for name, label in param_labels().items():
        if name in run.params:
            rows.append(
                {"name": name, "label": label, "value": param_value(name, run.params[name])}
            )
    return rows


def param_value(name: str, value: Any) -> str:
    """The value ``value`` of the parameter ``name`` in words (:func:`param_rows`)."""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if value is None:
        return str(_("off"))
    if name in _SHARES:
        return pct(float(value), 0)
    if name == "category_weights":
        if not value:
            return str(_("none: every category weighs 1"))
        return "; ".join(
            f"{CATEGORY_LABELS.get(key, key)} = {_number(weight)}" for key, weight in value.items()
        )
    if name in ("target_overrides", "offered_targets"):
        if not value:
            return str(_("none"))
        count = len(value)
        return ngettext("%(count)s physician (below)", "%(count)s physicians (below)", count) % {
            "count": number_format(count, force_grouping=True)
        }
    if name == "gmf_targets":
        if not value:
            return str(_("none agreed"))
        return "; ".join(f"{code} = {_number(target)}" for code, target in sorted(value.items()))
    if name == "max_distance_km":
        return f"{_number(value)} km"
    return _number(value)


def _number(value: float | int) -> str:
    """A number in the reader's language: grouped thousands, a decimal only when it has
    one (3.0 -> "3", 0.5 -> "0,5")."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return number_format(value, force_grouping=True)


def target_changes(run: Run, adjustments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets ``run``'s plan does not take from the rules: those of its parameters
    (the new target only, ``old`` None: ``offered_targets`` not replaced by a typed one,
    ``offered`` True, then ``target_overrides``, typed on the run form) and those changed
    by an adjustment (``with_target``: old -> new, who and when), each with the
    physician's ``code`` and ``name``. ``adjustments``: :func:`run_record`'s."""
    names = {row["physician_id"]: row["name"] for row in _pages(run).get("physicians", [])}
    typed = run.params.get("target_overrides") or {}
    # The offers a typed target does not replace (groups.targets), then the typed ones.
    offered = {
        code: target
        for code, target in (run.params.get("offered_targets") or {}).items()
        if code not in typed
    }
    changes: list[dict[str, Any]] = [
        {
            "code": code,
            "name": names.get(code, ""),
            "old": None,
            "new": target,
            "by": "",
            "when": None,
            "offered": source is offered,
        }
        for source in (offered, typed)
        for code, target in sorted(source.items())
    ]
    for item in adjustments:
        adjustment = item["adjustment"]
        if adjustment["kind"] != AdjustmentKind.TARGET:
            continue
        code = adjustment["physician_code"]
        before = next(
            (
                row["before"].get("target")
                for row in (item["consequences"] or {}).get("physicians", [])
                if row.get("physician_id") == code
            ),
            None,
        )
        changes.append(
            {
                "code": code,
                "name": names.get(code, ""),
                "old": before,
                "new": adjustment["target"],
                "by": item["made_by"],
                "when": adjustment["made_at"],
                "offered": False,
            }
        )
    return changes


# The roster's columns a decision changes, and the modes, as the run's record words them.
_DECISION_COLUMNS = {
    "amp_target": gettext_lazy("AMP requirement"),
    "mode": gettext_lazy("mode"),
    "other_units": gettext_lazy("other work units"),
    "departing_on": gettext_lazy("departure"),
    "target": gettext_lazy("target (registered + new patients offered)"),
}
MODE_LABELS = {
    "bloc": gettext_lazy("block from the waiting list"),
    "le304": gettext_lazy("LE 304"),
    "none": gettext_lazy("not participating"),
}


def decision_rows(run: Run) -> list[dict[str, Any]]:
    """The decisions ``run`` applied (its snapshot), each change of the roster worded:
    ``physician_code``, ``changes`` (``label``, ``old``, ``new`` as text), ``note``,
    ``updated_by``."""
    rows = []
    for decision in run.decisions or []:
        changes = [
            {
                "label": str(_DECISION_COLUMNS.get(column, column)),
                "old": _decision_value(column, values[0]),
                "new": _decision_value(column, values[1]),
            }
            for column, values in (decision.get("changes") or {}).items()
        ]
        rows.append(
            {
                "physician_code": decision.get("physician_code", ""),
                "changes": changes,
                "note": decision.get("note", ""),
                "updated_by": decision.get("updated_by") or "",
            }
        )
    return rows


def _decision_value(column: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if column == "mode":
        return str(MODE_LABELS.get(value, value))
    if column == "departing_on":
        try:
            return date_format(datetime.date.fromisoformat(str(value)), "DATE_FORMAT")
        except ValueError:
            return str(value)
    if isinstance(value, int | float):
        return _number(value)
    return str(value)


# --------------------------------------------------------------------------- moves

# The most physicians the move picker lists (nearest first).
MOVE_CHOICES = 30


def move_candidates(run: Run, patient_code: str, query: str = "") -> dict[str, Any]:
    """The physicians a patient of ``run``'s plan may be moved to, for the move picker:
    those who take patients in this run, of the patient's RLS (any RLS when the run
    crosses borders), but their physician of now (``beyond`` the run's maximum distance
    is allowed and flagged, as the move's consequences are);
    nearest first, at most :data:`MOVE_CHOICES`, kept to those whose name or code holds
    ``query`` (accents and case ignored). Each: ``physician_id``, ``name``, ``site_id``,
    ``rls_id``, ``rls_name``, ``room_left`` (weighted patients the physician may still
    take, 0 when full), ``distance_km``, ``beyond``.

    Returns:
        ``patient`` (``patient_id``, ``priority``, ``physician_id`` of now or None) and
        ``candidates``; ``patient`` None when the plan has no such patient.
    """
    plan = plan_of(run)
    if plan is None:
        return {"patient": None, "candidates": []}
    try:
        i = adjust.patient_index(plan, patient_code)
    except adjust.AdjustmentError:
        return {"patient": None, "candidates": []}
    physicians, orphans = plan.physicians, plan.orphans
    now = int(plan.physician_of[i])
    rows = np.flatnonzero(plan.targets.tier >= 0)
    if not plan.params.cross_rls:
        rows = rows[physicians.rls_id[rows] == orphans.rls_id[i]]
    rows = rows[rows != now]
    km = np.asarray(
        haversine_km(
            orphans.latitude[i],
            orphans.longitude[i],
            physicians.latitude[rows],
            physicians.longitude[rows],
        ),
        dtype=np.float64,
    )
    # Beyond the maximum distance too, flagged: a CML's move may break the model's limits
    # (the consequences warn of it; docs/attribution-model.md, adjustments by hand).
    wanted = _folded(query.strip())
    room = plan.targets.capacity - weighted_assigned(plan)
    names_of_rls = rls_names(run)
    candidates = []
    for k in np.lexsort((rows, km)):
        j = int(rows[k])
        name, code = str(physicians.name[j]), str(physicians.physician_id[j])
        if wanted and wanted not in _folded(f"{name} {code}"):
            continue
        rls_id = str(physicians.rls_id[j])
        candidates.append(
            {
                "physician_id": code,
                "name": name,
                "site_id": str(physicians.site_id[j]),
                "rls_id": rls_id,
                "rls_name": names_of_rls.get(rls_id, ""),
                "room_left": max(0, int(room[j])),
                "distance_km": round(float(km[k]), 1),
                "beyond": bool(km[k] > plan.params.max_distance_km),
            }
        )
        if len(candidates) >= MOVE_CHOICES:
            break
    return {
        "patient": {
            "patient_id": patient_code,
            "priority": PRIORITIES[int(orphans.priority[i])],
            "physician_id": str(physicians.physician_id[now]) if now >= 0 else None,
        },
        "candidates": candidates,
    }


def _folded(text: str) -> str:
    """``text`` without accents, case folded (the physicians' search)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# --------------------------------------------------------------------------- exports


def plan_export(run: Run) -> tuple[list[str], list[list[Any]]]:
    """The approved plan of ``run`` as the GAMF reads it: one row per assigned patient in
    waiting-list order (priority, request date), with the patient's waiting-list code,
    priority, request date, the physician's name and number, the month (its first day)
    and the distance in km. Headers in the reader's language; values as data (dates
    as dates, numbers as numbers), to be written by :mod:`panelcare.exports`."""
    headers = [
        str(_("Waiting-list code")),
        str(_("Priority")),
        str(_("Request date")),
        str(_("Physician's name")),
        str(_("Physician's number")),
        str(_("Month")),
        str(_("Distance (km)")),
    ]
    names = {row["physician_id"]: row["name"] for row in _pages(run).get("physicians", [])}
    table = store.read_plan_patients(run.folder / "plan")
    rows = []
    for row in table.to_pylist():
        if not row["physician_id"]:
            continue
        month = row["month"]
        rows.append(
            [
                row["patient_id"],
                row["priority"],
                row["requested_on"],
                names.get(row["physician_id"], ""),
                row["physician_id"],
                letters.month_of_period(run.run_date, int(month)) if month else None,
                row["distance_km"],
            ]
        )
    return headers, rows


def followup_export(report: followup.FollowUp) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """A run's follow-up as two tables (``physicians`` and ``rls``), headers in the
    reader's language, months as dates: what the follow-up page shows, for a CSV or an
    XLSX file."""
    physicians = [
        str(_("Physician's name")),
        str(_("Physician's number")),
        str(_("Group")),
        str(_("Assigned")),
        str(_("Monthly pace")),
        *[date_format(month, "YEAR_MONTH_FORMAT") for month in report.months],
        str(_("Registered")),
        str(_("Expected to date")),
        str(_("Behind")),
    ]
    physician_rows = [
        [
            row.name,
            row.code,
            row.group,
            row.assigned,
            row.monthly_pace,
            *row.by_month,
            row.registered,
            row.expected_to_date,
            str(_("yes") if row.behind else _("no")),
        ]
        for row in report.physicians
    ]
    rls = [
        str(_("RLS code")),
        str(_("RLS")),
        str(_("Orphans at the run")),
        str(_("Assigned")),
        str(_("Registered since")),
        str(_("Orphans of the run still waiting")),
        str(_("Waiting now")),
        str(_("List empty at the current pace")),
    ]
    rls_rows = [
        [
            row.code,
            row.name,
            row.orphans,
            row.assigned,
            row.registered,
            row.orphans_still_waiting,
            row.waiting_now,
            row.projected_empty,
        ]
        for row in report.rls
    ]
    return {"physicians": (physicians, physician_rows), "rls": (rls, rls_rows)}


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
    their follow-up when patients are expected (counts only: no patient): ``progress``,
    and ``journey``, what became of the patients it proposed to them
    (:func:`web.attribution.journey.physician_journey`, as the CML's follow-up reads it)."""
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
        own_journey = None
        if facts is not None and facts["expected"]:
            try:
                report = followup.follow_up(run)
            except (OSError, ValueError):
                report = None
            own_journey = journey.physician_journey(run, physician.code, report)
        items.append(
            {
                "run": run,
                "facts": facts,
                "letters": sorted(by_run.get(run.pk, []), key=lambda letter: letter.kind),
                "progress": own_journey.progress if own_journey is not None else None,
                "journey": own_journey,
            }
        )
    return items


# --------------------------------------------------------------------------- one figure, one value
# Figures a page and a letter both show (issue 15, 4): computed here once, formatted by
# the shared filters (web.dashboard.templatetags.panelcare_format) in the reader's language.


def territory_monthly_pace(summary: dict[str, Any], rls_code: str | None) -> float:
    """The monthly pace of a run's territory (DSP-PR-30042, 7: its orphans divided by the
    months of the period), from the plan's summary: the RLS ``rls_code``'s, or for the
    region (None) the sum of every RLS's. The run page, the general letter and the
    follow-up's pace line show this figure."""
    by_rls = summary.get("by_rls") or {}
    if rls_code is not None:
        return float((by_rls.get(rls_code) or {}).get("monthly_pace", 0.0))
    return float(sum(row.get("monthly_pace", 0.0) for row in by_rls.values()))


def run_monthly_pace(run: Run) -> float:
    """The monthly pace of ``run``'s territory (:func:`territory_monthly_pace`) from the
    summary of its plan: its RLS's, or its region's."""
    return territory_monthly_pace(run.summary or {}, run.rls.code if run.rls is not None else None)


def monthly_pace_text(value: float) -> str:
    """A territory's monthly pace in the active language, one decimal ("84,3")."""
    from web.dashboard.templatetags.panelcare_format import grouped

    return grouped(value, 1)


def optimality_label(level: str) -> str:
    """The words for a level of the plan's objective (``solve.LEVELS``)."""
    labels = {
        "placed A": _("patients placed, priority A"),
        "placed AB": _("patients placed, priorities A and B"),
        "placed ABC": _("patients placed, priorities A to C"),
        "placed ABCD": _("patients placed, priorities A to D"),
        "placed ABCDE": _("patients placed, priorities A to E"),
        "request age": _("oldest requests first"),
        "group 1a": _("patients to group 1a"),
        "groups 1a and 1b under 3 units": _("patients to groups 1a and 1b under 3 units"),
        "group 1": _("patients to group 1"),
        "equity": _("equity of the fills"),
        "distance": _("total distance"),
    }
    return str(labels.get(level, level))
