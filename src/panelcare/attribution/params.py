"""Run parameters of an attribution (DSP-PR-30042, 5.1 to 5.3 and 7), from a TOML file or
a mapping.

Every number the procedure names is a parameter (spec, "Data contract"). The defaults live
in ``default_params.toml`` beside this module (packaged; read with ``importlib.resources``);
:func:`load_params` reads them, then a user's file over them: a user file sets any subset
of the keys, which are the field names of :class:`Params`. ``category_weights`` is a table
(``[category_weights]`` / ``home_care = 2.0``) and replaces the default one as a whole;
``exclude_below`` and ``yearly_cap_after_4_years`` are off (``None``) unless set.
``target_overrides`` is a table too (``[target_overrides]`` / ``D0042 = 400``): the targets
the CML set by hand for some physicians (an adjustment of a plan, re-solved), replacing the
default table (empty) as a whole. ``offered_targets`` likewise (``[offered_targets]``): the
targets the physicians' own offers set, accepted by the CML (their registered patients
plus the new patients they offer); a ``target_overrides`` entry of the same physician
wins. ``gmf_targets`` likewise (``[gmf_targets]`` /
``GMF-RIM-01 = 300``): the GMF attribution targets agreed with the CML, the most (weighted)
patients each GMF's members (the physicians' ``gmf_id``) together receive in the run.

    params = load_params()                         # the spec's defaults
    params = load_params(Path("bas-st-laurent.toml"))
    params = params_from_mapping({"group2_target": 1000})   # in memory (the web app's form)
    Path("out/params.toml").write_text(dump_params(params))   # saved beside the outputs
    params_from_mapping(params_as_dict(params)) == params    # JSON-ready and back

Every value is checked, by the same code whether it comes from a file or a mapping
(:func:`load_params` reads the TOML, then calls :func:`params_from_mapping`); a wrong one
raises :class:`AttributionParamsError` naming the file (or ``parameters``) and the key
(``run.toml: group2_target: must be a multiple of stratum (250), got 800``).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from panelcare.errors import SettingsError

__all__ = [
    "DEFAULT_PARAMS_FILE",
    "MAPPING_SOURCE",
    "AttributionParamsError",
    "Params",
    "dump_params",
    "load_params",
    "params_as_dict",
    "params_from_mapping",
]

# The packaged defaults, as named in error messages.
DEFAULT_PARAMS_FILE = "default_params.toml"
# What the errors name as the file when the values come from a mapping, not a file.
MAPPING_SOURCE = "parameters"


@dataclass(frozen=True)
class Params:
    """Every number the procedure names, with the spec's defaults."""

    group1_threshold: int = 500  # registrations: below it, group 1b (5.1)
    exclude_below: int | None = None  # the CML may leave out 1b physicians under 25 patients
    stratum: int = 250  # registration strata; 0.5 unit each
    group2_target: int = 750  # the run's higher target for group 2 (a multiple of stratum)
    vulnerable_cap: float = 0.45  # highest vulnerable share of a final panel (5.3.1)
    full_workload_units: float = 3.0  # 3 units = 36 h a week, 42 weeks a year
    patients_per_unit: int = 500  # 500 registered patients = 1 unit
    shortage: bool = False  # nobody taken above the full workload
    max_distance_km: float = 50.0  # physician's site to patient's home
    cross_rls: bool = False  # may a patient go to a physician of another RLS
    period_months: int = 12  # the pace's period
    category_weights: Mapping[str, float] = field(default_factory=dict)  # weighted clienteles
    include_later_departures: bool = False  # unconfirmed and after-1-January departures
    yearly_cap_after_4_years: int | None = None  # waiting-list patients a year, experienced
    le304_min_block: int = 50  # LE 304: a block of at least this many patients
    le304_min_assiduity: float = 0.75  # LE 304: previous-year assiduity at least this
    candidates_per_patient: int = 8  # nearest eligible physicians offered to each orphan
    # physician_id -> the target the CML set (an adjustment of the plan), whole patients
    target_overrides: Mapping[str, int] = field(default_factory=dict)
    # physician_id -> the target the physician's own offer sets, accepted by the CML
    # (registered + new patients offered, issue 19); a target_overrides entry wins
    offered_targets: Mapping[str, int] = field(default_factory=dict)
    # gmf_id -> the most patients (weighted, as capacities) the GMF's members together
    # receive in the run: the GMF attribution target agreed with the CML (issue 19)
    gmf_targets: Mapping[str, int] = field(default_factory=dict)


class AttributionParamsError(SettingsError):
    """A parameters file is unreadable or one of its values is wrong.

    ``file`` is the parameters file (``default_params.toml`` for the packaged one), ``key``
    the key at fault (``category_weights.home_care``), ``None`` when the whole file is.
    """


