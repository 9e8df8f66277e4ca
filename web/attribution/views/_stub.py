"""A page whose part of issue 19 is not built yet answers 501, so that every route
resolves while the parts are built in parallel. Removed when the last page lands."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def not_built(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Not built yet", status=501, content_type="text/plain")
