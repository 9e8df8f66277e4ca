"""Supervision pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)


def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    return not_built(request)