def load_params(path: str | Path | None = None) -> Params:
    """The run's parameters: the packaged defaults, then ``path`` over them.

    Args:
        path: a user's TOML file setting any subset of the keys (the field names of
            :class:`Params`); ``None`` for the defaults alone.

    Raises:
        AttributionParamsError: the file cannot be read or is not TOML, a key is unknown,
            or a value has the wrong type or is out of range; the message names the file
            and the key.
    """
    if path is None:
        return Params(**_defaults())
    source = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise AttributionParamsError(
            f"cannot read the parameters file: {reason or error}", file=source
        ) from None
    return params_from_mapping(_loads(text, source), source=source)


def params_from_mapping(values: Mapping[str, Any], *, source: str = MAPPING_SOURCE) -> Params:
    """The run's parameters: the packaged defaults, then ``values`` over them, checked as
    :func:`load_params` checks a file (it calls this function).

    Args:
        values: any subset of the keys (the field names of :class:`Params`), as TOML or
            JSON would hold them: whole numbers, numbers, booleans, and mappings for
            ``category_weights``, ``target_overrides``, ``offered_targets`` and
            ``gmf_targets``. A key set to ``None`` keeps
            its default (off, for ``exclude_below`` and ``yearly_cap_after_4_years``).
        source: what the errors name as the file (``parameters`` by default).

    Raises:
        AttributionParamsError: a key is unknown, or a value has the wrong type or is out
            of range; ``file`` is ``source``, ``key`` the key at fault (the messages are
            the file's: ``group2_target: must be a multiple of stratum (250), got 800``).
    """
    if not isinstance(values, Mapping):
        raise AttributionParamsError(
            f"expected a mapping of key = value, got {type(values).__name__}", file=source
        )
    checked = _defaults()
    checked.update(_parse({k: v for k, v in values.items() if v is not None}, source))
    _check_together(checked, source)
    return Params(**checked)


def params_as_dict(params: Params) -> dict[str, Any]:
    """``params`` as JSON-ready data, every field in :class:`Params`' order (``None`` when
    off, a plain dict for each table); :func:`params_from_mapping` reads it back equal."""
    values: dict[str, Any] = {}
    for spec in fields(Params):
        value = getattr(params, spec.name)
        values[spec.name] = dict(value) if isinstance(value, Mapping) else value
    return values


def _defaults() -> dict[str, Any]:
    """The packaged defaults, checked (a wrong one names ``default_params.toml``)."""
    text = resources.files("panelcare.attribution").joinpath(DEFAULT_PARAMS_FILE).read_text("utf-8")
    values = _parse(_loads(text, DEFAULT_PARAMS_FILE), DEFAULT_PARAMS_FILE)
    _check_together(values, DEFAULT_PARAMS_FILE)
    return values


