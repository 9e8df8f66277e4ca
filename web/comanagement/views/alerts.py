"""Alerts pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def alert_list(request: HttpRequest) -> HttpResponse:
    return not_built(request)


def alert_export(request: HttpRequest) -> HttpResponse:
    return not_built(request)
