"""Seeded hold-out splits: how every loader carves validation (and test) sets.

Splits depend only on `data.split_seed`, never on the training seed, so every model and every
training seed of an experiment is measured on the same held-out examples.
"""

from __future__ import annotations

import ml_collections
import numpy as np

from data import config as data_config
from data.dataset import DataError


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns sorted (kept, held_out) index arrays with `fraction` of every class held out."""
    rng = np.random.default_rng(seed)
    held_out = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        rng.shuffle(members)
        held_out.append(members[: int(round(fraction * len(members)))])
    held = np.sort(np.concatenate(held_out))
    kept = np.setdiff1d(np.arange(len(labels)), held)
    return kept, held


def random_split(count: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (kept, held_out) indices with `fraction` of `count` rows held out: regression targets have no classes."""
    order = np.random.default_rng(seed).permutation(count)
    held = np.sort(order[: int(round(fraction * count))])
    return np.setdiff1d(np.arange(count), held), held


def carve(labels: np.ndarray, config: ml_collections.ConfigDict, name: str, test: bool,
          own_validation: float, validation: bool = True) -> dict[str, np.ndarray]:
    """Row indices of a data set's training file for 'train' and, where the files hold no such split,
    'test' (when `test`) and 'validation' (when `validation`).

    Test takes `data.test_fraction` of every class (seed `split_seed + 1`), validation then
    `data.validation_fraction` of what remains (or `own_validation` where that key is -1; seed
    `split_seed`). Integer labels are split per class; float labels (regression) uniformly at random.
    """
    classes = np.issubdtype(labels.dtype, np.integer)

    def split(rows: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        kept, held = (stratified_split(labels[rows], fraction, seed) if classes
                      else random_split(len(rows), fraction, seed))
        return rows[kept], rows[held]

    rows, out = np.arange(len(labels)), {}
    if test:
        if not 0.0 < config.test_fraction < 1.0:
            raise DataError(f"data set {name!r}: test_fraction must lie in (0, 1), got {config.test_fraction}")
        rows, out["test"] = split(rows, config.test_fraction, config.split_seed + 1)
    fraction = data_config.validation_fraction(config, own_validation) if validation else 0.0
    if not 0.0 <= fraction < 1.0:
        raise DataError(f"data set {name!r}: validation_fraction must lie in [0, 1), got {fraction}")
    rows, held = split(rows, fraction, config.split_seed)
    return {"train": rows, **({"validation": held} if len(held) else {}), **out}
