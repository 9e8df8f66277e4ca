"""The assiduity rules as data: the lists, thresholds and progression scale of EP 40, art. 15.

The values live in a TOML file, ``default_rules.toml`` beside this module, so that a user
can change a list (the excluded billing codes: "cette liste n'est pas exhaustive") or add a
year to the progression scale without touching code. :func:`load_rules` reads the shipped
file, then a user's file over it: a user file may set any key, and a year of the scale key
by key (``[scale.2026] full = 0.85 ...``). Lists are replaced, not extended.

Every value is checked; a wrong one raises :class:`AssiduityRulesError` naming the file and
the key (``my_rules.toml: scale.2026.full: ...``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from panelcare.errors import SettingsError
from panelcare.tomlfiles import layered

DEFAULT_RULES_FILE = Path(__file__).with_name("default_rules.toml")

_CODE = re.compile(r"\d{5}")
_YEAR = re.compile(r"\d{4}")
_BANDS = ("full", "three_quarters", "half")


class AssiduityRulesError(SettingsError):
    """A rules file is unreadable or one of its values is wrong, or a year has no scale.

    ``file`` is the rules file (``None`` when the problem is not a file's), ``key`` the
    dotted key (``scale.2026.full``), ``None`` when the whole file is at fault.
    """


@dataclass(frozen=True)
class Scale:
    """The lowest rate of each paid band of one year (EP 40, 15.03 and 15.05).

    A rate at or above ``full`` is paid 100 % of the volume supplements, at or above
    ``three_quarters`` 75 %, at or above ``half`` 50 %, below it nothing.
    """

    full: float
    three_quarters: float
    half: float


@dataclass(frozen=True)
class Rules:
    """Everything of the assiduity rules that is data rather than logic.

    Build it with :func:`load_rules`; the meaning of each field is in ``default_rules.toml``
    and ``docs/assiduity.md``.
    """

    eligible_settings: frozenset[str]
    eligible_provider_kinds: frozenset[str]
    er_settings: frozenset[str]
    er_excluded_triage: frozenset[str]
    excluded_billing_codes: frozenset[str]
    # Inclusive (low, high) pairs of 5-digit codes, compared as strings.
    excluded_billing_ranges: tuple[tuple[str, str], ...]
    gmf_r_threshold: int
    review_margin: float
    scales: Mapping[int, Scale]

    def scale_for(self, year: int) -> Scale:
        """The progression scale of ``year``: its own, or the latest earlier year's.

        Raises :class:`AssiduityRulesError` when the rules have no scale for ``year`` or
        any earlier year (the assiduity rate exists from 2017).
        """
        earlier = [known for known in self.scales if known <= year]
        if not earlier:
            first = min(self.scales) if self.scales else None
            raise AssiduityRulesError(
                f"no progression scale for {year} or an earlier year"
                + (f" (the first is {first})" if first is not None else ""),
                key="scale",
            )
        return self.scales[max(earlier)]


def load_rules(path: str | Path | None = None) -> Rules:
    """Read the rules: the shipped ``default_rules.toml``, then ``path`` over it.

    ``path`` (optional) is a user's TOML file that sets any of the shipped keys. Raises
    :class:`AssiduityRulesError` if a file cannot be read or parsed, a key is unknown, or a
    value is wrong (the message names the file and the key).
    """
    merged, source = layered(DEFAULT_RULES_FILE, path, AssiduityRulesError, "rules file")
    return _parse(merged, source)


def _parse(raw: dict[str, Any], file: str) -> Rules:
    def fail(key: str, message: str) -> AssiduityRulesError:
        return AssiduityRulesError(message, file=file, key=key)

    known = {
        "eligible_settings",
        "eligible_provider_kinds",
        "er_settings",
        "er_excluded_triage",
        "excluded_billing_codes",
        "excluded_billing_ranges",
        "gmf_r_threshold",
        "review_margin",
        "scale",
    }
    for key in raw:
        if key not in known:
            raise fail(key, f"unknown key; the keys are {', '.join(sorted(known))}")
    for key in known:
        if key not in raw:
            raise fail(key, "missing")

    def names(key: str) -> frozenset[str]:
        value = raw[key]
        if not isinstance(value, list) or not value:
            raise fail(key, "must be a non-empty list of names")
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise fail(key, f"must be a list of non-empty strings, got {item!r}")
        return frozenset(value)

    def code(key: str, value: Any) -> str:
        if not isinstance(value, str) or not _CODE.fullmatch(value):
            raise fail(key, f"a billing code is a string of 5 digits, got {value!r}")
        return value

    codes = raw["excluded_billing_codes"]
    if not isinstance(codes, list):
        raise fail("excluded_billing_codes", "must be a list of 5-digit strings")
    ranges_raw = raw["excluded_billing_ranges"]
    if not isinstance(ranges_raw, list):
        raise fail("excluded_billing_ranges", 'must be a list of ["low", "high"] pairs')
    ranges = []
    for pair in ranges_raw:
        if not isinstance(pair, list) or len(pair) != 2:
            raise fail("excluded_billing_ranges", f'each range is ["low", "high"], got {pair!r}')
        low, high = (code("excluded_billing_ranges", value) for value in pair)
        if low > high:
            raise fail("excluded_billing_ranges", f"range {low}-{high} ends before it starts")
        ranges.append((low, high))

    threshold = raw["gmf_r_threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise fail("gmf_r_threshold", f"must be a whole number of patients, got {threshold!r}")
    margin = raw["review_margin"]
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not 0 <= margin < 1:
        raise fail("review_margin", f"must be a number in [0, 1), got {margin!r}")

    return Rules(
        eligible_settings=names("eligible_settings"),
        eligible_provider_kinds=names("eligible_provider_kinds"),
        er_settings=names("er_settings"),
        er_excluded_triage=names("er_excluded_triage"),
        excluded_billing_codes=frozenset(code("excluded_billing_codes", c) for c in codes),
        excluded_billing_ranges=tuple(ranges),
        gmf_r_threshold=threshold,
        review_margin=float(margin),
        scales=MappingProxyType(_parse_scales(raw["scale"], fail)),
    )


def _parse_scales(raw: Any, fail: Any) -> dict[int, Scale]:
    if not isinstance(raw, dict) or not raw:
        raise fail("scale", "must hold at least one year, e.g. [scale.2018]")
    scales = {}
    for year, bands in raw.items():
        key = f"scale.{year}"
        if not _YEAR.fullmatch(year):
            raise fail(key, "a year of the scale is written with 4 digits, e.g. [scale.2026]")
        if not isinstance(bands, dict):
            raise fail(key, f"must be a table with the keys {', '.join(_BANDS)}")
        extra = set(bands) - set(_BANDS)
        if extra:
            raise fail(
                f"{key}.{sorted(extra)[0]}", f"unknown key; the keys are {', '.join(_BANDS)}"
            )
        values = {}
        for band in _BANDS:
            if band not in bands:
                raise fail(f"{key}.{band}", "missing")
            value = bands[band]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
                raise fail(f"{key}.{band}", f"must be a rate in (0, 1], got {value!r}")
            values[band] = float(value)
        if not values["full"] >= values["three_quarters"] >= values["half"]:
            raise fail(key, "the bands must satisfy full >= three_quarters >= half")
        scales[int(year)] = Scale(**values)
    return scales
