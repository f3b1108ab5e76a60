"""What a loader returns: named splits with the data set's metadata, and the checks every loader's output must pass."""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from data.source import ArraySource, MemorySplits, RecordSource


class DataError(ValueError):
    """Bad or missing data: the message names the data set and how to fix it."""


@dataclasses.dataclass(frozen=True)
class Split:
    """One split: `inputs[i]` is an example, `labels[i]` its integer class.

    `lengths[i]`, where given, is the true length of a variable-length sequence zero-padded in `inputs`.
    """

    inputs: np.ndarray
    labels: np.ndarray
    lengths: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Named splits of one data set. `eval_split` is the held-out split reported at the end.

    `task` says what the labels are (`train.tasks`): 'classification' (one integer class per
    example), 'language_model' (labels [N, T] are the next token of inputs [N, T]; `num_classes` is
    the vocabulary size) or 'regression' (float targets [N, num_classes]). `vocabulary[i]` is the
    text of token i where inputs are token ids; `target_scale` turns a regression error on the
    (standardised) targets back into the data's units. `class_names[k]` names class k where the
    data says what its classes are (folder names, label strings); reports label confusion matrices
    with them.
    """

    name: str
    splits: Mapping[str, Split]
    num_classes: int
    eval_split: str = "test"
    task: str = "classification"
    vocabulary: tuple[str, ...] | None = None
    target_scale: float = 1.0
    class_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not hasattr(self.splits, "source"):  # a plain dict from a loader
            object.__setattr__(self, "splits", MemorySplits(self.splits))
        if self.class_names is not None:  # a list when read back from a prepared copy's JSON
            object.__setattr__(self, "class_names", tuple(str(name) for name in self.class_names))

    def source(self, split: str) -> ArraySource | RecordSource:
        """Random access into `split` without reading it whole (the streaming input path)."""
        return self.splits.source(split)

    def size(self, split: str) -> int:
        return len(self.source(split))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.source("train").fields["inputs"][0]

    @property
    def input_dtype(self) -> np.dtype:
        return self.source("train").fields["inputs"][1]

    def validate(self) -> None:
        """Fails early, naming the data set, on shapes or labels a classifier cannot take."""
        if "train" not in self.splits or self.eval_split not in self.splits:
            raise DataError(f"data set {self.name!r} needs 'train' and {self.eval_split!r} splits, "
                            f"has {sorted(self.splits)}")
        if self.class_names is not None and len(self.class_names) != self.num_classes:
            raise DataError(f"data set {self.name!r}: {len(self.class_names)} class names for {self.num_classes} classes")
        for split_name, split in self.splits.items():
            where = f"data set {self.name!r}, split {split_name!r}"
            if split.inputs.shape[0] != split.labels.shape[0]:
                raise DataError(f"{where}: {split.inputs.shape[0]} inputs but {split.labels.shape[0]} labels")
            if len(split) == 0:
                raise DataError(f"{where}: no examples")
            if split.inputs.shape[1:] != self.input_shape:
                raise DataError(f"{where}: example shape {split.inputs.shape[1:]} differs from "
                                f"train's {self.input_shape}")
            if self.task == "regression":
                if not np.all(np.isfinite(split.labels)):
                    raise DataError(f"{where}: regression targets contain NaN or inf")
                if not np.all(np.isfinite(split.inputs)):
                    raise DataError(f"{where}: inputs contain NaN or inf")
                continue
            if not np.issubdtype(split.labels.dtype, np.integer):
                raise DataError(f"{where}: labels must be integers, got {split.labels.dtype}")
            low, high = int(split.labels.min()), int(split.labels.max())
            if low < 0 or high >= self.num_classes:
                raise DataError(f"{where}: labels span [{low}, {high}] but there are "
                                f"{self.num_classes} classes; labels must lie in [0, {self.num_classes - 1}]")
            if split.lengths is not None and (split.lengths.shape != split.labels.shape
                                              or split.lengths.min() < 1
                                              or split.lengths.max() > split.inputs.shape[1]):
                raise DataError(f"{where}: lengths must be one per example, in [1, {split.inputs.shape[1]}]")
            if not np.all(np.isfinite(split.inputs)):
                raise DataError(f"{where}: inputs contain NaN or inf")
