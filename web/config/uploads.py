"""The upload size limit (``PANELCARE_MAX_UPLOAD_MB``), enforced while the file arrives.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` covers the form fields, not the files: a 1 GB
upload was written whole to the disk before any check could see it. The handler below
stands first in ``FILE_UPLOAD_HANDLERS``: past the limit it passes no more bytes to the
handlers that write the file, and the upload becomes an :class:`OversizedUpload` (no
content, only its size), which the forms refuse with a message (``ImportForm.clean_file``).
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

__all__ = ["MaxUploadSizeHandler", "OversizedUpload", "max_upload_bytes"]


def max_upload_bytes() -> int:
    """The largest file accepted, in bytes."""
    return int(settings.PANELCARE_MAX_UPLOAD_MB) * 1024 * 1024


class OversizedUpload(UploadedFile):
    """A file refused for its size while it arrived: its name and size, no content."""

    def __init__(self, name: str, content_type: str, size: int) -> None:
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size)


class MaxUploadSizeHandler(FileUploadHandler):
    """Stops passing a file's bytes on once it is larger than ``max_upload_bytes()``."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.too_large or start + len(raw_data) > max_upload_bytes():
            # None: the following handlers (memory, temporary file) never see this chunk.
            self.too_large = True
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.too_large:
            return None  # the next handler returns the file it wrote
        return OversizedUpload(self.file_name, self.content_type, file_size)
