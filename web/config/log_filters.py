"""Logging filters of the web application (see ``LOGGING`` in the settings)."""

from __future__ import annotations

import logging


class NoTracebackForClientErrors(logging.Filter):
    """Keep one line, and drop the traceback, of a request refused with a 4xx status.

    Django logs a refused request (``PermissionDenied`` → 403, ``Http404`` outside DEBUG,
    a bad request) on the ``django.request`` logger with the exception attached, so the
    console printed a whole traceback for every 403: noise that hid the real errors. A
    refusal is expected behaviour; its line (status, path) is enough. 5xx keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
