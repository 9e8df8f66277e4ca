"""The LE 304 block transfers of an approved run and the conditions the letter of
agreement 304 sets on them (seed 002, sections 4 and 7): what the guichet's administrative
agent checks before preparing a run's file for RAMQ. Read-side only (the writes are
:mod:`web.attribution.services_le304_files`').

    transfers = run_transfers(run)                  # [Transfer], departing then receiving
    transfer = transfer_of(run, "D0003", "D0017")   # None: no such block in the plan
    checks = conditions(run, transfer)              # [Condition]; failed(checks)
    headers, rows = patients_table(transfer)        # the file's patients.csv

Where the facts come from, all from the run's plan folder (written when it was computed,
then by each adjustment; ``docs/attribution-rules.md``, "LE 304 blocks (7)"):

* a transfer is the patients the plan places with ``le304`` true (``assignments.csv``),
  grouped by their departing physician (the orphan's ``previous_physician_id``,
  ``inputs/orphans.parquet``) and their receiving physician; a patient the CML moved
  afterwards lost the flag (:func:`panelcare.attribution.adjust.moved`): the block is
  what is left of it;
* the physicians' names, departure dates and previous-year assiduity are the run's roster
  (``inputs/physicians.parquet``), whose assiduity is the run's recorded source (the
  region's computation or the roster's column, :func:`web.attribution.le304.run_source`).

The conditions are the letter of agreement's, not the run's parameters: a run whose
parameters were lowered (a block of 40, 70 %) may plan a transfer RAMQ would refuse, and
the file says so instead of sending it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from panelcare.attribution import store
from panelcare.attribution.params import Params
from panelcare.errors import PanelcareError
from web.attribution import le304
from web.attribution.models import Run
from web.dashboard.templatetags.panelcare_format import long_date, pct
from web.regions.models import Patient, Physician

__all__ = [
    "CONDITION_CODES",
    "MIN_ASSIDUITY",
    "MIN_BLOCK",
    "Condition",
    "PlanUnreadable",
    "Transfer",
    "condition_label",
    "conditions",
    "failed",
    "licence_numbers",
    "patients_table",
    "run_transfers",
    "transfer_of",
]

# The letter of agreement 304's conditions: a block of at least 50 patients, a receiving
# physician whose previous-year assiduity is at least 75 % (the engine's defaults are
# the letter's values).
MIN_BLOCK = Params().le304_min_block
MIN_ASSIDUITY = Params().le304_min_assiduity
# The rate is compared as the engine compares it (panelcare.attribution.groups).
_EPSILON = 1e-9
# The conditions, in the order the pages and the agreement list them.
CONDITION_CODES = ("block", "assiduity", "named", "departure")


class PlanUnreadable(Exception):
    """The run's plan folder cannot be read (a restore without the data folder)."""


@dataclass(frozen=True)
class Transfer:
    """One LE 304 block of a run: the departing physician's patients the receiving one
    takes, in waiting-list order (priority, request date, code)."""

    departing_code: str
    departing_name: str
    departing_on: datetime.date | None
    receiving_code: str
    receiving_name: str
    receiving_assiduity: float | None
    patient_codes: tuple[str, ...] = field(default=())

    @property
    def patients(self) -> int:
        return len(self.patient_codes)

    @property
    def key(self) -> tuple[str, str]:
        return (self.departing_code, self.receiving_code)


@dataclass(frozen=True)
class Condition:
    """One condition of the letter of agreement, checked on a transfer: ``code`` (one of
    :data:`CONDITION_CODES`), its ``label``, whether it is ``met``, and what was read
    (``detail``, a sentence)."""

    code: str
    label: str
    met: bool
    detail: str

    def as_record(self) -> dict[str, Any]:
        """What a file keeps of the check (JSON)."""
        return {"code": self.code, "met": self.met, "detail": self.detail}


def _plan_dir(run: Run) -> Path:
    return run.folder / "plan"


def run_transfers(run: Run) -> list[Transfer]:
    """The LE 304 transfers of ``run``'s plan, by departing then receiving physician code.

    Raises:
        PlanUnreadable: the plan's files cannot be read.
    """
    plan_dir = _plan_dir(run)
    try:
        # Waiting-list order, as the blocks were filled (panelcare.attribution.groups).
        placed = store.read_plan_patients(plan_dir)
        orphans = pq.read_table(
            plan_dir / "inputs" / "orphans.parquet", columns=["patient_id", "previous_physician_id"]
        )
        roster = pq.read_table(
            plan_dir / "inputs" / "physicians.parquet",
            columns=["physician_id", "name", "departing_on", "previous_assiduity"],
        )
    except (PanelcareError, OSError) as error:
        raise PlanUnreadable(str(error)) from None
    blocks = placed.filter(pc.fill_null(placed.column("le304"), False))
    if blocks.num_rows == 0:
        return []
    previous = dict(
        zip(
            orphans.column("patient_id").to_pylist(),
            orphans.column("previous_physician_id").to_pylist(),
            strict=True,
        )
    )
    physicians = {row["physician_id"]: row for row in roster.to_pylist()}
    grouped: dict[tuple[str, str], list[str]] = {}
    for patient, receiving in zip(
        blocks.column("patient_id").to_pylist(),
        blocks.column("physician_id").to_pylist(),
        strict=True,
    ):
        grouped.setdefault((previous.get(patient) or "", receiving or ""), []).append(patient)
    transfers = []
    for (departing, receiving), patients in sorted(grouped.items()):
        leaving = physicians.get(departing, {})
        taking = physicians.get(receiving, {})
        transfers.append(
            Transfer(
                departing_code=departing,
                departing_name=leaving.get("name") or "",
                departing_on=leaving.get("departing_on"),
                receiving_code=receiving,
                receiving_name=taking.get("name") or "",
                receiving_assiduity=taking.get("previous_assiduity"),
                patient_codes=tuple(patients),
            )
        )
    return transfers


