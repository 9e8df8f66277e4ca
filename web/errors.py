"""The one base class of the errors the web app's services raise on purpose, and the one
way a write turns a full disk into such an error (:func:`disk_full_guard`)."""

from __future__ import annotations

import contextlib
import errno
import shutil
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

__all__ = ["DiskFull", "PanelcareError", "disk_full_guard", "is_disk_full"]


class PanelcareError(Exception):
    """An error whose message is translated and meant for the user (a view shows it as a
    message or a form error); the service that raised it wrote nothing."""


class DiskFull(PanelcareError):
    """The server's disk (or the server user's quota) is full: the write was given up,
    its partial files removed, nothing recorded."""

    def __init__(self) -> None:
        super().__init__(
            _("The server's disk is full: nothing was written. Tell the administrator.")
        )


_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` says the disk or the quota is full (an ``OSError`` ENOSPC or
    EDQUOT; pyarrow's writers raise an ``OSError`` whose message only names it)."""
    if not isinstance(error, OSError):
        return False
    if error.errno is not None:
        return error.errno in _DISK_FULL
    text = str(error)
    return "No space left on device" in text or "Disk quota exceeded" in text


@contextlib.contextmanager
def disk_full_guard(*partial: Path | None) -> Iterator[None]:
    """Turn a full disk met in the block into :class:`DiskFull`, after removing the
    ``partial`` paths (files or folders the block was writing; None is skipped). Any other
    error goes through unchanged, the paths left to the caller.

        with disk_full_guard(staged):
            write(staged)
    """
    try:
        yield
    except OSError as error:
        if not is_disk_full(error):
            raise
        for path in partial:
            if path is None:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise DiskFull() from error
