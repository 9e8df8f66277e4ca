"""Generate a whole dataset step by step and hand each step's rows to a sink.

A sink is either memory (:func:`region_tables`, for the web application's demo loader) or
files, one per table, CSV or Parquet (:func:`write_dataset`, for the CLI and benchmarks).
Both run the same steps, so the files of the region are exactly its in-memory tables.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from panelcare.synth.chunks import RESIDENT_BLOCK, Step, physician_chunk, resident_block
from panelcare.synth.scales import SCALES, Scale
from panelcare.synth.schemas import SCHEMAS, TABLES
from panelcare.synth.world import World, build_world

DEFAULT_SEED = 20261123
DEFAULT_AS_OF = datetime.date(2026, 11, 1)
FORMATS = ("csv", "parquet")

Progress = Callable[[int, int], None]
"""Called after each step with (steps done, total steps)."""

# Tables of the world: written once, before the patients.
_WORLD_TABLES = (
    "regions",
    "rls",
    "gmfs",
    "sites",
    "hospitals",
    "ips",
    "gmf_sites",
    "gmf_memberships",
    "practice_groups",
    "ips_partnerships",
    "service_agreements",
    "drmg_notices",
)


class Sink(Protocol):
    """Receives the rows of each table, step after step, in a fixed order."""

    def write(self, name: str, table: pa.Table) -> None: ...


def conform(name: str, table: pa.Table) -> pa.Table:
    """``table`` with exactly the columns and types of the schema of table ``name``.

    Raises:
        ValueError: when a column of the schema is missing (a bug of the generator).
    """
    schema = SCHEMAS[name]
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise ValueError(f"table {name} lacks columns {missing}")
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)


class MemorySink:
    """Keeps every table in memory; :meth:`tables` concatenates the steps."""

    def __init__(self) -> None:
        self._parts: dict[str, list[pa.Table]] = {name: [] for name in TABLES}

    def write(self, name: str, table: pa.Table) -> None:
        self._parts[name].append(table)

    def tables(self) -> dict[str, pa.Table]:
        """Every table, in the order of :data:`~panelcare.synth.schemas.TABLES`; tables
        no step wrote (``visits`` when skipped) are empty with their schema."""
        return {
            name: pa.concat_tables(parts) if parts else SCHEMAS[name].empty_table()
            for name, parts in self._parts.items()
        }


class FileSink:
    """Streams each table into ``DIR/<table>.csv`` or ``DIR/<table>.parquet``.

    One writer per table stays open across steps, so a table of 50 million rows is written
    without ever being held whole. Use as a context manager: leaving it closes the files
    and creates the (empty, with a header or schema) files of tables no step wrote.
    """

    def __init__(self, out_dir: Path, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        self.out_dir = out_dir
        self.fmt = fmt
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        self._writers: dict[str, pacsv.CSVWriter | pq.ParquetWriter] = {}

    def path(self, name: str) -> Path:
        return self.out_dir / f"{name}.{self.fmt}"

    def _writer(self, name: str) -> pacsv.CSVWriter | pq.ParquetWriter:
        writer = self._writers.get(name)
        if writer is None:
            schema = SCHEMAS[name]
            if self.fmt == "csv":
                writer = pacsv.CSVWriter(str(self.path(name)), schema)
            else:
                # zstd: a third smaller than snappy at about the same speed on these tables.
                writer = pq.ParquetWriter(str(self.path(name)), schema, compression="zstd")
            self._writers[name] = writer
        return writer

    def write(self, name: str, table: pa.Table) -> None:
        self._writer(name).write_table(table)
        self.rows[name] += table.num_rows

    def __enter__(self) -> FileSink:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for name in TABLES:
            if exc_type is None:
                self._writer(name)  # an empty table still gets its file
        for writer in self._writers.values():
            writer.close()


def _steps(world: World, physicians_per_chunk: int) -> Iterator[tuple[str, int, int]]:
    """The steps after the world: chunks of physicians, then blocks of residents."""
    for first in range(0, world.physicians, physicians_per_chunk):
        yield "physicians", first, min(world.physicians, first + physicians_per_chunk)
    for r in range(len(world.rls_ids)):
        for block in range(math.ceil(int(world.unregistered[r]) / RESIDENT_BLOCK)):
            yield "residents", r, block


def generate(
    sink: Sink,
    scale: str | Scale = "region",
    *,
    seed: int = DEFAULT_SEED,
    as_of: datetime.date = DEFAULT_AS_OF,
    progress: Progress | None = None,
    physicians_per_chunk: int | None = None,
    with_visits: bool = True,
) -> World:
    """Generate the dataset of ``scale`` into ``sink`` and return its world.

    Args:
        sink: receives each table's rows, step by step (see :class:`MemorySink`,
            :class:`FileSink`).
        scale: "tiny", "region" or "province", or a :class:`Scale`.
        seed: the same seed gives the same data, byte for byte.
        as_of: the day the data is current on: registrations in force, the waiting list,
            announced departures; visits cover the calendar year before it and, except at
            the province scale, its own year up to it.
        progress: called after each step with (steps done, total steps).
        physicians_per_chunk: physicians per step (memory); the output does not depend on it.
        with_visits: False skips the visits (the other tables do not change).

    Raises:
        ValueError: for an unknown scale or a chunk size below 1.
    """
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
        scale = SCALES[scale]
    per_chunk = physicians_per_chunk or scale.physicians_per_chunk
    if per_chunk < 1:
        raise ValueError("physicians_per_chunk must be at least 1")
    world = build_world(scale.geography(), scale, seed, as_of)
    steps = list(_steps(world, per_chunk))
    total = len(steps) + 1
    for name in _WORLD_TABLES:
        sink.write(name, conform(name, world.tables[name]))
    if progress:
        progress(1, total)
    visit_offset = 0
    for done, (kind, a, b) in enumerate(steps, start=2):
        step: Step
        if kind == "physicians":
            step = physician_chunk(world, a, b, visit_offset, with_visits)
        else:
            step = resident_block(world, a, b, visit_offset, with_visits)
        visit_offset += step.visits
        for name in TABLES:  # a fixed order, whatever the step produced first
            if name in step.tables:
                sink.write(name, conform(name, step.tables[name]))
        if progress:
            progress(done, total)
    return world


def region_tables(
    seed: int = DEFAULT_SEED,
    as_of: datetime.date = DEFAULT_AS_OF,
    *,
    scale: str = "region",
    with_visits: bool = True,
    progress: Progress | None = None,
) -> dict[str, pa.Table]:
    """The tables of the demo region (Bas-Saint-Laurent) in memory, by table name.

    These are exactly the tables :func:`write_dataset` writes for the same scale, seed and
    ``as_of``: the contract tables (physicians, waitlist, visits, registrations, gmf_sites,
    gmf_memberships, practice_groups, ips_partnerships, service_agreements, drmg_notices)
    and the reference tables (regions, rls, gmfs, sites, hospitals, ips, patients); see
    ``docs/data-contract.md``. ``scale`` may be "tiny" (2 RLS, 2,000 residents) for tests.
    ``with_visits=False`` leaves ``visits`` empty and saves most of the time and memory.

    Raises:
        ValueError: for a scale other than "region" or "tiny" (the province does not fit
            in memory: use :func:`write_dataset`).
    """
    if scale not in ("region", "tiny"):
        raise ValueError("region_tables serves the 'region' and 'tiny' scales only")
    sink = MemorySink()
    generate(sink, scale, seed=seed, as_of=as_of, progress=progress, with_visits=with_visits)
    return sink.tables()


def steered_rates(
    seed: int = DEFAULT_SEED, as_of: datetime.date = DEFAULT_AS_OF, *, scale: str = "region"
) -> dict[str, float]:
    """The physicians whose visits ``scale`` steers to a set assiduity rate, with that rate
    (``Scale.steered_rates``; :data:`panelcare.synth.world.STEERED_RATES`): what a demo
    can rely on to show every tier. Builds the territory only, no patient.

    Raises:
        ValueError: for an unknown scale.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    chosen = SCALES[scale]
    world = build_world(chosen.geography(), chosen, seed, as_of)
    return {
        world.physician_ids[i]: float(world.steered_rate[i])
        for i in np.flatnonzero(~np.isnan(world.steered_rate))
    }


