"""QI groups services: the credits reference data (docs/quality-plan.md §1 and §2).

A credits version is never edited: the DRMG publishes the next one, a TOML text in the
shape of ``panelcare/quality/credits.toml``, checked by the core
(:func:`panelcare.quality.cycle.credits_table_from_mapping`) before it is written. The
version in force is the region's highest number; a region without any version reads the
packaged table (CPSO figures). Which values are illustrative is read from the text's
``illustrative`` key, so that the flag cannot drift from the values.

Besides the write, the reads the plans' acceptance and the credits page share:
:func:`credits_in_force` and :func:`credits_table`.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from panelcare.quality import cycle
from panelcare.quality.errors import CreditsTableError
from web.audit.services import record
from web.quality import messages
from web.quality.errors import QualityError
from web.quality.models import CreditsVersion, QualityAction
from web.regions.models import Region

__all__ = [
    "credits_in_force",
    "credits_table",
    "do_publish_credits",
    "most_credits",
    "parse_credits",
    "shipped_credits_text",
]

# tomllib says where it stopped reading in its message only (Python 3.11).
_TOML_LINE = re.compile(r"at line (\d+)")
_TABLE_HEADER = re.compile(r"^\[\s*([^\[\]]+?)\s*\]")


def credits_in_force(region: Region) -> CreditsVersion | None:
    """The region's credits version in force: the highest number; ``None`` before any."""
    return CreditsVersion.objects.filter(region=region).order_by("-number").first()


def credits_table(version: CreditsVersion | None) -> cycle.CreditsTable:
    """The core's table of ``version``; the packaged one (CPSO figures) for ``None``.

    Raises:
        QualityError: the stored text no longer parses (it was checked when published).
    """
    if version is None:
        return cycle.load_credits_table()
    return parse_credits(version.text)


def shipped_credits_text() -> str:
    """The packaged ``credits.toml`` (CPSO figures): what a region without a version
    starts from."""
    return resources.files("panelcare.quality").joinpath(cycle.CREDITS_FILE).read_text("utf-8")


def most_credits(table: cycle.CreditsTable) -> float | None:
    """The most a member earns with ``table`` (the four activities, the accepted plan and
    the credited goals); ``None`` when completed goals are not capped."""
    if table.max_goals_credited is None:
        return None
    return (
        sum(table.activities.values())
        + table.accepted_plan
        + table.per_completed_goal * table.max_goals_credited
    )


def _line_of(text: str, key: str) -> int | None:
    """The line (from 1) where the dotted ``key`` (``plan.accepted``) is written."""
    table, _dot, name = key.rpartition(".")
    current = ""
    assignment = re.compile(rf"^{re.escape(name)}\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = _TABLE_HEADER.match(stripped)
        if header:
            current = header.group(1)
        elif current == table and assignment.match(stripped):
            return number
    return None


def parse_credits(text: str) -> cycle.CreditsTable:
    """The credits table of a TOML ``text``.

    Raises:
        QualityError: a sentence naming the line at fault (a TOML syntax error, a wrong
            value), or the key when it is missing.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_LINE.search(str(error))
        raise QualityError(
            _("The credits text is not valid TOML, line %(line)s: %(problem)s")
            % {"line": found.group(1) if found else "?", "problem": error}
        ) from None
    illustrative: Any = data.get("illustrative", [])
    if not isinstance(illustrative, list) or not all(isinstance(k, str) for k in illustrative):
        raise QualityError(
            _(
                "Line %(line)s of the credits text is refused: “illustrative” lists the "
                "keys whose values are not sourced, as texts in quotes."
            )
            % {"line": _line_of(text, "illustrative") or "?"}
        )
    try:
        return cycle.credits_table_from_mapping(data)
    except CreditsTableError as error:
        line = _line_of(text, error.key) if error.key else None
        if line is None:  # a missing key or table has no line to name
            raise QualityError(messages.refusal(error)) from None
        raise QualityError(
            _("Line %(line)s of the credits text is refused (%(key)s): %(problem)s")
            % {"line": line, "key": error.key, "problem": error.message}
        ) from None


def do_publish_credits(region: Region, text: str, *, acting_user: Any) -> CreditsVersion:
    """Publish ``text`` as the region's next credits version (the DRMG's).

    Records CREDITS_PUBLISHED in the same transaction.

    Raises:
        QualityError: the core refuses the text (see :func:`parse_credits`); nothing is
            written.
    """
    table = parse_credits(text)
    with transaction.atomic():
        # Lock the region: two publications at once get consecutive numbers.
        Region.objects.select_for_update().filter(pk=region.pk).first()
        last = CreditsVersion.objects.filter(region=region).aggregate(last=Max("number"))["last"]
        version = CreditsVersion.objects.create(
            region=region,
            number=(last or 0) + 1,
            text=text,
            illustrative=sorted(table.illustrative),
            created_by=acting_user,
        )
        record(
            QualityAction.CREDITS_PUBLISHED,
            region=region,
            acting_user=acting_user,
            subject=version,
            number=version.number,
            table=table.version,
            illustrative=version.illustrative,
        )
    return version
