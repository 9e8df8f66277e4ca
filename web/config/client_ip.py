"""The client's address, as the login lockout (django-axes) counts failures by it.

Behind the reverse proxy of docs/deployment.md every request comes from the proxy's
address, so counting failures by ``REMOTE_ADDR`` would let five wrong passwords from anyone
lock an account for everyone. Each proxy appends the address it received the request from
to ``X-Forwarded-For``; with ``PANELCARE_TRUSTED_PROXIES`` proxies in front of the server,
the client is the address that many entries from the right. Entries further left were
written by the client itself and are never believed. With no proxy (the default) the header
is ignored: a client could forge it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str | None:
    """The address of the client who sent ``request`` (``AXES_CLIENT_IP_CALLABLE``).

    Returns ``REMOTE_ADDR`` when no proxy is trusted, or when the header holds fewer
    addresses than there are trusted proxies or a malformed one (a misconfigured proxy:
    better one shared lock than one a client can choose).
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.PANELCARE_TRUSTED_PROXIES
    if proxies <= 0:
        return remote_addr
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote_addr
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr
