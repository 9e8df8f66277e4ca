"""An import's problems and how its file was read, said in the interface's language.

The core (:mod:`panelcare.attribution.tables`) says each problem in English and names it
with a ``code`` and ``params`` (:class:`~panelcare.errors.InputError`); here each code has
its whole sentence in gettext, with named placeholders. A problem without a code (or with
one unknown here) keeps the core's English message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

__all__ = ["problem_text", "reading_text"]


def reading_text(reading: Mapping[str, str] | None) -> str:
    """How a CSV file was read ("File read as Windows-1252, semicolon separator, decimal
    comma."), or "" for another format or a file that could not be opened."""
    if not reading or reading.get("format") != "csv":
        return ""
    separators = {
        ",": _("comma separator"),
        ";": _("semicolon separator"),
        "\t": _("tab separator"),
    }
    decimal = _("decimal comma") if reading.get("decimal") == "," else _("decimal point")
    return _("File read as %(encoding)s, %(separator)s, %(decimal)s.") % {
        "encoding": reading.get("encoding", ""),
        "separator": separators.get(reading.get("delimiter", ","), ""),
        "decimal": decimal,
    }


def _not_a_table(params: Mapping[str, str]) -> str:
    return _(
        "This file cannot be read as a table: it is not a CSV text file. Save it from the "
        "spreadsheet as CSV (UTF-8 or Windows-1252, separated by commas, semicolons or "
        "tabs), XLSX or Parquet, and import it again."
    )


def _xlsx_too_big(params: Mapping[str, str]) -> str:
    return _(
        "This spreadsheet expands to %(size)s MiB, over the limit of %(limit)s MiB: save "
        "the table as CSV or Parquet, or split it."
    ) % {"size": _number(params["size"]), "limit": _number(params["limit"])}


def _xlsx_too_many_rows(params: Mapping[str, str]) -> str:
    return _(
        "This spreadsheet holds more than %(limit)s rows, the limit: save the table as CSV "
        "or Parquet, or split it."
    ) % {"limit": _number(params["limit"])}


def _missing_column(params: Mapping[str, str]) -> str:
    return _("The file has no column %(column)s; the expected columns are %(columns)s.") % {
        "column": params["column"],
        "columns": params["columns"],
    }


def _empty_cell(params: Mapping[str, str]) -> str:
    return _("Empty cell: expected %(expected)s.") % {"expected": _expected(params)}


def _wrong_value(params: Mapping[str, str]) -> str:
    return _("Expected %(expected)s, got “%(value)s”.") % {
        "expected": _expected(params),
        "value": params["value"],
    }


def _duplicate_key(params: Mapping[str, str]) -> str:
    return _("%(key)s %(value)s is already on row %(row)s: each appears once.") % {
        "key": params["key"],
        "value": params["value"],
        "row": params["row"],
    }


def _expected(params: Mapping[str, str]) -> str:
    """What a cell of a contract column holds (ContractColumn.expectation)."""
    kinds = {
        "text": _("a value"),
        "float": _("a number"),
        "int": _("a whole number"),
        "date": _("a date yyyy-mm-dd"),
        "bool": _("true or false"),
    }
    if params["kind"] == "choice":
        words = _("one of %(choices)s") % {"choices": params["choices"]}
    else:
        words = kinds[params["kind"]]
    low, high = params.get("low", ""), params.get("high", "")
    if low and high:
        words = _("%(what)s from %(low)s to %(high)s") % {"what": words, "low": low, "high": high}
    elif low:
        words = _("%(what)s of %(low)s or more") % {"what": words, "low": low}
    if params.get("optional"):
        words = _("%(what)s or an empty cell") % {"what": words}
    return words


def _number(text: str) -> str:
    return number_format(int(text), force_grouping=True)


_MESSAGES: dict[str, Callable[[Mapping[str, str]], str]] = {
    "duplicate_key": _duplicate_key,
    "empty_cell": _empty_cell,
    "missing_column": _missing_column,
    "not_a_table": _not_a_table,
    "wrong_value": _wrong_value,
    "xlsx_too_big": _xlsx_too_big,
    "xlsx_too_many_rows": _xlsx_too_many_rows,
}


def problem_text(problem: Mapping[str, Any]) -> str:
    """The message of ``problem`` (a stored problem: ``message``, ``code``, ``params``)
    in the active language."""
    message = _MESSAGES.get(problem.get("code") or "")
    if message is None:
        return str(problem.get("message", ""))
    try:
        return message(problem.get("params") or {})
    except (KeyError, TypeError, ValueError):  # a stored problem of an older shape
        return str(problem.get("message", ""))
