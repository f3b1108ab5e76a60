"""What the loaders of a user's own files share: the path they read, labels to classes, regression targets.

The conventions follow the loaders users already know: labels that name classes (strings, or integers
in a CSV or `.ts` file) become 0..K-1 in sorted order, numbers sorted as numbers, and the names are
kept (`Dataset.class_names`); float targets mean regression, standardised with the training split's
statistics so one learning rate suits any scale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import ml_collections
import numpy as np

from data.dataset import DataError, Split


def path_of(name: str, config: ml_collections.ConfigDict, expect: str, key: str = "path") -> Path:
    """`data.<key>` as an existing path; empty or missing is a DataError saying what to give."""
    value = config[key]
    if not value:
        raise DataError(f"data set {name!r} reads your files: give --config.data.{key}={expect}")
    path = Path(value).expanduser()
    if not path.exists():
        raise DataError(f"data set {name!r}: --config.data.{key}={value} does not exist; give {expect}")
    return path


def _order(name: str) -> tuple[int, float, str]:
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)


def sorted_names(names: Iterable[str]) -> tuple[str, ...]:
    """Class names in label order: numbers by value ('2' before '10'), then strings alphabetically."""
    return tuple(sorted(set(names), key=_order))


def encode_classes(labels: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """Labels of every split (strings or numbers) -> int32 classes 0..K-1 over all splits, and the K names."""
    as_text = {split: np.asarray(values).astype(str) for split, values in labels.items()}
    names = sorted_names(np.concatenate(list(as_text.values())).tolist())
    index = {name: k for k, name in enumerate(names)}
    return {split: np.asarray([index[v] for v in values], np.int32) for split, values in as_text.items()}, names


def scale_targets(splits: dict[str, Split]) -> tuple[dict[str, Split], float]:
    """Regression targets [N, outputs] standardised with the training split's mean and deviation.

    Returns the scaled splits and `target_scale` (the deviation), which turns an error back into the
    data's units; with several outputs the targets stay as given (scale 1), since one number cannot
    convert errors measured in different units.
    """
    targets = splits["train"].labels
    if targets.shape[1] != 1:
        return splits, 1.0
    mean, std = float(targets.mean()), float(targets.std()) or 1.0
    return {k: Split(s.inputs, ((s.labels - mean) / std).astype(np.float32), s.lengths)
            for k, s in splits.items()}, std
