"""Professionals pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def professional_list(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def professional_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def placement_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def placement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def placement_end(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def item_done(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)
