"""A plan's folder: write a :class:`~panelcare.attribution.solve.Plan` all or nothing, and
read it back so that a plan can be explained from its folder alone.

    write_plan(plan, Path("out/plan-2026-01"))      # PanelcareError if the folder is taken
    plan = read_plan(Path("out/plan-2026-01"))      # the same plan, to explain
    rows = read_plan_patients(Path("out/plan-2026-01"), physician_id="D0042")  # a table

The folder holds::

    assignments.csv        one row per orphan (outputs.ASSIGNMENT_COLUMNS)
    physicians.csv         one row per physician (outputs.PHYSICIAN_COLUMNS)
    summary.json           outputs.summary
    letters.json           outputs.letters
    inputs/physicians.parquet   the physicians table, as the data contract has it
    inputs/orphans.parquet      the plan's orphans (the waiting-list rows it distributed)
    inputs/params.toml          the run's parameters (params.dump_params)
    inputs/run.json             the run date and panelcare's version

Everything is written into a temporary folder beside ``out_dir`` and renamed into place at
the end, so an error leaves no folder (and a previous plan's folder as it was). A folder
holding a previous plan (it has a ``summary.json``) is replaced; any other non-empty
folder is refused.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from panelcare.attribution import outputs
from panelcare.attribution.model import PRIORITIES, Orphans, Physicians, assignment_km
from panelcare.attribution.outputs import ASSIGNMENT_COLUMNS
from panelcare.errors import PanelcareError

if TYPE_CHECKING:
    from panelcare.attribution.solve import Plan

__all__ = ["PLAN_FILES", "check_out_dir", "read_plan", "read_plan_patients", "write_plan"]

# The files of a plan's folder, as written (the marker of a plan folder first).
PLAN_FILES = (
    "summary.json",
    "assignments.csv",
    "physicians.csv",
    "letters.json",
    "inputs/physicians.parquet",
    "inputs/orphans.parquet",
    "inputs/params.toml",
    "inputs/run.json",
)
_MARKER = "summary.json"


def check_out_dir(out_dir: Path) -> None:
    """Refuse an ``out_dir`` that :func:`write_plan` could not fill, before any work.

    Raises:
        PanelcareError: its parent folder does not exist, it is a file, or it is a
            non-empty folder that does not hold a plan (no ``summary.json``).
    """
    out_dir = Path(out_dir)
    if not out_dir.parent.is_dir():
        raise PanelcareError(f"{out_dir}: the folder {out_dir.parent} does not exist")
    if out_dir.exists() and not out_dir.is_dir():
        raise PanelcareError(f"{out_dir}: a file, not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / _MARKER).is_file():
        raise PanelcareError(
            f"{out_dir}: the folder holds other files than a plan (no {_MARKER}); "
            "choose an empty or new folder"
        )


def write_plan(plan: Plan, out_dir: Path, population: Mapping[str, int] | None = None) -> None:
    """Write ``plan``'s folder (see the module), all or nothing.

    Args:
        plan: the plan.
        out_dir: the folder to write; created, or replaced when it holds a previous plan.
        population: residents per RLS, for the summary's registration rates
            (:func:`~panelcare.attribution.outputs.summary`).

    Raises:
        PanelcareError: ``out_dir`` is refused (:func:`check_out_dir`) or cannot be
            written; nothing is left behind.
    """
    from panelcare.attribution.params import dump_params

    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent)
        )
    except OSError as error:
        raise PanelcareError(f"cannot write {out_dir}: {error.strerror or error}") from None
    try:
        inputs = staging / "inputs"
        inputs.mkdir()
        # mkdtemp makes a private folder (0700); give it the mode of any new folder.
        staging.chmod(inputs.stat().st_mode & 0o777)
        _write_csv(outputs.assignments_table(plan), staging / "assignments.csv")
        _write_csv(outputs.physicians_table(plan), staging / "physicians.csv")
        _write_json(outputs.letters(plan), staging / "letters.json")
        pq.write_table(_physicians_arrow(plan.physicians), inputs / "physicians.parquet")
        pq.write_table(_orphans_arrow(plan.orphans), inputs / "orphans.parquet")
        (inputs / "params.toml").write_text(dump_params(plan.params), encoding="utf-8")
        _write_json(_run_facts(plan), inputs / "run.json")
        # The marker last: a folder without it is not a plan.
        _write_json(outputs.summary(plan, population), staging / _MARKER)
        _move_into_place(staging, out_dir)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise PanelcareError(f"cannot write {out_dir}: {error.strerror or error}") from None
        raise


def read_plan(out_dir: Path) -> Plan:
    """The plan written in ``out_dir`` by :func:`write_plan`.

    The targets are derived again from the saved inputs
    (:func:`~panelcare.attribution.groups.targets`), and the candidates too
    (:func:`~panelcare.attribution.solve.plan_candidates`), so a plan is explained
    with what the run saw; the assignments, months, LE 304 flags, quotas and paces are the
    saved ones; distances are computed again from the positions (exact, where the CSV
    has one decimal).

    Raises:
        PanelcareError: ``out_dir`` holds no plan, or a file is missing, unreadable or
            does not match the others.
    """
    from panelcare.attribution.groups import targets
    from panelcare.attribution.params import load_params
    from panelcare.attribution.solve import Plan, plan_candidates

    out_dir = Path(out_dir)
    if not (out_dir / _MARKER).is_file():
        raise PanelcareError(f"{out_dir}: not a plan folder (no {_MARKER})")
    missing = [name for name in PLAN_FILES if not (out_dir / name).is_file()]
    if missing:
        raise PanelcareError(f"{out_dir}: the plan folder has no {missing[0]}")
    inputs = out_dir / "inputs"
    params = load_params(inputs / "params.toml")
    run = _read_json(inputs / "run.json")
    try:
        run_date = datetime.date.fromisoformat(run["run_date"])
    except (KeyError, TypeError, ValueError):
        raise PanelcareError(f"{inputs / 'run.json'}: no valid run_date") from None
    try:
        physicians = _physicians_from(_read_parquet(inputs / "physicians.parquet"))
        orphans = _orphans_from(_read_parquet(inputs / "orphans.parquet"))
    except KeyError as error:
        raise PanelcareError(f"{inputs}: a saved input lacks the column {error}") from None

    assignments = _read_csv(out_dir / "assignments.csv", _ASSIGNMENT_TYPES)
    _same_ids(assignments, "patient_id", orphans.patient_id, out_dir / "assignments.csv")
    per_physician = _read_csv(out_dir / "physicians.csv", _PHYSICIAN_TYPES)
    _same_ids(per_physician, "physician_id", physicians.physician_id, out_dir / "physicians.csv")

    physician_of = _physician_index(assignments.column("physician_id"), physicians)
    if np.any(physician_of == -2):
        row = int(np.argmax(physician_of == -2)) + 1
        raise PanelcareError(
            f"{out_dir / 'assignments.csv'}, row {row}: a physician_id not in the physicians"
        )
    distance = assignment_km(physicians, orphans, physician_of)
    goals = targets(physicians, params, run_date)
    return Plan(
        physicians=physicians,
        orphans=orphans,
        targets=goals,
        params=params,
        run_date=run_date,
        candidates=plan_candidates(physicians, goals, orphans, params),
        physician_of=physician_of,
        distance_km=distance,
        le304=_numpy(pc.fill_null(assignments.column("le304"), False)).astype(bool),
        month=_numpy(pc.fill_null(assignments.column("month"), 0)).astype(np.int64),
        vulnerable_quota=_numpy(per_physician.column("vulnerable_quota")).astype(np.int64),
        monthly_pace=_numpy(per_physician.column("monthly_pace")).astype(np.int64),
    )


# --------------------------------------------------------------------------- writing


def read_plan_patients(
    out_dir: Path, *, physician_id: str | None = None, unassigned: bool = False
) -> pa.Table:
    """The plan's patients in waiting-list order (priority, request date, patient id),
    read from two files of the plan's folder only (not the whole plan: a page of a
    province's plan is read in a fraction of a second).

    Args:
        out_dir: a plan's folder (:func:`write_plan`).
        physician_id: only this physician's patients, when given.
        unassigned: only the patients without a physician.

    Returns:
        Columns ``patient_id``, ``priority`` (A to E), ``requested_on``,
        ``physician_id`` (null when unassigned), ``distance_km``, ``month``, ``le304``.

    Raises:
        PanelcareError: a file is missing or unreadable.
    """
    out_dir = Path(out_dir)
    path = out_dir / "inputs" / "orphans.parquet"
    try:
        orphans = pq.ParquetFile(path).read(columns=["patient_id", "priority", "requested_on"])
    except (OSError, pa.ArrowException) as error:
        raise PanelcareError(f"{path}: cannot read it: {error}") from None
    # Both files are in the orphans' order (write_plan): row for row, no join.
    assignments = _read_csv(out_dir / "assignments.csv", _ASSIGNMENT_TYPES)
    table = pa.table(
        {
            "patient_id": assignments.column("patient_id"),
            "priority": orphans.column("priority"),
            "requested_on": orphans.column("requested_on"),
            **{name: assignments.column(name) for name in ASSIGNMENT_COLUMNS[1:]},
        }
    )
    if physician_id:
        table = table.filter(pc.equal(table.column("physician_id"), physician_id))
    if unassigned:
        table = table.filter(pc.is_null(table.column("physician_id")))
    return table.sort_by(
        [("priority", "ascending"), ("requested_on", "ascending"), ("patient_id", "ascending")]
    )


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Rename ``staging`` to ``out_dir``; a previous plan there is set aside first and
    deleted once the new one is in place (put back if the rename fails)."""
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        # rename(2) replaces an empty folder.
        os.rename(staging, out_dir)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
    os.rename(out_dir, aside)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        os.rename(aside, out_dir)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _write_csv(table: pa.Table, path: Path) -> None:
    # The contract's CSV: a header, strings in double quotes, true/false, empty for null.
    pacsv.write_csv(table, path)


