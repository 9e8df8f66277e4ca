"""Reference pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def level_list(request: HttpRequest) -> HttpResponse:
    return not_built(request)


def level_new(request: HttpRequest) -> HttpResponse:
    return not_built(request)


def level_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def agreement_list(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def agreement_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def agreement_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    return not_built(request)
