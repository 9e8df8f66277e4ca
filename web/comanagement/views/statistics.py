"""Statistics pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def statistics_home(request: HttpRequest) -> HttpResponse:
    return not_built(request)


def statistics_import(request: HttpRequest) -> HttpResponse:
    return not_built(request)


def statistics_job(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def statistics_apply(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)
