"""A GMF's level (niveau) from its weighted registered patients, and the professional
resources that level entitles it to (Programme GMF, A1 of the research notes).

The level table and the weights are versioned reference data that a DRMG or CIUSSS
administrator edits: never constants in code. The web app builds a :class:`LevelTable`
from its records (its constructor checks it); :func:`load_level_table` reads one from a
TOML file, by default the packaged ``demo_levels.toml``, whose values are illustrative.

    table = load_level_table()                          # the demo's illustrative table
    weighted = weighted_patients({"standard": 8000, "vulnerable": 1200}, table.weights)
    level = level_for(weighted, table)                  # 10_400 -> 2
    entitled_fte(level, table, kind="gmf")              # {"nurse_clinician": 1.5, ...}

A level holds from its ``min_weighted`` (inclusive) up to the next level's (exclusive), the
highest level without an upper bound; below the lowest ``min_weighted`` a GMF has no level.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from panelcare.comanagement.errors import LevelTableError

__all__ = [
    "DEMO_LEVEL_FILE",
    "Level",
    "LevelTable",
    "entitled_fte",
    "level_for",
    "level_table_from_mapping",
    "load_level_table",
    "weighted_patients",
]

# The packaged demo table (illustrative values), as named in error messages.
DEMO_LEVEL_FILE = "demo_levels.toml"


@dataclass(frozen=True)
class Level:
    """One row of the level table.

    Attributes:
        level: the level's number (niveau), 1 for the smallest GMFs.
        min_weighted: the fewest weighted registered patients of the level (inclusive).
        fte: the resources the level entitles a GMF to, per professional type, in FTE
            (équivalent temps complet).
    """

    level: int
    min_weighted: float
    fte: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "fte", MappingProxyType(dict(self.fte)))


@dataclass(frozen=True)
class LevelTable:
    """A version of the level table, with the registration weights of the same version.

    Attributes:
        version: the version's name (``"2017"``, ``"demo-2017-illustrative"``).
        levels: the levels, lowest first; consecutive numbers, increasing thresholds,
            the same professional types in each.
        weights: the weight of one registered patient of each category (pondération),
            ``{"standard": 1, "vulnerable": 2, ...}``.
        kinds: the professional types each kind of GMF may receive (``gmf_r`` and ``gmf_u``
            may have a nursing assistant); empty when the table does not say.
        illustrative: the values are the demo's, not the program's.

    Raises:
        LevelTableError: on construction, when the table is ill-formed: no level, a level
            number that repeats or skips one (a gap), thresholds that do not increase with
            the level (an overlap), a negative threshold, FTE or weight, a level whose
            professional types differ from the first level's, a kind naming an unknown type.
            ``key`` names the place (``levels[2].min_weighted``, ``weights.vulnerable``).
    """

    version: str
    levels: tuple[Level, ...]
    weights: Mapping[str, float]
    kinds: Mapping[str, frozenset[str]] = field(default_factory=dict)
    illustrative: bool = False
    # The file the table was read from, for error messages; None when built in memory.
    source: str | None = None

    def __post_init__(self) -> None:
        _check(self)
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))
        object.__setattr__(self, "kinds", MappingProxyType(dict(self.kinds)))

    @property
    def professional_types(self) -> tuple[str, ...]:
        """The professional types of the table, sorted."""
        return tuple(sorted(self.levels[0].fte))


def weighted_patients(counts_by_category: Mapping[str, int], weights: Mapping[str, float]) -> float:
    """The GMF's weighted registered patients (inscriptions pondérées).

    Args:
        counts_by_category: registered patients per category. Each patient is counted once,
            in the category the program gives them (the caller picks it: the program counts
            a patient with the weight of their heaviest category); an additive case such as
            a delivery (3 more on top of the pregnancy) is a category of its own.
        weights: the weight of each category (``LevelTable.weights``).

    Returns:
        The sum of count × weight.

    Raises:
        LevelTableError: a category has no weight (a patient is never silently weighted 1),
            or a count is negative or not a whole number.
    """
    total = 0.0
    for category, count in counts_by_category.items():
        if category not in weights:
            raise LevelTableError(
                f"no weight for the category {category!r}; the categories are "
                + ", ".join(sorted(weights)),
                key=f"weights.{category}",
            )
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise LevelTableError(
                f"a count of patients is a whole number >= 0, got {count!r}",
                key=f"counts.{category}",
            )
        total += count * weights[category]
    return total


def level_for(weighted: float, table: LevelTable) -> int | None:
    """The level of a GMF with ``weighted`` weighted registered patients.

    Returns:
        The number of the highest level whose ``min_weighted`` is at most ``weighted``;
        ``None`` below the lowest level (the GMF has no level).

    Raises:
        LevelTableError: ``weighted`` is negative or not a number.
    """
    if isinstance(weighted, bool) or not isinstance(weighted, int | float) or weighted < 0:
        raise LevelTableError(f"weighted patients are a number >= 0, got {weighted!r}")
    found = None
    for level in table.levels:
        if level.min_weighted <= weighted:
            found = level.level
    return found


def entitled_fte(
    level: int | None, table: LevelTable, *, kind: str | None = None
) -> dict[str, float]:
    """The resources a GMF of ``level`` is entitled to, per professional type, in FTE.

    Args:
        level: a level of ``table``, or ``None`` (no level: nothing, every type at 0).
        kind: the GMF's kind (``gmf``, ``gmf_r``, ``gmf_u``); when given, the types that
            kind may not receive are 0. ``None`` gives the table's figures as they are.

    Raises:
        LevelTableError: ``level`` is not in the table, or ``kind`` is not in its kinds.
    """
    allowed: frozenset[str] | None = None
    if kind is not None:
        if kind not in table.kinds:
            raise LevelTableError(
                f"the table {table.version} has no GMF kind {kind!r}; its kinds are "
                + (", ".join(sorted(table.kinds)) or "none"),
                file=table.source,
                key="kinds",
            )
        allowed = table.kinds[kind]
    if level is None:
        return dict.fromkeys(table.professional_types, 0.0)
    rows = [row for row in table.levels if row.level == level]
    if not rows:
        first, last = table.levels[0].level, table.levels[-1].level
        raise LevelTableError(
            f"the table {table.version} has no level {level} (it has {first} to {last})",
            file=table.source,
            key="levels",
        )
    return {
        kind_type: (fte if allowed is None or kind_type in allowed else 0.0)
        for kind_type, fte in sorted(rows[0].fte.items())
    }


def load_level_table(path: str | Path | None = None) -> LevelTable:
    """Read a level table from a TOML file; by default the packaged demo (illustrative).

    The format is the one of ``demo_levels.toml``: ``version``, ``illustrative``,
    ``[weights]``, ``[kinds]`` and one ``[[levels]]`` per level (``level``,
    ``min_weighted``, ``fte = {type = FTE, ...}``).

    Raises:
        LevelTableError: the file cannot be read or parsed, or the table is ill-formed
            (the message names the file and the key).
    """
    if path is None:
        name = DEMO_LEVEL_FILE
        text = resources.files("panelcare.comanagement").joinpath(name).read_text("utf-8")
    else:
        name = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as error:
            raise LevelTableError(
                f"cannot read the level table: {error.strerror or error}", file=name
            ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LevelTableError(f"not valid TOML: {error}", file=name) from None
    return level_table_from_mapping(raw, source=name)


def level_table_from_mapping(raw: Mapping[str, Any], *, source: str | None = None) -> LevelTable:
    """Build a :class:`LevelTable` from a mapping shaped like the TOML file.

    ``source`` is named in error messages (the file, or ``None`` for data from memory).

    Raises:
        LevelTableError: a key is missing or unknown, a value has the wrong type, or the
            table is ill-formed.
    """

    def fail(key: str, message: str) -> LevelTableError:
        return LevelTableError(message, file=source, key=key)

    known = {"version", "illustrative", "weights", "kinds", "levels"}
    for key in raw:
        if key not in known:
            raise fail(key, f"unknown key; the keys are {', '.join(sorted(known))}")
    for key in ("version", "weights", "levels"):
        if key not in raw:
            raise fail(key, "missing")
    version = raw["version"]
    if not isinstance(version, str) or not version.strip():
        raise fail("version", f"must be a non-empty string, got {version!r}")
    illustrative = raw.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise fail("illustrative", f"must be true or false, got {illustrative!r}")
    weights = _numbers(raw["weights"], "weights", fail)
    kinds_raw = raw.get("kinds", {})
    if not isinstance(kinds_raw, Mapping):
        raise fail("kinds", "must be a table of lists of professional types")
    kinds = {}
    for kind, types in kinds_raw.items():
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise fail(f"kinds.{kind}", "must be a list of professional types")
        kinds[kind] = frozenset(types)
    levels_raw = raw["levels"]
    if not isinstance(levels_raw, list):
        raise fail("levels", "must be a list of levels ([[levels]])")
    levels = []
    for index, row in enumerate(levels_raw):
        key = f"levels[{index}]"
        if not isinstance(row, Mapping):
            raise fail(key, "must be a table with level, min_weighted and fte")
        extra = set(row) - {"level", "min_weighted", "fte"}
        if extra:
            raise fail(
                f"{key}.{sorted(extra)[0]}", "unknown key; the keys are level, min_weighted, fte"
            )
        for name in ("level", "min_weighted", "fte"):
            if name not in row:
                raise fail(f"{key}.{name}", "missing")
        number = row["level"]
        if isinstance(number, bool) or not isinstance(number, int):
            raise fail(f"{key}.level", f"must be a whole number, got {number!r}")
        minimum = row["min_weighted"]
        if isinstance(minimum, bool) or not isinstance(minimum, int | float):
            raise fail(f"{key}.min_weighted", f"must be a number, got {minimum!r}")
        levels.append(Level(number, float(minimum), _numbers(row["fte"], f"{key}.fte", fail)))
    return LevelTable(
        version=version,
        levels=tuple(levels),
        weights=weights,
        kinds=kinds,
        illustrative=illustrative,
        source=source,
    )


def _numbers(raw: Any, key: str, fail: Any) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        raise fail(key, "must be a table of name = number")
    values = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"{key}.{name}", f"must be a number, got {value!r}")
        values[name] = float(value)
    return values


def _check(table: LevelTable) -> None:
    """Raise LevelTableError when ``table`` is ill-formed (see :class:`LevelTable`)."""

    def fail(key: str, message: str) -> LevelTableError:
        return LevelTableError(message, file=table.source, key=key)

    if not table.levels:
        raise fail("levels", "the table has no level")
    if not table.weights:
        raise fail("weights", "the table has no weight")
    for category, weight in table.weights.items():
        if not math.isfinite(weight) or weight < 0:
            raise fail(f"weights.{category}", f"a weight is a number >= 0, got {weight!r}")
    types = set(table.levels[0].fte)
    if not types:
        raise fail("levels[0].fte", "names no professional type")
    previous: Level | None = None
    for index, row in enumerate(table.levels):
        key = f"levels[{index}]"
        if row.level < 1:
            raise fail(f"{key}.level", f"levels are numbered from 1, got {row.level}")
        if not math.isfinite(row.min_weighted) or row.min_weighted < 0:
            raise fail(f"{key}.min_weighted", f"must be a number >= 0, got {row.min_weighted!r}")
        if set(row.fte) != types:
            missing, extra = sorted(types - set(row.fte)), sorted(set(row.fte) - types)
            raise fail(
                f"{key}.fte",
                "every level names the same professional types as the first one"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; not in the first level {', '.join(extra)}" if extra else ""),
            )
        for name, fte in row.fte.items():
            if not math.isfinite(fte) or fte < 0:
                raise fail(f"{key}.fte.{name}", f"an FTE is a number >= 0, got {fte!r}")
        if previous is not None:
            if row.level != previous.level + 1:
                raise fail(
                    f"{key}.level",
                    f"level {row.level} follows level {previous.level}: the levels are "
                    "consecutive, lowest first (a repeated or skipped level)",
                )
            if row.min_weighted <= previous.min_weighted:
                raise fail(
                    f"{key}.min_weighted",
                    f"level {row.level} starts at {row.min_weighted:g}, not above level "
                    f"{previous.level}'s {previous.min_weighted:g}: the levels overlap",
                )
        previous = row
    for kind, allowed in table.kinds.items():
        unknown = sorted(allowed - types)
        if unknown:
            raise fail(f"kinds.{kind}", f"unknown professional type {unknown[0]!r}")
