"""The Content-Security-Policy header of every response.

The pages load nothing from outside the site (Vega, htmx and the stylesheet are vendored
under ``web/static/``) and run no inline script: their behaviour is in
``web/static/js/panelcare.js``. So the policy is ``'self'`` everywhere, with two
exceptions, each for a reason:

* ``script-src 'unsafe-eval'``: Vega compiles the expressions of a chart spec with
  ``new Function`` (its CSP-safe interpreter, vega-interpreter, is a separate bundle we do
  not ship); without it no chart draws. Scripts still come only from this site.
* ``style-src 'unsafe-inline'``: the templates carry ``style=""`` attributes and
  ``<style>`` blocks, and htmx and vega-embed insert a ``<style>`` element. A style cannot
  run code; it only lets injected markup restyle the page.

Django 5.2 has no CSP support of its own (6.0 adds it): this middleware of a few lines does
instead of a dependency (django-csp) for one constant header.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

__all__ = ["CONTENT_SECURITY_POLICY", "ContentSecurityPolicyMiddleware"]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Adds ``CONTENT_SECURITY_POLICY`` to every response that has none of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
