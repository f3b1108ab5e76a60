"""Seeded, stratified hold-out splits: how every loader carves validation (and test) sets.

Splits depend only on `data.split_seed`, never on the training seed, so every model and every
training seed of an experiment is measured on the same held-out examples.
"""

from __future__ import annotations

import numpy as np


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
