"""URL routes of the panelcare web application."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("comptes/", include("web.accounts.urls")),
    path("attribution/", include("web.attribution.urls")),
    path("", include("web.dashboard.urls")),
]
