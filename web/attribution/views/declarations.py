"""The physicians' own declarations (issue 19) and their review by the CML; a physician's assigned patients' progress — not built yet: 501."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from web.attribution.views._stub import not_built


def my_declaration(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def my_progress(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def declaration_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def declaration_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)
