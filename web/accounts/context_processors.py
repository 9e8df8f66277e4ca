"""What every page's navigation may link to, asked of :mod:`web.accounts.access` (lazily:
a page that shows no link runs no query)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from web.accounts import access
from web.accounts.access import Purpose


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``may_work_on_attribution`` and ``may_read_own_letters``, as callables the template
    calls when it reads them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"may_work_on_attribution": False, "may_read_own_letters": False}
    return {
        "may_work_on_attribution": lambda: access.allows(user, Purpose.ATTRIBUTION),
        "may_read_own_letters": lambda: access.can_read_own_letters(user),
    }
