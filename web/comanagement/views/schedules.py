"""Schedules pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def schedule_new(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def schedule_validate(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def schedule_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)