def transfer_of(run: Run, departing_code: str, receiving_code: str) -> Transfer | None:
    """The transfer of ``run`` from ``departing_code`` to ``receiving_code``; None when
    the plan has none (any more).

    Raises:
        PlanUnreadable: the plan's files cannot be read.
    """
    for transfer in run_transfers(run):
        if transfer.key == (departing_code, receiving_code):
            return transfer
    return None


def condition_label(code: str) -> str:
    """The condition ``code`` (one of :data:`CONDITION_CODES`) in words."""
    labels = {
        "block": _("A block of at least %(minimum)s patients")
        % {"minimum": number_format(MIN_BLOCK, force_grouping=True)},
        "assiduity": _(
            "The receiving physician's assiduity of the previous year is at least %(minimum)s"
        )
        % {"minimum": pct(MIN_ASSIDUITY, 0)},
        "named": _("Both physicians are named"),
        "departure": _("The departing physician's departure is recorded"),
    }
    return str(labels.get(code, code))


def conditions(run: Run, transfer: Transfer) -> list[Condition]:
    """The letter of agreement's conditions on ``transfer``, in :data:`CONDITION_CODES`
    order:

    * ``block``: at least :data:`MIN_BLOCK` patients;
    * ``assiduity``: the receiving physician's previous-year rate, as the run read it (its
      recorded source), is known and at least :data:`MIN_ASSIDUITY`;
    * ``named``: both physicians have a name in the run's roster;
    * ``departure``: the departing physician has a departure date in the run's roster.
    """
    block = Condition(
        "block",
        condition_label("block"),
        transfer.patients >= MIN_BLOCK,
        _("%(count)s patients transferred.")
        % {"count": number_format(transfer.patients, force_grouping=True)},
    )
    rate = transfer.receiving_assiduity
    source = le304.run_source(run)["text"]
    if rate is None:
        read = _("The receiving physician's rate is unknown.")
    else:
        read = _("The receiving physician's rate: %(rate)s.") % {"rate": pct(rate)}
    assiduity = Condition(
        "assiduity",
        condition_label("assiduity"),
        rate is not None and rate >= MIN_ASSIDUITY - _EPSILON,
        f"{read} {source}",
    )
    named = Condition(
        "named",
        condition_label("named"),
        bool(transfer.departing_name and transfer.receiving_name),
        _("Departing: %(departing)s; receiving: %(receiving)s.")
        % {
            "departing": transfer.departing_name or _("no name in the run's roster"),
            "receiving": transfer.receiving_name or _("no name in the run's roster"),
        },
    )
    if transfer.departing_on is None:
        leaving = _("The run's roster gives the departing physician no departure date.")
    else:
        leaving = _("Departing on %(date)s.") % {"date": long_date(transfer.departing_on)}
    departure = Condition(
        "departure",
        condition_label("departure"),
        transfer.departing_on is not None,
        leaving,
    )
    return [block, assiduity, named, departure]


def failed(checks: list[Condition]) -> list[Condition]:
    """The conditions of ``checks`` not met."""
    return [check for check in checks if not check.met]


def licence_numbers(*codes: str) -> dict[str, str]:
    """The licence number of each physician code known here ("" when none is recorded)."""
    rows = Physician.objects.filter(code__in=codes).values_list("code", "licence_number")
    return {code: licence or "" for code, licence in rows}


def patients_table(transfer: Transfer) -> tuple[list[str], list[list[Any]]]:
    """The patients of ``transfer`` as RAMQ is sent them, one row per patient in
    waiting-list order: waiting-list code, full health insurance number, last and first
    name, birth year (the region holds no birth date), headers in the reader's language.
    A patient whose identity the region has not loaded keeps their code, the other cells
    empty. Only the transfer's patients: the caller's access check opened the file."""
    headers = [
        str(_("Waiting-list code")),
        str(_("Health insurance number")),
        str(_("Last name")),
        str(_("First name")),
        str(_("Birth year")),
    ]
    known = Patient.objects.filter(code__in=transfer.patient_codes).only(
        "code", "health_insurance_number", "last_name", "first_name", "birth_year"
    )
    by_code = {patient.code: patient for patient in known}
    rows: list[list[Any]] = []
    for code in transfer.patient_codes:
        patient = by_code.get(code)
        if patient is None:
            rows.append([code, "", "", "", None])
            continue
        rows.append(
            [
                code,
                patient.health_insurance_number,
                patient.last_name,
                patient.first_name,
                patient.birth_year,
            ]
        )
    return headers, rows
