"""(being written: issue 16)"""

from django.http import HttpRequest, HttpResponse


def committee_list(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)


def committee_export(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)
