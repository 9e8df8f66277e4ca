"""The GMFs in the attribution (issue 19): a GMF's members, its target agreed with the CML, its members' progress — not built yet: 501."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from web.attribution.views._stub import not_built


def gmf_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def gmf_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def gmf_target_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def gmf_target_decide(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)
