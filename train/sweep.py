"""Grid sweeps: `--sweep='a=1,2;b=x,y' --seeds=3` runs every combination, each in its own workdir.

Runs go one after another into `SWEEP_DIR/<key=value,...,seed=N>/`. A run whose `summary.json`
exists is skipped, and an unfinished one resumes from its checkpoint, so re-running the same
sweep command completes it. At the end `python -m reports.report SWEEP_DIR` tabulates the grid.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Callable

import ml_collections

from train import overrides

SWEEP_FILE = "sweep.json"


def _split_values(text: str) -> list[str]:
    """Splits on commas outside parentheses/brackets, so `model.features=(8,16),(16,32)` works."""
    values, depth, current = [], 0, ""
    for char in text:
        depth += char in "([" 
        depth -= char in ")]"
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    return [v for v in values if v]


def parse(spec: str) -> list[tuple[str, list[str]]]:
    """'a=1,2;b=x' -> [('a', ['1', '2']), ('b', ['x'])]."""
    axes = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        key, eq, values = part.partition("=")
        if not eq or not _split_values(values):
            raise overrides.OverrideError(f"bad --sweep part {part!r}; write KEY=V1,V2;KEY2=V3,V4")
        axes.append((key.strip(), _split_values(values)))
    keys = [key for key, _ in axes]
    if len(set(keys)) != len(keys):
        raise overrides.OverrideError(f"--sweep names a key twice: {keys}")
    return axes


def runs(config: ml_collections.ConfigDict, spec: str, seeds: int) -> list[tuple[str, ml_collections.ConfigDict]]:
    """Every (run name, config) of the grid; values are checked against the config before anything runs."""
    axes = parse(spec)
    if seeds < 1:
        raise overrides.OverrideError(f"--seeds must be >= 1, got {seeds}")
    out = []
    for combination in itertools.product(*(values for _, values in axes)):
        assignment = list(zip((key for key, _ in axes), combination))
        for index in range(seeds):
            run_config = ml_collections.ConfigDict(config.to_dict())
            run_config.lock()
            overrides.apply(run_config, assignment)
            run_config.seed = config.seed + index
            name = ",".join([f"{key}={value}" for key, value in assignment] + [f"seed={run_config.seed}"])
            out.append((name.replace("/", "_").replace(" ", ""), run_config))
    return out


def run_sweep(config: ml_collections.ConfigDict, spec: str, seeds: int, sweep_dir: Path,
              train: Callable[[ml_collections.ConfigDict, Path], Any], say: Callable[[str], None]) -> list[Path]:
    """Trains every unfinished run of the grid; returns all run directories."""
    grid = runs(config, spec, seeds)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    (sweep_dir / SWEEP_FILE).write_text(json.dumps({"experiment": config.experiment, "sweep": spec,
                                                    "seeds": seeds, "runs": [n for n, _ in grid]}, indent=2))
    directories = []
    for i, (name, run_config) in enumerate(grid, 1):
        workdir = sweep_dir / name
        directories.append(workdir)
        if (workdir / "summary.json").exists():
            say(f"[{i}/{len(grid)}] {name}: finished earlier, skipped")
            continue
        say(f"[{i}/{len(grid)}] {name}")
        train(run_config, workdir)
    return directories
