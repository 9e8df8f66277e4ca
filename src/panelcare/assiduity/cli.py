"""``panelcare assiduity ...``: the assiduity rate (taux d'assiduité) from a data folder.

    panelcare assiduity compute DATA_DIR --year 2025 --out rates.csv
    panelcare assiduity explain DATA_DIR --year 2025 --physician D00042 --out visits.csv

    # The year computed once, kept per physician; then each explanation reads its rows only:
    panelcare assiduity compute DATA_DIR --year 2025 --out rates.csv --results results/2025
    panelcare assiduity explain DATA_DIR --year 2025 --physician D00042 --out visits.csv \
        --results results/2025

Thin on purpose: the files are ``io``'s, the rules ``rules``', the computation
``compute``'s and ``explain``'s. A bad input file or rules file prints
``error: <file>, row N (line N+1), column C: <message>`` on stderr and exits with status 2,
leaving no output file; DuckDB's own failures (no disk left to spill to...) exit with 1.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from panelcare.assiduity.compute import RATE_COLUMNS
from panelcare.errors import InputError, PanelcareError

if TYPE_CHECKING:
    import pyarrow as pa

    from panelcare.assiduity.rules import Rules
    from panelcare.assiduity.tables import AssiduityTables

assiduity_app = typer.Typer(
    help="The assiduity rate (taux d'assiduité) of family physicians, EP 40 art. 15.",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path,
    typer.Argument(
        help="Folder with the contract's tables as NAME.csv or NAME.parquet "
        "(visits and registrations required).",
        show_default=False,
    ),
]
Year = Annotated[
    int, typer.Option(help="The calendar year to compute.", show_default=False, min=1900, max=9998)
]
Out = Annotated[Path, typer.Option(help="The CSV file to write.", show_default=False)]
RulesFile = Annotated[
    Path | None,
    typer.Option("--rules", help="A TOML file overriding the shipped rules (default_rules.toml)."),
]
ResultsDir = Annotated[
    Path | None,
    typer.Option(
        "--results",
        help="compute: also keep the year's results per physician in this new folder; "
        "explain: read the physician's rows from such a folder instead of the data.",
    ),
]
MemoryLimit = Annotated[
    str,
    typer.Option(help="DuckDB's memory limit; beyond it DuckDB spills to a temporary folder."),
]

_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)", re.IGNORECASE)


@assiduity_app.command()
def compute(
    data_dir: DataDir,
    year: Year,
    out: Out,
    rules: RulesFile = None,
    memory_limit: MemoryLimit = "2GB",
    results: ResultsDir = None,
) -> None:
    """Compute every physician's assiduity rate for YEAR and write them as CSV.

    One row per physician with a registered patient during the year or a pregnancy
    follow-up credited in it, in the spec's columns (docs/assiduity-cli.md). With
    --results, the year's explanations are also kept there, per physician, for `explain
    --results` (what the web app keeps for its pages).
    """
    _check_options(out, memory_limit, data_dir, rules)
    with _errors_reported():
        from panelcare.assiduity.compute import physician_rates
        from panelcare.assiduity.io import execute

        loaded = _load_rules(rules)
        with _Phases() as phases:
            tables, con = _open(phases, data_dir, loaded, memory_limit)
            if results is not None:
                from panelcare.assiduity.results import read_rates, write_results

                with phases.phase(f"computing {year} and keeping it in {results}"):
                    write_results(tables, year, loaded, con, results)
                    result = read_rates(results)
            else:
                with phases.phase(f"computing the rates of {year}"):
                    rates = physician_rates(tables, year, loaded)
                    expr = rates.select(*RATE_COLUMNS).order_by("physician_id")
                    result = execute(con, expr)
            with phases.phase(f"writing {out}"):
                _write(result, out)
        typer.echo(f"{result.num_rows:,} physicians written to {out} ({phases.summary()})")


@assiduity_app.command()
def explain(
    data_dir: DataDir,
    year: Year,
    physician: Annotated[str, typer.Option(help="The physician's id.", show_default=False)],
    out: Out,
    rules: RulesFile = None,
    memory_limit: MemoryLimit = "2GB",
    results: ResultsDir = None,
) -> None:
    """Write every visit of YEAR that touched PHYSICIAN's rate, with its reason, as CSV.

    The visits of the patients registered with the physician and the physician's own
    pregnancy follow-ups, one row each; prints how many went each way. With --results
    (a folder `compute --results` wrote for YEAR), the rows are read from there.
    """
    _check_options(out, memory_limit, data_dir, rules)
    if results is not None:
        _explain_from_results(results, year, physician, out)
        return
    with _errors_reported():
        from panelcare.assiduity.explain import explain_folder
        from panelcare.assiduity.io import DataFolder, connect

        loaded = _load_rules(rules)
        with _Phases() as phases:
            con = connect(memory_limit)
            with phases.phase(f"opening {data_dir}"):
                settings, provider_kinds = _vocabularies(loaded)
                folder = DataFolder(data_dir, con, settings=settings, provider_kinds=provider_kinds)
            # The rows the explanation reads are read and checked as it goes (decision
            # of issue 16): one phase.
            with phases.phase(f"explaining {physician}'s rate of {year}"):
                visits, summary = explain_folder(folder, year, physician, loaded)
            with phases.phase(f"writing {out}"):
                _write(visits, out)
        _report_explanation(visits, summary, year, physician, out, phases)


def _report_explanation(
    visits: pa.Table, summary: pa.Table, year: int, physician: str, out: Path, phases: _Phases
) -> None:
    """The summary table (or a warning when no visit touched the physician) and the
    line saying what was written, with the phases' times."""
    if visits.num_rows == 0:
        typer.echo(
            f"warning: no visit of {year} touched physician {physician}: no registered "
            "patient, no pregnancy follow-up (is the id right?)",
            err=True,
        )
    else:
        Console().print(_summary_table(summary, f"{physician}, {year}"))
    typer.echo(f"{visits.num_rows:,} visits written to {out} ({phases.summary()})")


def _explain_from_results(results: Path, year: int, physician: str, out: Path) -> None:
    """``explain`` from the results ``compute --results`` kept: the physician's rows only
    (a few MB of the folder at province scale), the same CSV and summary as from the data
    (tests/assiduity/test_cli.py compares them)."""
    with _errors_reported():
        from panelcare.assiduity.results import (
            read_physician_visits,
            read_summary,
            results_year,
        )

        with _Phases() as phases:
            with phases.phase(f"reading {physician}'s rows of {results}"):
                kept = results_year(results)
                if kept != year:
                    raise InputError(f"{results} holds the results of {kept}, not of {year}")
                visits = read_physician_visits(results, physician)
                summary = read_summary(results, physician)
            with phases.phase(f"writing {out}"):
                _write(visits, out)
        _report_explanation(visits, summary, year, physician, out, phases)


# --------------------------------------------------------------------------- helpers


def _check_options(out: Path, memory_limit: str, data_dir: Path, rules: Path | None) -> None:
    """Refuse bad options before reading anything (usage errors: exit status 2), among
    them an ``out`` that is one of the command's own inputs (as ``attribution plan``
    refuses to write into a folder that is not a plan's)."""
    if not _MEMORY.fullmatch(memory_limit.strip()):
        raise typer.BadParameter(
            f"{memory_limit!r} is not a size such as 2GB or 512MB", param_hint="--memory-limit"
        )
    if not out.parent.is_dir():
        raise typer.BadParameter(f"the folder {out.parent} does not exist", param_hint="--out")
    if out.is_dir():
        raise typer.BadParameter(f"{out} is a folder, not a file", param_hint="--out")
    overwritten = _input_at(out, data_dir, rules)
    if overwritten is not None:
        raise typer.BadParameter(
            f"{out} is {overwritten}, an input of this command: writing there would replace "
            "it; choose another file",
            param_hint="--out",
        )


def _input_at(out: Path, data_dir: Path, rules: Path | None) -> str | None:
    """What ``out`` would overwrite among the command's inputs (``the rules file``, or a
    table's file of ``data_dir``, there or not: a new ``visits.csv`` beside
    ``visits.parquet`` would make the folder unreadable), or None."""
    from panelcare.assiduity.contract import SCHEMAS

    inputs = {
        Path(data_dir) / f"{name}{suffix}": f"the {name} table's file"
        for name in SCHEMAS
        for suffix in (".csv", ".parquet")
    }
    if rules is not None:
        inputs[rules] = "the rules file"
    target = out.resolve()
    for path, what in inputs.items():
        if path.resolve() == target or (
            path.exists() and out.exists() and path.samefile(out)  # a link to it
        ):
            return what
    return None


def _load_rules(path: Path | None) -> Rules:
    from panelcare.assiduity.rules import load_rules

    return load_rules(path)


def _open(
    phases: _Phases, data_dir: Path, rules: Rules, memory_limit: str
) -> tuple[AssiduityTables, Any]:
    from panelcare.assiduity.io import connect, open_tables

    con = connect(memory_limit)
    with phases.phase(f"reading and checking {data_dir}"):
        settings, provider_kinds = _vocabularies(rules)
        tables = open_tables(data_dir, con, settings=settings, provider_kinds=provider_kinds)
    return tables, con


def _vocabularies(rules: Rules) -> tuple[list[str], list[str]]:
    """The words the visits' setting and provider_kind may hold: the contract's, and any
    a rules file makes eligible."""
    from panelcare.assiduity.io import PROVIDER_KINDS, SETTINGS

    return (
        [*SETTINGS, *sorted(rules.eligible_settings - set(SETTINGS))],
        [*PROVIDER_KINDS, *sorted(rules.eligible_provider_kinds - set(PROVIDER_KINDS))],
    )


def _write(table: pa.Table, out: Path) -> None:
    from panelcare.assiduity.io import write_csv_atomically

    try:
        write_csv_atomically(table, out)
    except OSError as error:
        raise PanelcareError(f"cannot write {out}: {error.strerror or error}") from None


def _summary_table(summary: pa.Table, title: str) -> Table:
    import pyarrow as pa

    table = Table(title=title)
    for field in summary.schema:
        numeric = pa.types.is_integer(field.type) or pa.types.is_floating(field.type)
        table.add_column(field.name.replace("_", " "), justify="right" if numeric else "left")
    for row in summary.to_pylist():
        table.add_row(*(_cell(value) for value in row.values()))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def describe(error: PanelcareError) -> str:
    """The one-line message of an error: ``<file>, row N (line N+1), column C: message``.

    A CSV file's line is given when the error knows the row (the header is line 1).
    """
    if (
        isinstance(error, InputError)
        and error.line is None
        and error.row is not None
        and (error.file or "").endswith(".csv")
    ):
        where = [str(error.file), f"row {error.row} (line {error.row + 1})"]
        if error.column is not None:
            where.append(f"column {error.column}")
        return f"{', '.join(where)}: {error.message}"
    return str(error)


@contextmanager
def _errors_reported() -> Iterator[None]:
    """Turn the core's errors into ``error: ...`` on stderr and exit status 2; DuckDB's own
    failures (out of disk for spilling, ...) into exit status 1."""
    try:
        yield
    except PanelcareError as error:
        typer.echo(f"error: {describe(error)}", err=True)
        raise typer.Exit(2) from None
    except Exception as error:
        if type(error).__module__.partition(".")[0] not in ("duckdb", "_duckdb"):
            raise
        typer.echo(f"error: DuckDB: {str(error).strip().splitlines()[0]}", err=True)
        raise typer.Exit(1) from None


class _Phases:
    """A Rich progress display of the command's phases, a spinner and elapsed time each
    (DuckDB's queries give no finer progress), and their durations for the summary."""

    def __init__(self) -> None:
        self.durations: dict[str, float] = {}
        console = Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            # Only on a terminal: a log file or a pipe gets the final summary line alone.
            disable=not console.is_terminal,
        )

    def __enter__(self) -> _Phases:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    @contextmanager
    def phase(self, description: str) -> Iterator[None]:
        task = self._progress.add_task(description, total=1)
        started = time.perf_counter()
        yield
        self.durations[description.split(" ")[0]] = time.perf_counter() - started
        self._progress.update(task, completed=1)

    def summary(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.durations.items())
