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
from train.overrides import flatten

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


def recorded_config(path: Path) -> dict[str, Any] | None:
    """The `config` recorded in a run's config.json (`path`, or a workdir holding it); None if there is none."""
    path = path / CONFIG_FILE if path.is_dir() else path
    if not path.exists():
        return None
    try:
        recorded = json.loads(path.read_text())["config"]
        recorded["experiment"]  # noqa: B018 - every recorded config names its experiment
        return recorded
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{path} is not a layerwise config.json ({type(error).__name__}: {error})") \
            from error


def check_same_run(workdir: Path, config: ml_collections.ConfigDict) -> None:
    """Refuses to resume a workdir whose recorded config differs from this one."""
    old = recorded_config(workdir)
    if old is None:
        return
    old, new = flatten(old), flatten(json.loads(config.to_json()))
    diffs = [f"{key}: {old.get(key)!r} -> {new.get(key)!r}" for key in sorted(set(old) | set(new))
             if old.get(key) != new.get(key)]
    if diffs:
        raise ConfigError(f"workdir {workdir} holds a run with a different config ({'; '.join(diffs[:5])}); "
                          "use a new --workdir or the same flags")
