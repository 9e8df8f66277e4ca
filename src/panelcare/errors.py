"""Errors raised by the panelcare core.

    PanelcareError
    ├── InputError            bad input data: names the file, row (CSV line) and column
    │   └── (engines subclass it for their own input rules)
    └── SettingsError         a wrong settings file (rules, run parameters): file and key
        └── (engines subclass it for their own settings)

The web app turns these into form errors; the CLI prints them and exits with status 2.
"""

from __future__ import annotations


class PanelcareError(Exception):
    """Base class of every error the core raises on purpose."""


class InputError(PanelcareError):
    """A value in an input file is missing or wrong.

    ``file`` is the file's name, ``row`` the 1-based data row (the header is row 0 and
    not counted), ``column`` the column name, ``line`` the line of a CSV file (the header
    is line 1, so the line is ``row + 1`` as long as no quoted cell spans lines); each may
    be ``None`` when it does not apply.

    ``code`` names the kind of problem (``missing_column``, ``wrong_date``...) and
    ``params`` its values, for an interface that says it in its own language (the message
    is English); ``code`` is ``None`` for a problem without a translation.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
        code: str | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.line = line
        self.code = code
        self.params = params or {}
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}" + (f" (line {self.line})" if self.line else ""))
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class SettingsError(PanelcareError):
    """A settings file (assiduity rules, attribution parameters) is unreadable or one of its
    values is wrong.

    ``file`` is the file's name (``None`` when the problem is not a file's), ``key`` the
    dotted key at fault (``scale.2026.full``, ``category_weights.home_care``), ``None``
    when the whole file is.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        self.message = message
        self.file = file
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [part for part in (self.file, self.key) if part is not None]
        return f"{': '.join(where)}: {self.message}" if where else self.message
