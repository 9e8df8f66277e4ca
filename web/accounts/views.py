"""The user's own profile page: how they sign the attribution's letters."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from web.accounts import services
from web.accounts.forms import SignatoryForm
from web.accounts.models import Role

# The roles whose name signs letters (docs/attribution-web-letters.md, "Signatory").
SIGNING_ROLES = (Role.DRMG, Role.CML)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """A DRMG or a CML edits the name, title and signature block their letters print;
    any other role, or a user without a profile, gets 403."""
    own = getattr(request.user, "profile", None)
    if own is None or own.role not in SIGNING_ROLES:
        raise PermissionDenied
    form = SignatoryForm(request.POST or None, instance=own)
    if request.method == "POST" and form.is_valid():
        services.do_update_signatory(own, form.cleaned_data, acting_user=request.user)
        messages.success(request, _("Your signature is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "profile": own})
