"""`--config.KEY=VALUE` overrides: typed by the value they replace, with errors that name valid keys.

Values are parsed by the type of the default they replace (bool, int, float, str, tuple), so
`--config.num_steps=abc` or `--config.optimizer.lrr=1` fail with one line before anything runs.
"""

from __future__ import annotations

import ast
import difflib
from typing import Any, Sequence

import ml_collections

PREFIX = "--config."
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


class OverrideError(ValueError):
    """An unknown key or an ill-typed value; the message is one line for the user."""


def split_argv(argv: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Separates `--config.KEY=VALUE` (or `--config.KEY VALUE`) pairs from the other arguments."""
    rest, overrides, i = [], [], 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith(PREFIX):
            key, eq, value = arg[len(PREFIX):].partition("=")
            if not eq:
                if i + 1 >= len(argv):
                    raise OverrideError(f"--config.{key} needs a value: --config.{key}=VALUE")
                value, i = argv[i + 1], i + 1
            overrides.append((key, value))
        else:
            rest.append(arg)
        i += 1
    return rest, overrides


def valid_keys(config: ml_collections.ConfigDict, prefix: str = "") -> list[str]:
    """Every leaf key of `config` as a dotted path."""
    keys = []
    for name, value in sorted(config.items()):
        if isinstance(value, ml_collections.ConfigDict):
            keys += valid_keys(value, f"{prefix}{name}.")
        else:
            keys.append(prefix + name)
    return keys


def apply(config: ml_collections.ConfigDict, overrides: Sequence[tuple[str, str]]) -> None:
    """Sets every override on `config` in order, parsing each value by the type it replaces."""
    for key, raw in overrides:
        node, parts = config, key.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(node, ml_collections.ConfigDict) or part not in node:
                raise OverrideError(_unknown(config, key, ".".join(parts[:depth])))
            if depth < len(parts) - 1:
                node = node[part]
        leaf = parts[-1]
        current = node[leaf]
        if isinstance(current, ml_collections.ConfigDict):
            raise OverrideError(f"config key {key!r} is a group; set one of: "
                                f"{', '.join(valid_keys(current, key + '.'))}")
        with node.unlocked():
            node[leaf] = parse_value(key, raw, current)


def _unknown(config: ml_collections.ConfigDict, key: str, parent: str) -> str:
    group = config
    for part in filter(None, parent.split(".")):
        group = group[part]
    candidates = valid_keys(group, f"{parent}." if parent else "") if isinstance(group, ml_collections.ConfigDict) \
        else valid_keys(config)
    leaves = {candidate.rsplit(".", 1)[-1]: candidate for candidate in candidates}
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], list(leaves), n=1)
    hint = f" (did you mean {leaves[close[0]]!r}?)" if close else ""
    return f"unknown config key {key!r}{hint}; valid keys: {', '.join(candidates)}"


def parse_value(key: str, raw: str, current: Any) -> Any:
    """`raw` converted to the type of `current`, or an OverrideError naming the expected type."""
    def bad(kind: str) -> OverrideError:
        return OverrideError(f"config key {key!r} takes {kind}, got {raw!r}")

    if isinstance(current, bool):
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise bad("a bool (true/false)")
    if isinstance(current, (int, float)):
        try:
            return int(raw.replace("_", "")) if isinstance(current, int) else float(raw)
        except ValueError:
            raise bad("an int" if isinstance(current, int) else "a float") from None
    if isinstance(current, str):
        return raw
    if isinstance(current, (tuple, list)):
        try:
            value = ast.literal_eval(raw if raw.strip() else "()")
        except (ValueError, SyntaxError):
            raise bad("a tuple such as (32, 64)") from None
        value = tuple(value) if isinstance(value, (tuple, list)) else (value,)
        kinds = {type(x) for x in current}
        if kinds and not all(isinstance(x, tuple(kinds)) or (float in kinds and isinstance(x, int)) for x in value):
            raise bad(f"a tuple of {'/'.join(sorted(k.__name__ for k in kinds))}")
        return value
    if current is None:
        try:
            return ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw
    raise bad(type(current).__name__)


def apply_recorded(config: ml_collections.ConfigDict, recorded: dict[str, Any], prefix: str = "") -> None:
    """Sets every leaf of a config recorded as JSON (a run's config.json), restoring tuples from lists."""
    for key, value in recorded.items():
        path = f"{prefix}{key}"
        if key not in config:
            raise OverrideError(f"recorded config key {path!r} is not in this version's config; "
                                f"valid keys: {', '.join(valid_keys(config))}")
        if isinstance(value, dict):
            apply_recorded(config[key], value, path + ".")
            continue
        current = config[key]
        with config.unlocked():
            config[key] = tuple(value) if isinstance(current, tuple) and isinstance(value, list) else value


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config dict (as in config.json) as {dotted.key: value}, lists read back as tuples."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = tuple(value) if isinstance(value, list) else value
    return out
