"""Checking a file before it becomes a version: every cell, the importer's scope, the keys
kept outside the scope, and what it would change (the preview). Writes nothing.

A file replaces the rows of the importer's scope (a CML's RLS, or the whole region for the
DRMG) and nothing else; or, for a kind that is ``appendable`` (the visits) imported with
the mode ``add``, it is added to the rows in force, a row of the same key replaced (a
month of visits added to the year). It is all or nothing: one wrong cell, one row outside
the scope, or one row whose key is a row's kept outside the scope (another RLS's) refuses
the whole file. Every step is vectorised (:mod:`panelcare.attribution.tables`), never row by row.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.utils.translation import gettext as _

from panelcare.attribution import tables
from panelcare.attribution.io import XlsxLimits
from panelcare.attribution.tables import (
    BATCH_ROWS,
    Changes,
    Problem,
    Restriction,
    Rows,
    TableProblems,
    canonical,
    check_contract_file,
    compare_tables,
)
from web.errors import disk_full_guard
from web.regions.models import Region, Rls
from web.tables.kinds import TableKind, get_kind
from web.tables.models import Dataset, data_dir
from web.tables.store import read_dataset

__all__ = [
    "EXAMPLES",
    "MAX_PROBLEMS",
    "Checked",
    "Progress",
    "base_versions",
    "check_file",
    "current_rows",
    "keys_taken",
    "scope_changed_since",
    "scope_values",
    "xlsx_limits",
]

MAX_PROBLEMS = 50
EXAMPLES = 10

Progress = Callable[[str, int, int], None]


@dataclass
class Checked:
    """What checking a file found: its rows (canonical) or its problems, and what it
    would change in the rows of the scope. ``base`` records the versions it was compared
    with (``version``, and ``<kind>_version`` of the kind its scope goes through:
    registrations are placed by the roster), for the write to refuse a stale preview.

    The checked rows are in the Parquet file ``path`` (the ``out`` given to
    :func:`check_file`), or held as ``table`` when no ``out`` was given; ``rows`` is how
    many."""

    table: pa.Table | None = None
    path: Path | None = None
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    changes: Changes | None = None
    base: dict[str, int] = field(default_factory=dict)
    scope_rows: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    # How the file was read (format; a CSV's encoding, delimiter, decimal separator):
    # Reading.as_dict(), empty when the file could not be opened.
    reading: dict[str, str] = field(default_factory=dict)
    # ImportMode: "replace" (the file replaces the rows of the scope) or "add" (its rows
    # are added to those in force). Added: ``changes`` counts the file's rows new
    # (``added``), replacing a row in force (``changed``) or identical to it
    # (``unchanged``), never ``removed``; ``kept`` the rows in force the file does not
    # name, which the next version keeps.
    mode: str = "replace"
    kept: int = 0
    # The first and last day of the file's rows (yyyy-mm-dd) in the kind's first date
    # column (the visits' visit_date), when it is added: the period the file covers.
    period: tuple[str, str] | None = None

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    @property
    def unchanged(self) -> bool:
        return self.changes is not None and not self.changes.any


def check_file(
    region: Region,
    kind: str,
    scope: list[str],
    path: Path,
    *,
    source_name: str | None = None,
    progress: Progress | None = None,
    out: Path | None = None,
    batch_rows: int = BATCH_ROWS,
    mode: str = "replace",
) -> Checked:
    """Read and check the file ``path`` as the table ``kind`` of ``region`` imported for
    ``scope`` (RLS codes; empty: the whole region), and compare it with the rows of the
    scope in the current version. Writes nothing.

    ``mode`` ``"add"`` (an ``appendable`` kind, for the whole region: the visits): the
    file's rows are checked the same way and compared with every row in force; the rows
    in force the file does not name are kept, not removed (:attr:`Checked.kept`), and
    the period the file covers is given (:attr:`Checked.period`).

    Every row must belong to the scope: its ``scope_column`` one of the scope's RLS (of
    the region's, for the whole region) or, for a kind placed through another
    (registrations, by their physician), one of that kind's keys of the scope's RLS in
    its current version. And no row's key may be a row's outside the scope, which the next
    version keeps: a CML cannot take another RLS's physician or patient by importing a
    copy of their row under their own RLS.

    The file is checked in batches of ``batch_rows`` rows and compared on disk
    (:func:`~panelcare.attribution.tables.check_contract_file`), in a memory that does not
    grow with the file; its checked rows are written to the Parquet file ``out`` (removed
    when the file is refused). Without ``out`` they are held in memory as
    ``Checked.table`` (the ``import_table`` command).

    Raises:
        DiskFull: the disk filled while writing the checked rows; ``out`` is removed.
        ValueError: ``mode`` ``"add"`` for a kind that is not appendable, or for an RLS.
    """
    if out is None:
        folder = data_dir() / "checks"
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".check-", dir=folder) as scratch:
            held = Path(scratch) / "checked.parquet"
            checked = check_file(
                region,
                kind,
                scope,
                path,
                source_name=source_name,
                progress=progress,
                out=held,
                batch_rows=batch_rows,
                mode=mode,
            )
            if not checked.refused:
                checked.table, checked.path = pq.ParquetFile(held).read(), None
            return checked
    table_kind = get_kind(kind)
    if mode == "add" and (scope or not table_kind.appendable):
        raise ValueError(f"rows of {kind} cannot be added for {scope or 'the region'}")
    report = progress or _ignore
    checked = Checked(path=out, mode=mode)
    started = time.perf_counter()
    checked.base = base_versions(region, kind)
    restrictions, values = _restrictions(region, table_kind, scope)
    name = source_name or path.name
    # The keys, DuckDB's spill: beside the checked rows, under the data folder.
    work_dir = out.parent
    try:
        with disk_full_guard(out):
            read = check_contract_file(
                path,
                table_kind.contract,
                out,
                name=name,
                max_problems=MAX_PROBLEMS,
                restrictions=restrictions,
                progress=report,
                xlsx_limits=xlsx_limits(),
                batch_rows=batch_rows,
                work_dir=work_dir,
            )
    except TableProblems as problems:
        checked.path = None
        checked.problems = problems.problems
        checked.problem_count = problems.count
        checked.reading = problems.reading.as_dict() if problems.reading else {}
        checked.seconds["checking"] = time.perf_counter() - started
        return checked
    checked.rows = read.rows
    checked.reading = read.reading.as_dict()
    current = Dataset.current(region, kind)
    inside = _scope_rows(kind, current, scope, values, inside=True)
    outside = _scope_rows(kind, current, scope, values, inside=False)
    if outside is not None:
        is_csv = path.suffix.lower() == ".csv"
        taken, count = keys_taken(region, kind, Rows(out), outside, name, is_csv, work_dir)
        if taken:
            out.unlink(missing_ok=True)
            checked.path = None
            checked.problems, checked.problem_count = taken, count
            checked.seconds["checking"] = time.perf_counter() - started
            return checked
    checked.seconds["checking"] = time.perf_counter() - started
    started = time.perf_counter()
    report("comparing", 0, read.rows)
    checked.changes = compare_tables(
        table_kind.contract, inside, Rows(out), examples=EXAMPLES, work_dir=work_dir
    )
    changes = checked.changes
    # Every row of the scope in force is removed, changed or unchanged (one per key).
    checked.scope_rows = changes.removed + changes.changed + changes.unchanged
    if mode == "add":
        _as_added(checked, table_kind, out)
    report("comparing", read.rows, read.rows)
    checked.seconds["comparing"] = time.perf_counter() - started
    return checked


def _as_added(checked: Checked, kind: TableKind, out: Path) -> None:
    """Turn the comparison of a file with every row in force (``checked.changes``, as if
    it replaced them) into what adding it does: the rows in force it does not name are
    kept, not removed; and give the period its rows cover."""
    changes = checked.changes
    assert changes is not None
    checked.kept = changes.removed
    checked.changes = Changes(
        added=changes.added,
        removed=0,
        changed=changes.changed,
        unchanged=changes.unchanged,
        examples={what: keys for what, keys in changes.examples.items() if what != "removed"},
        changed_columns=changes.changed_columns,
    )
    dated = [name for name, column in kind.contract.columns.items() if column.kind == "date"]
    if dated and checked.rows:
        days = pq.read_table(out, columns=dated[:1]).column(0)
        bounds = pc.min_max(days)
        first, last = bounds["min"].as_py(), bounds["max"].as_py()
        if first is not None and last is not None:
            checked.period = (first.isoformat(), last.isoformat())


def _scope_rows(
    kind: str, current: Dataset | None, scope: list[str], values: Collection[str], *, inside: bool
) -> Rows | None:
    """The rows of the version ``current`` (on disk) in the RLS ``scope`` (``inside``) or
    outside it, as :func:`in_scope` tells them; None before the first version, and for
    the rows outside the whole region (none)."""
    if current is None:
        return None
    table_kind = get_kind(kind)
    if not scope or table_kind.scope_column is None:
        return Rows(Path(current.path)) if inside else None
    allowed = values if table_kind.scope_through else scope
    return Rows(
        Path(current.path), column=table_kind.scope_column, values=frozenset(allowed), inside=inside
    )


def xlsx_limits() -> XlsxLimits:
    """What a spreadsheet may hold before it is parsed: the settings
    ``PANELCARE_IMPORT_XLSX_MAX_MB`` (uncompressed) and ``PANELCARE_IMPORT_XLSX_MAX_ROWS``."""
    return XlsxLimits(
        max_bytes=settings.PANELCARE_IMPORT_XLSX_MAX_MB * 1024 * 1024,
        max_rows=settings.PANELCARE_IMPORT_XLSX_MAX_ROWS,
    )


def base_versions(region: Region, kind: str) -> dict[str, int]:
    """The current version of ``kind`` (0 before the first) and of the kind its scope
    goes through: what a preview was computed on."""
    current = Dataset.current(region, kind)
    base = {"version": current.version if current else 0}
    through = get_kind(kind).scope_through
    if through:
        other = Dataset.current(region, through)
        base[f"{through}_version"] = other.version if other else 0
    return base


def scope_changed_since(
    region: Region, kind: str, scope: list[str], base: dict[str, int]
) -> Dataset | None:
    """The first version written after ``base`` (:func:`base_versions`, what a preview was
    computed on) that may have changed the rows of the RLS ``scope`` (empty: the whole
    region): a version of ``kind``, or of the kind its scope goes through, written for
    the whole region or for an RLS of ``scope``. None when every later version replaced
    only other RLS's rows: the rows the preview compared with are still those in force
    (the write merges the file with the current version's other rows, and checks the
    keys against them again)."""
    kinds = {"version": kind}
    through = get_kind(kind).scope_through
    if through:
        kinds[f"{through}_version"] = through
    wanted = set(scope)
    for field_name, name in kinds.items():
        later = Dataset.objects.filter(
            region=region, kind=name, version__gt=base.get(field_name, 0)
        ).order_by("version")
        for dataset in later:
            if not wanted or not dataset.scope or wanted & set(dataset.scope):
                return dataset
    return None


def _restrictions(
    region: Region, kind: TableKind, scope: list[str]
) -> tuple[list[Restriction], frozenset[str]]:
    """What the rows of an import for ``scope`` may hold, and the values of the scope
    column that place a row in the scope (for a kind placed through another)."""
    column = kind.scope_column
    if column is None:
        return [], frozenset()
    if kind.scope_through is None:
        if scope:
            where = f"the RLS of this import ({', '.join(scope)})"
            words = (("scope", "rls"), ("codes", ", ".join(scope)))
            return [Restriction(column, frozenset(scope), where, words)], frozenset()
        codes = frozenset(Rls.objects.filter(region=region).values_list("code", flat=True))
        where, words = (
            f"the RLS of region {region.code}",
            (("scope", "region"), ("region", region.code)),
        )
        return [Restriction(column, codes, where, words)], frozenset()
    if not scope:
        return [], frozenset()
    values = scope_values(region, kind.name, scope)
    # In English, like the engine's messages ("the physicians of RLS 0115 in the current
    # physicians table").
    through, listed = kind.scope_through, ", ".join(scope)
    where = f"the {through} of RLS {listed} in the current {through} table"
    words = (("scope", "through"), ("through", through), ("codes", listed))
    return [Restriction(column, values, where, words)], values


def scope_values(region: Region, kind: str, scope: list[str]) -> frozenset[str]:
    """For a kind placed through another (registrations, through the physicians): the
    keys of that kind's rows of the RLS ``scope`` in its current version (none before
    one). Empty for a kind placed by its own RLS column."""
    through = get_kind(kind).scope_through
    if not through or not scope:
        return frozenset()
    owner = get_kind(through)
    current = Dataset.current(region, through)
    if current is None or owner.scope_column is None:
        return frozenset()
    key = owner.keys[0]
    table = read_dataset(current, columns=[key, owner.scope_column])
    chosen = pc.is_in(table.column(owner.scope_column), value_set=pa.array(scope, pa.string()))
    return frozenset(table.column(key).filter(chosen).to_pylist())


def in_scope(
    kind: str, table: pa.Table, scope: Collection[str], values: Collection[str] = ()
) -> pa.Array | pa.ChunkedArray:
    """Which rows of a canonical ``table`` of ``kind`` belong to the RLS ``scope`` (a
    boolean array; every row for an empty scope, the whole region)."""
    table_kind = get_kind(kind)
    if not scope or table_kind.scope_column is None:
        return pa.array(np.ones(table.num_rows, dtype=bool))
    allowed = values if table_kind.scope_through else scope
    return pc.fill_null(
        pc.is_in(
            table.column(table_kind.scope_column),
            value_set=pa.array(sorted(allowed), pa.string()),
        ),
        False,
    )


def current_rows(
    region: Region, kind: str, scope: list[str], values: Collection[str]
) -> tuple[pa.Table | None, pa.Array | pa.ChunkedArray | None]:
    """The current version's rows (canonical) and which of them are the scope's (None,
    None before the first version)."""
    current = Dataset.current(region, kind)
    if current is None:
        return None, None
    table = canonical(get_kind(kind).contract, read_dataset(current))
    return table, in_scope(kind, table, scope, values)


def keys_taken(
    region: Region,
    kind: str,
    rows: pa.Table | Rows,
    outside: pa.Table | Rows,
    file: str,
    is_csv: bool,
    work_dir: Path | None = None,
) -> tuple[list[Problem], int]:
    """The rows of ``rows`` (canonical, in memory or on disk) whose key is the key of a
    row of ``outside`` (the rows outside the scope, which the next version keeps): up to
    MAX_PROBLEMS problems in file order, each naming the RLS the key belongs to, and how
    many rows in all. Merged, such a version would hold one physician or patient twice,
    under two RLS: the CML of one could then decide on, export and break the other's.
    Compared by DuckDB on disk (:func:`panelcare.attribution.tables.keys_taken`), spilling
    to ``work_dir`` (default: the system's temporary folder)."""
    table_kind = get_kind(kind)
    keys = list(table_kind.keys)
    if table_kind.scope_column is None:
        return [], 0
    if isinstance(rows, pa.Table) and rows.num_rows == 0:
        return [], 0
    if isinstance(outside, pa.Table) and outside.num_rows == 0:
        return [], 0
    through = table_kind.scope_through
    rls_of = None
    if through:
        # A registration's RLS is its physician's, in the roster.
        owner = get_kind(through)
        key, rls_column = owner.keys[0], owner.scope_column or "rls_id"
        current = Dataset.current(region, through)
        rls_of = (
            read_dataset(current, columns=[key, rls_column]).rename_columns(
                [table_kind.scope_column, "rls_id"]
            )
            if current is not None
            else pa.table(
                {
                    table_kind.scope_column: pa.array([], pa.string()),
                    "rls_id": pa.array([], pa.string()),
                }
            )
        )
    taken, count = tables.keys_taken(
        table_kind.contract,
        rows,
        outside,
        rls_column=table_kind.scope_column,
        rls_of=rls_of,
        limit=MAX_PROBLEMS,
        work_dir=work_dir,
    )
    # The column a problem points at: what places the row in an RLS (a registration is
    # its physician's), else the key.
    column = table_kind.scope_column if through else keys[0]
    problems = []
    for row, key_cells, rls in taken:
        value = " / ".join(str(cell) for cell in key_cells)
        words = {"key": ", ".join(keys), "value": value, "rls": rls}
        message = (
            _("%(key)s %(value)s already belongs to RLS %(rls)s")
            if rls
            else _("%(key)s %(value)s already belongs to another RLS")
        ) % words
        # The line as ContractTable counts it: a CSV's header is line 1; a spreadsheet's
        # lines (blank rows skipped) are not kept once the file is read.
        line = row + 1 if is_csv else None
        params = {"key": ", ".join(keys), "value": value, "rls": rls or ""}
        problems.append(Problem(file, row, column, line, message, "key_taken", params))
    return problems, count


def _ignore(phase: str, done: int, total: int) -> None:
    pass
