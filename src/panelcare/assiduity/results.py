"""Results kept per physician: computed once for a year, then read one physician at a time.

A physician's page (rate, summary by reason, monthly chart, first page of visits) must
answer in well under a second at province scale (10,000 physicians, 50 million visits),
where :func:`~panelcare.assiduity.explain.explain_physician` re-reads the whole year
(about 9.5 s). :func:`write_results` classifies every visit of the year once and keeps,
in one folder, what the pages read::

    out_dir/
        rates.parquet      one row per physician, compute.RATE_COLUMNS, by physician_id
        visits.parquet     every (physician, visit) row of every explanation: physician_id,
                           explain.EXPLANATION_COLUMNS and provider_category, sorted by
                           (physician_id, visit_date, visit_id), in small row groups
        summaries.parquet  each physician's reason_summary rows: physician_id and
                           explain.SUMMARY_COLUMNS, by physician_id then the summary's order
        monthly.parquet    physician_id, month (1 to 12), counted_visits, assiduous_visits:
                           twelve rows per physician
        index.parquet      physician_id, first_row, rows: where a physician's rows are in
                           visits.parquet (the layout's version in the file's metadata)

The readers (:func:`read_rates`, :func:`read_physician_visits`,
:func:`count_physician_visits`, :func:`read_summary`, :func:`read_monthly`) look the
physician up in the index and read only the row groups of ``visits.parquet`` that hold
the rows asked for (at province scale a page reads about 4 MB of a 375 MB file, most of
it the file's footer: 0.1 to 0.2 s). A physician the results do not list gets empty
tables, not an error.

The folder is written all or nothing: the files go to a staging folder beside
``out_dir``, renamed to ``out_dir`` once every file is complete.

    con = connect()
    tables = open_tables(Path("data"), con)
    info = write_results(tables, 2025, load_rules(), con, Path("results/2025"))
    visits = read_physician_visits(Path("results/2025"), "D00042", limit=50)
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset  # read_table's filters need it: imported once, not by a first read
import pyarrow.parquet as pq

from panelcare.assiduity.compute import (
    RATE_COLUMNS,
    REASONS,
    classify,
    outcome_rows,
    rates_from_counts,
)
from panelcare.assiduity.explain import (
    EXPLANATION_COLUMNS,
    SUMMARY_COLUMNS,
    provider_category,
    ranked_summary,
)
from panelcare.assiduity.rules import Rules
from panelcare.assiduity.tables import AssiduityTables
from panelcare.errors import PanelcareError

__all__ = [
    "LAYOUT_VERSION",
    "MONTHLY_COLUMNS",
    "RESULT_FILES",
    "ResultsError",
    "ResultsInfo",
    "count_physician_visits",
    "read_monthly",
    "read_physician_visits",
    "read_rates",
    "read_summaries",
    "read_summary",
    "results_year",
    "write_results",
]

RATES, VISITS, SUMMARIES, MONTHLY, INDEX = (
    "rates.parquet",
    "visits.parquet",
    "summaries.parquet",
    "monthly.parquet",
    "index.parquet",
)
RESULT_FILES = (RATES, VISITS, SUMMARIES, MONTHLY, INDEX)
MONTHLY_COLUMNS = ("month", "counted_visits", "assiduous_visits")
# Bumped when the files change shape: a folder of another layout is refused, not misread.
LAYOUT_VERSION = "1"
_LAYOUT_KEY = b"panelcare.assiduity.results.layout"
_YEAR_KEY = b"panelcare.assiduity.results.year"

# Rows per row group of visits.parquet, at most; groups are cut between physicians (see
# _row_group_cuts). A physician has about 4,600 rows at province scale: one group holds
# them and a few neighbours'. Smaller groups grow the footer (an entry per group and
# column, parsed by every read: 2.9 MB, about 0.08 s, for the province's 3,322 groups);
# larger ones make a page decode more of other physicians' rows (docs/assiduity.md).
VISITS_ROW_GROUP_ROWS = 16_384
# summaries and monthly: a few tens of rows per physician, read through the groups'
# statistics on physician_id.
SMALL_ROW_GROUP_ROWS = 8_192
_COMPRESSION = "zstd"

_VISIT_SCHEMA = pa.schema(
    [
        ("visit_id", pa.string()),
        ("patient_id", pa.string()),
        ("provider_id", pa.string()),
        ("counted", pa.bool_()),
        ("assiduous", pa.bool_()),
        ("reason", pa.string()),
        ("visit_date", pa.date32()),
        ("site_id", pa.string()),
        ("setting", pa.string()),
    ]
)
_SUMMARY_SCHEMA = pa.schema(
    [
        ("reason", pa.string()),
        ("provider_category", pa.string()),
        ("counted", pa.bool_()),
        ("assiduous", pa.bool_()),
        ("visits", pa.int64()),
    ]
)
_MONTHLY_SCHEMA = pa.schema(
    [("month", pa.int32()), ("counted_visits", pa.int64()), ("assiduous_visits", pa.int64())]
)
_INDEX_SCHEMA = pa.schema(
    [("physician_id", pa.string()), ("first_row", pa.int64()), ("rows", pa.int64())]
)
_PHYSICIAN_ID = pa.field("physician_id", pa.string())
_CATEGORY = pa.field("provider_category", pa.string())
# The files' schemas: physician_id first (visits.parquet also keeps each row's provider
# category, from which the summaries are counted).
_STORED_VISIT_SCHEMA = pa.schema([_PHYSICIAN_ID, *_VISIT_SCHEMA, _CATEGORY])
_STORED_SUMMARY_SCHEMA = pa.schema([_PHYSICIAN_ID, *_SUMMARY_SCHEMA])
_STORED_MONTHLY_SCHEMA = pa.schema([_PHYSICIAN_ID, *_MONTHLY_SCHEMA])
assert tuple(_VISIT_SCHEMA.names) == EXPLANATION_COLUMNS
assert tuple(_SUMMARY_SCHEMA.names) == SUMMARY_COLUMNS
assert tuple(_MONTHLY_SCHEMA.names) == MONTHLY_COLUMNS

# progress(step, done, total): called before each step of write_results and at the end.
Progress = Callable[[str, int, int], None]
_STEPS = ("rates", "visits", "summaries", "monthly", "index")


class ResultsError(PanelcareError):
    """A results folder cannot be written (``out_dir`` holds other files, its parent does
    not exist, the disk is full...) or read (it holds no results, or results of another
    layout). ``folder`` is the folder at fault."""

    def __init__(self, message: str, *, folder: Path) -> None:
        self.message = message
        self.folder = folder
        super().__init__(f"{folder}: {message}")


@dataclass(frozen=True)
class ResultsInfo:
    """What :func:`write_results` wrote: the year, the physicians of ``rates.parquet``,
    the rows of ``visits.parquet`` and the time it took, in seconds."""

    year: int
    physicians: int
    visits: int
    seconds: float


# --------------------------------------------------------------------------- writing


def write_results(
    tables: AssiduityTables,
    year: int,
    rules: Rules,
    con: Any,
    out_dir: Path,
    *,
    progress: Progress | None = None,
) -> ResultsInfo:
    """Compute every physician's rate and explanation for ``year`` and keep them in ``out_dir``.

    The files are those of the module's docstring. ``rates.parquet`` holds the rows of
    :func:`~panelcare.assiduity.compute.physician_rates`; ``visits.parquet`` the rows of
    :func:`~panelcare.assiduity.explain.explain_physician` of every physician (a pregnancy
    follow-up of another physician's patient is in both physicians' rows), sorted by
    physician, visit date and visit id; ``summaries.parquet`` the rows of
    :func:`~panelcare.assiduity.explain.reason_summary` of every physician;
    ``monthly.parquet`` twelve rows per physician (of the rates or of the visits).

    Args:
        tables: the inputs, on ``con`` (:func:`~panelcare.assiduity.io.open_tables`, or
            in-memory tables).
        year: the calendar year.
        rules: the rules (:func:`~panelcare.assiduity.rules.load_rules`).
        con: the Ibis DuckDB backend that runs the queries and writes the files.
        out_dir: the folder to create; it must not exist or be empty, and its parent must
            exist. Written all or nothing: a staging folder beside it is renamed to it once
            every file is complete, and removed on any error.
        progress: called as ``progress(step, done, total)`` before each step (``rates``,
            ``visits``, ``summaries``, ``monthly``, ``index``) and once at the end with
            ``done == total``.

    Returns:
        A :class:`ResultsInfo`.

    Raises:
        ResultsError: ``out_dir`` is not empty, its parent does not exist, or a file
            cannot be written (then nothing is left behind).
        AssiduityRulesError: the rules have no progression scale for ``year``.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    _check_out_dir(out_dir)
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".staging", dir=out_dir.parent)
        )
    except OSError as error:
        raise ResultsError(
            f"cannot create a staging folder beside it: {error.strerror or error}", folder=out_dir
        ) from None
    try:
        physicians, visits = _write_files(tables, year, rules, con, staging, progress)
        # The folder is renamed onto out_dir (an empty folder is replaced): out_dir only
        # ever holds complete results.
        os.replace(staging, out_dir)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise ResultsError(
            f"cannot write the results: {error.strerror or error}", folder=out_dir
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if progress:
        progress("done", len(_STEPS), len(_STEPS))
    return ResultsInfo(year, physicians, visits, time.perf_counter() - started)


def _check_out_dir(out_dir: Path) -> None:
    if not out_dir.parent.is_dir():
        raise ResultsError("its parent folder does not exist", folder=out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ResultsError(
            "already exists and is not an empty folder: results are written to a new folder",
            folder=out_dir,
        )


def _write_files(
    tables: AssiduityTables,
    year: int,
    rules: Rules,
    con: Any,
    folder: Path,
    progress: Progress | None,
) -> tuple[int, int]:
    """Write the five files into ``folder``; returns (physicians, visit rows).

    The year's visits are classified once, into a DuckDB temporary table; everything
    else (the rates' counts, the explanation rows, the summaries and months) is read
    from it (see :class:`Scratch`)."""

    def step(name: str) -> None:
        if progress:
            progress(name, _STEPS.index(name), len(_STEPS))

    step("rates")
    rules.scale_for(year)  # refused before the classification runs
    with Scratch(con) as scratch:
        outcomes = scratch.classify(tables, year, rules)
        # Per physician: the explanation rows (to cut the buckets) and the counts.
        per_physician = scratch.table(
            "per_physician",
            f"SELECT physician_id, count(*) AS rows, "
            f"count(*) FILTER (WHERE counted) AS counted_visits, "
            f"count(*) FILTER (WHERE assiduous) AS assiduous_visits "
            f"FROM {outcomes} GROUP BY physician_id",
        )
        counts = con.table(per_physician)
        counts = counts.filter(counts.counted_visits > 0)
        expr = rates_from_counts(tables, year, rules, counts).select(*RATE_COLUMNS)
        # Cast to the expression's types (DuckDB's sums are HUGEINT, its float literals
        # DECIMAL): the file has physician_rates' types exactly.
        rates = con.to_pyarrow(expr.order_by("physician_id"))
        _write_table(rates, folder / RATES)

        step("visits")
        sizes = con.con.sql(f"SELECT physician_id, rows FROM {per_physician}").to_arrow_table()
        index = _write_visits(con, outcomes, folder, sizes)

        # The summaries and the months are counted in one scan of the explanation rows,
        # by physician, month, reason and provider category: a few hundred thousand
        # rows, from which both files are made.
        step("summaries")
        counted = ibis.memtable(con.to_pyarrow(_counts(con.table(outcomes))))
        summaries = con.to_pyarrow(_summaries(counted)).cast(_STORED_SUMMARY_SCHEMA)
        _write_table(summaries, folder / SUMMARIES)

        step("monthly")
        physicians = pa.concat_arrays(
            [rates["physician_id"].combine_chunks(), index["physician_id"].combine_chunks()]
        )
        monthly = _monthly(con.to_pyarrow(_monthly_counts(counted)), pc.unique(physicians))
        _write_table(monthly, folder / MONTHLY)

    step("index")
    metadata = {_LAYOUT_KEY: LAYOUT_VERSION.encode(), _YEAR_KEY: str(year).encode()}
    _write_table(index.replace_schema_metadata(metadata), folder / INDEX)
    return rates.num_rows, int(pc.sum(index["rows"]).as_py() or 0)


class Scratch:
    """DuckDB temporary tables and views of one :func:`write_results`, dropped on leaving.

    :meth:`classify` runs :func:`~panelcare.assiduity.compute.classify` once into a
    temporary table (one row per visit of a registered patient: at 2 M visits it stays
    in memory; at province scale DuckDB spills what exceeds its memory limit to its
    temporary folder) and returns a view of its explanation rows
    (:func:`~panelcare.assiduity.compute.outcome_rows`: the union of two scans of the
    table, where the same union over the classification's query would run the
    classification twice)."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.prefix = f"_panelcare_results_{next(_SCRATCH_NUMBERS)}_{os.getpid()}"
        self.made: list[tuple[str, str]] = []

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        for kind, name in reversed(self.made):
            self.con.raw_sql(f"DROP {kind} IF EXISTS {name}")

    def table(self, name: str, query: str | ir.Table) -> str:
        """A temporary table of ``query`` (SQL, or an Ibis expression: its in-memory
        tables are then registered first)."""
        full = f"{self.prefix}_{name}"
        self.made.append(("TABLE", full))
        if isinstance(query, str):
            self.con.raw_sql(f"CREATE TEMP TABLE {full} AS {query}")
        else:
            self.con.create_table(full, query, temp=True)
        return full

    def view(self, name: str, sql: str) -> str:
        full = f"{self.prefix}_{name}"
        self.made.append(("VIEW", full))
        self.con.raw_sql(f"CREATE TEMP VIEW {full} AS {sql}")
        return full

    def classify(self, tables: AssiduityTables, year: int, rules: Rules) -> str:
        """The name of a view of the year's explanation rows: ``physician_id`` (the row's
        physician), the columns of :data:`EXPLANATION_COLUMNS` and ``provider_category``."""
        classified = self.table("classified", _classified(tables, year, rules))
        part = self.con.table(classified)
        # One type for the reason's code and the pregnancy code, united by outcome_rows.
        part = part.mutate(
            reason_code=part.reason_code.cast("int8"),
            pregnancy_code=part.pregnancy_code.cast("int8"),
        )
        rows = outcome_rows(part).select(*_STORED_VISIT_SCHEMA.names)
        return self.view("outcomes", _sql(rows))


_SCRATCH_NUMBERS = itertools.count()


def _sql(expr: ir.Table) -> str:
    return str(ibis.to_sql(expr, dialect="duckdb"))


def _write_visits(con: Any, outcomes: str, folder: Path, sizes: pa.Table) -> pa.Table:
    """Write visits.parquet from the view ``outcomes``, sorted by physician, visit date
    and visit id; return the index.

    ``sizes`` (physician_id, rows) cuts the physicians into buckets of consecutive
    physicians of at most ``_ROWS_PER_BUCKET`` rows (one bucket up to 3 million rows: a
    region's year is one sorted query). With several buckets (a province's 44 million
    rows: one DuckDB sort of all of them, with its 2 GB limit, spills most of them and
    took six minutes), the rows are first copied, unsorted, into a scratch folder
    partitioned by bucket (lz4, cheaper to write than zstd), and each bucket is then
    sorted in memory and appended to the file.
    """
    columns = ", ".join(f'"{name}"' for name in _STORED_VISIT_SCHEMA.names)
    order = "ORDER BY physician_id, visit_date, visit_id"
    bounds = _bucket_bounds(sizes)
    parts = folder / "_buckets"
    if not bounds:
        queries = [f"SELECT {columns} FROM {outcomes} {order}"]
    else:
        bucket = _bucket_sql("physician_id", bounds)
        con.raw_sql(
            f"COPY (SELECT {columns}, {bucket} AS bucket FROM {outcomes}) TO "
            f"{_quoted(str(parts))} (FORMAT parquet, PARTITION_BY (bucket), COMPRESSION lz4)"
        )
        queries = [
            f"SELECT {columns} FROM read_parquet({_quoted(str(part / '*.parquet'))}, "
            f"hive_partitioning = false) {order}"
            for part in (parts / f"bucket={number}" for number in range(len(bounds) + 1))
            if part.exists()  # DuckDB writes no file for a bucket without rows
        ]

    first_row = 0
    index: list[pa.Table] = []
    with pq.ParquetWriter(
        folder / VISITS,
        _STORED_VISIT_SCHEMA,
        compression=_COMPRESSION,
        # The readers find rows through the index: statistics only for physician_id keep
        # the footer (an entry per row group and column) small to read.
        write_statistics=["physician_id"],
    ) as writer:
        for query in queries:
            sorted_rows = con.con.sql(query).to_arrow_table().cast(_STORED_VISIT_SCHEMA)
            if not sorted_rows.num_rows:
                continue
            runs = _runs(sorted_rows["physician_id"])
            # One write per row group, cut between physicians where possible.
            cuts = _row_group_cuts(runs["end"].to_numpy(), VISITS_ROW_GROUP_ROWS)
            for start, stop in itertools.pairwise(cuts):
                writer.write_table(
                    sorted_rows.slice(start, stop - start), row_group_size=VISITS_ROW_GROUP_ROWS
                )
            index.append(
                pa.table(
                    {
                        "physician_id": runs["physician_id"],
                        "first_row": pc.add(runs["start"], first_row),
                        "rows": pc.subtract(runs["end"], runs["start"]),
                    }
                )
            )
            first_row += sorted_rows.num_rows
    shutil.rmtree(parts, ignore_errors=True)
    result = pa.concat_tables(index) if index else _INDEX_SCHEMA.empty_table()
    return result.cast(_INDEX_SCHEMA)


def _classified(tables: AssiduityTables, year: int, rules: Rules) -> ir.Table:
    """The year's visits of registered patients, classified, with what the explanation
    rows need: the columns of :data:`EXPLANATION_COLUMNS` but the reason's, the codes of
    :func:`~panelcare.assiduity.compute.classify` and the provider category (of the
    registering physician's row; a pregnancy row is never ``other_provider``)."""
    classified = classify(tables, year, rules, detail=True)
    # A patient registered with nobody is nobody's explanation (and gives no pregnancy row).
    classified = classified.filter(classified.physician_id.notnull())
    return classified.select(
        "physician_id",
        "visit_id",
        "patient_id",
        "provider_id",
        "visit_date",
        "site_id",
        "setting",
        "reason_code",
        "pregnancy_code",
        provider_category=_category(classified, rules),
    )


def _category(classified: ir.Table, rules: Rules) -> ir.StringValue:
    """The provider category of :func:`~panelcare.assiduity.explain.reason_summary` for the
    registering physician's row (null for every reason but ``other_provider``)."""
    return provider_category(classified, rules, classified.reason_code == _OTHER_PROVIDER)


_OTHER_PROVIDER = REASONS.index("other_provider")
# Rows per bucket of _write_visits, at most (unless one physician has more): a bucket is
# sorted by DuckDB in memory (3 million rows take about 0.6 GB).
_ROWS_PER_BUCKET = 3_000_000
# Physicians per bucket, at most (None: no limit); the tests make it small.
_PHYSICIANS_PER_BUCKET: int | None = None


def _bucket_bounds(sizes: pa.Table) -> list[str]:
    """The first physician id of each bucket but the first: the physicians of ``sizes``
    (physician_id, rows) in id order, a new bucket started where the current one would
    exceed ``_ROWS_PER_BUCKET`` rows or ``_PHYSICIANS_PER_BUCKET`` physicians."""
    ordered = sizes.sort_by("physician_id")
    bounds: list[str] = []
    rows = physicians = 0
    for physician, count in zip(
        ordered["physician_id"].to_pylist(), ordered["rows"].to_pylist(), strict=True
    ):
        full = physicians > 0 and (
            rows + count > _ROWS_PER_BUCKET
            or (_PHYSICIANS_PER_BUCKET is not None and physicians >= _PHYSICIANS_PER_BUCKET)
        )
        if full:
            bounds.append(physician)
            rows = physicians = 0
        rows += count
        physicians += 1
    return bounds


def _bucket_sql(column: str, bounds: list[str]) -> str:
    """How many of the sorted ``bounds`` are at or before ``column``: a binary search
    written as nested cases (log2 of the buckets comparisons per row)."""

    def search(low: int, high: int) -> str:
        # The answer is in [low, high].
        if low == high:
            return str(low)
        middle = (low + high) // 2
        return (
            f"CASE WHEN {column} < {_quoted(bounds[middle])} THEN {search(low, middle)} "
            f"ELSE {search(middle + 1, high)} END"
        )

    return search(0, len(bounds))


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _runs(physician_ids: pa.ChunkedArray) -> pa.Table:
    """physician_id, start, end (exclusive): the run of rows of each physician in a sorted
    column."""
    runs = pc.run_end_encode(physician_ids.combine_chunks())
    ends = runs.run_ends.to_numpy().astype(np.int64)
    starts = np.concatenate(([0], ends[:-1]))
    return pa.table({"physician_id": runs.values, "start": starts, "end": ends})


def _row_group_cuts(ends: np.ndarray, limit: int) -> list[int]:
    """Where to cut rows ``[0, ends[-1])`` into row groups of at most ``limit`` rows, never
    inside a physician's run (``ends``: where each run ends) unless the run alone is longer
    than ``limit``: then it fills whole groups. A physician with at most ``limit`` rows
    is then read from a single row group."""
    cuts = [0]
    previous = 0
    for end in (int(end) for end in ends):
        if end - cuts[-1] > limit and previous > cuts[-1]:
            cuts.append(previous)
        while end - cuts[-1] > limit:
            cuts.append(cuts[-1] + limit)
        previous = end
    if previous > cuts[-1]:
        cuts.append(previous)
    return cuts


def _write_table(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, row_group_size=SMALL_ROW_GROUP_ROWS, compression=_COMPRESSION)


def _counts(visits: ir.Table) -> ir.Table:
    """The explanation rows counted by physician, month, reason and provider category."""
    return visits.group_by(
        [
            "physician_id",
            visits.visit_date.month().cast("int32").name("month"),
            "reason",
            "provider_category",
        ]
    ).aggregate(
        visits=visits.count(),
        counted_visits=visits.counted.cast("int64").sum(),
        assiduous_visits=visits.assiduous.cast("int64").sum(),
    )


def _summaries(counts: ir.Table) -> ir.Table:
    """reason_summary's rows for every physician (see its docstring for the order)."""
    summary = counts.group_by(["physician_id", "reason", "provider_category"]).aggregate(
        visits=counts.visits.sum()
    )
    summary = ranked_summary(summary)
    summary = summary.mutate(visits=summary.visits.cast("int64"))
    return summary.order_by(["physician_id", "rank"]).select("physician_id", *SUMMARY_COLUMNS)


def _monthly_counts(counts: ir.Table) -> ir.Table:
    return counts.group_by(["physician_id", "month"]).aggregate(
        counted_visits=counts.counted_visits.sum().cast("int64"),
        assiduous_visits=counts.assiduous_visits.sum().cast("int64"),
    )


def _monthly(counts: pa.Table, physicians: pa.Array) -> pa.Table:
    """Twelve rows per physician of ``physicians`` (sorted here), zero for a month without
    any visit; ``counts`` has physician_id, month and the two counts."""
    ids = pc.sort_indices(physicians)
    grid = pa.table(
        {
            "physician_id": pc.take(physicians, ids).to_numpy(zero_copy_only=False).repeat(12),
            "month": np.tile(np.arange(1, 13, dtype=np.int32), len(physicians)),
        }
    )
    joined = grid.join(counts, ["physician_id", "month"], join_type="left outer")
    joined = joined.sort_by([("physician_id", "ascending"), ("month", "ascending")])
    return pa.table(
        {
            "physician_id": joined["physician_id"],
            "month": joined["month"],
            "counted_visits": pc.fill_null(joined["counted_visits"], 0),
            "assiduous_visits": pc.fill_null(joined["assiduous_visits"], 0),
        }
    ).cast(_STORED_MONTHLY_SCHEMA)


# --------------------------------------------------------------------------- reading


def read_rates(out_dir: Path) -> pa.Table:
    """Every physician's row of ``rates.parquet`` (:data:`compute.RATE_COLUMNS`), by
    physician_id.

    Raises:
        ResultsError: ``out_dir`` holds no results of this layout.
    """
    return pq.read_table(_checked(out_dir) / RATES)


def read_physician_visits(
    out_dir: Path,
    physician_id: str,
    *,
    offset: int = 0,
    limit: int | None = None,
    reasons: Collection[str] | None = None,
) -> pa.Table:
    """``physician_id``'s explanation rows (:data:`explain.EXPLANATION_COLUMNS`), ordered by
    visit date and visit id, as :func:`~panelcare.assiduity.explain.explain_physician`
    gives them.

    Args:
        out_dir: a folder written by :func:`write_results`.
        physician_id: the physician; one the results do not list gets an empty table.
        offset: rows to skip (after the reason filter).
        limit: at most this many rows; ``None``: all of them.
        reasons: keep only the rows of these reason codes (``None``: every reason).

    Raises:
        ResultsError: ``out_dir`` holds no results of this layout.
        ValueError: a negative ``offset`` or ``limit``.
    """
    if offset < 0 or (limit is not None and limit < 0):
        raise ValueError("offset and limit must not be negative")
    first, rows = _span(out_dir, physician_id)
    if reasons is None:
        start = first + min(offset, rows)
        stop = first + rows if limit is None else min(first + rows, start + limit)
        return _read_rows(Path(out_dir) / VISITS, start, stop)
    wanted = pa.array(sorted(set(reasons)), pa.string())
    table = _read_rows(Path(out_dir) / VISITS, first, first + rows)
    table = table.filter(pc.is_in(table["reason"], value_set=wanted))
    return table.slice(offset, limit)


def count_physician_visits(
    out_dir: Path, physician_id: str, *, reasons: Collection[str] | None = None
) -> int:
    """How many rows :func:`read_physician_visits` has for ``physician_id`` (and
    ``reasons``), without reading them: from the index, or the physician's summary.

    Raises:
        ResultsError: ``out_dir`` holds no results of this layout.
    """
    if reasons is None:
        return _span(out_dir, physician_id)[1]
    summary = read_summary(out_dir, physician_id)
    wanted = pa.array(sorted(set(reasons)), pa.string())
    picked = summary.filter(pc.is_in(summary["reason"], value_set=wanted))
    return int(pc.sum(picked["visits"]).as_py() or 0)


def read_summary(out_dir: Path, physician_id: str) -> pa.Table:
    """``physician_id``'s rows of :func:`~panelcare.assiduity.explain.reason_summary`
    (:data:`explain.SUMMARY_COLUMNS`), in its order; empty for a physician the results
    do not list.

    Raises:
        ResultsError: ``out_dir`` holds no results of this layout.
    """
    return _rows_of(_checked(out_dir) / SUMMARIES, physician_id, _SUMMARY_SCHEMA)


def read_summaries(out_dir: Path, physician_ids: Collection[str]) -> pa.Table:
    """The :func:`read_summary` rows of each of ``physician_ids``, with ``physician_id``
    first, in one read (a list of a thousand physicians, the paritary committee's, reads
    the file once instead of a thousand times: 0.06 s against 2.4 s at 2 M visits).

    Raises:
        ResultsError: ``out_dir`` holds no results of this layout.
    """
    path = _checked(out_dir) / SUMMARIES
    if not physician_ids:
        return _STORED_SUMMARY_SCHEMA.empty_table()
    table = pq.read_table(
        path,
        columns=list(_STORED_SUMMARY_SCHEMA.names),
        filters=[("physician_id", "in", sorted(set(physician_ids)))],
    )
    return table.cast(_STORED_SUMMARY_SCHEMA)


def read_monthly(out_dir: Path, physician_id: str) -> pa.Table:
    """``physician_id``'s counted and assiduous visits per month (:data:`MONTHLY_COLUMNS`:
    month 1 to 12, all twelve); empty for a physician the results do not list.

    Raises:
        ResultsError: ``out_dir`` holds no results of this layout.
    """
    return _rows_of(_checked(out_dir) / MONTHLY, physician_id, _MONTHLY_SCHEMA)


def results_year(out_dir: Path) -> int:
    """The year the results of ``out_dir`` were computed for.

    Raises:
        ResultsError: ``out_dir`` holds no results of this layout.
    """
    metadata = pq.read_schema(_checked(out_dir) / INDEX).metadata or {}
    return int(metadata[_YEAR_KEY])


def _checked(out_dir: Path) -> Path:
    """``out_dir`` as a Path, once its index says it holds results of this layout (the
    index's footer only is read)."""
    out_dir = Path(out_dir)
    try:
        metadata = pq.read_schema(out_dir / INDEX).metadata or {}
    except FileNotFoundError:
        raise ResultsError(
            "holds no assiduity results (no index.parquet)", folder=out_dir
        ) from None
    if metadata.get(_LAYOUT_KEY) != LAYOUT_VERSION.encode():
        raise ResultsError(
            "holds assiduity results of another layout: compute them again", folder=out_dir
        )
    return out_dir


def _span(out_dir: Path, physician_id: str) -> tuple[int, int]:
    """(first row, rows) of ``physician_id`` in visits.parquet; (0, 0) when absent."""
    index = pq.read_table(_checked(out_dir) / INDEX)
    position = pc.index(index["physician_id"], pa.scalar(physician_id, pa.string())).as_py()
    if position < 0:
        return 0, 0
    return int(index["first_row"][position].as_py()), int(index["rows"][position].as_py())


def _read_rows(path: Path, start: int, stop: int) -> pa.Table:
    """Rows [start, stop) of visits.parquet (the explanation's columns), reading only the
    row groups that hold them."""
    if stop <= start:
        return _VISIT_SCHEMA.empty_table()
    with pq.ParquetFile(path) as parquet:
        metadata = parquet.metadata
        groups: list[int] = []
        first_of_groups = at = 0
        for group in range(metadata.num_row_groups):
            size = metadata.row_group(group).num_rows
            if at >= stop:
                break
            if start < at + size:
                if not groups:
                    first_of_groups = at
                groups.append(group)
            at += size
        table = parquet.read_row_groups(groups, columns=list(EXPLANATION_COLUMNS))
    return table.slice(start - first_of_groups, stop - start).cast(_VISIT_SCHEMA)


def _rows_of(path: Path, physician_id: str, schema: pa.Schema) -> pa.Table:
    """The rows of ``physician_id`` in a file sorted by physician_id (row groups whose
    statistics exclude the physician are not read)."""
    table = pq.read_table(
        path, columns=list(schema.names), filters=[("physician_id", "==", physician_id)]
    )
    return table.cast(schema)
