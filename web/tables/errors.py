"""Errors of the imports, turned into messages by the views and the command.

TablesError (a web.errors.PanelcareError)
├── UploadRefused   not a table this user may import (unknown kind, not CSV/Parquet/XLSX)
├── ImportNotReady  the import is not in a state where this can be done
├── RemovalNotConfirmed  the import removes all or much of its scope, unconfirmed
└── StalePreview    the rows of the import's scope changed since the file was checked
    └── KeysTaken   rows to write have the key of a row kept outside the scope

ImportStopped (an Exception, not a TablesError: never shown to anyone) stops the worker of
an import cancelled, or failed as stalled, while it checks or applies the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from web.errors import PanelcareError

if TYPE_CHECKING:
    from panelcare.attribution.tables import Problem

__all__ = [
    "ImportNotReady",
    "ImportStopped",
    "KeysTaken",
    "RemovalNotConfirmed",
    "StalePreview",
    "TablesError",
    "UploadRefused",
]


class TablesError(PanelcareError):
    """Base class of the errors the table services raise on purpose; the message is
    translated and meant for the user. Nothing was written."""


class UploadRefused(TablesError):
    """The upload is not a table this user may import (unknown table, not a CSV, Parquet
    or XLSX file); nothing was written."""


class ImportNotReady(TablesError):
    """The import is not in a state where this can be done (apply a refused file, cancel
    an applied one); nothing was written."""


class ImportStopped(Exception):
    """The import being worked on is no longer in the status its worker works it in
    (CHECKING, APPLYING): cancelled (:func:`web.tables.services.do_cancel_import`) or
    failed as stalled (:func:`web.tables.services.do_fail_stalled_imports`). Raised by the
    task's progress report (:func:`web.tables.tasks._progress_of`) so that the worker
    stops where it is; the task catches it, writes nothing and removes the staged files.
    ``job_id`` is the import's."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"import {job_id} was stopped (cancelled or stalled)")
        self.job_id = job_id


class RemovalNotConfirmed(TablesError):
    """The import removes every row in force of its scope, or more than the share
    ``settings.PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE`` of them, and its importer has not
    confirmed it; ``removed`` and ``in_force`` count the rows. Nothing was written."""

    def __init__(self, message: str, *, removed: int, in_force: int) -> None:
        super().__init__(message)
        self.removed = removed
        self.in_force = in_force


class StalePreview(TablesError):
    """The rows of the import's scope may have changed since the file was checked (a
    version for the whole region or one of its RLS was written meanwhile): applying it
    would undo that change without the preview having shown it. Nothing was written."""


class KeysTaken(StalePreview):
    """Rows to write have the key of a row kept outside the import's scope (another RLS's
    physician, patient or registration): the version would hold that key twice. Found
    under the lock by :func:`web.tables.services.do_write_version`, when the rows were not
    checked against the version in force; ``problems`` names the first rows. A
    :class:`StalePreview`, so that whoever handles one (the apply task, the command)
    refuses this the same way: check the file again. Nothing was written."""

    def __init__(self, problems: list[Problem], count: int) -> None:
        super().__init__(str(problems[0]))
        self.problems = problems
        self.count = count
