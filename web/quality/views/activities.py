"""Activities pages of the quality-improvement groups (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.quality.views._stub import not_built


def activity(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    return not_built(request)


def activity_share(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def activity_read(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def survey_edit(request: HttpRequest) -> HttpResponse:
    return not_built(request)
