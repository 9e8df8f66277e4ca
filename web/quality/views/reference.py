"""Reference pages of the quality-improvement groups (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.quality.views._stub import not_built


def credits(request: HttpRequest) -> HttpResponse:
    return not_built(request)
