"""The site's URLs plus two views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from web.config.urls import urlpatterns as site_urlpatterns


def refused(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("refused-for-the-test")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("broken-for-the-test")


urlpatterns = [
    path("test-refused/", refused),
    path("test-broken/", broken),
    *site_urlpatterns,
]
