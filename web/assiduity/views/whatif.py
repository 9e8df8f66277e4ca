"""(being written: issue 16)"""

from django.http import HttpRequest, HttpResponse


def physician_whatif(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)
