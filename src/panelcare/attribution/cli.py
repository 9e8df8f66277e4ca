"""``panelcare attribution ...``: plan the attribution of orphan patients, and explain it.

    panelcare attribution plan DATA_DIR --out OUT_DIR [--params run.toml]
                                        [--run-date 2026-01-15] [--population population.csv]
    panelcare attribution explain OUT_DIR --patient P000123 [--json]
    panelcare attribution explain OUT_DIR --physician D00042 [--json]

Thin on purpose: reading is ``io``'s, the parameters ``params``', the plan ``solve``'s, the
folder ``store``'s, the explanations ``explain``'s. A bad input, parameters or population
file prints ``error: <file>, row N (line L), column C: <message>`` on stderr and exits with
status 2, writing nothing (docs/attribution-cli.md).
"""

from __future__ import annotations

import csv
import datetime
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from panelcare.errors import PanelcareError

attribution_app = typer.Typer(
    help="The attribution of orphan patients (Vidons les guichets, DSP-PR-30042): plan, explain.",
    no_args_is_help=True,
)

# Population file: one row per RLS.
POPULATION_COLUMNS = ("rls_id", "population")


@attribution_app.command("plan")
def plan_command(
    data_dir: Annotated[
        Path,
        typer.Argument(
            help="Folder with physicians.csv|parquet and waitlist.csv|parquet (the data contract).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="The plan's folder to write (new, empty, or a previous plan's, replaced).",
            show_default=False,
        ),
    ],
    params: Annotated[
        Path | None,
        typer.Option(help="A TOML file over the default parameters (default_params.toml)."),
    ] = None,
    run_date: Annotated[
        str | None,
        typer.Option(help="The day the run is for, YYYY-MM-DD.", show_default="today"),
    ] = None,
    population: Annotated[
        Path | None,
        typer.Option(
            help="A CSV file rls_id,population: the summary then gives each RLS's "
            "projected registration rate."
        ),
    ] = None,
    milp_seconds: Annotated[
        float | None,
        typer.Option(
            help="A time limit for each mixed-integer solve (where the vulnerable cap binds "
            "or patients weigh differently): the plan is then not always proven optimal, "
            "and summary.json's optimality gives each level's value, bound and gap. "
            "Default: none without weights (exact), 2 s with them.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Plan the attribution of the waiting list's orphans and write it into OUT.

    Writes assignments.csv, physicians.csv, summary.json, letters.json and the run's inputs
    (docs/attribution-cli.md); all or nothing.
    """
    day = _run_date(run_date)
    started = time.perf_counter()
    with _errors_reported():
        from panelcare.attribution import solve
        from panelcare.attribution.io import read_inputs
        from panelcare.attribution.params import load_params
        from panelcare.attribution.store import check_out_dir, write_plan

        check_out_dir(out)
        loaded = load_params(params)
        residents = read_population(population) if population is not None else None
        with _Display() as display:
            with display.phase(f"reading {data_dir}"):
                physicians, waitlist = read_inputs(data_dir)
            _refuse_an_empty_roster(data_dir, len(physicians))
            result = solve.plan(
                physicians,
                waitlist,
                loaded,
                day,
                progress=display.progress,
                milp_seconds=milp_seconds,
            )
            with display.phase(f"writing {out}"):
                write_plan(result, out, residents)
    placed = int((result.physician_of >= 0).sum())
    total = len(result.orphans)
    if total == 0:
        # A plan of nobody is a true answer (an empty waiting list is the programme's
        # goal), not an error; but it replaced --out's previous plan: say why it is empty.
        waiting = _table_file(data_dir, "waitlist")
        typer.echo(
            f"warning: {waiting} has no patient: the plan assigns nobody"
            if len(waitlist) == 0
            else f"warning: no orphan among the {len(waitlist):,} patients of {waiting} "
            "(each has a physician who is not leaving): the plan assigns nobody",
            err=True,
        )
    typer.echo(
        f"{total:,} orphans, {placed:,} assigned, {total - placed:,} unassigned; "
        f"plan written to {out} in {time.perf_counter() - started:.1f} s"
    )
    short = [b for b in result.bounds if b.gap > 0]
    if short:
        # Said, not hidden in summary.json: the plan may not be the best one.
        typer.echo(
            "not proven optimal (a time limit stopped a mixed-integer solve): "
            + "; ".join(f"{b.level} {b.value:,.0f} (bound {b.bound:,.0f})" for b in short),
            err=True,
        )


@attribution_app.command()
def explain(
    out_dir: Annotated[
        Path, typer.Argument(help="A plan's folder (written by plan).", show_default=False)
    ],
    patient: Annotated[
        str | None, typer.Option(help="Explain this patient's assignment.", show_default=False)
    ] = None,
    physician: Annotated[
        str | None, typer.Option(help="Explain this physician's share.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
) -> None:
    """Explain a plan for one patient (where they go, who else was near) or one physician
    (target, capacity, candidates, what limited them)."""
    if (patient is None) == (physician is None):
        raise typer.BadParameter("give --patient ID or --physician ID (one of them)")
    with _errors_reported():
        from panelcare.attribution.explain import explain_patient, explain_physician
        from panelcare.attribution.store import read_plan

        plan = read_plan(out_dir)
        if patient is not None:
            data = explain_patient(plan, patient)
        else:
            data = explain_physician(plan, str(physician))
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    console = Console()
    if not console.is_terminal:
        # A pipe or a file gets whole rows, not cells wrapped to 80 columns.
        console = Console(width=160)
    if patient is not None:
        for table in _patient_tables(data):
            console.print(table)
    else:
        for table in _physician_tables(data):
            console.print(table)


# --------------------------------------------------------------------------- population


def read_population(path: Path) -> dict[str, int]:
    """Residents of each RLS from a CSV file with the columns ``rls_id,population``.

    Raises:
        AttributionInputError: the file cannot be read, lacks a column, repeats an RLS or
            holds an empty id or a population that is not a whole number of 0 or more
            (naming the row, its line and the column).
    """
    from panelcare.attribution.io import AttributionInputError

    name = Path(path).name
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise AttributionInputError(
            f"cannot read this CSV file: {reason or error}", file=name
        ) from None
    if not rows:
        raise AttributionInputError(
            "the file is empty: expected the header rls_id,population", file=name
        )
    header = rows[0]
    for column in POPULATION_COLUMNS:
        if column not in header:
            raise AttributionInputError(
                f"the file has no column {column} (its columns: {', '.join(header)})",
                file=name,
                column=column,
            )
    at = {column: header.index(column) for column in POPULATION_COLUMNS}
    result: dict[str, int] = {}
    for row_number, cells in enumerate(rows[1:], start=1):
        where: dict[str, Any] = {"file": name, "row": row_number, "line": row_number + 1}
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) != len(header):
            raise AttributionInputError(
                f"the row has {len(cells)} cells, the header {len(header)}", **where
            )
        rls = cells[at["rls_id"]].strip()
        count = cells[at["population"]].strip()
        if not rls:
            raise AttributionInputError("empty cell: expected an RLS id", column="rls_id", **where)
        if rls in result:
            raise AttributionInputError(f"duplicate rls_id {rls}", column="rls_id", **where)
        if not count.isdigit():
            raise AttributionInputError(
                f"expected a whole number of 0 or more, got {count!r}", column="population", **where
            )
        result[rls] = int(count)
    return result


# --------------------------------------------------------------------------- helpers


def _table_file(data_dir: Path, name: str) -> str:
    """The file name of table ``name`` in ``data_dir`` (``physicians.csv`` or
    ``physicians.parquet``; read_inputs has checked there is one)."""
    for suffix in (".csv", ".parquet"):
        if (Path(data_dir) / f"{name}{suffix}").is_file():
            return f"{name}{suffix}"
    return f"{name}.csv"


def _refuse_an_empty_roster(data_dir: Path, physicians: int) -> None:
    """A roster without a physician (a file holding its header only: a wrong export,
    more likely than a region without physicians) has nobody to assign the orphans to:
    planning would call every orphan unassigned, which says nothing about the region.

    Raises:
        AttributionInputError: ``physicians`` is 0, naming the file.
    """
    from panelcare.attribution.io import AttributionInputError

    if physicians == 0:
        raise AttributionInputError(
            "the roster has no physician (the file holds no row under its header): "
            "nobody to assign the orphans to; check the export",
            file=_table_file(data_dir, "physicians"),
        )


def _run_date(text: str | None) -> datetime.date:
    if text is None:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date YYYY-MM-DD", param_hint="--run-date"
        ) from None


@contextmanager
def _errors_reported() -> Iterator[None]:
    """The core's errors as ``error: <where>: <message>`` on stderr, exit status 2.

    Each error names its place itself: ``io.AttributionInputError`` as ``<file>, row N
    (line L), column C``, ``params.AttributionParamsError`` as ``<file>: <key>``.
    """
    try:
        yield
    except PanelcareError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


class _Display:
    """A Rich progress display on stderr: a spinner per phase of our own (reading,
    writing) and a bar per phase the solver reports through ``progress``."""

    def __init__(self) -> None:
        console = Console(stderr=True)
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            # Only on a terminal: a log file or a pipe gets the final summary line alone.
            disable=not console.is_terminal,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> _Display:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    @property
    def progress(self) -> Callable[[str, int, int], None]:
        return self._report

    def _report(self, phase: str, done: int, total: int) -> None:
        if phase not in self._tasks:
            self._tasks[phase] = self._bar.add_task(phase, total=max(total, 1))
        self._bar.update(self._tasks[phase], completed=done, total=max(total, 1))

    @contextmanager
    def phase(self, description: str) -> Iterator[None]:
        self._report(description, 0, 1)
        yield
        self._report(description, 1, 1)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key} {_cell(item)}" for key, item in value.items())
    return str(value)


def _facts(title: str, facts: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("fact")
    table.add_column("value")
    for key, value in facts.items():
        table.add_row(key.replace("_", " "), _cell(value))
    return table


def _patient_tables(data: dict[str, Any]) -> list[Table]:
    facts = {key: value for key, value in data.items() if key not in ("assignment", "considered")}
    assignment = data["assignment"]
    if assignment is None:
        facts["assigned to"] = "nobody"
    else:
        facts["assigned to"] = f"{assignment['physician_id']} ({assignment['name']})"
        facts.update({key: assignment[key] for key in ("distance_km", "month", "le304", "group")})
    considered = Table(title="Physicians near the patient, nearest first")
    for name, justify in (
        ("physician", "left"),
        ("name", "left"),
        ("rls", "left"),
        ("group", "left"),
        ("tier", "left"),
        ("km", "right"),
        ("candidate", "left"),
        ("assigned / capacity", "right"),
        ("outcome", "left"),
    ):
        considered.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in data["considered"]:
        considered.add_row(
            row["physician_id"],
            row["name"],
            row["rls_id"],
            row["group"],
            row["tier"],
            f"{row['distance_km']:.1f}",
            _cell(row["candidate"]),
            f"{row['assigned']:,} / {row['capacity']:,}",
            row["outcome"],
        )
    return [_facts(f"Patient {data['patient_id']}", facts), considered]


def _physician_tables(data: dict[str, Any]) -> list[Table]:
    facts = {key: value for key, value in data.items() if key != "why"}
    facts.update({f"why: {key}": value for key, value in data["why"].items()})
    return [_facts(f"Physician {data['physician_id']}", facts)]
