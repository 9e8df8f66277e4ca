"""Groups pages of the quality-improvement groups (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.quality.views._stub import not_built


def group_new(request: HttpRequest) -> HttpResponse:
    return not_built(request)


def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def invite(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def invitation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def invitation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def group_follow(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)
