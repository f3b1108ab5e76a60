"""Experiment registry: experiments are found by convention, so adding one edits no table.

- A module under `experiments/` with a `get_config()` is one experiment, named by its path with '/'
  separators (`experiments/digits_cnn.py` -> `digits_cnn`); its description is the first line of
  its docstring.
- A package whose `__init__` defines `VARIANTS` and `get_config(variant)` is a family of
  experiments, one config taking an argument (big_vision's `config.py:arg` idea): `eeg/scp1_shallow`
  is `experiments.eeg.get_config("scp1_shallow")`, described by `describe(variant)`. Its other
  modules (a study's table runner, say) are not experiments.

Every config is checked against `experiments/base.py`: an experiment that adds a key outside `model`
or drops one is refused, so every run reads the same schema.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import ml_collections

_NOT_EXPERIMENTS = {"base"}


class UnknownExperimentError(KeyError):
    """Raised for a name that is not in the registry; the message lists the valid names."""

    def __str__(self) -> str:
        return str(self.args[0])


def _walk(path: list[str], prefix: str) -> dict[str, tuple[str, str | None]]:
    """name -> (module, variant or None) for every experiment below `path`."""
    names: dict[str, tuple[str, str | None]] = {}
    for info in pkgutil.iter_modules(path, prefix):
        short = info.name.rsplit(".", 1)[-1]
        if short.startswith("_") or short in _NOT_EXPERIMENTS:
            continue
        display = info.name[len(__name__) + 1:].replace(".", "/")
        if not info.ispkg:
            names[display] = (info.name, None)
            continue
        package = importlib.import_module(info.name)
        if hasattr(package, "VARIANTS"):
            names.update({f"{display}/{variant}": (info.name, variant) for variant in package.VARIANTS})
        else:
            names.update(_walk(list(package.__path__), info.name + "."))
    return names


def _registry() -> dict[str, tuple[str, str | None]]:
    return _walk(__path__, __name__ + ".")


def names() -> list[str]:
    """All experiment names, sorted."""
    return sorted(_registry())


def _module(name: str) -> tuple[ModuleType, str | None]:
    registry = _registry()
    if name not in registry:
        raise UnknownExperimentError(f"unknown experiment {name!r}; valid experiments: {', '.join(sorted(registry))}")
    module_name, variant = registry[name]
    return importlib.import_module(module_name), variant


def _leaf_keys(config: ml_collections.ConfigDict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in config.items():
        if isinstance(value, ml_collections.ConfigDict):
            keys |= _leaf_keys(value, f"{prefix}{key}.")
        else:
            keys.add(prefix + key)
    return keys


def check_schema(name: str, config: ml_collections.ConfigDict) -> None:
    """Refuses a config whose keys outside `model` differ from `experiments/base.py`'s."""
    from experiments import base

    declared = {k for k in _leaf_keys(base.get_config()) if not k.startswith("model.")}
    present = {k for k in _leaf_keys(config) if not k.startswith("model.")}
    if declared != present:
        added, missing = sorted(present - declared), sorted(declared - present)
        raise ValueError(f"experiment {name!r} does not follow experiments/base.py: keys added {added}, "
                         f"keys missing {missing}; declare new keys in base.py (data keys in data/config.py) "
                         "and update groups instead of replacing them")


def get_config(name: str) -> ml_collections.ConfigDict:
    """The experiment's config, with `experiment` set to its name and locked against new keys."""
    module, variant = _module(name)
    config = module.get_config() if variant is None else module.get_config(variant)
    check_schema(name, config)
    with config.unlocked():
        config.experiment = name
    config.lock()
    return config


def describe() -> dict[str, str]:
    """Maps every experiment name to its one-line description."""
    out = {}
    for name in names():
        module, variant = _module(name)
        doc = (module.__doc__ or "") if variant is None else module.describe(variant)
        out[name] = doc.strip().splitlines()[0] if doc.strip() else ""
    return out


def listing() -> str:
    """Every experiment with its description, one per line (`--list`)."""
    descriptions = describe()
    width = max(map(len, descriptions))
    return "\n".join(f"{name:<{width}}  {line}" for name, line in descriptions.items())
