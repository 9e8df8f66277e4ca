"""Reading the TOML settings files the engines ship (the assiduity's rules, the collective
agreements' schedule rules): a shipped file, with a user's file laid over it table by
table. Each engine keeps its own error class, named in the messages it raises.

    merged, source = layered(DEFAULT_RULES_FILE, path, AssiduityRulesError, "rules file")
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Protocol

__all__ = ["layered", "merge_tables", "read_toml"]


class _FileError(Protocol):
    def __call__(self, message: str, *, file: str | None = ...) -> Exception: ...


def read_toml(path: Path, error: _FileError, what: str) -> dict[str, Any]:
    """The TOML file ``path`` as a dict.

    Raises:
        ``error``: the file cannot be read ("cannot read the {what}: ...") or is not TOML,
            with ``file`` set to ``path``.
    """
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as problem:
        raise error(
            f"cannot read the {what}: {problem.strerror or problem}", file=str(path)
        ) from None
    except tomllib.TOMLDecodeError as problem:
        raise error(f"not valid TOML: {problem}", file=str(path)) from None


def merge_tables(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``, table by table (lists and values are replaced)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged


def layered(
    default: Path, path: str | Path | None, error: _FileError, what: str
) -> tuple[dict[str, Any], str]:
    """The shipped file ``default``, with ``path`` (a user's file, optional) over it; and
    the name of the file to blame for a wrong value (the user's when there is one)."""
    merged = read_toml(default, error, what)
    if path is None:
        return merged, str(default)
    return merge_tables(merged, read_toml(Path(path), error, what)), str(path)
