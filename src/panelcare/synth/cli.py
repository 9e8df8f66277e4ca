"""``panelcare synth DIR``: write a synthetic dataset as the data contracts' files."""

from __future__ import annotations

import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from panelcare.synth.dataset import DEFAULT_AS_OF, DEFAULT_SEED, write_dataset
from panelcare.synth.scales import SCALES


class ScaleName(StrEnum):
    tiny = "tiny"
    region = "region"
    province = "province"


class FormatName(StrEnum):
    csv = "csv"
    parquet = "parquet"


def synth(
    out_dir: Annotated[
        Path, typer.Argument(help="Directory to write the tables into (created if missing).")
    ],
    scale: Annotated[
        ScaleName,
        typer.Option(
            help="tiny (2 RLS, 2,000 residents), region (Bas-Saint-Laurent, 200,000) or "
            "province (10,000 physicians, 6.5 M registered, 50 M visits; streamed)."
        ),
    ] = ScaleName.region,
    seed: Annotated[int, typer.Option(help="The same seed writes the same files.")] = DEFAULT_SEED,
    fmt: Annotated[
        FormatName | None,
        typer.Option("--format", help="csv or parquet (default: csv; parquet for the province)."),
    ] = None,
    as_of: Annotated[
        str, typer.Option("--as-of", help="The day the data is current on (YYYY-MM-DD).")
    ] = DEFAULT_AS_OF.isoformat(),
) -> None:
    """Write a seeded synthetic dataset (physicians, waiting list, visits, ...) into DIR."""
    try:
        day = datetime.date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter(
            f"{as_of!r} is not a date YYYY-MM-DD", param_hint="--as-of"
        ) from None
    chosen = fmt.value if fmt else SCALES[scale.value].default_format
    console = Console()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"synth {scale.value}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        rows = write_dataset(
            out_dir, scale.value, seed=seed, fmt=chosen, as_of=day, progress=progress
        )

    summary = Table(
        title=f"{scale.value}, seed {seed}, as of {day}", caption=f"{chosen} files in {out_dir}"
    )
    summary.add_column("table")
    summary.add_column("rows", justify="right")
    for name, count in rows.items():
        summary.add_row(name, f"{count:,}")
    console.print(summary)
