"""An import's problems and how its file was read, said in the interface's language.

The core (:mod:`panelcare.attribution.tables`) says each problem in English and names it
with a ``code`` and ``params`` (:class:`~panelcare.errors.InputError`); here each code has
its whole sentence in gettext, with named placeholders (:data:`PROBLEM_CODES`: every code
the core and the import's checks give; ``web/tables/tests/test_problem_codes.py`` checks
each is said in French). A problem without a code (an import failed on an internal error,
stored in the server's language) or with one unknown here (a stored problem of an older
release) keeps its stored message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

__all__ = ["PROBLEM_CODES", "problem_text", "reading_text"]


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
    words = {"key": params["key"], "value": params["value"], "row": params["row"]}
    if "," in params["key"]:  # a key of several columns: their cells joined by " / "
        return (
            _("The row for %(key)s %(value)s is already on row %(row)s: each appears once.") % words
        )
    return _("%(key)s %(value)s is already on row %(row)s: each appears once.") % words


def _month_not_first_day(params: Mapping[str, str]) -> str:
    return _("A month is given by its first day (yyyy-mm-01): “%(value)s” should be %(first)s.") % {
        "value": params["value"],
        "first": params["first"],
    }


def _no_indicator(params: Mapping[str, str]) -> str:
    return _("No indicator on this row: give a value in at least one of %(columns)s.") % {
        "columns": params["columns"]
    }


def _file_unreadable(params: Mapping[str, str]) -> str:
    formats = {"csv": "CSV", "parquet": "Parquet", "xlsx": "XLSX"}
    return _(
        "This %(format)s file cannot be read: it may be damaged or of another format. Save "
        "it again from the spreadsheet (CSV, XLSX or Parquet) and import it again."
    ) % {"format": formats.get(params.get("format", ""), "")}


def _empty_file(params: Mapping[str, str]) -> str:
    return _("The file is empty: its first row must name the columns.")


def _duplicate_column(params: Mapping[str, str]) -> str:
    return _("The header names column %(column)s twice: each column appears once.") % {
        "column": params["column"]
    }


def _uneven_row(params: Mapping[str, str]) -> str:
    return _(
        "This row has %(cells)s cells, the header %(width)s: every row has as many cells as "
        "the header (check the separators and the quotes)."
    ) % {"cells": params["cells"], "width": params["width"]}


def _wrong_column_type(params: Mapping[str, str]) -> str:
    text = _("This column holds values of type %(type)s: expected %(expected)s.") % {
        "type": params["type"],
        "expected": _expected(params),
    }
    if params["kind"] == "text":
        text += " " + _("An id is written as text, which keeps its leading zeros.")
    return text


def _vulnerable_above_registered(params: Mapping[str, str]) -> str:
    return _(
        "%(vulnerable)s vulnerable patients but %(registered)s registered: the vulnerable "
        "patients are at most the registered ones."
    ) % {"vulnerable": params["vulnerable"], "registered": params["registered"]}


def _end_before_start(params: Mapping[str, str]) -> str:
    return _(
        "The end_date %(end)s is before the start_date %(start)s: expected an end_date on or "
        "after the start_date, or an empty cell."
    ) % {"end": params["end"], "start": params["start"]}


def _overlapping_registration(params: Mapping[str, str]) -> str:
    return _(
        "The registration of patient %(patient)s (%(period)s) overlaps the one on row "
        "%(row)s (%(other_period)s): a patient has at most one registration on a given day "
        "(end_date is the first day out of force)."
    ) % {
        "patient": params["key"],
        "period": _period(params["start"], params["end"]),
        "row": params["other_row"],
        "other_period": _period(params["other_start"], params["other_end"]),
    }


def _overlapping_membership(params: Mapping[str, str]) -> str:
    return _(
        "The membership of physician %(physician)s in %(gmf)s (%(period)s) overlaps the one "
        "in %(other_gmf)s on row %(row)s (%(other_period)s): a physician holds at most one "
        "GMF membership on any day (end_date is the first day out of force)."
    ) % {
        "physician": params["key"],
        "gmf": params["other"],
        "period": _period(params["start"], params["end"]),
        "other_gmf": params["other_other"],
        "row": params["other_row"],
        "other_period": _period(params["other_start"], params["other_end"]),
    }


def _outside_scope(params: Mapping[str, str]) -> str:
    words = {
        "column": params["column"],
        "value": params["value"],
        "codes": params.get("codes", ""),
        "region": params.get("region", ""),
    }
    scope = params["scope"]
    if scope == "rls":
        return _("%(column)s %(value)s is outside the RLS of this import (%(codes)s).") % words
    if scope == "region":
        return _("%(column)s %(value)s is not an RLS of region %(region)s.") % words
    return (
        _(
            "%(column)s %(value)s is not a physician of RLS %(codes)s in the physicians' "
            "roster in force."
        )
        % words
    )


def _key_taken(params: Mapping[str, str]) -> str:
    words = {"key": params["key"], "value": params["value"], "rls": params.get("rls", "")}
    if words["rls"]:
        return _("%(key)s %(value)s already belongs to RLS %(rls)s.") % words
    return _("%(key)s %(value)s already belongs to another RLS.") % words


def _period(start: str, end: str) -> str:
    """A period as the overlap sentences write it (an empty end: ongoing)."""
    if not end:
        return _("from %(start)s, ongoing") % {"start": start}
    return _("from %(start)s to %(end)s") % {"start": start, "end": end}


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


# Every code of a problem the core or the import's checks can give (a test checks that the
# sources name no other, and that each is said in French).
_MESSAGES: dict[str, Callable[[Mapping[str, str]], str]] = {
    "duplicate_column": _duplicate_column,
    "duplicate_key": _duplicate_key,
    "empty_cell": _empty_cell,
    "empty_file": _empty_file,
    "end_before_start": _end_before_start,
    "file_unreadable": _file_unreadable,
    "key_taken": _key_taken,
    "missing_column": _missing_column,
    "month_not_first_day": _month_not_first_day,
    "no_indicator": _no_indicator,
    "not_a_table": _not_a_table,
    "outside_scope": _outside_scope,
    "overlapping_membership": _overlapping_membership,
    "overlapping_registration": _overlapping_registration,
    "uneven_row": _uneven_row,
    "vulnerable_above_registered": _vulnerable_above_registered,
    "wrong_column_type": _wrong_column_type,
    "wrong_value": _wrong_value,
    "xlsx_too_big": _xlsx_too_big,
    "xlsx_too_many_rows": _xlsx_too_many_rows,
}
PROBLEM_CODES = frozenset(_MESSAGES)


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
