"""The few views of the site itself: the favicon and the page of a refused form.

The 400, 403, 404 and 500 pages are Django's own handlers rendering the templates of the
same names in ``web/templates/``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.template import loader
from django.templatetags.static import static


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, asked for by browsers on pages that do not link an icon (the
    admin, a PDF): the site's SVG icon, wherever the static files are served from (its
    name is hashed in production, hence a temporary redirect)."""
    return HttpResponseRedirect(static("favicon.svg"))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check (often one left open past the session's end): the
    403 page in the user's language instead of Django's English page. ``reason`` is
    technical; Django's ``django.security.csrf`` logger already records it."""
    template = loader.get_template("403.html")
    return HttpResponseForbidden(template.render({"csrf_failure": True}, request))