def _write_json(data: Any, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _run_facts(plan: Plan) -> dict[str, Any]:
    from panelcare import __version__

    return {"run_date": plan.run_date.isoformat(), "panelcare_version": __version__}


def _dates(values: np.ndarray) -> pa.Array:
    days = np.asarray(values, dtype="datetime64[D]")
    return pa.array(days, type=pa.date32(), mask=np.isnat(days))


def _text(values: np.ndarray, empty_is_null: bool = False) -> pa.Array:
    array = pa.array(values, type=pa.string())
    if empty_is_null:
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    return array


def _physicians_arrow(physicians: Physicians) -> pa.Table:
    """The physicians as the data contract's table (empty cells as nulls)."""
    return pa.table(
        {
            "physician_id": _text(physicians.physician_id),
            "name": _text(physicians.name),
            "rls_id": _text(physicians.rls_id),
            "site_id": _text(physicians.site_id),
            "latitude": pa.array(physicians.latitude, type=pa.float64()),
            "longitude": pa.array(physicians.longitude, type=pa.float64()),
            "registered": pa.array(physicians.registered, type=pa.int64()),
            "vulnerable": pa.array(physicians.vulnerable, type=pa.int64()),
            "practice_start": _dates(physicians.practice_start),
            "birth_year": pa.array(physicians.birth_year, type=pa.int64()),
            "amp_target": pa.array(
                physicians.amp_target, type=pa.int64(), mask=physicians.amp_target < 0
            ),
            "other_units": pa.array(physicians.other_units, type=pa.float64()),
            "mode": _text(physicians.mode),
            "previous_assiduity": pa.array(
                np.nan_to_num(physicians.previous_assiduity),
                type=pa.float64(),
                mask=np.isnan(physicians.previous_assiduity),
            ),
            "departing_on": _dates(physicians.departing_on),
            # The optional column of the GMF targets (issue 19), "" for none.
            "gmf_id": _text(physicians.gmf_id),
        }
    )


def _orphans_arrow(orphans: Orphans) -> pa.Table:
    """The orphans as the data contract's ``waitlist`` table (empty cells as nulls)."""
    return pa.table(
        {
            "patient_id": _text(orphans.patient_id),
            "rls_id": _text(orphans.rls_id),
            "latitude": pa.array(orphans.latitude, type=pa.float64()),
            "longitude": pa.array(orphans.longitude, type=pa.float64()),
            "priority": pa.DictionaryArray.from_arrays(
                pa.array(orphans.priority.astype(np.int8)), pa.array(PRIORITIES)
            ).cast(pa.string()),
            "vulnerable": pa.array(orphans.vulnerable, type=pa.bool_()),
            "requested_on": _dates(orphans.requested_on),
            "category": _text(orphans.category, empty_is_null=True),
            "previous_physician_id": _text(orphans.previous_physician_id, empty_is_null=True),
        }
    )


# --------------------------------------------------------------------------- reading

_ASSIGNMENT_TYPES = {
    "patient_id": pa.string(),
    "physician_id": pa.string(),
    "distance_km": pa.float64(),
    "month": pa.int64(),
    "le304": pa.bool_(),
}
_PHYSICIAN_TYPES = {
    "physician_id": pa.string(),
    "monthly_pace": pa.int64(),
    "vulnerable_quota": pa.int64(),
}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PanelcareError(f"{path}: cannot read it: {error}") from None


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.ParquetFile(path).read()
    except (OSError, pa.ArrowException) as error:
        raise PanelcareError(f"{path}: cannot read it: {error}") from None


def _read_csv(path: Path, types: dict[str, pa.DataType]) -> pa.Table:
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=list(types),
                # An empty cell is null; "" quoted would be an empty string.
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except (OSError, pa.ArrowException) as error:
        raise PanelcareError(f"{path}: cannot read it: {error}") from None
    return table


def _same_ids(table: pa.Table, column: str, ids: np.ndarray, path: Path) -> None:
    written = table.column(column).to_pylist()
    if written != ids.tolist():
        raise PanelcareError(
            f"{path}: its {column} column does not match the saved inputs "
            "(the folder was edited or mixes two plans)"
        )


def _physician_index(ids: pa.ChunkedArray, physicians: Physicians) -> np.ndarray:
    """Each row's physician index; -1 for an empty cell, -2 for an unknown id."""
    found = pc.index_in(ids, value_set=pa.array(physicians.physician_id, type=pa.string()))
    index = _numpy(pc.fill_null(found, -2)).astype(np.int64)
    index[_numpy(pc.is_null(ids)).astype(bool)] = -1
    return index


def _numpy(values: Any) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return np.asarray(values.to_numpy(zero_copy_only=False))


def _strings(column: pa.ChunkedArray) -> np.ndarray:
    """Text as an object array of ``str`` (null as ``""``); a column with few distinct
    values (rls_id, category) shares one ``str`` per value."""
    filled = pc.fill_null(column, "").combine_chunks()
    encoded = pc.dictionary_encode(filled)
    if len(encoded.dictionary) * 2 > len(filled):
        return _objects(filled.to_pylist())
    return _objects(encoded.dictionary.to_pylist())[_numpy(encoded.indices).astype(np.int64)]


def _objects(words: list[str]) -> np.ndarray:
    array = np.empty(len(words), dtype=object)
    array[:] = words
    return array


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    return _numpy(pc.fill_null(pc.cast(column, pa.float64()), np.nan)).astype(np.float64)


def _day_array(column: pa.ChunkedArray) -> np.ndarray:
    return _numpy(column).astype("datetime64[D]")


def _physicians_from(table: pa.Table) -> Physicians:
    c = table.column
    return Physicians(
        physician_id=_strings(c("physician_id")),
        name=_strings(c("name")),
        rls_id=_strings(c("rls_id")),
        site_id=_strings(c("site_id")),
        latitude=_floats(c("latitude")),
        longitude=_floats(c("longitude")),
        registered=_numpy(c("registered")).astype(np.int64),
        vulnerable=_numpy(c("vulnerable")).astype(np.int64),
        practice_start=_day_array(c("practice_start")),
        birth_year=_numpy(c("birth_year")).astype(np.int64),
        amp_target=_numpy(pc.fill_null(c("amp_target"), -1)).astype(np.int64),
        other_units=_floats(c("other_units")),
        mode=_strings(c("mode")),
        previous_assiduity=_floats(c("previous_assiduity")),
        departing_on=_day_array(c("departing_on")),
        # A plan written before the GMF targets has no such column: nobody in a GMF.
        gmf_id=_strings(c("gmf_id")) if "gmf_id" in table.column_names else np.empty(0, object),
    )


def _orphans_from(table: pa.Table) -> Orphans:
    c = table.column
    priority = pc.index_in(c("priority"), value_set=pa.array(PRIORITIES))
    return Orphans(
        patient_id=_strings(c("patient_id")),
        rls_id=_strings(c("rls_id")),
        latitude=_floats(c("latitude")),
        longitude=_floats(c("longitude")),
        priority=_numpy(pc.fill_null(priority, 0)).astype(np.int8),
        vulnerable=_numpy(pc.fill_null(c("vulnerable"), False)).astype(bool),
        requested_on=_day_array(c("requested_on")),
        category=_strings(c("category")),
        previous_physician_id=_strings(c("previous_physician_id")),
    )
