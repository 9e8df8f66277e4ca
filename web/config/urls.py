"""URL routes of the panelcare web application.

Errors: Django's default handlers render ``web/templates/{400,403,404,500}.html``.
"""

from django.contrib import admin
from django.urls import include, path

from web.config import views

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("web.accounts.urls")),
    path("tables/", include("web.tables.urls")),
    path("attribution/", include("web.attribution.urls")),
    path("assiduity/", include("web.assiduity.urls")),
    path("comanagement/", include("web.comanagement.urls")),
    path("quality/", include("web.quality.urls")),
    path("", include("web.dashboard.urls")),
]
