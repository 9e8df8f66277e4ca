"""Data folders of the assiduity contract in other shapes than the generator's, for the benchmarks.

    .venv/bin/python bench/assiduity_shapes.py OUT --shape NAME [--from DIR]
                                               [--physicians N --visits N] [--seed S]

``panelcare synth`` writes the visits grouped by physician (a chunk of physicians after
another) and sorted by patient within a chunk, in row groups of its own size, with short
ids (``P0000123``). The computation must hold its speed on any file of the contract, so
:func:`write_shape` derives, from such a folder (``--from``, the small tables linked), a
folder whose visits and registrations have another layout:

* ``synth``: a copy of the generator's files, untouched (links);
* ``shuffled``: the visits and the registrations in random order (seeded), in DuckDB's
  default row groups (122,880 rows);
* ``shuffled-small-groups``: the same order, in row groups of 10,000 rows;
* ``shuffled-big-groups``: the same order, in row groups of 1,000,000 rows;
* ``by-date``: the visits by visit date (then visit id), as a billing extract comes, and
  the registrations by start date;
* ``long-ids``: shuffled, the patient ids as 17 characters ``Q`` and 16 hex digits and the
  visit ids as 32 hex digits (the same patient the same id in both tables).

``--physicians N --visits N`` (without ``--from``) first generates, into ``OUT.generated``
(kept: the shaped folder links to it), a province of ``N`` physicians with about ``N``
visits in its busiest year (``panelcare.synth.generate`` with the province's scale
resized: the registered patients and waiting list in proportion to the physicians, the
visits per person to reach the visits asked), then applies the shape: ``--physicians
2000 --visits 20000000 --shape shuffled`` is the "2,000 physicians, visits in no
particular order" of issue 16. ``--scale region --visits 2000000`` is the demo region
(245 physicians) with 2 million visits, the web computation's case.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

SHAPES = (
    "synth",
    "shuffled",
    "shuffled-small-groups",
    "shuffled-big-groups",
    "long-ids",
    "by-date",
)
# The tables a shape rewrites; the others are linked to the source's files.
_REWRITTEN = ("visits", "registrations")
_DEFAULT_GROUP = 122_880
_GROUPS = {"shuffled-small-groups": 10_000, "shuffled-big-groups": 1_000_000}
PROVINCE_VISITS = 49_500_000  # `panelcare synth --scale province`, in its busiest year
PROVINCE_POPULATION = 8_700_000  # the province's geography (panelcare.synth.scales)
REGION_POPULATION = 200_000  # the region's (Bas-Saint-Laurent)


def generate(
    out: Path, physicians: int | None, visits: int, seed: int, base: str = "province"
) -> None:
    """A data set of the ``base`` scale (``province`` or ``region``) with about ``visits``
    visits in its busiest year and, for the province, ``physicians`` physicians."""
    from panelcare.synth import SCALES, FileSink
    from panelcare.synth import generate as synth_generate

    scale = SCALES[base]
    population = PROVINCE_POPULATION if base == "province" else REGION_POPULATION
    if physicians is not None and physicians != scale.physicians:
        share = physicians / scale.physicians
        scale = dataclasses.replace(
            scale,
            name=f"{base}-{physicians}",
            physicians=physicians,
            registered=round(scale.registered * share),
            waitlist=round(scale.waitlist * share),
        )
    # Visits of a year: the registered patients' and the others' (the population stays
    # the geography's), scaled together to the visits asked.
    expected = (
        scale.registered * scale.visits_per_registered_year
        + (population - scale.registered) * scale.visits_per_unregistered_year
    )
    if not scale.visits_previous_year_only:  # from 1 January to as-of (1 November)
        expected *= 10 / 12
    factor = visits / expected
    scale = dataclasses.replace(
        scale,
        visits_per_registered_year=scale.visits_per_registered_year * factor,
        visits_per_unregistered_year=scale.visits_per_unregistered_year * factor,
    )
    out.mkdir(parents=True, exist_ok=True)
    with FileSink(out, "parquet") as sink:
        synth_generate(sink, scale, seed=seed)


def write_shape(source: Path, out: Path, shape: str, *, seed: int = 16) -> None:
    """Write ``source``'s tables into ``out`` in ``shape`` (see the module docstring):
    the visits and registrations rewritten, every other file linked."""
    import duckdb

    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; expected one of {', '.join(SHAPES)}")
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        name = path.name.split(".")[0]
        if path.suffix != ".parquet" or (shape != "synth" and name in _REWRITTEN):
            continue
        target = out / path.name
        target.unlink(missing_ok=True)
        os.symlink(path.resolve(), target)
    if shape == "synth":
        return
    con = duckdb.connect()
    con.execute("SET memory_limit = '8GB'")
    con.execute("SET preserve_insertion_order = true")
    group = _GROUPS.get(shape, _DEFAULT_GROUP)
    for name in _REWRITTEN:
        path = source / f"{name}.parquet"
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()]
        select = ", ".join(_column(shape, column) for column in columns)
        if shape == "by-date":
            order = "visit_date, visit_id" if name == "visits" else "start_date, patient_id"
            query = f"SELECT {select} FROM '{path}' ORDER BY {order}"
        else:
            # A seeded shuffle: ordered by a hash of the row's number and the seed.
            query = (
                f"SELECT {select} FROM (SELECT *, row_number() OVER () AS _n FROM '{path}') "
                f"ORDER BY hash(_n + {int(seed)})"
            )
        target = out / f"{name}.parquet"
        target.unlink(missing_ok=True)
        con.execute(
            f"COPY ({query}) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE {group}, "
            "COMPRESSION zstd)"
        )


def _column(shape: str, column: str) -> str:
    if shape == "long-ids" and column == "patient_id":
        return "'Q' || md5(patient_id)[:16] AS patient_id"
    if shape == "long-ids" and column == "visit_id":
        return "md5(visit_id) AS visit_id"
    return f'"{column}"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--shape", choices=SHAPES, default="shuffled")
    parser.add_argument("--from", dest="source", type=Path, help="a data folder to reshape")
    parser.add_argument("--physicians", type=int, help="generate a province of this many")
    parser.add_argument("--visits", type=int, help="... with about this many visits")
    parser.add_argument(
        "--scale",
        choices=("province", "region"),
        default="province",
        help="the generator's scale to resize (region: the demo region, 245 physicians)",
    )
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    if args.source is not None and (args.physicians or args.visits):
        parser.error("give --from DIR, or --physicians N and --visits N, not both")
    started = time.perf_counter()
    source = args.source
    if source is None:
        source = args.out.with_name(args.out.name + ".generated")
        generate(source, args.physicians, args.visits or PROVINCE_VISITS, args.seed, args.scale)
        print(f"generated {source} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    write_shape(source, args.out, args.shape, seed=args.seed)
    print(f"{args.out}: {args.shape} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
