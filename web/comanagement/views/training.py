"""Training pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def training_list(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def need_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def request_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def attendance_new(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)
