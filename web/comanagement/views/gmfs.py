"""Gmfs pages of co-management (not built yet: 501)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from web.comanagement.views._stub import not_built


def gmf_detail(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)


def review_new(request: HttpRequest, code: str) -> HttpResponse:
    return not_built(request)
