"""A run's directory: checked writable before anything is read, refused if it holds another config, and
written to atomically (a kill mid-write leaves the previous file whole).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import ml_collections

from train.errors import ConfigError

CONFIG_FILE, SUMMARY_FILE = "config.json", "summary.json"


def prepare(workdir: Path) -> None:
    """Creates `workdir` if needed and proves it writable, or raises one line saying why not."""
    if workdir.exists() and not workdir.is_dir():
        raise ConfigError(f"--workdir={workdir} is a file, not a directory; choose a directory for the run")
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"--workdir={workdir} cannot be created: {error.strerror or error}; choose a directory you can "
                          "write to") from error
    try:
        with tempfile.TemporaryFile(dir=workdir):
            pass
    except OSError as error:
        raise ConfigError(f"--workdir={workdir} is not writable: {error.strerror or error}; choose a directory you can "
                          "write to") from error


def write_json(path: Path, content: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def recorded_config(workdir: Path) -> dict[str, Any] | None:
    """The `config` recorded in `workdir/config.json`, None if there is none."""
    path = workdir / CONFIG_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())["config"]
    except (ValueError, KeyError) as error:
        raise ConfigError(f"{path} is unreadable ({error}); use a new --workdir") from error


def check_same_run(workdir: Path, config: ml_collections.ConfigDict) -> None:
    """Refuses to resume a workdir whose recorded config differs from this one."""
    old = recorded_config(workdir)
    if old is None:
        return
    diffs = _differences(old, json.loads(config.to_json()))
    if diffs:
        raise ConfigError(f"workdir {workdir} holds a run with a different config ({'; '.join(diffs[:5])}); "
                           "use a new --workdir or the same flags")


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [f"{prefix[:-1]}: {old!r} -> {new!r}"]