def dump_params(params: Params) -> str:
    """``params`` as the text of a TOML file that :func:`load_params` reads back equal.

    Every field, in :class:`Params`' order; a field that is ``None`` (off) is written as a
    comment. The two tables (weights, then target overrides) come last, as TOML wants
    tables after plain keys. Written by hand: the standard library reads TOML but does
    not write it.
    """
    lines = ["# Parameters of an attribution run (panelcare; see docs/attribution-rules.md)."]
    for spec in fields(Params):
        if spec.name in _TABLES:
            continue
        value = getattr(params, spec.name)
        if value is None:
            lines.append(f"# {spec.name}: off")
        else:
            lines.append(f"{spec.name} = {_toml_value(value)}")
    lines.append("")
    lines.append("[category_weights]")
    for category, weight in params.category_weights.items():
        lines.append(f"{_toml_key(category)} = {_toml_value(float(weight))}")
    lines.append("")
    lines.append("[target_overrides]")
    for physician_id, target in params.target_overrides.items():
        lines.append(f"{_toml_key(physician_id)} = {_toml_value(int(target))}")
    lines.append("")
    lines.append("[offered_targets]")
    for physician_id, target in params.offered_targets.items():
        lines.append(f"{_toml_key(physician_id)} = {_toml_value(int(target))}")
    lines.append("")
    lines.append("[gmf_targets]")
    for gmf_id, target in params.gmf_targets.items():
        lines.append(f"{_toml_key(gmf_id)} = {_toml_value(int(target))}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reading


def _loads(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AttributionParamsError(f"not valid TOML: {error}", file=file) from None


# A checker takes (key, value, fail) and returns the value as the field holds it.
_Fail = Callable[[str, str], AttributionParamsError]
_Checker = Callable[[str, Any, _Fail], Any]


def _parse(raw: Mapping[str, Any], file: str) -> dict[str, Any]:
    """The values ``raw`` sets, checked one by one and converted to the fields' types."""

    def fail(key: str, message: str) -> AttributionParamsError:
        return AttributionParamsError(message, file=file, key=key)

    values = {}
    for key, value in raw.items():
        if key not in _CHECKERS:
            raise fail(key, f"unknown key; the keys are {', '.join(_CHECKERS)}")
        values[key] = _CHECKERS[key](key, value, fail)
    return values


def _is_number(value: Any) -> bool:
    # TOML's bool is not a number here, and inf and nan (valid TOML floats) are refused.
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _whole(low: int, high: int | None = None) -> _Checker:
    def check(key: str, value: Any, fail: _Fail) -> int:
        in_range = isinstance(value, int) and value >= low and (high is None or value <= high)
        if isinstance(value, bool) or not in_range:
            if high is not None:
                wanted = f"a whole number from {low} to {high}"
            elif low == 1:
                wanted = "a positive whole number"
            else:
                wanted = f"a whole number of at least {low}"
            raise fail(key, f"must be {wanted}, got {value!r}")
        return int(value)

    return check


def _number(
    low: float, high: float | None = None, *, low_open: bool = False, high_open: bool = False
) -> _Checker:
    def check(key: str, value: Any, fail: _Fail) -> float:
        ok = _is_number(value)
        if ok:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if not ok:
            if high is None:
                wanted = f"a number above {low:g}" if low_open else f"a number of at least {low:g}"
            else:
                left, right = "(" if low_open else "[", ")" if high_open else "]"
                wanted = f"a number in {left}{low:g}, {high:g}{right}"
            raise fail(key, f"must be {wanted}, got {value!r}")
        return float(value)

    return check


def _boolean(key: str, value: Any, fail: _Fail) -> bool:
    if not isinstance(value, bool):
        raise fail(key, f"must be true or false, got {value!r}")
    return value


def _weights(key: str, value: Any, fail: _Fail) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        raise fail(key, "must be a table of category = weight, e.g. { home_care = 2.0 }")
    weights = {}
    for category, weight in value.items():
        if not isinstance(category, str) or not category.strip():
            raise fail(f"{key}.{_toml_key(str(category))}", "a category name must not be empty")
        # A weight below 1 would let a physician take more patients than their need.
        if not _is_number(weight) or weight < 1:
            raise fail(f"{key}.{_toml_key(category)}", f"must be a number >= 1, got {weight!r}")
        weights[category] = float(weight)
    return weights


def _id_targets(name: str, example: str) -> _Checker:
    """A table of ``name = whole number >= 0`` (the ids' targets)."""

    def check(key: str, value: Any, fail: _Fail) -> Mapping[str, int]:
        if not isinstance(value, Mapping):
            raise fail(key, f"must be a table of {name} = target, e.g. {{ {example} }}")
        targets = {}
        for ident, target in value.items():
            if not isinstance(ident, str) or not ident.strip():
                raise fail(f"{key}.{_toml_key(str(ident))}", f"a {name} must not be empty")
            if isinstance(target, bool) or not isinstance(target, int) or target < 0:
                raise fail(
                    f"{key}.{_toml_key(ident)}",
                    f"must be a whole number of at least 0, got {target!r}",
                )
            targets[ident] = int(target)
        return targets

    return check


# One checker per field of Params, in its order (a test holds them equal); the ranges are
# docs/attribution-rules.md's. Checks that involve two keys are in _check_together.
_CHECKERS: dict[str, _Checker] = {
    "group1_threshold": _whole(1),
    "exclude_below": _whole(1),
    "stratum": _whole(1),
    "group2_target": _whole(1),
    "vulnerable_cap": _number(0, 1, low_open=True, high_open=True),
    "full_workload_units": _number(0, low_open=True),
    "patients_per_unit": _whole(1),
    "shortage": _boolean,
    "max_distance_km": _number(0, low_open=True),
    "cross_rls": _boolean,
    "period_months": _whole(1, 60),
    "category_weights": _weights,
    "include_later_departures": _boolean,
    "yearly_cap_after_4_years": _whole(1),
    "le304_min_block": _whole(1),
    "le304_min_assiduity": _number(0, 1),
    "candidates_per_patient": _whole(1, 100),
    "target_overrides": _id_targets("physician_id", "D0042 = 400"),
    "offered_targets": _id_targets("physician_id", "D0042 = 300"),
    "gmf_targets": _id_targets("gmf_id", "GMF-01 = 300"),
}

# The fields written as TOML tables, after the plain keys (dump_params).
_TABLES = ("category_weights", "target_overrides", "offered_targets", "gmf_targets")


def _check_together(values: dict[str, Any], file: str) -> None:
    def fail(key: str, message: str) -> AttributionParamsError:
        return AttributionParamsError(message, file=file, key=key)

    threshold, stratum, target = (
        values["group1_threshold"],
        values["stratum"],
        values["group2_target"],
    )
    if target % stratum:
        raise fail("group2_target", f"must be a multiple of stratum ({stratum}), got {target}")
    if target <= threshold:
        raise fail("group2_target", f"must be above group1_threshold ({threshold}), got {target}")
    exclude_below = values.get("exclude_below")
    if exclude_below is not None and exclude_below >= threshold:
        # At the threshold or above it would leave out every physician of group 1b.
        raise fail(
            "exclude_below", f"must be below group1_threshold ({threshold}), got {exclude_below}"
        )


# --------------------------------------------------------------------------- writing

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_value(value: bool | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))  # shortest text that reads back the same float: 0.45, 50.0


def _toml_key(key: str) -> str:
    if _BARE_KEY.fullmatch(key):
        return key
    escaped = []
    for char in key:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'
