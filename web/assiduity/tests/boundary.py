"""A computation whose results put physicians on both sides of the paritary committee's
boundary (EP 40, 15.04: under the target by less than 3 points), written by the engine on
hand-made tables (the demo's rates have nobody there): for 2025 (target 80 %),

* D00002 (RLS 0115): 77 of 100, exactly 3 points under: not on the list;
* D00003 (RLS 0115): 771 of 1,000, 2.9 points under: on the list; of the others, 200 at
  another clinic and 29 at the emergency room;
* D00008 (RLS 0116): 790 of 1,000, 1 point under: on the list (210 at another clinic);
* D00004 (RLS 0115): 81 of 100, above the target.

The results are written once per test process; each test gets a DONE computation of the
demo region holding a copy of them (the names, RLS and GMFs from the demo's versions).
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
from django.contrib.auth.models import User

from panelcare.assiduity import AssiduityTables, load_rules
from panelcare.assiduity.io import connect
from panelcare.assiduity.results import write_results
from panelcare.assiduity.tables import SCHEMAS, schema
from web.assiduity.models import AssiduityRun, AssiduityRunStatus

YEAR = 2025
ON = datetime.date(YEAR, 3, 1)
# physician -> (assiduous, counted, of the others: at the emergency room)
RATES = {
    "D00002": (77, 100, 0),
    "D00003": (771, 1000, 29),
    "D00008": (790, 1000, 0),
    "D00004": (81, 100, 0),
}

_written: Path | None = None


def boundary_tables() -> dict[str, pa.Table]:
    """One patient per physician, registered all year; their own visits (assiduous), the
    others by Z at another clinic or at the emergency room (counted, not assiduous)."""
    rows: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
    for physician, (assiduous, counted, er) in RATES.items():
        patient = f"{physician}-patient"
        rows["registrations"].append(
            {
                "patient_id": patient,
                "physician_id": physician,
                "site_id": "S1",
                "start_date": datetime.date(YEAR, 1, 1),
                "end_date": None,
            }
        )
        for number in range(counted):
            own = number < assiduous
            at_er = not own and number >= counted - er
            rows["visits"].append(
                {
                    "visit_id": f"{physician}-{number}",
                    "patient_id": patient,
                    "provider_id": physician if own else "Z",
                    "provider_kind": "physician",
                    "visit_date": ON,
                    "site_id": "S1" if own else "X",
                    "setting": "urgence_ch" if at_er else "cabinet",
                    "billing_code": "00010",
                    "er_triage": "P4" if at_er else None,
                    "er_admitted": False,
                    "er_repeat": False,
                    "er_referred": False,
                    "er_death": False,
                    "pregnancy_followup": False,
                }
            )
    return {
        name: pa.Table.from_pylist(table, schema=schema(name).to_pyarrow())
        for name, table in rows.items()
    }


def _results() -> Path:
    """The engine's results of :func:`boundary_tables` (written at the first call)."""
    global _written
    if _written is None or not _written.exists():
        out = Path(tempfile.mkdtemp(prefix="panelcare-boundary-")) / "results"
        write_results(
            AssiduityTables.from_mapping(boundary_tables()), YEAR, load_rules(), connect(), out
        )
        _written = out
    return _written


def make_boundary_run(done_run: AssiduityRun, user: User) -> AssiduityRun:
    """A DONE computation of ``done_run``'s region (its versions) started by ``user``,
    whose results are the boundary's."""
    run = AssiduityRun.objects.create(
        region=done_run.region,
        year=YEAR,
        status=AssiduityRunStatus.DONE,
        versions=done_run.versions,
        summary={"notices": []},
        created_by=user,
    )
    run.folder.mkdir(parents=True)
    shutil.copytree(_results(), run.results_folder)
    return run
