"""The errors of the operations (backup, restore)::

web.errors.PanelcareError
└── OpsError            the backup or the restore was refused; its message says why
    └── ArchiveDamaged  an archive whose content differs from its manifest
"""

from __future__ import annotations

from web.errors import PanelcareError

__all__ = ["ArchiveDamaged", "OpsError"]


class OpsError(PanelcareError):
    """A backup or a restore refused; nothing was written."""


class ArchiveDamaged(OpsError):
    """The archive's files differ from its manifest (a changed, missing or extra file)."""