def tiny_region_tables(
    seed: int = DEFAULT_SEED,
    as_of: datetime.date = DEFAULT_AS_OF,
    *,
    with_visits: bool = True,
) -> dict[str, pa.Table]:
    """The tiny region (2 RLS, 10 physicians, 2,000 residents) in memory, for fast tests."""
    return region_tables(seed, as_of, scale="tiny", with_visits=with_visits)


def write_dataset(
    out_dir: str | Path,
    scale: str = "region",
    seed: int = DEFAULT_SEED,
    fmt: str | None = None,
    as_of: datetime.date = DEFAULT_AS_OF,
    progress: Progress | None = None,
    *,
    physicians_per_chunk: int | None = None,
    with_visits: bool = True,
) -> dict[str, int]:
    """Write every table of ``scale`` as ``out_dir/<table>.<fmt>`` and return rows per table.

    ``fmt`` is "csv" or "parquet"; by default CSV for "tiny" and "region", Parquet for
    "province". The province is streamed: each step (a chunk of physicians with their
    patients and visits, or a block of residents) is written and dropped before the next,
    so memory stays bounded whatever the scale. CSV files have a header row, ISO dates,
    ``true``/``false`` booleans and an empty cell for a null.

    Raises:
        ValueError: for an unknown scale or format.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    with FileSink(Path(out_dir), fmt or SCALES[scale].default_format) as sink:
        generate(
            sink,
            scale,
            seed=seed,
            as_of=as_of,
            progress=progress,
            physicians_per_chunk=physicians_per_chunk,
            with_visits=with_visits,
        )
    return dict(sink.rows)
