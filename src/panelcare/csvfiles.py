"""What both engines need of a data-contract CSV file before reading it: its header."""

from __future__ import annotations

import csv
from pathlib import Path

from panelcare.errors import InputError


def csv_header(path: Path, error: type[InputError] = InputError) -> list[str]:
    """The column names of the CSV file ``path`` (a byte-order mark is skipped).

    Raises ``error`` (an :class:`~panelcare.errors.InputError`, the engine's own kind)
    naming the file when it cannot be read, has no header row, or names a column twice.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as failure:
        raise error(f"cannot read this CSV file: {failure}", file=path.name) from None
    if not header:
        raise error(
            "the file is empty: expected a header row with the column names", file=path.name
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise error(f"the header names column {duplicates[0]} twice", file=path.name, line=1)
    return header
