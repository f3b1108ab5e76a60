"""Experiment registry: every module under `experiments/` with a `get_config()` is an experiment.

The experiment's name is its module path below this package with '/' separators
(`experiments/digits_cnn.py` -> `digits_cnn`, `experiments/eeg/scp1.py` -> `eeg/scp1`), and its
one-line description is the first line of the module docstring. Adding an experiment means
adding one file; nothing else is edited.
"""

from __future__ import annotations

import importlib
import pkgutil

import ml_collections

_NOT_EXPERIMENTS = {"base"}


class UnknownExperimentError(KeyError):
    """Raised for a name that is not in the registry; the message lists the valid names."""

    def __str__(self) -> str:
        return str(self.args[0])


def _module_names() -> dict[str, str]:
    names = {}
    for info in pkgutil.walk_packages(__path__, prefix=__name__ + "."):
        short = info.name[len(__name__) + 1:]
        if info.ispkg or short.split(".")[-1].startswith("_") or short in _NOT_EXPERIMENTS:
            continue
        names[short.replace(".", "/")] = info.name
    return names


def names() -> list[str]:
    """All experiment names, sorted."""
    return sorted(_module_names())


def get_config(name: str) -> ml_collections.ConfigDict:
    """The experiment's config, with `experiment` set to its name and locked against new keys."""
    modules = _module_names()
    if name not in modules:
        raise UnknownExperimentError(f"unknown experiment {name!r}; valid experiments: {', '.join(sorted(modules))}")
    config = importlib.import_module(modules[name]).get_config()
    with config.unlocked():
        config.experiment = name
    config.lock()
    return config


def describe() -> dict[str, str]:
    """Maps every experiment name to the first line of its module docstring."""
    out = {}
    for name, module_name in sorted(_module_names().items()):
        doc = importlib.import_module(module_name).__doc__ or ""
        out[name] = doc.strip().splitlines()[0] if doc.strip() else ""
    return out
