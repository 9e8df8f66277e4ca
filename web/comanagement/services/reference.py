"""Co-management services: the reference data (docs/comanagement-plan.md §1 and §2).

A level table or agreement rules version is never edited: each publication is a new
version, numbered after the previous one, checked by the core
(:func:`panelcare.comanagement.levels.level_table_from_mapping`,
:func:`panelcare.comanagement.schedules.parse_agreements`) and refused with the key at
fault (:class:`~web.comanagement.errors.ReferenceRefused`).

Whether a version is illustrative is read from its text, so that the flag cannot drift
from the values:

* a level table: its ``illustrative`` key (``true`` in the shipped ``demo_levels.toml``);
* agreement rules: an optional top-level ``illustrative = true|false`` (the web app's key,
  removed before the core reads the text) decides; without it, the text is illustrative
  when one of its comments marks a value ``ILLUSTRATIVE`` (in capitals), as the shipped
  ``agreements.toml`` marks every value no retrieved source confirms. An establishment
  that has confirmed its values removes those marks, or writes ``illustrative = false``.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from panelcare.comanagement import levels, schedules
from panelcare.comanagement.errors import ReferenceDataError
from web.audit.services import record
from web.comanagement.errors import ReferenceRefused
from web.comanagement.models import AgreementRulesVersion, ComanagementAction, LevelTableVersion
from web.regions.models import Establishment, Region

__all__ = [
    "agreement_rules_illustrative",
    "do_publish_agreement_rules",
    "do_publish_level_table",
]

# A comment that marks a value as not confirmed, as agreements.toml writes it.
_ILLUSTRATIVE_MARK = re.compile(r"#.*\bILLUSTRATIVE\b")


# Whole sentences per kind of text (French gives each its own gender: « la table »,
# « le texte »).
def _messages(kind: str) -> dict[str, str]:
    if kind == "levels":
        return {
            "toml": _("The level table is not valid TOML: %(error)s."),
            "key": _("The level table is refused: the key « %(key)s » is wrong (%(detail)s)."),
            "whole": _("The level table is refused (%(detail)s)."),
        }
    return {
        "toml": _("The agreement rules text is not valid TOML: %(error)s."),
        "key": _("The agreement rules text is refused: the key « %(key)s » is wrong (%(detail)s)."),
        "whole": _("The agreement rules text is refused (%(detail)s)."),
    }


def _toml(text: str, kind: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ReferenceRefused(_messages(kind)["toml"] % {"error": error}) from None


def _refused(kind: str, error: ReferenceDataError) -> ReferenceRefused:
    """The core's error as a sentence naming the key (the core's detail is kept: it says
    what is wrong with the value)."""
    messages = _messages(kind)
    if error.key:
        message = messages["key"] % {"key": error.key, "detail": error.message}
    else:
        message = messages["whole"] % {"detail": error.message}
    return ReferenceRefused(message, key=error.key)


def agreement_rules_illustrative(raw: dict[str, Any], text: str) -> bool:
    """Whether agreement rules are illustrative (see the module docstring): their
    ``illustrative`` key, else a comment marking a value ``ILLUSTRATIVE``.

    Raises:
        ReferenceRefused: ``illustrative`` is not true or false.
    """
    if "illustrative" in raw:
        value = raw["illustrative"]
        if not isinstance(value, bool):
            raise ReferenceRefused(
                _("The key « illustrative » of the agreement rules is true or false."),
                key="illustrative",
            )
        return value
    return _ILLUSTRATIVE_MARK.search(text) is not None


def do_publish_level_table(
    region: Region,
    text: str,
    in_force_from: datetime.date,
    note: str = "",
    *,
    acting_user: Any,
) -> LevelTableVersion:
    """Publish a new version of the region's level table and weights.

    Returns:
        The version, numbered after the region's last one; in force from ``in_force_from``.

    Raises:
        ReferenceRefused: the text is not TOML, or the core refuses the table (``key``
            names the key at fault). Nothing is written.
    """
    raw = _toml(text, "levels")
    try:
        table = levels.level_table_from_mapping(raw)
    except ReferenceDataError as error:
        raise _refused("levels", error) from None
    with transaction.atomic():
        last = LevelTableVersion.objects.filter(region=region).aggregate(last=Max("number"))
        version = LevelTableVersion.objects.create(
            region=region,
            number=(last["last"] or 0) + 1,
            text=text,
            illustrative=table.illustrative,
            in_force_from=in_force_from,
            note=note,
            created_by=acting_user,
        )
        record(
            ComanagementAction.LEVEL_TABLE_PUBLISHED,
            region=region,
            acting_user=acting_user,
            subject=version,
            number=version.number,
            in_force_from=in_force_from.isoformat(),
            illustrative=version.illustrative,
            table_version=table.version,
        )
    return version


def do_publish_agreement_rules(
    establishment: Establishment,
    text: str,
    in_force_from: datetime.date,
    note: str = "",
    training_decide_within_days: int = 30,
    attendance_approve_within_days: int = 14,
    integration_due_days: int = 30,
    *,
    acting_user: Any,
) -> AgreementRulesVersion:
    """Publish a new version of an establishment's agreement rules and delays.

    Returns:
        The version, numbered after the establishment's last one.

    Raises:
        ReferenceRefused: the text is not TOML, the core refuses it (``key`` names the key
            at fault), or it has no ``[establishments.<code>]`` of this establishment.
            Nothing is written.
    """
    raw = _toml(text, "agreements")
    illustrative = agreement_rules_illustrative(raw, text)
    raw.pop("illustrative", None)
    try:
        schedules.parse_agreements(raw)
    except ReferenceDataError as error:
        raise _refused("agreements", error) from None
    if establishment.code not in raw.get("establishments", {}):
        raise ReferenceRefused(
            _(
                "The agreement rules text has no local arrangements of this establishment: "
                "add a table « [establishments.%(code)s] » (with its name)."
            )
            % {"code": establishment.code},
            key=f"establishments.{establishment.code}",
        )
    for name, days in (
        ("training_decide_within_days", training_decide_within_days),
        ("attendance_approve_within_days", attendance_approve_within_days),
        ("integration_due_days", integration_due_days),
    ):
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            raise ReferenceRefused(_("A delay is a number of days from 1 to 365."), key=name)
    with transaction.atomic():
        last = AgreementRulesVersion.objects.filter(establishment=establishment).aggregate(
            last=Max("number")
        )
        version = AgreementRulesVersion.objects.create(
            establishment=establishment,
            number=(last["last"] or 0) + 1,
            text=text,
            training_decide_within_days=training_decide_within_days,
            attendance_approve_within_days=attendance_approve_within_days,
            integration_due_days=integration_due_days,
            illustrative=illustrative,
            in_force_from=in_force_from,
            note=note,
            created_by=acting_user,
        )
        record(
            ComanagementAction.AGREEMENT_RULES_PUBLISHED,
            region=establishment.region,
            acting_user=acting_user,
            subject=version,
            establishment=establishment.code,
            number=version.number,
            in_force_from=in_force_from.isoformat(),
            illustrative=illustrative,
            training_decide_within_days=training_decide_within_days,
            attendance_approve_within_days=attendance_approve_within_days,
            integration_due_days=integration_due_days,
        )
    return version
