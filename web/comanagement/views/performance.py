"""Performance pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def performance(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def target_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def target_sign(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def strategy_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def meeting_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def meeting_sign(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def decision_new(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)
