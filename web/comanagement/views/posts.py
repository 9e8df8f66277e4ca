"""Posts pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def post_list(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def post_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def step_new(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def post_fill(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def post_close(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def direct_hire_new(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def direct_hire_agree(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def direct_hire_report(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)
