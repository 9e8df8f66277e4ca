"""The accounts' writes: one ``do_*`` function per write, recording who did what."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from web.accounts.models import AccountAction, Profile
from web.audit.services import record

__all__ = ["SIGNATORY_FIELDS", "do_update_signatory"]

SIGNATORY_FIELDS = ("signatory_name", "signatory_title", "signature_block")


def do_update_signatory(profile: Profile, fields: dict[str, Any], *, acting_user: Any) -> Profile:
    """Set how ``profile``'s person signs the letters (:data:`SIGNATORY_FIELDS`) and record
    it (SIGNATORY_EDITED, with the values saved). The caller has checked that
    ``acting_user`` edits this profile (their own)."""
    changed = {name: str(fields[name]).strip() for name in SIGNATORY_FIELDS if name in fields}
    with transaction.atomic():
        for name, value in changed.items():
            setattr(profile, name, value)
        profile.save(update_fields=list(changed))
        record(
            AccountAction.SIGNATORY_EDITED,
            region=profile.region,
            acting_user=acting_user,
            **changed,
        )
    return profile
