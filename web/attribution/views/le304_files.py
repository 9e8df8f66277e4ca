"""The LE 304 files the guichet's administrative agent prepares for RAMQ (issue 19) — not built yet: 501."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from web.attribution.views._stub import not_built


def le304_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def le304_run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def le304_file(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def le304_patients_csv(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)


def le304_agreement_pdf(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return not_built(request)
