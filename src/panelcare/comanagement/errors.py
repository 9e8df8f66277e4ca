"""Errors raised by the co-management core (cogestion GMF-CIUSSS).

    PanelcareError
    └── ComanagementError         every error of this package
        ├── ReferenceDataError    reference data (a level table, weights, agreement rules) is
        │   │                     ill-formed: also a SettingsError (file and key)
        │   └── LevelTableError   the level table or the weights: overlap, gap, negative value
        └── RecordError           a record contradicts itself (an absence that ends before it
                                  starts, a supervision every 0 weeks): also an InputError

Each is also a subclass of the project's :class:`~panelcare.errors.SettingsError` or
:class:`~panelcare.errors.InputError`, so the web app and the CLI handle them as they
handle the other engines' errors (a form error; exit status 2).
"""

from __future__ import annotations

from panelcare.errors import InputError, PanelcareError, SettingsError

__all__ = ["ComanagementError", "LevelTableError", "RecordError", "ReferenceDataError"]


class ComanagementError(PanelcareError):
    """Base class of every error the co-management core raises on purpose."""


class ReferenceDataError(ComanagementError, SettingsError):
    """Reference data (edited by a DRMG or CIUSSS administrator) is ill-formed.

    ``file`` is the TOML file, or ``None`` when the data came from memory (the web app's
    records); ``key`` the dotted key at fault (``levels[2].min_weighted``).
    """


class LevelTableError(ReferenceDataError):
    """The level table or the registration weights are ill-formed, or a level is not in it."""


class RecordError(ComanagementError, InputError):
    """A record passed to a rule contradicts itself.

    The message names the record (``absence A-12: ends before it starts``); ``column``
    names the field at fault when there is one.
    """
