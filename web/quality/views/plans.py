"""Plans pages of the quality-improvement groups (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.quality.views._stub import not_built


def plan(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def goal_new(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def pdsa_new(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def pdsa_phase(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def point_new(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def goal_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)
