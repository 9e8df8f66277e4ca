"""The problems a CML raises to the DRMG (issue 19) — not built yet: 501."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from web.attribution.views._stub import not_built


def problem_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def problem_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def problem_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)
